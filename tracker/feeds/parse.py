"""Turn a fetched document into feed metadata and clean entries, without touching the database.

feedparser does the format work (RSS 0.9x/1.0/2.0, Atom, encodings, dates); this module decides
what a usable entry is and normalises it: plain-text titles, sanitised summaries, http(s) links,
plausible UTC dates and a content hash for spotting the same story under another GUID.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import feedparser

from tracker.feeds.canonical import canonical_url
from tracker.feeds.sanitize import (
    collapse_whitespace,
    html_to_text,
    sanitize_html,
    strip_controls,
    text_to_html,
)
from tracker.timeutil import utcnow

MAX_TITLE_CHARS: Final = 1000
MAX_FEED_TITLE_CHARS: Final = 300
MAX_GUID_CHARS: Final = 1000
MAX_URL_CHARS: Final = 2000
# Some feeds carry whole articles; an inbox needs the gist, and a summary this long is a page.
MAX_SUMMARY_CHARS: Final = 20_000
UNTITLED_PREVIEW_CHARS: Final = 120
MAX_TTL_MINUTES: Final = 7 * 24 * 60
EARLIEST_PLAUSIBLE: Final = datetime(1900, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE: Final = timedelta(days=1)

# feedparser reports these for documents it nevertheless parsed correctly.
_BENIGN_BOZO: Final = (
    feedparser.CharacterEncodingOverride,
    feedparser.NonXMLContentType,
)
_HTML_PAGE = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_SNIFF_BYTES: Final = 4096
_SY_PERIOD_MINUTES: Final = {
    "hourly": 60,
    "daily": 24 * 60,
    "weekly": 7 * 24 * 60,
    "monthly": 30 * 24 * 60,
    "yearly": 365 * 24 * 60,
}


@dataclass(frozen=True)
class ParsedEntry:
    guid: str
    url: str | None
    title: str
    summary_html: str | None
    published_at: datetime | None
    content_hash: str
    # Title and summary as plain text, worked out once here for hashing and tagging.
    text: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    ttl_minutes: int | None
    entries: list[ParsedEntry]
    looks_like_html_page: bool
    error: str | None


def parse_feed(body: bytes, url: str | None = None, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document; problems with the document are reported in ``error``.

    Two of feedparser's passes are left out, as they cost about 40 % of its time on an
    ordinary feed and are done better afterwards: its HTML sanitiser (nh3 sanitises every
    fragment), and resolving links against the document's address, which it does by
    re-joining every URL-bearing element, GUIDs included (a GUID is an opaque name, not a
    link). Relative links are resolved here instead: the item's link against the feed's
    address, links inside summaries by the sanitiser, both honouring ``xml:base``.
    """
    if not body.strip():
        return _failed("the document is empty")
    headers: dict[str, str] = {}
    if content_type:
        headers["content-type"] = content_type
    base = _http_url(url)
    try:
        # A BytesIO, not the bytes: feedparser tries to open() a bytes argument as a file path.
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:  # feedparser's loose parser can fail on hostile input
        return _failed(f"the document could not be parsed: {exc}")

    now = utcnow()
    entries = [e for e in (_entry(raw, now, base) for raw in parsed.entries) if e is not None]
    version = str(parsed.get("version") or "")
    html_page = not version and not parsed.entries and _looks_like_html(body, content_type)
    feed = parsed.get("feed") or {}
    return ParsedFeed(
        title=_feed_title(feed) if version else None,
        site_url=_http_url(feed.get("link"), base) if version else None,
        ttl_minutes=_ttl_minutes(feed) if version else None,
        entries=entries,
        looks_like_html_page=html_page,
        error=None if entries else _feed_error(parsed, version, html_page),
    )


def _failed(error: str) -> ParsedFeed:
    return ParsedFeed(None, None, None, [], looks_like_html_page=False, error=error)


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in {"text/html", "application/xhtml+xml"}:
        return True
    return _HTML_PAGE.search(body[:_SNIFF_BYTES]) is not None


def _feed_error(parsed: Mapping[str, Any], version: str, html_page: bool) -> str | None:
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if html_page:
        return "this is an HTML page, not a feed; look for the site's RSS or Atom link"
    if not version:
        detail = f" ({exc})" if exc is not None else ""
        return f"this is not an RSS or Atom feed{detail}"
    if exc is not None and not isinstance(exc, _BENIGN_BOZO):
        return f"the feed is malformed and has no readable entries ({exc})"
    return None  # a well-formed feed that is empty right now


