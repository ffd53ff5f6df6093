"""Pure chart builders: rows in, Plotly figure out. No database, no Streamlit.

Text that users typed (quotes, names, event titles) reaches Plotly escaped with
:func:`plotly_text`: Plotly reads ``<b>``, ``<br>`` and ``<a href>`` tags in labels and hover
text, and a quote must never become markup.

Points are SVG (``Scatter``) traces, and never many: beyond :data:`tracker.timeline.MAX_POINTS`
statements the timeline hands over :class:`~tracker.timeline.Bucket` groups instead of rows,
drawn one marker each, so a chart has at most a few thousand markers whatever the database
holds. At that size SVG draws faster than WebGL in a browser without a GPU (bench/RESULTS.md,
Timeline: the 60-lane first view in 0.55–0.75 s against 1.6 s, one lane in 0.13–0.17 s against
0.54 s, most of that WebGL start-up), and it needs only the small ``scatter`` bundle of
plotly.js (see ``tracker/ui/chart_frame.py``).
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale

from tracker.timeline import (
    HELD_STATUSES,
    PERIODS,
    Bucket,
    Lane,
    Period,
    TimelineData,
    TimelineRow,
    excerpt,
    period_name,
    round_stance,
)

NEUTRAL_COLOUR = "#7f7f7f"
VERIFIED_SYMBOL = "circle"
UNVERIFIED_SYMBOL = "circle-open"
STATUS_SYMBOLS = {
    "verified": VERIFIED_SYMBOL,
    "pending": UNVERIFIED_SYMBOL,
    "rejected": "x",
    "retracted": "square-open",
}
EVENT_COLOUR = "#444444"
ERA_COLOUR = "rgba(120, 120, 120, 0.14)"
LANE_HEIGHT = 46
COMPACT_LANE_HEIGHT = 28  # per lane once there are more than COMPACT_AFTER lanes
COMPACT_AFTER = 16
# A chart of more lanes runs past a laptop screen's bottom, where the dates are; they are
# repeated above its top lane, in this many pixels.
DATES_ABOVE_PX = 22
LEGEND_PAD_PX = 60  # a legend entry's symbol and gaps, beside its text
NARROW_MARGIN_PX = 10
HEATMAP_SCALE_PX = 320  # the colour scale's length beside a tall heatmap
DODGE = 0.36
STACK_SHARE = 0.35  # lane units per statement on one day, beyond the first few
EVENT_LABEL_CHARS = 28
LABEL_TIERS = 3
# Pixels: the chart's frame in the page's main column, on a laptop-wide window. The browser's
# width is unknown on the server; this keeps event labels apart there.
FRAME_WIDTH_GUESS = 940
CHAR_PX = 6.5  # average width of a character of an 11px label
TICK_CHAR_PX = 6.6  # the same for the 12px lane names
BAND_OPACITY = 0.22
STATUS_OFFSET = {"verified": 0.14, "pending": -0.14}  # grouped points: two rows per lane
MAX_LINES = 12
# How a group's period reads in its hover, from the point's x (the middle of the period).
_PERIOD_HOVER = {
    "day": "%{x|%d %b %Y}",
    "week": "week %{x|%V of %G}",
    "month": "%{x|%b %Y}",
    "quarter": "Q%{x|%q %Y}",
    "half": "H%{customdata[3]} %{x|%Y}",  # d3's formats have no half-year
    "year": "%{x|%Y}",
}

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


def period_label(period: Period, start: date) -> str:
    """How a group's period reads in a hover: ``Jun 2025``, ``Q2 2025``, ``week of …``."""
    if period == "day":
        return format_date(start)
    if period == "week":
        return f"week of {format_date(start)}"
    if period == "month":
        return format_date(start, "month")
    if period == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if period == "half":
        return f"H{_half(start)} {start.year}"
    return str(start.year)


def group_label(group: Bucket, period: Period) -> str:
    """A group's period in a hover; a group of statements dated less precisely than the chart
    groups (only to their year) says so."""
    label = period_label(group.period, group.start)
    if group.period == period:
        return label
    return f"{label} (dated only to the {period_name(group.period)})"


@lru_cache(maxsize=64)
def _rdbu(position: float) -> str:
    return str(sample_colorscale("RdBu", [position], colortype="rgb")[0])


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
        colours[value] = _rdbu(round(position, 6))
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


def _lane_names(lanes: Sequence[Lane] | Sequence[str] | None, present: Iterable[str]) -> list[str]:
    """Lane names top to bottom: as given (names or :class:`Lane`), then any missing ones."""
    names = [lane if isinstance(lane, str) else lane.name for lane in lanes or ()]
    seen = set(names)
    return names + sorted({name for name in present if name not in seen})


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
            positions[i] = round(centre_of[name] + (k - (count - 1) / 2) * step, 4)
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
        plotly_text(excerpt(row.excerpt, 90)) or "(no text)",
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


