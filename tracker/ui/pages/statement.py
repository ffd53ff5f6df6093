"""One statement at its permalink (``statement?id=N``): its card, a change waiting for review,
the actions the signed-in user may take, and its full history with the differences between
versions. Every action is checked again by the domain function it calls."""

from __future__ import annotations

import streamlit as st

from tracker.auth import UserView
from tracker.review import EditView, list_edits, review_edit, review_statement, withdraw_edit
from tracker.revisions import HistoryEntry, history_with_changes
from tracker.statements import (
    StatementActions,
    StatementView,
    delete_statement,
    get_statement,
    restore_statement,
    retract_statement,
    statement_actions,
    supersede_statement,
)
from tracker.topics import get_topic
from tracker.ui.cards import statement_card
from tracker.ui.db import session_scope
from tracker.ui.forms import (
    ADD_STATEMENT_PAGE,
    STATEMENT_PAGE,
    link_buttons,
    param_int,
    show_refusal,
    text_value,
    write,
)
from tracker.ui.history import restore_version_form, show_changes, show_history
from tracker.ui.login import current_user
from tracker.ui.text import md_escape, time_text

MESSAGE = "statement_page_message"


def _done(message: str) -> None:
    st.session_state[MESSAGE] = message


def review_form(statement_id: int, user_id: int, key: str) -> None:
    """Verify or reject a pending statement, with a note (required to reject)."""
    with st.form(f"{key}_form", border=False):
        st.text_area(
            "Review note",
            key=f"{key}_note",
            placeholder="What you checked, or why it is rejected (required to reject)",
            height=68,
        )
        left, right = st.columns(2)
        verify = left.form_submit_button("Verify", type="primary", icon=":material/verified:")
        reject = right.form_submit_button("Reject", icon=":material/block:")
    if verify or reject:
        note = text_value(f"{key}_note")
        result = write(
            lambda s: review_statement(
                s,
                statement_id,
                user_id=user_id,
                verdict="verified" if verify else "rejected",
                note=note,
            )
        )
        if result.value is not None:
            _done(f"Statement #{statement_id} {result.value.status}.")
            st.rerun()
        show_refusal(result)


def edit_review_form(edit: EditView, user_id: int, key: str) -> None:
    """Accept or reject a proposed change, with a note (required to reject)."""
    with st.form(f"{key}_form", border=False):
        st.text_area("Review note", key=f"{key}_note", placeholder="Required to reject", height=68)
        left, right = st.columns(2)
        accept = left.form_submit_button("Accept the change", type="primary")
        reject = right.form_submit_button("Reject the change")
    if accept or reject:
        note = text_value(f"{key}_note")
        result = write(lambda s: review_edit(s, edit.id, user_id=user_id, accept=accept, note=note))
        if result.value is not None:
            _done("Change accepted." if accept else "Change rejected.")
            st.rerun()
        show_refusal(result)


def show_edit(edit: EditView) -> None:
    who = md_escape(edit.proposed_by) if edit.proposed_by else "someone"
    st.markdown(f"Proposed by **{who}** on {time_text(edit.proposed_at)}")
    if edit.reason:
        st.markdown(f"*Why:* {md_escape(edit.reason)}")
    show_changes(edit.changes)
    link_buttons(edit.sources, key=f"edit{edit.id}_src")


def pending_edit_box(edit: EditView, user: UserView | None) -> None:
    with st.container(border=True):
        st.markdown(f"#### A proposed change waits for review (change \\#{edit.id})")
        st.caption("The statement above stays as verified until a reviewer accepts it.")
        show_edit(edit)
        if user is None:
            return
        if user.role in ("reviewer", "admin") and edit.proposed_by_id != user.id:
            edit_review_form(edit, user.id, f"edit{edit.id}")
        can_withdraw = edit.proposed_by_id == user.id or user.role == "admin"
        if can_withdraw and st.button("Withdraw this change", key=f"withdraw{edit.id}"):
            result = write(lambda s: withdraw_edit(s, edit.id, user_id=user.id))
            if result.value is not None:
                _done("Change withdrawn.")
                st.rerun()
            show_refusal(result)


def retract_form(statement_id: int, user_id: int) -> None:
    with st.form("retract_form", border=False):
        st.text_area("Why", key="retract_note", height=68)
        st.number_input(
            "Successor statement # (optional)",
            min_value=1,
            step=1,
            value=None,
            key="retract_successor",
        )
        submitted = st.form_submit_button("Retract")
    if not submitted:
        return
    note = text_value("retract_note") or ""
    successor = st.session_state.get("retract_successor")
    result = write(
        lambda s: retract_statement(
            s,
            statement_id,
            user_id=user_id,
            note=note,
            successor_id=int(successor) if successor else None,
        )
    )
    if result.value is not None:
        _done("Statement retracted.")
        st.rerun()
    show_refusal(result)


