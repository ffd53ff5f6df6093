"""Alembic environment. The engine comes from the caller (``tracker.migrate``) or the settings."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import tracker.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from tracker.db import make_engine
from tracker.timeutil import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine()
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import application code, which changes over time: render our
    # column types as the plain SQLAlchemy types they store as.
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # The full-text search tables, their shadow tables and the tsvector columns are made by
    # hand-written SQL in migration 0003 and have no model: autogenerate must leave them be.
    if type_ == "table" and name and "_fts" in name:
        return False
    if type_ == "index" and name and name.endswith("_search"):
        return False
    return not (type_ == "column" and name == "search_vector")


def _run(connection: object) -> None:
    context.configure(
        render_item=_render_item,
        include_object=_include_object,
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
