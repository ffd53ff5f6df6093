"""The sidebar sign-in form, and who is signed in."""

from __future__ import annotations

import streamlit as st

from tracker.auth import UserView, authenticate
from tracker.ui.db import session_scope
from tracker.ui.text import md_escape

USER_KEY = "user"
WRITER_ROLES = ("contributor", "reviewer", "admin")
REVIEWER_ROLES = ("reviewer", "admin")
ADMIN_ROLES = ("admin",)


def current_user() -> UserView | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, UserView) and not user.disabled else None


def has_role(*roles: str) -> bool:
    user = current_user()
    return user is not None and user.role in roles


def _sign_out() -> None:
    st.session_state.pop(USER_KEY, None)


def login_sidebar() -> None:
    """Show who is signed in with a sign-out button, or the sign-in form."""
    with st.sidebar:
        user = current_user()
        if user is not None:
            st.markdown(f"Signed in as **{md_escape(user.username)}** ({md_escape(user.role)})")
            st.button("Sign out", key="sign_out", on_click=_sign_out)
            return
        with st.expander("Sign in to contribute or review"):
            with st.form("sign_in", clear_on_submit=True, border=False):
                username = st.text_input("Username", key="sign_in_username")
                password = st.text_input("Password", type="password", key="sign_in_password")
                submitted = st.form_submit_button("Sign in")
            if submitted:
                _sign_in(username, password)
            st.caption("Reading needs no account.")


def _sign_in(username: str, password: str) -> None:
    if not username.strip() or not password:
        st.error("Enter a username and a password.")
        return
    with session_scope() as session:
        signed_in = authenticate(session, username, password)
    if signed_in is None:
        st.error("Unknown user, wrong password, or the account is locked or disabled.")
        return
    st.session_state[USER_KEY] = signed_in
    st.rerun()
