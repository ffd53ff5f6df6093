"""Topics and their stance scales."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.errors import ValidationError
from tracker.models import (
    EntityType,
    RevisionAction,
    StanceLevel,
    StanceLevelCreate,
    Statement,
    Topic,
    TopicCreate,
)
from tracker.permissions import ADMINS, require_admin_or_system, require_role
from tracker.revisions import record_revision, snapshot_of
from tracker.timeutil import utcnow
from tracker.validation import blank_to_none, check_length

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


_CACHE_KEY = "tracker.topics"


def _cache(session: Session) -> dict[int, TopicView | None]:
    cache: dict[int, TopicView | None] = session.info.setdefault(_CACHE_KEY, {})
    return cache


def forget_topics(session: Session) -> None:
    """Drop this session's remembered topics; every write to a topic or its scale calls it."""
    session.info.pop(_CACHE_KEY, None)


def get_topic(session: Session, topic_id: int) -> TopicView | None:
    """A topic with its scale, remembered for the session.

    Validation asks for the topic of every statement it checks; a 100,000-row import would
    otherwise spend half its time re-reading the same few scales.
    """
    cache = _cache(session)
    if topic_id not in cache:
        topic = session.get(Topic, topic_id)
        if topic is None or topic.deleted_at is not None:
            cache[topic_id] = None
        else:
            cache[topic_id] = _view(topic, _levels_by_topic(session, [topic_id])[topic_id])
    return cache[topic_id]


def get_topic_by_slug(session: Session, slug: str) -> TopicView | None:
    topic = session.exec(select(Topic).where(Topic.slug == slug)).first()
    if topic is None or topic.id is None or topic.deleted_at is not None:
        return None
    return _view(topic, _levels_by_topic(session, [topic.id])[topic.id])


def _level_problems(levels: list[StanceLevelCreate]) -> str | None:
    values = [lv.value for lv in levels]
    if len(set(values)) != len(values):
        return "each level needs its own value"
    if len(values) < 2:
        return "a scale needs at least two levels"
    if any(not -5 <= v <= 5 for v in values):
        return "levels go from -5 to +5"
    if any(not lv.label.strip() for lv in levels):
        return "every level needs a label"
    if any(len(lv.label.strip()) > 80 for lv in levels):
        return "a label has at most 80 characters"
    if any(len(lv.rule) > 1000 for lv in levels):
        return "a coding rule has at most 1,000 characters"
    return None


def _text_problems(title: str | None, proposition: str | None, problems: dict[str, str]) -> None:
    if not blank_to_none(title):
        problems["title"] = "a title is required"
    elif check_length(title.strip() if title else None, 200):
        problems["title"] = "at most 200 characters"
    if not blank_to_none(proposition):
        problems["proposition"] = "state the proposition positions are taken on"
    elif check_length(proposition.strip() if proposition else None, 500):
        problems["proposition"] = "at most 500 characters"


def _topic_snapshot(session: Session, topic: Topic) -> dict[str, object]:
    assert topic.id is not None
    levels = _levels_by_topic(session, [topic.id])[topic.id]
    return snapshot_of(topic, levels=[lv.__dict__ for lv in levels])


def create_topic(session: Session, data: TopicCreate, *, user_id: int | None = None) -> TopicView:
    """Create a topic with its scale (the default -2..+2 scale when none is given).

    Admins only (``user_id=None`` is the system: the demo loader, the CLI).
    """
    require_admin_or_system(session, user_id, "add topics")
    problems: dict[str, str] = {}
    slug = (blank_to_none(data.slug) or "").lower()
    if not slug or not all(ch.isalnum() or ch == "-" for ch in slug) or len(slug) > 80:
        problems["slug"] = "use lowercase letters, digits and hyphens (at most 80)"
    elif session.exec(select(Topic.id).where(Topic.slug == slug)).first() is not None:
        problems["slug"] = f"a topic with the slug {slug!r} exists already"
    _text_problems(data.title, data.proposition, problems)
    levels = data.levels or [
        StanceLevelCreate(value=v, label=label, rule=rule) for v, label, rule in DEFAULT_LEVELS
    ]
    level_problem = _level_problems(levels)
    if level_problem:
        problems["levels"] = level_problem
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
            StanceLevel(
                topic_id=topic.id, value=lv.value, label=lv.label.strip(), rule=lv.rule.strip()
            )
        )
    session.flush()
    forget_topics(session)
    view = get_topic(session, topic.id)
    assert view is not None
    record_revision(
        session,
        entity_type=EntityType.TOPIC,
        entity_id=topic.id,
        action=RevisionAction.CREATE,
        snapshot=_topic_snapshot(session, topic),
        user_id=user_id,
    )
    return view


