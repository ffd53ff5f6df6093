"""Pure chart builders: rows in, Plotly figure out. No database, no Streamlit.

Text that users typed (quotes, names, event titles) reaches Plotly escaped with
:func:`plotly_text`: Plotly reads ``<b>``, ``<br>`` and ``<a href>`` tags in labels and hover
text, and a quote must never become markup.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from tracker.timeline import TimelineRow, excerpt

NEUTRAL_COLOUR = "#7f7f7f"
VERIFIED_SYMBOL = "circle"
UNVERIFIED_SYMBOL = "circle-open"
EVENT_COLOUR = "#444444"
ERA_COLOUR = "rgba(120, 120, 120, 0.14)"
LANE_HEIGHT = 46
DODGE = 0.36
STACK_SHARE = 0.35  # lane units per statement on one day, beyond the first few
EVENT_LABEL_CHARS = 28

_PRECISION_FORMATS = {"day": "%d %b %Y", "month": "%b %Y", "year": "%Y"}


class Level(Protocol):
    """A step of a stance scale (``tracker.topics.LevelView`` fits)."""

    @property
    def value(self) -> int: ...

    @property
    def label(self) -> str: ...


class TimelineEvent(Protocol):
    """An event or era (``tracker.events.EventView`` fits)."""

    @property
    def title(self) -> str: ...

    @property
    def starts_on(self) -> date: ...

    @property
    def ends_on(self) -> date | None: ...

    @property
    def date_precision(self) -> str: ...


def plotly_text(text: str | None) -> str:
    """``text`` as Plotly shows it literally: tags escaped, newlines flattened."""
    if not text:
        return ""
    return html.escape(" ".join(text.split()), quote=False)


def format_date(day: date, precision: str = "day") -> str:
    """A date as precise as it is known: ``01 Jun 2025``, ``Jun 2025`` or ``2025``."""
    return day.strftime(_PRECISION_FORMATS.get(precision, "%d %b %Y"))


def stance_colours(levels: Sequence[Level]) -> dict[int, str]:
    """A diverging colour per level: reds against, grey neutral, blues in favour.

    Colours come from ColorBrewer's RdBu, skipping its pale middle so every marker stays
    visible on a white background; the strongest levels get the darkest colours.
    """
    values = sorted({level.value for level in levels})
    reach = max((abs(v) for v in values), default=1) or 1
    colours: dict[int, str] = {}
    for value in values:
        if value == 0:
            colours[value] = NEUTRAL_COLOUR
            continue
        strength = abs(value) / reach
        position = 0.5 + (1 if value > 0 else -1) * (0.2 + 0.3 * strength)
        colours[value] = sample_colorscale("RdBu", [position], colortype="rgb")[0]
    return colours


def period_of(day: date, precision: str) -> tuple[date, date]:
    """The first and last day a date of this precision can mean (``said_on`` is the start)."""
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if precision == "month":
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return date(day.year, day.month, 1), following - timedelta(days=1)
    return day, day


def plotted_day(row: TimelineRow) -> date:
    """Where a statement is drawn: the middle of the period its date stands for.

    A statement known only to "June 2025" drawn on 1 June would seem to precede everything that
    happened that month; in the middle, with a whisker across the month, it does not.
    """
    first, last = period_of(row.said_on, row.date_precision)
    return first + (last - first) / 2


def lane_order(rows: Sequence[TimelineRow]) -> list[str]:
    """Actor names in the order the lanes appear, top to bottom (alphabetical)."""
    return sorted({row.actor_name for row in rows})


@dataclass(frozen=True)
class _Lanes:
    centres: list[float]  # y of each lane, in lane order (top lane highest)
    positions: list[float]  # y of each row
    height: float  # total height in lane units


def _lay_out_lanes(rows: Sequence[TimelineRow], lanes: list[str]) -> _Lanes:
    """Place lanes top to bottom and spread statements by one actor on one day.

    A lane is one unit tall, taller when many statements share a day in it, so that spread
    points stay apart instead of piling up.
    """
    groups: dict[tuple[str, date], list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[(row.actor_name, row.said_on)].append(i)
    crowd: dict[str, int] = defaultdict(lambda: 1)
    for (name, _day), members in groups.items():
        crowd[name] = max(crowd[name], len(members))
    sizes = [max(1.0, STACK_SHARE * crowd[name]) for name in lanes]
    total = sum(sizes)
    centres: list[float] = []
    top = total
    for size in sizes:
        centres.append(top - size / 2)
        top -= size
    centre_of = dict(zip(lanes, centres, strict=True))
    size_of = dict(zip(lanes, sizes, strict=True))
    positions = [0.0] * len(rows)
    for (name, _day), members in groups.items():
        count = len(members)
        step = min(DODGE, 0.8 * size_of[name] / count) if count > 1 else 0.0
        for k, i in enumerate(members):
            positions[i] = centre_of[name] + (k - (count - 1) / 2) * step
    return _Lanes(centres=centres, positions=positions, height=max(total, 1.0))


def _hover_fields(row: TimelineRow) -> list[object]:
    speaker = plotly_text(row.speaker) or "Unnamed speaker"
    if row.speaker_role:
        speaker += f", {plotly_text(row.speaker_role)}"
    return [
        row.statement_id,
        plotly_text(row.actor_name),
        format_date(row.said_on, row.date_precision),
        speaker,
        plotly_text(row.stance_label),
        plotly_text(row.status),
        plotly_text(row.excerpt) or "(no text)",
        plotly_text(row.source_site) or "no source",
    ]


HOVER_TEMPLATE = (
    "<b>%{customdata[1]}</b> · %{customdata[2]}<br>"
    "%{customdata[3]}<br>"
    "Stance: <b>%{customdata[4]}</b> (%{customdata[5]})<br>"
    "<i>%{customdata[6]}</i><br>"
    "Source: %{customdata[7]}"
    "<extra></extra>"
)


def _x_range(rows: Sequence[TimelineRow], events: Sequence[TimelineEvent]) -> list[str] | None:
    days = [day for row in rows for day in period_of(row.said_on, row.date_precision)]
    for event in events:
        days.extend(period_of(event.starts_on, event.date_precision))
        if event.ends_on is not None:
            days.extend(period_of(event.ends_on, event.date_precision))
    if not days:
        return None
    first, last = min(days), max(days)
    pad = max(timedelta(days=10), (last - first) * 0.05)
    return [(first - pad).isoformat(), (last + pad).isoformat()]


def _add_events(fig: go.Figure, events: Sequence[TimelineEvent]) -> int:
    """Lines for events, shaded bands for eras; return how many label rows were used."""
    ordered = sorted(events, key=lambda e: (e.starts_on, e.title))
    tiers = 0
    for i, event in enumerate(ordered):
        first, last = period_of(event.starts_on, event.date_precision)
        start = (first + (last - first) / 2).isoformat()  # mid-period, as for statements
        title = plotly_text(event.title)
        when = format_date(event.starts_on, event.date_precision)
        if event.ends_on is not None and event.ends_on > event.starts_on:
            when += f" – {format_date(event.ends_on, event.date_precision)}"
            start = first.isoformat()
            fig.add_shape(
                type="rect",
                xref="x",
                yref="paper",
                x0=start,
                x1=period_of(event.ends_on, event.date_precision)[1].isoformat(),
                y0=0,
                y1=1,
                fillcolor=ERA_COLOUR,
                line={"width": 0},
                layer="below",
                name=title,
            )
        else:
            fig.add_shape(
                type="line",
                xref="x",
                yref="paper",
                x0=start,
                x1=start,
                y0=0,
                y1=1,
                line={"color": EVENT_COLOUR, "width": 1, "dash": "dot"},
                layer="below",
                name=title,
            )
        tier = i % 3
        tiers = max(tiers, tier + 1)
        fig.add_annotation(
            x=start,
            xref="x",
            y=1.0,
            yref="paper",
            yshift=4 + 16 * tier,
            yanchor="bottom",
            xanchor="left",
            showarrow=False,
            text=plotly_text(excerpt(event.title, EVENT_LABEL_CHARS)),
            hovertext=f"{title}<br>{when}",
            font={"size": 11, "color": EVENT_COLOUR},
        )
    return tiers


def _period_trace(
    rows: Sequence[TimelineRow], positions: list[float], members: list[int], value: int, colour: str
) -> go.Scattergl:
    """Faint whiskers across the month or year that imprecise dates stand for."""
    xs: list[str | None] = []
    ys: list[float | None] = []
    for i in members:
        first, last = period_of(rows[i].said_on, rows[i].date_precision)
        xs += [first.isoformat(), last.isoformat(), None]
        ys += [positions[i], positions[i], None]
    return go.Scattergl(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": colour, "width": 2},
        opacity=0.35,
        hoverinfo="skip",
        showlegend=False,
        legendgroup=f"stance{value}",
        meta={"stance": value, "period": True},
    )


def swimlane_figure(
    rows: Sequence[TimelineRow],
    levels: Sequence[Level],
    events: Sequence[TimelineEvent] = (),
    *,
    show_events: bool = True,
) -> go.Figure:
    """One lane per actor, one marker per statement coloured by stance.

    Verified statements are solid, all others (pending) hollow. Each level of the topic's
    scale has a legend entry, in scale order from the most favourable down, whether or not it
    has points. ``customdata[0]`` of every point is its statement id.
    """
    lanes = lane_order(rows)
    colours = stance_colours(levels)
    for row in rows:  # a stance outside the scale still gets drawn, in grey
        colours.setdefault(row.stance, NEUTRAL_COLOUR)
    labels = {level.value: level.label for level in levels}
    for row in rows:
        labels.setdefault(row.stance, row.stance_label)
    layout = _lay_out_lanes(rows, lanes)
    positions = layout.positions

    fig = go.Figure()
    for value in sorted(colours, reverse=True):
        for verified in (True, False):
            members = [
                i
                for i, row in enumerate(rows)
                if row.stance == value and (row.status == "verified") == verified
            ]
            if not members and not verified:
                continue
            imprecise = [i for i in members if rows[i].date_precision in ("month", "year")]
            if imprecise:
                fig.add_trace(_period_trace(rows, positions, imprecise, value, colours[value]))
            # An empty level still gets its legend entry, from a trace with one blank point.
            xs: list[str | None] = [plotted_day(rows[i]).isoformat() for i in members] or [None]
            ys: list[float | None] = [positions[i] for i in members] or [None]
            fig.add_trace(
                go.Scattergl(
                    x=xs,
                    y=ys,
                    customdata=[_hover_fields(rows[i]) for i in members] or None,
                    mode="markers",
                    name=plotly_text(labels[value]),
                    legendgroup=f"stance{value}",
                    showlegend=verified,
                    marker={
                        "color": colours[value],
                        "size": 13,
                        "symbol": VERIFIED_SYMBOL if verified else UNVERIFIED_SYMBOL,
                        "line": {"width": 2.5, "color": colours[value]},
                    },
                    hovertemplate=HOVER_TEMPLATE,
                    meta={"stance": value, "verified": verified},
                )
            )

    tiers = _add_events(fig, events) if show_events else 0
    fig.update_layout(
        height=max(300, round(110 + LANE_HEIGHT * layout.height) + 16 * tiers),
        margin={"l": 10, "r": 10, "t": 30 + 16 * tiers, "b": 40},
        legend={"title": {"text": "Stance"}, "traceorder": "normal"},
        hovermode="closest",
        clickmode="event+select",
        dragmode="pan",
        plot_bgcolor="white",
    )
    fig.update_xaxes(type="date", range=_x_range(rows, events if show_events else ()))
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    fig.update_yaxes(
        tickmode="array",
        tickvals=layout.centres,
        ticktext=[plotly_text(name) for name in lanes],
        range=[-0.1, layout.height + 0.1],
        showgrid=True,
        gridcolor="#eeeeee",
        zeroline=False,
        fixedrange=True,
        automargin=True,
    )
    return fig
