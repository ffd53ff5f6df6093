"""The write pages rendered headless (AppTest) on a copy of the demo database with accounts:
each form's messages beside the fields, its success, and the review/history pages."""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session, func, select
from streamlit.testing.v1 import AppTest

from tests.app.busy import locked_by_another_program
from tests.app.demo_db import build_demo_db
from tracker.auth import UserView, create_user
from tracker.db import make_engine
from tracker.models import Event, Statement, StatementNewsItem, User
from tracker.review import review_statement
from tracker.revisions import history
from tracker.statements import get_statement, list_statements, statement_input, update_statement
from tracker.topics import get_topic_by_slug

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = "tracker/ui/pages"
TIMEOUT = 60
PASSWORD = "correct horse battery"
TOPIC = "pakistan-iran-alignment"


@pytest.fixture(scope="session")
def team_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, UserView]]:
    path = tmp_path_factory.mktemp("forms") / "demo.db"
    url = build_demo_db(path)
    engine = make_engine(url)
    with Session(engine) as session:
        people = {
            name: create_user(session, name, PASSWORD, role)
            for name, role in (
                ("casey", "contributor"),
                ("dana", "contributor"),
                ("rene", "reviewer"),
                ("ada", "admin"),
            )
        }
        session.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, people


class Db:
    def __init__(self, url: str, people: dict[str, UserView]) -> None:
        self.url = url
        self.people = people

    def session(self) -> Session:
        return Session(make_engine(self.url), expire_on_commit=False)

    def count(self, model) -> int:
        with self.session() as s:
            return s.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def db(team_template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Db]:
    template, people = team_template
    path = tmp_path / "tracker.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    st.cache_resource.clear()
    yield Db(url, people)
    st.cache_resource.clear()


