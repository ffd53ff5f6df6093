"""The Timeline's views (swimlanes, stance lines, heatmap, table, position shifts), the card
column beside them and the downloads. Each view computes only what it draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.charts import (
    FRAME_WIDTH_GUESS,
    stance_heatmap_figure,
    stance_lines_figure,
    timeline_figure,
)
from tracker.events import list_events
from tracker.positions import position_shifts
from tracker.statements import StatementView
from tracker.timeline import (
    TimelineData,
    TimelineRow,
    group_bounds,
    load_timeline,
    monthly_stances,
    period_name,
    rows_for,
    statement_news,
    timeline_stats,
)
from tracker.timeline_export import figure_html, figure_png, rows_csv, rows_json
from tracker.ui.cards import statement_card
from tracker.ui.chart_frame import chart_frame
from tracker.ui.text import date_text, md_escape, md_quote
from tracker.ui.timeline_filters import TimelineChoice, encode_params, select_statement

TABLE_LIMIT = 1_000
# The main column's share the view keeps when a statement's card opens beside it.
CARD_OPEN_SHARE = 0.6
SHIFTS_SHOWN = 30
GROUP_LIMIT = 200
CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}


@dataclass(frozen=True)
class Drawn:
    """What a view left for the card column and the downloads."""

    figure: go.Figure | None = None
    data: TimelineData | None = None


def _chart(figure: go.Figure, key: str) -> None:
    chart_frame(figure, key=key, config=CHART_CONFIG, on_pick=select_statement)


def _events(session: Session, choice: TimelineChoice) -> list[Any]:
    if not choice.params.events:
        return []
    f = choice.filter
    return list_events(session, topic_id=f.topic_id, start=f.start, end=f.end)


def _frame_px(share: float) -> int:
    """The chart's width as far as the server can tell (the browser's is unknown), for keeping
    the event labels apart: a laptop's main column, less the card's when it is open."""
    return round(FRAME_WIDTH_GUESS * share)


def _count_caption(data: TimelineData) -> str:
    lanes = len(data.lanes)
    who = f"{lanes} {'country' if lanes == 1 else 'countries'}"
    statements = "statement" if data.total == 1 else "statements"
    if data.grouped:
        word = period_name(data.period) if data.period else "period"
        coarser = sorted({period_name(b.period) for b in data.buckets if b.period != data.period})
        apart = (
            f" Statements dated only to their {' or '.join(coarser)} are grouped per "
            f"{' or '.join(coarser)}, with a whisker across it."
            if coarser
            else ""
        )
        return (
            f"{data.total:,} {statements} by {who}, grouped per {word} ({len(data.buckets):,} "
            f"points). Each point is one country's statements in a {word}, coloured by their "
            "mean stance and sized by their number; solid verified, hollow pending; the band "
            f"along a lane shows the stance held.{apart} Narrow the dates or the countries to "
            "see single statements. Click a point to read the last one filed."
        )
    return (
        f"{data.total:,} {statements} by {who}. Solid points are verified, hollow ones await "
        "review; the band along a lane shows the stance held until the next statement; a "
        "whisker spans the month or year of a date known only that precisely. "
        "Click a point to read it."
    )


def swimlanes_view(session: Session, choice: TimelineChoice, share: float) -> Drawn:
    data = load_timeline(session, choice.filter, order=choice.params.order)
    if not data.total:
        st.info("No statements on this topic for this selection.")
        return Drawn(data=data)
    st.caption(_count_caption(data))
    figure = timeline_figure(
        data,
        choice.topic.levels,
        _events(session, choice),
        show_events=choice.params.events,
        frame_px=_frame_px(share),
    )
    _chart(figure, "timeline_chart")
    return Drawn(figure=figure, data=data)


def lines_view(session: Session, choice: TimelineChoice, share: float) -> Drawn:
    data = load_timeline(session, choice.filter, order=choice.params.order)
    if not data.total:
        st.info("No statements on this topic for this selection.")
        return Drawn(data=data)
    figure = stance_lines_figure(
        data,
        choice.topic.levels,
        _events(session, choice),
        show_events=choice.params.events,
        frame_px=_frame_px(share),
    )
    shown = len(figure.data)
    note = (
        f"The first {shown} of {len(data.lanes)} countries in lane order; choose countries in "
        "the sidebar to compare others. "
        if len(data.lanes) > shown
        else ""
    )
    per = f"each {period_name(data.period)}'s mean" if data.grouped and data.period else "each"
    st.caption(
        f"{note}One step line per country on the stance scale, stepping at {per} statement "
        "(verified and pending). Click a point to read it."
    )
    _chart(figure, "timeline_lines")
    return Drawn(figure=figure, data=data)


def heatmap_view(session: Session, choice: TimelineChoice, share: float) -> Drawn:
    monthly = monthly_stances(session, choice.filter, order=choice.params.order)
    year_only = (
        f" {monthly.year_only:,} {'statement is' if monthly.year_only == 1 else 'statements are'}"
        " dated only to a year, so in no month (the swimlanes and the table show them)."
        if monthly.year_only
        else ""
    )
    if not monthly.cells:
        st.info(
            "No verified or pending statements dated to a month on this topic for this "
            f"selection.{year_only}"
        )
        return Drawn()
    st.caption(
        "Average stance per country and month (verified and pending statements); blank "
        f"months had none. Reds oppose the proposition, blues support it.{year_only}"
    )
    figure = stance_heatmap_figure(monthly.cells, choice.topic.levels, lanes=monthly.lanes)
    chart_frame(figure, key="timeline_heatmap", config=CHART_CONFIG)
    return Drawn(figure=figure)


def _table_columns(rows: list[TimelineRow]) -> dict[str, list[Any]]:
    return {
        "id": [r.statement_id for r in rows],
        "Date": [date_text(r.said_on, r.date_precision) for r in rows],
        "Country": [r.actor_name for r in rows],
        "Speaker": [r.speaker or "" for r in rows],
        "Role": [r.speaker_role or "" for r in rows],
        "Stance": [r.stance_label for r in rows],
        "Status": [r.status for r in rows],
        "Channel": [r.channel.replace("_", " ") for r in rows],
        "Excerpt": [r.excerpt for r in rows],
        "Source": [r.source_site or "" for r in rows],
    }


def table_view(session: Session, choice: TimelineChoice, share: float) -> Drawn:
    total = timeline_stats(session, choice.filter).total
    if not total:
        st.info("No statements on this topic for this selection.")
        return Drawn()
    rows = rows_for(session, choice.filter, limit=TABLE_LIMIT, newest_first=True)
    shown = (
        f"the newest {len(rows):,} of {total:,} (download them all below)"
        if total > len(rows)
        else f"all {total:,}"
    )
    st.caption(f"Statements on these filters, newest first: {shown}. Click a row to read it.")
    table_ids = [r.statement_id for r in rows]

    def on_select() -> None:
        state = st.session_state.get("timeline_table")
        chosen = state["selection"]["rows"] if state else []
        if chosen and chosen[0] < len(table_ids):
            select_statement(table_ids[chosen[0]])

    st.dataframe(
        _table_columns(rows),
        key="timeline_table",
        on_select=on_select,
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
    return Drawn()


def _said(view: StatementView) -> str:
    speaker = md_escape(view.speaker_name) if view.speaker_name else "unnamed speaker"
    if view.speaker_role:
        speaker += f", {md_escape(view.speaker_role)}"
    return f"{date_text(view.said_on, view.date_precision)} · {speaker}"


def shifts_view(session: Session, choice: TimelineChoice, share: float) -> Drawn:
    found = position_shifts(session, choice.filter, limit=SHIFTS_SHOWN)
    if not found.total:
        st.info(
            "No position shifts on these filters: no country's stance differs from its "
            "previous statement on this topic."
        )
        return Drawn()
    st.caption(
        f"{found.total:,} statements whose stance differs from the same country's previous "
        f"statement on this topic (verified and pending), newest first"
        + (f"; the newest {len(found.shifts)} below." if found.total > len(found.shifts) else ".")
    )
    for shift in found.shifts:
        before, after = shift.before, shift.after
        with st.container(border=True):
            st.markdown(
                f"**{md_escape(after.actor_name)}** moved from *{md_escape(before.stance_label)}* "
                f"to *{md_escape(after.stance_label)}* ({shift.change:+d}) on "
                f"{date_text(after.said_on, after.date_precision)}"
            )
            for column, view, label in zip(
                st.columns(2), (before, after), ("Before", "After"), strict=True
            ):
                with column:
                    st.caption(f"{label}: {_said(view)} · {md_escape(view.stance_label)}")
                    text = view.quote or view.summary or ""
                    st.markdown(md_quote(text) if text else "*(no text)*")
                    st.button(
                        f"Open statement #{view.id}",
                        key=f"shift_{before.id}_{after.id}_{label}",
                        on_click=select_statement,
                        args=(view.id,),
                        type="tertiary",
                    )
    return Drawn()


# Each view draws itself on the chosen filters, in ``share`` of the main column's width.
VIEW_FUNCTIONS: dict[str, Callable[[Session, TimelineChoice, float], Drawn]] = {
    "swimlanes": swimlanes_view,
    "lines": lines_view,
    "heatmap": heatmap_view,
    "table": table_view,
    "shifts": shifts_view,
}


def _group_picker(
    session: Session, choice: TimelineChoice, data: TimelineData, selected: StatementView
) -> None:
    """Under a grouped point's card: the other statements of its group, to switch to."""
    if data.period is None:
        return
    first, last, precisions = group_bounds(data.period, selected.said_on, selected.date_precision)
    group_filter = replace(
        choice.filter,
        actor_ids=frozenset({selected.actor_id}),
        start=first,
        end=last,
        precisions=precisions,
    )
    rows = rows_for(session, group_filter, limit=GROUP_LIMIT, newest_first=True)
    if len(rows) < 2:
        return
    ids = [r.statement_id for r in rows]
    labels = {
        r.statement_id: f"{date_text(r.said_on, r.date_precision)} · {r.stance_label} · "
        f"{r.excerpt[:60]}"
        for r in rows
    }
    key = f"timeline_group_{selected.actor_id}_{first.isoformat()}_{last.isoformat()}"

    def on_change() -> None:
        select_statement(st.session_state.get(key))

    st.selectbox(
        f"{len(rows)} statements by {selected.actor_name} from {date_text(first)} to "
        f"{date_text(last)}",
        ids,
        index=ids.index(selected.id) if selected.id in ids else 0,
        format_func=lambda i: labels[i],
        key=key,
        on_change=on_change,
    )


