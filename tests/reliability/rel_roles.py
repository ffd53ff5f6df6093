"""Shared by the access tests: the roles, a fingerprint of a whole database, and the tables
the tests print.

The fingerprint is what "stores nothing" is checked against: every row of every table, not
only their counts, so a refused call that changed a status or a role in place shows too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlmodel import Session, SQLModel

import tracker.models  # noqa: F401  (registers every table in SQLModel.metadata)

ANONYMOUS = "anonymous"
CONTRIBUTOR = "contributor"
REVIEWER = "reviewer"
ADMIN = "admin"
ROLES = (ANONYMOUS, CONTRIBUTOR, REVIEWER, ADMIN)

ALLOWED = "allowed"
REFUSED = "refused"

Fingerprint = dict[str, tuple[int, str]]


def fingerprint(session: Session) -> Fingerprint:
    """Per table: its row count and a digest of all its rows in primary-key order."""
    conn = session.connection()
    found: Fingerprint = {}
    for table in SQLModel.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = conn.execute(select(table).order_by(*order)).all()
        digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        found[table.name] = (len(rows), digest)
    return found


def changed_tables(before: Fingerprint, after: Fingerprint) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def table(
    title: str,
    rows: Mapping[str, Mapping[str, str]],
    columns: Sequence[str],
    *,
    first: str = "",
) -> str:
    """A plain-text table: one line per row name, one column per name in ``columns``."""
    names = list(rows)
    width = max([len(first), *(len(n) for n in names)])
    widths = [max(len(c), *(len(rows[n].get(c, "")) for n in names)) for c in columns]
    lines = [title, ""]
    lines.append(
        " | ".join(
            [first.ljust(width), *(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
        )
    )
    lines.append("-+-".join(["-" * width, *("-" * w for w in widths)]))
    for n in names:
        cells = (rows[n].get(c, "").ljust(w) for c, w in zip(columns, widths, strict=True))
        lines.append(" | ".join([n.ljust(width), *cells]))
    return "\n".join(lines)


def allowed_cells(allowed: Iterable[str], columns: Sequence[str]) -> dict[str, str]:
    """One expected row: ``allowed`` for the listed columns, ``refused`` for the others."""
    wanted = set(allowed)
    return {c: ALLOWED if c in wanted else REFUSED for c in columns}
