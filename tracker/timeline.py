"""What a topic's timeline draws: filtered statements, one row each or grouped per period.

A filter (:class:`TimelineFilter`) names the topic, the actors, the dates, the statuses, the
channels, the speakers and the words to look for. :func:`load_timeline` answers it in a fixed
number of queries: one row per statement while there are few enough to draw one by one
(:data:`MAX_POINTS`), else one :class:`Bucket` per actor, period and status, aggregated by the
database, so that 100,000 statements never travel to the browser as 100,000 points. The full
statement is fetched only when a point is clicked (``tracker.statements.get_statement``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from tracker.feeds.sanitize import html_to_text
from tracker.models import (
    Actor,
    BlocMembership,
    DatePrecision,
    NewsItem,
    Source,
    Speaker,
    StanceLevel,
    Statement,
    StatementStatus,
)

DEFAULT_STATUSES: tuple[str, ...] = ("verified", "pending")
ALL_STATUSES: tuple[str, ...] = tuple(s.value for s in StatementStatus)
# Statuses that count as a position the actor holds: rejected codings and retracted
# statements are drawn when asked for, but never shape the held stance, lines or averages.
HELD_STATUSES: tuple[str, ...] = ("verified", "pending")
EXCERPT_CHARS = 120
MAX_POINTS = 2_500  # above this many statements, points are grouped per period
PERIODS_PER_LANE = 120  # the finest grouping that keeps a lane under this many points…
MAX_GROUP_CELLS = 1_200  # …and the whole chart under this many lane-periods (each up to 2 points)
MAX_WORDS = 8

Period = Literal["day", "week", "month", "quarter", "half", "year"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "quarter", "half", "year")
LaneOrder = Literal["name", "latest", "count"]
LANE_ORDERS: tuple[LaneOrder, ...] = ("name", "latest", "count")
EPOCH = date(1900, 1, 1)  # a Monday, and no statement is older (validation refuses them)


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
    channel: str = "other"
    actor_id: int = 0
    # Filled only with ``full_text=True`` (downloads): the card fetches its own statement.
    quote: str | None = None
    translation: str | None = None
    summary: str | None = None
    language: str | None = None
    source_url: str | None = None
    source_citation: str | None = None


@dataclass(frozen=True)
class TimelineFilter:
    """Which statements a timeline shows. ``actor_ids`` None means all, empty means none;
    empty ``channels`` or ``speaker_ids`` mean all; ``words`` must all appear (in any case) in
    the quote, its translation or the summary; empty ``precisions`` mean dates of any
    precision."""

    topic_id: int
    actor_ids: frozenset[int] | None = None
    start: date | None = None
    end: date | None = None
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    channels: tuple[str, ...] = ()
    speaker_ids: tuple[int, ...] = ()
    words: str = ""
    precisions: tuple[str, ...] = ()

    def held(self) -> TimelineFilter:
        """The same filter keeping only statuses that count as a held position."""
        return replace(self, statuses=tuple(s for s in self.statuses if s in HELD_STATUSES))

    @property
    def matches_nothing(self) -> bool:
        return (self.actor_ids is not None and not self.actor_ids) or not self.statuses


@dataclass(frozen=True)
class Lane:
    actor_id: int
    code: str
    name: str
    count: int
    latest_stance: int | None = None
    latest_on: date | None = None


@dataclass(frozen=True, slots=True)
class Bucket:
    """Statements of one actor in one period with one status, drawn as one point."""

    actor_id: int
    actor_code: str
    actor_name: str
    period: Period
    start: date
    end: date
    status: str
    count: int
    mean_stance: float
    last_on: date
    sample_id: int  # the statement a click on this point opens (the newest one)

    @property
    def middle(self) -> date:
        return self.start + (self.end - self.start) / 2


@dataclass(frozen=True)
class TimelineData:
    """A timeline ready to draw: per-statement ``rows`` or, when there are too many, grouped
    ``buckets`` (then ``period`` says how wide a group is)."""

    total: int
    first: date | None
    last: date | None
    lanes: list[Lane]
    rows: list[TimelineRow] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    period: Period | None = None

    @property
    def grouped(self) -> bool:
        return self.period is not None


@dataclass(frozen=True)
class NewsLink:
    id: int
    title: str
    url: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class SpeakerOption:
    id: int
    name: str
    actor_code: str


# --- text helpers --------------------------------------------------------------------------


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


def word_terms(words: str) -> list[str]:
    """The words a search asks for: split on spaces, at most :data:`MAX_WORDS`.

    NUL splits words too: no stored text holds one, SQLite's LIKE ends the pattern there and
    PostgreSQL refuses it as a parameter (a ``?words=%00`` link would fail the page).
    """
    return [w for w in words.replace("\x00", " ").split() if w][:MAX_WORDS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- periods -------------------------------------------------------------------------------


class _PeriodIndex(FunctionElement[int]):
    """The number of the period (day, week, month, quarter, half-year, year) a DATE falls in,
    counted from :data:`EPOCH`; compiled per engine so that grouping happens in the database.

    One subclass per period, so the period is part of SQLAlchemy's statement cache key.
    """

    type = Integer()
    inherit_cache = True
    name = "period_index"
    period: Period = "day"


_PERIOD_INDEX: dict[str, type[_PeriodIndex]] = {
    p: type(f"_{p.title()}Index", (_PeriodIndex,), {"period": p, "inherit_cache": True})
    for p in PERIODS
}


_DIVISORS = {
    "day": "",
    "week": " / 7",
    "month": "",
    "quarter": " / 3",
    "half": " / 6",
    "year": " / 12",
}
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}


def _period_sql(day_sql: str, month_sql: str, period: str) -> str:
    base = day_sql if period in ("day", "week") else month_sql
    return f"(({base}){_DIVISORS[period]})"


@compiles(_PeriodIndex)
def _period_index_default(element: _PeriodIndex, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(next(iter(element.clauses)), **kw)
    day = f"({arg} - DATE '{EPOCH.isoformat()}')"
    month = (
        f"CAST(EXTRACT(YEAR FROM {arg}) AS INTEGER) * 12 "
        f"+ CAST(EXTRACT(MONTH FROM {arg}) AS INTEGER) - {EPOCH.year * 12 + 1}"
    )
    return _period_sql(day, month, element.period)


@compiles(_PeriodIndex, "sqlite")
def _period_index_sqlite(element: _PeriodIndex, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(next(iter(element.clauses)), **kw)
    # Dates are stored as YYYY-MM-DD text; julianday() of a midnight date ends in .5.
    day = f"CAST(julianday({arg}) - julianday('{EPOCH.isoformat()}') AS INTEGER)"
    month = (
        f"CAST(substr({arg}, 1, 4) AS INTEGER) * 12 "
        f"+ CAST(substr({arg}, 6, 2) AS INTEGER) - {EPOCH.year * 12 + 1}"
    )
    return _period_sql(day, month, element.period)


@lru_cache(maxsize=4096)
def period_bounds(period: Period, index: int) -> tuple[date, date]:
    """First and last day of period number ``index`` (as :class:`_PeriodIndex` counts)."""
    if period == "day":
        day = EPOCH + timedelta(days=index)
        return day, day
    if period == "week":
        first = EPOCH + timedelta(days=7 * index)
        return first, first + timedelta(days=6)
    months = _MONTHS[period]
    start_month = EPOCH.year * 12 + index * months
    first = date(start_month // 12, start_month % 12 + 1, 1)
    after = start_month + months
    return first, date(after // 12, after % 12 + 1, 1) - timedelta(days=1)


def period_index(period: Period, day: date) -> int:
    """The Python twin of :class:`_PeriodIndex`."""
    if period in ("day", "week"):
        days = (day - EPOCH).days
        return days if period == "day" else days // 7
    months = (day.year - EPOCH.year) * 12 + day.month - 1
    return months // _MONTHS[period]


# The finest period a date of each precision can be placed in.
_PRECISION_PERIOD: dict[str, Period] = {"day": "day", "month": "month", "year": "year"}


def group_period(period: Period, precision: str) -> Period:
    """The period a statement is grouped in when the chart groups per ``period``: that one, or
    its date's own when coarser. A statement dated only to 2025 is not in Q1 2025; it makes a
    group of its own for the year (drawn across it), as the per-statement chart draws it."""
    own = _PRECISION_PERIOD.get(precision, "day")
    return own if PERIODS.index(own) > PERIODS.index(period) else period


def group_bounds(
    period: Period, said_on: date, precision: str
) -> tuple[date, date, tuple[str, ...]]:
    """First and last day of the group a statement is in, and the date precisions grouped
    there (so a query for the group's statements finds that group only)."""
    own = group_period(period, precision)
    first, last = period_bounds(own, period_index(own, said_on))
    precisions = tuple(p for p in _PRECISION_PERIOD if group_period(period, p) == own)
    return first, last, precisions


def period_name(period: Period) -> str:
    """How a period reads in a sentence: ``month``, ``half-year``."""
    return "half-year" if period == "half" else period


def choose_period(first: date | None, last: date | None, lanes: int = 1) -> Period:
    """The finest period that keeps a lane under :data:`PERIODS_PER_LANE` points and all
    ``lanes`` together under :data:`MAX_GROUP_CELLS`."""
    if first is None or last is None:
        return "month"
    for period in PERIODS:
        periods = period_index(period, last) - period_index(period, first) + 1
        if periods <= PERIODS_PER_LANE and periods * max(lanes, 1) <= MAX_GROUP_CELLS:
            return period
    return "year"


# --- queries -------------------------------------------------------------------------------


def filter_conditions(f: TimelineFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``f`` on the statement table."""
    conditions: list[ColumnElement[bool]] = [
        col(Statement.topic_id) == f.topic_id,
        col(Statement.deleted_at).is_(None),
        col(Statement.status).in_(list(f.statuses)),
    ]
    if f.actor_ids is not None:
        conditions.append(col(Statement.actor_id).in_(sorted(f.actor_ids)))
    if f.start is not None:
        conditions.append(col(Statement.said_on) >= f.start)
    if f.end is not None:
        conditions.append(col(Statement.said_on) <= f.end)
    if f.channels:
        conditions.append(col(Statement.channel).in_(list(f.channels)))
    if f.speaker_ids:
        conditions.append(col(Statement.speaker_id).in_(list(f.speaker_ids)))
    if f.precisions:
        conditions.append(col(Statement.date_precision).in_(list(f.precisions)))
    for term in word_terms(f.words):
        pattern = _like_pattern(term)
        conditions.append(
            or_(
                col(Statement.quote).ilike(pattern, escape="\\"),
                col(Statement.translation).ilike(pattern, escape="\\"),
                col(Statement.summary).ilike(pattern, escape="\\"),
            )
        )
    return conditions


def rows_for(
    session: Session,
    f: TimelineFilter,
    *,
    limit: int | None = None,
    newest_first: bool = False,
    full_text: bool = False,
    ids: Collection[int] | None = None,
) -> list[TimelineRow]:
    """One row per statement matching ``f``: by actor name then date, or newest first.

    One query whatever the number of rows. Only the start of each quote travels unless
    ``full_text`` (downloads) asks for the whole quote, translation and summary.
    """
    if f.matches_nothing or (ids is not None and not ids):
        return []
    first_source_id = (
        select(func.min(col(Source.id)))
        .where(col(Source.statement_id) == col(Statement.id))
        .correlate(Statement)
        .scalar_subquery()
    )
    quote = col(Statement.quote) if full_text else func.substr(col(Statement.quote), 1, 240)
    query = (
        select(
            col(Statement.id),
            col(Statement.actor_id),
            col(Actor.code),
            col(Actor.name),
            col(Statement.said_on),
            col(Statement.date_precision),
            col(Statement.stance),
            col(StanceLevel.label),
            col(Statement.status),
            col(Statement.channel),
            col(Speaker.name),
            col(Statement.speaker_role),
            quote,
            col(Statement.summary),
            col(Statement.translation) if full_text else null(),
            col(Statement.language),
            col(Source.url),
            col(Source.publisher),
            col(Source.citation),
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
        .outerjoin(Source, col(Source.id) == first_source_id)
        .where(*filter_conditions(f))
    )
    if ids is not None:
        query = query.where(col(Statement.id).in_(sorted(ids)))
    if newest_first:
        query = query.order_by(col(Statement.said_on).desc(), col(Statement.id).desc())
    else:
        query = query.order_by(col(Actor.name), col(Statement.said_on), col(Statement.id))
    if limit is not None:
        query = query.limit(limit)

    rows: list[TimelineRow] = []
    for (
        statement_id,
        actor_id,
        code,
        name,
        said_on,
        precision,
        stance,
        label,
        status,
        channel,
        speaker,
        role,
        quote_text,
        summary,
        translation,
        language,
        url,
        publisher,
        citation,
    ) in session.connection().execute(query):
        rows.append(
            TimelineRow(
                statement_id=int(statement_id or 0),
                actor_code=code,
                actor_name=name,
                said_on=said_on,
                stance=stance,
                stance_label=label if label is not None else f"{stance:+d}",
                status=status,
                speaker=speaker,
                speaker_role=role,
                excerpt=excerpt(quote_text) or excerpt(summary),
                source_site=site_of(url) or publisher,
                date_precision=precision,
                channel=channel,
                actor_id=actor_id,
                quote=quote_text if full_text else None,
                translation=translation if full_text else None,
                summary=summary if full_text else None,
                language=language if full_text else None,
                source_url=url if full_text else None,
                source_citation=citation if full_text else None,
            )
        )
    return rows


def timeline_rows(
    session: Session,
    topic_id: int,
    *,
    actor_ids: Collection[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    statuses: Collection[str] = DEFAULT_STATUSES,
    channels: Collection[str] = (),
    speaker_ids: Collection[int] = (),
    words: str = "",
) -> list[TimelineRow]:
    """Statements on ``topic_id`` (not soft-deleted), by actor name then date.

    ``actor_ids`` limits the actors (None: all, empty: none); ``start`` and ``end`` bound the
    date said, both inclusive.
    """
    return rows_for(
        session,
        TimelineFilter(
            topic_id=topic_id,
            actor_ids=frozenset(actor_ids) if actor_ids is not None else None,
            start=start,
            end=end,
            statuses=tuple(statuses),
            channels=tuple(channels),
            speaker_ids=tuple(speaker_ids),
            words=words,
        ),
    )


@dataclass(frozen=True)
class TimelineStats:
    total: int
    first: date | None
    last: date | None
    actors: int


def timeline_stats(session: Session, f: TimelineFilter) -> TimelineStats:
    """How many statements match ``f``, the first and last dates said, how many actors."""
    if f.matches_nothing:
        return TimelineStats(0, None, None, 0)
    count, first, last, actors = session.execute(
        select(
            func.count(),
            func.min(col(Statement.said_on)),
            func.max(col(Statement.said_on)),
            func.count(func.distinct(col(Statement.actor_id))),
        )
        .select_from(Statement)
        .where(*filter_conditions(f))
    ).one()
    return TimelineStats(int(count), first, last, int(actors))


def _actor_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(col(Actor.id), col(Actor.code), col(Actor.name)).where(col(Actor.id).in_(wanted))
    ).all()
    return {int(aid): (code, name) for aid, code, name in rows}


def timeline_buckets(
    session: Session, f: TimelineFilter, period: Period, *, by_status: bool = True
) -> list[Bucket]:
    """Statements matching ``f`` grouped per actor, ``period`` and (unless ``by_status`` is
    False) status, counted and averaged by the database. Sorted by actor name, then date."""
    if f.matches_nothing:
        return []
    said_on, precision = col(Statement.said_on), col(Statement.date_precision)
    kinds = {p: group_period(period, p) for p in _PRECISION_PERIOD}
    # Only precisions the filter lets through (the heatmap's months leave out years): without
    # any, the query groups per period alone, as cheaply as before (30-50 ms less on 30,000).
    coarser = [
        (p, kind)
        for p, kind in kinds.items()
        if kind != period and (not f.precisions or p in f.precisions)
    ]
    own_index = _PERIOD_INDEX[period](said_on)
    index = (
        case(
            *((precision == p, _PERIOD_INDEX[kind](said_on)) for p, kind in coarser),
            else_=own_index,
        )
        if coarser
        else own_index
    ).label("period")
    status = col(Statement.status) if by_status else func.min(col(Statement.status))
    # Grouped by precision too (groups of one kind of period are merged below): a CASE of
    # the period's name would need typed literals on PostgreSQL.
    kind_of = precision if coarser else literal_column("'day'")
    group = [col(Statement.actor_id), index, *([precision] if coarser else [])]
    query = (
        select(
            col(Statement.actor_id),
            kind_of,
            index,
            status,
            func.count(),
            func.sum(col(Statement.stance)),
            func.max(said_on),
            func.max(col(Statement.id)),
        )
        .where(*filter_conditions(f))
        .group_by(*group, *([col(Statement.status)] if by_status else []))
    )
    # Core rather than ORM results: thousands of plain tuples come back faster.
    raw = session.connection().execute(query).all()
    names = _actor_names(session, (r[0] for r in raw))
    merged: dict[tuple[int, Period, int, str], list[Any]] = {}
    for actor_id, row_precision, number, status_value, count, total, last, sample in raw:
        kind = kinds.get(row_precision, period)
        key = (int(actor_id), kind, int(number), status_value if by_status else "any")
        seen = merged.get(key)
        if seen is None:
            merged[key] = [int(count), int(total), last, int(sample or 0)]
        else:
            seen[0] += int(count)
            seen[1] += int(total)
            seen[2] = max(seen[2], last)
            seen[3] = max(seen[3], int(sample or 0))
    buckets: list[Bucket] = []
    for (actor_id, kind, number, status_value), (count, total, last, sample) in merged.items():
        start, end = period_bounds(kind, number)
        code, name = names[actor_id]
        buckets.append(
            Bucket(
                actor_id=actor_id,
                actor_code=code,
                actor_name=name,
                period=kind,
                start=start,
                end=end,
                status=status_value,
                count=count,
                mean_stance=total / count,
                last_on=last,
                sample_id=sample,
            )
        )
    buckets.sort(key=lambda b: (b.actor_name, b.start, b.end, b.status))
    return buckets


def latest_stances(session: Session, f: TimelineFilter) -> dict[int, tuple[date, int]]:
    """Each actor's most recent held stance among the statements matching ``f``."""
    held = f.held()
    if held.matches_nothing:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=col(Statement.actor_id),
            order_by=(col(Statement.said_on).desc(), col(Statement.id).desc()),
        )
        .label("rank")
    )
    inner = (
        select(col(Statement.actor_id), col(Statement.said_on), col(Statement.stance), rank)
        .where(*filter_conditions(held))
        .subquery()
    )
    rows = session.execute(
        select(inner.c.actor_id, inner.c.said_on, inner.c.stance).where(inner.c.rank == 1)
    ).all()
    return {int(actor_id): (said_on, int(stance)) for actor_id, said_on, stance in rows}


