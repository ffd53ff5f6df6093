"""Reference actors: every ISO 3166-1 country, the main blocs and organisations, and membership.

Pure data, no database code. The countries come from pycountry; the names news reports use for
them (short names, abbreviations, demonyms, capitals, metonyms such as "Kremlin") come from the
committed file ``country_aliases.csv`` next to this module, one row per pycountry alpha-3 code:

``alpha3``
    the ISO 3166-1 alpha-3 code;
``display_name``
    the name to show, when pycountry's ``common_name``/``name`` is awkward ("Iran, Islamic
    Republic of", "Russian Federation"); empty means ``common_name`` if set, else ``name``;
``short_names``, ``abbreviations``, ``demonyms``, ``capitals``, ``other_names``
    ``|``-separated values, possibly empty. ``other_names`` holds names that are not the
    country's own name but stand for its government in the news ("Tel Aviv", "Washington",
    "Kremlin"); they get the alias kind ``"name"``.

Aliases are matched by the news tagger, so a few of them are ambiguous on purpose because they
are accurate ("Dominican" for both Dominica and the Dominican Republic, "Congolese" for both
Congos, "Kingston" for Jamaica and Norfolk Island); and some are ordinary words ("US", "The
Valley"). The ``abbreviation`` kind lets a tagger match those case-sensitively.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import pycountry
from pycountry.db import Country

from tracker.reference.memberships import MEMBERS

ALIAS_KINDS: Final = frozenset(
    {"name", "short_name", "official_name", "demonym", "capital", "abbreviation"}
)
ACTOR_KINDS: Final = frozenset({"country", "bloc", "organisation"})

COUNTRY_ALIASES_CSV: Final = "country_aliases.csv"
CSV_COLUMNS: Final = (
    "alpha3",
    "display_name",
    "short_names",
    "abbreviations",
    "demonyms",
    "capitals",
    "other_names",
)
_SEPARATOR: Final = "|"


@dataclass(frozen=True)
class ReferenceAlias:
    text: str
    kind: str


@dataclass(frozen=True)
class ReferenceActor:
    code: str
    name: str
    kind: str
    aliases: tuple[ReferenceAlias, ...]


@dataclass(frozen=True)
class ReferenceMembership:
    group_code: str
    member_code: str


@dataclass(frozen=True)
class CountryAliasRow:
    """One row of ``country_aliases.csv``, multi-values already split."""

    alpha3: str
    display_name: str
    short_names: tuple[str, ...]
    abbreviations: tuple[str, ...]
    demonyms: tuple[str, ...]
    capitals: tuple[str, ...]
    other_names: tuple[str, ...]


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(_SEPARATOR) if part.strip())


def read_country_alias_csv() -> str:
    """The text of ``country_aliases.csv`` as shipped with the package."""
    return (
        resources.files("tracker.reference")
        .joinpath(COUNTRY_ALIASES_CSV)
        .read_text(encoding="utf-8")
    )


def parse_country_alias_csv(text: str) -> list[CountryAliasRow]:
    """Parse the alias file; raises ``ValueError`` on a wrong header or a repeated code."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise ValueError(f"{COUNTRY_ALIASES_CSV}: expected columns {CSV_COLUMNS}")
    rows: list[CountryAliasRow] = []
    seen: set[str] = set()
    for record in reader:
        code = (record["alpha3"] or "").strip().upper()
        if not code:
            raise ValueError(f"{COUNTRY_ALIASES_CSV}: row without alpha3 code")
        if code in seen:
            raise ValueError(f"{COUNTRY_ALIASES_CSV}: {code} appears more than once")
        seen.add(code)
        rows.append(
            CountryAliasRow(
                alpha3=code,
                display_name=(record["display_name"] or "").strip(),
                short_names=_split(record["short_names"]),
                abbreviations=_split(record["abbreviations"]),
                demonyms=_split(record["demonyms"]),
                capitals=_split(record["capitals"]),
                other_names=_split(record["other_names"]),
            )
        )
    return rows


@cache
def country_alias_rows() -> dict[str, CountryAliasRow]:
    """The rows of ``country_aliases.csv`` by alpha-3 code."""
    return {row.alpha3: row for row in parse_country_alias_csv(read_country_alias_csv())}


def _dedupe(candidates: Iterable[tuple[str, str]]) -> tuple[ReferenceAlias, ...]:
    """Keep the first occurrence of each text, compared case-insensitively; drop blanks."""
    aliases: list[ReferenceAlias] = []
    seen: set[str] = set()
    for text, kind in candidates:
        text = " ".join(text.split())
        key = text.casefold()
        if not key or key in seen:
            continue
        seen.add(key)
        aliases.append(ReferenceAlias(text=text, kind=kind))
    return tuple(aliases)


