"""Showing user-typed text safely: Markdown escaped, links only to http(s) addresses.

Plain Python, no Streamlit, so the rules can be tested on their own.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote

from tracker.validation import check_http_url

# Everything CommonMark lets a backslash escape, plus what Streamlit's Markdown adds:
# ``$`` (LaTeX), ``:`` (emoji shortcodes, :color[...] directives), ``~`` (strikethrough) and
# ``/`` (Streamlit turns ``:material/`` into ``:material_`` in the source, before escapes count).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-./!|<>$:~&=^\"'])")
# Streamlit also rewrites some sequences in the text after escapes are undone: ``:streamlit:``
# becomes its logo, ``:material_x:`` an icon, ``--``/``->``/``<-``/``>=``/``<=``/``~=``
# typographic signs. An invisible WORD JOINER inside each keeps what was typed.
_STREAMLIT_REWRITES = re.compile(
    r"(?<=:)(?=(?:streamlit|material_\w+):)|(?<=-)(?=[->])|(?<=<)(?=[-=])|(?<=[>~])(?==)"
)
WORD_JOINER = "\u2060"

_PRECISION_FORMATS = {"day": "%d %b %Y", "month": "%B %Y", "year": "%Y"}


def md_escape(text: str | None) -> str:
    """``text`` as literal Markdown: no emphasis, links, HTML, maths or directives."""
    if not text:
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _STREAMLIT_REWRITES.sub(WORD_JOINER, text))


def md_quote(text: str) -> str:
    """A Markdown block quote of ``text``, every line escaped."""
    return "\n".join("> " + md_escape(line) if line.strip() else ">" for line in text.splitlines())


def http_url(url: str | None) -> str | None:
    """``url`` if it is a well-formed http(s) address, else None: only these become links."""
    if url is None or check_http_url(url, required=True) is not None:
        return None
    return url.strip()


def md_link(label: str, url: str | None) -> str:
    """A Markdown link when ``url`` is http(s), else the escaped label alone."""
    safe = http_url(url)
    if safe is None:
        return md_escape(label)
    # Percent-encode what would end the link target early; keep the URL otherwise intact.
    target = quote(safe, safe=":/?#@!$&'*+,;=%~[]")
    return f"[{md_escape(label)}]({target})"


def date_text(day: date, precision: str = "day") -> str:
    """A date as precisely as it is known: ``1 Jun 2025``, ``June 2025`` or ``2025``."""
    text = day.strftime(_PRECISION_FORMATS.get(precision, "%d %b %Y"))
    return text.lstrip("0")


def time_text(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "—"
