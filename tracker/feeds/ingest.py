"""Parse a feed document and store its entries: the one entry point for files and polls."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from tracker.errors import TrackerError
from tracker.feeds.parse import parse_feed
from tracker.feeds.store import StoreResult, store_entries
from tracker.feeds.tagging import ActorMatcher


def ingest_document(
    session: Session,
    body: bytes,
    *,
    feed_id: int | None = None,
    source_url: str | None = None,
    content_type: str | None = None,
    matcher: ActorMatcher | None = None,
    fetched_at: datetime | None = None,
) -> StoreResult:
    """Store the new entries of an RSS/Atom document; flushes, the caller commits.

    Raises ``TrackerError`` when the document is not a usable feed. A well-formed feed with
    no entries stores nothing and is not an error.
    """
    parsed = parse_feed(body, url=source_url, content_type=content_type)
    if parsed.error is not None:
        where = source_url or "the document"
        raise TrackerError(f"Could not read {where} as a feed: {parsed.error}")
    if matcher is None:
        matcher = ActorMatcher.from_session(session)
    return store_entries(session, feed_id, parsed.entries, matcher, fetched_at=fetched_at)
