"""`tracker db …` and `tracker demo …`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import friendly_errors, get_engine

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo data set.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema, and add any missing reference actors. Safe to repeat."""
    from tracker.actors import sync_reference_actors
    from tracker.db import session_scope
    from tracker.migrate import upgrade

    with friendly_errors():
        engine = get_engine(check=False)
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
        engine = get_engine(check=False)
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
        engine = get_engine()
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
