from datetime import date
from itertools import pairwise

import plotly.graph_objects as go

from tracker.charts import (
    NEUTRAL_COLOUR,
    UNVERIFIED_SYMBOL,
    VERIFIED_SYMBOL,
    period_of,
    plotly_text,
    stance_colours,
    swimlane_figure,
)
from tracker.events import EventView
from tracker.timeline import TimelineRow
from tracker.topics import LevelView

LEVELS = [
    LevelView(-2, "Strongly opposes", "r"),
    LevelView(-1, "Opposes", "r"),
    LevelView(0, "Neutral", "r"),
    LevelView(1, "Supports", "r"),
    LevelView(2, "Strongly supports", "r"),
]


def row(statement_id: int, name: str, stance: int, status: str = "pending", **kw) -> TimelineRow:
    values = {
        "statement_id": statement_id,
        "actor_code": name[:3].upper(),
        "actor_name": name,
        "said_on": date(2025, 6, 1),
        "stance": stance,
        "stance_label": {lv.value: lv.label for lv in LEVELS}.get(stance, str(stance)),
        "status": status,
        "speaker": None,
        "speaker_role": None,
        "excerpt": "Some words",
        "source_site": "example.org",
        "date_precision": "month",
        **kw,
    }
    return TimelineRow(**values)


ROWS = [
    row(1, "Pakistan", 2, "verified", speaker="Ishaq Dar", speaker_role="Foreign Minister"),
    row(2, "Pakistan", 1),
    row(3, "Iran", 2),
    row(4, "Israel", -2, "verified", said_on=date(2025, 6, 13)),
]


def point_traces(fig: go.Figure) -> list[go.Scattergl]:
    return [t for t in fig.data if t.mode == "markers" and t.x and t.x[0] is not None]


