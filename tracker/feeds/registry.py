"""The list of feeds: add, pause, resume, refresh now and delete, with who may do it.

Fetching is the poller's job; nothing here touches the network. A feed URL is checked before
anything is stored (http or https, a host, no credentials, not too long, not an address the
poller would refuse), so bad input leaves the database as it was.

Writes take ``acting_user_id``: the id of the signed-in user, whose role is read from the
database (only admins manage feeds), or ``None`` for the machine's operator at the command
line. They flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from tracker.errors import PermissionDenied, TrackerError, ValidationError
from tracker.feeds.netsafety import ENV_VAR, AddressPolicy, parse_ip_literal
from tracker.models import Feed, FeedFetch, FeedStatus, NewsItem, Role, StatementNewsItem, User
from tracker.timeutil import as_utc, utcnow
from tracker.validation import check_http_url

MAX_URL_CHARS: Final = 2000
MAX_TITLE_CHARS: Final = 300
RECENT_FETCHES: Final = 10
# Statuses ordered for the health table: what needs attention comes first.
STATUS_ORDER: Final = {
    FeedStatus.FAILING: 0,
    FeedStatus.GONE: 1,
    FeedStatus.ACTIVE: 2,
    FeedStatus.PAUSED: 3,
}


@dataclass(frozen=True)
class FeedView:
    """A feed with its health, as the Feeds page and `tracker feeds list` show it."""

    id: int
    url: str
    title: str | None
    site_url: str | None
    status: str
    poll_interval_seconds: int
    next_poll_at: datetime
    last_polled_at: datetime | None
    last_success_at: datetime | None
    failing_since: datetime | None
    error_count: int
    last_error: str | None
    created_at: datetime
    items: int = 0

    @property
    def name(self) -> str:
        return self.title or self.url


@dataclass(frozen=True)
class FetchView:
    """One entry of a feed's fetch log."""

    started_at: datetime
    duration_ms: int
    http_status: int | None
    outcome: str
    items_new: int
    bytes_read: int
    error: str | None


# --- validation ----------------------------------------------------------------------------


def url_problem(url: str | None) -> str | None:
    """What is wrong with ``url`` as a feed address, or None when it can be stored."""
    problem = check_http_url(url, required=True)
    if problem is not None:
        return problem
    assert url is not None
    text = url.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return "the URL contains control characters"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError as exc:
        return f"the URL is malformed ({exc})"
    if parts.username is not None or parts.password is not None:
        return "remove the user name and password from the URL: they would be shown to everyone"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "the URL has no host name"
    literal = parse_ip_literal(host)
    if host == "localhost" or host.endswith(".localhost"):
        literal = parse_ip_literal("127.0.0.1")
    if literal is not None and not AddressPolicy.from_env().is_allowed(literal):
        return (
            f"{host} is a private or reserved address, which the poller refuses to fetch "
            f"(an operator can allow it with {ENV_VAR})"
        )
    return None


def normalise_url(url: str) -> str:
    """The form a feed URL is stored in: trimmed, scheme and host in lower case, no fragment.

    The path and query are kept as given: sites disagree on what their case means.
    """
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), _lower_host(parts.netloc), parts.path or "/", parts.query, "")
    )


def _lower_host(netloc: str) -> str:
    # Credentials are refused before this, so the netloc is host[:port] or [ipv6][:port].
    if netloc.startswith("["):
        end = netloc.find("]")
        return netloc[: end + 1].lower() + netloc[end + 1 :]
    host, sep, port = netloc.partition(":")
    return host.lower() + sep + port


def check_feed_url(url: str | None) -> str:
    """The URL in its stored form, or ``ValidationError`` saying what is wrong with it."""
    problem = url_problem(url)
    if problem is not None:
        raise ValidationError({"url": problem})
    assert url is not None
    normalised = normalise_url(url)
    if len(normalised) > MAX_URL_CHARS:
        raise ValidationError({"url": f"the URL is longer than {MAX_URL_CHARS:,} characters"})
    return normalised


def clean_title(title: str | None) -> str | None:
    if title is None:
        return None
    text = " ".join(title.split())
    if not text:
        return None
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1] + "…"


