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

from sqlalchemy import ColumnElement, Connection, Table, func, insert, or_, select
from sqlmodel import Session

from tracker.feeds.canonical import canonical_url
from tracker.feeds.parse import ParsedEntry
from tracker.feeds.sanitize import html_to_text
from tracker.feeds.tagging import Tagger
from tracker.models import Feed, NewsItem, NewsItemActor
from tracker.timeutil import as_utc, utcnow

# Well under SQLite's bound-parameter limit, and a reasonable IN list for PostgreSQL.
LOOKUP_CHUNK: Final = 500
_NEWS_ITEM: Final[Table] = NewsItem.__table__  # type: ignore[attr-defined]
_NEWS_ITEM_ACTOR: Final[Table] = NewsItemActor.__table__  # type: ignore[attr-defined]
_FEED: Final[Table] = Feed.__table__  # type: ignore[attr-defined]

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
    matcher: Tagger,
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

    # Core statements on the session's connection: the ORM's per-statement bookkeeping
    # cost more than these indexed lookups.
    connection = session.connection()
    if feed_id is not None and connection.dialect.name != "sqlite":
        # Two pollers can store one feed at once (`poll --all` takes feeds another poller has
        # claimed; a lease can run out): on PostgreSQL both would find the entries new and one
        # fail on uq_news_item_feed_guid. Locking the feed's row makes the second wait, then
        # find the first one's items. On SQLite the write lock already serialises them.
        connection.execute(select(_FEED.c.id).where(_FEED.c.id == feed_id).with_for_update())
    items = _NEWS_ITEM.c
    this_feed = _in_feed(feed_id)
    stored = _Seen()
    # A feed's first poll (most of a large first run) has nothing to compare against.
    if connection.execute(select(items.id).where(this_feed).limit(1)).first() is not None:
        stored = _Seen(
            guids=_existing(connection, items.guid, [e.guid for e, _ in candidates], this_feed),
            urls=_existing(
                connection, items.canonical_url, [u for _, u in candidates if u], this_feed
            ),
            hashes=_existing(
                connection,
                items.content_hash,
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
        connection, items.canonical_url, {u for _, u in fresh if u}, other_feeds
    )
    first_by_hash = _first_copies(
        connection, items.content_hash, {e.content_hash for e, _ in fresh}, other_feeds
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
    # Core executemany, then one lookup of the new ids by GUID: an INSERT … RETURNING that
    # must keep the rows' order runs row by row on SQLite, and the ORM's bulk path costs more
    # than the inserts themselves; a first poll brings thousands of entries.
    connection.execute(insert(_NEWS_ITEM), rows)
    ids: dict[str, int] = {}
    for chunk in _chunks([e.guid for e, _ in fresh]):
        ids.update(
            connection.execute(
                select(items.guid, items.id).where(this_feed, items.guid.in_(chunk))
            ).all()
        )
    result.new_ids = [ids[entry.guid] for entry, _ in fresh]
    tags = [
        {"news_item_id": ids[entry.guid], "actor_id": actor_id}
        for entry, _ in fresh
        for actor_id in sorted(matcher.match(tagging_text(entry)))
    ]
    if tags:
        connection.execute(insert(_NEWS_ITEM_ACTOR), tags)
    result.new = len(rows)
    return result


def tagging_text(entry: ParsedEntry) -> str:
    """What an entry is tagged from: its title and summary as plain text."""
    return entry.text or f"{entry.title}\n{html_to_text(entry.summary_html or '')}"


def _in_feed(feed_id: int | None) -> ColumnElement[bool]:
    # IS NOT DISTINCT FROM semantics (files have no feed), written so that PostgreSQL can use
    # the (feed_id, guid) index, which it cannot for IS NOT DISTINCT FROM itself.
    if feed_id is None:
        return _NEWS_ITEM.c.feed_id.is_(None)
    return _NEWS_ITEM.c.feed_id == feed_id


def _not_in_feed(feed_id: int | None) -> ColumnElement[bool]:
    if feed_id is None:
        return _NEWS_ITEM.c.feed_id.is_not(None)
    return or_(_NEWS_ITEM.c.feed_id.is_(None), _NEWS_ITEM.c.feed_id != feed_id)


def _chunks(values: Collection[T]) -> Iterator[list[T]]:
    ordered = list(values)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        yield ordered[start : start + LOOKUP_CHUNK]


def _existing(
    connection: Connection, column: Any, values: Iterable[str], scope: ColumnElement[bool]
) -> set[str]:
    """Which of ``values`` the items in ``scope`` already have in ``column``."""
    found: set[str] = set()
    for chunk in _chunks(set(values)):
        found.update(connection.execute(select(column).where(scope, column.in_(chunk))).scalars())
    return found


def _first_copies(
    connection: Connection, column: Any, values: Collection[str], scope: ColumnElement[bool]
) -> dict[str, int]:
    """For each value, the earliest original item in ``scope`` carrying it."""
    # A copy points at its original, so the smallest "original or self" id is the first copy
    # even when the earliest match is itself a copy.
    original = func.min(func.coalesce(_NEWS_ITEM.c.same_story_as_id, _NEWS_ITEM.c.id))
    firsts: dict[str, int] = {}
    for chunk in _chunks(values):
        rows = connection.execute(
            select(column, original).where(scope, column.in_(chunk)).group_by(column)
        ).all()
        firsts.update({value: item_id for value, item_id in rows})
    return firsts