def open_page(page: str, user: UserView | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"{PAGES}/{page}").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(text: object) -> str:
    """Markdown as read on screen: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", str(text))


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown]
    parts += [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error, *at.success)]
    parts += [t.value for t in (*at.title, *at.subheader)]
    return "\n".join(plain(p) for p in parts)


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def fill_statement(at: AppTest, db: Db, **values) -> None:
    with db.session() as s:
        topic = get_topic_by_slug(s, TOPIC)
    at.selectbox(key="stmt_topic").set_value(topic.id)
    at.run()
    at.selectbox(key="stmt_actor").select_index(0)  # whatever comes first alphabetically
    at.run()
    for key, value in values.items():
        widget = at.get("text_input") + at.get("text_area") + at.get("date_input")
        widget += at.get("selectbox")
        target = next(w for w in widget if w.key == f"stmt_{key}")
        target.set_value(value)


def test_empty_statement_form_shows_every_problem_and_saves_nothing(db: Db):
    before = db.count(Statement)
    at = open_page("add_statement.py", db.people["casey"])
    # The scales are shown once a topic is chosen; nothing chosen yet.
    at = click(at, "Check and save")
    shown = "\n".join(errors(at))
    assert "Nothing was saved" in shown
    for message in (
        "choose a topic",
        "choose a country or bloc",
        "the date said is required",
        "give the quote",
        "add at least one source",
    ):
        assert message in shown
    assert db.count(Statement) == before


def test_bad_url_and_language_are_refused_beside_their_fields(db: Db):
    before = db.count(Statement)
    at = open_page("add_statement.py", db.people["casey"])
    fill_statement(
        at,
        db,
        said_on=date(2025, 6, 20),
        quote="We stand with our brothers",
        language="zz",
        stance=1,
        src0_url="javascript:alert(document.cookie)",
    )
    at = click(at, "Check and save")
    shown = errors(at)
    assert any("only http:// and https:// addresses" in e for e in shown), shown
    assert any("not an ISO 639 language code" in e for e in shown)
    assert db.count(Statement) == before
    # The values typed stay in the form to be corrected.
    assert at.text_input(key="stmt_language").value == "zz"


def test_statement_from_a_news_item_with_two_sources(db: Db):
    with db.session() as s:
        news_id = s.exec(select(StatementNewsItem.news_item_id)).first()
    at = open_page("add_statement.py", db.people["casey"], news=str(news_id))
    assert "Prefilled from news item" in texts(at)
    assert at.text_input(key="stmt_summary").value  # the item's title as the summary
    assert at.text_input(key="stmt_src0_title").value == at.text_input(key="stmt_summary").value
    assert at.multiselect(key="stmt_news").value == [news_id]
    click(at, "Add another source")
    fill_statement(
        at,
        db,
        said_on=date(2025, 6, 22),
        summary="Signals readiness to coordinate with Tehran on border security",
        stance=1,
        channel="press_release",
        src0_url="https://www.mofa.gov.pk/press-release-1",
        src1_url="https://www.dawn.com/news/1",
        src1_publisher="Dawn",
    )
    at = click(at, "Check and save")
    assert not errors(at), errors(at)
    assert "pending until a reviewer verifies it" in texts(at)
    with db.session() as s:
        newest = max(list_statements(s), key=lambda v: v.id)
        assert newest.contributor == "casey" and newest.status == "pending"
        assert [src.url for src in newest.sources] == [
            "https://www.mofa.gov.pk/press-release-1",
            "https://www.dawn.com/news/1",
        ]
        assert newest.news_item_ids == [news_id]
        assert newest.channel == "press_release"
    # The form is empty again for the next one.
    assert at.text_input(key="stmt_summary").value == ""


def test_near_duplicate_asks_before_saving(db: Db):
    with db.session() as s:
        existing = next(
            v for v in list_statements(s) if v.actor_code == "PAK" and v.topic_id and v.summary
        )
        topic_id, pakistan = existing.topic_id, existing.actor_id
    before = db.count(Statement)
    at = open_page("add_statement.py", db.people["casey"])
    at.selectbox(key="stmt_topic").set_value(topic_id).run()
    at.selectbox(key="stmt_actor").set_value(pakistan).run()
    at.date_input(key="stmt_said_on").set_value(date(2025, 6, 10))
    at.text_input(key="stmt_summary").input(existing.summary)
    at.selectbox(key="stmt_stance").set_value(1)
    at.text_area(key="stmt_src0_citation").input("Same report, another copy")
    at = click(at, "Check and save")
    assert "similar statement" in texts(at)
    assert f"#{existing.id}" in texts(at)
    assert db.count(Statement) == before
    at = click(at, "Cancel: do not save")
    assert db.count(Statement) == before
    at = click(at, "Check and save")
    at = click(at, "Save it anyway")
    assert db.count(Statement) == before + 1


def test_new_speaker_is_added_with_the_statement(db: Db):
    at = open_page("add_statement.py", db.people["casey"])
    fill_statement(at, db)
    # Choosing the speaker reruns the page; form fields are filled after it.
    at.selectbox(key="stmt_speaker").set_value(-1).run()
    fill_statement(at, db, said_on=date(2025, 6, 20), summary="Calls for restraint", stance=0)
    at.text_input(key="stmt_new_speaker").input("Ishaq Dar")
    at.text_input(key="stmt_role").input("Foreign Minister")
    at.text_input(key="stmt_src0_url").input("https://example.org/a")
    at = click(at, "Check and save")
    assert not errors(at), errors(at)
    with db.session() as s:
        newest = max(list_statements(s), key=lambda v: v.id)
    assert (newest.speaker_name, newest.speaker_role) == ("Ishaq Dar", "Foreign Minister")


def test_add_statement_needs_a_writer(db: Db):
    at = open_page("add_statement.py")
    assert "Sign in as a contributor" in texts(at)
    assert not at.get("selectbox")


def _verified_statement(db: Db) -> int:
    with db.session() as s:
        statement_id = list_statements(s, oldest_first=True)[0].id
        review_statement(s, statement_id, user_id=db.people["rene"].id, verdict="verified")
        s.commit()
    return statement_id


def test_editing_a_verified_statement_files_a_proposal(db: Db):
    statement_id = _verified_statement(db)
    at = open_page("add_statement.py", db.people["dana"], edit=str(statement_id))
    assert "Your change is proposed to a reviewer" in texts(at)
    at.text_input(key="stmt_summary").input("A corrected summary of the position")
    at = click(at, "Check and save")
    assert any("reviewer reads it" in e for e in errors(at))
    at.text_input(key="stmt_reason").input("The report says it differently")
    at = click(at, "Check and save")
    assert not errors(at), errors(at)
    assert "waits for a reviewer" in texts(at)
    with db.session() as s:
        current = get_statement(s, statement_id)
    assert current.status == "verified" and current.summary != "A corrected summary of the position"
    assert current.pending_edit_id is not None

    page = open_page("statement.py", db.people["rene"], id=str(statement_id))
    assert "A proposed change waits for review" in texts(page)
    page = click(page, "Accept the change")
    assert "Change accepted" in texts(page)
    with db.session() as s:
        assert get_statement(s, statement_id).summary == "A corrected summary of the position"


def test_review_page_verifies_and_respects_own_contributions(db: Db):
    with db.session() as s:
        oldest = list_statements(s, oldest_first=True)[0].id
    at = open_page("review.py", db.people["rene"])
    assert "Verify or reject each item" in texts(at)
    at.text_area(key=f"review_statement_{oldest}_note").input("Checked against the report")
    at.button(key=f"FormSubmitter:review_statement_{oldest}-Verify").click().run()
    assert not at.exception
    assert f"Statement #{oldest} verified" in texts(at)
    with db.session() as s:
        assert get_statement(s, oldest).reviewer == "rene"

    # Rejecting without a note is refused, with the message.
    with db.session() as s:
        second = list_statements(s, oldest_first=True, statuses=["pending"])[0].id
    at.button(key=f"FormSubmitter:review_statement_{second}-Reject").click().run()
    assert any("say why it is rejected" in e for e in errors(at))


def test_reviewer_cannot_review_own_statement_on_the_page(db: Db):
    with db.session() as s:
        statement_id = list_statements(s, oldest_first=True)[0].id
        data = statement_input(s, statement_id).model_copy(update={"summary": "Rene's words"})
        update_statement(s, statement_id, data, user_id=db.people["rene"].id)
        s.commit()
    at = open_page("statement.py", db.people["rene"], id=str(statement_id))
    assert "You cannot review it" in texts(at)
    assert not [b for b in at.button if b.label == "Verify"]


def test_statement_page_shows_history_with_differences(db: Db):
    statement_id = _verified_statement(db)
    at = open_page("statement.py", id=str(statement_id))
    shown = texts(at)
    assert f"Statement #{statement_id}" in shown
    assert "1. Filed" in shown and "2. Reviewed: verified" in shown
    tables = [t.value for t in at.table]
    assert any("Status" in list(t["Field"]) for t in tables if "Before" in t.columns)
    assert "Actions" not in shown  # visitors read, they do not act


def test_admin_deletes_and_restores(db: Db):
    with db.session() as s:
        statement_id = list_statements(s, oldest_first=True)[0].id
    at = open_page("statement.py", db.people["ada"], id=str(statement_id))
    at.text_input(key="delete_reason").input("Duplicate of another entry")
    at = click(at, "Delete this statement")
    assert "Statement deleted" in texts(at)
    assert "only admins see it" in texts(at)
    with db.session() as s:
        assert get_statement(s, statement_id) is None
    at.text_input(key="restore_reason").input("Not a duplicate after all")
    at = click(at, "Restore this version")
    assert "Version restored" in texts(at)
    with db.session() as s:
        assert get_statement(s, statement_id) is not None
        actions = [r.action for r in history(s, "statement", statement_id)]
    assert actions == ["create", "delete", "restore"]

    # Others do not see a deleted statement at all.
    with db.session() as s:
        from tracker.statements import delete_statement

        delete_statement(s, statement_id, user_id=db.people["ada"].id, reason="gone")
        s.commit()
    at = open_page("statement.py", id=str(statement_id))
    assert f"There is no statement #{statement_id}" in texts(at)


def test_add_event_errors_then_success(db: Db):
    before = db.count(Event)
    at = open_page("add_event.py", db.people["casey"])
    at.text_input(key="evt_src0_url").input("file:///etc/passwd")
    at = click(at, "Check and save")
    shown = "\n".join(errors(at))
    assert "a title is required" in shown
    assert "the start date is required" in shown
    assert "only http:// and https://" in shown
    assert db.count(Event) == before
    at.text_input(key="evt_title").input("Joint naval exercise")
    at.date_input(key="evt_starts_on").set_value(date(2025, 7, 1))
    at.date_input(key="evt_ends_on").set_value(date(2025, 7, 5))
    at.selectbox(key="evt_category").set_value("military")
    at.text_input(key="evt_src0_url").input("https://example.org/exercise")
    at = click(at, "Check and save")
    assert not errors(at), errors(at)
    assert "saved" in texts(at)
    assert db.count(Event) == before + 1
    with db.session() as s:
        event_id = s.exec(select(func.max(Event.id))).one()
    page = open_page("event.py", id=str(event_id))
    assert "Joint naval exercise" in texts(page) and "1. Filed" in texts(page)


def test_admin_deletes_and_restores_an_event(db: Db):
    with db.session() as s:
        event_id = s.exec(select(func.min(Event.id))).one()
    at = open_page("event.py", db.people["ada"], id=str(event_id))
    at.text_input(key="event_delete_reason").input("Filed twice")
    at = click(at, "Delete this event")
    assert "Event deleted" in texts(at)
    with db.session() as s:
        assert s.get(Event, event_id).deleted_at is not None
    at.text_input(key="event_restore_reason").input("It was not")
    at = click(at, "Restore this version")
    assert "Version restored" in texts(at)
    with db.session() as s:
        assert s.get(Event, event_id).deleted_at is None
        actions = [r.action for r in history(s, "event", event_id)]
    assert actions[-2:] == ["delete", "restore"]


def test_topics_page_admin_edits_and_in_use_level_is_kept(db: Db):
    at = open_page("topics.py", db.people["ada"])
    with db.session() as s:
        topic = get_topic_by_slug(s, TOPIC)
    at.selectbox(key="topic_edit_choice").set_value(topic.id).run()
    at.text_input(key="topic_edit_title").input("Pakistan and Iran: alignment")
    # Drop every level but 0: the demo statements use others.
    at.text_area(key="topic_edit_levels").input("0 | Neutral | hedges\n3 | Extra | new")
    at = click(at, "Save the topic")
    assert any("is used by" in e and "cannot be removed" in e for e in errors(at))
    at.text_area(key="topic_edit_levels").input(
        at.text_area(key="topic_edit_levels").value + "\n3 | Allied | formal alliance"
    )
    at.text_area(key="topic_edit_levels").input(
        "\n".join(f"{lv.value:+d} | {lv.label} | {lv.rule}" for lv in topic.levels)
        + "\n+3 | Allied | formal alliance"
    )
    at = click(at, "Save the topic")
    assert not errors(at), errors(at)
    assert "saved" in texts(at)
    with db.session() as s:
        edited = get_topic_by_slug(s, TOPIC)
    assert edited.title == "Pakistan and Iran: alignment"
    assert edited.level(3).label == "Allied"


def test_topics_page_adds_a_topic_with_the_default_scale(db: Db):
    at = open_page("topics.py", db.people["ada"])
    at.text_input(key="topic_new_slug").input("Bad Slug!")
    at = click(at, "Add the topic")
    assert any("lowercase letters" in e for e in errors(at))
    at.text_input(key="topic_new_slug").input("gaza-ceasefire")
    at.text_input(key="topic_new_title").input("Gaza ceasefire")
    at.text_input(key="topic_new_proposition").input("A ceasefire in Gaza should hold")
    at = click(at, "Add the topic")
    assert not errors(at), errors(at)
    with db.session() as s:
        assert [lv.value for lv in get_topic_by_slug(s, "gaza-ceasefire").levels] == [
            -2,
            -1,
            0,
            1,
            2,
        ]


def test_topics_page_is_read_only_for_others(db: Db):
    at = open_page("topics.py", db.people["rene"])
    assert "Edit a topic" not in texts(at)


def test_admin_manages_users(db: Db):
    at = open_page("admin.py", db.people["ada"])
    at.text_input(key="admin_new_username").input("omid")
    at.text_input(key="admin_new_password").input("short")
    at = click(at, "Add the account")
    assert any("at least 10 characters" in e for e in errors(at))
    at.text_input(key="admin_new_password").input("a long enough password")
    at.selectbox(key="admin_new_role").set_value("reviewer")
    at = click(at, "Add the account")
    assert "User omid added as reviewer" in texts(at)
    with db.session() as s:
        omid = s.exec(select(User).where(User.username == "omid")).one()
    at.selectbox(key="admin_edit_choice").set_value(omid.id).run()
    at.checkbox(key="admin_edit_disabled").check()
    at = click(at, "Save the account")
    assert "User omid saved" in texts(at)
    with db.session() as s:
        assert s.get(User, omid.id).disabled


def test_a_disabled_user_is_signed_out_on_the_next_page(db: Db):
    with db.session() as s:
        from tracker.auth import update_user

        update_user(s, db.people["casey"].id, user_id=db.people["ada"].id, disabled=True)
        s.commit()
    at = open_page("add_statement.py", db.people["casey"])
    assert "Sign in as a contributor" in texts(at)
    assert "user" not in at.session_state


OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a test cookie secret",
        "client_id": "tracker",
        "client_secret": "not a real secret",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    }
}


def _oidc_app(user: dict) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets.update(OIDC_SECRETS)
    at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_identity_provider_sign_in_is_offered_only_when_configured(db: Db):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not [b for b in at.sidebar.button if b.label.startswith("Sign in with")]
    at = _oidc_app({"is_logged_in": False})
    assert [b.label for b in at.sidebar.button if b.label.startswith("Sign in with")] == [
        "Sign in with your organisation"
    ]


def test_identity_provider_users_get_the_role_of_the_account_with_their_email(db: Db):
    with db.session() as s:
        create_user(s, "sso-reviewer", None, "reviewer", email="Reviewer@Example.org")
        s.commit()
    at = _oidc_app({"is_logged_in": True, "email": "reviewer@example.org"})
    assert "Signed in as **sso\\-reviewer** (reviewer)" in "\n".join(
        m.value for m in at.sidebar.markdown
    )
    stranger = _oidc_app({"is_logged_in": True, "email": "someone@example.org"})
    assert "no enabled tracker account has this email" in texts(stranger)
    assert "user" not in stranger.session_state


def test_identity_provider_failure_is_a_message(db: Db):
    if importlib.util.find_spec("authlib") is not None:
        pytest.skip("Authlib is installed: st.login would start a real sign-in")
    at = _oidc_app({"is_logged_in": False})
    next(b for b in at.sidebar.button if b.label.startswith("Sign in with")).click().run()
    assert not at.exception
    # Here Authlib is not installed: the sign-in cannot start, and says why.
    assert any("identity provider failed" in e.value for e in at.sidebar.error), [
        e.value for e in at.error
    ]


def _import_csv(at: AppTest, content: bytes, *, valid_only: bool = False) -> AppTest:
    at.file_uploader(key="stmt_import_file").upload("statements.csv", content, "text/csv").run()
    if valid_only:
        at.checkbox(key="stmt_import_valid_only").check().run()
    return click(at, "Check and import")


def test_csv_import_on_the_page_stores_the_template_rows_once(db: Db):
    from tracker.imports import statements_template_csv

    before = db.count(Statement)
    at = open_page("add_statement.py", db.people["casey"])
    _import_csv(at, statements_template_csv())
    assert db.count(Statement) == before + 2
    assert "2 imported as pending" in "\n".join(plain(s.value) for s in at.success)
    with db.session() as s:
        mine = [v for v in list_statements(s) if v.contributor_id == db.people["casey"].id]
    assert len(mine) == 2 and all(v.status == "pending" for v in mine)
    _import_csv(at, statements_template_csv())  # the same file again adds nothing
    assert db.count(Statement) == before + 2
    assert "2 already there" in texts(at)


def test_csv_import_on_the_page_is_all_or_nothing_and_lists_refused_rows(db: Db):
    from tracker.imports import statements_template_csv

    header, good, _other = statements_template_csv().decode("utf-8-sig").splitlines()
    bad = good.replace("2025-06-14,day", "2025-13-40,day", 1).replace("PAK,", "Atlantis,", 1)
    content = "\n".join([header, good, bad]).encode()
    before = db.count(Statement)
    at = open_page("add_statement.py", db.people["casey"])
    _import_csv(at, content)
    assert db.count(Statement) == before
    assert any("nothing imported" in e for e in errors(at))
    refused = at.dataframe[0].value
    assert set(refused["line"]) == {3}
    assert {"country", "said_on"} <= set(refused["column"])
    _import_csv(at, content, valid_only=True)
    assert db.count(Statement) == before + 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "CSV"),
        (b"name,age\nx,1\n", "column"),
    ],
)
def test_csv_import_on_the_page_refuses_unreadable_files(db: Db, content: bytes, message: str):
    before = db.count(Statement)
    at = open_page("add_statement.py", db.people["casey"])
    _import_csv(at, content)
    assert db.count(Statement) == before
    assert any(message.lower() in e.lower() for e in errors(at)), errors(at)


def test_a_save_kept_out_by_a_busy_database_says_so_and_keeps_the_form(db: Db):
    before = db.count(Statement)
    at = open_page("add_statement.py", db.people["casey"])
    fill_statement(at, db, said_on=date(2025, 6, 20), summary="Calls for restraint", stance=0)
    at.text_input(key="stmt_src0_url").input("https://example.org/a")
    with locked_by_another_program(db.url):  # longer than a save waits
        at = click(at, "Check and save")
    assert errors(at)[0] == "Nothing was saved."  # no field to point at
    assert any("The database:** busy with other writes" in e for e in errors(at)), errors(at)
    assert db.count(Statement) == before
    assert at.text_input(key="stmt_summary").value == "Calls for restraint"
    at = click(at, "Check and save")
    assert not errors(at), errors(at)
    assert db.count(Statement) == before + 1
