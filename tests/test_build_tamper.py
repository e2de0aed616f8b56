"""Table-driven tampering: every kind of damage to a build folder is caught by ``mixlab verify``.

Each case copies a good build, damages it one way (bytes, files, counts, foreign shards, paths
leading outside, malformed fields of every type), runs ``mixlab verify`` in process and checks:
exit code 1, a violation naming the damage, and never a traceback. Counts edited together with
a recomputed ``manifest_sha256`` show that the deeper checks, not only the manifest's own hash,
catch them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from build_helpers import RECIPE, recipe

from mixlab.build import build
from mixlab.cli import main
from mixlab.manifest import LOCK_NAME, MANIFEST_NAME, manifest_hash, verify

REPO = Path(__file__).resolve().parents[1]
Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A good build of the test recipe and one of another recipe (the source of foreign shards)."""
    root = tmp_path_factory.mktemp("builds")
    build(RECIPE, root / "ref", executor="serial", progress=False)
    build(recipe(seed=4), root / "other", executor="serial", progress=False)
    return {"ref": root / "ref", "other": root / "other"}


def _manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / MANIFEST_NAME).read_text())
    return data


def _write(out: Path, m: dict[str, Any], rehash: bool) -> None:
    if rehash:
        m["manifest_sha256"] = manifest_hash(m)
    (out / MANIFEST_NAME).write_text(json.dumps(m))


def edit(change: Edit, rehash: bool = True) -> Callable[[Path, dict[str, Path]], None]:
    """Damage: change the manifest (and recompute its own hash unless ``rehash`` is False)."""

    def apply(out: Path, builds: dict[str, Path]) -> None:
        m = _manifest(out)
        change(m)
        _write(out, m, rehash)

    return apply


def files(change: Callable[[Path], None]) -> Callable[[Path, dict[str, Path]], None]:
    """Damage: change files in the folder."""
    return lambda out, builds: change(out)


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _foreign_shard(out: Path, builds: dict[str, Path]) -> None:
    """Another recipe's shard in place of shard 1, its size and hash written into the manifest."""
    shutil.copy(builds["other"] / "shards" / "part-00001.parquet", out / "shards" / "part-00001.parquet")
    theirs = _manifest(builds["other"])["shards"][1]
    m = _manifest(out)
    m["shards"][1].update(bytes=theirs["bytes"], sha256=theirs["sha256"])
    _write(out, m, rehash=True)


def _swapped_shards(out: Path, builds: dict[str, Path]) -> None:
    a, b = out / "shards" / "part-00000.parquet", out / "shards" / "part-00001.parquet"
    tmp = out / "swap"
    a.rename(tmp)
    b.rename(a)
    tmp.rename(b)
    m = _manifest(out)
    s0, s1 = m["shards"][0], m["shards"][1]
    (s0["bytes"], s0["sha256"]), (s1["bytes"], s1["sha256"]) = (s1["bytes"], s1["sha256"]), (s0["bytes"], s0["sha256"])
    _write(out, m, rehash=True)


def _symlinked_shards(out: Path, builds: dict[str, Path]) -> None:
    elsewhere = out.parent / "elsewhere"
    shutil.copytree(out / "shards", elsewhere)
    shutil.rmtree(out / "shards")
    os.symlink(elsewhere, out / "shards")


def _set(path: str, value: Any) -> Edit:
    """An edit setting the field at a dotted path (list indices as numbers) to ``value``."""
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]

    def change(m: dict[str, Any]) -> None:
        target: Any = m
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return change


def _add(path: str, delta: int) -> Edit:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]

    def change(m: dict[str, Any]) -> None:
        target: Any = m
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] += delta

    return change


def _drop(key: str) -> Edit:
    return lambda m: m.pop(key)


def _both(*edits: Edit) -> Edit:
    def change(m: dict[str, Any]) -> None:
        for e in edits:
            e(m)

    return change


