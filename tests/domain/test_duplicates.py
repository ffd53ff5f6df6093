from datetime import date

import pytest
from sqlmodel import Session

from tests.domain.helpers import actor_id, make_topic, statement_data
from tracker.duplicates import near_duplicates, period, similarity
from tracker.statements import create_statement, delete_statement

TODAY = date(2026, 11, 26)
QUOTE = "We will never allow Iran or Pakistan to acquire nuclear weapons"


def test_similarity_ignores_case_punctuation_and_order():
    assert similarity("We stand with Iran.", "we STAND with iran") == 100
    assert similarity(QUOTE, "Iran or Pakistan will never be allowed nuclear weapons") >= 80
    assert similarity("Supports", "Supports the strikes on the facilities") < 80
    assert similarity(None, "x") == 0


def test_period_follows_precision():
    assert period(date(2025, 6, 15), "day") == (date(2025, 6, 15), date(2025, 6, 15))
    assert period(date(2025, 2, 15), "month") == (date(2025, 2, 1), date(2025, 2, 28))
    assert period(date(2025, 6, 15), "year") == (date(2025, 1, 1), date(2025, 12, 31))


def test_same_actor_within_days_and_similar(session: Session):
    topic = make_topic(session)
    israel = actor_id(session, "ISR")
    base = {
        "actor_id": israel,
        "quote": QUOTE,
        "language": "en",
        "summary": None,
        "date_precision": "day",
    }
    first = create_statement(
        session, statement_data(session, topic, said_on=date(2025, 6, 13), **base), today=TODAY
    )
    # Far in time, another actor, or other words: not duplicates.
    create_statement(
        session, statement_data(session, topic, said_on=date(2025, 7, 20), **base), today=TODAY
    )
    create_statement(
        session,
        statement_data(
            session,
            topic,
            said_on=date(2025, 6, 13),
            **{**base, "actor_id": actor_id(session, "IRN")},
        ),
        today=TODAY,
    )
    create_statement(
        session,
        statement_data(
            session,
            topic,
            said_on=date(2025, 6, 14),
            **{**base, "quote": "Talks with Washington will resume next week in Muscat"},
        ),
        today=TODAY,
    )
    candidate = statement_data(
        session,
        topic,
        said_on=date(2025, 6, 15),
        **{**base, "quote": "we will NEVER allow Iran or Pakistan to acquire nuclear weapons!"},
    )
    found = near_duplicates(session, candidate)
    assert [d.id for d in found] == [first.id]
    assert found[0].score >= 90
    assert near_duplicates(session, candidate, exclude_id=first.id) == []


def test_month_precision_covers_the_month(session: Session):
    topic = make_topic(session)
    old = create_statement(
        session,
        statement_data(session, topic, said_on=date(2025, 6, 1), date_precision="month"),
        today=TODAY,
    )
    candidate = statement_data(
        session,
        topic,
        said_on=date(2025, 6, 24),
        date_precision="day",
        summary="Backs Iran against the strikes",
    )
    assert [d.id for d in near_duplicates(session, candidate)] == [old.id]


@pytest.mark.parametrize("deleted", [True])
def test_deleted_statements_are_not_duplicates(session: Session, deleted):
    from tests.domain.accounts import make_user

    admin = make_user(session, "ada", "admin")
    topic = make_topic(session)
    old = create_statement(session, statement_data(session, topic), today=TODAY)
    delete_statement(session, old.id, user_id=admin.id, reason="spam")
    assert near_duplicates(session, statement_data(session, topic)) == []
