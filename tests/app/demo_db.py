"""A SQLite file with the demo data, as `make run` would create it: migrated, then load_demo."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from tracker.db import make_engine
from tracker.demo import load_demo
from tracker.migrate import upgrade


def build_demo_db(path: Path) -> str:
    """Create the demo database at ``path``; return its URL for ``TRACKER_DATABASE_URL``."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            load_demo(session)
            session.commit()
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return url
