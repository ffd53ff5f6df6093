"""Topics: each question positions are taken on, with its stance scale.

Everyone reads the scales; admins add topics and edit them (texts, labels, coding rules, and
levels: a level that statements use cannot be removed).
"""

from __future__ import annotations

import streamlit as st

from tracker.errors import ValidationError
from tracker.models import StanceLevelCreate, TopicCreate
from tracker.revisions import history_with_changes
from tracker.topics import (
    DEFAULT_LEVELS,
    LevelView,
    TopicView,
    create_topic,
    level_usage,
    levels_text,
    list_topics,
    parse_levels_text,
    update_topic,
)
from tracker.ui.db import session_scope
from tracker.ui.forms import field_problem, problems_banner, text_value, write
from tracker.ui.history import show_history
from tracker.ui.login import ADMIN_ROLES, current_user, has_role
from tracker.ui.text import md_escape

MESSAGE = "topics_message"
NEW_PROBLEMS = "topic_new_problems"
EDIT_PROBLEMS = "topic_edit_problems"
DEFAULT_SCALE = levels_text([LevelView(v, label, rule) for v, label, rule in DEFAULT_LEVELS])


def _levels(key: str) -> tuple[list[StanceLevelCreate], dict[str, str]]:
    try:
        return parse_levels_text(st.session_state.get(key) or ""), {}
    except ValidationError as exc:
        return [], exc.problems


def _create() -> None:
    st.session_state.pop(NEW_PROBLEMS, None)
    user = current_user()
    if user is None:
        return
    levels, problems = _levels("topic_new_levels")
    if problems:
        st.session_state[NEW_PROBLEMS] = problems
        return
    data = TopicCreate.model_construct(
        slug=text_value("topic_new_slug") or "",
        title=text_value("topic_new_title") or "",
        proposition=text_value("topic_new_proposition") or "",
        description=text_value("topic_new_description"),
        levels=levels,
    )
    result = write(lambda s: create_topic(s, data, user_id=user.id))
    if result.value is None:
        st.session_state[NEW_PROBLEMS] = result.problems or {"topic": result.denied or ""}
        return
    st.session_state[MESSAGE] = f"Topic “{result.value.title}” added."
    for name in ("slug", "title", "proposition", "description"):
        st.session_state[f"topic_new_{name}"] = ""
    st.session_state["topic_new_levels"] = DEFAULT_SCALE


def _update(topic_id: int) -> None:
    st.session_state.pop(EDIT_PROBLEMS, None)
    user = current_user()
    if user is None:
        return
    levels, problems = _levels("topic_edit_levels")
    if problems:
        st.session_state[EDIT_PROBLEMS] = problems
        return
    title = text_value("topic_edit_title") or ""
    proposition = text_value("topic_edit_proposition") or ""
    description = text_value("topic_edit_description")
    reason = text_value("topic_edit_reason")
    result = write(
        lambda s: update_topic(
            s,
            topic_id,
            title=title,
            proposition=proposition,
            description=description,
            levels=levels,
            user_id=user.id,
            reason=reason,
        )
    )
    if result.value is None:
        st.session_state[EDIT_PROBLEMS] = result.problems or {"topic": result.denied or ""}
        return
    st.session_state[MESSAGE] = f"Topic “{result.value.title}” saved."
    st.session_state.pop("topic_edit_for", None)


def _load_for_edit(topic: TopicView) -> None:
    st.session_state["topic_edit_for"] = topic.id
    st.session_state["topic_edit_title"] = topic.title
    st.session_state["topic_edit_proposition"] = topic.proposition
    st.session_state["topic_edit_description"] = topic.description or ""
    st.session_state["topic_edit_levels"] = levels_text(topic.levels)
    st.session_state["topic_edit_reason"] = ""
    st.session_state.pop(EDIT_PROBLEMS, None)


def _scale_table(topic: TopicView, usage: dict[int, int] | None = None) -> None:
    columns = {
        "Value": [f"{lv.value:+d}" for lv in topic.levels],
        "Label": [md_escape(lv.label) for lv in topic.levels],
        "Coding rule": [md_escape(lv.rule) for lv in topic.levels],
    }
    if usage is not None:
        columns["Statements"] = [str(usage.get(lv.value, 0)) for lv in topic.levels]
    st.table(columns, hide_index=True)


def _admin_section(topics: list[TopicView]) -> None:
    st.divider()
    st.subheader("Edit a topic", anchor=False)
    by_id = {t.id: t for t in topics}
    chosen = st.selectbox(
        "Topic to edit",
        list(by_id),
        format_func=lambda i: by_id[i].title,
        index=None,
        key="topic_edit_choice",
        placeholder="Choose a topic",
    )
    if chosen is not None:
        topic = by_id[chosen]
        if st.session_state.get("topic_edit_for") != topic.id:
            _load_for_edit(topic)
        with session_scope() as session:
            usage = level_usage(session, topic.id)
            entries = history_with_changes(session, "topic", topic.id)
        problems: dict[str, str] = st.session_state.get(EDIT_PROBLEMS, {})
        problems_banner(problems, {"title", "proposition", "levels", "reason"})
        _scale_table(topic, usage)
        with st.form("topic_edit_form"):
            st.text_input("Title", key="topic_edit_title")
            field_problem(problems, "title")
            st.text_input("Proposition", key="topic_edit_proposition")
            field_problem(problems, "proposition")
            st.text_area("Description", key="topic_edit_description", height=68)
            st.text_area(
                "Stance scale: one level per line, as value | label | coding rule",
                key="topic_edit_levels",
                height=160,
                help="Levels used by statements (see the table above) cannot be removed.",
            )
            field_problem(problems, "levels")
            st.text_input("Why this change", key="topic_edit_reason")
            field_problem(problems, "reason")
            st.form_submit_button("Save the topic", on_click=_update, args=(topic.id,))
        with st.expander("History of this topic"):
            show_history(entries)

    st.subheader("Add a topic", anchor=False)
    if "topic_new_levels" not in st.session_state:
        st.session_state["topic_new_levels"] = DEFAULT_SCALE
    problems = st.session_state.get(NEW_PROBLEMS, {})
    problems_banner(problems, {"slug", "title", "proposition", "levels"})
    with st.form("topic_new_form"):
        st.text_input(
            "Slug (used in links)", key="topic_new_slug", placeholder="e.g. gaza-ceasefire"
        )
        field_problem(problems, "slug")
        st.text_input("Title", key="topic_new_title")
        field_problem(problems, "title")
        st.text_input(
            "Proposition",
            key="topic_new_proposition",
            placeholder="The claim positions are taken on, e.g. “X is justified”",
        )
        field_problem(problems, "proposition")
        st.text_area("Description", key="topic_new_description", height=68)
        st.text_area(
            "Stance scale: one level per line, as value | label | coding rule",
            key="topic_new_levels",
            height=160,
        )
        field_problem(problems, "levels")
        st.form_submit_button("Add the topic", on_click=_create)


st.title("Topics")
message = st.session_state.pop(MESSAGE, None)
if message:
    st.success(md_escape(message))

with session_scope() as session:
    topics = list_topics(session)

if not topics:
    st.info("No topics yet. Load the demo data with `tracker demo load`, or add one (admins).")

for topic in topics:
    st.subheader(md_escape(topic.title), anchor=False)
    st.markdown(f"**Proposition:** {md_escape(topic.proposition)}")
    if topic.description:
        st.markdown(md_escape(topic.description))
    _scale_table(topic)

if has_role(*ADMIN_ROLES):
    _admin_section(topics)
