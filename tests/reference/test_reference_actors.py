"""The reference actors: countries from pycountry, groups, memberships and the alias CSV."""

from __future__ import annotations

from collections import Counter

import pycountry
import pytest

from tracker.reference.actors import (
    ACTOR_KINDS,
    ALIAS_KINDS,
    CSV_COLUMNS,
    ReferenceActor,
    country_alias_rows,
    parse_country_alias_csv,
    read_country_alias_csv,
    reference_actors,
    reference_countries,
    reference_groups,
    reference_memberships,
)
from tracker.reference.memberships import MEMBERS

PYCOUNTRY_CODES = {c.alpha_3 for c in pycountry.countries}

# The ten countries of seed/pakistan-iran-report.txt: display name, a demonym, a capital.
REPORT_COUNTRIES = {
    "IRN": ("Iran", "Iranian", "Tehran"),
    "PAK": ("Pakistan", "Pakistani", "Islamabad"),
    "USA": ("United States", "American", "Washington, D.C."),
    "ARE": ("United Arab Emirates", "Emirati", "Abu Dhabi"),
    "SAU": ("Saudi Arabia", "Saudi", "Riyadh"),
    "TUR": ("Turkey", "Turkish", "Ankara"),
    "ISR": ("Israel", "Israeli", "Jerusalem"),
    "IND": ("India", "Indian", "New Delhi"),
    "QAT": ("Qatar", "Qatari", "Doha"),
    "OMN": ("Oman", "Omani", "Muscat"),
}

EXPECTED_MEMBER_COUNTS = {
    "EU": 27,
    "UN": 193,
    "GCC": 6,
    "OIC": 57,
    "LAS": 22,
    "NATO": 32,
    "AU": 55,
    "ASEAN": 11,
    "SCO": 10,
    "BRICS": 10,
}

# Entries of ISO 3166-1 with no capital of their own: uninhabited or without a permanent
# population (ATA, BVT, HMD, ATF, IOT, UMI), city territories (HKG, MAC), Tokelau (the seat
# rotates between atolls) and the Caribbean Netherlands (three islands, no joint capital).
NO_CAPITAL = {"ATA", "ATF", "BES", "BVT", "HKG", "HMD", "IOT", "MAC", "TKL", "UMI"}

# Accurate aliases that name two actors; a tagger must resolve them from context.
KNOWN_SHARED_ALIASES = {
    "congolese": {"COD", "COG"},
    "dominican": {"DMA", "DOM"},
    "kingston": {"JAM", "NFK"},
}


def _by_code() -> dict[str, ReferenceActor]:
    return {actor.code: actor for actor in reference_actors()}


def _alias_texts(actor: ReferenceActor, kind: str | None = None) -> set[str]:
    return {alias.text for alias in actor.aliases if kind is None or alias.kind == kind}


def test_every_pycountry_country_present_exactly_once() -> None:
    counts = Counter(actor.code for actor in reference_countries())
    assert set(counts) == PYCOUNTRY_CODES
    assert all(n == 1 for n in counts.values())
    assert len(reference_countries()) == len(pycountry.countries)


def test_actor_codes_unique_across_countries_and_groups() -> None:
    codes = [actor.code for actor in reference_actors()]
    assert len(codes) == len(set(codes))
    assert {g.code for g in reference_groups()} == set(EXPECTED_MEMBER_COUNTS)


def test_kinds_are_known() -> None:
    for actor in reference_actors():
        assert actor.kind in ACTOR_KINDS
        for alias in actor.aliases:
            assert alias.kind in ALIAS_KINDS, (actor.code, alias)
    assert {a.kind for a in reference_countries()} == {"country"}
    kinds = {g.code: g.kind for g in reference_groups()}
    assert {code for code, kind in kinds.items() if kind == "bloc"} == {
        "EU",
        "GCC",
        "BRICS",
        "ASEAN",
        "AU",
        "LAS",
    }
    assert {code for code, kind in kinds.items() if kind == "organisation"} == {
        "UN",
        "OIC",
        "NATO",
        "SCO",
    }


