"""Small builders for domain tests (real rows through the real domain functions)."""

from datetime import date

from sqlmodel import Session

from tracker.actors import actor_by_code, sync_reference_actors
from tracker.models import SourceCreate, StatementCreate, TopicCreate
from tracker.topics import TopicView, create_topic

CITATION = SourceCreate(citation="Seed report, as shipped in data/demo")


def make_topic(session: Session, slug: str = "alignment") -> TopicView:
    return create_topic(session, TopicCreate(slug=slug, title="Alignment", proposition="X is good"))


def actor_id(session: Session, code: str) -> int:
    found = actor_by_code(session, code)
    if found is None:
        sync_reference_actors(session)
        found = actor_by_code(session, code)
    assert found is not None
    return found.id


def statement_data(session: Session, topic: TopicView, **overrides) -> StatementCreate:
    values = {
        "topic_id": topic.id,
        "actor_id": actor_id(session, "PAK"),
        "said_on": date(2025, 6, 1),
        "date_precision": "month",
        "summary": "Backs Iran against the strikes",
        "stance": 2,
        "channel": "reported",
        "sources": [CITATION],
    }
    values.update(overrides)
    return StatementCreate(**values)
