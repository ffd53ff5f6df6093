"""A corpus of hostile and broken feeds, served over real HTTP on loopback.

``CorpusServer`` serves every case of ``CASES`` on an allowed loopback address; each case is
named, says what it attacks, and says what the poller must make of it (``error``: a regex the
error recorded on the feed must match; None: no error is required, the global checks of
stored items still apply). ``ForbiddenServer`` listens on addresses the poller must never
reach (127.0.0.1 and ::1, where every local name resolves and where 0.0.0.0 leads): each
connection it accepts is a private fetch the poller should not have made.

URLs and bodies are templates: ``{corpus}`` is the corpus server's base URL, ``{fport}`` and
``{f6port}`` the forbidden servers' ports.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RSS_TYPE = "application/rss+xml; charset=utf-8"
MIB = 1024 * 1024
BOMB_MIB = 1024

# Errors the poller records, by what refused the feed (regexes, matched case-insensitively).
REFUSED = r"private or reserved address|only http and https|refused a redirect"
REFUSED_OR_INVALID = REFUSED + r"|not a valid URL|invalid URL|is not valid"
ENTITIES = r"declares XML entities"
TOO_LARGE = r"over \d+ bytes|the feed is \d+ bytes"
TIMEOUT = r"longer than|no answer .* in time"
NOT_A_FEED = r"not an RSS or Atom feed|HTML page|malformed|empty|could not be parsed"
NETWORK = r"Server disconnected|illegal|invalid|protocol|peer closed|incomplete|reset|too long"


@dataclass(frozen=True)
class Served:
    """What a corpus path answers: status, headers and a body (bytes, or chunks streamed)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", RSS_TYPE),)
    body: bytes | Callable[[], Iterator[bytes]] = b""
    # Seconds to wait between streamed chunks (the trickle).
    pause: float = 0.0
    # A raw answer instead of HTTP (protocol garbage); None: a normal response.
    raw: bytes | None = None


@dataclass(frozen=True)
class Case:
    name: str
    attacks: str
    # The feed's URL: a corpus path ("/...") or a full URL template.
    url: str
    expect_error: str | None
    # What the corpus serves for the case's path(s): path -> answer.
    serves: dict[str, Served | Callable[[Context], Served]] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    corpus: str
    fport: int
    f6port: int

    def fill(self, text: str) -> str:
        return text.format(corpus=self.corpus, fport=self.fport, f6port=self.f6port)


# --- documents ------------------------------------------------------------------------------


def rss(items: str, *, prolog: str = "", encoding: str = "utf-8", title: str = "Feed") -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>'
    text = (
        f'{head}{prolog}<rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://site.example/</link>{items}</channel></rss>"
    )
    return text.encode(encoding)


def item(guid: str, title: str, *, link: str = "", extra: str = "") -> str:
    link_xml = f"<link>{link}</link>" if link else ""
    guid_xml = f'<guid isPermaLink="false">{guid}</guid>'
    return f"<item>{guid_xml}<title>{title}</title>{link_xml}{extra}</item>"


def atom(entries: str, *, base: str = "") -> bytes:
    base_attr = f' xml:base="{base}"' if base else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
        f"{base_attr}><title>Atom</title><id>urn:corpus</id><updated>2025-01-01T00:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode()


def good_feed(n: int) -> bytes:
    items = "".join(
        item(
            f"good-{n}-{i}",
            f"Good feed {n} story {i} about Pakistan",
            link=f"https://good{n}.example/{i}",
        )
        for i in range(3)
    )
    return rss(items, title=f"Good feed {n}")


GOOD_FEEDS = 5
GOOD_ITEMS_EACH = 3

LOL = (
    '<!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)).replace(
        "&lol0;", "&lol;"
    )
    + "]>"
)
BILLION_LAUGHS_ITEMS = item("lol", "&lol9;")


def billion_laughs(encoding: str = "utf-8", before: str = "") -> bytes:
    return rss(BILLION_LAUGHS_ITEMS, prolog=before + LOL, encoding=encoding)


def quadratic_blowup() -> bytes:
    prolog = f'<!DOCTYPE rss [<!ENTITY big "{"B" * 50_000}">]>'
    return rss(item("quad", "&big;" * 50_000), prolog=prolog)


