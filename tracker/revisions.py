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
