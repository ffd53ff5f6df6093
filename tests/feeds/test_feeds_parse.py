from datetime import UTC, datetime, timedelta

import pytest

from tracker.feeds.parse import MAX_TITLE_CHARS, parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>Example &amp; News</title>
    <link>https://news.example/</link>
    <ttl>30</ttl>
    <item>
      <title>Pakistan and Iran sign &lt;b&gt;border&lt;/b&gt; pact</title>
      <link>https://news.example/world/pak-iran?utm_source=rss</link>
      <guid isPermaLink="false">story-1</guid>
      <description>&lt;p&gt;Officials met in Tehran.&lt;script&gt;steal()&lt;/script&gt;&lt;/p&gt;
      </description>
      <pubDate>Mon, 02 Jun 2025 10:00:00 +0200</pubDate>
    </item>
    <item>
      <title>Undated item</title>
      <link>https://news.example/undated</link>
      <description>No date here.</description>
    </item>
  </channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Atom Example</title>
  <link rel="alternate" href="https://atom.example/"/>
  <id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>
  <updated>2025-06-13T09:00:00Z</updated>
  <entry>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <title type="text">Use &lt;b&gt; for bold</title>
    <link rel="alternate" href="https://atom.example/2025/06/13/a"/>
    <updated>2025-06-13T09:00:00+03:30</updated>
    <summary type="text">Short &lt;script&gt;alert(1)&lt;/script&gt; summary</summary>
    <content type="html">&lt;p&gt;The much longer full content of the entry.&lt;/p&gt;</content>
  </entry>
</feed>
"""

RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/"
         xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
  <channel rdf:about="https://rdf.example/">
    <title>RDF Example</title>
    <link>https://rdf.example/</link>
    <description>An RSS 1.0 feed</description>
    <sy:updatePeriod>hourly</sy:updatePeriod>
    <sy:updateFrequency>4</sy:updateFrequency>
    <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example/a"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example/a">
    <title>RDF item</title>
    <link>https://rdf.example/a</link>
    <description>Item text</description>
    <dc:date>2025-06-14T12:00:00Z</dc:date>
  </item>
</rdf:RDF>
"""


def rss_items(*items: str, channel: str = "") -> bytes:
    body = "".join(f"<item>{i}</item>" for i in items)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{channel}'
        f"{body}</channel></rss>"
    ).encode()


def test_rss2():
    feed = parse_feed(RSS, url="https://news.example/feed.xml", content_type="application/rss+xml")
    assert feed.error is None
    assert not feed.looks_like_html_page
    assert feed.title == "Example & News"
    assert feed.site_url == "https://news.example/"
    assert feed.ttl_minutes == 30
    first, second = feed.entries
    assert first.guid == "story-1"
    assert first.title == "Pakistan and Iran sign border pact"
    assert first.url == "https://news.example/world/pak-iran?utm_source=rss"
    assert first.summary_html == "<p>Officials met in Tehran.</p>"
    assert first.published_at == datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    assert first.published_at.tzinfo is UTC
    assert len(first.content_hash) == 64
    assert second.published_at is None


def test_long_content_is_cut_to_a_bounded_summary():
    long_html = "&lt;p&gt;" + "word " * 10_000 + "&lt;/p&gt;"
    body = ATOM.replace(
        b"&lt;p&gt;The much longer full content of the entry.&lt;/p&gt;", long_html.encode()
    )
    (entry,) = parse_feed(body).entries
    assert entry.summary_html is not None
    assert entry.summary_html.startswith("<p>Short")


def test_atom_prefers_longer_content_and_keeps_text_titles_as_text():
    feed = parse_feed(ATOM)
    assert feed.error is None
    assert feed.title == "Atom Example"
    assert feed.site_url == "https://atom.example/"
    (entry,) = feed.entries
    assert entry.guid == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert entry.title == "Use <b> for bold"
    assert entry.url == "https://atom.example/2025/06/13/a"
    assert entry.summary_html == "<p>The much longer full content of the entry.</p>"
    assert entry.published_at == datetime(2025, 6, 13, 5, 30, tzinfo=UTC)


def test_plain_text_summary_is_escaped():
    feed = parse_feed(ATOM.replace(b"<content", b"<ignored").replace(b"</content>", b"</ignored>"))
    (entry,) = feed.entries
    assert entry.summary_html == ("<p>Short &lt;script&gt;alert(1)&lt;/script&gt; summary</p>")


