"""From a recipe to a reproducible training set: sharded Parquet records plus a verified manifest.

:func:`build` runs the chain, one module per step:

1. :mod:`mixlab.recipe` — load and validate the recipe (sizes limited before any allocation);
2. :mod:`mixlab.plan` — the whole plan, computed once: world, filters, mixture, budget checks,
   sample, blended order, shard boundaries;
3. :mod:`mixlab.lock` and :mod:`mixlab.journal` — lock the folder, make sure every file in it is
   mixlab's and was built under the same key, journal each finished shard;
4. :mod:`mixlab.shards` through an executor (:mod:`mixlab.executors`) — write shard ``k`` as a
   pure function of its task, so any executor and worker count write the same bytes;
5. :mod:`mixlab.manifest` — audit samples, then ``manifest.json`` last; :func:`verify` checks it.

Durability, and what each flush buys:

* shards, audit files and journal entries are written atomically (temporary name, rename) but
  not fsynced one by one (an fsync costs several milliseconds per file, as much as encoding
  the shard);
* before the manifest is written, one :func:`mixlab.manifest.flush_to_disk` (``syncfs`` on
  Linux, else an fsync per file and folder) makes every listed shard and audit file durable,
  the reused ones included: a durable manifest implies durable shards;
* the manifest itself is fsynced before its rename (its name never points at partial data) and
  its folder after it (the rename, the build's commit point, survives a power cut).

A crash before the manifest can leave a renamed shard whose data did not reach the disk; no
manifest lists it (the previous one was moved into the journal), and a resumed build re-hashes
every shard before it reuses one, so such a shard is rewritten. Journal entries are advisory in
the same way: a lost or stale entry costs a rewrite, never a wrong byte.

An empty result (every document filtered out) is an error unless the recipe says
``budget.allow_empty = true``; then the build writes **one empty shard** (zero rows, the
record schema intact, so readers still see the columns) and a balanced ledger.

Every path is explicit (recipe path, output folder); nothing depends on the working directory
except relative paths given by the caller.

Used in: A.1 (build, verify, resume, lineage, audit sample).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from mixlab.executors import make_executor
from mixlab.journal import Journal, build_key, check_key, check_ownership, inspect_folder
from mixlab.lock import BuildLock, FolderLocked
from mixlab.manifest import (
    AUDIT_DIR,
    JOURNAL_DIR,
    MANIFEST_FORMAT,
    MANIFEST_VERSION,
    SHARD_DIR,
    atomic_write_bytes,
    file_sha256,
    flush_to_disk,
    is_temp_name,
    read_records,
    tree_digests,
    verify,
    write_manifest,
)
from mixlab.plan import BuildPlan, plan_build
from mixlab.recipe import (
    FILTERS,
    MIXERS,
    RECIPE_SCHEMA_VERSION,
    SUPPORTED_RECIPE_VERSIONS,
    Recipe,
    load_recipe,
    recipes_dir,
)
from mixlab.shards import PAUSE_ENV, ShardTask, write_shard

if TYPE_CHECKING:
    from tqdm.auto import tqdm

    from mixlab.executors import Executor
    from mixlab.journal import FolderState

__all__ = [
    "BuildResult",
    "build",
    # re-exported from the modules that define them (A.1 and older code import them from here)
    "RECIPE_SCHEMA_VERSION",
    "SUPPORTED_RECIPE_VERSIONS",
    "FILTERS",
    "MIXERS",
    "JOURNAL_DIR",
    "PAUSE_ENV",
    "Recipe",
    "load_recipe",
    "recipes_dir",
    "BuildPlan",
    "ShardTask",
    "plan_build",
    "write_shard",
    "make_executor",
    "verify",
    "read_records",
    "tree_digests",
    "FolderLocked",
]


@dataclass
class BuildResult:
    """What :func:`build` did.

    Attributes
    ----------
    out_dir : pathlib.Path
        The build folder.
    manifest : dict
        The manifest as written (with its hash).
    written : list of int
        Shards written by this call.
    reused : list of int
        Shards found complete and valid (resume) and left untouched.
    executor : str
        The executor's name.
    workers : int
        Its worker count.
    seconds : dict of str to float
        Wall time of ``plan``, ``shards`` (writing them), ``audit``, ``flush`` (making shards and
        audit files durable), ``finish`` (locking, checks, manifest) and ``total``.
    took_over_lock : str or None
        Whose stale lock this build took over (a killed build's), if any.

    Used in: the return value of :func:`build` (its ``summary()``, ``written`` and ``reused``).
    """

    out_dir: Path
    manifest: dict[str, Any]
    written: list[int] = field(default_factory=list)
    reused: list[int] = field(default_factory=list)
    executor: str = "serial"
    workers: int = 1
    seconds: dict[str, float] = field(default_factory=dict)
    took_over_lock: str | None = None

    @property
    def tokens(self) -> int:
        """Tokens in the built training set."""
        return int(self.manifest["totals"]["tokens"])

    def summary(self) -> dict[str, Any]:
        """What the build produced and did, as plain numbers that a notebook can print stably.

        No absolute paths, timings, executor or worker count, and no byte sizes (Parquet bytes
        depend on the pyarrow version): the same recipe gives the same summary on any machine
        and with any number of workers, except for ``written``/``reused``, which say what this
        call did (a resumed build reuses the shards that were already complete).

        Returns
        -------
        dict
            ``recipe`` (the recipe's name), ``records``, ``tokens``, ``shards`` (totals of the
            manifest), ``written`` and ``reused`` (numbers of shards written / reused by this
            call; the shard indices are in :attr:`written` and :attr:`reused`).

        Used in: A.1 (build, resume).
        """
        totals = self.manifest["totals"]
        return {
            "recipe": str(self.manifest.get("recipe", {}).get("name", "")),
            "records": int(totals["records"]),
            "tokens": int(totals["tokens"]),
            "shards": int(totals["shards"]),
            "written": len(self.written),
            "reused": len(self.reused),
        }

    def __repr__(self) -> str:
        t = self.manifest["totals"]
        return (f"BuildResult({self.out_dir}: {t['records']:,} records, {t['tokens']:,} tokens in {t['shards']} "
                f"shards; wrote {len(self.written)}, reused {len(self.reused)}; {self.executor} x{self.workers}, "
                f"{self.seconds.get('total', float('nan')):.2f} s)")


class _Tasks(Sequence[ShardTask]):
    """The shard tasks still to write, made one at a time as the executor asks (bounded memory)."""

    def __init__(self, plan: BuildPlan, out: Path, todo: list[int]) -> None:
        self.plan, self.out, self.todo = plan, out, todo

    def __len__(self) -> int:
        return len(self.todo)

    @overload
    def __getitem__(self, k: int) -> ShardTask: ...

    @overload
    def __getitem__(self, k: slice) -> list[ShardTask]: ...

    def __getitem__(self, k: int | slice) -> ShardTask | list[ShardTask]:
        if isinstance(k, slice):
            return [self.plan.task(i, self.out) for i in self.todo[k]]
        return self.plan.task(self.todo[k], self.out)


def _manifest(plan: BuildPlan, key: Mapping[str, Any], shards: list[dict[str, Any]],
              audits: list[dict[str, Any]]) -> dict[str, Any]:
    from mixlab.records import record_schema, writer_info

    rec = plan.recipe
    w = plan.mixture
    return {
        "format": MANIFEST_FORMAT,
        "manifest_version": MANIFEST_VERSION,
        "schema_version": rec.data["schema_version"],
        "mixlab_version": key["mixlab_version"],
        "build_key": dict(key),
        "writer": writer_info(),
        "record_schema": [{"name": f.name, "type": str(f.type)} for f in record_schema()],
        "recipe": rec.data,
        "recipe_sha256": rec.sha256,
        "world": plan.world_info,
        "mixture": None if w is None else w.to_dict(),
        "budget": {"tokens": rec.data["budget"]["tokens"], "max_epochs": rec.data["budget"]["max_epochs"]},
        "sources": plan.sources,
        "share_tolerance": {
            "rule": "per source: |achieved_share - target_weight| <= max(L_i, w_i * sum_j L_j) / S, with L_j the "
                    "longest selected document of source j (over sources with weight > 0) and S the total tokens: "
                    "sample_budget draws whole documents, so source i overshoots w_i * budget by less than L_i",
        },
        "epoch_cap": {"max_epochs": rec.data["budget"]["max_epochs"],
                      "rule": "epochs <= max_epochs + longest document / available tokens; "
                              "copies per document <= ceil(max_epochs)"},
        "ledger": [r.to_dict() for r in plan.pipeline.ledger] if plan.pipeline is not None else [],
        "totals": {"records": sum(e["rows"] for e in shards), "tokens": sum(e["tokens"] for e in shards),
                   "shards": len(shards), "bytes": sum(e["bytes"] for e in shards)},
        "shards": shards,
        "audit": audits,
    }


def _progress(total: int, progress: bool, desc: str) -> tqdm[Any]:
    from tqdm.auto import tqdm

    kwargs: dict[str, Any] = {"total": total, "desc": desc, "unit": "shard"}
    if not progress:
        kwargs["disable"] = True  # otherwise left unset so TQDM_DISABLE=1 still applies
    return tqdm(**kwargs)


def _shard_is_valid(out: Path, expected: Mapping[str, Any], recorded: Mapping[str, Any] | None) -> bool:
    if recorded is None:
        return False
    for k in ("path", "rows", "tokens", "first_record_id", "last_record_id"):
        if recorded.get(k) != expected[k]:
            return False
    p = out / expected["path"]
    return (p.is_file() and not p.is_symlink() and p.stat().st_size == recorded.get("bytes")
            and file_sha256(p) == recorded.get("sha256"))


def _remove_stale(state: FolderState, planned: set[str]) -> None:
    """Remove mixlab's own temporary files and shards outside the plan (never anything else)."""
    out = state.out
    for folder in (out, out / JOURNAL_DIR):
        if folder.is_dir():
            for name in os.listdir(folder):
                if is_temp_name(name) and (folder / name).is_file():
                    (folder / name).unlink()
    for rel in sorted(state.own):
        if (is_temp_name(Path(rel).name) or (rel.startswith(f"{SHARD_DIR}/") and rel not in planned)) \
                and (out / rel).is_file():
            (out / rel).unlink()


def _write_shards(plan: BuildPlan, state: FolderState, journal: Journal, ex: Executor, resume: bool,
                  progress: bool, key: Mapping[str, Any]) -> tuple[dict[int, dict[str, Any]], list[int]]:
    """Reuse every valid shard, write the others; return all entries and the indices written."""
    out = state.out
    expected = [plan.expected(i) for i in range(plan.n_shards)]
    recorded = state.recorded(key) if resume else {}
    entries: dict[int, dict[str, Any]] = {}
    todo: list[int] = []
    for e in expected:
        i = e["index"]
        if _shard_is_valid(out, e, recorded.get(i)):
            entries[i] = {**e, "bytes": recorded[i]["bytes"], "sha256": recorded[i]["sha256"]}
        else:
            todo.append(i)
    bar = _progress(len(todo), progress, f"build {plan.recipe.name}")
    try:
        for res in ex.map_unordered(write_shard, _Tasks(plan, out, todo)):
            i = res["index"]
            entry = {**expected[i], **{k: res[k] for k in ("bytes", "sha256")}}
            if (res["rows"], res["tokens"]) != (entry["rows"], entry["tokens"]):  # belt and braces
                raise RuntimeError(f"shard {i} wrote {res['rows']} rows / {res['tokens']} tokens, plan says "
                                   f"{entry['rows']} / {entry['tokens']}")
            entries[i] = entry
            journal.record(entry)
            bar.update(1)
    finally:
        bar.close()
    return entries, todo


def _write_audits(plan: BuildPlan, state: FolderState) -> list[dict[str, Any]]:
    """Write one audit sample per filter stage; remove mixlab's old audit files that are no longer listed."""
    from mixlab.records import encode_audit

    out = state.out
    audits, keep = [], set()
    frames = plan.audit_frames()
    if frames:
        (out / AUDIT_DIR).mkdir(exist_ok=True)
    for stage, df, n, thr in frames:
        data = encode_audit(df, metadata={"mixlab.recipe_sha256": plan.recipe.sha256, "mixlab.stage": stage})
        rel = f"{AUDIT_DIR}/{stage}.parquet"
        atomic_write_bytes(out / rel, data, sync="none")
        keep.add(rel)
        audits.append({"stage": stage, "path": rel, "rows": len(df), "n_per_side": n, "threshold": thr,
                       "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    for rel in sorted(state.own):
        if rel.startswith(f"{AUDIT_DIR}/") and rel not in keep and (out / rel).is_file():
            (out / rel).unlink()
    if (out / AUDIT_DIR).is_dir() and not any((out / AUDIT_DIR).iterdir()):
        (out / AUDIT_DIR).rmdir()
    return audits


def _run_locked(plan: BuildPlan, out: Path, ex: Executor, resume: bool,
                progress: bool) -> tuple[dict[str, Any], list[int], dict[str, float]]:
    """Everything that writes, under the folder's lock: the manifest, the shards written, phase times."""
    key = build_key(plan)
    state = inspect_folder(out)  # again, now that nobody else can change the folder under us
    check_ownership(state, plan.recipe.sha256)
    check_key(state, key, resume)
    journal = Journal(out)
    journal.start(key, state)
    _remove_stale(state, {plan.shard_path(i) for i in range(plan.n_shards)})
    (out / SHARD_DIR).mkdir(exist_ok=True)
    t0 = time.perf_counter()
    entries, written = _write_shards(plan, state, journal, ex, resume, progress, key)
    t1 = time.perf_counter()
    audits = _write_audits(plan, state)
    t2 = time.perf_counter()
    flush_to_disk(out, [out / e["path"] for e in [*entries.values(), *audits]])  # durable before the manifest
    t3 = time.perf_counter()
    manifest = write_manifest(out, _manifest(plan, key, [entries[i] for i in range(plan.n_shards)], audits))
    journal.finish()
    return manifest, written, {"shards": t1 - t0, "audit": t2 - t1, "flush": t3 - t2}


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False (got {value!r} of type {type(value).__name__})")
    return value


def build(
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    workers: int = 1,
    executor: str | Executor = "process",
    resume: bool = True,
    progress: bool = True,
) -> BuildResult:
    """Build the training set a recipe describes: Parquet shards, audit samples, ``manifest.json``.

    Parameters
    ----------
    recipe : Recipe, dict or path of a TOML/JSON file
        See :mod:`mixlab.recipe` for the format.
    out_dir : path-like
        Output folder (created if missing). Layout: ``manifest.json``, ``shards/part-NNNNN.parquet``,
        ``audit/<stage>.parquet``. It must be new, empty, or hold only this recipe's build.
    workers : int
        Worker processes for the ``process`` and ``dask`` executors (1 to 64, :data:`mixlab.executors.MAX_WORKERS`).
    executor : {"process", "serial", "dask"} or Executor
        How shard tasks run; the bytes written are identical for every choice.
    resume : bool
        Keep shards that already match their recorded sha256, the plan and the build key
        (default). With False every shard is rewritten (also the way to start over after the
        build key changed).
    progress : bool
        Show a tqdm bar (``TQDM_DISABLE=1`` still silences it).

    Returns
    -------
    BuildResult

    Raises
    ------
    ValueError
        Before any file is written: an invalid recipe or one over the size limits; ``out_dir``
        holding a different recipe's build (both hashes named), files mixlab did not write, or a
        build made under another build key while resuming (names what changed and how to start
        over); infeasible budget (says how many tokens are missing); mixture over the epoch cap;
        empty filter output without ``allow_empty``.
    FolderLocked
        At once, if another build holds the folder (names its pid).
    OSError
        Unreadable recipe or files, unwritable ``out_dir``, disk full: the message names the path.
    SchemaError
        If a record batch does not match the declared schema.

    Used in: A.1.
    """
    t0 = time.perf_counter()
    rec = load_recipe(recipe)
    if not isinstance(out_dir, str | os.PathLike):
        raise TypeError(f"out_dir must be a path (got {out_dir!r} of type {type(out_dir).__name__})")
    out = Path(out_dir)
    resume, progress = _check_flag(resume, "resume"), _check_flag(progress, "progress")
    ex = make_executor(executor, workers)
    lock = BuildLock(out)
    lock.check_not_held()  # fail fast, before the plan: another build holds the folder ...
    check_ownership(inspect_folder(out), rec.sha256)  # ... or it holds foreign files or another recipe
    plan = plan_build(rec)  # every "before any work" error is raised here, before anything is written
    t_plan = time.perf_counter()
    with lock:
        try:
            manifest, written, phases = _run_locked(plan, out, ex, resume, progress)
        finally:
            if lock.created and all(p.name == lock.path.name for p in out.iterdir()):
                lock.release()
                out.rmdir()  # a folder this call created and left empty
    t_end = time.perf_counter()
    return BuildResult(
        out_dir=out,
        manifest=manifest,
        written=sorted(written),
        reused=sorted(set(range(plan.n_shards)) - set(written)),
        executor=ex.name,
        workers=ex.workers,
        seconds={"plan": t_plan - t0, **phases, "finish": t_end - t_plan - sum(phases.values()), "total": t_end - t0},
        took_over_lock=lock.took_over,
    )
