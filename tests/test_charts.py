from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import plotly.graph_objects as go
import pytest

from tracker.charts import (
    COMPACT_AFTER,
    DATES_ABOVE_PX,
    NEUTRAL_COLOUR,
    STATUS_SYMBOLS,
    UNVERIFIED_SYMBOL,
    VERIFIED_SYMBOL,
    HeldSpan,
    bucket_swimlane_figure,
    held_spans,
    period_label,
    period_of,
    plotly_text,
    stance_colours,
    stance_heatmap_figure,
    stance_lines_figure,
    swimlane_figure,
    timeline_figure,
)
from tracker.events import EventView
from tracker.timeline import Bucket, Lane, TimelineData, TimelineRow
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


def point_traces(fig: go.Figure) -> list[go.Scatter]:
    return [t for t in fig.data if t.mode == "markers" and t.x and t.x[0] is not None]


def band_traces(fig: go.Figure) -> list[go.Scatter]:
    return [t for t in fig.data if t.mode == "lines" and t.meta.get("band")]


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


def test_points_are_svg_scatter_with_statement_ids():
    fig = swimlane_figure(ROWS, LEVELS)
    traces = point_traces(fig)
    assert all(isinstance(t, go.Scatter) for t in fig.data)
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
    (whiskers,) = [t for t in fig.data if t.mode == "lines" and t.meta.get("period")]
    assert list(whiskers.x) == ["2025-06-01", "2025-06-30", None, "2024-01-01", "2024-12-31", None]
    assert whiskers.hoverinfo == "skip" and not whiskers.showlegend
    assert period_of(date(2024, 12, 1), "month") == (date(2024, 12, 1), date(2024, 12, 31))
    assert period_of(date(2024, 2, 1), "month") == (date(2024, 2, 1), date(2024, 2, 29))


def test_events_in_every_chart_pass_plotlys_schema_however_many():
    """The event lines, bands and labels skip Plotly's validation (it ran once per event over
    all of them: 200 events took seconds); every chart that draws them still passes the schema."""
    start = date(2020, 1, 1)
    events = [
        EventView(
            n,
            f"Event {n}",
            None,
            start + timedelta(days=7 * n),
            start + timedelta(days=7 * n + 20) if n % 10 == 0 else None,
            "day",
            "diplomacy",
        )
        for n in range(300)
    ]
    data = TimelineData(1, None, None, [Lane(1, "IRN", "Iran", 1)], rows=[row(1, "Iran", 1)])
    for fig in (
        swimlane_figure(ROWS, LEVELS, events),
        bucket_swimlane_figure(BUCKETS, LEVELS, events=events),
        stance_lines_figure(data, LEVELS, events),
    ):
        assert len(fig.layout.shapes) == len(fig.layout.annotations) == 300
        assert sum(s.type == "rect" for s in fig.layout.shapes) == 30
        assert_valid(fig)


def test_event_known_to_the_month_is_drawn_mid_month():
    events = [EventView(1, "Strikes", None, date(2025, 6, 1), None, "month", "military")]
    (line,) = swimlane_figure(ROWS, LEVELS, events).layout.shapes
    assert line.x0 == line.x1 == "2025-06-15"
    (label,) = swimlane_figure(ROWS, LEVELS, events).layout.annotations
    assert "Jun 2025" in label.hovertext


# --- held stance, lane order, statuses ------------------------------------------------------


def assert_valid(fig: go.Figure) -> None:
    """The builders skip Plotly's validation for speed: check the result against the schema."""
    go.Figure(fig.to_dict())  # raises on any property Plotly does not know


def test_held_spans_merge_runs_and_hold_until_the_end():
    marks = [
        ("Iran", date(2025, 1, 1), 1),
        ("Iran", date(2025, 2, 1), 1),
        ("Iran", date(2025, 3, 1), -1),
        ("Iran", date(2025, 3, 1), 2),  # same day: the last one given counts
        ("Oman", date(2025, 5, 1), 0),
    ]
    spans = held_spans(marks, until=date(2025, 6, 30))
    assert spans == [
        HeldSpan("Iran", date(2025, 1, 1), date(2025, 3, 1), 1),
        HeldSpan("Iran", date(2025, 3, 1), date(2025, 6, 30), 2),
        HeldSpan("Oman", date(2025, 5, 1), date(2025, 6, 30), 0),
    ]
    assert held_spans(marks[:1]) == []  # one statement and no end: nothing held yet


