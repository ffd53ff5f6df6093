"""Actors (countries, blocs, organisations): the reference set and look-ups."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from tracker.models import Actor, ActorAlias, BlocMembership
from tracker.reference import reference_actors, reference_memberships


@dataclass(frozen=True)
class ActorView:
    id: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class SyncResult:
    actors_added: int
    aliases_added: int
    memberships_added: int


def _view(actor: Actor) -> ActorView:
    assert actor.id is not None
    return ActorView(id=actor.id, code=actor.code, name=actor.name, kind=actor.kind)


def sync_reference_actors(session: Session) -> SyncResult:
    """Add the reference countries, blocs, aliases and memberships that are missing.

    Only adds: an actor renamed or an alias removed by an admin stays as they left it.
    Flushes; the caller commits.
    """
    existing = {a.code: a for a in session.exec(select(Actor)).all()}
    actors_added = 0
    for ref in reference_actors():
        if ref.code not in existing:
            actor = Actor(code=ref.code, name=ref.name, kind=ref.kind)
            session.add(actor)
            existing[ref.code] = actor
            actors_added += 1
    session.flush()

    known_aliases = {
        (actor_id, alias.casefold())
        for actor_id, alias in session.exec(select(ActorAlias.actor_id, ActorAlias.alias)).all()
    }
    aliases_added = 0
    for ref in reference_actors():
        actor_id = existing[ref.code].id
        assert actor_id is not None
        for alias in ref.aliases:
            key = (actor_id, alias.text.casefold())
            if key in known_aliases:
                continue
            known_aliases.add(key)
            session.add(ActorAlias(actor_id=actor_id, alias=alias.text, kind=alias.kind))
            aliases_added += 1

    known_members = set(
        session.exec(select(BlocMembership.bloc_id, BlocMembership.member_id)).all()
    )
    memberships_added = 0
    for m in reference_memberships():
        bloc_id, member_id = existing[m.group_code].id, existing[m.member_code].id
        assert bloc_id is not None and member_id is not None
        pair = (bloc_id, member_id)
        if pair in known_members:
            continue
        known_members.add(pair)
        session.add(BlocMembership(bloc_id=pair[0], member_id=pair[1]))
        memberships_added += 1
    session.flush()
    return SyncResult(actors_added, aliases_added, memberships_added)


def list_actors(session: Session, kinds: Collection[str] | None = None) -> list[ActorView]:
    query = select(Actor).order_by(col(Actor.name))
    if kinds is not None:
        query = query.where(col(Actor.kind).in_(list(kinds)))
    return [_view(a) for a in session.exec(query).all()]


def actor_by_code(session: Session, code: str) -> ActorView | None:
    actor = session.exec(select(Actor).where(Actor.code == code.strip().upper())).first()
    return _view(actor) if actor else None


def find_actor(session: Session, text: str) -> ActorView | None:
    """An actor by code, name or alias (case-insensitive): how imports and the CLI name them."""
    wanted = text.strip()
    if not wanted:
        return None
    by_code = actor_by_code(session, wanted)
    if by_code:
        return by_code
    folded = wanted.casefold()
    for actor in session.exec(select(Actor)).all():
        if actor.name.casefold() == folded:
            return _view(actor)
    # ILIKE only to ignore case: a '%' or '_' typed in an import is a letter, not a wildcard
    # (unescaped, "%" named whichever country came first).
    literal = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    alias = session.exec(
        select(Actor)
        .join(ActorAlias, col(ActorAlias.actor_id) == col(Actor.id))
        .where(col(ActorAlias.alias).ilike(literal, escape="\\"))
    ).first()
    return _view(alias) if alias else None


def bloc_member_ids(session: Session, bloc_id: int) -> list[int]:
    rows = session.exec(
        select(BlocMembership.member_id).where(BlocMembership.bloc_id == bloc_id)
    ).all()
    return sorted(rows)
