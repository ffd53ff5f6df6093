"""Which addresses the poller may reach: parsing the setting, refusing private addresses in
every spelling, allowing listed networks only."""

import ipaddress
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.errors import ConfigError
from tracker.feeds.netsafety import AddressPolicy, UnsafeAddress, embedded_ipv4, libc_ipv4

DEFAULT = AddressPolicy()
LOOPBACK_V4 = AddressPolicy.parse("127.0.0.1/32")


@pytest.mark.parametrize("raw", ["", "0", "  ", " 0 "])
def test_unset_or_zero_allows_public_addresses_only(monkeypatch, raw):
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", raw)
    assert AddressPolicy.from_env() == AddressPolicy()


def test_unset_variable_is_the_default(monkeypatch):
    monkeypatch.delenv("TRACKER_ALLOW_PRIVATE_FEEDS", raising=False)
    assert AddressPolicy.from_env() == AddressPolicy()


def test_one_allows_everything(monkeypatch):
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", "1")
    policy = AddressPolicy.from_env()
    assert policy.allow_all_private
    policy.check_url("http://169.254.169.254/latest/meta-data/")


def test_a_list_of_networks_allows_just_those(monkeypatch):
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", "127.0.0.1/32, ::1/128")
    policy = AddressPolicy.from_env()
    assert policy.allowed_networks == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
    )
    policy.check_url("http://127.0.0.1:8080/feed")
    policy.check_url("http://[::1]:8080/feed")
    with pytest.raises(UnsafeAddress):
        policy.check_url("http://127.0.0.2/feed")
    with pytest.raises(UnsafeAddress):
        policy.check_url("http://10.0.0.1/feed")


@pytest.mark.parametrize("raw", ["yes", "true", "127.0.0.1/33", "10.0.0.0/8,nonsense", "2"])
def test_anything_else_is_a_clear_configuration_error(monkeypatch, raw):
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", raw)
    with pytest.raises(ConfigError, match="TRACKER_ALLOW_PRIVATE_FEEDS") as info:
        AddressPolicy.from_env()
    assert "127.0.0.1/32" in str(info.value)  # the message shows what would work


REFUSED = [
    "http://127.0.0.1/",
    "http://127.255.255.254/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://0.0.0.0/",
    "http://224.0.0.251/",  # multicast
    "http://239.255.255.250/",
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://198.18.0.1/",  # benchmarking
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fec0::1]/",  # site-local
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a00:1]/",
    "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[64:ff9b::7f00:1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo, client 10.0.0.1
    "http://localhost/",
    "http://LOCALHOST.:8080/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_special_addresses_are_refused_by_default(url):
    with pytest.raises(UnsafeAddress, match="private or reserved"):
        DEFAULT.check_url(url)


# What resolves to 127.0.0.1 itself is allowed by 127.0.0.1/32, embedded or not.
OTHER_THAN_LOOPBACK_V4 = [
    u for u in REFUSED if not any(s in u.lower() for s in ("127.0.0.1", "7f00", "localhost"))
]


@pytest.mark.parametrize("url", OTHER_THAN_LOOPBACK_V4)
def test_allowing_loopback_does_not_allow_other_private_addresses(url):
    with pytest.raises(UnsafeAddress):
        LOOPBACK_V4.check_url(url)


@pytest.mark.parametrize(
    "url", ["http://93.184.215.14/feed", "https://[2606:4700:4700::1111]/", "http://8.8.8.8:80/"]
)
def test_public_addresses_are_allowed(url):
    DEFAULT.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://0177.1/",
        "http://017700000001/",
        "http://0x7F.0x0.0x0.0x1/",
    ],
)
def test_unusual_spellings_of_loopback_are_read_as_libc_does_and_refused(url):
    with pytest.raises(UnsafeAddress, match=r"127\.0\.0\.1"):
        DEFAULT.check_url(url)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://167772161/", "10.0.0.1"),
        ("http://012.0.0.1/", "10.0.0.1"),
        ("http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"),
        ("http://2852039166/", "169.254.169.254"),
        ("http://0251.0376.0251.0376/", "169.254.169.254"),
    ],
)
def test_unusual_spellings_of_other_private_addresses_are_refused_even_with_loopback_allowed(
    url, address
):
    with pytest.raises(UnsafeAddress, match=address.replace(".", r"\.")):
        LOOPBACK_V4.check_url(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/feed", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)"]
)
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(UnsafeAddress):
        AddressPolicy(allow_all_private=True).check_url(url)


@pytest.mark.parametrize("url", ["http:///feed", "http://", "http://[::1/", "http://host:99999/"])
def test_malformed_urls_are_refused(url):
    with pytest.raises(UnsafeAddress):
        AddressPolicy(allow_all_private=True).check_url(url)


def test_a_name_that_does_not_resolve_is_a_network_error_not_an_unsafe_one():
    with pytest.raises(OSError):
        DEFAULT.check_url("http://no-such-host.invalid/feed")


def test_embedded_ipv4_addresses_are_found():
    assert embedded_ipv4(ipaddress.ip_address("::ffff:10.1.2.3")) == ipaddress.ip_address(
        "10.1.2.3"
    )
    assert embedded_ipv4(ipaddress.ip_address("64:ff9b::808:808")) == ipaddress.ip_address(
        "8.8.8.8"
    )
    assert embedded_ipv4(ipaddress.ip_address("2606:4700::1111")) is None
    assert embedded_ipv4(ipaddress.ip_address("10.0.0.1")) is None


@pytest.mark.parametrize("text", ["1.2.3.4.5", "256.1.1.1", "08.1.1.1", "0x", "1..1", "", "a.b"])
def test_libc_refuses_what_is_not_an_address(text):
    assert libc_ipv4(text) is None


_part = st.one_of(
    st.integers(0, 255).map(str),
    st.integers(0, 255).map(lambda n: "0" + format(n, "o")),
    st.integers(0, 255).map(lambda n: "0x" + format(n, "x")),
)


@given(st.lists(_part, min_size=4, max_size=4))
def test_dotted_spellings_read_as_glibc_reads_them(parts):
    text = ".".join(parts)
    expected = ipaddress.IPv4Address(socket.inet_aton(text))
    assert libc_ipv4(text) == expected


@given(st.integers(0, 2**32 - 1), st.sampled_from(["{:d}", "0{:o}", "0x{:x}"]))
def test_single_number_spellings_read_as_glibc_reads_them(number, spelling):
    text = spelling.format(number)
    if text == "00":
        text = "0"
    assert libc_ipv4(text) == ipaddress.IPv4Address(socket.inet_aton(text))