def level_usage(session: Session, topic_id: int) -> dict[int, int]:
    """How many statements (deleted ones too: they can be restored) use each level."""
    rows = session.exec(
        select(Statement.stance, func.count())
        .where(Statement.topic_id == topic_id)
        .group_by(col(Statement.stance))
    ).all()
    return {stance: int(count) for stance, count in rows}


def update_topic(
    session: Session,
    topic_id: int,
    *,
    title: str,
    proposition: str,
    description: str | None,
    levels: list[StanceLevelCreate],
    user_id: int,
    reason: str | None = None,
) -> TopicView:
    """Admins change a topic's texts and its scale: labels and rules freely, levels added,
    and levels removed only when no statement uses them. The slug, used in links, stays."""
    require_role(session, user_id, ADMINS, "edit topics")
    topic = session.get(Topic, topic_id, with_for_update=True, populate_existing=True)
    if topic is None or topic.deleted_at is not None:
        raise ValidationError({"topic": f"there is no topic #{topic_id}"})
    problems: dict[str, str] = {}
    _text_problems(title, proposition, problems)
    level_problem = _level_problems(levels)
    if level_problem:
        problems["levels"] = level_problem
    else:
        kept = {lv.value for lv in levels}
        in_use = {v: n for v, n in level_usage(session, topic_id).items() if v not in kept}
        if in_use:
            problems["levels"] = "; ".join(
                f"level {v:+d} is used by {n} statement{'s' if n != 1 else ''} and cannot be "
                "removed"
                for v, n in sorted(in_use.items())
            )
    if check_length(blank_to_none(reason), 2000):
        problems["reason"] = "at most 2,000 characters"
    if problems:
        raise ValidationError(problems)
    topic.title = title.strip()
    topic.proposition = proposition.strip()
    topic.description = blank_to_none(description)
    topic.updated_at = utcnow()
    session.add(topic)
    existing = {
        lv.value: lv
        for lv in session.exec(select(StanceLevel).where(StanceLevel.topic_id == topic_id)).all()
    }
    wanted = {lv.value: lv for lv in levels}
    for value, row in existing.items():
        if value not in wanted:
            session.delete(row)
    for value, lv in wanted.items():
        row = existing.get(value) or StanceLevel(topic_id=topic_id, value=value, label="", rule="")
        row.label = lv.label.strip()
        row.rule = lv.rule.strip()
        session.add(row)
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.TOPIC,
        entity_id=topic_id,
        action=RevisionAction.EDIT,
        snapshot=_topic_snapshot(session, topic),
        user_id=user_id,
        reason=blank_to_none(reason),
    )
    forget_topics(session)
    view = get_topic(session, topic_id)
    assert view is not None
    return view


def levels_text(levels: list[LevelView]) -> str:
    """A scale as editable text: one ``value | label | coding rule`` line per level."""
    return "\n".join(f"{lv.value:+d} | {lv.label} | {lv.rule}" for lv in levels)


def parse_levels_text(text: str) -> list[StanceLevelCreate]:
    """Read :func:`levels_text`'s format back; ValidationError({"levels": …}) if malformed."""
    levels = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|", 2)]
        if len(parts) < 2:
            raise ValidationError({"levels": f"line {number}: write value | label | coding rule"})
        try:
            value = int(parts[0])
        except ValueError:
            raise ValidationError(
                {"levels": f"line {number}: {parts[0]!r} is not a whole number such as +1 or -2"}
            ) from None
        try:
            levels.append(
                StanceLevelCreate(
                    value=value, label=parts[1], rule=parts[2] if len(parts) > 2 else ""
                )
            )
        except PydanticValidationError:
            raise ValidationError(
                {"levels": f"line {number}: values go from -5 to +5, labels up to 80 characters"}
            ) from None
    return sorted(levels, key=lambda lv: lv.value)
