"""A statement's, event's or topic's history: each version, who made it, why, and what
changed compared with the version before (field by field)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlmodel import Session

from tracker.revisions import FieldChange, HistoryEntry
from tracker.ui.forms import show_refusal, text_value, write
from tracker.ui.text import md_escape, time_text

ACTION_LABELS = {
    "create": "Filed",
    "edit": "Edited",
    "review": "Reviewed",
    "propose": "Proposed a change",
    "retract": "Retracted",
    "supersede": "Marked superseded",
    "delete": "Deleted",
    "restore": "Restored",
}


def action_label(entry: HistoryEntry) -> str:
    label = ACTION_LABELS.get(entry.action, entry.action)
    if entry.action == "review":
        status = entry.snapshot.get("status")
        if entry.reason and entry.reason.startswith(("accepted", "rejected the change")):
            label = "Reviewed a proposed change"
        elif entry.reason and entry.reason.startswith("withdrew"):
            label = "Withdrew a proposed change"
        elif status in ("verified", "rejected"):
            label = f"Reviewed: {status}"
    return label


def show_changes(changes: list[FieldChange], *, created: bool = False) -> None:
    if not changes:
        st.caption("No change to the content.")
        return
    if created:
        st.table(
            {
                "Field": [md_escape(c.label) for c in changes],
                "Value": [md_escape(c.after) for c in changes],
            },
            hide_index=True,
        )
        return
    st.table(
        {
            "Field": [md_escape(c.label) for c in changes],
            "Before": [md_escape(c.before) for c in changes],
            "After": [md_escape(c.after) for c in changes],
        },
        hide_index=True,
    )


def show_history(entries: list[HistoryEntry], *, newest_first: bool = True) -> None:
    st.subheader("History", anchor=False)
    if not entries:
        st.caption("No recorded history.")
        return
    st.caption(
        f"{len(entries)} version{'s' if len(entries) != 1 else ''}; each shows what changed "
        "from the version before it."
    )
    numbered = list(enumerate(entries, start=1))
    for number, entry in reversed(numbered) if newest_first else numbered:
        with st.container(border=True):
            who = md_escape(entry.username) if entry.username else "the system"
            st.markdown(
                f"**{number}. {md_escape(action_label(entry))}** by {who} · "
                f"{time_text(entry.at)} · version \\#{entry.id}"
            )
            if entry.reason:
                st.markdown(f"*Why:* {md_escape(entry.reason)}")
            if not entry.applied:
                st.caption("Proposed only: the record changes when a reviewer accepts it.")
            show_changes(entry.changes, created=number == 1)


def restore_version_form(
    prefix: str,
    entries: list[HistoryEntry],
    restore: Callable[[Session, int | None, str], object],
    message_key: str,
) -> None:
    """A form to bring back one of ``entries``' applied versions, newest first, with
    ``restore(session, revision_id, reason)``: once restored, the page reruns with "Version
    restored." in ``st.session_state[message_key]``; a refusal is shown under the form.

    ``prefix`` keeps the widget keys of the statement and event pages apart.
    """
    numbers = {e.id: n for n, e in enumerate(entries, start=1)}
    versions = {e.id: e for e in reversed(entries) if e.applied}
    with st.form(f"{prefix}restore_form", border=False):
        st.selectbox(
            "Version",
            list(versions),
            key=f"{prefix}restore_revision",
            format_func=lambda rid: (
                f"{numbers[rid]}. {action_label(versions[rid])} by "
                f"{versions[rid].username or 'the system'}, {time_text(versions[rid].at)}"
            ),
        )
        st.text_input("Why", key=f"{prefix}restore_reason")
        submitted = st.form_submit_button("Restore this version")
    if not submitted:
        return
    revision_id = st.session_state.get(f"{prefix}restore_revision")
    reason = text_value(f"{prefix}restore_reason") or ""
    result = write(lambda s: restore(s, revision_id, reason))
    if result.value is not None:
        st.session_state[message_key] = "Version restored."
        st.rerun()
    show_refusal(result)
