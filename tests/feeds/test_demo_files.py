"""The demo data in data/demo: shaped as the demo loader expects, and faithful to the report."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pycountry
import pytest

from tracker.feeds.parse import ParsedFeed, parse_feed
from tracker.feeds.sanitize import collapse_whitespace, html_to_text
from tracker.models import Channel, DatePrecision

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
# sha256 of the seed report the demo data was taken from (/work/shared/seed).
SEED_SHA256 = "ad1d495523381b63f1d96b37d87ffb24046aeddca5e8e26f19f50758399c7e5d"
REPORT_COUNTRIES = {"PAK", "IRN", "ISR", "SAU", "ARE", "QAT", "OMN", "TUR", "IND", "USA"}
GUID_PREFIX = "urn:tracker:demo:pakistan-iran-report:"
HEADINGS = [
    "Strategic Dimensions",
    "Military Dimensions",
    "Political and Diplomatic Dimensions",
    "Arab and Regional Reactions to the Pakistan-Iran Rapprochement",
    "The Israeli Strikes and Pakistan’s Unprecedented Response",
    "Conclusion",
]
SOURCE_KEYS = {
    "citation",
    "publisher",
    "title",
    "url",
    "published_on",
    "accessed_on",
    "archive_url",
}
STATEMENT_KEYS = {
    "key", "topic", "actor", "speaker", "speaker_role", "target", "said_on", "date_precision",
    "quote", "language", "translation", "summary", "stance", "channel", "sources", "news_items",
}  # fmt: skip
EVENT_KEYS = {
    "key", "title", "description", "starts_on", "ends_on", "date_precision", "category",
    "actors", "topics", "sources",
}  # fmt: skip
EVENT_CATEGORIES = {"military", "diplomatic", "statement", "other"}
DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


def load(name: str) -> list[dict[str, Any]]:
    data = json.loads((DEMO / name).read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def topics() -> dict[str, dict[str, Any]]:
    return {t["slug"]: t for t in load("topics.json")}


@pytest.fixture(scope="module")
def statements() -> list[dict[str, Any]]:
    return load("statements.json")


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    return load("events.json")


@pytest.fixture(scope="module")
def report() -> ParsedFeed:
    return parse_feed((DEMO / "report.xml").read_bytes())


@pytest.fixture(scope="module")
def report_text() -> str:
    return (DEMO / "pakistan-iran-report.txt").read_text(encoding="utf-8")


def is_alpha3(code: str) -> bool:
    return pycountry.countries.get(alpha_3=code) is not None


def test_report_text_is_the_seed_report():
    digest = hashlib.sha256((DEMO / "pakistan-iran-report.txt").read_bytes()).hexdigest()
    assert digest == SEED_SHA256


def test_report_xml_has_one_undated_item_per_section(report, report_text):
    assert report.error is None
    assert report.title == report_text.splitlines()[0]
    assert report.site_url is None
    assert len(report.entries) == 7
    assert [e.title for e in report.entries] == ["Introduction", *HEADINGS]
    for e in report.entries:
        assert e.guid.startswith(GUID_PREFIX)
        assert e.published_at is None
        assert e.url is None


def test_report_xml_reproduces_the_report_text(report, report_text):
    lines = report_text.splitlines()
    paragraphs = [line for line in lines[1:] if line.strip() and line not in HEADINGS]
    from_xml = " ".join(html_to_text(e.summary_html or "") for e in report.entries)
    assert from_xml == collapse_whitespace(" ".join(paragraphs))
    intro = report.entries[0].summary_html or ""
    assert intro.count("<p>") == 2


def test_topics_have_a_five_level_scale_with_rules(topics):
    assert 3 <= len(topics) <= 4
    for topic in topics.values():
        assert set(topic) == {"slug", "title", "proposition", "description", "levels"}
        assert [lv["value"] for lv in topic["levels"]] == [-2, -1, 0, 1, 2]
        for level in topic["levels"]:
            assert set(level) == {"value", "label", "rule"}
            assert level["label"]
            assert level["rule"].startswith("Use when the actor")


def test_statements_are_shaped_for_the_loader(statements, topics, report):
    guids = {e.guid for e in report.entries}
    keys = [s["key"] for s in statements]
    assert len(keys) == len(set(keys))
    for s in statements:
        assert set(s) == STATEMENT_KEYS, s["key"]
        assert s["topic"] in topics, s["key"]
        values = {lv["value"] for lv in topics[s["topic"]]["levels"]}
        assert s["stance"] in values, s["key"]
        assert is_alpha3(s["actor"]), s["key"]
        assert s["target"] is None or is_alpha3(s["target"]), s["key"]
        assert s["target"] != s["actor"]
        assert s["said_on"] == "2025-06-01"
        assert s["date_precision"] == DatePrecision.MONTH
        assert s["channel"] in {c.value for c in Channel}
        assert s["quote"] or s["summary"]
        assert s["summary"] is None or len(s["summary"]) <= 500
        assert s["language"] in {"en", None}
        assert s["translation"] is None
        assert s["news_items"], s["key"]
        assert set(s["news_items"]) <= guids, s["key"]
        check_sources(s["sources"])


def test_every_country_the_report_names_has_a_position(statements):
    assert {s["actor"] for s in statements} >= REPORT_COUNTRIES


def test_exactly_the_two_quotes_of_the_report_verbatim(statements, report_text):
    quoted = [s for s in statements if s["quote"]]
    assert len(quoted) == 2
    for s in quoted:
        assert s["quote"] in report_text
    by_actor = {s["actor"]: s for s in quoted}
    netanyahu, minister = by_actor["ISR"], by_actor["PAK"]
    assert netanyahu["speaker"] == "Benjamin Netanyahu"
    assert netanyahu["speaker_role"] == "Prime Minister of Israel"
    assert netanyahu["channel"] == "interview"
    assert minister["speaker"] is None  # the report does not name him
    assert minister["speaker_role"] == "Defence Minister of Pakistan"
    unquoted = [s for s in statements if not s["quote"]]
    assert all(s["channel"] == "reported" for s in unquoted)


def test_events_are_shaped_for_the_loader(events, topics):
    keys = [e["key"] for e in events]
    assert len(keys) == len(set(keys))
    assert len(events) >= 3
    for e in events:
        assert set(e) == EVENT_KEYS, e["key"]
        assert DATE.match(e["starts_on"])
        assert e["ends_on"] is None or DATE.match(e["ends_on"])
        assert e["date_precision"] == DatePrecision.MONTH
        assert e["category"] in EVENT_CATEGORIES
        assert e["actors"] and all(is_alpha3(code) for code in e["actors"])
        assert set(e["topics"]) <= set(topics)
        check_sources(e["sources"])


def check_sources(sources: list[dict[str, Any]]) -> None:
    assert sources
    for source in sources:
        assert set(source) == SOURCE_KEYS
        # The report has no address or date: the citation says so instead of inventing one.
        assert source["url"] is None and source["published_on"] is None
        assert "undated report" in source["citation"]
        assert "verify against a primary source" in source["citation"]


def test_feeds_opml_lists_real_looking_feeds_by_category():
    tree = ET.parse(DEMO / "feeds.opml")  # noqa: S314 - our own committed file
    root = tree.getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    body = root.find("body")
    assert body is not None
    feeds = [o for o in body.iter("outline") if o.get("xmlUrl")]
    assert len(feeds) >= 8
    urls = [o.get("xmlUrl", "") for o in feeds]
    assert len(set(urls)) == len(urls)
    for outline in feeds:
        assert re.match(r"https?://", outline.get("xmlUrl", ""))
        assert re.match(r"https?://", outline.get("htmlUrl", ""))
        assert outline.get("text")
    for group in body.findall("outline"):
        assert group.get("text") and not group.get("xmlUrl")