CASES: list[tuple[str, Callable[[Path, dict[str, Path]], None], str]] = [
    # bytes and files
    ("byte flip in a shard", files(lambda o: _flip(o / "shards/part-00001.parquet")),
     "shard shards/part-00001.parquet: sha256 is"),
    ("truncated shard", files(lambda o: (o / "shards/part-00000.parquet").write_bytes(
        (o / "shards/part-00000.parquet").read_bytes()[:100])), "size is 100 bytes"),
    ("empty shard file", files(lambda o: (o / "shards/part-00002.parquet").write_bytes(b"")), "size is 0 bytes"),
    ("deleted shard", files(lambda o: (o / "shards/part-00002.parquet").unlink()),
     "listed in the manifest but missing"),
    ("byte flip in an audit file", files(lambda o: _flip(o / "audit/quality.parquet")),
     "audit file audit/quality.parquet: sha256 is"),
    ("deleted audit file", files(lambda o: (o / "audit/dedup.parquet").unlink()),
     "audit file audit/dedup.parquet: listed in the manifest but missing"),
    ("stray file", files(lambda o: (o / "extra.bin").write_bytes(b"?")), "unlisted file: extra.bin"),
    ("stray file among shards", files(lambda o: (o / "shards/notes.txt").write_text("x")),
     "unlisted file: shards/notes.txt"),
    ("temporary file left behind", files(lambda o: (o / "shards/.part-00001.parquet.9.deadbeef.tmp").write_bytes(b"h")),
     "temporary file left behind: shards/.part-00001.parquet.9.deadbeef.tmp"),
    ("symbolic link among shards", files(lambda o: os.symlink(o / "shards/part-00000.parquet", o / "shards/x.parquet")),
     "symbolic link in the build folder: shards/x.parquet"),
    ("symlinked shard folder", _symlinked_shards, "symbolic link in the build folder: shards"),
    ("lock file of a killed build", files(lambda o: (o / LOCK_NAME).write_text("1 host now\n")),
     f"{LOCK_NAME} is present"),
    ("deleted manifest", files(lambda o: (o / MANIFEST_NAME).unlink()), "is not a finished mixlab build"),
    ("manifest not JSON", files(lambda o: (o / MANIFEST_NAME).write_text("{oops")), "is not valid JSON"),
    ("manifest a JSON list", files(lambda o: (o / MANIFEST_NAME).write_text("[]")), "is not a mixlab manifest"),
    ("manifest with NaN", files(lambda o: (o / MANIFEST_NAME).write_text(
        (o / MANIFEST_NAME).read_text().replace('"max_epochs": 4.0', '"max_epochs": NaN', 1))), "does not allow NaN"),
    ("manifest not UTF-8", files(lambda o: (o / MANIFEST_NAME).write_bytes(b"\xff\xfe{}")), "is not UTF-8"),
    # counts and contents edited by hand
    ("edited totals, hash not updated", edit(_add("totals.tokens", 1), rehash=False), "content hash is"),
    ("edited totals.records", edit(_add("totals.records", 1)), "totals.records says"),
    ("edited shard rows", edit(_add("shards.0.rows", -1)), "shard shards/part-00000.parquet: has 48 rows"),
    ("edited shard tokens", edit(_add("shards.1.tokens", 5)), "shard shards/part-00001.parquet: has"),
    ("edited first record id", edit(_set("shards.0.first_record_id", "web-0000000#0")), "first/last record id are"),
    ("edited selected docs", edit(_add("sources.web.selected_docs", 1)), "source web: shards hold"),
    ("edited unique docs", edit(_add("sources.code.unique_docs", 1)), "source code: "),
    ("edited achieved share", edit(_add("sources.math.achieved_share", 1)), "achieved_share is"),
    ("edited share tolerance", edit(_set("sources.wiki.share_tolerance", 0.5)), "share_tolerance is 0.5"),
    ("edited ledger", edit(_add("ledger.0.docs_out", -1)), "docs not conserved"),
    ("edited weights", edit(_add("mixture.weights.web", 0.1)), "mixture weights must sum to 1"),
    ("edited recipe", edit(_set("recipe.seed", 99)), "recipe hash is"),
    ("edited world counts", edit(_add("world.train_docs", 1)), "ledger starts with"),
    ("edited epoch cap", edit(_set("budget.max_epochs", 0.5)), "more than ceil(max_epochs) = 1"),
    ("edited build key", edit(_set("build_key.mixlab_version", "0.0.0")), "build_key.mixlab_version is '0.0.0'"),
    ("foreign shard, hashes updated", _foreign_shard, "shard shards/part-00001.parquet: first/last record id"),
    ("swapped shards, hashes updated", _swapped_shards, "record positions do not run 0..N-1"),
    ("shard listed twice", edit(lambda m: m["shards"].append(m["shards"][0])),
     "listed more than once"),
    ("shards out of order", edit(lambda m: m["shards"].reverse()), "expected 0 (shards must be listed in order)"),
    # paths leading outside the folder
    ("shard path outside", edit(_set("shards.0.path", "../ref/shards/part-00000.parquet")), "is not allowed"),
    ("victim path from the issue", edit(_set("shards.0.path", "../../victim/shards/part-00000")), "is not allowed"),
    ("absolute shard path", edit(_set("shards.0.path", "/etc/passwd")), "'/etc/passwd' is not allowed"),
    ("shard path a/b", edit(_set("shards.0.path", "a/b")), "'a/b' is not allowed"),
    ("shard path through ..", edit(_set("shards.0.path", "shards/../manifest.json")), "is not allowed"),
    ("audit path outside", edit(_set("audit.0.path", "../quality.parquet")), "audit file path '../quality.parquet'"),
    # malformed fields of every type
    ("shards is a string", edit(_set("shards", "oops")),
     "manifest field shards must be a list of objects (got 'oops')"),
    ("shards is null", edit(_set("shards", None)), "manifest field shards must be a list"),
    ("shards holds a number", edit(_set("shards", [5])), "manifest field shards[0] must be an object (got 5)"),
    ("shard rows a string", edit(_set("shards.0.rows", "48")), "shards[0].rows must be an integer >= 0 (got '48')"),
    ("shard rows a bool", edit(_set("shards.0.rows", True)), "shards[0].rows must be an integer >= 0 (got True)"),
    ("shard rows negative", edit(_set("shards.0.rows", -1)), "shards[0].rows must be an integer >= 0 (got -1)"),
    ("shard sha256 a number", edit(_set("shards.0.sha256", 123)), "shards[0].sha256 must be a sha256"),
    ("shard path missing", edit(lambda m: m["shards"][0].pop("path")), "shards[0].path must be a string (got missing)"),
    ("record id a number", edit(_set("shards.0.first_record_id", 5)), "first_record_id must be a string or null"),
    ("available_docs null", edit(_set("sources.web.available_docs", None)), "sources.web.available_docs must be"),
    ("sources a list", edit(_set("sources", [])), "manifest field sources must be an object"),
    ("source a string", edit(_set("sources.web", "x")), "manifest field sources.web must be an object"),
    ("mixture a number", edit(_set("mixture", 5)), "manifest field mixture must be null or an object"),
    ("weight a string", edit(_set("mixture.weights.web", "0.3")), "mixture weights must be finite numbers"),
    ("budget a string", edit(_set("budget", "4")), "manifest field budget must be an object"),
    ("max_epochs null", edit(_set("budget.max_epochs", None)), "budget.max_epochs must be a finite number"),
    ("ledger a string", edit(_set("ledger", "oops")), "manifest field ledger must be a list"),
    ("ledger row count null", edit(_set("ledger.0.docs_in", None)), "ledger[0].docs_in must be an integer"),
    ("ledger reasons a list", edit(_set("ledger.0.dropped_docs", [1])), "ledger stage 'quality'"),
    ("totals null", edit(_set("totals", None)), "manifest field totals must be an object"),
    ("world null", edit(_set("world", None)), "manifest field world must be an object"),
    ("audit an object", edit(_set("audit", {})), "manifest field audit must be a list"),
    ("manifest_version a string", edit(_set("manifest_version", "2")), "manifest_version is '2'"),
    ("manifest_version from the future", edit(_set("manifest_version", 99)), "manifest_version is 99"),
    ("build_key null", edit(_set("build_key", None)), "manifest field build_key must be an object"),
    ("recipe a string", edit(_set("recipe", "x")), "manifest field recipe must be an object"),
    ("manifest hash missing", edit(_drop("manifest_sha256"), rehash=False), "manifest_sha256 says missing"),
    ("two problems at once", edit(_both(_set("shards.0.rows", "x"), _set("totals", None))), "shards[0].rows"),
]


def test_the_table_has_every_kind_of_damage() -> None:
    assert len(CASES) >= 31 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "damage", "needle"), CASES, ids=[c[0] for c in CASES])
def test_damage_is_caught_with_exit_1_and_a_message(tmp_path: Path, builds: dict[str, Path],
                                                     capsys: pytest.CaptureFixture[str], name: str,
                                                     damage: Callable[[Path, dict[str, Path]], None],
                                                     needle: str) -> None:
    out = tmp_path / "out"
    shutil.copytree(builds["ref"], out)
    assert verify(out).ok
    damage(out, builds)
    code = main(["verify", str(out)])
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert code == 1, text
    assert "violation(s)" in printed.out and "Traceback" not in text
    assert needle in text, text


@pytest.mark.slow
def test_a_real_process_prints_no_traceback(tmp_path: Path, builds: dict[str, Path]) -> None:
    field = "shards"
    out = tmp_path / "out"
    shutil.copytree(builds["ref"], out)
    edit(_set(field, "oops"))(out, builds)
    proc = subprocess.run([sys.executable, "-m", "mixlab", "verify", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr == "" and f"manifest field {field} must be" in proc.stdout