def test_rdf():
    feed = parse_feed(RDF)
    assert feed.error is None
    assert feed.title == "RDF Example"
    assert feed.ttl_minutes == 15
    (entry,) = feed.entries
    assert entry.title == "RDF item"
    assert entry.url == "https://rdf.example/a"
    assert entry.guid == "https://rdf.example/a"
    assert entry.published_at == datetime(2025, 6, 14, 12, 0, tzinfo=UTC)


def test_relative_links_resolved_against_the_feed_url():
    body = rss_items("<title>a</title><link>/news/1</link>")
    (entry,) = parse_feed(body, url="https://site.example/feeds/all.xml").entries
    assert entry.url == "https://site.example/news/1"
    (unresolved,) = parse_feed(body).entries
    assert unresolved.url is None


def test_only_http_links_are_kept():
    body = rss_items(
        "<title>a</title><link>javascript:alert(1)</link>",
        "<title>b</title><link>ftp://files.example/x</link>",
    )
    assert [e.url for e in parse_feed(body).entries] == [None, None]


def test_guid_falls_back_to_canonical_link_then_content_hash():
    body = rss_items(
        "<title>Linked</title><link>https://Site.Example/a?utm_source=x#top</link>",
        "<title>Unlinked</title><description>text</description>",
    )
    linked, unlinked = parse_feed(body).entries
    assert linked.guid == "https://site.example/a"
    assert unlinked.guid == f"sha256:{unlinked.content_hash}"


def test_entry_without_title_or_summary_is_skipped_and_summary_only_gets_a_title():
    body = rss_items(
        "<link>https://a.example/empty</link>",
        "<description>Only a summary, which becomes the title.</description>",
    )
    (entry,) = parse_feed(body).entries
    assert entry.title == "Only a summary, which becomes the title."


def test_long_titles_are_bounded():
    (entry,) = parse_feed(rss_items(f"<title>{'x' * 5000}</title>")).entries
    assert len(entry.title) == MAX_TITLE_CHARS
    assert entry.title.endswith("…")


def test_implausible_dates_become_none():
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = rss_items(
        "<title>old</title><pubDate>Mon, 01 Jan 1800 00:00:00 +0000</pubDate>",
        f"<title>future</title><pubDate>{future}</pubDate>",
        f"<title>soon</title><pubDate>{soon}</pubDate>",
        "<title>garbled</title><pubDate>not a date</pubDate>",
    )
    dates = {e.title: e.published_at for e in parse_feed(body).entries}
    assert dates["old"] is None
    assert dates["future"] is None
    assert dates["soon"] is not None  # clocks differ; a little ahead is tolerated
    assert dates["garbled"] is None


def test_content_hash_ignores_case_and_whitespace_but_not_words():
    a, b, c = parse_feed(
        rss_items(
            "<title>Iran  talks</title><description>&lt;p&gt;Begin today&lt;/p&gt;</description>",
            "<title>IRAN talks</title><description>Begin\n today</description>",
            "<title>Iran talks</title><description>End today</description>",
        )
    ).entries
    assert a.content_hash == b.content_hash != c.content_hash


def test_truncated_feed_gives_error_not_exception():
    feed = parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><ti')
    assert feed.entries == []
    assert feed.error is not None
    assert "malformed" in feed.error


def test_bozo_feed_with_entries_is_fine():
    body = rss_items("<title>Caf&eacute; news</title><link>https://a.example/1</link>")
    feed = parse_feed(body)
    assert feed.error is None
    assert [e.url for e in feed.entries] == ["https://a.example/1"]


def test_feed_cut_after_complete_items_keeps_them():
    body = rss_items("<title>kept</title>", "<title>second</title>")[:-40]
    feed = parse_feed(body)
    assert feed.error is None
    assert [e.title for e in feed.entries][:1] == ["kept"]


def test_empty_but_valid_feed_is_not_an_error():
    feed = parse_feed(rss_items())
    assert feed.error is None
    assert feed.entries == []
    assert feed.title == "T"


@pytest.mark.parametrize("content_type", [None, "text/html; charset=utf-8"])
def test_html_page_detected(content_type):
    page = (
        b"<!DOCTYPE html><html><head><title>News</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/feed"></head>'
        b"<body><p>Welcome</p></body></html>"
    )
    feed = parse_feed(page, url="https://news.example/", content_type=content_type)
    assert feed.looks_like_html_page
    assert feed.error is not None
    assert "HTML page" in feed.error
    assert feed.entries == []


@pytest.mark.parametrize("body", [b"", b"   \n", b"not a feed at all", b"/etc/passwd"])
def test_not_a_feed(body):
    feed = parse_feed(body)
    assert feed.error is not None
    assert feed.entries == []
    assert not feed.looks_like_html_page
