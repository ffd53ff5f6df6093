"""CSV import of statements: every row through the form's rules, a report of what was refused.

The column set (see :data:`TEMPLATE_COLUMNS` and ``data/demo/statements-template.csv``):

============================  ==================================================================
``topic``                     the topic's slug (``tracker topics list``) — required
``country``                   the actor: ISO 3166 code (``PAK``), bloc code (``GCC``), name or
                              alias ("Pakistan", "Islamabad") — required
``speaker``, ``speaker_role`` who spoke, and their role then; a new name is added for the country
``target``                    the actor addressed, same forms as ``country``
``said_on``                   ``YYYY-MM-DD``; ``YYYY-MM`` or ``YYYY`` when only the month or year
                              is known (the precision follows unless ``date_precision`` says)
``date_precision``            ``day``, ``month`` or ``year`` (default: from ``said_on``)
``quote``, ``language``       the words in the original language and its ISO 639 code
``translation``, ``summary``  an English translation; a one-line summary (quote or summary needed)
``stance``                    a whole number on the topic's scale, such as ``-2`` or ``+1``
``channel``                   speech, interview, press release, social media, communique, vote…
``source_url`` …              the first source: ``source_url``, ``source_publisher``,
                              ``source_title``, ``source_published_on``, ``source_accessed_on``,
                              ``source_citation``, ``archive_url``; more sources as ``source2_url``,
                              ``source2_citation``, … ``source2_archive_url`` (any number)
============================  ==================================================================

Every row goes through :func:`tracker.statements.check_statement_input` (the form's rules:
``statement_problems``). By default the import is all or nothing: one refused row and nothing is
stored. With ``valid_only`` the valid rows are stored and the refused ones reported. Imported
statements are ``pending`` and credited to the importer. Each row has a stable key (a hash of its
normalised content) kept in ``Statement.external_key``, so importing the same file again, or a
row twice, adds nothing. Rows are validated one by one and stored in batches, with a revision
each, as :func:`tracker.statements.create_statement` would store them.

Files are read as UTF-8 (with or without the byte-order mark Excel writes) or UTF-16 with a
byte-order mark; a file that is not UTF-8 but reads cleanly as Windows-1252 (what Excel saves
as "CSV" on Western Windows) is read as such, with a warning in the report; anything else is
refused with a message, rather than turned into garbled text.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import delete, event, exists, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql.selectable import Select
from sqlmodel import Session, SQLModel, col, select

from tracker.actors import find_actor
from tracker.config import PROJECT_ROOT
from tracker.errors import TrackerError
from tracker.models import (
    Actor,
    Channel,
    DatePrecision,
    EntityType,
    RevisionAction,
    SourceCreate,
    Speaker,
    StanceLevel,
    Statement,
    StatementCreate,
    StatementStatus,
    Topic,
)
from tracker.permissions import require_writer_or_system
from tracker.speakers import get_or_create_speaker, speaker_name_problem
from tracker.statements import CONTENT_FIELDS, check_statement_input, normalized_input
from tracker.timeutil import utcnow
from tracker.topics import get_topic_by_slug

SOURCE_FIELDS: Final = (
    "url",
    "publisher",
    "title",
    "published_on",
    "accessed_on",
    "citation",
    "archive_url",
)
STATEMENT_COLUMNS: Final = (
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
)
REQUIRED_COLUMNS: Final = ("topic", "country", "said_on", "stance")
KEY_PREFIX: Final = "csv:"
MAX_ROWS: Final = 1_000_000
INSERT_BATCH: Final = 2_000
VALIDATION_CHUNK: Final = 2_000
DELETE_CHUNK: Final = 500
# Below this many rows, starting worker processes costs more than it saves.
PARALLEL_MIN_ROWS: Final = 5_000
WORKER_FLAG: Final = "--validate"
# Columns that exports add for people reading the file; an import ignores them.
EXPORT_ONLY_COLUMNS: Final = frozenset(
    {
        "id",
        "status",
        "topic_title",
        "country_name",
        "target_name",
        "stance_label",
        "contributor",
        "reviewer",
        "review_note",
        "created_at",
        "updated_at",
        "news_item_ids",
    }
)
# Other names people give these columns.
COLUMN_ALIASES: Final = {
    "topic_slug": "topic",
    "actor": "country",
    "country_code": "country",
    "date": "said_on",
    "precision": "date_precision",
    "source_archive_url": "archive_url",
    "source1_url": "source_url",
}
# Characters that make a spreadsheet read a cell as a formula; exports put a ' before them.
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def source_column(index: int, name: str) -> str:
    """The CSV column of field ``name`` of the ``index``-th source (0-based)."""
    if index == 0:
        return "archive_url" if name == "archive_url" else f"source_{name}"
    return f"source{index + 1}_{name}"


def template_columns(sources: int = 2) -> list[str]:
    return [*STATEMENT_COLUMNS] + [
        source_column(i, name) for i in range(sources) for name in SOURCE_FIELDS
    ]


TEMPLATE_COLUMNS: Final = tuple(template_columns())

_TEMPLATE_ROWS: Final = (
    {
        "topic": "pakistan-iran-alignment",
        "country": "PAK",
        "speaker": "Ishaq Dar",
        "speaker_role": "Foreign Minister",
        "target": "Iran",
        "said_on": "2025-06-14",
        "date_precision": "day",
        "quote": "پاکستان ایران کے ساتھ کھڑا ہے",
        "language": "ur",
        "translation": "Pakistan stands with Iran",
        "summary": "Declares solidarity with Iran after the strikes",
        "stance": "+2",
        "channel": "press_conference",
        "source_url": "https://example.org/news/pakistan-stands-with-iran",
        "source_publisher": "Example News",
        "source_title": "Pakistan stands with Iran, says Dar",
        "source_published_on": "2025-06-14",
        "source_accessed_on": "",
        "source_citation": "",
        "archive_url": "https://web.archive.org/web/2025/https://example.org/news/x",
    },
    {
        "topic": "pakistan-iran-alignment",
        "country": "Saudi Arabia",
        "said_on": "2025-06",
        "summary": "Calls for restraint on all sides (month known, day not)",
        "stance": "0",
        "channel": "communique",
        "source_citation": "Saudi Press Agency communiqué, June 2025 (print edition)",
    },
)


def statements_template_csv() -> bytes:
    """The documented template: the header and two example rows, UTF-8 with a BOM (Excel)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(TEMPLATE_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in _TEMPLATE_ROWS:
        writer.writerow({c: row.get(c, "") for c in TEMPLATE_COLUMNS})
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    line: int  # the line of the file the row starts on (the header is line 1)
    problems: dict[str, str]  # CSV column → what is wrong

    @property
    def reason(self) -> str:
        return "; ".join(f"{column}: {message}" for column, message in self.problems.items())


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str
    statement_id: int | None = None


@dataclass(frozen=True)
class ImportReport:
    encoding: str
    rows: int  # data rows read (blank lines not counted)
    valid: int  # rows that passed every check and are new
    imported: int  # rows stored
    statement_ids: list[int]
    rejected: list[RejectedRow]
    duplicates: list[SkippedRow]  # already in the database, or repeated in the file
    warnings: list[str]
    valid_only: bool

    @property
    def stored(self) -> bool:
        """Whether the valid rows were stored (not when one refused row stops the import)."""
        return not self.rejected or self.valid_only

    def summary(self) -> str:
        parts = [f"{self.rows:,} rows read"]
        if self.stored:
            parts.append(f"{self.imported:,} imported as pending")
        else:
            parts.append(
                f"nothing imported: {len(self.rejected):,} rows refused "
                "(fix them, or import only the valid rows)"
            )
        if self.rejected and self.stored:
            parts.append(f"{len(self.rejected):,} refused")
        if self.duplicates:
            parts.append(f"{len(self.duplicates):,} already there")
        return ", ".join(parts)


class ImportFileError(TrackerError):
    """The file as a whole cannot be read: encoding, header, size."""


# --- reading the file --------------------------------------------------------------------

_NON_ASCII_WORD = re.compile(r"[^\x00-\x7f]{3,}")


def decode_csv(data: bytes) -> tuple[str, str, list[str]]:
    """(text, encoding name, warnings), or ImportFileError with what to do instead."""
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig", warnings
        except UnicodeDecodeError as exc:
            raise _not_utf8(data, exc, "UTF-8 (it starts with a UTF-8 byte-order mark)") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", warnings
        except UnicodeDecodeError as exc:
            raise _not_utf8(data, exc, "UTF-16") from None
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise _not_utf8(data, utf8_error, "UTF-8") from None
    garbled = _NON_ASCII_WORD.search(text)
    if garbled is not None:
        # Runs of accented letters are what Arabic, Hebrew or Cyrillic legacy encodings look
        # like when read as Windows-1252: refuse rather than store garbled text.
        raise ImportFileError(
            "The file is not UTF-8, and reading it as Windows-1252 gives garbled text "
            f"(such as {garbled.group(0)!r}): it is probably in another legacy encoding. "
            "Save it as 'CSV UTF-8' (Excel: File › Save As › CSV UTF-8) and import it again."
        )
    warnings.append(
        "The file is not UTF-8; it was read as Windows-1252 (what Excel saves as 'CSV' on "
        "Western Windows). Check accented names in the result, or save it as 'CSV UTF-8'."
    )
    return text, "windows-1252", warnings


def _not_utf8(data: bytes, exc: UnicodeDecodeError, expected: str) -> ImportFileError:
    line = data[: exc.start].count(b"\n") + 1
    return ImportFileError(
        f"The file is not valid {expected}: unreadable bytes on line {line}. Save it as "
        "'CSV UTF-8' (Excel: File › Save As › CSV UTF-8) and import it again."
    )


def _normal_header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().casefold())
    return COLUMN_ALIASES.get(key, key)


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@dataclass
class _Row:
    line: int
    values: dict[str, str]


