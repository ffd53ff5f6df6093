"""Polling feeds end to end, on SQLite and PostgreSQL: a real HTTP server on loopback, real
databases, the feed's state, its items and its fetch log checked after each poll."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from poller_helpers import add_feed, fetch_log, get_feed, item, items_of, poll, recent, rss
from sqlalchemy import text
from sqlmodel import Session, select
from werkzeug import Request, Response

from tracker.feeds.fetch import FetchLimits
from tracker.feeds.poller import declares_entities, poll_loop, poll_once
from tracker.models import Feed, FeedFetch, FeedStatus


def serve(server, path: str, body: bytes, **headers: str) -> str:
    server.expect_request(path).respond_with_data(
        body, content_type=headers.pop("content_type", "application/rss+xml"), headers=headers
    )
    return server.url_for(path)


TWO_ITEMS = rss(
    item("g1", "Iran and Pakistan meet", link="https://news.example/1", published=recent(2)),
    item("g2", "Talks in Islamabad", link="https://news.example/2", published=recent(5)),
    title="Regional news",
)


def test_a_first_poll_stores_the_items_and_the_feed_state(engine, server):
    feed_id = add_feed(engine, serve(server, "/feed.xml", TWO_ITEMS, ETag='"v1"'))
    before = datetime.now(UTC)
    summary = poll(engine)
    assert (summary.feeds, summary.new_items, summary.errors) == (1, 2, 0)
    assert [i.guid for i in items_of(engine, feed_id)] == ["g1", "g2"]
    feed = get_feed(engine, feed_id)
    assert feed.status == FeedStatus.ACTIVE
    assert feed.title == "Regional news"
    assert feed.site_url == "https://site.example/"
    assert feed.etag == '"v1"'
    assert feed.body_hash is not None
    assert feed.last_success_at is not None and feed.last_success_at >= before
    assert feed.next_poll_at >= before + timedelta(minutes=5)
    assert (feed.error_count, feed.last_error, feed.failing_since) == (0, None, None)
    (fetch,) = fetch_log(engine, feed_id)
    assert (fetch.outcome, fetch.http_status, fetch.items_new) == ("new", 200, 2)
    assert fetch.bytes_read == len(TWO_ITEMS)


def test_many_304s_are_written_together_each_with_its_own_state(engine, server):
    # More 304s than one batch holds (32), so both a full batch and the rest get written.
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"', "Cache-Control": "max-age=7200"})
        return Response(TWO_ITEMS, headers={"ETag": '"v1"'}, mimetype="application/rss+xml")

    ids = []
    for n in range(45):
        server.expect_request(f"/f{n}.xml").respond_with_handler(handler)
        ids.append(add_feed(engine, server.url_for(f"/f{n}.xml")))
    poll(engine)
    before = datetime.now(UTC)
    summary = poll(engine, all_feeds=True)
    assert (summary.feeds, summary.not_modified, summary.errors) == (45, 45, 0)
    for feed_id in ids:
        assert [f.outcome for f in fetch_log(engine, feed_id)] == ["new", "not_modified"]
        feed = get_feed(engine, feed_id)
        assert feed.last_polled_at is not None and feed.last_polled_at >= before
        assert feed.next_poll_at >= before + timedelta(hours=2)  # the server's max-age
        assert feed.etag == '"v1"' and feed.status == FeedStatus.ACTIVE


def test_a_title_set_by_an_admin_is_kept(engine, server):
    feed_id = add_feed(engine, serve(server, "/feed.xml", TWO_ITEMS), title="My name for it")
    poll(engine)
    assert get_feed(engine, feed_id).title == "My name for it"


def test_a_304_costs_no_parsing_and_keeps_the_items(engine, server):
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(TWO_ITEMS, headers={"ETag": '"v1"'}, mimetype="application/rss+xml")

    server.expect_request("/feed.xml").respond_with_handler(handler)
    feed_id = add_feed(engine, server.url_for("/feed.xml"))
    poll(engine)
    summary = poll(engine)
    assert (summary.feeds, summary.not_modified, summary.new_items) == (1, 1, 0)
    assert [f.outcome for f in fetch_log(engine, feed_id)] == ["new", "not_modified"]
    assert len(items_of(engine, feed_id)) == 2
    assert get_feed(engine, feed_id).etag == '"v1"'


def test_an_unchanged_body_is_not_parsed_again(engine, server):
    feed_id = add_feed(engine, serve(server, "/feed.xml", TWO_ITEMS))  # no validators
    poll(engine)
    summary = poll(engine)
    assert (summary.unchanged, summary.new_items) == (1, 0)
    assert [f.outcome for f in fetch_log(engine, feed_id)] == ["new", "unchanged"]


def test_a_changed_body_is_parsed_and_only_new_items_are_stored(engine, server):
    bodies = iter(
        [TWO_ITEMS, rss(item("g3", "Oman mediates"), item("g1", "Iran and Pakistan meet"))]
    )
    server.expect_request("/feed.xml").respond_with_handler(
        lambda _r: Response(next(bodies), mimetype="application/rss+xml")
    )
    feed_id = add_feed(engine, server.url_for("/feed.xml"))
    poll(engine)
    assert poll(engine).new_items == 1
    assert [f.outcome for f in fetch_log(engine, feed_id)] == ["new", "new"]
    assert sorted(i.guid for i in items_of(engine, feed_id)) == ["g1", "g2", "g3"]


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_updates_the_feed_url(engine, server, status):
    server.expect_request("/old").respond_with_data(
        b"", status=status, headers={"Location": "/new"}
    )
    new_url = serve(server, "/new", TWO_ITEMS)
    feed_id = add_feed(engine, server.url_for("/old"))
    poll(engine)
    assert get_feed(engine, feed_id).url == new_url
    assert len(items_of(engine, feed_id)) == 2


@pytest.mark.parametrize("status", [302, 307])
def test_a_temporary_redirect_keeps_the_feed_url(engine, server, status):
    server.expect_request("/old").respond_with_data(
        b"", status=status, headers={"Location": "/new"}
    )
    serve(server, "/new", TWO_ITEMS)
    feed_id = add_feed(engine, server.url_for("/old"))
    poll(engine)
    assert get_feed(engine, feed_id).url == server.url_for("/old")
    assert len(items_of(engine, feed_id)) == 2


def test_a_move_to_the_url_of_another_feed_keeps_both_feeds(engine, server):
    server.expect_request("/old").respond_with_data(b"", status=301, headers={"Location": "/new"})
    new_url = serve(server, "/new", TWO_ITEMS)
    moved = add_feed(engine, server.url_for("/old"))
    other = add_feed(engine, new_url)
    summary = poll(engine)
    assert summary.errors == 0
    assert get_feed(engine, moved).url == server.url_for("/old")
    assert get_feed(engine, other).url == new_url


def test_410_marks_the_feed_gone_and_it_is_not_polled_again(engine, server):
    server.expect_request("/feed.xml").respond_with_data(b"", status=410)
    feed_id = add_feed(engine, server.url_for("/feed.xml"))
    poll(engine)
    feed = get_feed(engine, feed_id)
    assert feed.status == FeedStatus.GONE
    assert "410" in (feed.last_error or "")
    assert poll(engine).feeds == 0
    assert len(server.log) == 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_sets_the_next_poll(engine, server, status):
    server.expect_request("/feed.xml").respond_with_data(
        b"", status=status, headers={"Retry-After": "7200"}
    )
    feed_id = add_feed(engine, server.url_for("/feed.xml"))
    before = datetime.now(UTC)
    poll(engine)
    after = datetime.now(UTC)
    feed = get_feed(engine, feed_id)
    assert before + timedelta(hours=2) <= feed.next_poll_at <= after + timedelta(hours=2)
    assert feed.status == FeedStatus.FAILING
    assert [f.outcome for f in fetch_log(engine, feed_id)] == ["throttled"]


def test_retry_after_as_a_date_sets_the_next_poll_capped_at_a_day(engine, server):
    server.expect_request("/soon").respond_with_data(
        b"", status=429, headers={"Retry-After": _http_date(datetime.now(UTC) + timedelta(hours=3))}
    )
    server.expect_request("/never").respond_with_data(
        b"", status=503, headers={"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"}
    )
    soon = add_feed(engine, server.url_for("/soon"))
    never = add_feed(engine, server.url_for("/never"))
    before = datetime.now(UTC)
    poll(engine)
    after = datetime.now(UTC)
    soon_at = get_feed(engine, soon).next_poll_at
    assert before + timedelta(hours=3) - timedelta(seconds=2) <= soon_at
    assert soon_at <= after + timedelta(hours=3)
    never_at = get_feed(engine, never).next_poll_at
    assert before + timedelta(hours=24) <= never_at <= after + timedelta(hours=24)


def _http_date(when: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(when.astimezone(UTC), usegmt=True)


def test_an_html_page_instead_of_a_feed_is_reported_as_such(engine, server):
    page = b"<!DOCTYPE html><html><head><title>News</title></head><body><p>Hi</p></body></html>"
    feed_id = add_feed(engine, serve(server, "/", page, content_type="text/html"))
    summary = poll(engine)
    assert summary.errors == 1
    feed = get_feed(engine, feed_id)
    assert feed.status == FeedStatus.FAILING
    assert "HTML page" in (feed.last_error or "")
    assert fetch_log(engine, feed_id)[0].outcome == "error"


def test_broken_xml_is_an_error_on_that_feed_and_the_others_are_polled(engine, server):
    broken = add_feed(engine, serve(server, "/broken", b"<rss><channel><title>x</tit"))
    good = add_feed(engine, serve(server, "/good", TWO_ITEMS))
    summary = poll(engine)
    assert (summary.feeds, summary.errors, summary.new_items) == (2, 1, 2)
    assert get_feed(engine, broken).status == FeedStatus.FAILING
    assert get_feed(engine, broken).last_error
    assert get_feed(engine, good).status == FeedStatus.ACTIVE
    assert len(items_of(engine, good)) == 2


def test_a_broken_feed_is_parsed_again_once_fixed(engine, server):
    bodies = iter([b"<rss><chan", TWO_ITEMS])
    server.expect_request("/feed.xml").respond_with_handler(
        lambda _r: Response(next(bodies), headers={"ETag": '"same"'})
    )
    feed_id = add_feed(engine, server.url_for("/feed.xml"))
    poll(engine)
    assert get_feed(engine, feed_id).etag is None  # so the next poll fetches it whole
    poll(engine)
    assert get_feed(engine, feed_id).status == FeedStatus.ACTIVE
    assert len(items_of(engine, feed_id)) == 2


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>&lol9;</title>'
    + b"<item><title>&lol9;</title><guid>a</guid></item></channel></rss>"
)
QUADRATIC = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "'
    + b"x" * 100_000
    + b'">]>\n<rss version="2.0"><channel><title>t</title><item><title>'
    + b"&a;" * 20_000
    + b"</title></item></channel></rss>"
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, QUADRATIC], ids=["billion-laughs", "quadratic"])
def test_a_feed_declaring_entities_is_refused_before_parsing(engine, server, body):
    feed_id = add_feed(engine, serve(server, "/feed.xml", body))
    summary = poll(engine)
    assert summary.errors == 1
    assert items_of(engine, feed_id) == []
    assert "entities" in (get_feed(engine, feed_id).last_error or "")


@pytest.mark.parametrize(
    ("document", "declares"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r/>', True),
        (b'<!-- <root> --><!DOCTYPE r [<!entity a "b">]><r/>', True),
        ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><r/>'.encode("utf-16"), True),
        (b"<rss><item><description><![CDATA[<!ENTITY x>]]></description></item></rss>", False),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "rss.dtd"><rss/>', False),
        (b"", False),
    ],
)
def test_entity_declarations_are_found_in_the_prolog_only(document, declares):
    assert declares_entities(document) is declares


def test_a_doctype_without_entities_is_fine(engine, server):
    body = TWO_ITEMS.replace(
        b"<rss",
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss',
        1,
    )
    feed_id = add_feed(engine, serve(server, "/feed.xml", body))
    assert poll(engine).new_items == 2
    assert len(items_of(engine, feed_id)) == 2


@pytest.mark.parametrize("encoding", ["windows-1252", "iso-8859-1"])
def test_a_feed_in_a_legacy_encoding_is_decoded(engine, server, encoding):
    title = "Café in Genève – talks" if encoding == "windows-1252" else "Café in Genève, talks"
    body = rss(item("e1", title), title="Région", encoding=encoding)
    feed_id = add_feed(engine, serve(server, "/feed.xml", body, content_type="application/xml"))
    poll(engine)
    (stored,) = items_of(engine, feed_id)
    assert stored.title == title
    assert get_feed(engine, feed_id).title == "Région"


def test_duplicate_guids_in_one_document_are_stored_once(engine, server):
    body = rss(item("same", "First telling"), item("same", "Second telling"), item("other", "B"))
    feed_id = add_feed(engine, serve(server, "/feed.xml", body))
    assert poll(engine).new_items == 2
    assert sorted(i.guid for i in items_of(engine, feed_id)) == ["other", "same"]


def test_items_without_dates_keep_a_null_published_time(engine, server):
    body = rss(item("nodate", "Undated story"), item("dated", "Dated", published=recent(1)))
    feed_id = add_feed(engine, serve(server, "/feed.xml", body))
    poll(engine)
    by_guid = {i.guid: i for i in items_of(engine, feed_id)}
    assert by_guid["nodate"].published_at is None
    assert by_guid["nodate"].fetched_at is not None
    assert by_guid["dated"].published_at is not None


def test_one_failing_feed_does_not_stop_the_others(engine, server):
    server.expect_request("/500").respond_with_data(b"oops", status=500)
    server.expect_request("/404").respond_with_data(b"no", status=404)
    server.expect_request("/moved").respond_with_data(
        b"", status=302, headers={"Location": "http://10.0.0.1/feed"}
    )
    failing = [add_feed(engine, server.url_for(p)) for p in ("/500", "/404", "/moved")]
    failing.append(add_feed(engine, "http://10.255.255.1/feed"))  # private, refused outright
    good = add_feed(engine, serve(server, "/good", TWO_ITEMS))
    summary = poll(engine)
    assert (summary.feeds, summary.errors, summary.new_items) == (5, 4, 2)
    assert get_feed(engine, good).status == FeedStatus.ACTIVE
    errors = [get_feed(engine, f).last_error or "" for f in failing]
    assert "500" in errors[0] and "404" in errors[1]
    assert "private" in errors[2] and "private" in errors[3]
    assert all(get_feed(engine, f).status == FeedStatus.FAILING for f in failing)


def test_backoff_grows_with_each_failure_and_caps_at_a_day(engine, server):
    server.expect_request("/feed.xml").respond_with_data(b"", status=500)
    feed_id = add_feed(engine, server.url_for("/feed.xml"))
    waits = []
    for _ in range(4):
        poll(engine)
        feed = get_feed(engine, feed_id)
        assert feed.last_polled_at is not None
        waits.append(round((feed.next_poll_at - feed.last_polled_at) / timedelta(minutes=1)))
    assert waits == [5, 10, 20, 40]
    feed = get_feed(engine, feed_id)
    assert feed.error_count == 4
    first_failure = feed.failing_since
    with Session(engine) as session:
        stored = session.get(Feed, feed_id)
        assert stored is not None
        stored.error_count = 50
        session.add(stored)
        session.commit()
    poll(engine)
    feed = get_feed(engine, feed_id)
    assert feed.last_polled_at is not None
    assert feed.next_poll_at - feed.last_polled_at == timedelta(hours=24)
    assert feed.status == FeedStatus.FAILING  # still polled, daily
    assert feed.failing_since == first_failure


def test_a_success_clears_the_errors(engine, server):
    bodies = iter([Response(status=500), Response(TWO_ITEMS)])
    server.expect_request("/feed.xml").respond_with_handler(lambda _r: next(bodies))
    feed_id = add_feed(engine, server.url_for("/feed.xml"))
    poll(engine)
    assert get_feed(engine, feed_id).error_count == 1
    poll(engine)
    feed = get_feed(engine, feed_id)
    assert (feed.status, feed.error_count, feed.failing_since, feed.last_error) == (
        FeedStatus.ACTIVE,
        0,
        None,
        None,
    )


def test_the_fetch_log_keeps_the_last_twenty(engine, server):
    feed_id = add_feed(engine, serve(server, "/feed.xml", TWO_ITEMS))
    for _ in range(23):
        poll(engine)
    log = fetch_log(engine, feed_id)
    assert len(log) == 20
    assert [f.outcome for f in log] == ["unchanged"] * 20  # the first ("new") ones are gone


def test_the_fetch_logs_of_a_batch_are_trimmed_together(engine, server):
    # The poller trims once per claimed batch, with one windowed DELETE for all its feeds.
    ids = [add_feed(engine, serve(server, f"/f{n}.xml", TWO_ITEMS)) for n in range(3)]
    quiet = add_feed(engine, serve(server, "/quiet.xml", TWO_ITEMS))
    for round_number in range(22):
        poll(engine)
        if round_number == 0:
            with engine.begin() as conn:  # the quiet feed is polled once only
                conn.execute(text("UPDATE feed SET status = 'paused' WHERE id = :i"), {"i": quiet})
    for feed_id in ids:
        log = fetch_log(engine, feed_id)
        assert len(log) == 20
        assert [f.outcome for f in log] == ["unchanged"] * 20
    assert [f.outcome for f in fetch_log(engine, quiet)] == ["new"]


def test_only_due_active_and_failing_feeds_are_polled(engine, server):
    url = serve(server, "/feed.xml", TWO_ITEMS)
    later = datetime.now(UTC) + timedelta(hours=1)
    due = add_feed(engine, url)
    add_feed(engine, url + "?paused", status=FeedStatus.PAUSED)
    add_feed(engine, url + "?gone", status=FeedStatus.GONE)
    add_feed(engine, url + "?later", next_poll_at=later)
    failing = add_feed(engine, url + "?failing", status=FeedStatus.FAILING, error_count=2)
    summary = poll(engine, all_feeds=False)
    assert summary.feeds == 2
    assert {get_feed(engine, due).last_success_at is not None} == {True}
    assert get_feed(engine, failing).status == FeedStatus.ACTIVE
    assert poll(engine, all_feeds=True).feeds == 3  # --all: the later one too, still not paused
    assert poll(engine, all_feeds=False).feeds == 0  # nothing is due any more


def test_the_interval_follows_the_publishing_rate_and_the_ttl(engine, server):
    busy = rss(*(item(f"b{i}", f"Story {i}", published=recent(i)) for i in range(48)))
    slow = rss(item("s1", "Weekly", published=recent(24 * 3)), extra="<ttl>300</ttl>")
    busy_id = add_feed(engine, serve(server, "/busy", busy))
    slow_id = add_feed(engine, serve(server, "/slow", slow))
    poll(engine)
    assert timedelta(minutes=25) <= _interval(engine, busy_id) <= timedelta(minutes=35)
    assert _interval(engine, slow_id) >= timedelta(hours=5)  # ttl 300 minutes


def _interval(engine, feed_id) -> timedelta:
    feed = get_feed(engine, feed_id)
    assert feed.last_polled_at is not None
    return feed.next_poll_at - feed.last_polled_at


def test_max_age_lengthens_the_next_poll(engine, server):
    feed_id = add_feed(
        engine, serve(server, "/feed.xml", TWO_ITEMS, **{"Cache-Control": "max-age=43200"})
    )
    poll(engine)
    assert _interval(engine, feed_id) >= timedelta(hours=12)


def test_progress_is_reported_for_each_feed(engine, server):
    url = serve(server, "/feed.xml", TWO_ITEMS)
    for i in range(3):
        add_feed(engine, f"{url}?n={i}")
    seen = []
    poll(engine, progress=seen.append)
    assert [p.feeds_done for p in seen] == [1, 2, 3]
    assert seen[-1].feeds_claimed == 3
    assert seen[-1].new_items == 6


def test_a_timeout_is_recorded_on_the_feed(engine, server):
    import time

    def slow(_request: Request) -> Response:
        time.sleep(2)
        return Response(TWO_ITEMS)

    server.expect_request("/slow").respond_with_handler(slow)
    feed_id = add_feed(engine, server.url_for("/slow"))
    summary = poll(engine, limits=FetchLimits(total_seconds=0.5))
    assert summary.errors == 1
    assert get_feed(engine, feed_id).status == FeedStatus.FAILING
    assert fetch_log(engine, feed_id)[0].outcome == "error"


def test_worker_processes_parse_and_store_like_threads_do(engine, server):
    bodies = {}
    for n in range(40):
        link = "/story" if n == 0 else f"https://site.example/{n}"  # one relative link
        description = f'&lt;p&gt;See &lt;a href="{link}"&gt;more&lt;/a&gt;&lt;/p&gt;'
        items = (item(f"f{n}-{i}", f"Story {i} on Iran", description=description) for i in range(5))
        bodies[n] = serve(server, f"/f{n}.xml", rss(*items))
    ids = [add_feed(engine, bodies[n]) for n in range(40)]
    summary = poll_once(
        engine, workers=4, all_feeds=True, processes=2, limits=FetchLimits(total_seconds=10)
    )
    assert (summary.feeds, summary.new_items, summary.errors) == (40, 200, 0)
    assert all(len(items_of(engine, i)) == 5 for i in ids)
    relative = items_of(engine, ids[0])[0].summary or ""
    assert f'href="http://127.0.0.1:{server.port}/story"' in relative
    assert 'href="https://site.example/1"' in (items_of(engine, ids[1])[0].summary or "")
    assert Counter(r.path for r, _ in server.log) == Counter(f"/f{n}.xml" for n in range(40))
    again = poll_once(engine, workers=4, all_feeds=True, processes=2)
    assert (again.feeds, again.unchanged, again.new_items) == (40, 40, 0)
    with Session(engine) as session:
        outcomes = Counter(session.exec(select(FeedFetch.outcome)).all())
    assert outcomes == {"new": 40, "unchanged": 40}


def test_poll_loop_polls_until_stopped(engine, server):
    import threading

    feed_id = add_feed(engine, serve(server, "/feed.xml", TWO_ITEMS))
    stop = threading.Event()
    summaries = []

    def on_summary(summary):
        summaries.append(summary)
        stop.set()

    thread = threading.Thread(
        target=poll_loop,
        args=(engine,),
        kwargs={"workers": 2, "sleep_seconds": 1, "stop": stop, "on_summary": on_summary,
                "processes": 0},
    )  # fmt: skip
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert summaries[0].new_items == 2
    assert len(items_of(engine, feed_id)) == 2


def test_stopping_finishes_the_feeds_in_hand_and_hands_the_others_back(engine, server):
    import threading

    url = serve(server, "/feed.xml", TWO_ITEMS)
    ids = [add_feed(engine, f"{url}?n={n}") for n in range(20)]
    stop = threading.Event()
    summary = poll(engine, workers=1, stop=stop, progress=lambda _p: stop.set())
    assert 1 <= summary.feeds < 20
    polled = [i for i in ids if get_feed(engine, i).last_success_at is not None]
    assert len(polled) == summary.feeds
    now = datetime.now(UTC)
    # The claimed but unstarted ones are due again at once, not after the lease.
    assert all(get_feed(engine, i).next_poll_at <= now for i in ids if i not in polled)
