"""Review: the queue of pending statements, oldest first."""

from __future__ import annotations

import streamlit as st

from tracker.statements import list_statements
from tracker.timeline import excerpt
from tracker.ui.db import session_scope
from tracker.ui.login import REVIEWER_ROLES, has_role
from tracker.ui.text import date_text

st.title("Review")

with session_scope() as session:
    pending = list_statements(session, statuses=("pending",), oldest_first=True)

if has_role(*REVIEWER_ROLES):
    st.caption("Verifying and rejecting from this page comes in the next version.")
else:
    st.caption("Anyone can see the queue; reviewers sign in to verify or reject.")

if not pending:
    st.success("Nothing waits for review.")
    st.stop()

st.markdown(f"**{len(pending)}** statements wait for review, oldest first.")
st.dataframe(
    {
        "#": [s.id for s in pending],
        "Filed": [s.created_at.strftime("%Y-%m-%d %H:%M") for s in pending],
        "Topic": [s.topic_title for s in pending],
        "Country": [s.actor_name for s in pending],
        "Said": [date_text(s.said_on, s.date_precision) for s in pending],
        "Stance": [s.stance_label for s in pending],
        "Text": [excerpt(s.quote or s.summary) for s in pending],
        "Sources": [len(s.sources) for s in pending],
        "Filed by": [s.contributor or "" for s in pending],
    },
    hide_index=True,
    column_config={"Text": st.column_config.TextColumn(width="large")},
)
