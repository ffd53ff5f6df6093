"""Hostile records for the injection tests (reliability item 6): a demo database, plus a topic,
statements, speakers, sources, an event, a feed, news items, review notes, a proposed change and
accounts whose every text field holds markup that would run script if a page rendered it as
HTML or followed it as a link.

Every record is filed through the domain functions (``create_topic``, ``create_statement``,
``create_event``, ``add_feed``, ``ingest_document``…), as the pages and the poller would file
it; each payload sets ``window.__pwned`` and/or calls ``alert()`` when it runs. Each text starts
with a tag (``hx<key>``) so a test can tell which payload it sees on a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from sqlmodel import Session

from tests.app.demo_db import build_demo_db
from tracker.actors import actor_by_code
from tracker.auth import create_user
from tracker.db import make_engine
from tracker.events import create_event
from tracker.feeds.ingest import ingest_document
from tracker.feeds.registry import add_feed
from tracker.models import (
    EventCreate,
    Feed,
    SourceCreate,
    StanceLevelCreate,
    StatementCreate,
    TopicCreate,
)
from tracker.review import review_queue, review_statement
from tracker.statements import create_statement, update_statement
from tracker.topics import create_topic

PASSWORD = "correct horse battery staple"
ACCOUNTS = {"casey": "contributor", "rene": "reviewer", "ada": "admin"}
TOPIC_SLUG = "hostile-topic"
LONG_CHARS = 20_000

# key -> the hostile text. Markdown and HTML in every spelling a renderer might honour.
PAYLOADS: dict[str, str] = {
    "img": '<img src=x onerror="window.__pwned=1;alert(1)">',
    "script": "<script>window.__pwned=1;alert(1)</script>",
    "mdlink": "[click](javascript:window.__pwned=1)",
    "mdtricks": (
        "[a]( JaVaScRiPt:window.__pwned=1) [b](java&#115;cript:window.__pwned=1) "
        "[c](<javascript:window.__pwned=1>) <javascript:window.__pwned=1> "
        "![d](javascript:window.__pwned=1) [e][r]\n\n[r]: javascript:window.__pwned=1"
    ),
    "escaped": (
        "&lt;script&gt;window.__pwned=1&lt;/script&gt; "
        "&#60;img src=x onerror=window.__pwned=1&#62; %3Cscript%3Ealert(1)%3C/script%3E"
    ),
    "anchor": (
        '<a href="javascript:window.__pwned=1">click</a> '
        '<a href=" jav&#x09;ascript:window.__pwned=1">tab</a> '
        '<svg><a xlink:href="javascript:window.__pwned=1"><text>svg</text></a></svg>'
    ),
    "frames": (
        '<iframe src="javascript:window.__pwned=1"></iframe>'
        '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>'
        "<svg onload=window.__pwned=1></svg><details open ontoggle=alert(1)>"
    ),
    "streamlit": (
        ":red[**red**] :material/warning: :streamlit: :material_home: a -- b -> c <= d "
        "$\\href{javascript:window.__pwned=1}{tex}$ <style>body{display:none}</style> "
        "{{7*7}} ${alert(1)}"
    ),
    "rtl": (
        "\u202egnp.exe\u202c mixed \u202bright-to-left\u202c zero\u200bwidth\u200d\ufeff joiners"
    ),
}
# What each payload must look like on a page that shows it in full: the dangerous part as text
# (pages may keep Streamlit from rewriting ``--`` or ``:streamlit:`` with an invisible U+2060).
VISIBLE: dict[str, str] = {
    "img": '<img src=x onerror="window.__pwned=1;alert(1)">',
    "script": "<script>window.__pwned=1;alert(1)</script>",
    "mdlink": "[click](javascript:window.__pwned=1)",
    "mdtricks": "[a]( JaVaScRiPt:window.__pwned=1)",
    "escaped": "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
    "anchor": '<a href="javascript:window.__pwned=1">click</a>',
    "frames": '<iframe src="javascript:window.__pwned=1"></iframe>',
    "streamlit": ":red[**red**] :material/warning: :streamlit: :material_home: a -- b -> c <= d",
    "rtl": "\u202egnp.exe\u202c",
}


def long_text() -> str:
    """20,000 characters: the longest quote a statement may hold, hostile all along."""
    unit = "\u202e<script>window.__pwned=1</script>[x](javascript:alert(1)) "
    body = "hxlong " + unit * (LONG_CHARS // len(unit) + 1)
    return body[:LONG_CHARS]


def tagged(key: str, limit: int | None = None) -> str:
    text = f"hx{key} {PAYLOADS[key]}"
    return text[:limit] if limit else text


@dataclass
class HostileData:
    database_url: str
    topic_slug: str = TOPIC_SLUG
    statements: dict[str, int] = field(default_factory=dict)  # payload key -> statement id
    long_statement: int = 0
    rejected_statement: int = 0  # its review note is hostile
    edited_statement: int = 0  # verified, with a hostile proposed change waiting
    event: int = 0
    feed: int = 0
    news: dict[str, int] = field(default_factory=dict)  # payload key -> news item id
    passwords: dict[str, str] = field(default_factory=dict)


def _sources(key: str) -> list[SourceCreate]:
    text = PAYLOADS[key]
    return [
        SourceCreate(
            # http(s) addresses are all a source may hold; these try to break out of the link.
            url='https://example.org/"><svg/onload=window.__pwned=1>)](javascript:alert(1))',
            title=tagged(key, 500),
            publisher=tagged(key, 200),
            archive_url="https://web.archive.org/web/javascript:window.__pwned=1",
        ),
        SourceCreate(citation=tagged(key, 2000), publisher=text[:200]),
    ]


def _topic(session: Session) -> int:
    levels = [
        StanceLevelCreate(value=v, label=f"hxlabel{v} {PAYLOADS[k]}"[:80], rule=tagged(k, 1000))
        for v, k in zip(
            (-2, -1, 0, 1, 2), ("img", "script", "mdlink", "anchor", "streamlit"), strict=True
        )
    ]
    topic = create_topic(
        session,
        TopicCreate(
            slug=TOPIC_SLUG,
            title=tagged("img", 200),
            proposition=(tagged("script") + " " + PAYLOADS["mdlink"])[:500],
            description="\n\n".join(tagged(k) for k in PAYLOADS) + "\n\n" + long_text(),
            levels=levels,
        ),
    )
    return topic.id


def _news_feed(session: Session, data: HostileData) -> int:
    feed = add_feed(
        session,
        "https://feeds.example/hostile.xml",
        title=tagged("img", 300),
        acting_user_id=None,
    )
    items = []
    now = datetime.now(UTC)
    for i, key in enumerate(PAYLOADS):
        published = (now - timedelta(minutes=i + 1)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        items.append(
            f"<item><title>{escape(tagged(key))} Pakistan</title>"
            f"<link>javascript:window.__pwned=1</link><guid>hostile-{key}</guid>"
            f"<pubDate>{published}</pubDate>"
            f"<description>{escape(PAYLOADS[key] + ' ' + PAYLOADS['img'])}</description></item>"
        )
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(tagged('script'))}</title><link>https://feeds.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    )
    result = ingest_document(
        session, document.encode(), feed_id=feed.id, source_url="https://feeds.example/"
    )
    for key, item_id in zip(PAYLOADS, result.new_ids, strict=True):
        data.news[key] = item_id
    # A failing fetch's message can quote what the server sent: recorded as the poller would.
    row = session.get(Feed, feed.id)
    assert row is not None
    row.status, row.error_count, row.failing_since = "failing", 1, now
    row.last_error = tagged("anchor", 2000)
    session.add(row)
    session.flush()
    return feed.id


def file_hostile_records(session: Session, data: HostileData) -> None:
    """Everything hostile, through the domain functions; the caller commits."""
    users = {name: create_user(session, name, PASSWORD, role).id for name, role in ACCOUNTS.items()}
    create_user(
        session,
        "mallory",
        PASSWORD,
        "contributor",
        email='"<img/src=x/onerror=window.__pwned=1>"@evil.example',
    )
    data.passwords = dict.fromkeys(ACCOUNTS, PASSWORD)
    casey, rene = users["casey"], users["rene"]
    # The demo's own pending statements are checked first, so the review queue (oldest first,
    # twenty in detail) opens on the hostile ones.
    for item in review_queue(session):
        review_statement(session, item.statement.id, user_id=rene, verdict="verified")
    topic_id = _topic(session)
    data.feed = _news_feed(session, data)
    pak, irn = actor_by_code(session, "PAK"), actor_by_code(session, "IRN")
    assert pak is not None and irn is not None

    for i, key in enumerate(PAYLOADS):
        view = create_statement(
            session,
            StatementCreate(
                topic_id=topic_id,
                actor_id=(pak if i % 2 else irn).id,
                said_on=date(2025, 1, 1) + timedelta(days=20 * i),
                quote=tagged(key),
                language="en",
                translation=tagged(key),
                summary=tagged(key, 500),
                speaker_role=tagged(key, 200),
                stance=(-2, 2, -1, 1, 0)[i % 5],  # every step a position shift
                channel="speech",
                sources=_sources(key),
                news_item_ids=[data.news[key]],
            ),
            user_id=casey,
            new_speaker=f"hxspeaker{key} {PAYLOADS[key]}"[:200],
        )
        data.statements[key] = view.id

    data.long_statement = create_statement(
        session,
        StatementCreate(
            topic_id=topic_id,
            actor_id=pak.id,
            said_on=date(2025, 11, 1),
            quote=long_text(),
            language="en",
            stance=2,
            channel="speech",
            sources=_sources("rtl"),
        ),
        user_id=casey,
    ).id

    def extra(summary: str) -> int:
        return create_statement(
            session,
            StatementCreate(
                topic_id=topic_id,
                actor_id=irn.id,
                said_on=date(2025, 12, 1),
                summary=summary,
                stance=0,
                channel="speech",
                sources=[SourceCreate(citation="Hostile test record")],
            ),
            user_id=casey,
        ).id

    data.rejected_statement = extra("hxrejected statement")
    review_statement(
        session,
        data.rejected_statement,
        user_id=rene,
        verdict="rejected",
        note=tagged("mdtricks", 2000),
    )
    data.edited_statement = extra("hxedited statement")
    review_statement(
        session, data.edited_statement, user_id=rene, verdict="verified", note=tagged("frames")
    )
    change = StatementCreate(
        topic_id=topic_id,
        actor_id=irn.id,
        said_on=date(2025, 12, 1),
        summary=tagged("anchor", 500),
        stance=1,
        channel="speech",
        sources=_sources("anchor"),
    )
    update_statement(
        session, data.edited_statement, change, user_id=casey, reason=tagged("escaped", 2000)
    )

    data.event = create_event(
        session,
        EventCreate(
            title=tagged("img", 300),
            description="\n\n".join(tagged(k) for k in PAYLOADS) + "\n\n" + long_text(),
            starts_on=date(2025, 3, 1),
            ends_on=date(2025, 4, 1),
            actor_ids=[pak.id, irn.id],
            topic_ids=[topic_id],
            sources=_sources("mdlink"),
        ),
        user_id=casey,
    ).id


def build_hostile_db(path: Path) -> HostileData:
    """The demo database at ``path`` with every hostile record added."""
    data = HostileData(database_url=build_demo_db(path))
    engine = make_engine(data.database_url)
    try:
        with Session(engine) as session:
            file_hostile_records(session, data)
            session.commit()
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return data
