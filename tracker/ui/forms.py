"""Shared pieces of the write pages: field messages, source fields, link buttons, writes.

Messages beside fields come from the domain's ``ValidationError.problems`` (field -> message);
a page draws each field, then :func:`field_problem` for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

import streamlit as st
from sqlmodel import Session

from tracker.errors import DatabaseBusy, PermissionDenied, ValidationError
from tracker.sources import SourceView
from tracker.timeline import site_of
from tracker.timeutil import utcnow
from tracker.ui.db import write_scope
from tracker.ui.text import http_url, md_escape, md_link

T = TypeVar("T")

STATEMENT_PAGE = "tracker/ui/pages/statement.py"
EVENT_PAGE = "tracker/ui/pages/event.py"
ADD_STATEMENT_PAGE = "tracker/ui/pages/add_statement.py"
ADD_EVENT_PAGE = "tracker/ui/pages/add_event.py"

EARLIEST = date(1900, 1, 1)
SOURCE_FIELDS = ("url", "publisher", "title", "published_on", "archive_url", "citation")
MAX_SOURCES = 10

FIELD_NAMES = {
    "database": "The database",
    "topic_id": "Topic",
    "actor_id": "Country or bloc",
    "speaker_id": "Speaker",
    "speaker_role": "Role at the time",
    "target_actor_id": "Addressed to",
    "said_on": "Date said",
    "date_precision": "Date known to the",
    "quote": "Quote",
    "language": "Language",
    "translation": "Translation",
    "summary": "Summary",
    "stance": "Stance",
    "channel": "Channel",
    "sources": "Sources",
    "news_item_ids": "Linked news items",
    "reason": "Reason",
    "note": "Note",
    "statement": "Statement",
    "event": "Event",
    "edit": "Change",
    "successor_id": "Successor",
    "revision_id": "Version",
}


def today() -> date:
    return utcnow().date()


def param_int(name: str) -> int | None:
    raw = st.query_params.get(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def field_label(key: str) -> str:
    parts = key.split(".")
    if parts[0] == "sources" and len(parts) >= 2:
        return f"Source {int(parts[1]) + 1}" + (f" ({parts[2]})" if len(parts) > 2 else "")
    return FIELD_NAMES.get(key, key.replace("_", " "))


def field_problem(problems: Mapping[str, str], *keys: str) -> None:
    """The message for a field, right below it."""
    for key in keys:
        if key in problems:
            st.error(md_escape(problems[key]), icon=":material/error:")


def problems_banner(problems: Mapping[str, str], shown: Iterable[str] = ()) -> None:
    """'Nothing was saved' above a form, listing any problem not shown beside a field."""
    if not problems:
        return
    shown_keys = set(shown)
    beside = sum(1 for key in problems if key in shown_keys)
    st.error(
        "Nothing was saved"
        + (
            ": "
            + ("one problem needs" if beside == 1 else f"{beside} problems need")
            + " your attention, shown beside the fields below."
            if beside
            else "."
        ),
        icon=":material/error:",
    )
    for key, message in problems.items():
        if key not in shown_keys:
            st.error(f"**{md_escape(field_label(key))}:** {md_escape(message)}")


@dataclass
class WriteResult(Generic[T]):
    value: T | None = None
    problems: dict[str, str] = field(default_factory=dict)
    denied: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.problems and self.denied is None


# Shown when other writers (an import, the poller, many saves at once) kept the database for
# longer than a write waits: the entries are still in the form.
BUSY_MESSAGE = (
    "busy with other writes (an import or the news poller) for longer than this save could "
    "wait. Your entries are kept: save again in a moment."
)


def write(action: Callable[[Session], T]) -> WriteResult[T]:
    """Run a domain write in its own transaction: committed if it returns, rolled back with
    the problems (or the refusal) if it raises. A database kept busy by other writers is a
    problem to show, under the key ``database``, not an error page."""
    try:
        with write_scope() as session:
            try:
                value = action(session)
                session.commit()
                return WriteResult(value=value)
            except ValidationError as exc:
                session.rollback()
                return WriteResult(problems=exc.problems)
            except PermissionDenied as exc:
                session.rollback()
                return WriteResult(denied=str(exc))
    except DatabaseBusy:
        return WriteResult(problems={"database": BUSY_MESSAGE})


def show_refusal(result: WriteResult[Any]) -> None:
    if result.denied:
        st.error(f"Not allowed: {md_escape(result.denied)}", icon=":material/block:")
    elif result.problems:
        for key, message in result.problems.items():
            st.error(f"**{md_escape(field_label(key))}:** {md_escape(message)}")


# --- sources -----------------------------------------------------------------------------


def source_key(prefix: str, index: int, name: str) -> str:
    return f"{prefix}src{index}_{name}"


def set_source_values(prefix: str, index: int, values: Mapping[str, Any]) -> None:
    for name in SOURCE_FIELDS:
        value = values.get(name)
        if name == "published_on":
            st.session_state[source_key(prefix, index, name)] = value
        else:
            st.session_state[source_key(prefix, index, name)] = value or ""


def source_fields(prefix: str, index: int, problems: Mapping[str, str]) -> None:
    """The fields of one source, each with its message."""
    base = f"sources.{index}"
    st.markdown(f"**Source {index + 1}**")
    left, right = st.columns(2)
    with left:
        st.text_input(
            "Web address (http or https)",
            key=source_key(prefix, index, "url"),
            placeholder="https://…",
        )
        field_problem(problems, f"{base}.url")
        st.text_input("Publisher", key=source_key(prefix, index, "publisher"))
        field_problem(problems, f"{base}.publisher")
        st.text_input("Title", key=source_key(prefix, index, "title"))
        field_problem(problems, f"{base}.title")
    with right:
        published_key = source_key(prefix, index, "published_on")
        if published_key not in st.session_state:
            st.session_state[published_key] = None  # no date unless one is given
        st.date_input(
            "Published on",
            key=source_key(prefix, index, "published_on"),
            min_value=EARLIEST,
            max_value=today(),
            format="YYYY-MM-DD",
        )
        field_problem(problems, f"{base}.published_on")
        st.text_input(
            "Archived copy (optional)",
            key=source_key(prefix, index, "archive_url"),
            placeholder="https://web.archive.org/…",
        )
        field_problem(problems, f"{base}.archive_url")
        st.text_area(
            "Or a full citation, for an offline document",
            key=source_key(prefix, index, "citation"),
            height=68,
        )
        field_problem(problems, f"{base}.citation")


def read_sources(prefix: str, count: int) -> tuple[list[dict[str, Any]], list[int]]:
    """The sources typed, skipping blank ones, and the form position of each kept one."""
    sources: list[dict[str, Any]] = []
    positions: list[int] = []
    for index in range(count):
        values: dict[str, Any] = {}
        for name in SOURCE_FIELDS:
            value = st.session_state.get(source_key(prefix, index, name))
            if isinstance(value, str):
                value = value.strip() or None
            values[name] = value
        if any(v is not None for v in values.values()):
            sources.append(values)
            positions.append(index)
    return sources, positions


def remap_source_problems(problems: dict[str, str], positions: list[int]) -> dict[str, str]:
    """Problems of the n-th kept source belong beside the source at its form position."""
    out: dict[str, str] = {}
    for key, message in problems.items():
        parts = key.split(".")
        if parts[0] == "sources" and len(parts) > 1 and parts[1].isdigit():
            kept = int(parts[1])
            if kept < len(positions):
                parts[1] = str(positions[kept])
            key = ".".join(parts)
        out[key] = message
    return out


def source_count_controls(prefix: str) -> int:
    """Buttons that add or remove a source block; returns how many blocks to draw."""
    count_key = f"{prefix}source_count"
    count = int(st.session_state.get(count_key, 1))

    def change(delta: int) -> None:
        st.session_state[count_key] = min(max(count + delta, 1), MAX_SOURCES)

    st.caption(
        f"{count} source block{'s' if count != 1 else ''} at the end of the form below; "
        "blocks left empty are ignored."
    )
    left, right = st.columns(2)
    left.button(
        "Add another source",
        key=f"{prefix}add_source",
        on_click=change,
        args=(1,),
        disabled=count >= MAX_SOURCES,
        icon=":material/add_link:",
    )
    right.button(
        "Remove the last source",
        key=f"{prefix}remove_source",
        on_click=change,
        args=(-1,),
        disabled=count <= 1,
    )
    return count


def link_buttons(sources: list[SourceView], key: str) -> None:
    """One button per source that opens it in a new tab (http(s) addresses only)."""
    shown = 0
    for i, source in enumerate(sources, start=1):
        for label, address in (("Open source", source.url), ("Archived copy", source.archive_url)):
            url = http_url(address)
            if url is None:
                continue
            site = site_of(url) or "link"
            st.link_button(
                f"{label} {i}: {md_escape(site)}",
                url,
                key=f"{key}_{i}_{label}",
                icon=":material/open_in_new:",
            )
            shown += 1
    if not sources:
        st.caption("No source recorded.")


def text_value(key: str) -> str | None:
    value = st.session_state.get(key)
    if isinstance(value, str):
        return value.strip() or None
    return None


def clear_keys(prefix: str, keep: Iterable[str] = ()) -> None:
    kept = set(keep)
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(prefix) and key not in kept:
            del st.session_state[key]


def source_markdown(source: SourceView) -> str:
    """One source as safe Markdown: a link only for an http(s) address, the rest escaped."""
    parts: list[str] = []
    url = http_url(source.url)
    if url is not None:
        parts.append(md_link(source.title or source.publisher or site_of(url) or url, url))
        if source.publisher and source.title:
            parts.append(md_escape(source.publisher))
    else:
        parts.append(md_escape(source.citation or source.title or source.publisher or "source"))
    if source.published_on is not None:
        parts.append(source.published_on.isoformat())
    archive = http_url(source.archive_url)
    if archive is not None:
        parts.append(md_link("archived copy", archive))
    return " · ".join(parts)
