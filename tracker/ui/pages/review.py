"""Review: the queue of pending statements and proposed changes, oldest first.

Anyone can see the queue; reviewers (not the authors) verify or reject each item with a note.
Sources open in one click; each item links to its page and history.
"""

from __future__ import annotations

import streamlit as st

from tracker.review import QueueItem, review_edit, review_queue, review_statement
from tracker.statements import has_contributed
from tracker.timeline import excerpt
from tracker.topics import TopicView, list_topics
from tracker.ui.cards import statement_card
from tracker.ui.db import session_scope
from tracker.ui.forms import STATEMENT_PAGE, link_buttons, show_refusal, text_value, write
from tracker.ui.history import show_changes
from tracker.ui.login import REVIEWER_ROLES, current_user, has_role
from tracker.ui.text import date_text, md_escape, time_text

DETAIL_LIMIT = 20
MESSAGE = "review_page_message"


def _verdict_form(item: QueueItem, user_id: int) -> None:
    key = f"review_{item.kind}_{item.edit.id if item.edit else item.statement.id}"
    with st.form(key, border=False):
        st.text_area(
            "Review note",
            key=f"{key}_note",
            placeholder="What you checked, or why it is rejected (required to reject)",
            height=68,
        )
        left, right = st.columns(2)
        yes = left.form_submit_button(
            "Verify" if item.edit is None else "Accept the change",
            type="primary",
            icon=":material/verified:",
        )
        no = right.form_submit_button(
            "Reject" if item.edit is None else "Reject the change", icon=":material/block:"
        )
    if not (yes or no):
        return
    note = text_value(f"{key}_note")
    edit = item.edit
    if edit is None:
        result = write(
            lambda s: review_statement(
                s,
                item.statement.id,
                user_id=user_id,
                verdict="verified" if yes else "rejected",
                note=note,
            )
        )
        done = f"Statement #{item.statement.id} {'verified' if yes else 'rejected'}."
    else:
        result = write(lambda s: review_edit(s, edit.id, user_id=user_id, accept=yes, note=note))
        done = f"Change to statement #{item.statement.id} {'accepted' if yes else 'rejected'}."
    if result.value is not None:
        st.session_state[MESSAGE] = done
        st.rerun()
    show_refusal(result)


def _item(item: QueueItem, topics: dict[int, TopicView], own: bool) -> None:
    s = item.statement
    with st.container(border=True):
        if item.edit is None:
            st.markdown(
                f"### New statement \\#{s.id}: {md_escape(s.actor_name)}, "
                f"{date_text(s.said_on, s.date_precision)}"
            )
            st.caption(
                f"Filed by {md_escape(item.filed_by or 'the system')} on {time_text(item.filed_at)}"
            )
            statement_card(s, topics.get(s.topic_id))
            link_buttons(s.sources, key=f"q_s{s.id}")
        else:
            edit = item.edit
            st.markdown(
                f"### Change to verified statement \\#{s.id}: {md_escape(s.actor_name)}, "
                f"{date_text(s.said_on, s.date_precision)}"
            )
            st.caption(
                f"Proposed by {md_escape(item.filed_by or 'someone')} on {time_text(item.filed_at)}"
            )
            if edit.reason:
                st.markdown(f"*Why:* {md_escape(edit.reason)}")
            show_changes(edit.changes)
            st.markdown("**Sources after the change**")
            link_buttons(edit.sources, key=f"q_e{edit.id}")
        st.page_link(
            STATEMENT_PAGE,
            label=f"Open statement #{s.id} and its history",
            icon=":material/open_in_new:",
            query_params={"id": str(s.id)},
        )
        user = current_user()
        if user is None or user.role not in REVIEWER_ROLES:
            return
        if own:
            st.caption("You filed or proposed this: another reviewer must check it.")
            return
        _verdict_form(item, user.id)


st.title("Review")
message = st.session_state.pop(MESSAGE, None)
if message:
    st.success(md_escape(message), icon=":material/check_circle:")

user = current_user()
with session_scope() as session:
    queue = review_queue(session)
    topics = {t.id: t for t in list_topics(session)}
    own: set[tuple[str, int]] = set()
    if user is not None:
        for item in queue[:DETAIL_LIMIT]:
            if item.edit is not None:
                if item.edit.proposed_by_id == user.id:
                    own.add(("edit", item.edit.id))
            elif has_contributed(session, item.statement.id, user.id):
                own.add(("statement", item.statement.id))

if has_role(*REVIEWER_ROLES):
    st.caption("Verify or reject each item below; a rejection needs a note.")
else:
    st.caption("Anyone can see the queue; reviewers sign in to verify or reject.")

if not queue:
    st.success("Nothing waits for review.")
    st.stop()

st.markdown(f"**{len(queue)}** items wait for review, oldest first.")
st.dataframe(
    {
        "#": [i.statement.id for i in queue],
        "Kind": ["new statement" if i.edit is None else "change" for i in queue],
        "Filed": [i.filed_at.strftime("%Y-%m-%d %H:%M") for i in queue],
        "Topic": [i.statement.topic_title for i in queue],
        "Country": [i.statement.actor_name for i in queue],
        "Said": [date_text(i.statement.said_on, i.statement.date_precision) for i in queue],
        "Stance": [i.statement.stance_label for i in queue],
        "Text": [excerpt(i.statement.quote or i.statement.summary) for i in queue],
        "Sources": [len(i.statement.sources) for i in queue],
        "Filed by": [i.filed_by or "" for i in queue],
    },
    hide_index=True,
    column_config={"Text": st.column_config.TextColumn(width="large")},
)
if len(queue) > DETAIL_LIMIT:
    st.caption(f"The {DETAIL_LIMIT} oldest are shown below; the rest after these are done.")
for item in queue[:DETAIL_LIMIT]:
    item_id = item.edit.id if item.edit is not None else item.statement.id
    _item(item, topics, (item.kind, item_id) in own)
