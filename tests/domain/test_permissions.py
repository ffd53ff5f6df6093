"""Every write checks the acting user's role on the server side, from the database."""

from datetime import date

import pytest
from sqlmodel import Session, func, select

from tests.domain.accounts import make_user, team
from tests.domain.helpers import make_topic, statement_data
from tracker.auth import update_user
from tracker.errors import PermissionDenied
from tracker.events import create_event
from tracker.models import EventCreate, Statement, TopicCreate
from tracker.permissions import REVIEWERS, require_role
from tracker.review import review_statement
from tracker.statements import create_statement
from tracker.topics import create_topic

TODAY = date(2026, 11, 26)


def test_require_role_reads_the_user_from_the_database(session: Session):
    people = team(session)
    assert require_role(session, people["rene"].id, REVIEWERS, "review").username == "rene"
    with pytest.raises(PermissionDenied, match="only a reviewer or admin can review"):
        require_role(session, people["casey"].id, REVIEWERS, "review")
    with pytest.raises(PermissionDenied, match="sign in"):
        require_role(session, None, REVIEWERS, "review")
    with pytest.raises(PermissionDenied, match="no longer exists"):
        require_role(session, 9999, REVIEWERS, "review")


def test_a_role_taken_away_counts_at_once(session: Session):
    people = team(session)
    topic = make_topic(session)
    statement = create_statement(
        session, statement_data(session, topic), user_id=people["casey"].id, today=TODAY
    )
    # The reviewer's browser session still says "reviewer"; the database no longer does.
    update_user(session, people["rene"].id, user_id=people["ada"].id, role="contributor")
    with pytest.raises(PermissionDenied, match="you are signed in as a contributor"):
        review_statement(session, statement.id, user_id=people["rene"].id, verdict="verified")


def test_disabled_users_cannot_write(session: Session):
    people = team(session)
    topic = make_topic(session)
    update_user(session, people["casey"].id, user_id=people["ada"].id, disabled=True)
    with pytest.raises(PermissionDenied, match="disabled"):
        create_statement(
            session, statement_data(session, topic), user_id=people["casey"].id, today=TODAY
        )
    assert session.exec(select(func.count()).select_from(Statement)).one() == 0


def test_only_admins_add_topics_and_writers_add_events(session: Session):
    contributor = make_user(session, "casey")
    with pytest.raises(PermissionDenied, match="only an admin can add topics"):
        create_topic(
            session, TopicCreate(slug="t", title="T", proposition="P"), user_id=contributor.id
        )
    event = create_event(
        session,
        EventCreate(title="A visit", starts_on=date(2025, 6, 1)),
        user_id=contributor.id,
        today=TODAY,
    )
    assert event.contributor_id == contributor.id


def test_a_contributor_cannot_file_a_verified_statement(session: Session):
    contributor = make_user(session, "casey")
    topic = make_topic(session)
    with pytest.raises(PermissionDenied, match="pending"):
        create_statement(
            session,
            statement_data(session, topic),
            user_id=contributor.id,
            status="verified",
            today=TODAY,
        )
