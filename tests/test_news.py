from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tracker.feeds.health import list_feeds
from tracker.models import Actor, Feed, NewsItem, NewsItemActor
from tracker.news_inbox import MAX_PAGE_SIZE, InboxFilters, newest_items

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
    items = newest_items(session, limit=10)
    assert [i.id for i in items] == [inbox["new"], inbox["undated"], inbox["old"]]
    assert items[1].published_at is None
    assert items[1].shown_at == T0 - timedelta(days=1)
    assert items[0].published_at == T0 - timedelta(hours=1)
    assert items[0].published_at.tzinfo is not None


def test_plain_text_tags_and_feed(session, inbox):
    new, undated, _ = newest_items(session, limit=10)
    assert new.title == "Dar & Araghchi meet"
    assert new.summary_text == "Talks in Tehran. More soon."
    assert "<" not in new.summary_text
    assert sorted(a.code for a in new.actors) == ["IRN", "PAK"]
    assert new.feed_title == "Example News"
    assert new.url == "https://example.org/a"
    assert undated.feed_title is None and undated.summary_text == "" and undated.actors == []


def test_filter_by_actor_words_and_limit(session, inbox):
    irn = InboxFilters(actor_ids=(inbox["irn"],))
    assert [i.id for i in newest_items(session, irn, limit=10)] == [inbox["new"], inbox["old"]]
    pak = InboxFilters(actor_ids=(inbox["pak"],))
    assert [i.id for i in newest_items(session, pak, limit=10)] == [inbox["new"]]
    words = InboxFilters(words="tehran")
    assert [i.id for i in newest_items(session, words, limit=10)] == [inbox["new"]]
    assert len(newest_items(session, limit=1)) == 1


def test_a_limit_beyond_one_page_reads_the_pages_it_needs(session, inbox):
    more = MAX_PAGE_SIZE + 5
    session.add_all(
        NewsItem(
            feed_id=inbox["feed"],
            guid=f"bulk-{n}",
            title=f"Bulk {n}",
            content_hash=f"bulk-{n}",
            fetched_at=T0 - timedelta(days=10, minutes=n),
        )
        for n in range(more)
    )
    session.commit()
    items = newest_items(session, limit=more + 1)
    assert len(items) == more + 1 == len({i.id for i in items})
    assert [i.id for i in items[:3]] == [inbox["new"], inbox["undated"], inbox["old"]]
    assert items[3].title == "Bulk 0" and items[-1].title == f"Bulk {more - 3}"
    assert len(newest_items(session, limit=10_000)) == more + 3


def test_feed_health_counts_items_and_puts_failing_first(session, inbox):
    feeds = list_feeds(session)
    assert [f.id for f in feeds] == [inbox["quiet"], inbox["feed"]]
    quiet, example = feeds
    assert quiet.status == "failing" and quiet.error_count == 3 and quiet.items == 0
    assert example.items == 2 and example.title == "Example News"
    assert example.next_poll_at.tzinfo is not None
    assert example.last_success_at is None


def test_empty_database(session):
    assert newest_items(session, limit=10) == []
    assert list_feeds(session) == []
