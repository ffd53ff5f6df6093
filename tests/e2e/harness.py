"""Browser-test helpers: the real app served by `streamlit run` on a demo database, and
Debian's Chromium driven by Playwright (the browser cannot be downloaded here).

Without /usr/bin/chromium the browser tests are skipped, except where
``TRACKER_REQUIRE_BROWSER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "screenshot.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STARTUP_SECONDS = 60
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def no_browser() -> None:
    message = f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium package"
    if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer on {url} within {STARTUP_SECONDS}s:\n{log.read_text()}")


@contextlib.contextmanager
def serve_app(
    database_url: str, log: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """`streamlit run app.py` on ``database_url`` (plus ``extra_env``); yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": database_url,
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/_stcore/health", server, log)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def sign_in(page: Any, username: str, password: str, wait_ms: int = 60_000) -> None:
    """Sign in with the sidebar's form and wait until the app says so."""
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Sign in to contribute or review").click()
    form = sidebar.get_by_test_id("stExpanderDetails")
    form.get_by_role("textbox", name="Username", exact=True).fill(username)
    form.get_by_role("textbox", name="Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in", exact=True).click()
    expect(sidebar.get_by_text(f"Signed in as {username}")).to_be_visible(timeout=wait_ms)
    page.wait_for_selector(APP_IDLE, timeout=wait_ms)