def _x_range(days: Iterable[date], events: Sequence[TimelineEvent]) -> list[str] | None:
    days = list(days)
    for event in events:
        days.extend(period_of(event.starts_on, event.date_precision))
        if event.ends_on is not None:
            days.extend(period_of(event.ends_on, event.date_precision))
    if not days:
        return None
    first, last = min(days), max(days)
    pad = max(timedelta(days=10), (last - first) * 0.05)
    return [(first - pad).isoformat(), (last + pad).isoformat()]


@dataclass(frozen=True)
class EventMarks:
    """The layout's shapes (event lines, era bands) and labels, and how many label rows."""

    shapes: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    tiers: int

    def layout(self) -> dict[str, Any]:
        # For go.Figure(..., _validate=False): fig.add_shape and fig.add_annotation validate
        # the whole list again on every call, so 200 events took seconds. Copies, so that no
        # figure shares a list with another (NO_EVENT_MARKS serves them all).
        return {"shapes": list(self.shapes), "annotations": list(self.annotations)}


NO_EVENT_MARKS = EventMarks([], [], 0)


def event_marks(
    events: Sequence[TimelineEvent],
    x_range: list[str] | None = None,
    *,
    above_px: int = 0,
    plot_px: int,
) -> EventMarks:
    """Lines for events, shaded bands for eras, and their labels.

    Labels go on up to :data:`LABEL_TIERS` rows above the plot (``above_px`` higher, when the
    dates are shown above it too), each on the first row where it would not run into the
    previous label; one that fits nowhere shrinks to a diamond on the event's line, in a row
    of diamonds below the labels, and its hover still names the event. ``plot_px`` is the
    plot's likely width in the browser, which the server cannot know.
    """
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    ordered = sorted(events, key=lambda e: (e.starts_on, e.title))
    first_day = date.fromisoformat(x_range[0]) if x_range else None
    span = (date.fromisoformat(x_range[1]) - first_day).days if x_range and first_day else 0
    tier_ends = [-math.inf] * LABEL_TIERS  # where each row's last label ends, in pixels
    tiers = 0
    placed: list[int | None] = []  # each label's row, None for a diamond
    for event in ordered:
        first, last = period_of(event.starts_on, event.date_precision)
        middle = first + (last - first) / 2  # mid-period, as for statements
        start = middle.isoformat()
        title = plotly_text(event.title)
        when = format_date(event.starts_on, event.date_precision)
        if event.ends_on is not None and event.ends_on > event.starts_on:
            when += f" – {format_date(event.ends_on, event.date_precision)}"
            middle = first
            start = first.isoformat()
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": start,
                    "x1": period_of(event.ends_on, event.date_precision)[1].isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": ERA_COLOUR,
                    "line": {"width": 0},
                    "layer": "below",
                    "name": title,
                }
            )
        else:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": start,
                    "x1": start,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": EVENT_COLOUR, "width": 1, "dash": "dot"},
                    "layer": "below",
                    "name": title,
                }
            )
        label = excerpt(event.title, EVENT_LABEL_CHARS)
        x_px = (middle - first_day).days / span * plot_px if first_day and span else 0.0
        width = CHAR_PX * len(label) + 8
        # Near the right edge a label ends at its event instead of starting there, or the
        # chart's edge would cut it.
        leftward = x_px + width > plot_px
        begins = x_px - width if leftward else x_px
        tier = next((t for t, end in enumerate(tier_ends) if end <= begins), None)
        if tier is not None:
            tier_ends[tier] = x_px if leftward else x_px + width
            tiers = max(tiers, tier + 1)
        placed.append(tier)
        annotations.append(
            {
                "x": start,
                "xref": "x",
                "y": 1.0,
                "yref": "paper",
                "yanchor": "bottom",
                "xanchor": "center" if tier is None else "right" if leftward else "left",
                "showarrow": False,
                "text": plotly_text(label) if tier is not None else "◆",
                "hovertext": f"{title}<br>{when}",
                "font": {"size": 11, "color": EVENT_COLOUR},
            }
        )
    # Every label row ends past where a diamond's event is (labels go left to right), so a
    # diamond on any of them would cover a label's words: the diamonds get the lowest row.
    diamond_row = 1 if None in placed else 0
    for annotation, tier in zip(annotations, placed, strict=True):
        row = diamond_row + tier if tier is not None else 0
        annotation["yshift"] = 4 + above_px + 16 * row
    return EventMarks(shapes, annotations, tiers + diamond_row)


