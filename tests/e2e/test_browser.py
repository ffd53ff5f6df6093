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
from tests.e2e.test_timeline_browser import chart_frame, point_on_page

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
        chart = chart_frame(page)  # the chart component's iframe
        lanes = chart.locator(".js-plotly-plot svg .ytick text").all_text_contents()
        assert "Pakistan" in lanes and "Iran" in lanes
        legend = chart.locator(".js-plotly-plot svg .legendtext").all_text_contents()
        assert len(legend) >= 3
        # The points are SVG markers (few: many statements are grouped per period).
        assert chart.locator(".js-plotly-plot .scatterlayer .point").count() >= 1
        page.get_by_text("Click a point").first.wait_for(timeout=10_000)
        # The table is one of the views beside the swimlanes (Timeline issue 5).
        views = page.locator("[data-testid='stButtonGroup']").first
        assert views.get_by_text("Table", exact=True).count() == 1
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors
        if os.environ.get("TRACKER_SCREENSHOT") == "1":
            page.wait_for_timeout(1000)  # let the chart finish drawing
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


def test_clicking_a_point_opens_its_statement(app_url: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(app_url)
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        point = point_on_page(page, chart_frame(page), None)
        assert point is not None
        page.mouse.click(point["x"], point["y"])
        page.wait_for_url(f"**statement={point['id']}**", timeout=30_000)
        page.wait_for_selector(APP_IDLE, timeout=30_000)
        page.get_by_text(f"Statement #{point['id']} on").first.wait_for(timeout=30_000)
    finally:
        page.close()


def test_pages_ask_nothing_of_other_hosts(app_url: str, browser: Browser) -> None:
    """Analysts' browsers talk to the tracker's server only: no fonts, icons or scripts from a
    CDN (Streamlit takes a page's Material icon as the favicon from fonts.gstatic.com unless
    the app sets its own), so nothing leaks which pages are read, and nothing breaks offline."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    origin = app_url.rstrip("/")
    try:
        page.goto(origin + "/")
        page.wait_for_selector(APP_IDLE, timeout=60_000)
        chart_frame(page)  # the chart's frame and its plotly.js are asked for too
        for path in ("/news", "/search", "/statement?id=1", "/add_statement", "/feeds"):
            page.goto(origin + path)
            page.wait_for_selector(APP_IDLE, timeout=60_000)
            page.wait_for_timeout(500)  # the favicon is set after the script's first messages
        assert any("plotly-basic" in url for url in requested)
        elsewhere = sorted(
            {u for u in requested if not u.startswith((origin + "/", "data:", "blob:", "about:"))}
        )
        assert elsewhere == []
        icons = page.evaluate(
            "[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href.slice(0, 40))"
        )
        assert icons and all(
            not icon.startswith("http") or icon.startswith(origin) for icon in icons
        )
    finally:
        page.close()
