"""Helpers for the poller tests: feed documents, feed rows, and one poll in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker.feeds.fetch import FetchLimits
from tracker.feeds.poller import PollSummary, poll_once
from tracker.models import Feed, FeedFetch, NewsItem


def item(
    guid: str | None,
    title: str,
    *,
    link: str | None = None,
    published: datetime | None = None,
    description: str | None = None,
) -> str:
    parts = [f"<title>{title}</title>"]
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if published is not None:
        parts.append(f"<pubDate>{format_datetime(published)}</pubDate>")
    if description is not None:
        parts.append(f"<description>{description}</description>")
    return "<item>" + "".join(parts) + "</item>"


def rss(*items: str, title: str = "Test feed", extra: str = "", encoding: str = "utf-8") -> bytes:
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://site.example/</link>{extra}"
        + "".join(items)
        + "</channel></rss>"
    )
    return text.encode(encoding)


def recent(hours: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)


def add_feed(engine: Engine, url: str, **fields: object) -> int:
    with Session(engine, expire_on_commit=False) as session:
        feed = Feed(url=url, **fields)
        session.add(feed)
        session.commit()
        assert feed.id is not None
        return feed.id


def get_feed(engine: Engine, feed_id: int) -> Feed:
    with Session(engine, expire_on_commit=False) as session:
        feed = session.get(Feed, feed_id)
        assert feed is not None
        return feed


def fetch_log(engine: Engine, feed_id: int) -> list[FeedFetch]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(FeedFetch)
                .where(FeedFetch.feed_id == feed_id)
                .order_by(col(FeedFetch.started_at), col(FeedFetch.id))
            ).all()
        )


def items_of(engine: Engine, feed_id: int) -> list[NewsItem]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(NewsItem).where(NewsItem.feed_id == feed_id).order_by(col(NewsItem.id))
            ).all()
        )


def poll(engine: Engine, **options: object) -> PollSummary:
    """One poll of everything active, in-process (the worker-process path has its own tests)."""
    options.setdefault("processes", 0)
    options.setdefault("all_feeds", True)
    options.setdefault("limits", FetchLimits(total_seconds=5.0))
    return poll_once(engine, **options)  # type: ignore[arg-type]