def _period_trace(
    rows: Sequence[TimelineRow], positions: list[float], members: list[int], value: int, colour: str
) -> dict[str, Any]:
    """Faint whiskers across the month or year that imprecise dates stand for."""
    spans = [(*period_of(rows[i].said_on, rows[i].date_precision), positions[i]) for i in members]
    return _whiskers(spans, value, colour)


def _whiskers(spans: Iterable[tuple[date, date, float]], value: int, colour: str) -> dict[str, Any]:
    """A faint line from ``first`` to ``last`` at each ``y`` of ``spans``."""
    xs: list[str | None] = []
    ys: list[float | None] = []
    for first, last, y in spans:
        xs += [first.isoformat(), last.isoformat(), None]
        ys += [y, y, None]
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "lines",
        "line": {"color": colour, "width": 2},
        "opacity": 0.35,
        "hoverinfo": "skip",
        "showlegend": False,
        "legendgroup": f"stance{value}",
        "meta": {"stance": value, "period": True},
    }


# --- the stance held between statements ----------------------------------------------------


@dataclass(frozen=True)
class HeldSpan:
    """A lane's stance from one statement (or period) until the next one changes it."""

    lane: str
    start: date
    end: date
    stance: int


def held_spans(marks: Iterable[tuple[str, date, int]], until: date | None = None) -> list[HeldSpan]:
    """Spans of unchanged stance per lane from ``(lane, day, stance)`` marks.

    Each stance holds from its mark to the next mark in its lane; the last one holds until
    ``until`` (the end of the chart), or ends where it was said. Runs of the same stance merge;
    on a day with several marks, the last one given counts.
    """
    by_lane: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for lane, day, stance in marks:
        by_lane[lane].append((day, stance))
    spans: list[HeldSpan] = []
    for lane, seq in by_lane.items():
        seq.sort(key=lambda item: item[0])  # stable: same-day marks keep their order
        current: tuple[date, int] | None = None
        for day, stance in seq:
            if current is None:
                current = (day, stance)
            elif stance != current[1]:
                if day > current[0]:
                    spans.append(HeldSpan(lane, current[0], day, current[1]))
                current = (day, stance)
        if current is not None:
            end = max(until, current[0]) if until is not None else current[0]
            if end > current[0]:
                spans.append(HeldSpan(lane, current[0], end, current[1]))
    return spans


def _band_traces(
    spans: Sequence[HeldSpan], centre_of: dict[str, float], colours: dict[int, str], width: int
) -> list[dict[str, Any]]:
    """Wide faint lines along each lane, coloured by the stance held."""
    by_stance: dict[int, tuple[list[str | None], list[float | None]]] = {}
    for span in spans:
        xs, ys = by_stance.setdefault(span.stance, ([], []))
        y = centre_of[span.lane]
        xs += [span.start.isoformat(), span.end.isoformat(), None]
        ys += [y, y, None]
    return [
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "line": {"color": colours.get(value, NEUTRAL_COLOUR), "width": width},
            "opacity": BAND_OPACITY,
            "hoverinfo": "skip",
            "showlegend": False,
            "legendgroup": f"stance{value}",
            "meta": {"stance": value, "band": True},
        }
        for value, (xs, ys) in sorted(by_stance.items(), reverse=True)
    ]


def _scale(
    levels: Sequence[Level], stances: Iterable[int], fallback: dict[int, str]
) -> tuple[dict[int, str], dict[int, str]]:
    """Colours and labels for every level, plus grey for stances outside the scale."""
    colours = stance_colours(levels)
    labels = {level.value: level.label for level in levels}
    for value in stances:
        colours.setdefault(value, NEUTRAL_COLOUR)
        labels.setdefault(value, fallback.get(value, f"{value:+d}"))
    return colours, labels


def _lane_px(lane_count: int) -> int:
    return LANE_HEIGHT if lane_count <= COMPACT_AFTER else COMPACT_LANE_HEIGHT


def _dates_above_px(lane_count: int) -> int:
    return DATES_ABOVE_PX if lane_count > COMPACT_AFTER else 0


def _side_legend_px(lane_count: int, title: str, names: Iterable[str]) -> int:
    """The right margin for a legend beside the chart, 0 for one below it. Below a chart
    taller than a screen the legend would be out of sight, like the dates; the margin is made
    wide enough beforehand, as Plotly would otherwise widen it and draw the chart twice."""
    if not _dates_above_px(lane_count):
        return 0
    return LEGEND_PAD_PX + round(max(len(text) for text in (title, *names)) * CHAR_PX)


