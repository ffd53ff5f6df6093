"""The demo data set: built from the seed report shipped in ``data/demo/``.

Everything in it is ``pending``: it comes from one secondary report, and a reviewer has to
check each position against a primary source before it counts as verified.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlmodel import Session, col, func, select

from tracker.actors import actor_by_code, sync_reference_actors
from tracker.config import load_settings
from tracker.errors import TrackerError
from tracker.events import create_event, event_by_external_key
from tracker.feeds.ingest import ingest_document
from tracker.models import (
    EventCreate,
    NewsItem,
    SourceCreate,
    StanceLevelCreate,
    Statement,
    StatementCreate,
    Topic,
    TopicCreate,
)
from tracker.speakers import get_or_create_speaker
from tracker.statements import create_statement, statement_by_external_key
from tracker.topics import create_topic, get_topic_by_slug

DEMO_FILES = ("topics.json", "statements.json", "events.json", "report.xml")


@dataclass(frozen=True)
class DemoLoadResult:
    actors_added: int
    topics_added: int
    statements_added: int
    events_added: int
    news_items_added: int

    @property
    def anything_added(self) -> bool:
        return any(
            (
                self.actors_added,
                self.topics_added,
                self.statements_added,
                self.events_added,
                self.news_items_added,
            )
        )


def _read(demo_dir: Path, name: str) -> bytes:
    path = demo_dir / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise TrackerError(
            f"The demo file {path} is missing. Restore it with `git checkout -- data/demo` "
            "or set TRACKER_DEMO_DIR to a folder that has " + ", ".join(DEMO_FILES)
        ) from None


def _json(demo_dir: Path, name: str) -> list[dict[str, Any]]:
    raw = _read(demo_dir, name)
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TrackerError(f"The demo file {demo_dir / name} is not valid JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise TrackerError(f"The demo file {demo_dir / name} must hold a list of objects")
    return data


def _sources(raw: list[dict[str, Any]]) -> list[SourceCreate]:
    return [SourceCreate.model_validate(s) for s in raw]


def _actor_id(session: Session, code: str, where: str) -> int:
    actor = actor_by_code(session, code)
    if actor is None:
        raise TrackerError(f"{where}: unknown actor code {code!r}")
    return actor.id


def load_demo(session: Session, demo_dir: Path | None = None) -> DemoLoadResult:
    """Load the demo data; running it again adds nothing. Flushes; the caller commits."""
    demo_dir = demo_dir or load_settings().demo_dir
    # Read everything first, so a missing or broken file stops the load before any write.
    topics = _json(demo_dir, "topics.json")
    statements = _json(demo_dir, "statements.json")
    events = _json(demo_dir, "events.json")
    report = _read(demo_dir, "report.xml")

    try:
        return _load(session, topics, statements, events, report)
    except (PydanticValidationError, KeyError, ValueError, TypeError) as exc:
        raise TrackerError(f"The demo data in {demo_dir} is malformed: {exc}") from None


def _load(
    session: Session,
    topics: list[dict[str, Any]],
    statements: list[dict[str, Any]],
    events: list[dict[str, Any]],
    report: bytes,
) -> DemoLoadResult:
    synced = sync_reference_actors(session)

    topics_added = 0
    for t in topics:
        if get_topic_by_slug(session, t["slug"]) is None:
            create_topic(
                session,
                TopicCreate(
                    slug=t["slug"],
                    title=t["title"],
                    proposition=t["proposition"],
                    description=t.get("description"),
                    levels=[StanceLevelCreate.model_validate(lv) for lv in t["levels"]],
                ),
            )
            topics_added += 1

    news = ingest_document(session, report)
    guid_to_id = {
        guid: news_id
        for guid, news_id in session.exec(
            select(NewsItem.guid, NewsItem.id).where(col(NewsItem.feed_id).is_(None))
        ).all()
        if news_id is not None
    }

    statements_added = 0
    for s in statements:
        key = f"demo:{s['key']}"
        if statement_by_external_key(session, key) is not None:
            continue
        where = f"statement {s['key']}"
        topic = get_topic_by_slug(session, s["topic"])
        if topic is None:
            raise TrackerError(f"{where}: unknown topic {s['topic']!r}")
        actor_id = _actor_id(session, s["actor"], where)
        speaker_id = (
            get_or_create_speaker(session, s["speaker"], actor_id).id if s.get("speaker") else None
        )
        missing = [g for g in s.get("news_items", []) if g not in guid_to_id]
        if missing:
            raise TrackerError(f"{where}: no news item with guid {missing[0]!r} in report.xml")
        create_statement(
            session,
            StatementCreate(
                topic_id=topic.id,
                actor_id=actor_id,
                speaker_id=speaker_id,
                speaker_role=s.get("speaker_role"),
                target_actor_id=_actor_id(session, s["target"], where) if s.get("target") else None,
                said_on=date.fromisoformat(s["said_on"]),
                date_precision=s["date_precision"],
                quote=s.get("quote"),
                language=s.get("language"),
                translation=s.get("translation"),
                summary=s.get("summary"),
                stance=s["stance"],
                channel=s["channel"],
                sources=_sources(s["sources"]),
                news_item_ids=[guid_to_id[g] for g in s.get("news_items", [])],
            ),
            external_key=key,
        )
        statements_added += 1

    events_added = 0
    for e in events:
        key = f"demo:{e['key']}"
        if event_by_external_key(session, key) is not None:
            continue
        where = f"event {e['key']}"
        topic_ids = []
        for slug in e.get("topics", []):
            topic = get_topic_by_slug(session, slug)
            if topic is None:
                raise TrackerError(f"{where}: unknown topic {slug!r}")
            topic_ids.append(topic.id)
        create_event(
            session,
            EventCreate(
                title=e["title"],
                description=e.get("description"),
                starts_on=date.fromisoformat(e["starts_on"]),
                ends_on=date.fromisoformat(e["ends_on"]) if e.get("ends_on") else None,
                date_precision=e["date_precision"],
                category=e["category"],
                actor_ids=[_actor_id(session, c, where) for c in e.get("actors", [])],
                topic_ids=topic_ids,
                sources=_sources(e.get("sources", [])),
            ),
            external_key=key,
        )
        events_added += 1

    session.flush()
    return DemoLoadResult(
        actors_added=synced.actors_added,
        topics_added=topics_added,
        statements_added=statements_added,
        events_added=events_added,
        news_items_added=news.new,
    )


def database_is_empty(session: Session) -> bool:
    """No topics and no statements: what `make run` checks before loading the demo."""
    topics = session.exec(select(func.count()).select_from(Topic)).one()
    statements = session.exec(select(func.count()).select_from(Statement)).one()
    return topics == 0 and statements == 0