def supersede_form(statement_id: int, user_id: int) -> None:
    with st.form("supersede_form", border=False):
        st.number_input(
            "Successor statement #", min_value=1, step=1, value=None, key="supersede_successor"
        )
        st.text_input("Note (optional)", key="supersede_note")
        submitted = st.form_submit_button("Mark superseded")
    if not submitted:
        return
    successor = st.session_state.get("supersede_successor")
    note = text_value("supersede_note")
    result = write(
        lambda s: supersede_statement(
            s, statement_id, int(successor or 0), user_id=user_id, note=note
        )
    )
    if result.value is not None:
        _done("Statement marked superseded.")
        st.rerun()
    show_refusal(result)


def delete_form(statement_id: int, user_id: int) -> None:
    with st.form("delete_form", border=False):
        st.text_input("Why", key="delete_reason")
        submitted = st.form_submit_button("Delete this statement")
    if not submitted:
        return
    reason = text_value("delete_reason") or ""
    result = write(lambda s: delete_statement(s, statement_id, user_id=user_id, reason=reason))
    if result.value is not None:
        _done("Statement deleted (admins can restore it).")
        st.rerun()
    show_refusal(result)


def restore_form(statement_id: int, user_id: int, entries: list[HistoryEntry]) -> None:
    restore_version_form(
        "",
        entries,
        lambda s, revision_id, reason: restore_statement(
            s, statement_id, user_id=user_id, reason=reason, revision_id=revision_id
        ),
        MESSAGE,
    )


def actions_section(
    view: StatementView,
    user: UserView,
    actions: StatementActions,
    entries: list[HistoryEntry],
    has_pending_edit: bool,
) -> None:
    st.subheader("Actions", anchor=False)
    if actions.edit:
        st.page_link(
            ADD_STATEMENT_PAGE,
            label="Edit this statement",
            icon=":material/edit:",
            query_params={"edit": str(view.id)},
        )
    elif actions.propose_edit and not has_pending_edit:
        st.page_link(
            ADD_STATEMENT_PAGE,
            label="Propose a change (a reviewer checks it before it shows)",
            icon=":material/edit_note:",
            query_params={"edit": str(view.id)},
        )
    if view.status == "pending" and view.deleted_at is None:
        if actions.review:
            with st.container(border=True):
                st.markdown("**Review this statement**")
                review_form(view.id, user.id, "review")
        elif actions.not_reviewable_because and user.role in ("reviewer", "admin"):
            st.caption(f"You cannot review it: {md_escape(actions.not_reviewable_because)}.")
    if actions.retract:
        with st.expander("Retract (withdrawn by the speaker, or shown not to have been said)"):
            retract_form(view.id, user.id)
    if actions.supersede:
        with st.expander("Mark superseded by a newer statement"):
            supersede_form(view.id, user.id)
    if actions.delete:
        with st.expander("Delete"):
            delete_form(view.id, user.id)
    if actions.restore:
        deleted = view.deleted_at is not None
        title = "Restore this statement" if deleted else "Restore an earlier version"
        with st.expander(title, expanded=deleted):
            restore_form(view.id, user.id, entries)


statement_id = param_int("id")
if statement_id is None:
    st.title("Statement")
    st.info("Open a statement from the Timeline, the Review page or a link (statement?id=N).")
    st.stop()

user = current_user()
is_admin = user is not None and user.role == "admin"
with session_scope() as session:
    view = get_statement(session, statement_id, include_deleted=is_admin)
    topic = get_topic(session, view.topic_id) if view is not None else None
    actions = statement_actions(session, statement_id, user.id if user else None)
    entries = history_with_changes(session, "statement", statement_id) if view else []
    pending_edits = list_edits(session, statement_id=statement_id)
    successor = (
        get_statement(session, view.superseded_by_id)
        if view is not None and view.superseded_by_id
        else None
    )

st.title(f"Statement #{statement_id}")
message = st.session_state.pop(MESSAGE, None)
if message:
    st.success(md_escape(message), icon=":material/check_circle:")
if view is None:
    st.warning(f"There is no statement #{statement_id}.")
    st.stop()

if view.deleted_at is not None:
    st.error(f"Deleted on {time_text(view.deleted_at)}: only admins see it.")
if view.status == "retracted":
    st.warning(
        "Retracted"
        + (f": {md_escape(view.review_note)}" if view.review_note else "")
        + ". It is kept here, off the timeline.",
        icon=":material/undo:",
    )
if view.superseded_by_id is not None:
    st.info(
        f"Superseded by statement #{view.superseded_by_id}"
        + (f" ({md_escape(successor.status)})" if successor else "")
        + ".",
        icon=":material/update:",
    )
    st.page_link(
        STATEMENT_PAGE,
        label=f"Open statement #{view.superseded_by_id}",
        query_params={"id": str(view.superseded_by_id)},
        icon=":material/arrow_forward:",
    )

statement_card(view, topic)
link_buttons(view.sources, key="card_src")
for edit in pending_edits:
    pending_edit_box(edit, user)
if user is not None:
    actions_section(view, user, actions, entries, bool(pending_edits))
show_history(entries)
