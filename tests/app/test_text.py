"""The rules for showing user text: Markdown escaped, links only to http(s) addresses."""

from datetime import date

import pytest

from tracker.ui.text import date_text, http_url, md_escape, md_link, md_quote


@pytest.mark.parametrize(
    "text",
    [
        "**bold** _it_ `code`",
        "[click](javascript:alert(1))",
        "<script>alert(1)</script>",
        "$x^2$ :red[alarm] :material/home: ~~gone~~",
        "# heading\n- item\n1. item",
        "a | table | row",
    ],
)
def test_md_escape_leaves_no_markup(text):
    escaped = md_escape(text)
    # Every Markdown-significant character is preceded by a backslash.
    for i, ch in enumerate(escaped):
        if ch in "*_`[]()<>$:~#|!-":
            assert escaped[i - 1] == "\\", (escaped, i)


def test_md_quote_quotes_every_line():
    assert md_quote("one\n\ntwo*") == "> one\n>\n> two\\*"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        (" http://example.org ", "http://example.org"),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("//example.org/x", None),
        ("https://exa mple.org", None),
        ("ftp://example.org", None),
        (None, None),
    ],
)
def test_http_url(url, expected):
    assert http_url(url) == expected


def test_md_link():
    assert md_link("Dawn [1]", "https://dawn.com/a_(b)") == (
        "[Dawn \\[1\\]](https://dawn.com/a_%28b%29)"
    )
    assert md_link("Evil", "javascript:alert(1)") == "Evil"


def test_date_text_follows_precision():
    assert date_text(date(2025, 6, 1)) == "1 Jun 2025"
    assert date_text(date(2025, 6, 1), "month") == "June 2025"
    assert date_text(date(2025, 6, 1), "year") == "2025"
