"""Crash safety (reliability item 3): kill -9 the real `tracker` commands mid-write.

The poller: `tracker poll --once` over a loopback farm of FEEDS feeds x 50 items (bench/poll.py's
farm) into a fresh SQLite file, killed with SIGKILL once a seeded random number of items is
stored, plus a random few milliseconds. Half the kills (seeded) hit the whole process group at
once (the poller, the forkserver and its parsing processes: a crash or the OOM killer on a
cgroup); the other half kill the main process only, and the orphaned workers finish or die on
their own. After each kill the file must pass every check of ``rel_checks`` (integrity, foreign
keys, both FTS indexes, no half-stored item), and the next `tracker poll --once` must exit 0
and leave every feed with all its items (nothing lost). The dead run's feeds stay leased to it
for LEASE (ten minutes): the test ends those leases by moving their ``next_poll_at`` to now,
which is what waiting would do.

The import: `tracker statements import` of IMPORT_ROWS rows (bench/import.py's generator; large
enough for its validation processes), killed at a seeded random moment of a run; all or nothing
must hold (no statement, speaker, source or revision, or all of them) and the next import must
exit 0 with every row stored once.

    TRACKER_RELIABILITY_SEED=N (default: random, printed)  TRACKER_RELIABILITY_KILLS (20)
    TRACKER_RELIABILITY_FEEDS (200)
    .venv/bin/python -m pytest tests/reliability/test_rel_crash.py -s
"""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rel_checks import item_state, sqlite_file_problems, statement_state
from rel_farm import TRACKER, farm_urls, static_farm, tracker_env
from sqlalchemy import text, update
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col

from tracker.db import make_engine
from tracker.models import Feed, TopicCreate
from tracker.timeutil import utcnow
from tracker.topics import create_topic

KILLS = int(os.environ.get("TRACKER_RELIABILITY_KILLS", "20"))
PG_KILLS = min(KILLS, 5)
FEEDS = int(os.environ.get("TRACKER_RELIABILITY_FEEDS", "200"))
ITEMS = 50
IMPORT_ROWS = 10_000
RUN_TIMEOUT = 600  # seconds; a run that takes longer has hung