def test_bands_show_the_stance_held_between_statements():
    rows = [
        row(1, "Iran", 2, said_on=date(2025, 1, 10), date_precision="day"),
        row(2, "Iran", -1, said_on=date(2025, 3, 10), date_precision="day"),
        row(3, "Oman", 0, said_on=date(2025, 2, 1), date_precision="day"),
        row(4, "Oman", -2, "rejected", said_on=date(2025, 2, 20), date_precision="day"),
    ]
    fig = swimlane_figure(rows, LEVELS)
    assert_valid(fig)
    bands = {t.meta["stance"]: t for t in band_traces(fig)}
    ticks = dict(zip(fig.layout.yaxis.ticktext, fig.layout.yaxis.tickvals, strict=True))
    assert list(bands[2].x) == ["2025-01-10", "2025-03-10", None]
    assert list(bands[2].y)[:2] == [ticks["Iran"], ticks["Iran"]]
    assert -1 not in bands  # the last statement is the chart's end: nothing held after it
    # A rejected statement is drawn but does not move the held stance.
    assert list(bands[0].x) == ["2025-02-01", "2025-03-10", None]
    assert -2 not in bands
    for band in bands.values():
        assert band.hoverinfo == "skip" and not band.showlegend
        assert band.line.color == stance_colours(LEVELS)[band.meta["stance"]]


def test_lanes_follow_the_given_order():
    fig = swimlane_figure(ROWS, LEVELS, lanes=["Pakistan", "Israel", "Iran"])
    assert list(fig.layout.yaxis.ticktext) == ["Pakistan", "Israel", "Iran"]
    ticks = list(fig.layout.yaxis.tickvals)
    assert ticks == sorted(ticks, reverse=True)
    assert lane_of(fig) == {1: "Pakistan", 2: "Pakistan", 3: "Iran", 4: "Israel"}


def test_rejected_and_retracted_have_their_own_symbols():
    rows = [row(1, "Iran", 1, "rejected"), row(2, "Iran", 1, "retracted")]
    fig = swimlane_figure(rows, LEVELS)
    symbol_of = {d[0]: t.marker.symbol for t in point_traces(fig) for d in t.customdata}
    assert symbol_of == {1: STATUS_SYMBOLS["rejected"], 2: STATUS_SYMBOLS["retracted"]}
    assert len(set(STATUS_SYMBOLS.values())) == 4


# --- grouped points ----------------------------------------------------------------------


def bucket(actor: str, month: int, status: str, count: int, mean: float, sample: int) -> Bucket:
    start = date(2025, month, 1)
    end = date(2025, month + 1, 1) - timedelta(days=1)
    return Bucket(
        actor_id=len(actor),
        actor_code=actor[:3].upper(),
        actor_name=actor,
        period="month",
        start=start,
        end=end,
        status=status,
        count=count,
        mean_stance=mean,
        last_on=end,
        sample_id=sample,
    )


BUCKETS = [
    bucket("Iran", 1, "verified", 10, 1.6, 101),
    bucket("Iran", 1, "pending", 2, 1.0, 102),
    bucket("Iran", 2, "verified", 1, -0.4, 103),
    bucket("Oman", 1, "verified", 40, -1.5, 104),
]


