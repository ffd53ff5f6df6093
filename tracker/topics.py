"""Topics and their stance scales."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from tracker.errors import ValidationError
from tracker.models import (
    EntityType,
    RevisionAction,
    StanceLevel,
    StanceLevelCreate,
    Topic,
    TopicCreate,
)
from tracker.revisions import record_revision, snapshot_of
from tracker.validation import blank_to_none

DEFAULT_LEVELS = (
    (
        -2,
        "Strongly opposes",
        "Use when the actor rejects the proposition outright or acts against it.",
    ),
    (
        -1,
        "Opposes",
        "Use when the actor voices reservations or criticism without outright rejection.",
    ),
    (0, "Neutral / ambiguous", "Use when the actor takes no side, calls for restraint, or hedges."),
    (1, "Supports", "Use when the actor endorses the proposition with conditions or caveats."),
    (2, "Strongly supports", "Use when the actor endorses the proposition without reservation."),
)


@dataclass(frozen=True)
class LevelView:
    value: int
    label: str
    rule: str


@dataclass(frozen=True)
class TopicView:
    id: int
    slug: str
    title: str
    proposition: str
    description: str | None
    levels: list[LevelView]

    def level(self, value: int) -> LevelView | None:
        return next((lv for lv in self.levels if lv.value == value), None)

    def label_of(self, value: int) -> str:
        level = self.level(value)
        return level.label if level else f"{value:+d}"


def _levels_by_topic(session: Session, topic_ids: list[int]) -> dict[int, list[LevelView]]:
    out: dict[int, list[LevelView]] = {tid: [] for tid in topic_ids}
    if not topic_ids:
        return out
    rows = session.exec(
        select(StanceLevel)
        .where(col(StanceLevel.topic_id).in_(topic_ids))
        .order_by(col(StanceLevel.topic_id), col(StanceLevel.value))
    ).all()
    for lv in rows:
        out[lv.topic_id].append(LevelView(lv.value, lv.label, lv.rule))
    return out


def _view(topic: Topic, levels: list[LevelView]) -> TopicView:
    assert topic.id is not None
    return TopicView(
        id=topic.id,
        slug=topic.slug,
        title=topic.title,
        proposition=topic.proposition,
        description=topic.description,
        levels=levels,
    )


def list_topics(session: Session) -> list[TopicView]:
    topics = session.exec(
        select(Topic).where(col(Topic.deleted_at).is_(None)).order_by(col(Topic.title))
    ).all()
    levels = _levels_by_topic(session, [t.id for t in topics if t.id is not None])
    return [_view(t, levels[t.id or 0]) for t in topics]


def get_topic(session: Session, topic_id: int) -> TopicView | None:
    topic = session.get(Topic, topic_id)
    if topic is None or topic.deleted_at is not None:
        return None
    return _view(topic, _levels_by_topic(session, [topic_id])[topic_id])


def get_topic_by_slug(session: Session, slug: str) -> TopicView | None:
    topic = session.exec(select(Topic).where(Topic.slug == slug)).first()
    if topic is None or topic.id is None or topic.deleted_at is not None:
        return None
    return _view(topic, _levels_by_topic(session, [topic.id])[topic.id])


def create_topic(session: Session, data: TopicCreate, *, user_id: int | None = None) -> TopicView:
    """Create a topic with its scale (the default -2..+2 scale when none is given)."""
    problems: dict[str, str] = {}
    slug = (blank_to_none(data.slug) or "").lower()
    if not slug or not all(ch.isalnum() or ch == "-" for ch in slug):
        problems["slug"] = "use lowercase letters, digits and hyphens"
    elif session.exec(select(Topic.id).where(Topic.slug == slug)).first() is not None:
        problems["slug"] = f"a topic with the slug {slug!r} exists already"
    if not blank_to_none(data.title):
        problems["title"] = "a title is required"
    if not blank_to_none(data.proposition):
        problems["proposition"] = "state the proposition positions are taken on"
    levels = data.levels or [
        StanceLevelCreate(value=v, label=label, rule=rule) for v, label, rule in DEFAULT_LEVELS
    ]
    values = [lv.value for lv in levels]
    if len(set(values)) != len(values):
        problems["levels"] = "each level needs its own value"
    elif len(values) < 2:
        problems["levels"] = "a scale needs at least two levels"
    elif any(not lv.label.strip() for lv in levels):
        problems["levels"] = "every level needs a label"
    if problems:
        raise ValidationError(problems)

    topic = Topic(
        slug=slug,
        title=data.title.strip(),
        proposition=data.proposition.strip(),
        description=blank_to_none(data.description),
    )
    session.add(topic)
    session.flush()
    assert topic.id is not None
    for lv in levels:
        session.add(
            StanceLevel(topic_id=topic.id, value=lv.value, label=lv.label.strip(), rule=lv.rule)
        )
    session.flush()
    view = get_topic(session, topic.id)
    assert view is not None
    record_revision(
        session,
        entity_type=EntityType.TOPIC,
        entity_id=topic.id,
        action=RevisionAction.CREATE,
        snapshot=snapshot_of(topic, levels=[lv.__dict__ for lv in view.levels]),
        user_id=user_id,
    )
    return view
