"""When a feed is polled next: publishing rate, ttl, cache headers, backoff, Retry-After."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.feeds.schedule import (
    MAX_BACKOFF,
    MAX_INTERVAL,
    MIN_INTERVAL,
    backoff,
    feed_interval,
    parse_max_age,
    parse_retry_after,
    publishing_interval,
    retry_after_delay,
)

NOW = datetime(2025, 6, 14, 12, 0, tzinfo=UTC)


def hourly(count: int, every: timedelta = timedelta(hours=1)) -> list[datetime]:
    return [NOW - every * i for i in range(count)]


def test_a_feed_publishing_hourly_is_polled_every_half_hour():
    # 48 items over the last 47 hours: a gap of just under an hour, polled twice per gap.
    interval = publishing_interval(hourly(48), NOW)
    assert timedelta(minutes=29) <= interval <= timedelta(minutes=30)


def test_a_busier_feed_is_polled_more_often():
    busy = publishing_interval(hourly(50, timedelta(minutes=20)), NOW)
    quiet = publishing_interval(hourly(10, timedelta(hours=12)), NOW)
    assert MIN_INTERVAL <= busy < quiet <= MAX_INTERVAL


def test_very_busy_feeds_are_polled_at_most_every_five_minutes():
    assert publishing_interval(hourly(500, timedelta(seconds=30)), NOW) == MIN_INTERVAL


def test_a_feed_without_recent_items_is_polled_daily():
    assert publishing_interval([], NOW) == MAX_INTERVAL
    assert publishing_interval([NOW - timedelta(days=90)], NOW) == MAX_INTERVAL


def test_items_dated_in_the_future_do_not_speed_polling_up():
    assert publishing_interval([NOW + timedelta(days=3)] * 50, NOW) == MAX_INTERVAL


@given(
    st.lists(
        st.datetimes(
            min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
        ),
        max_size=200,
    )
)
def test_the_interval_always_stays_within_bounds(published):
    assert MIN_INTERVAL <= publishing_interval(published, NOW) <= MAX_INTERVAL


def test_ttl_and_max_age_lengthen_the_interval_but_stay_bounded():
    base = timedelta(minutes=10)
    assert feed_interval(base) == base
    assert feed_interval(base, ttl_minutes=60) == timedelta(hours=1)
    assert feed_interval(base, max_age_seconds=7200) == timedelta(hours=2)
    assert feed_interval(base, ttl_minutes=60, max_age_seconds=60) == timedelta(hours=1)
    assert feed_interval(base, ttl_minutes=7 * 24 * 60) == MAX_INTERVAL
    assert feed_interval(timedelta(seconds=1), max_age_seconds=0) == MIN_INTERVAL


def test_backoff_grows_then_caps_at_a_day():
    waits = [backoff(n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert waits[-1] == MAX_BACKOFF == timedelta(hours=24)


@given(st.integers(min_value=-5, max_value=10**9))
def test_backoff_never_stops_a_feed_and_never_exceeds_a_day(errors):
    assert timedelta(minutes=5) <= backoff(errors) <= MAX_BACKOFF


def test_retry_after_in_seconds():
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 0 ", NOW) == 0.0


def test_retry_after_as_an_http_date():
    assert parse_retry_after("Sat, 14 Jun 2025 14:00:00 GMT", NOW) == 7200.0
    assert parse_retry_after("Sat, 14 Jun 2025 10:00:00 GMT", NOW) == 0.0  # in the past


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_retry_after_that_means_nothing_is_ignored(value):
    assert parse_retry_after(value, NOW) is None


def test_retry_after_is_honoured_within_a_minute_and_a_day():
    assert retry_after_delay(120) == timedelta(minutes=2)
    assert retry_after_delay(0) == timedelta(minutes=1)
    assert retry_after_delay(10**9) == timedelta(hours=24)


@pytest.mark.parametrize(
    ("cache_control", "expires", "date", "expected"),
    [
        ("max-age=600", None, None, 600),
        ("public, max-age=3600, must-revalidate", None, None, 3600),
        ('max-age="90"', None, None, 90),
        ("s-maxage=300", None, None, 300),
        ("no-cache", "Sat, 14 Jun 2025 14:00:00 GMT", None, None),
        ("no-store, max-age=600", None, None, None),
        (None, "Sat, 14 Jun 2025 14:00:00 GMT", None, 7200),
        (None, "Sat, 14 Jun 2025 14:00:00 GMT", "Sat, 14 Jun 2025 13:00:00 GMT", 3600),
        (None, "0", None, 0),
        ("max-age=60", "Sat, 14 Jun 2025 14:00:00 GMT", None, 60),
        (None, None, None, None),
        ("private", None, None, None),
    ],
)
def test_freshness_from_cache_headers(cache_control, expires, date, expected):
    assert parse_max_age(cache_control, expires, date, NOW) == expected