def test_grouped_swimlanes_draw_one_marker_per_group():
    fig = bucket_swimlane_figure(BUCKETS, LEVELS, lanes=["Oman", "Iran"])
    assert_valid(fig)
    assert all(isinstance(t, go.Scatter) for t in fig.data)
    points = point_traces(fig)
    assert sum(len(t.x) for t in points) == len(BUCKETS)
    assert list(fig.layout.yaxis.ticktext) == ["Oman", "Iran"]
    found = {}
    for trace in points:
        for x, y, data, name in zip(trace.x, trace.y, trace.customdata, trace.text, strict=True):
            found[int(data[0])] = (
                str(x),
                float(y),
                int(data[1]),
                trace.meta["stance"],
                name,
                trace,
            )
    assert set(found) == {101, 102, 103, 104}
    x, _y, count, stance, name, trace = found[101]
    assert (x, count, stance, name) == ("2025-01-16", 10, 2, "Iran")  # mean 1.6 rounds to +2
    assert trace.marker.symbol == VERIFIED_SYMBOL
    assert found[102][5].marker.symbol == UNVERIFIED_SYMBOL
    assert found[103][3] == 0 and found[104][3] == -2  # -0.4 -> 0, -1.5 -> -2
    # Verified groups sit above pending ones in the same lane.
    assert found[101][1] > found[102][1]
    # Bigger groups get bigger markers.
    sizes = {}
    for trace in points:
        for data, size in zip(trace.customdata, trace.marker.size, strict=True):
            sizes[int(data[0])] = float(size)
    assert sizes[104] > sizes[101] > sizes[103]
    assert "%{text}" in found[101][5].hovertemplate
    assert "%{x|%b %Y}" in found[101][5].hovertemplate
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == ["Strongly supports", "Supports", "Neutral", "Opposes", "Strongly opposes"]


def test_half_year_groups_say_which_half():
    halves = [
        replace(BUCKETS[0], period="half", start=date(2025, 1, 1), end=date(2025, 6, 30)),
        replace(BUCKETS[3], period="half", start=date(2025, 7, 1), end=date(2025, 12, 31)),
    ]
    fig = bucket_swimlane_figure(halves, LEVELS, period="half")
    half_of = {int(d[0]): int(d[3]) for t in point_traces(fig) for d in t.customdata}
    assert half_of == {101: 1, 104: 2}
    assert all("H%{customdata[3]} %{x|%Y}" in t.hovertemplate for t in point_traces(fig))
    assert period_label("half", date(2025, 7, 1)) == "H2 2025"


def test_tick_labels_are_never_measured_to_be_hidden():
    """Plotly's overflow check measured every lane name: a fifth of a 60-lane draw."""
    lanes = [Lane(1, "IRN", "Iran", 1)]
    figures = [
        bucket_swimlane_figure(BUCKETS, LEVELS),
        timeline_figure(TimelineData(1, None, None, lanes, rows=[row(1, "Iran", 1)]), LEVELS),
    ]
    for fig in figures:
        assert fig.layout.yaxis.ticklabeloverflow == "allow"
        assert fig.layout.xaxis.ticklabeloverflow == "allow"


def test_a_chart_taller_than_a_screen_shows_dates_and_legend_at_its_top():
    """Beyond COMPACT_AFTER lanes the dates at the bottom are out of sight when the chart
    opens; a second date axis above the top lane shows them, the event labels above it."""
    names = [f"Country {n:02d}" for n in range(COMPACT_AFTER + 1)]
    rows = [row(n + 1, name, 1) for n, name in enumerate(names)]
    events = [EventView(1, "Strikes", None, date(2025, 6, 10), None, "day", "military")]
    short = swimlane_figure(rows[:COMPACT_AFTER], LEVELS, events)
    groups = [bucket(name, 1, "verified", 1, 1.0, n + 1) for n, name in enumerate(names)]
    tall = [swimlane_figure(rows, LEVELS, events), bucket_swimlane_figure(groups, LEVELS, events)]

    assert "xaxis2" not in short.layout.to_plotly_json()
    assert all(trace.xaxis in (None, "x") for trace in short.data)
    (short_label,) = short.layout.annotations
    assert (short.layout.legend.orientation, short.layout.legend.y) == ("h", -0.08)
    for fig in tall:
        assert_valid(fig)
        top = fig.layout.xaxis2
        assert (top.side, top.overlaying, top.matches, top.type) == ("top", "x", "x", "date")
        # An overlaying axis otherwise takes the first axis's tick fractions: on dates they
        # fall hours before each new year and read as the year before.
        assert top.tickmode == "auto"
        assert all("%Y" in stop.value for stop in top.tickformatstops)  # one line, with year
        (carrier,) = [trace for trace in fig.data if trace.xaxis == "x2"]
        assert len(carrier.x) == 0 and carrier.showlegend is False and carrier.hoverinfo == "skip"
        (label,) = fig.layout.annotations
        assert label.yshift == short_label.yshift + DATES_ABOVE_PX
        assert fig.layout.margin.t == short.layout.margin.t + DATES_ABOVE_PX
        # So is the legend below it: it goes top right, in a margin wide enough for the
        # longest level's name (Plotly would widen it and draw the chart twice).
        legend = fig.layout.legend
        assert (legend.orientation, legend.x, legend.y, legend.yanchor) == ("v", 1.01, 1, "top")
        assert fig.layout.margin.r >= len("Strongly supports") * 6


