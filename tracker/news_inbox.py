"""The contributor's news inbox: filtered, paged, with what is already used by a statement.

The News page and `tracker news list` read it: the newest items, narrowed by the countries
they mention, feeds, a date range and words, with which items a statement was already taken
from, in pages. Items are plain text here: titles and summaries are reduced from the feed's
sanitised HTML, so nothing a feed wrote is ever shown as markup.

The same story reached through several feeds is shown once (its first copy), with the number
of other feeds that carried it, unless the inbox is narrowed to particular feeds; a story is
"used" when a statement links to any of its copies.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from tracker.feeds.sanitize import html_to_text
from tracker.models import Actor, Feed, NewsItem, NewsItemActor, Statement, StatementNewsItem
from tracker.timeutil import as_utc

DEFAULT_PAGE_SIZE: Final = 25
MAX_PAGE_SIZE: Final = 200
MAX_WORDS: Final = 10
MAX_WORD_CHARS: Final = 100
_WORD = re.compile(r'"([^"]*)"|([^\s"]+)')


@dataclass(frozen=True)
class ActorTag:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is narrowed to; the defaults show everything."""

    actor_ids: tuple[int, ...] = ()
    all_actors: bool = False  # True: items mentioning every one of actor_ids, else any
    feed_ids: tuple[int, ...] = ()
    since: date | None = None  # inclusive, UTC days
    until: date | None = None  # inclusive
    words: str = ""  # every word (or "quoted phrase") in the title or summary
    unused_only: bool = False


@dataclass(frozen=True)
class InboxItem:
    id: int
    title: str
    url: str | None
    summary_text: str
    published_at: datetime | None
    fetched_at: datetime
    feed_id: int | None
    feed_title: str | None
    actors: list[ActorTag] = field(default_factory=list)
    used_by: list[int] = field(default_factory=list)  # ids of statements taken from it
    other_feeds: int = 0  # how many other feeds carried the same story

    @property
    def shown_at(self) -> datetime:
        """The time the inbox sorts by: published when the feed says, else fetched."""
        return self.published_at or self.fetched_at

    @property
    def time_kind(self) -> str:
        """``published`` or ``fetched``: which time ``shown_at`` is."""
        return "published" if self.published_at is not None else "fetched"

    @property
    def is_used(self) -> bool:
        return bool(self.used_by)


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class FeedChoice:
    id: int
    name: str
    items: int


def search_terms(words: str) -> list[str]:
    """The words and "quoted phrases" of a search box, at most ``MAX_WORDS`` of them."""
    terms = []
    # NUL separates words: SQLite's LIKE would end the pattern there, PostgreSQL refuses it.
    for phrase, word in _WORD.findall(words.replace("\x00", " ")):
        term = " ".join((phrase or word).split())[:MAX_WORD_CHARS]
        if term:
            terms.append(term)
    return terms[:MAX_WORDS]


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _shown_at() -> Any:
    return func.coalesce(col(NewsItem.published_at), col(NewsItem.fetched_at))


