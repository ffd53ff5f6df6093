"""Reliability item 2: hypothesis over the parse-and-store path and the statement rules.

(a) Generated feed documents, well-formed and broken (random titles, links, dates, markup,
encodings, truncation, stray bytes), go through ``record_result``, the very function the
poller records a fetched body with (entity check, parse, store, feed update), on a real
SQLite file. It must never raise; an error leaves no items; what it stores is sanitised;
storing the same document again adds nothing.

(b) Generated statement input, valid and not, goes through ``check_statement_input`` and
``create_statement``: input with problems stores nothing, valid input stores exactly one
statement with its sources and one revision.

Each test prints the examples run and the failures (a failure stops hypothesis and fails the
test with the shrunk example, so a printed figure always reads 0).
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from tests.domain.accounts import make_user
from tests.domain.helpers import actor_id, make_topic
from tracker.db import make_engine
from tracker.errors import ValidationError
from tracker.feeds.claim import ClaimedFeed
from tracker.feeds.fetch import FetchResult
from tracker.feeds.ingest import ingest_document
from tracker.feeds.poller import ERROR, NEW, NO_NEW_ITEMS, MatcherCache, record_result
from tracker.feeds.sanitize import sanitize_html
from tracker.models import Feed, NewsItem, Revision, Source, Statement, StatementCreate
from tracker.statements import check_statement_input, create_statement

FEED_EXAMPLES = 200
STATEMENT_EXAMPLES = 200
TODAY = date(2026, 11, 26)


def fuzz_settings(examples: int) -> settings:
    # No deadline: one example writes to a real database on a shared, busy machine.
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_MARKUP = re.compile(r"<\s*(script|iframe|img|svg|style|object|embed)\b|\son\w+\s*=", re.I)
_URL_ATTRIBUTE = re.compile(r"""\b(?:href|cite|src)\s*=\s*["']?([^"'\s>]*)""", re.I)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fuzz_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One database per engine for the whole module: examples add rows, never reuse them."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    engine = make_engine(request.getfixturevalue("pg_database"))
    yield engine
    # The server's test database is shared with the other tests of this run: leave it empty.
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


# --- (a) feed documents ---------------------------------------------------------------------

HOSTILE_TEXT = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "\u202eevil\u202c",
        "&amp;&lt;&gt;&quot;&#0;&#x0;&#xD800;&#1114112;",
        "\x00\x01\x1b[31m\x7f",
        "]]>",
        "<![CDATA[",
        "&undefined;",
        "' OR 1=1 --",
        "Pakistan Iran US UN",
        "😀" * 50,
        "x" * 5000,
    ]
)
TEXT = st.one_of(st.text(max_size=80), HOSTILE_TEXT)
LINKS = st.one_of(
    st.sampled_from(
        [
            "https://news.example/a?utm_source=x#frag",
            "http://news.example/b",
            "javascript:alert(1)",
            " JAVASCRIPT:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//news.example/protocol-relative",
            "relative/path",
            "http://[::1",
            "http://169.254.169.254/",
            "https://x.example/" + "p" * 3000,
            "https://nul.example/a\x00b",
            "",
        ]
    ),
    st.text(max_size=40),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "Sat, 01 Jan 0000 00:00:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 -1200",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "-0001-01-01",
            "31/02/2024 25:61",
            "Mon, 01 Jan 99999999 00:00:00 GMT",
            "",
        ]
    ),
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S +0000")),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.isoformat() + "Z"
    ),
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def text_node(draw: st.DrawFn) -> str:
    """Text as a feed might carry it: escaped, in CDATA, or raw (raw may break the XML)."""
    text = draw(TEXT)
    how = draw(st.sampled_from(["escaped", "cdata", "raw"]))
    if how == "escaped":
        return _escape(text)
    if how == "cdata":
        return f"<![CDATA[{text}]]>"
    return text


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    parts = [f"<title>{draw(text_node())}</title>"]
    if draw(st.booleans()):
        parts.append(f"<link>{_escape(draw(LINKS))}</link>")
    if draw(st.booleans()):
        parts.append(f"<guid>{draw(text_node())}</guid>")
    if draw(st.booleans()):
        parts.append(f"<pubDate>{_escape(draw(DATES))}</pubDate>")
    if draw(st.booleans()):
        parts.append(f"<description>{draw(text_node())}</description>")
    return "<item>" + "".join(draw(st.permutations(parts))) + "</item>"


