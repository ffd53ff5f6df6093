"""Review: pending statements and proposed changes, verified or rejected by a reviewer.

Rules, checked here on every call whatever a page shows:
- only an enabled reviewer or admin reviews;
- nobody reviews their own work: a statement they filed or edited, a change they proposed;
- a rejection says why (the note is shown to the contributor);
- a proposed change to a verified statement replaces its content only when accepted, after
  every validation rule is checked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlmodel import Session, col, select

from tracker.errors import PermissionDenied, ValidationError
from tracker.models import (
    EditStatus,
    EntityType,
    RevisionAction,
    Statement,
    StatementEdit,
    StatementStatus,
    User,
)
from tracker.permissions import ADMINS, REVIEWERS, WRITERS, require_role
from tracker.revisions import FieldChange, diff_snapshots, record_revision, reference_names
from tracker.sources import SourceView
from tracker.statements import (
    StatementView,
    apply_proposal,
    check_note,
    get_statement,
    has_contributed,
    list_statements,
    statement_for_update,
    statement_snapshot,
)
from tracker.timeutil import utcnow
from tracker.validation import blank_to_none

Verdict = Literal["verified", "rejected"]


@dataclass(frozen=True)
class EditView:
    """A proposed change, with what it would change in the statement as it is now."""

    id: int
    statement_id: int
    status: str
    reason: str | None
    proposed_by: str | None
    proposed_by_id: int | None
    proposed_at: datetime
    reviewer: str | None
    review_note: str | None
    changes: list[FieldChange]
    sources: list[SourceView]


@dataclass(frozen=True)
class QueueItem:
    """One thing waiting for a reviewer: a new statement, or a change to a verified one."""

    kind: Literal["statement", "edit"]
    filed_at: datetime
    filed_by: str | None
    statement: StatementView
    edit: EditView | None = None


def _source_views(proposed: list[dict[str, object]]) -> list[SourceView]:
    def text(value: object) -> str | None:
        return str(value) if value else None

    views = []
    for s in proposed:
        published = s.get("published_on")
        views.append(
            SourceView(
                id=0,
                url=text(s.get("url")),
                citation=text(s.get("citation")),
                publisher=text(s.get("publisher")),
                title=text(s.get("title")),
                published_on=date.fromisoformat(str(published)) if published else None,
                archive_url=text(s.get("archive_url")),
            )
        )
    return views


def list_edits(
    session: Session,
    *,
    statement_id: int | None = None,
    statuses: tuple[str, ...] = (EditStatus.PENDING,),
) -> list[EditView]:
    """Proposed changes, oldest first, each compared with its statement's current content."""
    query = (
        select(StatementEdit)
        .where(col(StatementEdit.status).in_(statuses))
        .order_by(col(StatementEdit.proposed_at), col(StatementEdit.id))
    )
    if statement_id is not None:
        query = query.where(StatementEdit.statement_id == statement_id)
    edits = list(session.exec(query).all())
    if not edits:
        return []
    users = {
        u.id: u.username
        for u in session.exec(
            select(User).where(
                col(User.id).in_({e.proposed_by_id for e in edits} | {e.reviewer_id for e in edits})
            )
        ).all()
    }
    currents: dict[int, dict[str, object]] = {}
    for statement_id_ in {e.statement_id for e in edits}:
        statement = session.get(Statement, statement_id_)
        if statement is not None:
            currents[statement_id_] = statement_snapshot(session, statement)
    names = reference_names(session, [*currents.values(), *(e.proposed for e in edits)])
    views = []
    for e in edits:
        assert e.id is not None
        current = currents.get(e.statement_id, {})
        views.append(
            EditView(
                id=e.id,
                statement_id=e.statement_id,
                status=e.status,
                reason=e.reason,
                proposed_by=users.get(e.proposed_by_id),
                proposed_by_id=e.proposed_by_id,
                proposed_at=e.proposed_at,
                reviewer=users.get(e.reviewer_id),
                review_note=e.review_note,
                changes=diff_snapshots(current, {**current, **e.proposed}, names),
                sources=_source_views(list(e.proposed.get("sources") or [])),
            )
        )
    return views


def get_edit(session: Session, edit_id: int) -> EditView | None:
    edit = session.get(StatementEdit, edit_id)
    if edit is None:
        return None
    found = [
        e
        for e in list_edits(session, statement_id=edit.statement_id, statuses=tuple(EditStatus))
        if e.id == edit_id
    ]
    return found[0] if found else None


def review_queue(session: Session) -> list[QueueItem]:
    """Everything waiting for review, oldest first: pending statements and pending changes
    to verified statements (not deleted ones)."""
    items: list[QueueItem] = [
        QueueItem("statement", s.created_at, s.contributor, s)
        for s in list_statements(session, statuses=[StatementStatus.PENDING], oldest_first=True)
    ]
    edits = list_edits(session)
    statements = {
        s.id: s for s in list_statements(session, ids=sorted({e.statement_id for e in edits}))
    }
    for edit in edits:
        if edit.statement_id in statements:
            items.append(
                QueueItem(
                    "edit", edit.proposed_at, edit.proposed_by, statements[edit.statement_id], edit
                )
            )
    items.sort(key=lambda item: (item.filed_at, item.kind, item.statement.id))
    return items