@pytest.mark.parametrize("code", sorted(REPORT_COUNTRIES))
def test_report_countries(code: str) -> None:
    name, demonym, capital = REPORT_COUNTRIES[code]
    actor = _by_code()[code]
    assert actor.name == name
    assert name in _alias_texts(actor)
    assert demonym in _alias_texts(actor, "demonym")
    assert capital in _alias_texts(actor, "capital")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("IRN", "Iran"),
        ("KOR", "South Korea"),
        ("PRK", "North Korea"),
        ("RUS", "Russia"),
        ("SYR", "Syria"),
        ("VEN", "Venezuela"),
        ("TUR", "Turkey"),
        ("VNM", "Vietnam"),
        ("PSE", "Palestine"),
        ("MDA", "Moldova"),
        ("TZA", "Tanzania"),
        ("LAO", "Laos"),
        ("BOL", "Bolivia"),
        ("FSM", "Micronesia"),
        ("COD", "DR Congo"),
        ("TWN", "Taiwan"),
        ("GBR", "United Kingdom"),
    ],
)
def test_short_display_names(code: str, name: str) -> None:
    assert _by_code()[code].name == name


def test_no_display_name_in_iso_inverted_form() -> None:
    # "Iran, Islamic Republic of" style names are aliases, never display names. Two names are
    # lists of places, not inverted: "Bonaire, Sint Eustatius and Saba" and "Saint Helena,
    # Ascension and Tristan da Cunha".
    for actor in reference_countries():
        if actor.code not in {"BES", "SHN"}:
            assert ", " not in actor.name, actor


def test_pycountry_names_kept_as_aliases() -> None:
    actors = _by_code()
    for country in pycountry.countries:
        texts = {t.casefold() for t in _alias_texts(actors[country.alpha_3])}
        assert country.name.casefold() in texts
        common = getattr(country, "common_name", None)
        if common:
            assert common.casefold() in texts


@pytest.mark.parametrize(
    ("code", "text", "kind"),
    [
        ("USA", "US", "abbreviation"),
        ("USA", "U.S.", "abbreviation"),
        ("USA", "America", "short_name"),
        ("USA", "Washington", "name"),
        ("USA", "United States of America", "official_name"),
        ("GBR", "UK", "abbreviation"),
        ("GBR", "Britain", "short_name"),
        ("GBR", "British", "demonym"),
        ("ARE", "UAE", "abbreviation"),
        ("ARE", "Emirates", "short_name"),
        ("SAU", "KSA", "abbreviation"),
        ("TUR", "Türkiye", "name"),
        ("PRK", "DPRK", "abbreviation"),
        ("KOR", "ROK", "abbreviation"),
        ("CIV", "Ivory Coast", "short_name"),
        ("ISR", "Tel Aviv", "name"),
        ("NLD", "Dutch", "demonym"),
        ("IRN", "Islamic Republic of Iran", "official_name"),
        ("IRN", "Iran, Islamic Republic of", "name"),
    ],
)
def test_selected_aliases(code: str, text: str, kind: str) -> None:
    assert text in _alias_texts(_by_code()[code], kind)


def test_aliases_deduplicated_and_not_blank() -> None:
    for actor in reference_actors():
        keys = [alias.text.casefold() for alias in actor.aliases]
        assert len(keys) == len(set(keys)), actor.code
        for alias in actor.aliases:
            assert alias.text.strip() == alias.text
            assert alias.text
        assert actor.name in _alias_texts(actor)


def test_aliases_shared_between_actors_are_known() -> None:
    owners: dict[str, set[str]] = {}
    for actor in reference_actors():
        for alias in actor.aliases:
            owners.setdefault(alias.text.casefold(), set()).add(actor.code)
    shared = {text: codes for text, codes in owners.items() if len(codes) > 1}
    assert shared == KNOWN_SHARED_ALIASES


