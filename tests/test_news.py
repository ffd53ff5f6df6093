from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tracker.feeds.health import list_feeds
from tracker.models import Actor, Feed, NewsItem, NewsItemActor
from tracker.news import list_news

T0 = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def inbox(session: Session) -> dict[str, int]:
    feed = Feed(url="https://example.org/feed.xml", title="Example News")
    quiet = Feed(url="https://quiet.example.net/rss", status="failing", error_count=3)
    pak = Actor(code="PAK", name="Pakistan")
    irn = Actor(code="IRN", name="Iran")
    session.add_all([feed, quiet, pak, irn])
    session.flush()

    def item(guid: str, **values: Any) -> NewsItem:
        news = NewsItem(
            **{"feed_id": feed.id, "guid": guid, "title": guid, "content_hash": guid, **values}
        )
        session.add(news)
        session.flush()
        return news

    old = item("old", published_at=T0 - timedelta(days=3), fetched_at=T0)
    new = item(
        "new",
        title="Dar &amp; Araghchi <b>meet</b>",
        summary="<p>Talks in <a href='https://x.example'>Tehran</a>.</p><p>More&nbsp;soon.</p>",
        published_at=T0 - timedelta(hours=1),
        fetched_at=T0,
        url="https://example.org/a",
    )
    undated = item("undated", feed_id=None, fetched_at=T0 - timedelta(days=1))
    assert new.id and old.id and pak.id and irn.id
    session.add_all(
        [
            NewsItemActor(news_item_id=new.id, actor_id=pak.id),
            NewsItemActor(news_item_id=new.id, actor_id=irn.id),
            NewsItemActor(news_item_id=old.id, actor_id=irn.id),
        ]
    )
    session.commit()
    return {
        "old": old.id or 0,
        "new": new.id or 0,
        "undated": undated.id or 0,
        "pak": pak.id or 0,
        "irn": irn.id or 0,
        "feed": feed.id or 0,
        "quiet": quiet.id or 0,
    }


def test_newest_first_falling_back_to_fetched_time(session, inbox):
    items = list_news(session)
    assert [i.id for i in items] == [inbox["new"], inbox["undated"], inbox["old"]]
    assert items[1].published_at is None
    assert items[1].shown_at == T0 - timedelta(days=1)
    assert items[0].published_at == T0 - timedelta(hours=1)
    assert items[0].published_at.tzinfo is not None


def test_plain_text_tags_and_feed(session, inbox):
    new = list_news(session)[0]
    assert new.title == "Dar & Araghchi meet"
    assert new.summary_text == "Talks in Tehran. More soon."
    assert "<" not in new.summary_text
    assert new.actor_codes == ["IRN", "PAK"]
    assert new.feed_title == "Example News"
    assert new.url == "https://example.org/a"
    undated = list_news(session)[1]
    assert undated.feed_title is None and undated.summary_text == "" and undated.actor_codes == []


def test_filter_by_actor_and_limit(session, inbox):
    assert [i.id for i in list_news(session, actor_id=inbox["irn"])] == [
        inbox["new"],
        inbox["old"],
    ]
    assert [i.id for i in list_news(session, actor_id=inbox["pak"])] == [inbox["new"]]
    assert len(list_news(session, limit=1)) == 1


def test_feed_health_counts_items_and_puts_failing_first(session, inbox):
    feeds = list_feeds(session)
    assert [f.id for f in feeds] == [inbox["quiet"], inbox["feed"]]
    quiet, example = feeds
    assert quiet.status == "failing" and quiet.error_count == 3 and quiet.items == 0
    assert example.items == 2 and example.title == "Example News"
    assert example.next_poll_at.tzinfo is not None
    assert example.last_success_at is None


def test_empty_database(session):
    assert list_news(session) == []
    assert list_feeds(session) == []
