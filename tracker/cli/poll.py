"""`tracker poll --once|--loop` and `tracker news list`."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from typing import Annotated

import typer
from sqlmodel import Session

from tracker.cli.common import JsonOption, fail, friendly_errors, get_engine, print_rows

news_app = typer.Typer(help="Polled news items.", no_args_is_help=True)

# Progress goes to stderr at most this often, so a long poll shows life without flooding logs.
PROGRESS_EVERY_SECONDS = 1.0


def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll what is due, then exit.")] = False,
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep polling until SIGTERM or Ctrl-C.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64, help="Threads per poller process (concurrent fetches)."
        ),
    ] = 4,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            min=0,
            max=64,
            help="Poller processes for a poll of 32 feeds or more (default: one per core; "
            "0: this process only).",
        ),
    ] = None,
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Poll every active feed now, whatever its schedule.")
    ] = False,
    sleep: Annotated[
        float, typer.Option("--sleep", min=1.0, help="Longest pause between rounds (--loop).")
    ] = 60.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Fetch due feeds and store their new items (the poller; never run inside the app)."""
    from tracker.feeds.netsafety import AddressPolicy
    from tracker.feeds.poller import (
        PollProgress,
        PollSummary,
        poll_loop,
        poll_once,
        stop_on_signals,
    )

    if once and loop:
        fail("choose --once or --loop, not both")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    last_shown = 0.0

    def show_progress(p: PollProgress) -> None:
        nonlocal last_shown
        now = time.monotonic()
        if quiet or now - last_shown < PROGRESS_EVERY_SECONDS:
            return
        last_shown = now
        typer.echo(
            f"  {p.feeds_done}/{p.feeds_claimed} feeds, {p.new_items} new items, {p.errors} errors",
            err=True,
        )

    def show_summary(s: PollSummary) -> None:
        typer.echo(
            f"polled {s.feeds} feeds in {s.elapsed_seconds:.1f} s: {s.new_items} new items, "
            f"{s.not_modified} not modified, {s.unchanged} unchanged, {s.errors} errors"
        )
        sys.stdout.flush()

    stop = threading.Event()
    # Ctrl-C or SIGTERM lets the feeds in hand finish and hands the others back.
    restore = stop_on_signals(stop)
    with friendly_errors(), contextlib.ExitStack() as cleanup:
        cleanup.callback(restore)
        policy = AddressPolicy.from_env()
        engine = get_engine()
        if all_feeds or not loop:
            # With --loop, --all applies to the first round only: later rounds follow the
            # schedule, or every feed would be fetched every round.
            show_summary(
                poll_once(
                    engine,
                    workers=workers,
                    all_feeds=all_feeds,
                    policy=policy,
                    progress=show_progress,
                    stop=stop,
                    processes=processes,
                )
            )
        if loop and not stop.is_set():
            typer.echo("polling until stopped (Ctrl-C or SIGTERM finishes the feeds in hand)")
            poll_loop(
                engine,
                workers=workers,
                sleep_seconds=sleep,
                stop=stop,
                policy=policy,
                progress=show_progress,
                on_summary=show_summary,
                processes=processes,
            )


@news_app.command("list")
def news_list(
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many items.")] = 50,
    country: Annotated[
        list[str] | None,
        typer.Option(
            "--country",
            help="Items that mention this country or bloc: ISO code or name (repeatable: any).",
        ),
    ] = None,
    words: Annotated[
        str, typer.Option("--words", help='Every word (or "a phrase") in the title or summary.')
    ] = "",
    since: Annotated[
        str | None,
        typer.Option("--from", help="Published (else fetched) on or after this day (YYYY-MM-DD)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="On or before this day (YYYY-MM-DD).")
    ] = None,
    unused: Annotated[
        bool, typer.Option("--unused", help="Only stories no statement was taken from yet.")
    ] = False,
) -> None:
    """List the newest news items, one per story, as the News page shows them."""
    from tracker.cli.search import actor_ids_for, parse_day
    from tracker.news_inbox import InboxFilters, newest_items

    start, end = parse_day(since, "--from"), parse_day(until, "--to")
    with friendly_errors(), Session(get_engine()) as session:
        filters = InboxFilters(
            actor_ids=tuple(actor_ids_for(session, country) or ()),
            since=start,
            until=end,
            words=words,
            unused_only=unused,
        )
        items = newest_items(session, filters, limit=limit)
    print_rows(
        items,
        as_json,
        [
            ("id", lambda n: n.id),
            ("when", lambda n: n.shown_at.strftime("%Y-%m-%d %H:%M")),
            ("feed", lambda n: n.feed_title),
            ("actors", lambda n: ",".join(a.code for a in n.actors)),
            ("used by", lambda n: ",".join(f"#{i}" for i in n.used_by)),
            ("title", lambda n: n.title),
        ],
    )