def _read_rows(text: str) -> tuple[list[str], list[_Row], list[str]]:
    if "\x00" in text:
        raise ImportFileError("The file contains NUL characters: it is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty: expected a header row.") from None
    except csv.Error as exc:
        raise ImportFileError(f"Line 1 is not valid CSV: {exc}") from None
    columns = [_normal_header(h) for h in header]
    warnings: list[str] = []
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise ImportFileError(f"The column {name!r} appears twice in the header.")
        seen.add(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        raise ImportFileError(
            "Missing column(s): " + ", ".join(missing) + ". The first row must name the columns "
            "(download the template: tracker statements template)."
        )
    if "quote" not in seen and "summary" not in seen:
        raise ImportFileError("The file needs a quote column, a summary column or both.")
    unknown = [
        c for c in columns if c and c not in EXPORT_ONLY_COLUMNS and _source_field(c) is None
    ]
    unknown = [c for c in unknown if c not in STATEMENT_COLUMNS]
    if unknown:
        warnings.append("Ignored unknown column(s): " + ", ".join(unknown))
    rows: list[_Row] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it.")
            if len(record) > len(columns):
                extra = [c for c in record[len(columns) :] if c.strip()]
                if extra:
                    warnings.append(f"Line {start}: more cells than columns; the extra ignored.")
            values = {
                name: cell for name, cell in zip(columns, record, strict=False) if name and cell
            }
            rows.append(_Row(start, values))
    except csv.Error as exc:
        raise ImportFileError(f"Line {line} is not valid CSV: {exc}") from None
    return columns, rows, warnings


_SOURCE_COLUMN = re.compile(r"\Asource(\d*)_(\w+)\Z")


def _source_field(column: str) -> tuple[int, str] | None:
    """(source index, field) for a source column, else None."""
    if column == "archive_url":
        return 0, "archive_url"
    found = _SOURCE_COLUMN.match(column)
    if found is None or found.group(2) not in SOURCE_FIELDS:
        return None
    number = int(found.group(1) or "1")
    return (number - 1, found.group(2)) if number >= 1 else None


# --- one row -----------------------------------------------------------------------------


def unescape_cell(value: str) -> str:
    """Undo the ' that exports put before text a spreadsheet would run as a formula."""
    if value.startswith("'") and value[1:].startswith((*FORMULA_START, "'")):
        return value[1:]
    return value


def escape_cell(value: str) -> str:
    """Text safe to open in a spreadsheet: a leading ' where it would start a formula."""
    if value.startswith(FORMULA_START) or (
        value.startswith("'") and value[1:].startswith((*FORMULA_START, "'"))
    ):
        return "'" + value
    return value


_DAY = re.compile(r"\A(\d{4})-(\d{1,2})-(\d{1,2})\Z")
_MONTH = re.compile(r"\A(\d{4})-(\d{1,2})\Z")
_YEAR = re.compile(r"\A(\d{4})\Z")


def parse_said_on(text: str, precision: str | None) -> tuple[date | None, str | None, str | None]:
    """(day, precision, problem): ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``."""
    value = text.strip()
    try:
        if found := _DAY.match(value):
            y, m, d = (int(g) for g in found.groups())
            return date(y, m, d), precision or DatePrecision.DAY, None
        if found := _MONTH.match(value):
            if precision == DatePrecision.DAY:
                return None, precision, "give the full date (YYYY-MM-DD) for day precision"
            y, m = (int(g) for g in found.groups())
            return date(y, m, 1), precision or DatePrecision.MONTH, None
        if found := _YEAR.match(value):
            if precision in (DatePrecision.DAY, DatePrecision.MONTH):
                return None, precision, f"give the full date for {precision} precision"
            return date(int(value), 1, 1), precision or DatePrecision.YEAR, None
    except ValueError:
        return None, precision, f"{value!r} is not a date in the calendar"
    if not value:
        return None, precision, "the date said is required"
    return None, precision, f"{value!r}: write dates as YYYY-MM-DD (or YYYY-MM, or YYYY)"


def parse_day(text: str) -> date | str:
    """A source date (``YYYY-MM-DD``) or a problem."""
    value = text.strip()
    found = _DAY.match(value)
    if found is None:
        return f"{value!r}: write dates as YYYY-MM-DD"
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return f"{value!r} is not a date in the calendar"


def parse_stance(text: str) -> int | str:
    value = text.strip().replace("−", "-")
    try:
        number = float(value)
    except ValueError:
        return f"{value!r} is not a number: use a whole number on the scale, such as -2 or +1"
    if not number.is_integer():
        return f"{value!r}: use a whole number on the scale, such as -2 or +1"
    return int(number)


def parse_channel(text: str) -> str:
    value = re.sub(r"[\s\-]+", "_", text.strip().casefold())
    return value or Channel.OTHER


# Domain problem keys → the CSV column a person should fix.
_FIELD_COLUMNS: Final = {
    "topic_id": "topic",
    "actor_id": "country",
    "target_actor_id": "target",
    "speaker_id": "speaker",
    "sources": "source_url",
}


def _column_of(key: str) -> str:
    if key.startswith("sources."):
        parts = key.split(".")
        if len(parts) >= 3 and parts[1].isdigit():
            return source_column(int(parts[1]), parts[2])
    return _FIELD_COLUMNS.get(key, key)


@dataclass
class _Prepared:
    line: int
    clean: StatementCreate | None  # as it will be stored (tracker.statements' normalisation)
    problems: dict[str, str]
    new_speaker: str | None = None
    key: str | None = None
    new_speaker_id: int | None = None  # set when the new speaker has been added


class _Lookups:
    """Topics, actors and speakers by the names a file uses, read once per import.

    The rows stay referenced here, so the session's identity map answers the validation's
    ``session.get`` calls without a query.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.topics: dict[str, int | None] = {}
        self.actors: dict[str, int | None] = {}
        actors = session.exec(select(Actor)).all()
        self.actor_codes: dict[int, str] = {a.id: a.code for a in actors if a.id is not None}
        self._rows: list[Any] = [*actors, *session.exec(select(Topic)).all()]
        self.speakers: dict[tuple[int, str], int] = {}
        for speaker in session.exec(select(Speaker)).all():
            self._rows.append(speaker)
            if speaker.id is not None:
                self.speakers[(speaker.actor_id, speaker.name)] = speaker.id

    def topic(self, slug: str) -> int | None:
        key = slug.strip().casefold()
        if key not in self.topics:
            found = get_topic_by_slug(self.session, key)
            self.topics[key] = found.id if found else None
        return self.topics[key]

    def actor(self, text: str) -> int | None:
        key = text.strip().casefold()
        if key not in self.actors:
            found = find_actor(self.session, text)
            self.actors[key] = found.id if found else None
        return self.actors[key]


def _sources(
    values: Mapping[str, str], plan: _ColumnPlan, problems: dict[str, str]
) -> list[dict[str, Any]]:
    by_index: dict[int, dict[str, Any]] = {}
    for column, index, name in plan.sources:
        raw = values.get(column)
        if raw is None or not raw.strip():
            continue
        value: Any = unescape_cell(raw).strip()
        if name in ("published_on", "accessed_on"):
            parsed = parse_day(value)
            if isinstance(parsed, str):
                problems[column] = parsed
                continue
            value = parsed
        by_index.setdefault(index, {})[name] = value
    return [by_index[i] for i in sorted(by_index)]


@dataclass(frozen=True)
class _ColumnPlan:
    """Where a file keeps what: worked out once from its header."""

    sources: tuple[tuple[str, int, str], ...]  # (column, source index, field)

    @classmethod
    def of(cls, columns: list[str]) -> _ColumnPlan:
        found = []
        for column in columns:
            where = _source_field(column)
            if where is not None:
                found.append((column, *where))
        return cls(tuple(found))


def _cell(values: Mapping[str, str], name: str) -> str | None:
    raw = values.get(name)
    return unescape_cell(raw) if raw is not None and raw.strip() else None


def _prepare(
    session: Session, row: _Row, plan: _ColumnPlan, lookups: _Lookups, today: date | None
) -> _Prepared:
    values = row.values
    problems: dict[str, str] = {}

    topic_id = actor_id = target_id = None
    if (slug := _cell(values, "topic")) is not None:
        topic_id = lookups.topic(slug)
        if topic_id is None:
            problems["topic"] = f"no topic with the slug {slug.strip()!r} (tracker topics list)"
    else:
        problems["topic"] = "the topic's slug is required"
    if (country := _cell(values, "country")) is not None:
        actor_id = lookups.actor(country)
        if actor_id is None:
            problems["country"] = f"no country or bloc called {country.strip()!r}"
    else:
        problems["country"] = "the country (ISO code or name) is required"
    if (target := _cell(values, "target")) is not None:
        target_id = lookups.actor(target)
        if target_id is None:
            problems["target"] = f"no country or bloc called {target.strip()!r}"

    precision_text = (_cell(values, "date_precision") or "").strip().casefold() or None
    said_on, precision, date_problem = parse_said_on(_cell(values, "said_on") or "", precision_text)
    if date_problem:
        problems["said_on"] = date_problem
    stance: int | None = None
    if (stance_text := _cell(values, "stance")) is not None:
        parsed = parse_stance(stance_text)
        if isinstance(parsed, str):
            problems["stance"] = parsed
        else:
            stance = parsed
    else:
        problems["stance"] = "the stance is required"

    speaker_id, new_speaker, name = None, None, None
    if (speaker := _cell(values, "speaker")) is not None:
        name = " ".join(speaker.split())
        problem = speaker_name_problem(name)
        if problem:
            problems["speaker"] = problem
        elif actor_id is not None:
            speaker_id = lookups.speakers.get((actor_id, name))
            new_speaker = None if speaker_id is not None else name

    raw: dict[str, Any] = {
        "topic_id": topic_id,
        "actor_id": actor_id,
        "speaker_id": speaker_id,
        "speaker_role": _cell(values, "speaker_role"),
        "target_actor_id": target_id,
        "said_on": said_on,
        "date_precision": precision or DatePrecision.DAY,
        "quote": _cell(values, "quote"),
        "language": _cell(values, "language"),
        "translation": _cell(values, "translation"),
        "summary": _cell(values, "summary"),
        "stance": stance,
        "channel": parse_channel(_cell(values, "channel") or ""),
        "sources": _sources(values, plan, problems),
        "news_item_ids": [],
    }
    data, domain = check_statement_input(session, raw, today=today)
    for key, message in domain.items():
        # The file's own wording ("no topic with the slug …") beats the form's ("choose …").
        problems.setdefault(_column_of(key), message)
    if problems or data is None:
        return _Prepared(row.line, None, problems)
    clean = normalized_input(data)
    return _Prepared(row.line, clean, {}, new_speaker, _row_key(lookups, clean, name))


def _source_key(s: SourceCreate) -> list[str | None]:
    dates = [str(s.published_on), str(s.accessed_on)]
    return [s.url, s.citation, s.publisher, s.title, s.archive_url, *dates]


def _row_key(lookups: _Lookups, clean: StatementCreate, speaker: str | None) -> str:
    """A stable key of the row's normalised content: the same row gets the same key.

    Actors by code and the speaker by name, so a row keeps its key whether or not its speaker
    had been added yet.
    """
    content = [
        clean.topic_id,
        lookups.actor_codes.get(clean.actor_id),
        speaker,
        clean.speaker_role,
        lookups.actor_codes.get(clean.target_actor_id) if clean.target_actor_id else None,
        clean.said_on.isoformat(),
        clean.date_precision,
        clean.quote,
        clean.language,
        clean.translation,
        clean.summary,
        clean.stance,
        clean.channel,
        [_source_key(s) for s in clean.sources],
    ]
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return KEY_PREFIX + hashlib.sha256(encoded).hexdigest()[:48]


@contextmanager
def _reference_reads_cached(session: Session) -> Iterator[None]:
    """Answer repeated reads of stance scales from memory for the length of one import.

    The validation looks up the topic's scale for every row; within one import (one
    transaction, nothing else writing scales) the answer cannot change, so each distinct read
    goes to the database once.
    """
    cache: dict[Any, Any] = {}
    allowed = {sa_inspect(StanceLevel), sa_inspect(Topic)}

    def on_execute(state: ORMExecuteState) -> Any:
        if not state.is_select:
            return None
        statement = state.statement
        if not isinstance(statement, Select) or state.bind_mapper not in allowed:
            return None
        cache_key = statement._generate_cache_key()
        if cache_key is None:
            return None
        key = (
            cache_key.key,
            tuple(repr(p.effective_value) for p in cache_key.bindparams),
            repr(state.parameters),
        )
        if key not in cache:
            cache[key] = state.invoke_statement().freeze()
        return cache[key]()

    event.listen(session, "do_orm_execute", on_execute)
    try:
        yield
    finally:
        event.remove(session, "do_orm_execute", on_execute)


# --- the import ----------------------------------------------------------------------------


def import_statements_csv(
    session: Session,
    data: bytes,
    *,
    user_id: int | None,
    valid_only: bool = False,
    today: date | None = None,
    workers: int = 1,
) -> ImportReport:
    """Import statements from CSV bytes; see the module documentation. Flushes; the caller
    commits (when :attr:`ImportReport.stored`).

    ``workers`` > 1 validates large files in that many processes (the command line does; pages
    do not). Other processes see only committed data, so this happens only when ``session``
    has no transaction open on entry; otherwise the rows are validated here, one by one.
    """
    nothing_pending = not session.in_transaction()
    require_writer_or_system(session, user_id, "import statements")
    text, encoding, warnings = decode_csv(data)
    columns, rows, read_warnings = _read_rows(text)
    warnings += read_warnings
    plan = _ColumnPlan.of(columns)
    lookups = _Lookups(session)
    existing = {
        key: statement_id
        for key, statement_id in session.exec(
            select(Statement.external_key, Statement.id).where(
                col(Statement.external_key).startswith(KEY_PREFIX)
            )
        ).all()
        if key is not None
    }

    parallel = workers > 1 and nothing_pending and len(rows) >= PARALLEL_MIN_ROWS
    chunks = (
        _validated_in_processes(session, rows, plan, today, workers)
        if parallel
        else _validated_here(session, rows, plan, lookups, today)
    )
    rejected: list[RejectedRow] = []
    duplicates: list[SkippedRow] = []
    first_line: dict[str, int] = {}
    valid = 0
    stored: list[int] = []
    speakers_before = set(lookups.speakers.values())
    # Rows are stored chunk by chunk while later chunks are still being validated. If a refused
    # row turns up after some were stored, all or nothing means taking those back out.
    for chunk in chunks:
        ready: list[_Prepared] = []
        for prepared in chunk:
            line = prepared.line
            if prepared.clean is None or prepared.key is None:
                rejected.append(RejectedRow(line, prepared.problems))
            elif prepared.key in existing:
                duplicates.append(SkippedRow(line, "already imported", existing[prepared.key]))
            elif prepared.key in first_line:
                duplicates.append(
                    SkippedRow(line, f"the same statement as line {first_line[prepared.key]}")
                )
            else:
                first_line[prepared.key] = line
                ready.append(prepared)
        valid += len(ready)
        if ready and (valid_only or not rejected):
            stored += _store(session, ready, lookups, user_id)
    if rejected and not valid_only and stored:
        added = set(lookups.speakers.values()) - speakers_before
        _take_back(session, stored, added)
        stored = []
    return ImportReport(
        encoding=encoding,
        rows=len(rows),
        valid=valid,
        imported=len(stored),
        statement_ids=stored,
        rejected=rejected,
        duplicates=duplicates,
        warnings=warnings,
        valid_only=valid_only,
    )


def _chunks(rows: list[_Row]) -> list[list[_Row]]:
    return [rows[i : i + VALIDATION_CHUNK] for i in range(0, len(rows), VALIDATION_CHUNK)]


def _prepare_rows(
    session: Session, rows: list[_Row], plan: _ColumnPlan, lookups: _Lookups, today: date | None
) -> list[_Prepared]:
    # Validation only reads: no autoflush, which would scan the identity map before each query.
    with _reference_reads_cached(session), session.no_autoflush:
        return [_prepare(session, row, plan, lookups, today) for row in rows]


def _validated_here(
    session: Session, rows: list[_Row], plan: _ColumnPlan, lookups: _Lookups, today: date | None
) -> Iterator[list[_Prepared]]:
    for chunk in _chunks(rows):
        yield _prepare_rows(session, chunk, plan, lookups, today)


def _validated_in_processes(
    session: Session, rows: list[_Row], plan: _ColumnPlan, today: date | None, workers: int
) -> Iterator[list[_Prepared]]:
    """Validate chunks in ``workers`` separate processes (``python -m tracker.imports
    --validate``: fresh interpreters that share nothing with this one, whatever it is running
    in), yielding the results in order while this process stores the chunks already done."""
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    chunks = _chunks(rows)
    count = max(1, min(workers, len(chunks)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tracker.imports", WORKER_FLAG],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        for _ in range(count)
    ]

    def feed(process: subprocess.Popen[bytes], share: list[list[_Row]]) -> None:
        # The database URL (with its password) goes through the pipe, never the command line.
        assert process.stdin is not None
        try:
            pickle.dump((url, plan, today), process.stdin, pickle.HIGHEST_PROTOCOL)
            for chunk in share:
                pickle.dump(chunk, process.stdin, pickle.HIGHEST_PROTOCOL)
            pickle.dump(None, process.stdin)
            process.stdin.close()
        except OSError:
            pass  # the process stopped; reading its results reports it

    feeders = [
        threading.Thread(target=feed, args=(p, chunks[i::count]), daemon=True)
        for i, p in enumerate(processes)
    ]
    for thread in feeders:
        thread.start()
    try:
        for i in range(len(chunks)):
            stdout = processes[i % count].stdout
            assert stdout is not None
            try:
                result: list[_Prepared] = pickle.load(stdout)  # noqa: S301 (our own worker)
            except (EOFError, pickle.UnpicklingError):
                raise TrackerError(
                    "A validation process stopped unexpectedly (see the messages above); "
                    "nothing was imported. Try again with --workers 1."
                ) from None
            yield result
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        for thread in feeders:
            thread.join(timeout=5)


def _worker_main() -> None:
    """A validation process: reads (url, plan, today), then chunks of rows until None, from
    stdin; writes each chunk's results to stdout."""
    from tracker.db import make_engine

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    url, plan, today = pickle.load(source)  # noqa: S301 (from the importing process)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            lookups = _Lookups(session)
            while (chunk := pickle.load(source)) is not None:  # noqa: S301
                result = _prepare_rows(session, chunk, plan, lookups, today)
                pickle.dump(result, sink, pickle.HIGHEST_PROTOCOL)
                sink.flush()
    finally:
        engine.dispose()


