"""Shared widgets: the statement card shown on the Timeline (and on other pages)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from streamlit.errors import StreamlitAPIException

from tracker.sources import SourceView
from tracker.statements import StatementView
from tracker.timeline import NewsLink, site_of
from tracker.topics import TopicView
from tracker.ui.text import date_text, http_url, md_escape, md_link, md_quote, time_text

STATEMENT_PAGE = "tracker/ui/pages/statement.py"  # relative to app.py, as st.page_link wants
STATUS_BADGES = {
    "verified": ":green-badge[verified]",
    "pending": ":orange-badge[pending review]",
    "rejected": ":red-badge[rejected]",
    "retracted": ":gray-badge[retracted]",
}


def source_line(source: SourceView) -> str:
    """One source as Markdown: a link only for http(s) addresses, citations as plain text."""
    url = http_url(source.url)
    parts: list[str] = []
    if url:
        parts.append(md_link(source.title or source.publisher or site_of(url) or url, url))
        if source.publisher and source.title:
            parts.append(md_escape(source.publisher))
    elif source.citation:
        # A citation names its document in full; the title would only repeat it.
        parts.append(md_escape(source.citation))
        if source.publisher and source.publisher not in source.citation:
            parts.append(md_escape(source.publisher))
    else:
        parts.append(md_escape(source.title or source.publisher or "source"))
    if source.published_on is not None:
        parts.append(date_text(source.published_on))
    if url and source.citation:
        parts.append(md_escape(source.citation))
    archive = http_url(source.archive_url)
    if archive:
        parts.append(md_link("archived copy", archive))
    return " · ".join(parts)


def news_line(item: NewsLink) -> str:
    """A news item as Markdown: its title, linked when its address is http(s), and its date."""
    line = md_link(item.title, item.url)
    if item.published_at is not None:
        line += f" · {time_text(item.published_at)}"
    return line


def history_link(statement_id: int) -> str:
    """A link to the statement's page (history, edits, review), relative to this app."""
    return f"[History and edits](statement?id={int(statement_id)})"


def _history(statement_id: int) -> None:
    """A link to the statement's own page: within the app when it has that page, else a plain
    link to its address."""
    try:
        st.page_link(
            STATEMENT_PAGE,
            label="History and edits",
            query_params={"id": str(int(statement_id))},
            icon=":material/history:",
        )
    except StreamlitAPIException:
        st.markdown(history_link(statement_id))


def statement_card(
    statement: StatementView,
    topic: TopicView | None = None,
    *,
    news: Sequence[NewsLink] = (),
    show_history: bool = True,
    compact: bool = False,
) -> None:
    """Everything about one statement: who, when, what, how it is coded, and the evidence.

    ``news`` are the news items it was taken from (``tracker.timeline.statement_news``);
    ``show_history`` adds the link to its page with the history of its edits; ``compact``
    stacks the details for a narrow column.
    """
    with st.container(border=True):
        st.markdown(
            f"#### {md_escape(statement.actor_name)} · "
            f"{date_text(statement.said_on, statement.date_precision)}"
        )
        badge = STATUS_BADGES.get(statement.status, md_escape(statement.status))
        st.markdown(
            f"{badge} Statement \\#{statement.id} on *{md_escape(statement.topic_title)}*"
            f" · {md_escape(statement.channel.replace('_', ' '))}"
        )
        if statement.quote:
            st.markdown(md_quote(statement.quote))
            if statement.language:
                st.caption(f"Original language: {md_escape(statement.language)}")
        if statement.translation:
            st.markdown("**Translation**")
            st.markdown(md_quote(statement.translation))
        if statement.summary:
            st.markdown(f"**Summary:** {md_escape(statement.summary)}")

        who, how = (st.container(), st.container()) if compact else st.columns(2)
        with who:
            speaker = md_escape(statement.speaker_name) if statement.speaker_name else "not named"
            if statement.speaker_role:
                speaker += f", {md_escape(statement.speaker_role)}"
            lines = [
                f"**Speaker:** {speaker}",
                f"**Said:** {date_text(statement.said_on, statement.date_precision)} "
                f"(known to the {md_escape(statement.date_precision)})",
            ]
            if statement.target_code:
                target = statement.target_code
                if statement.target_name:
                    target = f"{statement.target_name} ({target})"
                lines.append(f"**Addressed to:** {md_escape(target)}")
            st.markdown("  \n".join(lines))
        with how:
            review = f"**Status:** {md_escape(statement.status)}"
            if statement.reviewer:
                review += f", reviewed by {md_escape(statement.reviewer)}"
            st.markdown(
                f"**Stance:** {md_escape(statement.stance_label)} ({statement.stance:+d})  \n"
                + review
            )
            level = topic.level(statement.stance) if topic is not None else None
            if level is not None:
                st.caption(f"Coding rule: {md_escape(level.rule)}")
            if statement.review_note:
                st.caption(f"Review note: {md_escape(statement.review_note)}")
            if statement.contributor:
                st.caption(f"Filed by {md_escape(statement.contributor)}")

        st.markdown("**Sources**")
        if not statement.sources:
            st.caption("No source recorded.")
        for source in statement.sources:
            st.markdown(f"- {source_line(source)}")
        if news:
            st.markdown("**From the news**")
            for item in news:
                st.markdown(f"- {news_line(item)}")
        if show_history:
            _history(statement.id)
