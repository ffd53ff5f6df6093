"""The PostgreSQL side of :mod:`tracker.search`: ``tsvector`` columns with GIN indexes (0003).

Each term becomes ``phraseto_tsquery('simple', $n)`` with the text as a bound parameter, and the
terms are combined with ``tsquery_and`` / ``tsquery_or`` / ``tsquery_not``: the query string is
never written in tsquery syntax, so nothing typed can break it. A prefix term is the phrase's
own output (already quoted by PostgreSQL) with ``:*`` added to its last word.
"""

from __future__ import annotations

from typing import cast as cast_type

from sqlalchemy import Boolean, Float, Text, case, cast, func, literal, literal_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from tracker.models import NewsItem, Statement
from tracker.search import Match, ParsedQuery, Term

CONFIG = "'simple'::regconfig"


def term_query(term: Term) -> ColumnElement[str]:
    phrase = func.phraseto_tsquery(literal_column(CONFIG), literal(term.text, Text), type_=TSQUERY)
    if not term.prefix:
        return phrase
    as_prefix = cast(func.concat(cast(phrase, Text), literal(":*", Text)), TSQUERY)
    # An empty phrase has no word to extend; adding ':*' to '' would be a syntax error.
    return case((func.numnode(phrase) == 0, phrase), else_=as_prefix)


def _any(terms: tuple[Term, ...]) -> ColumnElement[str]:
    query = term_query(terms[0])
    for term in terms[1:]:
        query = func.tsquery_or(query, term_query(term), type_=TSQUERY)
    return query


def tsquery(parsed: ParsedQuery) -> ColumnElement[str]:
    query = _any(parsed.groups[0])
    for group in parsed.groups[1:]:
        query = func.tsquery_and(query, _any(group), type_=TSQUERY)
    if parsed.excluded:
        query = func.tsquery_and(
            query, func.tsquery_not(_any(parsed.excluded), type_=TSQUERY), type_=TSQUERY
        )
    return query


def match(kind: str, parsed: ParsedQuery) -> Match:
    if kind == "news":
        name, source = "news_item", sa_inspect(NewsItem).local_table
        id_col: ColumnElement[int] = cast_type(ColumnElement[int], col(NewsItem.id))
    else:
        name, source = "statement", sa_inspect(Statement).local_table
        id_col = cast_type(ColumnElement[int], col(Statement.id))
    vector = literal_column(f"{name}.search_vector", type_=TSVECTOR)
    query = tsquery(parsed)
    return Match(
        source=source,
        id_col=id_col,
        condition=vector.op("@@", return_type=Boolean)(query),
        score=func.ts_rank(vector, query, type_=Float),
        is_base_table=True,
    )
