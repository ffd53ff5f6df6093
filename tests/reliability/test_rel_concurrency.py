"""Concurrency (reliability item 4): 8 writers and 2 pollers at once, on SQLite and PostgreSQL.

For TRACKER_RELIABILITY_SECONDS (default 60) on one committed database (a real SQLite file in
WAL mode, or the test server's database):

- 8 writer threads, each its own contributor and its own session, file statements the way the
  Add statement page does (``tracker.ui.forms.write``: ``create_statement`` in a fresh session,
  commit; a validation or permission refusal would be shown beside the form, anything else
  escapes to the user as an error). One statement in four adds a speaker by name from a pool
  all writers share, as two contributors adding the same new person at the same moment do; one
  in three links a news item the pollers stored.
- 2 poller processes run the tracker's ``poll_once`` with ``all_feeds`` (as `tracker poll
  --once --all` does) over a loopback farm of 16 feeds that grow by 5 items each time they
  are fetched, round after round; ``--all`` also takes feeds the other poller holds, so both
  store the same feed at the same moment now and then.

Figures: writes attempted, writes stored (equal), errors a user would see (0, "database is
locked" among them), revisions consistent with statements, items the pollers stored (and that
their feeds have no gap and every tag is right).

    TRACKER_RELIABILITY_SECONDS=10 .venv/bin/python -m pytest -s \
        tests/reliability/test_rel_concurrency.py
"""

from __future__ import annotations

import json
import os
import random
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from rel_checks import growing_feed_problems, statement_state
from rel_farm import farm_urls, growing_farm, start_poller
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, col, select

from tests.domain.accounts import make_user
from tracker.actors import actor_by_code, sync_reference_actors
from tracker.db import make_engine
from tracker.errors import PermissionDenied, ValidationError
from tracker.models import (
    Feed,
    FeedFetch,
    NewsItem,
    SourceCreate,
    Statement,
    StatementCreate,
    TopicCreate,
    User,
)
from tracker.statements import create_statement
from tracker.topics import create_topic

SECONDS = float(os.environ.get("TRACKER_RELIABILITY_SECONDS", "60"))
WRITERS = 8
POLLERS = 2
FEEDS = 16
COUNTRIES = ["PAK", "IRN", "SAU", "TUR", "QAT", "OMN", "IND", "USA"]
SHARED_SPEAKERS = 6  # per country: small, so writers add the same person at the same time


@dataclass
class WriterLog:
    attempted: int = 0
    stored_ids: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # shown beside the form
    errors: list[str] = field(default_factory=list)  # escape to the user
    slowest: float = 0.0  # seconds, the longest write (a save the user waited for)


def _setup(engine: Engine) -> tuple[int, list[int], dict[str, int]]:
    with Session(engine, expire_on_commit=False) as session:
        sync_reference_actors(session)
        topic = create_topic(
            session, TopicCreate(slug="concurrency", title="Concurrency", proposition="P")
        )
        users = [make_user(session, f"writer{n}").id for n in range(WRITERS)]
        actors = {}
        for code in COUNTRIES:
            actor = actor_by_code(session, code)
            assert actor is not None
            actors[code] = actor.id
        session.commit()
    return topic.id, users, actors


def _recent_item_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.exec(select(NewsItem.id).order_by(col(NewsItem.id).desc()).limit(50)))


