"""Benchmark: import 100,000 CSV rows of statements into a fresh SQLite database.

    .venv/bin/python bench/import.py [--rows 100000] [--keep DIR]

The rows are synthetic (clearly: "Synthetic statement n …", example.org sources), spread over
three topics, thirty countries and a few hundred speakers, with quotes in English, Urdu and
Persian. The database is migrated (FTS triggers included), the reference actors loaded and the
topics created before the clock starts; the figure is ``import_statements_csv`` (reading,
decoding, per-row validation with the form's rules, batched inserts, revisions) plus the commit.
A second run of the same file measures the re-import, which must add nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.actors import sync_reference_actors  # noqa: E402
from tracker.db import make_engine  # noqa: E402
from tracker.imports import TEMPLATE_COLUMNS, import_statements_csv  # noqa: E402
from tracker.migrate import upgrade  # noqa: E402
from tracker.models import Statement, TopicCreate  # noqa: E402
from tracker.topics import create_topic  # noqa: E402

COUNTRIES = [
    "PAK", "IRN", "ISR", "SAU", "ARE", "QAT", "OMN", "TUR", "IND", "USA",
    "CHN", "RUS", "EGY", "JOR", "IRQ", "SYR", "LBN", "AFG", "KWT", "BHR",
    "GBR", "FRA", "DEU", "JPN", "BRA", "ZAF", "NGA", "IDN", "MYS", "BGD",
]  # fmt: skip
CHANNELS = ["speech", "interview", "press release", "social_media", "communique", "vote"]
QUOTES = [
    ("en", "We stand by our partners and call for restraint {n}"),
    ("ur", "ہم اپنے شراکت داروں کے ساتھ کھڑے ہیں {n}"),
    ("fa", "ما در کنار شرکای خود ایستاده‌ایم {n}"),
]


def make_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(TEMPLATE_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for n in range(rows):
        country = rng.choice(COUNTRIES)
        language, quote = rng.choice(QUOTES)
        has_quote = rng.random() < 0.6
        writer.writerow(
            {
                "topic": f"bench-topic-{n % 3}",
                "country": country,
                "speaker": f"Synthetic Speaker {country} {rng.randrange(10)}",
                "speaker_role": "Foreign Minister",
                "target": rng.choice(["", "IRN", "ISR"]) if country not in ("IRN", "ISR") else "",
                "said_on": f"20{rng.randrange(10, 25)}-{rng.randrange(1, 13):02d}-"
                f"{rng.randrange(1, 29):02d}",
                "quote": quote.format(n=n) if has_quote else "",
                "language": language if has_quote else "",
                "summary": f"Synthetic statement {n} on alignment",
                "stance": str(rng.randrange(-2, 3)),
                "channel": rng.choice(CHANNELS),
                "source_url": f"https://example.org/synthetic/{n}",
                "source_publisher": "Example (synthetic)",
                "source_published_on": "2024-01-01",
                "source2_citation": "Synthetic citation" if rng.random() < 0.2 else "",
            }
        )
    return out.getvalue().encode("utf-8")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="validation processes (as `tracker statements import --workers`; default 2)",
    )
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="tracker-bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "import.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        sync_reference_actors(session)
        for i in range(3):
            create_topic(
                session, TopicCreate(slug=f"bench-topic-{i}", title=f"Bench {i}", proposition="P")
            )
        session.commit()

    started = time.perf_counter()
    data = make_csv(args.rows)
    print(f"generated {args.rows:,} rows ({len(data) / 1e6:.1f} MB) in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    with Session(engine) as session:
        started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        report = import_statements_csv(session, data, user_id=None, workers=args.workers)
        session.commit()
        first, cpu = time.perf_counter() - started, time.process_time() - cpu
        children = _children_cpu() - children
    print(
        f"import: {report.summary()} in {first:.1f} s wall ({args.rows / first:,.0f} rows/s); "
        f"CPU {cpu:.1f} s here + {children:.1f} s in validation workers "
        f"(load average now: {os.getloadavg()[0]:.1f})"
    )
    if report.rejected:
        print("first refused:", report.rejected[0].line, report.rejected[0].reason)

    with Session(engine) as session:
        started = time.perf_counter()
        again = import_statements_csv(session, data, user_id=None, workers=args.workers)
        session.commit()
        second = time.perf_counter() - started
        count = session.exec(select(func.count()).select_from(Statement)).one()
    print(f"re-import: {again.summary()} in {second:.1f} s; statements stored: {count:,}")
    verdict = "PASS" if first < 30 and again.imported == 0 else "FAIL"
    print(f"target: {args.rows:,} rows in < 30 s → {verdict} ({first:.1f} s)")
    engine.dispose()


if __name__ == "__main__":
    main()
