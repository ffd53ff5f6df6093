"""`tracker demo synth`: synthetic statements at scale, for benchmarks (see tracker/synth.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.cli.common import friendly_errors, get_engine
from tracker.cli.db import demo_app


@demo_app.command("synth")
def demo_synth(
    statements: Annotated[
        int, typer.Option("--statements", min=0, help="How many statements to generate.")
    ] = 100_000,
    countries: Annotated[int, typer.Option("--countries", min=1, max=200)] = 60,
    topics: Annotated[int, typer.Option("--topics", min=1, max=20)] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 1,
    remove: Annotated[
        bool, typer.Option("--remove", help="Delete the synthetic topics and their statements.")
    ] = False,
) -> None:
    """Add SYNTHETIC statements (topics `synthetic-1`…, sources cited as SYNTHETIC DATA).

    For benchmarks: 100,000 statements across 60 countries and 3 topics by default. Running it
    again adds nothing while synthetic topics exist; `--remove` takes them out.
    """
    from tracker.db import session_scope
    from tracker.synth import generate_synthetic, remove_synthetic

    with friendly_errors():
        engine = get_engine()
        with session_scope(engine) as session:
            if remove:
                removed = remove_synthetic(session)
                typer.echo(f"synthetic data removed: {removed} statements")
                return
            result = generate_synthetic(
                session, statements=statements, countries=countries, topics=topics, seed=seed
            )
        if result.already_present:
            typer.echo("synthetic data already loaded; nothing added (use --remove first)")
        else:
            typer.echo(
                f"SYNTHETIC data added: {result.topics_added} topics, "
                f"{result.statements_added} statements, {result.events_added} events"
            )
