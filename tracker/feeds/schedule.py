"""When to poll a feed next: pure functions of what the feed and the server told us.

A feed is polled about twice per gap between its recent items, within 5 minutes and a day, and
never sooner than its ``ttl`` or the server's freshness (Cache-Control max-age, Expires) ask.
Failures back off exponentially up to a day but never stop the feed: a site that is down for a
week is picked up again the day it returns. Retry-After on 429/503 is honoured, capped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Final

MIN_INTERVAL: Final = timedelta(minutes=5)
MAX_INTERVAL: Final = timedelta(hours=24)
DEFAULT_INTERVAL: Final = timedelta(hours=1)
# Recent enough to say how often a feed publishes now, not how it did last year.
HISTORY_WINDOW: Final = timedelta(days=30)
# Polling twice per publishing gap picks most items up within half a gap of their appearance.
POLLS_PER_GAP: Final = 2
BACKOFF_BASE: Final = timedelta(minutes=5)
MAX_BACKOFF: Final = timedelta(hours=24)
MIN_RETRY_AFTER: Final = timedelta(minutes=1)
MAX_RETRY_AFTER: Final = timedelta(hours=24)

_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)\"?\s*(?=,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\s*(?=,|=|$)", re.IGNORECASE)


def clamp(interval: timedelta) -> timedelta:
    return max(MIN_INTERVAL, min(MAX_INTERVAL, interval))


def publishing_interval(published: Iterable[datetime], now: datetime) -> timedelta:
    """The poll interval that follows from the feed's recent publishing rate.

    With k items over the last ``HISTORY_WINDOW`` (counted from the oldest of them to now),
    the mean gap is span / k and the feed is polled ``POLLS_PER_GAP`` times per gap. A feed
    with no recent items is polled daily; its next item brings the interval down again.
    """
    recent = sorted(t for t in published if now - HISTORY_WINDOW <= t <= now)
    if not recent:
        return MAX_INTERVAL
    span = now - recent[0]
    if len(recent) == 1:
        # One item says little; treat the time since it as the gap, conservatively.
        return clamp(span / POLLS_PER_GAP)
    return clamp(span / len(recent) / POLLS_PER_GAP)


def feed_interval(
    publishing: timedelta, ttl_minutes: int | None = None, max_age_seconds: int | None = None
) -> timedelta:
    """The publishing interval, lengthened to the feed's ttl and the server's freshness."""
    interval = publishing
    # Capped before building a timedelta: a server's max-age of 10**20 would overflow one.
    longest = MAX_INTERVAL.total_seconds()
    if ttl_minutes is not None:
        interval = max(interval, timedelta(minutes=min(ttl_minutes, longest / 60)))
    if max_age_seconds is not None:
        interval = max(interval, timedelta(seconds=min(max_age_seconds, longest)))
    return clamp(interval)


def backoff(error_count: int) -> timedelta:
    """Wait after ``error_count`` consecutive failures: 5 min, 10, 20… capped at a day."""
    if error_count <= 0:
        return BACKOFF_BASE
    # The exponent is bounded so a feed failing for years does not build a huge number.
    factor: int = 2 ** min(error_count - 1, 20)
    return min(MAX_BACKOFF, BACKOFF_BASE * factor)


def retry_after_delay(seconds: float) -> timedelta:
    """What the poller waits for a Retry-After: as asked, within a minute and a day."""
    # Capped before building a timedelta: a Retry-After of 10**20 seconds would overflow one.
    capped = max(0.0, min(seconds, MAX_RETRY_AFTER.total_seconds()))
    return max(MIN_RETRY_AFTER, min(MAX_RETRY_AFTER, timedelta(seconds=capped)))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP-date."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    when = _http_date(text)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def parse_max_age(
    cache_control: str | None, expires: str | None, date: str | None, now: datetime
) -> int | None:
    """How long the response says it stays fresh, in seconds, or None if it does not say.

    Cache-Control max-age wins over Expires (RFC 9111 5.3); Expires is taken relative to the
    server's Date when given, so a server with a wrong clock still means what it says.
    """
    if cache_control:
        if _NO_CACHE.search(cache_control):
            return None
        ages = {name.lower(): int(value) for name, value in _MAX_AGE.findall(cache_control)}
        if "max-age" in ages:
            return ages["max-age"]
        if "s-maxage" in ages:
            return ages["s-maxage"]
    if expires:
        until = _http_date(expires)
        if until is None:
            return 0  # an invalid Expires means "already expired" (RFC 9111 5.3)
        base = _http_date(date) if date else None
        seconds = (until - (base or now)).total_seconds()
        return max(0, int(seconds))
    return None


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except OverflowError:  # 31 Dec 9999 west of UTC, or 1 Jan 0001 east of it
        return None