def _take_back(session: Session, statement_ids: list[int], speaker_ids: set[int]) -> None:
    """Remove what this import stored (all or nothing, and a refused row came late)."""
    tables = SQLModel.metadata.tables
    revision, source, statement = tables["revision"], tables["source"], tables["statement"]
    for start in range(0, len(statement_ids), DELETE_CHUNK):
        ids = statement_ids[start : start + DELETE_CHUNK]
        session.execute(
            delete(revision).where(
                revision.c.entity_type == EntityType.STATEMENT.value,
                revision.c.entity_id.in_(ids),
            )
        )
        session.execute(delete(source).where(source.c.statement_id.in_(ids)))
        session.execute(delete(statement).where(statement.c.id.in_(ids)))
    if speaker_ids:
        speaker = tables["speaker"]
        unused = ~exists().where(statement.c.speaker_id == speaker.c.id)
        session.execute(delete(speaker).where(speaker.c.id.in_(speaker_ids), unused))
    # The speaker rows are gone: forget their objects too, and nothing else of the caller's.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Speaker) and obj.id in speaker_ids:
            session.expunge(obj)


def _store(
    session: Session, rows: list[_Prepared], lookups: _Lookups, user_id: int | None
) -> list[int]:
    """Insert statements, sources and revisions in batches: what create_statement stores."""
    for prepared in rows:
        assert prepared.clean is not None
        if prepared.new_speaker is None:
            continue
        actor_id = prepared.clean.actor_id
        known = lookups.speakers.get((actor_id, prepared.new_speaker))
        if known is None:
            known = get_or_create_speaker(session, prepared.new_speaker, actor_id).id
            lookups.speakers[(actor_id, prepared.new_speaker)] = known
        prepared.new_speaker_id = known

    ids: list[int] = []
    for start in range(0, len(rows), INSERT_BATCH):
        ids += _store_batch(session, rows[start : start + INSERT_BATCH], user_id)
    return ids


