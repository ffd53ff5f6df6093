"""Open exports of statements and events: CSV, JSON, JSON-LD (schema.org) and TimelineJS.

Pure functions: a session and filters in, the file's bytes out, for the command line and for
download buttons alike.

- **CSV** (UTF-8 with a byte-order mark, so Excel reads it as UTF-8): the import columns first
  (``tracker.imports``), so an exported file imports again as the same statements, then columns
  for people (``id``, ``status``, names, labels) that an import ignores. Text a spreadsheet would
  run as a formula (``=…``, ``+…``, ``-…``, ``@…``) gets a leading ``'``, which the import
  removes again.
- **JSON**: one object per statement or event, sources nested.
- **JSON-LD**: schema.org ``Claim`` per statement (author ``Person`` or ``Organization``,
  ``datePublished`` at the precision known, ``appearance`` for sources with a web address,
  ``citation`` for offline ones, a ``Quotation`` for the original words), and ``Event`` per
  event. Stance and review status, which schema.org has no terms for, are under ``tracker:``.
- **TimelineJS**: TimelineJS3's JSON: ``events`` with ``start_date``/``end_date`` objects,
  ``text.headline``/``text.text`` (HTML-escaped: TimelineJS renders them as HTML), a ``group``
  per country, and ``eras`` for events that last.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from tracker.errors import TrackerError
from tracker.events import EventView, list_events
from tracker.imports import FORMULA_START, SOURCE_FIELDS, STATEMENT_COLUMNS, source_column
from tracker.models import Actor, ActorKind, Source, Speaker, StanceLevel, Statement, Topic, User
from tracker.statements import join_statement_context
from tracker.timeutil import utcnow
from tracker.topics import list_topics
from tracker.validation import check_http_url

FORMATS: Final = ("csv", "json", "jsonld", "timelinejs")
MEDIA_TYPES: Final = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonld": "application/ld+json",
    "timelinejs": "application/json",
}
EXTENSIONS: Final = {"csv": "csv", "json": "json", "jsonld": "jsonld", "timelinejs": "json"}
SCHEMA_CONTEXT: Final = ["https://schema.org", {"tracker": "urn:tracker:vocab#"}]
EXTRA_STATEMENT_COLUMNS: Final = (
    "topic_title",
    "country_name",
    "target_name",
    "stance_label",
    "contributor",
    "reviewer",
    "review_note",
    "created_at",
)
TEXT_COLUMNS: Final = frozenset(
    {
        "speaker",
        "speaker_role",
        "quote",
        "translation",
        "summary",
        "topic_title",
        "country_name",
        "target_name",
        "stance_label",
        "contributor",
        "reviewer",
        "review_note",
        "title",
        "description",
    }
)
HEADLINE_CHARS: Final = 120


class ExportError(TrackerError):
    """An export that cannot be made as asked (an unknown format)."""


def check_format(fmt: str) -> str:
    value = fmt.strip().lower().replace("-", "")
    if value == "json_ld":
        value = "jsonld"
    if value not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return value


def export_filename(kind: str, fmt: str, day: date | None = None) -> str:
    """A file name such as ``statements-2025-06-14.csv``."""
    fmt = check_format(fmt)
    suffix = "-timelinejs" if fmt == "timelinejs" else ""
    return f"{kind}{suffix}-{(day or utcnow().date()).isoformat()}.{EXTENSIONS[fmt]}"


# --- the rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSource:
    url: str | None
    citation: str | None
    publisher: str | None
    title: str | None
    published_on: date | None
    accessed_on: date | None
    archive_url: str | None


@dataclass(frozen=True)
class ExportStatement:
    id: int
    topic_slug: str
    topic_title: str
    topic_proposition: str
    actor_code: str
    actor_name: str
    actor_kind: str
    speaker: str | None
    speaker_role: str | None
    target_code: str | None
    target_name: str | None
    said_on: date
    date_precision: str
    quote: str | None
    language: str | None
    translation: str | None
    summary: str | None
    stance: int
    stance_label: str
    channel: str
    status: str
    contributor: str | None
    reviewer: str | None
    review_note: str | None
    created_at: datetime
    sources: list[ExportSource] = field(default_factory=list)


def statement_rows(
    session: Session,
    *,
    topic_id: int | None = None,
    actor_ids: Collection[int] | None = None,
    statuses: Collection[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[ExportStatement]:
    """Live statements matching the filters, oldest first, with their sources (three queries,
    whatever the number of statements)."""
    target = aliased(Actor)
    contributor = aliased(User)
    reviewer = aliased(User)
    conditions: list[ColumnElement[bool]] = [col(Statement.deleted_at).is_(None)]
    if topic_id is not None:
        conditions.append(col(Statement.topic_id) == topic_id)
    if actor_ids is not None:
        conditions.append(col(Statement.actor_id).in_(list(actor_ids)))
    if statuses is not None:
        conditions.append(col(Statement.status).in_(list(statuses)))
    if start is not None:
        conditions.append(col(Statement.said_on) >= start)
    if end is not None:
        conditions.append(col(Statement.said_on) <= end)
    query = (
        join_statement_context(
            select(
                Statement,
                col(Topic.slug),
                col(Topic.title),
                col(Topic.proposition),
                col(Actor.code),
                col(Actor.name),
                col(Actor.kind),
                col(Speaker.name),
                col(target.code),
                col(target.name),
                col(StanceLevel.label),
                col(contributor.username),
                col(reviewer.username),
            ),
            target,
            contributor,
            reviewer,
        )
        .where(*conditions)
        .order_by(col(Statement.said_on), col(Statement.id))
    )
    matching = select(col(Statement.id)).where(*conditions)
    sources: dict[int, list[ExportSource]] = defaultdict(list)
    for src in session.execute(
        select(Source)
        .where(col(Source.statement_id).in_(matching))
        .order_by(col(Source.statement_id), col(Source.id))
    ).scalars():
        sources[src.statement_id or 0].append(
            ExportSource(
                url=src.url,
                citation=src.citation,
                publisher=src.publisher,
                title=src.title,
                published_on=src.published_on,
                accessed_on=src.accessed_on,
                archive_url=src.archive_url,
            )
        )
    out = []
    for row in session.execute(query).all():
        st: Statement = row[0]
        (slug, title, proposition, code, name, kind, speaker, t_code, t_name) = row[1:10]
        label, contrib, review = row[10:13]
        assert st.id is not None
        out.append(
            ExportStatement(
                id=st.id,
                topic_slug=slug,
                topic_title=title,
                topic_proposition=proposition,
                actor_code=code,
                actor_name=name,
                actor_kind=kind,
                speaker=speaker,
                speaker_role=st.speaker_role,
                target_code=t_code,
                target_name=t_name,
                said_on=st.said_on,
                date_precision=st.date_precision,
                quote=st.quote,
                language=st.language,
                translation=st.translation,
                summary=st.summary,
                stance=st.stance,
                stance_label=label or f"{st.stance:+d}",
                channel=st.channel,
                status=st.status,
                contributor=contrib,
                reviewer=review,
                review_note=st.review_note,
                created_at=st.created_at,
                sources=sources.get(st.id, []),
            )
        )
    return out


def event_rows(
    session: Session,
    *,
    topic_id: int | None = None,
    actor_ids: Collection[int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[EventView]:
    """Live events by start date (with a topic: its events and those tagged with no topic)."""
    events = list_events(session, topic_id=topic_id, start=start, end=end)
    if actor_ids is not None:
        wanted = set(actor_ids)
        events = [e for e in events if wanted & set(e.actor_ids)]
    return events


# --- shared helpers ------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def partial_date(day: date, precision: str) -> str:
    """An ISO 8601 date as precise as it is known: ``2025-06-14``, ``2025-06`` or ``2025``."""
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    if column in TEXT_COLUMNS and (
        text.startswith(FORMULA_START) or (text.startswith("'") and text[1:2] in "=+-@'")
    ):
        return "'" + text
    return text


def _csv_bytes(columns: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c), c) for c in columns])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def _source_dict(s: ExportSource) -> dict[str, Any]:
    return {
        "url": s.url,
        "citation": s.citation,
        "publisher": s.publisher,
        "title": s.title,
        "published_on": _iso(s.published_on),
        "accessed_on": _iso(s.accessed_on),
        "archive_url": s.archive_url,
    }


def _filters(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = sorted(value) if isinstance(value, set | frozenset | list | tuple) else value
        if isinstance(value, date):
            out[key] = value.isoformat()
    return out


# --- statements ----------------------------------------------------------------------------


def export_statements(
    session: Session,
    fmt: str,
    *,
    topic_id: int | None = None,
    actor_ids: Collection[int] | None = None,
    statuses: Collection[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> bytes:
    """Statements matching the filters (``start``/``end``: the day said, inclusive)."""
    fmt = check_format(fmt)
    rows = statement_rows(
        session, topic_id=topic_id, actor_ids=actor_ids, statuses=statuses, start=start, end=end
    )
    filters = _filters(
        topic_id=topic_id,
        actor_ids=list(actor_ids) if actor_ids is not None else None,
        statuses=list(statuses) if statuses is not None else None,
        start=start,
        end=end,
    )
    if fmt == "csv":
        return statements_csv(rows)
    if fmt == "json":
        return _json_bytes(
            {
                "generator": "tracker",
                "exported_at": utcnow().isoformat(),
                "filters": filters,
                "statements": [statement_dict(r) for r in rows],
            }
        )
    if fmt == "jsonld":
        return _json_bytes({"@context": SCHEMA_CONTEXT, "@graph": [claim(r) for r in rows]})
    topics = {t.id: t for t in list_topics(session)}
    topic = topics.get(topic_id) if topic_id is not None else None
    return _json_bytes(
        timelinejs(
            rows,
            [],
            headline=topic.title if topic else "Stated positions",
            text=topic.proposition if topic else "",
        )
    )


def statement_csv_columns(max_sources: int) -> list[str]:
    sources = [source_column(i, name) for i in range(max(max_sources, 1)) for name in SOURCE_FIELDS]
    return ["id", "status", *STATEMENT_COLUMNS, *sources, *EXTRA_STATEMENT_COLUMNS]


def statements_csv(rows: list[ExportStatement]) -> bytes:
    columns = statement_csv_columns(max((len(r.sources) for r in rows), default=1))

    def as_row(r: ExportStatement) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": r.id,
            "status": r.status,
            "topic": r.topic_slug,
            "country": r.actor_code,
            "speaker": r.speaker,
            "speaker_role": r.speaker_role,
            "target": r.target_code,
            "said_on": r.said_on,
            "date_precision": r.date_precision,
            "quote": r.quote,
            "language": r.language,
            "translation": r.translation,
            "summary": r.summary,
            "stance": r.stance,
            "channel": r.channel,
            "topic_title": r.topic_title,
            "country_name": r.actor_name,
            "target_name": r.target_name,
            "stance_label": r.stance_label,
            "contributor": r.contributor,
            "reviewer": r.reviewer,
            "review_note": r.review_note,
            "created_at": r.created_at,
        }
        for i, source in enumerate(r.sources):
            for name, value in _source_dict(source).items():
                row[source_column(i, name)] = value
        return row

    return _csv_bytes(columns, (as_row(r) for r in rows))


def statement_dict(r: ExportStatement) -> dict[str, Any]:
    return {
        "id": r.id,
        "topic": {"slug": r.topic_slug, "title": r.topic_title},
        "country": {"code": r.actor_code, "name": r.actor_name, "kind": r.actor_kind},
        "speaker": r.speaker,
        "speaker_role": r.speaker_role,
        "target": {"code": r.target_code, "name": r.target_name} if r.target_code else None,
        "said_on": r.said_on.isoformat(),
        "date_precision": r.date_precision,
        "quote": r.quote,
        "language": r.language,
        "translation": r.translation,
        "summary": r.summary,
        "stance": r.stance,
        "stance_label": r.stance_label,
        "channel": r.channel,
        "status": r.status,
        "contributor": r.contributor,
        "reviewer": r.reviewer,
        "review_note": r.review_note,
        "created_at": r.created_at.isoformat(),
        "sources": [_source_dict(s) for s in r.sources],
    }


def _actor_node(code: str, name: str, kind: str) -> dict[str, Any]:
    if kind == ActorKind.COUNTRY:
        return {
            "@type": "GovernmentOrganization",
            "name": name,
            "identifier": code,
            "areaServed": {"@type": "Country", "name": name, "identifier": code},
        }
    return {"@type": "Organization", "name": name, "identifier": code}


def _creative_work(s: ExportSource) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "CreativeWork"}
    if s.url:
        node["url"] = s.url
    if s.title:
        node["headline"] = s.title
    if s.publisher:
        node["publisher"] = {"@type": "Organization", "name": s.publisher}
    if s.published_on:
        node["datePublished"] = s.published_on.isoformat()
    if s.archive_url:
        node["archivedAt"] = s.archive_url
    if s.citation:
        node["citation"] = s.citation
    return node


def claim(r: ExportStatement) -> dict[str, Any]:
    """A statement as a schema.org Claim."""
    organisation = _actor_node(r.actor_code, r.actor_name, r.actor_kind)
    author: dict[str, Any] = organisation
    if r.speaker:
        author = {"@type": "Person", "name": r.speaker, "affiliation": organisation}
        if r.speaker_role:
            author["jobTitle"] = r.speaker_role
    node: dict[str, Any] = {
        "@type": "Claim",
        "@id": f"urn:tracker:statement:{r.id}",
        "identifier": str(r.id),
        "text": r.summary or r.translation or r.quote,
        "author": author,
        "datePublished": partial_date(r.said_on, r.date_precision),
        "about": {"@type": "Thing", "name": r.topic_title, "description": r.topic_proposition},
        "tracker:stance": r.stance,
        "tracker:stanceLabel": r.stance_label,
        "tracker:channel": r.channel,
        "tracker:status": r.status,
    }
    if r.target_code and r.target_name:
        node["mentions"] = {"@type": "Country", "name": r.target_name, "identifier": r.target_code}
    if r.quote:
        quotation: dict[str, Any] = {
            "@type": "Quotation",
            "text": r.quote,
            "creator": author,
            "spokenByCharacter": author,
        }
        if r.language:
            quotation["inLanguage"] = r.language
        if r.translation:
            quotation["workTranslation"] = {
                "@type": "CreativeWork",
                "text": r.translation,
                "inLanguage": "en",
            }
        node["hasPart"] = quotation
        if r.language:
            node["inLanguage"] = r.language
    appearances = [_creative_work(s) for s in r.sources if s.url]
    citations = [_creative_work(s) for s in r.sources if not s.url]
    if appearances:
        node["appearance"] = appearances
        node["firstAppearance"] = appearances[0]
    if citations:
        node["citation"] = citations
    return node


# --- events --------------------------------------------------------------------------------


def export_events(
    session: Session,
    fmt: str,
    *,
    topic_id: int | None = None,
    actor_ids: Collection[int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> bytes:
    """Events matching the filters (any overlap with ``start``–``end``; any of the actors)."""
    fmt = check_format(fmt)
    events = event_rows(session, topic_id=topic_id, actor_ids=actor_ids, start=start, end=end)
    topics = {t.id: t for t in list_topics(session)}
    if fmt == "csv":
        return events_csv(events, {tid: t.slug for tid, t in topics.items()})
    if fmt == "json":
        return _json_bytes(
            {
                "generator": "tracker",
                "exported_at": utcnow().isoformat(),
                "filters": _filters(
                    topic_id=topic_id,
                    actor_ids=list(actor_ids) if actor_ids is not None else None,
                    start=start,
                    end=end,
                ),
                "events": [event_dict(e, topics) for e in events],
            }
        )
    if fmt == "jsonld":
        return _json_bytes(
            {"@context": SCHEMA_CONTEXT, "@graph": [event_node(e, topics) for e in events]}
        )
    topic = topics.get(topic_id) if topic_id is not None else None
    return _json_bytes(timelinejs([], events, headline=topic.title if topic else "Events", text=""))


def _event_sources(e: EventView) -> list[ExportSource]:
    return [
        ExportSource(
            url=s.url,
            citation=s.citation,
            publisher=s.publisher,
            title=s.title,
            published_on=s.published_on,
            accessed_on=None,
            archive_url=s.archive_url,
        )
        for s in e.sources
    ]


def events_csv(events: list[EventView], topic_slugs: dict[int, str]) -> bytes:
    most = max((len(e.sources) for e in events), default=1)
    source_columns = [
        source_column(i, name)
        for i in range(max(most, 1))
        for name in SOURCE_FIELDS
        if name != "accessed_on"
    ]
    columns = [
        "id",
        "title",
        "description",
        "starts_on",
        "ends_on",
        "date_precision",
        "category",
        "countries",
        "topics",
        *source_columns,
    ]

    def as_row(e: EventView) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": e.id,
            "title": e.title,
            "description": e.description,
            "starts_on": e.starts_on,
            "ends_on": e.ends_on,
            "date_precision": e.date_precision,
            "category": e.category,
            "countries": ";".join(e.actor_codes),
            "topics": ";".join(topic_slugs.get(t, str(t)) for t in e.topic_ids),
        }
        for i, source in enumerate(_event_sources(e)):
            for name, value in _source_dict(source).items():
                row[source_column(i, name)] = value
        return row

    return _csv_bytes(columns, (as_row(e) for e in events))


def event_dict(e: EventView, topics: dict[int, Any]) -> dict[str, Any]:
    return {
        "id": e.id,
        "title": e.title,
        "description": e.description,
        "starts_on": e.starts_on.isoformat(),
        "ends_on": _iso(e.ends_on),
        "date_precision": e.date_precision,
        "category": e.category,
        "countries": [
            {"code": code, "name": name}
            for code, name in zip(e.actor_codes, _names(e), strict=False)
        ],
        "topics": [topics[t].slug for t in e.topic_ids if t in topics],
        "sources": [_source_dict(s) for s in _event_sources(e)],
    }


def _names(e: EventView) -> list[str]:
    return e.actor_names if len(e.actor_names) == len(e.actor_codes) else list(e.actor_codes)


def event_node(e: EventView, topics: dict[int, Any]) -> dict[str, Any]:
    """An event as a schema.org Event."""
    node: dict[str, Any] = {
        "@type": "Event",
        "@id": f"urn:tracker:event:{e.id}",
        "identifier": str(e.id),
        "name": e.title,
        "startDate": partial_date(e.starts_on, e.date_precision),
        "eventStatus": "https://schema.org/EventScheduled",
        "keywords": e.category,
    }
    if e.description:
        node["description"] = e.description
    if e.ends_on:
        node["endDate"] = partial_date(e.ends_on, e.date_precision)
    about: list[dict[str, Any]] = [
        {"@type": "Country", "name": name, "identifier": code}
        for code, name in zip(e.actor_codes, _names(e), strict=False)
    ]
    about += [{"@type": "Thing", "name": topics[t].title} for t in e.topic_ids if t in topics]
    if about:
        node["about"] = about
    sources = _event_sources(e)
    works = [_creative_work(s) for s in sources if s.url]
    if works:
        node["subjectOf"] = works
    citations = [_creative_work(s) for s in sources if not s.url]
    if citations:
        node["tracker:citation"] = citations
    return node


# --- TimelineJS ----------------------------------------------------------------------------


def tl_date(day: date, precision: str = "day") -> dict[str, str]:
    """A TimelineJS date object, as precise as the date is known."""
    out = {"year": str(day.year)}
    if precision in ("day", "month"):
        out["month"] = str(day.month)
    if precision == "day":
        out["day"] = str(day.day)
    return out


def _short(text: str, limit: int = HEADLINE_CHARS) -> str:
    clean = " ".join(text.split())
    if len(clean) <= limit:
        return clean
    cut = clean.rfind(" ", 0, limit)
    return clean[: cut if cut > 0 else limit] + "…"


def _link(label: str, url: str | None) -> str:
    if url is None or check_http_url(url, required=True) is not None:
        return html.escape(label)
    return f'<a href="{html.escape(url.strip(), quote=True)}">{html.escape(label)}</a>'


def _sources_html(sources: list[ExportSource]) -> str:
    items = []
    for s in sources:
        label = s.publisher or s.title or s.url or s.citation or "source"
        if s.url:
            items.append(_link(label, s.url))
        else:
            items.append(html.escape(s.citation or label))
    return "Sources: " + "; ".join(items) if items else ""


def _statement_event(r: ExportStatement) -> dict[str, Any]:
    who = ", ".join(p for p in (r.speaker, r.speaker_role) if p)
    parts = []
    if r.quote:
        parts.append(f"<blockquote>{html.escape(r.quote)}</blockquote>")
    if r.translation:
        parts.append(f"<p>{html.escape(r.translation)}</p>")
    if r.summary and r.summary != r.translation:
        parts.append(f"<p>{html.escape(r.summary)}</p>")
    meta = [html.escape(x) for x in (who, r.stance_label, r.channel.replace("_", " ")) if x]
    if r.status != "verified":
        meta.append(html.escape(f"{r.status} review"))
    parts.append(f"<p><small>{' · '.join(meta)}</small></p>")
    sources = _sources_html(r.sources)
    if sources:
        parts.append(f"<p><small>{sources}</small></p>")
    headline = f"{r.actor_name}: {_short(r.summary or r.translation or r.quote or '')}"
    return {
        "unique_id": f"statement-{r.id}",
        "start_date": tl_date(r.said_on, r.date_precision),
        "text": {"headline": html.escape(headline), "text": "".join(parts)},
        "group": r.actor_name,
    }


def _event_event(e: EventView) -> dict[str, Any]:
    parts = []
    if e.description:
        parts.append(f"<p>{html.escape(e.description)}</p>")
    if e.actor_codes:
        parts.append(f"<p><small>{html.escape(', '.join(_names(e)))}</small></p>")
    sources = _sources_html(_event_sources(e))
    if sources:
        parts.append(f"<p><small>{sources}</small></p>")
    item: dict[str, Any] = {
        "unique_id": f"event-{e.id}",
        "start_date": tl_date(e.starts_on, e.date_precision),
        "text": {"headline": html.escape(e.title), "text": "".join(parts)},
        "group": "Events",
    }
    if e.ends_on:
        item["end_date"] = tl_date(e.ends_on, e.date_precision)
    return item


def timelinejs(
    statements: list[ExportStatement], events: list[EventView], *, headline: str, text: str
) -> dict[str, Any]:
    """TimelineJS3 JSON: statements grouped per country, events, eras for events that last."""
    data: dict[str, Any] = {
        "title": {"text": {"headline": html.escape(headline), "text": html.escape(text)}},
        "events": [_statement_event(r) for r in statements] + [_event_event(e) for e in events],
    }
    eras = [
        {
            "start_date": tl_date(e.starts_on, e.date_precision),
            "end_date": tl_date(e.ends_on, e.date_precision),
            "text": {"headline": html.escape(e.title)},
        }
        for e in events
        if e.ends_on is not None
    ]
    if eras:
        data["eras"] = eras
    return data


def export_timeline(
    session: Session,
    *,
    topic_id: int | None = None,
    actor_ids: Collection[int] | None = None,
    statuses: Collection[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> bytes:
    """One TimelineJS file with the statements and the events of the same filters."""
    rows = statement_rows(
        session, topic_id=topic_id, actor_ids=actor_ids, statuses=statuses, start=start, end=end
    )
    events = event_rows(session, topic_id=topic_id, actor_ids=actor_ids, start=start, end=end)
    topics = {t.id: t for t in list_topics(session)}
    topic = topics.get(topic_id) if topic_id is not None else None
    return _json_bytes(
        timelinejs(
            rows,
            events,
            headline=topic.title if topic else "Stated positions and events",
            text=topic.proposition if topic else "",
        )
    )
