"""News: the contributor's inbox of polled items, newest first, ready to become statements.

Everything an item shows comes from a feed written by strangers, so it is shown as escaped
text; the only link is to the original, and only when it is an http(s) address.
"""

from __future__ import annotations

import streamlit as st

from tracker.news_inbox import (
    InboxFilters,
    InboxItem,
    inbox_feeds,
    list_inbox,
    mentioned_countries,
)
from tracker.timeline import excerpt
from tracker.ui.db import session_scope
from tracker.ui.login import WRITER_ROLES, has_role
from tracker.ui.text import http_url, md_escape, md_link, time_text

SUMMARY_CHARS = 400
PAGE_SIZE = 25
ADD_STATEMENT_PAGE = "tracker/ui/pages/add_statement.py"

st.title("News")

with session_scope() as session:
    countries = {c.id: c for c in mentioned_countries(session)}
    feeds = {f.id: f for f in inbox_feeds(session)}

with st.sidebar:
    st.subheader("Filter the news")
    country_ids = st.multiselect(
        "Mentions",
        list(countries),
        format_func=lambda i: countries[i].name,
        key="news_countries",
        placeholder="Any country",
    )
    all_countries = len(country_ids) > 1 and st.checkbox(
        "Mentions all of them", key="news_all_countries"
    )
    feed_ids = st.multiselect(
        "From feeds",
        list(feeds),
        format_func=lambda i: f"{feeds[i].name} ({feeds[i].items})",
        key="news_feeds",
        placeholder="Any feed",
    )
    since = st.date_input("From", value=None, key="news_since", format="YYYY-MM-DD")
    until = st.date_input("Until", value=None, key="news_until", format="YYYY-MM-DD")
    words = st.text_input(
        "Words", key="news_words", help='Items with every word, or "an exact phrase".'
    )
    unused_only = st.checkbox("Only items not yet used by a statement", key="news_unused")

filters = InboxFilters(
    actor_ids=tuple(country_ids),
    all_actors=bool(all_countries),
    feed_ids=tuple(feed_ids),
    since=since if not isinstance(since, tuple) else None,
    until=until if not isinstance(until, tuple) else None,
    words=words,
    unused_only=unused_only,
)
if filters.since and filters.until and filters.since > filters.until:
    st.warning("The start date is after the end date, so nothing can match.")

page_number = int(st.session_state.get("news_page", 1))
with session_scope() as session:
    inbox = list_inbox(session, filters, page=page_number, page_size=PAGE_SIZE)

filtered = filters != InboxFilters()
if not inbox.items:
    if filtered:
        st.info("No news item matches these filters.")
    else:
        st.info(
            "No news items yet. Add a feed on the Feeds page (or with `tracker feeds add URL`) "
            "and poll it with `tracker poll --once`."
        )
    st.stop()

can_write = has_role(*WRITER_ROLES)
first = (inbox.page - 1) * inbox.page_size + 1
last = first + len(inbox.items) - 1
st.caption(
    f"Items {first}–{last} of {inbox.total}, newest first"
    + (" (filtered)" if filtered else "")
    + ". Times are when the feed says the item was published, else when it was fetched."
)
if not can_write:
    st.caption("Sign in as a contributor to turn an item into a statement.")


def _when(item: InboxItem) -> str:
    if item.published_at is not None:
        return f"published {time_text(item.published_at)}"
    return f"fetched {time_text(item.fetched_at)} (no publication time)"


for item in inbox.items:
    with st.container(border=True, key=f"news_item_{item.id}"):
        st.markdown(f"**{md_escape(item.title)}**")
        meta = [
            md_escape(item.feed_title) if item.feed_title else "from a file",
            _when(item),
        ]
        if item.other_feeds:
            meta.append(f"also in {item.other_feeds} other feed(s)")
        st.caption(" · ".join(meta))
        if item.actors:
            st.caption("Mentions " + ", ".join(md_escape(a.name) for a in item.actors))
        if item.is_used:
            numbers = ", ".join(f"#{s}" for s in item.used_by)
            st.markdown(f":green-badge[:material/check: Used by statement {numbers}]")
        if item.summary_text:
            st.markdown(md_escape(excerpt(item.summary_text, SUMMARY_CHARS)))
        left, right = st.columns([1, 1])
        with left:
            if http_url(item.url) is not None:
                st.markdown(md_link("Read the original", item.url))
            else:
                st.caption("No web address for the original.")
        if can_write:
            with right:
                st.page_link(
                    ADD_STATEMENT_PAGE,
                    label="Make a statement",
                    icon=":material/add_comment:",
                    query_params={"news": str(item.id)},
                )

if inbox.pages > 1:
    # The page shown, which may be fewer than asked for once the filters narrow the list.
    st.session_state["news_page"] = inbox.page
    st.number_input(
        f"Page (of {inbox.pages})", min_value=1, max_value=inbox.pages, step=1, key="news_page"
    )
