"""How each feed is doing: status, last success, errors, next poll and items stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.models import Feed, NewsItem


@dataclass(frozen=True)
class FeedHealth:
    id: int
    url: str
    title: str | None
    status: str
    last_success_at: datetime | None
    error_count: int
    last_error: str | None
    next_poll_at: datetime
    items: int


def list_feeds(session: Session) -> list[FeedHealth]:
    """Every feed with its health and item count, failing ones first, then by title."""
    counts = (
        select(col(NewsItem.feed_id), func.count().label("items"))
        .where(col(NewsItem.feed_id).is_not(None))
        .group_by(col(NewsItem.feed_id))
        .subquery("feed_items")
    )
    query = select(
        col(Feed.id),
        col(Feed.url),
        col(Feed.title),
        col(Feed.status),
        col(Feed.last_success_at),
        col(Feed.error_count),
        col(Feed.last_error),
        col(Feed.next_poll_at),
        func.coalesce(counts.c["items"], 0),
    ).outerjoin(counts, counts.c.feed_id == col(Feed.id))
    feeds = [
        FeedHealth(
            id=feed_id,
            url=url,
            title=title,
            status=status,
            last_success_at=last_success,
            error_count=errors,
            last_error=last_error,
            next_poll_at=next_poll,
            items=int(items),
        )
        for (
            feed_id,
            url,
            title,
            status,
            last_success,
            errors,
            last_error,
            next_poll,
            items,
        ) in session.execute(query)
    ]
    order = {"failing": 0, "gone": 1, "active": 2, "paused": 3}
    return sorted(feeds, key=lambda f: (order.get(f.status, 4), (f.title or f.url).lower()))