def _marks_and_legend(
    events: Sequence[TimelineEvent],
    x_range: list[str] | None,
    lane_names: list[str],
    legend_title: str,
    legend_names: Iterable[str],
    frame_px: int,
) -> tuple[EventMarks, int]:
    """A swimlane chart's event marks, and the right margin its legend needs (0 below it)."""
    legend_px = _side_legend_px(len(lane_names), legend_title, legend_names)
    if not events:
        return NO_EVENT_MARKS, legend_px
    plot_px = frame_px - _lane_names_px(lane_names) - (legend_px or NARROW_MARGIN_PX)
    above = _dates_above_px(len(lane_names))
    return event_marks(events, x_range, above_px=above, plot_px=plot_px), legend_px


def _lane_names_px(lane_names: Sequence[str]) -> int:
    """The left margin: as wide as the longest lane name. Fixed, as Plotly's automargin would
    draw the chart twice (once to measure the labels), which costs more than the points."""
    return round(20 + max((len(name) for name in lane_names), default=4) * TICK_CHAR_PX)


def _show_dates_above(fig: go.Figure) -> None:
    """The date axis again above the top lane: a second x axis matching the first, which
    Plotly draws only for a trace on it (an empty one, out of the legend and hover). Its ticks
    are its own ("auto"): an overlaying axis otherwise places them at the first axis's tick
    fractions, which on a date axis fall hours before each new year and read as the year
    before."""
    fig.add_trace(
        go.Scatter(x=[], y=[], xaxis="x2", hoverinfo="skip", showlegend=False, name="dates")
    )
    fig.update_layout(
        xaxis2={
            "matches": "x",
            "overlaying": "x",
            "side": "top",
            "type": "date",
            "tickmode": "auto",
            # One line each: Plotly's default puts the year on a second line, which here
            # would fall into the top lane.
            "tickformatstops": [
                {"dtickrange": [None, "M1"], "value": "%-d %b %Y"},
                {"dtickrange": ["M1", "M6"], "value": "%b %Y"},
                {"dtickrange": ["M12", None], "value": "%Y"},
            ],
            "showgrid": False,
            "zeroline": False,
            "ticklabeloverflow": "allow",
        }
    )


def _labels_never_hidden(fig: go.Figure) -> None:
    """Tick labels are drawn as they are: by default Plotly measures every label to hide those
    that would overflow the chart, which took 110-190 ms of a 60-lane first view's draw in
    Chromium (bench/RESULTS.md); the margins already leave room for the labels."""
    fig.update_xaxes(ticklabeloverflow="allow")
    fig.update_yaxes(ticklabeloverflow="allow")


def _finish_layout(
    fig: go.Figure,
    *,
    lane_names: list[str],
    centres: list[float],
    height_units: float,
    tiers: int,
    x_range: list[str] | None,
    legend_title: str,
    legend_px: int = 0,
) -> None:
    """Sizes, margins, axes and legend; ``legend_px`` from :func:`_side_legend_px`."""
    lane_count = len(lane_names)
    lane_px = _lane_px(lane_count)
    above_px = _dates_above_px(lane_count)
    legend: dict[str, Any] = {"title": {"text": legend_title}, "traceorder": "normal"}
    right_px = legend_px or NARROW_MARGIN_PX
    if legend_px:
        legend |= {"orientation": "v", "yanchor": "top", "y": 1, "xanchor": "left", "x": 1.01}
    else:
        legend |= {"orientation": "h", "yanchor": "top", "y": -0.08, "xanchor": "left", "x": 0}
    fig.update_layout(
        height=max(300, round(140 + lane_px * height_units) + 16 * tiers + above_px),
        margin={
            "l": _lane_names_px(lane_names),
            "r": right_px,
            "t": 30 + 16 * tiers + above_px,
            "b": 70,
        },
        legend=legend,
        hovermode="closest",
        clickmode="event+select",
        dragmode="pan",
        plot_bgcolor="white",
        uirevision="timeline",
    )
    fig.update_xaxes(type="date", range=x_range, showgrid=True, gridcolor="#eeeeee")
    fig.update_xaxes(zeroline=False)
    _labels_never_hidden(fig)
    fig.update_yaxes(
        tickmode="array",
        tickvals=centres,
        ticktext=[plotly_text(name) for name in lane_names],
        range=[-0.1, height_units + 0.1],
        showgrid=True,
        gridcolor="#eeeeee",
        zeroline=False,
        fixedrange=True,
        automargin=False,
    )
    if above_px:
        _show_dates_above(fig)


