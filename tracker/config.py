"""Settings read from the environment (``TRACKER_*``).

Read once per call to :func:`load_settings`; nothing here caches, so tests and the CLI can
change the environment between calls.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tracker.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///data/tracker.db"
DEMO_DIR = PROJECT_ROOT / "data" / "demo"

SUPPORTED_DRIVERS = {"sqlite", "sqlite+pysqlite", "postgresql+psycopg", "postgresql"}


@dataclass(frozen=True)
class Settings:
    database_url: URL
    demo_dir: Path


def parse_database_url(raw: str) -> URL:
    """Turn ``TRACKER_DATABASE_URL`` into a SQLAlchemy URL, or explain what is wrong with it."""
    text = raw.strip()
    if not text:
        raise ConfigError("TRACKER_DATABASE_URL is empty; unset it to use the default SQLite file")
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(
            f"TRACKER_DATABASE_URL is not a database URL: {text!r}. "
            "Use sqlite:///path/to/file.db or postgresql+psycopg://user:password@host/dbname"
        ) from None
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError(
            f"TRACKER_DATABASE_URL uses {url.drivername!r}, which the tracker does not support. "
            "Use sqlite:///… or postgresql+psycopg://…"
        )
    if url.drivername == "postgresql":
        # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername.startswith("sqlite"):
        if url.database in (None, "", ":memory:"):
            raise ConfigError(
                "TRACKER_DATABASE_URL must name a SQLite file (sqlite:///data/tracker.db); "
                "an in-memory database would vanish with each process"
            )
        path = Path(url.database or "")
        if not path.is_absolute():
            # Relative SQLite paths are relative to the project, not to wherever the command
            # happens to run, so the app, the CLI and the poller share one file.
            url = url.set(database=str(PROJECT_ROOT / path))
    elif not url.database:
        raise ConfigError("TRACKER_DATABASE_URL for PostgreSQL must name a database")
    return url


def load_settings() -> Settings:
    raw = os.environ.get("TRACKER_DATABASE_URL", DEFAULT_DATABASE_URL)
    demo_dir = Path(os.environ.get("TRACKER_DEMO_DIR", str(DEMO_DIR)))
    return Settings(database_url=parse_database_url(raw), demo_dir=demo_dir)
