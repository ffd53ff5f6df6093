"""The rules forms, the CLI and imports share: every problem at once, nothing stored."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from tests.domain.accounts import make_user
from tests.domain.helpers import actor_id, make_topic, statement_data
from tracker.errors import ValidationError
from tracker.models import Speaker, Statement
from tracker.speakers import list_speakers
from tracker.statements import check_statement_input, create_statement, get_news_item

TODAY = date(2026, 11, 26)


def test_empty_form_gets_a_message_for_each_required_field(session: Session):
    data, problems = check_statement_input(
        session,
        {
            "topic_id": None,
            "actor_id": None,
            "said_on": None,
            "stance": None,
            "quote": None,
            "summary": None,
            "sources": [],
        },
        today=TODAY,
    )
    assert data is None
    assert problems["topic_id"] == "choose a topic"
    assert problems["actor_id"] == "choose a country or bloc"
    assert problems["said_on"] == "the date said is required"
    assert "give the quote" in problems["quote"]
    assert problems["sources"] == "add at least one source"


def test_type_and_domain_problems_come_together(session: Session):
    topic = make_topic(session)
    raw = statement_data(session, topic).model_dump()
    raw["summary"] = "x" * 501
    raw["sources"] = [{"url": "data:text/html,<script>"}]
    raw["language"] = "klingon"
    data, problems = check_statement_input(session, raw, today=TODAY)
    assert data is None
    assert "500" in problems["summary"]
    assert "http" in problems["sources.0.url"]
    assert "ISO 639" in problems["language"]


def test_target_and_translation_rules(session: Session):
    topic = make_topic(session)
    _, problems = check_statement_input(
        session,
        statement_data(
            session,
            topic,
            target_actor_id=actor_id(session, "PAK"),
            translation="in English",
        ).model_dump(),
        today=TODAY,
    )
    assert "itself" in problems["target_actor_id"]
    assert "original language" in problems["translation"]


def test_new_speaker_is_added_only_when_the_statement_is_stored(session: Session):
    user = make_user(session, "casey")
    topic = make_topic(session)
    count = session.exec(select(func.count()).select_from(Speaker)).one()
    with pytest.raises(ValidationError):
        create_statement(
            session,
            statement_data(session, topic, stance=9),
            user_id=user.id,
            new_speaker="Ishaq Dar",
            today=TODAY,
        )
    assert session.exec(select(func.count()).select_from(Speaker)).one() == count
    with pytest.raises(ValidationError) as caught:
        create_statement(
            session,
            statement_data(session, topic),
            user_id=user.id,
            new_speaker="x" * 201,
            today=TODAY,
        )
    assert "200" in caught.value.problems["speaker_id"]
    made = create_statement(
        session,
        statement_data(session, topic, speaker_role="Foreign Minister"),
        user_id=user.id,
        new_speaker="  Ishaq   Dar ",
        today=TODAY,
    )
    assert made.speaker_name == "Ishaq Dar"
    assert [s.name for s in list_speakers(session, actor_id(session, "PAK"))] == ["Ishaq Dar"]
    assert session.exec(select(func.count()).select_from(Statement)).one() == 1


def test_news_item_prefill(session: Session):
    from datetime import UTC, datetime

    from tracker.models import Feed, NewsItem

    feed = Feed(url="https://news.example.org/feed.xml", title="Example News")
    session.add(feed)
    session.flush()
    item = NewsItem(
        feed_id=feed.id,
        guid="g1",
        url="https://news.example.org/a",
        title="Pakistan backs Iran &amp; more",
        content_hash="h",
        published_at=datetime(2025, 6, 20, 23, 30, tzinfo=UTC),
    )
    bad = NewsItem(guid="g2", url="javascript:alert(1)", title="x", content_hash="h2")
    session.add_all([item, bad])
    session.flush()
    prefill = get_news_item(session, item.id)
    assert prefill.url == "https://news.example.org/a"
    assert prefill.publisher == "Example News"
    assert prefill.title == "Pakistan backs Iran & more"
    assert prefill.day == date(2025, 6, 20)
    assert get_news_item(session, bad.id).url is None  # never a link from a bad scheme
    assert get_news_item(session, 999) is None


def test_a_malformed_value_is_named_as_such_not_as_missing(session: Session):
    topic = make_topic(session)
    raw = statement_data(session, topic).model_dump()
    raw["said_on"] = "2025-13-45"
    raw["stance"] = "strongly"
    _, problems = check_statement_input(session, raw, today=TODAY)
    assert problems["said_on"] == "a date (YYYY-MM-DD) is required"
    assert problems["stance"] == "a whole number is required"
