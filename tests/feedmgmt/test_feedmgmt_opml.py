"""OPML import (safe parsing, nesting, duplicates, bad entries) and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from tracker.errors import TrackerError
from tracker.feeds.opml import export_opml, import_opml, parse_opml
from tracker.feeds.registry import add_feed, list_feeds
from tracker.models import Feed, User

DEMO_OPML = Path(__file__).resolve().parents[2] / "data" / "demo" / "feeds.opml"

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News">
      <outline text="World">
        <outline type="rss" text="Alpha" xmlUrl="https://alpha.example/rss" htmlUrl="https://alpha.example/"/>
        <outline type="rss" title="Bravo &amp; Co" text="ignored" xmlurl="https://bravo.example/atom.xml"/>
      </outline>
      <outline type="rss" text="Charlie" xmlUrl="https://charlie.example/feed"/>
    </outline>
    <outline type="rss" text="Top level" xmlUrl="https://top.example/index.xml"/>
    <outline text="just a note"/>
  </body>
</opml>
"""


def feed_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Feed)).one()


@pytest.fixture(autouse=True)
def _public_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_ALLOW_PRIVATE_FEEDS", raising=False)


def test_the_demo_opml_imports_cleanly(session):
    result = import_opml(session, DEMO_OPML.read_bytes(), acting_user_id=None)
    session.commit()
    assert not result.problems
    assert len(result.added) == 13
    titles = {f.title for f in list_feeds(session)}
    assert "Dawn (Pakistan)" in titles and "BBC News – World" in titles
    # Importing fetches nothing: every feed waits for the poller, due now.
    assert {f.status for f in list_feeds(session)} == {"active"}
    assert all(f.last_polled_at is None for f in list_feeds(session))


def test_nested_outlines_are_all_imported(session):
    entries, problems = parse_opml(NESTED)
    assert not problems
    assert [(e.url, e.title, e.folder) for e in entries] == [
        ("https://alpha.example/rss", "Alpha", "News / World"),
        ("https://bravo.example/atom.xml", "Bravo & Co", "News / World"),
        ("https://charlie.example/feed", "Charlie", "News"),
        ("https://top.example/index.xml", "Top level", None),
    ]
    result = import_opml(session, NESTED, acting_user_id=None)
    session.commit()
    assert len(result.added) == 4
    alpha = next(f for f in list_feeds(session) if f.title == "Alpha")
    assert alpha.site_url == "https://alpha.example/"


def test_duplicates_in_the_file_and_in_the_database_are_skipped(session):
    add_feed(session, "https://alpha.example/rss", acting_user_id=None)
    session.commit()
    doubled = NESTED.replace(
        b"<body>", b'<body><outline type="rss" text="C2" xmlUrl="HTTPS://CHARLIE.example/feed"/>'
    )
    result = import_opml(session, doubled, acting_user_id=None)
    session.commit()
    assert [f.title for f in result.added] == ["C2", "Bravo & Co", "Top level"]
    assert sorted(result.duplicates) == [
        "https://alpha.example/rss",
        "https://charlie.example/feed",
    ]
    assert feed_count(session) == 4
    again = import_opml(session, doubled, acting_user_id=None)
    assert not again.added and len(again.duplicates) == 5


def test_bad_entries_are_reported_and_the_rest_imported(session):
    document = b"""<opml version="2.0"><head/><body>
      <outline type="rss" text="Script" xmlUrl="javascript:alert(1)"/>
      <outline type="rss" text="File" xmlUrl="file:///etc/passwd"/>
      <outline type="rss" text="FTP" xmlUrl="ftp://example.org/feed"/>
      <outline type="rss" text="Metadata" xmlUrl="http://169.254.169.254/latest"/>
      <outline type="rss" text="No URL"/>
      <outline type="rss" text="Good" xmlUrl="https://good.example/rss" htmlUrl="javascript:x"/>
    </body></opml>"""
    result = import_opml(session, document, acting_user_id=None)
    session.commit()
    assert [f.url for f in result.added] == ["https://good.example/rss"]
    assert result.added[0].site_url is None
    reasons = {p.where.split(" (")[0]: p.reason for p in result.problems}
    assert set(reasons) == {"Script", "File", "FTP", "Metadata", "No URL"}
    assert "only http:// and https://" in reasons["Script"]
    assert "private or reserved" in reasons["Metadata"]
    assert "no xmlUrl" in reasons["No URL"]
    assert feed_count(session) == 1
    assert "1 feed added" in result.summary() and "5 not imported" in result.summary()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<opml version="2.0"><body><outline type="rss" text="&c;" xmlUrl="https://x.example/rss"/></body></opml>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline type="rss" text="&secret;" xmlUrl="https://x.example/rss"/></body></opml>
"""
PLAIN_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE opml>
<opml version="2.0"><body><outline type="rss" text="x" xmlUrl="https://x.example/rss"/></body></opml>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, PLAIN_DOCTYPE])
def test_doctype_and_entities_are_refused_and_nothing_stored(session, document):
    with pytest.raises(TrackerError, match="DOCTYPE or entities"):
        import_opml(session, document, acting_user_id=None)
    session.rollback()
    assert feed_count(session) == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"", "empty"),
        (b"<opml><body><outline", "not well-formed"),
        (b"<rss version='2.0'><channel/></rss>", "not an OPML file"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"x" * (5 * 1024 * 1024 + 1), "at most"),
    ],
)
def test_unreadable_documents_are_refused(session, document, message):
    with pytest.raises(TrackerError, match=message):
        import_opml(session, document, acting_user_id=None)
    session.rollback()
    assert feed_count(session) == 0


def test_import_needs_an_admin(session):
    user = User(username="casey", role="contributor")
    session.add(user)
    session.commit()
    with pytest.raises(TrackerError, match="Only an admin"):
        import_opml(session, NESTED, acting_user_id=user.id)
    assert feed_count(session) == 0


def test_export_then_import_round_trips(session, engine):
    import_opml(session, NESTED, acting_user_id=None)
    add_feed(
        session,
        "https://quotes.example/rss?a=1&b=<2>",
        title='Quotes "&" <Angles>',
        acting_user_id=None,
    )
    session.commit()
    exported = export_opml(session)
    assert exported.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<opml version="2.0">' in exported
    before = {(f.url, f.title, f.site_url) for f in list_feeds(session)}

    for feed in session.exec(select(Feed)).all():
        session.delete(feed)
    session.commit()
    assert feed_count(session) == 0

    result = import_opml(session, exported, acting_user_id=None)
    session.commit()
    assert not result.problems and not result.duplicates
    after = {(f.url, f.title, f.site_url) for f in list_feeds(session)}
    assert after == before


def test_export_of_no_feeds_is_a_valid_empty_list(session):
    entries, problems = parse_opml(export_opml(session))
    assert entries == [] and problems == []
