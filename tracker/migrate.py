"""Schema migrations (Alembic) and the check that the database matches this code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from tracker.errors import SchemaError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(migrations_dir: Path = MIGRATIONS_DIR) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _known_revisions(migrations_dir: Path = MIGRATIONS_DIR) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(migrations_dir))
    return {rev.revision for rev in script.walk_revisions()}


@contextmanager
def _one_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one database transaction that also covers DDL.

    PostgreSQL has transactional DDL. Python's sqlite3 driver opens a transaction only before
    INSERT, UPDATE and DELETE, so every CREATE, DROP and ALTER of a migration used to commit on
    its own and a failing step left half a schema behind. For SQLite the driver's own
    transaction handling is switched off on this connection and the transaction is opened and
    closed here (SQLite itself rolls DDL back fine).
    """
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        # IMMEDIATE: take the write lock now, so no other writer slips in between the steps.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            # Some errors (a full disk, for one) make SQLite roll back by itself already.
            if getattr(connection.connection.driver_connection, "in_transaction", False):
                connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")


def _cause(exc: Exception) -> str:
    if isinstance(exc, DBAPIError):
        return str(exc.orig).strip().splitlines()[0]
    return f"{type(exc).__name__}: {exc}"


def upgrade(
    engine: Engine, target: str = "head", *, migrations_dir: Path = MIGRATIONS_DIR
) -> tuple[str | None, str]:
    """Bring the schema up to ``target``; return (revision before, revision after).

    Idempotent: at head already, nothing runs. The whole upgrade, every revision of it, is one
    transaction on both engines: if any step fails, the database is left exactly as it was and
    :class:`SchemaError` says so.
    """
    before = current_revision(engine)
    if before is not None and before not in _known_revisions(migrations_dir):
        raise SchemaError(
            f"The database is at schema revision {before}, which this version of the tracker "
            "does not know: it was created by a newer version. Upgrade the tracker, or point "
            "TRACKER_DATABASE_URL at another database."
        )
    config = alembic_config(migrations_dir)
    goal = target
    if target == "head":
        goal = ScriptDirectory.from_config(config).get_current_head() or target
    try:
        with _one_transaction(engine) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, target)
    except Exception as exc:
        raise SchemaError(
            f"The schema upgrade from {before or 'an empty database'} to {goal} failed and "
            f"was undone: the database is unchanged, still at {before or 'no schema'}. "
            f"Cause: {_cause(exc)}"
        ) from exc
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
