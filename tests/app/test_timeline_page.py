"""The Timeline page headless (AppTest): filters mirror the URL, views, card, grouping."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from sqlmodel import Session, col
from streamlit.testing.v1 import AppTest

from tests.app.demo_db import build_demo_db
from tracker.actors import actor_by_code
from tracker.db import make_engine
from tracker.models import NewsItem, SourceCreate, Statement, StatementCreate, Topic
from tracker.speakers import get_or_create_speaker
from tracker.statements import create_statement
from tracker.synth import generate_synthetic
from tracker.topics import get_topic_by_slug
from tracker.ui.chart_frame import RENDERER_ENV, picked_id

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60
TOPIC = "israeli-strikes-on-iran"
GCC = ["GCC", "ARE", "BHR", "KWT", "OMN", "QAT", "SAU"]


def add_turkish_statement(url: str) -> dict[str, int]:
    """A statement with everything a card shows: quote, translation, speaker, sources, news."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            topic = get_topic_by_slug(session, TOPIC)
            turkey = actor_by_code(session, "TUR")
            assert topic is not None and turkey is not None
            speaker = get_or_create_speaker(session, "Hakan Fidan", turkey.id)
            news_id = session.execute(select(NewsItem.id)).scalars().first()
            statement = create_statement(
                session,
                StatementCreate(
                    topic_id=topic.id,
                    actor_id=turkey.id,
                    speaker_id=speaker.id,
                    speaker_role="Foreign Minister",
                    said_on=date(2025, 6, 14),
                    quote="Saldırılar kabul edilemez *ve* [tehlikelidir]",
                    language="tr",
                    translation="The attacks are unacceptable and dangerous",
                    summary="Condemns the strikes",
                    stance=-1,
                    channel="speech",
                    sources=[
                        SourceCreate(
                            url="https://www.mfa.gov.tr/statement-2025-06-14.en.mfa",
                            title="Statement by the Foreign Minister",
                            publisher="MFA Türkiye",
                            archive_url="https://web.archive.org/web/2025/https://www.mfa.gov.tr/x",
                        )
                    ],
                    news_item_ids=[news_id] if news_id else [],
                ),
                today=date(2025, 7, 1),
            )
            session.commit()
            return {"statement": statement.id, "speaker": speaker.id}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("timeline") / "demo.db"
    url = build_demo_db(path)
    ids = add_turkish_statement(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, ids


@pytest.fixture
def db(template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    path = tmp_path / "tracker.db"
    shutil.copy(template[0], path)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{path}")
    st.cache_resource.clear()
    yield template[1]
    st.cache_resource.clear()


def open_timeline(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error)]
    return "\n".join(str(p) for p in parts)


def params(at: AppTest) -> dict[str, str]:
    return {k: str(v) for k, v in at.query_params.items()}


def chart_spec(at: AppTest, index: int = 0) -> str:
    """The Plotly JSON that the chart component draws (``tracker/ui/chart_frame.py``)."""
    frames = at.get("component_instance")
    assert frames[index].proto.component_name.endswith("plotly_frame")
    spec: str = json.loads(frames[index].proto.json_args)["spec"]
    return spec


def test_a_shared_url_sets_every_filter(db):
    at = open_timeline(
        topic=TOPIC,
        countries="GCC,TUR",
        **{"from": "2025-01-01", "to": "2025-12-31"},
        status="verified,pending,rejected",
        channel="speech,interview",
        speaker=str(db["speaker"]),
        words="unacceptable",
        view="table",
        order="count",
        events="0",
    )
    side = at.sidebar
    assert side.selectbox(key="timeline_topic").value == TOPIC
    assert side.multiselect(key="timeline_countries").value == [*GCC, "TUR"]  # GCC brings members
    assert side.date_input(key="timeline_from").value == date(2025, 1, 1)
    assert side.date_input(key="timeline_to").value == date(2025, 12, 31)
    assert side.multiselect(key="timeline_status").value == ["verified", "pending", "rejected"]
    assert side.multiselect(key="timeline_channel").value == ["speech", "interview"]
    assert side.multiselect(key="timeline_speaker").value == [db["speaker"]]
    assert side.text_input(key="timeline_words").value == "unacceptable"
    assert side.selectbox(key="timeline_order").value == "count"
    assert side.toggle(key="timeline_events").value is False
    assert at.button_group(key="timeline_view").value == "table"
    table = at.dataframe[0].value
    assert list(table["Country"]) == ["Turkey"]  # speech, by Hakan Fidan, with the word
    url = params(at)
    assert url["countries"] == ",".join([*GCC, "TUR"])
    assert url["from"] == "2025-01-01" and url["events"] == "0" and url["view"] == "table"


def test_changing_widgets_writes_the_url(db):
    at = open_timeline()
    assert params(at) == {"topic": "pakistan-iran-alignment"}  # defaults stay out of the URL
    at.sidebar.multiselect(key="timeline_countries").set_value(["PAK", "IRN"])
    at.sidebar.date_input(key="timeline_from").set_value(date(2025, 5, 1))
    at.sidebar.multiselect(key="timeline_status").set_value(["verified"])
    at.sidebar.multiselect(key="timeline_channel").set_value(["reported"])
    at.sidebar.text_input(key="timeline_words").input("Iran  support")
    at.sidebar.selectbox(key="timeline_order").set_value("latest")
    at.sidebar.toggle(key="timeline_events").set_value(False)
    at.button_group(key="timeline_view").set_value("lines")
    rerun(at)
    assert params(at) == {
        "topic": "pakistan-iran-alignment",
        "countries": "PAK,IRN",
        "from": "2025-05-01",
        "status": "verified",
        "channel": "reported",
        "words": "Iran support",
        "order": "latest",
        "events": "0",
        "view": "lines",
    }
    at.sidebar.multiselect(key="timeline_countries").set_value([])
    at.sidebar.multiselect(key="timeline_status").set_value(["pending", "verified"])
    rerun(at)
    assert "countries" not in params(at) and "status" not in params(at)


def test_choosing_a_bloc_adds_its_members_once(db):
    at = open_timeline()
    at.sidebar.multiselect(key="timeline_countries").set_value(["IRN", "GCC"])
    rerun(at)
    assert at.sidebar.multiselect(key="timeline_countries").value == ["IRN", *GCC]
    # A member removed by hand stays out while the bloc stays chosen.
    chosen = [c for c in at.sidebar.multiselect(key="timeline_countries").value if c != "SAU"]
    at.sidebar.multiselect(key="timeline_countries").set_value(chosen)
    rerun(at)
    assert "SAU" not in at.sidebar.multiselect(key="timeline_countries").value
    assert "SAU" not in params(at)["countries"]
    lanes = chart_spec(at)
    assert "Qatar" in lanes and "Saudi Arabia" not in lanes


def test_the_card_shows_the_statement_and_its_evidence(db):
    at = open_timeline(statement=str(db["statement"]))
    assert params(at)["topic"] == TOPIC  # the statement's topic opens
    shown = texts(at)
    assert "Saldırılar kabul edilemez \\*ve\\* \\[tehlikelidir\\]" in shown  # escaped, not styled
    assert "The attacks are unacceptable and dangerous" in shown
    assert "Hakan Fidan, Foreign Minister" in shown
    assert "[Statement by the Foreign Minister](https://www.mfa.gov.tr/" in shown
    assert "[archived copy](https://web.archive.org/" in shown
    assert "Coding rule" in shown and "known to the day" in shown
    assert "From the news" in shown
    (history,) = [link for link in at.page_link if link.value == "History and edits"]
    assert history.proto.query_string == f"id={db['statement']}"
    at.button(key="timeline_close_card").click()
    rerun(at)
    assert "statement" not in params(at)
    assert not at.page_link


@pytest.mark.parametrize("view", ["lines", "heatmap", "table", "shifts"])
def test_every_view_draws(db, view):
    at = open_timeline(topic="pakistan-iran-alignment", view=view)
    shown = texts(at)
    if view == "lines":
        spec = chart_spec(at)
        assert '"shape":"hv"' in spec and "Pakistan" in spec
    elif view == "heatmap":
        assert '"type":"heatmap"' in chart_spec(at)
    elif view == "table":
        assert "Pakistan" in set(at.dataframe[0].value["Country"])
    else:
        assert "moved from" in shown and "Before:" in shown


def test_heatmap_says_what_it_leaves_out(db):
    """A statement known only to its year is in no month's cell; the heatmap says so, and the
    swimlanes still draw it."""
    engine = make_engine(os.environ["TRACKER_DATABASE_URL"])
    try:
        with Session(engine) as session:
            topic = get_topic_by_slug(session, "pakistan-iran-alignment")
            oman = actor_by_code(session, "OMN")
            assert topic is not None and oman is not None
            statement = create_statement(
                session,
                StatementCreate(
                    topic_id=topic.id, actor_id=oman.id, said_on=date(2024, 1, 1),
                    date_precision="year", summary="Some time in 2024", stance=1,
                    sources=[SourceCreate(url="https://example.org/oman-2024")],
                ),
                today=date(2025, 7, 1),
            )  # fmt: skip
            session.commit()
            year_only_id = statement.id
    finally:
        engine.dispose()
    at = open_timeline(topic="pakistan-iran-alignment", view="heatmap", status="verified,pending")
    assert "1 statement is dated only to a year, so in no month" in texts(at)
    assert '"2024-01' not in chart_spec(at)  # no January column made for it
    lanes = json.loads(chart_spec(open_timeline(topic="pakistan-iran-alignment")))
    drawn = {row[0] for t in lanes["data"] if isinstance(t.get("customdata"), list)
             for row in t["customdata"]}  # fmt: skip
    assert year_only_id in drawn


def test_topic_change_clears_statement_and_speakers(db):
    at = open_timeline(statement=str(db["statement"]), speaker=str(db["speaker"]))
    assert at.sidebar.multiselect(key="timeline_speaker").value == [db["speaker"]]
    at.sidebar.selectbox(key="timeline_topic").set_value("nuclear-capability-region")
    rerun(at)
    assert "statement" not in params(at) and "speaker" not in params(at)
    assert params(at)["topic"] == "nuclear-capability-region"


def test_malformed_parameters_fall_back_to_defaults(db):
    at = open_timeline(
        topic="no-such-topic",
        countries="XXX,PAK",
        **{"from": "yesterday"},
        status="bogus",
        view="3d",
        order="random",
        statement="abc",
    )
    assert at.sidebar.multiselect(key="timeline_countries").value == ["PAK"]
    assert at.sidebar.date_input(key="timeline_from").value is None
    assert at.sidebar.multiselect(key="timeline_status").value == ["verified", "pending"]
    assert at.button_group(key="timeline_view").value == "swimlanes"
    assert params(at) == {"topic": "pakistan-iran-alignment", "countries": "PAK"}


@pytest.fixture
def grouped_db(template, tmp_path, monkeypatch) -> Iterator[int]:
    """The demo plus 3,000 synthetic statements on one topic: more than drawn one by one."""
    path = tmp_path / "tracker.db"
    shutil.copy(template[0], path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with Session(engine) as session:
        generate_synthetic(session, statements=3_000, countries=4, topics=1, years=2)
        session.commit()
        topic_id = session.execute(select(Topic.id).where(Topic.slug == "synthetic-1")).scalar()
    engine.dispose()
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    st.cache_resource.clear()
    yield int(topic_id or 0)
    st.cache_resource.clear()


def test_many_statements_are_grouped_and_a_group_opens(grouped_db):
    at = open_timeline(topic="synthetic-1")
    assert "grouped per month" in texts(at)
    spec = chart_spec(at)
    assert '"bdata"' in spec  # numbers travel as typed arrays
    # SVG markers, few of them: the database grouped the 3,000 statements.
    figure = json.loads(spec)
    assert {trace["type"] for trace in figure["data"]} == {"scatter"}
    markers = [t for t in figure["data"] if t["mode"] == "markers" and "customdata" in t]
    drawn = sum(int(t["customdata"]["shape"].split(",")[0]) for t in markers)
    assert 0 < drawn < 300  # about one per country, month and status
    at = open_timeline(topic="synthetic-1", statement="100")
    picker = [s for s in at.selectbox if s.label.startswith(tuple("0123456789"))]
    assert picker and picker[0].value == 100
    assert len(picker[0].options) > 1
    picker[0].select_index(len(picker[0].options) - 1)
    rerun(at)
    chosen = params(at)["statement"]
    assert chosen.isdigit() and chosen != "100"
    assert f"Statement \\#{chosen} on" in texts(at)


def card_script() -> None:
    from datetime import UTC, date, datetime

    from tracker.sources import SourceView
    from tracker.statements import StatementView
    from tracker.timeline import NewsLink
    from tracker.ui.cards import statement_card

    statement = StatementView(
        id=7, topic_id=1, topic_title="Strikes", actor_id=1, actor_code="OMN", actor_name="Oman",
        speaker_name=None, speaker_role=None, target_code=None, said_on=date(2025, 6, 1),
        date_precision="month", quote="Calm <b>now</b>", language="en", translation=None,
        summary=None, stance=0, stance_label="Neutral", channel="communique", status="verified",
        contributor=None, reviewer="rene", review_note=None,
        created_at=datetime(2025, 6, 2, tzinfo=UTC),
        sources=[SourceView(1, "javascript:alert(1)", None, "Evil", "Click me", None, None)],
    )  # fmt: skip
    news = [NewsLink(3, "Oman *calls* for calm", "https://news.example/oman", None)]
    statement_card(statement)  # the first signature still works
    statement_card(statement, None, news=news)


def test_card_outside_the_app_links_history_plainly_and_only_http_sources():
    at = AppTest.from_function(card_script, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "[History and edits](statement?id=7)" in shown  # no statement page registered here
    assert "reviewed by rene" in shown
    assert "javascript:" not in shown and "Click me" in shown
    assert "[Oman \\*calls\\* for calm](https://news.example/oman)" in shown


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({"id": 12, "at": 1}, 12),
        ({"id": 12.0}, 12),
        ({"id": "12"}, None),  # the frame sends numbers; a string was not made by it
        ({"id": 0}, None),
        ({"id": -3}, None),
        ({"id": 1.5}, None),
        ({"id": True}, None),
        ({"id": None}, None),
        ({}, None),
        ([12], None),
        ("12", None),
        (None, None),
    ],
)
def test_a_picked_point_is_trusted_only_as_a_positive_integer(sent, expected):
    assert picked_id(sent) == expected


def test_streamlit_renderer_still_draws_and_is_chosen_by_environment(db, monkeypatch):
    monkeypatch.setenv(RENDERER_ENV, "streamlit")
    at = open_timeline(topic=TOPIC)
    assert not at.get("component_instance")
    spec = at.get("plotly_chart")[0].proto.spec
    assert "Pakistan" in spec and '"type":"scatter"' in spec


def test_a_statement_dated_only_to_its_year_opens_its_years_group(grouped_db):
    at = open_timeline(topic="synthetic-1")
    assert "Statements dated only to their year are grouped per year" in texts(at)
    # The country and year with the most statements known only to their year.
    engine = make_engine(os.environ["TRACKER_DATABASE_URL"])
    with Session(engine) as session:
        rows = session.execute(
            select(col(Statement.id), col(Statement.actor_id), col(Statement.said_on)).where(
                col(Statement.topic_id) == grouped_db,
                col(Statement.date_precision) == "year",
                col(Statement.status).in_(["verified", "pending"]),
                col(Statement.deleted_at).is_(None),
            )
        ).all()
    engine.dispose()
    per_group: dict[tuple[int, int], list[int]] = {}
    for statement_id, actor_id, said_on in rows:
        per_group.setdefault((actor_id, said_on.year), []).append(statement_id)
    (_actor, year), ids = max(per_group.items(), key=lambda kv: len(kv[1]))
    assert len(ids) >= 2
    at = open_timeline(topic="synthetic-1", statement=str(ids[0]))
    picker = [s for s in at.selectbox if s.label.startswith(tuple("0123456789"))]
    # Its group is its year's statements dated only to the year, not the year's first month.
    assert picker and picker[0].label.startswith(f"{len(ids)} statements by ")
    assert picker[0].label.endswith(f"from 1 Jan {year} to 31 Dec {year}")
    assert len(picker[0].options) == len(ids)
    assert all(option.startswith(f"{year} · ") for option in picker[0].options)
