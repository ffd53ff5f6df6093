"""Poll due feeds: claim, fetch, parse, store, reschedule; one feed never stops the run.

A poller claims batches of due feeds; its threads fetch (at most ``per_host`` requests at
once to one host) and parse, one thread at a time, and each feed's result is written in its
own short transaction, so a bad feed or a failed write loses nothing else (304s, which change
little, are written together). A large poll runs one poller per core, in processes, because
parsing is CPU-bound and threads share one core under the GIL: they share the feeds out
through the same claims and leases as pollers on several machines do, and hand what they
fetched and parsed to the parent, which does all the writing, so SQLite's write lock and page
cache stay in one process (measured in bench/RESULTS.md). On SQLite the writers queue on a
lock rather than on SQLite's sleeping busy handler.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import queue
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, func, insert, select, update
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
from tracker.feeds.store import store_entries, tagging_text
from tracker.feeds.tagging import ActorMatcher, KnownTags, Tagger
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
# (billion laughs, quadratic blow-up) away from every parser, whatever its version. The whole
# prolog is read (a 70 KB comment must not hide a declaration), decoded where the encoding
# does not keep ASCII as ASCII, told by the first bytes (XML 1.0 appendix F).
_ENTITY_BYTES = re.compile(rb"<!ENTITY", re.IGNORECASE)
_PROLOG_MARKUP = re.compile(r"<!--|<\?|<[A-Za-z_]")
_PROLOG_CLOSING: Final = {"<!--": "-->", "<?": "?>"}
_WIDE_ENCODINGS: Final = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # "<?xm" in EBCDIC
)


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
    encoding = next((name for mark, name in _WIDE_ENCODINGS if body.startswith(mark)), None)
    if encoding is None and b"\x00" in body[:4]:
        encoding = "utf-16"
    if encoding is None:
        if _ENTITY_BYTES.search(body) is None:
            return False  # the common case, decided without decoding
        text = body.decode("latin-1")  # the other encodings keep ASCII as ASCII
    else:
        text = body.decode(encoding, errors="replace")
    return "<!ENTITY" in _prolog(text).upper()


def _prolog(text: str) -> str:
    """The text before the root element, without comments and processing instructions.

    One pass with ``find``: a regex per comment start would be quadratic on a body of
    ``<!--`` repeated (20 s of CPU for 64 KiB of them).
    """
    kept: list[str] = []
    pos = 0
    while (found := _PROLOG_MARKUP.search(text, pos)) is not None:
        kept.append(text[pos : found.start()])
        closing = _PROLOG_CLOSING.get(found.group())
        if closing is None:
            return "".join(kept)  # the root element starts here
        end = text.find(closing, found.end())
        if end < 0:
            return "".join(kept)  # an unclosed comment runs to the end
        pos = end + len(closing)
    kept.append(text[pos:])
    return "".join(kept)


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
    # The entries' tags by their text, when worked out ahead (a feed's first body). Plain
    # data: it travels from a poller process to the writing one.
    tags: dict[str, set[int]] | None = None


def _prepare(
    engine: Engine,
    feed: ClaimedFeed,
    result: FetchResult,
    matchers: MatcherCache,
    poll_key: object,
) -> _Prepared:
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
    tags = None
    if feed.body_hash is None:
        # A feed's first body (most of a large first poll): every entry is new, so its tags
        # are worked out here, with the parsing, rather than while holding the write lock.
        with Session(engine) as session:
            matcher = matchers.get(session, poll_key)
        tags = {text: matcher.match(text) for text in map(tagging_text, parsed.entries)}
    return _Prepared(body_hash=body_hash, parsed=parsed, tags=tags)


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
    *,
    trim_log: bool = True,
    parsing: threading.Lock | None = None,
    prepared: _Prepared | None = None,
) -> FeedOutcome:
    """Write one fetch's consequences: items, the feed's state and schedule, the fetch log
    (trimmed to the newest ``FETCH_LOG_KEPT``, unless the caller trims it in batches).

    ``parsing``, held while the document is parsed (not while it is written), lets a
    poller's threads take turns at parsing: one parses while another writes.
    """
    if prepared is None:
        with parsing or contextlib.nullcontext():
            prepared = _prepare(engine, feed, result, matchers, poll_key)
    with write_connection(engine, gate) as conn:
        outcome = _write_result(conn, feed, result, prepared, matchers, poll_key, trim_log)
    return outcome


def _write_result(
    conn: Connection,
    feed: ClaimedFeed,
    result: FetchResult,
    prepared: _Prepared,
    matchers: MatcherCache,
    poll_key: object,
    trim_log: bool,
    now: datetime | None = None,
) -> FeedOutcome:
    now = now or utcnow()
    values, outcome = _feed_changes(conn, feed, result, prepared, matchers, poll_key, now)
    # Core statements on the connection, not the ORM: for a 304 these few statements
    # are the whole cost of a feed, and the ORM's bookkeeping would double it.
    key = {"target_feed_id": feed.id}
    updated = conn.execute(_UPDATE_FEED, {**values, **key}).rowcount
    if updated or conn.execute(_FEED_EXISTS, key).first():
        _log_fetch(conn, feed.id, result, outcome, now, trim=trim_log)
    return outcome


class _NotModified:
    """304s waiting to be written together, one transaction for many feeds rather than one
    each: a 304 only moves the feed's schedule on and adds a line to its fetch log, and on a
    quiet day nearly every feed answers 304. Written in the order they came, each with the
    time it came; a failed batch is written feed by feed instead."""

    FLUSH_AT: Final = 32

    def __init__(self, engine: Engine, gate: WriteGate | None, matchers: MatcherCache) -> None:
        self._engine = engine
        self._gate = gate
        self._matchers = matchers
        self._lock = threading.Lock()
        self._waiting: list[tuple[ClaimedFeed, FetchResult, datetime]] = []

    @staticmethod
    def takes(result: FetchResult) -> bool:
        # A permanent redirect moves the feed's URL, which needs a look at the other feeds.
        return result.error_kind is None and result.status == 304 and not result.permanent_redirect

    def add(self, feed: ClaimedFeed, result: FetchResult) -> FeedOutcome:
        with self._lock:
            self._waiting.append((feed, result, utcnow()))
            full = len(self._waiting) >= self.FLUSH_AT
        if full:
            self.flush()
        return FeedOutcome(feed.id, feed.url, NOT_MODIFIED, result.status, 0, None)

    def flush(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            with write_connection(self._engine, self._gate) as conn:
                for feed, result, now in waiting:
                    _write_result(conn, feed, result, _Prepared(), self._matchers, None, False, now)
        except Exception:
            log.exception("could not record %s unchanged feeds together", len(waiting))
            for feed, result, _now in waiting:
                try:
                    record_result(self._engine, feed, result, self._matchers, gate=self._gate)
                except Exception as exc:
                    record_crash(
                        self._engine, feed, f"internal error while polling: {exc}", self._gate
                    )


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
            tagger: Tagger = matchers.get(session, poll_key)
            if prepared.tags is not None:
                tagger = KnownTags(tagger, prepared.tags)
            stored = store_entries(session, feed.id, parsed.entries, tagger, fetched_at=now)
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
    conn: Connection,
    feed_id: int,
    result: FetchResult,
    outcome: FeedOutcome,
    now: datetime,
    *,
    trim: bool = True,
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
    if trim:
        conn.execute(_PRUNE_FETCHES, {"log_feed_id": feed_id})


def trim_fetch_logs(engine: Engine, feed_ids: list[int], gate: WriteGate | None = None) -> None:
    """Keep the newest ``FETCH_LOG_KEPT`` fetches of each of these feeds, in one statement:
    a poller trims once per batch what it would otherwise trim once per feed."""
    if not feed_ids:
        return
    ranked = (
        select(
            col(FeedFetch.id).label("fetch_id"),
            func.row_number()
            .over(
                partition_by=col(FeedFetch.feed_id),
                order_by=(col(FeedFetch.started_at).desc(), col(FeedFetch.id).desc()),
            )
            .label("newest"),
        )
        .where(col(FeedFetch.feed_id).in_(feed_ids))
        .subquery()
    )
    old = select(ranked.c.fetch_id).where(ranked.c.newest > FETCH_LOG_KEPT)
    with write_connection(engine, gate) as conn:
        conn.execute(delete(FeedFetch).where(col(FeedFetch.id).in_(old)))


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
    gate: WriteGate | None,
    hand_over: Callable[[ClaimedFeed, FetchResult, _Prepared], None] | None = None,
) -> None:
    """Claim batches of due feeds and poll them with ``options.workers`` threads until none is
    left or ``stopped()``; report each feed's outcome as it completes.

    With ``hand_over`` (a poller process), each fetched and parsed feed is handed over to be
    written elsewhere instead of written here.
    """
    batch = max(4 * options.workers, 16)
    hosts = _HostSlots(options.per_host)
    matchers = MatcherCache()
    poll_key = (os.getpid(), time.monotonic_ns())
    # Up to a batch and a half is in hand; if it all sits on one slow host, it drains at
    # per_host fetches per deadline. The lease outlasts that, so no other poller takes it.
    worst_case = 1.5 * batch / max(1, options.per_host) * options.limits.total_seconds
    lease = max(LEASE, timedelta(seconds=2 * worst_case))

    # One thread at a time parses; the others fetch, or write what they parsed. Parsing
    # threads would only share the GIL, and a thread holding the write lock while it waits
    # for the GIL behind them keeps every other writer waiting too (measured: four threads
    # parsing at will took 1.7 times as long as one at a time).
    parsing = threading.Lock()
    not_modified = _NotModified(engine, gate, matchers)

    def poll_feed(feed: ClaimedFeed) -> FeedOutcome | None:
        try:
            with hosts.slot(feed.url):
                result = fetch_feed(
                    client, feed.url, etag=feed.etag, last_modified=feed.last_modified,
                    policy=options.policy, limits=options.limits,
                )  # fmt: skip
            if hand_over is not None:
                prepared = _Prepared()
                if not _NotModified.takes(result):
                    with parsing:
                        prepared = _prepare(engine, feed, result, matchers, poll_key)
                # The body stays here: what is written needs only its hash, in ``prepared``.
                hand_over(feed, replace(result, body=None), prepared)
                return None
            if _NotModified.takes(result):
                return not_modified.add(feed, result)
            return record_result(
                engine, feed, result, matchers, poll_key, gate, trim_log=False, parsing=parsing
            )
        except Exception as exc:
            log.exception("polling feed %s failed", feed.id)
            return record_crash(engine, feed, f"internal error while polling: {exc}", gate)

    pending: dict[Future[FeedOutcome | None], ClaimedFeed] = {}
    polled: list[int] = []

    def collect(futures: set[Future[FeedOutcome | None]]) -> None:
        for future in futures:
            del pending[future]
            outcome = future.result()
            if outcome is not None:
                polled.append(outcome.feed_id)
                on_outcome(outcome)

    def trim_logs() -> None:
        not_modified.flush()
        try:
            trim_fetch_logs(engine, polled, gate)
        except Exception:  # a longer log until the next poll is no reason to stop this one
            log.exception("could not trim the fetch logs of %s feeds", len(polled))
        polled.clear()

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
            trim_logs()
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
        trim_logs()


# --- several pollers on one machine ---------------------------------------------------------


def default_processes() -> int:
    """Poller processes: one per core (parsing is CPU-bound, and one process's threads share
    one core under the GIL); none on a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores if cores and cores > 1 else 0


