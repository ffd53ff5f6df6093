"""Full-text search over news items and statements, on SQLite (FTS5) and PostgreSQL (tsvector).

One function, :func:`search`, for both engines. What a person types is parsed here into a small
query language, and the engine modules (:mod:`tracker.search_sqlite`, :mod:`tracker.search_pg`)
build their own query from the parsed terms with every word passed as data, so no input can
break the query or reach the engine's own syntax:

- words are all required: ``nuclear talks``;
- ``"a phrase"`` matches the words in that order (an unclosed quote runs to the end);
- ``word*`` matches words starting with ``word`` (also ``"a phra"*``);
- ``OR`` (in capitals) between two terms matches either; ``-word`` / ``-"a phrase"`` leaves
  out what contains it;
- everything else (``NEAR(``, ``:``, ``(``, ``AND``, quotes inside words…) is plain text.

Snippets are plain text with the matched character ranges alongside, never HTML: pages mark
them up themselves, after escaping.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, cast

from sqlalchemy import exists, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause, Select
from sqlmodel import Session, col

from tracker.feeds.sanitize import html_to_text
from tracker.models import Actor, Feed, NewsItem, NewsItemActor, Statement
from tracker.statements import list_statements
from tracker.timeutil import as_utc

KINDS: Final = ("news", "statement")
MAX_QUERY_CHARS: Final = 500
MAX_TERMS: Final = 16
MAX_LIMIT: Final = 100
MAX_OFFSET: Final = 1000
# Counting every match of a very common word costs as much as ranking them all: count up to
# this many and say "more than" beyond.
COUNT_CAP: Final = 1000
SNIPPET_CHARS: Final = 240
# Ranking reads every match: beyond this many matching news items, only the most recent this
# many are ranked (a first page in milliseconds rather than a second for the commonest words).
RANK_WINDOW: Final = 10_000
ORDERS: Final = ("relevance", "newest")

Span = tuple[int, int]


# --- the parsed query --------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One thing to look for: a word or a phrase, optionally a prefix."""

    text: str
    words: tuple[str, ...]
    phrase: bool = False
    prefix: bool = False

    def label(self) -> str:
        shown = f'"{self.text}"' if self.phrase else self.text
        return shown + ("*" if self.prefix else "")


@dataclass(frozen=True)
class ParsedQuery:
    """All ``groups`` must match (each group: any of its terms); no ``excluded`` term may."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.groups

    @property
    def positive_terms(self) -> list[Term]:
        return [t for group in self.groups for t in group]

    def describe(self) -> str:
        parts = [" OR ".join(t.label() for t in group) for group in self.groups]
        parts += [f"-{t.label()}" for t in self.excluded]
        return " ".join(parts)


def _is_token_char(ch: str) -> bool:
    # What FTS5's unicode61 tokenizer (with categories 'L* N* Co M*') keeps inside a word.
    category = unicodedata.category(ch)
    return category[0] in "LNM" or category == "Co"


def _fold(word: str) -> str:
    """Case-fold and drop Latin diacritics, as the SQLite tokenizer does (é → e)."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    kept = "".join(ch for ch in decomposed if not 0x0300 <= ord(ch) <= 0x036F)
    return unicodedata.normalize("NFC", kept)


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """The words of ``text`` as (start, end, folded word)."""
    out: list[tuple[int, int, str]] = []
    start: int | None = None
    for i, ch in enumerate(text):
        if _is_token_char(ch):
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i, _fold(text[start:i])))
            start = None
    if start is not None:
        out.append((start, len(text), _fold(text[start:])))
    return out


def _term(text: str, *, phrase: bool, prefix: bool) -> Term | None:
    words = tuple(w for _, _, w in word_spans(text))
    if not words:
        return None
    clean = " ".join(text.split())
    return Term(text=clean, words=words, phrase=phrase or len(words) > 1, prefix=prefix)


@dataclass
class _Item:
    term: Term | None = None
    negated: bool = False
    is_or: bool = False


