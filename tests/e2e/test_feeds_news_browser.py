"""Feeds and News in a real browser: an admin adds a feed by its site's address, then turns a
news item into the Add statement form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import FeedsApp
from tests.e2e.harness import APP_IDLE, sign_in

pytestmark = pytest.mark.e2e

WAIT_MS = 30_000


def idle(page: Page) -> None:
    page.wait_for_selector(APP_IDLE, timeout=60_000)


def go_to(page: Page, title: str) -> None:
    # In-app navigation keeps the session (and so the sign-in); loading a URL would not.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=WAIT_MS)
    idle(page)


def test_admin_adds_a_feed_then_makes_a_statement_from_news(
    feeds_app: FeedsApp, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(feeds_app.url)
        idle(page)
        sign_in(page, feeds_app.admin, feeds_app.password, WAIT_MS)

        go_to(page, "Feeds")
        page.get_by_label("Feed or web page URL").fill(feeds_app.site)
        page.get_by_role("button", name="Add feed").click()
        # Discovery found the page's feed, fetched through the loopback server.
        expect(page.get_by_text("Added Loopback Wire")).to_be_visible(timeout=WAIT_MS)
        idle(page)
        expect(page.get_by_text(re.compile(r"Status:\s*active"))).to_be_visible()
        expect(page.get_by_text("1 feed: 0 failing, 0 paused", exact=False)).to_be_visible()
        assert page.locator("[data-testid='stException']").count() == 0

        go_to(page, "News")
        link = page.get_by_role("link", name=re.compile("Make a statement")).first
        expect(link).to_be_visible(timeout=WAIT_MS)
        link.click()
        page.wait_for_url(re.compile(r"add_statement\?.*news=\d+"), timeout=WAIT_MS)
        expect(page.get_by_role("heading", name="Add statement").first).to_be_visible(
            timeout=WAIT_MS
        )
        # Still signed in: the link navigated within the session.
        expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as")).to_be_visible()
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors
    finally:
        page.close()
