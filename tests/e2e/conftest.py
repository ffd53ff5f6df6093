"""Browser-test fixtures: the real app served by `streamlit run` on a demo database, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.app.demo_db import build_demo_db
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    no_browser,
    serve_app,
)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        no_browser()
    tmp = tmp_path_factory.mktemp("e2e")
    with serve_app(build_demo_db(tmp / "tracker.db"), tmp / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        no_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass(frozen=True)
class FeedsApp:
    """The app on a demo database with an admin account, and a loopback site with a feed."""

    url: str
    site: str  # a web page that links to its feed, served on 127.0.0.1
    admin: str
    password: str


FEEDS_APP_PASSWORD = "e2e admin password"
SITE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loopback Wire</title><link>{site}</link>
<item><title>Pakistan and Iran agree on talks</title><link>{site}talks</link><guid>t1</guid></item>
</channel></rss>"""


@pytest.fixture(scope="module")
def feeds_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedsApp]:
    """Like ``app_url``, plus an admin user and a loopback site the app may fetch
    (``TRACKER_ALLOW_PRIVATE_FEEDS=127.0.0.1/32`` for the app process only)."""
    from pytest_httpserver import HTTPServer
    from sqlmodel import Session

    from tracker.auth import create_user
    from tracker.db import make_engine

    if not CHROMIUM.exists():
        no_browser()
    tmp = tmp_path_factory.mktemp("e2e-feeds")
    database_url = build_demo_db(tmp / "tracker.db")
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            create_user(session, "ada", FEEDS_APP_PASSWORD, "admin")
            session.commit()
    finally:
        engine.dispose()

    site = HTTPServer(host="127.0.0.1", port=0)
    site.start()
    try:
        home = f"http://127.0.0.1:{site.port}/"
        site.expect_request("/").respond_with_data(
            "<!doctype html><html><head><title>Loopback site</title>"
            '<link rel="alternate" type="application/rss+xml" title="Loopback Wire" '
            'href="/wire.rss"></head><body><p>Hello</p></body></html>',
            content_type="text/html",
        )
        site.expect_request("/wire.rss").respond_with_data(
            SITE_FEED.format(site=home), content_type="application/rss+xml"
        )
        allow = {"TRACKER_ALLOW_PRIVATE_FEEDS": "127.0.0.1/32"}
        with serve_app(database_url, tmp / "streamlit.log", allow) as base:
            yield FeedsApp(url=base, site=home, admin="ada", password=FEEDS_APP_PASSWORD)
    finally:
        site.clear()
        site.stop()


# --- a writable demo database with accounts, for the contributor and reviewer flow -------


@dataclass(frozen=True)
class TeamApp:
    """The app served on its own copy of the demo data, with one account per role."""

    url: str
    database_url: str
    passwords: dict[str, str]


TEAM = {"casey": "contributor", "rene": "reviewer", "ada": "admin"}
TEAM_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def team_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamApp]:
    """Like ``app_url``, on a database of its own where tests may write, with the accounts
    in TEAM (all with TEAM_PASSWORD)."""
    if not CHROMIUM.exists():
        no_browser()
    from sqlmodel import Session

    from tracker.auth import create_user
    from tracker.db import make_engine

    tmp = tmp_path_factory.mktemp("e2e-team")
    database_url = build_demo_db(tmp / "tracker.db")
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            for name, role in TEAM.items():
                create_user(session, name, TEAM_PASSWORD, role)
            session.commit()
    finally:
        engine.dispose()
    with serve_app(database_url, tmp / "streamlit.log") as base:
        yield TeamApp(base, database_url, dict.fromkeys(TEAM, TEAM_PASSWORD))
