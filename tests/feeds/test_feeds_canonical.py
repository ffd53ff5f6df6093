import pytest

from tracker.feeds.canonical import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.ORG/Path/A?x=1", "https://www.example.org/Path/A?x=1"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://example.org", "https://example.org/"),
        ("https://user:secret@example.org/a", "https://example.org/a"),
        ("  https://example.org/a  ", "https://example.org/a"),
        ("http://[2001:db8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
    ],
)
def test_normalises_scheme_host_port_fragment(url, expected):
    assert canonical_url(url) == expected


def test_drops_tracking_parameters_and_keeps_the_order_of_others():
    url = (
        "https://example.org/story?utm_source=rss&b=2&fbclid=abc&a=1&gclid=x&UTM_Campaign=y"
        "&utm_medium=feed&mc_cid=1&mc_eid=2&igshid=3&msclkid=4&dclid=5&yclid=6&_ga=7&z=&q=a%20b"
    )
    assert canonical_url(url) == "https://example.org/story?b=2&a=1&z=&q=a%20b"


def test_query_of_only_tracking_parameters_disappears():
    assert canonical_url("https://example.org/a?utm_source=x&utm_medium=y") == (
        "https://example.org/a"
    )


def test_keeps_parameters_that_merely_look_alike():
    assert canonical_url("https://example.org/a?utm=1&ref=home") == (
        "https://example.org/a?utm=1&ref=home"
    )


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "/relative/path",
        "ftp://example.org/file",
        "javascript:alert(1)",
        "mailto:someone@example.org",
        "https:///no-host",
        "http://example.org:99999/",
        "http://[::1/",
    ],
)
def test_none_unless_http_with_host(url):
    assert canonical_url(url) is None
