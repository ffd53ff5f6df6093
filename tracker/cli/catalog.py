"""Read-only listings: `tracker topics list`, `statements list`, `actors list`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from tracker.cli.common import JsonOption, fail, friendly_errors, get_engine, print_rows
from tracker.errors import TrackerError
from tracker.models import ActorKind, StatementStatus

topics_app = typer.Typer(help="Topics and their stance scales.", no_args_is_help=True)
statements_app = typer.Typer(help="Statements.", no_args_is_help=True)
actors_app = typer.Typer(help="Countries, blocs and organisations.", no_args_is_help=True)


@topics_app.command("list")
def topics_list(as_json: JsonOption = False) -> None:
    """List topics with their stance scales."""
    from tracker.topics import list_topics

    with friendly_errors(), Session(get_engine()) as session:
        topics = list_topics(session)
    print_rows(
        topics,
        as_json,
        [
            ("slug", lambda t: t.slug),
            ("title", lambda t: t.title),
            ("scale", lambda t: " | ".join(f"{lv.value:+d} {lv.label}" for lv in t.levels)),
        ],
    )


@statements_app.command("list")
def statements_list(
    as_json: JsonOption = False,
    topic: Annotated[str | None, typer.Option(help="Topic slug.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, verified, rejected…")] = None,
) -> None:
    """List statements, newest first."""
    from tracker.statements import list_statements
    from tracker.topics import get_topic_by_slug

    with friendly_errors(), Session(get_engine()) as session:
        topic_id = None
        if topic is not None:
            found = get_topic_by_slug(session, topic)
            if found is None:
                raise TrackerError(f"no topic with the slug {topic!r} (see: tracker topics list)")
            topic_id = found.id
        if status is not None and status not in {s.value for s in StatementStatus}:
            raise TrackerError(
                f"--status {status!r}: use one of {', '.join(s.value for s in StatementStatus)}"
            )
        rows = list_statements(session, topic_id=topic_id, statuses=[status] if status else None)
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda s: s.id),
            ("date", lambda s: s.said_on),
            ("actor", lambda s: s.actor_code),
            ("stance", lambda s: s.stance_label),
            ("status", lambda s: s.status),
            ("text", lambda s: s.quote or s.summary),
        ],
    )


@actors_app.command("list")
def actors_list(
    as_json: JsonOption = False,
    kind: Annotated[str | None, typer.Option(help="country, bloc, organisation…")] = None,
) -> None:
    """List actors."""
    from tracker.actors import list_actors

    if kind is not None and kind not in {k.value for k in ActorKind}:
        fail(f"--kind {kind!r}: use one of {', '.join(k.value for k in ActorKind)}")
    with friendly_errors(), Session(get_engine()) as session:
        actors = list_actors(session, [kind] if kind else None)
    print_rows(
        actors,
        as_json,
        [("code", lambda a: a.code), ("name", lambda a: a.name), ("kind", lambda a: a.kind)],
    )
