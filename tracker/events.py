"""Events: what happened (strikes, visits, votes), as moments or eras."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session, col, select

from tracker.errors import PermissionDenied, ValidationError
from tracker.models import (
    Actor,
    DatePrecision,
    EntityType,
    Event,
    EventActor,
    EventCreate,
    EventTopic,
    RevisionAction,
    Source,
    SourceCreate,
    Topic,
)
from tracker.permissions import (
    ADMINS,
    REVIEWERS,
    WRITERS,
    acting_user,
    require_role,
    require_writer_or_system,
)
from tracker.revisions import get_revision, latest_revision_id, record_revision, snapshot_of
from tracker.sources import SourceView, clean_source, source_problems, sources_by_owner
from tracker.timeutil import utcnow
from tracker.validation import blank_to_none, check_date, check_length, parse_input

EVENT_CATEGORIES = ("military", "diplomatic", "political", "economic", "statement", "other")


@dataclass(frozen=True)
class EventView:
    id: int
    title: str
    description: str | None
    starts_on: date
    ends_on: date | None
    date_precision: str
    category: str
    actor_codes: list[str] = field(default_factory=list)
    topic_ids: list[int] = field(default_factory=list)
    sources: list[SourceView] = field(default_factory=list)
    actor_ids: list[int] = field(default_factory=list)
    actor_names: list[str] = field(default_factory=list)
    contributor_id: int | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class EventActions:
    edit: bool = False
    delete: bool = False
    restore: bool = False


def check_event_input(
    session: Session, raw: dict[str, Any], *, today: date | None = None
) -> tuple[EventCreate | None, dict[str, str]]:
    """Parse and check raw input (a form's values): the event, or every problem."""
    try:
        data = parse_input(EventCreate, raw)
    except ValidationError as exc:
        fields = {k: v for k, v in raw.items() if k in EventCreate.model_fields}
        fields["sources"] = [
            SourceCreate.model_construct(
                **{k: v for k, v in s.items() if k in SourceCreate.model_fields}
            )
            for s in raw.get("sources") or []
        ]
        for name in ("starts_on", "ends_on"):
            if not isinstance(fields.get(name), date):
                fields[name] = None
        fields.setdefault("actor_ids", [])
        fields.setdefault("topic_ids", [])
        fields.setdefault("date_precision", DatePrecision.DAY)
        fields.setdefault("category", "other")
        problems = {
            **exc.problems,
            **event_problems(session, EventCreate.model_construct(**fields), today=today),
        }
        return None, problems
    problems = event_problems(session, data, today=today)
    return (None if problems else data), problems


def event_problems(
    session: Session, data: EventCreate, *, today: date | None = None
) -> dict[str, str]:
    today = today or utcnow().date()
    problems: dict[str, str] = {}
    if not blank_to_none(data.title):
        problems["title"] = "a title is required"
    else:
        problem = check_length(data.title.strip(), 300)
        if problem:
            problems["title"] = problem
    problem = check_date(data.starts_on, today=today, field_label="start date")
    if problem:
        problems["starts_on"] = problem
    if data.ends_on is not None:
        if data.starts_on is not None and data.ends_on < data.starts_on:
            problems["ends_on"] = "the end is before the start"
        elif data.ends_on > today:
            problems["ends_on"] = "the end date is in the future"
    if data.date_precision not in set(DatePrecision):
        problems["date_precision"] = "choose day, month or year"
    if data.category not in EVENT_CATEGORIES:
        problems["category"] = f"choose one of: {', '.join(EVENT_CATEGORIES)}"
    if data.actor_ids:
        found = session.exec(select(Actor.id).where(col(Actor.id).in_(data.actor_ids))).all()
        if len(set(found)) != len(set(data.actor_ids)):
            problems["actor_ids"] = "an unknown country or bloc"
    if data.topic_ids:
        found = session.exec(select(Topic.id).where(col(Topic.id).in_(data.topic_ids))).all()
        if len(set(found)) != len(set(data.topic_ids)):
            problems["topic_ids"] = "an unknown topic"
    for i, source in enumerate(data.sources):
        problems.update(source_problems(clean_source(source), today=today, prefix=f"sources.{i}"))
    return problems


def create_event(
    session: Session,
    data: EventCreate,
    *,
    user_id: int | None = None,
    external_key: str | None = None,
    today: date | None = None,
) -> EventView:
    """Validate and store an event; flushes, the caller commits."""
    require_writer_or_system(session, user_id, "add events")
    problems = event_problems(session, data, today=today)
    if problems:
        raise ValidationError(problems)
    event = Event(
        title=data.title.strip(),
        starts_on=data.starts_on,
        contributor_id=user_id,
        external_key=external_key,
    )
    session.add(event)
    session.flush()
    _write_content(session, event, data)
    _record(session, event, RevisionAction.CREATE, user_id, None)
    found = list_events(session, ids=[event.id or 0])
    return found[0]


def _write_content(session: Session, event: Event, data: EventCreate) -> None:
    """Set an event's columns, actors, topics and sources from valid input."""
    assert event.id is not None
    event.title = data.title.strip()
    event.description = blank_to_none(data.description)
    event.starts_on = data.starts_on
    event.ends_on = data.ends_on
    event.date_precision = data.date_precision
    event.category = data.category
    event.updated_at = utcnow()
    session.add(event)
    for model in (EventActor, EventTopic):
        for old in session.exec(select(model).where(model.event_id == event.id)).all():
            session.delete(old)
    for old_source in session.exec(select(Source).where(Source.event_id == event.id)).all():
        session.delete(old_source)
    session.flush()
    for actor_id in dict.fromkeys(data.actor_ids):
        session.add(EventActor(event_id=event.id, actor_id=actor_id))
    for topic_id in dict.fromkeys(data.topic_ids):
        session.add(EventTopic(event_id=event.id, topic_id=topic_id))
    for source in data.sources:
        session.add(Source(event_id=event.id, **clean_source(source).model_dump()))
    session.flush()


def event_snapshot(session: Session, event: Event) -> dict[str, Any]:
    assert event.id is not None
    actors = session.exec(
        select(EventActor.actor_id)
        .where(EventActor.event_id == event.id)
        .order_by(col(EventActor.actor_id))
    ).all()
    topics = session.exec(
        select(EventTopic.topic_id)
        .where(EventTopic.event_id == event.id)
        .order_by(col(EventTopic.topic_id))
    ).all()
    sources = session.exec(
        select(Source).where(Source.event_id == event.id).order_by(col(Source.id))
    ).all()
    return snapshot_of(
        event,
        actor_ids=list(actors),
        topic_ids=list(topics),
        sources=[
            SourceCreate.model_validate(s, from_attributes=True).model_dump(mode="json")
            for s in sources
        ],
    )


def _record(
    session: Session, event: Event, action: str, user_id: int | None, reason: str | None
) -> None:
    assert event.id is not None
    record_revision(
        session,
        entity_type=EntityType.EVENT,
        entity_id=event.id,
        action=action,
        snapshot=event_snapshot(session, event),
        user_id=user_id,
        reason=blank_to_none(reason),
    )


def event_input_from_snapshot(snapshot: dict[str, Any]) -> EventCreate:
    keys = ("title", "description", "starts_on", "ends_on", "date_precision", "category")
    values: dict[str, Any] = {key: snapshot.get(key) for key in keys}
    values["actor_ids"] = snapshot.get("actor_ids") or []
    values["topic_ids"] = snapshot.get("topic_ids") or []
    values["sources"] = snapshot.get("sources") or []
    return EventCreate.model_validate(values)


def event_input(session: Session, event_id: int) -> EventCreate | None:
    """An event's current content as input: what an edit form starts from."""
    event = session.get(Event, event_id)
    if event is None:
        return None
    return event_input_from_snapshot(event_snapshot(session, event))


def _event_actions(event: Event, role: str, user_id: int) -> EventActions:
    deleted = event.deleted_at is not None
    own = event.contributor_id == user_id
    return EventActions(
        edit=not deleted and (own or role in REVIEWERS),
        delete=not deleted and (own or role in ADMINS),
        restore=role in ADMINS,
    )


def event_actions(session: Session, event_id: int, user_id: int | None) -> EventActions:
    event = session.get(Event, event_id)
    if event is None or user_id is None:
        return EventActions()
    try:
        user = acting_user(session, user_id)
    except PermissionDenied:
        return EventActions()
    return _event_actions(event, user.role, user_id)


def _event_for_update(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id, with_for_update=True, populate_existing=True)
    if event is None:
        raise ValidationError({"event": f"there is no event #{event_id}"})
    return event


def update_event(
    session: Session,
    event_id: int,
    data: EventCreate,
    *,
    user_id: int,
    reason: str | None = None,
    base_revision_id: int | None = None,
    today: date | None = None,
) -> EventView:
    """Change an event (its contributor, a reviewer or an admin). Flushes; caller commits."""
    user = require_role(session, user_id, WRITERS, "edit events")
    event = _event_for_update(session, event_id)
    if not _event_actions(event, user.role, user_id).edit:
        if event.deleted_at is not None:
            raise ValidationError({"event": "this event was deleted; an admin can restore it"})
        raise PermissionDenied("only its contributor, a reviewer or an admin can edit an event")
    if base_revision_id is not None and (
        latest_revision_id(session, EntityType.EVENT, event_id) != base_revision_id
    ):
        raise ValidationError(
            {"event": "someone changed this event since you opened it: reload the page"}
        )
    problems = event_problems(session, data, today=today)
    if check_length(blank_to_none(reason), 2000):
        problems["reason"] = "at most 2,000 characters"
    if problems:
        raise ValidationError(problems)
    _write_content(session, event, data)
    _record(session, event, RevisionAction.EDIT, user_id, reason)
    return list_events(session, ids=[event_id])[0]


def delete_event(session: Session, event_id: int, *, user_id: int, reason: str) -> EventView:
    """Soft-delete an event (its contributor or an admin); an admin can restore it."""
    user = require_role(session, user_id, WRITERS, "delete events")
    event = _event_for_update(session, event_id)
    if event.deleted_at is not None:
        raise ValidationError({"event": "this event is already deleted"})
    if not _event_actions(event, user.role, user_id).delete:
        raise PermissionDenied("only its contributor or an admin can delete an event")
    if not blank_to_none(reason):
        raise ValidationError({"reason": "say why it is deleted"})
    event.deleted_at = utcnow()
    session.add(event)
    session.flush()
    _record(session, event, RevisionAction.DELETE, user_id, reason)
    return list_events(session, ids=[event_id], include_deleted=True)[0]


def restore_event(
    session: Session,
    event_id: int,
    *,
    user_id: int,
    reason: str,
    revision_id: int | None = None,
) -> EventView:
    """Admin only: bring back a version of an event (default: the latest, undoing a delete)."""
    require_role(session, user_id, ADMINS, "restore events")
    event = _event_for_update(session, event_id)
    if revision_id is None:
        revision_id = latest_revision_id(session, EntityType.EVENT, event_id)
    revision = (
        get_revision(session, EntityType.EVENT, event_id, revision_id)
        if revision_id is not None
        else None
    )
    problems: dict[str, str] = {}
    if revision is None:
        problems["revision_id"] = "no such version of this event"
    if not blank_to_none(reason):
        problems["reason"] = "say why you restore it"
    if problems or revision is None:
        raise ValidationError(problems)
    try:
        data = event_input_from_snapshot(revision.snapshot)
    except PydanticValidationError:
        raise ValidationError({"revision_id": "that version cannot be read back"}) from None
    content_problems = event_problems(session, data)
    if content_problems:
        detail = "; ".join(f"{k}: {v}" for k, v in content_problems.items())
        raise ValidationError({"revision_id": f"that version breaks today's rules: {detail}"})
    _write_content(session, event, data)
    event.deleted_at = None
    session.add(event)
    session.flush()
    _record(
        session,
        event,
        RevisionAction.RESTORE,
        user_id,
        f"restored version #{revision.id}: {reason.strip()}",
    )
    return list_events(session, ids=[event_id])[0]


def get_event(
    session: Session, event_id: int, *, include_deleted: bool = False
) -> EventView | None:
    found = list_events(session, ids=[event_id], include_deleted=include_deleted)
    return found[0] if found else None


def event_by_external_key(session: Session, key: str) -> int | None:
    return session.exec(select(Event.id).where(Event.external_key == key)).first()


def list_events(
    session: Session,
    *,
    topic_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    ids: list[int] | None = None,
    include_deleted: bool = False,
) -> list[EventView]:
    """Events by start date. With a topic: its events plus events tagged with no topic."""
    query = select(Event).order_by(col(Event.starts_on), col(Event.id))
    if not include_deleted:
        query = query.where(col(Event.deleted_at).is_(None))
    if ids is not None:
        query = query.where(col(Event.id).in_(ids))
    if start is not None:
        query = query.where((col(Event.ends_on) >= start) | (col(Event.starts_on) >= start))
    if end is not None:
        query = query.where(col(Event.starts_on) <= end)
    events = list(session.exec(query).all())
    event_ids = [e.id for e in events if e.id is not None]
    actors: dict[int, list[Actor]] = defaultdict(list)
    topics: dict[int, list[int]] = defaultdict(list)
    if event_ids:
        for eid, actor in session.exec(
            select(EventActor.event_id, Actor)
            .join(Actor, col(Actor.id) == col(EventActor.actor_id))
            .where(col(EventActor.event_id).in_(event_ids))
            .order_by(col(Actor.code))
        ).all():
            actors[eid].append(actor)
        for eid, tid in session.exec(
            select(EventTopic.event_id, EventTopic.topic_id).where(
                col(EventTopic.event_id).in_(event_ids)
            )
        ).all():
            topics[eid].append(tid)
    if topic_id is not None:
        events = [e for e in events if not topics.get(e.id or 0) or topic_id in topics[e.id or 0]]
    sources = sources_by_owner(session, event_ids=event_ids)
    return [
        EventView(
            id=e.id or 0,
            title=e.title,
            description=e.description,
            starts_on=e.starts_on,
            ends_on=e.ends_on,
            date_precision=e.date_precision,
            category=e.category,
            actor_codes=[a.code for a in actors.get(e.id or 0, [])],
            topic_ids=sorted(topics.get(e.id or 0, [])),
            sources=sources.get(("event", e.id or 0), []),
            actor_ids=[a.id for a in actors.get(e.id or 0, []) if a.id is not None],
            actor_names=[a.name for a in actors.get(e.id or 0, [])],
            contributor_id=e.contributor_id,
            deleted_at=e.deleted_at,
        )
        for e in events
    ]
