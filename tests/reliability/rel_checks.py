"""What "the database is intact" means for the reliability tests, checked from outside.

File level (SQLite): ``PRAGMA integrity_check``, ``PRAGMA foreign_key_check`` and FTS5's own
``integrity-check`` of both search indexes, which on an external-content index also compares
the index with ``news_item`` row by row.

Item level, from the schema (the poller writes one feed's result in one transaction: its new
``news_item`` rows, their ``news_item_actor`` tags, the feed's state and its ``feed_fetch``
line), an item is *half-stored* when any part of that transaction is missing:

- its actor tags differ from the ones its stored title and summary give (tags written without
  the item, or an item without its tags);
- its feed holds some but not all of the entries of the one document the farm serves
  (``items_per_feed``), or the feed's state disagrees with its items: items stored but no
  ``body_hash``/``last_success_at``/``feed_fetch`` "new" line, or those without the items.

Statements (the import and the writers): every statement has exactly one create revision,
every create revision has its statement, and every statement has its sources.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.feeds.sanitize import html_to_text
from tracker.feeds.tagging import ActorMatcher

FTS_INDEXES = ("news_item_fts", "statement_fts")


def sqlite_file_problems(path: Path) -> list[str]:
    """Everything SQLite itself finds wrong with the file (empty: intact)."""
    problems: list[str] = []
    conn = sqlite3.connect(path)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems += [f"integrity_check: {r}" for r in rows]
        problems += [f"foreign_key_check: {r}" for r in conn.execute("PRAGMA foreign_key_check")]
        for index in FTS_INDEXES:
            try:
                # rank 1: also check an external-content index against its table.
                conn.execute(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")  # noqa: S608 (constant names)
            except sqlite3.DatabaseError as exc:
                problems.append(f"{index} integrity-check: {exc}")
    finally:
        conn.close()
    return problems


@dataclass
class ItemState:
    items: int = 0
    feeds_full: int = 0
    feeds_empty: int = 0
    feeds_claimed: int = 0  # empty, claimed by a run that never finished them
    half_stored: list[str] = field(default_factory=list)


def item_state(engine: Engine, items_per_feed: int) -> ItemState:
    """Count full and empty feeds and list every half-stored item or feed."""
    state = ItemState()
    with Session(engine) as session:
        conn = session.connection()
        state.half_stored += tag_problems(session)
        per_feed: Counter[int] = Counter(
            feed_id for (feed_id,) in conn.execute(text("SELECT feed_id FROM news_item"))
        )
        state.items = sum(per_feed.values())
        logged_new = dict(
            conn.execute(
                text(
                    "SELECT feed_id, max(items_new) FROM feed_fetch "
                    "WHERE outcome = 'new' GROUP BY feed_id"
                )
            ).all()
        )
        for feed_id, body_hash, success, polled in conn.execute(
            text("SELECT id, body_hash, last_success_at, last_polled_at FROM feed")
        ):
            count = per_feed.pop(feed_id, 0)
            stored = (body_hash is not None, success is not None, feed_id in logged_new)
            if count == items_per_feed and all(stored) and logged_new[feed_id] == count:
                state.feeds_full += 1
            elif count == 0 and not any(stored):
                state.feeds_empty += 1
                # Claimed (and so leased) by a run that died before storing it.
                state.feeds_claimed += polled is not None
            else:
                state.half_stored.append(
                    f"feed {feed_id}: {count} items, body_hash/success/logged = {stored}"
                )
        state.half_stored += [f"items of missing feed {f}" for f in per_feed]
    return state


def tag_problems(session: Session) -> list[str]:
    """Items whose actor tags differ from the ones their stored title and summary give."""
    matcher = ActorMatcher.from_session(session)
    conn = session.connection()
    tags: dict[int, set[int]] = defaultdict(set)
    for item_id, actor_id in conn.execute(
        text("SELECT news_item_id, actor_id FROM news_item_actor")
    ):
        tags[item_id].add(actor_id)
    problems: list[str] = []
    for item_id, title, summary in conn.execute(text("SELECT id, title, summary FROM news_item")):
        # The text the poller tags (tracker.feeds.store.tagging_text), from the stored row.
        expected = matcher.match(f"{title}\n{html_to_text(summary or '')}")
        if set(expected) != tags.pop(item_id, set()):
            problems.append(f"item {item_id}: tags differ from its text")
    return problems + [f"tags of missing item {i}" for i in tags]


def growing_feed_problems(engine: Engine) -> tuple[int, list[str]]:
    """Items stored from the growing farm, and every feed whose items are not one unbroken run
    ``0 … newest`` of the farm's numbering (each answer overlaps the last one, so a dropped or
    half-stored answer leaves a gap), plus every item whose tags are wrong."""
    with Session(engine) as session:
        problems = tag_problems(session)
        numbers: dict[int, list[int]] = defaultdict(list)
        for feed_id, guid in session.connection().execute(
            text("SELECT feed_id, guid FROM news_item")
        ):
            numbers[feed_id].append(int(guid.rsplit("-", 1)[1]))
    for feed_id, seen in numbers.items():
        if sorted(seen) != list(range(max(seen) + 1)):
            problems.append(f"feed {feed_id}: items {min(seen)}..{max(seen)}, {len(seen)} stored")
    return sum(len(v) for v in numbers.values()), problems


@dataclass
class StatementState:
    statements: int
    create_revisions: int
    speakers: int
    sources: int
    problems: list[str]


def statement_state(engine: Engine) -> StatementState:
    """Statements against their create revisions and sources."""
    with engine.connect() as conn:
        statements = {
            sid: contributor
            for sid, contributor in conn.execute(text("SELECT id, contributor_id FROM statement"))
        }
        revisions: Counter[int] = Counter()
        problems: list[str] = []
        for entity_id, user_id in conn.execute(
            text(
                "SELECT entity_id, user_id FROM revision "
                "WHERE entity_type = 'statement' AND action = 'create'"
            )
        ):
            revisions[entity_id] += 1
            if entity_id in statements and statements[entity_id] != user_id:
                problems.append(f"statement {entity_id}: created by another user than its own")
        with_sources = {
            sid for (sid,) in conn.execute(text("SELECT DISTINCT statement_id FROM source"))
        }
        speakers = conn.execute(text("SELECT count(*) FROM speaker")).scalar_one()
        sources = conn.execute(text("SELECT count(*) FROM source")).scalar_one()
    for sid in statements:
        if revisions[sid] != 1:
            problems.append(f"statement {sid}: {revisions[sid]} create revisions")
        if sid not in with_sources:
            problems.append(f"statement {sid}: no source")
    problems += [
        f"revision of missing statement {sid}" for sid in revisions if sid not in statements
    ]
    return StatementState(
        len(statements), sum(revisions.values()), int(speakers), int(sources), problems
    )
