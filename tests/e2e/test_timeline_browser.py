"""The Timeline in real Chromium: a shared URL reopens its view, a click opens the card, hover
text stays text, and the PNG download is a real image.

The app runs on the demo data plus one Turkish statement with a quote, a translation and a web
source with its archived copy (the demo's own sources are offline citations), and one with
markup in its quote and speaker role. The chart is drawn in the chart component's iframe
(``tracker/ui/chart_frame.py``); the helpers here find it, and a point in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import Browser, Frame, Page
from sqlmodel import Session

from tests.app.demo_db import build_demo_db
from tests.app.test_timeline_page import add_turkish_statement
from tests.e2e.harness import APP_IDLE, CHROMIUM, no_browser, serve_app
from tracker.actors import actor_by_code
from tracker.db import make_engine
from tracker.migrate import upgrade
from tracker.models import SourceCreate, StatementCreate
from tracker.speakers import get_or_create_speaker
from tracker.statements import create_statement
from tracker.synth import generate_synthetic
from tracker.topics import get_topic_by_slug

pytestmark = pytest.mark.e2e

SHARED = "?topic=israeli-strikes-on-iran&countries=PAK,TUR&events=0"
HOSTILE_QUOTE = (
    '<img src=x onerror="window.__pwned=1"> <a href="javascript:window.__pwned=2">here</a>'
)
HOSTILE_ROLE = "<b>Minister</b>"

CHART_FRAME = "iframe[src*='plotly_frame']"
# Plotly has drawn in the frame: its layout exists and the lane labels are set.
CHART_DRAWN = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return !!(gd && gd._fullLayout && gd.querySelectorAll('.ytick text').length > 0);
}"""
# Where a statement's point is, in the frame's coordinates; a point with any id if none given.
POINT_OF_STATEMENT = """(id) => {
  const gd = document.querySelector('.js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  for (const trace of gd._fullData) {
    if (trace.mode !== 'markers' || !trace.customdata) continue;
    for (let i = 0; i < trace.customdata.length; i++) {
      const found = Number(trace.customdata[i][0]);
      if (trace.x[i] != null && (id === null ? found > 0 : found === id)) {
        return {x: box.left + xa._offset + xa.d2p(trace.x[i]),
                y: box.top + ya._offset + ya.d2p(trace.y[i]), id: found};
      }
    }
  }
  return null;
}"""


def add_hostile_statement(database_url: str) -> int:
    """A Turkish statement whose quote and speaker role are markup."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            topic = get_topic_by_slug(session, "israeli-strikes-on-iran")
            turkey = actor_by_code(session, "TUR")
            assert topic is not None and turkey is not None
            speaker = get_or_create_speaker(session, "Hakan Fidan", turkey.id)
            statement = create_statement(
                session,
                StatementCreate(
                    topic_id=topic.id, actor_id=turkey.id, speaker_id=speaker.id,
                    speaker_role=HOSTILE_ROLE, said_on=date(2025, 6, 2), quote=HOSTILE_QUOTE,
                    language="en", stance=0, channel="speech",
                    sources=[SourceCreate(url="https://example.org/hostile", title="<i>x</i>")],
                ),
                today=date(2025, 7, 1),
            )  # fmt: skip
            session.commit()
            return statement.id
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, int]]:
    """`streamlit run app.py` on the demo data plus the Turkish statements: (base URL, the id
    of the one with the quote, the id of the one with markup)."""
    if not CHROMIUM.exists():
        no_browser()
    tmp = tmp_path_factory.mktemp("e2e-timeline")
    database_url = build_demo_db(tmp / "tracker.db")
    statement_id = add_turkish_statement(database_url)["statement"]
    hostile_id = add_hostile_statement(database_url)
    with serve_app(database_url, tmp / "streamlit.log") as base:
        yield base, statement_id, hostile_id


def chart_frame(page: Page) -> Frame:
    """The chart component's frame, once Plotly has drawn in it."""
    handle = page.wait_for_selector(CHART_FRAME, state="attached", timeout=30_000)
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_function(CHART_DRAWN, timeout=30_000)
    handle.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # plotly binds its handlers after the first draw
    return frame


def point_on_page(page: Page, frame: Frame, statement_id: int | None) -> dict[str, float] | None:
    """A statement's point (any point if ``statement_id`` is None) in page coordinates."""
    point = frame.evaluate(POINT_OF_STATEMENT, statement_id)
    box = page.locator(CHART_FRAME).bounding_box()
    if point is None or box is None:
        return None
    return {"x": box["x"] + point["x"], "y": box["y"] + point["y"], "id": int(point["id"])}


