"""The Search page and the reusable search box, headless (AppTest) on the demo database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app.demo_db import build_demo_db

PAGE = Path(__file__).resolve().parents[2] / "tracker" / "ui" / "pages" / "search.py"
TIMEOUT = 60


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search-demo") / "demo.db"
    build_demo_db(path)
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = tmp_path / "tracker.db"
    shutil.copy(demo_file, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    st.cache_resource.clear()
    yield url
    st.cache_resource.clear()


def open_page(**params: str) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def test_empty_page_explains_the_query_language(demo):
    at = open_page()
    assert at.title[0].value == "Search"
    assert "a phrase" in captions(at)


def test_typing_a_query_shows_highlighted_results(demo):
    at = open_page()
    at.text_input(key="search_query").input('"Saudi Arabia"').run()
    assert not at.exception
    text = markdown(at)
    assert "**Saudi Arabia**" in text
    assert "matches for" in captions(at)
    assert at.query_params["q"] == '"Saudi Arabia"'


def test_the_query_comes_from_the_url_and_pages_through_results(demo):
    at = open_page(q="Pakistan")
    assert "**Pakistan**" in markdown(at)
    assert "1–20 of" in captions(at)
    at.button(key="search_next").click().run()
    assert not at.exception
    assert "21–" in captions(at)
    at.button(key="search_previous").click().run()
    assert "1–20 of" in captions(at)


def test_filters_narrow_the_results(demo):
    at = open_page(q="Iran")
    at.multiselect(key="search_kinds").set_value(["statement"]).run()
    assert not at.exception
    assert "News item ·" not in captions(at)
    assert "Statement ·" in captions(at)


def test_hostile_input_is_shown_as_text(demo):
    at = open_page()
    at.text_input(key="search_query").input('<script>alert(1)</script> NEAR( " * OR OR').run()
    assert not at.exception
    assert "<script>" not in markdown(at)
    at.text_input(key="search_query").input("-").run()
    assert not at.exception


def test_no_match_says_so(demo):
    at = open_page(q="zzzzqqqq")
    assert any("No matches" in str(i.value) for i in at.info)


def _box_script() -> None:
    from tracker.ui.search_box import search_box

    search_box("news_box", kinds=("news",), limit=3)


def test_the_search_box_widget(demo):
    at = AppTest.from_function(_box_script, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    at.text_input(key="news_box_query").input("Israeli strikes").run()
    assert not at.exception
    assert "**Israeli**" in markdown(at) or "**strikes**" in markdown(at)
    assert "Statement ·" not in captions(at)