def card_column(
    session: Session,
    choice: TimelineChoice,
    selected: StatementView | None,
    wanted_id: int,
    drawn: Drawn,
) -> None:
    st.button(
        "Close",
        key="timeline_close_card",
        on_click=select_statement,
        args=(None,),
        icon=":material/close:",
        type="tertiary",
    )
    if selected is not None:
        same_topic = selected.topic_id == choice.topic.id
        statement_card(
            selected,
            choice.topic if same_topic else None,
            news=statement_news(session, selected.news_item_ids),
            compact=True,
        )
        if same_topic and drawn.data is not None and drawn.data.grouped:
            _group_picker(session, choice, drawn.data, selected)
    elif wanted_id is not None:
        st.warning(f"There is no statement #{wanted_id}.")


def view_link(choice: TimelineChoice, statement_id: int | None) -> str:
    """This view's address, as far as the server knows it."""
    params = encode_params(choice.params)
    if statement_id is not None:
        params["statement"] = str(statement_id)
    base = (st.context.url or "").split("?", 1)[0]
    return f"{base}?{urlencode(params)}"


def downloads(engine: Engine, choice: TimelineChoice, drawn: Drawn, link: str) -> None:
    """Rows as CSV and JSON, the chart as PNG and HTML: each made only when clicked."""
    f = choice.filter
    slug = choice.topic.slug
    title = choice.topic.title

    def full_rows() -> list[TimelineRow]:
        with Session(engine) as session:
            return rows_for(session, f, full_text=True)

    buttons: list[tuple[str, Callable[[], str | bytes], str, str]] = [
        ("Rows (CSV)", lambda: rows_csv(full_rows()), f"{slug}-statements.csv", "text/csv"),
        (
            "Rows (JSON)",
            lambda: rows_json(full_rows(), f=f, topic_slug=slug, view_url=link),
            f"{slug}-statements.json",
            "application/json",
        ),
    ]
    figure = drawn.figure
    if figure is not None:
        view = choice.params.view
        buttons += [
            (
                "Chart (PNG)",
                lambda: figure_png(figure, title=title),
                f"{slug}-{view}.png",
                "image/png",
            ),
            (
                "Chart (HTML)",
                lambda: figure_html(figure, title=title),
                f"{slug}-{view}.html",
                "text/html",
            ),
        ]
    st.markdown("**Download**")
    for column, (label, make, name, mime) in zip(st.columns(len(buttons)), buttons, strict=True):
        column.download_button(
            label,
            make,
            file_name=name,
            mime=mime,
            on_click="ignore",
            key=f"timeline_download_{name.rsplit('.', 1)[-1]}",
            icon=":material/download:",
        )
    st.caption(
        "The address bar holds every filter and the selected statement: copy it to share "
        "this view. Rows hold every statement on these filters, with full quotes."
    )
