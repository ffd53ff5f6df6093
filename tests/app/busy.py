"""A SQLite database kept busy by a program outside the tracker."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def locked_by_another_program(url: str) -> Iterator[None]:
    """Hold SQLite's write lock from a connection outside the tracker (it takes no turn), as
    the sqlite3 shell would: the tracker's writes wait out the busy timeout (10 s) and fail."""
    outside = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        outside.execute("ROLLBACK")
        outside.close()
