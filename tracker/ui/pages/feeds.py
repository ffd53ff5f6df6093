"""Feeds: the health of every polled feed for everyone; adding and managing them for admins.

Polling runs in its own process (`tracker poll`); this page only changes the list and the
schedule. The role is checked here to decide what to draw, and again by the domain functions,
which read the acting user's role from the database.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from tracker.errors import PermissionDenied, TrackerError, ValidationError
from tracker.feeds.discover import FeedCandidate, discover
from tracker.feeds.opml import export_opml, import_opml
from tracker.feeds.registry import (
    FeedView,
    add_feed,
    delete_feed,
    list_feeds,
    pause_feed,
    recent_fetches,
    refresh_feed,
    resume_feed,
)
from tracker.ui.db import session_scope, write_scope
from tracker.ui.login import ADMIN_ROLES, current_user, has_role
from tracker.ui.text import http_url, md_escape, time_text


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


FLASH = "feeds_flash"
CANDIDATES = "feeds_candidates"
STATUS_ICONS = {"failing": "🔴", "gone": "⚫", "active": "🟢", "paused": "⏸️"}

st.title("Feeds")
is_admin = has_role(*ADMIN_ROLES)
user = current_user()


def _admin_id() -> int:
    """The signed-in user's id for the domain calls, which check the role again.

    Never None from this page: to the domain functions None is the machine's operator (the
    CLI), so a visitor who is not signed in must not reach them as None.
    """
    if user is None:
        raise PermissionDenied("sign in as an admin to change feeds")
    return user.id


def _flash(message: str) -> None:
    st.session_state[FLASH] = message
    st.rerun()


def _show_error(exc: TrackerError) -> None:
    if isinstance(exc, ValidationError):
        st.error("Nothing was stored: " + md_escape("; ".join(exc.problems.values())))
    else:
        st.error(md_escape(str(exc)))


def _add(url: str, title: str | None = None, site_url: str | None = None) -> None:
    try:
        with write_scope() as session:
            feed = add_feed(
                session, url, title=title, site_url=site_url, acting_user_id=_admin_id()
            )
            session.commit()
    except TrackerError as exc:
        _show_error(exc)
        return
    st.session_state.pop(CANDIDATES, None)
    _flash(f"Added {feed.name}. The poller fetches it on its next pass.")


def _candidate_label(candidate: FeedCandidate) -> str:
    # Radio labels are Markdown: a title from a stranger's page is escaped like all feed text.
    name = candidate.title or "(untitled)"
    return md_escape(f"{name} — {candidate.url} ({candidate.how})")


def _add_form() -> None:
    st.subheader("Add a feed")
    with st.form("feeds_add", border=False):
        url = st.text_input(
            "Feed or web page URL", key="feeds_add_url", placeholder="https://example.org/"
        )
        find = st.checkbox(
            "Find the feed on the page (fetches the URL now)",
            value=True,
            key="feeds_add_discover",
            help="Without this, the URL is stored as given and checked on the next poll.",
        )
        submitted = st.form_submit_button("Add feed")
    if submitted:
        st.session_state.pop(CANDIDATES, None)
        if not find:
            _add(url)
            return
        try:
            with st.spinner("Looking for the feed…"):
                found = discover(url)
        except TrackerError as exc:
            _show_error(exc)
            return
        if not found.candidates:
            st.error(md_escape(found.message or "No feed found."))
            return
        if len(found.candidates) == 1:
            best = found.candidates[0]
            _add(best.url, best.title, best.site_url)
            return
        st.session_state[CANDIDATES] = found.candidates

    candidates: list[FeedCandidate] = st.session_state.get(CANDIDATES) or []
    if candidates:
        st.info("The page links to several feeds. Choose the one to add.")
        index = st.radio(
            "Feeds found",
            range(len(candidates)),
            format_func=lambda i: _candidate_label(candidates[i]),
            key="feeds_candidate",
        )
        left, right = st.columns(2)
        if left.button("Add the chosen feed", key="feeds_add_chosen"):
            chosen = candidates[index or 0]
            _add(chosen.url, chosen.title, chosen.site_url)
        if right.button("Cancel", key="feeds_cancel"):
            st.session_state.pop(CANDIDATES, None)
            st.rerun()


def _opml_tools() -> None:
    st.subheader("OPML")
    upload = st.file_uploader("Import an OPML file", type=["opml", "xml"], key="feeds_opml")
    if upload is not None and st.button("Import these feeds", key="feeds_import"):
        try:
            with write_scope() as session:
                result = import_opml(session, upload.getvalue(), acting_user_id=_admin_id())
                session.commit()
        except TrackerError as exc:
            _show_error(exc)
        else:
            if result.added or not result.problems:
                st.success(md_escape(result.summary()) + ". The poller fetches new feeds next.")
            else:
                # Every entry was refused: a green "0 feeds added" would read as success.
                st.error("Nothing was stored: " + md_escape(result.summary()) + ".")
            for problem in result.problems:
                st.warning(md_escape(f"Not imported: {problem.where}: {problem.reason}"))
    with session_scope() as session:
        document = export_opml(session)
    st.download_button(
        "Export all feeds as OPML",
        data=document,
        file_name="tracker-feeds.opml",
        mime="text/x-opml",
        key="feeds_export",
    )


def _act(action: Callable[..., FeedView], feed_id: int, done: str) -> None:
    try:
        with write_scope() as session:
            feed = action(session, feed_id, acting_user_id=_admin_id())
            session.commit()
    except TrackerError as exc:
        _show_error(exc)
        return
    _flash(f"{feed.name}: {done}.")


def _delete(feed_id: int) -> None:
    try:
        with write_scope() as session:
            name = delete_feed(session, feed_id, acting_user_id=_admin_id())
            session.commit()
    except TrackerError as exc:
        _show_error(exc)
        return
    _flash(f"Deleted {name}.")


def _manage(feed: FeedView) -> None:
    cols = st.columns(4)
    if feed.status == "paused":
        if cols[0].button("Resume", key="feeds_resume"):
            _act(resume_feed, feed.id, "polling resumed")
    elif cols[0].button("Pause", key="feeds_pause"):
        _act(pause_feed, feed.id, "paused")
    if cols[1].button("Refresh now", key="feeds_refresh", disabled=feed.status == "paused"):
        _act(refresh_feed, feed.id, "due now; the poller fetches it on its next pass")
    sure = cols[2].checkbox("Delete with its items", key="feeds_delete_sure")
    if cols[3].button("Delete", key="feeds_delete", disabled=not sure):
        _delete(feed.id)


flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(md_escape(flash))

if is_admin:
    with st.expander("Add feeds", expanded=True):
        _add_form()
        _opml_tools()

with session_scope() as session:
    feeds = list_feeds(session)

if not feeds:
    if is_admin:
        st.info("No feeds yet. Add one above, or import an OPML file.")
    else:
        st.info(
            "No feeds yet. An admin adds them here, or the operator runs "
            "`tracker feeds add URL`; `tracker poll` then fetches them."
        )
    st.stop()

failing = sum(f.status == "failing" for f in feeds)
paused = sum(f.status == "paused" for f in feeds)
st.caption(
    f"{plural(len(feeds), 'feed')}: {failing} failing, {paused} paused. Failing feeds come first. "
    "Polling runs in its own process (`tracker poll`)."
)
st.dataframe(
    {
        "Feed": [f.title or "" for f in feeds],
        "Status": [f"{STATUS_ICONS.get(f.status, '')} {f.status}" for f in feeds],
        "Items": [f.items for f in feeds],
        "Last success": [time_text(f.last_success_at) for f in feeds],
        "Next poll": ["—" if f.status == "paused" else time_text(f.next_poll_at) for f in feeds],
        "Errors": [f.error_count for f in feeds],
        "Failing since": [time_text(f.failing_since) if f.failing_since else "" for f in feeds],
        "Last error": [f.last_error or "" for f in feeds],
        "URL": [http_url(f.url) for f in feeds],
    },
    hide_index=True,
    column_config={"URL": st.column_config.LinkColumn()},
    key="feeds_table",
)

st.subheader("One feed")
by_id = {f.id: f for f in feeds}
chosen_id = st.selectbox(
    "Feed",
    list(by_id),
    format_func=lambda i: f"{by_id[i].name} ({by_id[i].status})",
    key="feeds_chosen",
)
chosen = by_id[chosen_id] if chosen_id in by_id else feeds[0]
details = [
    f"**Status:** {md_escape(chosen.status)}",
    f"**Items:** {chosen.items}",
    f"**Last polled:** {time_text(chosen.last_polled_at)}",
    f"**Last success:** {time_text(chosen.last_success_at)}",
    f"**Next poll:** {time_text(chosen.next_poll_at)}",
]
if chosen.error_count:
    details.append(f"**Errors in a row:** {chosen.error_count}")
    details.append(f"**Failing since:** {time_text(chosen.failing_since)}")
st.markdown(" · ".join(details))
if chosen.last_error:
    st.caption("Last error: " + md_escape(chosen.last_error))
if is_admin:
    _manage(chosen)

with session_scope() as session:
    fetches = recent_fetches(session, chosen.id)
if fetches:
    st.caption("Last fetches, newest first")
    st.dataframe(
        {
            "Started": [time_text(f.started_at) for f in fetches],
            "Outcome": [f.outcome for f in fetches],
            "HTTP": [f.http_status for f in fetches],
            "New items": [f.items_new for f in fetches],
            "Bytes": [f.bytes_read for f in fetches],
            "Took (ms)": [f.duration_ms for f in fetches],
            "Error": [f.error or "" for f in fetches],
        },
        hide_index=True,
        key="feeds_fetches",
    )
else:
    st.caption("Not fetched yet: the poller fetches it on its next pass.")
