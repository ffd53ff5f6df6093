"""Events: what happened (strikes, visits, votes), as moments or eras."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from tracker.errors import ValidationError
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
    Topic,
)
from tracker.revisions import record_revision, snapshot_of
from tracker.sources import SourceView, clean_source, source_problems, sources_by_owner
from tracker.timeutil import utcnow
from tracker.validation import blank_to_none, check_date, check_length

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
    problems = event_problems(session, data, today=today)
    if problems:
        raise ValidationError(problems)
    event = Event(
        title=data.title.strip(),
        description=blank_to_none(data.description),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        date_precision=data.date_precision,
        category=data.category,
        contributor_id=user_id,
        external_key=external_key,
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    for actor_id in dict.fromkeys(data.actor_ids):
        session.add(EventActor(event_id=event.id, actor_id=actor_id))
    for topic_id in dict.fromkeys(data.topic_ids):
        session.add(EventTopic(event_id=event.id, topic_id=topic_id))
    sources = [clean_source(s) for s in data.sources]
    for source in sources:
        session.add(Source(event_id=event.id, **source.model_dump()))
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.EVENT,
        entity_id=event.id,
        action=RevisionAction.CREATE,
        snapshot=snapshot_of(
            event,
            actor_ids=list(data.actor_ids),
            topic_ids=list(data.topic_ids),
            sources=[s.model_dump(mode="json") for s in sources],
        ),
        user_id=user_id,
    )
    found = list_events(session, ids=[event.id])
    return found[0]


def event_by_external_key(session: Session, key: str) -> int | None:
    return session.exec(select(Event.id).where(Event.external_key == key)).first()


def list_events(
    session: Session,
    *,
    topic_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    ids: list[int] | None = None,
) -> list[EventView]:
    """Events by start date. With a topic: its events plus events tagged with no topic."""
    query = select(Event).where(col(Event.deleted_at).is_(None)).order_by(col(Event.starts_on))
    if ids is not None:
        query = query.where(col(Event.id).in_(ids))
    if start is not None:
        query = query.where((col(Event.ends_on) >= start) | (col(Event.starts_on) >= start))
    if end is not None:
        query = query.where(col(Event.starts_on) <= end)
    events = list(session.exec(query).all())
    event_ids = [e.id for e in events if e.id is not None]
    actors: dict[int, list[str]] = defaultdict(list)
    topics: dict[int, list[int]] = defaultdict(list)
    if event_ids:
        for eid, code in session.exec(
            select(EventActor.event_id, Actor.code)
            .join(Actor, col(Actor.id) == col(EventActor.actor_id))
            .where(col(EventActor.event_id).in_(event_ids))
            .order_by(col(Actor.code))
        ).all():
            actors[eid].append(code)
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
            actor_codes=actors.get(e.id or 0, []),
            topic_ids=sorted(topics.get(e.id or 0, [])),
            sources=sources.get(("event", e.id or 0), []),
        )
        for e in events
    ]
