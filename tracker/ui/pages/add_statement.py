"""Add statement (and edit one: ``?edit=<id>``; from a news item: ``?news=<id>``).

Topic, country and speaker sit above the form because the rest depends on them (the stance
scale, the speakers of that country). The form itself is checked by the domain rules on
submit; every problem is shown beside its field and nothing is saved. Before saving, statements
by the same actor a few days apart with similar words are shown for the contributor to confirm
or cancel.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from tracker.actors import list_actors
from tracker.duplicates import DuplicateView, near_duplicates
from tracker.models import Channel, DatePrecision, StatementCreate
from tracker.revisions import latest_revision_id
from tracker.speakers import list_speakers, speaker_name_problem
from tracker.statements import (
    CONTENT_FIELDS,
    EditResult,
    StatementView,
    check_statement_input,
    create_statement,
    get_news_item,
    get_statement,
    news_choices,
    statement_actions,
    statement_input,
    update_statement,
)
from tracker.topics import list_topics
from tracker.ui.db import session_scope
from tracker.ui.forms import (
    EARLIEST,
    STATEMENT_PAGE,
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
from tracker.ui.statement_import import import_section
from tracker.ui.text import date_text, md_escape

P = "stmt_"  # every key of this page starts with it
NEW_SPEAKER = -1
PROBLEMS = f"{P}problems"
DUPLICATES = f"{P}duplicates"
SAVED = f"{P}saved"
FORM_FOR = f"{P}form_for"
BASE_REVISION = f"{P}base_revision"
KEEP = (SAVED,)
CHANNEL_LABELS = {c.value: c.value.replace("_", " ") for c in Channel}


def _reset(values: StatementCreate | None = None, *, form_for: str) -> None:
    """Empty the form, then fill it from ``values`` (an edit or a news item)."""
    clear_keys(P, keep=KEEP)
    st.session_state[FORM_FOR] = form_for
    st.session_state[f"{P}said_on"] = None
    st.session_state[f"{P}precision"] = DatePrecision.DAY.value
    st.session_state[f"{P}channel"] = Channel.OTHER.value
    st.session_state[f"{P}source_count"] = 1
    if values is None:
        return
    for key, value in (
        ("topic", values.topic_id or None),
        ("actor", values.actor_id or None),
        ("speaker", values.speaker_id),
        ("role", values.speaker_role or ""),
        ("target", values.target_actor_id),
        ("said_on", values.said_on),
        ("precision", values.date_precision),
        ("quote", values.quote or ""),
        ("language", values.language or ""),
        ("translation", values.translation or ""),
        ("summary", values.summary or ""),
        ("stance", values.stance),
        ("channel", values.channel),
        ("news", list(values.news_item_ids)),
    ):
        st.session_state[f"{P}{key}"] = value
    st.session_state[f"{P}source_count"] = max(len(values.sources), 1)
    for i, source in enumerate(values.sources):
        set_source_values(P, i, source.model_dump())


def _prefill_from_news(news_id: int) -> None:
    with session_scope() as session:
        item = get_news_item(session, news_id)
    if item is None:
        st.session_state[FORM_FOR] = f"news:{news_id}"
        st.warning(f"There is no news item #{news_id}: the form starts empty.")
        return
    _reset(form_for=f"news:{news_id}")
    st.session_state[f"{P}said_on"] = item.day
    st.session_state[f"{P}summary"] = item.title[:500]
    st.session_state[f"{P}channel"] = Channel.REPORTED.value
    st.session_state[f"{P}news"] = [item.id]
    set_source_values(
        P,
        0,
        {
            "url": item.url,
            "publisher": item.publisher,
            "title": item.title[:500],
            "published_on": item.day,
        },
    )


def _read_form() -> tuple[dict[str, Any], list[int], str | None]:
    state = st.session_state
    speaker = state.get(f"{P}speaker")
    sources, positions = read_sources(P, int(state.get(f"{P}source_count", 1)))
    raw = {
        "topic_id": state.get(f"{P}topic"),
        "actor_id": state.get(f"{P}actor"),
        "speaker_id": speaker if speaker not in (None, NEW_SPEAKER) else None,
        "speaker_role": text_value(f"{P}role"),
        "target_actor_id": state.get(f"{P}target"),
        "said_on": state.get(f"{P}said_on"),
        "date_precision": state.get(f"{P}precision") or DatePrecision.DAY.value,
        "quote": text_value(f"{P}quote"),
        "language": text_value(f"{P}language"),
        "translation": text_value(f"{P}translation"),
        "summary": text_value(f"{P}summary"),
        "stance": state.get(f"{P}stance"),
        "channel": state.get(f"{P}channel") or Channel.OTHER.value,
        "sources": sources,
        "news_item_ids": list(state.get(f"{P}news") or []),
    }
    new_speaker = text_value(f"{P}new_speaker") if speaker == NEW_SPEAKER else None
    if speaker == NEW_SPEAKER and new_speaker is None:
        new_speaker = ""
    return raw, positions, new_speaker


def _submit() -> None:
    """Check the form; save it, or keep the problems / near-duplicates to show."""
    st.session_state.pop(PROBLEMS, None)
    st.session_state.pop(DUPLICATES, None)
    raw, positions, new_speaker = _read_form()
    edit_id = st.session_state.get(f"{P}edit_id")
    with session_scope() as session:
        data, problems = check_statement_input(session, raw, today=today())
        if new_speaker is not None:
            problem = speaker_name_problem(new_speaker)
            if problem:
                problems["speaker_id"] = problem
        if data is None or problems:
            st.session_state[PROBLEMS] = remap_source_problems(problems, positions)
            return
        duplicates = near_duplicates(session, data, exclude_id=edit_id)
    st.session_state[f"{P}ready"] = (data, new_speaker)
    if duplicates:
        st.session_state[DUPLICATES] = duplicates
        return
    _save()


def _save() -> None:
    ready = st.session_state.pop(f"{P}ready", None)
    st.session_state.pop(DUPLICATES, None)
    user = current_user()
    if ready is None or user is None:
        return
    data, new_speaker = ready
    edit_id = st.session_state.get(f"{P}edit_id")
    reason = text_value(f"{P}reason")
    if edit_id is None:
        result = write(
            lambda s: EditResult(
                statement=create_statement(
                    s, data, user_id=user.id, new_speaker=new_speaker, today=today()
                ),
                applied=True,
            )
        )
    else:
        result = write(
            lambda s: update_statement(
                s,
                edit_id,
                data,
                user_id=user.id,
                reason=reason,
                new_speaker=new_speaker,
                base_revision_id=st.session_state.get(BASE_REVISION),
                today=today(),
            )
        )
    if result.value is None:
        problems = dict(result.problems)
        if result.denied:
            problems["statement"] = f"not allowed: {result.denied}"
        st.session_state[PROBLEMS] = problems
        return
    st.session_state[SAVED] = (result.value.statement.id, result.value.applied, edit_id)
    st.query_params.pop("news", None)
    st.query_params.pop("edit", None)
    _reset(form_for="new")


def _cancel() -> None:
    st.session_state.pop(DUPLICATES, None)
    st.session_state.pop(f"{P}ready", None)


def _show_saved() -> None:
    saved = st.session_state.pop(SAVED, None)
    if saved is None:
        return
    statement_id, applied, edit_id = saved
    if edit_id is None:
        st.success(
            f"Statement #{statement_id} saved. It is pending until a reviewer verifies it.",
            icon=":material/check_circle:",
        )
    elif applied:
        st.success(f"Statement #{statement_id} updated; it waits for review.")
    else:
        st.success(
            f"Your change to statement #{statement_id} waits for a reviewer; until then the "
            "verified version stays as it is."
        )
    st.page_link(
        STATEMENT_PAGE,
        label=f"Open statement #{statement_id} and its history",
        icon=":material/open_in_new:",
        query_params={"id": str(statement_id)},
    )


def _show_duplicates(duplicates: list[DuplicateView]) -> None:
    with st.container(border=True):
        st.warning(
            f"{len(duplicates)} similar statement{'s' if len(duplicates) != 1 else ''} by the "
            "same country within a few days. Is yours new?",
            icon=":material/content_copy:",
        )
        for d in duplicates:
            text = md_escape(d.text[:300] + ("…" if len(d.text) > 300 else ""))
            st.markdown(
                f"- **#{d.id}** · {date_text(d.said_on, d.date_precision)} · "
                f"{md_escape(d.topic_title)} · {md_escape(d.status)} · {d.score}% alike  \n"
                f"  {text}"
            )
            st.page_link(
                STATEMENT_PAGE,
                label=f"Open #{d.id}",
                query_params={"id": str(d.id)},
            )
        left, right = st.columns(2)
        left.button("Save it anyway", key=f"{P}confirm", type="primary", on_click=_save)
        right.button("Cancel: do not save", key=f"{P}cancel", on_click=_cancel)


# --- the page ------------------------------------------------------------------------------

edit_id = param_int("edit")
news_id = param_int("news")
st.title(f"Edit statement #{edit_id}" if edit_id else "Add statement")

if not has_role(*WRITER_ROLES):
    st.info("Sign in as a contributor, reviewer or admin to add statements (in the sidebar).")
    st.stop()
user = current_user()
assert user is not None

_show_saved()

editing: StatementView | None = None
if edit_id is not None:
    with session_scope() as session:
        editing = get_statement(session, edit_id)
        actions = statement_actions(session, edit_id, user.id)
        current_values = statement_input(session, edit_id) if editing else None
        base_revision = latest_revision_id(session, "statement", edit_id)
    if editing is None or current_values is None:
        st.warning(f"There is no statement #{edit_id}.")
        st.stop()
    if not (actions.edit or actions.propose_edit):
        st.warning(
            "You cannot edit this statement: only its contributor or a reviewer edits a pending "
            "statement, and a retracted one is kept as it was."
        )
        st.stop()
    if editing.pending_edit_id is not None:
        st.info(
            "A change to this statement already waits for review; a second one can be proposed "
            "once it is reviewed."
        )
        st.page_link(STATEMENT_PAGE, label="See it", query_params={"id": str(edit_id)})
        st.stop()
    if st.session_state.get(FORM_FOR) != f"edit:{edit_id}":
        _reset(current_values, form_for=f"edit:{edit_id}")
        st.session_state[BASE_REVISION] = base_revision
    st.session_state[f"{P}edit_id"] = edit_id
    if editing.status == "verified":
        st.info(
            "This statement is verified. Your change is proposed to a reviewer; the verified "
            "version stays visible until they accept it."
        )
elif news_id is not None:
    if st.session_state.get(FORM_FOR) != f"news:{news_id}":
        _prefill_from_news(news_id)
    st.session_state.pop(f"{P}edit_id", None)
else:
    if st.session_state.get(FORM_FOR) not in ("new", None) or f"{P}channel" not in st.session_state:
        _reset(form_for="new")
    st.session_state.pop(f"{P}edit_id", None)

if news_id is not None and edit_id is None:
    st.caption(f"Prefilled from news item #{news_id}: check every field against the source itself.")

with session_scope() as session:
    topics = {t.id: t for t in list_topics(session)}
    actors = {a.id: a for a in list_actors(session)}
    chosen_actor = st.session_state.get(f"{P}actor")
    speakers = {s.id: s.name for s in list_speakers(session, chosen_actor)} if chosen_actor else {}
    news = news_choices(session, include=st.session_state.get(f"{P}news") or [])

if not topics:
    st.info("No topics yet: an admin adds them on the Topics page.")
    st.stop()

problems: dict[str, str] = st.session_state.get(PROBLEMS, {})
# Fields with a widget of their own: a problem with any other is shown in the banner.
SHOWN = {*CONTENT_FIELDS, "sources", "news_item_ids", "reason"}
SHOWN |= {k for k in problems if k.startswith("sources.")}
problems_banner(problems, SHOWN)

# Keep choices valid when what they depend on changed.
if st.session_state.get(f"{P}topic") not in topics:
    st.session_state[f"{P}topic"] = None
if st.session_state.get(f"{P}actor") not in actors:
    st.session_state[f"{P}actor"] = None
if st.session_state.get(f"{P}speaker") not in (*speakers, NEW_SPEAKER):
    st.session_state[f"{P}speaker"] = None

topic_id = st.selectbox(
    "Topic",
    list(topics),
    key=f"{P}topic",
    format_func=lambda i: topics[i].title,
    index=None,
    placeholder="Choose the topic the position is on",
)
field_problem(problems, "topic_id")
topic = topics.get(topic_id) if topic_id is not None else None
if topic is not None:
    with st.expander(f"Stance scale: {md_escape(topic.title)}", expanded=True):
        st.markdown(f"Proposition: *{md_escape(topic.proposition)}*")
        st.table(
            {
                "Stance": [f"{lv.value:+d}" for lv in topic.levels],
                "Label": [md_escape(lv.label) for lv in topic.levels],
                "When to use it": [md_escape(lv.rule) for lv in topic.levels],
            },
            hide_index=True,
        )

st.selectbox(
    "Country or bloc",
    list(actors),
    key=f"{P}actor",
    format_func=lambda i: f"{actors[i].name} ({actors[i].code})",
    index=None,
    placeholder="Whose position is it?",
)
field_problem(problems, "actor_id")
st.selectbox(
    "Speaker",
    [*speakers, NEW_SPEAKER],
    key=f"{P}speaker",
    format_func=lambda i: "Add a new speaker…" if i == NEW_SPEAKER else speakers[i],
    index=None,
    placeholder="Not named (choose a country first to see its speakers)",
)
field_problem(problems, "speaker_id")
source_count = source_count_controls(P)

levels = topic.levels if topic is not None else []
if st.session_state.get(f"{P}stance") not in {lv.value for lv in levels}:
    st.session_state[f"{P}stance"] = None

with st.form("statement_form", border=True):
    if st.session_state.get(f"{P}speaker") == NEW_SPEAKER:
        st.text_input("New speaker's name", key=f"{P}new_speaker")
    st.text_input(
        "Role at the time", key=f"{P}role", placeholder="e.g. Foreign Minister of Pakistan"
    )
    field_problem(problems, "speaker_role")
    st.selectbox(
        "Addressed to (optional)",
        list(actors),
        key=f"{P}target",
        format_func=lambda i: f"{actors[i].name} ({actors[i].code})",
        index=None,
        placeholder="Nobody in particular",
    )
    field_problem(problems, "target_actor_id")
    left, right = st.columns(2)
    with left:
        st.date_input(
            "Date said",
            key=f"{P}said_on",
            min_value=EARLIEST,
            max_value=today(),
            format="YYYY-MM-DD",
        )
        field_problem(problems, "said_on")
    with right:
        st.selectbox(
            "Date known to the",
            [p.value for p in DatePrecision],
            key=f"{P}precision",
            help="A date known only to the month is stored as the 1st of that month.",
        )
        field_problem(problems, "date_precision")
    st.text_area("Quote, in the original language", key=f"{P}quote", height=100)
    field_problem(problems, "quote")
    st.text_input(
        "Language of the quote", key=f"{P}language", placeholder="ISO 639 code: en, ur, fa, ar, he…"
    )
    field_problem(problems, "language")
    st.text_area(
        "Translation into English (if the quote is in another language)",
        key=f"{P}translation",
        height=68,
    )
    field_problem(problems, "translation")
    st.text_input(
        "One-line summary", key=f"{P}summary", help="Required when there is no direct quote."
    )
    field_problem(problems, "summary")
    st.selectbox(
        "Stance",
        [lv.value for lv in levels],
        key=f"{P}stance",
        format_func=lambda v: f"{v:+d} · {topic.label_of(v)}" if topic else str(v),
        index=None,
        placeholder="Choose a level of the topic's scale" if topic else "Choose a topic first",
    )
    field_problem(problems, "stance")
    st.selectbox(
        "Channel", list(CHANNEL_LABELS), key=f"{P}channel", format_func=CHANNEL_LABELS.__getitem__
    )
    field_problem(problems, "channel")

    st.markdown("#### Sources")
    field_problem(problems, "sources")
    for index in range(source_count):
        source_fields(P, index, problems)

    st.multiselect(
        "Linked news items",
        list(news),
        key=f"{P}news",
        format_func=lambda i: news.get(i, f"#{i}"),
        placeholder="The news items this statement was taken from",
    )
    field_problem(problems, "news_item_ids")
    if edit_id is not None:
        st.text_input("Why this change", key=f"{P}reason", placeholder="Shown in the history")
        field_problem(problems, "reason")
    st.form_submit_button(
        "Check and save", type="primary", on_click=_submit, icon=":material/save:"
    )

duplicates = st.session_state.get(DUPLICATES)
if duplicates:
    _show_duplicates(duplicates)

if edit_id is None:
    import_section(user.id)
