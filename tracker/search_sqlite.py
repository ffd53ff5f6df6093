"""The SQLite side of :mod:`tracker.search`: FTS5 tables kept by triggers (migration 0003).

The MATCH string is built here from parsed terms, each one a quoted FTS5 string (``"` doubled),
so nothing typed can become an FTS5 operator, column filter or ``NEAR`` group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Float, Integer, column, table, text

from tracker.search import Match, ParsedQuery, Term

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

FTS_TABLES = {"news": "news_item_fts", "statement": "statement_fts"}


def fts_string(term: Term) -> str:
    """One term as an FTS5 string: the tokenizer splits it into the same words as the index."""
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + " *" if term.prefix else quoted


def match_expression(parsed: ParsedQuery) -> str:
    """The full FTS5 query: every group required, excluded terms left out."""
    groups = ["(" + " OR ".join(fts_string(t) for t in group) + ")" for group in parsed.groups]
    expression = " AND ".join(groups)
    if parsed.excluded:
        expression = (
            f"({expression}) NOT (" + " OR ".join(fts_string(t) for t in parsed.excluded) + ")"
        )
    return expression


def match(kind: str, parsed: ParsedQuery) -> Match:
    name = FTS_TABLES[kind]
    fts = table(name, column("rowid", Integer), column("rank", Float))
    condition: ColumnElement[bool] = text(f"{name} MATCH :fts_query").bindparams(
        fts_query=match_expression(parsed)
    )  # type: ignore[assignment]
    # bm25 (through the table's configured rank) is lower for better matches.
    return Match(
        source=fts,
        id_col=fts.c.rowid,
        condition=condition,
        score=-fts.c.rank,
        is_base_table=False,
    )
