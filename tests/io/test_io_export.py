"""Exports on both engines: each format parsed back, filters, and the CSV round trip."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date

import pytest
from sqlmodel import Session

from tracker.actors import actor_by_code, sync_reference_actors
from tracker.db import make_engine
from tracker.events import create_event
from tracker.exports import (
    ExportError,
    export_events,
    export_filename,
    export_statements,
    export_timeline,
    partial_date,
)
from tracker.imports import import_statements_csv
from tracker.models import EventCreate, SourceCreate, StatementCreate, TopicCreate
from tracker.speakers import get_or_create_speaker
from tracker.statements import create_statement
from tracker.topics import create_topic

TODAY = date(2026, 1, 1)


def actor(session: Session, code: str) -> int:
    found = actor_by_code(session, code)
    assert found is not None
    return found.id


def make_topic(session: Session):
    return create_topic(
        session,
        TopicCreate(slug="alignment", title="Alignment <b>", proposition="Closer ties are good"),
    )


@pytest.fixture
def data(session: Session) -> dict[str, int]:
    sync_reference_actors(session)
    topic = make_topic(session)
    pak, irn, sau = actor(session, "PAK"), actor(session, "IRN"), actor(session, "SAU")
    dar = get_or_create_speaker(session, "Ishaq Dar", pak)
    quoted = create_statement(
        session,
        StatementCreate(
            topic_id=topic.id,
            actor_id=pak,
            speaker_id=dar.id,
            speaker_role="Foreign Minister",
            target_actor_id=irn,
            said_on=date(2025, 6, 14),
            quote="پاکستان ایران کے ساتھ کھڑا ہے",
            language="ur",
            translation="Pakistan stands with Iran",
            summary='=HYPERLINK("http://evil.example") stands with Iran',
            stance=2,
            channel="press_conference",
            sources=[
                SourceCreate(
                    url="https://example.org/a?x=1&y=<2>",
                    publisher="Example News",
                    title='He said "yes", twice',
                    published_on=date(2025, 6, 14),
                    accessed_on=date(2025, 6, 15),
                    archive_url="https://web.archive.org/web/2025/https://example.org/a",
                ),
                SourceCreate(citation="Print edition, p. 3", publisher="Dawn"),
            ],
        ),
        today=TODAY,
    )
    summary = create_statement(
        session,
        StatementCreate(
            topic_id=topic.id,
            actor_id=sau,
            said_on=date(2025, 6, 1),
            date_precision="month",
            summary="-1 Calls for restraint <script>alert(1)</script>",
            stance=-1,
            channel="communique",
            sources=[SourceCreate(citation="Saudi Press Agency")],
        ),
        today=TODAY,
    )
    era = create_event(
        session,
        EventCreate(
            title="Strikes & counter-strikes",
            description="Twelve days <of> fighting",
            starts_on=date(2025, 6, 13),
            ends_on=date(2025, 6, 24),
            category="military",
            actor_ids=[irn],
            topic_ids=[topic.id],
            sources=[SourceCreate(url="https://example.org/war")],
        ),
        today=TODAY,
    )
    moment = create_event(
        session,
        EventCreate(
            title="Visit to Tehran",
            starts_on=date(2025, 5, 1),
            date_precision="month",
            category="diplomatic",
            actor_ids=[pak, irn],
        ),
        today=TODAY,
    )
    session.commit()
    return {
        "topic": topic.id,
        "quoted": quoted.id,
        "summary": summary.id,
        "era": era.id,
        "moment": moment.id,
        "PAK": pak,
        "SAU": sau,
    }


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_statements_csv(session, data):
    rows = read_csv(export_statements(session, "csv"))
    assert [int(r["id"]) for r in rows] == [data["summary"], data["quoted"]]  # oldest first
    quoted = rows[1]
    assert quoted["topic"] == "alignment" and quoted["country"] == "PAK"
    assert quoted["target"] == "IRN" and quoted["speaker"] == "Ishaq Dar"
    assert quoted["quote"] == "پاکستان ایران کے ساتھ کھڑا ہے"
    assert quoted["source_title"] == 'He said "yes", twice'
    assert quoted["source_accessed_on"] == "2025-06-15"
    assert quoted["source2_citation"] == "Print edition, p. 3"
    assert quoted["stance"] == "2" and quoted["stance_label"] == "Strongly supports"
    # Formula-like text is neutralised for spreadsheets, numbers are left alone.
    assert quoted["summary"].startswith("'=HYPERLINK")
    assert rows[0]["summary"].startswith("'-1 Calls")
    assert rows[0]["stance"] == "-1"


def test_statements_json(session, data):
    parsed = json.loads(export_statements(session, "json"))
    assert parsed["generator"] == "tracker"
    by_id = {s["id"]: s for s in parsed["statements"]}
    quoted = by_id[data["quoted"]]
    assert quoted["country"] == {"code": "PAK", "name": "Pakistan", "kind": "country"}
    assert quoted["target"]["code"] == "IRN"
    assert quoted["sources"][0]["url"] == "https://example.org/a?x=1&y=<2>"
    assert by_id[data["summary"]]["date_precision"] == "month"


def test_statements_jsonld_is_schema_org(session, data):
    parsed = json.loads(export_statements(session, "jsonld"))
    assert parsed["@context"][0] == "https://schema.org"
    claims = {c["identifier"]: c for c in parsed["@graph"]}
    assert {c["@type"] for c in claims.values()} == {"Claim"}
    quoted = claims[str(data["quoted"])]
    assert quoted["author"]["@type"] == "Person"
    assert quoted["author"]["name"] == "Ishaq Dar"
    assert quoted["author"]["jobTitle"] == "Foreign Minister"
    assert quoted["author"]["affiliation"]["identifier"] == "PAK"
    assert quoted["datePublished"] == "2025-06-14"
    assert quoted["hasPart"]["@type"] == "Quotation"
    assert quoted["hasPart"]["text"] == "پاکستان ایران کے ساتھ کھڑا ہے"
    assert quoted["hasPart"]["inLanguage"] == "ur"
    assert quoted["appearance"][0]["url"] == "https://example.org/a?x=1&y=<2>"
    assert quoted["appearance"][0]["publisher"]["name"] == "Example News"
    assert quoted["citation"][0]["citation"] == "Print edition, p. 3"
    assert quoted["tracker:stance"] == 2
    saudi = claims[str(data["summary"])]
    assert saudi["author"]["@type"] == "GovernmentOrganization"
    assert saudi["datePublished"] == "2025-06"  # month precision
    assert "hasPart" not in saudi


def test_statements_timelinejs(session, data):
    parsed = json.loads(export_statements(session, "timelinejs", topic_id=data["topic"]))
    assert parsed["title"]["text"]["headline"] == "Alignment &lt;b&gt;"
    events = {e["unique_id"]: e for e in parsed["events"]}
    quoted = events[f"statement-{data['quoted']}"]
    assert quoted["start_date"] == {"year": "2025", "month": "6", "day": "14"}
    assert quoted["group"] == "Pakistan"
    saudi = events[f"statement-{data['summary']}"]
    assert saudi["start_date"] == {"year": "2025", "month": "6"}
    assert saudi["group"] == "Saudi Arabia"
    # TimelineJS renders text as HTML: everything from users is escaped.
    assert "<script>" not in saudi["text"]["text"] and "&lt;script&gt;" in saudi["text"]["text"]
    assert "<script>" not in saudi["text"]["headline"]
    assert 'href="https://example.org/a?x=1&amp;y=&lt;2&gt;"' in quoted["text"]["text"]


def test_filters(session, data):
    def ids(**filters) -> list[int]:
        return [
            s["id"] for s in json.loads(export_statements(session, "json", **filters))["statements"]
        ]

    assert ids(actor_ids=[data["SAU"]]) == [data["summary"]]
    assert ids(start=date(2025, 6, 2)) == [data["quoted"]]
    assert ids(end=date(2025, 6, 2)) == [data["summary"]]
    assert ids(statuses=["verified"]) == []
    assert ids(topic_id=data["topic"]) == [data["summary"], data["quoted"]]
    assert read_csv(export_statements(session, "csv", statuses=["verified"])) == []


def test_events_in_every_format(session, data):
    rows = read_csv(export_events(session, "csv"))
    assert [r["title"] for r in rows] == ["Visit to Tehran", "Strikes & counter-strikes"]
    assert rows[1]["ends_on"] == "2025-06-24" and rows[1]["countries"] == "IRN"
    assert rows[1]["topics"] == "alignment"
    as_json = json.loads(export_events(session, "json"))
    assert as_json["events"][0]["countries"] == [
        {"code": "IRN", "name": "Iran"},
        {"code": "PAK", "name": "Pakistan"},
    ]
    ld = json.loads(export_events(session, "jsonld"))
    assert "@context" in ld
    strikes = next(n for n in ld["@graph"] if n["name"] == "Strikes & counter-strikes")
    assert strikes["@type"] == "Event"
    assert (strikes["startDate"], strikes["endDate"]) == ("2025-06-13", "2025-06-24")
    assert strikes["subjectOf"][0]["url"] == "https://example.org/war"
    tl = json.loads(export_events(session, "timelinejs"))
    (era,) = tl["eras"]
    assert era["start_date"] == {"year": "2025", "month": "6", "day": "13"}
    assert era["end_date"] == {"year": "2025", "month": "6", "day": "24"}
    visit = next(e for e in tl["events"] if e["unique_id"] == f"event-{data['moment']}")
    assert visit["start_date"] == {"year": "2025", "month": "5"}
    assert "end_date" not in visit
    only_saudi = json.loads(export_events(session, "json", actor_ids=[data["SAU"]]))
    assert only_saudi["events"] == []


def test_timeline_has_statements_events_and_eras(session, data):
    parsed = json.loads(export_timeline(session, topic_id=data["topic"]))
    kinds = {e["unique_id"].split("-")[0] for e in parsed["events"]}
    assert kinds == {"statement", "event"}
    assert all("start_date" in e and "year" in e["start_date"] for e in parsed["events"])
    assert {e["group"] for e in parsed["events"]} == {"Pakistan", "Saudi Arabia", "Events"}
    assert len(parsed["eras"]) == 1


def test_formats_and_names(session, data):
    with pytest.raises(ExportError, match="unknown format"):
        export_statements(session, "xml")
    assert export_statements(session, "JSON-LD").startswith(b"{")
    assert export_filename("statements", "csv", date(2025, 6, 14)) == "statements-2025-06-14.csv"
    assert export_filename("events", "timelinejs", date(2025, 6, 14)) == (
        "events-timelinejs-2025-06-14.json"
    )
    assert partial_date(date(2025, 6, 14), "year") == "2025"


def test_empty_database_exports_are_valid(session):
    assert read_csv(export_statements(session, "csv")) == []
    assert json.loads(export_statements(session, "json"))["statements"] == []
    assert json.loads(export_statements(session, "jsonld"))["@graph"] == []
    assert json.loads(export_statements(session, "timelinejs"))["events"] == []
    assert json.loads(export_events(session, "timelinejs"))["events"] == []


COMPARED = [
    "topic",
    "country",
    "speaker",
    "speaker_role",
    "target",
    "said_on",
    "date_precision",
    "quote",
    "language",
    "translation",
    "summary",
    "stance",
    "channel",
]


def _content(data: bytes) -> list[dict[str, str]]:
    rows = read_csv(data)
    return [
        {
            k: v
            for k, v in r.items()
            if k in COMPARED or k.startswith("source") or k == "archive_url"
        }
        for r in rows
    ]


def test_round_trip_csv_export_then_import_into_an_empty_database(
    session, data, sqlite_template, tmp_path
):
    exported = export_statements(session, "csv")
    path = tmp_path / "empty.db"
    shutil.copy(sqlite_template, path)
    other = make_engine(f"sqlite:///{path}")
    try:
        with Session(other) as fresh:
            sync_reference_actors(fresh)
            make_topic(fresh)
            fresh.commit()
            report = import_statements_csv(fresh, exported, user_id=None, today=TODAY)
            assert (report.imported, report.rejected, report.warnings) == (2, [], [])
            fresh.commit()
            again = export_statements(fresh, "csv")
            assert _content(again) == _content(exported)
            # And importing the export of the copy into the copy adds nothing.
            assert import_statements_csv(fresh, again, user_id=None, today=TODAY).imported == 0
    finally:
        other.dispose()
