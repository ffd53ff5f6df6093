"""Position shifts: statements whose stance differs from the same actor's previous statement on
the topic, with both statements, newest first.

"Previous" means the actor's statement just before it among those the filter keeps (same
topic, dates, channels, speakers, words), counting only statements that hold a position
(verified or pending), ordered by the date said and then by id.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from tracker.models import Statement
from tracker.statements import StatementView, list_statements
from tracker.timeline import TimelineFilter, filter_conditions

DEFAULT_LIMIT = 30


@dataclass(frozen=True)
class PositionShift:
    before: StatementView
    after: StatementView

    @property
    def change(self) -> int:
        """How far the stance moved: positive towards the proposition, negative away."""
        return self.after.stance - self.before.stance


@dataclass(frozen=True)
class ShiftList:
    total: int  # how many shifts the filter has, of which ``shifts`` holds the newest
    shifts: list[PositionShift]


def shift_pairs(session: Session, f: TimelineFilter) -> list[tuple[int, int]]:
    """Every shift as (previous statement id, statement id), newest first. One query."""
    held = f.held()
    if held.matches_nothing:
        return []
    by_actor = col(Statement.actor_id)
    in_order = (col(Statement.said_on), col(Statement.id))
    inner = (
        select(
            col(Statement.id),
            col(Statement.said_on),
            col(Statement.stance),
            func.lag(col(Statement.stance))
            .over(partition_by=by_actor, order_by=in_order)
            .label("previous_stance"),
            func.lag(col(Statement.id))
            .over(partition_by=by_actor, order_by=in_order)
            .label("previous_id"),
        )
        .where(*filter_conditions(held))
        .subquery()
    )
    rows = session.execute(
        select(inner.c.previous_id, inner.c.id)
        .where(
            inner.c.previous_stance.is_not(None),
            inner.c.previous_stance != inner.c.stance,
        )
        .order_by(inner.c.said_on.desc(), inner.c.id.desc())
    ).all()
    return [(int(before), int(after)) for before, after in rows]


def position_shifts(
    session: Session, f: TimelineFilter, *, limit: int = DEFAULT_LIMIT
) -> ShiftList:
    """The newest ``limit`` shifts with both statements in full, and how many there are."""
    pairs = shift_pairs(session, f)
    shown = pairs[: max(limit, 0)]
    ids = {i for pair in shown for i in pair}
    views = {v.id: v for v in list_statements(session, ids=ids)} if ids else {}
    shifts = [
        PositionShift(before=views[before], after=views[after])
        for before, after in shown
        if before in views and after in views
    ]
    return ShiftList(total=len(pairs), shifts=shifts)
