from datetime import date

import pytest
from sqlmodel import Session, func, select

from tests.domain.helpers import actor_id, make_topic, statement_data
from tracker.errors import ValidationError
from tracker.models import Revision, Source, SourceCreate, Statement, StatementCreate
from tracker.revisions import history
from tracker.speakers import get_or_create_speaker
from tracker.statements import create_statement, get_statement, list_statements
from tracker.validation import parse_input

TODAY = date(2026, 11, 26)


def _count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_create_and_read_back_a_statement(session: Session):
    topic = make_topic(session)
    speaker = get_or_create_speaker(session, "Benjamin  Netanyahu", actor_id(session, "ISR"))
    assert speaker.name == "Benjamin Netanyahu"
    view = create_statement(
        session,
        statement_data(
            session,
            topic,
            actor_id=actor_id(session, "ISR"),
            speaker_id=speaker.id,
            speaker_role="Prime Minister of Israel",
            quote="will not allow Iran or Pakistan to acquire nuclear weapons",
            language="EN",
            summary=None,
            stance=-2,
            channel="interview",
            target_actor_id=actor_id(session, "IRN"),
            sources=[SourceCreate(url="https://example.org/a", publisher="Example")],
        ),
        today=TODAY,
    )
    session.commit()
    session.expunge_all()
    again = get_statement(session, view.id)
    assert again is not None
    assert again.actor_code == "ISR"
    assert (again.target_code, again.target_name) == ("IRN", "Iran")
    assert again.speaker_name == "Benjamin Netanyahu"
    assert again.language == "en"
    assert again.status == "pending"
    assert again.stance_label == "Strongly opposes"
    assert [s.url for s in again.sources] == ["https://example.org/a"]
    assert again.created_at.tzinfo is not None
    revisions = history(session, "statement", view.id)
    assert [r.action for r in revisions] == ["create"]
    assert revisions[0].snapshot["quote"].startswith("will not allow")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"stance": 3}, "stance", "not on this topic's scale"),
        ({"summary": None, "quote": None}, "quote", "give the quote"),
        ({"summary": "   "}, "quote", "give the quote"),
        ({"said_on": date(2027, 1, 1)}, "said_on", "in the future"),
        ({"said_on": date(1899, 12, 31)}, "said_on", "before 1900"),
        ({"language": "zz"}, "language", "not an ISO 639"),
        ({"quote": "words", "summary": None}, "language", "which language"),
        ({"channel": "telepathy"}, "channel", "channel"),
        ({"date_precision": "week"}, "date_precision", "day, month or year"),
        ({"sources": []}, "sources", "at least one source"),
        ({"sources": [SourceCreate(url="javascript:alert(1)")]}, "sources.0.url", "http"),
        ({"sources": [SourceCreate(url="data:text/html,hi")]}, "sources.0.url", "http"),
        ({"sources": [SourceCreate(url="file:///etc/passwd")]}, "sources.0.url", "http"),
        ({"sources": [SourceCreate(publisher="Nobody")]}, "sources.0.url", "citation"),
        (
            {"sources": [SourceCreate(url="https://a.org", archive_url="javascript:x")]},
            "sources.0.archive_url",
            "http",
        ),
        ({"news_item_ids": [999]}, "news_item_ids", "does not exist"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(session: Session, overrides, field, message):
    topic = make_topic(session)
    session.commit()
    before = (_count(session, Statement), _count(session, Source), _count(session, Revision))
    with pytest.raises(ValidationError) as caught:
        create_statement(session, statement_data(session, topic, **overrides), today=TODAY)
    session.rollback()
    assert message in caught.value.problems[field]
    after = (_count(session, Statement), _count(session, Source), _count(session, Revision))
    assert after == before


def test_speaker_of_another_country_is_refused(session: Session):
    topic = make_topic(session)
    speaker = get_or_create_speaker(session, "Someone", actor_id(session, "IRN"))
    with pytest.raises(ValidationError) as caught:
        create_statement(
            session, statement_data(session, topic, speaker_id=speaker.id), today=TODAY
        )
    assert "another country" in caught.value.problems["speaker_id"]


def test_list_filters_and_orders(session: Session):
    topic = make_topic(session)
    other = make_topic(session, "other")
    for code, day in (("PAK", 1), ("IRN", 3), ("IND", 2)):
        create_statement(
            session,
            statement_data(
                session, topic, actor_id=actor_id(session, code), said_on=date(2025, 6, day)
            ),
            today=TODAY,
        )
    create_statement(session, statement_data(session, other), today=TODAY)
    session.commit()
    rows = list_statements(session, topic_id=topic.id)
    assert [r.actor_code for r in rows] == ["IRN", "IND", "PAK"]
    assert [
        r.actor_code for r in list_statements(session, topic_id=topic.id, oldest_first=True)
    ] == [
        "PAK",
        "IRN",
        "IND",
    ]
    only_iran = list_statements(session, actor_ids=[actor_id(session, "IRN")])
    assert [r.actor_code for r in only_iran] == ["IRN"]
    assert list_statements(session, statuses=["verified"]) == []
    assert len(list_statements(session, limit=2)) == 2


def test_overlong_input_gets_a_field_message(session: Session):
    topic = make_topic(session)
    values = statement_data(session, topic).model_dump()
    values["summary"] = "x" * 501
    with pytest.raises(ValidationError) as caught:
        parse_input(StatementCreate, values)
    assert caught.value.problems == {"summary": "at most 500 characters"}