def test_groups_have_names_and_aliases() -> None:
    groups = {g.code: g for g in reference_groups()}
    assert groups["EU"].name == "European Union"
    assert groups["UN"].name == "United Nations"
    assert groups["LAS"].name == "League of Arab States"
    assert "Arab League" in _alias_texts(groups["LAS"])
    assert "Cooperation Council for the Arab States of the Gulf" in _alias_texts(groups["GCC"])
    assert "North Atlantic Treaty Organization" in _alias_texts(groups["NATO"])
    assert "Shanghai Cooperation Organisation" in _alias_texts(groups["SCO"])


def test_membership_counts() -> None:
    counts = Counter(m.group_code for m in reference_memberships())
    assert dict(counts) == EXPECTED_MEMBER_COUNTS


def test_memberships_unique_and_codes_exist() -> None:
    actors = _by_code()
    pairs = [(m.group_code, m.member_code) for m in reference_memberships()]
    assert len(pairs) == len(set(pairs))
    for group, member in pairs:
        assert actors[group].kind in {"bloc", "organisation"}
        assert actors[member].kind == "country"


@pytest.mark.parametrize(
    ("group", "member", "present"),
    [
        ("UN", "PSE", False),
        ("UN", "VAT", False),
        ("UN", "TWN", False),
        ("OIC", "PSE", True),
        ("LAS", "PSE", True),
        ("LAS", "SYR", True),
        ("AU", "ESH", True),
        ("AU", "MAR", True),
        ("ASEAN", "TLS", True),
        ("SCO", "BLR", True),
        ("BRICS", "SAU", False),
        ("BRICS", "IDN", True),
        ("EU", "GBR", False),
        ("NATO", "SWE", True),
        ("NATO", "FIN", True),
        ("GCC", "QAT", True),
    ],
)
def test_specific_memberships(group: str, member: str, present: bool) -> None:
    assert (member in MEMBERS[group]) is present


def test_un_members_are_the_sovereign_states() -> None:
    non_members = PYCOUNTRY_CODES - set(MEMBERS["UN"])
    assert {"PSE", "VAT", "TWN", "ESH"} <= non_members


def test_csv_covers_pycountry_exactly() -> None:
    rows = parse_country_alias_csv(read_country_alias_csv())
    codes = [row.alpha3 for row in rows]
    assert len(codes) == len(set(codes))
    assert set(codes) == PYCOUNTRY_CODES


def test_csv_header() -> None:
    header = read_country_alias_csv().splitlines()[0]
    assert tuple(header.split(",")) == CSV_COLUMNS


def test_every_country_with_a_capital_has_one_in_the_csv() -> None:
    rows = country_alias_rows()
    missing = {code for code, row in rows.items() if not row.capitals}
    assert missing == NO_CAPITAL


def test_every_un_member_and_observer_has_a_demonym() -> None:
    rows = country_alias_rows()
    for code in [*MEMBERS["UN"], "PSE", "VAT", "TWN"]:
        assert rows[code].demonyms, code


def test_csv_values_are_clean() -> None:
    for row in country_alias_rows().values():
        for values in (
            row.short_names,
            row.abbreviations,
            row.demonyms,
            row.capitals,
            row.other_names,
        ):
            assert len(values) == len({v.casefold() for v in values}), row.alpha3
            for value in values:
                assert value == value.strip() and value, row.alpha3
        for abbreviation in row.abbreviations:
            assert sum(ch.isupper() for ch in abbreviation) >= 2, abbreviation


def test_parse_rejects_bad_files() -> None:
    header = ",".join(CSV_COLUMNS)
    with pytest.raises(ValueError, match="columns"):
        parse_country_alias_csv("code,name\nIRN,Iran\n")
    with pytest.raises(ValueError, match="more than once"):
        parse_country_alias_csv(f"{header}\nIRN,,,,,,\nIRN,,,,,,\n")
    rows = parse_country_alias_csv(f"{header}\nirn,, a | b ,,,,\n")
    assert rows[0].alpha3 == "IRN"
    assert rows[0].short_names == ("a", "b")


def test_lists_are_fresh_copies() -> None:
    first = reference_countries()
    first.clear()
    assert len(reference_countries()) == len(pycountry.countries)
