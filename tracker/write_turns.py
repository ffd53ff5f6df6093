"""Turns at writing to one SQLite file, taken in order by the writers of every process.

SQLite's own wait for its write lock is a busy handler that sleeps (1, 2, 5, ... up to 100 ms)
and tries again, first come not first served: a process that commits and begins again at once
wins nearly every turn from one that has been waiting, which by then tries only every 100 ms.
Beside processes writing back to back, another process's occasional insert waited up to 3.6 s
(one such process) and 8.8 s (four); with the pollers storing items, a contributor's save
waited out the whole busy timeout and failed with "database is locked" (bench/RESULTS.md,
"SQLite writers"). Taking turns, the same inserts waited at most 3 and 18 ms.

Two flock(2) locks on files beside the database hand out the turns. ``-writelock`` is held for
the whole write transaction; ``-writequeue`` by the one writer that waits next. A writer takes
the queue, then the lock, then lets go of the queue, so the writer that has just let go of the
lock cannot take it again before the one queued. Waiters sleep in the kernel, which wakes them
when the lock is let go (no polling), and a process's flock locks go with it: a killed writer
holds up nobody.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


def turn_paths(database: Path) -> tuple[Path, Path]:
    """The lock and queue files of the SQLite database at ``database``."""
    return Path(f"{database}-writelock"), Path(f"{database}-writequeue")


class WriteTurns:
    """Take a turn with ``take``; give it back with ``give_back``."""

    def __init__(self, database: Path) -> None:
        self._lock_path, self._queue_path = turn_paths(database)

    def take(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for a turn: the descriptor holding it, or None.

        Raises OSError if the lock files cannot be opened (a read-only directory).
        """
        queue = _open(self._queue_path)
        try:
            lock = _open(self._lock_path)
        except OSError:
            os.close(queue)
            raise
        try:
            queued = _try(queue)
            if queued and _try(lock):
                os.close(queue)
                return lock
        except OSError:
            os.close(queue)
            os.close(lock)
            raise
        return self._wait(queue, lock, queued, timeout)

    @staticmethod
    def give_back(turn: int) -> None:
        os.close(turn)  # closing the only descriptor of the open file lets go of its lock

    def _wait(self, queue: int, lock: int, queued: bool, timeout: float) -> int | None:
        # flock has no timeout, so the waiting is done on a thread of its own; a wait given up
        # lets go of the lock the moment it gets it.
        waiter = _Waiter(queue, lock, queued)
        threading.Thread(target=waiter.run, name="sqlite-write-turn", daemon=True).start()
        waiter.done.wait(timeout)
        with waiter.mutex:
            if waiter.granted:
                return lock
            if waiter.error is not None:
                raise waiter.error
            waiter.abandoned = True
        return None


class _Waiter:
    def __init__(self, queue: int, lock: int, queued: bool) -> None:
        self.queue, self.lock, self.queued = queue, lock, queued
        self.mutex = threading.Lock()
        self.done = threading.Event()
        self.granted = False
        self.abandoned = False
        self.error: OSError | None = None

    def run(self) -> None:
        try:
            if not self.queued:
                fcntl.flock(self.queue, fcntl.LOCK_EX)
            fcntl.flock(self.lock, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(self.lock)
            os.close(self.queue)
            with self.mutex:
                self.error = exc
            self.done.set()
            return
        os.close(self.queue)
        with self.mutex:
            if self.abandoned:
                os.close(self.lock)
                return
            self.granted = True
        self.done.set()


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
