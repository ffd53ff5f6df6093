"""Find the feed behind a web page's address, the way feed readers do.

Given a URL: fetch it with the poller's fetcher (so the same address policy applies: no
loopback or private addresses unless allowed, on every redirect too); if it is a feed, that is
the answer; if it is an HTML page, its ``<link rel="alternate">`` feeds are the candidates
(relative addresses resolved against the page); failing that, the usual paths at the site's
root (/feed, /rss…) are tried, in order, until one is a feed. Nothing is stored here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from tracker.feeds.fetch import FetchLimits, FetchResult, fetch_feed, make_client
from tracker.feeds.netsafety import AddressPolicy
from tracker.feeds.parse import ParsedFeed, parse_feed
from tracker.feeds.registry import check_feed_url, clean_title, url_problem

FEED_TYPES: Final = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
)
COMMON_PATHS: Final = ("/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml")
# Discovery runs while someone waits for the answer: bounded well below the poller's limits.
TOTAL_SECONDS: Final = 30.0
FETCH_SECONDS: Final = 10.0
MAX_PAGE_BYTES: Final = 5 * 1024 * 1024
MAX_CANDIDATES: Final = 20
# Feed links are in the head; a page's first million characters is plenty to find them.
MAX_HTML_CHARS: Final = 1_000_000

GIVEN: Final = "the address is a feed"
LINKED: Final = "linked from the page"
COMMON: Final = "found at a usual address"


@dataclass(frozen=True)
class FeedCandidate:
    url: str
    title: str | None
    how: str
    site_url: str | None = None


@dataclass(frozen=True)
class Discovery:
    """What was found at ``url``: feed candidates, best first, or a message saying why none."""

    url: str
    candidates: list[FeedCandidate] = field(default_factory=list)
    message: str | None = None

    @property
    def is_feed(self) -> bool:
        """The address given is itself a feed."""
        return len(self.candidates) == 1 and self.candidates[0].how == GIVEN


class _LinkFinder(HTMLParser):
    """Collects ``<link rel=alternate type=…feed…>``, ``<base href>`` and the page title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str | None]] = []
        self.base: str | None = None
        self.title_parts: list[str] = []
        self._in_title = False
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "body":
            self._in_body = True
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        elif tag == "title" and not self._in_body:
            self._in_title = True
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").split(";", 1)[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and kind in FEED_TYPES and href:
                self.links.append((href, values.get("title") or None))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)

    @property
    def title(self) -> str | None:
        return clean_title("".join(self.title_parts))


def feed_links(html: str, page_url: str) -> tuple[list[FeedCandidate], str | None]:
    """The feeds an HTML page links to (absolute, http(s), de-duplicated), and its title."""
    finder = _LinkFinder()
    try:
        finder.feed(html[:MAX_HTML_CHARS])
        finder.close()
    except (AssertionError, ValueError):  # html.parser gives up on some malformed markup
        pass
    base = urljoin(page_url, finder.base) if finder.base else page_url
    seen: set[str] = set()
    found: list[FeedCandidate] = []
    for href, title in finder.links:
        absolute = urljoin(base, href)
        if url_problem(absolute) is not None:
            continue
        stored = check_feed_url(absolute)
        if stored in seen:
            continue
        seen.add(stored)
        found.append(
            FeedCandidate(
                url=stored, title=clean_title(title) or finder.title, how=LINKED, site_url=page_url
            )
        )
        if len(found) >= MAX_CANDIDATES:
            break
    return found, finder.title


def discover(
    url: str,
    *,
    client: httpx.Client | None = None,
    policy: AddressPolicy | None = None,
    total_seconds: float = TOTAL_SECONDS,
) -> Discovery:
    """The feeds at or behind ``url``. Raises ``ValidationError`` for a URL that is not http(s).

    Network trouble is not raised: it is the ``message`` of a discovery with no candidates.
    """
    start_url = check_feed_url(url)
    policy = policy if policy is not None else AddressPolicy.from_env()
    own_client = client is None
    http = client if client is not None else make_client(max_connections=4)
    deadline = time.monotonic() + total_seconds
    try:
        return _discover(http, start_url, policy, deadline)
    finally:
        if own_client:
            http.close()


