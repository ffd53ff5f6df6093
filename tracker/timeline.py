"""The rows a topic's timeline draws: one lean query, one row per statement."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from tracker.models import Actor, Source, Speaker, StanceLevel, Statement

DEFAULT_STATUSES: tuple[str, ...] = ("verified", "pending")
EXCERPT_CHARS = 120


@dataclass(frozen=True)
class TimelineRow:
    statement_id: int
    actor_code: str
    actor_name: str
    said_on: date
    stance: int
    stance_label: str
    status: str
    speaker: str | None
    speaker_role: str | None
    excerpt: str
    source_site: str | None
    date_precision: str = "day"


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The first ``limit`` characters of ``text`` on one line, cut at a word with an ellipsis."""
    if not text:
        return ""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def site_of(url: str | None) -> str | None:
    """The host of an http(s) URL without ``www.``; None for anything else."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    return host[4:] if host.startswith("www.") else host


def timeline_rows(
    session: Session,
    topic_id: int,
    *,
    actor_ids: Collection[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    statuses: Collection[str] = DEFAULT_STATUSES,
) -> list[TimelineRow]:
    """Statements on ``topic_id`` (not soft-deleted), by actor name then date.

    ``actor_ids`` limits the actors (None: all, empty: none); ``start`` and ``end`` bound the
    date said, both inclusive.
    """
    if actor_ids is not None and not actor_ids:
        return []
    if not statuses:
        return []
    first_source = (
        select(col(Source.statement_id), func.min(col(Source.id)).label("source_id"))
        .where(col(Source.statement_id).is_not(None))
        .group_by(col(Source.statement_id))
        .subquery("first_source")
    )
    query = (
        select(
            col(Statement.id),
            col(Actor.code),
            col(Actor.name),
            col(Statement.said_on),
            col(Statement.date_precision),
            col(Statement.stance),
            col(StanceLevel.label),
            col(Statement.status),
            col(Speaker.name),
            col(Statement.speaker_role),
            # Only the start of the quote travels: the card fetches the whole statement.
            func.substr(col(Statement.quote), 1, EXCERPT_CHARS * 2),
            col(Statement.summary),
            col(Source.url),
            col(Source.publisher),
        )
        .join(Actor, col(Actor.id) == col(Statement.actor_id))
        .outerjoin(Speaker, col(Speaker.id) == col(Statement.speaker_id))
        .outerjoin(
            StanceLevel,
            and_(
                col(StanceLevel.topic_id) == col(Statement.topic_id),
                col(StanceLevel.value) == col(Statement.stance),
            ),
        )
        .outerjoin(first_source, first_source.c.statement_id == col(Statement.id))
        .outerjoin(Source, col(Source.id) == first_source.c.source_id)
        .where(
            col(Statement.topic_id) == topic_id,
            col(Statement.deleted_at).is_(None),
            col(Statement.status).in_(list(statuses)),
        )
        .order_by(col(Actor.name), col(Statement.said_on), col(Statement.id))
    )
    if actor_ids is not None:
        query = query.where(col(Statement.actor_id).in_(list(actor_ids)))
    if start is not None:
        query = query.where(col(Statement.said_on) >= start)
    if end is not None:
        query = query.where(col(Statement.said_on) <= end)

    rows: list[TimelineRow] = []
    for (
        statement_id,
        code,
        name,
        said_on,
        precision,
        stance,
        label,
        status,
        speaker,
        role,
        quote_start,
        summary,
        url,
        publisher,
    ) in session.execute(query):
        rows.append(
            TimelineRow(
                statement_id=statement_id,
                actor_code=code,
                actor_name=name,
                said_on=said_on,
                stance=stance,
                stance_label=label if label is not None else f"{stance:+d}",
                status=status,
                speaker=speaker,
                speaker_role=role,
                excerpt=excerpt(quote_start) or excerpt(summary),
                source_site=site_of(url) or publisher,
                date_precision=precision,
            )
        )
    return rows


def statement_counts(
    session: Session, statuses: Collection[str] = DEFAULT_STATUSES
) -> dict[int, int]:
    """How many statements (not soft-deleted) each topic has: the busiest opens first."""
    query = (
        select(col(Statement.topic_id), func.count())
        .where(col(Statement.deleted_at).is_(None), col(Statement.status).in_(list(statuses)))
        .group_by(col(Statement.topic_id))
    )
    return {topic_id: int(count) for topic_id, count in session.execute(query)}
