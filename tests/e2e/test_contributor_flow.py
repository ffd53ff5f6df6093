"""The contributor-to-reviewer path in a real browser (Chromium), on the real app:

a contributor signs in, opens a news item as a new statement (the form prefilled from it), files
it with two sources, and sees it pending on the timeline; a reviewer signs in, verifies it; the
statement shows as verified, with both steps in its history.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from tests.e2e.conftest import TeamApp
from tests.e2e.harness import APP_IDLE, sign_in
from tracker.db import make_engine
from tracker.models import NewsItem

pytestmark = pytest.mark.e2e

WAIT = 60_000


def _idle(page: Page) -> None:
    page.wait_for_selector(APP_IDLE, timeout=WAIT)


def _no_exception(page: Page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def _choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label`` (type to filter, then click)."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    box.locator("input").first.click()
    box.locator("input").first.fill(option)
    page.get_by_role("option", name=option).first.click()
    _idle(page)


def _report_item_id(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            item_id = session.exec(
                select(NewsItem.id).where(NewsItem.title == "Military Dimensions")
            ).one()
    finally:
        engine.dispose()
    assert item_id is not None
    return item_id


def test_contributor_files_reviewer_verifies(team_app: TeamApp, browser: Browser) -> None:
    news_id = _report_item_id(team_app.database_url)

    # --- the contributor -------------------------------------------------------------------
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    try:
        page.goto(f"{team_app.url}/add_statement?news={news_id}")
        _idle(page)
        expect(page.get_by_text("Sign in as a contributor")).to_be_visible(timeout=WAIT)
        sign_in(page, "casey", team_app.passwords["casey"])
        # Still on the news item, now with the form prefilled from it.
        expect(page.get_by_text(f"Prefilled from news item #{news_id}")).to_be_visible(timeout=WAIT)
        expect(page.get_by_role("textbox", name="One-line summary", exact=True)).to_have_value(
            "Military Dimensions"
        )

        _choose(page, "Topic", "Pakistan–Iran alignment")
        expect(page.get_by_text("When to use it")).to_be_visible(timeout=WAIT)  # the scale
        _choose(page, "Country or bloc", "Pakistan (PAK)")
        page.get_by_role("button", name="Add another source").click()
        _idle(page)

        page.get_by_role("textbox", name="One-line summary", exact=True).fill(
            "Announces joint military exercises with Iran in sensitive border areas"
        )
        _choose(page, "Stance", "+1")
        addresses = page.get_by_role("textbox", name="Web address (http or https)", exact=True)
        expect(addresses).to_have_count(2)
        addresses.nth(0).fill("https://www.ispr.gov.pk/press-release-detail?id=1")
        addresses.nth(1).fill("https://www.dawn.com/news/example-exercises")
        page.get_by_role("textbox", name="Publisher", exact=True).nth(1).fill("Dawn")
        page.get_by_role("button", name="Check and save").click()
        _idle(page)
        saved = page.get_by_text(re.compile(r"Statement #\d+ saved"))
        expect(saved).to_be_visible(timeout=WAIT)
        found = re.search(r"#(\d+)", saved.inner_text())
        assert found is not None
        statement_id = int(found.group(1))
        _no_exception(page)

        # Pending on the timeline (reading needs no sign-in: a fresh load is fine).
        page.goto(f"{team_app.url}/?statement={statement_id}")
        _idle(page)
        expect(page.get_by_text(f"Statement #{statement_id} on").first).to_be_visible(timeout=WAIT)
        expect(page.get_by_text("pending").first).to_be_visible()
        _no_exception(page)
    finally:
        page.close()

    # --- the reviewer ----------------------------------------------------------------------
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    try:
        page.goto(f"{team_app.url}/statement?id={statement_id}")
        _idle(page)
        expect(page.get_by_text(f"Statement #{statement_id}").first).to_be_visible(timeout=WAIT)
        sign_in(page, "rene", team_app.passwords["rene"])
        page.get_by_role("textbox", name="Review note", exact=True).fill("Checked both sources")
        page.get_by_role("button", name="Verify").click()
        _idle(page)
        expect(page.get_by_text(f"Statement #{statement_id} verified.")).to_be_visible(timeout=WAIT)
        # Verified, and the history has both steps, with who did them.
        expect(page.get_by_text("Status: verified, reviewed by rene")).to_be_visible()
        expect(page.get_by_text("1. Filed by casey")).to_be_visible()
        expect(page.get_by_text("2. Reviewed: verified by rene")).to_be_visible()
        expect(page.get_by_text("Why: verified: Checked both sources")).to_be_visible()
        _no_exception(page)
    finally:
        page.close()
