"""Timeline: one lane per country, each statement a point coloured by stance.

The view lives in the URL (``?topic=<slug>&actors=PAK,IRN&status=verified&statement=<id>``)
so a link reopens it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import streamlit as st

from tracker.actors import ActorView, bloc_member_ids, list_actors
from tracker.charts import swimlane_figure
from tracker.events import list_events
from tracker.statements import get_statement
from tracker.timeline import TimelineRow, statement_counts, timeline_rows
from tracker.topics import TopicView, list_topics
from tracker.ui.cards import statement_card
from tracker.ui.db import session_scope
from tracker.ui.text import date_text, md_escape

STATUS_CHOICES = {
    "Verified and pending": ("verified", "pending"),
    "Verified only": ("verified",),
}
STATUS_PARAMS = {"Verified and pending": None, "Verified only": "verified"}


def _param_int(name: str) -> int | None:
    raw = st.query_params.get(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _select_statement(statement_id: int | None) -> None:
    if statement_id is None:
        st.query_params.pop("statement", None)
    else:
        st.query_params["statement"] = str(statement_id)


def _on_chart_select() -> None:
    state = st.session_state.get("timeline_chart")
    points = state["selection"]["points"] if state else []
    ids = [int(p["customdata"][0]) for p in points if p.get("customdata")]
    if ids:
        _select_statement(ids[0])


def _table_columns(rows: list[TimelineRow]) -> dict[str, list[Any]]:
    return {
        "id": [r.statement_id for r in rows],
        "Date": [date_text(r.said_on, r.date_precision) for r in rows],
        "Country": [r.actor_name for r in rows],
        "Speaker": [r.speaker or "" for r in rows],
        "Role": [r.speaker_role or "" for r in rows],
        "Stance": [r.stance_label for r in rows],
        "Status": [r.status for r in rows],
        "Excerpt": [r.excerpt for r in rows],
        "Source": [r.source_site or "" for r in rows],
    }


def _csv(rows: list[TimelineRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "statement_id",
            "date",
            "date_precision",
            "actor_code",
            "actor",
            "speaker",
            "speaker_role",
            "stance",
            "stance_label",
            "status",
            "excerpt",
            "source",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.statement_id,
                r.said_on.isoformat(),
                r.date_precision,
                r.actor_code,
                r.actor_name,
                r.speaker or "",
                r.speaker_role or "",
                r.stance,
                r.stance_label,
                r.status,
                r.excerpt,
                r.source_site or "",
            ]
        )
    return out.getvalue()


def _actor_label(actor: ActorView) -> str:
    return f"{actor.name} ({actor.code})"


with session_scope() as session:
    topics = list_topics(session)
    if not topics:
        st.info("No topics yet. Load the demo data with `tracker demo load`, or add a topic.")
        st.stop()
    by_slug: dict[str, TopicView] = {t.slug: t for t in topics}

    wanted_statement = _param_int("statement")
    selected = get_statement(session, wanted_statement) if wanted_statement else None

    if st.session_state.get("timeline_topic") not in by_slug:
        from_url = st.query_params.get("topic")
        if from_url not in by_slug and selected is not None:
            from_url = next((t.slug for t in topics if t.id == selected.topic_id), None)
        if from_url not in by_slug:
            counts = statement_counts(session)
            from_url = max(topics, key=lambda t: counts.get(t.id, 0)).slug  # busiest first
        st.session_state["timeline_topic"] = from_url
    slug = st.sidebar.selectbox(
        "Topic",
        list(by_slug),
        key="timeline_topic",
        format_func=lambda s: by_slug[s].title,
        on_change=_select_statement,
        args=(None,),
    )
    topic = by_slug[slug]
    st.query_params["topic"] = topic.slug

    actors = list_actors(session)
    by_code = {a.code: a for a in actors}
    if "timeline_actors" not in st.session_state:
        codes = [c.strip().upper() for c in st.query_params.get("actors", "").split(",")]
        st.session_state["timeline_actors"] = [c for c in codes if c in by_code]
    chosen_codes: list[str] = st.sidebar.multiselect(
        "Countries or blocs",
        list(by_code),
        key="timeline_actors",
        format_func=lambda c: _actor_label(by_code[c]),
        placeholder="All countries",
        help="A bloc or organisation also brings in its members.",
    )
    if chosen_codes:
        st.query_params["actors"] = ",".join(chosen_codes)
    else:
        st.query_params.pop("actors", None)

    if "timeline_status" not in st.session_state:
        from_url = st.query_params.get("status")
        st.session_state["timeline_status"] = (
            "Verified only" if from_url == "verified" else "Verified and pending"
        )
    status_choice = st.sidebar.radio("Status", list(STATUS_CHOICES), key="timeline_status")
    status_param = STATUS_PARAMS[status_choice]
    if status_param:
        st.query_params["status"] = status_param
    else:
        st.query_params.pop("status", None)
    show_events = st.sidebar.toggle("Show events", value=True, key="timeline_events")

    actor_ids: set[int] | None = None
    if chosen_codes:
        actor_ids = set()
        for code in chosen_codes:
            actor = by_code[code]
            actor_ids.add(actor.id)
            if actor.kind != "country":
                actor_ids.update(bloc_member_ids(session, actor.id))

    rows = timeline_rows(
        session, topic.id, actor_ids=actor_ids, statuses=STATUS_CHOICES[status_choice]
    )
    events = list_events(session, topic_id=topic.id) if show_events else []

st.header(md_escape(topic.title), anchor=False)
st.markdown(f"Proposition: *{md_escape(topic.proposition)}*")

if not rows:
    st.info("No statements on this topic for this selection yet.")
else:
    st.caption(
        f"{len(rows)} statements by {len({r.actor_code for r in rows})} actors. "
        "Solid points are verified, hollow ones await review; a whisker spans the month or "
        "year of a date known only that precisely. Click a point, or a row below, to read it."
    )
    figure = swimlane_figure(rows, topic.levels, events, show_events=show_events)
    st.plotly_chart(
        figure,
        key="timeline_chart",
        on_select=_on_chart_select,
        selection_mode="points",
        config={"displaylogo": False, "scrollZoom": False},
    )

if selected is not None:
    statement_card(selected, topic if selected.topic_id == topic.id else None)
elif wanted_statement is not None:
    st.warning(f"There is no statement #{wanted_statement}.")
elif rows:
    st.info("Click a point on the chart or a row in the table to read the statement.")

if rows:
    table_ids = [r.statement_id for r in rows]

    def _on_table_select() -> None:
        state = st.session_state.get("timeline_table")
        chosen = state["selection"]["rows"] if state else []
        if chosen and chosen[0] < len(table_ids):
            _select_statement(table_ids[chosen[0]])

    st.dataframe(
        _table_columns(rows),
        key="timeline_table",
        on_select=_on_table_select,
        selection_mode="single-row",
        hide_index=True,
        column_config={
            "id": None,
            "Date": st.column_config.TextColumn(width="small"),
            "Stance": st.column_config.TextColumn(width="medium"),
            "Status": st.column_config.TextColumn(width="small"),
            "Excerpt": st.column_config.TextColumn(width="large"),
        },
    )
    st.download_button(
        "Download these rows (CSV)",
        _csv(rows),
        file_name=f"{topic.slug}-statements.csv",
        mime="text/csv",
    )
