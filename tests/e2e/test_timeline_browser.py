"""The Timeline in real Chromium: a shared URL reopens its view, a click opens the card, and the
PNG download is a real image.

The app runs on the demo data plus one Turkish statement with a quote, a translation and a web
source with its archived copy (the demo's own sources are offline citations).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.app.demo_db import build_demo_db
from tests.app.test_timeline_page import add_turkish_statement
from tests.e2e.harness import APP_IDLE, CHROMIUM, no_browser, serve_app

pytestmark = pytest.mark.e2e

SHARED = "?topic=israeli-strikes-on-iran&countries=PAK,TUR&events=0"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`streamlit run app.py` on the demo data plus the Turkish statement: (base URL, its id)."""
    if not CHROMIUM.exists():
        no_browser()
    tmp = tmp_path_factory.mktemp("e2e-timeline")
    database_url = build_demo_db(tmp / "tracker.db")
    statement_id = add_turkish_statement(database_url)["statement"]
    with serve_app(database_url, tmp / "streamlit.log") as base:
        yield base, statement_id


POINT_OF_STATEMENT = """(id) => {
  const gd = document.querySelector('.js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  for (const trace of gd._fullData) {
    if (trace.mode !== 'markers' || !trace.customdata) continue;
    for (let i = 0; i < trace.customdata.length; i++) {
      if (Number(trace.customdata[i][0]) === id) {
        return {x: box.left + xa._offset + xa.d2p(trace.x[i]),
                y: box.top + ya._offset + ya.d2p(trace.y[i])};
      }
    }
  }
  return null;
}"""


def open_shared(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector(APP_IDLE, timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=30_000)
    page.wait_for_timeout(500)  # plotly binds its handlers after the first draw
    return page, errors


def test_shared_url_reopens_the_view_and_a_click_opens_the_card(
    served: tuple[str, int], browser: Browser
) -> None:
    base, statement_id = served
    page, errors = open_shared(browser, f"{base}/{SHARED}")
    try:
        lanes = page.locator(".js-plotly-plot svg .ytick text").all_text_contents()
        assert lanes == ["Pakistan", "Turkey"]
        sidebar = page.locator("[data-testid='stSidebar']")
        assert sidebar.get_by_text("Turkey (TUR)").count() == 1
        assert (
            page.locator(".js-plotly-plot svg .eventtext, .js-plotly-plot .annotation").count() == 0
        )
        assert "countries=PAK%2CTUR" in page.url or "countries=PAK,TUR" in page.url

        point = page.evaluate(POINT_OF_STATEMENT, statement_id)
        assert point is not None
        page.mouse.click(point["x"], point["y"])
        page.wait_for_url(f"**statement={statement_id}**", timeout=30_000)
        page.wait_for_selector(APP_IDLE, timeout=30_000)
        page.get_by_text("The attacks are unacceptable and dangerous").wait_for(timeout=30_000)
        assert page.get_by_text("Hakan Fidan, Foreign Minister").count() >= 1
        source = page.locator("a[href^='https://www.mfa.gov.tr/statement-2025-06-14']")
        assert source.first.inner_text() == "Statement by the Foreign Minister"
        archive = page.locator("a[href^='https://web.archive.org/']")
        assert archive.first.inner_text() == "archived copy"
        # The filters survived the click: the URL still reopens this view.
        assert "topic=israeli-strikes-on-iran" in page.url and "events=0" in page.url
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors
    finally:
        page.close()


def test_chart_downloads_as_a_png_image(served: tuple[str, int], browser: Browser) -> None:
    base, _statement_id = served
    page, errors = open_shared(browser, f"{base}/{SHARED}")
    try:
        button = page.locator("[data-testid='stDownloadButton'] button", has_text="Chart (PNG)")
        with page.expect_download(timeout=90_000) as download:
            button.click()
        path = download.value.path()
        image = path.read_bytes()
        assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5_000
        assert download.value.suggested_filename == "israeli-strikes-on-iran-swimlanes.png"
        assert not errors, errors
    finally:
        page.close()
