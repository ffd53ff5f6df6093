"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from tracker.config import load_settings
from tracker.write_turns import WriteTurns

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Statements that only read, or leave the write lock alone; any other statement may write.
_NOT_WRITING = (
    "SELECT", "WITH", "PRAGMA", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT",
)  # fmt: skip

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the app read while the poller writes; NORMAL is durable in WAL mode
        # except for the last transactions on power loss, which the poller re-fetches.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class _WriteGate:
    """One writing transaction at a time on a SQLite file, the writers taking turns in order.

    SQLite has one write lock per file, and a writer that finds it taken polls for it with
    sleeps of up to 100 ms, first come not first served: with a dozen writers (the app's
    users, each in a thread; pollers in other processes) one of them can lose every turn until
    the busy timeout ends and the user sees "database is locked"
    (tests/reliability/test_rel_concurrency.py did, under load). Writers of every thread and
    process on the file queue in ``tracker.write_turns`` instead, which hands the lock on as
    soon as its holder commits and leaves SQLite's busy handler to writers that are not ours.
    A database private to the process (in memory) queues its writers on a lock here.
    """

    def __init__(self, turns: WriteTurns | None) -> None:
        self._lock = threading.Lock()
        self._turns = turns

    def before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        info = conn.connection.info
        if "write_hold" in info or statement.lstrip()[:9].upper().startswith(_NOT_WRITING):
            return
        if statement.lstrip().upper() == "BEGIN":
            return  # a deferred BEGIN takes no lock
        info["write_hold"] = self._take()

    def _take(self) -> int | bool:
        """A turn's descriptor, True for this process's lock, False for SQLite's lock only."""
        # Bounded: if the holder is stuck, fall back on SQLite's own busy timeout.
        wait = SQLITE_BUSY_TIMEOUT_MS / 1000
        if self._turns is not None:
            try:
                turn = self._turns.take(timeout=wait)
            except OSError as exc:
                log.warning("cannot take turns with other processes (%s); this one's only", exc)
                self._turns = None
            else:
                if turn is None:
                    log.warning("waited %s ms for a turn to write", SQLITE_BUSY_TIMEOUT_MS)
                    return False
                return turn
        if self._lock.acquire(timeout=wait):
            return True
        log.warning("waited %s ms for this process's write turn", SQLITE_BUSY_TIMEOUT_MS)
        return False

    def after(self, conn: Any, *_args: Any) -> None:
        # A statement outside a transaction (autocommit, DDL, COMMIT) is done with the lock.
        if not conn.connection.driver_connection.in_transaction:
            self.release(conn.connection.info)

    def on_error(self, context: Any) -> None:
        # An invalidated connection cannot be asked; its check-in releases the gate.
        with suppress(Exception):
            self.after(context.connection)

    def on_end(self, conn: Any, *_args: Any) -> None:
        self.release(conn.connection.info)

    def on_checkin(self, _dbapi: Any, record: ConnectionPoolEntry) -> None:
        self.release(record.info)

    def on_reset(self, _dbapi: Any, record: ConnectionPoolEntry, _state: Any) -> None:
        self.release(record.info)

    def release(self, info: dict[Any, Any]) -> None:
        hold = info.pop("write_hold", False)
        if hold is True:
            self._lock.release()
        elif hold is not False:
            WriteTurns.give_back(hold)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        for name in ("commit", "rollback"):
            event.listen(engine, name, self.on_end)
        event.listen(engine, "handle_error", self.on_error)
        for name in ("checkin", "detach"):
            event.listen(engine.pool, name, self.on_checkin)
        for name in ("reset", "invalidate"):  # (dbapi, record, reset state or exception)
            event.listen(engine.pool, name, self.on_reset)


def make_engine(url: URL | str | None = None, **kwargs: Any) -> Engine:
    """Build the engine for ``url`` (default: ``TRACKER_DATABASE_URL``). One per process."""
    if url is None:
        url = load_settings().database_url
    elif isinstance(url, str):
        from tracker.config import parse_database_url

        url = parse_database_url(url)
    if url.drivername.startswith("sqlite"):
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _WriteGate(_write_turns(url)).attach(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _write_turns(url: URL) -> WriteTurns | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None  # private to the process (or a URI we do not parse): the gate is enough
    return WriteTurns(Path(database))


# PostgreSQL's codes for a transaction that lost to another one: serialization failure,
# deadlock, lock not available.
_PG_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})


def database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says other writers kept the database from this one (SQLite's lock held
    past the busy timeout; a lock conflict on PostgreSQL): nothing was wrong with what was
    written, and trying again later can succeed."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _PG_BUSY_STATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends cleanly and rolls back otherwise."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
