"""Resume reuses a shard only when everything that determines its bytes is unchanged (the build key).

One test per ingredient of the key: the recipe, the world spec's contents (a spec file edited in
place), the generator version, the record format version, and the mixlab, pyarrow and numpy
versions. Each changed ingredient makes a resumed build refuse with a message naming what
changed and how to start over; starting over (``resume=False``) gives exactly a fresh build.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from build_helpers import RECIPE, digests, recipe

from mixlab.build import build, load_recipe
from mixlab.executors import InterruptingExecutor, SimulatedCrash
from mixlab.manifest import BUILD_KEY_FIELDS, MANIFEST_NAME, verify
from mixlab.world import worlds_dir


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


def test_manifest_records_every_ingredient(reference: Path) -> None:
    import numpy as np
    import pyarrow as pa

    import mixlab
    from mixlab.records import RECORD_FORMAT_VERSION
    from mixlab.world import GENERATOR_VERSION

    m = json.loads((reference / MANIFEST_NAME).read_text())
    key = m["build_key"]
    assert sorted(key) == sorted(BUILD_KEY_FIELDS)
    assert key == {
        "recipe_sha256": load_recipe(RECIPE).sha256,
        "world_spec_sha256": m["world"]["spec_sha256"],
        "generator_version": GENERATOR_VERSION,
        "record_format_version": RECORD_FORMAT_VERSION,
        "mixlab_version": mixlab.__version__,
        "writer_version": f"pyarrow {pa.__version__}",
        "numpy_version": np.__version__,
    }


# (module, attribute, build-key field): a version that changes under a built folder
VERSIONS = [
    ("mixlab", "__version__", "mixlab_version"),
    ("mixlab.world", "GENERATOR_VERSION", "generator_version"),
    ("mixlab.records", "RECORD_FORMAT_VERSION", "record_format_version"),
    ("pyarrow", "__version__", "writer_version"),
    ("numpy", "__version__", "numpy_version"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("module", "attr", "field"), VERSIONS, ids=[v[2] for v in VERSIONS])
def test_changed_version_refuses_resume_and_names_it(tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch,
                                                     module: str, attr: str, field: str) -> None:
    import importlib

    out = _copy(reference, tmp_path)
    before = digests(out)
    mod = importlib.import_module(module)
    old = getattr(mod, attr)
    new: Any = old + 1 if isinstance(old, int) else f"{old}.post99"
    monkeypatch.setattr(mod, attr, new)
    recorded = f"pyarrow {new}" if module == "pyarrow" else new
    with pytest.raises(ValueError, match="another build key") as info:
        build(RECIPE, out, executor="serial", progress=False)
    msg = str(info.value)
    assert f"{field} " in msg and repr(recorded) in msg, msg
    assert "resume=False" in msg and "--no-resume" in msg and "delete the folder" in msg
    assert [f for f in BUILD_KEY_FIELDS if f"{f} " in msg] == [field]  # only what changed is named
    assert digests(out) == before  # refused before anything was touched

    res = build(RECIPE, out, executor="serial", progress=False, resume=False)  # start over in place
    assert res.reused == [] and res.manifest["build_key"][field] == recorded
    assert verify(out).ok


@pytest.mark.slow
def test_edited_spec_file_refuses_resume_then_rebuilds_like_fresh(tmp_path: Path) -> None:
    """The issue's case: ``preset`` names a spec file; editing ``floor`` in it must not reuse old shards."""
    (tmp_path / "worlds").mkdir()
    spec = tmp_path / "worlds" / "mine.toml"
    spec.write_text((worlds_dir() / "tiny.toml").read_text())
    rec = recipe(world={"preset": "worlds/mine.toml", "seed": 0})  # relative to the recipe file's folder
    rec_file = tmp_path / "recipe.json"
    rec_file.write_text(json.dumps(rec))
    out = tmp_path / "out"
    first = build(rec_file, out, executor="serial", progress=False)
    old_spec_hash = first.manifest["world"]["spec_sha256"]

    spec.write_text(spec.read_text().replace("floor = 0.02", "floor = 0.05"))
    with pytest.raises(ValueError, match=rf"world_spec_sha256 '{old_spec_hash}' -> '[0-9a-f]{{64}}'"):
        build(rec_file, out, executor="serial", progress=False)

    again = build(rec_file, out, executor="serial", progress=False, resume=False)
    assert again.reused == [] and again.manifest["world"]["spec_sha256"] != old_spec_hash
    fresh = tmp_path / "fresh"
    build(rec_file, fresh, executor="serial", progress=False)
    assert digests(out) == digests(fresh)  # no stale shard survived
    assert verify(out).ok


