"""Make feed HTML safe to show, and reduce it to plain text for titles, hashing and tagging.

Feed content is written by strangers and shown to our users, so it goes through nh3 (the
Rust ``ammonia`` sanitiser) with a short allow-list rather than a deny-list.
"""

from __future__ import annotations

import html
import re
from typing import Final

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


def _only_http_urls(_tag: str, attribute: str, value: str) -> str | None:
    # nh3 checks the scheme of href but not of cite, so both are checked here.
    if attribute in _URL_ATTRIBUTES and not _ABSOLUTE_HTTP.match(value.strip()):
        return None
    return value


_SAFE = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={"a": {"href", "title"}, "blockquote": {"cite"}, "q": {"cite"}},
    url_schemes=set(ALLOWED_SCHEMES),
    link_rel=LINK_REL,
    # A relative link would resolve against the tracker's own address, which is never meant.
    url_relative="deny",
    attribute_filter=_only_http_urls,
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


def sanitize_html(fragment: str) -> str:
    """The fragment with only harmless markup left and outbound links marked nofollow."""
    return _SAFE.clean(fragment).strip()


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded, whitespace collapsed."""
    spaced = _BLOCK_TAG.sub(" <", fragment)
    return collapse_whitespace(html.unescape(_TEXT_ONLY.clean(spaced)))


def text_to_html(text: str) -> str:
    """Plain text shown as HTML: escaped, never interpreted; blank lines start paragraphs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(collapse_whitespace(p), quote=False)}</p>" for p in paragraphs)


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()
