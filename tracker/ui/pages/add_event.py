"""Add event (and edit one: ``?edit=<id>``): what happened, when (a moment or an era), who was
involved, which topics it bears on, and the sources. Checked by the domain rules on submit;
every problem is shown beside its field and nothing is saved."""

from __future__ import annotations

from typing import Any

import streamlit as st

from tracker.actors import list_actors
from tracker.events import (
    EVENT_CATEGORIES,
    check_event_input,
    create_event,
    event_actions,
    event_input,
    update_event,
)
from tracker.models import DatePrecision, EventCreate
from tracker.revisions import latest_revision_id
from tracker.topics import list_topics
from tracker.ui.db import session_scope
from tracker.ui.forms import (
    EARLIEST,
    EVENT_PAGE,
    clear_keys,
    field_problem,
    param_int,
    problems_banner,
    read_sources,
    remap_source_problems,
    set_source_values,
    source_count_controls,
    source_fields,
    text_value,
    today,
    write,
)
from tracker.ui.login import WRITER_ROLES, current_user, has_role

P = "evt_"
PROBLEMS = f"{P}problems"
SAVED = f"{P}saved"
FORM_FOR = f"{P}form_for"
BASE_REVISION = f"{P}base_revision"


def _reset(values: EventCreate | None = None, *, form_for: str) -> None:
    clear_keys(P, keep=(SAVED,))
    st.session_state[FORM_FOR] = form_for
    st.session_state[f"{P}starts_on"] = None
    st.session_state[f"{P}ends_on"] = None
    st.session_state[f"{P}precision"] = DatePrecision.DAY.value
    st.session_state[f"{P}category"] = "other"
    st.session_state[f"{P}source_count"] = 1
    if values is None:
        return
    for key, value in (
        ("title", values.title),
        ("description", values.description or ""),
        ("starts_on", values.starts_on),
        ("ends_on", values.ends_on),
        ("precision", values.date_precision),
        ("category", values.category),
        ("actors", list(values.actor_ids)),
        ("topics", list(values.topic_ids)),
    ):
        st.session_state[f"{P}{key}"] = value
    st.session_state[f"{P}source_count"] = max(len(values.sources), 1)
    for i, source in enumerate(values.sources):
        set_source_values(P, i, source.model_dump())


def _read_form() -> tuple[dict[str, Any], list[int]]:
    state = st.session_state
    sources, positions = read_sources(P, int(state.get(f"{P}source_count", 1)))
    return {
        "title": text_value(f"{P}title") or "",
        "description": text_value(f"{P}description"),
        "starts_on": state.get(f"{P}starts_on"),
        "ends_on": state.get(f"{P}ends_on"),
        "date_precision": state.get(f"{P}precision") or DatePrecision.DAY.value,
        "category": state.get(f"{P}category") or "other",
        "actor_ids": list(state.get(f"{P}actors") or []),
        "topic_ids": list(state.get(f"{P}topics") or []),
        "sources": sources,
    }, positions


def _submit() -> None:
    st.session_state.pop(PROBLEMS, None)
    user = current_user()
    if user is None:
        return
    raw, positions = _read_form()
    with session_scope() as session:
        data, problems = check_event_input(session, raw, today=today())
    if data is None or problems:
        st.session_state[PROBLEMS] = remap_source_problems(problems, positions)
        return
    edit_id = st.session_state.get(f"{P}edit_id")
    reason = text_value(f"{P}reason")
    if edit_id is None:
        result = write(lambda s: create_event(s, data, user_id=user.id, today=today()))
    else:
        result = write(
            lambda s: update_event(
                s,
                edit_id,
                data,
                user_id=user.id,
                reason=reason,
                base_revision_id=st.session_state.get(BASE_REVISION),
                today=today(),
            )
        )
    if result.value is None:
        problems = remap_source_problems(dict(result.problems), positions)
        if result.denied:
            problems["event"] = f"not allowed: {result.denied}"
        st.session_state[PROBLEMS] = problems
        return
    st.session_state[SAVED] = (result.value.id, edit_id is not None)
    st.query_params.pop("edit", None)
    _reset(form_for="new")


