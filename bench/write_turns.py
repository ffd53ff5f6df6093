"""Benchmark: how long one writer waits on a SQLite file that other processes write to.

    .venv/bin/python bench/write_turns.py                 # 20 s per scenario
    .venv/bin/python bench/write_turns.py --seconds 10 --hogs 1 2 4

Each scenario starts ``hogs`` processes that write back to back through ``make_engine`` (an
insert, 2 ms of work, commit, again at once: a poller storing items or an import), then one
writer in this process inserts a row every 50 ms, as a contributor saving forms would, and
records how long each of its transactions took. Two variants, taking turns per scenario:

- ``turns``: as the tracker ships (``tracker.write_turns``: flock turns across processes).
- ``busy``: SQLite's busy handler only (the engines built without turns, each process's
  writers still queued on a lock), as the tracker was before 27 November.

A wait over the busy timeout (10 s) is a "database is locked" error, which the table counts.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import URL, Engine  # noqa: E402

import tracker.db  # noqa: E402


def _no_turns(_url: URL) -> None:
    return None


def engine_for(url: str, variant: str) -> Engine:
    if variant == "turns":
        return tracker.db.make_engine(url)
    shipped = tracker.db._write_turns
    tracker.db._write_turns = _no_turns  # type: ignore[assignment]  # the baseline only
    try:
        return tracker.db.make_engine(url)
    finally:
        tracker.db._write_turns = shipped


def hog(url: str, seconds: float, variant: str) -> None:
    engine = engine_for(url, variant)
    end = time.monotonic() + seconds
    done = 0
    print("ready", flush=True)
    while time.monotonic() < end:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (who) VALUES ('hog')"))
            time.sleep(0.002)
        done += 1
    print(done, flush=True)


def scenario(directory: Path, hogs: int, variant: str, seconds: float) -> dict[str, float]:
    database = directory / f"{variant}-{hogs}.db"
    url = f"sqlite:///{database}"
    engine = engine_for(url, variant)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--hog", url, str(seconds + 2), variant],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(hogs)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    waits: list[float] = []
    errors = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t (who) VALUES ('writer')"))
        except Exception:  # "database is locked" is what we count
            errors += 1
        waits.append(time.monotonic() - started)
        time.sleep(0.05)
    hog_writes = [int(proc.communicate()[0].strip()) for proc in procs]
    engine.dispose()
    waits.sort()
    return {
        "writes": len(waits),
        "errors": errors,
        "median_ms": statistics.median(waits) * 1000,
        "p95_ms": waits[int(len(waits) * 0.95)] * 1000,
        "max_ms": waits[-1] * 1000,
        "hog_writes": sum(hog_writes),
        "hog_spread": max(hog_writes) / max(1, min(hog_writes)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--hogs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--variants", nargs="+", default=["busy", "turns"])
    parser.add_argument("--hog", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hog:
        url, seconds, variant = args.hog
        hog(url, float(seconds), variant)
        return
    print(
        "| hogs | variant | writer's writes | errors | median ms | p95 ms | max ms "
        "| hogs' writes | hogs' max/min |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for hogs in args.hogs:
            for variant in args.variants:
                r = scenario(Path(tmp), hogs, variant, args.seconds)
                print(
                    f"| {hogs} | {variant} | {r['writes']:.0f} | {r['errors']:.0f} "
                    f"| {r['median_ms']:.1f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} "
                    f"| {r['hog_writes']:.0f} | {r['hog_spread']:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
