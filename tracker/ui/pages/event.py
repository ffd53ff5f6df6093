"""One event at its permalink (``event?id=N``): its card, the actions open to the signed-in
user (edit, delete, restore) and its history with the differences between versions."""

from __future__ import annotations

import streamlit as st

from tracker.auth import UserView
from tracker.events import (
    EventActions,
    EventView,
    delete_event,
    event_actions,
    get_event,
    restore_event,
)
from tracker.revisions import HistoryEntry, history_with_changes
from tracker.topics import list_topics
from tracker.ui.db import session_scope
from tracker.ui.forms import (
    ADD_EVENT_PAGE,
    link_buttons,
    param_int,
    show_refusal,
    source_markdown,
    text_value,
    write,
)
from tracker.ui.history import restore_version_form, show_history
from tracker.ui.login import current_user
from tracker.ui.text import date_text, md_escape, time_text

MESSAGE = "event_page_message"


def event_card(event: EventView, topic_titles: dict[int, str]) -> None:
    with st.container(border=True):
        when = date_text(event.starts_on, event.date_precision)
        if event.ends_on is not None:
            when += f" – {date_text(event.ends_on, event.date_precision)}"
        st.markdown(f"#### {md_escape(event.title)}")
        st.markdown(f"**When:** {when} · **Category:** {md_escape(event.category)}")
        if event.actor_names:
            st.markdown("**Involved:** " + ", ".join(md_escape(n) for n in event.actor_names))
        titles = [topic_titles[t] for t in event.topic_ids if t in topic_titles]
        st.markdown(
            "**Topics:** "
            + (", ".join(md_escape(t) for t in titles) if titles else "all (not tagged)")
        )
        if event.description:
            st.markdown(md_escape(event.description))
        st.markdown("**Sources**")
        if not event.sources:
            st.caption("No source recorded.")
        for source in event.sources:
            st.markdown(f"- {source_markdown(source)}")


def _restore_form(event_id: int, user_id: int, entries: list[HistoryEntry]) -> None:
    restore_version_form(
        "event_",
        entries,
        lambda s, revision_id, reason: restore_event(
            s, event_id, user_id=user_id, reason=reason, revision_id=revision_id
        ),
        MESSAGE,
    )


def _delete_form(event_id: int, user_id: int) -> None:
    with st.form("event_delete_form", border=False):
        st.text_input("Why", key="event_delete_reason")
        submitted = st.form_submit_button("Delete this event")
    if submitted:
        reason = text_value("event_delete_reason") or ""
        result = write(lambda s: delete_event(s, event_id, user_id=user_id, reason=reason))
        if result.value is not None:
            st.session_state[MESSAGE] = "Event deleted (admins can restore it)."
            st.rerun()
        show_refusal(result)


def _actions(
    event: EventView, user: UserView, actions: EventActions, entries: list[HistoryEntry]
) -> None:
    st.subheader("Actions", anchor=False)
    if actions.edit:
        st.page_link(
            ADD_EVENT_PAGE,
            label="Edit this event",
            icon=":material/edit:",
            query_params={"edit": str(event.id)},
        )
    if actions.delete:
        with st.expander("Delete"):
            _delete_form(event.id, user.id)
    if actions.restore:
        deleted = event.deleted_at is not None
        with st.expander(
            "Restore this event" if deleted else "Restore an earlier version", expanded=deleted
        ):
            _restore_form(event.id, user.id, entries)


event_id = param_int("id")
if event_id is None:
    st.title("Event")
    st.info("Open an event from a link (event?id=N).")
    st.stop()

user = current_user()
with session_scope() as session:
    event = get_event(session, event_id, include_deleted=user is not None and user.role == "admin")
    actions = event_actions(session, event_id, user.id if user else None)
    entries = history_with_changes(session, "event", event_id) if event else []
    topic_titles = {t.id: t.title for t in list_topics(session)}

st.title(f"Event #{event_id}")
message = st.session_state.pop(MESSAGE, None)
if message:
    st.success(md_escape(message))
if event is None:
    st.warning(f"There is no event #{event_id}.")
    st.stop()
if event.deleted_at is not None:
    st.error(f"Deleted on {time_text(event.deleted_at)}: only admins see it.")
event_card(event, topic_titles)
link_buttons(event.sources, key="event_src")
if user is not None:
    _actions(event, user, actions, entries)
show_history(entries)