def _official_name(country: Country) -> str:
    # pycountry writes some official names as "the State of Eritrea"; drop the article.
    official = str(getattr(country, "official_name", "") or "").strip()
    if official.startswith("the "):
        official = official[len("the ") :]
    return official


def _country(country: Country, row: CountryAliasRow | None) -> ReferenceActor:
    code = country.alpha_3
    iso_name = country.name
    common_name = str(getattr(country, "common_name", "") or "")
    display = (row.display_name if row else "") or common_name or iso_name
    candidates: list[tuple[str, str]] = [
        (display, "name"),
        (iso_name, "name"),
        (_official_name(country), "official_name"),
        (common_name, "short_name"),
    ]
    if row is not None:
        candidates += [(text, "short_name") for text in row.short_names]
        candidates += [(text, "abbreviation") for text in row.abbreviations]
        candidates += [(text, "name") for text in row.other_names]
        candidates += [(text, "demonym") for text in row.demonyms]
        candidates += [(text, "capital") for text in row.capitals]
    return ReferenceActor(code=code, name=display, kind="country", aliases=_dedupe(candidates))


@cache
def _countries() -> tuple[ReferenceActor, ...]:
    rows = country_alias_rows()
    # A country pycountry adds before the CSV catches up still gets its ISO names; the tests
    # insist that the CSV covers every code.
    return tuple(_country(c, rows.get(c.alpha_3)) for c in pycountry.countries)


def reference_countries() -> list[ReferenceActor]:
    """Every ISO 3166-1 country in pycountry, code = alpha-3, in pycountry's order."""
    return list(_countries())


# Kinds of the groups. "bloc": a regional or economic grouping of states whose members are
# reported as speaking together (joint communiqués, summit declarations): EU, GCC, LAS, AU, ASEAN,
# BRICS. "organisation": a body with its own organs and secretariat that takes positions in its
# own name, whether universal (UN), faith-based (OIC) or a security alliance/treaty organisation
# (NATO, SCO). The line is a judgement call; keep it consistent when adding groups.
_GROUPS: Final[tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...]] = (
    (
        "EU",
        "European Union",
        "bloc",
        (("EU", "abbreviation"), ("E.U.", "abbreviation")),
    ),
    (
        "UN",
        "United Nations",
        "organisation",
        (
            ("UN", "abbreviation"),
            ("U.N.", "abbreviation"),
            ("United Nations Organization", "name"),
        ),
    ),
    (
        "GCC",
        "Gulf Cooperation Council",
        "bloc",
        (
            ("Cooperation Council for the Arab States of the Gulf", "official_name"),
            ("GCC", "abbreviation"),
        ),
    ),
    (
        "OIC",
        "Organisation of Islamic Cooperation",
        "organisation",
        (
            ("Organization of Islamic Cooperation", "name"),
            ("OIC", "abbreviation"),
        ),
    ),
    (
        "LAS",
        "League of Arab States",
        "bloc",
        (("Arab League", "short_name"), ("LAS", "abbreviation")),
    ),
    (
        "NATO",
        "NATO",
        "organisation",
        (
            ("North Atlantic Treaty Organization", "official_name"),
            ("North Atlantic Treaty Organisation", "name"),
            ("North Atlantic Alliance", "name"),
        ),
    ),
    (
        "AU",
        "African Union",
        "bloc",
        (("AU", "abbreviation"),),
    ),
    (
        "ASEAN",
        "ASEAN",
        "bloc",
        (("Association of Southeast Asian Nations", "official_name"),),
    ),
    (
        "SCO",
        "Shanghai Cooperation Organisation",
        "organisation",
        (
            ("Shanghai Cooperation Organization", "name"),
            ("SCO", "abbreviation"),
        ),
    ),
    (
        "BRICS",
        "BRICS",
        "bloc",
        (),
    ),
)


def _abbreviation_kind(code: str, name: str) -> str:
    return "abbreviation" if code == name else "name"


def reference_groups() -> list[ReferenceActor]:
    """The blocs and organisations, with codes such as ``EU``, ``GCC`` and ``LAS``."""
    return [
        ReferenceActor(
            code=code,
            name=name,
            kind=kind,
            aliases=_dedupe([(name, _abbreviation_kind(code, name)), *extra]),
        )
        for code, name, kind, extra in _GROUPS
    ]


def reference_memberships() -> list[ReferenceMembership]:
    """Current full members of every group (see ``memberships.py`` for the as-of date)."""
    return [
        ReferenceMembership(group_code=group, member_code=member)
        for group, members in MEMBERS.items()
        for member in members
    ]


def reference_actors() -> list[ReferenceActor]:
    """Countries, then groups."""
    return reference_countries() + reference_groups()
