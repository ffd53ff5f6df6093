"""The real app in a real browser: `streamlit run app.py` on the demo data, driven by Chromium.

Set ``TRACKER_SCREENSHOT=1`` to refresh ``docs/screenshot.png`` (the README's picture) from
the Timeline page as this test sees it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.e2e.harness import APP_IDLE

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshot.png"


def test_timeline_draws_the_swimlanes(app_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(app_url)
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        chart = page.locator(".js-plotly-plot").first
        chart.wait_for(state="visible", timeout=30_000)
        lanes = page.locator(".js-plotly-plot svg .ytick text").all_text_contents()
        assert "Pakistan" in lanes and "Iran" in lanes
        legend = page.locator(".js-plotly-plot svg .legendtext").all_text_contents()
        assert len(legend) >= 3
        # The points are drawn by WebGL on a canvas layer, next to the SVG axes.
        assert page.locator(".js-plotly-plot canvas").count() >= 1
        page.get_by_text("Click a point").first.wait_for(timeout=10_000)
        # The table is one of the views beside the swimlanes (Timeline issue 5).
        views = page.locator("[data-testid='stButtonGroup']").first
        assert views.get_by_text("Table", exact=True).count() == 1
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors
        if os.environ.get("TRACKER_SCREENSHOT") == "1":
            page.wait_for_timeout(1000)  # let the WebGL layer finish drawing
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
    finally:
        page.close()


def test_statement_link_opens_its_card(app_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{app_url}/?statement=1")
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        page.get_by_text("Coding rule").first.wait_for(timeout=30_000)
        assert "topic=" in page.url
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        page.close()


def test_news_page(app_url: str, browser: Browser) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{app_url}/news")
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        page.get_by_text("Strategic Dimensions").first.wait_for(timeout=30_000)
    finally:
        page.close()


POINT_ON_SCREEN = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const trace = gd._fullData.find(
    t => t.mode === 'markers' && t.x.length && t.x[0] !== null && t.x[0] !== undefined);
  const box = gd.getBoundingClientRect();
  return {
    x: box.left + xa._offset + xa.d2p(trace.x[0]),
    y: box.top + ya._offset + ya.d2p(trace.y[0]),
    id: trace.customdata[0][0],
  };
}"""


def test_clicking_a_point_opens_its_statement(app_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(app_url)
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=30_000)
        page.wait_for_timeout(500)  # plotly binds its handlers after the first draw
        point = page.evaluate(POINT_ON_SCREEN)
        page.mouse.click(point["x"], point["y"])
        page.wait_for_url(f"**statement={point['id']}**", timeout=30_000)
        page.wait_for_selector(APP_IDLE, timeout=30_000)
        page.get_by_text(f"Statement #{point['id']} on").first.wait_for(timeout=30_000)
    finally:
        page.close()
