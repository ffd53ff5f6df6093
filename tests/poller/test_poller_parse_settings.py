"""The worker processes parse with two feedparser passes switched off (its HTML sanitiser, as
nh3 sanitises afterwards; and link resolution, when every kept link is already absolute).
What gets stored must be exactly what parse_feed gives with feedparser's defaults."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest

from tracker.feeds.parse import parse_feed
from tracker.feeds.poller import links_are_absolute

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T &amp; <b>bold</b></title><link>https://site.example/</link>
<item><title>A &lt;script&gt;alert(1)&lt;/script&gt; title</title><guid>x1</guid>
<link>https://site.example/1?utm_source=rss</link>
<description>&lt;p onclick="evil()"&gt;Text
&lt;a href="https://a.example/x" onmouseover="x"&gt;link&lt;/a&gt;
&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src="https://t.example/p.gif"&gt;
&lt;iframe src="https://e.example/"&gt;&lt;/iframe&gt;&lt;style&gt;p{}&lt;/style&gt;
&lt;a href="javascript:alert(3)"&gt;js&lt;/a&gt; &amp;amp; &amp;eacute; &amp;#8211; caf&#233;
&lt;blockquote cite="https://q.example/"&gt;quoted&lt;/blockquote&gt;
&lt;svg&gt;&lt;text&gt;s&lt;/text&gt;&lt;/svg&gt;&lt;math&gt;&lt;mi&gt;x&lt;/mi&gt;&lt;/math&gt;
&lt;div style="x"&gt;div &lt;u&gt;u&lt;/u&gt;&lt;/div&gt;</description>
</item>
<item><title type="html">Plain</title><guid>x2</guid>
<description><![CDATA[<p>CDATA <em>emphasis</em> <a href='https://b.example/'>b</a>
<object data="x"></object></p>]]></description>
</item></channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Atom &lt;i&gt;feed&lt;/i&gt;</title>
<link href="https://atom.example/"/><id>urn:x</id><updated>2025-06-01T00:00:00Z</updated>
<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X<b>H</b>TML</div></title>
<id>urn:e1</id><link href="https://atom.example/e1"/><updated>2025-06-01T00:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Body <a href="https://c.example/">c</a>
<script>bad()</script></p></div></content></entry>
<entry><title>Text</title><id>urn:e2</id><updated>2025-06-02T00:00:00Z</updated>
<summary type="html">&lt;p&gt;S &lt;q cite="https://q.example/"&gt;q&lt;/q&gt;&lt;/p&gt;</summary>
<content type="text">a &lt; b &amp; c</content></entry></feed>
"""


def documents() -> list[bytes]:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from poll import feed_body  # the benchmark farm's feeds

    docs = [HOSTILE.encode(), ATOM.encode(), feed_body(1, 20), feed_body(7, 50)]
    demo = ROOT / "data" / "demo" / "report.xml"
    if demo.exists():
        docs.append(demo.read_bytes())
    return docs


@contextmanager
def worker_settings(body: bytes) -> Iterator[None]:
    saved = feedparser.SANITIZE_HTML, feedparser.RESOLVE_RELATIVE_URIS
    feedparser.SANITIZE_HTML = False
    feedparser.RESOLVE_RELATIVE_URIS = not links_are_absolute(body)
    try:
        yield
    finally:
        feedparser.SANITIZE_HTML, feedparser.RESOLVE_RELATIVE_URIS = saved


@pytest.mark.parametrize("index", range(len(documents())))
def test_worker_settings_store_exactly_what_the_defaults_store(index):
    body = documents()[index]
    url = "https://feeds.example/feed.xml"
    expected = parse_feed(body, url=url, content_type="application/rss+xml")
    with worker_settings(body):
        got = parse_feed(body, url=url, content_type="application/rss+xml")
    assert got.entries, "the document should have entries"
    assert got == expected


def test_relative_links_are_still_resolved():
    body = (
        b'<rss version="2.0"><channel><title>T</title><item><guid>r</guid><title>R</title>'
        b'<description>&lt;a href="/story"&gt;story&lt;/a&gt;</description></item>'
        b"</channel></rss>"
    )
    assert not links_are_absolute(body)
    with worker_settings(body):
        (entry,) = parse_feed(body, url="https://feeds.example/feed.xml").entries
    assert 'href="https://feeds.example/story"' in (entry.summary_html or "")


@pytest.mark.parametrize(
    ("fragment", "absolute"),
    [
        (b'<a href="https://x.example/">', True),
        (b"&lt;a href=&quot;http://x.example/&quot;&gt;", True),
        (b"<q cite='https://x.example/'>", True),
        (b"no links at all", True),
        (b'<a href="/relative">', False),
        (b'<a href="//scheme-relative.example/">', False),
        (b"&lt;a href=relative&gt;", False),
        (b'<blockquote cite="notes.html">', False),
        (b'<a href=" https://space.example/">', False),
    ],
)
def test_links_are_absolute(fragment, absolute):
    assert links_are_absolute(fragment) is absolute
