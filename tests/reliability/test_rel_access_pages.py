"""Access, on the pages (AppTest, the real app on a copy of the demo database):

1. Which actions each page offers to a visitor, a contributor, a reviewer and an admin, through
   app.py as a browser reaches it (the signed-in account is re-read on every run). The table is
   printed and must equal the design's.
2. An action forced by someone whose role does not allow it is refused by the domain and stores
   nothing. To force it, each page is run on its own with a forged session that claims a role
   the account does not have (or an account that does not exist, or is disabled): the page then
   draws the action, and only the domain's check stands between the click and the database.
3. The sign-in form: throttled after repeated failures, one message for every failure, the
   password not kept in the session; OpenID Connect offered only from Streamlit's secrets.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from tests.app.demo_db import build_demo_db
from tests.reliability.rel_roles import (
    ADMIN,
    ANONYMOUS,
    CONTRIBUTOR,
    REVIEWER,
    ROLES,
    allowed_cells,
    changed_tables,
    fingerprint,
    table,
)
from tracker.auth import UserView, create_user, lock_delay, update_user
from tracker.db import make_engine
from tracker.events import create_event
from tracker.feeds.registry import add_feed
from tracker.models import EventCreate, NewsItem, SourceCreate, User
from tracker.review import review_statement
from tracker.statements import create_statement, update_statement
from tracker.topics import get_topic_by_slug

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGES = ROOT / "tracker" / "ui" / "pages"
TIMEOUT = 60
PASSWORD = "correct horse battery"
TOPIC = "pakistan-iran-alignment"
TODAY = date(2026, 1, 1)
GHOST_ID = 1_000_000  # no account has it

OFFERED = "offered"
HIDDEN = "-"


@dataclass(frozen=True)
class Scene:
    url: str
    people: dict[str, UserView]
    pending_id: int  # filed by dana, pending
    verified_id: int  # filed by dana, verified by rosa
    proposed_id: int  # verified, with a change proposed by dana
    event_id: int  # filed by dana
    topic_id: int


def _statement(session: Session, topic_id: int, pak: int, summary: str, user_id: int) -> int:
    from tracker.models import StatementCreate

    data = StatementCreate(
        topic_id=topic_id,
        actor_id=pak,
        said_on=date(2025, 6, 1),
        date_precision="month",
        summary=summary,
        stance=1,
        channel="reported",
        sources=[SourceCreate(url="https://example.org/source")],
    )
    return create_statement(session, data, user_id=user_id, today=TODAY).id


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scene]:
    from tracker.actors import actor_by_code

    path = tmp_path_factory.mktemp("access") / "demo.db"
    url = build_demo_db(path)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        people = {
            name: create_user(s, name, PASSWORD, role)
            for name, role in (
                ("casey", "contributor"),
                ("dana", "contributor"),
                ("rene", "reviewer"),
                ("rosa", "reviewer"),
                ("ada", "admin"),
                ("gone", "contributor"),
            )
        }
        s.commit()
        update_user(s, people["gone"].id, user_id=None, disabled=True)
        topic = get_topic_by_slug(s, TOPIC)
        pak = actor_by_code(s, "PAK").id
        dana, rosa = people["dana"].id, people["rosa"].id
        pending = _statement(s, topic.id, pak, "Dana's pending statement", dana)
        verified = _statement(s, topic.id, pak, "Dana's verified statement", dana)
        review_statement(s, verified, user_id=rosa, verdict="verified")
        proposed = _statement(s, topic.id, pak, "Dana's statement with a proposal", dana)
        review_statement(s, proposed, user_id=rosa, verdict="verified")
        s.commit()
        from tracker.statements import statement_input

        change = statement_input(s, proposed).model_copy(update={"summary": "Dana's better text"})
        update_statement(s, proposed, change, user_id=dana, reason="a clearer source", today=TODAY)
        event = create_event(
            s,
            EventCreate(
                title="Dana's naval exercise",
                starts_on=date(2025, 7, 1),
                category="military",
                sources=[SourceCreate(url="https://example.org/exercise")],
            ),
            user_id=dana,
            today=TODAY,
        )
        add_feed(s, "https://wire.example.org/rss", title="Gulf wire", acting_user_id=None)
        s.commit()
        assert s.exec(select(NewsItem.id)).first() is not None  # the News page has items
        scene = Scene(url, people, pending, verified, proposed, event.id, topic.id)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, scene


@pytest.fixture
def scene(template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    path, built = template
    copy = tmp_path / "tracker.db"
    shutil.copy(path, copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    st.cache_resource.clear()
    yield dataclasses.replace(built, url=url)
    st.cache_resource.clear()


def db_print(url: str):
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return fingerprint(session)
    finally:
        engine.dispose()


def failed(at: AppTest) -> str:
    return "; ".join(str(e.value) for e in at.exception)


# --- 1. what each page offers to whom ------------------------------------------------------

Detector = Callable[[AppTest], bool]


def button(label: str) -> Detector:
    return lambda at: any(b.label == label for b in at.button)


def link(prefix: str) -> Detector:
    return lambda at: any(p.value.startswith(prefix) for p in at.get("page_link"))


def widget(kind: str, key: str) -> Detector:
    return lambda at: any(getattr(w, "key", None) == key for w in at.get(kind))


@dataclass(frozen=True)
class PageState:
    name: str
    page: str
    params: Callable[[Scene], dict[str, str]]
    actions: dict[str, tuple[Detector, tuple[str, ...]]]  # action -> (how to see it, who may)


W = (CONTRIBUTOR, REVIEWER, ADMIN)
R = (REVIEWER, ADMIN)
A = (ADMIN,)
NONE: Callable[[Scene], dict[str, str]] = lambda _: {}  # noqa: E731

STATES = (
    PageState(
        "Add statement",
        "add_statement.py",
        NONE,
        {"file a statement": (button("Check and save"), W)},
    ),
    PageState("Add event", "add_event.py", NONE, {"file an event": (button("Check and save"), W)}),
    PageState("News", "news.py", NONE, {"make a statement": (link("Make a statement"), W)}),
    PageState("Review", "review.py", NONE, {"verify or reject": (button("Verify"), R)}),
    PageState(
        "Feeds",
        "feeds.py",
        NONE,
        {
            "add a feed": (button("Add feed"), A),
            "import OPML": (widget("file_uploader", "feeds_opml"), A),
            "pause": (button("Pause"), A),
            "refresh now": (button("Refresh now"), A),
            "delete": (button("Delete"), A),
        },
    ),
    PageState(
        "Topics",
        "topics.py",
        NONE,
        {
            "add a topic": (button("Add the topic"), A),
            "edit a topic and its scale": (widget("selectbox", "topic_edit_choice"), A),
        },
    ),
    PageState(
        "Admin",
        "admin.py",
        NONE,
        {
            "add an account": (button("Add the account"), A),
            "change an account": (widget("selectbox", "admin_edit_choice"), A),
        },
    ),
    PageState(
        "Statement, pending (someone else's)",
        "statement.py",
        lambda s: {"id": str(s.pending_id)},
        {
            "edit": (link("Edit this statement"), R),
            "verify or reject": (button("Verify"), R),
            "retract": (button("Retract"), R),
            "mark superseded": (button("Mark superseded"), R),
            "delete": (button("Delete this statement"), A),
            "restore a version": (button("Restore this version"), A),
        },
    ),
    PageState(
        "Statement, verified",
        "statement.py",
        lambda s: {"id": str(s.verified_id)},
        {
            "propose a change": (link("Propose a change"), W),
            "edit in place": (link("Edit this statement"), ()),
            "verify or reject": (button("Verify"), ()),
            "retract": (button("Retract"), R),
            "mark superseded": (button("Mark superseded"), R),
            "delete": (button("Delete this statement"), A),
            "restore a version": (button("Restore this version"), A),
        },
    ),
    PageState(
        "Statement, change proposed (someone else's)",
        "statement.py",
        lambda s: {"id": str(s.proposed_id)},
        {
            "accept or reject the change": (button("Accept the change"), R),
            "withdraw the change": (button("Withdraw this change"), A),
        },
    ),
    PageState(
        "Event (someone else's)",
        "event.py",
        lambda s: {"id": str(s.event_id)},
        {
            "edit": (link("Edit this event"), R),
            "delete": (button("Delete this event"), A),
            "restore a version": (button("Restore this version"), A),
        },
    ),
)

AS_ROLE = {ANONYMOUS: None, CONTRIBUTOR: "casey", REVIEWER: "rene", ADMIN: "ada"}


def through_the_app(page: str, user: UserView | None, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["user"] = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"tracker/ui/pages/{page}").run()
    assert not at.exception, failed(at)
    return at


def test_each_page_offers_each_role_exactly_its_actions(scene: Scene):
    actual: dict[str, dict[str, str]] = {}
    expected: dict[str, dict[str, str]] = {}
    for state in STATES:
        shown = {}
        for role in ROLES:
            name = AS_ROLE[role]
            at = through_the_app(
                state.page, scene.people[name] if name else None, state.params(scene)
            )
            shown[role] = {action: see(at) for action, (see, _) in state.actions.items()}
        for action, (_, allowed) in state.actions.items():
            row = f"{state.name}: {action}"
            actual[row] = {r: OFFERED if shown[r][action] else HIDDEN for r in ROLES}
            expected[row] = {
                r: OFFERED if v == "allowed" else HIDDEN
                for r, v in allowed_cells(allowed, ROLES).items()
            }
    print()
    print(
        table("Page actions offered, by role (through app.py)", actual, ROLES, first="page: action")
    )
    offered = sum(v == OFFERED for cells in actual.values() for v in cells.values())
    print(
        f"\n{len(actual)} page actions x {len(ROLES)} roles: {offered} offered, "
        f"{len(actual) * len(ROLES) - offered} hidden"
    )
    assert actual == expected


def test_a_forged_role_is_corrected_before_the_page_draws(scene: Scene):
    """app.py re-reads the account: a session that claims admin for a contributor's account
    (or for no account at all) is shown what the account may do, not what it claims."""
    casey = scene.people["casey"]
    forged = UserView(id=casey.id, username="casey", role="admin", disabled=False)
    at = through_the_app("admin.py", forged, {})
    assert not button("Add the account")(at)
    assert at.session_state["user"].role == "contributor"
    ghost = UserView(id=GHOST_ID, username="ghost", role="admin", disabled=False)
    at = through_the_app("feeds.py", ghost, {})
    assert not button("Add feed")(at)
    assert "user" not in at.session_state


# --- 2. forced actions ------------------------------------------------------------------------

NO_ACCOUNT = "no account"
DISABLED = "disabled account"
FORGERS = (NO_ACCOUNT, DISABLED, CONTRIBUTOR, REVIEWER)
FORGER_ACCOUNT = {NO_ACCOUNT: None, DISABLED: "gone", CONTRIBUTOR: "casey", REVIEWER: "rene"}
REFUSAL = re.compile(
    r"only (an?|its|who)\b|not allowed|no longer exists|is disabled|not usable|sign in first", re.I
)

Perform = Callable[[AppTest, Scene], AppTest]


def click(label: str) -> Perform:
    def perform(at: AppTest, _: Scene) -> AppTest:
        return next(b for b in at.button if b.label == label).click().run()

    return perform


def _add_feed(at: AppTest, _: Scene) -> AppTest:
    at.checkbox(key="feeds_add_discover").uncheck()
    at.text_input(key="feeds_add_url").input("https://forced.example.org/rss")
    return click("Add feed")(at, _)


def _import_opml(at: AppTest, _: Scene) -> AppTest:
    opml = (
        b'<opml version="2.0"><body><outline xmlUrl="https://opml.example.org/rss"/></body></opml>'
    )
    at.get("file_uploader")[0].set_value(("feeds.opml", opml, "text/x-opml")).run()
    return click("Import these feeds")(at, _)


def _delete_feed(at: AppTest, _: Scene) -> AppTest:
    at.checkbox(key="feeds_delete_sure").check().run()
    return click("Delete")(at, _)


def _add_topic(at: AppTest, _: Scene) -> AppTest:
    at.text_input(key="topic_new_slug").input("forced-topic")
    at.text_input(key="topic_new_title").input("Forced topic")
    at.text_input(key="topic_new_proposition").input("Anyone may add topics")
    return click("Add the topic")(at, _)


def _edit_topic(at: AppTest, scene: Scene) -> AppTest:
    at.selectbox(key="topic_edit_choice").set_value(scene.topic_id).run()
    at.text_input(key="topic_edit_title").input("Renamed by force")
    return click("Save the topic")(at, scene)


def _add_account(at: AppTest, _: Scene) -> AppTest:
    at.text_input(key="admin_new_username").input("intruder")
    at.selectbox(key="admin_new_role").set_value("admin")
    at.text_input(key="admin_new_password").input("a long enough password")
    return click("Add the account")(at, _)


def _promote(at: AppTest, scene: Scene) -> AppTest:
    at.selectbox(key="admin_edit_choice").set_value(scene.people["casey"].id).run()
    at.selectbox(key="admin_edit_role").set_value("admin")
    return click("Save the account")(at, scene)


def _file_statement(at: AppTest, scene: Scene) -> AppTest:
    at.selectbox(key="stmt_topic").set_value(scene.topic_id).run()
    at.selectbox(key="stmt_actor").select_index(0).run()
    at.date_input(key="stmt_said_on").set_value(date(2025, 6, 22))
    at.text_input(key="stmt_summary").input("Filed by force, and unique")
    at.selectbox(key="stmt_stance").set_value(1)
    at.text_input(key="stmt_src0_url").input("https://example.org/forced")
    return click("Check and save")(at, scene)


def _file_event(at: AppTest, scene: Scene) -> AppTest:
    at.text_input(key="evt_title").input("Forced event")
    at.date_input(key="evt_starts_on").set_value(date(2025, 7, 1))
    at.selectbox(key="evt_category").set_value("military")
    at.text_input(key="evt_src0_url").input("https://example.org/forced-event")
    return click("Check and save")(at, scene)


@dataclass(frozen=True)
class Forced:
    name: str
    page: str
    claims: str
    perform: Perform
    params: Callable[[Scene], dict[str, str]] = NONE


FORCED = (
    Forced("Feeds: add a feed", "feeds.py", ADMIN, _add_feed),
    Forced("Feeds: import OPML", "feeds.py", ADMIN, _import_opml),
    Forced("Feeds: pause", "feeds.py", ADMIN, click("Pause")),
    Forced("Feeds: refresh now", "feeds.py", ADMIN, click("Refresh now")),
    Forced("Feeds: delete", "feeds.py", ADMIN, _delete_feed),
    Forced("Topics: add a topic", "topics.py", ADMIN, _add_topic),
    Forced("Topics: edit a topic", "topics.py", ADMIN, _edit_topic),
    Forced("Admin: add an account", "admin.py", ADMIN, _add_account),
    Forced("Admin: make casey an admin", "admin.py", ADMIN, _promote),
    Forced("Review: verify", "review.py", REVIEWER, click("Verify")),
    Forced(
        "Statement: accept the change",
        "statement.py",
        REVIEWER,
        click("Accept the change"),
        lambda s: {"id": str(s.proposed_id)},
    ),
    Forced(
        "Statement: withdraw the change",
        "statement.py",
        ADMIN,
        click("Withdraw this change"),
        lambda s: {"id": str(s.proposed_id)},
    ),
    Forced("Add statement: file it", "add_statement.py", CONTRIBUTOR, _file_statement),
    Forced("Add event: file it", "add_event.py", CONTRIBUTOR, _file_event),
)
RANK = {CONTRIBUTOR: 1, REVIEWER: 2, ADMIN: 3}
CLEAN = "refused, stored nothing"


@pytest.fixture
def app_without_sign_in(tmp_path: Path) -> Path:
    """app.py without its sign-in step, which re-reads the account on every run: a session
    that claims a role then keeps it, and only the domain checks who acts. Written beside a
    link to tracker/ so that the pages' links resolve as they do from app.py."""
    source = APP.read_text()
    call = "\nlogin_sidebar()\n"
    assert source.count(call) == 1
    entry = tmp_path / "app_without_sign_in.py"
    entry.write_text(source.replace(call, "\n"))
    (tmp_path / "tracker").symlink_to(ROOT / "tracker", target_is_directory=True)
    return entry


