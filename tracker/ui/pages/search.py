"""Search: news items and statements, best matches first, with filters and pages of results.

The query is in the URL (``?q=…``), so a search can be shared as a link.
"""

from __future__ import annotations

import streamlit as st

from tracker.actors import list_actors
from tracker.search import KINDS, search
from tracker.ui.db import session_scope
from tracker.ui.search_box import HELP, KIND_LABELS, show_results

PAGE_SIZE = 20
OFFSET = "search_offset"

st.title("Search")

if "search_query" not in st.session_state:
    st.session_state["search_query"] = st.query_params.get("q", "")


def _new_query() -> None:
    st.session_state[OFFSET] = 0
    query = st.session_state.get("search_query", "")
    if query:
        st.query_params["q"] = query
    elif "q" in st.query_params:
        del st.query_params["q"]


query = st.text_input(
    "Search news items and statements",
    key="search_query",
    help=HELP,
    max_chars=500,
    on_change=_new_query,
    placeholder='e.g. "joint exercises" Pakistan',
)

with session_scope() as session:
    actors = {a.id: a for a in list_actors(session)}
    with st.sidebar:
        st.subheader("Filters")
        kinds = st.multiselect(
            "Show",
            list(KINDS),
            default=list(KINDS),
            format_func=lambda k: KIND_LABELS[k] + "s",
            key="search_kinds",
            on_change=_new_query,
        )
        chosen = st.multiselect(
            "Countries and blocs",
            list(actors),
            format_func=lambda i: actors[i].name,
            key="search_actors",
            on_change=_new_query,
            help="News items that mention them; statements they made.",
        )
        start = st.date_input("From", value=None, key="search_from", on_change=_new_query)
        end = st.date_input("To", value=None, key="search_to", on_change=_new_query)
        newest = st.toggle("Newest first", key="search_newest", on_change=_new_query)

    if not query.strip():
        st.caption(HELP)
        st.stop()

    offset = int(st.session_state.get(OFFSET, 0))
    page = search(
        session,
        query,
        kinds=kinds,
        actor_ids=chosen or None,
        start=start if not isinstance(start, tuple) else None,
        end=end if not isinstance(end, tuple) else None,
        limit=PAGE_SIZE,
        offset=offset,
        order="newest" if newest else "relevance",
    )

show_results(page)

previous, _, following = st.columns([1, 4, 1])
if page.offset > 0 and previous.button("← Previous", key="search_previous"):
    st.session_state[OFFSET] = max(0, page.offset - PAGE_SIZE)
    st.rerun()
if page.has_more and following.button("Next →", key="search_next"):
    st.session_state[OFFSET] = page.offset + PAGE_SIZE
    st.rerun()
