"""Every page rendered headless (AppTest) against the demo database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.app.busy import locked_by_another_program
from tests.app.demo_db import build_demo_db
from tracker.auth import UserView, create_user
from tracker.db import make_engine
from tracker.statements import list_statements

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = "tracker/ui/pages"
TIMEOUT = 60


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo_db(path)
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = tmp_path / "tracker.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    st.cache_resource.clear()
    yield url
    st.cache_resource.clear()  # disposes nothing, but forgets this test's engine


def open_page(page: str | None = None, user: UserView | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"{PAGES}/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown]
    parts += [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [t.value for t in (*at.title, *at.subheader)]
    return "\n".join(str(p) for p in parts)


def demo_statements(url: str):
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list_statements(session)
    finally:
        engine.dispose()


def make_account(url: str, name: str, role: str) -> UserView:
    """A real account: the app re-reads the signed-in user from the database on every page."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            user = create_user(session, name, "correct horse battery", role)
            session.commit()
            return user
    finally:
        engine.dispose()


def test_timeline_draws_the_chart_and_the_table(demo_url):
    at = open_page()
    assert at.header[0].value  # the topic's title
    charts = at.get("component_instance")  # the chart component, tracker/ui/chart_frame.py
    assert len(charts) == 1
    figure = charts[0].proto.json_args
    assert "Pakistan" in figure and "scatter" in figure
    assert at.query_params["topic"]
    assert "Click a point" in texts(at)
    at = open_page(view="table")
    table = at.dataframe[0].value
    assert "Pakistan" in set(table["Country"])
    assert set(table["Status"]) == {"pending"}


def test_timeline_opens_the_statement_in_the_url(demo_url):
    quoted = next(s for s in demo_statements(demo_url) if s.quote and s.speaker_name)
    at = open_page(statement=str(quoted.id))
    shown = texts(at)
    assert quoted.speaker_name in shown
    assert "Coding rule" in shown
    assert "Sources" in shown
    topic_slug = at.query_params["topic"]
    assert topic_slug and at.sidebar.selectbox(key="timeline_topic").value == topic_slug


def test_the_card_names_the_country_a_statement_addresses(demo_url):
    addressed = next(s for s in demo_statements(demo_url) if s.target_code == "IRN")
    assert addressed.target_name == "Iran"
    shown = texts(open_page(statement=str(addressed.id)))
    assert r"**Addressed to:** Iran \(IRN\)" in shown  # escaped: names are text, not Markdown


def test_timeline_filters_by_country(demo_url):
    at = open_page(actors="PAK", view="table")
    table = at.dataframe[0].value
    assert set(table["Country"]) == {"Pakistan"}
    at.sidebar.multiselect(key="timeline_status").set_value(["verified"]).run()
    assert not at.exception
    assert "No statements" in texts(at)  # the demo data is all pending
    assert at.query_params["status"] == "verified"


def test_unknown_statement_in_url_warns(demo_url):
    at = open_page(statement="999999")
    assert "no statement #999999" in texts(at)


def test_news_lists_the_report_sections(demo_url):
    at = open_page("news.py")
    assert "Strategic Dimensions" in texts(at)


def test_topics_show_their_scales(demo_url):
    at = open_page("topics.py")
    labels = {label for table in at.table for label in table.value["Label"]}
    assert {"Favourable", "Committed", "Endorses"} <= labels  # from the demo's three scales
    assert "Pakistan–Iran alignment" in texts(at)


def test_add_statement_needs_sign_in(demo_url):
    at = open_page("add_statement.py")
    assert "Sign in as a contributor" in texts(at)
    assert not at.table


def test_add_statement_shows_the_form_and_the_scale_to_contributors(demo_url):
    at = open_page("add_statement.py", user=make_account(demo_url, "casey", "contributor"))
    assert "Signed in as **casey** (contributor)" in texts(at)
    assert any(b.label == "Check and save" for b in at.button)
    at.selectbox(key="stmt_topic").select_index(0).run()
    assert "Proposition:" in texts(at)
    assert len(at.table) == 1  # the chosen topic's levels, labels and coding rules
    assert "When to use it" in at.table[0].value.columns


def test_review_lists_pending_oldest_first(demo_url):
    at = open_page("review.py")
    frame = at.dataframe[0].value
    assert len(frame) == len(demo_statements(demo_url))
    assert list(frame["Filed"]) == sorted(frame["Filed"])


def test_feeds_page_without_feeds(demo_url):
    at = open_page("feeds.py")
    assert "No feeds yet" in texts(at)


def test_admin_page_needs_an_admin(demo_url):
    at = open_page("admin.py")
    assert "Sign in as an admin" in texts(at)
    at = open_page("admin.py", user=make_account(demo_url, "ada", "admin"))
    assert "Users" in texts(at)
    assert "sqlite" in texts(at)


def add_reviewer(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        create_user(session, "rene", "correct horse battery", "reviewer")
        session.commit()
    engine.dispose()


def sign_in(at: AppTest, username: str, password: str) -> None:
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    at.sidebar.button[0].click().run()


def test_sign_in_and_out(demo_url):
    add_reviewer(demo_url)
    at = open_page()
    sign_in(at, "rene", "wrong password!")
    assert "wrong password" in texts(at)
    assert "user" not in at.session_state

    sign_in(at, "rene", "correct horse battery")
    assert not at.exception
    assert "Signed in as **rene** (reviewer)" in texts(at)
    at.sidebar.button(key="sign_out").click().run()
    assert "user" not in at.session_state


def test_a_failed_sign_in_on_a_busy_database_tells_nothing_more(demo_url):
    add_reviewer(demo_url)
    at = open_page()
    with locked_by_another_program(demo_url):  # a known user's failed attempt is written
        sign_in(at, "rene", "wrong password!")
    # No error page, and the message an unknown user gets: "busy" would say "rene" exists.
    assert not at.exception
    (message,) = [e.value for e in at.sidebar.error]
    assert message.startswith("Unknown user, wrong password, or the account is locked")
    assert "user" not in at.session_state


def test_database_without_schema_shows_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "no tracker schema" in at.error[0].value
    assert at.code[0].value == "tracker db upgrade"
    assert not at.get("component_instance")


def test_bad_database_url_is_explained(monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", "mysql://nope/db")
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "does not support" in at.error[0].value


def test_unreachable_database_is_explained(monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:1/tracker")
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "Connection refused" in at.error[0].value
    assert "database server is running" in texts(at)
    assert not at.code  # no `db upgrade` advice: migrating would not help
