"""A search box with its results, for any page: ``search_box("news_search", kinds=("news",))``.

Results come from :func:`tracker.search.search`. Titles and snippets are feed and user text:
they are shown as escaped Markdown, with the matched words in bold, and links only to http(s)
addresses — never as HTML.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from urllib.parse import quote

import streamlit as st

from tracker.search import KINDS, Highlighted, SearchHit, SearchPage, search
from tracker.ui.db import session_scope
from tracker.ui.text import date_text, http_url, md_escape

KIND_LABELS = {"news": "News item", "statement": "Statement"}
HELP = (
    'All the words must match. "a phrase" in quotes, pref* for words starting with pref, '
    "OR between alternatives, -word to leave a word out."
)


def highlighted_markdown(text: Highlighted) -> str:
    """Escaped Markdown of ``text`` with its matches in bold."""
    return "".join(
        f"**{md_escape(piece)}**" if matched and piece.strip() else md_escape(piece)
        for piece, matched in text.parts()
    )


def _linked(label_markdown: str, url: str | None) -> str:
    safe = http_url(url)
    if safe is None:
        return label_markdown
    target = quote(safe, safe=":/?#@!$&'*+,;=%~[]")
    return f"[{label_markdown}]({target})"


def hit_markdown(hit: SearchHit) -> tuple[str, str, str]:
    """(title line, caption line, snippet) of one hit, as safe Markdown."""
    title = _linked(highlighted_markdown(hit.title), hit.url)
    meta = [KIND_LABELS.get(hit.kind, hit.kind), date_text(hit.day, hit.precision)]
    if hit.actor_codes:
        meta.append(", ".join(md_escape(c) for c in hit.actor_codes))
    if hit.source:
        meta.append(md_escape(hit.source))
    if hit.topic_title:
        meta.append(md_escape(hit.topic_title))
    if hit.stance_label:
        meta.append(md_escape(hit.stance_label))
    if hit.status:
        meta.append(md_escape(hit.status))
    return title, " · ".join(meta), highlighted_markdown(hit.snippet)


def show_results(page: SearchPage) -> None:
    """The hits of a page, or a message when there are none."""
    for note in page.notes:
        st.caption(md_escape(note))
    if page.parsed.empty:
        return
    if not page.hits:
        st.info("No matches. Try fewer words, or a word ending with * for its variants.")
        return
    first = page.offset + 1
    st.caption(
        f"{first:,}–{page.offset + len(page.hits):,} of {page.total_text} matches for "
        f"{md_escape(page.parsed.describe())}"
    )
    for hit in page.hits:
        title, meta, snippet = hit_markdown(hit)
        with st.container(border=True):
            st.markdown(title)
            st.caption(meta)
            if snippet:
                st.markdown(snippet)


def search_box(
    key: str,
    kinds: Collection[str] = KINDS,
    *,
    actor_ids: Collection[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 10,
    order: str = "relevance",
    placeholder: str = "Search",
) -> SearchPage | None:
    """A text box and the first ``limit`` results; returns the page shown (None when empty).

    ``key`` keeps the widget's state apart from other search boxes on the same page.
    """
    query = st.text_input(
        "Search", key=f"{key}_query", placeholder=placeholder, help=HELP, max_chars=500
    )
    if not query or not query.strip():
        return None
    with session_scope() as session:
        page = search(
            session,
            query,
            kinds=kinds,
            actor_ids=actor_ids,
            start=start,
            end=end,
            limit=limit,
            order=order,
        )
    show_results(page)
    return page
