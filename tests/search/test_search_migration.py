"""Migration 0003 indexes the rows already there, and goes down and up again cleanly."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from tracker.db import make_engine
from tracker.migrate import alembic_config, upgrade
from tracker.search import search

BEFORE = "0002"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/old.db")
        yield engine
        engine.dispose()
        return
    server = make_url(
        os.environ.get(
            "TRACKER_TEST_PG_URL", "postgresql+psycopg://tracker:tracker@127.0.0.1:5432/postgres"
        )
    )
    name = f"tracker_search_migration_{os.getpid()}"
    try:
        admin = make_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    engine = make_engine(server.set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _downgrade(engine: Engine, target: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, target)


def test_existing_rows_are_indexed_and_the_migration_reverses(empty_engine):
    engine = empty_engine
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO news_item (guid, title, summary, fetched_at, content_hash) "
                "VALUES ('old', 'Old harbour news', '<p>Fishermen and frigates</p>', "
                "'2025-01-01 00:00:00', 'h')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO topic (slug, title, proposition, created_at, updated_at) "
                "VALUES ('t', 'T', 'P', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            )
        )
        conn.execute(
            text("INSERT INTO actor (code, name, kind) VALUES ('PAK', 'Pakistan', 'country')")
        )
        conn.execute(
            text(
                "INSERT INTO statement (topic_id, actor_id, said_on, date_precision, summary, "
                "stance, channel, status, created_at, updated_at) VALUES (1, 1, '2025-01-01', "
                "'day', 'An older lighthouse statement', 0, 'other', 'pending', "
                "'2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            )
        )
    upgrade(engine)
    with Session(engine) as session:
        assert [h.kind for h in search(session, "frigates").hits] == ["news"]
        assert [h.kind for h in search(session, "lighthouse").hits] == ["statement"]
    _downgrade(engine, BEFORE)
    upgrade(engine)
    with Session(engine) as session:
        assert [h.kind for h in search(session, "harbour").hits] == ["news"]
        assert [h.kind for h in search(session, "lighthouse").hits] == ["statement"]
