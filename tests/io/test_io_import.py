"""CSV import of statements, on both engines: the form's rules for every row, the report."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date

import pytest
from sqlmodel import Session, col, func, select

from tracker.actors import actor_by_code, sync_reference_actors
from tracker.auth import create_user
from tracker.config import DEMO_DIR
from tracker.errors import PermissionDenied
from tracker.imports import (
    PARALLEL_MIN_ROWS,
    TEMPLATE_COLUMNS,
    VALIDATION_CHUNK,
    ImportFileError,
    import_statements_csv,
    report_lines,
    statements_template_csv,
)
from tracker.models import (
    Revision,
    Source,
    SourceCreate,
    Speaker,
    Statement,
    StatementCreate,
    TopicCreate,
    User,
)
from tracker.search import search
from tracker.statements import create_statement, statement_snapshot
from tracker.topics import create_topic

TODAY = date(2026, 1, 1)
SLUG = "pakistan-iran-alignment"
HEADER = ["topic", "country", "said_on", "stance", "summary", "source_url"]


@pytest.fixture
def topic(session: Session):
    sync_reference_actors(session)
    made = create_topic(session, TopicCreate(slug=SLUG, title="Alignment", proposition="P"))
    session.commit()
    return made


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def good(**overrides: str) -> dict[str, str]:
    row = {
        "topic": SLUG,
        "country": "PAK",
        "said_on": "2025-06-14",
        "stance": "1",
        "summary": "Backs closer ties",
        "source_url": "https://example.org/a",
    }
    row.update(overrides)
    return row


def statements(session: Session) -> list[Statement]:
    return list(session.exec(select(Statement).order_by(col(Statement.id))).all())


def run(session: Session, data: bytes, **kwargs):
    kwargs.setdefault("user_id", None)
    kwargs.setdefault("today", TODAY)
    report = import_statements_csv(session, data, **kwargs)
    if report.stored:
        session.commit()
    else:
        session.rollback()
    return report


def test_the_template_documents_the_columns_and_imports(session, topic):
    data = statements_template_csv()
    assert data.startswith(codecs.BOM_UTF8)
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert next(reader) == list(TEMPLATE_COLUMNS)
    assert (DEMO_DIR / "statements-template.csv").read_bytes() == data
    report = run(session, data)
    assert (report.imported, report.rejected, report.encoding) == (2, [], "utf-8-sig")
    first, second = statements(session)
    assert first.quote == "پاکستان ایران کے ساتھ کھڑا ہے" and first.language == "ur"
    assert first.target_actor_id == actor_by_code(session, "IRN").id
    speaker = session.get(Speaker, first.speaker_id)
    assert speaker is not None and speaker.name == "Ishaq Dar"
    assert (second.said_on, second.date_precision) == (date(2025, 6, 1), "month")
    assert second.actor_id == actor_by_code(session, "SAU").id
    sources = session.exec(select(Source).where(Source.statement_id == first.id)).all()
    assert [s.archive_url for s in sources] == [
        "https://web.archive.org/web/2025/https://example.org/news/x"
    ]


def test_every_rejection_is_reported_with_its_line_and_column(session, topic):
    rows = [
        good(topic="no-such-topic"),  # line 2
        good(topic=""),
        good(country="Atlantis"),
        good(country=""),
        good(target="Narnia"),
        good(said_on="14/06/2025"),
        good(said_on="2025-02-30"),
        good(said_on="2027-01-01"),
        good(said_on="1850-01-01"),  # line 10
        good(said_on="2025-06", date_precision="day"),
        good(date_precision="week"),
        good(stance="strong"),
        good(stance="1.5"),
        good(stance="9"),
        good(stance=""),
        good(summary=""),
        good(quote="We stand together"),
        good(quote="We stand together", language="xx"),
        good(translation="Translated words"),  # line 20
        good(summary="x" * 501),
        good(channel="telegram"),
        good(source_url=""),
        good(source_url="ftp://example.org/file"),
        good(source_published_on="June 2025"),
        good(speaker="y" * 201),
        good(speaker_role="z" * 201),
        good(target="Pakistan"),
        good(archive_url="javascript:alert(1)"),
        good(),  # line 30: the only good row
    ]
    report = run(session, csv_bytes(rows))
    assert not report.stored and report.imported == 0
    reasons = {r.line: r.problems for r in report.rejected}
    expected = {
        2: ("topic", "no topic with the slug 'no-such-topic'"),
        3: ("topic", "required"),
        4: ("country", "no country or bloc called 'Atlantis'"),
        5: ("country", "required"),
        6: ("target", "'Narnia'"),
        7: ("said_on", "YYYY-MM-DD"),
        8: ("said_on", "not a date in the calendar"),
        9: ("said_on", "in the future"),
        10: ("said_on", "before 1900"),
        11: ("said_on", "full date"),
        12: ("date_precision", "day, month or year"),
        13: ("stance", "not a number"),
        14: ("stance", "whole number"),
        15: ("stance", "not on this topic's scale"),
        16: ("stance", "required"),
        17: ("quote", "give the quote, or a one-line summary"),
        18: ("language", "which language"),
        19: ("language", "not an ISO 639 language code"),
        20: ("translation", "needs the quote"),
        21: ("summary", "at most 500"),
        22: ("channel", "choose a channel"),
        23: ("source_url", "at least one source"),
        24: ("source_url", "http"),
        25: ("source_published_on", "YYYY-MM-DD"),
        26: ("speaker", "at most 200"),
        27: ("speaker_role", "at most 200"),
        28: ("target", "does not address itself"),
        29: ("archive_url", "http"),
    }
    assert set(reasons) == set(expected)
    for line, (column, words) in expected.items():
        assert column in reasons[line], (line, reasons[line])
        assert words in reasons[line][column], (line, reasons[line])
    assert report.valid == 1
    assert statements(session) == []
    lines = report_lines(report)
    assert lines[0].startswith("29 rows read, nothing imported: 28 rows refused")
    assert any(line.startswith("line 2: topic: no topic") for line in lines)


def test_all_or_nothing_by_default_or_only_the_valid_rows(session, topic):
    data = csv_bytes(
        [good(speaker="New Speaker"), good(country="Atlantis"), good(summary="Another")]
    )
    refused = run(session, data)
    assert (refused.stored, refused.imported, len(refused.rejected)) == (False, 0, 1)
    assert statements(session) == []
    assert session.exec(select(Speaker)).all() == []  # no speaker left behind either
    accepted = run(session, data, valid_only=True)
    assert (accepted.stored, accepted.imported) == (True, 2)
    assert [r.line for r in accepted.rejected] == [3]
    assert [s.summary for s in statements(session)] == ["Backs closer ties", "Another"]


def test_reimporting_adds_nothing_and_repeated_rows_are_stored_once(session, topic):
    data = csv_bytes([good(), good(summary="Second"), good(), good(country="Pakistan")])
    first = run(session, data)
    assert first.imported == 2
    assert [(d.line, d.reason) for d in first.duplicates] == [
        (4, "the same statement as line 2"),
        (5, "the same statement as line 2"),  # "Pakistan" is PAK: the same statement
    ]
    again = run(session, data)
    assert again.imported == 0 and again.stored
    assert [(d.line, d.reason) for d in again.duplicates] == [
        (line, "already imported") for line in (2, 3, 4, 5)
    ]
    assert len(statements(session)) == 2
    # Spacing and case of names do not make a row new either.
    assert run(session, csv_bytes([good(country=" pak ")])).imported == 0


def test_imported_rows_are_pending_and_credited_to_the_importer(session, topic):
    user = create_user(session, "casey", "a long enough password", "contributor")
    session.commit()
    report = run(session, csv_bytes([good()]), user_id=user.id)
    (statement,) = statements(session)
    assert statement.status == "pending"
    assert statement.contributor_id == user.id
    assert statement.external_key is not None and statement.external_key.startswith("csv:")
    (revision,) = session.exec(
        select(Revision).where(
            Revision.entity_type == "statement", Revision.entity_id == statement.id
        )
    ).all()
    assert (revision.action, revision.user_id) == ("create", user.id)
    assert report.statement_ids == [statement.id]


def test_a_disabled_account_cannot_import(session, topic):
    user = create_user(session, "gone", "a long enough password", "contributor")
    account = session.get(User, user.id)
    account.disabled = True
    session.add(account)
    session.commit()
    with pytest.raises(PermissionDenied):
        import_statements_csv(session, csv_bytes([good()]), user_id=user.id, today=TODAY)


def test_imported_rows_are_stored_as_the_form_stores_them(session, topic):
    """The batched path writes what create_statement writes: same columns, sources, snapshot."""
    row = good(
        speaker="Ishaq Dar",
        speaker_role="Foreign Minister",
        target="IRN",
        quote="  ہم ساتھ ہیں  ",
        language="UR",
        translation="We are together",
        channel="press release",
        source_url="https://example.org/b",
        source_publisher="Example",
        source_published_on="2025-06-14",
        source2_citation="Print edition, p. 3",
    )
    (imported_id,) = run(session, csv_bytes([row])).statement_ids
    imported = session.get(Statement, imported_id)
    form = create_statement(
        session,
        StatementCreate(
            topic_id=topic.id,
            actor_id=actor_by_code(session, "PAK").id,
            speaker_id=imported.speaker_id,
            speaker_role="Foreign Minister",
            target_actor_id=actor_by_code(session, "IRN").id,
            said_on=date(2025, 6, 14),
            quote="  ہم ساتھ ہیں  ",
            language="UR",
            translation="We are together",
            summary="Backs closer ties",
            stance=1,
            channel="press_release",
            sources=[
                SourceCreate(
                    url="https://example.org/b",
                    publisher="Example",
                    published_on=date(2025, 6, 14),
                ),
                SourceCreate(citation="Print edition, p. 3"),
            ],
        ),
        today=TODAY,
    )
    session.commit()
    by_form = session.get(Statement, form.id)
    skip = {"id", "external_key", "created_at", "updated_at"}
    assert {k: v for k, v in imported.model_dump().items() if k not in skip} == {
        k: v for k, v in by_form.model_dump().items() if k not in skip
    }
    snapshot = {}
    for statement in (imported, by_form):
        stored = session.exec(
            select(Revision).where(
                Revision.entity_type == "statement",
                Revision.entity_id == statement.id,
                Revision.action == "create",
            )
        ).one()
        assert stored.snapshot == statement_snapshot(session, statement)
        snapshot[statement.id] = {k: v for k, v in stored.snapshot.items() if k not in skip}
    assert snapshot[imported.id] == snapshot[by_form.id]


@pytest.mark.parametrize("bom", [True, False])
def test_utf8_with_and_without_bom(session, topic, bom):
    data = csv_bytes([good(speaker="Ab­bas Araghchi", summary="Déclare « non » — ایران")])
    report = run(session, (codecs.BOM_UTF8 if bom else b"") + data)
    assert report.encoding == ("utf-8-sig" if bom else "utf-8")
    assert report.warnings == []
    (statement,) = statements(session)
    assert statement.summary == "Déclare « non » — ایران"


def test_windows_1252_is_detected_and_read_with_a_warning(session, topic):
    data = csv_bytes([good(summary="Café “quotes” – naïve €5", speaker="José Müller")])
    report = run(session, data.decode("utf-8").encode("cp1252"))
    assert report.encoding == "windows-1252"
    assert "Windows-1252" in report.warnings[0]
    (statement,) = statements(session)
    assert statement.summary == "Café “quotes” – naïve €5"


def test_other_legacy_encodings_are_refused_not_garbled(session, topic):
    arabic = csv_bytes([good(summary="باكستان وإيران")]).decode("utf-8").encode("cp1256")
    with pytest.raises(ImportFileError, match="CSV UTF-8"):
        import_statements_csv(session, arabic, user_id=None, today=TODAY)
    broken = codecs.BOM_UTF8 + b"topic,country\n\xff\xfe\xfa"
    with pytest.raises(ImportFileError, match="not valid UTF-8"):
        import_statements_csv(session, broken, user_id=None, today=TODAY)
    assert statements(session) == []


def test_utf16_excel_export_is_read(session, topic):
    data = csv_bytes([good(summary="Ünïcode")]).decode("utf-8").encode("utf-16")
    assert run(session, data).imported == 1


def test_semicolons_and_header_spelling_are_accepted(session, topic):
    text = "Topic;Country Code;Date;Stance;Summary;Source URL\n"
    text += f"{SLUG};IRN;2025-06;-1;Wary of it;https://example.org/x\n"
    report = run(session, text.encode())
    assert report.imported == 1, report.rejected
    (statement,) = statements(session)
    assert (statement.stance, statement.date_precision) == (-1, "month")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"topic,country,stance\n", "Missing column"),
        (b"topic,country,said_on,stance,source_url\n", "quote column, a summary column"),
        (b"topic,topic,country,said_on,stance,summary\n", "appears twice"),
        (b"topic,country,said_on,stance,summary\n\x00\x00", "NUL"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(session, topic, data, message):
    with pytest.raises(ImportFileError, match=message):
        import_statements_csv(session, data, user_id=None, today=TODAY)


def test_unknown_columns_are_reported_and_export_columns_ignored(session, topic):
    row = {**good(), "qoute": "typo", "status": "verified", "id": "7"}
    report = run(session, csv_bytes([row]))
    assert report.warnings == ["Ignored unknown column(s): qoute"]
    (statement,) = statements(session)
    assert statement.status == "pending"


def test_validation_in_worker_processes_gives_the_same_result(session, topic):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("once is enough: the workers connect the same way on both engines")
    rows = [good(summary=f"Row {i}", country=["PAK", "IRN", "Turkey"][i % 3]) for i in range(2)]
    rows += [good(summary=f"Row {i}", speaker=f"Speaker {i % 7}") for i in range(PARALLEL_MIN_ROWS)]
    rows.append(good(stance="7"))
    data = csv_bytes(rows)
    parallel = import_statements_csv(session, data, user_id=None, today=TODAY, workers=2)
    session.rollback()
    serial = import_statements_csv(session, data, user_id=None, today=TODAY, workers=1)
    session.rollback()
    assert parallel.rejected == serial.rejected
    assert [r.line for r in parallel.rejected] == [len(rows) + 1]
    assert parallel.valid == serial.valid == len(rows) - 1
    assert run(session, data, workers=2, valid_only=True).imported == len(rows) - 1
    assert session.exec(select(func.count()).select_from(Speaker)).one() == 7


def test_a_refused_row_after_stored_chunks_takes_them_back(session, topic):
    rows = [good(summary=f"Row {i}", speaker=f"Speaker {i % 3}") for i in range(VALIDATION_CHUNK)]
    rows.append(good(stance="7"))  # refused, in the second chunk
    report = run(session, csv_bytes(rows))
    assert (report.stored, report.imported, report.valid) == (False, 0, VALIDATION_CHUNK)
    session.commit()  # even a caller that commits anyway stores nothing
    assert session.exec(select(func.count()).select_from(Statement)).one() == 0
    assert session.exec(select(func.count()).select_from(Source)).one() == 0
    assert session.exec(select(func.count()).select_from(Speaker)).one() == 0
    revisions = (
        select(func.count()).select_from(Revision).where(Revision.entity_type == "statement")
    )
    assert session.exec(revisions).one() == 0
    assert search(session, "Row").hits == []
