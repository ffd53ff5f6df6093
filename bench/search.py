"""Benchmark: full-text search over 1,000,000 synthetic news items on SQLite (FTS5).

    .venv/bin/python bench/search.py [--items 1000000] [--repeat 21] [--keep DIR]

Builds a fresh SQLite file in a temporary folder (schema by the migrations, so the FTS5 table
and its triggers are the real ones) and fills it with clearly synthetic items: one feed
``https://synthetic.example/feed.xml``, guids ``synthetic-N``, titles and summaries of made-up
words drawn from a Zipf distribution (like real text: a few very common words, a long tail).
Rows go in through plain ``executemany`` in large transactions, so the FTS triggers index them
exactly as they index the poller's inserts.

Then, for two-word queries of rare, middling and common words, it measures the median time of
``tracker.search.search`` (first page of 20, best matches first, snippets and highlighting
included: what the page and ``tracker search`` do), and of two plain LIKE scans of the same
data: the first 20 matching rows newest first (which can stop early when the words are common)
and all matching rows (what ranking would need); it prints both ratios. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from tracker.db import make_engine  # noqa: E402
from tracker.migrate import upgrade  # noqa: E402
from tracker.search import search  # noqa: E402

VOCABULARY = 30_000
SYLLABLES = [
    c + v
    for c in ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "kh"]
    for v in ["a", "e", "i", "o", "u", "ai", "ou"]
]
BATCH = 20_000
START = datetime(2020, 1, 1, tzinfo=UTC)


def make_vocabulary(rng: random.Random) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def fill(path: Path, items: int, seed: int = 1) -> tuple[list[str], float]:
    """Insert ``items`` synthetic news items; return the vocabulary (by rank) and seconds."""
    rng = random.Random(seed)
    words = make_vocabulary(rng)
    weights = list(accumulate(1 / (rank**1.07) for rank in range(1, VOCABULARY + 1)))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(
        "INSERT INTO feed (url, title, poll_interval_seconds, status, next_poll_at, error_count,"
        " created_at) VALUES ('https://synthetic.example/feed.xml', 'Synthetic benchmark feed',"
        " 3600, 'paused', '2020-01-01 00:00:00', 0, '2020-01-01 00:00:00')"
    )
    feed_id = conn.execute("SELECT id FROM feed").fetchone()[0]
    started = time.perf_counter()
    done = 0
    while done < items:
        size = min(BATCH, items - done)
        title_words = rng.choices(words, cum_weights=weights, k=size * 9)
        summary_words = rng.choices(words, cum_weights=weights, k=size * 35)
        rows = []
        for i in range(size):
            n = done + i
            title = " ".join(title_words[i * 9 : i * 9 + 9]).capitalize()
            summary = "<p>" + " ".join(summary_words[i * 35 : i * 35 + 35]) + ".</p>"
            moment = (START + timedelta(minutes=n)).strftime("%Y-%m-%d %H:%M:%S.000000")
            rows.append(
                (
                    feed_id,
                    f"synthetic-{n}",
                    f"https://synthetic.example/{n}",
                    f"https://synthetic.example/{n}",
                    title,
                    summary,
                    moment,
                    moment,
                    f"{n:064x}",
                )
            )
        conn.executemany(
            "INSERT INTO news_item (feed_id, guid, url, canonical_url, title, summary,"
            " published_at, fetched_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.commit()
        done += size
        print(f"\r  {done:,} items", end="", flush=True)
    print()
    conn.execute("PRAGMA optimize")
    conn.close()
    return words, time.perf_counter() - started


def median_ms(action, repeat: int) -> float:
    action()  # warm the page cache and the statement caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def like_first_page(conn: sqlite3.Connection, first: str, second: str) -> list[int]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT id FROM news_item WHERE (title LIKE ?1 OR summary LIKE ?1)"
            " AND (title LIKE ?2 OR summary LIKE ?2) ORDER BY id DESC LIMIT 20",
            (f"%{first}%", f"%{second}%"),
        )
    ]


def _items(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM news_item").fetchone()[0])
    except sqlite3.Error:
        return -1
    finally:
        conn.close()


def like_count(conn: sqlite3.Connection, first: str, second: str) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM news_item WHERE (title LIKE ?1 OR summary LIKE ?1)"
            " AND (title LIKE ?2 OR summary LIKE ?2)",
            (f"%{first}%", f"%{second}%"),
        ).fetchone()[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--keep", type=Path, help="build the database in this folder, keep it")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="tracker-bench-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "search.db"
    if args.keep and path.exists() and _items(path) == args.items:
        print(f"reusing {path} ({args.items:,} synthetic news items)")
        words = make_vocabulary(random.Random(1))
    else:
        path.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        print(f"filling {path} with {args.items:,} synthetic news items …")
        words, seconds = fill(path, args.items)
        size_mb = path.stat().st_size / 1e6
        print(f"inserted and indexed in {seconds:.0f} s ({args.items / seconds:,.0f} items/s); "
              f"file {size_mb:,.0f} MB")  # fmt: skip

    queries = [
        ("rare + rare", words[4000], words[6000]),
        ("middling + middling", words[300], words[500]),
        ("common + middling", words[10], words[400]),
        ("common + common", words[3], words[8]),
    ]
    engine = make_engine(f"sqlite:///{path}")
    raw = sqlite3.connect(path)
    print(f"\nmedian of {args.repeat} runs, first page of 20, best first")
    print(f"{'query':<22}{'words':<24}{'matches':>17}{'search()':>10}", end="")
    print(f"{'LIKE page':>11}{'ratio':>7}{'LIKE all':>11}{'ratio':>7}")
    results = []
    with Session(engine) as session:
        for label, first, second in queries:
            query = f"{first} {second}"
            page = search(session, query)
            fts = median_ms(lambda q=query: search(session, q), args.repeat)
            like = median_ms(lambda a=first, b=second: like_first_page(raw, a, b), args.repeat)
            scan = median_ms(lambda a=first, b=second: like_count(raw, a, b), 3)
            matches = page.total_text
            results.append((label, fts, like))
            print(f"{label:<22}{query:<24}{matches:>17}{fts:>8.1f}ms", end="")
            print(f"{like:>9.1f}ms{like / fts:>6.0f}x{scan:>9.0f}ms{scan / fts:>6.0f}x")
        newest = median_ms(
            lambda: search(session, f"{words[3]} {words[8]}", order="newest"), args.repeat
        )
        print(f"{'common + common, newest first':<63}{newest:>8.1f}ms")
    raw.close()
    engine.dispose()
    label, fts, like = results[1]
    verdict = "PASS" if fts <= 50 else "FAIL"
    print(f"\ntarget: a two-word query ({label}) ≤ 50 ms at the median → {verdict} ({fts:.1f} ms)")
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
