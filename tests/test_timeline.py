from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from tracker.models import Actor, Source, Speaker, StanceLevel, Statement, Topic
from tracker.timeline import excerpt, site_of, timeline_rows
from tracker.timeutil import utcnow


@pytest.fixture
def world(session: Session) -> dict[str, int]:
    topic = Topic(slug="strikes", title="Strikes", proposition="The strikes were justified")
    other = Topic(slug="other", title="Other", proposition="Something else")
    pak = Actor(code="PAK", name="Pakistan")
    irn = Actor(code="IRN", name="Iran")
    usa = Actor(code="USA", name="United States")
    session.add_all([topic, other, pak, irn, usa])
    session.flush()
    assert topic.id and other.id and pak.id and irn.id and usa.id
    session.add_all(
        [
            StanceLevel(topic_id=topic.id, value=-2, label="Strongly opposes", rule="r"),
            StanceLevel(topic_id=topic.id, value=2, label="Strongly supports", rule="r"),
        ]
    )
    speaker = Speaker(name="Ishaq Dar", actor_id=pak.id)
    session.add(speaker)
    session.flush()

    def statement(**values: Any) -> Statement:
        row = Statement(
            **{
                "topic_id": topic.id,
                "actor_id": pak.id,
                "said_on": date(2025, 6, 1),
                "stance": -2,
                "summary": "A summary",
                **values,
            }
        )
        session.add(row)
        session.flush()
        return row

    quoted = statement(
        speaker_id=speaker.id,
        speaker_role="Foreign Minister",
        quote="We stand with Iran. " * 20,
        status="verified",
        said_on=date(2025, 6, 13),
    )
    session.add_all(
        [
            Source(statement_id=quoted.id, url="https://www.dawn.com/news/1", publisher="Dawn"),
            Source(statement_id=quoted.id, url="https://example.org/second", publisher="Ex"),
        ]
    )
    cited = statement(actor_id=irn.id, stance=0, said_on=date(2025, 5, 1))  # off the scale
    session.add(Source(statement_id=cited.id, citation="Report, p. 3", publisher="Think tank"))
    statement(actor_id=usa.id, stance=2, status="rejected")
    statement(actor_id=usa.id, stance=2, deleted_at=utcnow())
    statement(topic_id=other.id, stance=1)
    early = statement(actor_id=usa.id, stance=2, said_on=date(2024, 1, 1), date_precision="year")
    session.commit()
    return {
        "topic": topic.id,
        "pak": pak.id,
        "irn": irn.id,
        "usa": usa.id,
        "quoted": quoted.id or 0,
        "cited": cited.id or 0,
        "early": early.id or 0,
    }


def test_rows_for_topic_exclude_deleted_rejected_and_other_topics(session, world):
    rows = timeline_rows(session, world["topic"])
    assert [r.statement_id for r in rows] == [world["cited"], world["quoted"], world["early"]]
    assert [r.actor_name for r in rows] == ["Iran", "Pakistan", "United States"]


def test_row_fields(session, world):
    rows = {r.statement_id: r for r in timeline_rows(session, world["topic"])}
    quoted = rows[world["quoted"]]
    assert quoted.actor_code == "PAK"
    assert quoted.speaker == "Ishaq Dar"
    assert quoted.speaker_role == "Foreign Minister"
    assert quoted.stance_label == "Strongly opposes"
    assert quoted.status == "verified"
    assert quoted.source_site == "dawn.com"  # the first source, without www.
    assert quoted.excerpt.startswith("We stand with Iran.")
    assert len(quoted.excerpt) <= 120 and quoted.excerpt.endswith("…")

    cited = rows[world["cited"]]
    assert cited.speaker is None
    assert cited.stance_label == "+0"  # no level for 0 on this scale
    assert cited.excerpt == "A summary"
    assert cited.source_site == "Think tank"  # no URL: the publisher
    assert rows[world["early"]].source_site is None
    assert rows[world["early"]].date_precision == "year"


