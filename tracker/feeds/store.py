"""Store parsed entries as news items: once per feed, linked across feeds, tagged with actors.

An entry is already known to its feed when an item of that feed has the same GUID; failing
that, the same canonical URL (feeds that regenerate GUIDs); and for entries without a link, the
same content hash. The same story from another feed is stored again, because each feed's inbox
is its own, but points at the first copy through ``same_story_as_id``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, insert, or_
from sqlmodel import Session, col, func, select

from tracker.feeds.canonical import canonical_url
from tracker.feeds.parse import ParsedEntry
from tracker.feeds.sanitize import html_to_text
from tracker.feeds.tagging import ActorMatcher
from tracker.models import NewsItem, NewsItemActor
from tracker.timeutil import as_utc, utcnow

# Well under SQLite's bound-parameter limit, and a reasonable IN list for PostgreSQL.
LOOKUP_CHUNK: Final = 500

T = TypeVar("T")


@dataclass
class StoreResult:
    new: int = 0
    duplicates: int = 0
    linked: int = 0
    new_ids: list[int] = field(default_factory=list)


@dataclass
class _Seen:
    guids: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)

    def knows(self, entry: ParsedEntry, url: str | None) -> bool:
        if entry.guid in self.guids:
            return True
        if url is not None:
            # Two links are two stories, however alike their text.
            return url in self.urls
        return entry.content_hash in self.hashes

    def add(self, entry: ParsedEntry, url: str | None) -> None:
        self.guids.add(entry.guid)
        if url is not None:
            self.urls.add(url)
        self.hashes.add(entry.content_hash)


def store_entries(
    session: Session,
    feed_id: int | None,
    entries: Sequence[ParsedEntry],
    matcher: ActorMatcher,
    fetched_at: datetime | None = None,
) -> StoreResult:
    """Add the entries this feed has not stored yet; flushes, the caller commits."""
    fetched_at = as_utc(fetched_at) if fetched_at is not None else utcnow()
    result = StoreResult()

    batch = _Seen()
    candidates: list[tuple[ParsedEntry, str | None]] = []
    for entry in entries:
        url = canonical_url(entry.url)
        if batch.knows(entry, url):
            result.duplicates += 1
            continue
        batch.add(entry, url)
        candidates.append((entry, url))
    if not candidates:
        return result

    this_feed = _in_feed(feed_id)
    stored = _Seen(
        guids=_existing(session, col(NewsItem.guid), [e.guid for e, _ in candidates], this_feed),
        urls=_existing(
            session, col(NewsItem.canonical_url), [u for _, u in candidates if u], this_feed
        ),
        hashes=_existing(
            session,
            col(NewsItem.content_hash),
            [e.content_hash for e, u in candidates if u is None],
            this_feed,
        ),
    )
    fresh = [(e, u) for e, u in candidates if not stored.knows(e, u)]
    result.duplicates += len(candidates) - len(fresh)
    if not fresh:
        return result

    other_feeds = _not_in_feed(feed_id)
    first_by_url = _first_copies(
        session, col(NewsItem.canonical_url), {u for _, u in fresh if u}, other_feeds
    )
    first_by_hash = _first_copies(
        session, col(NewsItem.content_hash), {e.content_hash for e, _ in fresh}, other_feeds
    )

    rows: list[dict[str, Any]] = []
    for entry, url in fresh:
        first = (first_by_url.get(url) if url else None) or first_by_hash.get(entry.content_hash)
        if first is not None:
            result.linked += 1
        rows.append(
            {
                "feed_id": feed_id,
                "guid": entry.guid,
                "url": entry.url,
                "canonical_url": url,
                "title": entry.title,
                "summary": entry.summary_html,
                "published_at": entry.published_at,
                "fetched_at": fetched_at,
                "content_hash": entry.content_hash,
                "same_story_as_id": first,
            }
        )
    # Bulk INSERT … RETURNING rather than ORM objects: a first poll can bring thousands of
    # entries, and building an ORM object per item and per tag costs more than the inserts.
    result.new_ids = list(
        session.scalars(
            insert(NewsItem).returning(col(NewsItem.id), sort_by_parameter_order=True), rows
        )
    )
    tags = [
        {"news_item_id": item_id, "actor_id": actor_id}
        for item_id, entry in zip(result.new_ids, (e for e, _ in fresh), strict=True)
        for actor_id in sorted(matcher.match(_tagging_text(entry)))
    ]
    if tags:
        session.execute(insert(NewsItemActor), tags)
    result.new = len(rows)
    return result


def _tagging_text(entry: ParsedEntry) -> str:
    return f"{entry.title}\n{html_to_text(entry.summary_html or '')}"


def _in_feed(feed_id: int | None) -> ColumnElement[bool]:
    # IS NOT DISTINCT FROM semantics (files have no feed), written so that PostgreSQL can use
    # the (feed_id, guid) index, which it cannot for IS NOT DISTINCT FROM itself.
    if feed_id is None:
        return col(NewsItem.feed_id).is_(None)
    return col(NewsItem.feed_id) == feed_id


def _not_in_feed(feed_id: int | None) -> ColumnElement[bool]:
    if feed_id is None:
        return col(NewsItem.feed_id).is_not(None)
    return or_(col(NewsItem.feed_id).is_(None), col(NewsItem.feed_id) != feed_id)


def _chunks(values: Collection[T]) -> Iterator[list[T]]:
    ordered = list(values)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        yield ordered[start : start + LOOKUP_CHUNK]


def _existing(
    session: Session, column: Any, values: Iterable[str], scope: ColumnElement[bool]
) -> set[str]:
    """Which of ``values`` the items in ``scope`` already have in ``column``."""
    found: set[str] = set()
    for chunk in _chunks(set(values)):
        found.update(session.exec(select(column).where(scope, column.in_(chunk))).all())
    return found


def _first_copies(
    session: Session, column: Any, values: Collection[str], scope: ColumnElement[bool]
) -> dict[str, int]:
    """For each value, the earliest original item in ``scope`` carrying it."""
    # A copy points at its original, so the smallest "original or self" id is the first copy
    # even when the earliest match is itself a copy.
    original = func.min(func.coalesce(col(NewsItem.same_story_as_id), col(NewsItem.id)))
    firsts: dict[str, int] = {}
    for chunk in _chunks(values):
        rows = session.exec(
            select(column, original).where(scope, column.in_(chunk)).group_by(column)
        ).all()
        firsts.update({value: item_id for value, item_id in rows})
    return firsts
