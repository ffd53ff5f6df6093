"""Writers on one SQLite file take turns in order, across threads and processes.

The turns are real flock(2) locks on files beside a real database; each ``WriteTurns`` opens
its own descriptors, so two of them in one process contend as two processes would.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tracker.db import make_engine
from tracker.write_turns import WriteTurns, turn_paths


def _held_elsewhere(database: Path) -> bool:
    """Whether someone holds the write lock, asked through a descriptor of our own."""
    turns = WriteTurns(database)
    turn = turns.take(timeout=0.05)
    if turn is None:
        return True
    turns.give_back(turn)
    return False


def test_one_turn_at_a_time_and_a_wait_given_up_lets_go_of_it(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    first, second = WriteTurns(database), WriteTurns(database)
    turn = first.take(timeout=1)
    assert turn is not None
    assert second.take(timeout=0.1) is None
    first.give_back(turn)
    # The wait given up above gets the turn now, and lets go of it at once.
    again = second.take(timeout=5)
    assert again is not None
    second.give_back(again)
    assert all(path.exists() for path in turn_paths(database))


def test_a_writer_that_lets_go_cannot_take_the_next_turn_from_one_waiting(
    tmp_path: Path,
) -> None:
    database = tmp_path / "t.db"
    _lock, queue = turn_paths(database)
    hog, waiter = WriteTurns(database), WriteTurns(database)
    held = hog.take(timeout=1)
    assert held is not None
    got: list[int | None] = []
    thread = threading.Thread(target=lambda: got.append(waiter.take(timeout=10)))
    thread.start()
    _wait_until_queued(queue)
    # The hog lets go and at once asks again, as a process writing back to back does; under
    # SQLite's busy handler it won nearly every such turn.
    hog.give_back(held)
    assert hog.take(timeout=0.3) is None
    thread.join()
    assert got and got[0] is not None
    waiter.give_back(got[0])


def _wait_until_queued(queue: Path) -> None:
    probe = os.open(queue, os.O_RDWR)
    try:
        for _ in range(500):
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(probe, fcntl.LOCK_UN)
            except BlockingIOError:
                return
            threading.Event().wait(0.01)
        raise AssertionError("the waiter never queued")
    finally:
        os.close(probe)


def test_a_killed_writer_holds_up_nobody(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from tracker.write_turns import "
            "WriteTurns; assert WriteTurns(Path(sys.argv[1])).take(timeout=5) is not None; "
            "print('holding', flush=True); time.sleep(60)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        assert _held_elsewhere(database)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        turn = WriteTurns(database).take(timeout=5)
        assert turn is not None
        os.close(turn)
    finally:
        child.kill()


def test_a_write_transaction_holds_a_turn_until_it_ends(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    assert not _held_elsewhere(database)
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM t")).one()
        assert not _held_elsewhere(database)  # readers take no turn
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert _held_elsewhere(database)
        conn.rollback()
        assert not _held_elsewhere(database)
        conn.execute(text("INSERT INTO t VALUES (2)"))
        conn.commit()
    assert not _held_elsewhere(database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [2]
    engine.dispose()


def test_writes_go_on_when_the_turn_files_cannot_be_made(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "t.db"
    lock, _queue = turn_paths(database)
    lock.mkdir()  # in the way of the lock file, as a read-only directory would be for a user
    engine = make_engine(f"sqlite:///{database}")
    with caplog.at_level(logging.WARNING, logger="tracker.db"):
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    engine.dispose()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "cannot take turns with other processes" in warnings[0]


def test_a_database_in_memory_takes_no_turns() -> None:
    # The app refuses such a URL in its settings; code may still pass one.
    engine = make_engine(make_url("sqlite://"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()
    assert not list(Path.cwd().glob("*-writelock"))
