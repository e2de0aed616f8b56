"""Tests of mixlab.build: recipes, the plan, lineage columns, executors, errors before work, empty builds, CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from build_helpers import RECIPE, digests, recipe, temp_files

from mixlab.build import FILTERS, Recipe, build, load_recipe, plan_build, recipes_dir
from mixlab.cli import build_parser
from mixlab.manifest import MANIFEST_NAME, read_records, verify


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One serial build of the test recipe, shared read-only by the tests of this module."""
    out = tmp_path_factory.mktemp("ref") / "out"
    build(RECIPE, out, executor="serial", progress=False)
    return out


def _records(out: Path) -> pa.Table:
    m = json.loads((out / MANIFEST_NAME).read_text())
    return pa.concat_tables([pq.read_table(out / s["path"]) for s in m["shards"]])


# ------------------------------------------------------------------------------- recipe
def test_recipe_hash_ignores_spelling_and_fills_defaults(tmp_path: Path) -> None:
    toml = Path(__file__).resolve().parents[1] / "data_synth" / "recipes" / "tiny-demo.toml"
    rec = load_recipe(toml)
    assert rec.data["shards"]["max_tokens"] is None and rec.data["budget"]["allow_empty"] is False
    # the same recipe written as JSON hashes the same; a changed value does not
    as_json = tmp_path / "r.json"
    raw: dict[str, Any] = dict(rec.data)
    as_json.write_text(json.dumps(raw))
    assert load_recipe(as_json).sha256 == rec.sha256
    raw2 = json.loads(json.dumps(raw))
    raw2["budget"]["tokens"] += 1
    assert Recipe.from_dict(raw2).sha256 != rec.sha256


def test_unsupported_schema_version_is_named() -> None:
    with pytest.raises(ValueError, match=r"schema_version 99 is not supported.*supported: 1"):
        load_recipe(recipe(schema_version=99))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"filters": [{"name": "fancy"}]}, "filters\\[0\\].name must be one of"),
        ({"mixture": {"weights": {"web": 1.0}, "mixer": "proportional"}}, "exactly one of 'weights' or 'mixer'"),
        ({"budget": {"tokens": 0}}, "budget.tokens must be >= 1"),
        ({"shards": {"max_rows": 3}}, "unknown key\\(s\\) in recipe shards: max_rows"),
    ],
)
def test_bad_recipes_name_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        load_recipe(recipe(**change))


# ------------------------------------------------------------------------------- plan and records
def test_build_writes_lineage_and_verifies(reference: Path) -> None:
    report = verify(reference)
    assert report.ok, str(report)
    m = json.loads((reference / MANIFEST_NAME).read_text())
    for key in ("schema_version", "mixlab_version", "recipe", "recipe_sha256", "sources", "ledger", "shards",
                "audit", "totals", "manifest_sha256"):
        assert key in m
    t = _records(reference)
    assert t.column_names == ["record_id", "position", "source_domain", "source_doc_id", "copy_index", "n_tokens",
                              "tokens"]
    ids = t["record_id"].to_pylist()
    assert len(set(ids)) == len(ids) == m["totals"]["records"]
    assert t["position"].to_pylist() == list(range(len(ids)))
    copies = np.asarray(t["copy_index"].to_pylist())
    assert copies.min() == 0 and copies.max() >= 1  # some source is repeated across epochs
    assert all(r == f"{d}#{c}" for r, d, c in zip(ids, t["source_doc_id"].to_pylist(), copies, strict=True))
    assert sum(len(x) for x in t["tokens"].to_pylist()) == m["totals"]["tokens"] >= RECIPE["budget"]["tokens"]
    # the ledger balances and chains into the per-source availability
    assert m["ledger"][-1]["docs_out"] == sum(s["available_docs"] for s in m["sources"].values())
    # audit samples: one file per stage, listed with its hash, kept and dropped rows
    assert [a["stage"] for a in m["audit"]] == ["quality", "dedup"]
    audit = pq.read_table(reference / "audit" / "quality.parquet").to_pandas()
    assert sorted(audit["decision"].unique()) == ["dropped", "kept"]


