"""The committed `.streamlit/config.toml` as Streamlit itself reads it.

Two of Streamlit's defaults cost every page load server time (bench/RESULTS.md, Timeline): a full
garbage collection after each script run, and the file watcher handling every file the server
opens. A misspelt key would silently bring the default back, so Streamlit reads the file here,
in a fresh process run from the project's root as `streamlit run` is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

READ_OPTIONS = """
import json
from streamlit import config
config.get_config_options()
print(json.dumps({name: config.get_option(name) for name in (
    "runner.postScriptGC", "server.fileWatcherType", "server.runOnSave", "server.headless",
    "browser.gatherUsageStats",
)}))
"""


def effective_options(cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", READ_OPTIONS],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    options: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return options


def test_the_app_runs_without_streamlit_s_costly_defaults() -> None:
    options = effective_options(ROOT)
    assert options == {
        "runner.postScriptGC": False,
        "server.fileWatcherType": "none",
        "server.runOnSave": False,
        "server.headless": True,
        "browser.gatherUsageStats": False,
    }


def test_without_the_project_s_file_streamlit_would_watch_and_collect(tmp_path: Path) -> None:
    # The check above means something only if these are not Streamlit's defaults anyway.
    options = effective_options(tmp_path)
    assert options["runner.postScriptGC"] is True
    assert options["server.fileWatcherType"] == "auto"