def _lex(query: str) -> list[_Item]:
    items: list[_Item] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        if ch == "-" and i + 1 < n and not query[i + 1].isspace():
            negated = True
            i += 1
            ch = query[i]
        if ch == '"':
            end = query.find('"', i + 1)
            end = n if end == -1 else end
            body = query[i + 1 : end]
            i = end + 1
            prefix = i < n and query[i] == "*"
            while i < n and query[i] == "*":
                i += 1
            items.append(_Item(_term(body, phrase=True, prefix=prefix), negated))
            continue
        start = i
        while i < n and not query[i].isspace() and query[i] != '"':
            i += 1
        word = query[start:i]
        if word == "OR" and not negated:
            items.append(_Item(is_or=True))
            continue
        if word == "AND" and not negated:
            continue  # words are all required anyway
        prefix = word.endswith("*")
        items.append(_Item(_term(word.rstrip("*"), phrase=False, prefix=prefix), negated))
    return items


def parse_query(raw: str | None) -> ParsedQuery:
    """Parse what someone typed; never fails, and says in ``notes`` what it left out."""
    text = (raw or "").replace("\x00", " ")
    notes: list[str] = []
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"Only the first {MAX_QUERY_CHARS} characters of the query were used.")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    count = 0
    for item in _lex(text):
        if item.is_or:
            pending_or = bool(groups)
            continue
        term = item.term
        if term is None:
            continue
        if count >= MAX_TERMS:
            notes.append(f"Only the first {MAX_TERMS} words or phrases were used.")
            break
        count += 1
        if item.negated:
            excluded.append(term)
        elif pending_or and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if not groups and excluded:
        notes.append("Add a word to look for: a leading '-' only leaves words out.")
        excluded = []
    return ParsedQuery(
        groups=tuple(tuple(g) for g in groups),
        excluded=tuple(excluded),
        notes=tuple(dict.fromkeys(notes)),
    )


# --- highlighting ------------------------------------------------------------------------


@dataclass(frozen=True)
class Highlighted:
    """Plain text and the (start, end) character ranges that matched the query."""

    text: str
    spans: tuple[Span, ...] = ()

    def marked(self, open_mark: str = "«", close_mark: str = "»") -> str:
        """The text with each match between markers (for terminals and logs)."""
        out: list[str] = []
        last = 0
        for start, end in self.spans:
            out += [self.text[last:start], open_mark, self.text[start:end], close_mark]
            last = end
        out.append(self.text[last:])
        return "".join(out)

    def parts(self) -> list[tuple[str, bool]]:
        """The text as (piece, matched) pairs, for pages that style the matches."""
        out: list[tuple[str, bool]] = []
        last = 0
        for start, end in self.spans:
            if start > last:
                out.append((self.text[last:start], False))
            out.append((self.text[start:end], True))
            last = end
        if last < len(self.text):
            out.append((self.text[last:], False))
        return out


def _term_matches(words: list[tuple[int, int, str]], term: Term) -> list[Span]:
    spans: list[Span] = []
    size = len(term.words)
    for i in range(len(words) - size + 1):
        ok = True
        for j, wanted in enumerate(term.words):
            found = words[i + j][2]
            last = j == size - 1
            if not (found == wanted or (last and term.prefix and found.startswith(wanted))):
                ok = False
                break
        if ok:
            spans.append((words[i][0], words[i + size - 1][1]))
    return spans


def match_spans(text: str, terms: Sequence[Term]) -> list[Span]:
    """Where ``terms`` occur in ``text``: sorted, non-overlapping character ranges."""
    if not text or not terms:
        return []
    words = word_spans(text)
    found = sorted(span for term in terms for span in _term_matches(words, term))
    merged: list[Span] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: Sequence[Term]) -> Highlighted:
    return Highlighted(text, tuple(match_spans(text, terms)))


def snippet(text: str, terms: Sequence[Term], size: int = SNIPPET_CHARS) -> Highlighted:
    """About ``size`` characters of ``text`` around its first match, cut at word boundaries."""
    spans = match_spans(text, terms)
    if len(text) <= size:
        return Highlighted(text, tuple(spans))
    anchor = spans[0][0] if spans else 0
    start = max(0, anchor - size // 4)
    if start > 0:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space != -1 and start - space < 30 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start + size // 2, end)
        end = space if space != -1 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    kept = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if e > start and s < end
    )
    return Highlighted(prefix + text[start:end] + suffix, kept)


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "news" or "statement"
    id: int
    title: Highlighted
    snippet: Highlighted
    day: date
    precision: str  # how precisely ``day`` is known: day, month or year
    score: float  # higher is better; comparable within one engine only
    url: str | None = None
    actor_codes: list[str] = field(default_factory=list)
    source: str | None = None  # the feed's title, or the statement's speaker
    status: str | None = None  # statements: pending, verified…
    topic_title: str | None = None
    stance_label: str | None = None


