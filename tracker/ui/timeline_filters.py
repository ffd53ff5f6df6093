"""The Timeline's filters: sidebar widgets whose values live in the URL.

Every filter, the view, the lane order and the selected statement are query parameters, so a
copied URL reopens the same view::

    ?topic=<slug>&countries=PAK,IRN&from=2025-01-01&to=2025-06-30&status=verified
    &channel=speech,interview&speaker=12&words=nuclear&view=lines&order=latest&events=0
    &statement=<id>

Parameters at their default are left out; ``actors=`` (the older name of ``countries=``) is
still read. Choosing a bloc (GCC, EU…) adds its members to the countries. Parsing and
encoding (:func:`parse_params`, :func:`encode_params`) are plain functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import streamlit as st
from sqlmodel import Session

from tracker.actors import ActorView, list_actors
from tracker.models import Channel
from tracker.timeline import (
    ALL_STATUSES,
    DEFAULT_STATUSES,
    LANE_ORDERS,
    TimelineFilter,
    bloc_members,
    expand_blocs,
    statement_counts,
    topic_speakers,
)
from tracker.timeutil import utcnow
from tracker.topics import TopicView, list_topics
from tracker.ui.db import get_engine, session_scope
from tracker.validation import EARLIEST_DATE

VIEWS = {
    "swimlanes": "Swimlanes",
    "lines": "Stance lines",
    "heatmap": "Heatmap",
    "table": "Table",
    "shifts": "Position shifts",
}
DEFAULT_VIEW = "swimlanes"
ORDERS = {"name": "Name", "latest": "Latest stance", "count": "Number of statements"}
STATUS_LABELS = {
    "verified": "Verified",
    "pending": "Pending review",
    "rejected": "Rejected",
    "retracted": "Retracted",
}
CHANNELS = tuple(c.value for c in Channel)
MAX_WORDS_CHARS = 200

# Widget keys; every one of them mirrors a query parameter.
TOPIC = "timeline_topic"
COUNTRIES = "timeline_countries"
FROM = "timeline_from"
TO = "timeline_to"
STATUS = "timeline_status"
CHANNEL = "timeline_channel"
SPEAKER = "timeline_speaker"
WORDS = "timeline_words"
VIEW = "timeline_view"
ORDER = "timeline_order"
EVENTS = "timeline_events"
_COUNTRIES_BEFORE = "_timeline_countries_before"
MANAGED_PARAMS = (
    "topic",
    "countries",
    "actors",
    "from",
    "to",
    "status",
    "channel",
    "speaker",
    "words",
    "view",
    "order",
    "events",
)


@dataclass(frozen=True)
class TimelineParams:
    """The view a URL describes (everything but the selected statement)."""

    topic: str | None = None
    countries: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    channels: tuple[str, ...] = ()
    speakers: tuple[int, ...] = ()
    words: str = ""
    view: str = DEFAULT_VIEW
    order: str = "name"
    events: bool = True


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _date(raw: str | None) -> date | None:
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return day if day >= EARLIEST_DATE else None


def parse_params(params: Mapping[str, str]) -> TimelineParams:
    """Read a URL's query parameters; whatever is malformed or unknown falls back to default."""
    countries = _split(params.get("countries")) or _split(params.get("actors"))
    statuses = [s for s in _split(params.get("status")) if s in ALL_STATUSES]
    channels = [c for c in _split(params.get("channel")) if c in CHANNELS]
    speakers = [int(s) for s in _split(params.get("speaker")) if s.isdigit()]
    view = params.get("view", DEFAULT_VIEW)
    order = params.get("order", "name")
    return TimelineParams(
        topic=params.get("topic") or None,
        countries=tuple(dict.fromkeys(c.upper() for c in countries)),
        start=_date(params.get("from")),
        end=_date(params.get("to")),
        statuses=tuple(dict.fromkeys(statuses)) or DEFAULT_STATUSES,
        channels=tuple(dict.fromkeys(channels)),
        speakers=tuple(dict.fromkeys(speakers)),
        words=" ".join(params.get("words", "").split())[:MAX_WORDS_CHARS],
        view=view if view in VIEWS else DEFAULT_VIEW,
        order=order if order in LANE_ORDERS else "name",
        events=params.get("events", "1") not in ("0", "false", "off", "no"),
    )


