"""Append-only history of statements, events and topics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from tracker.models import Revision, User


def snapshot_of(row: SQLModel, **extra: Any) -> dict[str, Any]:
    """A JSON-safe copy of a row's columns (dates as ISO strings), plus related data."""
    data: dict[str, Any] = {}
    for key, value in row.model_dump().items():
        data[key] = value.isoformat() if isinstance(value, date | datetime) else value
    data.update(extra)
    return data


def record_revision(
    session: Session,
    *,
    entity_type: str,
    entity_id: int,
    action: str,
    snapshot: dict[str, Any],
    user_id: int | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        Revision(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            snapshot=snapshot,
            user_id=user_id,
            reason=reason,
        )
    )


@dataclass(frozen=True)
class RevisionView:
    id: int
    action: str
    at: datetime
    username: str | None
    reason: str | None
    snapshot: dict[str, Any]


def history(session: Session, entity_type: str, entity_id: int) -> list[RevisionView]:
    rows = session.exec(
        select(Revision, User.username)
        .join(User, col(Revision.user_id) == col(User.id), isouter=True)
        .where(Revision.entity_type == entity_type, Revision.entity_id == entity_id)
        .order_by(col(Revision.id))
    ).all()
    return [
        RevisionView(
            id=rev.id or 0,
            action=rev.action,
            at=rev.at,
            username=username,
            reason=rev.reason,
            snapshot=rev.snapshot,
        )
        for rev, username in rows
    ]


# --- differences between versions ---------------------------------------------------------

# Fields shown in a history, in this order, with the label a reader sees. Bookkeeping
# (ids, timestamps the revision itself records) is left out.
FIELD_LABELS: dict[str, str] = {
    "slug": "Slug",
    "title": "Title",
    "proposition": "Proposition",
    "topic_id": "Topic",
    "actor_id": "Country or bloc",
    "speaker_id": "Speaker",
    "speaker_role": "Role at the time",
    "target_actor_id": "Addressed to",
    "said_on": "Date said",
    "starts_on": "Start",
    "ends_on": "End",
    "date_precision": "Date known to the",
    "category": "Category",
    "quote": "Quote",
    "language": "Language",
    "translation": "Translation",
    "summary": "Summary",
    "description": "Description",
    "stance": "Stance",
    "channel": "Channel",
    "status": "Status",
    "contributor_id": "Filed by",
    "reviewer_id": "Reviewed by",
    "review_note": "Review note",
    "superseded_by_id": "Superseded by",
    "deleted_at": "Deleted",
    "actor_ids": "Countries involved",
    "topic_ids": "Topics",
    "news_item_ids": "Linked news items",
    "levels": "Stance scale",
    "sources": "Sources",
}

_REFERENCES = {
    "topic_id": "topic",
    "topic_ids": "topic",
    "actor_id": "actor",
    "target_actor_id": "actor",
    "actor_ids": "actor",
    "speaker_id": "speaker",
    "contributor_id": "user",
    "reviewer_id": "user",
    "news_item_ids": "news",
}

EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    """One revision and what it changed compared with the version before it.

    ``applied`` is False for a proposed edit: its snapshot is the version proposed, which the
    record only takes if a reviewer accepts it; later entries are compared with the last
    applied version.
    """

    id: int
    action: str
    at: datetime
    username: str | None
    reason: str | None
    applied: bool
    changes: list[FieldChange]
    snapshot: dict[str, Any]


def reference_names(session: Session, snapshots: list[dict[str, Any]]) -> dict[str, dict[int, str]]:
    from tracker.models import Actor, NewsItem, Speaker, Topic

    wanted: dict[str, set[int]] = {kind: set() for kind in set(_REFERENCES.values())}
    for snap in snapshots:
        for key, kind in _REFERENCES.items():
            value = snap.get(key)
            if isinstance(value, int):
                wanted[kind].add(value)
            elif isinstance(value, list):
                wanted[kind].update(v for v in value if isinstance(v, int))
    found: dict[str, dict[int, str]] = {kind: {} for kind in wanted}
    tables: dict[str, tuple[Any, Any]] = {
        "topic": (Topic.id, Topic.title),
        "actor": (Actor.id, Actor.name),
        "speaker": (Speaker.id, Speaker.name),
        "user": (User.id, User.username),
        "news": (NewsItem.id, NewsItem.title),
    }
    for kind, ids in wanted.items():
        if not ids:
            continue
        id_col, name_col = tables[kind]
        for row_id, name in session.exec(select(id_col, name_col).where(col(id_col).in_(ids))):
            found[kind][row_id] = str(name)
    return found