def _json_safe(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _store_batch(session: Session, rows: list[_Prepared], user_id: int | None) -> list[int]:
    now = utcnow()
    base = {
        name: info.get_default(call_default_factory=True)
        for name, info in Statement.model_fields.items()
        if name != "id"
    }
    base.update(
        status=StatementStatus.PENDING.value,
        contributor_id=user_id,
        created_at=now,
        updated_at=now,
    )
    # The revision's snapshot, as tracker.statements.statement_snapshot writes it.
    base_snapshot = {name: _json_safe(value) for name, value in base.items()}
    values: list[dict[str, Any]] = []
    for prepared in rows:
        assert prepared.clean is not None
        content = {key: getattr(prepared.clean, key) for key in CONTENT_FIELDS}
        if prepared.new_speaker_id is not None:
            content["speaker_id"] = prepared.new_speaker_id
        values.append({**base, **content, "external_key": prepared.key})
    table = SQLModel.metadata.tables["statement"]
    # RETURNING the key as well as the id: no reliance on the order rows come back in.
    id_by_key = {
        key: statement_id
        for statement_id, key in session.execute(
            insert(table).returning(table.c.id, table.c.external_key), values
        ).all()
    }
    ids: list[int] = []
    sources: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    for prepared, row in zip(rows, values, strict=True):
        assert prepared.clean is not None
        statement_id = id_by_key[prepared.key]
        ids.append(statement_id)
        dumped = [s.model_dump() for s in prepared.clean.sources]
        sources += [{**s, "statement_id": statement_id, "event_id": None} for s in dumped]
        snapshot = {
            **base_snapshot,
            **{key: _json_safe(row[key]) for key in CONTENT_FIELDS},
            "id": statement_id,
            "external_key": prepared.key,
            "sources": [{k: _json_safe(v) for k, v in s.items()} for s in dumped],
            "news_item_ids": [],
        }
        revisions.append(
            {
                "entity_type": EntityType.STATEMENT.value,
                "entity_id": statement_id,
                "action": RevisionAction.CREATE.value,
                "user_id": user_id,
                "at": now,
                "snapshot": snapshot,
                "reason": f"imported from CSV (line {prepared.line})",
            }
        )
    if sources:
        session.execute(insert(SQLModel.metadata.tables["source"]), sources)
    session.execute(insert(SQLModel.metadata.tables["revision"]), revisions)
    return ids


def report_lines(report: ImportReport, *, limit: int | None = None) -> list[str]:
    """The report as lines for a terminal or a page: the summary, then each refused row."""
    lines = [report.summary()]
    lines += [f"warning: {w}" for w in report.warnings]
    shown = report.rejected if limit is None else report.rejected[:limit]
    lines += [f"line {r.line}: {r.reason}" for r in shown]
    if limit is not None and len(report.rejected) > limit:
        lines.append(f"… and {len(report.rejected) - limit:,} more refused rows")
    return lines


if __name__ == "__main__" and sys.argv[1:] == [WORKER_FLAG]:
    # Run through the package module, so results pickle as tracker.imports classes.
    from tracker.imports import _worker_main as worker_main

    worker_main()
