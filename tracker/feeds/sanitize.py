"""Make feed HTML safe to show, and reduce it to plain text for titles, hashing and tagging.

Feed content is written by strangers and shown to our users, so it goes through nh3 (the
Rust ``ammonia`` sanitiser) with a short allow-list rather than a deny-list.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from typing import Final
from urllib.parse import urljoin

import nh3

ALLOWED_TAGS: Final = frozenset(
    {
        "p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li",
        "blockquote", "q", "cite", "code", "pre", "h2", "h3", "h4",
    }
)  # fmt: skip
# Removed with everything inside them: their text is code or chrome, never the story.
DROPPED_WITH_CONTENT: Final = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "object", "embed",
        "svg", "math", "textarea", "select", "button", "form", "head", "title",
    }
)  # fmt: skip
ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
LINK_REL: Final = "noopener noreferrer nofollow"

_URL_ATTRIBUTES: Final = frozenset({"href", "cite"})
_ABSOLUTE_HTTP = re.compile(r"\Ahttps?://[^\s/]", re.IGNORECASE)


def _http_urls_against(base: str | None) -> Callable[[str, str, str], str | None]:
    """The attribute filter: links become absolute http(s) URLs (resolved against ``base``,
    the address the fragment came from) or go."""

    def keep(_tag: str, attribute: str, value: str) -> str | None:
        # nh3 checks the scheme of href but not of cite, so both are checked here.
        if attribute not in _URL_ATTRIBUTES or _ABSOLUTE_HTTP.match(value.strip()):
            return value
        if base is None:
            # A relative link would resolve against the tracker's own address.
            return None
        try:
            url = urljoin(base, value.strip())
        except ValueError:
            return None
        return url if _ABSOLUTE_HTTP.match(url) else None

    return keep


@functools.lru_cache(maxsize=256)
def _safe_cleaner(base: str | None) -> nh3.Cleaner:
    # One per feed address, built in microseconds and kept for the next poll of that feed.
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={"a": {"href", "title"}, "blockquote": {"cite"}, "q": {"cite"}},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=LINK_REL,
        # The filter has already made every kept link absolute, or dropped it.
        url_relative="pass_through",
        attribute_filter=_http_urls_against(base),
        strip_comments=True,
    )


_TEXT_ONLY = nh3.Cleaner(
    tags=set(),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={},
    link_rel=None,
    strip_comments=True,
)

# Block boundaries become spaces in plain text, or "<p>a</p><p>b</p>" would read "ab".
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|br|hr|li|ul|ol|dd|dt|dl|h[1-6]|blockquote|pre|tr|td|th|table|section"
    r"|article|header|footer|figure|figcaption|aside|nav)\b)",
    re.IGNORECASE,
)
_WHITESPACE = re.compile(r"\s+")
# C0 controls other than tab and line breaks, and DEL: not text in any feed (XML 1.0 forbids
# them), and PostgreSQL refuses NUL in a text column, which would lose the whole feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitize_html(fragment: str, base: str | None = None) -> str:
    """The fragment with only harmless markup left and outbound links marked nofollow.

    Relative links are resolved against ``base`` (an absolute http(s) URL: where the fragment
    was published) and dropped without one.
    """
    return _safe_cleaner(base).clean(strip_controls(fragment)).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded, whitespace collapsed."""
    spaced = _BLOCK_TAG.sub(" <", fragment)
    return collapse_whitespace(html.unescape(_TEXT_ONLY.clean(spaced)))


def text_to_html(text: str) -> str:
    """Plain text shown as HTML: escaped, never interpreted; blank lines start paragraphs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(collapse_whitespace(p), quote=False)}</p>" for p in paragraphs)


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", strip_controls(text)).strip()


def strip_controls(text: str) -> str:
    """The text without control characters (tab and line breaks stay)."""
    return _CONTROL.sub("", text)