# --- lanes ---------------------------------------------------------------------------------


def lanes_from_rows(rows: Sequence[TimelineRow]) -> list[Lane]:
    """One lane per actor, with its statement count and latest held stance."""
    count: dict[str, int] = defaultdict(int)
    latest: dict[str, TimelineRow] = {}
    first: dict[str, TimelineRow] = {}
    for row in rows:
        count[row.actor_name] += 1
        first.setdefault(row.actor_name, row)
        if row.status in HELD_STATUSES:
            seen = latest.get(row.actor_name)
            if seen is None or (row.said_on, row.statement_id) > (seen.said_on, seen.statement_id):
                latest[row.actor_name] = row
    lanes = []
    for name, row in first.items():
        held = latest.get(name)
        lanes.append(
            Lane(
                actor_id=row.actor_id,
                code=row.actor_code,
                name=name,
                count=count[name],
                latest_stance=held.stance if held else None,
                latest_on=held.said_on if held else None,
            )
        )
    return sorted(lanes, key=lambda lane: lane.name)


def lanes_from_buckets(
    buckets: Sequence[Bucket], latest: dict[int, tuple[date, int]] | None = None
) -> list[Lane]:
    """One lane per actor in ``buckets``; ``latest`` (from :func:`latest_stances`) adds the
    latest stance, else the rounded mean of the actor's last held period stands in."""
    count: dict[int, int] = defaultdict(int)
    info: dict[int, tuple[str, str]] = {}
    last: dict[int, Bucket] = {}
    for b in buckets:
        count[b.actor_id] += b.count
        info[b.actor_id] = (b.actor_code, b.actor_name)
        if b.status in HELD_STATUSES or b.status == "any":
            seen = last.get(b.actor_id)
            if seen is None or b.last_on > seen.last_on:
                last[b.actor_id] = b
    lanes = []
    for actor_id, (code, name) in info.items():
        if latest is not None and actor_id in latest:
            on, stance = latest[actor_id]
            lanes.append(Lane(actor_id, code, name, count[actor_id], stance, on))
        elif actor_id in last:
            b = last[actor_id]
            lanes.append(
                Lane(actor_id, code, name, count[actor_id], round_stance(b.mean_stance), b.last_on)
            )
        else:
            lanes.append(Lane(actor_id, code, name, count[actor_id]))
    return sorted(lanes, key=lambda lane: lane.name)


