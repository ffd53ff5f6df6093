"""``tracker.db.database_busy`` tells a write kept out by other writers from any other failure,
on real lock conflicts: SQLite's lock held by another program past the busy timeout, and a
row lock on PostgreSQL past ``lock_timeout``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from tracker.db import database_busy


def _failure(run: Callable[[], object]) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught:
        run()
    return caught.value


def test_a_write_kept_out_by_another_writer_is_busy(engine: Engine) -> None:
    url = engine.url
    if engine.dialect.name == "sqlite":
        outside = sqlite3.connect(url.database or "", isolation_level=None)
        outside.execute("BEGIN IMMEDIATE")  # another program writing, not the tracker
        impatient = create_engine(url, connect_args={"timeout": 0.05})
        try:

            def write() -> None:
                with impatient.begin() as conn:
                    conn.execute(text("UPDATE topic SET title = title"))

            failure = _failure(write)
        finally:
            outside.execute("ROLLBACK")
            outside.close()
            impatient.dispose()
    else:
        with engine.connect() as holder, engine.connect() as waiter:
            holder.execute(text("LOCK TABLE actor IN EXCLUSIVE MODE"))
            waiter.execute(text("SET lock_timeout = '50ms'"))

            def write() -> None:
                waiter.execute(text("UPDATE actor SET name = name"))

            failure = _failure(write)
            waiter.rollback()
            holder.rollback()
    assert database_busy(failure), failure


def test_other_failures_are_not_busy(engine: Engine) -> None:
    with engine.connect() as conn:
        failure = _failure(lambda: conn.execute(text("SELECT * FROM no_such_table")))
        conn.rollback()
    assert not database_busy(failure)
    assert not database_busy(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    assert not database_busy(ValueError("database is locked"))  # not from the database