def _entry(raw: Mapping[str, Any], now: datetime, base: str | None) -> ParsedEntry | None:
    summary_html = _summary_html(raw, base)
    summary_text = html_to_text(summary_html) if summary_html else ""
    title = _title(raw.get("title_detail"), raw.get("title"))
    if not title and not summary_text:
        return None
    if not title:
        title = _bounded(summary_text, UNTITLED_PREVIEW_CHARS)
    title = _bounded(title, MAX_TITLE_CHARS)
    content_hash = _content_hash(title, summary_text)
    url = _http_url(raw.get("link"), base)
    return ParsedEntry(
        guid=_guid(raw.get("id"), url, content_hash),
        url=url,
        title=title,
        summary_html=summary_html,
        published_at=_published_at(raw, now),
        content_hash=content_hash,
        text=f"{title}\n{summary_text}",
    )


def _title(detail: Mapping[str, Any] | None, value: Any) -> str:
    text = str((detail or {}).get("value", value) or "")
    if (detail or {}).get("type") == "text/plain":
        return collapse_whitespace(text)
    return html_to_text(text)


def _as_html(detail: Mapping[str, Any] | None, base: str | None) -> str | None:
    """Sanitised HTML of one feedparser text construct; plain text is escaped, not parsed."""
    if not detail or not detail.get("value"):
        return None
    value = str(detail["value"])
    kind = str(detail.get("type") or "text/html")
    if kind == "text/plain":
        html = text_to_html(value)
    elif "html" in kind:
        # feedparser keeps the xml:base in effect for each text construct, itself relative
        # to the document's address.
        html = sanitize_html(value, _http_url(detail.get("base"), base) or base)
    else:  # base64 or other media types: not something to show as a summary
        return None
    return html or None


def _summary_html(raw: Mapping[str, Any], base: str | None) -> str | None:
    summary = _as_html(raw.get("summary_detail"), base)
    contents = [c for c in (_as_html(d, base) for d in raw.get("content") or []) if c]
    # Compared as text: escaping and markup would otherwise make the shorter one look longer.
    content = max(contents, key=_text_length, default=None)
    longer = content is not None and _text_length(content) > _text_length(summary)
    if longer and (summary is None or len(content or "") <= MAX_SUMMARY_CHARS):
        summary = content
    if summary is not None and len(summary) > MAX_SUMMARY_CHARS:
        # Re-sanitising closes whatever tags the cut left open.
        summary = sanitize_html(summary[:MAX_SUMMARY_CHARS]) or None
    return summary


def _text_length(fragment: str | None) -> int:
    return len(html_to_text(fragment)) if fragment else 0


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _content_hash(title: str, summary_text: str) -> str:
    normalised = collapse_whitespace(f"{title}\n{summary_text}").casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _guid(entry_id: Any, url: str | None, content_hash: str) -> str:
    guid = (
        strip_controls(str(entry_id or "")).strip()
        or canonical_url(url)
        or f"sha256:{content_hash}"
    )
    if len(guid) > MAX_GUID_CHARS:
        guid = "sha256:" + hashlib.sha256(guid.encode("utf-8")).hexdigest()
    return guid


def _http_url(value: Any, base: str | None = None) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    if base is not None and url and not url.lower().startswith(("http://", "https://")):
        # Relative to the document's address, as a browser would read it.
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    if len(url) > MAX_URL_CHARS or strip_controls(url) != url:  # NUL: PostgreSQL refuses it
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return url


def _published_at(raw: Mapping[str, Any], now: datetime) -> datetime | None:
    stamp: time.struct_time | None = raw.get("published_parsed")
    if stamp is None and "updated_parsed" in raw:
        # Checked first: feedparser warns when a missing updated_parsed falls back to published.
        stamp = raw.get("updated_parsed")
    if stamp is None:
        return None
    try:
        # feedparser gives the time already converted to UTC.
        when = datetime.fromtimestamp(calendar.timegm(stamp), UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if when < EARLIEST_PLAUSIBLE or when > now + FUTURE_TOLERANCE:
        return None
    return when


def _feed_title(feed: Mapping[str, Any]) -> str | None:
    title = _title(feed.get("title_detail"), feed.get("title"))
    return _bounded(title, MAX_FEED_TITLE_CHARS) if title else None


def _ttl_minutes(feed: Mapping[str, Any]) -> int | None:
    minutes: int | None = None
    ttl = _positive_int(feed.get("ttl"))
    if ttl is not None:
        minutes = ttl
    else:
        # The RSS 1.0 syndication module: "updated 4 times hourly" means every 15 minutes.
        period = _SY_PERIOD_MINUTES.get(str(feed.get("sy_updateperiod") or "").strip().lower())
        if period is not None:
            minutes = period // (_positive_int(feed.get("sy_updatefrequency")) or 1)
    if minutes is None or minutes < 1:
        return None
    return min(minutes, MAX_TTL_MINUTES)


def _positive_int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
