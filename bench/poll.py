"""Benchmark: our poller against the `reader` library on one farm of loopback RSS feeds.

    .venv/bin/python bench/poll.py                # 1,000 feeds x 50 items (about 24 MB)
    .venv/bin/python bench/poll.py --feeds 100    # a quicker run
    .venv/bin/python bench/poll.py --processes 0  # ours with threads only (no worker processes)
    .venv/bin/python bench/poll.py --hosts 1      # every feed on one site (127.0.0.1)

The farm is an asyncio HTTP/1.1 server in its own process (so it does not compete with the
pollers for a GIL) that answers If-None-Match with 304. It listens on 250 loopback addresses
(127.0.0.1 to 127.0.0.250), feed n on address n mod 250, because a thousand real feeds come
from hundreds of sites, and our poller keeps at most two requests at a time on one site. Each
poller runs in its own process with its own temporary SQLite database, one after the other:
ours (first poll, then a poll answered by 304s), then reader (the same two). Peak memory is
the poller process's maximum RSS plus that of its poller processes (an upper bound: they need
not peak together).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "minister", "said", "talks", "border", "strike", "visit", "envoy", "council", "sanctions",
    "ceasefire", "agreement", "nuclear", "energy", "trade", "security", "regional", "summit",
    "officials", "statement", "foreign", "ministry", "government", "military", "exercise",
    "delegation", "pipeline", "corridor", "drone", "airspace",
]  # fmt: skip
PLACES = [
    "Iran", "Pakistan", "Israel", "Saudi Arabia", "Qatar", "Oman", "Turkey", "India",
    "the United States", "the UAE", "Tehran", "Islamabad", "Riyadh", "Ankara",
]  # fmt: skip


def feed_body(n: int, items: int) -> bytes:
    """One farm feed: RSS 2.0, about 480 bytes per item, dates a few hours apart."""
    rnd = random.Random(n)
    base = datetime(2025, 6, 1, tzinfo=UTC)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Farm feed {n}</title><link>http://site{n}.example/</link>"
        f"<description>Feed {n} of the benchmark farm</description>"
    ]
    for i in range(items):
        title = " ".join(rnd.choice(WORDS) for _ in range(7)) + " " + rnd.choice(PLACES)
        text = " ".join(rnd.choice(WORDS) for _ in range(22)) + " " + rnd.choice(PLACES)
        when = format_datetime(base - timedelta(hours=i * 3 + n % 7))
        out.append(
            f"<item><title>{title}</title>"
            f"<link>http://site{n}.example/story/{i}?utm_source=rss</link>"
            f'<guid isPermaLink="false">site{n}-{i}</guid><pubDate>{when}</pubDate>'
            f"<description>&lt;p&gt;{text}.&lt;/p&gt;</description></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out).encode()


# --- the farm ------------------------------------------------------------------------------


def farm_hosts(hosts: int) -> list[str]:
    """The farm's addresses: 127.0.0.1 to 127.0.0.<hosts>, all on the loopback interface."""
    return [f"127.0.0.{n}" for n in range(1, max(1, min(hosts, 254)) + 1)]


def feed_urls(feeds: int, hosts: int, port: int) -> list[str]:
    # Feed n on host n mod hosts: as in real use, sites interleave in the poll order.
    addresses = farm_hosts(hosts)
    return [f"http://{addresses[n % len(addresses)]}:{port}/feed/{n}.xml" for n in range(feeds)]


