"""Every form of the app given wrong input: a clear message, and nothing stored (item 7).

The pages run headless (AppTest) on a copy of the demo database with four accounts. Each case
signs in with the role the form is for, types what a careless or hostile user would, submits,
and checks that the page shows a message naming the problem (never a Python exception) and that
the database is unchanged: the row count of every table in ``SQLModel.metadata``, and the full
SQLite dump besides (so a half-applied update would be caught too).

Run with ``-s`` to see the figure: forms tried, refused with a message, databases unchanged.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from tests.app.demo_db import build_demo_db
from tracker.auth import UserView, create_user, user_by_name
from tracker.db import make_engine
from tracker.feeds.registry import add_feed
from tracker.models import Event, Statement
from tracker.review import review_statement
from tracker.statements import list_statements, statement_input, update_statement
from tracker.topics import get_topic_by_slug

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = "tracker/ui/pages"
TIMEOUT = 60
PASSWORD = "correct horse battery"
TOPIC = "pakistan-iran-alignment"
FEED_URL = "https://example.org/feed.xml"
TALLY = {"tried": 0, "refused": 0, "unchanged": 0}
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><head/><body><outline text="&lol2;" xmlUrl="https://example.org/f"/></body>
</opml>"""


@dataclass
class Site:
    """The copied database, its accounts, and a few ids the cases need."""

    url: str
    path: Path
    people: dict[str, UserView]
    topic_id: int
    pending_id: int  # filed by casey, pending
    verified_id: int  # verified by rene, with a change proposed by dana
    event_id: int
    plain_verified_id: int  # verified, nothing proposed

    def session(self) -> Session:
        return Session(make_engine(self.url), expire_on_commit=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad_forms") / "demo.db"
    url = build_demo_db(path)
    engine = make_engine(url)
    with Session(engine) as session:
        for name, role in (
            ("casey", "contributor"),
            ("dana", "contributor"),
            ("rene", "reviewer"),
            ("ada", "admin"),
        ):
            create_user(session, name, PASSWORD, role)
        session.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def site(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    path = tmp_path / "tracker.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.delenv("TRACKER_ALLOW_PRIVATE_FEEDS", raising=False)
    st.cache_resource.clear()
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        found = {n: user_by_name(s, n) for n in ("casey", "dana", "rene", "ada")}
        people = {n: v for n, v in found.items() if v is not None}
        assert len(people) == 4
        statements = list_statements(s, oldest_first=True)
        verified_id = statements[0].id
        review_statement(s, verified_id, user_id=people["rene"].id, verdict="verified")
        data = statement_input(s, verified_id).model_copy(update={"summary": "Dana's wording"})
        update_statement(s, verified_id, data, user_id=people["dana"].id, reason="clearer")
        add_feed(s, FEED_URL, title="Listed", site_url=None, acting_user_id=people["ada"].id)
        pending_id = statements[1].id
        plain_verified_id = statements[2].id
        review_statement(s, plain_verified_id, user_id=people["rene"].id, verdict="verified")
        s.commit()
        topic = get_topic_by_slug(s, TOPIC)
        event_id = s.exec(select(func.min(Event.id))).one()[0]
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    yield Site(url, path, people, topic.id, pending_id, verified_id, event_id, plain_verified_id)  # type: ignore[arg-type]
    st.cache_resource.clear()


@pytest.fixture(scope="module", autouse=True)
def figure() -> Iterator[None]:
    yield
    print(
        f"\nforms bad input: {TALLY['tried']} wrong submissions tried, {TALLY['refused']} "
        f"refused with a message on the page, {TALLY['unchanged']} left every table unchanged"
    )


def snapshot(site: Site) -> tuple[dict[str, int], list[str]]:
    engine = make_engine(site.url)
    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    with sqlite3.connect(site.path) as raw:
        dump = list(raw.iterdump())
    return counts, dump


def open_page(page: str, user: UserView | None, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"{PAGES}/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, label: str) -> AppTest:
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r}: {[b.label for b in at.button]}"
    buttons[0].click().run()
    return at


def shown_errors(at: AppTest) -> str:
    """What the page says went wrong: errors and warnings, backslash escapes removed."""
    parts = [e.value for e in (*at.error, *at.warning)]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


# --- the cases: (page, who, query params, what to do, what the message must say) -------------

Act = Callable[[AppTest, Site], AppTest]


def _statement_basics(at: AppTest, site: Site) -> None:
    at.selectbox(key="stmt_topic").set_value(site.topic_id).run()
    at.selectbox(key="stmt_actor").select_index(0).run()


def empty_statement(at: AppTest, site: Site) -> AppTest:
    return click(at, "Check and save")


def statement_bad_fields(at: AppTest, site: Site) -> AppTest:
    _statement_basics(at, site)
    at.date_input(key="stmt_said_on").set_value(date(2025, 6, 20))
    at.text_area(key="stmt_quote").input("<script>alert(1)</script>" * 2000)
    at.text_input(key="stmt_language").input("klingon")
    at.selectbox(key="stmt_stance").set_value(1)
    at.text_input(key="stmt_src0_url").input("javascript:alert(document.cookie)")
    at.text_input(key="stmt_src0_archive_url").input("data:text/html,<b>x</b>")
    return click(at, "Check and save")


def statement_new_speaker_without_name(at: AppTest, site: Site) -> AppTest:
    _statement_basics(at, site)
    at.selectbox(key="stmt_speaker").set_value(-1).run()
    at.date_input(key="stmt_said_on").set_value(date(2025, 6, 20))
    at.text_input(key="stmt_summary").input("Calls for restraint")
    at.selectbox(key="stmt_stance").set_value(0)
    at.text_input(key="stmt_new_speaker").input("   ")
    at.text_input(key="stmt_src0_url").input("https://example.org/a")
    return click(at, "Check and save")


def statement_edit_without_reason(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="stmt_summary").input("A different summary")
    return click(at, "Check and save")


def event_empty(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="evt_src0_url").input("file:///etc/passwd")
    return click(at, "Check and save")


def event_ends_before_start(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="evt_title").input("Talks")
    at.date_input(key="evt_starts_on").set_value(date(2025, 7, 5))
    at.date_input(key="evt_ends_on").set_value(date(2025, 7, 1))
    at.text_input(key="evt_src0_url").input("https://example.org/e")
    return click(at, "Check and save")


def topic_bad_slug(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="topic_new_slug").input("Bad Slug!'; DROP TABLE topic; --")
    at.text_input(key="topic_new_title").input("T")
    at.text_input(key="topic_new_proposition").input("P")
    return click(at, "Add the topic")


def topic_duplicate_slug(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="topic_new_slug").input(TOPIC)
    at.text_input(key="topic_new_title").input("Again")
    at.text_input(key="topic_new_proposition").input("P")
    return click(at, "Add the topic")


def topic_new_garbled_levels(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="topic_new_slug").input("fresh-topic")
    at.text_input(key="topic_new_title").input("Fresh")
    at.text_input(key="topic_new_proposition").input("P")
    at.text_area(key="topic_new_levels").input("this is | not a level\n+1 | One | r\n+1 | Dup | r")
    return click(at, "Add the topic")


def _edit_topic(at: AppTest, site: Site, levels: str, title: str | None = None) -> AppTest:
    at.selectbox(key="topic_edit_choice").set_value(site.topic_id).run()
    if title is not None:
        at.text_input(key="topic_edit_title").input(title)
    at.text_area(key="topic_edit_levels").input(levels)
    return click(at, "Save the topic")


def topic_edit_removes_used_level(at: AppTest, site: Site) -> AppTest:
    # The title changes too: it must not be saved when the levels are refused.
    return _edit_topic(
        at, site, "0 | Neutral | hedges\n3 | Extra | new", title="Renamed while refused"
    )


def topic_edit_garbled_levels(at: AppTest, site: Site) -> AppTest:
    return _edit_topic(at, site, "+1 | Favourable\n+x | ? | ?\n\n|||", title="Renamed")


def topic_edit_empty_title(at: AppTest, site: Site) -> AppTest:
    at.selectbox(key="topic_edit_choice").set_value(site.topic_id).run()
    at.text_input(key="topic_edit_title").input("   ")
    return click(at, "Save the topic")


def feed_bad_url_unchecked(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="feeds_add_url").input("javascript:alert(1)")
    at.checkbox(key="feeds_add_discover").uncheck()
    return click(at, "Add feed")


def feed_not_a_url(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="feeds_add_url").input("not a url at all")
    return click(at, "Add feed")


def feed_loopback(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="feeds_add_url").input("http://127.0.0.1:9/feed.xml")
    return click(at, "Add feed")


def feed_duplicate(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="feeds_add_url").input(FEED_URL)
    at.checkbox(key="feeds_add_discover").uncheck()
    return click(at, "Add feed")


def _opml(content: bytes) -> Act:
    def act(at: AppTest, site: Site) -> AppTest:
        at.file_uploader(key="feeds_opml").upload("feeds.opml", content, "text/x-opml").run()
        return click(at, "Import these feeds")

    return act


def user_short_password(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="admin_new_username").input("omid")
    at.text_input(key="admin_new_password").input("short")
    return click(at, "Add the account")


def user_duplicate_name(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="admin_new_username").input("casey")
    at.text_input(key="admin_new_password").input("a long enough password")
    return click(at, "Add the account")


def user_bad_email(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="admin_new_username").input("omid")
    at.text_input(key="admin_new_email").input("not an email <script>")
    at.text_input(key="admin_new_password").input("a long enough password")
    return click(at, "Add the account")


def user_blank_name(at: AppTest, site: Site) -> AppTest:
    at.text_input(key="admin_new_username").input("   ")
    at.text_input(key="admin_new_password").input("a long enough password")
    return click(at, "Add the account")


def user_edit_bad_values(at: AppTest, site: Site) -> AppTest:
    at.selectbox(key="admin_edit_choice").set_value(site.people["casey"].id).run()
    at.selectbox(key="admin_edit_role").set_value("admin")  # must not be saved either
    at.text_input(key="admin_edit_email").input("@@@")
    at.text_input(key="admin_edit_password").input("short")
    return click(at, "Save the account")


def review_reject_without_note(at: AppTest, site: Site) -> AppTest:
    at.button(key=f"FormSubmitter:review_statement_{site.pending_id}-Reject").click().run()
    return at


def statement_reject_without_note(at: AppTest, site: Site) -> AppTest:
    return click(at, "Reject")


def edit_reject_without_note(at: AppTest, site: Site) -> AppTest:
    return click(at, "Reject the change")


def retract_without_note(at: AppTest, site: Site) -> AppTest:
    return click(at, "Retract")


def retract_to_missing_successor(at: AppTest, site: Site) -> AppTest:
    at.text_area(key="retract_note").input("Withdrawn")
    at.number_input(key="retract_successor").set_value(99999)
    return click(at, "Retract")


def supersede_missing(at: AppTest, site: Site) -> AppTest:
    at.number_input(key="supersede_successor").set_value(99999)
    return click(at, "Mark superseded")


def supersede_by_itself(at: AppTest, site: Site) -> AppTest:
    at.number_input(key="supersede_successor").set_value(site.verified_id)
    return click(at, "Mark superseded")


def supersede_empty(at: AppTest, site: Site) -> AppTest:
    return click(at, "Mark superseded")


def delete_without_reason(at: AppTest, site: Site) -> AppTest:
    return click(at, "Delete this statement")


def restore_without_reason(at: AppTest, site: Site) -> AppTest:
    return click(at, "Restore this version")


def event_delete_without_reason(at: AppTest, site: Site) -> AppTest:
    return click(at, "Delete this event")


@dataclass
class Case:
    page: str
    who: str
    act: Act
    says: str
    params: Callable[[Site], dict[str, str]] = lambda site: {}


def _verified(site: Site) -> dict[str, str]:
    return {"id": str(site.verified_id)}


def _pending(site: Site) -> dict[str, str]:
    return {"id": str(site.pending_id)}


CASES: dict[str, Case] = {
    "statement: empty": Case("add_statement.py", "casey", empty_statement, "Nothing was saved"),
    "statement: script, bad language and urls": Case(
        "add_statement.py", "casey", statement_bad_fields, "only http:// and https://"
    ),
    "statement: new speaker without a name": Case(
        "add_statement.py", "casey", statement_new_speaker_without_name, "speaker"
    ),
    "statement: edit of verified without reason": Case(
        "add_statement.py",
        "casey",
        statement_edit_without_reason,
        "reviewer reads it",
        lambda site: {"edit": str(site.plain_verified_id)},
    ),
    "event: empty with file url": Case("add_event.py", "casey", event_empty, "title is required"),
    "event: ends before it starts": Case("add_event.py", "casey", event_ends_before_start, "end"),
    "topic: bad slug": Case("topics.py", "ada", topic_bad_slug, "lowercase letters"),
    "topic: duplicate slug": Case("topics.py", "ada", topic_duplicate_slug, TOPIC),
    "topic: new with garbled levels": Case(
        "topics.py", "ada", topic_new_garbled_levels, "is not a whole number"
    ),
    "topic: edit removes a level in use": Case(
        "topics.py", "ada", topic_edit_removes_used_level, "cannot be removed"
    ),
    "topic: edit with garbled levels": Case(
        "topics.py", "ada", topic_edit_garbled_levels, "is not a whole number"
    ),
    "topic: edit with empty title": Case("topics.py", "ada", topic_edit_empty_title, "title"),
    "feeds: javascript url unchecked": Case(
        "feeds.py", "ada", feed_bad_url_unchecked, "Nothing was stored"
    ),
    "feeds: not a url": Case("feeds.py", "ada", feed_not_a_url, "http"),
    "feeds: loopback address": Case("feeds.py", "ada", feed_loopback, "address"),
    "feeds: already listed": Case("feeds.py", "ada", feed_duplicate, "already"),
    "opml: not xml": Case("feeds.py", "ada", _opml(b"<opml><body><outline"), "not well-formed"),
    "opml: entity expansion": Case("feeds.py", "ada", _opml(BILLION_LAUGHS), "DOCTYPE"),
    "opml: empty file": Case("feeds.py", "ada", _opml(b""), "empty"),
    "opml: rss instead": Case("feeds.py", "ada", _opml(b"<rss><channel/></rss>"), "not an OPML"),
    "opml: only bad entries": Case(
        "feeds.py",
        "ada",
        _opml(
            b'<opml version="2.0"><head/><body><outline text="a" xmlUrl="javascript:alert(1)"/>'
            b'<outline text="b" xmlUrl="file:///etc/passwd"/></body></opml>'
        ),
        "Not imported",
    ),
    "admin: short password": Case("admin.py", "ada", user_short_password, "10 characters"),
    "admin: duplicate name": Case("admin.py", "ada", user_duplicate_name, "casey"),
    "admin: bad email": Case("admin.py", "ada", user_bad_email, "email"),
    "admin: blank name": Case("admin.py", "ada", user_blank_name, "letters, digits"),
    "admin: edit with bad email and password": Case(
        "admin.py", "ada", user_edit_bad_values, "email"
    ),
    "review page: reject without note": Case(
        "review.py", "rene", review_reject_without_note, "say why it is rejected"
    ),
    "statement page: reject without note": Case(
        "statement.py", "rene", statement_reject_without_note, "say why", _pending
    ),
    "statement page: reject a proposed change without note": Case(
        "statement.py", "rene", edit_reject_without_note, "say why", _verified
    ),
    "statement page: retract without note": Case(
        "statement.py", "ada", retract_without_note, "why", _verified
    ),
    "statement page: retract to a missing successor": Case(
        "statement.py", "ada", retract_to_missing_successor, "99999", _verified
    ),
    "statement page: superseded by a missing statement": Case(
        "statement.py", "ada", supersede_missing, "99999", _verified
    ),
    "statement page: superseded by itself": Case(
        "statement.py", "ada", supersede_by_itself, "itself", _verified
    ),
    "statement page: superseded by nothing": Case(
        "statement.py", "ada", supersede_empty, "successor", _verified
    ),
    "statement page: delete without reason": Case(
        "statement.py", "ada", delete_without_reason, "why", _verified
    ),
    "statement page: restore without reason": Case(
        "statement.py", "ada", restore_without_reason, "why", _verified
    ),
    "event page: delete without reason": Case(
        "event.py",
        "ada",
        event_delete_without_reason,
        "why",
        lambda site: {"id": str(site.event_id)},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_wrong_input_shows_a_message_and_stores_nothing(name: str, site: Site) -> None:
    case = CASES[name]
    at = open_page(case.page, site.people[case.who], **case.params(site))
    before = snapshot(site)
    TALLY["tried"] += 1
    at = case.act(at, site)
    assert not at.exception, [e.value for e in at.exception]
    message = shown_errors(at)
    assert case.says.lower() in message.lower(), f"expected {case.says!r}, page said: {message!r}"
    assert not [s.value for s in at.success], [s.value for s in at.success]
    TALLY["refused"] += 1
    after = snapshot(site)
    assert after[0] == before[0], "row counts changed"
    assert after[1] == before[1], "rows changed"
    TALLY["unchanged"] += 1
    with site.session() as s:
        assert (
            s.exec(select(func.count()).select_from(Statement)).one()[0] == before[0]["statement"]
        )
