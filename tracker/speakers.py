"""Speakers: the people who speak for an actor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from tracker.errors import ValidationError
from tracker.models import Speaker


@dataclass(frozen=True)
class SpeakerView:
    id: int
    name: str
    actor_id: int
    wikidata_id: str | None


def _view(s: Speaker) -> SpeakerView:
    assert s.id is not None
    return SpeakerView(id=s.id, name=s.name, actor_id=s.actor_id, wikidata_id=s.wikidata_id)


NAME_LIMIT = 200


def speaker_name_problem(name: str) -> str | None:
    clean = " ".join(name.split())
    if not clean:
        return "the speaker's name is empty"
    if len(clean) > NAME_LIMIT:
        return f"at most {NAME_LIMIT} characters"
    return None


def get_or_create_speaker(session: Session, name: str, actor_id: int) -> SpeakerView:
    """The actor's speaker of that name (spaces collapsed), added if new. Flushes."""
    clean = " ".join(name.split())
    problem = speaker_name_problem(name)
    if problem:
        raise ValidationError({"speaker": problem})
    query = select(Speaker).where(Speaker.actor_id == actor_id, Speaker.name == clean)
    found = session.exec(query).first()
    if found is None:
        # Two contributors may add the same person at the same moment: a plain INSERT after
        # the read above fails on the unique name for one of them. ON CONFLICT DO NOTHING
        # waits for the other's transaction and then lets the second read find their row.
        session.execute(
            _insert(session).values(name=clean, actor_id=actor_id).on_conflict_do_nothing()
        )
        found = session.exec(query).one()
    return _view(found)


def _insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(Speaker)
    return sqlite.insert(Speaker)


def list_speakers(session: Session, actor_id: int | None = None) -> list[SpeakerView]:
    query = select(Speaker).order_by(col(Speaker.name))
    if actor_id is not None:
        query = query.where(Speaker.actor_id == actor_id)
    return [_view(s) for s in session.exec(query).all()]
