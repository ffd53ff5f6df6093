"""Benchmark: the Timeline on 100,000 synthetic statements (60 countries, 3 topics).

    .venv/bin/python bench/timeline.py                 # server side, then Chromium
    .venv/bin/python bench/timeline.py --no-browser    # server side only
    .venv/bin/python bench/timeline.py --database postgresql+psycopg://u:p@host/db

The database (default ``data/bench-timeline.db``, git-ignored) is migrated and filled with
``tracker demo synth`` on first use; later runs reuse it.

Server side: for each filter change, the time to answer it as the page does: the queries, the
figure, and the figure's JSON as the chart component receives it (``plotly.io.to_json``).
Median of ``--runs`` runs after one warm-up run. The budget is 300 ms.

Browser: ``streamlit run app.py`` on the same database and Debian's Chromium (Playwright); the
time from navigation to the chart drawn (Plotly's layout and lane labels in the page or in the
chart component's frame), median of ``--page-loads`` loads after one warm-up load; "cold" loads
each use a new browser profile (nothing cached), "warm" ones share one. The budget is 2 s. The
last scenario, one lane of a few points, is the floor: what Streamlit and the chart cost on
their own. Each load also records when things happened (from the Performance API of the page
and of the chart's frame): Streamlit's sidebar shown, the script idle, the chart's code
requested and fetched, Plotly started drawing, the chart drawn; the medians are printed as the
breakdown. ``--variants`` (default ``app,empty``) runs one server per variant and lets their
loads take turns: ``app``, the app as it ships; ``empty``, the lightest Streamlit page with the
app's settings (bench/empty_page.py: what Streamlit alone costs here, "drawn" being its script
idle); ``stock``, the server as Streamlit sets it up (Nagle's algorithm on, a full garbage
collection after each run, its file watcher on; ``nagle``, ``gc`` and ``watch`` for one of
them); ``streamlit``, the chart
drawn by ``st.plotly_chart``. See ``VARIANTS``.
A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import plotly.io as pio  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from tracker.actors import actor_by_code  # noqa: E402
from tracker.charts import (  # noqa: E402
    stance_heatmap_figure,
    stance_lines_figure,
    timeline_figure,
)
from tracker.db import make_engine  # noqa: E402
from tracker.events import EventView, list_events  # noqa: E402
from tracker.migrate import upgrade  # noqa: E402
from tracker.models import Statement, Topic  # noqa: E402
from tracker.positions import position_shifts  # noqa: E402
from tracker.synth import generate_synthetic, synthetic_topic_ids  # noqa: E402
from tracker.timeline import (  # noqa: E402
    TimelineFilter,
    bloc_members,
    load_timeline,
    monthly_stances,
)
from tracker.topics import get_topic  # noqa: E402

DEFAULT_DB = ROOT / "data" / "bench-timeline.db"
EVENTS_MANY = 200  # events in memory for the "many events" scenario
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Runs in the page and in every frame: notes (as epoch milliseconds) when the sidebar shows, the
# script is idle, Plotly starts drawing (its div gets .js-plotly-plot) and the chart is drawn
# (its layout exists and the lane labels are set).
MILESTONES = """
window.__bench = {};
(() => {
  const note = (name) => {
    if (!(name in window.__bench)) {
      window.__bench[name] = performance.timeOrigin + performance.now();
    }
  };
  const poll = setInterval(() => {
    if (document.querySelector("[data-testid='stSidebar']")) note('sidebar');
    const app = document.querySelector("[data-testid='stApp']");
    if (app && app.getAttribute('data-test-script-state') === 'notRunning') note('idle');
    const gd = document.querySelector('.js-plotly-plot');
    if (gd && gd._fullLayout && gd.querySelectorAll('.ytick text').length > 0) note('drawn');
    if ('drawn' in window.__bench && (!app || 'idle' in window.__bench)) clearInterval(poll);
  }, 5);
})();
"""
# The chart's code: Streamlit's Plotly element, or the component's page and its plotly.js.
CHART_CODE = """() => performance.getEntriesByType('resource')
  .filter(e => /PlotlyChart|plotly_frame\\/index\\.html|plotly-[a-z]+-[0-9.]+\\.min\\.js/
                 .test(e.name))
  .map(e => ({name: e.name.split('?')[0].split('/').pop(),
              start: performance.timeOrigin + e.startTime,
              end: performance.timeOrigin + e.responseEnd, bytes: e.encodedBodySize}))"""
# The chart component's own marks (tracker/ui/chart_frame_web/index.html), as epoch ms.
FRAME_MARKS = """Object.fromEntries(performance.getEntriesByType('mark').reverse()
  .map(m => [m.name, performance.timeOrigin + m.startTime]))"""  # the first of each name
BREAKDOWN = (
    ("sidebar", "sidebar shown"),
    ("idle", "script idle"),
    ("requested", "chart code requested"),
    ("fetched", "plotly.js fetched"),
    ("figure-received", "figure in the frame"),
    ("plotly-loaded", "plotly.js started"),
    ("drawn", "chart drawn"),
)


def prepare(url: str, statements: int) -> float:
    """Migrate and fill the database once; the seconds the synthetic data took (0 if reused)."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        with Session(engine) as session:
            if synthetic_topic_ids(session):
                return 0.0
            started = time.perf_counter()
            generate_synthetic(session, statements=statements)
            session.commit()
            return time.perf_counter() - started
    finally:
        engine.dispose()


