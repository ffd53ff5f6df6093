from datetime import UTC, datetime

import pytest
from sqlmodel import Session, col, func, select

from tracker.errors import TrackerError
from tracker.feeds.ingest import ingest_document
from tracker.feeds.parse import ParsedEntry, parse_feed
from tracker.feeds.store import LOOKUP_CHUNK, store_entries
from tracker.feeds.tagging import ActorMatcher
from tracker.models import NewsItem, NewsItemActor

FETCHED = datetime(2025, 6, 14, 8, 0, tzinfo=UTC)


def entry(
    guid: str, title: str = "Title", url: str | None = None, summary: str = ""
) -> ParsedEntry:
    """An entry as parse_feed would make it (content hash included)."""
    item = f"<title>{title}</title><guid>{guid}</guid>"
    if url:
        item += f"<link>{url}</link>"
    if summary:
        item += f"<description>{summary}</description>"
    body = f'<rss version="2.0"><channel><title>T</title><item>{item}</item></channel></rss>'
    (parsed,) = parse_feed(body.encode()).entries
    return parsed


def rss(*items: str) -> bytes:
    body = "".join(f"<item>{i}</item>" for i in items)
    return f'<rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode()


@pytest.fixture
def matcher(session, actors) -> ActorMatcher:
    return ActorMatcher.from_session(session)


def count_items(session: Session) -> int:
    return session.exec(select(func.count()).select_from(NewsItem)).one()


def test_stores_new_entries_with_their_fields(session, feeds, matcher):
    feed_id = feeds[0]
    e = entry("g1", "Iran and Pakistan", "https://a.example/x?utm_source=rss#c", "In Tehran")
    result = store_entries(session, feed_id, [e], matcher, fetched_at=FETCHED)
    assert (result.new, result.duplicates, result.linked) == (1, 0, 0)
    item = session.get(NewsItem, result.new_ids[0])
    assert item is not None
    assert item.feed_id == feed_id
    assert item.guid == "g1"
    assert item.url == "https://a.example/x?utm_source=rss#c"
    assert item.canonical_url == "https://a.example/x"
    assert item.title == "Iran and Pakistan"
    assert item.summary == "In Tehran"
    assert item.published_at is None
    assert item.fetched_at == FETCHED
    assert item.content_hash == e.content_hash
    assert item.same_story_as_id is None


def test_flushes_but_leaves_the_commit_to_the_caller(session, feeds, matcher):
    store_entries(session, feeds[0], [entry("g1")], matcher)
    assert count_items(session) == 1
    session.rollback()
    assert count_items(session) == 0


def test_tags_items_with_the_actors_they_mention(session, feeds, matcher, actors):
    result = store_entries(
        session,
        feeds[0],
        [
            entry("a", "Iranian envoy visits Islamabad"),
            entry("b", "Weather", summary="&lt;p&gt;The US said nothing; let us wait&lt;/p&gt;"),
            entry("c", "Nothing to see"),
        ],
        matcher,
    )
    tags = session.exec(select(NewsItemActor.news_item_id, NewsItemActor.actor_id)).all()
    by_item: dict[int, set[int]] = {}
    for item_id, actor_id in tags:
        by_item.setdefault(item_id, set()).add(actor_id)
    a, b, c = result.new_ids
    assert by_item[a] == {actors["IRN"], actors["PAK"]}
    assert by_item[b] == {actors["USA"]}
    assert c not in by_item


def test_reingesting_the_same_document_stores_nothing_new(session, feeds, matcher):
    doc = rss(
        "<title>One</title><guid>1</guid><link>https://a.example/1</link>",
        "<title>Two</title><link>https://a.example/2</link>",
        "<title>Three</title><description>no link, no guid</description>",
    )
    first = ingest_document(session, doc, feed_id=feeds[0], matcher=matcher)
    assert (first.new, first.duplicates) == (3, 0)
    again = ingest_document(session, doc, feed_id=feeds[0], matcher=matcher)
    assert (again.new, again.duplicates, again.linked, again.new_ids) == (0, 3, 0, [])
    assert count_items(session) == 3


def test_duplicate_by_guid(session, feeds, matcher):
    store_entries(session, feeds[0], [entry("g", "Old title", "https://a.example/old")], matcher)
    result = store_entries(
        session, feeds[0], [entry("g", "Edited title", "https://a.example/new")], matcher
    )
    assert (result.new, result.duplicates) == (0, 1)


def test_duplicate_by_canonical_link(session, feeds, matcher):
    store_entries(session, feeds[0], [entry("g1", "A", "https://a.example/s?id=1")], matcher)
    result = store_entries(
        session,
        feeds[0],
        [entry("regenerated-guid", "A again", "HTTPS://A.example:443/s?id=1&utm_medium=rss#top")],
        matcher,
    )
    assert (result.new, result.duplicates) == (0, 1)


def test_duplicate_by_content_hash_when_there_is_no_link(session, feeds, matcher):
    store_entries(session, feeds[0], [entry("g1", "Statement", summary="Text")], matcher)
    same = store_entries(session, feeds[0], [entry("g2", "STATEMENT", summary="text ")], matcher)
    assert (same.new, same.duplicates) == (0, 1)
    other = store_entries(session, feeds[0], [entry("g3", "Statement", summary="Other")], matcher)
    assert (other.new, other.duplicates) == (1, 0)