@st.composite
def atom_entry(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "html", "xhtml"]))
    title = draw(text_node())
    if kind == "xhtml":
        title = f'<div xmlns="http://www.w3.org/1999/xhtml">{title}</div>'
    return (
        f'<entry><id>{draw(text_node())}</id><title type="{kind}">{title}</title>'
        f'<link href="{_escape(draw(LINKS))}"/><updated>{_escape(draw(DATES))}</updated>'
        f'<content type="html">{draw(text_node())}</content></entry>'
    )


@st.composite
def feed_document(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["rss", "atom", "garbage"]))
    if kind == "rss":
        items = "".join(draw(st.lists(rss_item(), max_size=6)))
        text = (
            f'<rss version="2.0"><channel><title>{draw(text_node())}</title>'
            f"<link>{_escape(draw(LINKS))}</link>{items}</channel></rss>"
        )
    elif kind == "atom":
        entries = "".join(draw(st.lists(atom_entry(), max_size=6)))
        base = draw(
            st.sampled_from(
                ["", ' xml:base="javascript:alert(1)//"', ' xml:base="https://b.example/d/"']
            )
        )
        text = (
            f'<feed xmlns="http://www.w3.org/2005/Atom"{base}><title>{draw(text_node())}</title>'
            f"{entries}</feed>"
        )
    else:
        text = draw(st.text(max_size=300))
    declared = draw(st.sampled_from(["utf-8", "utf-16", "iso-8859-1", "x-bogus", None]))
    actual = draw(st.sampled_from(["utf-8", "utf-16", "iso-8859-1", "cp037"]))
    prolog = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    body = (prolog + text).encode(actual, errors="replace")
    if draw(st.booleans()):
        cut = draw(st.integers(min_value=0, max_value=len(body)))
        body = (
            body[:cut]
            if draw(st.booleans())
            else body[:cut] + draw(st.binary(max_size=20)) + body[cut:]
        )
    return body


def _claim(engine: Engine, url: str) -> ClaimedFeed:
    with Session(engine) as session:
        feed = Feed(url=url)
        session.add(feed)
        session.commit()
        assert feed.id is not None
        return ClaimedFeed(feed.id, url, None, None, None, 0, None, 3600, False, False)


def _fetched(url: str, body: bytes, content_type: str | None) -> FetchResult:
    return FetchResult(url, url, 200, body, None, None, content_type, None, None, None, None,
                       None, len(body), 5)  # fmt: skip


def _stored_problems(news: NewsItem, now: datetime) -> list[str]:
    problems = []
    if not news.title or len(news.title) > 1000 or _CONTROL.search(news.title):
        problems.append(f"title {news.title[:60]!r}")
    if len(news.guid) > 1000 or "\x00" in news.guid:
        problems.append(f"guid {news.guid[:60]!r}")
    if news.url is not None and (
        not re.match(r"https?://", news.url) or len(news.url) > 2000 or _CONTROL.search(news.url)
    ):
        problems.append(f"url {news.url[:60]!r}")
    summary = news.summary or ""
    if _UNSAFE_MARKUP.search(summary) or "\x00" in summary:
        problems.append(f"markup {summary[:80]!r}")
    bad = [v for v in _URL_ATTRIBUTE.findall(summary) if not re.match(r"https?://", v)]
    if bad:
        problems.append(f"link attributes {bad[:3]!r}")
    if summary and sanitize_html(summary) != summary:
        problems.append(f"summary not stable under sanitising {summary[:80]!r}")
    if news.published_at is not None:
        when = news.published_at.replace(tzinfo=news.published_at.tzinfo or UTC)
        if not datetime(1900, 1, 1, tzinfo=UTC) <= when <= now + timedelta(days=2):
            problems.append(f"published_at {when}")
    return problems


