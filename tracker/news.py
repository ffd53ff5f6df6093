"""The news inbox: polled items, newest first, as plain text with the actors they mention."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.feeds.sanitize import html_to_text
from tracker.models import Actor, Feed, NewsItem, NewsItemActor
from tracker.timeutil import as_utc


@dataclass(frozen=True)
class NewsItemView:
    id: int
    title: str
    url: str | None
    summary_text: str
    published_at: datetime | None
    fetched_at: datetime
    feed_title: str | None
    actor_codes: list[str] = field(default_factory=list)

    @property
    def shown_at(self) -> datetime:
        """The time the inbox sorts by: when the feed says it was published, else fetched."""
        return self.published_at or self.fetched_at


def list_news(
    session: Session, *, limit: int = 100, actor_id: int | None = None
) -> list[NewsItemView]:
    """The newest ``limit`` items (by published time, else fetched time), optionally only
    those that mention ``actor_id``. Two queries whatever the number of items."""
    shown_at = func.coalesce(col(NewsItem.published_at), col(NewsItem.fetched_at))
    query = (
        select(
            col(NewsItem.id),
            col(NewsItem.title),
            col(NewsItem.url),
            col(NewsItem.summary),
            col(NewsItem.published_at),
            col(NewsItem.fetched_at),
            func.coalesce(col(Feed.title), col(Feed.url)),
        )
        .outerjoin(Feed, col(Feed.id) == col(NewsItem.feed_id))
        .order_by(shown_at.desc(), col(NewsItem.id).desc())
        .limit(max(limit, 0))
    )
    if actor_id is not None:
        mentions = select(col(NewsItemActor.news_item_id)).where(
            col(NewsItemActor.actor_id) == actor_id
        )
        query = query.where(col(NewsItem.id).in_(mentions))
    items = session.execute(query).all()
    ids = [row[0] for row in items]
    codes: dict[int, list[str]] = defaultdict(list)
    if ids:
        for item_id, code in session.execute(
            select(col(NewsItemActor.news_item_id), col(Actor.code))
            .join(Actor, col(Actor.id) == col(NewsItemActor.actor_id))
            .where(col(NewsItemActor.news_item_id).in_(ids))
            .order_by(col(Actor.code))
        ):
            codes[item_id].append(code)
    return [
        NewsItemView(
            id=item_id,
            title=html_to_text(title) or "(untitled)",
            url=url,
            summary_text=html_to_text(summary) if summary else "",
            published_at=as_utc(published) if published is not None else None,
            fetched_at=as_utc(fetched),
            feed_title=feed_title,
            actor_codes=codes.get(item_id, []),
        )
        for item_id, title, url, summary, published, fetched, feed_title in items
    ]