def _writer(
    engine: Engine,
    number: int,
    user_id: int,
    topic_id: int,
    actors: dict[str, int],
    deadline: float,
    log: WriterLog,
) -> None:
    rng = random.Random(number)
    items: list[int] = []
    while time.monotonic() < deadline:
        code = rng.choice(COUNTRIES)
        n = log.attempted
        if n % 10 == 0:
            try:  # what the News page reads, from which a contributor links an item
                items = _recent_item_ids(engine)
            except Exception as exc:
                log.errors.append(f"reading news items: {type(exc).__name__}: {exc}"[:300])
        data = StatementCreate(
            topic_id=topic_id,
            actor_id=actors[code],
            said_on=date(2025, 6, 1) - timedelta(days=rng.randrange(1000)),
            date_precision="day",
            summary=f"Writer {number} statement {n} on {code}",
            stance=rng.randrange(-2, 3),
            channel="speech",
            sources=[SourceCreate(url=f"https://example.org/w{number}/{n}", publisher="Example")],
            news_item_ids=[rng.choice(items)] if items and rng.random() < 1 / 3 else [],
        )
        speaker = (
            f"Shared Speaker {code} {rng.randrange(SHARED_SPEAKERS)}"
            if rng.random() < 0.25
            else None
        )
        log.attempted += 1
        started = time.monotonic()
        # As tracker.ui.forms.write: a session of its own, committed if the domain call returns.
        with Session(engine, expire_on_commit=False) as session:
            try:
                view = create_statement(session, data, user_id=user_id, new_speaker=speaker)
                session.commit()
                log.stored_ids.append(view.id)
            except (ValidationError, PermissionDenied) as exc:
                session.rollback()
                log.refused.append(f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                session.rollback()
                took = time.monotonic() - started
                log.errors.append(f"{type(exc).__name__} after {took:.1f} s: {exc}"[:400])
        log.slowest = max(log.slowest, time.monotonic() - started)


def test_writers_and_pollers_at_once(engine: Engine) -> None:
    topic_id, users, actors = _setup(engine)
    url = engine.url.render_as_string(hide_password=False)
    with growing_farm() as port:
        with Session(engine) as session:
            session.add_all(Feed(url=u) for u in farm_urls(port, FEEDS))
            session.commit()
        started = time.monotonic()
        deadline = started + SECONDS
        pollers = [start_poller(url, SECONDS) for _ in range(POLLERS)]
        logs = [WriterLog() for _ in range(WRITERS)]
        threads = [
            threading.Thread(
                target=_writer, args=(engine, n, users[n], topic_id, actors, deadline, logs[n])
            )
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        reports = []
        for poller in pollers:
            out, err = poller.communicate(timeout=SECONDS + 600)
            assert poller.returncode == 0, err[-2000:]
            reports.append(json.loads(out.strip().splitlines()[-1]))
        elapsed = time.monotonic() - started

    attempted = sum(log.attempted for log in logs)
    stored_ids = [i for log in logs for i in log.stored_ids]
    errors = [e for log in logs for e in log.errors]
    refused = [r for log in logs for r in log.refused]
    locked = [e for e in errors if "locked" in e]
    with Session(engine) as session:
        in_database = session.exec(select(func.count()).select_from(Statement)).one()
        ours = session.exec(select(func.count()).where(col(Statement.id).in_(stored_ids))).one()
        fetch_errors = Counter(
            (error or "")[:200]
            for error in session.exec(
                select(FeedFetch.error).where(col(FeedFetch.outcome).in_(["error", "throttled"]))
            )
        )
    statements = statement_state(engine)
    items, item_problems = growing_feed_problems(engine)
    poller_items = sum(r["new_items"] for r in reports)
    poller_errors = [e for r in reports for e in r["errors"]]
    kinds = Counter(e.split(" ", 1)[0].rstrip(":") for e in errors + refused)
    slowest = max(log.slowest for log in logs)
    print(
        f"\n{engine.dialect.name}, {elapsed:.0f} s: writes attempted {attempted}, stored "
        f"{len(stored_ids)} (in the database: {in_database}), errors shown to a user "
        f"{len(errors)} ({len(locked)} 'database is locked'), refused {len(refused)} "
        f"{dict(kinds)}, slowest write {slowest:.1f} s; "
        f"create revisions {statements.create_revisions} for "
        f"{statements.statements} statements, {len(statements.problems)} inconsistencies; "
        f"pollers: {sum(r['rounds'] for r in reports)} rounds, {poller_items} items stored "
        f"({items} in the database), {sum(r['feed_errors'] for r in reports)} feed errors, "
        f"{len(poller_errors)} escaped errors, {len(item_problems)} item problems"
    )
    for problem in (errors + refused + poller_errors + item_problems + statements.problems)[:10]:
        print("  ", problem)
    for error, count in fetch_errors.most_common(5):
        print(f"   {count} feed fetches failed: {error}")
    assert attempted > 0 and poller_items > 0
    assert not errors and not refused
    assert len(stored_ids) == attempted == in_database == ours
    assert statements.create_revisions == statements.statements == attempted
    assert not statements.problems
    assert not poller_errors and all(r["feed_errors"] == 0 for r in reports)
    assert items == poller_items and not item_problems


def _user_row(name: str) -> User:
    return User(username=name, role="contributor", password_hash="x")


def test_sqlite_write_gate_is_always_handed_back(
    sqlite_template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every way a writing transaction can end hands the process's write turn back: a writer
    that came after one that leaked it would wait out the busy timeout and log a warning."""
    path = tmp_path / "gate.db"
    shutil.copy(sqlite_template, path)
    # A new connection for every session: the next writer never inherits the last one's.
    engine = make_engine(f"sqlite:///{path}", poolclass=NullPool)

    def next_writer_went_straight_through(name: str) -> bool:
        with Session(engine) as session:
            session.add(_user_row(f"after-{name}"))
            session.commit()
        return "write turn" not in caplog.text

    with Session(engine) as session:  # committed
        session.add(_user_row("committed"))
        session.commit()
    assert next_writer_went_straight_through("commit")
    with Session(engine) as session:  # rolled back
        session.add(_user_row("rolled-back"))
        session.flush()
        session.rollback()
    assert next_writer_went_straight_through("rollback")
    with Session(engine) as session:  # a failing statement
        session.add(_user_row("committed"))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
    assert next_writer_went_straight_through("error")
    with Session(engine) as session:  # closed with the transaction open
        session.add(_user_row("abandoned"))
        session.flush()
    assert next_writer_went_straight_through("close")
    with engine.connect() as conn:  # a statement outside any transaction
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("UPDATE user SET email = NULL WHERE username = 'committed'"))
    assert next_writer_went_straight_through("autocommit")
    with Session(engine) as session:
        names = set(session.exec(select(User.username)))
    assert "committed" in names and "rolled-back" not in names and "abandoned" not in names
    engine.dispose()
