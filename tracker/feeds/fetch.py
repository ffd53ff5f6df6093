"""Fetch one feed over HTTP, safely and within bounds; never raises for network or HTTP trouble.

Redirects are followed here, not by httpx, so that every hop's host is checked by the address
policy and the connection is made to the very address that was checked: the request goes to
the IP literal, with the original Host header and TLS server name (SNI, certificate check).
That closes DNS rebinding between our check and httpx's own lookup. What remains: the name is
resolved once per hop, so a hostile resolver can only answer that one lookup, and a pooled
keep-alive connection to an address is reused for another name on the same address (same
checked address, so no new exposure). ``getaddrinfo`` itself has no deadline; it is bounded by
the system resolver's own timeouts.

The body is streamed: the clock and the size are checked on every chunk, so a body trickling a
byte a second ends at the deadline, and decompression is done here with a bounded output, so a
gzip bomb stops at the size cap instead of inflating in memory.
"""

from __future__ import annotations

import functools
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from tracker import __version__
from tracker.feeds.netsafety import AddressPolicy, UnsafeAddress, split_host
from tracker.feeds.schedule import parse_max_age, parse_retry_after
from tracker.timeutil import utcnow

USER_AGENT: Final = f"tracker-feed-poller/{__version__}"
ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
ACCEPT_ENCODING: Final = "gzip, deflate"
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS: Final = frozenset({301, 308})
MAX_ERROR_CHARS: Final = 500
DRAIN_BYTES: Final = 64 * 1024

ErrorKind = str  # one of ERROR_KINDS
ERROR_KINDS: Final = frozenset(
    {"timeout", "too_large", "unsafe_address", "too_many_redirects", "network", "http", "bad_url"}
)


