"""The `tracker` command, run in-process against real databases on both engines."""

import json

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from tests.app.busy import locked_by_another_program
from tracker.cli import app
from tracker.db import make_engine

runner = CliRunner()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), env={"TRACKER_DATABASE_URL": url}, input=stdin)


def test_db_upgrade_is_idempotent(engine):
    first = run(_url(engine), "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "schema already at" in first.output
    assert "reference actors: 259 added" in first.output
    second = run(_url(engine), "db", "upgrade")
    assert second.exit_code == 0
    assert "reference actors" not in second.output


def test_db_upgrade_creates_a_new_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path}/sub/dir/new.db"
    result = run(url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "schema upgraded from empty to" in result.output
    assert (tmp_path / "sub" / "dir" / "new.db").exists()


def test_demo_load_twice_adds_nothing_the_second_time(engine):
    url = _url(engine)
    run(url, "db", "upgrade")
    first = run(url, "demo", "load")
    assert first.exit_code == 0, first.output
    assert "demo loaded" in first.output
    second = run(url, "demo", "load")
    assert "nothing added" in second.output
    assert "already has data" in run(url, "demo", "load", "--if-empty").output
    listed = json.loads(run(url, "statements", "list", "--json").output)
    assert {s["status"] for s in listed} == {"pending"}
    assert len({s["actor_code"] for s in listed}) >= 10


def test_demo_load_with_missing_file_says_so(engine, tmp_path):
    result = run(_url(engine), "demo", "load", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "demo file" in result.output and "is missing" in result.output


def test_users_add_reads_password_from_stdin(engine):
    url = _url(engine)
    result = run(url, "users", "add", "dina", "--role", "admin", stdin="a good long password\n")
    assert result.exit_code == 0, result.output
    users = json.loads(run(url, "users", "list", "--json").output)
    assert users == [{"id": 1, "username": "dina", "role": "admin", "disabled": False}]
    bad = run(url, "users", "add", "eve", "--role", "root", stdin="a good long password\n")
    assert bad.exit_code == 1
    assert "role: choose one of" in bad.output
    assert len(json.loads(run(url, "users", "list", "--json").output)) == 1


def test_a_write_on_a_busy_database_is_a_message_and_stores_nothing(tmp_path):
    url = f"sqlite:///{tmp_path}/busy.db"
    assert run(url, "db", "upgrade").exit_code == 0
    with locked_by_another_program(url):  # longer than a write waits
        result = run(url, "users", "add", "dina", "--role", "admin", stdin="a good long password\n")
    assert result.exit_code == 1
    assert "error: The database was busy with other writes" in result.output
    assert "Traceback" not in result.output
    assert json.loads(run(url, "users", "list", "--json").output) == []


def test_bad_database_url_is_a_message_not_a_traceback():
    result = run("mysql://someone@somewhere/db", "topics", "list")
    assert result.exit_code == 1
    assert "does not support" in result.output
    assert "Traceback" not in result.output


def test_database_without_schema(tmp_path):
    result = run(f"sqlite:///{tmp_path}/empty.db", "topics", "list")
    assert result.exit_code == 1
    assert "tracker db upgrade" in result.output


def test_database_newer_than_the_code(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    url = _url(engine)
    for args in (("topics", "list"), ("db", "upgrade")):
        result = run(url, *args)
        assert result.exit_code == 1
        assert "newer" in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["bloc", "organisation"])
def test_actor_list_by_kind(engine, kind):
    run(_url(engine), "db", "upgrade")
    rows = json.loads(run(_url(engine), "actors", "list", "--kind", kind, "--json").output)
    assert rows and {r["kind"] for r in rows} == {kind}


def test_postgres_url_that_cannot_connect():
    engine = make_engine("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    result = run(_url(engine), "topics", "list")
    assert result.exit_code == 1
    assert "cannot use the database" in result.output.lower()
