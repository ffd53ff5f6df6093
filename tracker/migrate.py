"""Schema migrations (Alembic) and the check that the database matches this code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from tracker.errors import SchemaError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Bring the schema up to ``target``; return (revision before, revision after).

    Idempotent: at head already, nothing runs. The whole upgrade is one transaction, so on
    PostgreSQL (and SQLite for DDL that supports it) a failing step leaves the old schema.
    """
    before = current_revision(engine)
    if before is not None and before not in _known_revisions():
        raise SchemaError(
            f"The database is at schema revision {before}, which this version of the tracker "
            "does not know: it was created by a newer version. Upgrade the tracker, or point "
            "TRACKER_DATABASE_URL at another database."
        )
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    return before, current_revision(engine) or ""


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaError` with a clear message unless the database is at head."""
    try:
        current = current_revision(engine)
    except (OperationalError, ProgrammingError) as exc:
        raise SchemaError(f"Cannot use the database: {exc.orig}") from exc
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaError("The database has no tracker schema yet. Run: tracker db upgrade")
    if current not in _known_revisions():
        raise SchemaError(
            f"The database is at schema revision {current}, newer than this tracker ({head}). "
            "Upgrade the tracker."
        )
    raise SchemaError(
        f"The database schema ({current}) is older than this tracker ({head}). "
        "Run: tracker db upgrade"
    )