def test_fuzz_parse_and_store_never_raises_and_stores_only_clean_items(fuzz_engine: Engine):
    counts: Counter[str] = Counter()
    matchers = MatcherCache()
    content_types = st.sampled_from(
        [None, "application/rss+xml", "text/html", "application/atom+xml; charset=utf-16"]
    )

    @fuzz_settings(FEED_EXAMPLES)
    @given(body=feed_document(), content_type=content_types)
    def check(body: bytes, content_type: str | None) -> None:
        counts["examples"] += 1
        url = f"https://fuzz.example/{counts['examples']}/{id(body)}"
        feed = _claim(fuzz_engine, url)
        outcome = record_result(fuzz_engine, feed, _fetched(url, body, content_type), matchers)
        counts[outcome.outcome] += 1
        with Session(fuzz_engine) as session:
            items = session.exec(select(NewsItem).where(NewsItem.feed_id == feed.id)).all()
            stored = session.get(Feed, feed.id)
        assert outcome.outcome in (NEW, NO_NEW_ITEMS, ERROR), outcome
        assert len(items) == outcome.items_new
        if outcome.outcome == ERROR:
            assert outcome.error and "internal error" not in outcome.error
            assert items == []
            assert stored is not None and stored.last_error
            return
        now = datetime.now(UTC)
        problems = [p for news in items for p in _stored_problems(news, now)]
        assert not problems, problems
        counts["items"] += len(items)
        # The same document again, through the file-import entry point: nothing new.
        with Session(fuzz_engine) as session:
            again = ingest_document(
                session, body, feed_id=feed.id, source_url=url, content_type=content_type
            )
            session.commit()
        assert again.new == 0, again

    check()
    print(
        f"\nparse-and-store fuzzing: examples run {counts['examples']}, failures 0; outcomes "
        f"new {counts[NEW]}, no new items {counts[NO_NEW_ITEMS]}, error {counts[ERROR]}; "
        f"items stored {counts['items']}"
    )
    assert counts["examples"] >= FEED_EXAMPLES // 2
    # A generator that never produced a storable document would prove little.
    assert counts[NEW] > 0 and counts[ERROR] > 0


# --- (b) statement input ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def statement_world(fuzz_engine: Engine) -> dict[str, int]:
    with Session(fuzz_engine, expire_on_commit=False) as session:
        topic = make_topic(session, slug="fuzz-topic")
        world = {
            "topic": topic.id,
            "pak": actor_id(session, "PAK"),
            "irn": actor_id(session, "IRN"),
            "user": make_user(session, "fuzzer").id,
        }
        session.commit()
    return world


URLS = st.sampled_from(
    [
        "https://source.example/a",
        "http://source.example/b",
        "javascript:alert(1)",
        "data:text/html,<script>",
        "ftp://x.example/",
        "https://",
        "https://has space.example/",
        "https://nul.example/\x00",
        "https://x.example/" + "a" * 2100,
        "",
        None,
    ]
)
GOOD_TEXT = st.text(min_size=1, max_size=80).filter(str.strip)


@st.composite
def good_source(draw: st.DrawFn) -> dict[str, object]:
    if draw(st.booleans()):
        return {"url": draw(st.sampled_from(["https://source.example/a", "http://b.example/"]))}
    return {"citation": draw(GOOD_TEXT), "title": draw(st.one_of(st.none(), GOOD_TEXT))}


@st.composite
def bad_source(draw: st.DrawFn) -> dict[str, object]:
    return {
        "url": draw(URLS),
        "citation": draw(st.one_of(st.none(), TEXT, st.just("c" * 2001))),
        "publisher": draw(st.one_of(st.none(), TEXT, st.just("p" * 201), st.just(7))),
        "title": draw(st.one_of(st.none(), TEXT, st.just("t" * 501))),
        "published_on": draw(st.one_of(st.none(), st.dates(), st.just("2025-13-01"))),
        "archive_url": draw(st.one_of(st.none(), URLS)),
    }


