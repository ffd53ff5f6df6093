"""Which addresses the poller may connect to: by default, only public ones.

A feed URL is typed by a user or comes from a redirect chosen by a stranger, so without this a
feed could make the poller read the cloud metadata service (169.254.169.254), the database or
an admin page on the private network (server-side request forgery). Every resolved address of
every hop is checked, including addresses that carry an IPv4 address inside IPv6 (mapped,
6to4, NAT64, Teredo, compatible), and IPv4 spelled the way only libc reads it (2130706433,
0177.0.0.1, 0x7f.1), which some parsers and the resolver disagree about.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from tracker.errors import ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ENV_VAR: Final = "TRACKER_ALLOW_PRIVATE_FEEDS"
ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
DEFAULT_PORTS: Final = {"http": 80, "https": 443}

# Not all of these are covered by ipaddress' is_global in every Python version.
_CGNAT: Final = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64: Final = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_LIBC_IPV4_PART = re.compile(r"\A(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z")


class UnsafeAddress(Exception):
    """The URL is not http(s), or its host is, or resolves to, an address that is refused."""


@dataclass(frozen=True)
class AddressPolicy:
    allowed_networks: tuple[IPNetwork, ...] = ()
    allow_all_private: bool = False

    @classmethod
    def from_env(cls) -> AddressPolicy:
        return cls.parse(os.environ.get(ENV_VAR, ""))

    @classmethod
    def parse(cls, raw: str) -> AddressPolicy:
        """``""``/``"0"``: public addresses only; ``"1"``: anything; else a list of networks."""
        text = raw.strip()
        if text in ("", "0"):
            return cls()
        if text == "1":
            return cls(allow_all_private=True)
        networks: list[IPNetwork] = []
        for part in text.split(","):
            item = part.strip()
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ConfigError(
                    f"{ENV_VAR}={raw!r} is not understood: {item!r} is not a network. Use 1 to "
                    "allow every private address, or networks such as 127.0.0.1/32,::1/128; "
                    "leave it unset to allow public addresses only"
                ) from None
        return cls(allowed_networks=tuple(networks))

    def is_allowed(self, address: IPAddress) -> bool:
        if self.allow_all_private:
            return True
        embedded = embedded_ipv4(address)
        candidates = [address] if embedded is None else [address, embedded]
        for candidate in candidates:
            if any(candidate in net for net in self.allowed_networks):
                return True
        return all(is_public(a) for a in candidates)

    def resolve_url(self, url: str) -> list[IPAddress]:
        """The addresses the URL's host resolves to, all allowed, in resolver order.

        Raises ``UnsafeAddress`` when any of them is refused (a name with one public and one
        private address is refused: which one a connection uses is not ours to choose), and
        ``OSError`` when the name does not resolve.
        """
        scheme, host, port = split_host(url)
        if scheme not in ALLOWED_SCHEMES:
            raise UnsafeAddress(f"only http and https URLs are fetched, not {scheme or 'this'}")
        literal = parse_ip_literal(host)
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        else:
            try:
                ascii_host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise UnsafeAddress(f"the host name {host!r} is not valid") from None
            infos = socket.getaddrinfo(ascii_host, port, type=socket.SOCK_STREAM)
            addresses = _unique(ipaddress.ip_address(_strip_zone(str(i[4][0]))) for i in infos)
            if not addresses:
                raise OSError(f"{host} has no address")
        for address in addresses:
            if not self.is_allowed(address):
                where = host if host == str(address) else f"{host} ({address})"
                raise UnsafeAddress(
                    f"{where} is a private or reserved address; the poller fetches only "
                    f"public addresses (see {ENV_VAR})"
                )
        return addresses

    def check_url(self, url: str) -> None:
        """Raise ``UnsafeAddress`` unless every address of the URL's host is allowed."""
        self.resolve_url(url)


def split_host(url: str) -> tuple[str, str, int]:
    """Scheme, host (lowercase, no brackets) and port of a URL, or ``UnsafeAddress``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeAddress(f"the URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeAddress("the URL has no host")
    return scheme, host, port or DEFAULT_PORTS.get(scheme, 0)


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host spells, read the way libc's resolver reads it, or None for names."""
    try:
        return ipaddress.ip_address(_strip_zone(host))
    except ValueError:
        pass
    return libc_ipv4(host)


def libc_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """IPv4 in the forms inet_aton accepts: 1 to 4 parts, each decimal, octal (0…) or hex
    (0x…), the last part filling the remaining bytes: 2130706433, 0177.1, 0x7f.0.0.1."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_LIBC_IPV4_PART.match(p) for p in parts):
        return None
    values = [_libc_number(p) for p in parts]
    *head, last = values
    if any(v > 0xFF for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = 0
    for value in head:
        number = number << 8 | value
    return ipaddress.IPv4Address(number << (8 * (4 - len(head))) | last)


def _libc_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part, 16)
    return int(part, 8) if part.startswith("0") else int(part)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and would reach, if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64) or int(address) >> 32 == 0:
        # NAT64 and the deprecated IPv4-compatible form (::a.b.c.d) carry it in the low bits.
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or not address.is_global
    )


def _strip_zone(host: str) -> str:
    # fe80::1%eth0: the zone picks an interface; the address alone decides what it is.
    return host.split("%", 1)[0]


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    seen: list[IPAddress] = []
    for address in addresses:
        if address not in seen:
            seen.append(address)
    return seen