def xxe(system_id: str) -> bytes:
    return rss(item("xxe", "&xxe;"), prolog=f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{system_id}">]>')


# --- bodies too big or too slow -------------------------------------------------------------


def endless_items(total: int) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
        block = "".join(item(f"big-{i}", f"filler {i}") for i in range(200)).encode()
        sent = 0
        while sent < total:
            yield block
            sent += len(block)

    return chunks


@cache
def gzip_bomb(raw_deflate: bool = False) -> bytes:
    """1 GiB of spaces inside a title, compressed to about a MiB (valid to the last byte).

    Compressing a GiB takes seconds; after a full flush a compressor starts afresh, so one
    compressed MiB of spaces can be repeated instead, and only the checksum sees every byte.
    """
    prefix = b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>'
    suffix = b"</title></item></channel></rss>"
    spaces = b" " * MIB
    z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = z.compress(prefix) + z.flush(zlib.Z_FULL_FLUSH)
    segment = z.compress(spaces) + z.flush(zlib.Z_FULL_FLUSH)
    deflate = head + segment * BOMB_MIB + z.compress(suffix) + z.flush()
    if raw_deflate:
        return deflate
    crc = zlib.crc32(prefix)
    for _ in range(BOMB_MIB):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(suffix, crc)
    size = (len(prefix) + BOMB_MIB * MIB + len(suffix)) & 0xFFFFFFFF
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + deflate + struct.pack("<II", crc, size)


@cache
def gzip_members_bomb() -> bytes:
    """Thousands of concatenated gzip members, each inflating to 1 MiB."""
    member = gzip.compress(b"<" * MIB, 9)
    return member * 2000


def trickle() -> Iterator[bytes]:
    for byte in rss(item("slow", "one byte a second")):
        yield bytes([byte])


# --- the cases ------------------------------------------------------------------------------


def redirect(location: str) -> Callable[[Context], Served]:
    def answer(ctx: Context) -> Served:
        return Served(status=302, headers=(("Location", ctx.fill(location)),), body=b"moved")

    return answer


def feed_body(body: bytes, content_type: str = RSS_TYPE, **extra: str) -> Served:
    headers = (("Content-Type", content_type), *extra.items())
    return Served(headers=tuple((k.replace("_", "-"), v) for k, v in headers), body=body)


def _case(name: str, attacks: str, expect: str | None, answer: Any = None, url: str = "") -> Case:
    path = f"/case/{name}"
    serves = {path: answer} if answer is not None else {}
    return Case(name, attacks, url or path, expect, serves)


def _redirect_case(name: str, attacks: str, target: str, expect: str = REFUSED) -> Case:
    return _case(name, attacks, expect, redirect(target))


def _direct_case(name: str, attacks: str, url: str, expect: str = REFUSED) -> Case:
    return _case(name, attacks, expect, url=url)


JS_ITEMS = "".join(
    [
        item("js-1", "javascript link", link="javascript:alert(1)"),
        item("js-2", "mixed-case scheme link", link=" JaVaScRiPt:alert(document.cookie)"),
        item("js-3", "data link", link="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"),
        item(
            "js-4",
            "javascript in summary",
            link="https://ok.example/4",
            extra=(
                '<description><![CDATA[<a href="javascript:alert(1)">a</a>'
                '<a href="&#106;avascript:alert(2)">b</a><a href="java&#x09;script:alert(3)">c</a>'
                '<a href="vbscript:msgbox(4)">d</a><a href=" javascript:alert(5)">e</a>'
                '<a href="data:text/html;base64,PHNjcmlwdD4=">f</a>'
                '<q cite="javascript:alert(6)">g</q>]]></description>'
            ),
        ),
    ]
)
SCRIPT_ITEMS = "".join(
    [
        item("s-1", "&lt;script&gt;alert(1)&lt;/script&gt;Script title"),
        item(
            "s-2",
            "<![CDATA[<img src=x onerror=alert(1)>Image title]]>",
            extra=(
                "<description><![CDATA[<script>alert(1)</script><img src=x onerror=alert(2)>"
                '<iframe src="https://evil.example"></iframe><p onclick="alert(3)">text</p>'
                '<svg onload="alert(4)"></svg><style>body{display:none}</style>'
                '<a href="https://ok.example" onmouseover="alert(5)">ok</a>]]></description>'
            ),
        ),
        item("s-3", "\u202egnp.exe RTL override title"),
    ]
)
ATOM_JS = atom(
    '<entry><id>urn:a1</id><title>atom js</title><link href="javascript:alert(1)"/>'
    '<updated>2025-01-01T00:00:00Z</updated><content type="html">&lt;a href="x"&gt;rel&lt;/a&gt;'
    "</content></entry>"
    '<entry><id>urn:a2</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
    '<a href="javascript:alert(2)">x</a></div></title><link href="rel/2"/>'
    "<updated>2025-01-01T00:00:00Z</updated></entry>",
    base="javascript:alert(9)//",
)
DATE_ITEMS = "".join(
    [
        item("d-0", "year zero", extra="<pubDate>Sat, 01 Jan 0000 00:00:00 GMT</pubDate>"),
        item("d-9999", "year 9999", extra="<pubDate>Fri, 31 Dec 9999 23:59:59 -1200</pubDate>"),
        item("d-iso0", "iso year zero", extra="<pubDate>0000-01-01T00:00:00Z</pubDate>"),
        item("d-iso9", "iso 9999", extra="<pubDate>9999-12-31T23:59:59+14:00</pubDate>"),
        item(
            "d-huge", "year 99999999", extra="<pubDate>Mon, 01 Jan 99999999 00:00:00 GMT</pubDate>"
        ),
        item("d-neg", "negative", extra="<pubDate>-0001-01-01T00:00:00Z</pubDate>"),
        item("d-junk", "junk date", extra="<pubDate>31/02/2024 25:61</pubDate>"),
    ]
)
NUL_FEED = rss(
    item("nul-1", "nul\x00title", extra="<description>a\x00b</description>")
    + item("nul\x00guid", "nul guid", link="https://nul.example/a\x00b")
    + item("ctl-1", "control\x01\x1b[31m characters\x7f")
).replace(b"<title>Feed", b"<title>Feed\x00")
TEN_THOUSAND = rss("".join(item(f"many-{i}", f"Item {i}") for i in range(10_000)))
HUGE_TITLE = rss(
    item("huge-title", "T" * 100_000) + item(f"huge-guid-{'g' * 100_000}", "long guid")
)
HTML_PAGE = (
    b"<!doctype html><html><head><title>Not a feed</title></head><body><p>hi</p></body></html>"
)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
TRUNCATED = rss(item("t-1", "complete") + item("t-2", "cut here"))[:-40]
INVALID_UTF8 = rss(item("bad-utf8", "bad \xff\xfe bytes")).replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")
DEEP = rss(
    item("deep", "deep", extra="<description><![CDATA[" + "<b>" * 100_000 + "x"
         + "</b>" * 100_000 + "]]></description>")
)  # fmt: skip
TRUNCATED_UTF8 = rss(item("t8", "Ünïcödé \u4e2d\u6587 text"))[:-45]


CASES: list[Case] = [
    # Entities: refused before any parser sees them.
    _case("billion_laughs", "entity expansion, 10^9 'lol'", ENTITIES, feed_body(billion_laughs())),
    _case("quadratic_blowup", "one 50 KB entity referenced 50,000 times", ENTITIES,
          feed_body(quadratic_blowup())),
    _case("xxe_file", "external entity reading /etc/passwd", ENTITIES,
          feed_body(xxe("file:///etc/passwd"))),
    _case("xxe_http_private", "external entity fetching a private address", ENTITIES,
          lambda ctx: feed_body(xxe(f"http://127.0.0.1:{ctx.fport}/xxe"))),
    _case("xxe_parameter_entity", "parameter entity loading a remote DTD", ENTITIES,
          lambda ctx: feed_body(rss(item("p", "p"), prolog=(
              f'<!DOCTYPE rss [<!ENTITY % r SYSTEM "http://127.0.0.1:{ctx.fport}/dtd"> %r;]>'
          )))),
    _case("external_dtd", "a DOCTYPE whose external DTD is on a private address", None,
          lambda ctx: feed_body(rss(item("dtd", "external dtd"), prolog=(
              f'<!DOCTYPE rss SYSTEM "http://127.0.0.1:{ctx.fport}/evil.dtd">'
          )))),
    _case("billion_laughs_utf16", "entity expansion in UTF-16", ENTITIES,
          feed_body(billion_laughs("utf-16"))),
    _case("billion_laughs_utf32", "entity expansion in UTF-32", ENTITIES,
          feed_body(billion_laughs("utf-32"))),
    _case("billion_laughs_ebcdic", "entity expansion in EBCDIC (cp037)", ENTITIES,
          feed_body(billion_laughs("cp037"))),
    _case("billion_laughs_after_long_comment", "entities declared after a 70 KB comment",
          ENTITIES, feed_body(billion_laughs(before="<!--" + "c" * 70_000 + "-->"))),
    _case("comment_flood", "16,000 unclosed comment openers (a quadratic prolog scan)",
          ENTITIES + "|" + NOT_A_FEED,
          feed_body(b'<?xml version="1.0"?><!--<!ENTITY-->' + b"<!--" * 16_000)),
    # Size and time.
    _case("body_100mib", "a 100 MiB body with its Content-Length", TOO_LARGE,
          Served(headers=(("Content-Type", RSS_TYPE), ("Content-Length", str(100 * MIB))),
                 body=endless_items(100 * MIB))),
    _case("body_100mib_unannounced", "a 100 MiB body without Content-Length", TOO_LARGE,
          Served(body=endless_items(100 * MIB))),
    _case("gzip_bomb", "1 GiB of gzip-encoded spaces in about 1 MiB", TOO_LARGE,
          lambda ctx: feed_body(gzip_bomb(), Content_Encoding="gzip")),
    _case("deflate_bomb", "1 GiB of raw deflate", TOO_LARGE,
          lambda ctx: feed_body(gzip_bomb(raw_deflate=True), Content_Encoding="deflate")),
    _case("gzip_members_bomb", "2,000 concatenated gzip members of 1 MiB each", TOO_LARGE,
          lambda ctx: feed_body(gzip_members_bomb(), Content_Encoding="gzip")),
    _case("gzip_stacked", "gzip inside gzip, declared twice", r"stacked content encodings",
          lambda ctx: feed_body(gzip.compress(gzip_bomb()), Content_Encoding="gzip, gzip")),
    _case("gzip_undeclared", "a gzip bomb served as application/gzip without encoding",
          NOT_A_FEED, lambda ctx: feed_body(gzip_bomb(), "application/gzip")),
    _case("gzip_corrupt", "gzip header followed by garbage", r"not valid gzip",
          feed_body(b"\x1f\x8b\x08\x00" + b"\xff" * 500, Content_Encoding="gzip")),
    _case("trickle", "a body trickling one byte a second", TIMEOUT,
          Served(body=trickle, pause=1.0)),
    _case("silent_server", "accepts the request and never answers", TIMEOUT,
          Served(raw=b"", pause=60.0)),
    # Redirects.
    _redirect_case("redirect_loop", "A -> B -> A forever", "{corpus}/case/redirect_loop_b",
                   r"more than \d+ redirects"),
    _redirect_case("redirect_loop_b", "the other half of the loop", "{corpus}/case/redirect_loop",
                   r"more than \d+ redirects"),
    _redirect_case("redirect_self", "redirects to itself", "{corpus}/case/redirect_self",
                   r"more than \d+ redirects"),
    _redirect_case("redirect_loopback", "redirect to 127.0.0.1", "http://127.0.0.1:{fport}/feed"),
    _redirect_case("redirect_localhost", "redirect to the name localhost",
                   "http://localhost:{fport}/feed"),
    _redirect_case("redirect_ipv6_loopback", "redirect to [::1]", "http://[::1]:{f6port}/feed"),
    _redirect_case("redirect_ipv4_mapped", "redirect to [::ffff:127.0.0.1]",
                   "http://[::ffff:127.0.0.1]:{fport}/feed"),
    _redirect_case("redirect_metadata", "redirect to the cloud metadata service",
                   "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
    _redirect_case("redirect_private_10", "redirect to 10.0.0.1", "http://10.0.0.1/admin"),
    _redirect_case("redirect_private_192", "redirect to 192.168.1.1", "http://192.168.1.1/"),
    _redirect_case("redirect_decimal_ip", "redirect to 2130706433 (127.0.0.1 in decimal)",
                   "http://2130706433:{fport}/feed"),
    _redirect_case("redirect_octal_ip", "redirect to 0177.0.0.1", "http://0177.0.0.1:{fport}/feed",
                   REFUSED_OR_INVALID),
    _redirect_case("redirect_hex_ip", "redirect to 0x7f.0.0.1", "http://0x7f.0.0.1:{fport}/feed",
                   REFUSED_OR_INVALID),
    _redirect_case("redirect_short_ip", "redirect to 127.1", "http://127.1:{fport}/feed"),
    _redirect_case("redirect_zero", "redirect to 0.0.0.0, which reaches this host",
                   "http://0.0.0.0:{fport}/feed"),
    _redirect_case("redirect_userinfo", "allowed host as userinfo, loopback as host",
                   "http://127.0.0.5@127.0.0.1:{fport}/feed"),
    _redirect_case("redirect_file", "redirect to file:///etc/passwd", "file:///etc/passwd"),
    _redirect_case("redirect_gopher", "redirect to gopher://", "gopher://127.0.0.1:{fport}/_x"),
    _redirect_case("redirect_private_name", "redirect to a name in /etc/hosts (runsc)",
                   "http://runsc:{fport}/feed"),
    _redirect_case("redirect_broken_location", "a Location that is not a URL", "http://[::1",
                   REFUSED_OR_INVALID),
    # Private addresses as the feed's own URL.
    _direct_case("url_metadata", "the metadata service as a feed",
                 "http://169.254.169.254/latest/meta-data/"),
    _direct_case("url_metadata_ipv6", "AWS's IPv6 metadata address", "http://[fd00:ec2::254]/"),
    _direct_case("url_cgnat_metadata", "Alibaba's metadata address (CGNAT range)",
                 "http://100.100.100.200/latest/meta-data/"),
    _direct_case("url_decimal", "127.0.0.1 spelled 2130706433", "http://2130706433:{fport}/x"),
    _direct_case("url_octal", "127.0.0.1 spelled 017700000001", "http://017700000001:{fport}/x",
                 REFUSED_OR_INVALID),
    _direct_case("url_hex", "127.0.0.1 spelled 0x7f000001", "http://0x7f000001:{fport}/x",
                 REFUSED_OR_INVALID),
    _direct_case("url_ipv6_loopback", "[::1]", "http://[::1]:{f6port}/x"),
    _direct_case("url_ipv6_long_loopback", "[0:0:0:0:0:0:0:1]", "http://[0:0:0:0:0:0:0:1]:{f6port}/y"),
    _direct_case("url_ipv4_mapped_hex", "[::ffff:7f00:1]", "http://[::ffff:7f00:1]:{fport}/x"),
    _direct_case("url_localhost", "the name localhost", "http://localhost:{fport}/x"),
    _direct_case("url_localhost_dot_upper", "LOCALHOST. (case, trailing dot)",
                 "http://LOCALHOST.:{fport}/x"),
    _direct_case("url_hosts_name", "a name from /etc/hosts (vm)", "http://vm:{fport}/x"),
    _direct_case("url_unicode_localhost", "a look-alike name that IDNA maps to localhost",
                 "http://\u24dbocalhost:{fport}/x", REFUSED_OR_INVALID),
    _direct_case("url_zero", "0 (0.0.0.0)", "http://0:{fport}/x", REFUSED_OR_INVALID),
    # Content that is not a feed, or a broken one.
    _case("content_html", "an HTML page", NOT_A_FEED, feed_body(HTML_PAGE, "text/html")),
    _case("content_json", "JSON", NOT_A_FEED, feed_body(b'{"items": [1, 2]}', "application/json")),
    _case("content_png", "a PNG image", NOT_A_FEED, feed_body(PNG, "image/png")),
    _case("content_empty", "an empty 200", NOT_A_FEED, feed_body(b"")),
    _case("truncated_xml", "a feed cut inside an item", None, feed_body(TRUNCATED)),
    _case("truncated_utf8", "a feed cut inside a UTF-8 character", None, feed_body(TRUNCATED_UTF8)),
    _case("invalid_utf8", "bytes that are not UTF-8 in a UTF-8 feed", None,
          feed_body(INVALID_UTF8)),
    _case("unknown_encoding", "an encoding nobody knows", None,
          feed_body(rss(item("enc", "klingon")).replace(b"utf-8", b"x-klingon"))),
    _case("lying_charset", "a UTF-16 charset on ASCII bytes", None,
          feed_body(rss(item("lie", "liar")), "text/xml; charset=utf-16")),
    _case("nul_bytes", "NUL bytes in titles and text", None, feed_body(NUL_FEED)),
    _case("ten_thousand_items", "10,000 items in one feed", None, feed_body(TEN_THOUSAND)),
    _case("huge_title", "a 100 KB title and a 100 KB guid", None, feed_body(HUGE_TITLE)),
    _case("dates_out_of_range", "dates in year 0, 9999 and 99999999", None,
          feed_body(rss(DATE_ITEMS))),
    _case("javascript_links", "javascript:, data: and vbscript: links", None,
          feed_body(rss(JS_ITEMS))),
    _case("script_markup", "script tags, event handlers, iframes, RTL override", None,
          feed_body(rss(SCRIPT_ITEMS))),
    _case("atom_javascript_base", "Atom xml:base of javascript: and relative links", None,
          feed_body(ATOM_JS, "application/atom+xml")),
    _case("deep_nesting", "100,000 nested elements", None,
          feed_body(DEEP)),
    # HTTP and protocol trouble.
    _case("http_500", "a server error", r"HTTP 500", Served(status=500, body=b"oops")),
    _case("http_404", "not found", r"HTTP 404", Served(status=404, body=b"gone")),
    _case("retry_after_huge", "429 with a Retry-After of 10^20 seconds", r"HTTP 429",
          Served(status=429, headers=(("Retry-After", "9" * 20),), body=b"slow down")),
    _case("retry_after_year_9999", "503 with a Retry-After date at the end of time", r"HTTP 503",
          Served(status=503, headers=(("Retry-After", "Fri, 31 Dec 9999 23:59:59 -1200"),))),
    _case("max_age_huge", "Cache-Control max-age of 10^20 seconds", None,
          feed_body(rss(item("ma", "max-age")), Cache_Control="max-age=" + "9" * 20)),
    _case("expires_end_of_time", "Expires at the end of time, west of UTC", None,
          feed_body(rss(item("ex", "expires")), Expires="Fri, 31 Dec 9999 23:59:59 -1200")),
    _case("huge_validators", "a 10 KB ETag and a 5 KB Last-Modified (columns hold 500, 100)",
          None, feed_body(rss(item("etag", "etag")), ETag='"' + "e" * 10_000 + '"',
                          Last_Modified="x" * 5_000)),
    # h11 refuses an oversized head only when it arrives in pieces: stored or refused, both safe.
    _case("header_100kb", "one 100 KB response header", None,
          feed_body(rss(item("h100", "h100")), X_Padding="p" * 100_000)),
    _case("not_http", "an answer that is not HTTP", NETWORK, Served(raw=b"HELLO THERE\r\n\r\n")),
    _case("hang_up", "closes the connection without a word", NETWORK, Served(raw=b"")),
    _case("header_flood", "10,000 response headers", None,
          Served(headers=(("Content-Type", RSS_TYPE),
                          *((f"X-Flood-{i}", "x" * 20) for i in range(10_000))),
                 body=rss(item("flood", "flood")))),
    _case("bad_content_length", "a Content-Length longer than the body", NETWORK,
          Served(raw=b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                     b"Content-Length: 5000\r\n\r\n" + rss(item("cl", "short")))),
    _case("redirect_without_location", "302 with no Location", r"HTTP 302",
          Served(status=302, body=b"")),
]  # fmt: skip


# --- servers --------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: CorpusServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test prints its own table

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        answer = self.server.answer(self.path)
        if answer is None:
            self.send_error(404)
            return
        # The poller hanging up mid-answer is what a bound is for.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            self._send(answer)

    def _send(self, answer: Served) -> None:
        if answer.raw is not None:
            self.wfile.write(answer.raw)
            self.wfile.flush()
            self._stall(answer.pause)
            self.close_connection = True
            return
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        streamed = callable(answer.body)
        if not streamed and not any(n.lower() == "content-length" for n, _ in answer.headers):
            self.send_header("Content-Length", str(len(answer.body)))  # type: ignore[arg-type]
        self.send_header("Connection", "close")
        self.end_headers()
        chunks = answer.body() if callable(answer.body) else iter([answer.body])
        for chunk in chunks:
            self.wfile.write(chunk)
            if answer.pause:
                self.wfile.flush()
                time.sleep(answer.pause)
        self.close_connection = True

    def _stall(self, seconds: float) -> None:
        # Hold the connection open without a word, until the client gives up.
        deadline = time.monotonic() + seconds
        self.connection.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                if self.connection.recv(1) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:
                return


class CorpusServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.requests: list[str] = []
        self.routes: dict[str, Served | Callable[[Context], Served]] = {}
        self.context: Context | None = None

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, path: str) -> Served | None:
        route = self.routes.get(path)
        if route is None or self.context is None:
            return None
        return route(self.context) if callable(route) else route


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily) -> None:
        self.address_family = family
        super().__init__(address, _ForbiddenHandler)
        self.connections = 0
        self.lock = threading.Lock()

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.lock:
            self.connections += 1
        return True


