"""Review rules, edits of verified statements, retract/supersede, delete/restore, history."""

from datetime import date

import pytest
from sqlmodel import Session

from tests.domain.accounts import team
from tests.domain.helpers import actor_id, make_topic, statement_data
from tracker.errors import PermissionDenied, ValidationError
from tracker.models import SourceCreate
from tracker.review import list_edits, review_edit, review_queue, review_statement, withdraw_edit
from tracker.revisions import history, history_with_changes
from tracker.statements import (
    create_statement,
    delete_statement,
    get_statement,
    list_statements,
    restore_statement,
    retract_statement,
    statement_actions,
    statement_input,
    supersede_statement,
    update_statement,
)

TODAY = date(2026, 11, 26)


@pytest.fixture
def people(session: Session):
    return team(session)


def _file(session: Session, people, **overrides):
    topic = make_topic(session, overrides.pop("slug", "alignment"))
    return create_statement(
        session,
        statement_data(session, topic, **overrides),
        user_id=people["casey"].id,
        today=TODAY,
    )


def _verified(session: Session, people, **overrides):
    statement = _file(session, people, **overrides)
    review_statement(session, statement.id, user_id=people["rene"].id, verdict="verified")
    session.commit()
    return statement


def test_new_statements_are_pending_and_queued_oldest_first(session: Session, people):
    first = _file(session, people)
    second = create_statement(
        session,
        statement_data(session, make_topic(session, "other"), summary="Another one"),
        user_id=people["dana"].id,
        today=TODAY,
    )
    session.commit()
    assert first.status == "pending" and first.contributor == "casey"
    queue = review_queue(session)
    assert [(i.kind, i.statement.id) for i in queue] == [
        ("statement", first.id),
        ("statement", second.id),
    ]


def test_reviewer_verifies_with_a_note(session: Session, people):
    statement = _file(session, people)
    done = review_statement(
        session, statement.id, user_id=people["rene"].id, verdict="verified", note="Checked"
    )
    session.commit()
    assert (done.status, done.reviewer, done.review_note) == ("verified", "rene", "Checked")
    assert review_queue(session) == []
    actions = [r.action for r in history(session, "statement", statement.id)]
    assert actions == ["create", "review"]


def test_rejection_needs_a_note(session: Session, people):
    statement = _file(session, people)
    with pytest.raises(ValidationError) as caught:
        review_statement(session, statement.id, user_id=people["rene"].id, verdict="rejected")
    assert "why" in caught.value.problems["note"]
    done = review_statement(
        session,
        statement.id,
        user_id=people["rene"].id,
        verdict="rejected",
        note="The source does not say this",
    )
    assert done.status == "rejected"


def test_nobody_verifies_their_own_contribution(session: Session, people):
    statement = _file(session, people)
    # A reviewer who files a statement cannot verify it either.
    own = create_statement(
        session,
        statement_data(session, make_topic(session, "mine"), summary="Mine"),
        user_id=people["rene"].id,
        today=TODAY,
    )
    with pytest.raises(PermissionDenied, match="another reviewer"):
        review_statement(session, own.id, user_id=people["rene"].id, verdict="verified")
    # A reviewer who edited a pending statement has contributed to it too.
    data = statement_input(session, statement.id).model_copy(update={"summary": "Edited text"})
    update_statement(session, statement.id, data, user_id=people["rosa"].id, today=TODAY)
    with pytest.raises(PermissionDenied, match="another reviewer"):
        review_statement(session, statement.id, user_id=people["rosa"].id, verdict="verified")
    assert statement_actions(session, statement.id, people["rosa"].id).review is False
    assert statement_actions(session, statement.id, people["rene"].id).review is True
    review_statement(session, statement.id, user_id=people["rene"].id, verdict="verified")


def test_contributors_cannot_review(session: Session, people):
    statement = _file(session, people)
    with pytest.raises(PermissionDenied):
        review_statement(session, statement.id, user_id=people["dana"].id, verdict="verified")


def test_only_pending_statements_are_reviewed(session: Session, people):
    statement = _verified(session, people)
    with pytest.raises(ValidationError, match="not waiting for review"):
        review_statement(session, statement.id, user_id=people["rosa"].id, verdict="rejected")


def test_edit_of_pending_statement_applies_in_place(session: Session, people):
    statement = _file(session, people)
    data = statement_input(session, statement.id).model_copy(update={"summary": "Better words"})
    result = update_statement(
        session, statement.id, data, user_id=people["casey"].id, reason="typo", today=TODAY
    )
    assert result.applied and result.statement.summary == "Better words"
    # Somebody else's pending statement: contributors cannot touch it.
    with pytest.raises(PermissionDenied):
        update_statement(session, statement.id, data, user_id=people["dana"].id, today=TODAY)
    with pytest.raises(ValidationError, match="nothing was changed"):
        update_statement(session, statement.id, data, user_id=people["casey"].id, today=TODAY)