def test_recipe_change_is_refused_even_without_resume(tmp_path: Path, reference: Path) -> None:
    out = _copy(reference, tmp_path)
    with pytest.raises(ValueError, match="different recipe"):
        build(recipe(seed=11), out, executor="serial", progress=False, resume=False)


def test_interrupted_build_under_another_key_is_not_resumed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             reference: Path) -> None:
    import mixlab

    out = tmp_path / "cut"
    with pytest.raises(SimulatedCrash):
        build(RECIPE, out, executor=InterruptingExecutor(2), progress=False)
    monkeypatch.setattr(mixlab, "__version__", "0.0.0-other")
    with pytest.raises(ValueError, match="mixlab_version .* -> '0.0.0-other'"):
        build(RECIPE, out, executor="serial", progress=False)
    monkeypatch.undo()
    resumed = build(RECIPE, out, executor="serial", progress=False)  # the same key again: resumes
    assert resumed.reused == [0, 1] and digests(out) == digests(reference)


def test_repair_crash_leaves_an_unfinished_build_not_a_stale_manifest(tmp_path: Path, reference: Path) -> None:
    """A build stashes the old manifest before it writes, so a crash mid-repair is reported as unfinished."""
    out = _copy(reference, tmp_path)
    (out / "shards" / "part-00003.parquet").write_bytes(b"damaged")
    with pytest.raises(SimulatedCrash):
        build(RECIPE, out, executor=InterruptingExecutor(0), progress=False)
    assert not (out / MANIFEST_NAME).exists()
    assert any("unfinished build" in v for v in verify(out).violations)
    res = build(RECIPE, out, executor="serial", progress=False)
    assert res.written == [3] and digests(out) == digests(reference)


def test_a_journal_line_cut_short_by_a_crash_is_ignored(tmp_path: Path, reference: Path) -> None:
    from mixlab.journal import ENTRIES_FILE, read_entries
    from mixlab.manifest import JOURNAL_DIR

    out = tmp_path / "cut"
    with pytest.raises(SimulatedCrash):
        build(RECIPE, out, executor=InterruptingExecutor(3), progress=False)
    journal = out / JOURNAL_DIR / ENTRIES_FILE
    assert sorted(read_entries(journal)) == [0, 1, 2]
    with open(journal, "ab") as fh:
        fh.write(b'{"index": 3, "path": "shards/part-00')  # the crash hit mid-line
    assert sorted(read_entries(journal)) == [0, 1, 2]
    with pytest.raises(SimulatedCrash):  # a second crash: lines appended after the cut one still parse
        build(RECIPE, out, executor=InterruptingExecutor(1), progress=False)
    assert sorted(read_entries(journal)) == [0, 1, 2, 3]
    resumed = build(RECIPE, out, executor="serial", progress=False)
    assert resumed.reused == [0, 1, 2, 3] and digests(out) == digests(reference)


def test_a_folder_from_before_the_build_key_verifies_but_is_not_resumed(tmp_path: Path, reference: Path) -> None:
    """A version-1 manifest (no build_key) still verifies; resuming it cannot prove the key, so it is refused."""
    from mixlab.manifest import manifest_hash

    out = _copy(reference, tmp_path)
    m = json.loads((out / MANIFEST_NAME).read_text())
    del m["build_key"]
    m["manifest_version"] = 1
    m["manifest_sha256"] = manifest_hash(m)
    (out / MANIFEST_NAME).write_text(json.dumps(m))
    assert verify(out).ok
    with pytest.raises(ValueError, match="world_spec_sha256 not recorded -> '[0-9a-f]{64}'"):
        build(RECIPE, out, executor="serial", progress=False)
    res = build(RECIPE, out, executor="serial", progress=False, resume=False)
    assert res.reused == [] and digests(out) == digests(reference)


def test_an_inline_spec_keys_the_build_by_its_contents(tmp_path: Path) -> None:
    import tomllib

    from mixlab.plan import plan_build

    spec = tomllib.loads((worlds_dir() / "tiny.toml").read_text())
    inline = plan_build(recipe(world={"spec": spec, "seed": 0}))
    assert inline.world_info["spec_sha256"] == plan_build(RECIPE).world_info["spec_sha256"]
    spec["process"]["floor"] = 0.05
    assert plan_build(recipe(world={"spec": spec, "seed": 0})).world_info["spec_sha256"] != \
        inline.world_info["spec_sha256"]
    spec["vocab_size"] = -1
    with pytest.raises(ValueError, match=r"recipe world\.spec: .*vocab_size"):
        load_recipe(recipe(world={"spec": spec, "seed": 0}))
