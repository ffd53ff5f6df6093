"""Admin: accounts and roles, and which database the app is using."""

from __future__ import annotations

import streamlit as st

from tracker.auth import (
    MIN_PASSWORD_LENGTH,
    UserDetail,
    create_user,
    list_user_details,
    update_user,
)
from tracker.migrate import current_revision, head_revision
from tracker.models import Role
from tracker.ui.db import get_engine, session_scope
from tracker.ui.forms import field_problem, problems_banner, text_value, write
from tracker.ui.login import ADMIN_ROLES, current_user, has_role, oidc_providers
from tracker.ui.text import md_escape, time_text

MESSAGE = "admin_message"
ADD_PROBLEMS = "admin_add_problems"
EDIT_PROBLEMS = "admin_edit_problems"
ROLES = [r.value for r in Role]


def _add() -> None:
    st.session_state.pop(ADD_PROBLEMS, None)
    admin = current_user()
    if admin is None:
        return
    username = text_value("admin_new_username") or ""
    password = st.session_state.get("admin_new_password") or None
    role = st.session_state.get("admin_new_role") or Role.CONTRIBUTOR.value
    email = text_value("admin_new_email")
    result = write(
        lambda s: create_user(s, username, password, role, email=email, user_id=admin.id)
    )
    if result.value is None:
        st.session_state[ADD_PROBLEMS] = result.problems or {"user": result.denied or ""}
        return
    st.session_state[MESSAGE] = f"User {result.value.username} added as {result.value.role}."
    for key in ("admin_new_username", "admin_new_password", "admin_new_email"):
        st.session_state[key] = ""


def _save(target: UserDetail) -> None:
    st.session_state.pop(EDIT_PROBLEMS, None)
    admin = current_user()
    if admin is None:
        return
    role = st.session_state.get("admin_edit_role")
    disabled = bool(st.session_state.get("admin_edit_disabled"))
    email = text_value("admin_edit_email") or ""
    password = st.session_state.get("admin_edit_password") or None
    result = write(
        lambda s: update_user(
            s,
            target.id,
            user_id=admin.id,
            role=role if role != target.role else None,
            disabled=disabled if disabled != target.disabled else None,
            email=email if email != (target.email or "") else None,
            password=password,
        )
    )
    if result.value is None:
        st.session_state[EDIT_PROBLEMS] = result.problems or {"user": result.denied or ""}
        return
    st.session_state[MESSAGE] = f"User {target.username} saved."
    st.session_state.pop("admin_edit_for", None)


def _load(target: UserDetail) -> None:
    st.session_state["admin_edit_for"] = target.id
    st.session_state["admin_edit_role"] = target.role
    st.session_state["admin_edit_disabled"] = target.disabled
    st.session_state["admin_edit_email"] = target.email or ""
    st.session_state["admin_edit_password"] = ""
    st.session_state.pop(EDIT_PROBLEMS, None)


st.title("Admin")

if not has_role(*ADMIN_ROLES):
    st.info("Sign in as an admin to see users and the database (in the sidebar).")
    st.stop()

message = st.session_state.pop(MESSAGE, None)
if message:
    st.success(md_escape(message))

with session_scope() as session:
    users = list_user_details(session)

st.subheader("Users", anchor=False)
if users:
    st.dataframe(
        {
            "User": [u.username for u in users],
            "Role": [u.role for u in users],
            "Email": [u.email or "" for u in users],
            "Password": ["yes" if u.has_password else "no (identity provider)" for u in users],
            "Disabled": [u.disabled for u in users],
            "Failed log-ins": [u.failed_logins for u in users],
            "Locked until": [time_text(u.locked_until) if u.locked_until else "" for u in users],
        },
        hide_index=True,
    )
else:
    st.info("No users yet.")
providers = oidc_providers()
st.caption(
    "Sign-in through the identity provider is configured: people are matched to these accounts "
    "by email."
    if providers
    else "Only built-in accounts: configure OpenID Connect in `.streamlit/secrets.toml` "
    "(`[auth]`) to offer sign-in through an identity provider."
)

by_id = {u.id: u for u in users}
st.markdown("**Change an account**")
chosen = st.selectbox(
    "Account",
    list(by_id),
    format_func=lambda i: f"{by_id[i].username} ({by_id[i].role})",
    index=None,
    key="admin_edit_choice",
    placeholder="Choose an account",
)
if chosen is not None:
    target = by_id[chosen]
    if st.session_state.get("admin_edit_for") != target.id:
        _load(target)
    problems: dict[str, str] = st.session_state.get(EDIT_PROBLEMS, {})
    problems_banner(problems, {"role", "disabled", "email", "password"})
    with st.form("admin_edit_form"):
        st.selectbox("Role", ROLES, key="admin_edit_role")
        field_problem(problems, "role")
        st.checkbox("Disabled (cannot sign in or change anything)", key="admin_edit_disabled")
        field_problem(problems, "disabled")
        st.text_input("Email (for sign-in through the identity provider)", key="admin_edit_email")
        field_problem(problems, "email")
        st.text_input(
            "New password (leave empty to keep it; also lifts a log-in lock)",
            type="password",
            key="admin_edit_password",
        )
        field_problem(problems, "password")
        st.form_submit_button("Save the account", on_click=_save, args=(target,))

st.markdown("**Add an account**")
add_problems: dict[str, str] = st.session_state.get(ADD_PROBLEMS, {})
problems_banner(add_problems, {"username", "role", "email", "password"})
with st.form("admin_add_form"):
    st.text_input("Username", key="admin_new_username")
    field_problem(add_problems, "username")
    st.selectbox("Role", ROLES, key="admin_new_role")
    field_problem(add_problems, "role")
    st.text_input("Email (optional)", key="admin_new_email")
    field_problem(add_problems, "email")
    st.text_input(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters; may stay empty when an email is "
        "given, for sign-in through the identity provider)",
        type="password",
        key="admin_new_password",
    )
    field_problem(add_problems, "password")
    st.form_submit_button("Add the account", on_click=_add)
st.caption("From a shell: `tracker users add NAME --role ROLE` (the password from a prompt).")

st.subheader("Database", anchor=False)
engine = get_engine()
st.markdown(
    f"- Engine: **{engine.dialect.name}**\n"
    f"- Schema revision: `{current_revision(engine)}` (this version expects `{head_revision()}`)"
)
