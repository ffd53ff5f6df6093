"""Timeline: how each country's stated position on a topic moved, next to what happened.

The sidebar filters and the view live in the URL (see ``tracker/ui/timeline_filters.py``), so a
copied link reopens the same view; the selected statement's card opens beside the chart.
"""

from __future__ import annotations

import streamlit as st

from tracker.statements import get_statement
from tracker.ui.db import get_engine, session_scope
from tracker.ui.text import md_escape
from tracker.ui.timeline_filters import (
    selected_statement_id,
    sync_url,
    timeline_sidebar,
    view_selector,
)
from tracker.ui.timeline_views import (
    CARD_OPEN_SHARE,
    VIEW_FUNCTIONS,
    card_column,
    downloads,
    view_link,
)

with session_scope() as session:
    wanted_id = selected_statement_id()
    selected = get_statement(session, wanted_id) if wanted_id is not None else None
    choice = timeline_sidebar(
        session, statement_topic_id=selected.topic_id if selected is not None else None
    )
    if choice is None:
        st.info("No topics yet. Load the demo data with `tracker demo load`, or add a topic.")
        st.stop()

    st.header(md_escape(choice.topic.title), anchor=False)
    st.markdown(f"Proposition: *{md_escape(choice.topic.proposition)}*")
    choice = view_selector(choice)
    sync_url(choice.params)
    if not choice.filter.statuses:
        st.warning("Choose at least one status in the sidebar.")

    # The chart has the whole width until a statement is chosen; its card then opens beside it.
    view = VIEW_FUNCTIONS[choice.params.view]
    if wanted_id is None:
        drawn = view(session, choice, 1.0)
    else:
        main, side = st.columns([CARD_OPEN_SHARE, 1 - CARD_OPEN_SHARE], gap="medium")
        with main:
            drawn = view(session, choice, CARD_OPEN_SHARE)
        with side:
            card_column(session, choice, selected, wanted_id, drawn)

downloads(get_engine(), choice, drawn, view_link(choice, wanted_id))
