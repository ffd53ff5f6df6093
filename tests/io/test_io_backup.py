"""Backups of a live SQLite database, restores, and the PostgreSQL path."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tracker.backup import (
    BackupError,
    backup_sqlite,
    database_in_use,
    pg_dump_command,
    postgres_message,
    restore_sqlite,
)
from tracker.db import make_engine
from tracker.migrate import head_revision
from tracker.models import NewsItem
from tracker.search import search
from tracker.timeutil import utcnow

BATCH = 25


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def live(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    return path


def _add_news(engine: Engine, start: int, count: int, word: str = "harbour") -> None:
    rows = [
        {
            "guid": f"g{start + i}",
            "title": f"Item {start + i} about the {word}",
            "fetched_at": utcnow(),
            "content_hash": f"h{start + i}",
        }
        for i in range(count)
    ]
    with Session(engine) as session:
        session.execute(insert(NewsItem), rows)
        session.commit()


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM news_item").fetchone()[0])
    finally:
        conn.close()


def test_backup_while_another_thread_writes_is_a_consistent_snapshot(live, tmp_path):
    engine = make_engine(_url(live))
    _add_news(engine, 0, BATCH)
    stop = threading.Event()
    written = [BATCH]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                _add_news(engine, written[0], BATCH)  # one transaction of BATCH rows
                written[0] += BATCH
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 10 * BATCH:
            threading.Event().wait(0.01)
        copies = [backup_sqlite(_url(live), tmp_path / f"copy{i}.db") for i in range(3)]
    finally:
        stop.set()
        thread.join()
    assert errors == []
    for copy in copies:
        counted = _count(copy.path)
        # Whole transactions only: a consistent snapshot never holds half a batch.
        assert counted % BATCH == 0 and counted >= 10 * BATCH
        assert copy.tables["news_item"] == counted
        assert copy.revision == head_revision()
        conn = sqlite3.connect(copy.path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            conn.execute("INSERT INTO news_item_fts(news_item_fts) VALUES ('integrity-check')")
        finally:
            conn.close()
    assert _count(live) == written[0]
    engine.dispose()


def test_restore_brings_back_the_backup(live, tmp_path):
    engine = make_engine(_url(live))
    _add_news(engine, 0, 10, "harbour")
    engine.dispose()
    copy = backup_sqlite(_url(live), tmp_path / "backup.db")
    engine = make_engine(_url(live))
    _add_news(engine, 100, 5, "lighthouse")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM news_item WHERE guid = 'g0'"))
    engine.dispose()
    assert _count(live) == 14

    result = restore_sqlite(_url(live), copy.path)
    assert result.tables == copy.tables and not result.needs_upgrade
    engine = make_engine(_url(live))
    with Session(engine) as session:
        titles = session.exec(select(NewsItem.title).order_by(NewsItem.id)).all()
        assert titles == [f"Item {i} about the harbour" for i in range(10)]
        # The search index came back with the rows.
        assert len(search(session, "harbour", limit=50).hits) == 10
        assert search(session, "lighthouse").hits == []
    engine.dispose()


def test_restore_into_a_new_file(live, tmp_path):
    copy = backup_sqlite(_url(live), tmp_path / "backup.db")
    target = tmp_path / "sub" / "restored.db"
    restore_sqlite(_url(target), copy.path)
    engine = make_engine(_url(target))
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(NewsItem)).one() == 0
    engine.dispose()


def test_restore_refuses_a_database_in_use_unless_forced(live, tmp_path):
    copy = backup_sqlite(_url(live), tmp_path / "backup.db")
    engine = make_engine(_url(live))
    with engine.connect() as conn:  # the app, say, has it open
        assert database_in_use(live)
        with pytest.raises(BackupError, match="in use"):
            restore_sqlite(_url(live), copy.path)
        conn.rollback()
    engine.dispose()
    assert not database_in_use(live)
    restore_sqlite(_url(live), copy.path)
    engine = make_engine(_url(live))
    with engine.connect():
        restore_sqlite(_url(live), copy.path, force=True)
    engine.dispose()


def test_restore_checks_the_file(live, tmp_path):
    target = _url(live)
    with pytest.raises(BackupError, match="no backup file"):
        restore_sqlite(target, tmp_path / "missing.db")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    with pytest.raises(BackupError, match="not a SQLite database"):
        restore_sqlite(target, text_file)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="not a tracker database"):
        restore_sqlite(target, other)
    future = tmp_path / "future.db"
    shutil.copy(backup_sqlite(target, tmp_path / "b.db").path, future)
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff'")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="does not know"):
        restore_sqlite(target, future)
    assert _count(live) == 0  # untouched by the refusals


def test_backup_refuses_to_overwrite_or_to_copy_onto_itself(live, tmp_path):
    copy = tmp_path / "copy.db"
    backup_sqlite(_url(live), copy)
    with pytest.raises(BackupError, match="exists already"):
        backup_sqlite(_url(live), copy)
    backup_sqlite(_url(live), copy, overwrite=True)
    with pytest.raises(BackupError, match="database itself"):
        backup_sqlite(_url(live), live, overwrite=True)
    with pytest.raises(BackupError, match="no database"):
        backup_sqlite(_url(tmp_path / "none.db"), tmp_path / "x.db")
    assert not list(tmp_path.glob(".*.partial"))


def test_postgres_is_backed_up_with_pg_dump():
    url = "postgresql+psycopg://tracker:secret@db.internal:5432/tracker"
    command = pg_dump_command(url, "tracker.dump")
    assert command[:3] == ["pg_dump", "--format=custom", "--file"]
    assert command[-1] == "postgresql://tracker@db.internal:5432/tracker"
    message = postgres_message(url)
    assert "pg_dump" in message and "pg_restore" in message and "secret" not in message
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite(url, Path("x.db"))
