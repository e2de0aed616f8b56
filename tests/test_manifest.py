"""Tests of mixlab.manifest: canonical hashing, atomic writes, the record schema check, verify basics."""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from build_helpers import RECIPE

import mixlab.shards as B
from mixlab.manifest import (
    SchemaError,
    atomic_write_bytes,
    canonical_json,
    check_batch,
    encode_shard,
    json_sha256,
    manifest_hash,
    record_schema,
    verify,
)
from mixlab.plan import plan_build


def test_canonical_json_is_order_free_and_rejects_nan() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'
    assert json_sha256({"x": 1, "y": 2}) == json_sha256({"y": 2, "x": 1})
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


def test_manifest_hash_ignores_its_own_field() -> None:
    body = {"a": 1}
    assert manifest_hash({**body, "manifest_sha256": "whatever"}) == manifest_hash(body)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    seen: list[bytes] = []

    def hook(tmp: Path) -> None:  # mid-write: the old file is intact, the temp holds half
        seen.append(target.read_bytes())
        seen.append(tmp.read_bytes())

    atomic_write_bytes(target, b"new content", pause_hook=hook)
    assert seen == [b"old", b"new c"]
    assert target.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_atomic_write_cleans_up_when_interrupted(tmp_path: Path) -> None:
    def boom(tmp: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "f.bin", b"abcdef", pause_hook=boom)
    assert list(tmp_path.iterdir()) == []


def _good_batch() -> pa.RecordBatch:
    task = B.ShardTask(
        index=0, path="unused", position0=5,
        doc_ids=np.array(["web-0000001", "web-0000001"], dtype=object), domains=np.array(["web", "web"], dtype=object),
        copy_index=np.array([0, 1], dtype=np.int32), offsets=np.array([0, 2, 4]), tokens=np.arange(4, dtype=np.int32),
        metadata={},
    )
    return B.shard_batch(task)


def test_schema_check_names_new_and_missing_fields() -> None:
    good = _good_batch()
    check_batch(good, record_schema())
    assert good.column(0).to_pylist() == ["web-0000001#0", "web-0000001#1"]
    extra = good.append_column("quality", pa.array([0.5, 0.5]))
    with pytest.raises(SchemaError, match="unexpected field\\(s\\) 'quality'"):
        encode_shard([good, extra])
    missing = good.drop_columns(["copy_index"])
    with pytest.raises(SchemaError, match="record batch 0 .*missing field\\(s\\) 'copy_index'"):
        encode_shard([missing])
    wrong = good.set_column(5, "n_tokens", pa.array([2, 2], type=pa.int64()))
    with pytest.raises(SchemaError, match="field 'n_tokens' has type int64 \\(declared int32\\)"):
        encode_shard([wrong])


def test_writer_rejects_a_bad_batch_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_build(RECIPE)
    task = plan.task(0, tmp_path)
    (tmp_path / "shards").mkdir()
    real = B.shard_batch
    monkeypatch.setattr(B, "shard_batch", lambda t: real(t).append_column("debug", pa.array([1] * t.rows)))
    with pytest.raises(SchemaError, match="'debug'"):
        B.write_shard(task)
    assert list((tmp_path / "shards").iterdir()) == []  # nothing written, not even a temp file


def test_encoding_is_deterministic() -> None:
    b = _good_batch()
    assert encode_shard([b], metadata={"k": "v"}) == encode_shard([b], metadata={"k": "v"})


def test_verify_without_manifest(tmp_path: Path) -> None:
    report = verify(tmp_path)
    assert not report.ok and "manifest" in report.violations[0]
    assert not verify(tmp_path / "nope").ok


def test_tree_digests_cover_every_file_and_reject_a_non_folder(tmp_path: Path) -> None:
    from mixlab.manifest import tree_digests

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.bin").write_bytes(b"a")
    (tmp_path / "sub" / ".hidden").write_bytes(b"")
    got = tree_digests(tmp_path)
    assert list(got) == ["a.bin", "sub/.hidden"]
    assert got["a.bin"] == hashlib.sha256(b"a").hexdigest()
    with pytest.raises(NotADirectoryError, match="folder"):
        tree_digests(tmp_path / "a.bin")


