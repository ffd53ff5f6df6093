"""Reliability item 6 (injection), in the browser: hostile text on every page that shows it.

The app is served by ``streamlit run`` on a demo database to which
``tests/reliability/rel_hostile_data.py`` filed a topic, statements, speakers, sources, an event,
a feed, news items, review notes, a proposed change and an account whose text fields hold HTML,
``<script>``, Markdown ``javascript:`` links (in many spellings), entity-escaped variants,
Streamlit's own Markdown directives, RTL overrides, zero-width characters and a 20,000-character
quote. Each payload sets ``window.__pwned`` or calls ``alert()`` if it ever runs.

Chromium opens every page that shows them (the Timeline in each view with a hostile statement
selected, each statement's and the event's permalink, News, Search, Review as a reviewer,
Topics, Admin and Feeds as an admin, the statement and event forms as a contributor) and on
each checks, in every frame: no dialog opened, ``window.__pwned`` undefined, no element with an
inline event handler, no ``javascript:``/``vbscript:``/``data:text/html`` address in any
``href``/``src``/``action`` (case, whitespace and entity tricks included: the browser's own
parsed values are read), no ``srcdoc`` frame; and the hostile text is on the page as text.
Prints how many pages and (page, payload) pairs were checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.harness import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, no_browser, serve_app, sign_in
from tests.reliability.rel_hostile_data import (
    PAYLOADS,
    VISIBLE,
    HostileData,
    build_hostile_db,
    long_text,
)
from tracker.ui.text import WORD_JOINER

pytestmark = pytest.mark.e2e

WAIT = 60_000
SETTLE_MS = 1_200  # time for a failed <img> or a late-mounted node to fire its handler
ALL = tuple(PAYLOADS)

# Run in every frame: what would let script run or a click reach script.
INSPECT_JS = r"""
() => {
  const found = [];
  // Drop what browsers ignore inside a scheme: controls, spaces, zero-width and bidi marks.
  const ignored = /[\u0000-\u0020\u007f-\u00a0\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g;
  const squeeze = v => (v || "").replace(ignored, "").toLowerCase();
  const risky = v => /^(javascript|vbscript|livescript):/.test(v) || v.startsWith("data:text/html");
  const urlAttrs = [
    "href", "xlink:href", "src", "action", "formaction", "data", "poster", "background", "ping",
  ];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${el.tagName} has ${name}=${attr.value.slice(0, 60)}`);
      if (name === "srcdoc") found.push(`${el.tagName} has srcdoc`);
      if (urlAttrs.includes(name) && risky(squeeze(attr.value))) {
        found.push(`${el.tagName} ${name}=${attr.value.slice(0, 60)}`);
      }
    }
  }
  for (const a of document.querySelectorAll("a[href]")) {
    if ((a.protocol || "").toLowerCase() === "javascript:") {
      found.push(`A resolves to ${a.href.slice(0, 60)}`);
    }
  }
  if (document.querySelector('a[href^="javascript:" i], [src^="javascript:" i]')) {
    found.push("javascript: selector");
  }
  for (const s of document.scripts) {
    if ((s.text || "").includes("__pwned")) found.push("a <script> with the payload");
  }
  return {pwned: typeof window.__pwned !== "undefined", found, url: location.href};
}
"""


@dataclass
class Tally:
    pages: int = 0
    pairs: int = 0
    frames: int = 0
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HostileApp:
    url: str
    data: HostileData


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileApp]:
    if not CHROMIUM.exists():
        no_browser()
    tmp = tmp_path_factory.mktemp("rel-injection")
    data = build_hostile_db(tmp / "tracker.db")
    with serve_app(data.database_url, tmp / "streamlit.log") as base:
        yield HostileApp(base, data)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        no_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _idle(page: Page) -> None:
    page.wait_for_selector(APP_IDLE, timeout=WAIT)


def check_page(
    browser: Browser,
    app: HostileApp,
    tally: Tally,
    path: str,
    *,
    shows: tuple[str, ...] = (),
    in_full: tuple[str, ...] = (),
    also: tuple[str, ...] = (),
    user: str | None = None,
) -> None:
    """Open ``path`` (signed in as ``user``), then check it: ``shows`` are payload keys whose
    tag must be on the page as text, ``in_full`` those whose dangerous part must be there
    verbatim, ``also`` other texts that must be there."""
    page = browser.new_page(viewport={"width": 1500, "height": 1200})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    where = f"{path}" + (f" as {user}" if user else "")
    try:
        page.goto(f"{app.url}{path}")
        _idle(page)
        if user is not None:
            sign_in(page, user, app.data.passwords[user])
        first = (f"hx{shows[0]}" if shows else None) or (also[0] if also else None)
        if first is not None:
            try:
                expect(page.get_by_text(first, exact=False).first).to_be_attached(timeout=WAIT)
            except AssertionError:
                tally.problems.append(f"{where}: {first} never appeared")
        page.wait_for_timeout(SETTLE_MS)
        _idle(page)

        if page.get_by_test_id("stException").count():
            tally.problems.append(f"{where}: the page shows an exception")
        for frame in page.frames:
            tally.frames += 1
            result = frame.evaluate(INSPECT_JS)
            if result["pwned"]:
                tally.problems.append(f"{where}: window.__pwned is set in {result['url']}")
            tally.problems += [f"{where}: {item}" for item in result["found"]]
        text = page.locator("body").inner_text().replace(WORD_JOINER, "")
        for key in shows:
            tally.pairs += 1
            if f"hx{key}" not in text:
                tally.problems.append(f"{where}: hx{key} is not shown as text")
        for key in in_full:
            if VISIBLE[key] not in text:
                tally.problems.append(f"{where}: {VISIBLE[key][:40]!r} is not shown verbatim")
        for wanted in also:
            if wanted not in text:
                tally.problems.append(f"{where}: {wanted[:40]!r} is not shown")
        tally.dialogs += [f"{where}: {m}" for m in dialogs]
        tally.pages += 1
    finally:
        page.close()


def test_hostile_text_never_runs_and_shows_as_text(
    hostile_app: HostileApp, chromium: Browser
) -> None:
    app, data = hostile_app, hostile_app.data
    tally = Tally()
    topic = f"/?topic={data.topic_slug}"
    s = data.statements

    def check(path: str, **kwargs: object) -> None:
        check_page(chromium, app, tally, path, **kwargs)  # type: ignore[arg-type]

    # The Timeline, each view, with a hostile statement's card open beside it.
    check(f"{topic}&statement={s['img']}", shows=("img",), in_full=("img",))
    check(f"{topic}&view=lines&statement={s['mdtricks']}", shows=("mdtricks",))
    check(f"{topic}&view=heatmap&statement={s['anchor']}", shows=("anchor",), in_full=("anchor",))
    check(f"{topic}&view=table&statement={s['streamlit']}", shows=("streamlit",))
    check(f"{topic}&view=shifts", shows=ALL, also=("hxlong",))
    check(f"{topic}&events=1&statement={data.long_statement}", also=("hxlong",))

    # Permalinks: every hostile statement in full, the review note, the proposed change.
    for key, statement_id in s.items():
        check(
            f"/statement?id={statement_id}",
            shows=(key,),
            in_full=(key,),
            also=(f"hxspeaker{key}",),
        )
    check(f"/statement?id={data.long_statement}", also=(long_text()[:400],))
    check(f"/statement?id={data.rejected_statement}", shows=("mdtricks",), in_full=("mdtricks",))
    check(
        f"/statement?id={data.edited_statement}",
        shows=("escaped", "anchor", "frames"),
        in_full=("escaped",),
    )
    check(f"/event?id={data.event}", shows=ALL, in_full=ALL)

    # Lists of feed text and search results.
    check("/news", shows=ALL)
    check("/search?q=hx*", shows=ALL)

    # Signed-in pages: the queue, topics, accounts, feeds and the forms prefilled with it all.
    check("/review", shows=ALL, in_full=("img", "script"), user="rene")
    check("/topics", shows=ALL, in_full=ALL, also=("hxlabel-2", "hxlabel2"))
    check("/topics", shows=ALL, user="ada")
    check("/admin", also=("Add an account",), user="ada")
    check("/feeds", shows=("anchor",), in_full=("anchor",), user="ada")
    check(f"/add_statement?news={data.news['script']}", user="casey")
    check(f"/add_statement?edit={s['script']}", also=("hxlabel-2",), user="casey")
    check(f"/add_event?edit={data.event}", user="casey")

    print(
        f"\ninjection-browser: {tally.pages} pages opened ({tally.frames} frames inspected), "
        f"{len(PAYLOADS)} payload kinds, {tally.pairs} (page x payload) pairs seen as text; "
        f"{len(tally.dialogs)} dialogs, {len(tally.problems)} problems"
    )
    assert not tally.dialogs, "\n".join(tally.dialogs)
    assert not tally.problems, "\n".join(tally.problems)


def test_the_inspector_sees_script_that_runs(chromium: Browser) -> None:
    """The checks above can fail: raw payloads in a bare page are all caught."""
    page = chromium.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.set_content(
            '<a href=" jav&#x09;ascript:window.__pwned=1">tab</a>'
            + PAYLOADS["img"]
            + '<iframe srcdoc="<b>x</b>"></iframe>'
        )
        page.wait_for_timeout(SETTLE_MS)
        result = page.evaluate(INSPECT_JS)
    finally:
        page.close()
    assert result["pwned"]
    assert dialogs == ["1"]
    found = " | ".join(result["found"])
    for wanted in ("A resolves to javascript:", "IMG has onerror", "IFRAME has srcdoc"):
        assert wanted in found, found
