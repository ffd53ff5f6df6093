"""Loopback feed farms and poller processes for the reliability tests (items 3 and 4).

Two farms, each in its own process so that serving never competes with the poller for a GIL:

- the static farm of ``bench/poll.py`` (``--role farm``): N feeds x M items, answers
  If-None-Match with 304; the crash test polls it once per kill;
- a growing farm (``python tests/reliability/rel_farm.py farm``): every request for a feed
  returns its newest ``WINDOW`` items, ``STEP`` more than the last time that feed was asked
  for, so pollers running for a minute keep storing new items.

``python tests/reliability/rel_farm.py poller DB_URL SECONDS`` is one poller: the tracker's own
``poll_once`` over every feed, round after round, until SECONDS have passed; it prints one
JSON line with what it stored and any error that escaped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Lock

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
TRACKER = str(VENV_BIN / "tracker")
THIS = str(Path(__file__).resolve())

WINDOW = 20  # items in each answer of the growing farm
STEP = 5  # new items per request of one feed


def tracker_env(database_url: str) -> dict[str, str]:
    """The environment for a `tracker` subprocess on ``database_url`` with loopback feeds."""
    env = dict(os.environ)
    env["TRACKER_DATABASE_URL"] = database_url
    env["TRACKER_ALLOW_PRIVATE_FEEDS"] = "127.0.0.1/32"
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def _serving(command: list[str]) -> Iterator[int]:
    """Start a farm process, yield its port once it listens, stop it afterwards."""
    farm = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert farm.stdout is not None
        line = farm.stdout.readline()
        if not line:
            raise RuntimeError(f"the farm did not start: {command}")
        yield int(json.loads(line)["port"])
    finally:
        farm.terminate()
        farm.wait(timeout=10)


def static_farm(feeds: int, items: int) -> AbstractContextManager[int]:
    """bench/poll.py's farm, reused as it is: ``feeds`` RSS feeds of ``items`` items."""
    command = [PYTHON, str(ROOT / "bench" / "poll.py"), "--role", "farm"]
    return _serving([*command, "--feeds", str(feeds), "--items", str(items)])


def growing_farm() -> AbstractContextManager[int]:
    return _serving([PYTHON, THIS, "farm"])


def farm_urls(port: int, feeds: int) -> list[str]:
    return [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(feeds)]


# --- the growing farm ------------------------------------------------------------------------


def growing_body(n: int, newest: int) -> bytes:
    """Feed ``n`` with items ``newest - WINDOW + 1 … newest``, the farm's words and places."""
    from bench.poll import PLACES, WORDS

    base = datetime(2025, 6, 1, tzinfo=UTC)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Growing feed {n}</title><link>http://grow{n}.example/</link>"
    ]
    for i in range(max(0, newest - WINDOW + 1), newest + 1):
        words = [WORDS[(i * 7 + k * 3 + n) % len(WORDS)] for k in range(8)]
        place = PLACES[(i + n) % len(PLACES)]
        out.append(
            f"<item><title>{' '.join(words)} {place} {i}</title>"
            f"<link>http://grow{n}.example/story/{i}</link>"
            f'<guid isPermaLink="false">grow{n}-{i}</guid>'
            f"<pubDate>{format_datetime(base + timedelta(minutes=i))}</pubDate>"
            f"<description>{' '.join(reversed(words))} in {place}.</description></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out).encode()


def serve_growing() -> None:
    served: dict[int, int] = {}
    lock = Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                n = int(self.path.rsplit("/", 1)[1].split(".")[0])
            except (ValueError, IndexError):
                self.send_error(404)
                return
            with lock:
                served[n] = served.get(n, 0) + 1
                newest = WINDOW - 1 + STEP * (served[n] - 1)
            body = growing_body(n, newest)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per request would flood the test's output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


# --- one poller process ----------------------------------------------------------------------


def run_poller(database_url: str, seconds: float) -> None:
    """Poll every feed round after round until ``seconds`` have passed (the tracker's own
    poll_once, as `tracker poll --once --all` calls it); print what happened as JSON."""
    sys.path.insert(0, str(ROOT))
    from tracker.db import make_engine
    from tracker.feeds.netsafety import AddressPolicy
    from tracker.feeds.poller import poll_once

    engine = make_engine(database_url)
    policy = AddressPolicy.from_env()
    deadline = time.monotonic() + seconds
    rounds = new_items = feed_errors = 0
    errors: list[str] = []
    while time.monotonic() < deadline:
        try:
            summary = poll_once(engine, workers=2, all_feeds=True, policy=policy, processes=0)
        except Exception as exc:  # any escape is a failure the test reports
            errors.append(f"{type(exc).__name__}: {exc}"[:500])
            continue
        rounds += 1
        new_items += summary.new_items
        feed_errors += summary.errors
    engine.dispose()
    report = {"rounds": rounds, "new_items": new_items, "feed_errors": feed_errors}
    print(json.dumps({**report, "errors": errors}), flush=True)


def start_poller(database_url: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, THIS, "poller", database_url, str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=tracker_env(database_url),
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1] == "farm":
        serve_growing()
    elif sys.argv[1] == "poller":
        run_poller(sys.argv[2], float(sys.argv[3]))