def clean_site_url(url: str | None) -> str | None:
    """An http(s) site address, or None: a bad site URL is dropped, never stored."""
    if url is None or url_problem(url) is not None:
        return None
    normalised = normalise_url(url)
    return normalised if len(normalised) <= MAX_URL_CHARS else None


# --- permissions ---------------------------------------------------------------------------


def require_admin(session: Session, acting_user_id: int | None) -> None:
    """Refuse unless the acting user is an enabled admin; ``None`` is the machine's operator."""
    if acting_user_id is None:
        return
    # Re-read: a session may still hold the account as it was before a demotion or a disable.
    user = session.get(User, acting_user_id, populate_existing=True)
    if user is None or user.disabled:
        raise PermissionDenied("Only an admin can manage feeds, and this account is not usable.")
    if user.role != Role.ADMIN:
        raise PermissionDenied(f"Only an admin can manage feeds; {user.username} is a {user.role}.")


# --- reading -------------------------------------------------------------------------------


def list_feeds(session: Session) -> list[FeedView]:
    """Every feed with its item count: failing feeds first, then gone, active and paused."""
    counts = (
        select(col(NewsItem.feed_id), func.count().label("items"))
        .where(col(NewsItem.feed_id).is_not(None))
        .group_by(col(NewsItem.feed_id))
        .subquery("feed_items")
    )
    rows = session.execute(
        select(Feed, func.coalesce(counts.c["items"], 0)).outerjoin(
            counts, counts.c.feed_id == col(Feed.id)
        )
    ).all()
    feeds = [_view(feed, int(items)) for feed, items in rows]
    return sorted(
        feeds,
        key=lambda f: (STATUS_ORDER.get(FeedStatus(f.status), 4), f.name.lower(), f.id),
    )


def get_feed(session: Session, ref: int | str) -> FeedView:
    """The feed ``ref`` names (an id, or a URL), or ``TrackerError``."""
    feed = _find(session, ref)
    return _view(feed, _item_count(session, feed))


def find_feed_id(session: Session, ref: int | str) -> int:
    """The id of the feed ``ref`` names (an id, or a URL), or ``TrackerError``."""
    feed = _find(session, ref)
    assert feed.id is not None
    return feed.id


def recent_fetches(session: Session, feed_id: int, limit: int = RECENT_FETCHES) -> list[FetchView]:
    """The feed's last fetches, newest first."""
    rows = session.scalars(
        select(FeedFetch)
        .where(col(FeedFetch.feed_id) == feed_id)
        .order_by(col(FeedFetch.started_at).desc(), col(FeedFetch.id).desc())
        .limit(max(limit, 0))
    ).all()
    return [
        FetchView(
            started_at=as_utc(f.started_at),
            duration_ms=f.duration_ms,
            http_status=f.http_status,
            outcome=f.outcome,
            items_new=f.items_new,
            bytes_read=f.bytes_read,
            error=f.error,
        )
        for f in rows
    ]


def existing_urls(session: Session) -> set[str]:
    return set(session.scalars(select(col(Feed.url))).all())


# --- writing -------------------------------------------------------------------------------


