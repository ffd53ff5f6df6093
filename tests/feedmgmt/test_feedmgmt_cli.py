"""`tracker feeds …` in-process, on both engines, with a loopback server for discovery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from tracker.cli import app
from tracker.models import Feed

DEMO_OPML = Path(__file__).resolve().parents[2] / "data" / "demo" / "feeds.opml"
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback Wire</title>
<item><title>One</title><guid>1</guid></item></channel></rss>"""

runner = CliRunner()


def run(engine: Engine, *args: str, stdin: str | None = None, **env: str):
    url = engine.url.render_as_string(hide_password=False)
    return runner.invoke(app, list(args), env={"TRACKER_DATABASE_URL": url, **env}, input=stdin)


def feed_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Feed)).one()


@pytest.fixture(autouse=True)
def _public_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_ALLOW_PRIVATE_FEEDS", raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.start()
    try:
        yield srv
    finally:
        srv.clear()
        srv.stop()


def test_import_the_demo_opml_then_list(engine):
    result = run(engine, "feeds", "import-opml", str(DEMO_OPML))
    assert result.exit_code == 0, result.output
    assert "13 feeds added" in result.output
    again = run(engine, "feeds", "import-opml", str(DEMO_OPML))
    assert again.exit_code == 0
    assert "0 feeds added, 13 already listed (skipped)" in again.output

    listed = json.loads(run(engine, "feeds", "list", "--json").output)
    assert len(listed) == 13
    assert {f["status"] for f in listed} == {"active"}
    assert {"id", "url", "title", "last_error", "failing_since", "items"} <= set(listed[0])
    table = run(engine, "feeds", "list").output
    assert "Dawn (Pakistan)" in table and "next poll" in table


def test_import_reports_bad_entries_and_refuses_doctype(engine, tmp_path):
    mixed = tmp_path / "mixed.opml"
    mixed.write_text(
        '<opml version="2.0"><body>'
        '<outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/>'
        '<outline type="rss" text="Good" xmlUrl="https://good.example/rss"/>'
        "</body></opml>"
    )
    result = run(engine, "feeds", "import-opml", str(mixed))
    assert result.exit_code == 0, result.output
    assert "not imported: Bad (javascript:alert(1)): only http" in result.output
    assert "1 feed added" in result.output

    hostile = tmp_path / "hostile.opml"
    hostile.write_text('<!DOCTYPE opml [<!ENTITY x "y">]><opml><body/></opml>')
    refused = run(engine, "feeds", "import-opml", str(hostile))
    assert refused.exit_code == 1
    assert "DOCTYPE" in refused.output
    missing = run(engine, "feeds", "import-opml", str(tmp_path / "nope.opml"))
    assert missing.exit_code == 1 and "cannot read" in missing.output
    assert feed_count(engine) == 1


def test_add_without_discovery_and_bad_urls(engine):
    added = run(engine, "feeds", "add", "https://example.org/feed.xml", "--no-discover")
    assert added.exit_code == 0, added.output
    assert "feed 1 added" in added.output
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "ftp://x.example/", "http://"):
        result = run(engine, "feeds", "add", bad, "--no-discover")
        assert result.exit_code == 1, bad
        assert "nothing was stored" in result.output
        assert "Traceback" not in result.output
    duplicate = run(engine, "feeds", "add", "https://EXAMPLE.org/feed.xml", "--no-discover")
    assert duplicate.exit_code == 1 and "already listed" in duplicate.output
    private = run(engine, "feeds", "add", "http://127.0.0.1/feed", "--no-discover")
    assert private.exit_code == 1 and "TRACKER_ALLOW_PRIVATE_FEEDS" in private.output
    assert feed_count(engine) == 1


def test_add_discovers_the_feed_of_a_page(engine, server):
    server.clear()
    page = (
        '<html><head><title>Wire</title><link rel="alternate" type="application/rss+xml" '
        'href="/wire.rss"></head><body></body></html>'
    )
    server.expect_request("/").respond_with_data(page, content_type="text/html")
    server.expect_request("/wire.rss").respond_with_data(RSS, content_type="application/rss+xml")
    allow = {"TRACKER_ALLOW_PRIVATE_FEEDS": "127.0.0.1/32"}
    base = f"http://127.0.0.1:{server.port}"
    result = run(engine, "feeds", "add", f"{base}/", **allow)
    assert result.exit_code == 0, result.output
    assert f"found {base}/wire.rss" in result.output
    listed = json.loads(run(engine, "feeds", "list", "--json").output)
    assert [(f["url"], f["site_url"]) for f in listed] == [(f"{base}/wire.rss", f"{base}/")]

    server.clear()
    server.expect_request("/empty").respond_with_data("<html></html>", content_type="text/html")
    nothing = run(engine, "feeds", "add", f"{base}/empty", **allow)
    assert nothing.exit_code == 1
    assert "No feed found" in nothing.output and "--no-discover" in nothing.output
    assert feed_count(engine) == 1
    server.clear()


def test_pause_resume_refresh_delete_by_id_or_url(engine):
    run(engine, "feeds", "add", "https://example.org/feed.xml", "--no-discover")
    paused = run(engine, "feeds", "pause", "1")
    assert paused.exit_code == 0 and "status paused" in paused.output
    refused = run(engine, "feeds", "refresh", "1")
    assert refused.exit_code == 1 and "paused" in refused.output
    resumed = run(engine, "feeds", "resume", "https://example.org/feed.xml")
    assert resumed.exit_code == 0 and "status active" in resumed.output
    refreshed = run(engine, "feeds", "refresh", "1")
    assert refreshed.exit_code == 0 and "due now" in refreshed.output
    unknown = run(engine, "feeds", "pause", "42")
    assert unknown.exit_code == 1 and "no feed 42" in unknown.output
    kept = run(engine, "feeds", "delete", "1", stdin="n\n")
    assert kept.exit_code == 1 and feed_count(engine) == 1
    deleted = run(engine, "feeds", "delete", "1", "--yes")
    assert deleted.exit_code == 0 and feed_count(engine) == 0


def test_export_opml_to_stdout_and_file(engine, tmp_path):
    run(engine, "feeds", "import-opml", str(DEMO_OPML))
    printed = run(engine, "feeds", "export-opml")
    assert printed.exit_code == 0
    assert printed.output.count('type="rss"') == 13
    target = tmp_path / "out.opml"
    written = run(engine, "feeds", "export-opml", "--output", str(target))
    assert written.exit_code == 0 and "wrote" in written.output
    assert target.read_bytes().count(b"xmlUrl=") == 13
