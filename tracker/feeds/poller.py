"""Poll due feeds: claim, fetch, parse, store, reschedule; one feed never stops the run.

Threads fetch (I/O, at most ``per_host`` requests at once to one host). A new body is parsed
and stored in a pool of worker processes, one per core, because parsing is CPU-bound and
threads would share one core under the GIL (measured in bench/RESULTS.md); a 304, an unchanged
body or an error is recorded by the fetching thread, a few statements that would cost more to
ship to a process. Each worker process has its own engine, and each feed's result is written
in its own short transaction, so a bad feed or a failed write loses nothing else. On SQLite
the writers of one poller queue on a shared lock rather than on SQLite's busy handler.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from tracker.db import is_sqlite, make_engine
from tracker.feeds.claim import (
    LEASE,
    POLLED_STATUSES,
    ClaimedFeed,
    WriteGate,
    claim_due_feeds,
    count_due,
    next_due_at,
    release_feeds,
    write_connection,
)
from tracker.feeds.fetch import FetchLimits, FetchResult, fetch_feed, make_client
from tracker.feeds.netsafety import AddressPolicy
from tracker.feeds.parse import MAX_URL_CHARS, ParsedFeed, parse_feed
from tracker.feeds.schedule import (
    HISTORY_WINDOW,
    backoff,
    feed_interval,
    publishing_interval,
    retry_after_delay,
)
from tracker.feeds.store import store_entries
from tracker.feeds.tagging import ActorMatcher
from tracker.models import Feed, FeedFetch, FeedStatus, NewsItem
from tracker.timeutil import utcnow

log = logging.getLogger(__name__)

FETCH_LOG_KEPT: Final = 20
PER_HOST: Final = 2
MAX_ERROR_CHARS: Final = 2000
# Enough published times to estimate a rate; more would only cost reading time.
HISTORY_ITEMS: Final = 100
LOOP_MIN_SLEEP: Final = 1.0
PROCESSES_MIN: Final = 32

NEW = "new"
NO_NEW_ITEMS = "no_new_items"
UNCHANGED = "unchanged"
NOT_MODIFIED = "not_modified"
ERROR = "error"
THROTTLED = "throttled"
GONE = "gone"

# feedparser drops entity declarations it does not trust, and expat limits expansion, but a
# feed has no business declaring entities: refusing them first keeps entity bombs
# (billion laughs, quadratic blow-up) away from every parser, whatever its version.
_PROLOG_BYTES: Final = 64 * 1024
_COMMENT_OR_PI = re.compile(r"<!--.*?-->|<\?.*?\?>", re.DOTALL)
_ROOT_START = re.compile(r"<[A-Za-z_]")


@dataclass(frozen=True)
class FeedOutcome:
    feed_id: int
    url: str
    outcome: str
    http_status: int | None
    items_new: int
    error: str | None


@dataclass(frozen=True)
class PollProgress:
    feeds_done: int
    feeds_claimed: int
    new_items: int
    errors: int
    last: FeedOutcome


@dataclass(frozen=True)
class PollSummary:
    feeds: int
    new_items: int
    not_modified: int
    unchanged: int
    errors: int
    elapsed_seconds: float


# --- recording one result -----------------------------------------------------------------


def declares_entities(body: bytes) -> bool:
    """Whether the document's prolog declares XML entities (``<!ENTITY`` before the root)."""
    head = body[:_PROLOG_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
        text = head.decode("utf-16", errors="ignore")
    elif b"<!ENTITY" not in head.upper():
        return False  # the common case, decided without decoding
    else:
        # Every encoding a feed may use outside UTF-16 keeps ASCII as ASCII.
        text = head.decode("latin-1")
    text = _COMMENT_OR_PI.sub("", text)
    root = _ROOT_START.search(text)
    prolog = text[: root.start()] if root else text
    return "<!ENTITY" in prolog.upper()


class MatcherCache:
    """One ActorMatcher per process and poll: aliases are read once, not once per feed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: object = None
        self._matcher: ActorMatcher | None = None

    def get(self, session: Session, key: object) -> ActorMatcher:
        with self._lock:
            if self._matcher is None or self._key != key:
                self._matcher = ActorMatcher.from_session(session)
                self._key = key
            return self._matcher


@dataclass(frozen=True)
class _Prepared:
    """What can be worked out before taking a write lock: hashing and parsing."""

    body_hash: str | None = None
    parsed: ParsedFeed | None = None
    error: str | None = None
    unchanged: bool = False


def _prepare(feed: ClaimedFeed, result: FetchResult) -> _Prepared:
    if result.error_kind is not None or result.status != 200 or result.body is None:
        return _Prepared()
    body_hash = hashlib.sha256(result.body).hexdigest()
    if body_hash == feed.body_hash:
        return _Prepared(body_hash=body_hash, unchanged=True)
    if declares_entities(result.body):
        return _Prepared(
            error="the feed declares XML entities, which the tracker refuses "
            "(they can expand without bound)"
        )
    parsed = parse_feed(
        result.body, url=_stored_url(feed, result), content_type=result.content_type
    )
    if parsed.error is not None:
        return _Prepared(error=parsed.error)
    return _Prepared(body_hash=body_hash, parsed=parsed)


def _stored_url(feed: ClaimedFeed, result: FetchResult) -> str:
    moved = result.permanent_redirect
    return moved if moved and len(moved) <= MAX_URL_CHARS else feed.url


def record_result(
    engine: Engine,
    feed: ClaimedFeed,
    result: FetchResult,
    matchers: MatcherCache,
    poll_key: object = None,
    gate: WriteGate | None = None,
) -> FeedOutcome:
    """Write one fetch's consequences: items, the feed's state and schedule, the fetch log."""
    prepared = _prepare(feed, result)
    now = utcnow()
    with write_connection(engine, gate) as conn:
        values, outcome = _feed_changes(conn, feed, result, prepared, matchers, poll_key, now)
        # Core statements on the connection, not the ORM: for a 304 these few statements
        # are the whole cost of a feed, and the ORM's bookkeeping would double it.
        key = {"target_feed_id": feed.id}
        updated = conn.execute(_UPDATE_FEED, {**values, **key}).rowcount
        if updated or conn.execute(_FEED_EXISTS, key).first():
            _log_fetch(conn, feed.id, result, outcome, now)
    return outcome


def _feed_changes(
    conn: Connection,
    feed: ClaimedFeed,
    result: FetchResult,
    prepared: _Prepared,
    matchers: MatcherCache,
    poll_key: object,
    now: datetime,
) -> tuple[dict[str, Any], FeedOutcome]:
    status = result.status

    def outcome(kind: str, items: int = 0, error: str | None = None) -> FeedOutcome:
        return FeedOutcome(feed.id, feed.url, kind, status, items, error)

    if result.error_kind is None and status in (200, 304) and prepared.error is None:
        values = _success(feed, now)
        interval = timedelta(seconds=feed.poll_interval_seconds)
        if result.etag is not None or status == 200:
            values["etag"] = _bounded(result.etag, 500)
        if result.last_modified is not None or status == 200:
            values["last_modified"] = _bounded(result.last_modified, 100)
        moved = _moved_url(conn, feed, result)
        if moved is not None:
            values["url"] = moved
        if status == 304 or prepared.unchanged:
            values["next_poll_at"] = now + feed_interval(interval, None, result.max_age_seconds)
            kind = NOT_MODIFIED if status == 304 else UNCHANGED
            return values, outcome(kind)
        parsed = prepared.parsed
        assert parsed is not None
        # Bound to the connection, the session joins its transaction and leaves it open.
        with Session(bind=conn) as session:
            matcher = matchers.get(session, poll_key)
            stored = store_entries(session, feed.id, parsed.entries, matcher, fetched_at=now)
            session.flush()
        rate = publishing_interval(_recent_published(conn, feed.id, now), now)
        interval = feed_interval(rate, parsed.ttl_minutes)
        values["poll_interval_seconds"] = int(interval.total_seconds())
        values["next_poll_at"] = now + feed_interval(interval, None, result.max_age_seconds)
        values["body_hash"] = prepared.body_hash
        if not feed.has_title and parsed.title:
            values["title"] = parsed.title
        if not feed.has_site_url and parsed.site_url:
            values["site_url"] = parsed.site_url
        kind = NEW if stored.new else NO_NEW_ITEMS
        return values, outcome(kind, stored.new)

    if status == 410:
        message = "the server says this feed is gone for good (HTTP 410); it is no longer polled"
        values = _failure(feed, now, message)
        values["status"] = FeedStatus.GONE.value
        return values, outcome(GONE, error=message)

    error = prepared.error or result.error or f"HTTP {status}"
    values = _failure(feed, now, error)
    if prepared.error is not None:
        # Fetch the whole document again next time, so a fixed feed is parsed, not 304'd.
        values.update(etag=None, last_modified=None, body_hash=None)
    if status in (429, 503) and result.retry_after_seconds is not None:
        values["next_poll_at"] = now + retry_after_delay(result.retry_after_seconds)
        return values, outcome(THROTTLED, error=error)
    return values, outcome(ERROR, error=error)


def _success(feed: ClaimedFeed, now: datetime) -> dict[str, Any]:
    return {
        "status": FeedStatus.ACTIVE.value,
        "last_polled_at": now,
        "last_success_at": now,
        "error_count": 0,
        "failing_since": None,
        "last_error": None,
    }


def _failure(feed: ClaimedFeed, now: datetime, error: str) -> dict[str, Any]:
    errors = feed.error_count + 1
    return {
        "status": FeedStatus.FAILING.value,
        "last_polled_at": now,
        "error_count": errors,
        "failing_since": feed.failing_since or now,
        "last_error": error[:MAX_ERROR_CHARS],
        "next_poll_at": now + backoff(errors),
    }


def _moved_url(conn: Connection, feed: ClaimedFeed, result: FetchResult) -> str | None:
    moved = result.permanent_redirect
    if not moved or moved == feed.url or len(moved) > MAX_URL_CHARS:
        return None
    taken = conn.execute(
        select(col(Feed.id)).where(col(Feed.url) == moved, col(Feed.id) != feed.id)
    ).first()
    if taken is not None:
        log.info("feed %s moved to %s, which feed %s already has", feed.id, moved, taken[0])
        return None
    return moved


def _recent_published(conn: Connection, feed_id: int, now: datetime) -> list[datetime]:
    return [
        when
        for when in conn.execute(
            select(col(NewsItem.published_at))
            .where(
                col(NewsItem.feed_id) == feed_id,
                col(NewsItem.published_at) >= now - HISTORY_WINDOW,
            )
            .order_by(col(NewsItem.published_at).desc())
            .limit(HISTORY_ITEMS)
        ).scalars()
        if when is not None
    ]


# Built once with bind parameters: a 304 costs little more than these statements, and building
# and cache-keying them anew for every feed cost as much as running them.
_INSERT_FETCH = insert(FeedFetch)
_PRUNE_FETCHES = delete(FeedFetch).where(
    col(FeedFetch.feed_id) == bindparam("log_feed_id"),
    col(FeedFetch.id).not_in(
        select(col(FeedFetch.id))
        .where(col(FeedFetch.feed_id) == bindparam("log_feed_id"))
        .order_by(col(FeedFetch.started_at).desc(), col(FeedFetch.id).desc())
        .limit(FETCH_LOG_KEPT)
        .scalar_subquery()
    ),
)
_UPDATE_FEED = update(Feed).where(
    # A feed paused meanwhile keeps the state an admin left it in.
    col(Feed.id) == bindparam("target_feed_id"),
    col(Feed.status).in_(POLLED_STATUSES),
)
_FEED_EXISTS = select(col(Feed.id)).where(col(Feed.id) == bindparam("target_feed_id"))


def _log_fetch(
    conn: Connection, feed_id: int, result: FetchResult, outcome: FeedOutcome, now: datetime
) -> None:
    conn.execute(
        _INSERT_FETCH,
        {
            "feed_id": feed_id,
            "started_at": now - timedelta(milliseconds=result.elapsed_ms),
            "duration_ms": result.elapsed_ms,
            "http_status": result.status,
            "outcome": outcome.outcome,
            "items_new": outcome.items_new,
            "bytes_read": result.bytes_read,
            "error": outcome.error[:MAX_ERROR_CHARS] if outcome.error else None,
        },
    )
    conn.execute(_PRUNE_FETCHES, {"log_feed_id": feed_id})


def record_crash(
    engine: Engine, feed: ClaimedFeed, error: str, gate: WriteGate | None = None
) -> FeedOutcome:
    """Record that handling a feed failed unexpectedly, so the feed shows it and backs off."""
    now = utcnow()
    outcome = FeedOutcome(feed.id, feed.url, ERROR, None, 0, error)
    try:
        with write_connection(engine, gate) as conn:
            conn.execute(
                update(Feed).where(col(Feed.id) == feed.id).values(**_failure(feed, now, error))
            )
            result = FetchResult(feed.url, feed.url, None, None, None, None, None, None, None,
                                 None, "internal", error, 0, 0)  # fmt: skip
            _log_fetch(conn, feed.id, result, outcome, now)
    except Exception:
        log.exception("could not record the failure of feed %s", feed.id)
    return outcome


def _bounded(value: str | None, limit: int) -> str | None:
    # A validator longer than the column is useless to send back; drop it rather than fail.
    return value if value is None or len(value) <= limit else None


# --- one poller: threads that claim, fetch and record -------------------------------------


class _HostSlots:
    """At most ``per_host`` concurrent requests to one host name."""

    def __init__(self, per_host: int) -> None:
        self._per_host = max(1, per_host)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            host = ""
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.Semaphore(self._per_host))
        with semaphore:
            yield


@dataclass(frozen=True)
class _RunOptions:
    workers: int
    all_feeds: bool
    policy: AddressPolicy
    limits: FetchLimits
    per_host: int
    run_started: datetime


def _poll_here(
    engine: Engine,
    options: _RunOptions,
    stopped: Callable[[], bool],
    on_outcome: Callable[[FeedOutcome], None],
    on_claimed: Callable[[int], None],
    recorder: _Recorder,
) -> None:
    """Claim batches of due feeds and poll them with ``options.workers`` threads until none is
    left or ``stopped()``; report each feed's outcome as it completes."""
    batch = max(4 * options.workers, 16)
    hosts = _HostSlots(options.per_host)
    gate = recorder.gate
    # Up to a batch and a half is in hand; if it all sits on one slow host, it drains at
    # per_host fetches per deadline. The lease outlasts that, so no other poller takes it.
    worst_case = 1.5 * batch / max(1, options.per_host) * options.limits.total_seconds
    lease = max(LEASE, timedelta(seconds=2 * worst_case))

    def poll_feed(feed: ClaimedFeed) -> FeedOutcome:
        try:
            with hosts.slot(feed.url):
                result = fetch_feed(
                    client, feed.url, etag=feed.etag, last_modified=feed.last_modified,
                    policy=options.policy, limits=options.limits,
                )  # fmt: skip
            return recorder.record(feed, result)
        except Exception as exc:
            log.exception("polling feed %s failed", feed.id)
            return record_crash(engine, feed, f"internal error while polling: {exc}", gate)

    pending: dict[Future[FeedOutcome], ClaimedFeed] = {}

    def collect(futures: set[Future[FeedOutcome]]) -> None:
        for future in futures:
            del pending[future]
            on_outcome(future.result())

    with (
        make_client(max_connections=2 * options.workers) as client,
        ThreadPoolExecutor(options.workers, thread_name_prefix="poll") as threads,
    ):
        while not stopped():
            claimed = claim_due_feeds(
                engine,
                limit=batch,
                all_feeds=options.all_feeds,
                not_polled_since=options.run_started,
                lease=lease,
                gate=gate,
            )
            if not claimed:
                break
            on_claimed(len(claimed))
            for feed in claimed:
                pending[threads.submit(poll_feed, feed)] = feed
            # Claim more when half the batch is done: the threads stay busy, and no claimed
            # feed waits in the queue long enough for its lease to run out.
            while len(pending) > batch // 2 and not stopped():
                done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                collect(done)
        if stopped():
            unstarted = [feed.id for future, feed in pending.items() if future.cancel()]
            release_feeds(engine, unstarted, gate=gate)
            pending = {f: feed for f, feed in pending.items() if not f.cancelled()}
        collect(set(pending))


# --- parsing in worker processes -----------------------------------------------------------

_worker: dict[str, Any] = {}


def _worker_init(database_url: str, gate: WriteGate | None) -> None:
    # The parent handles Ctrl-C and SIGTERM and lets the workers finish the feed in hand.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _worker.update(engine=make_engine(database_url), gate=gate, matchers=MatcherCache())


def _worker_record(feed: ClaimedFeed, result: FetchResult, poll_key: object) -> FeedOutcome:
    return record_result(
        _worker["engine"], feed, result, _worker["matchers"], poll_key, _worker["gate"]
    )


def default_processes() -> int:
    """Parsing processes: one per core (parsing is CPU-bound; threads would share one core)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


def _needs_parsing(feed: ClaimedFeed, result: FetchResult) -> bool:
    if result.error_kind is not None or result.status != 200 or result.body is None:
        return False
    return hashlib.sha256(result.body).hexdigest() != feed.body_hash


class _Recorder:
    """Records results that need parsing in worker processes, each parsing and storing one
    feed at a time, and the rest (304s, unchanged bodies, errors: a few statements each) in
    the fetching thread, where shipping them to a process would cost more than recording
    them. The pool starts on the first body to parse, so a poll answered by 304s starts none;
    if it breaks (a worker killed by the OOM killer, say), recording goes on here."""

    def __init__(self, engine: Engine, processes: int) -> None:
        self.engine = engine
        self.poll_key = (os.getpid(), time.monotonic_ns())
        self._processes = processes
        self._matchers = MatcherCache()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        # forkserver, not fork: this process runs threads and holds database connections,
        # neither of which survives a fork cleanly (spawn where there is no forkserver).
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn"
        )
        self.gate: WriteGate | None = None
        if is_sqlite(engine):
            self.gate = self._context.Lock() if processes > 0 else threading.Lock()

    def _get_pool(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._pool is None and self._processes > 0:
                if self._context.get_start_method() == "forkserver":
                    self._context.set_forkserver_preload([__name__])
                url = self.engine.url.render_as_string(hide_password=False)
                self._pool = ProcessPoolExecutor(
                    self._processes,
                    mp_context=self._context,
                    initializer=_worker_init,
                    initargs=(url, self.gate),
                )
            return self._pool

    def record(self, feed: ClaimedFeed, result: FetchResult) -> FeedOutcome:
        pool = self._get_pool() if _needs_parsing(feed, result) else None
        if pool is not None:
            try:
                future = pool.submit(_worker_record, feed, result, self.poll_key)
            except (BrokenProcessPool, RuntimeError) as exc:
                # RuntimeError: a process cannot start, say from a script without an
                # ``if __name__ == "__main__"`` guard, which worker processes re-import.
                self._give_up(exc)
            else:
                try:
                    return future.result()
                except BrokenProcessPool as exc:
                    self._give_up(exc)
        return record_result(self.engine, feed, result, self._matchers, self.poll_key, self.gate)

    def _give_up(self, exc: Exception) -> None:
        log.error("the parsing processes failed (%s); parsing here from now on", exc)
        with self._lock:
            self._processes = 0
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def poll_once(
    engine: Engine,
    *,
    workers: int = 4,
    all_feeds: bool = False,
    policy: AddressPolicy | None = None,
    limits: FetchLimits | None = None,
    progress: Callable[[PollProgress], None] | None = None,
    processes: int | None = None,
    per_host: int = PER_HOST,
    stop: threading.Event | None = None,
) -> PollSummary:
    """Poll every due feed once (every active or failing feed with ``all_feeds``).

    ``workers`` threads fetch, at most ``per_host`` of them from one host at once;
    ``processes`` worker processes parse and store new bodies (default: one per core; 0:
    the fetching threads do; a poll of fewer than ``PROCESSES_MIN`` feeds always does).
    ``policy`` defaults to ``AddressPolicy.from_env()``. ``stop`` ends the run early: feeds
    in hand are finished, feeds claimed but not started are handed back.
    """
    started = time.monotonic()
    processes = default_processes() if processes is None else processes
    if processes > 0 and count_due(engine, all_feeds, PROCESSES_MIN) < PROCESSES_MIN:
        # Starting worker processes costs more than parsing a handful of feeds here.
        processes = 0
    options = _RunOptions(
        workers=max(1, workers),
        all_feeds=all_feeds,
        policy=policy if policy is not None else AddressPolicy.from_env(),
        limits=limits or FetchLimits(),
        per_host=per_host,
        run_started=utcnow(),
    )
    counts: Counter[str] = Counter()
    totals = Counter[str]()
    lock = threading.Lock()

    def on_claimed(count: int) -> None:
        totals["claimed"] += count

    def on_outcome(outcome: FeedOutcome) -> None:
        with lock:
            counts[outcome.outcome] += 1
            totals["feeds"] += 1
            totals["new"] += outcome.items_new
            totals["errors"] += outcome.error is not None
            if progress is not None:
                progress(
                    PollProgress(
                        totals["feeds"], totals["claimed"], totals["new"], totals["errors"], outcome
                    )
                )

    stopped = stop.is_set if stop is not None else lambda: False
    recorder = _Recorder(engine, processes)
    try:
        _poll_here(engine, options, stopped, on_outcome, on_claimed, recorder)
    finally:
        recorder.close()
    return PollSummary(
        feeds=totals["feeds"],
        new_items=totals["new"],
        not_modified=counts[NOT_MODIFIED],
        unchanged=counts[UNCHANGED],
        errors=totals["errors"],
        elapsed_seconds=time.monotonic() - started,
    )


def poll_loop(
    engine: Engine,
    *,
    workers: int = 4,
    sleep_seconds: float = 60.0,
    stop: threading.Event | None = None,
    on_summary: Callable[[PollSummary], None] | None = None,
    **options: Any,
) -> None:
    """Poll until stopped: each round polls what is due, then sleeps until the next feed is
    due, at most ``sleep_seconds``. SIGTERM and SIGINT stop it after the feeds in hand."""
    stop = stop or threading.Event()
    restore = stop_on_signals(stop)
    try:
        while not stop.is_set():
            summary = poll_once(engine, workers=workers, stop=stop, **options)
            if on_summary is not None:
                on_summary(summary)
            due = next_due_at(engine)
            wait_for = sleep_seconds
            if due is not None:
                wait_for = (due - utcnow()).total_seconds()
            stop.wait(max(LOOP_MIN_SLEEP, min(sleep_seconds, wait_for)))
    finally:
        restore()


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM and SIGINT set ``stop``; returns what puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can only be set from the main thread

    def handler(signum: int, _frame: object) -> None:
        log.info("received signal %s; finishing the feeds in hand", signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