def test_grouped_bands_use_each_periods_mean_over_statuses():
    fig = bucket_swimlane_figure(BUCKETS, LEVELS)
    bands = {t.meta["stance"]: list(t.x) for t in band_traces(fig)}
    # Iran in January: (10 * 1.6 + 2 * 1.0) / 12 = 1.5 -> +2, until February's -0.4 -> 0.
    assert bands[2] == ["2025-01-01", "2025-02-01", None]
    assert bands[0] == ["2025-02-01", "2025-02-28", None]
    assert bands[-2] == ["2025-01-01", "2025-02-28", None]


def test_grouped_names_are_escaped():
    evil = [bucket("<b>Evil</b>", 1, "verified", 1, 0.0, 1)]
    fig = bucket_swimlane_figure(evil, LEVELS)
    assert point_traces(fig)[0].text[0] == "&lt;b&gt;Evil&lt;/b&gt;"
    assert list(fig.layout.yaxis.ticktext) == ["&lt;b&gt;Evil&lt;/b&gt;"]


def test_timeline_figure_picks_rows_or_groups():
    lanes = [Lane(1, "IRN", "Iran", 1)]
    detailed = TimelineData(1, None, None, lanes, rows=[row(1, "Iran", 1)])
    assert point_traces(timeline_figure(detailed, LEVELS))[0].customdata[0][0] == 1
    grouped = TimelineData(13, None, None, lanes, buckets=BUCKETS[:2], period="month")
    fig = timeline_figure(grouped, LEVELS)
    assert {int(d[0]) for t in point_traces(fig) for d in t.customdata} == {101, 102}


# --- stance lines and heatmap ----------------------------------------------------------------


def test_stance_lines_step_per_country_on_the_stance_axis():
    rows = [
        row(1, "Iran", 2, said_on=date(2025, 1, 10), date_precision="day"),
        row(2, "Iran", -1, said_on=date(2025, 3, 10), date_precision="day"),
        row(3, "Iran", -2, "rejected", said_on=date(2025, 4, 1), date_precision="day"),
        row(4, "Oman", 0, said_on=date(2025, 2, 1), date_precision="day"),
    ]
    data = TimelineData(
        4, None, None, [Lane(2, "OMN", "Oman", 1), Lane(1, "IRN", "Iran", 3)], rows=rows
    )
    fig = stance_lines_figure(data, LEVELS)
    assert_valid(fig)
    assert [t.name for t in fig.data] == ["Oman", "Iran"]
    iran = fig.data[1]
    assert isinstance(iran, go.Scatter) and iran.line.shape == "hv"
    assert list(iran.x) == ["2025-01-10", "2025-03-10"]  # the rejected one is left out
    assert list(iran.y) == [2.0, -1.0]
    assert [d[0] for d in iran.customdata] == [1, 2]
    assert list(fig.layout.yaxis.tickvals) == [-2, -1, 0, 1, 2]
    assert fig.layout.yaxis.ticktext[-1] == "Strongly supports"

    many = [Lane(i, f"C{i}", f"Country {i:02d}", 1) for i in range(20)]
    crowd = [row(i, f"Country {i:02d}", 0) for i in range(20)]
    fig = stance_lines_figure(TimelineData(20, None, None, many, rows=crowd), LEVELS, max_lines=5)
    assert [t.name for t in fig.data] == [f"Country {i:02d}" for i in range(5)]