edit_id = param_int("edit")
st.title(f"Edit event #{edit_id}" if edit_id else "Add event")
if not has_role(*WRITER_ROLES):
    st.info("Sign in as a contributor, reviewer or admin to add events (in the sidebar).")
    st.stop()
user = current_user()
assert user is not None

saved = st.session_state.pop(SAVED, None)
if saved is not None:
    event_id, was_edit = saved
    st.success(f"Event #{event_id} {'updated' if was_edit else 'saved'}.")
    st.page_link(
        EVENT_PAGE,
        label=f"Open event #{event_id}",
        icon=":material/open_in_new:",
        query_params={"id": str(event_id)},
    )

if edit_id is not None:
    with session_scope() as session:
        values = event_input(session, edit_id)
        allowed = event_actions(session, edit_id, user.id).edit
        base_revision = latest_revision_id(session, "event", edit_id)
    if values is None:
        st.warning(f"There is no event #{edit_id}.")
        st.stop()
    if not allowed:
        st.warning("Only its contributor, a reviewer or an admin can edit this event.")
        st.stop()
    if st.session_state.get(FORM_FOR) != f"edit:{edit_id}":
        _reset(values, form_for=f"edit:{edit_id}")
        st.session_state[BASE_REVISION] = base_revision
    st.session_state[f"{P}edit_id"] = edit_id
else:
    if st.session_state.get(FORM_FOR) != "new" or f"{P}category" not in st.session_state:
        _reset(form_for="new")
    st.session_state.pop(f"{P}edit_id", None)

with session_scope() as session:
    actors = {a.id: a for a in list_actors(session)}
    topics = {t.id: t.title for t in list_topics(session)}

problems: dict[str, str] = st.session_state.get(PROBLEMS, {})
shown = {
    "title",
    "description",
    "starts_on",
    "ends_on",
    "date_precision",
    "category",
    "actor_ids",
    "topic_ids",
    "reason",
} | {k for k in problems if k.startswith("sources.")}
problems_banner(problems, shown)
source_count = source_count_controls(P)

with st.form("event_form", border=True):
    st.text_input("Title", key=f"{P}title", placeholder="e.g. Israeli strikes on Iran")
    field_problem(problems, "title")
    st.text_area("Description", key=f"{P}description", height=100)
    field_problem(problems, "description")
    first, second, third = st.columns(3)
    with first:
        st.date_input(
            "Start", key=f"{P}starts_on", min_value=EARLIEST, max_value=today(), format="YYYY-MM-DD"
        )
        field_problem(problems, "starts_on")
    with second:
        st.date_input(
            "End (optional: an era)",
            key=f"{P}ends_on",
            min_value=EARLIEST,
            max_value=today(),
            format="YYYY-MM-DD",
        )
        field_problem(problems, "ends_on")
    with third:
        st.selectbox("Dates known to the", [p.value for p in DatePrecision], key=f"{P}precision")
        field_problem(problems, "date_precision")
    st.selectbox("Category", list(EVENT_CATEGORIES), key=f"{P}category")
    field_problem(problems, "category")
    st.multiselect(
        "Countries involved",
        list(actors),
        key=f"{P}actors",
        format_func=lambda i: f"{actors[i].name} ({actors[i].code})",
    )
    field_problem(problems, "actor_ids")
    st.multiselect(
        "Topics",
        list(topics),
        key=f"{P}topics",
        format_func=topics.__getitem__,
        help="None: the event shows on every topic's timeline.",
    )
    field_problem(problems, "topic_ids")
    st.markdown("#### Sources")
    for index in range(source_count):
        source_fields(P, index, problems)
    if edit_id is not None:
        st.text_input("Why this change", key=f"{P}reason", placeholder="Shown in the history")
        field_problem(problems, "reason")
    st.form_submit_button(
        "Check and save", type="primary", on_click=_submit, icon=":material/save:"
    )