def swimlane_figure(
    rows: Sequence[TimelineRow],
    levels: Sequence[Level],
    events: Sequence[TimelineEvent] = (),
    *,
    show_events: bool = True,
    lanes: Sequence[Lane] | Sequence[str] | None = None,
    frame_px: int = FRAME_WIDTH_GUESS,
) -> go.Figure:
    """One lane per actor, one marker per statement coloured by stance.

    Verified statements are solid, pending ones hollow (rejected a cross, retracted a hollow
    square, when asked for). Behind the markers, a faint band along each lane shows the
    stance held from one statement to the next. Each level of the topic's scale has a legend
    entry, in scale order from the most favourable down, whether or not it has points.
    ``customdata[0]`` of every point is its statement id. ``lanes`` gives the lane order top
    to bottom (default: by name).
    """
    lane_names = _lane_names(lanes, (row.actor_name for row in rows))
    colours, labels = _scale(
        levels, (row.stance for row in rows), {r.stance: r.stance_label for r in rows}
    )
    layout = _lay_out_lanes(rows, lane_names)
    positions = layout.positions
    centre_of = dict(zip(lane_names, layout.centres, strict=True))

    ends = [period_of(row.said_on, row.date_precision)[1] for row in rows]
    spans = held_spans(
        (
            (row.actor_name, plotted_day(row), row.stance)
            for row in sorted(rows, key=lambda r: (r.said_on, r.statement_id))
            if row.status in HELD_STATUSES
        ),
        until=max(ends) if ends else None,
    )
    traces = _band_traces(spans, centre_of, colours, round(_lane_px(len(lane_names)) * 0.4))

    for value in sorted(colours, reverse=True):
        for status in STATUS_SYMBOLS:
            members = [
                i
                for i, row in enumerate(rows)
                if row.stance == value and _status_key(row.status) == status
            ]
            if not members and status != "verified":
                continue
            imprecise = [i for i in members if rows[i].date_precision in ("month", "year")]
            if imprecise:
                traces.append(_period_trace(rows, positions, imprecise, value, colours[value]))
            # An empty level still gets its legend entry, from a trace with one blank point.
            traces.append(
                {
                    "type": "scatter",
                    "x": [plotted_day(rows[i]).isoformat() for i in members] or [None],
                    "y": [positions[i] for i in members] or [None],
                    "customdata": [_hover_fields(rows[i]) for i in members] or None,
                    "mode": "markers",
                    "name": plotly_text(labels[value]),
                    "legendgroup": f"stance{value}",
                    "showlegend": status == "verified",
                    "marker": {
                        "color": colours[value],
                        "size": 13,
                        "symbol": STATUS_SYMBOLS[status],
                        "line": {"width": 2.5, "color": colours[value]},
                    },
                    "hovertemplate": HOVER_TEMPLATE,
                    "meta": {"stance": value, "verified": status == "verified", "status": status},
                }
            )

    # Validating thousands of points costs more than drawing them; the traces are built
    # from known keys here, and the tests check the result against Plotly's schema.
    days = [day for row in rows for day in period_of(row.said_on, row.date_precision)]
    x_range = _x_range(days, events if show_events else ())
    marks, legend_px = _marks_and_legend(
        events if show_events else (), x_range, lane_names, "Stance", labels.values(), frame_px
    )
    fig = go.Figure(data=traces, layout=marks.layout(), _validate=False)
    tiers = marks.tiers
    _finish_layout(
        fig,
        lane_names=lane_names,
        centres=layout.centres,
        height_units=layout.height,
        tiers=tiers,
        x_range=x_range,
        legend_title="Stance",
        legend_px=legend_px,
    )
    return fig


def _half(day: date) -> int:
    """1 or 2: the half of the year ``day`` is in (for a half-year group's hover)."""
    return 1 if day.month <= 6 else 2


def _status_key(status: str) -> str:
    return status if status in STATUS_SYMBOLS else "pending"


def _bucket_spans(buckets: Sequence[Bucket], period: Period) -> list[HeldSpan]:
    """Held stance per lane from grouped points: each period's mean, rounded, until the next
    period with statements. A group dated only to its year holds from the year's middle, as
    such a statement does in the per-statement chart."""
    per_period: dict[tuple[str, date], list[float]] = {}
    ends = []
    for b in buckets:
        ends.append(b.end)
        if b.status not in HELD_STATUSES and b.status != "any":
            continue
        day = b.start if b.period == period else b.middle
        total = per_period.setdefault((b.actor_name, day), [0.0, 0.0])
        total[0] += b.mean_stance * b.count
        total[1] += b.count
    marks = [
        (lane, day, round_stance(total / count))
        for (lane, day), (total, count) in per_period.items()
    ]
    marks.sort(key=lambda mark: mark[1])
    return held_spans(marks, until=max(ends) if ends else None)


