"""The News page's queries: filters, the "used by a statement" mark, copies and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from tracker.models import (
    Actor,
    Feed,
    NewsItem,
    NewsItemActor,
    Statement,
    StatementNewsItem,
    Topic,
)
from tracker.news_inbox import (
    InboxFilters,
    get_inbox_item,
    inbox_feeds,
    list_inbox,
    mentioned_countries,
    search_terms,
)

T0 = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)


@dataclass
class Inbox:
    ids: dict[str, int]
    feeds: dict[str, int]
    actors: dict[str, int]
    statement: int


@pytest.fixture
def inbox(session: Session) -> Inbox:
    wire = Feed(url="https://wire.example/rss", title="Wire")
    daily = Feed(url="https://daily.example/rss", title="Daily")
    actors = {
        code: Actor(code=code, name=name, kind=kind)
        for code, name, kind in [
            ("PAK", "Pakistan", "country"),
            ("IRN", "Iran", "country"),
            ("USA", "United States", "country"),
            ("UN", "United Nations", "organisation"),
        ]
    }
    topic = Topic(slug="t", title="T", proposition="P")
    session.add_all([wire, daily, topic, *actors.values()])
    session.flush()

    ids: dict[str, int] = {}

    def item(key: str, feed: Feed | None, tags: list[str], **values: Any) -> None:
        news = NewsItem(
            feed_id=feed.id if feed else None,
            guid=key,
            title=values.pop("title", key),
            content_hash=values.pop("content_hash", key),
            fetched_at=values.pop("fetched_at", T0),
            **values,
        )
        session.add(news)
        session.flush()
        assert news.id is not None
        ids[key] = news.id
        session.add_all(NewsItemActor(news_item_id=news.id, actor_id=actors[c].id) for c in tags)

    item(
        "talks",
        wire,
        ["PAK", "IRN"],
        title="Dar &amp; Araghchi <b>hold</b> talks",
        summary="<p>Talks in Tehran on the 100% pipeline.</p>",
        published_at=T0 - timedelta(hours=1),
        url="https://wire.example/talks",
    )
    item("sanctions", wire, ["USA", "IRN", "UN"], published_at=T0 - timedelta(days=2))
    item("undated", daily, ["PAK"], fetched_at=T0 - timedelta(days=1))  # no published time
    item("old", daily, [], published_at=T0 - timedelta(days=30), title="Old_news about snake_case")
    # The talks story again, from the other feed: shown once, as the first copy.
    item(
        "talks-copy",
        daily,
        ["PAK", "IRN"],
        title="Talks (copy)",
        published_at=T0 - timedelta(hours=1),
        same_story_as_id=ids["talks"],
    )
    statement = Statement(
        topic_id=topic.id or 0,
        actor_id=actors["PAK"].id or 0,
        said_on=date(2025, 6, 20),
        summary="s",
        stance=1,
    )
    session.add(statement)
    session.flush()
    # The statement was taken from the copy; the story counts as used wherever it is shown.
    session.add(StatementNewsItem(statement_id=statement.id or 0, news_item_id=ids["talks-copy"]))
    session.commit()
    return Inbox(
        ids=ids,
        feeds={"wire": wire.id or 0, "daily": daily.id or 0},
        actors={code: a.id or 0 for code, a in actors.items()},
        statement=statement.id or 0,
    )


def titles(session: Session, **filters: Any) -> list[str]:
    return [i.title for i in list_inbox(session, InboxFilters(**filters)).items]


def test_newest_first_with_copies_folded(session, inbox):
    page = list_inbox(session)
    assert [i.title for i in page.items] == [
        "Dar & Araghchi hold talks",  # plain text, never HTML
        "undated",
        "sanctions",
        "Old_news about snake_case",
    ]
    assert page.total == 4 and page.pages == 1
    talks = page.items[0]
    assert talks.other_feeds == 1
    assert talks.summary_text == "Talks in Tehran on the 100% pipeline."
    assert talks.time_kind == "published"
    undated = page.items[1]
    assert undated.time_kind == "fetched" and undated.shown_at == T0 - timedelta(days=1)
    assert undated.published_at is None
    assert [a.code for a in talks.actors] == ["IRN", "PAK"]  # by name


def test_used_mark_covers_every_copy_of_the_story(session, inbox):
    page = list_inbox(session)
    assert page.items[0].used_by == [inbox.statement]
    assert all(not i.is_used for i in page.items[1:])
    copy = list_inbox(session, InboxFilters(feed_ids=(inbox.feeds["daily"],))).items[0]
    assert copy.title == "Talks (copy)" and copy.used_by == [inbox.statement]
    assert get_inbox_item(session, inbox.ids["talks"]).used_by == [inbox.statement]  # type: ignore[union-attr]


def test_deleted_statements_do_not_count(session, inbox):
    statement = session.get(Statement, inbox.statement)
    statement.deleted_at = T0
    session.commit()
    assert not list_inbox(session).items[0].is_used


def test_unused_only(session, inbox):
    assert titles(session, unused_only=True) == [
        "undated",
        "sanctions",
        "Old_news about snake_case",
    ]
    assert titles(session, unused_only=True, feed_ids=(inbox.feeds["daily"],)) == [
        "undated",
        "Old_news about snake_case",
    ]


def test_filter_by_countries_any_or_all(session, inbox):
    pak, irn, usa = inbox.actors["PAK"], inbox.actors["IRN"], inbox.actors["USA"]
    assert titles(session, actor_ids=(pak,)) == ["Dar & Araghchi hold talks", "undated"]
    assert titles(session, actor_ids=(pak, usa)) == [
        "Dar & Araghchi hold talks",
        "undated",
        "sanctions",
    ]
    assert titles(session, actor_ids=(pak, irn), all_actors=True) == ["Dar & Araghchi hold talks"]
    assert titles(session, actor_ids=(pak, usa), all_actors=True) == []


def test_filter_by_feed(session, inbox):
    assert titles(session, feed_ids=(inbox.feeds["wire"],)) == [
        "Dar & Araghchi hold talks",
        "sanctions",
    ]
    both = titles(session, feed_ids=(inbox.feeds["wire"], inbox.feeds["daily"]))
    assert len(both) == 5  # narrowed to feeds, each feed's copy is its own


def test_filter_by_date_range_on_published_else_fetched(session, inbox):
    day = T0.date()
    assert titles(session, since=day) == ["Dar & Araghchi hold talks"]
    assert titles(session, since=day - timedelta(days=1), until=day - timedelta(days=1)) == [
        "undated"
    ]
    assert titles(session, until=day - timedelta(days=2)) == [
        "sanctions",
        "Old_news about snake_case",
    ]
    assert titles(session, since=day, until=day - timedelta(days=1)) == []


def test_filter_by_words(session, inbox):
    assert titles(session, words="araghchi") == ["Dar & Araghchi hold talks"]
    assert titles(session, words="tehran TALKS") == ["Dar & Araghchi hold talks"]
    assert titles(session, words="tehran sanctions") == []
    assert titles(session, words='"on the 100%"') == ["Dar & Araghchi hold talks"]
    # LIKE wildcards are literal: "_" matches an underscore, not any character.
    assert titles(session, words="snake_case") == ["Old_news about snake_case"]
    assert titles(session, words="snakeXcase") == []
    assert titles(session, words="100%pipe") == []


def test_paging(session, inbox):
    first = list_inbox(session, page=1, page_size=3)
    second = list_inbox(session, page=2, page_size=3)
    assert first.pages == 2 and first.total == 4
    assert len(first.items) == 3 and len(second.items) == 1
    assert {i.id for i in first.items}.isdisjoint({i.id for i in second.items})
    beyond = list_inbox(session, page=99, page_size=3)
    assert beyond.page == 2 and beyond.items == second.items
    assert list_inbox(session, page=0, page_size=3).page == 1


def test_choices_for_the_filters(session, inbox):
    assert [(f.name, f.items) for f in inbox_feeds(session)] == [("Daily", 3), ("Wire", 2)]
    assert [c.name for c in mentioned_countries(session)] == ["Iran", "Pakistan", "United States"]


def test_get_inbox_item_of_unknown_id(session, inbox):
    assert get_inbox_item(session, 999_999) is None


def test_search_terms():
    assert search_terms('  iran "foreign  minister"  talks ') == [
        "iran",
        "foreign minister",
        "talks",
    ]
    assert len(search_terms(" ".join(f"w{i}" for i in range(50)))) == 10
    assert search_terms('""') == []