def _conditions(filters: InboxFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.feed_ids:
        conditions.append(col(NewsItem.feed_id).in_(filters.feed_ids))
    else:
        conditions.append(col(NewsItem.same_story_as_id).is_(None))
    if filters.actor_ids:
        if filters.all_actors:
            for actor_id in dict.fromkeys(filters.actor_ids):
                conditions.append(
                    col(NewsItem.id).in_(
                        select(col(NewsItemActor.news_item_id)).where(
                            col(NewsItemActor.actor_id) == actor_id
                        )
                    )
                )
        else:
            conditions.append(
                col(NewsItem.id).in_(
                    select(col(NewsItemActor.news_item_id)).where(
                        col(NewsItemActor.actor_id).in_(filters.actor_ids)
                    )
                )
            )
    if filters.since is not None:
        conditions.append(_shown_at() >= day_start(filters.since))
    if filters.until is not None:
        conditions.append(_shown_at() < day_start(filters.until + timedelta(days=1)))
    for term in search_terms(filters.words):
        conditions.append(
            or_(
                col(NewsItem.title).icontains(term, autoescape=True),
                col(NewsItem.summary).icontains(term, autoescape=True),
            )
        )
    if filters.unused_only:
        # A story is used when a statement links to any of its copies: compare story roots.
        conditions.append(_story_root(NewsItem).not_in(_used_story_roots()))
    return conditions


def _story_root(item: Any) -> Any:
    """The id of the first copy of the item's story (the item's own id for a first copy)."""
    return func.coalesce(item.same_story_as_id, item.id)


def _used_story_roots() -> Any:
    """The story roots of items linked to a statement that is not deleted."""
    linked = aliased(NewsItem)
    return (
        select(_story_root(linked))
        .join(StatementNewsItem, col(StatementNewsItem.news_item_id) == linked.id)
        .join(Statement, col(Statement.id) == col(StatementNewsItem.statement_id))
        .where(col(Statement.deleted_at).is_(None))
    )


def list_inbox(
    session: Session,
    filters: InboxFilters | None = None,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> InboxPage:
    """One page of the inbox, newest first (published time, else fetched time)."""
    filters = filters or InboxFilters()
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    conditions = _conditions(filters)
    where = and_(*conditions) if conditions else None
    count_query = select(func.count()).select_from(NewsItem)
    if where is not None:
        count_query = count_query.where(where)
    total = int(session.scalar(count_query) or 0)
    pages = max(1, -(-total // page_size))
    page = max(1, min(page, pages))

    query = (
        select(
            col(NewsItem.id),
            col(NewsItem.title),
            col(NewsItem.url),
            col(NewsItem.summary),
            col(NewsItem.published_at),
            col(NewsItem.fetched_at),
            col(NewsItem.feed_id),
            func.coalesce(col(Feed.title), col(Feed.url)),
        )
        .outerjoin(Feed, col(Feed.id) == col(NewsItem.feed_id))
        .order_by(_shown_at().desc(), col(NewsItem.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    if where is not None:
        query = query.where(where)
    rows = session.execute(query).all()
    return InboxPage(items=_items(session, rows), total=total, page=page, page_size=page_size)


def newest_items(
    session: Session, filters: InboxFilters | None = None, *, limit: int
) -> list[InboxItem]:
    """The newest ``limit`` items on ``filters``, however many pages of the inbox that takes."""
    items: list[InboxItem] = []
    page = 1
    while len(items) < limit:
        found = list_inbox(session, filters, page=page, page_size=MAX_PAGE_SIZE)
        items += found.items
        if page >= found.pages:
            break
        page += 1
    return items[:limit]


def get_inbox_item(session: Session, news_item_id: int) -> InboxItem | None:
    """One item as the inbox shows it, or None when there is no such item."""
    rows = session.execute(
        select(
            col(NewsItem.id),
            col(NewsItem.title),
            col(NewsItem.url),
            col(NewsItem.summary),
            col(NewsItem.published_at),
            col(NewsItem.fetched_at),
            col(NewsItem.feed_id),
            func.coalesce(col(Feed.title), col(Feed.url)),
        )
        .outerjoin(Feed, col(Feed.id) == col(NewsItem.feed_id))
        .where(col(NewsItem.id) == news_item_id)
    ).all()
    items = _items(session, rows)
    return items[0] if items else None


def _items(session: Session, rows: Iterable[Any]) -> list[InboxItem]:
    rows = list(rows)
    ids = [row[0] for row in rows]
    actors = _actors(session, ids)
    group = _story_groups(session, ids)
    used = _used_by(session, {member for members in group.values() for member in members})
    return [
        InboxItem(
            id=item_id,
            title=html_to_text(title) or "(untitled)",
            url=url,
            summary_text=html_to_text(summary) if summary else "",
            published_at=as_utc(published) if published is not None else None,
            fetched_at=as_utc(fetched),
            feed_id=feed_id,
            feed_title=feed_title,
            actors=actors.get(item_id, []),
            used_by=sorted({s for member in group[item_id] for s in used.get(member, [])}),
            other_feeds=len(group[item_id]) - 1,
        )
        for item_id, title, url, summary, published, fetched, feed_id, feed_title in rows
    ]


def _actors(session: Session, ids: list[int]) -> dict[int, list[ActorTag]]:
    found: dict[int, list[ActorTag]] = defaultdict(list)
    if not ids:
        return found
    for item_id, actor_id, code, name in session.execute(
        select(col(NewsItemActor.news_item_id), col(Actor.id), col(Actor.code), col(Actor.name))
        .join(Actor, col(Actor.id) == col(NewsItemActor.actor_id))
        .where(col(NewsItemActor.news_item_id).in_(ids))
        .order_by(col(Actor.name))
    ):
        found[item_id].append(ActorTag(actor_id, code, name))
    return found


def _story_groups(session: Session, ids: list[int]) -> dict[int, set[int]]:
    """For each item, the ids of every copy of its story (itself included)."""
    groups: dict[int, set[int]] = {item_id: {item_id} for item_id in ids}
    if not ids:
        return groups
    originals: dict[int, int] = {}
    for item_id, original in session.execute(
        select(col(NewsItem.id), col(NewsItem.same_story_as_id)).where(
            col(NewsItem.id).in_(ids), col(NewsItem.same_story_as_id).is_not(None)
        )
    ):
        originals[item_id] = original
    roots = {originals.get(item_id, item_id) for item_id in ids}
    members: dict[int, set[int]] = {root: {root} for root in roots}
    for copy_id, root in session.execute(
        select(col(NewsItem.id), col(NewsItem.same_story_as_id)).where(
            col(NewsItem.same_story_as_id).in_(roots)
        )
    ):
        members[root].add(copy_id)
    for item_id in ids:
        groups[item_id] = members[originals.get(item_id, item_id)]
    return groups


def _used_by(session: Session, ids: set[int]) -> dict[int, list[int]]:
    used: dict[int, list[int]] = defaultdict(list)
    if not ids:
        return used
    for item_id, statement_id in session.execute(
        select(col(StatementNewsItem.news_item_id), col(StatementNewsItem.statement_id))
        .join(Statement, col(Statement.id) == col(StatementNewsItem.statement_id))
        .where(col(StatementNewsItem.news_item_id).in_(ids), col(Statement.deleted_at).is_(None))
    ):
        used[item_id].append(statement_id)
    return used


def inbox_feeds(session: Session) -> list[FeedChoice]:
    """Feeds that have items, by name, for the inbox's feed filter."""
    rows = session.execute(
        select(col(Feed.id), func.coalesce(col(Feed.title), col(Feed.url)), func.count())
        .join(NewsItem, col(NewsItem.feed_id) == col(Feed.id))
        .group_by(col(Feed.id), col(Feed.title), col(Feed.url))
    ).all()
    choices = [FeedChoice(feed_id, name, int(count)) for feed_id, name, count in rows]
    return sorted(choices, key=lambda c: (c.name.lower(), c.id))


def mentioned_countries(session: Session) -> list[ActorTag]:
    """Countries at least one item mentions, by name, for the inbox's country filter."""
    rows = session.execute(
        select(col(Actor.id), col(Actor.code), col(Actor.name))
        .where(
            col(Actor.kind) == "country",
            col(Actor.id).in_(select(col(NewsItemActor.actor_id)).distinct()),
        )
        .order_by(col(Actor.name))
    ).all()
    return [ActorTag(actor_id, code, name) for actor_id, code, name in rows]