def test_grouped_stance_lines_use_weighted_means():
    data = TimelineData(
        13, None, None, [Lane(4, "IRA", "Iran", 13)], buckets=BUCKETS[:3], period="month"
    )
    (iran,) = stance_lines_figure(data, LEVELS).data
    assert list(iran.y) == [1.5, -0.4]
    assert [d[0] for d in iran.customdata] == [102, 103]  # the group's last filed statement


def test_heatmap_is_country_by_month_of_mean_stance():
    cells = [
        bucket("Iran", 1, "any", 12, 1.5, 1),
        bucket("Iran", 3, "any", 1, -2.0, 2),
        bucket("<i>Oman</i>", 2, "any", 4, 0.25, 3),
    ]
    fig = stance_heatmap_figure(cells, LEVELS, lanes=["Iran", "<i>Oman</i>"])
    assert_valid(fig)
    (heat,) = fig.data
    # The columns' edges: each cell spans its month on the date axis.
    assert list(heat.x) == ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]
    assert "%{x|%b %Y}" in heat.hovertemplate  # a cell's x is its centre: inside its month
    assert list(heat.y) == ["Iran", "&lt;i&gt;Oman&lt;/i&gt;"]
    assert [list(r) for r in heat.z] == [[1.5, None, -2.0], [None, 0.25, None]]
    assert [list(r) for r in heat.customdata] == [[12, 0, 1], [0, 4, 0]]
    assert heat.zmid == 0 and heat.zmin == -2 and heat.zmax == 2
    assert fig.layout.yaxis.autorange == "reversed"  # first lane on top


def test_a_tall_heatmap_shows_dates_and_colour_scale_at_its_top():
    names = [f"Country {n:02d}" for n in range(COMPACT_AFTER + 1)]
    cells = [bucket(name, 1 + n % 3, "any", 1, 1.0, n + 1) for n, name in enumerate(names)]
    short = stance_heatmap_figure(cells[:COMPACT_AFTER], LEVELS)
    tall = stance_heatmap_figure(cells, LEVELS)
    assert_valid(tall)
    assert "xaxis2" not in short.layout.to_plotly_json()
    assert short.data[0].colorbar.lenmode is None
    heat = tall.data[0]
    assert (heat.colorbar.lenmode, heat.colorbar.y, heat.colorbar.yanchor) == ("pixels", 1, "top")
    top = tall.layout.xaxis2
    assert (top.side, top.overlaying, top.matches, top.tickmode) == ("top", "x", "x", "auto")
    assert tall.layout.margin.t == short.layout.margin.t + DATES_ABOVE_PX


@pytest.mark.parametrize(
    ("month", "edges"),
    [
        (1, ["2025-01-01", "2025-02-01"]),
        (6, ["2025-06-01", "2025-07-01"]),
        (11, ["2025-11-01", "2025-12-01"]),
    ],
)
def test_a_single_month_heatmap_spans_its_month(month, edges):
    # Given by its centre alone, one column would be drawn one millisecond wide.
    fig = stance_heatmap_figure([bucket("Iran", month, "any", 3, 1.0, 1)], LEVELS)
    assert_valid(fig)
    (heat,) = fig.data
    assert list(heat.x) == edges
    assert [list(r) for r in heat.z] == [[1.0]]


def test_many_close_events_keep_their_labels_apart():
    events = [
        EventView(i, f"Event number {i}", None, date(2025, 6, 1 + i), None, "day", "other")
        for i in range(8)
    ]
    fig = swimlane_figure(ROWS, LEVELS, events)
    labels = list(fig.layout.annotations)
    assert len(labels) == 8
    # Labels that would overlap shrink to a diamond on the event's line; the hover still
    # names the event.
    diamonds = [a for a in labels if a.text == "◆"]
    words = [a for a in labels if a.text != "◆"]
    assert diamonds and words
    assert all(a.hovertext.startswith(f"Event number {i}") for i, a in enumerate(labels))
    # Diamonds have the lowest row to themselves: on a label row they covered its words.
    assert {a.yshift for a in diamonds} == {4} and {a.xanchor for a in diamonds} == {"center"}
    assert {a.yshift for a in words} <= {20, 36, 52}
    assert fig.layout.margin.t == 30 + 16 * (1 + len({a.yshift for a in words}))
    assert_valid(fig)