def order_lanes(lanes: Sequence[Lane], order: str = "name") -> list[Lane]:
    """Lanes top to bottom: by name; by latest stance (most favourable first, lanes without a
    held stance last); or by number of statements (most first). Ties go by name."""
    by_name = sorted(lanes, key=lambda lane: lane.name)
    if order == "latest":
        return sorted(
            by_name,
            key=lambda lane: (lane.latest_stance is None, -(lane.latest_stance or 0)),
        )
    if order == "count":
        return sorted(by_name, key=lambda lane: -lane.count)
    return by_name


def round_stance(value: float) -> int:
    """A mean stance rounded half away from zero (so +0.5 reads as +1 and -0.5 as -1)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def load_timeline(
    session: Session,
    f: TimelineFilter,
    *,
    order: str = "name",
    max_points: int = MAX_POINTS,
) -> TimelineData:
    """Everything the swimlanes and the stance lines need for ``f``, in two to four queries.

    Up to ``max_points`` statements come one row each; beyond that, grouped per actor and
    period (the finest period that keeps a lane legible) and status.
    """
    stats = timeline_stats(session, f)
    total, first, last = stats.total, stats.first, stats.last
    if total <= max_points:
        rows = rows_for(session, f) if total else []
        return TimelineData(total, first, last, order_lanes(lanes_from_rows(rows), order), rows)
    period = choose_period(first, last, stats.actors)
    buckets = timeline_buckets(session, f, period)
    latest = latest_in_buckets(session, f, buckets) if order == "latest" else None
    lanes = order_lanes(lanes_from_buckets(buckets, latest), order)
    return TimelineData(total, first, last, lanes, buckets=buckets, period=period)


def latest_in_buckets(
    session: Session, f: TimelineFilter, buckets: Sequence[Bucket]
) -> dict[int, tuple[date, int]]:
    """What :func:`latest_stances` answers, found faster: the groups already know each
    actor's last day, so only the statements of that day are read (one indexed query)."""
    last_day: dict[int, date] = {}
    for b in buckets:
        if b.status in HELD_STATUSES and b.last_on > last_day.get(b.actor_id, date.min):
            last_day[b.actor_id] = b.last_on
    held = f.held()
    if not last_day or held.matches_nothing:
        return {}
    on_last_day = tuple_(col(Statement.actor_id), col(Statement.said_on)).in_(
        list(last_day.items())
    )
    rows = session.execute(
        select(col(Statement.actor_id), col(Statement.said_on), col(Statement.stance))
        .where(*filter_conditions(held), on_last_day)
        .order_by(col(Statement.said_on), col(Statement.id))
    ).all()
    return {int(actor_id): (said_on, int(stance)) for actor_id, said_on, stance in rows}