def bucket_swimlane_figure(
    buckets: Sequence[Bucket],
    levels: Sequence[Level],
    events: Sequence[TimelineEvent] = (),
    *,
    show_events: bool = True,
    lanes: Sequence[Lane] | Sequence[str] | None = None,
    period: Period = "month",
    frame_px: int = FRAME_WIDTH_GUESS,
) -> go.Figure:
    """Swimlanes for many statements: one marker per actor, period and status.

    A marker's colour is the level nearest the period's mean stance, its size grows with the
    number of statements, verified groups sit solid in the upper half of the lane and pending
    ones hollow in the lower half. ``customdata`` is ``[statement id, count, mean stance, half
    of the year]``, the id being the group's last filed statement, which a click opens;
    ``text`` is the actor.
    """
    lane_names = _lane_names(lanes, (b.actor_name for b in buckets))
    level_of = [round_stance(b.mean_stance) for b in buckets]
    colours, labels = _scale(levels, set(level_of), {})
    count = len(lane_names)
    centres = [count - i - 0.5 for i in range(count)]
    centre_of = dict(zip(lane_names, centres, strict=True))
    biggest = max((b.count for b in buckets), default=1)
    names = {name: plotly_text(name) for name in lane_names}

    band_width = round(_lane_px(count) * 0.3)
    traces = _band_traces(_bucket_spans(buckets, period), centre_of, colours, band_width)

    groups: dict[tuple[int, str, Period], list[Bucket]] = defaultdict(list)
    for b, level in zip(buckets, level_of, strict=True):
        groups[(level, _status_key(b.status), b.period)].append(b)
    # Groups of statements dated only to their year, when the chart groups finer, come in
    # traces of their own: their hover names the year, and a whisker spans it.
    coarser = sorted({b.period for b in buckets} - {period}, key=PERIODS.index)
    for value in sorted(colours, reverse=True):
        for status in STATUS_SYMBOLS:
            offset = STATUS_OFFSET.get(status, 0.0)
            lanes_y = {name: centre + offset for name, centre in centre_of.items()}
            for kind in (period, *coarser):
                members = groups.get((value, status, kind), [])
                if not members and (status != "verified" or kind != period):
                    continue
                if kind != period:
                    traces.append(_group_whiskers(members, lanes_y, value, colours[value]))
                trace = _group_trace(value, status, labels[value], colours[value], kind, period)
                if members:
                    _group_points(trace, members, lanes_y, names, biggest)
                traces.append(trace)
    days = [day for b in buckets for day in (b.start, b.end)]
    x_range = _x_range(days, events if show_events else ())
    marks, legend_px = _marks_and_legend(
        events if show_events else (), x_range, lane_names, "Mean stance", labels.values(), frame_px
    )
    fig = go.Figure(data=traces, layout=marks.layout(), _validate=False)
    tiers = marks.tiers
    _finish_layout(
        fig,
        lane_names=lane_names,
        centres=centres,
        height_units=max(count, 1),
        tiers=tiers,
        x_range=x_range,
        legend_title="Mean stance",
        legend_px=legend_px,
    )
    return fig


def _group_trace(
    value: int, status: str, label: str, colour: str, kind: Period, period: Period
) -> dict[str, Any]:
    """A trace of grouped points of one stance level, status and ``kind`` of period (an empty
    one carries the level's legend entry)."""
    note = "" if kind == period else f" (dated only to the {period_name(kind)})"
    return {
        "type": "scatter",
        "x": [None],
        "hovertemplate": (
            f"<b>%{{text}}</b> · {_PERIOD_HOVER[kind]}{note}<br>"
            f"%{{customdata[1]}} {status} · mean %{{customdata[2]:+.1f}} "
            f"({plotly_text(label)})<br>Click to open one<extra></extra>"
        ),
        "mode": "markers",
        "name": plotly_text(label),
        "legendgroup": f"stance{value}",
        "showlegend": status == "verified" and kind == period,
        "marker": {
            "color": colour,
            "size": 8,
            "symbol": STATUS_SYMBOLS[status],
            "line": {"width": 1.5, "color": colour},
        },
        "meta": {"stance": value, "verified": status == "verified", "status": status},
    }


def _group_points(
    trace: dict[str, Any],
    members: Sequence[Bucket],
    lanes_y: dict[str, float],
    names: dict[str, str],
    biggest: int,
) -> None:
    # Numbers travel as typed arrays, dates and names as numpy arrays too: compact JSON and
    # cheap copies (Plotly and Streamlit each copy the figure once).
    numbers = np.array(
        [(b.sample_id, b.count, b.mean_stance, _half(b.start)) for b in members], dtype="f8"
    )
    numbers[:, 2] = numbers[:, 2].round(2)
    trace["x"] = np.array([b.middle for b in members], "datetime64[D]")
    trace["y"] = np.array([lanes_y[b.actor_name] for b in members], "f4")
    trace["text"] = np.array([names[b.actor_name] for b in members])
    trace["customdata"] = numbers
    trace["marker"]["size"] = (5 + 9 * np.sqrt(numbers[:, 1] / biggest)).astype("f4")


