"""Backups: a consistent copy of a live SQLite database, and bringing one back.

SQLite: :func:`backup_sqlite` uses SQLite's online backup API (``sqlite3.Connection.backup``)
in one step, which reads a single consistent snapshot. In WAL mode the app and the poller go on
writing meanwhile; the copy holds the database as of the moment the backup began. The copy is
written next to its destination and renamed into place when complete, then checked (integrity,
schema revision). :func:`restore_sqlite` copies a backup back with the same API, after checking
that it is a tracker database at a schema revision this code knows, and refuses to overwrite a
database other processes have open unless forced.

PostgreSQL: use the server's own tools (:func:`pg_dump_command`, :func:`pg_restore_command`)::

    pg_dump --format=custom --file tracker.dump "postgresql://tracker@db.internal:5432/tracker"
    pg_restore --clean --if-exists --no-owner --dbname "postgresql://…/tracker" tracker.dump

(the password from ``PGPASSWORD`` or ``~/.pgpass``, never on the command line).
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from tracker.config import parse_database_url
from tracker.errors import TrackerError
from tracker.migrate import alembic_config, head_revision

SQLITE_HEADER = b"SQLite format 3\x00"
TIMEOUT_SECONDS = 30.0
COUNT_QUERIES = {
    "statement": 'SELECT count(*) FROM "statement"',
    "event": 'SELECT count(*) FROM "event"',
    "news_item": 'SELECT count(*) FROM "news_item"',
    "topic": 'SELECT count(*) FROM "topic"',
    "feed": 'SELECT count(*) FROM "feed"',
    "user": 'SELECT count(*) FROM "user"',
    "revision": 'SELECT count(*) FROM "revision"',
}


class BackupError(TrackerError):
    """A backup or restore that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    revision: str  # the schema revision of the copy
    tables: dict[str, int]  # rows per tracker table, as counted in the copy


def _url(url: URL | str) -> URL:
    return parse_database_url(url) if isinstance(url, str) else url


def sqlite_path(url: URL | str) -> Path:
    """The database file of a SQLite URL; BackupError for any other engine."""
    parsed = _url(url)
    if not parsed.drivername.startswith("sqlite"):
        raise BackupError(postgres_message(parsed))
    return Path(parsed.database or "")


def _redacted(url: URL) -> str:
    """The URL for libpq tools, without the driver name and without the password."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=True)


def pg_dump_command(url: URL | str, file: Path | str) -> list[str]:
    """The ``pg_dump`` call that backs up the PostgreSQL database of ``url`` to ``file``."""
    return ["pg_dump", "--format=custom", "--file", str(file), _redacted(_url(url))]


def pg_restore_command(url: URL | str, file: Path | str) -> list[str]:
    return [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--dbname",
        _redacted(_url(url)),
        str(file),
    ]


def postgres_message(url: URL | str, file: Path | str = "tracker.dump") -> str:
    parsed = _url(url)
    return (
        f"`tracker backup` copies SQLite databases; this one is {parsed.get_backend_name()}. "
        "Back up PostgreSQL with its own tool (password from PGPASSWORD or ~/.pgpass):\n  "
        + shlex.join(pg_dump_command(parsed, file))
        + "\nand restore it into an empty database with:\n  "
        + shlex.join(pg_restore_command(parsed, file))
    )


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _describe(conn: sqlite3.Connection, what: str) -> tuple[str, dict[str, int]]:
    """Check a tracker database: intact, with a known schema revision. (revision, row counts)"""
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a SQLite database ({exc})") from None
    if check is None or check[0] != "ok":
        raise BackupError(f"{what} is damaged: {check[0] if check else 'no answer'}")
    tables = {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    }
    if "alembic_version" not in tables:
        raise BackupError(f"{what} is a SQLite database, but not a tracker database")
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    revision = row[0] if row else None
    if revision is None:
        raise BackupError(f"{what} has no schema revision: not a tracker database")
    if revision not in _known_revisions():
        raise BackupError(
            f"{what} is at schema revision {revision}, which this tracker does not know "
            "(made by a newer version?)"
        )
    counts = {}
    for name, query in COUNT_QUERIES.items():
        if name in tables:
            counts[name] = int(conn.execute(query).fetchone()[0])
    return revision, counts


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
    return sqlite3.connect(path, timeout=TIMEOUT_SECONDS)


def backup_sqlite(url: URL | str, destination: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the live SQLite database of ``url`` to ``destination``, consistently."""
    if not _url(url).drivername.startswith("sqlite"):
        raise BackupError(postgres_message(url, destination))
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    destination = destination.expanduser()
    if destination.resolve() == source.resolve():
        raise BackupError("the backup file cannot be the database itself")
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists already (use --force to replace it)")
    if not destination.parent.exists():
        raise BackupError(f"the folder {destination.parent} does not exist")
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    src = _connect(source)
    try:
        dst = sqlite3.connect(partial)
        try:
            # pages=-1: the whole database in one step, i.e. from one read snapshot. (A copy
            # in several steps would start over whenever another process writes.)
            src.backup(dst, pages=-1)
            # The copy is a single self-contained file, not a WAL database.
            dst.execute("PRAGMA journal_mode=DELETE")
            revision, counts = _describe(dst, "the copy")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}") from None
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(partial, destination)
    return BackupResult(destination, destination.stat().st_size, revision, counts)


def database_in_use(path: Path) -> bool:
    """Whether another connection has the SQLite database open (in WAL mode its ``-shm`` file
    exists while anyone has it open), or has it locked for writing."""
    if Path(f"{path}-shm").exists() or Path(f"{path}-wal").exists():
        return True
    if not path.exists():
        return False
    conn = sqlite3.connect(path, timeout=0)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    revision: str
    tables: dict[str, int]
    needs_upgrade: bool  # the backup is older than this code: run `tracker db upgrade`


def restore_sqlite(url: URL | str, backup: Path, *, force: bool = False) -> RestoreResult:
    """Replace the SQLite database of ``url`` with the contents of ``backup``."""
    target = sqlite_path(url)
    backup = backup.expanduser()
    if not backup.is_file():
        raise BackupError(f"there is no backup file at {backup}")
    with backup.open("rb") as f:
        if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{backup} is not a SQLite database")
    if target.exists() and backup.resolve() == target.resolve():
        raise BackupError("the backup is the database itself")
    src = _connect(backup, readonly=True)
    try:
        revision, counts = _describe(src, str(backup))
        if database_in_use(target) and not force:
            raise BackupError(
                f"the database {target} is in use (the app or the poller has it open). Stop "
                "them first, or use --force to replace it under them."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=TIMEOUT_SECONDS)
        try:
            # Through the backup API, so SQLite takes the locks a live database needs.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from None
    finally:
        src.close()
    return RestoreResult(target, revision, counts, needs_upgrade=revision != head_revision())
