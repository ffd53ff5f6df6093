"""Moving data in and out: `tracker statements import|template`, `tracker export …`,
`tracker backup FILE` and `tracker restore FILE`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, select

from tracker.cli.catalog import statements_app
from tracker.cli.common import JsonOption, fail, friendly_errors, get_engine, jsonable
from tracker.cli.search import actor_ids_for, parse_day

export_app = typer.Typer(
    help="Export statements and events as CSV, JSON, JSON-LD or TimelineJS.", no_args_is_help=True
)

FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="csv, json, jsonld or timelinejs.")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]
TopicOption = Annotated[str | None, typer.Option("--topic", help="Only this topic (slug).")]
CountryOption = Annotated[
    list[str] | None, typer.Option("--country", help="ISO code or name (repeatable).")
]
StatusOption = Annotated[
    list[str] | None, typer.Option("--status", help="pending, verified… (repeatable).")
]
FromOption = Annotated[str | None, typer.Option("--from", help="From this day (YYYY-MM-DD).")]
ToOption = Annotated[str | None, typer.Option("--to", help="To this day (YYYY-MM-DD).")]
ReportLimit = 50


def _default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _user_id(username: str | None) -> int | None:
    """The id of the account imports are credited to; None is the operator (no account)."""
    if username is None:
        return None
    from tracker.models import User

    # A session of its own, closed before the import starts with nothing pending.
    with Session(get_engine()) as session:
        found = session.exec(select(User.id).where(User.username == username.strip())).first()
    if found is None:
        fail(f"there is no user {username!r} (see: tracker users list)")
    return found


@statements_app.command("import")
def statements_import(
    file: Annotated[Path, typer.Argument(help="The CSV file (see: tracker statements template).")],
    valid_only: Annotated[
        bool,
        typer.Option(
            "--valid-only",
            help="Import the valid rows and report the others (default: all or nothing).",
        ),
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Credit the statements to this user (default: the operator)."),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Processes that validate large files (default: up to 2).")
    ] = _default_workers(),
    as_json: JsonOption = False,
) -> None:
    """Import statements from CSV, each row checked like the form; imported rows are pending."""
    from tracker.imports import import_statements_csv, report_lines

    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    with friendly_errors():
        user_id = _user_id(as_user)
        with Session(get_engine(), expire_on_commit=False) as session:
            report = import_statements_csv(
                session, data, user_id=user_id, valid_only=valid_only, workers=workers
            )
            if report.stored:
                session.commit()
    if as_json:
        typer.echo(json.dumps(jsonable(report), ensure_ascii=False, indent=2))
    else:
        lines = report_lines(report, limit=ReportLimit)
        typer.echo(lines[0])
        for line in lines[1:]:
            typer.echo(line, err=True)
    if not report.stored or (report.rejected and not report.imported):
        raise typer.Exit(1)


@statements_app.command("template")
def statements_template(output: OutputOption = None) -> None:
    """The CSV template for `tracker statements import`: the columns and two example rows."""
    from tracker.imports import statements_template_csv

    _write(statements_template_csv(), output)


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        typer.echo(data, nl=False)
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"wrote {len(data):,} bytes to {output}", err=True)


def _topic_id(session: Session, slug: str | None) -> int | None:
    from tracker.topics import get_topic_by_slug

    if slug is None:
        return None
    found = get_topic_by_slug(session, slug.strip().lower())
    if found is None:
        fail(f"no topic with the slug {slug!r} (see: tracker topics list)")
    return found.id


def _statuses(values: list[str] | None) -> list[str] | None:
    from tracker.models import StatementStatus

    if not values:
        return None
    allowed = [s.value for s in StatementStatus]
    for value in values:
        if value not in allowed:
            fail(f"--status {value!r}: use one of {', '.join(allowed)}")
    return values


@export_app.command("statements")
def export_statements_command(
    fmt: FormatOption = "csv",
    output: OutputOption = None,
    topic: TopicOption = None,
    country: CountryOption = None,
    status: StatusOption = None,
    since: FromOption = None,
    until: ToOption = None,
) -> None:
    """Statements (all, or those matching the filters)."""
    from tracker.exports import check_format, export_statements

    start, end = parse_day(since, "--from"), parse_day(until, "--to")
    with friendly_errors(), Session(get_engine()) as session:
        data = export_statements(
            session,
            check_format(fmt),
            topic_id=_topic_id(session, topic),
            actor_ids=actor_ids_for(session, country),
            statuses=_statuses(status),
            start=start,
            end=end,
        )
    _write(data, output)


@export_app.command("events")
def export_events_command(
    fmt: FormatOption = "csv",
    output: OutputOption = None,
    topic: TopicOption = None,
    country: CountryOption = None,
    since: FromOption = None,
    until: ToOption = None,
) -> None:
    """Events (all, or those matching the filters)."""
    from tracker.exports import check_format, export_events

    start, end = parse_day(since, "--from"), parse_day(until, "--to")
    with friendly_errors(), Session(get_engine()) as session:
        data = export_events(
            session,
            check_format(fmt),
            topic_id=_topic_id(session, topic),
            actor_ids=actor_ids_for(session, country),
            start=start,
            end=end,
        )
    _write(data, output)


@export_app.command("timeline")
def export_timeline_command(
    output: OutputOption = None,
    topic: TopicOption = None,
    country: CountryOption = None,
    status: StatusOption = None,
    since: FromOption = None,
    until: ToOption = None,
) -> None:
    """Statements and events together as one TimelineJS file."""
    from tracker.exports import export_timeline

    start, end = parse_day(since, "--from"), parse_day(until, "--to")
    with friendly_errors(), Session(get_engine()) as session:
        data = export_timeline(
            session,
            topic_id=_topic_id(session, topic),
            actor_ids=actor_ids_for(session, country),
            statuses=_statuses(status),
            start=start,
            end=end,
        )
    _write(data, output)


def backup_command(
    file: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the SQLite database consistently, even while the app and the poller write.

    For PostgreSQL this prints the pg_dump command to use instead.
    """
    from tracker.backup import backup_sqlite
    from tracker.config import load_settings

    with friendly_errors():
        url = load_settings().database_url
        result = backup_sqlite(url, file, overwrite=force)
    counts = ", ".join(f"{n:,} {name}" for name, n in result.tables.items())
    typer.echo(
        f"backed up to {result.path} ({result.size_bytes:,} bytes, schema {result.revision}): "
        f"{counts}"
    )


def restore_command(
    file: Annotated[Path, typer.Argument(help="A file made by `tracker backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the database even while it is in use.")
    ] = False,
) -> None:
    """Replace the SQLite database with a backup made by `tracker backup`.

    The file is checked first (a tracker database at a known schema revision). Stop the app
    and the poller first, or use --force.
    """
    from tracker.backup import restore_sqlite
    from tracker.config import load_settings

    with friendly_errors():
        url = load_settings().database_url
        result = restore_sqlite(url, file, force=force)
    counts = ", ".join(f"{n:,} {name}" for name, n in result.tables.items())
    typer.echo(f"restored {result.path} from {file} (schema {result.revision}): {counts}")
    if result.needs_upgrade:
        typer.echo("the backup is from an older version: now run `tracker db upgrade`")


def register(app: typer.Typer) -> None:
    """Add `export`, `backup` and `restore` to the `tracker` command. (`statements import` and
    `statements template` join the `statements` group when this module is imported.)"""
    app.add_typer(export_app, name="export")
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