def lane_of(fig: go.Figure) -> dict[int, str]:
    """Statement id -> the lane label nearest to its point."""
    ticks = list(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    lanes = {}
    for trace in point_traces(fig):
        for y, data in zip(trace.y, trace.customdata, strict=True):
            lanes[data[0]] = min(ticks, key=lambda tick: abs(tick[0] - y))[1]
    return lanes


def test_one_lane_per_country_in_alphabetical_order_top_down():
    fig = swimlane_figure(ROWS, LEVELS)
    assert list(fig.layout.yaxis.ticktext) == ["Iran", "Israel", "Pakistan"]
    ticks = list(fig.layout.yaxis.tickvals)
    assert ticks == sorted(ticks, reverse=True)
    assert lane_of(fig) == {1: "Pakistan", 2: "Pakistan", 3: "Iran", 4: "Israel"}
    # Two Pakistani statements on one day are spread apart inside their lane, not stacked.
    ys = {d[0]: y for t in point_traces(fig) for y, d in zip(t.y, t.customdata, strict=True)}
    assert abs(ys[1] - ys[2]) >= 0.3


def test_crowded_lanes_grow_so_points_stay_apart():
    crowded = [row(i, "Pakistan", 1) for i in range(8)] + [row(99, "Iran", 1)]
    fig = swimlane_figure(crowded, LEVELS)
    pakistan, iran = (list(fig.layout.yaxis.ticktext).index(n) for n in ("Pakistan", "Iran"))
    ticks = fig.layout.yaxis.tickvals
    ys = sorted(
        y for t in point_traces(fig) for y, d in zip(t.y, t.customdata, strict=True) if d[0] != 99
    )
    assert min(b - a for a, b in pairwise(ys)) >= 0.25
    assert set(lane_of(fig).values()) == {"Pakistan", "Iran"}
    assert ticks[iran] - ticks[pakistan] > 1  # the Pakistan lane is taller than one unit
    assert fig.layout.yaxis.range[1] > 3  # two lanes, one of them taller


def test_points_are_scattergl_with_statement_ids():
    fig = swimlane_figure(ROWS, LEVELS)
    traces = point_traces(fig)
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    ids = sorted(d[0] for t in traces for d in t.customdata)
    assert ids == [1, 2, 3, 4]


def test_legend_has_every_level_label_with_its_own_colour():
    fig = swimlane_figure(ROWS, LEVELS)
    legend = [t for t in fig.data if t.showlegend]
    assert [t.name for t in legend] == [
        "Strongly supports",
        "Supports",
        "Neutral",
        "Opposes",
        "Strongly opposes",
    ]
    colours = {t.name: t.marker.color for t in legend}
    assert len(set(colours.values())) == 5
    assert colours["Neutral"] == NEUTRAL_COLOUR
    # Every trace of one level shares the level's colour.
    for trace in fig.data:
        colour = trace.marker.color if trace.mode == "markers" else trace.line.color
        assert colour == stance_colours(LEVELS)[trace.meta["stance"]]


def test_diverging_colours_red_against_blue_for():
    colours = stance_colours(LEVELS)

    def rgb(value: int) -> tuple[int, ...]:
        return tuple(int(float(c)) for c in colours[value][4:-1].split(","))

    red, _, blue = rgb(-2)
    assert red > blue
    red, _, blue = rgb(2)
    assert blue > red
    # The strong ends are darker than the mild steps.
    assert sum(rgb(2)) < sum(rgb(1))
    assert sum(rgb(-2)) < sum(rgb(-1))


def test_pending_hollow_verified_solid():
    fig = swimlane_figure(ROWS, LEVELS)
    symbol_of = {}
    for trace in point_traces(fig):
        for data in trace.customdata:
            symbol_of[data[0]] = trace.marker.symbol
    assert symbol_of == {
        1: VERIFIED_SYMBOL,
        2: UNVERIFIED_SYMBOL,
        3: UNVERIFIED_SYMBOL,
        4: VERIFIED_SYMBOL,
    }
    assert UNVERIFIED_SYMBOL.endswith("-open")


def test_hover_has_date_speaker_stance_excerpt_and_source():
    fig = swimlane_figure(ROWS, LEVELS)
    trace = next(t for t in point_traces(fig) if any(d[0] == 1 for d in t.customdata))
    data = next(d for d in trace.customdata if d[0] == 1)
    assert "Jun 2025" in data
    assert "Ishaq Dar, Foreign Minister" in data
    assert "Strongly supports" in data
    assert "Some words" in data
    assert "example.org" in data
    assert "customdata[6]" in trace.hovertemplate


def test_user_text_cannot_become_plotly_markup():
    evil = row(9, "Pakistan", 2, excerpt='<a href="javascript:alert(1)">x</a><br>')
    fig = swimlane_figure([evil], LEVELS, [])
    data = point_traces(fig)[0].customdata[0]
    assert not any("<a" in str(field) for field in data)
    assert "&lt;a href" in data[6]
    assert plotly_text("a <b>b</b>\nc") == "a &lt;b&gt;b&lt;/b&gt; c"


def test_events_are_lines_and_eras_are_bands():
    events = [
        EventView(1, "US strikes on Fordow", None, date(2025, 6, 22), None, "day", "military"),
        EventView(2, "Twelve-day war", None, date(2025, 6, 13), date(2025, 6, 24), "day", "war"),
    ]
    fig = swimlane_figure(ROWS, LEVELS, events)
    shapes = {s.name: s for s in fig.layout.shapes}
    assert shapes["US strikes on Fordow"].type == "line"
    assert shapes["US strikes on Fordow"].x0 == shapes["US strikes on Fordow"].x1 == "2025-06-22"
    assert shapes["Twelve-day war"].type == "rect"
    assert (shapes["Twelve-day war"].x0, shapes["Twelve-day war"].x1) == (
        "2025-06-13",
        "2025-06-24",
    )
    labels = [a.text for a in fig.layout.annotations]
    assert "US strikes on Fordow" in labels and "Twelve-day war" in labels

    hidden = swimlane_figure(ROWS, LEVELS, events, show_events=False)
    assert not hidden.layout.shapes and not hidden.layout.annotations


def test_empty_rows_still_draw_the_legend():
    fig = swimlane_figure([], LEVELS)
    assert next(t.name for t in fig.data if t.showlegend) == "Strongly supports"
    assert not fig.layout.yaxis.ticktext


def test_stance_outside_scale_is_drawn_grey():
    fig = swimlane_figure([row(1, "Oman", 3)], LEVELS)
    trace = point_traces(fig)[0]
    assert trace.marker.color == NEUTRAL_COLOUR


def test_imprecise_dates_sit_mid_period_with_a_whisker():
    rows = [
        row(1, "Iran", 2, said_on=date(2025, 6, 1), date_precision="month"),
        row(2, "Iran", 2, said_on=date(2024, 1, 1), date_precision="year"),
        row(3, "Iran", 2, said_on=date(2025, 6, 13), date_precision="day"),
    ]
    fig = swimlane_figure(rows, LEVELS)
    (points,) = point_traces(fig)
    x_of = {d[0]: x for x, d in zip(points.x, points.customdata, strict=True)}
    assert x_of == {1: "2025-06-15", 2: "2024-07-01", 3: "2025-06-13"}
    (whiskers,) = [t for t in fig.data if t.mode == "lines"]
    assert list(whiskers.x) == ["2025-06-01", "2025-06-30", None, "2024-01-01", "2024-12-31", None]
    assert whiskers.hoverinfo == "skip" and not whiskers.showlegend
    assert period_of(date(2024, 12, 1), "month") == (date(2024, 12, 1), date(2024, 12, 31))
    assert period_of(date(2024, 2, 1), "month") == (date(2024, 2, 1), date(2024, 2, 29))


def test_event_known_to_the_month_is_drawn_mid_month():
    events = [EventView(1, "Strikes", None, date(2025, 6, 1), None, "month", "military")]
    (line,) = swimlane_figure(ROWS, LEVELS, events).layout.shapes
    assert line.x0 == line.x1 == "2025-06-15"
    (label,) = swimlane_figure(ROWS, LEVELS, events).layout.annotations
    assert "Jun 2025" in label.hovertext