def review_statement(
    session: Session,
    statement_id: int,
    *,
    user_id: int,
    verdict: Verdict,
    note: str | None = None,
) -> StatementView:
    """Verify or reject a pending statement. Flushes; the caller commits."""
    require_role(session, user_id, REVIEWERS, "review statements")
    statement = statement_for_update(session, statement_id)
    if statement.deleted_at is not None:
        raise ValidationError({"statement": "this statement was deleted"})
    if statement.status != StatementStatus.PENDING:
        raise ValidationError(
            {"statement": f"this statement is {statement.status}, not waiting for review"}
        )
    if has_contributed(session, statement_id, user_id):
        raise PermissionDenied("you filed or edited this statement: another reviewer must check it")
    problems: dict[str, str] = {}
    if verdict not in ("verified", "rejected"):
        problems["verdict"] = "verify or reject"
    check_note(
        problems,
        "note",
        note,
        required="say why it is rejected" if verdict == "rejected" else "",
    )
    if problems:
        raise ValidationError(problems)
    statement.status = verdict
    statement.reviewer_id = user_id
    statement.review_note = blank_to_none(note)
    statement.reviewed_at = utcnow()
    statement.updated_at = statement.reviewed_at
    session.add(statement)
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.STATEMENT,
        entity_id=statement_id,
        action=RevisionAction.REVIEW,
        snapshot=statement_snapshot(session, statement),
        user_id=user_id,
        reason=f"{verdict}: {blank_to_none(note)}" if blank_to_none(note) else verdict,
    )
    view = get_statement(session, statement_id)
    assert view is not None
    return view


def _pending_edit_for_update(session: Session, edit_id: int) -> StatementEdit:
    edit = session.get(StatementEdit, edit_id, with_for_update=True, populate_existing=True)
    if edit is None:
        raise ValidationError({"edit": f"there is no proposed change #{edit_id}"})
    if edit.status != EditStatus.PENDING:
        raise ValidationError({"edit": f"this change was already {edit.status}"})
    return edit


def review_edit(
    session: Session,
    edit_id: int,
    *,
    user_id: int,
    accept: bool,
    note: str | None = None,
) -> StatementView:
    """Accept (apply) or reject a proposed change to a verified statement."""
    require_role(session, user_id, REVIEWERS, "review changes")
    edit = _pending_edit_for_update(session, edit_id)
    if edit.proposed_by_id == user_id:
        raise PermissionDenied("you proposed this change: another reviewer must check it")
    statement = statement_for_update(session, edit.statement_id)
    if statement.deleted_at is not None:
        raise ValidationError({"edit": "the statement was deleted"})
    problems: dict[str, str] = {}
    check_note(problems, "note", note, required="" if accept else "say why it is rejected")
    if problems:
        raise ValidationError(problems)
    now = utcnow()
    proposer = session.get(User, edit.proposed_by_id) if edit.proposed_by_id else None
    by = f" by {proposer.username}" if proposer is not None else ""
    if accept:
        apply_proposal(session, statement, edit.proposed)
        statement.reviewer_id = user_id
        statement.review_note = blank_to_none(note)
        statement.reviewed_at = now
        session.add(statement)
        reason = f"accepted the change proposed{by} (change #{edit_id})"
    else:
        reason = f"rejected the change proposed{by} (change #{edit_id})"
    if blank_to_none(note):
        reason += f": {blank_to_none(note)}"
    edit.status = EditStatus.ACCEPTED if accept else EditStatus.REJECTED
    edit.reviewer_id = user_id
    edit.review_note = blank_to_none(note)
    edit.reviewed_at = now
    session.add(edit)
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.STATEMENT,
        entity_id=edit.statement_id,
        action=RevisionAction.REVIEW,
        snapshot=statement_snapshot(session, statement),
        user_id=user_id,
        reason=reason,
    )
    view = get_statement(session, edit.statement_id)
    assert view is not None
    return view


def withdraw_edit(session: Session, edit_id: int, *, user_id: int) -> StatementView:
    """The proposer (or an admin) takes back a change that is still waiting."""
    user = require_role(session, user_id, WRITERS, "withdraw changes")
    edit = _pending_edit_for_update(session, edit_id)
    if edit.proposed_by_id != user_id and user.role not in ADMINS:
        raise PermissionDenied("only who proposed a change, or an admin, can withdraw it")
    edit.status = EditStatus.WITHDRAWN
    edit.reviewer_id = user_id
    edit.reviewed_at = utcnow()
    session.add(edit)
    statement = session.get(Statement, edit.statement_id)
    assert statement is not None
    session.flush()
    record_revision(
        session,
        entity_type=EntityType.STATEMENT,
        entity_id=edit.statement_id,
        action=RevisionAction.REVIEW,
        snapshot=statement_snapshot(session, statement),
        user_id=user_id,
        reason=f"withdrew the proposed change #{edit_id}",
    )
    view = get_statement(session, edit.statement_id, include_deleted=True)
    assert view is not None
    return view