def open_shared(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector(APP_IDLE, timeout=60_000)
    return page, errors


def test_shared_url_reopens_the_view_and_a_click_opens_the_card(
    served: tuple[str, int, int], browser: Browser
) -> None:
    base, statement_id, _hostile_id = served
    page, errors = open_shared(browser, f"{base}/{SHARED}")
    try:
        frame = chart_frame(page)
        lanes = frame.locator(".js-plotly-plot svg .ytick text").all_text_contents()
        assert lanes == ["Pakistan", "Turkey"]
        sidebar = page.locator("[data-testid='stSidebar']")
        assert sidebar.get_by_text("Turkey (TUR)").count() == 1
        assert frame.locator(".js-plotly-plot .annotation").count() == 0  # events=0
        assert "countries=PAK%2CTUR" in page.url or "countries=PAK,TUR" in page.url

        point = point_on_page(page, frame, statement_id)
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


def test_hover_text_is_shown_as_text_and_runs_nothing(
    served: tuple[str, int, int], browser: Browser
) -> None:
    base, _statement_id, hostile_id = served
    page, errors = open_shared(browser, f"{base}/{SHARED}")
    try:
        frame = chart_frame(page)
        point = point_on_page(page, frame, hostile_id)
        assert point is not None
        page.mouse.move(point["x"], point["y"])
        hover = frame.locator(".hoverlayer .hovertext")
        hover.first.wait_for(timeout=10_000)
        shown = hover.first.text_content() or ""
        assert "<img src=x" in shown and "<b>Minister</b>" in shown  # literally, as typed
        for where in (page.main_frame, frame):
            assert where.locator("img[src='x'], a[href^='javascript:']").count() == 0
            assert where.evaluate("window.__pwned") is None
        assert not errors, errors
    finally:
        page.close()


def test_chart_downloads_as_a_png_image(served: tuple[str, int, int], browser: Browser) -> None:
    base, _statement_id, _hostile_id = served
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


@pytest.fixture(scope="module")
def served_many_lanes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on 20 countries' synthetic statements: more lanes than a screen
    shows."""
    if not CHROMIUM.exists():
        no_browser()
    tmp = tmp_path_factory.mktemp("e2e-many-lanes")
    url = f"sqlite:///{tmp / 'tracker.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            generate_synthetic(session, statements=800, countries=20, topics=1, years=3)
            session.commit()
    finally:
        engine.dispose()
    with serve_app(url, tmp / "streamlit.log") as base:
        yield base


# The date axes' ticks: where each is and what it says ([ms since 1970, label]).
DATE_TICKS = """() => {
  const layout = document.querySelector('.js-plotly-plot')._fullLayout;
  const ticks = (axis) => axis._vals.map(v => [v.x, v.text]);
  return {bottom: ticks(layout.xaxis), top: layout.xaxis2 ? ticks(layout.xaxis2) : []};
}"""


def test_a_tall_chart_shows_its_dates_above_too_and_still_opens_cards(
    served_many_lanes: str, browser: Browser
) -> None:
    page, errors = open_shared(browser, f"{served_many_lanes}/?topic=synthetic-1")
    try:
        frame = chart_frame(page)
        assert frame.locator(".js-plotly-plot svg .ytick text").count() == 20
        ticks = frame.evaluate(DATE_TICKS)
        # Above, the same dates as below, each label naming its own year (Plotly's default
        # for an overlaying axis put them hours before each new year: "2023" over 2024).
        assert ticks["top"] and [x for x, _ in ticks["top"]] == [x for x, _ in ticks["bottom"]]
        for at, label in ticks["top"]:
            assert str(datetime.fromtimestamp(at / 1000, UTC).year) in label, (at, label)
        assert frame.locator(".x2tick text").count() == len(ticks["top"])

        point = point_on_page(page, frame, None)
        assert point is not None
        page.mouse.click(point["x"], point["y"])
        page.wait_for_url(f"**statement={point['id']}**", timeout=30_000)
        page.wait_for_selector(APP_IDLE, timeout=30_000)
        page.get_by_text(f"Statement #{point['id']} on").first.wait_for(timeout=30_000)
        assert not errors, errors
    finally:
        page.close()