def test_filters(session, world):
    topic = world["topic"]
    by_actor = timeline_rows(session, topic, actor_ids=[world["pak"], world["usa"]])
    assert {r.actor_code for r in by_actor} == {"PAK", "USA"}
    assert timeline_rows(session, topic, actor_ids=[]) == []
    in_2025 = timeline_rows(session, topic, start=date(2025, 1, 1), end=date(2025, 6, 13))
    assert {r.statement_id for r in in_2025} == {world["cited"], world["quoted"]}
    verified = timeline_rows(session, topic, statuses=["verified"])
    assert [r.statement_id for r in verified] == [world["quoted"]]
    with_rejected = timeline_rows(session, topic, statuses=["verified", "pending", "rejected"])
    assert len(with_rejected) == 4


def test_one_query_whatever_the_number_of_rows(session, world):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        session.expire_all()
        timeline_rows(session, world["topic"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_excerpt_and_site_helpers():
    assert excerpt(None) == ""
    assert excerpt("  short\n text ") == "short text"
    long = excerpt("word " * 100, 30)
    assert len(long) <= 30 and long.endswith("…")
    assert site_of("https://www.example.org/a") == "example.org"
    assert site_of("javascript:alert(1)") is None
    assert site_of("ftp://example.org/") is None
    assert site_of(None) is None


def test_statement_counts_per_topic(session, world):
    from tracker.timeline import statement_counts

    counts = statement_counts(session)
    assert counts[world["topic"]] == 3  # rejected and deleted ones do not count
    assert sum(counts.values()) == 4


# --- richer filters, periods, grouping, lanes ------------------------------------------------

from datetime import timedelta  # noqa: E402

from tracker.models import BlocMembership, NewsItem  # noqa: E402
from tracker.timeline import (  # noqa: E402
    MAX_POINTS,
    PERIODS,
    Lane,
    TimelineFilter,
    TimelineStats,
    bloc_members,
    choose_period,
    expand_blocs,
    group_bounds,
    group_period,
    lanes_from_rows,
    latest_in_buckets,
    latest_stances,
    load_timeline,
    monthly_stances,
    order_lanes,
    period_bounds,
    period_index,
    round_stance,
    rows_for,
    statement_news,
    timeline_buckets,
    timeline_stats,
    topic_actor_ids,
    topic_speakers,
    word_terms,
)


@pytest.fixture
def many(session: Session) -> dict[str, Any]:
    """Three actors with statements spread over 2024-2025, in several channels and statuses."""
    topic = Topic(slug="many", title="Many", proposition="P")
    actors = [
        Actor(code=c, name=n) for c, n in (("OMN", "Oman"), ("QAT", "Qatar"), ("TUR", "Turkey"))
    ]
    gcc = Actor(code="GCC", name="Gulf Cooperation Council", kind="bloc")
    session.add_all([topic, *actors, gcc])
    session.flush()
    session.add_all(
        [BlocMembership(bloc_id=gcc.id, member_id=a.id) for a in actors[:2]]
        + [StanceLevel(topic_id=topic.id, value=v, label=f"L{v}", rule="r") for v in range(-2, 3)]
    )
    speaker = Speaker(name="Hakan Fidan", actor_id=actors[2].id)
    news = NewsItem(
        guid="g1", title="<b>Fidan</b> &amp; the strikes", url="https://e.org/1", content_hash="h"
    )
    session.add_all([speaker, news])
    session.flush()
    rows: list[Statement] = []
    day = date(2024, 1, 1)
    for i in range(90):
        actor = actors[i % 3]
        rows.append(
            Statement(
                topic_id=topic.id,
                actor_id=actor.id,
                said_on=day + timedelta(days=7 * i),
                stance=[-2, -1, 0, 1, 2][(i // 3) % 5],
                summary=f"Summary {i} about 100% of the_strikes" if i % 10 == 0 else f"Summary {i}",
                quote="We CONDEMN the strikes" if i % 3 == 2 else None,
                channel="speech" if i % 2 else "interview",
                status="verified" if i % 4 else "pending",
                speaker_id=speaker.id if actor is actors[2] else None,
            )
        )
    rows.append(
        Statement(
            topic_id=topic.id,
            actor_id=actors[0].id,
            said_on=date(2025, 12, 1),
            stance=2,
            summary="Rejected one",
            status="rejected",
        )
    )
    session.add_all(rows)
    session.flush()
    from tracker.models import StatementNewsItem

    session.add(StatementNewsItem(statement_id=rows[2].id, news_item_id=news.id))
    session.commit()
    return {
        "topic": topic.id,
        "actors": {a.code: a.id for a in actors},
        "gcc": gcc.id,
        "speaker": speaker.id,
        "rows": rows,
        "news": news.id,
    }


def test_filters_by_channel_speaker_and_words(session, many):
    f = TimelineFilter(topic_id=many["topic"])
    speech = rows_for(session, TimelineFilter(topic_id=many["topic"], channels=("speech",)))
    assert speech and {r.channel for r in speech} == {"speech"}
    by_speaker = rows_for(session, TimelineFilter(many["topic"], speaker_ids=(many["speaker"],)))
    assert by_speaker and {r.actor_code for r in by_speaker} == {"TUR"}
    # Every word must appear, in any case, in the quote or the summary.
    condemn = rows_for(session, TimelineFilter(many["topic"], words="condemn STRIKES"))
    assert condemn and {r.actor_code for r in condemn} == {"TUR"}
    assert rows_for(session, TimelineFilter(many["topic"], words="condemn peace")) == []
    # LIKE wildcards in the words are taken literally.
    literal = rows_for(
        session, TimelineFilter(many["topic"], words="100% the_strikes"), full_text=True
    )
    assert len(literal) == 9 and all("100% of the_strikes" in (r.summary or "") for r in literal)
    assert rows_for(session, TimelineFilter(many["topic"], words="1_0%")) == []
    assert len(rows_for(session, f)) == 90  # the rejected one stays out by default
    assert word_terms("  a  b c d e f g h i j ") == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_rows_newest_first_with_a_limit_and_full_text(session, many):
    f = TimelineFilter(topic_id=many["topic"], statuses=("verified", "pending", "rejected"))
    newest = rows_for(session, f, limit=3, newest_first=True)
    assert [r.said_on for r in newest] == sorted((r.said_on for r in newest), reverse=True)
    assert newest[0].summary is None  # only with full_text
    assert newest[0].excerpt == "Rejected one"
    full = rows_for(session, f, full_text=True)
    quoted = next(r for r in full if r.quote)
    assert quoted.quote == "We CONDEMN the strikes" and quoted.summary


def test_stats(session, many):
    stats = timeline_stats(session, TimelineFilter(topic_id=many["topic"]))
    assert stats == TimelineStats(90, date(2024, 1, 1), date(2024, 1, 1) + timedelta(days=623), 3)
    nothing = timeline_stats(session, TimelineFilter(many["topic"], actor_ids=frozenset()))
    assert nothing == TimelineStats(0, None, None, 0)


@pytest.mark.parametrize("period", PERIODS)
def test_buckets_are_counted_by_the_database_as_python_would(session, many, period):
    f = TimelineFilter(topic_id=many["topic"])
    buckets = timeline_buckets(session, f, period)
    expected: dict[tuple[str, int, str], list[int]] = {}
    names = {v: k for k, v in many["actors"].items()}
    for r in many["rows"][:90]:
        key = (names[r.actor_id], period_index(period, r.said_on), r.status)
        expected.setdefault(key, []).append(r.stance)
    got = {
        (b.actor_code, period_index(period, b.start), b.status): (b.count, b.mean_stance)
        for b in buckets
    }
    assert got == {k: (len(v), sum(v) / len(v)) for k, v in expected.items()}
    for b in buckets:
        assert (b.start, b.end) == period_bounds(period, period_index(period, b.start))
        assert b.start <= b.last_on <= b.end
    merged = timeline_buckets(session, f, period, by_status=False)
    assert sum(b.count for b in merged) == 90 and {b.status for b in merged} == {"any"}


@pytest.fixture
def imprecise(session: Session) -> dict[str, Any]:
    """Pakistan in 2025: statements dated to the day, one to its month, two only to the year."""
    topic = Topic(slug="imprecise", title="Imprecise", proposition="P")
    pak = Actor(code="PAK", name="Pakistan")
    session.add_all([topic, pak])
    session.flush()
    dated = [
        (date(2025, 2, 10), "day", 2, "verified"),
        (date(2025, 3, 5), "day", 1, "verified"),
        (date(2025, 3, 1), "month", 0, "verified"),
        (date(2025, 5, 10), "day", 1, "pending"),
        (date(2025, 1, 1), "year", -2, "verified"),
        (date(2025, 1, 1), "year", -2, "pending"),
    ]
    rows = [
        Statement(
            topic_id=topic.id,
            actor_id=pak.id,
            said_on=day,
            date_precision=precision,
            stance=stance,
            summary=f"{precision} {day}",
            status=status,
        )
        for day, precision, stance, status in dated
    ]
    session.add_all(rows)
    session.commit()
    return {"topic": topic.id, "ids": [r.id for r in rows]}


def test_statements_dated_less_precisely_than_the_groups_are_grouped_on_their_own(
    session, imprecise
):
    f = TimelineFilter(topic_id=imprecise["topic"])
    ids = imprecise["ids"]

    def groups(period, by_status=False):
        return [
            (b.period, b.start, b.end, b.count, b.mean_stance, b.sample_id)
            for b in timeline_buckets(session, f, period, by_status=by_status)
        ]

    # Per quarter: the two known only to 2025 are not in Q1 2025, but in a group for the year.
    assert groups("quarter") == [
        ("quarter", date(2025, 1, 1), date(2025, 3, 31), 3, 1.0, ids[2]),
        ("year", date(2025, 1, 1), date(2025, 12, 31), 2, -2.0, ids[5]),
        ("quarter", date(2025, 4, 1), date(2025, 6, 30), 1, 1.0, ids[3]),
    ]
    # Per week: the one known to March is in March, not in its first week.
    weekly = groups("week")
    assert ("month", date(2025, 3, 1), date(2025, 3, 31), 1, 0.0, ids[2]) in weekly
    assert ("year", date(2025, 1, 1), date(2025, 12, 31), 2, -2.0, ids[5]) in weekly
    assert {g[0] for g in weekly} == {"week", "month", "year"} and len(weekly) == 5
    # Per year, every statement is in the year's one group.
    assert groups("year") == [("year", date(2025, 1, 1), date(2025, 12, 31), 6, 0.0, ids[5])]
    by_status = timeline_buckets(session, f, "half", by_status=True)
    assert [(b.period, b.status, b.count) for b in by_status] == [
        ("half", "pending", 1),
        ("half", "verified", 3),
        ("year", "pending", 1),
        ("year", "verified", 1),
    ]


def test_a_groups_statements_are_found_by_its_bounds(session, imprecise):
    f = TimelineFilter(topic_id=imprecise["topic"])
    ids = imprecise["ids"]
    assert group_period("quarter", "year") == "year"
    assert group_period("week", "month") == "month"
    assert group_period("quarter", "month") == "quarter"
    assert group_period("month", "day") == "month"
    for period, said_on, precision, members in [
        ("quarter", date(2025, 1, 1), "year", {ids[4], ids[5]}),
        ("quarter", date(2025, 2, 10), "day", {ids[0], ids[1], ids[2]}),
        ("week", date(2025, 3, 1), "month", {ids[2]}),
        ("year", date(2025, 1, 1), "year", set(ids)),
    ]:
        first, last, precisions = group_bounds(period, said_on, precision)
        group = replace(f, start=first, end=last, precisions=precisions)
        assert {r.statement_id for r in rows_for(session, group)} == members, (period, precision)


def test_period_numbers_and_bounds_agree():
    day = date(1999, 12, 27)
    while day < date(2001, 3, 1):
        for period in PERIODS:
            first, last = period_bounds(period, period_index(period, day))
            assert first <= day <= last
        day += timedelta(days=1)
    assert period_bounds("week", period_index("week", date(2025, 6, 4))) == (
        date(2025, 6, 2),  # weeks start on Monday
        date(2025, 6, 8),
    )
    assert period_bounds("quarter", period_index("quarter", date(2025, 5, 9))) == (
        date(2025, 4, 1),
        date(2025, 6, 30),
    )
    assert choose_period(date(2025, 1, 1), date(2025, 3, 1)) == "day"
    assert choose_period(date(2024, 1, 1), date(2025, 6, 1)) == "week"
    assert choose_period(date(2019, 1, 1), date(2025, 6, 1)) == "month"
    assert choose_period(date(2000, 1, 1), date(2025, 6, 1)) == "quarter"
    assert choose_period(date(1950, 1, 1), date(2025, 6, 1)) == "year"
    assert choose_period(None, None) == "month"
    assert period_bounds("half", period_index("half", date(2025, 8, 9))) == (
        date(2025, 7, 1),
        date(2025, 12, 31),
    )
    # Many lanes make the periods coarser: 60 countries over six years, per half-year.
    assert choose_period(date(2019, 1, 1), date(2025, 6, 1), lanes=10) == "month"
    assert choose_period(date(2019, 1, 1), date(2025, 6, 1), lanes=20) == "quarter"
    assert choose_period(date(2019, 1, 1), date(2025, 6, 1), lanes=60) == "half"


def test_load_timeline_draws_rows_or_groups(session, many):
    f = TimelineFilter(topic_id=many["topic"])
    detailed = load_timeline(session, f)
    assert not detailed.grouped and len(detailed.rows) == 90 and MAX_POINTS >= 90
    assert [lane.name for lane in detailed.lanes] == ["Oman", "Qatar", "Turkey"]
    grouped = load_timeline(session, f, max_points=10)
    assert grouped.grouped and grouped.period == "week" and not grouped.rows
    assert sum(b.count for b in grouped.buckets) == grouped.total == 90
    assert [lane.count for lane in grouped.lanes] == [30, 30, 30]


def test_lane_orders(session, many):
    f = TimelineFilter(topic_id=many["topic"])
    latest = latest_stances(session, f)
    last_rows = {}
    for r in many["rows"][:90]:
        last_rows[r.actor_id] = r
    assert latest == {a: (r.said_on, r.stance) for a, r in last_rows.items()}
    for period in ("week", "year"):
        assert latest_in_buckets(session, f, timeline_buckets(session, f, period)) == latest
    for max_points in (MAX_POINTS, 10):  # per statement and grouped: the same order
        by_latest = load_timeline(session, f, order="latest", max_points=max_points).lanes
        stances = [lane.latest_stance for lane in by_latest]
        assert stances == sorted(stances, reverse=True)
        assert {lane.latest_stance for lane in by_latest} == {r.stance for r in last_rows.values()}
    lanes = [Lane(1, "A", "Aa", 5, 1), Lane(2, "B", "Bb", 9, None), Lane(3, "C", "Cc", 5, 2)]
    assert [x.name for x in order_lanes(lanes, "count")] == ["Bb", "Aa", "Cc"]
    assert [x.name for x in order_lanes(lanes, "latest")] == ["Cc", "Aa", "Bb"]
    assert [x.name for x in order_lanes(lanes, "name")] == ["Aa", "Bb", "Cc"]


def test_lanes_from_rows_ignore_rejected_for_the_latest_stance(session, many):
    f = TimelineFilter(topic_id=many["topic"], statuses=("verified", "pending", "rejected"))
    lanes = {lane.code: lane for lane in lanes_from_rows(rows_for(session, f))}
    assert lanes["OMN"].count == 31
    assert lanes["OMN"].latest_on < date(2025, 12, 1)  # the rejected statement is newer


def test_monthly_stances_leave_out_rejected(session, many):
    f = TimelineFilter(topic_id=many["topic"], statuses=("verified", "pending", "rejected"))
    monthly = monthly_stances(session, f)
    assert sum(c.count for c in monthly.cells) == 90
    assert all(c.period == "month" for c in monthly.cells)
    assert [lane.name for lane in monthly.lanes] == ["Oman", "Qatar", "Turkey"]


def test_monthly_stances_leave_out_dates_known_only_to_the_year(session, many):
    """A statement dated "2024" is no more January's than any other month's: it stays out of
    the monthly averages and is counted apart; one dated "March 2024" counts in March."""
    f = TimelineFilter(topic_id=many["topic"])
    before = monthly_stances(session, f)
    assert before.year_only == 0
    qatar = many["actors"]["QAT"]
    session.add_all(
        [
            Statement(topic_id=many["topic"], actor_id=qatar, said_on=date(2024, 1, 1),
                      date_precision="year", stance=2, summary="Some time in 2024"),
            Statement(topic_id=many["topic"], actor_id=qatar, said_on=date(2024, 1, 1),
                      date_precision="year", stance=-2, summary="Also 2024", status="pending"),
            Statement(topic_id=many["topic"], actor_id=qatar, said_on=date(2024, 1, 1),
                      date_precision="year", stance=2, summary="Rejected", status="rejected"),
            Statement(topic_id=many["topic"], actor_id=qatar, said_on=date(2024, 3, 1),
                      date_precision="month", stance=2, summary="In March 2024"),
        ]
    )  # fmt: skip
    session.commit()
    after = monthly_stances(session, f)
    assert after.year_only == 2  # verified and pending; the rejected one is not held
    cell = {(c.actor_code, c.start): c for c in after.cells}
    old = {(c.actor_code, c.start): c for c in before.cells}
    assert set(cell) == set(old)
    changed = {
        k
        for k in cell
        if (cell[k].count, cell[k].mean_stance) != (old[k].count, old[k].mean_stance)
    }
    assert changed == {("QAT", date(2024, 3, 1))}
    assert cell[("QAT", date(2024, 3, 1))].count == old[("QAT", date(2024, 3, 1))].count + 1
    # The other views still draw them: only the heatmap asks for a known month.
    assert timeline_stats(session, f).total == len(rows_for(session, f)) == 93
    # Narrowed to other countries, nothing of Qatar's is counted.
    oman = replace(f, actor_ids=frozenset({many["actors"]["OMN"]}))
    assert monthly_stances(session, oman).year_only == 0


def test_blocs_and_choices(session, many):
    assert bloc_members(session) == {"GCC": ["OMN", "QAT"]}
    assert expand_blocs(["TUR", "GCC", "OMN"], bloc_members(session)) == [
        "TUR",
        "GCC",
        "OMN",
        "QAT",
    ]
    assert topic_actor_ids(session, many["topic"]) == set(many["actors"].values())
    (speaker,) = topic_speakers(session, many["topic"])
    assert (speaker.name, speaker.actor_code) == ("Hakan Fidan", "TUR")
    (news,) = statement_news(session, [many["news"]])
    assert news.title == "Fidan & the strikes"  # plain text: tags gone, entities decoded
    assert news.url == "https://e.org/1"
    assert statement_news(session, []) == []


def test_round_stance_half_away_from_zero():
    assert [round_stance(v) for v in (-1.5, -0.5, -0.49, 0.0, 0.49, 0.5, 1.5)] == [
        -2,
        -1,
        0,
        0,
        0,
        1,
        2,
    ]
