"""Start a throwaway JupyterLab server on a free loopback port, for the tests that need one.

The server runs from this environment's Python with no token, no password and no browser,
listens on 127.0.0.1 only, logs to a file, and is always terminated (then killed if it hangs)
when the context exits. Used by ``test_jupyterlab_starts.py`` and ``test_browser.py``.

Used in: CI.
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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def jupyterlab(
    root: Path,
    state_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    start_timeout: float = 90.0,
) -> Iterator[str]:
    """Run JupyterLab serving ``root``; yield its base URL once ``/api/status`` answers.

    Parameters
    ----------
    root : Path
        The server's root folder (also its working directory).
    state_dir : Path
        Where the runtime/config folders and ``jupyterlab.log`` go (a temporary folder).
    env : mapping, optional
        Extra environment variables for the server.
    extra_args : sequence of str
        Extra command-line options.
    start_timeout : float
        Seconds to wait for the API to answer.

    Raises
    ------
    AssertionError
        If the server exits or does not answer in time; the message holds its log.
    """
    port = free_port()
    full_env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(state_dir / "runtime"),
        "JUPYTER_CONFIG_DIR": str(state_dir / "config"),
        **(env or {}),
    }
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root}", *extra_args,
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root; JupyterLab refuses root otherwise
    log_path = state_dir / "jupyterlab.log"
    log = log_path.open("wb")
    server = subprocess.Popen(cmd, cwd=root, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        up = False
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=5):  # noqa: S310 - loopback only
                    up = True
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        assert up, "JupyterLab did not answer:\n" + log_path.read_text(errors="replace")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
