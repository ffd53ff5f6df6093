"""Reliability item 1: one whole poll over the hostile corpus and a few good feeds.

The poll runs in its own process, through ``poll_once`` exactly as ``tracker poll --once
--all`` calls it (worker processes included), with only the corpus server's address allowed.
Printed figures: feeds tried, runs that crashed, private fetches made, memory peak of the
largest poller process, good feeds collected, and each case's recorded outcome.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_corpus import (
    CASES,
    GOOD_ITEMS_EACH,
    CorpusServer,
    ForbiddenServers,
    feed_urls,
    good_urls,
    route_all,
    start,
)
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker.models import Feed, FeedFetch, NewsItem

CORPUS_HOST = "127.0.0.5"
FETCH_SECONDS = 5.0
MEMORY_BOUND_MIB = 1024
ROOT = Path(__file__).resolve().parents[2]

# Runs the poll as the CLI does, and samples the peak resident memory (VmHWM) of the poller
# and of its worker processes, which tracemalloc in this process could not see.
DRIVER = r"""
import json, os, sys, threading
from tracker.db import make_engine
from tracker.feeds.fetch import FetchLimits
from tracker.feeds.netsafety import AddressPolicy
from tracker.feeds.poller import poll_once

def descendants(root):
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found

def peak_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

peaks = {}
done = threading.Event()

def sample():
    while True:
        for pid in descendants(os.getpid()):
            peaks[pid] = max(peaks.get(pid, 0), peak_kib(pid))
        if done.wait(0.1):
            return

if __name__ == "__main__":
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    engine = make_engine(sys.argv[1])
    summary = poll_once(
        engine, workers=4, all_feeds=True, policy=AddressPolicy.from_env(),
        limits=FetchLimits(total_seconds=float(sys.argv[2])),
    )
    done.set()
    sampler.join()
    peaks[os.getpid()] = max(peaks.get(os.getpid(), 0), peak_kib(os.getpid()))
    print(json.dumps({
        "feeds": summary.feeds, "new_items": summary.new_items, "errors": summary.errors,
        "seconds": round(summary.elapsed_seconds, 1),
        "peak_mib": max(peaks.values()) // 1024, "processes": len(peaks),
    }))