def test_event_labels_are_kept_apart_on_the_plot_width_given():
    """With a statement's card open the chart is narrower: labels that sat side by side on a
    laptop-wide plot would run into each other, so they take more rows."""
    events = [
        EventView(i, f"Event number {i}", None, date(2025, 1 + 3 * i, 1), None, "day", "other")
        for i in range(4)
    ]

    def rows(fig: go.Figure) -> set[int]:
        return {a.yshift for a in fig.layout.annotations}

    wide = swimlane_figure(ROWS, LEVELS, events)
    narrow = swimlane_figure(ROWS, LEVELS, events, frame_px=300)
    assert rows(wide) == {4} and len(rows(narrow)) > 1
    lines = TimelineData(1, None, None, [Lane(1, "IRN", "Iran", 1)], rows=[row(1, "Iran", 1)])
    assert len(rows(stance_lines_figure(lines, LEVELS, events, frame_px=300))) > 1


def test_labels_that_fit_start_on_the_lowest_row():
    events = [
        EventView(1, "Strikes", None, date(2025, 1, 1), None, "day", "military"),
        EventView(2, "Talks", None, date(2025, 12, 1), None, "day", "diplomacy"),
    ]
    labels = list(swimlane_figure(ROWS, LEVELS, events).layout.annotations)
    assert [(a.text, a.yshift) for a in labels] == [("Strikes", 4), ("Talks", 4)]
    # The last one, near the chart's right edge, ends at its event rather than running off.
    assert [a.xanchor for a in labels] == ["left", "right"]


def test_a_group_dated_only_to_its_year_is_drawn_across_the_year():
    # Quarters, and one group of Iran's statements known only to be from 2025.
    quarter = replace(BUCKETS[0], period="quarter", start=date(2025, 1, 1), end=date(2025, 3, 31))
    year = replace(
        BUCKETS[2],
        period="year",
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        last_on=date(2025, 1, 1),
        mean_stance=-2.0,
        count=3,
    )
    fig = bucket_swimlane_figure([quarter, year], LEVELS, period="quarter")
    assert_valid(fig)
    by_id = {int(d[0]): t for t in point_traces(fig) for d in t.customdata}
    assert str(by_id[103].x[0]) == "2025-07-02"  # the year's middle, not Q1's
    assert "%{x|%Y} (dated only to the year)" in by_id[103].hovertemplate
    assert "Q%{x|%q %Y}" in by_id[101].hovertemplate and "dated only" not in (
        by_id[101].hovertemplate
    )
    (whisker,) = [t for t in fig.data if t.mode == "lines" and t.meta.get("period")]
    assert list(whisker.x) == ["2025-01-01", "2025-12-31", None]
    assert whisker.y[0] == by_id[103].y[0]
    legend = [t.name for t in fig.data if t.showlegend]
    assert len(legend) == len(set(legend)) == 5
    # The band holds Q1's mean from January and the year's from its middle on.
    held = sorted(
        (str(trace.x[i]), trace.meta["stance"])
        for trace in band_traces(fig)
        for i in range(0, len(trace.x), 3)
    )
    assert held == [("2025-01-01", 2), ("2025-07-02", -2)]
    # The stance lines keep the year apart from the first quarter, and say what it is.
    data = TimelineData(
        13, None, None, [Lane(4, "IRA", "Iran", 13)], [], [quarter, year], "quarter"
    )
    (iran,) = stance_lines_figure(data, LEVELS).data
    assert list(iran.y) == [1.6, -2.0]
    assert "2025 (dated only to the year)" in iran.hovertext[1]
    assert "Q1 2025<br>" in iran.hovertext[0]