def _group_whiskers(
    members: Sequence[Bucket], lanes_y: dict[str, float], value: int, colour: str
) -> dict[str, Any]:
    """Faint whiskers across the years that groups of statements dated only to them stand for."""
    return _whiskers(((b.start, b.end, lanes_y[b.actor_name]) for b in members), value, colour)


def timeline_figure(
    data: TimelineData,
    levels: Sequence[Level],
    events: Sequence[TimelineEvent] = (),
    *,
    show_events: bool = True,
    frame_px: int = FRAME_WIDTH_GUESS,
) -> go.Figure:
    """The swimlanes for ``data``: per statement, or per group when ``data`` is grouped.
    ``frame_px`` is the chart's width as far as the page can tell, to keep event labels
    apart."""
    if data.grouped:
        return bucket_swimlane_figure(
            data.buckets,
            levels,
            events,
            show_events=show_events,
            lanes=data.lanes,
            period=data.period or "month",
            frame_px=frame_px,
        )
    return swimlane_figure(
        data.rows, levels, events, show_events=show_events, lanes=data.lanes, frame_px=frame_px
    )


# --- stance lines --------------------------------------------------------------------------


def _line_series(
    data: TimelineData, wanted: set[str]
) -> dict[str, list[tuple[date, float, int, str]]]:
    """Per wanted lane: (day, stance, statement id, hover) in date order, held statuses only."""
    series: dict[str, list[tuple[date, float, int, str]]] = defaultdict(list)
    if not data.grouped:
        for row in sorted(data.rows, key=lambda r: (r.said_on, r.statement_id)):
            if row.status not in HELD_STATUSES or row.actor_name not in wanted:
                continue
            hover = (
                f"<b>{plotly_text(row.actor_name)}</b> · "
                f"{format_date(row.said_on, row.date_precision)}<br>"
                f"{plotly_text(row.stance_label)}"
            )
            series[row.actor_name].append(
                (plotted_day(row), float(row.stance), row.statement_id, hover)
            )
        return series
    merged: dict[tuple[str, date, date], list[Any]] = {}
    for b in data.buckets:
        if (b.status not in HELD_STATUSES and b.status != "any") or b.actor_name not in wanted:
            continue
        key = (b.actor_name, b.start, b.end)  # a year's group apart from its first period's
        entry = merged.setdefault(key, [b, 0.0, 0, b.sample_id])
        entry[1] += b.mean_stance * b.count
        entry[2] += b.count
        entry[3] = max(entry[3], b.sample_id)
    period = data.period or "month"
    for (lane, _start, _end), (b, total, count, sample) in sorted(
        merged.items(), key=lambda kv: kv[1][0].middle
    ):
        mean = total / count
        hover = (
            f"<b>{plotly_text(lane)}</b> · {plotly_text(group_label(b, period))}<br>"
            f"mean {mean:+.2f} over {count} statements"
        )
        series[lane].append((b.middle, round(mean, 3), sample, hover))
    return series


def stance_lines_figure(
    data: TimelineData,
    levels: Sequence[Level],
    events: Sequence[TimelineEvent] = (),
    *,
    show_events: bool = True,
    max_lines: int = MAX_LINES,
    frame_px: int = FRAME_WIDTH_GUESS,
) -> go.Figure:
    """One step line per actor on a shared stance axis, the first ``max_lines`` lanes only.

    Per statement the line steps at each statement; grouped, it steps at each period's mean.
    ``customdata[0]`` of every point is a statement id, as on the swimlanes.
    """
    present = {row.actor_name for row in data.rows} | {b.actor_name for b in data.buckets}
    names = [lane.name for lane in data.lanes if lane.name in present][:max_lines]
    series = _line_series(data, set(names))
    names = [name for name in names if series.get(name)]
    palette = qualitative.D3 + qualitative.Safe
    days = [p[0] for name in names for p in series[name]]
    x_range = _x_range(days, events if show_events else ())
    # The plot is what the stance labels at the left and the legend of countries at the right
    # leave of the frame.
    legend_px = LEGEND_PAD_PX + round(max(map(len, ["Country", *names])) * CHAR_PX)
    plot_px = frame_px - _lane_names_px([level.label for level in levels]) - legend_px
    marks = event_marks(events, x_range, plot_px=plot_px) if show_events else NO_EVENT_MARKS
    tiers = marks.tiers
    fig = go.Figure(layout=marks.layout(), _validate=False)
    for i, name in enumerate(names):
        points = series[name]
        fig.add_trace(
            go.Scatter(
                x=[p[0].isoformat() for p in points],
                y=[p[1] for p in points],
                customdata=[[p[2]] for p in points],
                hovertext=[p[3] for p in points],
                hovertemplate="%{hovertext}<extra></extra>",
                mode="lines+markers",
                line={"shape": "hv", "width": 2, "color": palette[i % len(palette)]},
                marker={"size": 6 if data.grouped else 8},
                name=plotly_text(name),
            )
        )
    values = sorted({level.value for level in levels})
    fig.update_layout(
        height=460 + 16 * tiers,
        margin={"l": 10, "r": 10, "t": 30 + 16 * tiers, "b": 40},
        legend={"title": {"text": "Country"}},
        hovermode="closest",
        clickmode="event+select",
        dragmode="pan",
        plot_bgcolor="white",
    )
    fig.update_xaxes(type="date", range=x_range)
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    _labels_never_hidden(fig)
    fig.update_yaxes(
        tickmode="array",
        tickvals=values,
        ticktext=[plotly_text(level.label) for level in sorted(levels, key=lambda lv: lv.value)],
        range=[min(values, default=-2) - 0.4, max(values, default=2) + 0.4],
        showgrid=True,
        gridcolor="#eeeeee",
        zeroline=False,
        fixedrange=True,
        automargin=True,
    )
    return fig


