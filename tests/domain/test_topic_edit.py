import re
from datetime import date

import pytest
from sqlmodel import Session

from tests.domain.accounts import make_user
from tests.domain.helpers import make_topic, statement_data
from tracker.errors import PermissionDenied, ValidationError
from tracker.models import StanceLevelCreate
from tracker.revisions import history_with_changes
from tracker.statements import create_statement
from tracker.topics import levels_text, parse_levels_text, update_topic

TODAY = date(2026, 11, 26)


def _levels(*values: int) -> list[StanceLevelCreate]:
    return [StanceLevelCreate(value=v, label=f"Level {v}", rule=f"rule {v}") for v in values]


def test_admin_edits_texts_and_scale(session: Session):
    admin = make_user(session, "ada", "admin")
    topic = make_topic(session)
    edited = update_topic(
        session,
        topic.id,
        title="Alignment with Iran",
        proposition="Pakistan should align with Iran",
        description="Since 2025",
        levels=_levels(-2, -1, 0, 1, 2, 3),
        user_id=admin.id,
        reason="finer scale",
    )
    assert edited.title == "Alignment with Iran"
    assert [lv.value for lv in edited.levels] == [-2, -1, 0, 1, 2, 3]
    last = history_with_changes(session, "topic", topic.id)[-1]
    assert last.action == "edit" and last.reason == "finer scale"
    assert {c.field for c in last.changes} >= {"title", "levels.3", "levels.0"}


def test_a_level_in_use_cannot_be_removed(session: Session):
    admin = make_user(session, "ada", "admin")
    topic = make_topic(session)
    create_statement(session, statement_data(session, topic, stance=2), today=TODAY)
    with pytest.raises(ValidationError) as caught:
        update_topic(
            session,
            topic.id,
            title=topic.title,
            proposition=topic.proposition,
            description=None,
            levels=_levels(-1, 0, 1),
            user_id=admin.id,
        )
    assert "level +2 is used by 1 statement" in caught.value.problems["levels"]
    # Unused levels can go; the used one stays.
    kept = update_topic(
        session,
        topic.id,
        title=topic.title,
        proposition=topic.proposition,
        description=None,
        levels=_levels(0, 2),
        user_id=admin.id,
    )
    assert [lv.value for lv in kept.levels] == [0, 2]


def test_only_admins_edit_topics_and_bad_input(session: Session):
    reviewer = make_user(session, "rene", "reviewer")
    admin = make_user(session, "ada", "admin")
    topic = make_topic(session)
    with pytest.raises(PermissionDenied):
        update_topic(
            session,
            topic.id,
            title="x",
            proposition="y",
            description=None,
            levels=_levels(0, 1),
            user_id=reviewer.id,
        )
    with pytest.raises(ValidationError) as caught:
        update_topic(
            session,
            topic.id,
            title=" ",
            proposition="",
            description=None,
            levels=_levels(1),
            user_id=admin.id,
        )
    assert set(caught.value.problems) == {"title", "proposition", "levels"}


def test_levels_text_round_trip_and_errors(session: Session):
    topic = make_topic(session)
    text = levels_text(topic.levels)
    assert text.splitlines()[0].startswith("-2 | Strongly opposes | ")
    assert [lv.value for lv in parse_levels_text(text)] == [-2, -1, 0, 1, 2]
    assert parse_levels_text("+1 | Yes\n\n-1|No|never")[0].label == "No"
    for bad, message in (
        ("one | label | rule", "not a whole number"),
        ("+1 no bars", "value | label"),
        ("+9 | Too far | r", "-5 to +5"),
    ):
        with pytest.raises(ValidationError, match=re.escape(message)):
            parse_levels_text(bad)
