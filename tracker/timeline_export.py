"""Downloads from the Timeline: the filtered rows as CSV and JSON, the chart as PNG and HTML.

Plain functions, no Streamlit. The PNG comes from Plotly through kaleido, which drives the
system's Chromium (``/usr/bin/chromium``); nothing is downloaded at run time. The HTML file
embeds plotly.js, so it opens offline and keeps the hover and zoom of the page.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from tracker.charts import plotly_text
from tracker.timeline import TimelineFilter, TimelineRow

CSV_COLUMNS = (
    "statement_id",
    "date",
    "date_precision",
    "actor_code",
    "actor",
    "speaker",
    "speaker_role",
    "stance",
    "stance_label",
    "status",
    "channel",
    "quote",
    "language",
    "translation",
    "summary",
    "source_url",
    "source",
)
PNG_WIDTH = 1400
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Spreadsheets run a cell that starts with one of these as a formula; a quote must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def row_record(row: TimelineRow) -> dict[str, Any]:
    """One statement as a flat record, the same fields in CSV and JSON."""
    return {
        "statement_id": row.statement_id,
        "date": row.said_on.isoformat(),
        "date_precision": row.date_precision,
        "actor_code": row.actor_code,
        "actor": row.actor_name,
        "speaker": row.speaker,
        "speaker_role": row.speaker_role,
        "stance": row.stance,
        "stance_label": row.stance_label,
        "status": row.status,
        "channel": row.channel,
        "quote": row.quote,
        "language": row.language,
        "translation": row.translation,
        "summary": row.summary,
        "source_url": row.source_url,
        "source": row.source_citation or row.source_site,
    }


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows_csv(rows: Sequence[TimelineRow]) -> str:
    """The rows as CSV with a header line; text that a spreadsheet would run is defused."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        record = row_record(row)
        writer.writerow([_csv_cell(record[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def filter_record(f: TimelineFilter, topic_slug: str) -> dict[str, Any]:
    return {
        "topic": topic_slug,
        "actor_ids": sorted(f.actor_ids) if f.actor_ids is not None else None,
        "from": f.start.isoformat() if f.start else None,
        "to": f.end.isoformat() if f.end else None,
        "statuses": list(f.statuses),
        "channels": list(f.channels),
        "speaker_ids": list(f.speaker_ids),
        "words": f.words or None,
    }


def rows_json(
    rows: Sequence[TimelineRow],
    *,
    f: TimelineFilter | None = None,
    topic_slug: str = "",
    view_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """The rows as a JSON document: what was asked (filters, the view's URL) and the rows."""
    document: dict[str, Any] = {
        "exported_at": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "topic": topic_slug,
        "filters": filter_record(f, topic_slug) if f is not None else None,
        "view": view_url,
        "count": len(rows),
        "statements": [row_record(row) for row in rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=1)


def _for_export(fig: go.Figure, title: str | None) -> go.Figure:
    out = go.Figure(fig)
    if title:
        # The title is a user-typed topic title: Plotly would read tags in it.
        out.update_layout(title={"text": plotly_text(title)})
        top = out.layout.margin.t or 30
        out.update_layout(margin={"t": top + 40})
    out.update_layout(paper_bgcolor="white")
    return out


def figure_png(fig: go.Figure, *, title: str | None = None, width: int = PNG_WIDTH) -> bytes:
    """The figure as a PNG image, rendered by kaleido in the system Chromium (a few seconds)."""
    out = _for_export(fig, title)
    height = int(out.layout.height or 600)
    image: bytes = pio.to_image(out, format="png", width=width, height=height, scale=1)
    return image


def figure_html(fig: go.Figure, *, title: str | None = None) -> str:
    """The figure as one standalone HTML page, with plotly.js inside (no network needed)."""
    out = _for_export(fig, title)
    page: str = pio.to_html(
        out,
        full_html=True,
        include_plotlyjs=True,
        config={"displaylogo": False, "responsive": True},
        default_width="100%",
    )
    if title:
        page = page.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)
    return page