def encode_params(p: TimelineParams) -> dict[str, str]:
    """The query parameters of a view, leaving out those at their default."""
    out: dict[str, str] = {}
    if p.topic:
        out["topic"] = p.topic
    if p.countries:
        out["countries"] = ",".join(p.countries)
    if p.start:
        out["from"] = p.start.isoformat()
    if p.end:
        out["to"] = p.end.isoformat()
    if set(p.statuses) != set(DEFAULT_STATUSES):
        out["status"] = ",".join(s for s in ALL_STATUSES if s in p.statuses)
    if p.channels:
        out["channel"] = ",".join(p.channels)
    if p.speakers:
        out["speaker"] = ",".join(str(s) for s in p.speakers)
    if p.words:
        out["words"] = p.words
    if p.view != DEFAULT_VIEW:
        out["view"] = p.view
    if p.order != "name":
        out["order"] = p.order
    if not p.events:
        out["events"] = "0"
    return out


# --- Streamlit -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineChoice:
    """What the sidebar decided: the topic, the domain filter and the view's parameters."""

    topic: TopicView
    filter: TimelineFilter
    params: TimelineParams
    actors: dict[str, ActorView]


def selected_statement_id() -> int | None:
    raw = st.query_params.get("statement")
    if raw is not None and not raw.isdigit():
        del st.query_params["statement"]  # not an id: the link was mangled
        return None
    return int(raw) if raw is not None else None


def select_statement(statement_id: int | None) -> None:
    if statement_id is None:
        st.query_params.pop("statement", None)
    else:
        st.query_params["statement"] = str(statement_id)


@st.cache_data(ttl=300, show_spinner=False)
def _topic_counts(database: str) -> dict[int, int]:
    """Statements per topic, to open the busiest one; counted at most every five minutes
    (``database`` keys the cache)."""
    with session_scope() as session:
        return statement_counts(session)


def _on_topic_change() -> None:
    select_statement(None)
    st.session_state[SPEAKER] = []  # speakers belong to a topic


def _init_state(params: TimelineParams, members: dict[str, list[str]]) -> None:
    """Widgets start from the URL the first time the page runs in a session."""
    countries = expand_blocs(params.countries, members)
    defaults: dict[str, Any] = {
        COUNTRIES: countries,
        FROM: params.start,
        TO: params.end,
        STATUS: list(params.statuses),
        CHANNEL: list(params.channels),
        SPEAKER: list(params.speakers),
        WORDS: params.words,
        VIEW: params.view,
        ORDER: params.order,
        EVENTS: params.events,
    }
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    st.session_state.setdefault(_COUNTRIES_BEFORE, countries)


def _expand_chosen_blocs(members: dict[str, list[str]]) -> Callable[[], None]:
    """A callback adding the members of a bloc the moment it is chosen (only then, so a
    member removed by hand stays removed)."""

    def expand() -> None:
        chosen = list(st.session_state.get(COUNTRIES, []))
        before = set(st.session_state.get(_COUNTRIES_BEFORE, []))
        new_blocs = [c for c in chosen if c in members and c not in before]
        if new_blocs:
            chosen = expand_blocs(chosen, {b: members[b] for b in new_blocs})
            st.session_state[COUNTRIES] = chosen
        st.session_state[_COUNTRIES_BEFORE] = chosen

    return expand


def _keep_known(key: str, options: list[Any]) -> None:
    """Drop values that are not (or no longer) among a multiselect's options."""
    known = set(options)
    current = st.session_state.get(key) or []
    kept = [v for v in current if v in known]
    if kept != current:
        st.session_state[key] = kept


def _actor_label(actor: ActorView, members: dict[str, list[str]]) -> str:
    if actor.code in members:
        return f"{actor.name} ({actor.code}, adds its {len(members[actor.code])} members)"
    return f"{actor.name} ({actor.code})"


