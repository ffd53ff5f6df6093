"""`tracker feeds …`: the list of polled feeds, managed by the machine's operator.

Nothing here fetches feeds (that is `tracker poll`), except `feeds add --discover`, which
fetches the page it is given to find its feed, with the poller's address policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.common import JsonOption, fail, friendly_errors, get_engine, print_rows

if TYPE_CHECKING:
    from tracker.feeds.registry import FeedView

feeds_app = typer.Typer(
    help="Feeds to poll: add, list, pause, OPML in and out.", no_args_is_help=True
)

FeedRef = Annotated[str, typer.Argument(help="The feed's id (see `feeds list`) or its URL.")]
# The CLI acts as the machine's operator, not as a user of the app.
OPERATOR = None


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="A feed's URL, or a web page that links to one.")],
    discover: Annotated[
        bool,
        typer.Option(
            "--discover/--no-discover",
            help="Fetch the URL to find its feed (default), or store it as given, unchecked.",
        ),
    ] = True,
    title: Annotated[str | None, typer.Option(help="A name for the feed.")] = None,
) -> None:
    """Add a feed; `tracker poll` fetches it next time it runs."""
    from tracker.db import session_scope
    from tracker.feeds.discover import discover as find_feeds
    from tracker.feeds.registry import add_feed, check_feed_url

    with friendly_errors():
        engine = get_engine()
        target = check_feed_url(url)
        feed_title = title
        site_url: str | None = None
        others: list[str] = []
        if discover:
            found = find_feeds(target)
            if not found.candidates:
                fail(
                    f"{found.message}\n"
                    f"To add the URL as given, unchecked: tracker feeds add --no-discover {url}"
                )
            best, *rest = found.candidates
            target, site_url = best.url, best.site_url
            feed_title = title or best.title
            others = [c.url for c in rest]
            if best.url != check_feed_url(url):
                typer.echo(f"found {best.url} ({best.how})")
        with session_scope(engine) as session:
            feed = add_feed(
                session, target, title=feed_title, site_url=site_url, acting_user_id=OPERATOR
            )
        typer.echo(f"feed {feed.id} added: {feed.name}")
        typer.echo("`tracker poll --once` fetches it.")
        if others:
            typer.echo("the page links to other feeds too; add them with `tracker feeds add URL`:")
            for other in others:
                typer.echo(f"  {other}")


@feeds_app.command("list")
def feeds_list(as_json: JsonOption = False) -> None:
    """List feeds with their health: failing ones first."""
    from sqlmodel import Session

    from tracker.feeds.registry import list_feeds

    with friendly_errors(), Session(get_engine()) as session:
        feeds = list_feeds(session)
    print_rows(
        feeds,
        as_json,
        [
            ("id", lambda f: f.id),
            ("status", lambda f: f.status),
            ("items", lambda f: f.items),
            ("errors", lambda f: f.error_count),
            ("last success", lambda f: _time(f.last_success_at)),
            ("next poll", lambda f: _time(f.next_poll_at)),
            ("title", lambda f: f.title or ""),
            ("url", lambda f: f.url),
        ],
    )


@feeds_app.command("import-opml")
def feeds_import_opml(
    file: Annotated[Path, typer.Argument(help="An OPML file, as feed readers export.")],
) -> None:
    """Add every feed an OPML file lists (fetched later by `tracker poll`)."""
    from tracker.db import session_scope
    from tracker.feeds.opml import MAX_OPML_BYTES, import_opml

    with friendly_errors():
        try:
            if file.stat().st_size > MAX_OPML_BYTES:
                fail(f"{file} is larger than {MAX_OPML_BYTES:,} bytes")
            data = file.read_bytes()
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror or exc}")
        engine = get_engine()
        with session_scope(engine) as session:
            result = import_opml(session, data, acting_user_id=OPERATOR)
        for feed in result.added:
            typer.echo(f"added {feed.id}: {feed.name}")
        for url in result.duplicates:
            typer.echo(f"already listed: {url}")
        for problem in result.problems:
            typer.echo(f"not imported: {problem.where}: {problem.reason}", err=True)
        typer.echo(result.summary())
        if result.added:
            typer.echo("`tracker poll --once` fetches them.")
        elif result.problems:
            # Nothing usable in the file: scripts must see a failure, not a quiet success.
            raise typer.Exit(1)


@feeds_app.command("export-opml")
def feeds_export_opml(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of to stdout.")
    ] = None,
) -> None:
    """Print (or write) every feed as an OPML 2.0 file."""
    from sqlmodel import Session

    from tracker.feeds.opml import export_opml

    with friendly_errors(), Session(get_engine()) as session:
        document = export_opml(session)
    if output is None:
        typer.echo(document.decode("utf-8"), nl=False)
        return
    try:
        output.write_bytes(document)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"wrote {output}")


@feeds_app.command("pause")
def feeds_pause(feed: FeedRef) -> None:
    """Stop polling a feed until it is resumed."""
    from tracker.feeds.registry import pause_feed

    _act(feed, pause_feed, "paused")


@feeds_app.command("resume")
def feeds_resume(feed: FeedRef) -> None:
    """Poll a paused feed again, starting with the next poll."""
    from tracker.feeds.registry import resume_feed

    _act(feed, resume_feed, "resumed")


@feeds_app.command("refresh")
def feeds_refresh(feed: FeedRef) -> None:
    """Make a feed due now: the next `tracker poll` fetches it whatever its schedule."""
    from tracker.feeds.registry import refresh_feed

    _act(feed, refresh_feed, "due now")


@feeds_app.command("delete")
def feeds_delete(
    feed: FeedRef,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a feed and its news items (items a statement was taken from are kept)."""
    from sqlmodel import Session

    from tracker.db import session_scope
    from tracker.feeds.registry import delete_feed, get_feed

    with friendly_errors():
        engine = get_engine()
        if not yes:
            with Session(engine) as session:
                found = get_feed(session, feed)
            typer.confirm(
                f"Delete feed {found.id} ({found.name}) and its {found.items} items?", abort=True
            )
        with session_scope(engine) as session:
            name = delete_feed(session, feed, acting_user_id=OPERATOR)
        typer.echo(f"deleted {name}")


def _act(ref: str, action: Callable[..., FeedView], done: str) -> None:
    from tracker.db import session_scope

    with friendly_errors():
        engine = get_engine()
        with session_scope(engine) as session:
            feed = action(session, ref, acting_user_id=OPERATOR)
        typer.echo(f"feed {feed.id} {done}: {feed.name} (status {feed.status})")


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""
