"""tracker.search on both engines: matching, ranking, filters, snippets, hostile input, triggers."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, text
from sqlmodel import Session, func, select

from tracker.actors import actor_by_code, sync_reference_actors
from tracker.feeds.parse import ParsedEntry
from tracker.feeds.store import store_entries
from tracker.feeds.tagging import ActorMatcher
from tracker.models import NewsItem, SourceCreate, Speaker, Statement, StatementCreate, TopicCreate
from tracker.search import COUNT_CAP, RANK_WINDOW, SearchPage, search
from tracker.speakers import get_or_create_speaker
from tracker.statements import create_statement
from tracker.timeutil import utcnow
from tracker.topics import create_topic

NEWS = [
    # (guid, title, summary html, published day)
    (
        "naval",
        "Pakistan and Iran agree on joint naval exercises",
        "<p>The navies of <b>Pakistan</b> and Iran will hold joint naval exercises in the Gulf "
        "of Oman next month.</p>",
        date(2025, 6, 10),
    ),
    (
        "restraint",
        "Saudi Arabia calls for restraint",
        "<p>Riyadh urged restraint after the strikes on Iran.</p>",
        date(2025, 6, 14),
    ),
    (
        "postponed",
        "Exercise postponed",
        "<p>Joint naval drills were postponed until the autumn.</p>",
        date(2025, 5, 1),
    ),
    ("urdu", "پاکستان اور ایران کی مشترکہ مشقیں", "<p>بحری مشقیں اگلے ماہ ہوں گی</p>", None),
    ("persian", "ایران و پاکستان رزمایش مشترک برگزار می‌کنند", None, date(2025, 6, 2)),
    ("hebrew", "ישראל מגנה את התרגיל המשותף", "<p>הודעה רשמית</p>", date(2025, 6, 3)),
    ("cafe", "Café diplomacy in Zürich", "<p>Diplomats met at a café.</p>", date(2025, 6, 4)),
    (
        "nuclear-1",
        "Nuclear talks: nuclear deterrence debated",
        "<p>Nuclear policy and nuclear doctrine.</p>",
        date(2025, 6, 5),
    ),
    (
        "nuclear-2",
        "Regional roundup",
        "<p>Trade, weather, sport, elections and, briefly, a nuclear question.</p>",
        date(2025, 6, 6),
    ),
]


def _entry(guid: str, title: str, summary: str | None, day: date | None) -> ParsedEntry:
    published = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) if day else None
    digest = hashlib.sha256(f"{title}{summary}".encode()).hexdigest()
    return ParsedEntry(
        guid=guid,
        url=f"https://news.example/{guid}",
        title=title,
        summary_html=summary,
        published_at=published,
        content_hash=digest,
    )


@pytest.fixture
def corpus(session: Session) -> dict[str, int]:
    """News items stored the way the poller stores them, and two statements."""
    sync_reference_actors(session)
    matcher = ActorMatcher.from_session(session)
    entries = [_entry(*n) for n in NEWS]
    result = store_entries(
        session, None, entries, matcher, fetched_at=datetime(2025, 7, 1, tzinfo=UTC)
    )
    ids = dict(zip([n[0] for n in NEWS], result.new_ids, strict=True))
    topic = create_topic(session, TopicCreate(slug="alignment", title="Alignment", proposition="P"))
    pak = _actor(session, "PAK")
    dar = get_or_create_speaker(session, "Ishaq Dar", pak)
    first = create_statement(
        session,
        StatementCreate(
            topic_id=topic.id,
            actor_id=pak,
            speaker_id=dar.id,
            speaker_role="Foreign Minister",
            said_on=date(2025, 6, 12),
            quote="پاکستان اپنی خودمختاری کا دفاع کرے گا",
            language="ur",
            translation="Pakistan will defend its sovereignty",
            summary="Vows to defend sovereignty after the strikes",
            stance=1,
            channel="speech",
            sources=[SourceCreate(url="https://gov.example/speech")],
        ),
    )
    second = create_statement(
        session,
        StatementCreate(
            topic_id=topic.id,
            actor_id=_actor(session, "SAU"),
            said_on=date(2025, 6, 15),
            summary="Calls for restraint and dialogue",
            stance=0,
            channel="communique",
            sources=[SourceCreate(citation="Saudi Press Agency, print edition")],
        ),
    )
    session.commit()
    ids["statement-dar"] = first.id
    ids["statement-sau"] = second.id
    return ids


def _actor(session: Session, code: str) -> int:
    found = actor_by_code(session, code)
    assert found is not None
    return found.id


def found(page: SearchPage) -> list[tuple[str, int]]:
    return [(h.kind, h.id) for h in page.hits]


def news_ids(page: SearchPage) -> set[int]:
    return {h.id for h in page.hits if h.kind == "news"}


def test_words_must_all_match(session, corpus):
    page = search(session, "naval exercises")
    assert news_ids(page) == {corpus["naval"]}
    assert page.total == 1 and not page.total_capped


def test_phrase_needs_the_words_in_order(session, corpus):
    assert news_ids(search(session, '"joint naval exercises"')) == {corpus["naval"]}
    assert news_ids(search(session, '"joint naval"')) == {corpus["naval"], corpus["postponed"]}
    assert news_ids(search(session, '"naval joint"')) == set()


def test_prefix_matches_word_beginnings(session, corpus):
    assert news_ids(search(session, "exerc*")) == {corpus["naval"], corpus["postponed"]}
    assert news_ids(search(session, "exerc")) == set()


def test_or_and_exclusion(session, corpus):
    assert news_ids(search(session, "Riyadh OR navies")) == {corpus["naval"], corpus["restraint"]}
    assert news_ids(search(session, "naval -postponed")) == {corpus["naval"]}


def test_ranking_puts_the_denser_match_first(session, corpus):
    page = search(session, "nuclear", kinds=("news",))
    assert found(page)[:2] == [("news", corpus["nuclear-1"]), ("news", corpus["nuclear-2"])]
    assert page.hits[0].score > page.hits[1].score


def test_newest_first(session, corpus):
    page = search(session, "exerc* OR restraint", kinds=("news",), order="newest")
    assert [h.id for h in page.hits] == [corpus["restraint"], corpus["naval"], corpus["postponed"]]


def test_statements_are_found_by_summary_translation_quote_and_speaker(session, corpus):
    dar = ("statement", corpus["statement-dar"])
    assert dar in found(search(session, "sovereignty"))
    assert dar in found(search(session, "defend"))
    assert dar in found(search(session, "Ishaq Dar", kinds=("statement",)))
    assert dar in found(search(session, "foreign minister", kinds=("statement",)))
    assert dar in found(search(session, "خودمختاری"))


def test_filters_by_kind_country_and_period(session, corpus):
    restraint = search(session, "restraint")
    assert set(found(restraint)) == {
        ("news", corpus["restraint"]),
        ("statement", corpus["statement-sau"]),
    }
    assert found(search(session, "restraint", kinds=("statement",))) == [
        ("statement", corpus["statement-sau"])
    ]
    saudi = [_actor(session, "SAU")]
    assert found(search(session, "restraint", kinds=("news",), actor_ids=saudi)) == [
        ("news", corpus["restraint"])
    ]
    pakistan = [_actor(session, "PAK")]
    assert found(search(session, "restraint", actor_ids=pakistan)) == []
    june = search(session, "exerc*", start=date(2025, 6, 1), end=date(2025, 6, 30))
    assert news_ids(june) == {corpus["naval"]}
    may = search(session, "exerc*", start=date(2025, 5, 1), end=date(2025, 5, 1))
    assert news_ids(may) == {corpus["postponed"]}
    in_june = search(session, "restraint", kinds=("statement",), end=date(2025, 6, 14))
    assert found(in_june) == []
    assert found(search(session, "restraint", statuses=["verified"])) == [
        ("news", corpus["restraint"])
    ]


def test_items_without_publication_time_are_dated_by_fetch(session, corpus):
    july = search(session, "مشقیں", start=date(2025, 7, 1), end=date(2025, 7, 1))
    assert news_ids(july) == {corpus["urdu"]}


def test_snippets_are_plain_text_with_marked_matches(session, corpus):
    (hit,) = search(session, "Gulf").hits
    assert "<" not in hit.snippet.text and ">" not in hit.snippet.text
    assert "«Gulf»" in hit.snippet.marked()
    assert hit.title.text == "Pakistan and Iran agree on joint naval exercises"
    assert hit.url == "https://news.example/naval"
    assert set(hit.actor_codes) >= {"PAK", "IRN"}
    assert hit.day == date(2025, 6, 10)
    title_hit = search(session, "Saudi").hits
    assert any("«Saudi»" in h.title.marked() for h in title_hit)


@pytest.mark.parametrize(
    ("query", "guid"),
    [
        ("پاکستان", "urdu"),  # Urdu
        ("مشقیں", "urdu"),
        ("رزمایش", "persian"),  # Persian
        ("می‌کنند", "persian"),  # with a zero-width non-joiner inside the word
        ("ישראל", "hebrew"),  # Hebrew
        ('"התרגיל המשותף"', "hebrew"),
        ("Café", "cafe"),
        ("zürich", "cafe"),
    ],
)
def test_non_latin_scripts(session, corpus, query, guid):
    page = search(session, query, kinds=("news",))
    assert corpus[guid] in news_ids(page)
    hit = next(h for h in page.hits if h.id == corpus[guid])
    assert hit.title.spans or hit.snippet.spans


def test_accents_are_ignored_on_sqlite(session, corpus):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's simple configuration keeps accents")
    assert corpus["cafe"] in news_ids(search(session, "cafe zurich"))


HOSTILE = [
    '"',
    '""',
    '"""',
    "*",
    "**",
    "-",
    "--",
    "- -",
    "NEAR(",
    "NEAR(naval exercises, 2)",
    "OR",
    "OR OR",
    "AND OR NOT",
    "naval OR",
    "(",
    "((((",
    ")",
    "naval)",
    "title:naval",
    "{title summary}: naval",
    "^naval",
    "naval:*",
    "!naval",
    "naval & exercises | drills",
    "naval <-> exercises",
    "'",
    "''",
    "\\",
    "%",
    "_",
    "naval%",
    "'; DROP TABLE news_item; --",
    "1; DELETE FROM statement",
    "\x00",
    "naval\x00exercises",
    "\u202enaval",
    "😀",
    "x" * 100_000,
    ("naval " * 400).strip(),
    "",
    "   ",
]


