"""Topics: each question positions are taken on, with its stance scale."""

from __future__ import annotations

import streamlit as st

from tracker.topics import list_topics
from tracker.ui.db import session_scope
from tracker.ui.text import md_escape

st.title("Topics")

with session_scope() as session:
    topics = list_topics(session)

if not topics:
    st.info("No topics yet. Load the demo data with `tracker demo load`.")
    st.stop()

for topic in topics:
    st.subheader(md_escape(topic.title))
    st.markdown(f"**Proposition:** {md_escape(topic.proposition)}")
    if topic.description:
        st.markdown(md_escape(topic.description))
    st.table(
        {
            "Value": [f"{lv.value:+d}" for lv in topic.levels],
            "Label": [md_escape(lv.label) for lv in topic.levels],
            "Coding rule": [md_escape(lv.rule) for lv in topic.levels],
        },
        hide_index=True,
    )
