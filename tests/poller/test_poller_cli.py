"""`tracker poll` and `tracker news list`, run in-process against a real SQLite file."""

import json
import os
import signal
import subprocess
import sys

import pytest
from poller_helpers import item, rss
from sqlmodel import Session
from typer.testing import CliRunner

from tracker.cli import app
from tracker.db import make_engine
from tracker.migrate import upgrade
from tracker.models import Feed

runner = CliRunner()


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path}/tracker.db"
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()


def run(url: str, *args: str, allow: str = "127.0.0.1/32"):
    env = {"TRACKER_DATABASE_URL": url, "TRACKER_ALLOW_PRIVATE_FEEDS": allow}
    return runner.invoke(app, list(args), env=env)


def test_poll_once_then_news_list(database, server):
    url, engine = database
    body = rss(item("a", "Iran and Pakistan hold talks"), item("b", "Oman mediates"))
    server.expect_request("/feed.xml").respond_with_data(body, content_type="application/rss+xml")
    with Session(engine) as session:
        session.add(Feed(url=server.url_for("/feed.xml")))
        session.commit()

    result = run(url, "poll", "--once", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "polled 1 feeds" in result.stdout
    assert "2 new items" in result.stdout

    again = run(url, "poll", "--once")
    assert "polled 0 feeds" in again.stdout  # nothing is due any more
    forced = run(url, "poll", "--once", "--all")
    assert "polled 1 feeds" in forced.stdout
    assert "1 unchanged" in forced.stdout

    listed = run(url, "news", "list", "--json", "--limit", "1")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert len(rows) == 1
    assert rows[0]["title"] in {"Iran and Pakistan hold talks", "Oman mediates"}

    table = run(url, "news", "list")
    assert "Oman mediates" in table.stdout

    found = run(url, "news", "list", "--json", "--words", "oman", "--from", "2000-01-01")
    assert found.exit_code == 0, found.output
    assert [row["title"] for row in json.loads(found.stdout)] == ["Oman mediates"]
    none = run(url, "news", "list", "--json", "--to", "2000-01-01")
    assert json.loads(none.stdout) == []


def test_once_and_loop_together_is_refused(database):
    url, _ = database
    result = run(url, "poll", "--once", "--loop")
    assert result.exit_code == 1
    assert "not both" in result.output


def test_a_bad_private_feeds_setting_is_a_clear_error(database):
    url, _ = database
    result = run(url, "poll", "--once", allow="yes please")
    assert result.exit_code == 1
    assert "TRACKER_ALLOW_PRIVATE_FEEDS" in result.output
    assert "Traceback" not in result.output


def test_poll_loop_finishes_cleanly_on_sigterm(database, server):
    url, engine = database
    server.expect_request("/feed.xml").respond_with_data(rss(item("a", "Story")))
    with Session(engine) as session:
        session.add(Feed(url=server.url_for("/feed.xml")))
        session.commit()
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_ALLOW_PRIVATE_FEEDS": "127.0.0.1/32"}
    command = [sys.executable, "-c", "from tracker.cli import main; main()", "poll", "--loop"]
    process = subprocess.Popen(
        [*command, "--sleep", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("polled"):
                break
        assert any("1 new items" in line for line in lines), lines
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_poll_with_poller_processes(database, server):
    url, engine = database
    with Session(engine) as session:
        for n in range(40):
            path = f"/f{n}.xml"
            body = rss(item(f"{n}-a", f"Story {n} on Iran"), item(f"{n}-b", f"Story {n} on Oman"))
            server.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
            session.add(Feed(url=server.url_for(path)))
        session.commit()
    result = run(url, "poll", "--once", "--processes", "2", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "polled 40 feeds" in result.stdout and "80 new items" in result.stdout
    assert len(server.log) == 40  # two pollers, no feed fetched twice


def test_a_negative_process_count_is_refused(database):
    url, _ = database
    result = run(url, "poll", "--once", "--processes", "-1")
    assert result.exit_code != 0
    assert "--processes" in result.output and "Traceback" not in result.output
