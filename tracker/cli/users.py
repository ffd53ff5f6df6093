"""`tracker users …`: accounts and roles. Passwords come from a prompt or stdin, never an
argument (arguments end up in shell history and in `ps` output)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlmodel import Session

from tracker.cli.common import JsonOption, friendly_errors, get_engine, print_rows
from tracker.errors import TrackerError

users_app = typer.Typer(help="Accounts and roles.", no_args_is_help=True)


def _read_password() -> str:
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str, typer.Option(help="contributor, reviewer or admin")] = "contributor",
    email: Annotated[
        str | None,
        typer.Option(help="Email, to match sign-ins through OpenID Connect to this account."),
    ] = None,
    no_password: Annotated[
        bool,
        typer.Option("--no-password", help="Sign in only through OpenID Connect (needs --email)."),
    ] = False,
) -> None:
    """Add an account. The password is read from a prompt, or from stdin when piped."""
    from tracker.auth import create_user
    from tracker.db import session_scope

    with friendly_errors():
        engine = get_engine()
        password = None if no_password else _read_password()
        with session_scope(engine) as session:
            user = create_user(session, name, password, role, email=email)
        typer.echo(f"user {user.username} added as {user.role}")


@users_app.command("set")
def users_set(
    name: Annotated[str, typer.Argument(help="The username.")],
    role: Annotated[str | None, typer.Option(help="contributor, reviewer or admin")] = None,
    email: Annotated[str | None, typer.Option(help='Email ("" removes it).')] = None,
    disable: Annotated[
        bool | None, typer.Option("--disable/--enable", help="Disable or enable the account.")
    ] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Set a new password (prompt or stdin).")
    ] = False,
) -> None:
    """Change an account: role, email, disabled, password (also lifts a log-in lock)."""
    from tracker.auth import update_user, user_by_name
    from tracker.db import session_scope

    with friendly_errors():
        engine = get_engine()
        new_password = _read_password() if password else None
        with session_scope(engine) as session:
            found = user_by_name(session, name)
            if found is None:
                raise TrackerError(f"no user {name!r} (see: tracker users list)")
            user = update_user(
                session,
                found.id,
                user_id=None,
                role=role,
                email=email,
                disabled=disable,
                password=new_password,
            )
        state = "disabled" if user.disabled else "enabled"
        typer.echo(f"user {user.username}: {user.role}, {state}")


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
