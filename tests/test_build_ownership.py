"""A build owns only what it wrote: it never deletes or overwrites foreign files; one build at a time holds a folder.

Covers: foreign files next to a build or inside its subfolders (refused before any work, left
untouched), a folder of bare mixlab shards (recognized by the recipe hash in their metadata and
rebuilt), stage names that would become paths, and the exclusive lock (in-process, and with two
real processes: the second exits at once naming the holder; the lock of a killed build is
taken over).
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
from build_helpers import RECIPE, digests, recipe

from mixlab.build import build, load_recipe
from mixlab.lock import BuildLock, FolderLocked
from mixlab.manifest import LOCK_NAME, MANIFEST_NAME, verify
from mixlab.shards import PAUSE_ENV

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One serial build of the test recipe (read-only)."""
    out = tmp_path_factory.mktemp("ref") / "out"
    build(RECIPE, out, executor="serial", progress=False)
    return out


def _copy(reference: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    return out


# ------------------------------------------------------------------------------- foreign files
@pytest.mark.parametrize("where", ["shards/notes.txt", "notes.txt", "audit/mine.csv", ".mixlab-build/todo.txt"])
def test_foreign_file_in_a_build_folder_is_refused_and_kept(tmp_path: Path, reference: Path, where: str) -> None:
    out = _copy(reference, tmp_path)
    (out / where).parent.mkdir(exist_ok=True)
    (out / where).write_text("the user's own file")
    before = digests(out)
    with pytest.raises(ValueError, match=rf"holds files mixlab did not write \({where}\).*move them out"):
        build(RECIPE, out, executor="serial", progress=False, resume=False)
    assert digests(out) == before


def test_foreign_audit_folder_without_a_build_is_refused(tmp_path: Path) -> None:
    """The issue's case: a recipe without filters removed an existing OUT/audit/ whole."""
    out = tmp_path / "out"
    (out / "audit").mkdir(parents=True)
    (out / "audit" / "mine.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match=r"holds no mixlab build \(found: audit/mine.parquet\)"):
        build(recipe(filters=[]), out, executor="serial", progress=False)
    assert (out / "audit" / "mine.parquet").read_bytes() == b"PAR1 not really"


def test_a_shard_replaced_by_a_user_file_is_refused(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    (out / MANIFEST_NAME).unlink()
    shutil.rmtree(out / "audit")
    (out / "shards" / "part-00002.parquet").write_text("my notes, named like a shard")
    with pytest.raises(ValueError, match="shards/part-00002.parquet"):
        build(RECIPE, out, executor="serial", progress=False)
    assert (out / "shards" / "part-00002.parquet").read_text() == "my notes, named like a shard"


def test_bare_mixlab_shards_are_recognized_and_rebuilt(tmp_path: Path, reference: Path) -> None:
    """Shards without their manifest carry the recipe hash in their metadata: mixlab's own, so rebuilt."""
    out = _copy(reference, tmp_path)
    (out / MANIFEST_NAME).unlink()
    shutil.rmtree(out / "audit")
    res = build(RECIPE, out, executor="serial", progress=False)
    assert res.reused == [] and digests(out) == digests(reference)


def test_bare_shards_of_another_recipe_are_refused(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    (out / MANIFEST_NAME).unlink()
    other = recipe(seed=5)
    with pytest.raises(ValueError, match=f"different recipe .*{load_recipe(RECIPE).sha256}"):
        build(other, out, executor="serial", progress=False)


def test_unplanned_shards_of_the_same_build_are_removed(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    m = json.loads((out / MANIFEST_NAME).read_text())
    n = len(m["shards"])
    extra = out / "shards" / f"part-{n:05d}.parquet"  # a shard of a larger plan of this recipe, journaled
    shutil.copy(out / "shards" / "part-00000.parquet", extra)
    (out / ".mixlab-build").mkdir()
    (out / ".mixlab-build" / "shards.jsonl").write_text(json.dumps({"index": n, "path": extra.relative_to(
        out).as_posix()}) + "\n")
    res = build(RECIPE, out, executor="serial", progress=False)
    assert not extra.exists() and res.written == [] and digests(out) == digests(reference)


# ------------------------------------------------------------------------------- names that become paths
@pytest.mark.parametrize("stage", ["../../victim/shards/part-00000", "a/b", "/tmp/evil", "..", ".hidden", "a b",
                                   "x.parquet", "a\\b", ""])
def test_unsafe_stage_names_are_refused_at_load(tmp_path: Path, stage: str) -> None:
    bad = recipe(filters=[{"name": "quality", "threshold": 0.3, "stage": stage}])
    with pytest.raises(ValueError, match=r"filters\[0\]\.stage must be"):
        load_recipe(bad)
    with pytest.raises(ValueError, match=r"filters\[0\]\.stage must be"):
        build(bad, tmp_path / "out", executor="serial", progress=False)
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_non_string_stage_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"filters\[0\]\.stage must be a string \(got 123"):
        load_recipe(recipe(filters=[{"name": "quality", "threshold": 0.3, "stage": 123}]))


def test_safe_stage_name_names_the_audit_file(tmp_path: Path) -> None:
    res = build(recipe(filters=[{"name": "quality", "threshold": 0.3, "stage": "q-0_3"}]), tmp_path / "o",
                executor="serial", progress=False)
    assert [a["path"] for a in res.manifest["audit"]] == ["audit/q-0_3.parquet"]


# ------------------------------------------------------------------------------- the lock, in process
def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with BuildLock(tmp_path / "new") as held:
        assert held.created and (tmp_path / "new" / LOCK_NAME).read_text().split()[0] == str(os.getpid())
        with pytest.raises(FolderLocked, match=rf"locked by another build \(pid {os.getpid()} on "):
            BuildLock(tmp_path / "new").acquire()
    assert not (tmp_path / "new" / LOCK_NAME).exists()
    with BuildLock(tmp_path / "new") as again:
        assert again.took_over is None and not again.created


def test_stale_lock_file_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text("999999 otherhost 2026-01-01T00:00:00\n")  # nobody holds its flock
    with BuildLock(tmp_path) as lock:
        assert lock.took_over == "pid 999999 on otherhost, started 2026-01-01T00:00:00"
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_locked_folder_is_refused_before_the_plan(tmp_path: Path, reference: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import mixlab.build

    def no_plan(*args: object) -> None:
        raise AssertionError("a second build must stop before it plans anything")

    out = _copy(reference, tmp_path)
    before = digests(out)
    monkeypatch.setattr(mixlab.build, "plan_build", no_plan)
    with BuildLock(out), pytest.raises(FolderLocked, match=f"locked by another build \\(pid {os.getpid()} on "):
        build(RECIPE, out, executor="serial", progress=False, resume=False)
    assert digests(out) == before


# ------------------------------------------------------------------------------- the lock, two real processes
@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups to deliver SIGKILL")
def test_second_build_exits_at_once_and_a_killed_builds_lock_is_taken_over(tmp_path: Path, reference: Path) -> None:
    out = tmp_path / "out"
    recipe_file = tmp_path / "recipe.json"
    recipe_file.write_text(json.dumps(RECIPE))
    pidfile = tmp_path / "paused.pid"
    env = {**os.environ, "TQDM_DISABLE": "1"}
    cli = [sys.executable, "-m", "mixlab", "build", str(recipe_file), str(out), "--executor", "serial",
           "--no-progress"]
    first = subprocess.Popen(cli, cwd=REPO, env={**env, PAUSE_ENV: f"1:300:{pidfile}"}, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not pidfile.exists():
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            assert time.monotonic() < deadline, "the first build never reached its pause"
            time.sleep(0.05)
        second = subprocess.run(cli, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert first.poll() is None  # the second build gave up while the first still held the folder
        assert second.returncode != 0 and "Traceback" not in second.stderr
        assert f"locked by another build (pid {first.pid} on " in second.stderr, second.stderr
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=60)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=60)
    assert (out / LOCK_NAME).exists()  # the killed build could not remove its lock file
    third = subprocess.run(cli, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stderr
    assert f"took over the lock left by a build that is no longer running (pid {first.pid} on " in third.stdout
    assert not (out / LOCK_NAME).exists() and verify(out).ok
    assert digests(out) == digests(reference)