def add_feed(
    session: Session,
    url: str,
    *,
    title: str | None = None,
    site_url: str | None = None,
    acting_user_id: int | None,
) -> FeedView:
    """Add a feed, to be polled as soon as the poller runs. Flushes; the caller commits.

    Raises ``ValidationError`` for a bad or already listed URL, with nothing stored.
    """
    require_admin(session, acting_user_id)
    stored_url = check_feed_url(url)
    _refuse_duplicate(session, stored_url)
    feed = Feed(
        url=stored_url,
        title=clean_title(title),
        site_url=clean_site_url(site_url),
        next_poll_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(feed)
    except IntegrityError:
        # Someone added the same URL between our check and this insert.
        _refuse_duplicate(session, stored_url)
        raise
    return _view(feed, 0)


def pause_feed(session: Session, ref: int | str, *, acting_user_id: int | None) -> FeedView:
    """Stop polling a feed until it is resumed; its items and health stay."""
    require_admin(session, acting_user_id)
    feed = _find(session, ref)
    feed.status = FeedStatus.PAUSED
    return _save(session, feed)


def resume_feed(session: Session, ref: int | str, *, acting_user_id: int | None) -> FeedView:
    """Poll a paused (or gone) feed again, starting now."""
    require_admin(session, acting_user_id)
    feed = _find(session, ref)
    if feed.status in (FeedStatus.PAUSED, FeedStatus.GONE):
        feed.status = _polled_status(feed)
    feed.next_poll_at = utcnow()
    return _save(session, feed)


def refresh_feed(session: Session, ref: int | str, *, acting_user_id: int | None) -> FeedView:
    """Make the feed due now: the poller fetches it on its next pass."""
    require_admin(session, acting_user_id)
    feed = _find(session, ref)
    if feed.status == FeedStatus.PAUSED:
        raise TrackerError(f"The feed {feed.title or feed.url} is paused; resume it to poll it.")
    if feed.status == FeedStatus.GONE:
        feed.status = _polled_status(feed)  # the admin asks to try again
    feed.next_poll_at = utcnow()
    return _save(session, feed)


def delete_feed(session: Session, ref: int | str, *, acting_user_id: int | None) -> str:
    """Delete a feed with its fetch log and its news items; returns what it was called.

    Items used by a statement are kept (detached from the feed) so no statement loses the
    news it was taken from.
    """
    require_admin(session, acting_user_id)
    feed = _find(session, ref)
    name = feed.title or feed.url
    used = select(col(StatementNewsItem.news_item_id))
    copies_of_this_feed = select(col(NewsItem.id)).where(col(NewsItem.feed_id) == feed.id)
    # Copies in other feeds point at this feed's items; they become originals themselves.
    session.execute(
        update(NewsItem)
        .where(col(NewsItem.same_story_as_id).in_(copies_of_this_feed))
        .values(same_story_as_id=None)
    )
    session.execute(
        update(NewsItem)
        .where(col(NewsItem.feed_id) == feed.id, col(NewsItem.id).in_(used))
        .values(feed_id=None)
    )
    session.execute(delete(NewsItem).where(col(NewsItem.feed_id) == feed.id))
    session.execute(delete(FeedFetch).where(col(FeedFetch.feed_id) == feed.id))
    session.delete(feed)
    session.flush()
    return name


# --- helpers -------------------------------------------------------------------------------


def _polled_status(feed: Feed) -> str:
    """The status a feed polled again starts with: failing while its errors are unresolved."""
    return FeedStatus.FAILING if feed.failing_since is not None else FeedStatus.ACTIVE


def _refuse_duplicate(session: Session, url: str) -> None:
    existing = session.scalars(select(col(Feed.id)).where(col(Feed.url) == url)).first()
    if existing is not None:
        raise ValidationError({"url": f"this feed is already listed (feed {existing})"})


def _find(session: Session, ref: int | str) -> Feed:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        feed_id = int(ref)
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise TrackerError(f"There is no feed {feed_id}; `tracker feeds list` shows them.")
        return feed
    text = ref.strip()
    candidates = {text}
    if url_problem(text) is None:
        candidates.add(normalise_url(text))
    feed = session.scalars(select(Feed).where(col(Feed.url).in_(candidates))).first()
    if feed is None:
        raise TrackerError(
            f"There is no feed with the URL {text}; `tracker feeds list` shows them."
        )
    return feed


def _item_count(session: Session, feed: Feed) -> int:
    count = session.scalar(
        select(func.count()).select_from(NewsItem).where(col(NewsItem.feed_id) == feed.id)
    )
    return int(count or 0)


def _save(session: Session, feed: Feed) -> FeedView:
    session.add(feed)
    session.flush()
    return _view(feed, _item_count(session, feed))


def _view(feed: Feed, items: int) -> FeedView:
    assert feed.id is not None
    return FeedView(
        id=feed.id,
        url=feed.url,
        title=feed.title,
        site_url=feed.site_url,
        status=str(feed.status),
        poll_interval_seconds=feed.poll_interval_seconds,
        next_poll_at=as_utc(feed.next_poll_at),
        last_polled_at=as_utc(feed.last_polled_at) if feed.last_polled_at else None,
        last_success_at=as_utc(feed.last_success_at) if feed.last_success_at else None,
        failing_since=as_utc(feed.failing_since) if feed.failing_since else None,
        error_count=feed.error_count,
        last_error=feed.last_error,
        created_at=as_utc(feed.created_at),
        items=items,
    )
