"""Benchmark: the Timeline on 100,000 synthetic statements (60 countries, 3 topics).

    .venv/bin/python bench/timeline.py                 # server side, then Chromium
    .venv/bin/python bench/timeline.py --no-browser    # server side only
    .venv/bin/python bench/timeline.py --database postgresql+psycopg://u:p@host/db

The database (default ``data/bench-timeline.db``, git-ignored) is migrated and filled with
``tracker demo synth`` on first use; later runs reuse it.

Server side: for each filter change, the time to answer it as the page does: the queries, the
figure, and the figure's JSON as Streamlit serialises it (``plotly.tools.
return_figure_from_figure_or_data`` then ``plotly.io.to_json``). Median of ``--runs`` runs after
one warm-up run. The budget is 300 ms.

Browser: ``streamlit run app.py`` on the same database and Debian's Chromium (Playwright); the
time from navigation to the app idle (``data-test-script-state='notRunning'``) with the chart's
WebGL canvas and lane labels drawn, median of ``--page-loads`` loads, each in a new browser
profile (nothing cached), after one warm-up load. The budget is 2 s. The last scenario, one
lane of a few points, is the floor: what Streamlit and its Plotly component cost on their own.
A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import plotly.io as pio  # noqa: E402
from plotly.tools import return_figure_from_figure_or_data  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from tracker.actors import actor_by_code  # noqa: E402
from tracker.charts import (  # noqa: E402
    stance_heatmap_figure,
    stance_lines_figure,
    timeline_figure,
)
from tracker.db import make_engine  # noqa: E402
from tracker.events import list_events  # noqa: E402
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
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Plotly has drawn: its layout exists, the WebGL canvas is there and the lane labels are set.
CHART_DRAWN = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return !!(gd && gd._fullLayout && gd.querySelector('canvas')
            && gd.querySelectorAll('.ytick text').length > 0);
}"""


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
    """What st.plotly_chart does with a figure before it leaves the server."""
    spec: str = pio.to_json(return_figure_from_figure_or_data(figure, True), validate=False)
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
    engine.dispose()
    return rows


def _load(context: Any, address: str) -> tuple[float, float, int]:
    """Open ``address`` in a new tab: seconds to the app idle, to the chart drawn, lanes."""
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(address)
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        idle = time.perf_counter() - started
        page.wait_for_function(CHART_DRAWN, timeout=60_000)
        drawn = time.perf_counter() - started
        return idle, drawn, page.locator(".js-plotly-plot svg .ytick text").count()
    finally:
        page.close()


def browser_side(url: str, runs: int) -> list[tuple[str, float, str]]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_http

    if not CHROMIUM.exists():
        print(f"no Chromium at {CHROMIUM}: browser side skipped")
        return []
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-timeline-{port}.log"
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "0"}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
               str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
               "--server.fileWatcherType", "none"]  # fmt: skip
    results: list[tuple[str, float, str]] = []
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/_stcore/health", server, log)
        pages = [
            ("first view: 60 countries, grouped", f"{base}/?topic=synthetic-1"),
            ("shared URL: GCC, 2024, verified",
             f"{base}/?topic=synthetic-1&countries=GCC&from=2024-01-01&to=2024-12-31"
             "&status=verified"),
            ("floor: 1 country, 1 month",
             f"{base}/?topic=synthetic-1&countries=PAK&from=2025-05-01&to=2025-05-31"),
        ]  # fmt: skip
        viewport = {"width": 1400, "height": 1000}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                for label, address in pages:
                    for cache in ("cold", "warm"):
                        idles, draws = [], []
                        # Cold: a new browser profile each load, nothing cached (a first visit).
                        # Warm: one profile, so Streamlit's and Plotly's scripts come from the
                        # browser cache, as for an analyst who has opened the tracker before.
                        shared = browser.new_context(viewport=viewport)
                        for attempt in range(runs + 1):
                            context = (
                                shared
                                if cache == "warm"
                                else browser.new_context(viewport=viewport)
                            )
                            idle, drawn, lanes = _load(context, address)
                            if context is not shared:
                                context.close()
                            if attempt:  # the first load warms the server (and the cache) up
                                idles.append(idle * 1000)
                                draws.append(drawn * 1000)
                        shared.close()
                        ms = statistics.median(draws)
                        what = f"app idle at {statistics.median(idles):.0f} ms; {lanes} lanes"
                        results.append((f"{label} ({cache} cache)", ms, what))
                        print(f"  {label:<36} {cache} cache: chart drawn {ms:6.0f} ms   {what}")
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=f"sqlite:///{DEFAULT_DB}")
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="server-side runs per scenario")
    parser.add_argument("--page-loads", type=int, default=5, help="page loads per scenario")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    seconds = prepare(args.database, args.statements)
    if seconds:
        print(f"tracker demo synth: {args.statements:,} statements in {seconds:.1f} s")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"server side, median of {args.runs} (query + figure + JSON), budget 300 ms:")
    server_side(args.database, args.runs)
    if not args.no_browser:
        print(f"Chromium, median of {args.page_loads} page loads to the chart drawn, budget 2 s:")
        browser_side(args.database, args.page_loads)


if __name__ == "__main__":
    main()