def test_same_text_under_different_links_is_two_stories(session, feeds, matcher):
    result = store_entries(
        session,
        feeds[0],
        [
            entry("d1", "Morning briefing", "https://a.example/briefing/1"),
            entry("d2", "Morning briefing", "https://a.example/briefing/2"),
        ],
        matcher,
    )
    assert (result.new, result.duplicates) == (2, 0)


def test_duplicates_within_one_batch(session, feeds, matcher):
    result = store_entries(
        session,
        feeds[0],
        [
            entry("g1", "A", "https://a.example/1"),
            entry("g1", "A edited", "https://a.example/1b"),
            entry("g2", "B", "https://a.example/1?utm_source=x"),
            entry("g3", "C", summary="x"),
            entry("g4", "C", summary="x"),
        ],
        matcher,
    )
    assert (result.new, result.duplicates) == (2, 3)


def test_items_from_files_dedup_among_themselves(session, feeds, matcher):
    doc = rss("<title>Report</title><guid>urn:x:1</guid>", "<title>No guid</title>")
    first = ingest_document(session, doc, matcher=matcher)
    assert first.new == 2
    again = ingest_document(session, doc, matcher=matcher)
    assert (again.new, again.duplicates) == (0, 2)
    # The same GUID in a real feed is that feed's own item.
    in_feed = ingest_document(session, doc, feed_id=feeds[0], matcher=matcher)
    assert in_feed.new == 2


def test_same_story_from_another_feed_is_linked_to_the_first_copy(session, feeds, matcher):
    one, two = feeds
    first = store_entries(
        session,
        one,
        [entry("one-1", "Story", "https://wire.example/story?utm_source=one")],
        matcher,
    )
    second = store_entries(
        session, two, [entry("two-77", "Story (two)", "https://wire.example/story")], matcher
    )
    assert (second.new, second.duplicates, second.linked) == (1, 0, 1)
    copy = session.get(NewsItem, second.new_ids[0])
    assert copy is not None
    assert copy.feed_id == two
    assert copy.same_story_as_id == first.new_ids[0]
    # A file copy of the same story links to the first copy too, not to the second.
    third = store_entries(session, None, [entry("f", "S", "https://wire.example/story")], matcher)
    file_copy = session.get(NewsItem, third.new_ids[0])
    assert file_copy is not None
    assert file_copy.same_story_as_id == first.new_ids[0]


def test_same_story_by_content_hash_is_linked(session, feeds, matcher):
    one, two = feeds
    first = store_entries(session, one, [entry("x", "Wire text", summary="Body")], matcher)
    second = store_entries(session, two, [entry("y", "Wire text", summary="Body")], matcher)
    assert second.linked == 1
    copy = session.get(NewsItem, second.new_ids[0])
    assert copy is not None
    assert copy.same_story_as_id == first.new_ids[0]


def test_copy_of_a_copy_points_to_the_original(session, feeds, matcher):
    one, two = feeds
    original = store_entries(session, one, [entry("a", "T", "https://x.example/1")], matcher)
    # Linked by URL; its text differs from the original's.
    store_entries(
        session, two, [entry("b", "Same story, other words", "https://x.example/1")], matcher
    )
    # Matches only the copy's text, from a third source.
    third = store_entries(session, None, [entry("c", "Same story, other words")], matcher)
    item = session.get(NewsItem, third.new_ids[0])
    assert item is not None
    assert item.same_story_as_id == original.new_ids[0]


def test_large_batches_use_chunked_lookups(session, feeds, matcher):
    count = LOOKUP_CHUNK * 2 + 17
    entries = [
        ParsedEntry(
            guid=f"g{n}",
            url=f"https://bulk.example/{n}",
            title=f"Item {n}",
            summary_html=None,
            published_at=None,
            content_hash=f"{n:064x}",
        )
        for n in range(count)
    ]
    assert store_entries(session, feeds[0], entries, matcher).new == count
    again = store_entries(session, feeds[0], entries, matcher)
    assert (again.new, again.duplicates) == (0, count)
    linked = store_entries(session, feeds[1], entries, matcher)
    assert (linked.new, linked.linked) == (count, count)


def test_naive_fetched_at_is_refused(session, feeds, matcher):
    with pytest.raises(ValueError, match="naive"):
        store_entries(session, feeds[0], [entry("g")], matcher, fetched_at=datetime(2025, 1, 1))


def test_ingest_refuses_what_is_not_a_feed(session):
    with pytest.raises(TrackerError, match="HTML page"):
        ingest_document(session, b"<!doctype html><html><body>hi</body></html>")
    with pytest.raises(TrackerError, match=r"https://x\.example/feed"):
        ingest_document(session, b"garbage", source_url="https://x.example/feed")
    assert count_items(session) == 0


def test_ingest_builds_a_matcher_when_none_is_given(session, actors):
    result = ingest_document(session, rss("<title>Tehran responds</title>"))
    assert result.new == 1
    tagged = session.exec(
        select(NewsItemActor.actor_id).where(col(NewsItemActor.news_item_id) == result.new_ids[0])
    ).all()
    assert tagged == [actors["IRN"]]


def test_ingest_of_an_empty_feed_stores_nothing(session):
    result = ingest_document(session, rss())
    assert (result.new, result.duplicates, result.linked, result.new_ids) == (0, 0, 0, [])
