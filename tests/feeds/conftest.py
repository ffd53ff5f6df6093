"""Fixtures for the feed tests: a few actors with aliases, and feeds to store items for."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tracker.models import Actor, ActorAlias, Feed

# code -> (name, kind, [(alias, alias kind), ...]): just enough of the reference data.
ACTORS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "IRN": ("Iran", "country", [("Iran", "name"), ("Iranian", "demonym"), ("Tehran", "capital")]),
    "PAK": (
        "Pakistan",
        "country",
        [("Pakistan", "name"), ("Pakistani", "demonym"), ("Islamabad", "capital")],
    ),
    "USA": (
        "United States",
        "country",
        [
            ("United States", "name"),
            ("US", "abbreviation"),
            ("U.S.", "abbreviation"),
            ("American", "demonym"),
            ("Washington", "name"),
        ],
    ),
    "GBR": ("United Kingdom", "country", [("United Kingdom", "name"), ("UK", "abbreviation")]),
    "TUR": ("Türkiye", "country", [("Türkiye", "name"), ("Turkey", "short_name")]),
    "CIV": ("Côte d'Ivoire", "country", [("Côte d'Ivoire", "name"), ("Ivorian", "demonym")]),
    "ISR": ("Israel", "country", [("Israel", "name"), ("Tel Aviv", "name")]),
    "SAU": ("Saudi Arabia", "country", [("Saudi Arabia", "name"), ("Saudi", "demonym")]),
    "GCC": ("Gulf Cooperation Council", "bloc", [("GCC", "abbreviation")]),
    "UN": ("United Nations", "organisation", [("UN", "abbreviation")]),
    "VIR": (
        "Virgin Islands, U.S.",
        "country",
        [("US Virgin Islands", "short_name")],
    ),
}


@pytest.fixture
def actors(session: Session) -> dict[str, int]:
    """The actors above, committed; returns their ids by code."""
    ids: dict[str, int] = {}
    for code, (name, kind, aliases) in ACTORS.items():
        actor = Actor(code=code, name=name, kind=kind)
        session.add(actor)
        session.flush()
        assert actor.id is not None
        ids[code] = actor.id
        session.add_all(ActorAlias(actor_id=actor.id, alias=a, kind=k) for a, k in aliases)
    session.commit()
    return ids


@pytest.fixture
def feeds(session: Session) -> tuple[int, int]:
    """Two feeds, committed; returns their ids."""
    first = Feed(url="https://one.example/feed.xml")
    second = Feed(url="https://two.example/rss")
    session.add_all([first, second])
    session.commit()
    assert first.id is not None and second.id is not None
    return first.id, second.id