def test_editing_a_rejected_statement_resubmits_it(session: Session, people):
    statement = _file(session, people)
    review_statement(
        session, statement.id, user_id=people["rene"].id, verdict="rejected", note="wrong date"
    )
    data = statement_input(session, statement.id).model_copy(update={"said_on": date(2025, 6, 2)})
    result = update_statement(session, statement.id, data, user_id=people["casey"].id)
    assert result.statement.status == "pending"
    assert result.statement.reviewer is None and result.statement.review_note is None


def test_edit_of_verified_statement_waits_for_review(session: Session, people):
    statement = _verified(session, people, summary="Backs Iran against the strikes")
    data = statement_input(session, statement.id).model_copy(
        update={
            "summary": "Backs Iran firmly against the strikes",
            "sources": [SourceCreate(url="https://example.org/new", publisher="Example")],
        }
    )
    with pytest.raises(ValidationError) as caught:
        update_statement(session, statement.id, data, user_id=people["rosa"].id, today=TODAY)
    assert "reviewer reads it" in caught.value.problems["reason"]

    result = update_statement(
        session,
        statement.id,
        data,
        user_id=people["rosa"].id,
        reason="The primary source says firmly",
        today=TODAY,
    )
    session.commit()
    assert not result.applied and result.edit_id is not None
    # The verified version is what everyone still sees.
    current = get_statement(session, statement.id)
    assert current.status == "verified"
    assert current.summary == "Backs Iran against the strikes"
    assert current.sources[0].citation is not None
    assert current.pending_edit_id == result.edit_id
    # One change at a time.
    with pytest.raises(ValidationError, match="already waits"):
        update_statement(
            session, statement.id, data, user_id=people["casey"].id, reason="me too", today=TODAY
        )

    [edit] = list_edits(session)
    changed = {c.field: (c.before, c.after) for c in edit.changes}
    assert changed["summary"] == (
        "Backs Iran against the strikes",
        "Backs Iran firmly against the strikes",
    )
    assert "https://example.org/new" in changed["sources.0"][1]
    assert [i.kind for i in review_queue(session)] == ["edit"]

    with pytest.raises(PermissionDenied, match="you proposed"):
        review_edit(session, edit.id, user_id=people["rosa"].id, accept=True)
    with pytest.raises(ValidationError):
        review_edit(session, edit.id, user_id=people["rene"].id, accept=False)  # no note
    done = review_edit(session, edit.id, user_id=people["rene"].id, accept=True, note="ok")
    session.commit()
    assert done.status == "verified"
    assert done.summary == "Backs Iran firmly against the strikes"
    assert [s.url for s in done.sources] == ["https://example.org/new"]
    assert done.pending_edit_id is None

    entries = history_with_changes(session, "statement", statement.id)
    assert [(e.action, e.applied) for e in entries] == [
        ("create", True),
        ("review", True),
        ("propose", False),
        ("review", True),
    ]
    assert entries[2].username == "rosa" and entries[2].reason.startswith("The primary")
    assert {c.field for c in entries[3].changes} >= {"summary", "sources.0"}
    assert "accepted the change proposed by rosa" in entries[3].reason


def test_rejected_edit_leaves_the_statement_alone(session: Session, people):
    statement = _verified(session, people)
    data = statement_input(session, statement.id).model_copy(update={"stance": -2})
    result = update_statement(
        session, statement.id, data, user_id=people["casey"].id, reason="misread", today=TODAY
    )
    review_edit(session, result.edit_id, user_id=people["rosa"].id, accept=False, note="It is +2")
    assert get_statement(session, statement.id).stance == 2
    assert list_edits(session) == []
    assert list_edits(session, statuses=("rejected",))[0].review_note == "It is +2"


def test_withdrawing_an_edit(session: Session, people):
    statement = _verified(session, people)
    data = statement_input(session, statement.id).model_copy(update={"stance": 1})
    result = update_statement(
        session, statement.id, data, user_id=people["casey"].id, reason="r", today=TODAY
    )
    with pytest.raises(PermissionDenied):
        withdraw_edit(session, result.edit_id, user_id=people["dana"].id)
    withdraw_edit(session, result.edit_id, user_id=people["casey"].id)
    assert review_queue(session) == []


def test_accepting_an_edit_checks_the_rules_again(session: Session, people):
    from tracker.topics import update_topic

    statement = _verified(session, people)
    data = statement_input(session, statement.id).model_copy(update={"stance": -1})
    result = update_statement(
        session, statement.id, data, user_id=people["casey"].id, reason="r", today=TODAY
    )
    topic = get_statement(session, statement.id)
    levels = [
        {"value": v, "label": f"L{v}", "rule": ""} for v in (0, 1, 2)
    ]  # -1 is unused by any statement, so it may go
    from tracker.models import StanceLevelCreate

    update_topic(
        session,
        topic.topic_id,
        title="Alignment",
        proposition="X is good",
        description=None,
        levels=[StanceLevelCreate(**lv) for lv in levels],
        user_id=people["ada"].id,
    )
    with pytest.raises(ValidationError) as caught:
        review_edit(session, result.edit_id, user_id=people["rene"].id, accept=True)
    assert "stance" in caught.value.problems


