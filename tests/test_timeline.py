from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from tracker.models import Actor, Source, Speaker, StanceLevel, Statement, Topic
from tracker.timeline import excerpt, site_of, timeline_rows
from tracker.timeutil import utcnow


@pytest.fixture
def world(session: Session) -> dict[str, int]:
    topic = Topic(slug="strikes", title="Strikes", proposition="The strikes were justified")
    other = Topic(slug="other", title="Other", proposition="Something else")
    pak = Actor(code="PAK", name="Pakistan")
    irn = Actor(code="IRN", name="Iran")
    usa = Actor(code="USA", name="United States")
    session.add_all([topic, other, pak, irn, usa])
    session.flush()
    assert topic.id and other.id and pak.id and irn.id and usa.id
    session.add_all(
        [
            StanceLevel(topic_id=topic.id, value=-2, label="Strongly opposes", rule="r"),
            StanceLevel(topic_id=topic.id, value=2, label="Strongly supports", rule="r"),
        ]
    )
    speaker = Speaker(name="Ishaq Dar", actor_id=pak.id)
    session.add(speaker)
    session.flush()

    def statement(**values: Any) -> Statement:
        row = Statement(
            **{
                "topic_id": topic.id,
                "actor_id": pak.id,
                "said_on": date(2025, 6, 1),
                "stance": -2,
                "summary": "A summary",
                **values,
            }
        )
        session.add(row)
        session.flush()
        return row

    quoted = statement(
        speaker_id=speaker.id,
        speaker_role="Foreign Minister",
        quote="We stand with Iran. " * 20,
        status="verified",
        said_on=date(2025, 6, 13),
    )
    session.add_all(
        [
            Source(statement_id=quoted.id, url="https://www.dawn.com/news/1", publisher="Dawn"),
            Source(statement_id=quoted.id, url="https://example.org/second", publisher="Ex"),
        ]
    )
    cited = statement(actor_id=irn.id, stance=0, said_on=date(2025, 5, 1))  # off the scale
    session.add(Source(statement_id=cited.id, citation="Report, p. 3", publisher="Think tank"))
    statement(actor_id=usa.id, stance=2, status="rejected")
    statement(actor_id=usa.id, stance=2, deleted_at=utcnow())
    statement(topic_id=other.id, stance=1)
    early = statement(actor_id=usa.id, stance=2, said_on=date(2024, 1, 1), date_precision="year")
    session.commit()
    return {
        "topic": topic.id,
        "pak": pak.id,
        "irn": irn.id,
        "usa": usa.id,
        "quoted": quoted.id or 0,
        "cited": cited.id or 0,
        "early": early.id or 0,
    }


def test_rows_for_topic_exclude_deleted_rejected_and_other_topics(session, world):
    rows = timeline_rows(session, world["topic"])
    assert [r.statement_id for r in rows] == [world["cited"], world["quoted"], world["early"]]
    assert [r.actor_name for r in rows] == ["Iran", "Pakistan", "United States"]


def test_row_fields(session, world):
    rows = {r.statement_id: r for r in timeline_rows(session, world["topic"])}
    quoted = rows[world["quoted"]]
    assert quoted.actor_code == "PAK"
    assert quoted.speaker == "Ishaq Dar"
    assert quoted.speaker_role == "Foreign Minister"
    assert quoted.stance_label == "Strongly opposes"
    assert quoted.status == "verified"
    assert quoted.source_site == "dawn.com"  # the first source, without www.
    assert quoted.excerpt.startswith("We stand with Iran.")
    assert len(quoted.excerpt) <= 120 and quoted.excerpt.endswith("…")

    cited = rows[world["cited"]]
    assert cited.speaker is None
    assert cited.stance_label == "+0"  # no level for 0 on this scale
    assert cited.excerpt == "A summary"
    assert cited.source_site == "Think tank"  # no URL: the publisher
    assert rows[world["early"]].source_site is None
    assert rows[world["early"]].date_precision == "year"


def test_filters(session, world):
    topic = world["topic"]
    by_actor = timeline_rows(session, topic, actor_ids=[world["pak"], world["usa"]])
    assert {r.actor_code for r in by_actor} == {"PAK", "USA"}
    assert timeline_rows(session, topic, actor_ids=[]) == []
    in_2025 = timeline_rows(session, topic, start=date(2025, 1, 1), end=date(2025, 6, 13))
    assert {r.statement_id for r in in_2025} == {world["cited"], world["quoted"]}
    verified = timeline_rows(session, topic, statuses=["verified"])
    assert [r.statement_id for r in verified] == [world["quoted"]]
    with_rejected = timeline_rows(session, topic, statuses=["verified", "pending", "rejected"])
    assert len(with_rejected) == 4


def test_one_query_whatever_the_number_of_rows(session, world):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        session.expire_all()
        timeline_rows(session, world["topic"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_excerpt_and_site_helpers():
    assert excerpt(None) == ""
    assert excerpt("  short\n text ") == "short text"
    long = excerpt("word " * 100, 30)
    assert len(long) <= 30 and long.endswith("…")
    assert site_of("https://www.example.org/a") == "example.org"
    assert site_of("javascript:alert(1)") is None
    assert site_of("ftp://example.org/") is None
    assert site_of(None) is None


def test_statement_counts_per_topic(session, world):
    from tracker.timeline import statement_counts

    counts = statement_counts(session)
    assert counts[world["topic"]] == 3  # rejected and deleted ones do not count
    assert sum(counts.values()) == 4
