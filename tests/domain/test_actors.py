from sqlmodel import Session, func, select

from tracker.actors import (
    actor_by_code,
    bloc_member_ids,
    find_actor,
    list_actors,
    sync_reference_actors,
)
from tracker.models import Actor, ActorAlias, BlocMembership


def test_sync_loads_reference_set_once(session: Session):
    first = sync_reference_actors(session)
    session.commit()
    assert first.actors_added >= 259
    assert first.memberships_added >= 400
    second = sync_reference_actors(session)
    session.commit()
    assert (second.actors_added, second.aliases_added, second.memberships_added) == (0, 0, 0)
    assert session.exec(select(func.count()).select_from(Actor)).one() == first.actors_added


def test_countries_blocs_and_members(session: Session):
    sync_reference_actors(session)
    countries = list_actors(session, ["country"])
    assert len(countries) >= 249
    gcc = actor_by_code(session, "GCC")
    assert gcc is not None and gcc.kind == "bloc"
    members = {a.code for a in list_actors(session) if a.id in bloc_member_ids(session, gcc.id)}
    assert members == {"SAU", "ARE", "QAT", "OMN", "KWT", "BHR"}
    assert session.exec(select(func.count()).select_from(BlocMembership)).one() >= 400


def test_aliases_cover_names_demonyms_capitals(session: Session):
    sync_reference_actors(session)
    iran = actor_by_code(session, "IRN")
    assert iran is not None and iran.name == "Iran"
    aliases = set(
        session.exec(select(ActorAlias.alias).where(ActorAlias.actor_id == iran.id)).all()
    )
    assert {"Iranian", "Tehran"} <= aliases


def test_find_actor_by_code_name_or_alias(session: Session):
    sync_reference_actors(session)
    assert find_actor(session, "pak").code == "PAK"
    assert find_actor(session, "Pakistan").code == "PAK"
    assert find_actor(session, "Emirati").code == "ARE"
    assert find_actor(session, "Atlantis") is None
    assert find_actor(session, "  ") is None
