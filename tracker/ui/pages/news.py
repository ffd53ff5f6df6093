"""News: the inbox of polled items, newest first, tagged with the actors they mention."""

from __future__ import annotations

import streamlit as st

from tracker.actors import list_actors
from tracker.news import list_news
from tracker.timeline import excerpt
from tracker.ui.db import session_scope
from tracker.ui.text import md_escape, md_link, time_text

SUMMARY_CHARS = 400

st.title("News")

with session_scope() as session:
    actors = {a.id: a for a in list_actors(session, kinds=("country",))}
    actor_id = st.sidebar.selectbox(
        "Mentions",
        [None, *actors],
        format_func=lambda i: "Any country" if i is None else actors[i].name,
        key="news_actor",
    )
    items = list_news(session, limit=100, actor_id=actor_id)

if not items:
    st.info(
        "No news items yet. Add a feed with `tracker feeds add URL` (or on the Feeds page) "
        "and poll it with `tracker poll --once`."
    )
    st.stop()

st.caption(f"The {len(items)} newest items.")
for item in items:
    with st.container(border=True):
        st.markdown(f"**{md_link(item.title, item.url)}**")
        when = (
            f"published {time_text(item.published_at)}"
            if item.published_at is not None
            else f"fetched {time_text(item.fetched_at)} (no publication time)"
        )
        meta = [when, md_escape(item.feed_title) if item.feed_title else "from a file"]
        if item.actor_codes:
            meta.append("mentions " + ", ".join(md_escape(c) for c in item.actor_codes))
        st.caption(" · ".join(meta))
        if item.summary_text:
            st.markdown(md_escape(excerpt(item.summary_text, SUMMARY_CHARS)))
