from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracker.migrate import check_schema, current_revision, head_revision, upgrade
from tracker.models import Actor, Feed, NewsItem, Source, Statement, Topic


def test_migrations_reach_head_and_are_idempotent(engine):
    assert current_revision(engine) == head_revision()
    before, after = upgrade(engine)
    assert before == after == head_revision()
    check_schema(engine)


def test_indexes_exist(engine):
    insp = inspect(engine)
    statement_idx = {i["name"]: i["column_names"] for i in insp.get_indexes("statement")}
    assert statement_idx["ix_statement_topic_actor_said"] == ["topic_id", "actor_id", "said_on"]
    news_idx = {i["name"]: i["column_names"] for i in insp.get_indexes("news_item")}
    assert news_idx["ix_news_item_published_at"] == ["published_at"]


def test_times_read_back_as_aware_utc(session: Session):
    tehran = timezone(timedelta(hours=3, minutes=30))
    feed = Feed(
        url="https://example.org/feed.xml", next_poll_at=datetime(2025, 6, 13, 9, 0, tzinfo=tehran)
    )
    session.add(feed)
    session.commit()
    session.expunge_all()
    stored = session.exec(select(Feed)).one()
    assert stored.next_poll_at.tzinfo is not None
    assert stored.next_poll_at.utcoffset() == timedelta(0)
    assert stored.next_poll_at == datetime(2025, 6, 13, 5, 30, tzinfo=UTC)


def test_naive_datetime_is_refused(session: Session):
    session.add(Feed(url="https://example.org/a.xml", next_poll_at=datetime(2025, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()


def _topic_and_actor(session: Session) -> tuple[Topic, Actor]:
    topic = Topic(slug="t", title="T", proposition="P")
    actor = Actor(code="PAK", name="Pakistan")
    session.add_all([topic, actor])
    session.commit()
    return topic, actor


def test_statement_needs_quote_or_summary(session: Session):
    topic, actor = _topic_and_actor(session)
    session.add(Statement(topic_id=topic.id, actor_id=actor.id, said_on=date(2025, 6, 1), stance=1))
    with pytest.raises(IntegrityError):
        session.commit()


def test_foreign_keys_are_enforced(session: Session):
    topic, _ = _topic_and_actor(session)
    session.add(
        Statement(topic_id=topic.id, actor_id=9999, said_on=date(2025, 6, 1), stance=1, summary="x")
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_source_refuses_non_http_url(session: Session):
    topic, actor = _topic_and_actor(session)
    st = Statement(
        topic_id=topic.id, actor_id=actor.id, said_on=date(2025, 6, 1), stance=1, summary="x"
    )
    session.add(st)
    session.commit()
    session.add(Source(statement_id=st.id, url="javascript:alert(1)"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_news_item_guid_unique_per_feed(session: Session):
    feed = Feed(url="https://example.org/feed.xml")
    session.add(feed)
    session.commit()
    for _ in range(2):
        session.add(NewsItem(feed_id=feed.id, guid="g1", title="t", content_hash="h"))
    with pytest.raises(IntegrityError):
        session.commit()
