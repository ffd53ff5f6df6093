"""Reliability item 6 (injection), SQL side: metacharacters in every filter and in search.

Each payload of :data:`PAYLOADS` (quotes, comment markers, LIKE wildcards, backslashes, NUL,
FTS5 and tsquery syntax, a 10,000-character string…) is put into every text filter of the domain
query functions, on SQLite and on PostgreSQL (the ``session`` fixture). The database holds one
statement and one news item *containing* each payload, so a filter that lets a wildcard or an
operator through shows up as rows that should not match. For every (filter, payload):

- no exception other than our own ``TrackerError`` (with its clear message);
- the rows returned are exactly (or, for ranked search, only) those whose text contains the
  terms, checked against a plain-Python oracle over the stored rows;
- afterwards every table has the rows it had before (and SQLite's FTS indexes pass their
  integrity check): nothing was executed as SQL.

Which terms a filter box yields (``word_terms``, ``search_terms``, ``parse_query``) is each
parser's own, tested with its module; what is tested here is that the SQL built from them
matches exactly the rows that contain them. Prints the number of (filter x payload) pairs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlmodel import Session, SQLModel

from tracker.actors import actor_by_code, find_actor, sync_reference_actors
from tracker.auth import authenticate, create_user, user_by_name
from tracker.errors import TrackerError
from tracker.events import create_event, event_by_external_key
from tracker.exports import ExportError, export_events, export_statements, export_timeline
from tracker.feeds.parse import ParsedEntry
from tracker.feeds.registry import add_feed, find_feed_id
from tracker.feeds.store import store_entries
from tracker.feeds.tagging import ActorMatcher
from tracker.models import (
    EventCreate,
    NewsItem,
    SourceCreate,
    Statement,
    StatementCreate,
    TopicCreate,
)
from tracker.news_inbox import MAX_PAGE_SIZE, InboxFilters, list_inbox, search_terms
from tracker.positions import position_shifts
from tracker.review import review_queue
from tracker.search import parse_query, search, word_spans
from tracker.statements import create_statement, list_statements, statement_by_external_key
from tracker.timeline import (
    ALL_STATUSES,
    TimelineFilter,
    latest_stances,
    load_timeline,
    monthly_stances,
    rows_for,
    timeline_stats,
    word_terms,
)
from tracker.topics import create_topic, get_topic_by_slug
from tracker.ui.timeline_filters import parse_params

LONG = "x" * 10_000
PAYLOADS: list[str] = [
    "'",
    '"',
    ";",
    "--",
    "%",
    "_",
    "\\",
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR ""="',
    "'; DROP TABLE statement; --",
    "1; DELETE FROM news_item",
    "%' --",
    "%%",
    "_%_",
    "\\%",
    "\\_",
    "a%b",
    "a_b",
    "\x00",
    "talks\x00trade",
    "NEAR(",
    "NEAR(talks trade)",
    '"unbalanced',
    'unbalanced"',
    "*",
    "talk*",
    "AND OR NOT",
    "OR",
    "NOT talks",
    "-talks",
    "quote:talks",
    "^talks",
    "(",
    ")",
    "{talks}",
    "talks & trade | !x",
    "talks:*",
    "<->",
    "$1",
    ":name",
    "?",
    "%s",
    "/* c */",
    '\' UNION SELECT password_hash FROM "user" --',
    "E'\\x41'",
    "\t\n",
    "ǅ İ ß",
    "１００％",
    LONG,
]
# What a stored text may not hold on PostgreSQL (NUL) is filed without it; the filters get it.
STORABLE = [p for p in PAYLOADS if "\x00" not in p]
# Statuses, channels, slugs, codes and feed references reach the database only from
# command-line arguments, CSV cells (imports refuse files with NUL) or after a URL's values
# were checked against the known ones: none can carry NUL, so those lookups get the others.
NO_NUL = STORABLE
# Signing in checks a password hash even for unknown users (argon2, slow on purpose): the form
# gets the payloads with what SQL or PostgreSQL's parameters treat specially.
SIGN_IN = [p for p in PAYLOADS if any(ch in p for ch in "\x00'\";%_\\-")]
NEWS_TITLE_LIMIT = 900  # news titles are at most 1,000 characters

CONTROL_STATEMENTS = [
    ("Plain talks on trade between neighbours", None, None),
    (None, "Percent sign: 100% agreed, in a summary", None),
    ("Nothing special here", None, "A translation with under_score and back\\slash"),
]
CONTROL_NEWS = [
    ("Plain talks on trade", "<p>Nothing unusual: talks continue.</p>"),
    ("Another headline", "<p>100% of the summary, with an under_score.</p>"),
]


def ascii_lower(value: str) -> str:
    # SQLite's LIKE folds ASCII letters only; the payloads' other letters occur in one row each.
    return value.translate(
        str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    )


def contains_all(haystacks: Iterable[str | None], terms: list[str]) -> bool:
    texts = [ascii_lower(h) for h in haystacks if h]
    return all(any(ascii_lower(t) in h for h in texts) for t in terms)


class Seed:
    """Ids of what the database holds, and the stored texts the oracles read."""

    def __init__(self) -> None:
        self.topic_id = 0
        self.topic_slug = "injection"
        self.statements: dict[int, tuple[str | None, str | None, str | None, str | None]] = {}
        self.news: dict[int, tuple[str, str | None]] = {}
        self.feed_url = "https://news.example/feed.xml"


@pytest.fixture
def seed(session: Session) -> Seed:
    """Statements and news items holding every payload, filed through the domain functions."""
    out = Seed()
    sync_reference_actors(session)
    pak = actor_by_code(session, "PAK")
    irn = actor_by_code(session, "IRN")
    assert pak is not None and irn is not None
    topic = create_topic(
        session,
        TopicCreate(slug=out.topic_slug, title="Injection", proposition="Filters are safe"),
    )
    out.topic_id = topic.id
    source = [SourceCreate(url="https://gov.example/statement")]
    texts: list[tuple[str | None, str | None, str | None]] = [
        (f"Quote {i}: {p} end", None, None) for i, p in enumerate(STORABLE)
    ]
    texts += CONTROL_STATEMENTS
    for i, (quote, summary, translation) in enumerate(texts):
        view = create_statement(
            session,
            StatementCreate(
                topic_id=topic.id,
                actor_id=pak.id if i % 2 else irn.id,
                said_on=date(2024, 1, 1) + timedelta(days=i * 9),
                quote=quote,
                language="en" if quote else None,
                translation=translation,
                summary=summary,
                stance=(i % 5) - 2,
                channel="speech",
                sources=source,
            ),
            new_speaker=f"Speaker {i % 3}",
        )
        out.statements[view.id] = (quote, translation, summary, view.speaker_name)
    create_event(
        session,
        EventCreate(
            title="Talks on trade",
            starts_on=date(2024, 3, 1),
            topic_ids=[topic.id],
            actor_ids=[pak.id],
        ),
    )

    feed = add_feed(session, out.feed_url, title="Injection wire", acting_user_id=None)
    entries = []
    news = [(f"News {i}: {p}", None) for i, p in enumerate(STORABLE)]
    news = [n for n in news if len(n[0]) <= NEWS_TITLE_LIMIT] + CONTROL_NEWS
    for i, (title, summary) in enumerate(news):
        entries.append(
            ParsedEntry(
                guid=f"guid-{i}",
                url=f"https://news.example/{i}",
                title=title,
                summary_html=summary,
                published_at=datetime(2024, 2, 1, tzinfo=UTC) + timedelta(hours=i),
                content_hash=hashlib.sha256(f"{title}{summary}".encode()).hexdigest(),
            )
        )
    result = store_entries(session, feed.id, entries, ActorMatcher.from_session(session))
    assert len(result.new_ids) == len(entries)
    create_user(session, "analyst", "a long enough password", "contributor")
    session.commit()
    # The oracles read what was stored (the poller may have cleaned titles and summaries).
    for item_id, title, summary in session.execute(
        select(NewsItem.id, NewsItem.title, NewsItem.summary)  # type: ignore[call-overload]
    ).all():
        out.news[int(item_id)] = (title, summary)
    return out


def table_counts(session: Session) -> dict[str, int]:
    names = set(inspect(session.get_bind()).get_table_names())
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= names, "a table is missing"
    return {
        # Names from the schema inspector, not from input.
        name: int(session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())  # noqa: S608
        for name in sorted(names)
        if not name.startswith("sqlite_")
    }


def check_intact(session: Session, before: dict[str, int]) -> None:
    session.rollback()
    assert table_counts(session) == before, "a table's rows changed"
    if session.get_bind().dialect.name == "sqlite":
        assert session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        for fts in ("news_item_fts", "statement_fts"):
            # Raises when the index and the table disagree.
            session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')"))  # noqa: S608
        session.rollback()


class Trial:
    """Runs (filter, payload) pairs; collects every unexpected exception or wrong answer."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tried = 0
        self.failures: list[str] = []

    def run(self, name: str, payload: str, action: Callable[[], Any]) -> None:
        self.tried += 1
        try:
            action()
        except TrackerError:
            self.session.rollback()  # our own error, with its message: allowed
        except AssertionError as exc:
            self.session.rollback()
            first_line = (str(exc).splitlines() or [""])[0]
            self.failures.append(f"{name} {payload[:40]!r}: wrong answer: {first_line}")
        except Exception as exc:
            self.session.rollback()
            self.failures.append(f"{name} {payload[:40]!r}: {type(exc).__name__}: {exc}"[:300])

    def report(self, what: str) -> None:
        engine = self.session.get_bind().dialect.name
        print(
            f"\ninjection-sql [{engine}] {what}: {self.tried} (filter x payload) combinations, "
            f"{len(PAYLOADS)} payloads, {len(self.failures)} failures"
        )
        assert not self.failures, "\n".join(self.failures)


