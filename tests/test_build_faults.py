"""Fault injection for mixlab.build: SIGKILL mid-shard, flipped and truncated bytes, lost files, then resume.

Each test damages a real build the way a crash or a bad disk would, checks that
:func:`mixlab.manifest.verify` names the damage, resumes, and checks that the repaired folder
is byte-identical to an uninterrupted build with no temporary file left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from build_helpers import RECIPE, digests, temp_files

from mixlab.build import JOURNAL_DIR, PAUSE_ENV, build
from mixlab.manifest import MANIFEST_NAME, verify

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted serial build of the test recipe (read-only)."""
    out = tmp_path_factory.mktemp("ref") / "out"
    build(RECIPE, out, executor="serial", progress=False)
    return out


def _copy(reference: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    return out


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups to deliver SIGKILL")
@pytest.mark.parametrize("target", ["group", "worker"])
def test_sigkill_mid_shard_then_resume_is_byte_identical(tmp_path: Path, reference: Path, target: str) -> None:
    """Run a 2-worker build in its own process group; the worker writing shard 2 pauses after half
    of its temporary file is on disk; at that moment SIGKILL either the whole group (parent and
    workers: a power cut or OOM kill) or only that worker (the parent then fails with
    BrokenProcessPool); resume; compare every byte with the uninterrupted build."""
    out = tmp_path / "out"
    recipe_file = tmp_path / "recipe.json"
    recipe_file.write_text(json.dumps(RECIPE))
    pidfile = tmp_path / "paused.pid"
    env = {**os.environ, PAUSE_ENV: f"2:120:{pidfile}", "TQDM_DISABLE": "1"}
    code = (
        "import sys; from mixlab.build import build; "
        "build(sys.argv[1], sys.argv[2], workers=2, executor='process', progress=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(recipe_file), str(out)], cwd=REPO, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        journaled = 0
        while time.monotonic() < deadline:  # wait for the pause, and for the other worker to finish some shards
            journaled = len(list((out / JOURNAL_DIR).glob("shard-*.json"))) if (out / JOURNAL_DIR).is_dir() else 0
            if pidfile.exists() and journaled >= 2:
                break
            assert proc.poll() is None, f"build exited early: {proc.stderr.read().decode() if proc.stderr else ''}"
            time.sleep(0.05)
        else:
            pytest.fail("the paused worker never reported its pid")
        worker_pid, tmp_name = pidfile.read_text().split()
        assert int(worker_pid) != proc.pid  # the pause happened in a worker process, mid-file
        assert Path(tmp_name).is_file() and 0 < Path(tmp_name).stat().st_size
        if target == "group":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(int(worker_pid), signal.SIGKILL)
        proc.wait(timeout=60)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    if target == "group":
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 1 and "BrokenProcessPool" in stderr, stderr
    assert not (out / MANIFEST_NAME).exists()  # the manifest is written last
    assert temp_files(out)  # the half-written shard is still there
    assert not verify(out).ok

    res = build(RECIPE, out, workers=2, executor="process", progress=False)
    assert 2 in res.written and len(res.reused) >= 2  # only unfinished shards were redone
    assert temp_files(out) == []
    assert digests(out) == digests(reference)
    assert verify(out).ok


def test_flipped_byte_is_named_and_repaired(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    shard = out / "shards" / "part-00001.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    report = verify(out)
    assert not report.ok
    assert any("shards/part-00001.parquet: sha256" in v for v in report.violations), report.violations
    assert not any("part-00000" in v for v in report.violations)
    res = build(RECIPE, out, executor="serial", progress=False)
    assert res.written == [1]
    assert verify(out).ok and digests(out) == digests(reference)


def test_truncated_and_missing_shards_are_rebuilt(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    trunc = out / "shards" / "part-00000.parquet"
    trunc.write_bytes(trunc.read_bytes()[:100])
    (out / "shards" / "part-00002.parquet").unlink()
    report = verify(out)
    text = "\n".join(report.violations)
    assert "shard shards/part-00000.parquet: size is 100 bytes" in text
    assert "shards/part-00000.parquet: cannot be read as Parquet" in text
    assert "shard shards/part-00002.parquet: listed in the manifest but missing" in text
    res = build(RECIPE, out, workers=2, executor="process", progress=False)
    assert res.written == [0, 2]
    assert verify(out).ok and digests(out) == digests(reference)


def test_verify_collects_every_violation(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    m = json.loads((out / MANIFEST_NAME).read_text())
    m["totals"]["tokens"] += 1  # a count edited by hand (hash not updated)
    m["sources"]["web"]["selected_docs"] += 1
    (out / MANIFEST_NAME).write_text(json.dumps(m))
    (out / "audit" / "dedup.parquet").write_bytes(b"not parquet")
    (out / "extra.bin").write_bytes(b"?")
    report = verify(out)
    text = "\n".join(report.violations)
    for needle in ("manifest.json: content hash is", "totals.tokens says", "source web: shards hold",
                   "audit file audit/dedup.parquet: size is", "unlisted file: extra.bin"):
        assert needle in text, text


def test_broken_ledger_and_weights_are_reported(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    m = json.loads((out / MANIFEST_NAME).read_text())
    m["ledger"][0]["docs_out"] -= 1  # no longer conserved, and no longer chains
    m["mixture"]["weights"]["web"] += 0.1
    (out / MANIFEST_NAME).write_text(json.dumps(m))
    text = "\n".join(verify(out).violations)
    assert "docs not conserved" in text and "ledger chain broken" in text
    assert "mixture weights must sum to 1" in text
