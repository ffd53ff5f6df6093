"""Add statement: for signed-in contributors. For now, what the form will ask and the scales."""

from __future__ import annotations

import streamlit as st

from tracker.topics import list_topics
from tracker.ui.db import session_scope
from tracker.ui.login import WRITER_ROLES, has_role
from tracker.ui.text import md_escape

st.title("Add statement")

if not has_role(*WRITER_ROLES):
    st.info("Sign in as a contributor, reviewer or admin to add statements (in the sidebar).")
    st.stop()

st.markdown(
    "The form to file a statement comes in the next version. It will ask for:\n"
    "- the **topic** and the **country** (or bloc) whose position it is;\n"
    "- the **speaker** and the role they held then;\n"
    "- the **date** said, and whether it is known to the day, month or year;\n"
    "- the **quote** in the original language (with a translation), or a one-line summary;\n"
    "- the **stance**, on the topic's scale below, and the channel (speech, interview…);\n"
    "- at least one **source**: an http(s) link, or a full citation for offline documents.\n\n"
    "New statements wait as *pending* until a reviewer verifies them."
)

with session_scope() as session:
    topics = list_topics(session)

st.subheader("Stance scales")
if not topics:
    st.info("No topics yet: an admin adds them on the Topics page.")
for topic in topics:
    with st.expander(topic.title, expanded=len(topics) == 1):
        st.markdown(f"*{md_escape(topic.proposition)}*")
        st.table(
            {
                "Stance": [f"{lv.value:+d}" for lv in topic.levels],
                "Label": [md_escape(lv.label) for lv in topic.levels],
                "When to use it": [md_escape(lv.rule) for lv in topic.levels],
            },
            hide_index=True,
        )
