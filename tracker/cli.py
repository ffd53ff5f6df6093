"""The ``tracker`` command."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tracker.errors import TrackerError, ValidationError

app = typer.Typer(
    help="Event-and-statement timeline tracker.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo data set.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts and roles.", no_args_is_help=True)
topics_app = typer.Typer(help="Topics and their stance scales.", no_args_is_help=True)
statements_app = typer.Typer(help="Statements.", no_args_is_help=True)
actors_app = typer.Typer(help="Countries, blocs and organisations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(topics_app, name="topics")
app.add_typer(statements_app, name="statements")
app.add_typer(actors_app, name="actors")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
T = TypeVar("T")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn errors the user can act on into one clear line instead of a traceback."""
    try:
        yield
    except ValidationError as exc:
        lines = "\n".join(f"  {field}: {msg}" for field, msg in exc.problems.items())
        fail(f"nothing was stored:\n{lines}")
    except TrackerError as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"cannot use the database: {exc.orig}")


def _engine(*, check: bool = True) -> Engine:
    from tracker.db import make_engine
    from tracker.migrate import check_schema

    engine = make_engine()
    if check:
        check_schema(engine)
    return engine


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def print_rows(
    rows: Sequence[T], as_json: bool, columns: Sequence[tuple[str, Callable[[T], object]]]
) -> None:
    if as_json:
        typer.echo(json.dumps(_jsonable(list(rows)), ensure_ascii=False, indent=2))
        return
    table = [[h for h, _ in columns]] + [
        ["" if get(r) is None else str(get(r)) for _, get in columns] for r in rows
    ]
    widths = [min(max(len(row[i]) for row in table), 60) for i in range(len(columns))]
    for row in table:
        typer.echo("  ".join(cell[:60].ljust(w) for cell, w in zip(row, widths, strict=True)))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema, and add any missing reference actors. Safe to repeat."""
    from tracker.actors import sync_reference_actors
    from tracker.db import session_scope
    from tracker.migrate import upgrade

    with friendly_errors():
        engine = _engine(check=False)
        before, after = upgrade(engine)
        with session_scope(engine) as session:
            synced = sync_reference_actors(session)
        if before == after:
            typer.echo(f"schema already at {after}")
        else:
            typer.echo(f"schema upgraded from {before or 'empty'} to {after}")
        if synced.actors_added or synced.aliases_added or synced.memberships_added:
            typer.echo(
                f"reference actors: {synced.actors_added} added, {synced.aliases_added} aliases, "
                f"{synced.memberships_added} memberships"
            )


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and of this code."""
    from tracker.migrate import current_revision, head_revision

    with friendly_errors():
        engine = _engine(check=False)
        typer.echo(f"database: {current_revision(engine) or 'empty'}; code: {head_revision()}")


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only load into a database with no topics yet.")
    ] = False,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Folder with the demo files.")
    ] = None,
) -> None:
    """Load the demo data built from the seed report. Running it again adds nothing."""
    from tracker.db import session_scope
    from tracker.demo import database_is_empty, load_demo

    with friendly_errors():
        engine = _engine()
        with session_scope(engine) as session:
            if if_empty and not database_is_empty(session):
                typer.echo("database already has data; demo not loaded")
                return
            result = load_demo(session, directory)
        if result.anything_added:
            typer.echo(
                f"demo loaded: {result.topics_added} topics, {result.statements_added} "
                f"statements, {result.events_added} events, {result.news_items_added} news items"
            )
        else:
            typer.echo("demo already loaded; nothing added")


def _read_password() -> str:
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str, typer.Option(help="contributor, reviewer or admin")] = "contributor",
) -> None:
    """Add an account. The password is read from a prompt, or from stdin when piped."""
    from tracker.auth import create_user
    from tracker.db import session_scope

    with friendly_errors():
        engine = _engine()
        password = _read_password()
        with session_scope(engine) as session:
            user = create_user(session, name, password, role)
        typer.echo(f"user {user.username} added as {user.role}")


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """List accounts."""
    from tracker.auth import list_users

    with friendly_errors(), Session(_engine()) as session:
        users = list_users(session)
    print_rows(
        users,
        as_json,
        [
            ("username", lambda u: u.username),
            ("role", lambda u: u.role),
            ("disabled", lambda u: u.disabled),
        ],
    )


@topics_app.command("list")
def topics_list(as_json: JsonOption = False) -> None:
    """List topics with their stance scales."""
    from tracker.topics import list_topics

    with friendly_errors(), Session(_engine()) as session:
        topics = list_topics(session)
    print_rows(
        topics,
        as_json,
        [
            ("slug", lambda t: t.slug),
            ("title", lambda t: t.title),
            ("scale", lambda t: " | ".join(f"{lv.value:+d} {lv.label}" for lv in t.levels)),
        ],
    )


@statements_app.command("list")
def statements_list(
    as_json: JsonOption = False,
    topic: Annotated[str | None, typer.Option(help="Topic slug.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, verified, rejected…")] = None,
) -> None:
    """List statements, newest first."""
    from tracker.statements import list_statements
    from tracker.topics import get_topic_by_slug

    with friendly_errors(), Session(_engine()) as session:
        topic_id = None
        if topic is not None:
            found = get_topic_by_slug(session, topic)
            if found is None:
                raise TrackerError(f"no topic with the slug {topic!r} (see: tracker topics list)")
            topic_id = found.id
        rows = list_statements(session, topic_id=topic_id, statuses=[status] if status else None)
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda s: s.id),
            ("date", lambda s: s.said_on),
            ("actor", lambda s: s.actor_code),
            ("stance", lambda s: s.stance_label),
            ("status", lambda s: s.status),
            ("text", lambda s: s.quote or s.summary),
        ],
    )


@actors_app.command("list")
def actors_list(
    as_json: JsonOption = False,
    kind: Annotated[str | None, typer.Option(help="country, bloc, organisation…")] = None,
) -> None:
    """List actors."""
    from tracker.actors import list_actors

    with friendly_errors(), Session(_engine()) as session:
        actors = list_actors(session, [kind] if kind else None)
    print_rows(
        actors,
        as_json,
        [("code", lambda a: a.code), ("name", lambda a: a.name), ("kind", lambda a: a.kind)],
    )


def main() -> None:
    app()