def forged_session(entry: Path, page: str, user: UserView, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(entry), default_timeout=TIMEOUT)
    at.session_state["user"] = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(f"tracker/ui/pages/{page}").run()


def shown_text(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in (*at.error, *at.warning))


def test_actions_forced_by_an_unauthorised_role_are_refused_and_store_nothing(
    scene: Scene, app_without_sign_in: Path
):
    cells: dict[str, dict[str, str]] = {}
    forced = 0
    for case in FORCED:
        row = cells.setdefault(f"{case.name} (claims {case.claims})", {})
        for forger in FORGERS:
            if forger in RANK and RANK[forger] >= RANK[case.claims]:
                row[forger] = "n/a"  # not a forgery: the role allows it
                continue
            name = FORGER_ACCOUNT[forger]
            user_id = scene.people[name].id if name else GHOST_ID
            user = UserView(id=user_id, username=name or "ghost", role=case.claims, disabled=False)
            before = db_print(scene.url)
            at = forged_session(app_without_sign_in, case.page, user, case.params(scene))
            assert not at.exception, (case.name, forger, failed(at))
            at = case.perform(at, scene)
            assert not at.exception, (case.name, forger, failed(at))
            changed = changed_tables(before, db_print(scene.url))
            message = shown_text(at)
            refused = bool(REFUSAL.search(message))
            verdict = "refused" if refused else "NOT refused"
            row[forger] = (
                CLEAN
                if refused and not changed
                else f"{verdict}; changed {changed}: {message[:60]!r}"
            )
            forced += 1
    print()
    print(
        table(
            "Forced page actions (forged session, page run without app.py)",
            cells,
            FORGERS,
            first="action",
        )
    )
    print(
        f"\n{forced} forced actions: "
        f"{sum(v == CLEAN for r in cells.values() for v in r.values())}"
        " refused by the domain with nothing stored"
    )
    bad = {(r, f): v for r, row in cells.items() for f, v in row.items() if v not in ("n/a", CLEAN)}
    assert not bad, bad


