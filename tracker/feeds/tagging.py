"""Find which actors a piece of news text mentions, through their names, demonyms and capitals.

All aliases are compiled into two regular expressions shaped as tries (one case-sensitive, one
not), so a text is scanned once per expression whatever the number of aliases, and the longest
alias wins where aliases overlap ("Papua New Guinea" is not also "Guinea"). Word boundaries use
Unicode word characters, so "Türkiye" and "Côte d'Ivoire" match as whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Protocol

from sqlmodel import Session, col, select

from tracker.feeds.sanitize import collapse_whitespace
from tracker.models import Actor, ActorAlias, AliasKind

# Short or all-capital aliases are ordinary words when written otherwise ("US" and "us", "UN"
# and "un"), so they match only as written; so does anything the data calls an abbreviation.
MAX_CASE_SENSITIVE_LENGTH: Final = 3
_APOSTROPHES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Alias:
    text: str
    actor_id: int
    kind: str = AliasKind.NAME


def is_case_sensitive(text: str, kind: str = AliasKind.NAME) -> bool:
    all_caps = text.upper() == text and text.lower() != text
    short = len(text) <= MAX_CASE_SENSITIVE_LENGTH
    return short or all_caps or kind == AliasKind.ABBREVIATION


def _normalise(text: str) -> str:
    return collapse_whitespace(text.translate(_APOSTROPHES))


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    ends_here: bool = False


def _units(word: str) -> list[str]:
    # A space in an alias stands for any run of whitespace in the text (line breaks, tabs).
    return [r"\s+" if part.isspace() else re.escape(part) for part in re.findall(r"\s+|.", word)]


def _trie_pattern(words: Iterable[str]) -> str:
    """The words as one regex shaped as a trie, so shared prefixes are matched once."""
    root = _Node()
    for word in words:
        node = root
        for unit in _units(word):
            node = node.children.setdefault(unit, _Node())
        node.ends_here = True
    return _node_pattern(root)


def _node_pattern(node: _Node) -> str:
    branches = [unit + _node_pattern(child) for unit, child in sorted(node.children.items())]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy optional: the longer alias is tried first, the shorter one is the fallback.
    return f"(?:{body})?" if node.ends_here else body


def _compile(words: Iterable[str], flags: int) -> re.Pattern[str] | None:
    body = _trie_pattern(words)
    if not body:
        return None
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)


class ActorMatcher:
    """Tags texts with the ids of the actors whose aliases they contain."""

    def __init__(self, aliases: Iterable[Alias]) -> None:
        self._exact: dict[str, set[int]] = {}
        self._folded: dict[str, set[int]] = {}
        for alias in aliases:
            text = _normalise(alias.text)
            if not text:
                continue
            if is_case_sensitive(text, alias.kind):
                self._exact.setdefault(text, set()).add(alias.actor_id)
                continue
            self._folded.setdefault(text.lower(), set()).add(alias.actor_id)
            if alias.kind == AliasKind.DEMONYM and not text.endswith("s"):
                # "Iranians", "Pakistanis": plural demonyms name the people of the country too.
                self._folded.setdefault(text.lower() + "s", set()).add(alias.actor_id)
        self._exact_re = _compile(self._exact, 0)
        self._folded_re = _compile(self._folded, re.IGNORECASE)

    @classmethod
    def from_session(cls, session: Session) -> ActorMatcher:
        """A matcher over every actor's aliases, and its name in case no alias repeats it."""
        rows = session.exec(
            select(ActorAlias.alias, ActorAlias.actor_id, ActorAlias.kind).join(
                Actor, col(Actor.id) == col(ActorAlias.actor_id)
            )
        ).all()
        names = session.exec(select(Actor.name, Actor.id)).all()
        aliases = [Alias(text, actor_id, kind) for text, actor_id, kind in rows]
        aliases += [Alias(name, actor_id) for name, actor_id in names if actor_id is not None]
        return cls(aliases)

    def __len__(self) -> int:
        return len(self._exact) + len(self._folded)

    def match(self, text: str) -> set[int]:
        """Ids of the actors mentioned in ``text``; a bloc's name tags the bloc, not its members."""
        if not text:
            return set()
        text = text.translate(_APOSTROPHES)
        spans: list[tuple[int, int, set[int]]] = []
        if self._exact_re is not None:
            for m in self._exact_re.finditer(text):
                ids = self._exact.get(_SPACE.sub(" ", m.group()))
                if ids:
                    spans.append((m.start(), m.end(), ids))
        if self._folded_re is not None:
            for m in self._folded_re.finditer(text):
                ids = self._folded.get(_SPACE.sub(" ", m.group()).lower())
                if ids:
                    spans.append((m.start(), m.end(), ids))
        return _longest_non_overlapping(spans)


def _longest_non_overlapping(spans: list[tuple[int, int, set[int]]]) -> set[int]:
    # The two expressions are scanned separately, so an all-caps alias inside a longer name
    # ("US" in "US Virgin Islands") is dropped here in favour of the longer match.
    found: set[int] = set()
    taken: list[tuple[int, int]] = []
    for start, end, ids in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        found |= ids
    return found


class Tagger(Protocol):
    def match(self, text: str) -> set[int]: ...


class KnownTags:
    """Tags worked out ahead of time (with the parsing, before taking a write lock), the
    matcher for the rest."""

    def __init__(self, matcher: Tagger, known: dict[str, set[int]]) -> None:
        self._matcher = matcher
        self._known = known

    def match(self, text: str) -> set[int]:
        found = self._known.get(text)
        return found if found is not None else self._matcher.match(text)