class _ForbiddenHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        # A feed worth storing, so a leak would also show in the database.
        body = rss(item(f"secret-{self.path}", "FORBIDDEN-SECRET metadata credentials"))
        self.send_response(200)
        self.send_header("Content-Type", RSS_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ForbiddenServers:
    """Listeners on 127.0.0.1 and ::1 that count every connection made to them."""

    def __init__(self) -> None:
        self.v4 = _CountingServer(("127.0.0.1", 0), socket.AF_INET)
        self.v6: _CountingServer | None
        try:
            self.v6 = _CountingServer(("::1", 0), socket.AF_INET6)
        except OSError:
            self.v6 = None  # no IPv6 here: the [::1] cases are still refused, just not counted

    @property
    def servers(self) -> list[_CountingServer]:
        return [s for s in (self.v4, self.v6) if s is not None]

    @property
    def port(self) -> int:
        return int(self.v4.server_address[1])

    @property
    def port6(self) -> int:
        return int(self.v6.server_address[1]) if self.v6 is not None else 9

    @property
    def connections(self) -> int:
        return sum(s.connections for s in self.servers)


def start(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def route_all(corpus: CorpusServer, forbidden: ForbiddenServers) -> Context:
    ctx = Context(corpus=corpus.base, fport=forbidden.port, f6port=forbidden.port6)
    corpus.context = ctx
    # Built now, not in the first request for them, which would then wait on the build.
    gzip_bomb(), gzip_bomb(raw_deflate=True), gzip_members_bomb()
    for case in CASES:
        corpus.routes.update(case.serves)
    for n in range(GOOD_FEEDS):
        corpus.routes[f"/good/{n}"] = feed_body(good_feed(n))
    # A benign redirect among the good feeds: following redirects still works.
    corpus.routes["/good/redirected"] = redirect("{corpus}/good/0")
    return ctx


def feed_urls(ctx: Context) -> dict[str, str]:
    """The URL of every hostile feed, by case name."""
    return {c.name: ctx.fill(c.url) if c.url.startswith("http") else ctx.corpus + c.url
            for c in CASES}  # fmt: skip


def good_urls(ctx: Context) -> dict[str, str]:
    """The good feeds polled in the same run, and one reached through a redirect."""
    urls = {f"good-{n}": f"{ctx.corpus}/good/{n}" for n in range(GOOD_FEEDS)}
    urls["good-redirected"] = f"{ctx.corpus}/good/redirected"
    return urls
