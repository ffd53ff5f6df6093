"""Feeds: the health of every polled feed."""

from __future__ import annotations

import streamlit as st

from tracker.feeds.health import list_feeds
from tracker.ui.db import session_scope
from tracker.ui.text import http_url, time_text

st.title("Feeds")

with session_scope() as session:
    feeds = list_feeds(session)

if not feeds:
    st.info("No feeds yet. Add one with `tracker feeds add URL`, then `tracker poll --once`.")
    st.stop()

failing = sum(f.status == "failing" for f in feeds)
st.caption(f"{len(feeds)} feeds, {failing} failing. Polling runs in its own process.")
st.dataframe(
    {
        "Feed": [f.title or "" for f in feeds],
        "URL": [http_url(f.url) for f in feeds],
        "Status": [f.status for f in feeds],
        "Items": [f.items for f in feeds],
        "Last success": [time_text(f.last_success_at) for f in feeds],
        "Errors": [f.error_count for f in feeds],
        "Last error": [f.last_error or "" for f in feeds],
        "Next poll": [time_text(f.next_poll_at) for f in feeds],
    },
    hide_index=True,
    column_config={"URL": st.column_config.LinkColumn()},
)
