"""Shared fixtures: a migrated database on each engine.

Storage tests take the ``engine`` fixture and run once on SQLite and once on PostgreSQL. The
PostgreSQL server comes from ``TRACKER_TEST_PG_URL`` (default: the one ``.ci/run`` starts);
each pytest run creates its own database on it and drops it at the end, so parallel runs do
not collide. Where no server answers, the PostgreSQL variants are reported as skipped.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import Session, SQLModel

from tracker.db import make_engine
from tracker.migrate import head_revision, upgrade

DEFAULT_PG_URL = "postgresql+psycopg://tracker:tracker@127.0.0.1:5432/postgres"


@pytest.fixture(autouse=True)
def keep_main_module() -> Iterator[None]:
    """AppTest runs its script as ``__main__`` and leaves it there; put pytest's back, or a
    later test that starts processes (the poller's, the importer's) would run the app's
    script in each of them."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


def _pg_server_url() -> URL:
    return make_url(os.environ.get("TRACKER_TEST_PG_URL", DEFAULT_PG_URL))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    server = _pg_server_url()
    name = f"tracker_test_{os.getpid()}"
    try:
        admin = make_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        message = f"PostgreSQL not reachable at {server.render_as_string()}: {exc}"
        if os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1":
            # CI starts a server: there, a missing one is a failure, not a quiet skip.
            pytest.fail(message)
        pytest.skip(message)
    url = server.set(database=name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset(engine: Engine) -> None:
    """Empty every table and put the schema version back, whatever the test did."""
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head_revision()})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "tracker.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        url: URL = request.getfixturevalue("pg_database")
        eng = make_engine(url)
        try:
            yield eng
        finally:
            _reset(eng)
            eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
