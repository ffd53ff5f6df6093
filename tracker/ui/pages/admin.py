"""Admin: users and roles, and which database the app is using."""

from __future__ import annotations

import streamlit as st

from tracker.auth import list_users
from tracker.migrate import current_revision, head_revision
from tracker.ui.db import get_engine, session_scope
from tracker.ui.login import ADMIN_ROLES, has_role

st.title("Admin")

if not has_role(*ADMIN_ROLES):
    st.info("Sign in as an admin to see users and the database (in the sidebar).")
    st.stop()

with session_scope() as session:
    users = list_users(session)

st.subheader("Users")
if users:
    st.dataframe(
        {
            "User": [u.username for u in users],
            "Role": [u.role for u in users],
            "Disabled": [u.disabled for u in users],
        },
        hide_index=True,
    )
else:
    st.info("No users yet.")
st.caption("Add users with `tracker users add NAME --role ROLE`.")

st.subheader("Database")
engine = get_engine()
st.markdown(
    f"- Engine: **{engine.dialect.name}**\n"
    f"- Schema revision: `{current_revision(engine)}` (this version expects `{head_revision()}`)"
)
