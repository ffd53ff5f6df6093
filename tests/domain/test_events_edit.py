from datetime import date

import pytest
from sqlmodel import Session

from tests.domain.accounts import team
from tests.domain.helpers import actor_id, make_topic
from tracker.errors import PermissionDenied, ValidationError
from tracker.events import (
    check_event_input,
    create_event,
    delete_event,
    event_actions,
    event_input,
    get_event,
    list_events,
    restore_event,
    update_event,
)
from tracker.models import EventCreate, SourceCreate
from tracker.revisions import history_with_changes

TODAY = date(2026, 11, 26)


def _event(session: Session, user_id: int):
    return create_event(
        session,
        EventCreate(
            title="Israeli strikes",
            starts_on=date(2025, 6, 13),
            category="military",
            actor_ids=[actor_id(session, "ISR")],
            sources=[SourceCreate(url="https://example.org/strikes")],
        ),
        user_id=user_id,
        today=TODAY,
    )


def test_edit_delete_restore_with_history(session: Session):
    people = team(session)
    event = _event(session, people["casey"].id)
    data = event_input(session, event.id).model_copy(
        update={"ends_on": date(2025, 6, 24), "actor_ids": [actor_id(session, "IRN")]}
    )
    with pytest.raises(PermissionDenied):
        update_event(session, event.id, data, user_id=people["dana"].id, today=TODAY)
    edited = update_event(
        session, event.id, data, user_id=people["casey"].id, reason="an era", today=TODAY
    )
    assert edited.ends_on == date(2025, 6, 24) and edited.actor_codes == ["IRN"]
    assert event_actions(session, event.id, people["rene"].id).edit
    assert not event_actions(session, event.id, people["rene"].id).delete

    delete_event(session, event.id, user_id=people["casey"].id, reason="duplicate")
    assert list_events(session) == []
    assert get_event(session, event.id, include_deleted=True).deleted_at is not None
    with pytest.raises(PermissionDenied):
        restore_event(session, event.id, user_id=people["rene"].id, reason="x")
    restore_event(session, event.id, user_id=people["ada"].id, reason="not a duplicate")
    entries = history_with_changes(session, "event", event.id)
    assert [e.action for e in entries] == ["create", "edit", "delete", "restore"]
    changed = {c.field: c.after for c in entries[1].changes}
    assert changed["ends_on"] == "2025-06-24" and changed["actor_ids"] == "Iran"


def test_event_form_input_reports_every_problem(session: Session):
    topic = make_topic(session)
    data, problems = check_event_input(
        session,
        {
            "title": "",
            "starts_on": None,
            "category": "military",
            "topic_ids": [topic.id],
            "sources": [{"url": "javascript:alert(1)"}],
        },
        today=TODAY,
    )
    assert data is None
    assert {"title", "starts_on", "sources.0.url"} <= set(problems)
    data, problems = check_event_input(
        session, {"title": "Visit", "starts_on": date(2025, 6, 1)}, today=TODAY
    )
    assert problems == {} and data is not None


def test_future_end_is_refused(session: Session):
    with pytest.raises(ValidationError) as caught:
        create_event(
            session,
            EventCreate(title="x", starts_on=date(2025, 6, 1), ends_on=date(2027, 1, 1)),
            today=TODAY,
        )
    assert "future" in caught.value.problems["ends_on"]
