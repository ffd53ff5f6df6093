"""Sources: the evidence behind statements and events."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from tracker.models import Source, SourceCreate
from tracker.validation import blank_to_none, check_date, check_http_url, check_length


@dataclass(frozen=True)
class SourceView:
    id: int
    url: str | None
    citation: str | None
    publisher: str | None
    title: str | None
    published_on: date | None
    archive_url: str | None


def clean_source(source: SourceCreate) -> SourceCreate:
    # Not validated again: a too-long title must reach source_problems as a message, not
    # raise here (found by tests/reliability/test_rel_fuzz.py).
    return SourceCreate.model_construct(
        url=blank_to_none(source.url),
        citation=blank_to_none(source.citation),
        publisher=blank_to_none(source.publisher),
        title=blank_to_none(source.title),
        published_on=source.published_on,
        accessed_on=source.accessed_on,
        archive_url=blank_to_none(source.archive_url),
    )


def source_problems(source: SourceCreate, *, today: date, prefix: str) -> dict[str, str]:
    """Problems with one (cleaned) source, keyed ``{prefix}.field``."""
    problems: dict[str, str] = {}
    if source.url is None and source.citation is None:
        problems[f"{prefix}.url"] = "give a URL, or a full citation for an offline document"
    for field, value in (("url", source.url), ("archive_url", source.archive_url)):
        problem = check_http_url(value)
        if problem:
            problems[f"{prefix}.{field}"] = problem
    for field, value, limit in (
        ("citation", source.citation, 2000),
        ("publisher", source.publisher, 200),
        ("title", source.title, 500),
    ):
        problem = check_length(value, limit)
        if problem:
            problems[f"{prefix}.{field}"] = problem
    for field, day in (("published_on", source.published_on), ("accessed_on", source.accessed_on)):
        if day is not None:
            problem = check_date(day, today=today, field_label=field.replace("_", " "))
            if problem:
                problems[f"{prefix}.{field}"] = problem
    return problems


def sources_by_owner(
    session: Session, *, statement_ids: Sequence[int] = (), event_ids: Sequence[int] = ()
) -> dict[tuple[str, int], list[SourceView]]:
    """Sources of many statements and events in one query, keyed (kind, id)."""
    out: dict[tuple[str, int], list[SourceView]] = defaultdict(list)
    conditions = []
    if statement_ids:
        conditions.append(col(Source.statement_id).in_(list(statement_ids)))
    if event_ids:
        conditions.append(col(Source.event_id).in_(list(event_ids)))
    if not conditions:
        return out
    for s in session.exec(select(Source).where(or_(*conditions)).order_by(col(Source.id))).all():
        key = ("statement", s.statement_id) if s.statement_id else ("event", s.event_id or 0)
        out[key].append(
            SourceView(
                id=s.id or 0,
                url=s.url,
                citation=s.citation,
                publisher=s.publisher,
                title=s.title,
                published_on=s.published_on,
                archive_url=s.archive_url,
            )
        )
    return out
