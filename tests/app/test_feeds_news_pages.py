"""The Feeds and News pages rendered headless (AppTest) on the demo database."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import streamlit as st
from pytest_httpserver import HTTPServer
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from tests.app.busy import locked_by_another_program
from tests.app.demo_db import build_demo_db
from tracker.auth import UserView, create_user
from tracker.db import make_engine
from tracker.models import Feed, FeedFetch, NewsItem
from tracker.timeutil import utcnow

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = "tracker/ui/pages"
TIMEOUT = 60
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def demo_with_users(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, UserView]]:
    """The demo database with an admin and a contributor, and a failing feed with a fetch log."""
    path = tmp_path_factory.mktemp("feeds-news") / "demo.db"
    url = build_demo_db(path)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            users = {
                role: create_user(session, name, PASSWORD, role)
                for name, role in [("ada", "admin"), ("casey", "contributor")]
            }
            session.commit()
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path, users


@pytest.fixture
def db(
    demo_with_users: tuple[Path, dict[str, UserView]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    template, _users = demo_with_users
    path = tmp_path / "tracker.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.delenv("TRACKER_ALLOW_PRIVATE_FEEDS", raising=False)
    st.cache_resource.clear()
    yield url
    st.cache_resource.clear()


@pytest.fixture
def admin(demo_with_users: tuple[Path, dict[str, UserView]]) -> UserView:
    return demo_with_users[1]["admin"]


@pytest.fixture
def contributor(demo_with_users: tuple[Path, dict[str, UserView]]) -> UserView:
    return demo_with_users[1]["contributor"]


def open_page(page: str, user: UserView | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    at.run()
    at.switch_page(f"{PAGES}/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown]
    parts += [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [t.value for t in (*at.title, *at.subheader)]
    # Text from users and feeds is shown Markdown-escaped; compare it without the escapes.
    return "\n".join(str(p) for p in parts).replace("\\", "")


def feeds_in(url: str) -> list[Feed]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Feed).order_by(Feed.id)).all())
    finally:
        engine.dispose()


def add_feeds(url: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            ok = Feed(url="https://ok.example/rss", title="Healthy wire")
            broken = Feed(
                url="https://broken.example/rss",
                title="Broken wire",
                status="failing",
                error_count=3,
                failing_since=utcnow(),
                last_error="HTTP 500 Internal Server Error",
            )
            session.add_all([ok, broken])
            session.flush()
            session.add(
                FeedFetch(
                    feed_id=broken.id or 0, outcome="error", http_status=500, error="HTTP 500"
                )
            )
            session.commit()
    finally:
        engine.dispose()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


# --- Feeds ---------------------------------------------------------------------------------


def test_anonymous_sees_health_failing_first_and_no_management(db):
    add_feeds(db)
    at = open_page("feeds.py")
    frame = at.dataframe[0].value
    assert list(frame["Feed"]) == ["Broken wire", "Healthy wire"]
    assert "failing" in frame["Status"][0]
    assert frame["Errors"][0] == 3
    assert frame["Last error"][0] == "HTTP 500 Internal Server Error"
    assert frame["Failing since"][0] != ""
    assert "2 feeds: 1 failing" in texts(at)
    # The chosen feed's fetch log is there for everyone.
    assert len(at.dataframe) == 2
    assert list(at.dataframe[1].value["Outcome"]) == ["error"]
    assert not [w for w in (*at.text_input, *at.button) if str(w.key).startswith("feeds_")]
    assert "Add a feed" not in texts(at)


def test_contributor_cannot_manage_either(db, contributor):
    add_feeds(db)
    at = open_page("feeds.py", contributor)
    assert not [w for w in at.text_input if str(w.key).startswith("feeds_")]
    assert not [b for b in at.button if b.label in ("Pause", "Refresh now", "Delete")]


def test_admin_adds_a_feed_and_sees_it_listed(db, admin):
    at = open_page("feeds.py", admin)
    assert "No feeds yet" in texts(at)
    at.text_input(key="feeds_add_url").input("https://news.example.org/world.rss")
    at.checkbox(key="feeds_add_discover").uncheck()
    button(at, "Add feed").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Added https://news.example.org/world.rss" in texts(at)
    assert list(at.dataframe[0].value["URL"]) == ["https://news.example.org/world.rss"]
    assert "active" in at.dataframe[0].value["Status"][0]
    assert [f.url for f in feeds_in(db)] == ["https://news.example.org/world.rss"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "only http"),
        ("file:///etc/passwd", "only http"),
        ("http://169.254.169.254/latest", "private or reserved"),
    ],
)
def test_admin_bad_url_shows_why_and_stores_nothing(db, admin, url, message):
    at = open_page("feeds.py", admin)
    at.text_input(key="feeds_add_url").input(url)
    at.checkbox(key="feeds_add_discover").uncheck()
    button(at, "Add feed").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Nothing was stored" in errors and message in errors.replace("\\", "")
    assert feeds_in(db) == []


def test_admin_pauses_and_refreshes_a_feed(db, admin):
    add_feeds(db)
    at = open_page("feeds.py", admin)
    at.selectbox(key="feeds_chosen").select_index(1).run()  # Healthy wire
    button(at, "Pause").click().run()
    assert not at.exception
    assert "Healthy wire: paused" in texts(at)
    assert [f.status for f in feeds_in(db)] == ["paused", "failing"]
    button(at, "Resume").click().run()
    assert [f.status for f in feeds_in(db)] == ["active", "failing"]
    button(at, "Refresh now").click().run()
    assert "due now" in texts(at)


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", "127.0.0.1/32")
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def test_admin_action_on_a_busy_database_says_so_and_changes_nothing(db, admin):
    add_feeds(db)
    at = open_page("feeds.py", admin)
    at.selectbox(key="feeds_chosen").select_index(1).run()  # Healthy wire
    with locked_by_another_program(db):
        button(at, "Pause").click().run()
    assert not at.exception
    assert "The database was busy with other writes" in " ".join(e.value for e in at.error)
    assert [f.status for f in feeds_in(db)] == ["active", "failing"]
    button(at, "Pause").click().run()
    assert [f.status for f in feeds_in(db)] == ["paused", "failing"]


def test_admin_adds_by_page_url_choosing_among_discovered_feeds(db, admin, loopback):
    head = (
        '<link rel="alternate" type="application/rss+xml" title="All news" href="/all.rss">'
        '<link rel="alternate" type="application/atom+xml" title="Opinion" href="/opinion.atom">'
    )
    loopback.expect_request("/").respond_with_data(
        f"<html><head><title>Site</title>{head}</head><body></body></html>",
        content_type="text/html",
    )
    base = f"http://127.0.0.1:{loopback.port}"
    at = open_page("feeds.py", admin)
    at.text_input(key="feeds_add_url").input(f"{base}/")
    button(at, "Add feed").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "several feeds" in texts(at)
    radio = at.radio(key="feeds_candidate")
    assert [o.replace("\\", "") for o in radio.options] == [
        f"All news — {base}/all.rss (linked from the page)",
        f"Opinion — {base}/opinion.atom (linked from the page)",
    ]
    radio.set_value(1)
    button(at, "Add the chosen feed").click().run()
    assert not at.exception
    assert [(f.url, f.title) for f in feeds_in(db)] == [(f"{base}/opinion.atom", "Opinion")]


# --- News ----------------------------------------------------------------------------------


def page_links(at: AppTest) -> list[dict[str, list[str]]]:
    return [parse_qs(e.proto.query_string) for e in at.get("page_link")]


def test_news_anonymous_has_no_statement_button(db):
    at = open_page("news.py")
    assert "Strategic Dimensions" in texts(at)
    assert page_links(at) == []
    assert "Sign in as a contributor" in texts(at)


def test_news_contributor_gets_a_prefill_link_per_item(db, contributor):
    at = open_page("news.py", contributor)
    links = page_links(at)
    assert links
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            ids = {str(i) for i in session.exec(select(NewsItem.id)).all()}
    finally:
        engine.dispose()
    assert all(set(link) == {"news"} and link["news"][0] in ids for link in links)
    assert all(e.proto.label == "Make a statement" for e in at.get("page_link"))


def test_news_marks_items_already_used(db):
    # The demo's statements were taken from sections of the demo report.
    at = open_page("news.py")
    assert "Used by statement #" in texts(at)
    at.checkbox(key="news_unused").check().run()
    assert "Used by statement #" not in texts(at)


def total_shown(at: AppTest) -> int:
    found = re.search(r"Items \d+–\d+ of (\d+)", texts(at))
    return int(found.group(1)) if found else 0


def test_news_filters_by_words_and_country(db):
    at = open_page("news.py")
    everything = total_shown(at)
    assert everything > 1
    at.text_input(key="news_words").input("no such words anywhere").run()
    assert "No news item matches these filters" in texts(at)
    at.text_input(key="news_words").input('"Strategic Dimensions"').run()
    assert total_shown(at) == 1 and "Strategic Dimensions" in texts(at)
    at.text_input(key="news_words").input("").run()
    countries = at.multiselect(key="news_countries")
    assert "Pakistan" in countries.options and "Narnia" not in countries.options
    countries.select("Pakistan").run()
    assert not at.exception
    assert "(filtered)" in texts(at)
    assert 0 < total_shown(at) <= everything
    assert all("Pakistan" in c.value for c in at.caption if c.value.startswith("Mentions"))


def test_news_titles_are_never_markup(db):
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            session.add(
                NewsItem(
                    guid="hostile",
                    title="<img src=x onerror=alert(1)> **bold** [link](javascript:alert(1))",
                    url="javascript:alert(1)",
                    content_hash="hostile",
                    fetched_at=utcnow(),
                )
            )
            session.commit()
    finally:
        engine.dispose()
    at = open_page("news.py")
    shown = next(m.value for m in at.markdown if "bold" in m.value)
    assert "onerror" not in shown  # tags are dropped from titles
    # The rest is escaped: shown as typed, never as emphasis or a link.
    assert "\\*\\*bold\\*\\* \\[link\\]\\(javascript" in shown
    assert "No web address for the original" in texts(at)


def test_admin_deletes_a_feed_after_confirming(db, admin):
    add_feeds(db)
    at = open_page("feeds.py", admin)
    assert button(at, "Delete").disabled
    at.checkbox(key="feeds_delete_sure").check().run()
    button(at, "Delete").click().run()
    assert not at.exception
    assert "Deleted Broken wire" in texts(at)
    assert [f.title for f in feeds_in(db)] == ["Healthy wire"]


def test_news_pages_through_many_items(db):
    engine = make_engine(db)
    try:
        with Session(engine) as session:
            session.add_all(
                NewsItem(guid=f"bulk{i}", title=f"Bulk item {i}", content_hash=f"bulk{i}")
                for i in range(40)
            )
            session.commit()
    finally:
        engine.dispose()
    at = open_page("news.py")
    total = total_shown(at)
    assert total > 40
    assert f"Items 1–25 of {total}" in texts(at)
    at.number_input(key="news_page").set_value(2).run()
    assert not at.exception
    assert f"Items 26–{min(50, total)} of {total}" in texts(at)