def _child_poll(
    database_url: str,
    options: _RunOptions,
    gate: WriteGate | None,
    events: Any,
    stop: Any,
    parent_pid: int,
    number: int,
) -> None:
    """One poller process: claims, fetches and parses as a poller on another machine does,
    and hands each result to the parent through ``events`` to be written there."""
    # The parent handles Ctrl-C and SIGTERM and sets ``stop``; the feeds in hand are finished.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def stopped() -> bool:
        # A parent killed outright cannot set ``stop``: stop claiming rather than poll on
        # unwatched (the leases of the feeds in hand run out, and the next run takes them).
        return bool(stop.is_set()) or not _alive(parent_pid)

    engine = make_engine(database_url)
    try:
        _poll_here(
            engine,
            options,
            stopped,
            lambda outcome: events.put(("outcome", outcome)),
            lambda count: events.put(("claimed", count)),
            gate,
            lambda feed, result, prepared: events.put(("write", (feed, result, prepared))),
        )
        events.put(("done", number))
    except BaseException:  # reported to the parent, which goes on with the others
        log.exception("poller process %s failed", number)
        events.put(("failed", number))
    finally:
        engine.dispose()
        if not _alive(parent_pid):
            # Nobody reads the queue any more: leave without waiting for it to drain, which
            # would be for ever once the pipe is full.
            events.cancel_join_thread()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _poll_in_processes(
    engine: Engine,
    options: _RunOptions,
    processes: int,
    stopped: Callable[[], bool],
    on_outcome: Callable[[FeedOutcome], None],
    on_claimed: Callable[[int], None],
) -> None:
    """``processes`` pollers side by side, each claiming its own batches as pollers on
    several machines do; this process writes what they fetched and parsed."""
    # forkserver, not fork: the caller may run threads and hold database connections,
    # neither of which survives a fork cleanly (spawn where there is no forkserver). The
    # forkserver starts once per program, so a loop's later rounds start their pollers fast.
    methods = multiprocessing.get_all_start_methods()
    context = (
        multiprocessing.get_context("forkserver")
        if "forkserver" in methods
        else multiprocessing.get_context("spawn")
    )
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([__name__])
    gate: WriteGate | None = context.Lock() if is_sqlite(engine) else None
    events = context.Queue()
    stop = context.Event()
    # The per-host limit holds for the machine: shared out between the pollers.
    share = replace(options, per_host=max(1, options.per_host // processes))
    url = engine.url.render_as_string(hide_password=False)
    children = [
        context.Process(
            target=_child_poll,
            args=(url, share, gate, events, stop, os.getpid(), n),
            name=f"tracker-poll-{n}",
            daemon=True,
        )
        for n in range(processes)
    ]
    for child in children:
        child.start()
    finished: set[int] = set()
    writer = _Writer(engine, gate, on_outcome)
    try:
        while len(finished) < len(children):
            if stopped():
                stop.set()
            try:
                kind, payload = events.get(timeout=0.5)
            except queue.Empty:
                # A poller that died (killed, out of memory) says nothing more; its messages
                # were all read once the queue is empty.
                for n, child in enumerate(children):
                    if n not in finished and child.exitcode is not None:
                        log.error("poller process %s ended with %s", child.pid, child.exitcode)
                        finished.add(n)
                continue
            if kind == "write":
                writer.write(*payload)
            elif kind == "outcome":
                on_outcome(payload)
            elif kind == "claimed":
                on_claimed(payload)
            else:  # "done" or "failed", once from each
                finished.add(payload)
        writer.finish()
    finally:
        stop.set()
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
        events.close()


class _Writer:
    """Writes what the poller processes fetched and parsed, in this one process: SQLite has
    one write lock, and writers in several processes each found the indexes another had just
    changed missing from their page cache; here they stay warm. 304s are written together."""

    TRIM_EVERY: Final = 64

    def __init__(
        self, engine: Engine, gate: WriteGate | None, on_outcome: Callable[[FeedOutcome], None]
    ) -> None:
        self._engine = engine
        self._gate = gate
        self._on_outcome = on_outcome
        self._matchers = MatcherCache()
        self._poll_key = (os.getpid(), time.monotonic_ns())
        self._not_modified = _NotModified(engine, gate, self._matchers)
        self._polled: list[int] = []

    def write(self, feed: ClaimedFeed, result: FetchResult, prepared: _Prepared) -> None:
        try:
            if _NotModified.takes(result):
                outcome = self._not_modified.add(feed, result)
            else:
                outcome = record_result(
                    self._engine, feed, result, self._matchers, self._poll_key, self._gate,
                    trim_log=False, prepared=prepared,
                )  # fmt: skip
        except Exception as exc:
            log.exception("recording feed %s failed", feed.id)
            outcome = record_crash(
                self._engine, feed, f"internal error while polling: {exc}", self._gate
            )
        self._polled.append(feed.id)
        self._on_outcome(outcome)
        if len(self._polled) >= self.TRIM_EVERY:
            self.finish()

    def finish(self) -> None:
        """Write the 304s still waiting and trim the fetch logs of the feeds written."""
        self._not_modified.flush()
        try:
            trim_fetch_logs(self._engine, self._polled, self._gate)
        except Exception:  # a longer log until the next poll is no reason to stop this one
            log.exception("could not trim the fetch logs of %s feeds", len(self._polled))
        self._polled.clear()


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

    ``workers`` threads fetch, parse and store, at most ``per_host`` of them on one host at
    once. ``processes`` pollers run side by side (default: one per core; 0 or 1: this
    process alone; a poll of fewer than ``PROCESSES_MIN`` feeds always runs here, where
    starting processes costs more than it saves). ``policy`` defaults to
    ``AddressPolicy.from_env()``. ``stop`` ends the run early: feeds in hand are finished,
    feeds claimed but not started are handed back.
    """
    started = time.monotonic()
    processes = default_processes() if processes is None else processes
    if processes > 1 and count_due(engine, all_feeds, PROCESSES_MIN) < PROCESSES_MIN:
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
        with lock:
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
    if processes > 1:
        _poll_in_processes(engine, options, processes, stopped, on_outcome, on_claimed)
    else:
        gate: WriteGate | None = threading.Lock() if is_sqlite(engine) else None
        _poll_here(engine, options, stopped, on_outcome, on_claimed, gate)
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