@dataclass(frozen=True)
class MonthlyStances:
    """Average stance per actor and month (statuses merged), with the lanes in order;
    ``year_only`` held statements matched but are dated only to their year, so in no month."""

    cells: list[Bucket]
    lanes: list[Lane]
    year_only: int = 0


# Dates that name their month; a statement known only to its year would otherwise be averaged
# into January, as if said then.
MONTH_KNOWN: tuple[str, ...] = (DatePrecision.DAY.value, DatePrecision.MONTH.value)


def monthly_stances(session: Session, f: TimelineFilter, *, order: str = "name") -> MonthlyStances:
    """What the country × month heatmap draws: held statements whose month is known, averaged
    per month."""
    held = replace(f.held(), precisions=MONTH_KNOWN)
    cells = timeline_buckets(session, held, "month", by_status=False)
    latest = latest_stances(session, held) if order == "latest" else None  # cells merge statuses
    year_only = timeline_stats(session, replace(held, precisions=(DatePrecision.YEAR.value,)))
    lanes = order_lanes(lanes_from_buckets(cells, latest), order)
    return MonthlyStances(cells, lanes, year_only.total)


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


# --- filter choices ------------------------------------------------------------------------


def bloc_members(session: Session) -> dict[str, list[str]]:
    """Each bloc's or organisation's code with its members' codes, sorted."""
    member = Actor.__table__.alias("member")  # type: ignore[attr-defined]
    rows = session.execute(
        select(col(Actor.code), member.c.code)
        .join(BlocMembership, col(BlocMembership.bloc_id) == col(Actor.id))
        .join(member, member.c.id == col(BlocMembership.member_id))
        .order_by(col(Actor.code), member.c.code)
    ).all()
    out: dict[str, list[str]] = defaultdict(list)
    for bloc, code in rows:
        out[bloc].append(code)
    return dict(out)


