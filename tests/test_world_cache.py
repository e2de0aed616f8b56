"""Tests for mixlab.world.cache: a cached world is the generated world, and a bad entry is never trusted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_world import _sha256

import mixlab
import mixlab.world.generate as generate_mod
from mixlab.world import World, generate_world, load_spec
from mixlab.world.cache import CACHE_ENV, cache_key, cache_path, load_cached, store

REPO = Path(__file__).resolve().parents[1]


def _no_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(spec: object, seed: int) -> World:
        raise AssertionError("the world was generated although a verified cache entry exists")

    monkeypatch.setattr(generate_mod, "_generate", refuse)


def test_cached_world_is_the_generated_world(tmp_path: Path, tiny: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first = generate_world("tiny", 0, cache_dir=tmp_path)
    assert _sha256(first) == _sha256(tiny)
    assert [p.name for p in tmp_path.iterdir()] == [cache_path(tmp_path, tiny.spec, 0).name]
    _no_generation(monkeypatch)
    again = generate_world("tiny", 0, cache_dir=tmp_path)
    assert _sha256(again) == _sha256(tiny)
    assert not again.train.tokens.flags.writeable and not again.process.stationary.flags.writeable
    np.testing.assert_allclose(again.process.entropy_rate(), tiny.process.entropy_rate(), rtol=0, atol=0)
    assert again.summary().equals(tiny.summary())


def test_key_covers_contents_seed_and_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    before_version = mixlab.__version__
    spec = load_spec("tiny")
    by_path = load_spec(spec._source)
    renamed_file_same_contents = spec.with_overrides({"domains.web.docs": spec.domain("web").docs})
    assert cache_key(spec, 0) == cache_key(by_path, 0) == cache_key(renamed_file_same_contents, 0)
    keys = {
        cache_key(spec, 0),
        cache_key(spec, 1),
        cache_key(spec.with_overrides({"process.floor": 0.03}), 0),
        cache_key(spec.with_overrides({"domains.web.docs": 161}), 0),
    }
    assert len(keys) == 4
    before = cache_key(spec, 0)
    monkeypatch.setattr(generate_mod, "GENERATOR_VERSION", 2)
    assert cache_key(spec, 0) != before
    monkeypatch.setattr(generate_mod, "GENERATOR_VERSION", 1)
    monkeypatch.setattr(mixlab, "__version__", "99.0")
    assert cache_key(spec, 0) != before
    monkeypatch.setattr(mixlab, "__version__", before_version)
    assert cache_key(spec, 0) == before


def test_key_covers_the_generating_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Editing a generator module without bumping GENERATOR_VERSION still changes every key."""
    import mixlab.world.cache as cache_mod

    spec = load_spec("tiny")
    before = cache_key(spec, 0)
    package = Path(mixlab.__file__).resolve().parent
    fake = tmp_path / "mixlab"
    for rel in cache_mod.GENERATOR_SOURCES:
        (fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (fake / rel).write_bytes((package / rel).read_bytes())
    (fake / "world" / "sampler.py").write_bytes((package / "world" / "sampler.py").read_bytes() + b"# edited\n")
    with monkeypatch.context() as patch:
        patch.setattr(cache_mod, "__file__", str(fake / "world" / "cache.py"))
        cache_mod.generator_source_digest.cache_clear()
        try:
            assert cache_key(spec, 0) != before
        finally:
            cache_mod.generator_source_digest.cache_clear()
    assert cache_key(spec, 0) == before


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "foreign"])
def test_damaged_entries_are_regenerated(tmp_path: Path, tiny: World, damage: str) -> None:
    path = store(tmp_path, tiny)
    assert path == cache_path(tmp_path, tiny.spec, 0)
    blob = path.read_bytes()
    if damage == "flip":
        path.write_bytes(blob[:1000] + bytes([blob[1000] ^ 1]) + blob[1001:])
    elif damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a valid entry of another key under this key's name
        path.write_bytes(store(tmp_path / "other", generate_world("tiny", 1)).read_bytes())
    assert load_cached(path, tiny.spec, 0) is None
    world = generate_world("tiny", 0, cache_dir=tmp_path)
    assert _sha256(world) == _sha256(tiny)
    assert load_cached(path, tiny.spec, 0) is not None  # rewritten, intact


def test_environment_variable_enables_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "")
    generate_world("tiny", 2)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    generate_world("tiny", 2)
    assert len(list((tmp_path / "cache").glob("world-*.npz"))) == 1


def test_unwritable_cache_warns_and_still_returns_the_world(tmp_path: Path, tiny: World) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="world cache .*not-a-folder: cannot write"):
        world = generate_world("tiny", 0, cache_dir=blocker)
    assert _sha256(world) == _sha256(tiny)


@pytest.mark.slow
def test_concurrent_processes_share_one_key_safely(tmp_path: Path, tiny: World) -> None:
    code = (
        "import sys; from mixlab.world import generate_world; "
        "w = generate_world('tiny', 0, cache_dir=sys.argv[1]); print(int(w.train.tokens.astype('int64').sum()))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(4)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert set(outs) == {str(int(tiny.train.tokens.astype(np.int64).sum()))}
    assert [p.name for p in tmp_path.iterdir()] == [cache_path(tmp_path, tiny.spec, 0).name]  # no temporary left
    assert _sha256(load_cached(cache_path(tmp_path, tiny.spec, 0), tiny.spec, 0)) == _sha256(tiny)  # type: ignore[arg-type]
