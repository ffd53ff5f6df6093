"""Near-duplicates: statements by the same actor, close in time, with similar words.

Shown before a statement is saved, so a contributor does not file what someone filed already
from another outlet's copy of the same story. Dates are compared as periods: a statement known
only to the month covers the whole month.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlmodel import Session, col, select

from tracker.models import DatePrecision, Statement, StatementCreate, Topic
from tracker.validation import blank_to_none

WINDOW_DAYS = 3
THRESHOLD = 80
MIN_TOKENS_FOR_SET_MATCH = 3


@dataclass(frozen=True)
class DuplicateView:
    id: int
    topic_title: str
    said_on: date
    date_precision: str
    status: str
    text: str
    score: int


def period(day: date, precision: str) -> tuple[date, date]:
    """The first and last day a date stands for, given how precisely it is known."""
    if precision == DatePrecision.YEAR:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if precision == DatePrecision.MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return date(day.year, day.month, 1), date(day.year, day.month, last)
    return day, day


def similarity(a: str | None, b: str | None) -> int:
    """0–100: how alike two texts are, ignoring case, punctuation and word order.

    One text's words all within the other's counts as alike (a summary of a quote), but only
    when the shorter has a few words: one word in common proves nothing.
    """
    left, right = default_process(a or ""), default_process(b or "")
    if not left or not right:
        return 0
    shorter = min(len(left.split()), len(right.split()))
    if shorter >= MIN_TOKENS_FOR_SET_MATCH:
        return round(fuzz.token_set_ratio(left, right))
    return round(fuzz.token_sort_ratio(left, right))


def near_duplicates(
    session: Session,
    data: StatementCreate,
    *,
    exclude_id: int | None = None,
    days: int = WINDOW_DAYS,
    threshold: int = THRESHOLD,
    limit: int = 5,
) -> list[DuplicateView]:
    """Statements (not deleted) by ``data``'s actor whose date is within ``days`` of it and
    whose quote or summary is similar to its quote or summary; most similar first."""
    if not data.actor_id or data.said_on is None:
        return []
    start, end = period(data.said_on, data.date_precision)
    start, end = start - timedelta(days=days), end + timedelta(days=days)
    texts = [t for t in (blank_to_none(data.quote), blank_to_none(data.summary)) if t]
    if not texts:
        return []
    # A year-precision statement may sit on 1 January: look a year either side, then compare
    # the periods exactly.
    rows = session.exec(
        select(Statement, Topic.title)
        .join(Topic, col(Topic.id) == col(Statement.topic_id))
        .where(
            Statement.actor_id == data.actor_id,
            col(Statement.deleted_at).is_(None),
            col(Statement.said_on) >= date(start.year - 1, 1, 1),
            col(Statement.said_on) <= end,
        )
    ).all()
    found: list[DuplicateView] = []
    for statement, topic_title in rows:
        if statement.id is None or statement.id == exclude_id:
            continue
        first, last = period(statement.said_on, statement.date_precision)
        if last < start or first > end:
            continue
        theirs = [t for t in (statement.quote, statement.summary) if t]
        score = max(similarity(mine, other) for mine in texts for other in theirs)
        if score >= threshold:
            found.append(
                DuplicateView(
                    id=statement.id,
                    topic_title=topic_title,
                    said_on=statement.said_on,
                    date_precision=statement.date_precision,
                    status=statement.status,
                    text=statement.quote or statement.summary or "",
                    score=score,
                )
            )
    found.sort(key=lambda d: (-d.score, d.id))
    return found[:limit]
