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
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.jupyterlab,
    pytest.mark.skipif(os.environ.get("MIXLAB_SKIP_JUPYTERLAB") == "1", reason="MIXLAB_SKIP_JUPYTERLAB=1"),
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return int(response.status), response.read()


def test_jupyterlab_serves_the_notebooks(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={ROOT}",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root; JupyterLab refuses root otherwise
    log = (tmp_path / "jupyterlab.log").open("wb")
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            try:
                status, _ = _get(f"{base}/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        assert status == 200, "JupyterLab did not answer:\n" + (tmp_path / "jupyterlab.log").read_text(errors="replace")
        code, body = _get(f"{base}/api/contents/notebooks")
        assert code == 200
        names = {item["name"] for item in json.loads(body)["content"]}
        assert "00-course-map.ipynb" in names
        code, _ = _get(f"{base}/lab")
        assert code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