def test_blended_order_keeps_every_prefix_close_to_the_shares(reference: Path) -> None:
    t = _records(reference)
    dom = np.asarray(t["source_domain"].to_pylist())
    m = json.loads((reference / MANIFEST_NAME).read_text())
    n = len(dom)
    for name, s in m["sources"].items():
        share = s["selected_docs"] / n
        dev = np.abs(np.cumsum(dom == name) - share * np.arange(1, n + 1))
        assert dev.max() <= 0.5 + share * (len(m["sources"]) - 2) / 2 + 1.0  # blended_index bound + 1 for the cut


def test_plan_is_deterministic() -> None:
    a, b = plan_build(RECIPE), plan_build(RECIPE)
    assert np.array_equal(a.rows, b.rows) and np.array_equal(a.bounds, b.bounds)
    assert a.expected(1) == b.expected(1)


def test_max_tokens_limits_shards(tmp_path: Path) -> None:
    plan = plan_build(recipe(shards={"max_records": 1000, "max_tokens": 3000}))
    lens = plan.kept.docs["n_tokens"].to_numpy()[plan.rows]
    for i in range(plan.n_shards):
        a, b = plan.bounds[i], plan.bounds[i + 1]
        assert b - a == 1 or lens[a:b].sum() <= 3000


def test_named_mixer_with_provenance(tmp_path: Path) -> None:
    rec = recipe(mixture={"mixer": "temperature", "params": {"T": 2.0}}, filters=[])
    res = build(rec, tmp_path / "out", executor="serial", progress=False)
    prov = res.manifest["mixture"]["provenance"]
    assert prov["mixer"] == "temperature" and res.manifest["ledger"] == [] and res.manifest["audit"] == []
    assert verify(tmp_path / "out").ok


@pytest.mark.slow
# ------------------------------------------------------------------------------- executors
def test_workers_and_executors_give_identical_bytes(tmp_path: Path, reference: Path) -> None:
    ref = digests(reference)
    two = build(RECIPE, tmp_path / "p2", workers=2, executor="process", progress=False)
    assert two.workers == 2 and digests(tmp_path / "p2") == ref
    try:
        import dask  # noqa: F401
    except ImportError:
        pytest.skip("dask is not installed (optional extra 'dist'); process and serial executors agree")
    build(RECIPE, tmp_path / "dk", workers=2, executor="dask", progress=False)
    assert digests(tmp_path / "dk") == ref


# ------------------------------------------------------------------------------- errors before any work
def test_infeasible_budget_says_how_many_tokens_are_missing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"infeasible: at E_max=1 .* needs [0-9.e+]+ more"):
        build(recipe(budget={"tokens": 10_000_000, "max_epochs": 1.0}), out, executor="serial", progress=False)
    assert not out.exists()


def test_mixture_over_epoch_cap_names_the_domain(tmp_path: Path) -> None:
    heavy = {"web": 0.1, "books": 0.6, "code": 0.1, "math": 0.05, "wiki": 0.1, "forum": 0.05}
    with pytest.raises(ValueError, match=r"epoch cap violated .*books="):
        build(recipe(mixture={"weights": heavy}, budget={"tokens": 40_000, "max_epochs": 1.5}), tmp_path / "o",
              executor="serial", progress=False)
    assert not (tmp_path / "o").exists()


