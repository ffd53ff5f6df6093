"""Migrations upgrade a database in place and refuse one they do not know."""

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import Session, select

from tracker.db import make_engine
from tracker.errors import SchemaError
from tracker.migrate import alembic_config, check_schema, current_revision, head_revision, upgrade
from tracker.models import Topic


def _revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_each_revision_upgrades_in_place_keeping_data(tmp_path):
    """Stop at every revision with data in the database, then go on to head."""
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    revisions = _revisions_oldest_first()
    upgrade(engine, revisions[0])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO topic (slug, title, proposition, created_at, updated_at) "
                "VALUES ('kept', 'Kept', 'P', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            )
        )
    for revision in revisions[1:]:
        upgrade(engine, revision)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with Session(engine) as session:
        assert session.exec(select(Topic.slug)).all() == ["kept"]


def test_check_schema_messages(engine):
    check_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zzzz'"))
    with pytest.raises(SchemaError, match="newer"):
        check_schema(engine)
    with pytest.raises(SchemaError, match="newer version"):
        upgrade(engine)


def test_empty_database_is_reported(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(SchemaError, match="tracker db upgrade"):
        check_schema(engine)


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
