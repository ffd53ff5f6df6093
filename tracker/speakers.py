"""Speakers: the people who speak for an actor."""

from __future__ import annotations

from dataclasses import dataclass

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


def get_or_create_speaker(session: Session, name: str, actor_id: int) -> SpeakerView:
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError({"speaker": "the speaker's name is empty"})
    if len(clean) > 200:
        raise ValidationError({"speaker": "at most 200 characters"})
    found = session.exec(
        select(Speaker).where(Speaker.actor_id == actor_id, Speaker.name == clean)
    ).first()
    if found is None:
        found = Speaker(name=clean, actor_id=actor_id)
        session.add(found)
        session.flush()
    return _view(found)


def list_speakers(session: Session, actor_id: int | None = None) -> list[SpeakerView]:
    query = select(Speaker).order_by(col(Speaker.name))
    if actor_id is not None:
        query = query.where(Speaker.actor_id == actor_id)
    return [_view(s) for s in session.exec(query).all()]