# --- the oracles ---------------------------------------------------------------------------


def expected_timeline(seed: Seed, words: str) -> set[int]:
    terms = word_terms(words)
    return {sid for sid, (q, t, s, _) in seed.statements.items() if contains_all((q, t, s), terms)}


def expected_inbox(seed: Seed, words: str) -> set[int]:
    terms = search_terms(words)
    return {
        nid for nid, (title, summary) in seed.news.items() if contains_all((title, summary), terms)
    }


def _tokens(values: Iterable[str | None]) -> list[str]:
    return [w for v in values if v for _, _, w in word_spans(v)]


def search_hit_allowed(words: list[str], raw_query: str) -> bool:
    """Whether a text with these words may be a hit for ``raw_query``: every required group
    has a term whose words (the last one as a prefix for ``word*``) are all in the text."""
    parsed = parse_query(raw_query)
    present = set(words)
    for group in parsed.groups:
        ok = False
        for term in group:
            *whole, last = term.words
            last_ok = any(w.startswith(last) for w in present) if term.prefix else last in present
            if last_ok and all(w in present for w in whole):
                ok = True
        if not ok:
            return False
    return True


# --- the tests -----------------------------------------------------------------------------


def test_text_filters_match_only_what_contains_the_terms(session: Session, seed: Seed) -> None:
    """Timeline words (also through the URL), news inbox words and search, every payload."""
    before = table_counts(session)
    trial = Trial(session)
    everything = set(seed.statements)

    for p in PAYLOADS:
        f = TimelineFilter(topic_id=seed.topic_id, words=p)
        want = expected_timeline(seed, p)

        def timeline_rows(f: TimelineFilter = f, want: set[int] = want) -> None:
            got = {r.statement_id for r in rows_for(session, f, full_text=True)}
            assert got == want, f"got {len(got)} rows, expected {len(want)}"

        def timeline_count(f: TimelineFilter = f, want: set[int] = want) -> None:
            assert timeline_stats(session, f).total == len(want)

        def timeline_loaded(f: TimelineFilter = f, want: set[int] = want) -> None:
            assert load_timeline(session, f).total == len(want)

        def timeline_months(f: TimelineFilter = f, want: set[int] = want) -> None:
            cells = monthly_stances(session, f).cells
            assert sum(c.count for c in cells) == len(want)

        def timeline_latest(f: TimelineFilter = f, want: set[int] = want) -> None:
            assert len(latest_stances(session, f)) <= len(want)

        def timeline_shifts(f: TimelineFilter = f, want: set[int] = want) -> None:
            assert position_shifts(session, f).total <= len(want)

        trial.run("timeline rows_for words", p, timeline_rows)
        trial.run("timeline_stats words", p, timeline_count)
        trial.run("load_timeline words", p, timeline_loaded)
        trial.run("monthly_stances words", p, timeline_months)
        trial.run("latest_stances words", p, timeline_latest)
        trial.run("position_shifts words", p, timeline_shifts)

        def from_url(p: str = p) -> None:
            # Every parameter of a Timeline URL set to the payload, as a shared link would.
            params = parse_params(
                dict.fromkeys(
                    ("topic", "countries", "actors", "from", "to", "status", "channel"), p
                )
                | {"speaker": p, "words": p, "view": p, "order": p, "events": p}
            )
            f = TimelineFilter(
                topic_id=seed.topic_id,
                statuses=params.statuses,
                channels=params.channels,
                speaker_ids=params.speakers,
                start=params.start,
                end=params.end,
                words=params.words,
            )
            got = {r.statement_id for r in rows_for(session, f)}
            assert got == expected_timeline(seed, params.words)

        trial.run("timeline URL parameters", p, from_url)

        def inbox(p: str = p) -> None:
            page = list_inbox(session, InboxFilters(words=p), page_size=MAX_PAGE_SIZE)
            want = expected_inbox(seed, p)
            assert page.total == len(want), f"total {page.total}, expected {len(want)}"
            assert {i.id for i in page.items} == want

        trial.run("news inbox words", p, inbox)

        for order in ("relevance", "newest"):

            def searched(p: str = p, order: str = order) -> None:
                page = search(session, p, limit=100, order=order)
                for hit in page.hits:
                    if hit.kind == "news":
                        words = _tokens(seed.news[hit.id])
                    else:
                        words = _tokens(seed.statements[hit.id])
                    assert search_hit_allowed(words, p), f"{hit.kind} {hit.id} should not match"
                if parse_query(p).empty:
                    assert page.total == 0
                assert len(page.hits) < len(seed.news) + len(everything)

            trial.run(f"search ({order})", p, searched)

    check_intact(session, before)
    # The oracles are not vacuous: ordinary words still find what holds them.
    assert search(session, "talk*").total >= 2
    assert rows_for(session, TimelineFilter(topic_id=seed.topic_id, words="100%"))
    trial.report("text filters")


