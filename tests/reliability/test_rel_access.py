"""Access, on the domain: every write function called as every kind of caller, on SQLite and on
PostgreSQL, gives the design's table of allowed and refused, and a refused call stores nothing.

Callers (the columns):
- ``system``: ``user_id=None``. The domain reads it as the operator (the CLI, the demo loader,
  imports); pages never pass it for a write (tests/reliability/test_rel_access_pages.py shows
  an anonymous visitor is offered no write at all).
- ``anonymous``: an id that names no account: what a forged or stale browser session carries.
- ``contributor``, ``reviewer``, ``admin``: enabled accounts of that role.
- ``disabled admin``: an admin disabled by another session after this one loaded the account.
- ``demoted admin``: an admin made a contributor by another session after this one loaded the
  account; must get exactly the contributor's rights.

Rows marked "someone else's" act on a row filed by another contributor; "own" rows on one the
caller filed (by the system for callers without a usable account).

Also here: a reviewer never verifies what they filed or edited; log-ins are throttled; a
password is never stored, printed or logged in clear; the OpenID Connect settings and the
cookie secret come from Streamlit's secrets only.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from tests.domain.accounts import make_user
from tests.domain.helpers import CITATION, actor_id, make_topic, statement_data
from tests.reliability.rel_roles import (
    ADMIN,
    ALLOWED,
    CONTRIBUTOR,
    REFUSED,
    REVIEWER,
    allowed_cells,
    changed_tables,
    fingerprint,
    table,
)
from tracker.auth import (
    FREE_FAILURES,
    MAX_LOCK,
    authenticate,
    create_user,
    lock_delay,
    update_user,
)
from tracker.errors import PermissionDenied
from tracker.events import create_event, delete_event, restore_event, update_event
from tracker.feeds.opml import import_opml
from tracker.feeds.registry import (
    add_feed,
    delete_feed,
    pause_feed,
    refresh_feed,
    resume_feed,
)
from tracker.imports import import_statements_csv
from tracker.models import EventCreate, StanceLevelCreate, TopicCreate, User
from tracker.review import review_edit, review_statement, withdraw_edit
from tracker.statements import (
    create_statement,
    delete_statement,
    restore_statement,
    retract_statement,
    supersede_statement,
    update_statement,
)
from tracker.timeutil import utcnow
from tracker.topics import create_topic, get_topic, update_topic

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)

SYSTEM = "system"
ANONYMOUS = "anonymous"
DISABLED = "disabled admin"
DEMOTED = "demoted admin"
COLUMNS = (SYSTEM, ANONYMOUS, CONTRIBUTOR, REVIEWER, ADMIN, DISABLED, DEMOTED)
NO_ACCOUNT = 1_000_000  # an id no account has: sequences here never get that far

W = (CONTRIBUTOR, REVIEWER, ADMIN)  # the writers
R = (REVIEWER, ADMIN)
A = (ADMIN,)


# --- the world each attempt acts in ---------------------------------------------------------


@dataclass
class World:
    session: Session
    people: dict[str, int]  # username -> id
    topic_id: int
    serial: count[int] = field(default_factory=lambda: count(1))

    def n(self) -> int:
        return next(self.serial)

    def usable(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.people.values()

    def owner(self, me: int | None) -> int | None:
        """Who files the caller's "own" rows: the caller, or the system when it has no
        usable account."""
        return me if self.usable(me) else None

    def statement_input(self, **overrides):
        topic = get_topic(self.session, self.topic_id)
        overrides.setdefault("summary", f"Backs Iran against the strikes ({self.n()})")
        return statement_data(self.session, topic, **overrides)

    def pending(self, owner: int | None) -> int:
        made = create_statement(self.session, self.statement_input(), user_id=owner, today=TODAY)
        return made.id

    def verified(self, owner: int | None) -> int:
        sid = self.pending(owner)
        review_statement(self.session, sid, user_id=self.people["rosa"], verdict="verified")
        return sid

    def proposal(self, proposer: int | None) -> int:
        sid = self.verified(self.people["dana"])
        result = update_statement(
            self.session,
            sid,
            self.statement_input(summary=f"A better summary ({self.n()})"),
            user_id=proposer if proposer is not None else self.people["dana"],
            reason="The source says more",
            today=TODAY,
        )
        assert result.edit_id is not None
        return result.edit_id

    def deleted_statement(self) -> int:
        sid = self.pending(self.people["dana"])
        delete_statement(self.session, sid, user_id=self.people["root"], reason="duplicate")
        return sid

    def event_input(self, title: str = "Israeli strikes") -> EventCreate:
        return EventCreate(
            title=f"{title} ({self.n()})",
            starts_on=date(2025, 6, 13),
            category="military",
            actor_ids=[actor_id(self.session, "ISR")],
            sources=[CITATION],
        )

    def event(self, owner: int | None) -> int:
        return create_event(self.session, self.event_input(), user_id=owner, today=TODAY).id

    def deleted_event(self) -> int:
        eid = self.event(self.people["dana"])
        delete_event(self.session, eid, user_id=self.people["root"], reason="duplicate")
        return eid

    def feed(self, paused: bool = False) -> int:
        made = add_feed(
            self.session, f"https://news{self.n()}.example.org/rss", acting_user_id=None
        )
        if paused:
            pause_feed(self.session, made.id, acting_user_id=None)
        return made.id

    def account(self) -> int:
        return make_user(self.session, f"target{self.n()}", "contributor").id


# --- the rows: one write each, with what the design allows -----------------------------------

Call = Callable[[], object]
Setup = Callable[[World, int | None], Call]


@dataclass(frozen=True)
class Row:
    name: str
    allowed: tuple[str, ...]
    setup: Setup


def _create_statement(w: World, me: int | None) -> Call:
    data = w.statement_input()
    return lambda: create_statement(w.session, data, user_id=me, today=TODAY)


def _edit_pending(own: bool) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        sid = w.pending(w.owner(me) if own else w.people["dana"])
        data = w.statement_input(summary=f"Edited ({w.n()})")
        return lambda: update_statement(w.session, sid, data, user_id=me, today=TODAY)  # type: ignore[arg-type]

    return setup


def _propose(w: World, me: int | None) -> Call:
    sid = w.verified(w.people["dana"])
    data = w.statement_input(summary=f"Proposed ({w.n()})")
    return lambda: update_statement(
        w.session,
        sid,
        data,
        user_id=me,
        reason="a better source",
        today=TODAY,  # type: ignore[arg-type]
    )


def _retract(w: World, me: int | None) -> Call:
    sid = w.verified(w.people["dana"])
    return lambda: retract_statement(w.session, sid, user_id=me, note="withdrawn by the ministry")  # type: ignore[arg-type]


def _supersede(w: World, me: int | None) -> Call:
    old = w.verified(w.people["dana"])
    new = w.pending(w.people["dana"])
    return lambda: supersede_statement(w.session, old, new, user_id=me, note="newer")  # type: ignore[arg-type]


def _delete_statement(own: bool) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        sid = w.pending(w.owner(me) if own else w.people["dana"])
        return lambda: delete_statement(w.session, sid, user_id=me, reason="filed twice")  # type: ignore[arg-type]

    return setup


def _restore_statement(w: World, me: int | None) -> Call:
    sid = w.deleted_statement()
    return lambda: restore_statement(w.session, sid, user_id=me, reason="deleted by mistake")  # type: ignore[arg-type]


def _review(own: bool) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        sid = w.pending(w.owner(me) if own else w.people["dana"])
        return lambda: review_statement(w.session, sid, user_id=me, verdict="verified")  # type: ignore[arg-type]

    return setup


def _review_edit(own: bool) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        edit_id = w.proposal(w.owner(me) if own else w.people["dana"])
        return lambda: review_edit(w.session, edit_id, user_id=me, accept=True)  # type: ignore[arg-type]

    return setup


def _withdraw(own: bool) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        edit_id = w.proposal(w.owner(me) if own else w.people["dana"])
        return lambda: withdraw_edit(w.session, edit_id, user_id=me)  # type: ignore[arg-type]

    return setup


def _create_event(w: World, me: int | None) -> Call:
    data = w.event_input()
    return lambda: create_event(w.session, data, user_id=me, today=TODAY)


def _edit_event(own: bool) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        eid = w.event(w.owner(me) if own else w.people["dana"])
        data = w.event_input("Strikes on Iran")
        return lambda: update_event(w.session, eid, data, user_id=me, today=TODAY)  # type: ignore[arg-type]

    return setup


def _delete_event(own: bool) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        eid = w.event(w.owner(me) if own else w.people["dana"])
        return lambda: delete_event(w.session, eid, user_id=me, reason="filed twice")  # type: ignore[arg-type]

    return setup


def _restore_event(w: World, me: int | None) -> Call:
    eid = w.deleted_event()
    return lambda: restore_event(w.session, eid, user_id=me, reason="deleted by mistake")  # type: ignore[arg-type]


def _create_topic(w: World, me: int | None) -> Call:
    data = TopicCreate(slug=f"topic-{w.n()}", title="Gulf security", proposition="X is good")
    return lambda: create_topic(w.session, data, user_id=me)


def _update_topic(w: World, me: int | None) -> Call:
    topic = create_topic(
        w.session, TopicCreate(slug=f"scale-{w.n()}", title="Scale", proposition="Y is good")
    )
    levels = [StanceLevelCreate(value=v, label=f"Level {v:+d}", rule="") for v in (-1, 0, 1, 2, 3)]
    return lambda: update_topic(
        w.session,
        topic.id,
        title="Scale, renamed",
        proposition="Y is good",
        description=None,
        levels=levels,
        user_id=me,  # type: ignore[arg-type]
    )


def _create_user(w: World, me: int | None) -> Call:
    name = f"newcomer{w.n()}"
    return lambda: create_user(w.session, name, "a long enough password", "reviewer", user_id=me)


def _update_user(**change: object) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        target = w.account()
        return lambda: update_user(w.session, target, user_id=me, **change)  # type: ignore[arg-type]

    return setup


def _add_feed(w: World, me: int | None) -> Call:
    url = f"https://added{w.n()}.example.org/feed.xml"
    return lambda: add_feed(w.session, url, acting_user_id=me)


def _feed_action(action: Callable[..., object], paused: bool = False) -> Setup:
    def setup(w: World, me: int | None) -> Call:
        fid = w.feed(paused=paused)
        return lambda: action(w.session, fid, acting_user_id=me)

    return setup


def _import_opml(w: World, me: int | None) -> Call:
    n = w.n()
    data = (
        f'<opml version="2.0"><body><outline type="rss" text="Gulf news" '
        f'xmlUrl="https://opml{n}.example.org/rss"/></body></opml>'
    ).encode()
    return lambda: import_opml(w.session, data, acting_user_id=me)


def _import_csv(w: World, me: int | None) -> Call:
    slug = get_topic(w.session, w.topic_id).slug
    data = (
        "topic,country,said_on,stance,summary,source_url\n"
        f"{slug},PAK,2025-06-14,1,Backs closer ties ({w.n()}),https://example.org/a\n"
    ).encode()
    return lambda: import_statements_csv(w.session, data, user_id=me, today=TODAY)


SYS = (SYSTEM,)
ROWS: tuple[Row, ...] = (
    Row("statements.create_statement", SYS + W, _create_statement),
    Row("statements.update_statement, pending, someone else's", R, _edit_pending(own=False)),
    Row("statements.update_statement, pending, own", W, _edit_pending(own=True)),
    Row("statements.update_statement, verified (a proposal)", W, _propose),
    Row("statements.retract_statement", R, _retract),
    Row("statements.supersede_statement", R, _supersede),
    Row("statements.delete_statement, pending, someone else's", A, _delete_statement(own=False)),
    Row("statements.delete_statement, pending, own", W, _delete_statement(own=True)),
    Row("statements.restore_statement", A, _restore_statement),
    Row("review.review_statement, someone else's", R, _review(own=False)),
    Row("review.review_statement, own", (), _review(own=True)),
    Row("review.review_edit, someone else's proposal", R, _review_edit(own=False)),
    Row("review.review_edit, own proposal", (), _review_edit(own=True)),
    Row("review.withdraw_edit, someone else's proposal", A, _withdraw(own=False)),
    Row("review.withdraw_edit, own proposal", W, _withdraw(own=True)),
    Row("events.create_event", SYS + W, _create_event),
    Row("events.update_event, someone else's", R, _edit_event(own=False)),
    Row("events.update_event, own", W, _edit_event(own=True)),
    Row("events.delete_event, someone else's", A, _delete_event(own=False)),
    Row("events.delete_event, own", W, _delete_event(own=True)),
    Row("events.restore_event", A, _restore_event),
    Row("topics.create_topic", SYS + A, _create_topic),
    Row("topics.update_topic (texts, stance levels)", A, _update_topic),
    Row("auth.create_user", SYS + A, _create_user),
    Row("auth.update_user, role", SYS + A, _update_user(role="admin")),
    Row("auth.update_user, disable", SYS + A, _update_user(disabled=True)),
    Row("auth.update_user, password", SYS + A, _update_user(password="another long password")),
    Row("feeds.registry.add_feed", SYS + A, _add_feed),
    Row("feeds.registry.pause_feed", SYS + A, _feed_action(pause_feed)),
    Row("feeds.registry.resume_feed", SYS + A, _feed_action(resume_feed, paused=True)),
    Row("feeds.registry.refresh_feed", SYS + A, _feed_action(refresh_feed)),
    Row("feeds.registry.delete_feed", SYS + A, _feed_action(delete_feed)),
    Row("feeds.opml.import_opml", SYS + A, _import_opml),
    Row("imports.import_statements_csv", SYS + W, _import_csv),
)


def expected_cells(row: Row) -> dict[str, str]:
    cells = allowed_cells(row.allowed, COLUMNS)
    cells[DISABLED] = REFUSED
    cells[DEMOTED] = cells[CONTRIBUTOR]  # a demoted admin is a contributor, at once
    return cells


# --- the callers ----------------------------------------------------------------------------


def _set_account(engine: Engine, user_id: int, **values: object) -> None:
    """Change an account from another session, as another admin or process would."""
    with Session(engine) as other:
        user = other.get(User, user_id)
        assert user is not None
        for key, value in values.items():
            setattr(user, key, value)
        other.add(user)
        other.commit()


def attempt(engine: Engine, w: World, row: Row, column: str) -> str:
    """Call ``row`` as ``column`` in a fresh situation; "allowed", "refused", or what went
    wrong. A refusal is followed by a commit: whatever it left pending would be stored."""
    me: int | None = {
        SYSTEM: None,
        ANONYMOUS: NO_ACCOUNT,
        CONTRIBUTOR: w.people["casey"],
        REVIEWER: w.people["rene"],
        ADMIN: w.people["ada"],
        DISABLED: w.people["dis"],
        DEMOTED: w.people["demo"],
    }[column]
    if column in (DISABLED, DEMOTED):
        # Both start as enabled admins: they file their "own" rows as such.
        _set_account(engine, me, role="admin", disabled=False)  # type: ignore[arg-type]
    session = w.session
    call = row.setup(w, me)
    session.commit()
    # A long-lived session holds the account as it was when it was loaded (kept referenced:
    # the identity map forgets objects nobody holds).
    held = session.get(User, me) if me is not None and w.usable(me) else None
    if column == DISABLED:
        _set_account(engine, me, disabled=True)  # type: ignore[arg-type]
    elif column == DEMOTED:
        _set_account(engine, me, role="contributor")  # type: ignore[arg-type]
    before = fingerprint(session)
    try:
        call()
    except PermissionDenied:
        session.commit()
        after = fingerprint(session)
        changed = changed_tables(before, after)
        return REFUSED if not changed else f"refused but changed {', '.join(changed)}"
    except Exception as exc:  # shown in the table: a wrong scenario must not pass quietly
        session.rollback()
        return f"error {type(exc).__name__}: {str(exc)[:80]}"
    finally:
        del held
    session.commit()
    return ALLOWED


def make_world(session: Session) -> World:
    people = {
        name: make_user(session, name, role).id
        for name, role in (
            ("casey", "contributor"),
            ("dana", "contributor"),
            ("rene", "reviewer"),
            ("rosa", "reviewer"),
            ("ada", "admin"),
            ("root", "admin"),
            ("dis", "admin"),
            ("demo", "admin"),
        )
    }
    topic = make_topic(session)
    actor_id(session, "PAK")  # loads the reference actors
    session.commit()
    return World(session=session, people=people, topic_id=topic.id)


def test_every_write_as_every_caller_matches_the_roles(engine: Engine, session: Session):
    w = make_world(session)
    actual = {row.name: {c: attempt(engine, w, row, c) for c in COLUMNS} for row in ROWS}
    expected = {row.name: expected_cells(row) for row in ROWS}
    print()
    print(
        table(f"Domain writes x callers on {engine.dialect.name}", actual, COLUMNS, first="write")
    )
    calls = len(ROWS) * len(COLUMNS)
    refused = sum(v == REFUSED for cells in actual.values() for v in cells.values())
    print(
        f"\n{len(ROWS)} writes x {len(COLUMNS)} callers = {calls} calls: "
        f"{calls - refused} allowed, {refused} refused, each refusal stored nothing"
    )
    mismatches = {
        (name, c): (actual[name][c], expected[name][c])
        for name in expected
        for c in COLUMNS
        if actual[name][c] != expected[name][c]
    }
    assert not mismatches, mismatches


# --- every write is in the table ------------------------------------------------------------

DOMAIN_FILES = [
    *sorted((ROOT / "tracker").glob("*.py")),
    *sorted((ROOT / "tracker/feeds").glob("*.py")),
]
# Functions that take an acting user but only read (what to show), or are the checks themselves.
USER_READS = {
    "auth.get_user",  # its user_id is the account to read
    "events.event_actions",
    "statements.statement_actions",
    "statements.has_contributed",
    "permissions.acting_user",
    "permissions.require_role",
    "permissions.require_writer_or_system",
    "permissions.require_admin_or_system",
    "registry.require_admin",
    "revisions.record_revision",  # writes the history row of a write already checked
}
# Writes with no acting user: the operator's tools and the poller. No page may reach them.
SYSTEM_ONLY = {
    "load_demo",
    "generate_synthetic",
    "remove_synthetic",
    "sync_reference_actors",
    "store_entries",
    "ingest_document",
    "claim_due_feeds",
    "release_feeds",
    "record_crash",
    "backup_sqlite",
    "restore_sqlite",
    "upgrade",
    "get_or_create_speaker",
    "record_revision",
    "apply_proposal",
}


def _functions_with_an_acting_user() -> set[str]:
    found = set()
    for path in DOMAIN_FILES:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                names = {a.arg for a in (*node.args.args, *node.args.kwonlyargs)}
                if names & {"user_id", "acting_user_id"}:
                    found.add(f"{path.stem}.{node.name}")
    return found


def test_every_function_that_takes_an_acting_user_is_in_the_table():
    covered = {".".join(row.name.split(",")[0].split(" ")[0].split(".")[-2:]) for row in ROWS}
    gated = _functions_with_an_acting_user()
    untested = gated - covered - USER_READS
    print(
        f"\n{len(gated)} functions take an acting user: {len(covered)} writes in the table, "
        f"{len(gated & USER_READS)} reads or checks"
    )
    assert not untested, f"writes missing from the access table: {sorted(untested)}"


def _ui_imports() -> dict[str, set[str]]:
    """Each module of the app (tracker/ui and app.py) with the names it imports from tracker."""
    found: dict[str, set[str]] = {}
    for path in [ROOT / "app.py", *sorted((ROOT / "tracker/ui").rglob("*.py"))]:
        names = found.setdefault(str(path.relative_to(ROOT)), set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tracker"):
                names.update(alias.name for alias in node.names)
    return found


def test_no_page_reaches_a_write_that_checks_no_user():
    imports = _ui_imports()
    reached = {(module, name) for module, names in imports.items() for name in names & SYSTEM_ONLY}
    login_only = {m for m, names in imports.items() if "authenticate" in names}
    print(f"\n{len(imports)} app modules import none of {len(SYSTEM_ONLY)} operator-only writes")
    assert not reached, reached
    assert login_only == {"tracker/ui/login.py"}


# --- reviewers and their own work -----------------------------------------------------------


def test_a_reviewer_never_verifies_what_they_filed_or_edited(session: Session):
    w = make_world(session)
    rene, rosa = w.people["rene"], w.people["rosa"]
    filed = w.pending(rene)
    others = w.pending(w.people["dana"])
    update_statement(
        session, others, w.statement_input(summary="Rene's edit"), user_id=rene, today=TODAY
    )
    session.commit()
    before = fingerprint(session)
    for sid in (filed, others):
        for verdict in ("verified", "rejected"):
            with pytest.raises(PermissionDenied, match="another reviewer must check it"):
                review_statement(session, sid, user_id=rene, verdict=verdict, note="checked")
            session.commit()
    assert fingerprint(session) == before
    # Another reviewer can: the refusal is about whose work it is, not the statement.
    assert review_statement(session, filed, user_id=rosa, verdict="verified").status == "verified"
    print("\nreviewer verifying own filed or edited statement: 4 of 4 attempts refused")


# --- log-in throttling ----------------------------------------------------------------------


def test_log_in_is_throttled_after_repeated_failures(session: Session):
    user = make_user(session, "casey", "contributor")
    right, wrong = "a long enough password", "not the password"
    session.commit()
    now = utcnow()
    locks = []
    for attempt_no in range(1, 9):
        assert authenticate(session, "casey", wrong, now=now) is None
        row = session.get(User, user.id, populate_existing=True)
        lock = (row.locked_until - now) if row.locked_until else timedelta(0)
        locks.append(lock)
        assert lock == lock_delay(attempt_no)
        if lock:
            # Locked: even the right password is refused until the lock ends, and the failure
            # count does not move (a locked account cannot be hammered further).
            assert authenticate(session, "casey", right, now=now) is None
            assert session.get(User, user.id, populate_existing=True).failed_logins == attempt_no
            now = row.locked_until  # wait out the lock before the next wrong guess
    free = sum(1 for lock in locks if not lock)
    assert free == FREE_FAILURES - 1
    assert all(b == 2 * a for a, b in zip(locks[free:], locks[free + 1 :], strict=False))
    assert lock_delay(10_000) == MAX_LOCK
    assert authenticate(session, "casey", right, now=now) is not None
    assert session.get(User, user.id, populate_existing=True).failed_logins == 0
    print(
        f"\nwrong passwords before the first lock: {FREE_FAILURES}; locks after each failure: "
        + ", ".join(f"{int(x.total_seconds())}s" for x in locks)
        + f"; longest lock {int(MAX_LOCK.total_seconds())}s"
    )


def test_a_throttled_account_refuses_the_right_password_until_the_lock_ends(session: Session):
    make_user(session, "casey", "contributor")
    session.commit()
    now = utcnow()
    for _ in range(FREE_FAILURES):
        authenticate(session, "casey", "wrong guess", now=now)
    lock = lock_delay(FREE_FAILURES)
    assert authenticate(session, "casey", "a long enough password", now=now) is None
    assert authenticate(session, "casey", "a long enough password", now=now + lock / 2) is None
    assert authenticate(session, "casey", "a long enough password", now=now + lock) is not None


# --- passwords in clear -------------------------------------------------------------------

SECRET = "Tr0ub4dor&3-horse-staple-9f41"  # distinctive: cannot occur in a file by chance


def _spellings(password: str) -> list[bytes]:
    return [password.encode("utf-8"), password.encode("utf-16-le"), password[:12].encode()]


def _tracker(args: list[str], url: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACKER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-c", "from tracker.cli import app; app()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_never_stores_prints_or_logs_a_password_in_clear(tmp_path: Path, sqlite_template: Path):
    db = tmp_path / "tracker.db"
    db.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{db}"
    runs = [
        _tracker(["users", "add", "casey", "--role", "contributor"], url, SECRET + "\n"),
        _tracker(["users", "set", "casey", "--password"], url, SECRET + "-2\n"),
        _tracker(["users", "add", "short", "--role", "admin"], url, "tiny\n"),  # refused
        _tracker(["users", "list", "--json"], url, ""),
    ]
    assert [r.returncode for r in runs] == [0, 0, 1, 0], [r.stderr for r in runs]
    output = "".join(r.stdout + r.stderr for r in runs)
    assert "casey" in output
    assert SECRET not in output and "tiny" not in output
    files = sorted(tmp_path.glob("tracker.db*"))
    stored = b"".join(f.read_bytes() for f in files)
    for spelling in (*_spellings(SECRET), *_spellings(SECRET + "-2")):
        assert spelling not in stored
    assert b"$argon2id$" in stored
    print(
        f"\npassword in clear: 0 hits in {len(files)} database files ({len(stored):,} bytes) and "
        f"{len(output):,} characters of CLI output"
    )


def test_domain_never_stores_or_logs_a_password(
    engine: Engine, session: Session, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    # Echo every statement with its parameters: a password passed to SQL would show here.
    for name in ("sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        admin = make_user(session, "ada", "admin")
        user = create_user(session, "casey", SECRET, "contributor", user_id=admin.id)
        session.commit()
        assert authenticate(session, "casey", SECRET + "x") is None  # a failure, counted
        assert authenticate(session, "casey", SECRET) is not None
        update_user(session, user.id, user_id=admin.id, password=SECRET + "-2")
        session.commit()
    finally:
        for name in ("sqlalchemy.engine", "sqlalchemy.pool"):
            logging.getLogger(name).setLevel(logging.WARNING)
    logged = caplog.text
    assert "INSERT INTO" in logged or "INSERT INTO" in logged.upper()  # the echo was on
    assert SECRET not in logged
    texts: list[str] = []
    with engine.connect() as conn:
        for tbl in SQLModel.metadata.sorted_tables:
            texts += [repr(tuple(r)) for r in conn.execute(sa_select(tbl)).all()]
    dump = "\n".join(texts)
    assert SECRET not in dump and SECRET[:12] not in dump
    assert dump.count("$argon2id$") >= 2
    print(
        f"\n{engine.dialect.name}: password in clear in {len(logged):,} characters of logs "
        f"(SQL echo on): 0; in {len(texts)} stored rows: 0"
    )


# --- the OpenID Connect settings and the cookie secret -----------------------------------


AUTH_WORDS = re.compile(r"cookie_secret|client_secret|client_id|server_metadata_url|redirect_uri")


def test_oidc_settings_and_cookie_secret_come_only_from_streamlit_secrets():
    """Read by the code from st.secrets only: never from the environment, the settings or a
    table, and the secrets file is never committed."""
    readers = []
    namers: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "tracker").rglob("*.py"))]:
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "secrets":
                readers.append(str(path.relative_to(ROOT)))
            # Environment reads name only TRACKER_* settings, none of them a secret.
            if isinstance(node, ast.Call) and ast.unparse(node.func) in (
                "os.environ.get",
                "os.getenv",
            ):
                key = ast.unparse(node.args[0]) if node.args else ""
                assert not AUTH_WORDS.search(key.lower()) and "secret" not in key.lower(), (
                    path,
                    key,
                )
        named = [line for line in source.splitlines() if AUTH_WORDS.search(line.split("#")[0])]
        if named:
            namers.add(str(path.relative_to(ROOT)))
    # Only the sign-in module reads the secrets, and only it names an OIDC setting (to see
    # which providers the secrets configure).
    assert sorted(set(readers)) == ["tracker/ui/login.py"]
    assert namers <= {"tracker/ui/login.py"}, namers
    columns = {c.name for t in SQLModel.metadata.sorted_tables for c in t.columns}
    assert not {c for c in columns if "secret" in c or "token" in c or "cookie" in c}
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert ".streamlit/secrets.toml" in gitignore
    config = tomllib.loads((ROOT / ".streamlit/config.toml").read_text())
    assert "auth" not in config and "secrets" not in str(config).lower()
    print(
        "\nOIDC settings and cookie secret: read only through st.secrets (tracker/ui/login.py); "
        "0 environment reads, 0 columns, secrets.toml git-ignored"
    )
