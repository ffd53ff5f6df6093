"""The app's one engine per process, and sessions on it.

A database that is missing, unreachable or at another schema version stops the page with a
message and the command that fixes it, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tracker.config import load_settings
from tracker.db import database_busy, make_engine
from tracker.errors import ConfigError, DatabaseBusy, SchemaError, TrackerError
from tracker.migrate import check_schema
from tracker.ui.text import md_escape

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _checked_engine(url: str) -> Engine:
    """One engine per database URL and process, created once its schema is known to be right.

    A failure raises and is not cached, so the next run tries again (after ``db upgrade``).
    """
    engine = make_engine(url)
    try:
        check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def get_engine() -> Engine:
    """The engine for ``TRACKER_DATABASE_URL``; stops the script with a clear error if unusable."""
    try:
        url = load_settings().database_url.render_as_string(hide_password=False)
        return _checked_engine(url)
    except TrackerError as exc:
        _stop_with(exc)
        raise  # unreachable: st.stop() raises


def _stop_with(exc: TrackerError) -> None:
    st.error(md_escape(str(exc)))
    if isinstance(exc.__cause__, DBAPIError):
        st.markdown(
            "Check that the database server is running and that `TRACKER_DATABASE_URL` "
            "names it, then reload this page."
        )
    elif isinstance(exc, SchemaError) and "db upgrade" in str(exc):
        st.markdown("Bring the database up to date, then reload this page:")
        st.code("tracker db upgrade", language="bash")
    elif isinstance(exc, ConfigError):
        st.markdown("Set the database URL, for example, then restart the app:")
        st.code("export TRACKER_DATABASE_URL=sqlite:///data/tracker.db", language="bash")
    st.stop()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session on the app's engine. Pages only read; writers commit explicitly."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def write_scope() -> Iterator[Session]:
    """A session for one write. A database kept busy by other writers past the wait raises
    :class:`DatabaseBusy`, a message for the page, rather than ending in an error page."""
    with session_scope() as session:
        try:
            yield session
        except DBAPIError as exc:
            session.rollback()
            if database_busy(exc):
                log.warning("a write gave up waiting for other writers: %s", exc.orig)
                raise DatabaseBusy() from exc
            raise