BAD_IDS = st.sampled_from([None, 0, -1, 999_999, "abc", "", True, 1.5, [1]])
BAD_VALUES: dict[str, st.SearchStrategy[object]] = {
    "topic_id": BAD_IDS,
    "actor_id": BAD_IDS,
    "target_actor_id": st.sampled_from([999_999, "x", -1]),
    "said_on": st.one_of(
        st.dates(min_value=date(2027, 1, 1)),
        st.dates(max_value=date(1899, 12, 31)),
        st.sampled_from([None, "yesterday", "2025-02-30", 20250601]),
    ),
    "date_precision": st.sampled_from(["decade", "", None, 3]),
    "stance": st.sampled_from([None, "high", 2.5, 3, -3, 7, -99, True]),
    "channel": st.sampled_from(["bogus", "", None]),
    "quote": st.sampled_from(["   ", "q" * 20_001, 5]),
    "summary": st.sampled_from(["s" * 501, "   ", 5]),
    "language": st.sampled_from(["klingon", "e", "xx", 12]),
    "translation": st.one_of(GOOD_TEXT, st.just("t" * 20_001)),
    "speaker_role": st.sampled_from(["r" * 201, 5]),
    "sources": st.one_of(
        st.just([]), st.just(None), st.lists(bad_source(), min_size=1, max_size=3)
    ),
    "news_item_ids": st.sampled_from([[999_999], ["x"], None]),
}


@st.composite
def statement_input(draw: st.DrawFn, world: dict[str, int]) -> dict[str, object]:
    """A valid statement, then none to three fields spoilt or left out."""
    quoted = draw(st.booleans())
    raw: dict[str, object] = {
        "topic_id": world["topic"],
        "actor_id": world["pak"],
        "target_actor_id": draw(st.sampled_from([None, world["irn"]])),
        "said_on": draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY)),
        "date_precision": draw(st.sampled_from(["day", "month", "year"])),
        "stance": draw(st.integers(-2, 2)),
        "channel": draw(st.sampled_from(["reported", "speech", "vote", "other"])),
        "quote": draw(GOOD_TEXT) if quoted else None,
        "language": draw(st.sampled_from(["en", "UR", "fas"])) if quoted else None,
        "summary": draw(st.one_of(st.none(), GOOD_TEXT)) if quoted else draw(GOOD_TEXT),
        "speaker_role": draw(st.one_of(st.none(), GOOD_TEXT)),
        "sources": draw(st.lists(good_source(), min_size=1, max_size=3)),
    }
    for key in draw(st.lists(st.sampled_from(sorted(BAD_VALUES)), max_size=3, unique=True)):
        if draw(st.integers(0, 4)) == 0:
            raw.pop(key, None)  # left out, as a form or a CSV row might
        else:
            raw[key] = draw(BAD_VALUES[key])
    return raw


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.exec(select(func.count()).select_from(Statement)).one(),
        session.exec(select(func.count()).select_from(Source)).one(),
        session.exec(select(func.count()).select_from(Revision)).one(),
    )


def test_fuzz_statement_input_stores_exactly_one_statement_or_nothing(
    fuzz_engine: Engine, statement_world: dict[str, int]
):
    counts: Counter[str] = Counter()
    user = statement_world["user"]

    @fuzz_settings(STATEMENT_EXAMPLES)
    @given(raw=statement_input(statement_world))
    def check(raw: dict[str, object]) -> None:
        counts["examples"] += 1
        with Session(fuzz_engine) as session:
            before = _counts(session)
            data, problems = check_statement_input(session, dict(raw), today=TODAY)
            assert (data is None) == bool(problems)
            assert all(isinstance(m, str) and m.strip() for m in problems.values()), problems
            if data is None:
                counts["refused"] += 1
                # Input whose types are right but whose content is wrong must be refused by
                # the create path too, before anything is written.
                try:
                    typed = StatementCreate.model_validate(raw)
                except Exception:
                    typed = None
                if typed is not None:
                    with pytest.raises(ValidationError):
                        create_statement(session, typed, user_id=user, today=TODAY)
                    counts["refused by create"] += 1
                assert _counts(session) == before
                session.rollback()
                return
            view = create_statement(session, data, user_id=user, today=TODAY)
            statements, sources, revisions = _counts(session)
            assert statements == before[0] + 1
            assert sources == before[1] + len(data.sources)
            assert revisions == before[2] + 1
            assert view.status == "pending" and view.contributor_id == user
            stored = session.exec(select(Statement).where(col(Statement.id) == view.id)).one()
            assert stored.stance == data.stance and stored.said_on == data.said_on
            counts["stored"] += 1
            session.rollback()  # each example starts from the same database

    check()
    print(
        f"\nstatement fuzzing: examples run {counts['examples']}, failures 0; stored "
        f"{counts['stored']}, refused {counts['refused']} (of which {counts['refused by create']}"
        " also refused by create_statement)"
    )
    assert counts["stored"] > 0 and counts["refused"] > 0
