"""An explicit, verified on-disk cache of generated worlds.

Generating the default world costs a few tenths of a second; reading it back costs a few
hundredths. The cache is off unless asked for: pass ``cache_dir=`` to
:func:`mixlab.world.generate_world`, or set the environment variable ``MIXLAB_WORLD_CACHE`` to a
folder (e.g. for a whole course run).

Safety:

* **Keyed by everything that determines the bytes**: the spec's contents (canonical JSON of
  :meth:`WorldSpec.to_dict`, not its name or path), the seed, :data:`GENERATOR_VERSION`, the mixlab
  version, the numpy version (its random streams) and a digest of the generating code itself
  (:func:`generator_source_digest`), so that editing the generator without bumping
  :data:`GENERATOR_VERSION` cannot serve a stale world. A change to any of them is a different file.
* **Atomic writes**: each entry is written to a unique temporary file in the cache folder,
  flushed to disk, then renamed over its final name, so a reader never sees half a file and
  concurrent writers of the same key simply replace one identical file with another.
* **Verified on read**: a file ends with the SHA-256 digest of everything before it and repeats
  its key inside; a file that is truncated, altered or from another key is ignored (the world is
  regenerated and the entry rewritten), never trusted.

Used in: every notebook, when a course run sets ``MIXLAB_WORLD_CACHE`` (the world is the same, only faster).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mixlab.world.generate import World
    from mixlab.world.spec import WorldSpec

__all__ = [
    "CACHE_ENV", "GENERATOR_SOURCES", "generator_source_digest", "cache_key", "cache_path", "load_cached", "store",
    "cached_or_generated",
]

#: Environment variable naming the cache folder (unset or empty: no caching).
CACHE_ENV = "MIXLAB_WORLD_CACHE"
_DIGEST = 32  # bytes of the trailing SHA-256
_CORPUS_COLUMNS = ("start", "n_tokens", "n_bytes", "quality")
_PROCESS_ARRAYS = ("specificity", "support", "weights", "junk_support", "junk_weights", "junk_start", "stationary")


#: The modules whose code decides a generated world's bytes (relative to the mixlab package).
GENERATOR_SOURCES: tuple[str, ...] = (
    "world/spec.py", "world/process.py", "world/sampler.py", "world/fast_sampler.py", "world/generate.py",
    "corpus.py", "hashing.py", "text.py", "validation.py", "config.py",
)


@functools.cache
def generator_source_digest() -> str:
    """SHA-256 over the source of every module in :data:`GENERATOR_SOURCES` (part of each cache key).

    Returns
    -------
    str
        64 hex digits; computed once per process.

    Used in: no lesson calls it by name (:func:`cache_key`).
    """
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for rel in GENERATOR_SOURCES:
        h.update(rel.encode("utf-8") + b"\0" + (root / rel).read_bytes() + b"\0")
    return h.hexdigest()


def cache_key(spec: WorldSpec, seed: int) -> str:
    """The hex key of a world: SHA-256 over the spec's contents, the seed and every version involved.

    Parameters
    ----------
    spec : WorldSpec
    seed : int

    Returns
    -------
    str
        64 hex digits.

    Used in: no lesson calls it by name.
    """
    import mixlab
    from mixlab.world.generate import GENERATOR_VERSION

    material = {
        "spec": spec.to_dict(),
        "seed": int(seed),
        "generator_version": GENERATOR_VERSION,
        "mixlab": mixlab.__version__,
        "numpy": np.__version__,
        "generator_source": generator_source_digest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


def cache_path(cache_dir: str | Path, spec: WorldSpec, seed: int) -> Path:
    """Where the world of ``spec`` and ``seed`` is stored under ``cache_dir``.

    Parameters
    ----------
    cache_dir : str or pathlib.Path
    spec : WorldSpec
    seed : int

    Returns
    -------
    pathlib.Path

    Used in: no lesson calls it by name.
    """
    return Path(cache_dir) / f"world-{cache_key(spec, seed)}.npz"


def _arrays(world: World, key: str) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"key": np.frombuffer(key.encode("ascii"), dtype=np.uint8)}
    for name, corpus in (("train", world.train), ("validation", world.validation)):
        out[f"{name}.tokens"] = corpus.tokens
        out[f"{name}.codes"] = corpus.domain_codes()
        for col in _CORPUS_COLUMNS:
            out[f"{name}.{col}"] = corpus.docs[col].to_numpy()
    for col in world.truth.columns:
        out[f"truth.{col}"] = world.truth[col].to_numpy()
    for name in _PROCESS_ARRAYS:
        out[f"process.{name}"] = np.asarray(getattr(world.process, name))
    return out


def store(cache_dir: str | Path, world: World) -> Path:
    """Write ``world`` into ``cache_dir`` atomically (temporary file, flush, fsync, rename).

    The entry's name and the key written inside it both come from the world's own spec and seed.

    Parameters
    ----------
    cache_dir : str or pathlib.Path
        The cache folder (created if needed).
    world : World

    Returns
    -------
    pathlib.Path
        The entry written (see :func:`cache_path`).

    Raises
    ------
    OSError
        If the folder cannot be created or written (the temporary file is removed).

    Used in: no lesson calls it by name.
    """
    key = cache_key(world.spec, world.seed)
    path = Path(cache_dir) / f"world-{key}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **_arrays(world, key))
    payload = buf.getvalue()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.write(hashlib.sha256(payload).digest())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_cached(path: str | Path, spec: WorldSpec, seed: int) -> World | None:
    """The world stored at ``path`` if the entry is complete, intact and of this key; else None.

    Parameters
    ----------
    path : str or pathlib.Path
    spec : WorldSpec
    seed : int

    Returns
    -------
    World or None
        None for a missing, unreadable, truncated, altered or foreign entry.

    Used in: no lesson calls it by name.
    """
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    payload, digest = blob[:-_DIGEST], blob[-_DIGEST:]
    if len(blob) <= _DIGEST or hashlib.sha256(payload).digest() != digest:
        return None
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, KeyError):
        return None
    if bytes(arrays.get("key", np.zeros(0, np.uint8))).decode("ascii", "replace") != cache_key(spec, seed):
        return None
    return _world_from(arrays, spec, seed)


def _world_from(arrays: dict[str, np.ndarray], spec: WorldSpec, seed: int) -> World:
    import pandas as pd

    from mixlab.world.generate import World, _corpus_from_columns, _ids
    from mixlab.world.process import MarkovProcess

    corpora = []
    for name, infix, count in (("train", "", "docs"), ("validation", "val-", "validation_docs")):
        ids = np.concatenate([_ids(d.name, getattr(d, count), infix) for d in spec.domains])
        cols = {col: arrays[f"{name}.{col}"] for col in _CORPUS_COLUMNS}
        tokens = arrays[f"{name}.tokens"]
        tokens.setflags(write=False)
        corpora.append(_corpus_from_columns(spec.domain_names, spec.vocab_size, ids, arrays[f"{name}.codes"],
                                            cols, tokens))
    truth = pd.DataFrame({col.removeprefix("truth."): arrays[col] for col in arrays if col.startswith("truth.")})
    parts = {name: arrays[f"process.{name}"] for name in _PROCESS_ARRAYS}
    for arr in parts.values():
        arr.setflags(write=False)
    process = MarkovProcess(domains=spec.domain_names, vocab_size=spec.vocab_size,
                            uniform_mix=spec.process.uniform_mix, **parts)
    return World(spec, seed, corpora[0], corpora[1], truth, process, spec.vocab_size)


def cached_or_generated(
    spec: WorldSpec, seed: int, cache_dir: str | Path | None, generate: Callable[[WorldSpec, int], World]
) -> World:
    """Read the world from the cache folder if it holds a verified entry; else generate and store it.

    Parameters
    ----------
    spec : WorldSpec
    seed : int
    cache_dir : str, pathlib.Path or None
        The cache folder; None falls back to :data:`CACHE_ENV` (unset or empty: no cache).
    generate : callable
        ``generate(spec, seed) -> World``, called on a miss.

    Returns
    -------
    World
        The same world either way. A cache that cannot be written only warns.

    Used in: no lesson calls it by name.
    """
    folder = cache_dir if cache_dir is not None else os.environ.get(CACHE_ENV, "")
    if not folder:
        return generate(spec, seed)
    path = cache_path(folder, spec, seed)
    world = load_cached(path, spec, seed)
    if world is not None:
        return world
    world = generate(spec, seed)
    try:
        store(folder, world)
    except OSError as exc:
        warnings.warn(f"world cache {folder}: cannot write {path.name} ({exc}); continuing without it", stacklevel=3)
    return world
