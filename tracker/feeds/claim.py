"""Claiming due feeds with a lease, so several pollers never fetch one feed at the same time.

Claiming moves a feed's ``next_poll_at`` a lease ahead in the same transaction that selects it:
another poller, here or on another machine, no longer sees it as due, and if this poller dies
the feed becomes due again when the lease ends. On PostgreSQL the selection takes row locks
with ``FOR UPDATE SKIP LOCKED``, so two claims running at the same instant pick different
feeds instead of waiting for each other; on SQLite ``BEGIN IMMEDIATE`` takes the database's
single write lock before reading, which serialises claims.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from tracker.db import database_busy, is_sqlite
from tracker.models import Feed, FeedStatus
from tracker.timeutil import utcnow

log = logging.getLogger(__name__)

# The shortest lease: a live poller must finish a claimed batch before its lease ends (the
# poller lengthens it for large batches), and a dead poller's feeds wait this long.
LEASE: Final = timedelta(minutes=10)
# How long a writer waits for the gate before it falls back on SQLite's own lock: a holder
# that died (a poller killed with SIGKILL) never releases a gate shared between processes.
GATE_WAIT_SECONDS: Final = 2.0
# How many busy timeouts a poller's write waits out on SQLite before it gives up. The tracker's
# own writers take turns in order (tracker.write_turns); a writer outside it (the sqlite3
# shell, another program) meets the poller only in SQLite's busy handler, which is not first
# come first served and once kept a poller out for the whole 10 s.
BUSY_ATTEMPTS: Final = 3


class WriteGate(Protocol):
    """A lock (threading or multiprocessing) that the writers of one poller queue on."""

    def acquire(self, block: bool = ..., timeout: float = ..., /) -> bool: ...

    def release(self) -> None: ...


POLLED_STATUSES: Final = (FeedStatus.ACTIVE.value, FeedStatus.FAILING.value)


@dataclass(frozen=True)
class ClaimedFeed:
    """What the poller needs to know about a feed, read when it was claimed."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    error_count: int
    failing_since: datetime | None
    poll_interval_seconds: int
    has_title: bool
    has_site_url: bool


@contextmanager
def write_connection(engine: Engine, gate: WriteGate | None = None) -> Iterator[Connection]:
    """A transaction that holds the write lock from its first statement on SQLite.

    A deferred SQLite transaction that reads and then writes fails at once ("database is
    locked") if another connection wrote in between; taking the lock first makes it wait on
    the busy timeout instead (``BUSY_ATTEMPTS`` of them). ``gate``, a lock shared by the
    writers of one poller, makes them queue on the lock instead: SQLite's busy handler sleeps
    up to 100 ms between attempts, which costs more than the transactions themselves when many
    short ones collide.
    """
    with _held(gate), engine.connect() as conn:
        if is_sqlite(engine):
            _begin_immediate(conn)
        else:
            # Begun here so that a session bound to this connection joins the transaction
            # instead of owning (and, on close, rolling back) one of its own.
            conn.begin()
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def _begin_immediate(conn: Connection) -> None:
    # Nothing has been done in the transaction yet, so trying again is safe.
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            conn.rollback()
            if attempt == BUSY_ATTEMPTS or not database_busy(exc):
                raise
            log.warning(
                "the database stayed locked for a whole busy timeout; waiting again (%s of %s)",
                attempt + 1,
                BUSY_ATTEMPTS,
            )


@contextmanager
def _held(gate: WriteGate | None) -> Iterator[None]:
    # Positional: threading's Lock names them (blocking, timeout), multiprocessing's
    # (block, timeout).
    acquired = gate is not None and gate.acquire(True, GATE_WAIT_SECONDS)
    if gate is not None and not acquired:
        log.warning(
            "waited %s s for the write gate; going on with SQLite's lock", GATE_WAIT_SECONDS
        )
    try:
        yield
    finally:
        if acquired:
            assert gate is not None
            gate.release()


def claim_due_feeds(
    engine: Engine,
    *,
    limit: int,
    all_feeds: bool = False,
    not_polled_since: datetime | None = None,
    lease: timedelta = LEASE,
    now: datetime | None = None,
    gate: WriteGate | None = None,
) -> list[ClaimedFeed]:
    """Claim up to ``limit`` active or failing feeds that are due (or all of them).

    ``not_polled_since`` skips feeds claimed at or after that time, so one run never takes a
    feed twice (with ``all_feeds`` nothing else would stop it).
    """
    now = now or utcnow()
    conditions: list[ColumnElement[bool]] = [col(Feed.status).in_(POLLED_STATUSES)]
    if not all_feeds:
        conditions.append(col(Feed.next_poll_at) <= now)
    if not_polled_since is not None:
        conditions.append(
            or_(col(Feed.last_polled_at).is_(None), col(Feed.last_polled_at) < not_polled_since)
        )
    query = (
        select(
            col(Feed.id),
            col(Feed.url),
            col(Feed.etag),
            col(Feed.last_modified),
            col(Feed.body_hash),
            col(Feed.error_count),
            col(Feed.failing_since),
            col(Feed.poll_interval_seconds),
            col(Feed.title).is_not(None),
            col(Feed.site_url).is_not(None),
        )
        .where(*conditions)
        .order_by(col(Feed.next_poll_at), col(Feed.id))
        .limit(limit)
    )
    if not is_sqlite(engine):
        query = query.with_for_update(skip_locked=True, of=Feed)
    with write_connection(engine, gate) as conn:
        feeds = [_claimed(row) for row in conn.execute(query)]
        if feeds:
            conn.execute(
                update(Feed)
                .where(col(Feed.id).in_([f.id for f in feeds]))
                .values(next_poll_at=now + lease, last_polled_at=now)
            )
    return feeds


def _claimed(row: Sequence[Any]) -> ClaimedFeed:
    (feed_id, url, etag, modified, body_hash, errors, since, interval, titled, sited) = row
    return ClaimedFeed(
        int(feed_id), url, etag, modified, body_hash, errors, since, interval, titled, sited
    )


def release_feeds(
    engine: Engine,
    feed_ids: Sequence[int],
    now: datetime | None = None,
    gate: WriteGate | None = None,
) -> None:
    """Make claimed feeds due again at once (a poller stopping before it fetched them)."""
    if not feed_ids:
        return
    with write_connection(engine, gate) as conn:
        conn.execute(
            update(Feed)
            .where(col(Feed.id).in_(list(feed_ids)))
            .values(next_poll_at=now or utcnow())
        )


def count_due(engine: Engine, all_feeds: bool = False, limit: int = 1000) -> int:
    """How many feeds are due now (every active or failing one with ``all_feeds``), counted up
    to ``limit``."""
    conditions: list[ColumnElement[bool]] = [col(Feed.status).in_(POLLED_STATUSES)]
    if not all_feeds:
        conditions.append(col(Feed.next_poll_at) <= utcnow())
    due = select(col(Feed.id)).where(*conditions).limit(limit).subquery()
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(due)).scalar_one())


def next_due_at(engine: Engine) -> datetime | None:
    """When the next active or failing feed is due, or None when there is none."""
    with Session(engine) as session:
        return session.execute(
            select(func.min(col(Feed.next_poll_at))).where(col(Feed.status).in_(POLLED_STATUSES))
        ).scalar_one_or_none()