@dataclass(frozen=True)
class SearchPage:
    query: str
    parsed: ParsedQuery
    hits: list[SearchHit]
    total: int  # matches, counted up to COUNT_CAP for each kind
    total_capped: bool  # True when there are more than ``total``
    offset: int
    limit: int
    notes: list[str] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total or (
            self.total_capped and len(self.hits) == self.limit
        )

    @property
    def total_text(self) -> str:
        return f"more than {self.total:,}" if self.total_capped else f"{self.total:,}"


@dataclass(frozen=True)
class Match:
    """What an engine module contributes: where matches come from and how they score."""

    source: FromClause  # the FTS5 table, or the base table itself on PostgreSQL
    id_col: ColumnElement[int]
    condition: ColumnElement[bool]
    score: ColumnElement[float]  # higher is better
    is_base_table: bool


@dataclass(frozen=True)
class RawHit:
    kind: str
    id: int
    score: float
    when: float = 0.0  # a sort key for "newest": POSIX seconds


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...]
    actor_ids: tuple[int, ...] | None
    start: date | None
    end: date | None
    statuses: tuple[str, ...] | None


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def search(
    session: Session,
    query: str | None,
    *,
    kinds: Collection[str] = KINDS,
    actor_ids: Collection[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 20,
    offset: int = 0,
    order: str = "relevance",
    statuses: Collection[str] | None = None,
) -> SearchPage:
    """One page of news items and statements matching ``query``, best first (or newest first).

    Best first: ranked by bm25 (SQLite) or ts_rank (PostgreSQL), titles weighing more; when
    more than RANK_WINDOW news items match, among the most recent RANK_WINDOW of them (a note
    says so). Newest first: news items by when they were collected, statements by the day said.

    ``actor_ids``: news items that mention any of them, statements made by any of them.
    ``start``/``end`` (inclusive): the day a news item was published (else fetched), the day a
    statement was made. ``statuses``: of statements (default: any). Soft-deleted statements are
    never found. Reads only.
    """
    parsed = parse_query(query)
    notes = list(parsed.notes)
    limit = _clamp(limit, 1, MAX_LIMIT)
    if offset > MAX_OFFSET:
        notes.append(f"Results stop after the first {MAX_OFFSET:,}: narrow the search instead.")
    offset = _clamp(offset, 0, MAX_OFFSET)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        notes.append(f"Unknown kind {unknown[0]!r} ignored: use news or statement.")
    if order not in ORDERS:
        notes.append(f"Unknown order {order!r}: showing the best matches first.")
        order = "relevance"
    filters = Filters(
        kinds=tuple(k for k in KINDS if k in kinds),
        actor_ids=tuple(actor_ids) if actor_ids is not None else None,
        start=start,
        end=end,
        statuses=tuple(statuses) if statuses is not None else None,
    )
    empty = SearchPage(
        query=query or "",
        parsed=parsed,
        hits=[],
        total=0,
        total_capped=False,
        offset=offset,
        limit=limit,
        notes=notes,
    )
    if parsed.empty or not filters.kinds or (actor_ids is not None and not filters.actor_ids):
        return empty
    if start is not None and end is not None and end < start:
        notes.append("The end of the period is before its start.")
        return empty

    wanted = offset + limit
    raw: list[RawHit] = []
    total, capped = 0, False
    for kind in filters.kinds:
        match = _engine_match(session, kind, parsed)
        found, windowed = _find(session, kind, match, filters, order=order, limit=wanted)
        raw += found
        if windowed:
            notes.append(
                f"These words are in a great many news items: the best matches among the "
                f"{RANK_WINDOW:,} most recent are shown. Add a word to narrow the search."
            )
        count, more = _count(session, kind, match, filters)
        total += count
        capped = capped or more
    if order == "newest":
        raw.sort(key=lambda h: (-h.when, h.kind, -h.id))
    else:
        raw.sort(key=lambda h: (-h.score, h.kind, -h.id))
    page = raw[offset:wanted]
    hits = _load_hits(session, page, parsed)
    return SearchPage(
        query=query or "",
        parsed=parsed,
        hits=hits,
        total=total,
        total_capped=capped,
        offset=offset,
        limit=limit,
        notes=notes,
    )


# --- the engine-independent part of the query --------------------------------------------


def _engine_match(session: Session, kind: str, parsed: ParsedQuery) -> Match:
    if session.get_bind().dialect.name == "sqlite":
        from tracker import search_sqlite

        return search_sqlite.match(kind, parsed)
    from tracker import search_pg

    return search_pg.match(kind, parsed)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(
    kind: str, match: Match, filters: Filters, columns: list[Any], *, need_base: bool
) -> Select[Any]:
    """``columns`` from the matches of ``kind`` that pass ``filters``."""
    query = select(*columns).select_from(match.source).where(match.condition)
    if kind == "news":
        shown = func.coalesce(col(NewsItem.published_at), col(NewsItem.fetched_at))
        dated = filters.start is not None or filters.end is not None
        if not match.is_base_table and (need_base or dated):
            query = query.join(NewsItem, col(NewsItem.id) == match.id_col)
        if filters.start is not None:
            query = query.where(shown >= _day_start(filters.start))
        if filters.end is not None:
            query = query.where(shown < _day_start(filters.end + timedelta(days=1)))
        if filters.actor_ids is not None:
            query = query.where(
                exists().where(
                    col(NewsItemActor.news_item_id) == match.id_col,
                    col(NewsItemActor.actor_id).in_(filters.actor_ids),
                )
            )
        return query
    if not match.is_base_table:
        query = query.join(Statement, col(Statement.id) == match.id_col)
    query = query.where(col(Statement.deleted_at).is_(None))
    if filters.start is not None:
        query = query.where(col(Statement.said_on) >= filters.start)
    if filters.end is not None:
        query = query.where(col(Statement.said_on) <= filters.end)
    if filters.actor_ids is not None:
        query = query.where(col(Statement.actor_id).in_(filters.actor_ids))
    if filters.statuses is not None:
        query = query.where(col(Statement.status).in_(filters.statuses))
    return query


def _find(
    session: Session, kind: str, match: Match, filters: Filters, *, order: str, limit: int
) -> tuple[list[RawHit], bool]:
    """The best (or newest) ``limit`` matches of ``kind``; and whether ranking was windowed."""
    if order == "newest":
        when: ColumnElement[Any]
        if kind == "news":
            # Newest collected first: the index's own order, so it stops after ``limit`` rows.
            when = func.coalesce(col(NewsItem.published_at), col(NewsItem.fetched_at))
            ordering = [match.id_col.desc()]
        else:
            when = cast(ColumnElement[Any], col(Statement.said_on))
            ordering = [when.desc(), match.id_col.desc()]
        query = _filtered(
            kind, match, filters, [match.id_col, match.score, when], need_base=True
        ).order_by(*ordering)
        rows = session.execute(query.limit(limit)).all()
        return [RawHit(kind, int(i), float(s or 0.0), _seconds(w)) for i, s, w in rows], False
    query = _filtered(kind, match, filters, [match.id_col, match.score], need_base=False)
    windowed = False
    if kind == "news":
        # Ranking costs time in proportion to the matches: for words in a large share of a
        # million items, rank only the RANK_WINDOW most recent matches.
        nth = _filtered(kind, match, filters, [match.id_col], need_base=False)
        nth = nth.order_by(match.id_col.desc()).offset(RANK_WINDOW - 1).limit(1)
        floor = session.execute(nth).scalar()
        if floor is not None:
            query = query.where(match.id_col >= floor)
            windowed = True
    ordered = query.order_by(match.score.desc(), match.id_col.desc())
    rows = session.execute(ordered.limit(limit)).all()
    return [RawHit(kind, int(i), float(s or 0.0)) for i, s in rows], windowed


def _seconds(value: date | datetime | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, datetime):
        return as_utc(value).timestamp()
    return _day_start(value).timestamp()


def _count(session: Session, kind: str, match: Match, filters: Filters) -> tuple[int, bool]:
    """How many rows match, up to COUNT_CAP; and whether there are more."""
    inner = _filtered(kind, match, filters, [match.id_col], need_base=False).limit(COUNT_CAP + 1)
    found = session.execute(select(func.count()).select_from(inner.subquery())).scalar_one()
    return (COUNT_CAP, True) if found > COUNT_CAP else (int(found), False)


# --- turning ids into hits ---------------------------------------------------------------


def _load_hits(session: Session, page: list[RawHit], parsed: ParsedQuery) -> list[SearchHit]:
    terms = parsed.positive_terms
    news_ids = [h.id for h in page if h.kind == "news"]
    statement_ids = [h.id for h in page if h.kind == "statement"]
    loaded: dict[tuple[str, int], SearchHit] = {}
    if news_ids:
        for hit in _news_hits(session, news_ids, terms, page):
            loaded[("news", hit.id)] = hit
    if statement_ids:
        for hit in _statement_hits(session, statement_ids, terms, page):
            loaded[("statement", hit.id)] = hit
    # A row deleted between the match and the load is simply left out.
    return [loaded[(h.kind, h.id)] for h in page if (h.kind, h.id) in loaded]


def _scores(page: list[RawHit], kind: str) -> dict[int, float]:
    return {h.id: h.score for h in page if h.kind == kind}


def _news_hits(
    session: Session, ids: list[int], terms: list[Term], page: list[RawHit]
) -> list[SearchHit]:
    scores = _scores(page, "news")
    rows = session.execute(
        select(
            col(NewsItem.id),
            col(NewsItem.title),
            col(NewsItem.url),
            col(NewsItem.summary),
            col(NewsItem.published_at),
            col(NewsItem.fetched_at),
            col(Feed.title),
            col(Feed.url),
        )
        .outerjoin(Feed, col(Feed.id) == col(NewsItem.feed_id))
        .where(col(NewsItem.id).in_(ids))
    ).all()
    codes: dict[int, list[str]] = {i: [] for i in ids}
    for item_id, code in session.execute(
        select(col(NewsItemActor.news_item_id), col(Actor.code))
        .join(Actor, col(Actor.id) == col(NewsItemActor.actor_id))
        .where(col(NewsItemActor.news_item_id).in_(ids))
        .order_by(col(Actor.code))
    ).all():
        codes[item_id].append(code)
    hits = []
    for item_id, title, url, summary, published, fetched, feed_title, feed_url in rows:
        shown = as_utc(published) if published is not None else as_utc(fetched)
        title_text = html_to_text(title) or "(untitled)"
        body = html_to_text(summary) if summary else ""
        hits.append(
            SearchHit(
                kind="news",
                id=item_id,
                title=highlight(title_text, terms),
                snippet=snippet(body, terms),
                day=shown.date(),
                precision="day",
                score=scores.get(item_id, 0.0),
                url=url,
                actor_codes=codes.get(item_id, []),
                source=feed_title or feed_url or "from a file",
            )
        )
    return hits


def _statement_hits(
    session: Session, ids: list[int], terms: list[Term], page: list[RawHit]
) -> list[SearchHit]:
    scores = _scores(page, "statement")
    hits = []
    for st in list_statements(session, ids=ids):
        title_text = st.summary or _first_words(st.quote or st.translation or "")
        speaker = ", ".join(p for p in (st.speaker_name, st.speaker_role) if p) or None
        candidates = [st.quote or "", st.translation or "", st.summary or "", speaker or ""]
        body = next((t for t in candidates if match_spans(t, terms)), st.quote or st.translation)
        first_url = next((s.url for s in st.sources if s.url), None)
        hits.append(
            SearchHit(
                kind="statement",
                id=st.id,
                title=highlight(f"{st.actor_name}: {title_text}", terms),
                snippet=snippet(body or "", terms),
                day=st.said_on,
                precision=st.date_precision,
                score=scores.get(st.id, 0.0),
                url=first_url,
                actor_codes=[st.actor_code],
                source=speaker,
                status=st.status,
                topic_title=st.topic_title,
                stance_label=st.stance_label,
            )
        )
    return hits


def _first_words(text: str, limit: int = 120) -> str:
    clean = " ".join(text.split())
    if len(clean) <= limit:
        return clean
    cut = clean.rfind(" ", 0, limit)
    return clean[: cut if cut > 0 else limit] + "…"