def serialise(figure: Any) -> str:
    """What the page does with a figure before it leaves the server (tracker/ui/chart_frame.py;
    ``st.plotly_chart`` costs about the same)."""
    spec: str = pio.to_json(figure, validate=False)
    return spec


def median_ms(run: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median wall-clock and CPU milliseconds of ``run`` (CPU time is this process's own work:
    it stays put when other processes load the machine, wall time does not)."""
    result = run()  # warm-up: imports, statement caches, SQLite pages
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, result


def server_side(url: str, runs: int) -> list[tuple[str, float, str]]:
    engine = make_engine(url)
    rows: list[tuple[str, float, str]] = []
    with Session(engine) as session:
        topic_id = session.execute(
            select(col(Topic.id)).where(col(Topic.slug) == "synthetic-1")
        ).scalar_one()
        topic = get_topic(session, topic_id)
        assert topic is not None
        total = session.execute(
            select(func.count()).where(col(Statement.topic_id) == topic_id)
        ).scalar_one()
        gcc = [actor_by_code(session, c) for c in bloc_members(session).get("GCC", [])]
        gcc_ids = frozenset(a.id for a in gcc if a is not None)
        base = TimelineFilter(topic_id=topic_id)
        scenarios: list[tuple[str, TimelineFilter, str, str]] = [
            ("all 60 countries, all dates", base, "swimlanes", "name"),
            ("GCC (6 countries)", replace(base, actor_ids=gcc_ids), "swimlanes", "name"),
            (
                "one year (2024)",
                replace(base, start=date(2024, 1, 1), end=date(2024, 12, 31)),
                "swimlanes",
                "name",
            ),
            (
                "one quarter (Q1 2025)",
                replace(base, start=date(2025, 1, 1), end=date(2025, 3, 31)),
                "swimlanes",
                "name",
            ),
            ("verified only", replace(base, statuses=("verified",)), "swimlanes", "name"),
            ("channel: speech", replace(base, channels=("speech",)), "swimlanes", "name"),
            ("words: 'restraint'", replace(base, words="restraint"), "swimlanes", "name"),
            ("lanes by latest stance", base, "swimlanes", "latest"),
            ("stance lines, all countries", base, "lines", "name"),
            ("heatmap country x month", base, "heatmap", "name"),
            ("position shifts (newest 30)", base, "shifts", "name"),
        ]
        print(f"topic synthetic-1: {total:,} statements (of all topics' 100,000)")
        for label, f, view, order in scenarios:

            def run(f: TimelineFilter = f, view: str = view, order: str = order) -> str:
                if view == "shifts":
                    found = position_shifts(session, f)
                    return f"{found.total:,} shifts"
                if view == "heatmap":
                    monthly = monthly_stances(session, f, order=order)
                    figure = stance_heatmap_figure(monthly.cells, topic.levels, lanes=monthly.lanes)
                    return f"{len(monthly.cells):,} cells, {len(serialise(figure)) / 1e6:.2f} MB"
                data = load_timeline(session, f, order=order)
                events = list_events(session, topic_id=f.topic_id, start=f.start, end=f.end)
                if view == "lines":
                    figure = stance_lines_figure(data, topic.levels, events)
                else:
                    figure = timeline_figure(data, topic.levels, events)
                spec = serialise(figure)
                shape = (
                    f"{len(data.buckets):,} points per {data.period}"
                    if data.grouped
                    else f"{len(data.rows):,} points"
                )
                return f"{data.total:,} statements, {shape}, {len(spec) / 1e6:.2f} MB"

            wall, cpu, what = median_ms(run, runs)
            rows.append((label, wall, f"CPU {cpu:.0f} ms; {what}"))
            print(f"  {label:<30} {wall:6.0f} ms (CPU {cpu:4.0f} ms)   {what}")

        # The synthetic topics have ten events each; a topic followed for years has hundreds,
        # and drawing them once cost seconds (Plotly validated every shape again per event).
        first = date(2020, 1, 1)
        many = [
            EventView(n, f"Synthetic event {n}", None, first + timedelta(days=9 * n),
                      first + timedelta(days=9 * n + 30) if n % 10 == 0 else None,
                      "day", "diplomacy")
            for n in range(EVENTS_MANY)
        ]  # fmt: skip

        def with_many_events() -> str:
            data = load_timeline(session, base, order="name")
            spec = serialise(timeline_figure(data, topic.levels, many))
            return f"{len(data.buckets):,} points, {EVENTS_MANY} events, {len(spec) / 1e6:.2f} MB"

        label = f"all countries, {EVENTS_MANY} events"
        wall, cpu, what = median_ms(with_many_events, runs)
        rows.append((label, wall, f"CPU {cpu:.0f} ms; {what}"))
        print(f"  {label:<30} {wall:6.0f} ms (CPU {cpu:4.0f} ms)   {what}")
    engine.dispose()
    return rows


def _load(context: Any, address: str, *, chart: bool = True) -> dict[str, float]:
    """Open ``address`` in a new tab; milliseconds from navigation to each milestone, and the
    lanes drawn. Without ``chart`` (the empty page), "drawn" is when the script is idle."""
    page = context.new_page()
    try:
        page.goto(address)
        deadline = time.monotonic() + 60
        marks: dict[str, float] = {}
        done = "drawn" if chart else "idle"
        while time.monotonic() < deadline:
            drawn = [f for f in page.frames if f.evaluate(f"(window.__bench || {{}}).{done}")]
            if drawn:
                break
            # The page notes its own times (MILESTONES), so looking rarely loses no precision;
            # looking every 20 ms kept Playwright's driver busy on a 2-core machine.
            page.wait_for_timeout(250)
        else:
            raise TimeoutError(f"not {done} within 60 s on {address}")
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        origin = page.evaluate("performance.timeOrigin")
        code: list[dict[str, Any]] = []
        for frame in page.frames:
            for name, at in frame.evaluate(
                f"({{...(window.__bench || {{}}), ...{FRAME_MARKS}}})"
            ).items():
                marks[name] = min(marks.get(name, math.inf), at - origin)
            code += frame.evaluate(CHART_CODE)
        if code:
            marks["requested"] = min(c["start"] for c in code) - origin
            bundle = [c for c in code if c["bytes"] > 100_000]  # plotly.js itself
            if bundle:
                marks["fetched"] = max(c["end"] for c in bundle) - origin
        if chart:
            marks["lanes"] = drawn[0].locator(".js-plotly-plot svg .ytick text").count()
        else:
            marks["drawn"], marks["lanes"] = marks["idle"], 0
        return marks
    finally:
        page.close()


# What each compared variant changes in the app's environment; "app" is the app as it ships.
VARIANTS: dict[str, dict[str, str]] = {
    "app": {},
    # The chart drawn by st.plotly_chart instead of the chart component.
    "streamlit": {"TRACKER_CHART_RENDERER": "streamlit"},
    # Streamlit's sockets left with Nagle's algorithm on (tracker/ui/server_sockets.py).
    "nagle": {"TRACKER_TCP_NODELAY": "0"},
    # Streamlit's full garbage collection after every script run (.streamlit/config.toml).
    "gc": {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"},
}
# Streamlit's file watcher ("auto"), which reruns nothing here (runOnSave is off) but handles
# every file the server opens (.streamlit/config.toml).
VARIANTS["watch"] = {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "auto"}
# All of the above: the server as Streamlit configures it by default.
VARIANTS["stock"] = {**VARIANTS["nagle"], **VARIANTS["gc"], **VARIANTS["watch"]}
# Streamlit alone: the lightest page (bench/empty_page.py) with the app's settings; its
# "chart drawn" is the script idle, the least any Streamlit page costs on this machine.
VARIANTS["empty"] = {}
SCRIPTS = {"empty": ROOT / "bench" / "empty_page.py"}


def browser_side(url: str, runs: int, variants: list[str]) -> list[tuple[str, float, str]]:
    """One ``streamlit run app.py`` per variant, all at once; each scenario's loads take turns
    between the variants, so that a change in the machine's load falls on all of them."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_http

    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}: browser side skipped")
        return []
    servers: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
    try:
        for variant in variants:
            port = free_port()
            log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-timeline-{port}.log"
            env = {
                **os.environ,
                "TRACKER_DATABASE_URL": url,
                "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "0",
                **VARIANTS[variant],
            }
            script = SCRIPTS.get(variant, ROOT / "app.py")
            command = [sys.executable, "-m", "streamlit", "run", str(script),
                       "--server.port", str(port), "--server.address", "127.0.0.1",
                       "--server.headless", "true", "--server.fileWatcherType", "none"]  # fmt: skip
            with log.open("wb") as out:
                server = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            servers[variant] = (f"http://127.0.0.1:{port}", server)
            wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", server, log)
        bases = {variant: base for variant, (base, _) in servers.items()}
        return _scenarios(bases, runs, sync_playwright, CHROMIUM, CHROMIUM_ARGS)
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=10)


