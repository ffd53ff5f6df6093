"""What every `tracker` sub-command shares: clear errors, the engine, table or JSON output."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from tracker.errors import DatabaseBusy, TrackerError, ValidationError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn errors the user can act on into clear lines instead of a traceback."""
    try:
        yield
    except ValidationError as exc:
        lines = "\n".join(f"  {field}: {msg}" for field, msg in exc.problems.items())
        fail(f"nothing was stored:\n{lines}")
    except TrackerError as exc:
        fail(str(exc))
    except OperationalError as exc:
        from tracker.db import database_busy

        if database_busy(exc):
            fail(str(DatabaseBusy()))
        # Drivers add hint lines ("Is the server running…"); keep the message to one line.
        fail(f"cannot use the database: {' '.join(str(exc.orig).split())}")


def get_engine(*, check: bool = True) -> Engine:
    """The engine from TRACKER_DATABASE_URL; by default refuses a schema not at head."""
    from tracker.db import make_engine
    from tracker.migrate import check_schema

    try:
        engine = make_engine()
    except OSError as exc:
        # The folder of a SQLite file is created on demand; a path where it cannot be made
        # (no permission, a read-only file system) is a configuration mistake, not a crash.
        fail(f"cannot use the database: {exc.filename}: {exc.strerror or exc}")
    if check:
        check_schema(engine)
    return engine


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def print_rows(
    rows: Sequence[T], as_json: bool, columns: Sequence[tuple[str, Callable[[T], object]]]
) -> None:
    """Rows as JSON (every field), or as a plain-text table of the given columns."""
    if as_json:
        typer.echo(json.dumps(jsonable(list(rows)), ensure_ascii=False, indent=2))
        return
    table = [[h for h, _ in columns]] + [
        ["" if get(r) is None else str(get(r)) for _, get in columns] for r in rows
    ]
    widths = [min(max(len(row[i]) for row in table), 60) for i in range(len(columns))]
    for row in table:
        typer.echo("  ".join(cell[:60].ljust(w) for cell, w in zip(row, widths, strict=True)))