def _seed() -> int:
    seed = int(os.environ.get("TRACKER_RELIABILITY_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nseed {seed} (TRACKER_RELIABILITY_SEED={seed} repeats this run)")
    return seed


def _url(db: Path | str) -> str:
    """A SQLite file's URL, or a URL as it is."""
    return f"sqlite:///{db}" if isinstance(db, Path) else db


def _tracker(db: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRACKER, *args],
        env=tracker_env(_url(db)),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def _checkpointed(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _start(db: Path | str, *args: str) -> subprocess.Popen[bytes]:
    # A session of its own: the poller, its forkserver and workers share one process group.
    return subprocess.Popen(
        [TRACKER, *args],
        env=tracker_env(_url(db)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill(process: subprocess.Popen[bytes], whole_group: bool) -> bool:
    """SIGKILL the process (or its whole group); wait until no process of the group is left.
    Returns whether the kill landed (the run had not finished by itself)."""
    landed = process.poll() is None
    # The run may end between the look and the kill: then there is nothing left to kill.
    with contextlib.suppress(ProcessLookupError):
        if whole_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return landed
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):  # orphans that outlived a minute
        os.killpg(process.pid, signal.SIGKILL)
    return landed


# --- the poller ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def farm_port() -> Iterator[int]:
    with static_farm(FEEDS, ITEMS) as port:
        yield port


def _add_farm(url: str, port: int) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        session.add_all(Feed(url=feed_url) for feed_url in farm_urls(port, FEEDS))
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def poll_template(tmp_path_factory: pytest.TempPathFactory, farm_port: int) -> Path:
    """A migrated file with the reference actors (every farm item is tagged) and the farm."""
    path = tmp_path_factory.mktemp("crash") / "template.db"
    upgraded = _tracker(path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    _add_farm(_url(path), farm_port)
    _checkpointed(path)
    return path


def _stored_items(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM news_item")).scalar_one())
    except OperationalError:
        return 0  # busy for a moment: read again on the next turn


def _end_dead_leases(engine: Engine) -> int:
    """What waiting out LEASE does: the dead run's claimed feeds become due again."""
    now = utcnow()
    with Session(engine) as session:
        ended = session.execute(
            update(Feed)
            .where(col(Feed.last_success_at).is_(None), col(Feed.last_polled_at).is_not(None))
            .values(next_poll_at=now - timedelta(seconds=1))
        ).rowcount
        session.commit()
    return int(ended)


def _kill_poller(
    db: Path | str, number: int, rng: random.Random, figures: Counter[str]
) -> list[str]:
    """One kill of `tracker poll --once` and the run after it; returns what went wrong."""
    total = FEEDS * ITEMS
    target = rng.randrange(0, total - 3 * ITEMS)
    whole_group = rng.random() < 0.5
    jitter = rng.uniform(0, 0.2)
    engine = make_engine(_url(db))
    process = _start(db, "poll", "--once", "--quiet")
    while process.poll() is None and _stored_items(engine) < target:
        time.sleep(0.02)
    time.sleep(jitter)
    landed = _kill(process, whole_group)
    figures["kills landed"] += landed
    figures["whole-group kills" if whole_group else "main-process kills"] += 1

    file_problems = sqlite_file_problems(db) if isinstance(db, Path) else []
    after_kill = item_state(engine, ITEMS)
    figures["integrity failures"] += bool(file_problems)
    figures["half-stored items or feeds"] += len(after_kill.half_stored)
    ended = _end_dead_leases(engine)
    next_run = _tracker(db, "poll", "--once", "--quiet")
    figures["next runs completed"] += next_run.returncode == 0
    final = item_state(engine, ITEMS)
    final_problems = sqlite_file_problems(db) if isinstance(db, Path) else []
    complete = final.items == total and final.feeds_full == FEEDS and not final.half_stored
    figures["complete after the next run"] += complete and not final_problems
    engine.dispose()
    print(
        f"kill {number:2}: {'group' if whole_group else 'main '} at {after_kill.items:5} items "
        f"(target {target:5}), {after_kill.feeds_full:3} feeds whole, "
        f"{after_kill.feeds_claimed:2} claimed and empty, {ended:2} leases ended; "
        f"next run exit {next_run.returncode}, {final.items} items"
    )
    failures = [f"kill {number}: {p}" for p in file_problems + after_kill.half_stored[:5]]
    if not landed:
        failures.append(f"kill {number}: the run had finished before the kill")
    if next_run.returncode != 0:
        failures.append(f"kill {number}: next run exit {next_run.returncode}: {next_run.stderr}")
    if not complete or final_problems:
        failures.append(
            f"kill {number}: after the next run {final.items}/{total} items, "
            f"{final.feeds_full}/{FEEDS} feeds whole, {final.half_stored[:3]}, {final_problems}"
        )
    return failures


def _poller_summary(kills: int, figures: Counter[str]) -> None:
    print(
        f"poller: {kills} kills, {figures['kills landed']} landed mid-run "
        f"({figures['whole-group kills']} whole group, {figures['main-process kills']} main "
        f"process only); integrity failures {figures['integrity failures']}; half-stored "
        f"{figures['half-stored items or feeds']}; next runs completed "
        f"{figures['next runs completed']}/{kills}; complete afterwards "
        f"{figures['complete after the next run']}/{kills}"
    )


def test_kill_poller_mid_poll(tmp_path: Path, poll_template: Path) -> None:
    rng = random.Random(_seed())
    figures: Counter[str] = Counter()
    failures: list[str] = []
    for kill in range(KILLS):
        path = tmp_path / f"poll-{kill}.db"
        shutil.copy(poll_template, path)
        failures += _kill_poller(path, kill + 1, rng, figures)
        _remove(path)
    _poller_summary(KILLS, figures)
    assert not failures, "\n".join(failures)


@pytest.mark.postgres
def test_kill_poller_mid_poll_postgres(pg_database: URL, farm_port: int) -> None:
    """The same on PostgreSQL (fewer kills: the file-level checks are SQLite's), in the test
    server's database, emptied of feeds and items before each kill."""
    url = pg_database.render_as_string(hide_password=False)
    upgraded = _tracker(url, "db", "upgrade")  # adds the reference actors
    assert upgraded.returncode == 0, upgraded.stderr
    rng = random.Random(_seed())
    figures: Counter[str] = Counter()
    failures: list[str] = []
    engine = make_engine(pg_database)
    try:
        for kill in range(PG_KILLS):
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM news_item"))
                conn.execute(text("DELETE FROM feed"))
            _add_farm(url, farm_port)
            failures += _kill_poller(url, kill + 1, rng, figures)
    finally:
        # Other tests on this database expect it empty, as the conftest's reset leaves it.
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    _poller_summary(PG_KILLS, figures)
    assert not failures, "\n".join(failures)


def test_item_checks_detect_a_broken_file(tmp_path: Path, poll_template: Path) -> None:
    """The checks above can fail: a tag row without its item's transaction, and an FTS row
    without its news item, are both reported."""
    path = tmp_path / "broken.db"
    shutil.copy(poll_template, path)
    assert _tracker(path, "poll", "--once", "--quiet").returncode == 0
    engine = make_engine(_url(path))
    assert not item_state(engine, ITEMS).half_stored
    with sqlite3.connect(path) as conn:
        conn.execute(
            "DELETE FROM news_item_actor WHERE rowid = (SELECT min(rowid) FROM news_item_actor)"
        )
        conn.execute("INSERT INTO news_item_fts(rowid, title, summary) VALUES (999999, 'x', 'y')")
    assert any("tags differ" in p for p in item_state(engine, ITEMS).half_stored)
    assert any("news_item_fts" in p for p in sqlite_file_problems(path))
    engine.dispose()


# --- the import ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def import_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A migrated file with the bench topics, and the CSV bench/import.py generates."""
    folder = tmp_path_factory.mktemp("import")
    path = folder / "template.db"
    upgraded = _tracker(path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    engine = make_engine(_url(path))
    with Session(engine) as session:
        for i in range(3):
            create_topic(
                session, TopicCreate(slug=f"bench-topic-{i}", title=f"Bench {i}", proposition="P")
            )
        session.commit()
    engine.dispose()
    _checkpointed(path)
    csv_path = folder / "statements.csv"
    csv_path.write_bytes(importlib.import_module("bench.import").make_csv(IMPORT_ROWS))
    return path, csv_path


def test_kill_import_all_or_nothing(tmp_path: Path, import_files: tuple[Path, Path]) -> None:
    template, csv_path = import_files
    rng = random.Random(_seed())
    # One uncut import: how long a run takes, and what "all" is.
    whole = tmp_path / "whole.db"
    shutil.copy(template, whole)
    started = time.monotonic()
    assert _tracker(whole, "statements", "import", str(csv_path)).returncode == 0
    duration = time.monotonic() - started
    engine = make_engine(_url(whole))
    everything = statement_state(engine)
    engine.dispose()
    assert everything.statements == IMPORT_ROWS and not everything.problems
    print(f"uncut import: {IMPORT_ROWS} rows in {duration:.1f} s")

    figures: Counter[str] = Counter()
    failures: list[str] = []
    for kill in range(KILLS):
        path = tmp_path / f"import-{kill}.db"
        shutil.copy(template, path)
        delay = rng.uniform(0.02, 0.9) * duration
        whole_group = rng.random() < 0.5
        process = _start(path, "statements", "import", str(csv_path))
        time.sleep(delay)
        landed = _kill(process, whole_group)
        figures["kills landed"] += landed
        engine = make_engine(_url(path))
        file_problems = sqlite_file_problems(path)
        after = statement_state(engine)
        counts = (after.statements, after.create_revisions, after.speakers, after.sources)
        nothing = counts == (0, 0, 0, 0)
        all_of_it = counts == (
            everything.statements,
            everything.create_revisions,
            everything.speakers,
            everything.sources,
        )
        figures["nothing stored" if nothing else "all stored" if all_of_it else "partial"] += 1
        figures["integrity failures"] += bool(file_problems)
        next_run = _tracker(path, "statements", "import", str(csv_path))
        final = statement_state(engine)
        engine.dispose()
        figures["next runs completed"] += next_run.returncode == 0
        print(
            f"kill {kill + 1:2}: {'group' if whole_group else 'main '} after {delay:4.1f} s: "
            f"{'landed' if landed else 'too late'}, {after.statements} statements; next run "
            f"exit {next_run.returncode}, {final.statements} statements"
        )
        if not (nothing or all_of_it) or after.problems:
            failures.append(f"kill {kill + 1}: partial import {counts} {after.problems[:3]}")
        failures += [f"kill {kill + 1}: {p}" for p in file_problems]
        if next_run.returncode != 0 or final.statements != IMPORT_ROWS or final.problems:
            failures.append(
                f"kill {kill + 1}: next import exit {next_run.returncode}, "
                f"{final.statements} statements, {final.problems[:3]}: {next_run.stderr[-300:]}"
            )
        _remove(path)
    print(
        f"import: {KILLS} kills, {figures['kills landed']} landed mid-run; nothing stored "
        f"{figures['nothing stored']}, all stored {figures['all stored']}, partial "
        f"{figures['partial']}; integrity failures {figures['integrity failures']}; next runs "
        f"completed {figures['next runs completed']}/{KILLS}"
    )
    assert not failures, "\n".join(failures)