def expand_blocs(codes: Sequence[str], members: dict[str, list[str]]) -> list[str]:
    """``codes`` with each bloc followed by its members, without repeats, in order."""
    out: dict[str, None] = {}
    for code in codes:
        out[code] = None
        for member in members.get(code, ()):
            out[member] = None
    return list(out)


def topic_actor_ids(session: Session, topic_id: int) -> set[int]:
    """Actors with at least one statement (any status) on the topic."""
    rows = session.execute(
        select(col(Statement.actor_id))
        .where(col(Statement.topic_id) == topic_id, col(Statement.deleted_at).is_(None))
        .distinct()
    ).all()
    return {int(r[0]) for r in rows}


def topic_speakers(session: Session, topic_id: int) -> list[SpeakerOption]:
    """Speakers with at least one statement on the topic, by name."""
    speaker_ids = (
        select(col(Statement.speaker_id))
        .where(col(Statement.topic_id) == topic_id, col(Statement.deleted_at).is_(None))
        .distinct()
    )
    rows = session.execute(
        select(col(Speaker.id), col(Speaker.name), col(Actor.code))
        .join(Actor, col(Actor.id) == col(Speaker.actor_id))
        .where(col(Speaker.id).in_(speaker_ids))
        .order_by(col(Speaker.name), col(Actor.code))
    ).all()
    return [SpeakerOption(int(sid), name, code) for sid, name, code in rows]


def statement_news(session: Session, news_item_ids: Sequence[int]) -> list[NewsLink]:
    """The news items a statement was taken from, as plain text with their links."""
    if not news_item_ids:
        return []
    rows = session.execute(
        select(col(NewsItem.id), col(NewsItem.title), col(NewsItem.url), col(NewsItem.published_at))
        .where(col(NewsItem.id).in_(list(news_item_ids)))
        .order_by(col(NewsItem.id))
    ).all()
    return [
        NewsLink(int(nid), html_to_text(title) or "(untitled)", url, published)
        for nid, title, url, published in rows
    ]
