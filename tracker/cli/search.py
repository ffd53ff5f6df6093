"""`tracker search QUERY`: full-text search over news items and statements."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from sqlmodel import Session

from tracker.cli.common import JsonOption, fail, friendly_errors, get_engine, jsonable


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option} {value!r}: write dates as YYYY-MM-DD")


def actor_ids_for(session: Session, names: list[str] | None) -> list[int] | None:
    """Actors by ISO code, name or alias; a clear error for one that does not exist."""
    from tracker.actors import find_actor

    if not names:
        return None
    ids = []
    for name in names:
        found = find_actor(session, name)
        if found is None:
            fail(f"no country or bloc called {name!r} (see: tracker actors list)")
        ids.append(found.id)
    return ids


def search_command(
    query: Annotated[list[str], typer.Argument(help='Words, "a phrase", prefix*, OR, -excluded.')],
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="news or statement (repeatable).")
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option("--country", help="ISO code or name (repeatable): mentions or speaker."),
    ] = None,
    since: Annotated[str | None, typer.Option("--from", help="From this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="To this day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="Results per page (at most 100).")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many results.")] = 0,
    newest: Annotated[bool, typer.Option("--newest", help="Newest first, not best first.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Search news items and statements. Matches are shown between « and »."""
    from tracker.search import KINDS, search

    kinds = tuple(kind) if kind else KINDS
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        fail(f"--kind {unknown[0]!r}: use news or statement")
    start, end = parse_day(since, "--from"), parse_day(until, "--to")
    with friendly_errors(), Session(get_engine()) as session:
        page = search(
            session,
            " ".join(query),
            kinds=kinds,
            actor_ids=actor_ids_for(session, country),
            start=start,
            end=end,
            limit=limit,
            offset=offset,
            order="newest" if newest else "relevance",
        )
    if as_json:
        typer.echo(json.dumps(jsonable(page), ensure_ascii=False, indent=2))
        return
    for note in page.notes:
        typer.echo(f"note: {note}", err=True)
    if not page.hits:
        typer.echo("no matches" if not page.parsed.empty else "nothing to search for")
        return
    shown = f"{page.offset + 1}–{page.offset + len(page.hits)}"
    typer.echo(f"{shown} of {page.total_text} matches for: {page.parsed.describe()}")
    for hit in page.hits:
        where = ", ".join(hit.actor_codes)
        typer.echo(f"\n[{hit.kind} {hit.id}] {hit.day.isoformat()}  {where}")
        typer.echo(f"  {hit.title.marked()}")
        if hit.snippet.text:
            typer.echo(f"  {hit.snippet.marked()}")
        if hit.url:
            typer.echo(f"  {hit.url}")


def register(app: typer.Typer) -> None:
    app.command("search")(search_command)