def _text(key: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    kind = _REFERENCES.get(key)
    if kind is not None:
        values = value if isinstance(value, list) else [value]
        return ", ".join(names[kind].get(v, f"#{v}") for v in values)
    if key == "superseded_by_id":
        return f"statement #{value}"
    if key == "stance" and isinstance(value, int):
        return f"{value:+d}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def source_text(source: dict[str, Any]) -> str:
    """One source of a snapshot as a plain line of text."""
    parts = [
        str(source[k])
        for k in ("url", "citation", "publisher", "title", "published_on", "archive_url")
        if source.get(k)
    ]
    return " · ".join(parts) or EMPTY


def _flatten(
    snapshot: dict[str, Any] | None, names: dict[str, dict[int, str]]
) -> dict[str, tuple[str, str]]:
    """``key -> (label, text)`` for every shown field; lists of sources and levels per item."""
    out: dict[str, tuple[str, str]] = {}
    if snapshot is None:
        return out
    for key, label in FIELD_LABELS.items():
        if key not in snapshot:
            continue
        value = snapshot[key]
        if key == "sources":
            for i, source in enumerate(value or []):
                out[f"sources.{i}"] = (f"Source {i + 1}", source_text(source))
        elif key == "levels":
            for level in value or []:
                out[f"levels.{level['value']}"] = (
                    f"Level {level['value']:+d}",
                    f"{level['label']}: {level.get('rule') or ''}".rstrip(": "),
                )
        else:
            out[key] = (label, _text(key, value, names))
    return out


def diff_snapshots(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    names: dict[str, dict[int, str]] | None = None,
) -> list[FieldChange]:
    """The fields that differ between two snapshots (all non-empty ones when ``before`` is
    None), in the order of FIELD_LABELS."""
    names = names or {kind: {} for kind in set(_REFERENCES.values())}
    old, new = _flatten(before, names), _flatten(after, names)
    changes = []
    for key in dict.fromkeys([*new, *old]):
        label, after_text = new[key] if key in new else (old[key][0], EMPTY)
        before_text = old[key][1] if key in old else EMPTY
        if before_text != after_text:
            changes.append(FieldChange(key, label, before_text, after_text))
    return changes


def history_with_changes(session: Session, entity_type: str, entity_id: int) -> list[HistoryEntry]:
    """The whole history of one statement, event or topic, oldest first, each entry with the
    differences from the last applied version before it."""
    revisions = history(session, entity_type, entity_id)
    names = reference_names(session, [r.snapshot for r in revisions])
    entries: list[HistoryEntry] = []
    baseline: dict[str, Any] | None = None
    for rev in revisions:
        applied = rev.action != "propose"
        entries.append(
            HistoryEntry(
                id=rev.id,
                action=rev.action,
                at=rev.at,
                username=rev.username,
                reason=rev.reason,
                applied=applied,
                changes=diff_snapshots(baseline, rev.snapshot, names),
                snapshot=rev.snapshot,
            )
        )
        if applied:
            baseline = rev.snapshot
    return entries


def latest_revision_id(session: Session, entity_type: str, entity_id: int) -> int | None:
    return session.exec(
        select(Revision.id)
        .where(Revision.entity_type == entity_type, Revision.entity_id == entity_id)
        .order_by(col(Revision.id).desc())
        .limit(1)
    ).first()


def get_revision(
    session: Session, entity_type: str, entity_id: int, revision_id: int
) -> Revision | None:
    rev = session.get(Revision, revision_id)
    if rev is None or rev.entity_type != entity_type or rev.entity_id != entity_id:
        return None
    return rev