def test_retract_keeps_the_statement_with_a_link_to_its_successor(session: Session, people):
    old = _verified(session, people)
    newer = create_statement(
        session,
        statement_data(
            session,
            make_topic(session, "unused"),
            topic_id=old.topic_id,
            summary="A newer position",
            said_on=date(2025, 7, 1),
        ),
        user_id=people["casey"].id,
        today=TODAY,
    )
    with pytest.raises(PermissionDenied):
        retract_statement(session, old.id, user_id=people["casey"].id, note="x")
    with pytest.raises(ValidationError) as caught:
        retract_statement(session, old.id, user_id=people["rene"].id, note=" ")
    assert "note" in caught.value.problems
    done = retract_statement(
        session,
        old.id,
        user_id=people["rene"].id,
        note="Denied the next day",
        successor_id=newer.id,
    )
    assert done.status == "retracted" and done.superseded_by_id == newer.id
    assert old.id not in {s.id for s in list_statements(session, statuses=["verified", "pending"])}
    assert get_statement(session, old.id) is not None  # still readable by its permalink
    assert history(session, "statement", old.id)[-1].action == "retract"


def test_supersede_rules(session: Session, people):
    old = _verified(session, people)
    other_actor = create_statement(
        session,
        statement_data(
            session,
            make_topic(session, "unused"),
            topic_id=old.topic_id,
            actor_id=actor_id(session, "IRN"),
        ),
        user_id=people["casey"].id,
        today=TODAY,
    )
    newer = create_statement(
        session,
        statement_data(
            session,
            make_topic(session, "unused2"),
            topic_id=old.topic_id,
            summary="Newer",
            said_on=date(2025, 8, 1),
        ),
        user_id=people["casey"].id,
        today=TODAY,
    )
    for successor, message in (
        (old.id, "itself"),
        (other_actor.id, "same actor"),
        (99999, "no statement"),
    ):
        with pytest.raises(ValidationError, match=message):
            supersede_statement(session, old.id, successor, user_id=people["rene"].id)
    done = supersede_statement(session, old.id, newer.id, user_id=people["rene"].id, note="newer")
    assert done.status == "verified" and done.superseded_by_id == newer.id
    with pytest.raises(ValidationError, match="loop"):
        supersede_statement(session, newer.id, old.id, user_id=people["rene"].id)


def test_soft_delete_and_admin_restore(session: Session, people):
    statement = _file(session, people)
    with pytest.raises(PermissionDenied):
        delete_statement(session, statement.id, user_id=people["dana"].id, reason="spam")
    with pytest.raises(ValidationError):
        delete_statement(session, statement.id, user_id=people["casey"].id, reason="")
    delete_statement(session, statement.id, user_id=people["casey"].id, reason="duplicate")
    session.commit()
    assert get_statement(session, statement.id) is None
    assert get_statement(session, statement.id, include_deleted=True).deleted_at is not None
    with pytest.raises(PermissionDenied):
        restore_statement(session, statement.id, user_id=people["rene"].id, reason="oops")
    back = restore_statement(session, statement.id, user_id=people["ada"].id, reason="oops")
    assert back.deleted_at is None and back.status == "pending"
    actions = [r.action for r in history(session, "statement", statement.id)]
    assert actions == ["create", "delete", "restore"]


def test_contributor_cannot_delete_a_verified_statement(session: Session, people):
    statement = _verified(session, people)
    with pytest.raises(PermissionDenied):
        delete_statement(session, statement.id, user_id=people["casey"].id, reason="mine")
    delete_statement(session, statement.id, user_id=people["ada"].id, reason="legal request")


def test_admin_restores_an_earlier_version(session: Session, people):
    statement = _file(session, people, summary="First words")
    first_revision = history(session, "statement", statement.id)[0].id
    data = statement_input(session, statement.id).model_copy(update={"summary": "Second words"})
    update_statement(session, statement.id, data, user_id=people["casey"].id, today=TODAY)
    review_statement(session, statement.id, user_id=people["rene"].id, verdict="verified")
    restored = restore_statement(
        session,
        statement.id,
        user_id=people["ada"].id,
        reason="the edit was wrong",
        revision_id=first_revision,
    )
    assert restored.summary == "First words"
    assert restored.status == "pending"  # as it was in that version: to be reviewed again
    last = history_with_changes(session, "statement", statement.id)[-1]
    assert last.action == "restore" and "the edit was wrong" in last.reason
    changed = {c.field: (c.before, c.after) for c in last.changes}
    assert changed["summary"] == ("Second words", "First words")
    assert changed["status"] == ("verified", "pending")


def test_history_names_people_and_things(session: Session, people):
    statement = _file(session, people)
    [created] = history_with_changes(session, "statement", statement.id)
    labels = {c.label: c.after for c in created.changes}
    assert labels["Country or bloc"] == "Pakistan"
    assert labels["Topic"] == "Alignment"
    assert labels["Filed by"] == "casey"
    assert labels["Stance"] == "+2"
    assert created.username == "casey"