def _scenarios(
    bases: dict[str, str], runs: int, sync_playwright: Any, chromium: Path, args: list[str]
) -> list[tuple[str, float, str]]:
    pages = [
        ("first view: 60 countries, grouped", "/?topic=synthetic-1"),
        ("shared URL: GCC, 2024, verified",
         "/?topic=synthetic-1&countries=GCC&from=2024-01-01&to=2024-12-31&status=verified"),
        ("floor: 1 country, 1 month",
         "/?topic=synthetic-1&countries=PAK&from=2025-05-01&to=2025-05-31"),
    ]  # fmt: skip
    viewport = {"width": 1400, "height": 1000}
    results: list[tuple[str, float, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=args)
        try:
            for label, path in pages:
                for cache in ("cold", "warm"):
                    loads: dict[str, list[dict[str, float]]] = {v: [] for v in bases}
                    # Cold: a new browser profile each load, nothing cached (a first visit).
                    # Warm: one profile per variant, so Streamlit's and Plotly's scripts come
                    # from the browser cache, as for an analyst who has opened it before.
                    shared = {v: browser.new_context(viewport=viewport) for v in bases}
                    for context in shared.values():
                        context.add_init_script(MILESTONES)
                    for attempt in range(runs + 1):
                        for variant, base in bases.items():
                            context = shared[variant]
                            if cache == "cold":
                                context = browser.new_context(viewport=viewport)
                                context.add_init_script(MILESTONES)
                            marks = _load(context, base + path, chart=variant not in SCRIPTS)
                            if context is not shared[variant]:
                                context.close()
                            if attempt:  # the first load warms the server (and the cache)
                                loads[variant].append(marks)
                    for context in shared.values():
                        context.close()
                    print(f"  {label}, {cache} cache:")
                    for variant, done in loads.items():
                        ms = statistics.median(m["drawn"] for m in done)
                        steps = ", ".join(
                            f"{name} {statistics.median(m[key] for m in done):.0f}"
                            for key, name in BREAKDOWN
                            if all(key in m for m in done)
                        )
                        what = f"{done[-1]['lanes']:.0f} lanes; {steps}"
                        results.append((f"{label} ({cache} cache, {variant})", ms, what))
                        what_done = "chart drawn" if variant not in SCRIPTS else "page idle  "
                        print(f"    {variant:<10} {what_done} {ms:5.0f} ms   ({steps})")
        finally:
            browser.close()
    return results


# plotly.js alone, without Streamlit: a page that loads one bundle and draws one figure.
ALONE_PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<div id="gd" style="width:1300px"></div><script>
const q = new URLSearchParams(location.search);
window.res = {};
fetch(q.get('fig')).then(r => r.json()).then(fig => {
  const s = document.createElement('script');
  s.src = q.get('bundle');
  s.onload = () => {
    const ready = performance.now();
    const entry = performance.getEntriesByName(s.src)[0];
    window.res.start = ready - entry.startTime;
    Plotly.newPlot('gd', fig.data, fig.layout, {displaylogo: false}).then(() => {
      requestAnimationFrame(() => setTimeout(() => {
        window.res.draw = performance.now() - ready;
      }));
    });
  };
  document.head.appendChild(s);
});
</script></body></html>"""


def plotly_alone(url: str, runs: int) -> None:
    """Fetch-and-start of each plotly.js bundle and the draw of our figures as SVG and WebGL,
    in a bare page: what the chart costs in the browser, apart from Streamlit."""
    import functools
    import http.server
    import json
    import shutil
    import tempfile
    import threading

    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS

    web = ROOT / "tracker" / "ui" / "chart_frame_web"
    full = Path(pio.__file__).resolve().parent.parent / "package_data" / "plotly.min.js"
    engine = make_engine(url)
    with Session(engine) as session, tempfile.TemporaryDirectory() as tmp:
        topic_id = session.execute(
            select(col(Topic.id)).where(col(Topic.slug) == "synthetic-1")
        ).scalar_one()
        topic = get_topic(session, topic_id)
        assert topic is not None
        pak = actor_by_code(session, "PAK")
        assert pak is not None
        base = TimelineFilter(topic_id=topic_id)
        floor = replace(base, actor_ids=frozenset({pak.id}), start=date(2025, 5, 1),
                        end=date(2025, 5, 31))  # fmt: skip
        for name, f in (("first view", base), ("floor", floor)):
            data = load_timeline(session, f)
            events = list_events(session, topic_id=topic_id, start=f.start, end=f.end)
            spec = json.loads(serialise(timeline_figure(data, topic.levels, events)))
            Path(tmp, f"{name}-svg.json").write_text(json.dumps(spec))
            for trace in spec["data"]:
                trace["type"] = "scattergl"
            Path(tmp, f"{name}-webgl.json").write_text(json.dumps(spec))
        shutil.copy(web / "plotly-basic-4.1.1.min.js", Path(tmp, "basic.js"))
        shutil.copy(full, Path(tmp, "full.js"))
        Path(tmp, "page.html").write_text(ALONE_PAGE)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=tmp)
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        address = f"http://127.0.0.1:{server.server_address[1]}/page.html"
        cases = [("full", "webgl"), ("full", "svg"), ("basic", "svg")]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                for name in ("floor", "first view"):
                    for bundle, kind in cases:
                        starts, draws = [], []
                        for attempt in range(runs + 1):
                            context = browser.new_context(viewport={"width": 1400, "height": 1000})
                            page = context.new_page()
                            page.goto(f"{address}?bundle={bundle}.js&fig={name}-{kind}.json")
                            page.wait_for_function("() => window.res.draw", timeout=60_000)
                            res = page.evaluate("window.res")
                            context.close()
                            if attempt:
                                starts.append(res["start"])
                                draws.append(res["draw"])
                        start, draw = statistics.median(starts), statistics.median(draws)
                        what = f"{name:<11} {bundle:>5} plotly.js, {kind:<5}"
                        print(f"  {what}: fetch and start {start:5.0f} ms, draw {draw:5.0f} ms")
                browser.close()
        finally:
            server.shutdown()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=f"sqlite:///{DEFAULT_DB}")
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="server-side runs per scenario")
    parser.add_argument("--page-loads", type=int, default=5, help="page loads per scenario")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--browser-only", action="store_true", help="skip the server side")
    parser.add_argument(
        "--plotly-alone",
        action="store_true",
        help="also time plotly.js bundles and SVG against WebGL in a bare page",
    )
    parser.add_argument(
        "--variants",
        default="app,empty",
        help=f"servers to compare, loads taking turns: {', '.join(VARIANTS)} (see VARIANTS)",
    )
    args = parser.parse_args()

    seconds = prepare(args.database, args.statements)
    if seconds:
        print(f"tracker demo synth: {args.statements:,} statements in {seconds:.1f} s")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    if not args.browser_only:
        print(f"server side, median of {args.runs} (query + figure + JSON), budget 300 ms:")
        server_side(args.database, args.runs)
    if not args.no_browser:
        print(f"Chromium, median of {args.page_loads} page loads to the chart drawn, budget 2 s:")
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        unknown = sorted(set(variants) - set(VARIANTS))
        if unknown:
            parser.error(f"unknown variant(s): {', '.join(unknown)}")
        browser_side(args.database, args.page_loads, variants)
        if args.plotly_alone:
            print(f"plotly.js alone, median of {args.page_loads} loads (load "
                  f"{os.getloadavg()[0]:.1f}):")  # fmt: skip
            plotly_alone(args.database, args.page_loads)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