def serve(feeds: int, items: int, hosts: int) -> None:
    bodies = [feed_body(n, items) for n in range(feeds)]
    etags = [f'"farm-{n}"'.encode() for n in range(feeds)]
    modified = format_datetime(datetime(2025, 6, 1, tzinfo=UTC), usegmt=True).encode()
    served = {"200": 0, "304": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.split(b"\r\n")
                path = request_line.split(b" ")[1].decode()
                headers = {}
                for line in lines:
                    if b":" in line:
                        name, value = line.split(b":", 1)
                        headers[name.strip().lower()] = value.strip()
                try:
                    n = int(path.rsplit("/", 1)[1].split(".")[0])
                    body = bodies[n]
                except (ValueError, IndexError):
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    continue
                if headers.get(b"if-none-match") == etags[n]:
                    served["304"] += 1
                    writer.write(
                        b"HTTP/1.1 304 Not Modified\r\nETag: " + etags[n] + b"\r\n"
                        b"Last-Modified: " + modified + b"\r\nContent-Length: 0\r\n\r\n"
                    )
                else:
                    served["200"] += 1
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                        b"ETag: " + etags[n] + b"\r\nLast-Modified: " + modified + b"\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        # One port on every farm address: a free port on the first, then the same on the rest.
        first = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port = first.sockets[0].getsockname()[1]
        first.close()
        await first.wait_closed()
        server = await asyncio.start_server(
            handle, farm_hosts(hosts), port, backlog=1024, reuse_address=True
        )
        total = sum(map(len, bodies))
        print(json.dumps({"port": port, "bytes": total}), flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the pollers ---------------------------------------------------------------------------


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


class ProcessTree:
    """Samples this process's descendants: their summed RSS (peak) and the CPU time each has
    used. The worker processes are grandchildren, through the forkserver, so getrusage sees
    neither their memory nor their CPU."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self._cpu_ticks: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # Four times a second: this thread's CPU counts as ours, and peaks last seconds.
        while not self._stop.wait(0.25):
            self.sample()

    def sample(self) -> None:
        rss_kb = 0
        todo = [os.getpid()]
        while todo:
            pid = todo.pop()
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/children") as f:
                        todo.extend(int(child) for child in f.read().split())
                if pid == os.getpid():
                    continue
                with open(f"/proc/{pid}/status") as f:
                    rss_kb += next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with self._lock:
                    self._cpu_ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, StopIteration):
                continue  # the process ended meanwhile
        self.peak_mb = max(self.peak_mb, rss_kb / 1024)

    def cpu_seconds(self) -> float:
        """CPU used so far by this process and every descendant seen (the last sample of one
        that has ended, so slightly less than it used)."""
        self.sample()
        with self._lock:
            ticks = sum(self._cpu_ticks.values())
        return time.process_time() + ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def run_ours(urls: list[str], workers: int, processes: int | None, actors: bool) -> dict:
    import ipaddress

    from sqlmodel import Session

    from tracker.actors import sync_reference_actors
    from tracker.db import make_engine
    from tracker.feeds.netsafety import AddressPolicy
    from tracker.feeds.poller import poll_once
    from tracker.migrate import upgrade
    from tracker.models import Feed

    tmp = tempfile.mkdtemp(prefix="bench-ours-")
    engine = make_engine(f"sqlite:///{tmp}/tracker.db")
    upgrade(engine)
    with Session(engine) as session:
        if actors:
            sync_reference_actors(session)
        session.add_all(Feed(url=url) for url in urls)
        session.commit()
    policy = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/24"),))
    times, cpu, summaries = [], [], []
    tree = ProcessTree()
    for _ in range(2):
        started, cpu_before = time.perf_counter(), tree.cpu_seconds()
        summary = poll_once(
            engine, workers=workers, all_feeds=True, policy=policy, processes=processes
        )
        times.append(time.perf_counter() - started)
        cpu.append(tree.cpu_seconds() - cpu_before)
        summaries.append(summary.__dict__)
    own, _ = peak_rss_mb()
    return {"first": times[0], "second": times[1], "cpu": cpu, "summaries": summaries,
            "rss_mb": own, "children_rss_mb": tree.stop()}  # fmt: skip


def run_reader(urls: list[str], workers: int) -> dict:
    import reader

    tmp = tempfile.mkdtemp(prefix="bench-reader-")
    r = reader.make_reader(f"{tmp}/reader.sqlite")
    for url in urls:
        r.add_feed(url)
    times, cpu = [], []
    for _ in range(2):
        started, cpu_before = time.perf_counter(), time.process_time()
        # scheduled=False: update every feed now, as our --all does (the second run would
        # otherwise find nothing due).
        r.update_feeds(workers=workers, scheduled=False)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_before)
    entries = r.get_entry_counts().total
    own, children = peak_rss_mb()
    return {"first": times[0], "second": times[1], "cpu": cpu, "entries": entries,
            "rss_mb": own, "children_rss_mb": children}  # fmt: skip


def child(kind: str, port: int, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--role", kind, "--port", str(port),
               "--feeds", str(args.feeds), "--workers", str(args.workers),
               "--hosts", str(args.hosts)]  # fmt: skip
    if args.processes is not None:
        command += ["--processes", str(args.processes)]
    if args.no_actors:
        command.append("--no-actors")
    if args.profile and kind == "ours":
        # .txt: collapsed stacks (one line per stack and its count), else speedscope JSON.
        form = "raw" if args.profile.endswith(".txt") else "speedscope"
        spy = str(Path(sys.executable).with_name("py-spy"))
        command = [spy, "record", "-s", "-o", args.profile, "-f", form, "--", *command]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument(
        "--hosts", type=int, default=250, help="farm addresses 127.0.0.1-N (1: one site)"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=None, help="ours: worker processes")
    parser.add_argument("--no-actors", action="store_true", help="ours: no actors to tag with")
    parser.add_argument("--skip-reader", action="store_true")
    parser.add_argument("--rounds", type=int, default=1, help="alternate runs, keep the best")
    parser.add_argument(
        "--compare-threads", action="store_true", help="also run ours with threads only"
    )
    parser.add_argument(
        "--profile",
        help="ours: write a py-spy profile here (.txt: collapsed stacks, else speedscope)",
    )
    parser.add_argument("--role", choices=["farm", "ours", "reader"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.role == "farm":
        serve(args.feeds, args.items, args.hosts)
        return
    if args.role in ("ours", "reader"):
        urls = feed_urls(args.feeds, args.hosts, args.port)
        if args.role == "ours":
            result = run_ours(urls, args.workers, args.processes, not args.no_actors)
        else:
            result = run_reader(urls, args.workers)
        print(json.dumps(result))
        return

    farm = subprocess.Popen(
        [sys.executable, __file__, "--role", "farm", "--feeds", str(args.feeds),
         "--hosts", str(args.hosts),
         "--items", str(args.items)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert farm.stdout is not None
        info = json.loads(farm.stdout.readline())
        port = info["port"]
        megabytes = info["bytes"] / 1e6
        print(f"farm: {args.feeds} feeds x {args.items} items on {len(farm_hosts(args.hosts))} "
              f"loopback addresses, {megabytes:.1f} MB; "
              f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
        runs: dict[str, list[dict]] = {"ours": [], "threads": [], "reader": []}
        for round_number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {round_number} (load average {os.getloadavg()[0]:.2f})")
            ours = child("ours", port, args)
            runs["ours"].append(ours)
            show("ours", ours, f"+ workers {ours['children_rss_mb']:.0f} MB")
            print(f"        {ours['summaries'][0]}")
            print(f"        {ours['summaries'][1]}")
            if args.compare_threads:
                threads = child("ours", port, argparse.Namespace(**{**vars(args), "processes": 0}))
                runs["threads"].append(threads)
                show("threads", threads, "(ours, threads only)")
            if not args.skip_reader:
                theirs = child("reader", port, args)
                runs["reader"].append(theirs)
                show("reader", theirs, f"({theirs['entries']} entries)")
        if args.skip_reader:
            return
        # The best of each: on a shared machine noise only ever adds time.
        best = {
            name: {key: min(r[key] for r in results) for key in ("first", "second")}
            for name, results in runs.items()
            if results
        }
        first = best["ours"]["first"] / best["reader"]["first"]
        second = best["ours"]["second"] / best["reader"]["second"]
        peak = max(r["rss_mb"] + r["children_rss_mb"] for r in runs["ours"])
        cpu = {
            name: [min(r["cpu"][i] for r in results) for i in (0, 1)]
            for name, results in runs.items()
            if results
        }
        print(f"ratios (ours / reader, best of {args.rounds}): first poll {first:.2f} "
              f"(target <= 0.5), 304 poll {second:.2f} (target <= 0.5); our peak memory "
              f"{peak:.0f} MB (target < 500)")  # fmt: skip
        print(f"CPU ratios (ours / reader): first poll {cpu['ours'][0] / cpu['reader'][0]:.2f}, "
              f"304 poll {cpu['ours'][1] / cpu['reader'][1]:.2f}; "
              f"load average after: {os.getloadavg()[0]:.2f}")  # fmt: skip
    finally:
        farm.terminate()
        farm.wait()


def show(name: str, result: dict, note: str) -> None:
    first_cpu, second_cpu = result["cpu"]
    print(f"{name + ':':8}first poll {result['first']:6.2f} s ({first_cpu:6.2f} CPU-s)   "
          f"304 poll {result['second']:5.2f} s ({second_cpu:5.2f} CPU-s)   "
          f"peak RSS {result['rss_mb']:.0f} MB {note}")  # fmt: skip


if __name__ == "__main__":
    main()
