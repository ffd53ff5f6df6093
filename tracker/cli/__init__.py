"""The ``tracker`` command: one module per group of sub-commands, registered here."""

from __future__ import annotations

import typer

import tracker.cli.synth  # noqa: F401  (registers `tracker demo synth`)
from tracker.cli.catalog import actors_app, statements_app, topics_app
from tracker.cli.db import db_app, demo_app
from tracker.cli.feeds import feeds_app
from tracker.cli.io import register as register_io
from tracker.cli.poll import news_app, poll
from tracker.cli.search import register as register_search
from tracker.cli.users import users_app

app = typer.Typer(
    help="Event-and-statement timeline tracker.", no_args_is_help=True, add_completion=False
)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(topics_app, name="topics")
app.add_typer(statements_app, name="statements")
app.add_typer(actors_app, name="actors")
app.add_typer(feeds_app, name="feeds")
app.command("poll")(poll)
app.add_typer(news_app, name="news")
register_io(app)
register_search(app)


def main() -> None:
    app()