# --- 3. the sign-in form ------------------------------------------------------------------


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.sidebar.text_input(key="sign_in_username").input(username)
    at.sidebar.text_input(key="sign_in_password").input(password)
    next(b for b in at.sidebar.button if b.label == "Sign in").click().run()
    assert not at.exception, failed(at)
    return at


def _casey(url: str, **values: object) -> User:
    """casey's row as stored (after setting ``values``, when given)."""
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            casey = s.exec(select(User).where(User.username == "casey")).one()
            for key, value in values.items():
                setattr(casey, key, value)
            s.commit()
            return casey
    finally:
        engine.dispose()


def test_sign_in_is_throttled_and_says_the_same_for_every_failure(scene: Scene):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    messages = []
    for _ in range(3):
        sign_in(at, "casey", "not the password")
        messages.append([e.value for e in at.sidebar.error])
        assert "user" not in at.session_state
    first = _casey(scene.url)
    assert first.failed_logins == 3 and first.locked_until is not None  # the third one locks
    # The first lock lasts 2 s, too short to test against on a busy machine: go on as after
    # five more failures, each waited out, so that the next one locks for minutes.
    _casey(scene.url, failed_logins=8, locked_until=None)
    sign_in(at, "casey", "still not the password")
    messages.append([e.value for e in at.sidebar.error])
    locked = _casey(scene.url)
    # Locked now: the right password is refused, with the same words as a wrong one, and so
    # is a name that has no account.
    sign_in(at, "casey", PASSWORD)
    messages.append([e.value for e in at.sidebar.error])
    assert "user" not in at.session_state
    sign_in(at, "nobody-by-this-name", PASSWORD)
    messages.append([e.value for e in at.sidebar.error])
    assert len({tuple(m) for m in messages}) == 1 and messages[0], messages
    assert _casey(scene.url).failed_logins == 9  # tries while locked are not even checked
    # Another account is not affected by casey's lock.
    sign_in(at, "dana", PASSWORD)
    assert at.session_state["user"].username == "dana"
    # The signed-in session holds the account's id, name and role: no password, no hash.
    # (The password field's own value is cleared by the browser: the form clears on submit.)
    assert [f.name for f in dataclasses.fields(UserView)] == ["id", "username", "role", "disabled"]
    held = {k: v for k, v in at.session_state.items() if k != "sign_in_password"}
    assert PASSWORD not in repr(held) and "$argon2" not in repr(held)
    shown = [e.value for e in (*at.markdown, *at.caption, *at.error, *at.info, *at.success)]
    assert PASSWORD not in repr(shown)
    print(
        f"\nsign-in page: the 3rd wrong password locks the account for "
        f"{lock_delay(3).total_seconds():.0f} s, the 9th for {lock_delay(9).total_seconds():.0f} s "
        f"(until {locked.locked_until:%H:%M:%S} UTC); while locked the right password is "
        f"refused; 1 message for all {len(messages)} failures, unknown names included"
    )


OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a test cookie secret",
    "client_id": "tracker",
    "client_secret": "not a real secret",
    "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
}


def oidc_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.sidebar.button if b.label.startswith("Sign in with")]


def test_oidc_is_configured_only_by_streamlit_secrets(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
):
    # The same settings in every environment spelling one might try: none of them counts.
    for key, value in OIDC.items():
        for name in (
            key,
            key.upper(),
            f"AUTH_{key.upper()}",
            f"STREAMLIT_AUTH_{key.upper()}",
            f"TRACKER_{key.upper()}",
            f"TRACKER_OIDC_{key.upper()}",
        ):
            monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, failed(at)
    assert oidc_buttons(at) == []
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = OIDC
    at.run()
    assert oidc_buttons(at) == ["Sign in with your organisation"]
    print("\nOIDC: 30 environment variables -> not offered; [auth] in st.secrets -> offered")
