"""Claiming feeds with a lease: two pollers at once never fetch one feed twice, and a crashed
poller's feeds come back when its lease ends. On PostgreSQL (SKIP LOCKED) and SQLite."""

import shutil
import sqlite3
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from poller_helpers import add_feed, get_feed, item, rss
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from werkzeug import Request, Response

import tracker.db
from tracker.db import make_engine
from tracker.feeds.claim import LEASE, claim_due_feeds, count_due, next_due_at, release_feeds
from tracker.feeds.fetch import FetchLimits
from tracker.feeds.poller import PollSummary, poll_once
from tracker.models import Feed, FeedStatus

FEEDS = 40


def test_two_pollers_at_once_fetch_every_feed_exactly_once(engine, server):
    def handler(request: Request) -> Response:
        time.sleep(0.02)  # long enough for both pollers to be at work at the same time
        return Response(rss(item(request.path, f"Story at {request.path}")))

    for n in range(FEEDS):
        server.expect_request(f"/feed/{n}.xml").respond_with_handler(handler)
        add_feed(engine, server.url_for(f"/feed/{n}.xml"))
    url = engine.url.render_as_string(hide_password=False)
    summaries: list[PollSummary] = []
    start = threading.Barrier(2)

    def poller() -> None:
        own_engine = make_engine(url)  # as a second machine would have
        try:
            start.wait()
            summaries.append(
                poll_once(own_engine, workers=4, processes=0, limits=FetchLimits(total_seconds=10))
            )
        finally:
            own_engine.dispose()

    threads = [threading.Thread(target=poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    requests = Counter(request.path for request, _ in server.log)
    assert requests == Counter({f"/feed/{n}.xml": 1 for n in range(FEEDS)})
    assert sum(s.feeds for s in summaries) == FEEDS
    assert sum(s.new_items for s in summaries) == FEEDS
    assert all(s.errors == 0 for s in summaries)


def _feeds(engine, count: int, **fields) -> list[int]:
    return [add_feed(engine, f"https://feeds.example/{n}.xml", **fields) for n in range(count)]


def test_a_claim_leases_the_feeds_it_takes(engine):
    ids = _feeds(engine, 5)
    now = datetime.now(UTC)
    first = claim_due_feeds(engine, limit=3, now=now)
    second = claim_due_feeds(engine, limit=3, now=now)
    assert len(first) == 3 and len(second) == 2
    assert {f.id for f in first} | {f.id for f in second} == set(ids)
    assert claim_due_feeds(engine, limit=3, now=now) == []
    for feed_id in ids:
        assert get_feed(engine, feed_id).next_poll_at == now + LEASE
    assert count_due(engine) == 0
    assert next_due_at(engine) == now + LEASE


def test_a_crashed_pollers_feeds_come_back_when_the_lease_ends(engine):
    long_ago = datetime.now(UTC) - LEASE - timedelta(minutes=1)
    _feeds(engine, 2, next_poll_at=long_ago - timedelta(hours=1))
    assert len(claim_due_feeds(engine, limit=10, now=long_ago)) == 2
    # That poller never finished; its lease has run out.
    assert len(claim_due_feeds(engine, limit=10)) == 2


def test_released_feeds_are_due_again(engine):
    ids = _feeds(engine, 3)
    claimed = claim_due_feeds(engine, limit=10)
    release_feeds(engine, [f.id for f in claimed[:2]])
    again = claim_due_feeds(engine, limit=10)
    assert sorted(f.id for f in again) == sorted(f.id for f in claimed[:2])
    assert len(ids) == 3


def test_claims_skip_paused_and_gone_feeds_and_carry_what_the_poller_needs(engine):
    active = add_feed(engine, "https://a.example/feed", etag='"e"', last_modified="yesterday")
    add_feed(engine, "https://b.example/feed", status=FeedStatus.PAUSED)
    add_feed(engine, "https://c.example/feed", status=FeedStatus.GONE)
    (claimed,) = claim_due_feeds(engine, limit=10, all_feeds=True)
    assert (claimed.id, claimed.url, claimed.etag, claimed.last_modified) == (
        active,
        "https://a.example/feed",
        '"e"',
        "yesterday",
    )
    assert (claimed.has_title, claimed.error_count) == (False, 0)


def test_with_all_feeds_a_run_takes_each_feed_once(engine):
    _feeds(engine, 4)
    run_started = datetime.now(UTC)
    with Session(engine) as session:
        for feed in session.exec(select(Feed)).all():
            feed.next_poll_at = run_started + timedelta(days=1)
            session.add(feed)
        session.commit()
    assert claim_due_feeds(engine, limit=10) == []
    first = claim_due_feeds(engine, limit=3, all_feeds=True, not_polled_since=run_started)
    rest = claim_due_feeds(engine, limit=3, all_feeds=True, not_polled_since=run_started)
    assert (len(first), len(rest)) == (3, 1)
    assert claim_due_feeds(engine, limit=3, all_feeds=True, not_polled_since=run_started) == []


def _sqlite_with_short_busy_timeout(sqlite_template, tmp_path, monkeypatch):
    # A short busy timeout so that a lock outlasting it takes a fraction of a second.
    monkeypatch.setattr(tracker.db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "busy.db"
    shutil.copy(sqlite_template, path)
    return path, make_engine(f"sqlite:///{path}")


def test_a_claim_waits_out_a_lock_held_longer_than_the_busy_timeout(
    sqlite_template, tmp_path, monkeypatch, caplog
):
    """Another process's writers can hold SQLite's lock for more than one busy timeout: the
    poller's claim waits again instead of ending its run (CI saw "database is locked")."""
    path, engine = _sqlite_with_short_busy_timeout(sqlite_template, tmp_path, monkeypatch)
    [feed_id] = _feeds(engine, 1)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.35, lambda: holder.execute("COMMIT")).start()
    started = time.monotonic()
    claimed = claim_due_feeds(engine, limit=5)
    assert time.monotonic() - started >= 0.2
    assert [f.id for f in claimed] == [feed_id]
    assert "waiting again (2 of 3)" in caplog.text
    holder.close()
    engine.dispose()


def test_a_claim_gives_up_when_the_lock_is_never_released_and_takes_nothing(
    sqlite_template, tmp_path, monkeypatch
):
    path, engine = _sqlite_with_short_busy_timeout(sqlite_template, tmp_path, monkeypatch)
    [feed_id] = _feeds(engine, 1)
    before = get_feed(engine, feed_id).next_poll_at
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="database is locked"):
        claim_due_feeds(engine, limit=5)
    holder.execute("ROLLBACK")
    holder.close()
    assert get_feed(engine, feed_id).next_poll_at == before
    # The engine is still usable: the failed attempts left no transaction open.
    assert [f.id for f in claim_due_feeds(engine, limit=5)] == [feed_id]
    engine.dispose()
