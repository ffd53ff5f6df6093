"""Signing in: the sidebar form for built-in accounts, OpenID Connect when configured, and
who is signed in.

The signed-in account lives in the browser session (``st.session_state["user"]``) and is
re-read from the database on every run, so a changed role or a disabled account shows at once.
Pages use it only to decide what to draw: every write checks the role again on the server side
(``tracker.permissions``).

OpenID Connect: when ``.streamlit/secrets.toml`` has an ``[auth]`` section (redirect URI,
cookie secret, client id and secret, metadata URL; or one sub-section per provider),
``st.login`` is offered. The provider proves who someone is; the tracker account with the same
email says what they may do. Those settings are read by Streamlit from the secrets file only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAuthError

from tracker.auth import UserView, authenticate, get_user, user_for_email
from tracker.errors import DatabaseBusy
from tracker.ui.db import session_scope, write_scope
from tracker.ui.text import md_escape

USER_KEY = "user"
WRITER_ROLES = ("contributor", "reviewer", "admin")
REVIEWER_ROLES = ("reviewer", "admin")
ADMIN_ROLES = ("admin",)
OIDC_PROBLEM = "oidc_problem"


def current_user() -> UserView | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, UserView) and not user.disabled else None


def current_user_id() -> int | None:
    user = current_user()
    return user.id if user is not None else None


def has_role(*roles: str) -> bool:
    user = current_user()
    return user is not None and user.role in roles


def refresh_user() -> None:
    """Re-read the signed-in account from the database; sign out one that is gone or
    disabled."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, UserView):
        st.session_state.pop(USER_KEY, None)
        return
    with session_scope() as session:
        fresh = get_user(session, user.id)
    if fresh is None or fresh.disabled:
        st.session_state.pop(USER_KEY, None)
    elif fresh != user:
        st.session_state[USER_KEY] = fresh


def oidc_providers() -> list[str | None]:
    """Providers configured in the secrets' ``[auth]`` section (None: the default one)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return []
        auth: Any = st.secrets.get("auth")
    except Exception:  # a malformed secrets file must not break reading the tracker
        return []
    if not isinstance(auth, Mapping):
        return []
    providers: list[str | None] = [
        name for name, value in auth.items() if isinstance(value, Mapping) and "client_id" in value
    ]
    if "client_id" in auth:
        providers.insert(0, None)
    return providers


def _oidc_signed_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in", False))
    except Exception:
        return False


def _oidc_login(provider: str | None) -> None:
    try:
        st.login(provider)
    except StreamlitAuthError as exc:  # e.g. Authlib not installed, or settings incomplete
        st.session_state[OIDC_PROBLEM] = f"Sign-in through the identity provider failed: {exc}"


def _sign_out() -> None:
    st.session_state.pop(USER_KEY, None)
    if _oidc_signed_in():
        st.logout()


def _match_oidc_user() -> None:
    """Someone signed in with the identity provider: find their account by email."""
    email = st.user.get("email")
    with session_scope() as session:
        user = user_for_email(session, str(email) if email else None)
    if user is not None:
        st.session_state[USER_KEY] = user
        return
    st.warning(
        f"Signed in as {md_escape(str(email or 'someone without an email'))}, but no enabled "
        "tracker account has this email. Ask an admin to add it on the Admin page."
    )
    st.button("Sign out", key="oidc_sign_out", on_click=st.logout)


def login_sidebar() -> None:
    """Show who is signed in with a sign-out button, or the ways to sign in."""
    refresh_user()
    with st.sidebar:
        providers = oidc_providers()
        if current_user() is None and providers and _oidc_signed_in():
            _match_oidc_user()
        user = current_user()
        if user is not None:
            st.markdown(f"Signed in as **{md_escape(user.username)}** ({md_escape(user.role)})")
            st.button("Sign out", key="sign_out", on_click=_sign_out)
            return
        with st.expander("Sign in to contribute or review"):
            for provider in providers:
                label = f"Sign in with {provider}" if provider else "Sign in with your organisation"
                st.button(
                    label,
                    key=f"oidc_{provider or 'default'}",
                    on_click=_oidc_login,
                    args=(provider,),
                )
            problem = st.session_state.pop(OIDC_PROBLEM, None)
            if problem:
                st.error(md_escape(problem))
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
    try:
        with write_scope() as session:  # a failed attempt is counted
            signed_in = authenticate(session, username, password)
    except DatabaseBusy:
        # Only a known user's attempt writes: saying "busy" would tell which usernames exist.
        signed_in = None
    if signed_in is None:
        # One message for every failure: it must not tell which usernames exist.
        st.error(
            "Unknown user, wrong password, or the account is locked or disabled. After a few "
            "failed attempts an account is locked for a while, longer after each failure."
        )
        return
    st.session_state[USER_KEY] = signed_in
    st.rerun()
