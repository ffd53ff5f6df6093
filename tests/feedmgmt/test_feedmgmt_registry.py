"""The feed list: adding with URL checks, pause/resume/refresh/delete, and who may do it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from tracker.errors import PermissionDenied, TrackerError, ValidationError
from tracker.feeds.registry import (
    add_feed,
    check_feed_url,
    delete_feed,
    get_feed,
    list_feeds,
    pause_feed,
    recent_fetches,
    refresh_feed,
    resume_feed,
)
from tracker.models import (
    Actor,
    Feed,
    FeedFetch,
    NewsItem,
    Statement,
    StatementNewsItem,
    Topic,
    User,
)
from tracker.timeutil import utcnow

T0 = datetime(2025, 6, 20, 12, 0, tzinfo=UTC)


def feed_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Feed)).one()


def make_user(session: Session, name: str, role: str, disabled: bool = False) -> int:
    user = User(username=name, role=role, disabled=disabled)
    session.add(user)
    session.commit()
    assert user.id is not None
    return user.id


@pytest.fixture(autouse=True)
def _public_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_ALLOW_PRIVATE_FEEDS", raising=False)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://example.org/feed.xml", "only http:// and https://"),
        ("data:text/html,<b>x</b>", "only http:// and https://"),
        ("http://", "no host"),
        ("https:///feed.xml", "no host"),
        ("example.org/feed.xml", "only http:// and https://"),
        ("", "required"),
        ("   ", "required"),
        ("https://example.org/" + "a" * 2000, "longer than 2,000"),
        ("https://exa mple.org/feed", "spaces"),
        ("https://example.org:99999/feed", "malformed"),
        ("https://user:secret@example.org/feed", "user name and password"),
        ("http://127.0.0.1/feed", "private or reserved"),
        ("http://localhost:8080/rss", "private or reserved"),
        ("http://169.254.169.254/latest/meta-data", "private or reserved"),
        ("http://[::1]/feed", "private or reserved"),
        ("http://10.0.0.1/feed", "private or reserved"),
    ],
)
def test_bad_urls_are_refused_and_nothing_is_stored(session, url, message):
    with pytest.raises(ValidationError) as caught:
        add_feed(session, url, acting_user_id=None)
    assert message in caught.value.problems["url"]
    session.rollback()
    assert feed_count(session) == 0


def test_private_address_allowed_by_the_operator(session, monkeypatch):
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", "127.0.0.1/32")
    feed = add_feed(session, "http://127.0.0.1:8080/feed", acting_user_id=None)
    assert feed.url == "http://127.0.0.1:8080/feed"
    with pytest.raises(ValidationError):
        add_feed(session, "http://10.0.0.1/feed", acting_user_id=None)


def test_add_normalises_and_schedules_now(session):
    before = utcnow()
    feed = add_feed(
        session,
        "  HTTPS://Example.ORG/News/Feed.xml?Lang=EN#top ",
        title="  Example\n News  ",
        site_url="javascript:alert(1)",
        acting_user_id=None,
    )
    session.commit()
    assert feed.url == "https://example.org/News/Feed.xml?Lang=EN"
    assert feed.title == "Example News"
    assert feed.site_url is None  # a bad site URL is dropped, not stored
    assert feed.status == "active"
    assert before <= feed.next_poll_at <= utcnow()
    assert feed.next_poll_at.tzinfo is not None
    stored = session.exec(select(Feed)).one()
    assert stored.url == feed.url


def test_duplicate_url_is_refused(session):
    first = add_feed(session, "https://example.org/feed.xml", acting_user_id=None)
    session.commit()
    for same in ("https://example.org/feed.xml", "HTTPS://EXAMPLE.org/feed.xml#x"):
        with pytest.raises(ValidationError) as caught:
            add_feed(session, same, acting_user_id=None)
        assert f"already listed (feed {first.id})" in caught.value.problems["url"]
    session.rollback()
    assert feed_count(session) == 1


def test_pause_resume_refresh(session):
    feed = add_feed(session, "https://example.org/feed.xml", acting_user_id=None)
    session.commit()
    later = utcnow() + timedelta(hours=5)
    session.get(Feed, feed.id).next_poll_at = later  # type: ignore[union-attr]
    session.commit()

    paused = pause_feed(session, feed.id, acting_user_id=None)
    assert paused.status == "paused"
    with pytest.raises(TrackerError, match="paused; resume it"):
        refresh_feed(session, feed.id, acting_user_id=None)

    resumed = resume_feed(session, str(feed.id), acting_user_id=None)
    assert resumed.status == "active"
    assert resumed.next_poll_at <= utcnow()

    session.get(Feed, feed.id).next_poll_at = later  # type: ignore[union-attr]
    session.commit()
    refreshed = refresh_feed(session, "https://example.org/feed.xml", acting_user_id=None)
    session.commit()
    assert refreshed.next_poll_at <= utcnow()
    assert get_feed(session, feed.id).next_poll_at <= utcnow()


def test_resume_keeps_a_failing_feed_failing(session):
    feed = Feed(
        url="https://broken.example/rss",
        status="paused",
        error_count=4,
        failing_since=T0,
        last_error="HTTP 500",
    )
    session.add(feed)
    session.commit()
    assert resume_feed(session, feed.id or 0, acting_user_id=None).status == "failing"


def test_refresh_retries_a_gone_feed(session):
    feed = Feed(url="https://gone.example/rss", status="gone", last_error="HTTP 410 Gone")
    session.add(feed)
    session.commit()
    assert refresh_feed(session, feed.id or 0, acting_user_id=None).status == "active"


def test_unknown_feed_is_a_clear_error(session):
    with pytest.raises(TrackerError, match="no feed 42"):
        pause_feed(session, 42, acting_user_id=None)
    with pytest.raises(TrackerError, match="no feed with the URL"):
        pause_feed(session, "https://nowhere.example/rss", acting_user_id=None)


def test_only_admins_manage_feeds(session):
    admin = make_user(session, "ada", "admin")
    contributor = make_user(session, "casey", "contributor")
    reviewer = make_user(session, "rey", "reviewer")
    disabled_admin = make_user(session, "old", "admin", disabled=True)

    for user_id in (contributor, reviewer, disabled_admin, 9999):
        with pytest.raises(TrackerError, match="Only an admin"):
            add_feed(session, "https://example.org/feed.xml", acting_user_id=user_id)
    assert feed_count(session) == 0

    feed = add_feed(session, "https://example.org/feed.xml", acting_user_id=admin)
    session.commit()
    for action in (pause_feed, resume_feed, refresh_feed, delete_feed):
        with pytest.raises(TrackerError, match="Only an admin"):
            action(session, feed.id, acting_user_id=contributor)
    assert pause_feed(session, feed.id, acting_user_id=admin).status == "paused"


def test_permission_error_is_the_shared_exception(session):
    contributor = make_user(session, "casey", "contributor")
    with pytest.raises(PermissionDenied):
        add_feed(session, "https://example.org/feed.xml", acting_user_id=contributor)


def test_list_puts_failing_feeds_first_with_counts(session):
    ok = Feed(url="https://a.example/rss", title="Alpha")
    broken = Feed(
        url="https://z.example/rss",
        title="Zulu",
        status="failing",
        error_count=3,
        failing_since=T0,
        last_error="HTTP 500",
    )
    paused = Feed(url="https://b.example/rss", title="Bravo", status="paused")
    session.add_all([ok, broken, paused])
    session.flush()
    session.add_all(
        NewsItem(feed_id=ok.id, guid=f"g{i}", title=f"t{i}", content_hash=f"h{i}") for i in range(3)
    )
    session.commit()
    feeds = list_feeds(session)
    assert [f.title for f in feeds] == ["Zulu", "Alpha", "Bravo"]
    assert [f.items for f in feeds] == [0, 3, 0]
    assert feeds[0].failing_since == T0
    assert feeds[0].last_error == "HTTP 500"


def test_recent_fetches_newest_first(session):
    feed = add_feed(session, "https://example.org/feed.xml", acting_user_id=None)
    session.add_all(
        FeedFetch(
            feed_id=feed.id,
            started_at=T0 + timedelta(minutes=i),
            outcome="new" if i else "error",
            error=None if i else "timeout",
        )
        for i in range(15)
    )
    session.commit()
    fetches = recent_fetches(session, feed.id, limit=5)
    assert len(fetches) == 5
    assert fetches[0].started_at == T0 + timedelta(minutes=14)
    assert [f.started_at for f in fetches] == sorted((f.started_at for f in fetches), reverse=True)


def test_delete_keeps_items_used_by_statements(session):
    feed = add_feed(session, "https://example.org/feed.xml", acting_user_id=None)
    other = add_feed(session, "https://other.example/rss", acting_user_id=None)
    used = NewsItem(feed_id=feed.id, guid="used", title="Used", content_hash="u")
    unused = NewsItem(feed_id=feed.id, guid="unused", title="Unused", content_hash="n")
    session.add_all([used, unused])
    session.flush()
    copy = NewsItem(
        feed_id=other.id, guid="copy", title="Unused", content_hash="n", same_story_as_id=unused.id
    )
    actor = Actor(code="PAK", name="Pakistan")
    topic = Topic(slug="t", title="T", proposition="P")
    session.add_all([copy, actor, topic, FeedFetch(feed_id=feed.id, outcome="new")])
    session.flush()
    statement = Statement(
        topic_id=topic.id or 0, actor_id=actor.id or 0, said_on=T0.date(), summary="s", stance=1
    )
    session.add(statement)
    session.flush()
    session.add(StatementNewsItem(statement_id=statement.id or 0, news_item_id=used.id or 0))
    session.commit()

    assert delete_feed(session, feed.id, acting_user_id=None) == "https://example.org/feed.xml"
    session.commit()
    assert session.get(Feed, feed.id) is None
    assert session.exec(select(NewsItem.guid).order_by(col(NewsItem.guid))).all() == [
        "copy",
        "used",
    ]
    kept = session.exec(select(NewsItem).where(NewsItem.guid == "used")).one()
    assert kept.feed_id is None
    assert (
        session.exec(select(NewsItem).where(NewsItem.guid == "copy")).one().same_story_as_id is None
    )
    assert session.exec(select(func.count()).select_from(FeedFetch)).one() == 0


def test_check_feed_url_keeps_path_and_query_case():
    assert check_feed_url("HTTP://Example.org:8080/A/B?X=Y") == "http://example.org:8080/A/B?X=Y"
    assert check_feed_url("https://example.org") == "https://example.org/"