def timeline_sidebar(session: Session, *, statement_topic_id: int | None) -> TimelineChoice | None:
    """Draw the filters in the sidebar; None when there is no topic to show."""
    topics = list_topics(session)
    if not topics:
        return None
    by_slug = {t.slug: t for t in topics}
    url = parse_params(st.query_params.to_dict())
    members = bloc_members(session)
    _init_state(url, members)

    if st.session_state.get(TOPIC) not in by_slug:
        slug = url.topic
        if slug not in by_slug and statement_topic_id is not None:
            slug = next((t.slug for t in topics if t.id == statement_topic_id), None)
        if slug not in by_slug:
            counts = _topic_counts(get_engine().url.render_as_string(hide_password=True))
            slug = max(topics, key=lambda t: counts.get(t.id, 0)).slug  # busiest first
        st.session_state[TOPIC] = slug

    sidebar = st.sidebar
    slug = sidebar.selectbox(
        "Topic",
        list(by_slug),
        key=TOPIC,
        format_func=lambda s: by_slug[s].title,
        on_change=_on_topic_change,
    )
    topic = by_slug[slug]

    actors = {a.code: a for a in list_actors(session)}
    _keep_known(COUNTRIES, list(actors))
    countries: list[str] = sidebar.multiselect(
        "Countries or blocs",
        list(actors),
        key=COUNTRIES,
        format_func=lambda c: _actor_label(actors[c], members),
        placeholder="All countries",
        help="Choosing a bloc or organisation (GCC, EU, …) adds its members; remove any.",
        on_change=_expand_chosen_blocs(members),
    )

    today = utcnow().date()
    start = sidebar.date_input(
        "From", value=None, min_value=EARLIEST_DATE, max_value=today, key=FROM, format="YYYY-MM-DD"
    )
    end = sidebar.date_input(
        "To", value=None, min_value=EARLIEST_DATE, max_value=today, key=TO, format="YYYY-MM-DD"
    )
    if start is not None and end is not None and start > end:
        sidebar.warning("“From” is after “To”: showing the period between them.")
        start, end = end, start

    statuses: list[str] = sidebar.multiselect(
        "Status",
        list(ALL_STATUSES),
        key=STATUS,
        format_func=lambda s: STATUS_LABELS.get(s, s),
        placeholder="Choose at least one",
        help="Verified statements are drawn solid, pending ones hollow. Rejected and "
        "retracted statements are hidden unless chosen here.",
    )
    channels: list[str] = sidebar.multiselect(
        "Channel",
        list(CHANNELS),
        key=CHANNEL,
        format_func=lambda c: c.replace("_", " "),
        placeholder="All channels",
    )
    speakers = {s.id: s for s in topic_speakers(session, topic.id)}
    _keep_known(SPEAKER, list(speakers))
    speaker_ids: list[int] = sidebar.multiselect(
        "Speaker",
        list(speakers),
        key=SPEAKER,
        format_func=lambda i: f"{speakers[i].name} ({speakers[i].actor_code})",
        placeholder="All speakers",
    )
    words = sidebar.text_input(
        "Words in the quote or summary",
        key=WORDS,
        max_chars=MAX_WORDS_CHARS,
        help="Statements that contain every word (in the quote, its translation or the "
        "summary), in any case.",
    )
    order = sidebar.selectbox(
        "Order lanes by", list(ORDERS), key=ORDER, format_func=lambda o: ORDERS[o]
    )
    show_events = sidebar.toggle("Show events and eras", key=EVENTS)

    params = TimelineParams(
        topic=topic.slug,
        countries=tuple(countries),
        start=start,
        end=end,
        statuses=tuple(s for s in ALL_STATUSES if s in statuses),
        channels=tuple(channels),
        speakers=tuple(speaker_ids),
        words=" ".join(words.split()),
        view=st.session_state.get(VIEW) or DEFAULT_VIEW,
        order=order,
        events=bool(show_events),
    )
    actor_ids = frozenset(actors[c].id for c in countries) if countries else None
    timeline_filter = TimelineFilter(
        topic_id=topic.id,
        actor_ids=actor_ids,
        start=start,
        end=end,
        statuses=params.statuses,
        channels=params.channels,
        speaker_ids=params.speakers,
        words=params.words,
    )
    return TimelineChoice(topic=topic, filter=timeline_filter, params=params, actors=actors)


def view_selector(choice: TimelineChoice) -> TimelineChoice:
    """The view switch above the chart; only the chosen view is computed and drawn."""
    view = st.segmented_control(
        "View",
        list(VIEWS),
        key=VIEW,
        format_func=lambda v: VIEWS[v],
        required=True,
        label_visibility="collapsed",
    )
    return replace(choice, params=replace(choice.params, view=view or DEFAULT_VIEW))


def sync_url(params: TimelineParams) -> None:
    """Write the view to the URL, touching only the parameters that changed."""
    wanted = encode_params(params)
    for key in MANAGED_PARAMS:
        value = wanted.get(key)
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