def test_folder_of_another_recipe_is_refused_with_both_hashes(tmp_path: Path, reference: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    other = recipe(seed=4)
    with pytest.raises(ValueError, match="different recipe") as info:
        build(other, out, executor="serial", progress=False)
    msg = str(info.value)
    assert load_recipe(RECIPE).sha256 in msg and load_recipe(other).sha256 in msg
    assert digests(out) == digests(reference)  # nothing touched


def test_unrelated_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds no mixlab build"):
        build(RECIPE, tmp_path, executor="serial", progress=False)


# ------------------------------------------------------------------------------- empty result
def test_filter_dropping_everything(tmp_path: Path) -> None:
    drop_all = [{"name": "length", "min_tokens": 10**6}]
    with pytest.raises(ValueError, match="kept 0 of .*allow_empty"):
        build(recipe(filters=drop_all), tmp_path / "refused", executor="serial", progress=False)
    assert not (tmp_path / "refused").exists()

    out = tmp_path / "out"
    res = build(recipe(filters=drop_all, budget={"tokens": 24_000, "max_epochs": 4.0, "allow_empty": True}), out,
                executor="serial", progress=False)
    m = res.manifest
    assert m["totals"] == {"records": 0, "tokens": 0, "shards": 1, "bytes": m["shards"][0]["bytes"]}
    assert m["shards"][0]["rows"] == 0 and m["shards"][0]["first_record_id"] is None
    row = m["ledger"][0]
    assert row["docs_out"] == 0 and row["docs_in"] == sum(row["dropped_docs"].values()) == m["world"]["train_docs"]
    assert row["tokens_in"] == sum(row["dropped_tokens"].values()) == m["world"]["train_tokens"]
    assert all(s["selected_docs"] == 0 for s in m["sources"].values())
    empty = pq.read_table(out / m["shards"][0]["path"])
    assert empty.num_rows == 0 and empty.column_names[0] == "record_id"  # schema intact
    report = verify(out)
    assert report.ok, str(report)


# ------------------------------------------------------------------------------- housekeeping and CLI
def test_stale_temporary_files_are_removed(tmp_path: Path, reference: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    (out / "shards" / ".part-00001.parquet.999.deadbeef.tmp").write_bytes(b"half a shard")
    assert not verify(out).ok
    res = build(RECIPE, out, executor="serial", progress=False)
    assert res.written == [] and temp_files(out) == [] and verify(out).ok


def test_no_resume_rewrites_everything(tmp_path: Path, reference: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    res = build(RECIPE, out, executor="serial", resume=False, progress=False)
    assert res.reused == [] and digests(out) == digests(reference)


def test_summary_is_stable_and_has_no_paths_or_timings(tmp_path: Path, reference: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "deeper" / "b"
    shutil.copytree(reference, a)
    shutil.copytree(reference, b)
    reused = build(RECIPE, a, executor="serial", progress=False)
    rewritten = build(RECIPE, b, executor="serial", resume=False, progress=False)
    totals = json.loads((reference / MANIFEST_NAME).read_text())["totals"]
    n = totals["shards"]
    common = {"recipe": load_recipe(RECIPE).name, "records": totals["records"], "tokens": totals["tokens"], "shards": n}
    assert reused.summary() == {**common, "written": 0, "reused": n}
    assert rewritten.summary() == {**common, "written": n, "reused": 0}
    text = json.dumps(reused.summary())
    assert str(tmp_path) not in text and "seconds" not in text and "bytes" not in text
    assert all(isinstance(v, int) for k, v in reused.summary().items() if k != "recipe")


def test_recipes_dir_holds_the_shipped_recipe() -> None:
    from mixlab.world import worlds_dir

    d = recipes_dir()
    assert d == worlds_dir().parent / "recipes" and d.name == "recipes" and d.parent.name == "data_synth"
    assert (d / "tiny-demo.toml").is_file()
    assert load_recipe(d / "tiny-demo.toml").name == "tiny-demo"


def test_cli_build_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    rec = tmp_path / "r.json"
    rec.write_text(json.dumps(RECIPE))
    out = tmp_path / "out"
    args = parser.parse_args(["build", str(rec), str(out), "--executor", "serial", "--no-progress"])
    assert args.func(args) == 0
    assert "manifest_sha256" in capsys.readouterr().out
    args = parser.parse_args(["verify", str(out)])
    assert args.func(args) == 0
    (out / "stray.txt").write_text("x")
    assert args.func(args) == 1
    assert "unlisted file: stray.txt" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(recipe(schema_version=2)))
    from mixlab import cli

    assert cli.main(["build", str(bad), str(tmp_path / "o2")]) == 2  # errors go through the CLI's handler
    assert "schema_version 2 is not supported" in capsys.readouterr().err


def test_every_filter_name_has_an_audit_rule() -> None:
    assert set(FILTERS) == {"quality", "length", "junk", "dedup"}


def test_lineage_from_record_back_through_the_filters(reference: Path) -> None:
    recs = read_records(reference, columns=["record_id", "source_doc_id", "copy_index"])
    assert list(recs.columns) == ["record_id", "source_doc_id", "copy_index"]
    plan = plan_build(RECIPE)
    kept = plan.lineage(str(recs["source_doc_id"].iloc[0]))
    assert kept.status == "kept"
    dropped = set(plan.input_corpus.docs["doc_id"]) - set(plan.kept.docs["doc_id"])
    assert plan.lineage(sorted(dropped)[0]).status == "dropped"


def test_interrupted_build_is_reported_as_unfinished_and_resumes(tmp_path: Path, reference: Path) -> None:
    from mixlab.executors import InterruptingExecutor, SimulatedCrash

    out = tmp_path / "cut"
    with pytest.raises(SimulatedCrash, match="before task 2"):
        build(RECIPE, out, executor=InterruptingExecutor(2), progress=False)
    report = verify(out)
    assert not report.ok
    assert any("unfinished build" in v and "2 finished shard(s)" in v for v in report.violations), report.violations
    assert "()" not in str(report)
    resumed = build(RECIPE, out, progress=False)
    assert resumed.reused == [0, 1]
    assert verify(out).ok
    assert digests(out) == digests(reference)
    with pytest.raises(ValueError, match="after must be a non-negative integer"):
        InterruptingExecutor(-1)


# ------------------------------------------------------------------------------- size limits before allocation
@pytest.mark.parametrize(("section", "value", "field", "limit"), [
    ("budget", {"tokens": 10**10}, "budget.tokens", "1,000,000,000"),
    ("budget", {"tokens": 24_000, "max_epochs": 1e9}, "budget.max_epochs", "100"),
    ("shards", {"max_records": 10**9}, "shards.max_records", "10,000,000"),
    ("shards", {"max_tokens": 2**28}, "shards.max_tokens", "134,217,728"),
    ("audit", {"n_per_side": 10**6}, "audit.n_per_side", "10,000"),
    ("seed", 2**64, "seed", "9,223,372,036,854,775,807"),
])
def test_sizes_over_the_limits_are_refused_at_load(tmp_path: Path, section: str, value: Any, field: str,
                                                   limit: str) -> None:
    with pytest.raises(ValueError, match="documented limit for a 24 GiB, 2-core machine") as info:
        build(recipe(**{section: value}), tmp_path / "out", executor="serial", progress=False)
    msg = str(info.value)
    got = value if not isinstance(value, dict) else value[field.split(".")[1]]
    assert f"{field} must be <= {limit}" in msg and f"(got {got!r})" in msg, msg
    assert not (tmp_path / "out").exists()


def test_plan_size_is_checked_before_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    import mixlab.plan
    import mixlab.sampling

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("sample_budget must not run for a plan over the limit")

    monkeypatch.setattr(mixlab.plan, "MAX_PLAN_RECORDS", 100)
    monkeypatch.setattr(mixlab.sampling, "sample_budget", never)
    with pytest.raises(ValueError, match=r"the plan would hold up to [0-9,]+ records .* limit of 100 records"):
        plan_build(RECIPE)


def test_an_oversized_shard_is_refused_in_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    from mixlab.recipe import LIMITS

    monkeypatch.setitem(LIMITS, "shards.max_tokens", 1000)
    with pytest.raises(ValueError, match=r"shard [0-9]+ would hold [0-9,]+ tokens, over the limit of 1,000"):
        plan_build(recipe(shards={"max_records": 48}))


# ------------------------------------------------------------------------------- plan cost
def test_a_build_generates_the_world_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mixlab.world

    calls = []
    real = mixlab.world.generate_world

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(mixlab.world, "generate_world", counting)
    build(RECIPE, tmp_path / "out", executor="serial", progress=False)
    assert len(calls) == 1


def test_shard_tasks_use_only_per_record_arrays() -> None:
    """task(i) and expected(i) cost work in proportion to the shard: they never touch the corpus tables."""
    import dataclasses

    plan = plan_build(RECIPE)
    before = [(plan.task(i, "/out"), plan.expected(i)) for i in range(plan.n_shards)]

    @dataclasses.dataclass
    class TokensOnly:  # no docs table: any per-task lookup into it would fail
        tokens: np.ndarray

    object.__setattr__(plan, "kept", TokensOnly(plan.kept.tokens))
    object.__setattr__(plan, "input_corpus", None)
    for i, (task, expected) in enumerate(before):
        again = plan.task(i, "/out")
        assert plan.expected(i) == expected
        for name in ("doc_ids", "domains", "copy_index", "offsets", "tokens"):
            assert np.array_equal(getattr(again, name), getattr(task, name))
    with pytest.raises(ValueError, match=r"shard index must be an integer in \[0, "):
        plan.task(plan.n_shards, "/out")


def test_relative_spec_paths_are_read_from_the_recipe_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mixlab.world import worlds_dir

    folder = tmp_path / "project"
    (folder / "worlds").mkdir(parents=True)
    shutil.copy(worlds_dir() / "tiny.toml", folder / "worlds" / "mine.toml")
    rec_file = folder / "recipe.json"
    rec_file.write_text(json.dumps(recipe(world={"preset": "worlds/mine.toml", "seed": 0})))
    monkeypatch.chdir(tmp_path)  # not the recipe's folder
    plan = plan_build(rec_file)
    assert plan.world_info["spec_sha256"] == plan_build(RECIPE).world_info["spec_sha256"]
    with pytest.raises(FileNotFoundError, match="world spec file not found"):
        plan_build(recipe(world={"preset": "worlds/mine.toml", "seed": 0}))  # a dict has no folder: cwd


# ------------------------------------------------------------------------------- durability
def test_shards_are_flushed_to_disk_before_the_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mixlab.build

    seen: list[tuple[bool, list[str]]] = []
    real = mixlab.build.flush_to_disk

    def spy(folder: Any, files: Any) -> None:
        files = list(files)
        seen.append(((Path(folder) / MANIFEST_NAME).exists(), sorted(Path(f).relative_to(folder).as_posix()
                                                                      for f in files)))
        real(folder, files)

    monkeypatch.setattr(mixlab.build, "flush_to_disk", spy)
    res = build(RECIPE, tmp_path / "out", executor="serial", progress=False)
    listed = sorted(e["path"] for e in [*res.manifest["shards"], *res.manifest["audit"]])
    assert seen == [(False, listed)]  # once, every listed file, before the manifest existed
    assert set(res.seconds) == {"plan", "shards", "audit", "flush", "finish", "total"}


def test_flush_without_syncfs_fsyncs_every_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mixlab.manifest as M

    (tmp_path / "shards").mkdir()
    files = [tmp_path / "shards" / f"f{i}" for i in range(3)]
    for f in files:
        f.write_bytes(b"x")
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(M, "_syncfs", lambda folder: False)
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    M.flush_to_disk(tmp_path, files)
    assert len(synced) == 3 + 2  # each file, then its folder and the build folder


def test_explicit_paths_need_no_chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A.1's story without os.chdir: the shipped recipe built serially and with 2 workers into explicit folders
    gives identical bytes, and nothing is written to the working directory."""
    from mixlab.manifest import tree_digests

    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    shipped = recipes_dir() / "tiny-demo.toml"
    serial = build(shipped, tmp_path / "serial", executor="serial", progress=False)
    two = build(shipped, tmp_path / "two", workers=2, executor="process", progress=False)
    assert serial.manifest["manifest_sha256"] == two.manifest["manifest_sha256"]
    assert tree_digests(tmp_path / "serial") == tree_digests(tmp_path / "two")
    assert verify(tmp_path / "two").ok and list(elsewhere.iterdir()) == []
