"""The Streamlit entry point: a router over the pages in ``tracker/ui/pages/``.

Run with ``streamlit run app.py``. Pages hold no logic of their own beyond drawing; the sign-in
form lives in ``tracker/ui/login.py``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from tracker.ui.db import get_engine
from tracker.ui.login import login_sidebar
from tracker.ui.server_sockets import disable_nagle_once

PAGES_DIR = Path(__file__).resolve().parent / "tracker" / "ui" / "pages"

disable_nagle_once()  # Streamlit leaves Nagle on: 40 ms per kept-alive request
# The app's own icon: without one, Streamlit makes the current page's Material icon the
# favicon and has every browser fetch it from fonts.gstatic.com. An emoji is drawn inline.
st.set_page_config(page_title="Tracker", page_icon="📈", layout="wide")

page = st.navigation(
    [
        st.Page(
            PAGES_DIR / "timeline.py", title="Timeline", icon=":material/timeline:", default=True
        ),
        st.Page(PAGES_DIR / "news.py", title="News", icon=":material/newspaper:"),
        st.Page(PAGES_DIR / "search.py", title="Search", icon=":material/search:"),
        st.Page(
            PAGES_DIR / "add_statement.py", title="Add statement", icon=":material/add_comment:"
        ),
        st.Page(PAGES_DIR / "add_event.py", title="Add event", icon=":material/event:"),
        st.Page(PAGES_DIR / "review.py", title="Review", icon=":material/fact_check:"),
        st.Page(PAGES_DIR / "feeds.py", title="Feeds", icon=":material/rss_feed:"),
        st.Page(PAGES_DIR / "topics.py", title="Topics", icon=":material/category:"),
        st.Page(PAGES_DIR / "admin.py", title="Admin", icon=":material/admin_panel_settings:"),
        # Permalinks, opened from links (statement?id=N, event?id=N), not from the menu.
        st.Page(
            PAGES_DIR / "statement.py", title="Statement", url_path="statement", visibility="hidden"
        ),
        st.Page(PAGES_DIR / "event.py", title="Event", url_path="event", visibility="hidden"),
    ]
)
get_engine()  # stops here, with the command to run, if the database is not usable
login_sidebar()
page.run()