def test_hostile_queries_never_break(session, corpus):
    for query in HOSTILE:
        for order in ("relevance", "newest"):
            page = search(session, query, order=order)
            assert isinstance(page, SearchPage), query
            assert all(hit.kind in ("news", "statement") for hit in page.hits)
    # Nothing was executed as SQL or FTS syntax: the data is all still there.
    assert session.exec(select(func.count()).select_from(NewsItem)).one() == len(NEWS)
    assert session.exec(select(func.count()).select_from(Statement)).one() == 2


def test_operators_and_punctuation_are_literal_text(session, corpus):
    # "NEAR(" is the word "near", "title:" the word "title": nothing here is FTS syntax.
    assert news_ids(search(session, "NEAR(naval exercises, 2)")) == set()
    assert news_ids(search(session, "title:naval")) == set()
    assert corpus["naval"] in news_ids(search(session, "(naval exercises)"))
    assert corpus["naval"] in news_ids(search(session, '"naval exercises'))
    assert news_ids(search(session, "naval)")) == news_ids(search(session, "naval"))
    assert news_ids(search(session, "naval AND exercises")) == {corpus["naval"]}


def test_paging_and_counting(session, corpus):
    rows = [
        {
            "guid": f"bulk-{i}",
            "title": f"Bulk item {i} about shipping",
            "summary": None,
            "fetched_at": utcnow(),
            "content_hash": f"h{i}",
        }
        for i in range(RANK_WINDOW + 5)
    ]
    session.execute(insert(NewsItem), rows)
    session.commit()
    first = search(session, "shipping", limit=10)
    assert first.total == COUNT_CAP and first.total_capped and first.has_more
    # So many matches: only the most recent RANK_WINDOW are ranked, and the page says so.
    assert any("most recent" in n for n in first.notes)
    second = search(session, "shipping", limit=10, offset=10)
    assert len(second.hits) == 10
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    assert search(session, "shipping", limit=10_000).limit == 100


