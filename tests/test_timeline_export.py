"""Downloads: rows as CSV and JSON, the chart as PNG (kaleido, system Chromium) and HTML."""

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tracker.charts import swimlane_figure
from tracker.timeline import TimelineFilter, TimelineRow
from tracker.timeline_export import (
    CSV_COLUMNS,
    PNG_MAGIC,
    figure_html,
    figure_png,
    rows_csv,
    rows_json,
)
from tracker.topics import LevelView

LEVELS = [LevelView(-1, "Against", "r"), LevelView(0, "Neutral", "r"), LevelView(1, "For", "r")]


def row(statement_id: int, **kw) -> TimelineRow:
    values = {
        "statement_id": statement_id,
        "actor_code": "IRN",
        "actor_name": "Iran",
        "said_on": date(2025, 6, 13),
        "stance": 1,
        "stance_label": "For",
        "status": "verified",
        "speaker": "Abbas Araghchi",
        "speaker_role": "Foreign Minister",
        "excerpt": "We will respond",
        "source_site": "irna.ir",
        "channel": "press_conference",
        "quote": "We will respond, firmly.\nNext line",
        "language": "en",
        "summary": "Vows a response",
        "source_url": "https://irna.ir/x",
        **kw,
    }
    return TimelineRow(**values)


ROWS = [row(1), row(2, quote='=HYPERLINK("http://evil")', stance=-1, stance_label="Against")]


def test_csv_has_a_header_every_row_and_defuses_formulas():
    parsed = list(csv.reader(io.StringIO(rows_csv(ROWS))))
    assert tuple(parsed[0]) == CSV_COLUMNS
    first = dict(zip(CSV_COLUMNS, parsed[1], strict=True))
    assert first["date"] == "2025-06-13" and first["actor"] == "Iran"
    assert first["quote"] == "We will respond, firmly.\nNext line"
    assert first["source_url"] == "https://irna.ir/x" and first["channel"] == "press_conference"
    second = dict(zip(CSV_COLUMNS, parsed[2], strict=True))
    assert second["quote"].startswith("'=HYPERLINK")  # text, not a formula
    assert second["stance"] == "-1"  # numbers stay numbers


def test_json_holds_the_filters_the_link_and_the_rows():
    f = TimelineFilter(topic_id=3, actor_ids=frozenset({2, 1}), start=date(2025, 1, 1))
    document = json.loads(
        rows_json(
            ROWS,
            f=f,
            topic_slug="strikes",
            view_url="http://host/?topic=strikes",
            now=datetime(2025, 7, 1, tzinfo=UTC),
        )
    )
    assert document["count"] == 2 and document["topic"] == "strikes"
    assert document["exported_at"] == "2025-07-01T00:00:00+00:00"
    assert document["filters"]["actor_ids"] == [1, 2]
    assert document["filters"]["from"] == "2025-01-01" and document["filters"]["to"] is None
    assert document["view"] == "http://host/?topic=strikes"
    assert document["statements"][0]["speaker_role"] == "Foreign Minister"
    assert document["statements"][1]["quote"] == '=HYPERLINK("http://evil")'  # JSON keeps text


def test_html_is_standalone_and_escapes_the_title():
    page = figure_html(swimlane_figure(ROWS, LEVELS), title="<script>alert(1)</script> Strikes")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "Plotly.newPlot" in page
    assert "<script>alert(1)</script>" not in page
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; Strikes</title>" in page
    assert 'src="http' not in page and len(page) > 1_000_000  # plotly.js is inside the file


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="kaleido needs Chromium")
def test_png_is_a_real_image():
    image = figure_png(swimlane_figure(ROWS, LEVELS), title="Strikes", width=700)
    assert image.startswith(PNG_MAGIC) and len(image) > 2_000
    width = int.from_bytes(image[16:20], "big")
    assert width == 700