@dataclass(frozen=True)
class FetchLimits:
    total_seconds: float = 20.0
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int | None
    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    permanent_redirect: str | None
    retry_after_seconds: float | None
    max_age_seconds: int | None
    error_kind: str | None
    error: str | None
    bytes_read: int
    elapsed_ms: int


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Reading the CA bundle takes about 50 ms: once per process, not once per poll (a loop
    # polls every minute, and a poll answered by 304s takes about a second).
    return ssl.create_default_context(cafile=certifi.where())


def make_client(*, max_connections: int = 100) -> httpx.Client:
    """A client for ``fetch_feed``: no automatic redirects, no proxies from the environment
    (a proxy would connect to the name, not to the address we checked)."""
    return httpx.Client(
        verify=_tls_context(),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )


class _Failed(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class _Progress:
    url: str
    permanent_redirect: str | None = None
    still_permanent: bool = True
    bytes_read: int = 0


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: AddressPolicy,
    limits: FetchLimits = FetchLimits(),
) -> FetchResult:
    """GET ``url`` conditionally, following up to ``limits.max_redirects`` checked redirects."""
    started = time.monotonic()
    deadline = started + limits.total_seconds
    state = _Progress(url=url)
    conditional: dict[str, str] = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified

    def result(**fields: object) -> FetchResult:
        base: dict[str, object] = {
            "url": url,
            "final_url": state.url,
            "status": None,
            "body": None,
            "etag": None,
            "last_modified": None,
            "content_type": None,
            "permanent_redirect": state.permanent_redirect,
            "retry_after_seconds": None,
            "max_age_seconds": None,
            "error_kind": None,
            "error": None,
            "bytes_read": state.bytes_read,
            "elapsed_ms": int((time.monotonic() - started) * 1000),
        }
        base.update(fields)
        return FetchResult(**base)  # type: ignore[arg-type]

    try:
        for hop in range(limits.max_redirects + 1):
            response = _send(client, state.url, conditional, policy, deadline)
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    target = _redirect_target(state.url, location)
                    if response.status_code in PERMANENT_REDIRECTS and state.still_permanent:
                        state.permanent_redirect = target
                    else:
                        state.still_permanent = False
                    state.url = target
                    _drain(response, deadline)
                    if hop == limits.max_redirects:
                        raise _Failed(
                            "too_many_redirects",
                            f"more than {limits.max_redirects} redirects (last to {target})",
                        )
                    continue
                return _final(response, state, limits, deadline, result)
            finally:
                response.close()
    except _Failed as exc:
        return result(error_kind=exc.kind, error=str(exc)[:MAX_ERROR_CHARS])
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _final(
    response: httpx.Response,
    state: _Progress,
    limits: FetchLimits,
    deadline: float,
    result: Callable[..., FetchResult],
) -> FetchResult:
    now = utcnow()
    headers = response.headers
    common: dict[str, object] = {
        "status": response.status_code,
        "etag": headers.get("etag"),
        "last_modified": headers.get("last-modified"),
        "content_type": headers.get("content-type"),
        "max_age_seconds": parse_max_age(
            headers.get("cache-control"), headers.get("expires"), headers.get("date"), now
        ),
    }
    status = response.status_code
    if status != 200:
        _drain(response, deadline)
    if status == 304:
        return result(**common)
    if status != 200:
        retry = parse_retry_after(headers.get("retry-after"), now)
        reason = response.reason_phrase or ""
        return result(
            **common,
            retry_after_seconds=retry if status in (429, 503) else None,
            error_kind="http",
            error=f"HTTP {status} {reason}".strip(),
        )
    body = _read_body(response, state, limits, deadline)
    return result(**common, body=body)


def _send(
    client: httpx.Client,
    url: str,
    conditional: dict[str, str],
    policy: AddressPolicy,
    deadline: float,
) -> httpx.Response:
    _check_syntax(url)
    try:
        # Resolved and checked right before connecting, and the connection goes to this address.
        addresses = policy.resolve_url(url)
    except UnsafeAddress as exc:
        raise _Failed("unsafe_address", f"refused {url}: {exc}") from None
    except OSError as exc:
        raise _Failed("network", f"cannot resolve the host of {url}: {exc}") from None
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise _Failed("bad_url", f"not a valid URL: {url!r} ({exc})") from None
    host = parsed.raw_host.decode("ascii")
    for index, address in enumerate(addresses):
        remaining = _remaining(deadline)
        timeouts = {"connect": remaining, "read": remaining, "write": remaining, "pool": remaining}
        request = client.build_request(
            "GET",
            parsed.copy_with(host=str(address)),
            headers={"Host": _host_header(parsed), **conditional},
            extensions={"timeout": timeouts, "sni_hostname": host},
        )
        try:
            response = client.send(request, stream=True)
        except httpx.ConnectError as exc:
            if index + 1 < len(addresses):
                continue  # the next checked address of the same name (IPv6, then IPv4…)
            raise _Failed("network", f"{parsed.host}: {_describe(exc)}") from None
        except httpx.TimeoutException:
            raise _Failed("timeout", f"no answer from {parsed.host} in time") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise _Failed("bad_url", f"{url}: {exc}") from None
        except httpx.RemoteProtocolError as exc:
            if "location header" in str(exc).lower():
                # httpx parses Location even when not following redirects, and refuses some
                # spellings (0251.0376.0251.0376) before we could check them: no request was
                # made to the target, which is what matters.
                message = f"{parsed.host} redirected to an invalid URL: {exc}"
                raise _Failed("bad_url", message) from None
            raise _Failed("network", f"{parsed.host}: {_describe(exc)}") from None
        except httpx.HTTPError as exc:
            raise _Failed("network", f"{parsed.host}: {_describe(exc)}") from None
        # httpx reads the read timeout when the body starts streaming, from this same dict,
        # so shrinking it now keeps a stalled body from outliving the deadline (if a later
        # httpx copied the dict, the bound would only be looser, never wrong).
        timeouts["read"] = _remaining(deadline)
        return response
    raise AssertionError("unreachable: resolve_url returns at least one address")


def _check_syntax(url: str) -> None:
    try:
        scheme, _, _ = split_host(url)
    except UnsafeAddress as exc:
        raise _Failed("bad_url", f"not a valid URL: {url!r} ({exc})") from None
    if scheme not in ("http", "https"):
        raise _Failed("bad_url", f"only http and https URLs are fetched, not {url!r}")


def _host_header(parsed: httpx.URL) -> str:
    host = parsed.raw_host.decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    return host if parsed.port is None else f"{host}:{parsed.port}"


def _redirect_target(current: str, location: str) -> str:
    try:
        target = urljoin(current, location.strip())
        scheme = urlsplit(target).scheme.lower()
    except ValueError as exc:
        raise _Failed("bad_url", f"redirected to an invalid URL {location!r}: {exc}") from None
    if scheme not in ("http", "https"):
        raise _Failed("unsafe_address", f"refused a redirect to a {scheme or 'schemeless'} URL")
    return target


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Failed("timeout", "the fetch took longer than allowed")
    return left


def _drain(response: httpx.Response, deadline: float) -> None:
    """Read a small unwanted body (304, redirect, error page) so the connection can be reused;
    a large or slow one is left unread, and the connection is closed with the response."""
    seen = 0
    try:
        for chunk in response.iter_raw():
            seen += len(chunk)
            if seen > DRAIN_BYTES or time.monotonic() > deadline:
                return
    except httpx.HTTPError:
        return


def _read_body(
    response: httpx.Response, state: _Progress, limits: FetchLimits, deadline: float
) -> bytes:
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "")
    if declared.isdigit() and not encoding and int(declared) > limits.max_bytes:
        raise _Failed("too_large", f"the feed is {declared} bytes, over {limits.max_bytes}")
    decoder = _Decoder(encoding)
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_raw():
            state.bytes_read += len(chunk)
            for piece in decoder.decode(chunk, limits.max_bytes - size + 1):
                size += len(piece)
                if size > limits.max_bytes:
                    raise _Failed("too_large", f"the feed is over {limits.max_bytes} bytes")
                parts.append(piece)
            if time.monotonic() > deadline:
                raise _Failed("timeout", f"the body took longer than {limits.total_seconds:g} s")
    except httpx.TimeoutException:
        raise _Failed("timeout", f"the body took longer than {limits.total_seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise _Failed("network", f"reading the body: {_describe(exc)}") from None
    except zlib.error as exc:
        raise _Failed("http", f"the body is not valid {encoding} ({exc})") from None
    return b"".join(parts)


class _Decoder:
    """Content-Encoding decoding whose output per call is bounded (gzip bombs)."""

    def __init__(self, header: str) -> None:
        codings = [c.strip().lower() for c in header.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise _Failed("http", f"unsupported stacked content encodings: {header}")
        self.coding = codings[0] if codings else None
        if self.coding not in (None, "gzip", "x-gzip", "deflate"):
            raise _Failed("http", f"unsupported content encoding: {header}")
        self._z = self._new(self.coding)
        self._first = True

    @staticmethod
    def _new(coding: str | None) -> zlib._Decompress | None:
        if coding is None:
            return None
        # 32 + MAX_WBITS accepts a zlib or a gzip header; raw deflate is retried below.
        return zlib.decompressobj(32 + zlib.MAX_WBITS)

    def decode(self, data: bytes, limit: int) -> list[bytes]:
        if self._z is None:
            return [data]
        z = self._z
        out: list[bytes] = []
        pending = data
        total = 0
        while pending and total <= limit:
            try:
                piece = z.decompress(pending, max(1, limit - total))
            except zlib.error:
                if not (self._first and self.coding == "deflate"):
                    raise
                # Some servers send raw deflate for "deflate"; retry once without a header.
                z = self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                continue
            self._first = False
            out.append(piece)
            total += len(piece)
            if z.eof and z.unused_data:
                # Concatenated gzip members are one body (RFC 1952 2.2).
                pending = z.unused_data
                z = self._z = zlib.decompressobj(32 + zlib.MAX_WBITS)
            else:
                pending = z.unconsumed_tail
        return out


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:MAX_ERROR_CHARS]
