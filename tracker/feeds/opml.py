"""OPML in and out: the feed lists other readers export, and ours for them.

Import parses with defusedxml and refuses any DOCTYPE, so entities cannot expand (billion
laughs) or reach files and URLs (external entities). It stores the feeds at once and fetches
nothing: the poller fetches them on its next pass, and a feed that fails stays listed with its
error. Outlines nest (folders); every outline with an ``xmlUrl`` is a feed. A feed already
listed, or listed twice in the file, is skipped; an entry that cannot be stored is reported with
the reason, and the others are imported.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET  # builds the export; parsing goes through defusedxml
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any, Final

from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped, unused-ignore]
from sqlmodel import Session

from tracker.errors import TrackerError, ValidationError
from tracker.feeds.registry import (
    FeedView,
    add_feed,
    check_feed_url,
    clean_title,
    existing_urls,
    list_feeds,
    require_admin,
)
from tracker.timeutil import utcnow

MAX_OPML_BYTES: Final = 5 * 1024 * 1024
MAX_FEEDS: Final = 10_000
MAX_DEPTH: Final = 20
EXPORT_TITLE: Final = "Tracker feeds"


@dataclass(frozen=True)
class OpmlEntry:
    """A feed outline: its address, its name, its site, and the folders it sits in."""

    url: str
    title: str | None
    site_url: str | None
    folder: str | None


@dataclass(frozen=True)
class OpmlProblem:
    """An outline that was not imported, and why."""

    where: str
    reason: str


@dataclass
class OpmlImportResult:
    added: list[FeedView] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    problems: list[OpmlProblem] = field(default_factory=list)

    def summary(self) -> str:
        added = len(self.added)
        parts = [f"{added} feed{'' if added == 1 else 's'} added"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} already listed (skipped)")
        if self.problems:
            parts.append(f"{len(self.problems)} not imported")
        return ", ".join(parts)


def _attr(element: Any, name: str) -> str | None:
    """An attribute by name, whatever its case (``xmlUrl``, ``xmlurl``, ``XMLURL``)."""
    wanted = name.lower()
    for key, value in element.attrib.items():
        if str(key).lower() == wanted:
            text = str(value).strip()
            return text or None
    return None


def parse_opml(data: bytes) -> tuple[list[OpmlEntry], list[OpmlProblem]]:
    """The feed outlines of an OPML document, and the outlines that are not usable feeds.

    Raises ``TrackerError`` when the document as a whole cannot be read.
    """
    if len(data) > MAX_OPML_BYTES:
        raise TrackerError(
            f"The OPML file is {len(data):,} bytes; at most {MAX_OPML_BYTES:,} are read."
        )
    if not data.strip():
        raise TrackerError("The OPML file is empty.")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise TrackerError(
            "The OPML file declares a DOCTYPE or entities, which are refused: an OPML file "
            "needs neither, and entities can make a small file expand enormously."
        ) from None
    except ET.ParseError as exc:
        raise TrackerError(f"The file is not well-formed XML: {exc}.") from None
    if _local(root.tag) != "opml":
        raise TrackerError(f"This is not an OPML file: its root element is <{_local(root.tag)}>.")
    body = next((child for child in root if _local(child.tag) == "body"), None)
    if body is None:
        raise TrackerError("The OPML file has no <body>, so it lists no feeds.")

    entries: list[OpmlEntry] = []
    problems: list[OpmlProblem] = []
    for outline, folders in _outlines(body, (), 0, problems):
        url = _attr(outline, "xmlUrl")
        name = _attr(outline, "title") or _attr(outline, "text")
        kind = (_attr(outline, "type") or "").lower()
        if url is None:
            if kind in ("rss", "atom") and not len(outline):
                problems.append(OpmlProblem(_where(name, None), "the outline has no xmlUrl"))
            continue  # a folder, or a note
        if len(entries) >= MAX_FEEDS:
            problems.append(OpmlProblem(_where(name, url), f"more than {MAX_FEEDS:,} feeds"))
            continue
        entries.append(
            OpmlEntry(
                url=url,
                title=name,
                site_url=_attr(outline, "htmlUrl"),
                folder=" / ".join(folders) or None,
            )
        )
    return entries, problems


def _outlines(
    parent: Any, folders: tuple[str, ...], depth: int, problems: list[OpmlProblem]
) -> Iterator[tuple[Any, tuple[str, ...]]]:
    for child in parent:
        if _local(child.tag) != "outline":
            continue
        if depth >= MAX_DEPTH:
            problems.append(OpmlProblem("a folder", f"folders nested deeper than {MAX_DEPTH}"))
            return
        yield child, folders
        if len(child):
            label = _attr(child, "title") or _attr(child, "text")
            inner = (*folders, label) if label else folders
            yield from _outlines(child, inner, depth + 1, problems)


def _local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1].lower()


def _where(name: str | None, url: str | None) -> str:
    if name and url:
        return f"{name} ({url})"
    return name or url or "an outline"


def import_opml(session: Session, data: bytes, *, acting_user_id: int | None) -> OpmlImportResult:
    """Add the feeds an OPML document lists. Flushes; the caller commits.

    A document that cannot be read raises ``TrackerError`` and stores nothing; within a
    readable one, each bad entry is reported and skipped.
    """
    require_admin(session, acting_user_id)
    entries, problems = parse_opml(data)
    result = OpmlImportResult(problems=list(problems))
    known = existing_urls(session)
    for entry in entries:
        try:
            url = check_feed_url(entry.url)
        except ValidationError as exc:
            result.problems.append(
                OpmlProblem(_where(entry.title, entry.url), exc.problems.get("url", str(exc)))
            )
            continue
        if url in known:
            result.duplicates.append(url)
            continue
        feed = add_feed(
            session,
            url,
            title=clean_title(entry.title),
            site_url=entry.site_url,
            acting_user_id=acting_user_id,
        )
        known.add(url)
        result.added.append(feed)
    return result


def export_opml(session: Session, *, title: str = EXPORT_TITLE) -> bytes:
    """Every feed as an OPML 2.0 document (UTF-8), paused and failing ones included."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(utcnow(), usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in sorted(list_feeds(session), key=lambda f: (f.name.lower(), f.id)):
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.site_url:
            attributes["htmlUrl"] = feed.site_url
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue() + b"\n"