# --- heatmap -------------------------------------------------------------------------------


def _month_starts(first: date, last: date) -> list[date]:
    months = []
    current = date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def stance_heatmap_figure(
    cells: Sequence[Bucket],
    levels: Sequence[Level],
    *,
    lanes: Sequence[Lane] | Sequence[str] | None = None,
) -> go.Figure:
    """Country × month, each cell the average stance of that month's statements.

    ``cells`` are monthly groups (``tracker.timeline.timeline_buckets(..., "month")``); their
    statuses are merged. Months without statements stay blank. Reds against, blues for, on the
    same diverging scale as the swimlanes.
    """
    lane_names = _lane_names(lanes, (c.actor_name for c in cells))
    sums: dict[tuple[str, date], list[float]] = {}
    for c in cells:
        month = date(c.start.year, c.start.month, 1)
        entry = sums.setdefault((c.actor_name, month), [0.0, 0.0])
        entry[0] += c.mean_stance * c.count
        entry[1] += c.count
    months = _month_starts(min(m for _, m in sums), max(m for _, m in sums)) if sums else []
    # The columns' edges rather than their centres: each cell then spans its month on the date
    # axis (centred on the 1st, a cell reached back half a month), and a lone month still has
    # a width.
    edges = (
        months + _month_starts(months[-1], months[-1] + timedelta(days=31))[-1:] if months else []
    )
    column = {m: i for i, m in enumerate(months)}
    z: list[list[float | None]] = [[None] * len(months) for _ in lane_names]
    counts: list[list[int]] = [[0] * len(months) for _ in lane_names]
    row_of = {name: i for i, name in enumerate(lane_names)}
    for (name, month), (total, count) in sums.items():
        if name in row_of:
            z[row_of[name]][column[month]] = round(total / count, 2)
            counts[row_of[name]][column[month]] = int(count)
    values = sorted({level.value for level in levels}) or [-2, 2]
    reach = max(abs(v) for v in values) or 1
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[m.isoformat() for m in edges],
            y=[plotly_text(name) for name in lane_names],
            customdata=counts,
            colorscale="RdBu",
            zmin=-reach,
            zmax=reach,
            zmid=0,
            hoverongaps=False,
            xgap=1,
            ygap=1,
            colorbar={
                "title": {"text": "Mean stance"},
                "tickvals": values,
                "ticktext": [
                    plotly_text(level.label) for level in sorted(levels, key=lambda lv: lv.value)
                ]
                or None,
            },
            hovertemplate=(
                "<b>%{y}</b> · %{x|%b %Y}<br>mean %{z:+.2f} over %{customdata} statements"
                "<extra></extra>"
            ),
        )
    )
    above_px = _dates_above_px(len(lane_names))
    fig.update_layout(
        height=max(300, 110 + _lane_px(len(lane_names)) * len(lane_names) + above_px),
        margin={"l": 10, "r": 10, "t": 30 + above_px, "b": 40},
        plot_bgcolor="white",
    )
    fig.update_xaxes(type="date", showgrid=False)
    fig.update_yaxes(autorange="reversed", automargin=True, fixedrange=True)
    _labels_never_hidden(fig)
    if above_px:
        # As for the swimlanes: dates and colour scale where a tall chart opens, at its top.
        _show_dates_above(fig)
        fig.update_traces(
            colorbar={"lenmode": "pixels", "len": HEATMAP_SCALE_PX, "y": 1, "yanchor": "top"},
            selector={"type": "heatmap"},
        )
    return fig
