"""Feed discovery against a real loopback HTTP server, through the poller's safe fetcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from tracker.errors import ValidationError
from tracker.feeds.discover import COMMON, GIVEN, LINKED, discover, feed_links
from tracker.feeds.netsafety import AddressPolicy

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://site.example/</link>
<item><title>Talks in Tehran</title><link>https://site.example/a</link><guid>a</guid></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom news</title><id>urn:x</id>
<updated>2025-06-20T12:00:00Z</updated>
<entry><title>One</title><id>urn:1</id><updated>2025-06-20T12:00:00Z</updated></entry>
</feed>"""
RSS_TYPE = "application/rss+xml"


def page(head: str, body: str = "<p>Hello</p>") -> str:
    return (
        f"<!doctype html><html><head><title>The Site</title>{head}</head><body>{body}</body></html>"
    )


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    # Our own server on 127.0.0.1 (not "localhost", which may also resolve to ::1).
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.start()
    try:
        yield srv
    finally:
        srv.clear()
        srv.stop()


@pytest.fixture
def site(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", "127.0.0.1/32")
    server.clear()
    yield server
    server.clear()


def url(server: HTTPServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def test_a_feed_url_is_its_own_answer(site):
    site.expect_request("/news.rss").respond_with_data(
        RSS.format(title="Loopback News"), content_type=RSS_TYPE
    )
    found = discover(url(site, "/news.rss"))
    assert found.is_feed
    assert [(c.url, c.title, c.how) for c in found.candidates] == [
        (url(site, "/news.rss"), "Loopback News", GIVEN)
    ]
    assert found.candidates[0].site_url == "https://site.example/"


def test_html_page_alternate_links_with_relative_hrefs(site):
    head = (
        f'<link rel="alternate" type="{RSS_TYPE}" title="Main feed" href="/feeds/main.xml">'
        '<link rel="Alternate stylesheet" type="application/atom+xml" href="atom.xml">'
        '<link rel="alternate" type="application/rss+xml" href="/feeds/main.xml#dup">'
        '<link rel="alternate" type="application/json" href="/feed.json">'
        '<link rel="stylesheet" type="application/rss+xml" href="/not-alternate.xml">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
        '<link rel="alternate" type="application/rss+xml" href="http://10.0.0.1/feed">'
    )
    site.expect_request("/blog/").respond_with_data(page(head), content_type="text/html")
    found = discover(url(site, "/blog/"))
    assert not found.is_feed
    assert [(c.url, c.title, c.how) for c in found.candidates] == [
        (url(site, "/feeds/main.xml"), "Main feed", LINKED),
        (url(site, "/blog/atom.xml"), "The Site", LINKED),  # no title: the page's
    ]


def test_base_href_is_honoured():
    links, title = feed_links(
        page(
            '<base href="https://cdn.example/x/">'
            '<link rel="alternate" type="application/atom+xml" href="feed.atom">'
        ),
        "https://site.example/page",
    )
    assert title == "The Site"
    assert [c.url for c in links] == ["https://cdn.example/x/feed.atom"]


def test_common_paths_are_tried_when_the_page_links_no_feed(site):
    site.expect_request("/").respond_with_data(page(""), content_type="text/html")
    site.expect_request("/feed").respond_with_data("not here", status=404)
    site.expect_request("/rss").respond_with_data(page(""), content_type="text/html")
    site.expect_request("/rss.xml").respond_with_data(ATOM, content_type="application/atom+xml")
    found = discover(url(site, "/"))
    assert [(c.url, c.title, c.how) for c in found.candidates] == [
        (url(site, "/rss.xml"), "Atom news", COMMON)
    ]


def test_a_missing_page_still_finds_the_site_feed(site):
    site.expect_request("/index.xml").respond_with_data(
        RSS.format(title="Hugo site"), content_type="application/xml"
    )
    found = discover(url(site, "/no/such/page"))
    assert [c.url for c in found.candidates] == [url(site, "/index.xml")]


def test_nothing_found_says_what_was_tried(site):
    site.expect_request("/").respond_with_data(page(""), content_type="text/html")
    found = discover(url(site, "/"))
    assert found.candidates == []
    assert found.message is not None
    assert "No feed found" in found.message
    assert "links to no RSS or Atom feed" in found.message
    assert "/feed, /rss, /rss.xml, /atom.xml, /feed.xml, /index.xml" in found.message


def test_a_broken_feed_is_reported_as_such(site):
    site.expect_request("/broken.xml").respond_with_data(
        "<rss version='2.0'><channel><item><title>x</title", content_type=RSS_TYPE
    )
    found = discover(url(site, "/broken.xml"))
    assert found.candidates == []
    assert found.message is not None and "is not a usable feed" in found.message


def test_a_refused_address_is_not_fetched(server, monkeypatch):
    monkeypatch.delenv("TRACKER_ALLOW_PRIVATE_FEEDS", raising=False)
    server.clear()
    server.expect_request("/").respond_with_data(RSS.format(title="x"), content_type=RSS_TYPE)
    with pytest.raises(ValidationError, match="private or reserved"):
        discover(url(server, "/"))
    assert server.log == []


def test_the_fetcher_checks_the_address_itself(site):
    # The URL passes the quick check (the environment allows loopback), but the fetch is made
    # with a policy that does not: the fetcher refuses, so discovery is as safe as polling.
    site.expect_request("/").respond_with_data(RSS.format(title="x"), content_type=RSS_TYPE)
    found = discover(url(site, "/"), policy=AddressPolicy())
    assert found.candidates == []
    assert found.message is not None
    assert "Could not fetch" in found.message and "private or reserved" in found.message
    assert site.log == []


def test_a_redirect_to_a_refused_address_is_not_followed(site):
    site.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    found = discover(url(site, "/moved"))
    assert found.candidates == []
    assert found.message is not None
    assert "Could not fetch" in found.message and "169.254.169.254" in found.message


def test_a_permanent_redirect_gives_the_new_address(site):
    site.expect_request("/old.rss").respond_with_data(
        "", status=301, headers={"Location": "/new.rss"}
    )
    site.expect_request("/new.rss").respond_with_data(
        RSS.format(title="Moved"), content_type=RSS_TYPE
    )
    found = discover(url(site, "/old.rss"))
    assert [c.url for c in found.candidates] == [url(site, "/new.rss")]


def test_a_bad_url_is_refused_before_any_fetch():
    with pytest.raises(ValidationError, match="only http"):
        discover("file:///etc/passwd")
