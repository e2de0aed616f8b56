"""The README's first command ends in ``jupyter lab notebooks/``: check that JupyterLab really serves.

Starts JupyterLab from this environment on a free loopback port with no token and no browser,
polls its REST API until it answers, checks that the notebooks folder is listed, and always
terminates the server. Skip with ``MIXLAB_SKIP_JUPYTERLAB=1`` (e.g. on a machine where binding
a port is not allowed); it runs by default.

Used in: CI.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest
from lab_server import jupyterlab

ROOT = Path(__file__).resolve().parents[1]

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
