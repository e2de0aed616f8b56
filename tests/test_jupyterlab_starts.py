"""The README's first command ends in ``jupyter lab notebooks/``: check that JupyterLab really serves.

Starts JupyterLab from this environment on a free loopback port with no token and no browser,
polls its REST API until it answers, checks that the notebooks folder is listed and that the
course's own settings are in force (no "fetch Jupyter news?" prompt: the install puts
``jupyter-config/labconfig/default_setting_overrides.d/mixlab.json`` into
``{sys.prefix}/etc/jupyter``), and always terminates the server. The user's own settings folder
is a fresh temporary one, so only what the install provides counts. Skip with
``MIXLAB_SKIP_JUPYTERLAB=1`` (e.g. on a machine where binding a port is not allowed); it runs by
default.

Used in: CI.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest
from lab_server import jupyterlab

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = Path("labconfig") / "default_setting_overrides.d" / "mixlab.json"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"

pytestmark = [
    pytest.mark.jupyterlab,
    pytest.mark.skipif(os.environ.get("MIXLAB_SKIP_JUPYTERLAB") == "1", reason="MIXLAB_SKIP_JUPYTERLAB=1"),
]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return int(response.status), response.read()


def test_jupyterlab_serves_the_notebooks(tmp_path: Path) -> None:
    with jupyterlab(ROOT, tmp_path) as base:
        code, body = _get(f"{base}/api/contents/notebooks")
        assert code == 200
        names = {item["name"] for item in json.loads(body)["content"]}
        assert "00-course-map.ipynb" in names
        code, _ = _get(f"{base}/lab")
        assert code == 200


def test_the_install_provides_the_course_settings() -> None:
    installed = Path(sys.prefix) / "etc" / "jupyter" / OVERRIDES
    assert installed.is_file(), (
        f"{installed} is missing: reinstall the course with `pip install -e \".[dev]\"` (pyproject.toml's "
        "shared-data puts jupyter-config/ there)"
    )
    assert json.loads(installed.read_text(encoding="utf-8")) == json.loads(
        (ROOT / "jupyter-config" / OVERRIDES).read_text(encoding="utf-8")
    ), f"{installed} is out of date: reinstall the course"


def test_jupyterlab_opens_without_the_news_prompt(tmp_path: Path) -> None:
    env = {"JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings")}  # a learner's first start: no own settings
    with jupyterlab(ROOT, tmp_path, env=env) as base:
        code, body = _get(f"{base}/lab/api/settings/{NOTIFICATION}")
        assert code == 200
        plugin = json.loads(body)
        assert plugin["raw"] in ("", "{}")  # the learner has set nothing: what counts are the defaults
        defaults = {name: spec.get("default") for name, spec in plugin["schema"]["properties"].items()}
        # JupyterLab's own default "none" makes it ask whether to fetch news; the course's override is
        # "false": never ask, never fetch (and no update check, which needs the network too)
        assert defaults["fetchNews"] == "false"
        assert defaults["checkForUpdates"] is False
