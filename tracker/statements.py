"""Statements: dated, sourced positions an actor stated on a topic."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from tracker.errors import ValidationError
from tracker.models import (
    Actor,
    Channel,
    DatePrecision,
    EntityType,
    NewsItem,
    RevisionAction,
    Source,
    Speaker,
    StanceLevel,
    Statement,
    StatementCreate,
    StatementNewsItem,
    StatementStatus,
    Topic,
    User,
)
from tracker.revisions import record_revision, snapshot_of
from tracker.sources import SourceView, clean_source, source_problems, sources_by_owner
from tracker.timeutil import utcnow
from tracker.topics import get_topic
from tracker.validation import blank_to_none, check_date, check_language, check_length

QUOTE_LIMIT = 20_000
SUMMARY_LIMIT = 500
ROLE_LIMIT = 200


@dataclass(frozen=True)
class StatementView:
    id: int
    topic_id: int
    topic_title: str
    actor_id: int
    actor_code: str
    actor_name: str
    speaker_name: str | None
    speaker_role: str | None
    target_code: str | None
    said_on: date
    date_precision: str
    quote: str | None
    language: str | None
    translation: str | None
    summary: str | None
    stance: int
    stance_label: str
    channel: str
    status: str
    contributor: str | None
    reviewer: str | None
    review_note: str | None
    created_at: datetime
    sources: list[SourceView] = field(default_factory=list)
    news_item_ids: list[int] = field(default_factory=list)


def statement_problems(
    session: Session, data: StatementCreate, *, today: date | None = None
) -> dict[str, str]:
    """Every problem with ``data``, keyed by field; empty when it can be stored."""
    today = today or utcnow().date()
    problems: dict[str, str] = {}
    topic = get_topic(session, data.topic_id) if data.topic_id else None
    if topic is None:
        problems["topic_id"] = "choose a topic"
    elif topic.level(data.stance) is None:
        allowed = ", ".join(f"{lv.value:+d} {lv.label}" for lv in topic.levels)
        problems["stance"] = f"{data.stance} is not on this topic's scale ({allowed})"
    if session.get(Actor, data.actor_id) is None:
        problems["actor_id"] = "choose a country or bloc"
    if data.target_actor_id is not None and session.get(Actor, data.target_actor_id) is None:
        problems["target_actor_id"] = "unknown target"
    if data.speaker_id is not None:
        speaker = session.get(Speaker, data.speaker_id)
        if speaker is None:
            problems["speaker_id"] = "unknown speaker"
        elif speaker.actor_id != data.actor_id:
            problems["speaker_id"] = "this speaker speaks for another country or bloc"
    date_problem = check_date(data.said_on, today=today, field_label="date said")
    if date_problem:
        problems["said_on"] = date_problem
    if data.date_precision not in set(DatePrecision):
        problems["date_precision"] = "choose day, month or year"
    if data.channel not in set(Channel):
        problems["channel"] = "choose a channel from the list"
    quote, summary = blank_to_none(data.quote), blank_to_none(data.summary)
    if quote is None and summary is None:
        problems["quote"] = "give the quote, or a one-line summary when there is no quote"
    for name, value, limit in (
        ("quote", quote, QUOTE_LIMIT),
        ("translation", data.translation, QUOTE_LIMIT),
        ("summary", summary, SUMMARY_LIMIT),
        ("speaker_role", data.speaker_role, ROLE_LIMIT),
    ):
        problem = check_length(value, limit)
        if problem:
            problems[name] = problem
    language_problem = check_language(data.language)
    if language_problem:
        problems["language"] = language_problem
    if quote is not None and not blank_to_none(data.language):
        problems["language"] = "say which language the quote is in"
    if not data.sources:
        problems["sources"] = "add at least one source"
    for i, source in enumerate(data.sources):
        problems.update(source_problems(clean_source(source), today=today, prefix=f"sources.{i}"))
    if data.news_item_ids:
        found = session.exec(
            select(NewsItem.id).where(col(NewsItem.id).in_(data.news_item_ids))
        ).all()
        if len(set(found)) != len(set(data.news_item_ids)):
            problems["news_item_ids"] = "a linked news item does not exist"
    return problems


def create_statement(
    session: Session,
    data: StatementCreate,
    *,
    user_id: int | None = None,
    status: str = StatementStatus.PENDING,
    external_key: str | None = None,
    today: date | None = None,
) -> StatementView:
    """Validate and store a statement with its sources; nothing is stored if anything is wrong.

    Flushes; the caller commits.
    """
    problems = statement_problems(session, data, today=today)
    if problems:
        raise ValidationError(problems)
    statement = Statement(
        topic_id=data.topic_id,
        actor_id=data.actor_id,
        speaker_id=data.speaker_id,
        speaker_role=blank_to_none(data.speaker_role),
        target_actor_id=data.target_actor_id,
        said_on=data.said_on,
        date_precision=data.date_precision,
        quote=blank_to_none(data.quote),
        language=(blank_to_none(data.language) or "").lower() or None,
        translation=blank_to_none(data.translation),
        summary=blank_to_none(data.summary),
        stance=data.stance,
        channel=data.channel,
        status=status,
        contributor_id=user_id,
        external_key=external_key,
    )
    session.add(statement)
    session.flush()
    assert statement.id is not None
    sources = [clean_source(s) for s in data.sources]
    for source in sources:
        session.add(Source(statement_id=statement.id, **source.model_dump()))
    for news_id in dict.fromkeys(data.news_item_ids):
        session.add(StatementNewsItem(statement_id=statement.id, news_item_id=news_id))
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.STATEMENT,
        entity_id=statement.id,
        action=RevisionAction.CREATE,
        snapshot=snapshot_of(
            statement,
            sources=[s.model_dump(mode="json") for s in sources],
            news_item_ids=list(data.news_item_ids),
        ),
        user_id=user_id,
    )
    view = get_statement(session, statement.id)
    assert view is not None
    return view


def statement_by_external_key(session: Session, key: str) -> int | None:
    return session.exec(select(Statement.id).where(Statement.external_key == key)).first()


def list_statements(
    session: Session,
    *,
    topic_id: int | None = None,
    statuses: Collection[str] | None = None,
    actor_ids: Collection[int] | None = None,
    ids: Collection[int] | None = None,
    limit: int | None = None,
    oldest_first: bool = False,
) -> list[StatementView]:
    """Statements with everything a card shows, in a fixed number of queries."""
    target = aliased(Actor)
    contributor = aliased(User)
    reviewer = aliased(User)
    # SQLModel's select() is typed for at most four entities; this wide one uses SQLAlchemy's.
    query = (
        sa_select(
            Statement,
            col(Topic.title),
            col(Actor.code),
            col(Actor.name),
            col(Speaker.name),
            col(target.code),
            col(StanceLevel.label),
            col(contributor.username),
            col(reviewer.username),
        )
        .join(Topic, col(Topic.id) == col(Statement.topic_id))
        .join(Actor, col(Actor.id) == col(Statement.actor_id))
        .join(Speaker, col(Speaker.id) == col(Statement.speaker_id), isouter=True)
        .join(target, col(target.id) == col(Statement.target_actor_id), isouter=True)
        .join(
            StanceLevel,
            and_(
                col(StanceLevel.topic_id) == col(Statement.topic_id),
                col(StanceLevel.value) == col(Statement.stance),
            ),
            isouter=True,
        )
        .join(contributor, col(contributor.id) == col(Statement.contributor_id), isouter=True)
        .join(reviewer, col(reviewer.id) == col(Statement.reviewer_id), isouter=True)
        .where(col(Statement.deleted_at).is_(None))
    )
    if topic_id is not None:
        query = query.where(col(Statement.topic_id) == topic_id)
    if statuses is not None:
        query = query.where(col(Statement.status).in_(list(statuses)))
    if actor_ids is not None:
        query = query.where(col(Statement.actor_id).in_(list(actor_ids)))
    if ids is not None:
        query = query.where(col(Statement.id).in_(list(ids)))
    if oldest_first:
        query = query.order_by(col(Statement.created_at), col(Statement.id))
    else:
        query = query.order_by(col(Statement.said_on).desc(), col(Statement.id).desc())
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()

    statement_ids = [row[0].id for row in rows if row[0].id is not None]
    sources = sources_by_owner(session, statement_ids=statement_ids)
    news: dict[int, list[int]] = defaultdict(list)
    if statement_ids:
        for sid, nid in session.exec(
            select(StatementNewsItem.statement_id, StatementNewsItem.news_item_id)
            .where(col(StatementNewsItem.statement_id).in_(statement_ids))
            .order_by(col(StatementNewsItem.news_item_id))
        ).all():
            news[sid].append(nid)

    views = []
    for st, topic_title, code, name, speaker, target_code, label, contrib, review in rows:
        assert st.id is not None
        views.append(
            StatementView(
                id=st.id,
                topic_id=st.topic_id,
                topic_title=topic_title,
                actor_id=st.actor_id,
                actor_code=code,
                actor_name=name,
                speaker_name=speaker,
                speaker_role=st.speaker_role,
                target_code=target_code,
                said_on=st.said_on,
                date_precision=st.date_precision,
                quote=st.quote,
                language=st.language,
                translation=st.translation,
                summary=st.summary,
                stance=st.stance,
                stance_label=label or f"{st.stance:+d}",
                channel=st.channel,
                status=st.status,
                contributor=contrib,
                reviewer=review,
                review_note=st.review_note,
                created_at=st.created_at,
                sources=sources.get(("statement", st.id), []),
                news_item_ids=news.get(st.id, []),
            )
        )
    return views


def get_statement(session: Session, statement_id: int) -> StatementView | None:
    found = list_statements(session, ids=[statement_id])
    return found[0] if found else None
