"""Fixtures for the poller tests: a threaded HTTP server on loopback, private addresses off.

Every test allows only 127.0.0.1/32 through TRACKER_ALLOW_PRIVATE_FEEDS, like a deployment
that runs a local feed next to the public ones, so refusing other private addresses is tested
with the exception in place.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_ALLOW_PRIVATE_FEEDS", "127.0.0.1/32")


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    srv.start()
    try:
        yield srv
    finally:
        srv.clear()
        if srv.is_running():
            srv.stop()
