"""`tracker users …` on both engines: passwords from stdin only, OIDC accounts, changes."""

import json

from typer.testing import CliRunner

from tracker.cli import app

runner = CliRunner()


def run(engine, *args: str, stdin: str | None = None):
    url = engine.url.render_as_string(hide_password=False)
    return runner.invoke(app, list(args), env={"TRACKER_DATABASE_URL": url}, input=stdin)


def test_add_with_email_and_without_password(engine):
    result = run(engine, "users", "add", "sso", "--role", "reviewer", "--no-password")
    assert result.exit_code == 1
    assert "email" in result.output
    result = run(
        engine, "users", "add", "sso", "--role", "reviewer", "--no-password", "--email", "s@x.org"
    )
    assert result.exit_code == 0, result.output
    assert "added as reviewer" in result.output


def test_set_role_disable_and_password(engine):
    assert run(engine, "users", "add", "omid", stdin="a good long password\n").exit_code == 0
    result = run(engine, "users", "set", "omid", "--role", "admin", "--disable")
    assert result.exit_code == 0, result.output
    assert "omid: admin, disabled" in result.output
    listed = json.loads(run(engine, "users", "list", "--json").output)
    assert listed[0]["role"] == "admin" and listed[0]["disabled"] is True
    result = run(engine, "users", "set", "omid", "--enable", "--password", stdin="short\n")
    assert result.exit_code == 1 and "password: at least 10 characters" in result.output
    result = run(engine, "users", "set", "nobody", "--enable")
    assert result.exit_code == 1 and "no user 'nobody'" in result.output
