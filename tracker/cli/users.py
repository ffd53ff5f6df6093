"""`tracker users …`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlmodel import Session

from tracker.cli.common import JsonOption, friendly_errors, get_engine, print_rows

users_app = typer.Typer(help="Accounts and roles.", no_args_is_help=True)


def _read_password() -> str:
    # Never an argument: arguments end up in shell history and in `ps` output.
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
        engine = get_engine()
        password = _read_password()
        with session_scope(engine) as session:
            user = create_user(session, name, password, role)
        typer.echo(f"user {user.username} added as {user.role}")


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """List accounts."""
    from tracker.auth import list_users

    with friendly_errors(), Session(get_engine()) as session:
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
