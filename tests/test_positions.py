"""Position shifts on both engines: real rows, the real query."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from tracker.models import Actor, Source, Speaker, StanceLevel, Statement, Topic
from tracker.positions import position_shifts, shift_pairs
from tracker.timeline import TimelineFilter


@pytest.fixture
def series(session: Session) -> dict[str, int]:
    topic = Topic(slug="shifts", title="Shifts", proposition="P")
    other = Topic(slug="other", title="Other", proposition="Q")
    iran, oman = Actor(code="IRN", name="Iran"), Actor(code="OMN", name="Oman")
    session.add_all([topic, other, iran, oman])
    session.flush()
    session.add_all(
        [
            StanceLevel(topic_id=topic.id, value=v, label=f"Level {v:+d}", rule="r")
            for v in (-1, 0, 1)
        ]
    )
    speaker = Speaker(name="Abbas Araghchi", actor_id=iran.id)
    session.add(speaker)
    session.flush()
    ids: dict[str, int] = {}

    def said(key: str, actor: Actor, day: int, stance: int, **kw) -> None:
        row = Statement(
            topic_id=kw.pop("topic_id", topic.id),
            actor_id=actor.id,
            said_on=date(2025, 1, 1) + timedelta(days=day),
            stance=stance,
            quote=f"Quote {key}",
            language="en",
            **kw,
        )
        session.add(row)
        session.flush()
        session.add(Source(statement_id=row.id, url=f"https://example.org/{key}"))
        ids[key] = row.id or 0

    said("i1", iran, 0, 1, speaker_id=speaker.id, speaker_role="Foreign Minister")
    said("i2", iran, 10, 1)  # same stance: no shift
    said("i3", iran, 20, -1, status="verified")  # shift +1 -> -1
    said("i4", iran, 25, 1, status="rejected")  # rejected: neither a shift nor a baseline
    said("i5", iran, 30, 0)  # shift -1 -> 0
    said("o1", oman, 5, 0)
    said("o2", oman, 5, 1)  # same day, later id: shift 0 -> +1
    said("o3", oman, 40, 1, deleted_at=None)
    said("x1", oman, 50, -1, topic_id=other.id)  # another topic
    session.commit()
    ids["topic"] = topic.id or 0
    ids["iran"] = iran.id or 0
    return ids


def test_shifts_newest_first_with_both_statements(session, series):
    found = position_shifts(session, TimelineFilter(topic_id=series["topic"]))
    assert found.total == 3
    pairs = [(s.before.id, s.after.id) for s in found.shifts]
    assert pairs == [
        (series["i3"], series["i5"]),
        (series["i2"], series["i3"]),
        (series["o1"], series["o2"]),
    ]
    newest = found.shifts[0]
    assert (newest.before.stance, newest.after.stance, newest.change) == (-1, 0, 1)
    assert newest.before.quote == "Quote i3" and newest.after.quote == "Quote i5"
    assert newest.after.stance_label == "Level +0"
    assert found.shifts[1].change == -2
    assert newest.after.sources[0].url == "https://example.org/i5"


def test_shifts_follow_the_filters(session, series):
    topic = series["topic"]
    only_iran = TimelineFilter(topic_id=topic, actor_ids=frozenset({series["iran"]}))
    assert [p[1] for p in shift_pairs(session, only_iran)] == [series["i5"], series["i3"]]
    # From day 15 on, Iran's first statement in range has nothing before it.
    later = TimelineFilter(topic_id=topic, start=date(2025, 1, 16))
    assert shift_pairs(session, later) == [(series["i3"], series["i5"])]
    # Verified only: i3 is the only verified statement, so nothing to compare it with.
    assert shift_pairs(session, TimelineFilter(topic_id=topic, statuses=("verified",))) == []
    # Asking for rejected statements shows them elsewhere, never as a position.
    with_rejected = TimelineFilter(topic_id=topic, statuses=("verified", "pending", "rejected"))
    assert shift_pairs(session, with_rejected) == shift_pairs(session, TimelineFilter(topic))
    assert shift_pairs(session, TimelineFilter(topic, actor_ids=frozenset())) == []


def test_limit_keeps_the_newest_and_counts_all(session, series):
    found = position_shifts(session, TimelineFilter(topic_id=series["topic"]), limit=1)
    assert found.total == 3 and len(found.shifts) == 1
    assert found.shifts[0].after.id == series["i5"]
    assert position_shifts(session, TimelineFilter(series["topic"]), limit=0).shifts == []
