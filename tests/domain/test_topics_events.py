from datetime import date

import pytest
from sqlmodel import Session

from tests.domain.helpers import CITATION, actor_id, make_topic
from tracker.errors import ValidationError
from tracker.events import create_event, list_events
from tracker.models import EventCreate, StanceLevelCreate, TopicCreate
from tracker.revisions import history
from tracker.topics import create_topic, get_topic_by_slug, list_topics

TODAY = date(2026, 11, 26)


def test_topic_gets_default_scale(session: Session):
    topic = make_topic(session)
    assert [lv.value for lv in topic.levels] == [-2, -1, 0, 1, 2]
    assert all(lv.rule for lv in topic.levels)
    assert topic.label_of(0) == "Neutral / ambiguous"
    assert [r.action for r in history(session, "topic", topic.id)] == ["create"]


def test_topic_with_custom_scale_and_bad_input(session: Session):
    levels = [StanceLevelCreate(value=v, label=f"L{v}", rule="r") for v in (-1, 0, 1)]
    topic = create_topic(
        session, TopicCreate(slug="custom", title="C", proposition="P", levels=levels)
    )
    session.commit()
    assert [lv.label for lv in get_topic_by_slug(session, "custom").levels] == ["L-1", "L0", "L1"]
    with pytest.raises(ValidationError) as caught:
        create_topic(session, TopicCreate(slug="custom", title="", proposition=" "))
    assert set(caught.value.problems) == {"slug", "title", "proposition"}
    dup = [
        StanceLevelCreate(value=1, label="a", rule=""),
        StanceLevelCreate(value=1, label="b", rule=""),
    ]
    with pytest.raises(ValidationError):
        create_topic(session, TopicCreate(slug="dup", title="D", proposition="P", levels=dup))
    assert [t.slug for t in list_topics(session)] == [topic.slug]


def test_event_era_with_actors_topics_sources(session: Session):
    topic = make_topic(session)
    event = create_event(
        session,
        EventCreate(
            title="Israeli strikes on Iranian facilities",
            starts_on=date(2025, 6, 13),
            ends_on=date(2025, 6, 24),
            category="military",
            actor_ids=[actor_id(session, "ISR"), actor_id(session, "IRN")],
            topic_ids=[topic.id],
            sources=[CITATION],
        ),
        today=TODAY,
    )
    session.commit()
    [found] = list_events(session, topic_id=topic.id)
    assert found.id == event.id
    assert found.actor_codes == ["IRN", "ISR"]
    assert found.ends_on == date(2025, 6, 24)
    assert found.sources[0].citation.startswith("Seed report")
    assert list_events(session, start=date(2025, 7, 1)) == []


def test_event_bad_input(session: Session):
    with pytest.raises(ValidationError) as caught:
        create_event(
            session,
            EventCreate(
                title=" ",
                starts_on=date(2025, 6, 13),
                ends_on=date(2025, 6, 1),
                category="weather",
                sources=[CITATION.model_copy(update={"url": "ftp://x"})],
            ),
            today=TODAY,
        )
    assert set(caught.value.problems) == {"title", "ends_on", "category", "sources.0.url"}