def _fetch(
    client: httpx.Client, url: str, policy: AddressPolicy, deadline: float
) -> FetchResult | None:
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    limits = FetchLimits(total_seconds=min(FETCH_SECONDS, left), max_bytes=MAX_PAGE_BYTES)
    return fetch_feed(client, url, policy=policy, limits=limits)


def _parsed(result: FetchResult) -> ParsedFeed | None:
    if result.error_kind is not None or result.status != 200 or result.body is None:
        return None
    return parse_feed(result.body, url=result.final_url, content_type=result.content_type)


def _discover(client: httpx.Client, url: str, policy: AddressPolicy, deadline: float) -> Discovery:
    first = _fetch(client, url, policy, deadline)
    assert first is not None  # the deadline has only just been set
    if first.error_kind not in (None, "http"):
        # Refused address, no such host, timeout, too large, redirect loop: other paths on
        # the same site would fare no better.
        return Discovery(url, message=f"Could not fetch {url}: {first.error}")

    parsed = _parsed(first)
    notes: list[str] = []
    if parsed is not None and parsed.error is None:
        # The address is a feed; a redirect's permanent target is where it lives now.
        feed_url = _stored(first.permanent_redirect) or url
        return Discovery(
            url, [FeedCandidate(feed_url, parsed.title, GIVEN, site_url=parsed.site_url)]
        )
    if parsed is not None and not parsed.looks_like_html_page:
        notes.append(f"{url} is not a usable feed ({parsed.error})")
    elif first.status != 200:
        notes.append(f"{url} answered {first.error or first.status}")

    if parsed is not None and parsed.looks_like_html_page and first.body is not None:
        html = first.body.decode(_charset(first.content_type), errors="replace")
        links, _title = feed_links(html, first.final_url)
        if links:
            return Discovery(url, links)
        notes.append("the page links to no RSS or Atom feed")

    found = _try_common_paths(client, first.final_url, policy, deadline)
    if found is not None:
        return Discovery(url, [found])
    tried = ", ".join(COMMON_PATHS)
    if time.monotonic() >= deadline:
        notes.append(f"discovery ran out of time after {TOTAL_SECONDS:g} s")
    else:
        notes.append(f"none of the usual addresses ({tried}) is a feed")
    return Discovery(url, message="No feed found: " + "; ".join(notes) + ".")


def _try_common_paths(
    client: httpx.Client, page_url: str, policy: AddressPolicy, deadline: float
) -> FeedCandidate | None:
    parts = urlsplit(page_url)
    root = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    for path in _paths(parts.path):
        candidate = urljoin(root, path)
        result = _fetch(client, candidate, policy, deadline)
        if result is None:
            return None
        if result.error_kind in ("unsafe_address", "network", "timeout"):
            return None  # the same host will not do better on the next path
        parsed = _parsed(result)
        if parsed is not None and parsed.error is None:
            url = _stored(result.permanent_redirect) or check_feed_url(candidate)
            return FeedCandidate(url, parsed.title, COMMON, site_url=parsed.site_url or root)
    return None


def _paths(page_path: str) -> Sequence[str]:
    """The usual feed paths at the root, then under the page's own folder when it has one."""
    paths = list(COMMON_PATHS)
    folder = page_path.rsplit("/", 1)[0].strip("/")
    if folder:
        paths += [f"/{folder}{p}" for p in COMMON_PATHS[:3]]
    return paths


def _stored(url: str | None) -> str | None:
    if url is None or url_problem(url) is not None:
        return None
    return check_feed_url(url)


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            candidate = value.strip().strip("\"'")
            try:
                "".encode(candidate)
            except LookupError:
                break
            return candidate
    return "utf-8"