def test_index_follows_updates_and_deletes_of_news(session, corpus):
    item = session.get(NewsItem, corpus["restraint"])
    assert item is not None
    item.title = "Kingdom urges calm"
    session.add(item)
    session.commit()
    assert corpus["restraint"] in news_ids(search(session, "kingdom calm"))
    assert corpus["restraint"] not in news_ids(search(session, "Saudi"))
    session.delete(item)
    session.commit()
    assert news_ids(search(session, "kingdom")) == set()
    assert news_ids(search(session, "Riyadh")) == set()


def test_index_follows_statement_edits_soft_deletes_and_speaker_renames(session, corpus):
    statement = session.get(Statement, corpus["statement-dar"])
    assert statement is not None
    key = ("statement", statement.id)
    statement.summary = "Promises a firm response"
    session.add(statement)
    session.commit()
    assert key in found(search(session, "firm response"))
    assert key not in found(search(session, "vows"))
    statement.deleted_at = utcnow()
    session.add(statement)
    session.commit()
    assert key not in found(search(session, "firm response"))
    statement.deleted_at = None
    session.add(statement)
    session.commit()
    assert key in found(search(session, "firm response"))
    speaker = session.get(Speaker, statement.speaker_id)
    assert speaker is not None
    speaker.name = "Mohammad Ishaq Dar"
    session.add(speaker)
    session.commit()
    assert key in found(search(session, "Mohammad", kinds=("statement",)))
    session.delete(statement)
    session.commit()
    assert key not in found(search(session, "sovereignty"))


def test_sqlite_index_is_consistent_after_bulk_writes(session, corpus):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("an FTS5 check")
    session.execute(text("UPDATE news_item SET summary = summary || ' extra'"))
    session.execute(text("DELETE FROM news_item WHERE guid = 'cafe'"))
    session.commit()
    for table in ("news_item_fts", "statement_fts"):
        check = f"INSERT INTO {table}({table}) VALUES ('integrity-check')"  # noqa: S608
        session.execute(text(check))
    count = session.execute(text("SELECT count(*) FROM statement_fts")).scalar_one()
    assert count == 2


def test_postgres_vectors_are_kept_by_the_database(session, corpus):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL check")
    empty = session.execute(
        text("SELECT count(*) FROM statement WHERE search_vector IS NULL")
    ).scalar_one()
    assert empty == 0
    indexes = session.execute(
        text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%_search'")
    ).scalars()
    assert set(indexes) == {"ix_news_item_search", "ix_statement_search"}


def test_unknown_kind_and_reversed_period_are_reported(session, corpus):
    assert search(session, "naval", kinds=("tweets",)).notes
    page = search(session, "naval", start=date(2025, 7, 1), end=date(2025, 6, 1))
    assert page.hits == [] and any("before its start" in n for n in page.notes)
