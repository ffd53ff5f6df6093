"""`tracker demo synth`: small synthetic sets on both engines."""

from collections import Counter

from sqlalchemy import func, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from tracker.cli import app
from tracker.models import Event, Source, Speaker, Statement, Topic
from tracker.synth import CITATION, PUBLISHER, generate_synthetic, remove_synthetic
from tracker.timeline import TimelineFilter, load_timeline


def count(session: Session, model, *where) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def test_synth_is_marked_spread_and_idempotent(session):
    result = generate_synthetic(session, statements=601, countries=7, topics=2, seed=3)
    session.commit()
    assert (result.topics_added, result.statements_added, result.sources_added) == (2, 601, 601)
    assert result.events_added == 20 and not result.already_present
    topics = session.execute(select(Topic.slug, Topic.title)).all()
    assert sorted(slug for slug, _ in topics) == ["synthetic-1", "synthetic-2"]
    assert all("SYNTHETIC" in title for _, title in topics)
    statements = session.execute(
        select(Statement.topic_id, Statement.actor_id, Statement.quote, Statement.status)
    ).all()
    per_series = Counter((t, a) for t, a, _, _ in statements)
    assert len(per_series) == 14 and max(per_series.values()) - min(per_series.values()) <= 1
    assert all(quote.startswith("SYNTHETIC") for _, _, quote, _ in statements)
    statuses = Counter(s for *_, s in statements)
    assert statuses["verified"] > statuses["pending"] > 0
    assert count(session, Source, col(Source.citation) == CITATION) == 601 + 20
    assert count(session, Source, col(Source.publisher) != PUBLISHER) == 0
    assert count(session, Speaker) == 7 * 3

    again = generate_synthetic(session, statements=601, countries=7, topics=2)
    assert again.already_present and again.statements_added == 0
    assert count(session, Statement) == 601


def test_synth_series_drift_so_positions_shift(session):
    generate_synthetic(session, statements=400, countries=2, topics=1, seed=5)
    session.commit()
    topic_id = session.execute(select(Topic.id)).scalar_one()
    data = load_timeline(session, TimelineFilter(topic_id=topic_id, statuses=("verified",)))
    stances = {r.stance for r in data.rows}
    assert len(stances) >= 3  # a random walk over the scale, not one flat line


def test_remove_synthetic_takes_everything_out(session):
    generate_synthetic(session, statements=50, countries=2, topics=1)
    session.commit()
    assert remove_synthetic(session) == 50
    session.commit()
    assert count(session, Statement) == 0 and count(session, Topic) == 0
    assert count(session, Source) == 0 and count(session, Event) == 0
    assert remove_synthetic(session) == 0


def test_cli_adds_once_then_refuses(engine):
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    env = {"TRACKER_DATABASE_URL": url}
    first = runner.invoke(
        app, ["demo", "synth", "--statements", "120", "--countries", "3"], env=env
    )
    assert first.exit_code == 0, first.output
    assert "SYNTHETIC data added: 3 topics, 120 statements" in first.output
    second = runner.invoke(app, ["demo", "synth", "--statements", "120"], env=env)
    assert second.exit_code == 0 and "already loaded; nothing added" in second.output
    removed = runner.invoke(app, ["demo", "synth", "--remove"], env=env)
    assert removed.exit_code == 0 and "120 statements" in removed.output