# ------------------------------------------------------------------------------- paths from a manifest
@pytest.mark.parametrize(("rel", "kind"), [
    ("shards/part-00000.parquet", "shard"), ("shards/part-123456.parquet", "shard"),
    ("audit/quality.parquet", "audit file"), ("audit/q-0_3.parquet", "audit file"),
])
def test_member_path_accepts_the_layout(tmp_path: Path, rel: str, kind: str) -> None:
    from mixlab.manifest import member_path

    assert member_path(tmp_path, rel, kind) == tmp_path / rel


@pytest.mark.parametrize("rel", ["../../victim/shards/part-00000", "a/b", "/tmp/shards/part-00000.parquet",
                                 "shards/../manifest.json", "shards\\part-00000.parquet", "./shards/part-00000.parquet",
                                 "shards/part-00000.parquet/..", "shards/part-0.parquet", "audit/x.parquet", 5, None,
                                 "shards//part-00000.parquet", "SHARDS/part-00000.parquet"])
def test_member_path_refuses_anything_else(tmp_path: Path, rel: object) -> None:
    from mixlab.manifest import member_path

    with pytest.raises(ValueError, match="shard path"):
        member_path(tmp_path, rel, "shard")


def test_member_path_refuses_links_out_of_the_folder(tmp_path: Path) -> None:
    from mixlab.manifest import member_path

    outside = tmp_path / "outside"
    (outside / "shards").mkdir(parents=True)
    (outside / "shards" / "part-00000.parquet").write_bytes(b"x")
    root = tmp_path / "build"
    (root / "shards").mkdir(parents=True)
    os.symlink(outside / "shards" / "part-00000.parquet", root / "shards" / "part-00000.parquet")
    with pytest.raises(ValueError, match="through a symbolic link"):
        member_path(root, "shards/part-00000.parquet", "shard")
    linked = tmp_path / "linked"
    linked.mkdir()
    os.symlink(outside / "shards", linked / "shards")
    with pytest.raises(ValueError, match="through a symbolic link"):
        member_path(linked, "shards/part-00000.parquet", "shard")


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mixlab.build import build

    out = tmp_path_factory.mktemp("small") / "ref"
    build(RECIPE, out, executor="serial", progress=False)
    return out


@pytest.mark.parametrize("rel", ["../ref/shards/part-00000.parquet", "/abs/shards/part-00000.parquet", "a/b",
                                 "../../victim/shards/part-00000"])
def test_read_records_refuses_paths_outside(tmp_path: Path, small_build: Path, rel: str) -> None:
    import json
    import shutil

    from mixlab.manifest import MANIFEST_NAME, read_records

    out = tmp_path / "copy"
    shutil.copytree(small_build, out)
    m = json.loads((out / MANIFEST_NAME).read_text())
    m["shards"][0]["path"] = rel
    (out / MANIFEST_NAME).write_text(json.dumps(m))
    with pytest.raises(ValueError, match="is not allowed"):
        read_records(out)


def test_read_records_checks_its_arguments(small_build: Path) -> None:
    from mixlab.manifest import read_records

    got = read_records(small_build, columns=["record_id", "copy_index"])
    assert list(got.columns) == ["record_id", "copy_index"] and len(got) > 0
    with pytest.raises(ValueError, match="unknown: \\['quality'\\]"):
        read_records(small_build, columns=["quality"])
    with pytest.raises(TypeError, match="columns must be a list"):
        read_records(small_build, columns="record_id")  # type: ignore[arg-type]


def test_atomic_write_reports_the_path_and_cleans_up(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"cannot write {tmp_path / 'missing' / 'f.bin'}: no such file"):
        atomic_write_bytes(tmp_path / "missing" / "f.bin", b"x")
    with pytest.raises(ValueError, match="sync must be"):
        atomic_write_bytes(tmp_path / "f.bin", b"x", sync="sometimes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_temp_names_are_recognized_exactly() -> None:
    from mixlab.manifest import is_temp_name, tmp_path_for

    assert is_temp_name(tmp_path_for(Path("shards/part-00001.parquet")).name)
    for name in ("part-00001.parquet", ".notes.tmp", "x.123.deadbeef.tmp", ".x.abc.deadbeef.tmp"):
        assert not is_temp_name(name)