"""

# What must never be stored, whatever a feed says.
_UNSAFE_MARKUP = re.compile(r"<\s*(script|iframe|img|svg|style|object|embed)\b|\son\w+\s*=", re.I)
_URL_ATTRIBUTE = re.compile(r"""\b(?:href|cite|src)\s*=\s*["']?([^"'\s>]*)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LEAKS = ("lollollol", "root:x:0:0", "FORBIDDEN-SECRET", "BBBBBBBBBB", "\x00")


@pytest.fixture
def servers():
    corpus = CorpusServer(CORPUS_HOST)
    forbidden = ForbiddenServers()
    for server in (corpus, *forbidden.servers):
        start(server)
    try:
        yield corpus, forbidden
    finally:
        for server in (corpus, *forbidden.servers):
            server.shutdown()
            server.server_close()


def _run_poll(engine: Engine) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    env = {**os.environ, "TRACKER_ALLOW_PRIVATE_FEEDS": f"{CORPUS_HOST}/32"}
    env["PYTHONPATH"] = str(ROOT)
    url = engine.url.render_as_string(hide_password=False)
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, url, str(FETCH_SECONDS)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    lines = run.stdout.strip().splitlines()
    figures = json.loads(lines[-1]) if run.returncode == 0 and lines else {}
    return run, figures


def _stored(engine: Engine) -> tuple[dict[str, Feed], dict[int, list[NewsItem]]]:
    with Session(engine) as session:
        feeds = {f.url: f for f in session.exec(select(Feed)).all()}
        items: dict[int, list[NewsItem]] = {}
        for news in session.exec(select(NewsItem).order_by(col(NewsItem.id))).all():
            items.setdefault(news.feed_id or 0, []).append(news)
    return feeds, items


def _unsafe(news: NewsItem) -> list[str]:
    problems = []
    if news.url is not None and not re.match(r"https?://", news.url):
        problems.append(f"link {news.url!r}")
    summary = news.summary or ""
    if _UNSAFE_MARKUP.search(summary):
        problems.append(f"markup in summary {summary[:80]!r}")
    for value in _URL_ATTRIBUTE.findall(summary):
        if not re.match(r"https?://", value):
            problems.append(f"URL attribute {value[:60]!r}")
    text_fields = f"{news.title}\n{summary}\n{news.guid}"
    problems.extend(f"leaked {leak!r}" for leak in _LEAKS if leak in text_fields)
    # Titles are plain text (shown escaped, never as HTML), so "<script>" in one is just
    # characters; control characters are not text, and PostgreSQL refuses NUL outright.
    if _CONTROL.search(news.title) or (news.url and _CONTROL.search(news.url)):
        problems.append(f"control characters in {news.title[:80]!r} / {news.url!r}")
    return problems


def test_one_poll_over_the_hostile_corpus_crashes_nothing_and_leaks_nothing(engine, servers):
    corpus, forbidden = servers
    ctx = route_all(corpus, forbidden)
    urls, good = feed_urls(ctx), good_urls(ctx)
    with Session(engine) as session:
        session.add_all(Feed(url=u) for u in (*urls.values(), *good.values()))
        session.commit()

    run, figures = _run_poll(engine)
    feeds, items = _stored(engine)
    with Session(engine) as session:
        durations = dict(session.exec(select(FeedFetch.feed_id, FeedFetch.duration_ms)).all())

    def count(url: str) -> int:
        return len(items.get(feeds[url].id or -1, []))

    print(f"\n{'case':34} {'items':>6} {'ms':>6}  recorded error (first 80 characters)")
    mismatched = []
    for case in CASES:
        feed = feeds[urls[case.name]]
        error = feed.last_error or ""
        took = durations.get(feed.id or -1, 0)
        print(f"{case.name:34} {count(urls[case.name]):>6} {took:>6}  {error[:80]!r}")
        if case.expect_error is not None and not re.search(case.expect_error, error, re.I):
            mismatched.append((case.name, case.attacks, error[:200]))
        if "internal error" in error:
            mismatched.append((case.name, "an unexpected exception was recorded", error[:300]))
    good_collected = sum(
        1 for u in good.values() if feeds[u].last_error is None and count(u) == GOOD_ITEMS_EACH
    )
    unsafe = [(n.feed_id, p) for group in items.values() for n in group for p in _unsafe(n)]
    print(
        f"\nfeeds tried: {len(CASES)} hostile + {len(good)} good = {len(feeds)}\n"
        f"runs that crashed: {0 if run.returncode == 0 else 1} (exit status {run.returncode})\n"
        f"private fetches made: {forbidden.connections}\n"
        f"memory peak (largest poller process, VmHWM): {figures.get('peak_mib')} MiB"
        f" over {figures.get('processes')} processes\n"
        f"good feeds collected: {good_collected}/{len(good)}\n"
        f"poll: {figures}\nunsafe stored values: {len(unsafe)}"
    )
    for problem in [*mismatched, *unsafe]:
        print("PROBLEM:", problem)

    assert run.returncode == 0, run.stderr[-3000:]
    assert figures["feeds"] == len(feeds)
    assert forbidden.connections == 0
    assert good_collected == len(good)
    assert not mismatched, mismatched
    assert not unsafe, unsafe[:20]
    assert int(str(figures["peak_mib"])) < MEMORY_BOUND_MIB
    # Results a hostile feed must not spoil: nothing lost, nothing longer than the columns.
    assert count(urls["ten_thousand_items"]) == 10_000
    for name in ("max_age_huge", "expires_end_of_time", "huge_validators", "huge_title"):
        assert feeds[urls[name]].last_error is None, name
        assert count(urls[name]) >= 1, name
    assert all(len(n.title) <= 1000 and len(n.guid) <= 1000 for g in items.values() for n in g)
    assert count(urls["javascript_links"]) == 4
    assert count(urls["script_markup"]) == 3
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