def test_choice_filters_lookups_and_exports(session: Session, seed: Seed) -> None:
    """Statuses, channels, slugs, codes, names, feed references, external keys and export
    formats given each payload: nothing found, or our own clear error."""
    before = table_counts(session)
    trial = Trial(session)
    known_topic = seed.topic_id

    for p in PAYLOADS:

        def statuses(p: str = p) -> None:
            f = TimelineFilter(topic_id=known_topic, statuses=(p,))
            assert rows_for(session, f) == [] or p in ALL_STATUSES
            assert list_statements(session, statuses=[p]) == []
            hits = search(session, "quote", statuses=[p]).hits
            assert [h for h in hits if h.kind == "statement"] == []

        def channels(p: str = p) -> None:
            assert rows_for(session, TimelineFilter(topic_id=known_topic, channels=(p,))) == []

        def export_filtered(p: str = p) -> None:
            body = export_statements(session, "json", statuses=[p])
            assert b'"statements": []' in body

        def export_format(p: str = p) -> None:
            for export in (export_statements, export_events):
                with pytest.raises(ExportError):
                    export(session, p)

        def topic_slug(p: str = p) -> None:
            assert get_topic_by_slug(session, p) is None

        def actor_code(p: str = p) -> None:
            assert actor_by_code(session, p) is None

        def actor_text(p: str = p) -> None:
            found = find_actor(session, p)
            assert found is None, f"{p!r} named {found.code if found else ''}"

        def user_name(p: str = p) -> None:
            assert user_by_name(session, p) is None

        def sign_in(p: str = p) -> None:
            # The sign-in form: its values come from a browser, so NUL included.
            assert authenticate(session, p, p) is None

        def external_keys(p: str = p) -> None:
            assert statement_by_external_key(session, p) is None
            assert event_by_external_key(session, p) is None

        def feed_reference(p: str = p) -> None:
            with pytest.raises(TrackerError):
                find_feed_id(session, p)

        for name, action in (
            ("statuses", statuses),
            ("channels", channels),
            ("export statuses", export_filtered),
            ("export format", export_format),
            ("topic slug", topic_slug),
            ("actor code", actor_code),
            ("actor by name or alias", actor_text),
            ("user name", user_name),
            ("external keys", external_keys),
            ("feed id or URL", feed_reference),
        ):
            if p in NO_NUL:
                trial.run(name, p, action)
        if p in SIGN_IN:
            trial.run("sign-in user name and password", p, sign_in)

    # The unfiltered reads still see every row: the payloads neither hid nor removed any.
    trial.run("review queue", "", lambda: _queue_holds(session, seed))
    trial.run("export timeline", "", lambda: _timeline_export_holds(session, seed))
    check_intact(session, before)
    trial.report("choice filters, lookups and exports")


def _queue_holds(session: Session, seed: Seed) -> None:
    queued = {item.statement.id for item in review_queue(session)}
    assert set(seed.statements) <= queued


def _timeline_export_holds(session: Session, seed: Seed) -> None:
    body = export_timeline(session, topic_id=seed.topic_id).decode()
    live = session.execute(select(func.count()).select_from(Statement)).scalar_one()
    assert live == len(seed.statements)
    assert "Talks on trade" in body
