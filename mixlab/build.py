"""From a recipe to a reproducible training set: sharded Parquet records plus a verified manifest.

A **recipe** (TOML file or dict) names everything a build depends on::

    schema_version = 1
    name = "tiny-demo"
    seed = 7                          # sampling and audit seed

    [world]
    preset = "tiny"                   # or: spec = { ... }  (an inline world spec)
    seed = 0
    scale = 1.0                       # optional: WorldSpec.scaled(scale)

    [[filters]]                       # run in order; `stage` defaults to the filter name
    name = "quality"
    threshold = 0.3
    [[filters]]
    name = "dedup"

    [mixture]                         # explicit weights ...
    weights = { web = 0.4, books = 0.1, code = 0.15, math = 0.1, wiki = 0.15, forum = 0.1 }
    # ... or a named mixer:  mixer = "temperature"  params = { T = 2.0 }

    [budget]
    tokens = 40000
    max_epochs = 4.0

    [shards]
    max_records = 64                  # and/or max_tokens = 8192

    [audit]
    n_per_side = 4

:func:`build` generates the world, runs the filters (ledger), makes the mixture, checks the
budget, samples with :func:`mixlab.sampling.sample_budget`, interleaves the sources with
:func:`mixlab.sampling.blended_index` and cuts the blended order into shards. That *plan* is
computed once, up front; writing shard ``k`` is then a pure function of its task, so any
executor and any worker count write the same bytes. Every file is written atomically; a
journal records finished shards, so :func:`build` with ``resume=True`` after a crash rewrites
only shards that are missing or do not match their recorded hash. ``manifest.json`` is written
last; :func:`mixlab.manifest.verify` checks it.

An empty result (every document filtered out) is an error unless the recipe says
``budget.allow_empty = true``; then the build writes **one empty shard** (zero rows, the
record schema intact, so readers still see the columns) and a balanced ledger.

Used in: A.1 (build, verify, resume, lineage, audit sample).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mixlab.manifest import (
    JOURNAL_DIR,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MANIFEST_VERSION,
    PARQUET_SETTINGS,
    TMP_SUFFIX,
    atomic_write_bytes,
    canonical_json,
    encode_shard,
    file_sha256,
    json_sha256,
    read_manifest,
    record_schema,
    verify,
    write_manifest,
)

if TYPE_CHECKING:
    import pandas as pd

    from mixlab.corpus import Corpus
    from mixlab.executors import Executor
    from mixlab.filters import FilterResult, PipelineResult
    from mixlab.mixture import Mixture

__all__ = [
    "RECIPE_SCHEMA_VERSION",
    "SUPPORTED_RECIPE_VERSIONS",
    "FILTERS",
    "MIXERS",
    "Recipe",
    "load_recipe",
    "BuildPlan",
    "ShardTask",
    "plan_build",
    "write_shard",
    "BuildResult",
    "build",
    "recipes_dir",
    "register_cli",
]

#: The recipe format this module writes and reads.
RECIPE_SCHEMA_VERSION = 1
SUPPORTED_RECIPE_VERSIONS: tuple[int, ...] = (1,)

#: Filter names a recipe may use, with the parameter that is the audit threshold.
FILTERS: dict[str, str | None] = {"quality": "threshold", "length": "min_tokens", "junk": "max_repetition",
                                  "dedup": None}
#: Named mixers a recipe may use (see :mod:`mixlab.mixers`).
MIXERS: tuple[str, ...] = ("uniform_by_document", "uniform_by_token", "proportional", "temperature", "unimax")

SHARD_DIR = "shards"
AUDIT_DIR = "audit"
#: Test hook: ``"<shard>:<seconds>:<pidfile>"`` makes the worker writing that shard write its pid
#: to ``pidfile`` and sleep after half of its temporary file is on disk (fault-injection tests only).
PAUSE_ENV = "MIXLAB_BUILD_TEST_PAUSE"


# =========================================================================== recipe
def _fail(path: str, condition: str, value: Any) -> ValueError:
    return ValueError(f"recipe {path} must {condition} (got {value!r})")


def _table(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"recipe {path} must be a table (got {type(value).__name__})")
    return dict(value)


def _keys(tab: Mapping[str, Any], path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(tab) - set(allowed))
    if unknown:
        raise ValueError(f"unknown key(s) in recipe {path}: {', '.join(unknown)} (allowed: {', '.join(allowed)})")
    missing = [k for k in required if k not in tab]
    if missing:
        raise ValueError(f"missing key(s) in recipe {path}: {', '.join(missing)}")


def _int(value: Any, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"recipe {path} must be an integer (got {value!r})")
    if value < minimum:
        raise _fail(path, f"be >= {minimum}", value)
    return int(value)


def _num(value: Any, path: str, *, positive: bool = True, allow_inf: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"recipe {path} must be a number (got {value!r})")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise _fail(path, "be finite", value)
    if positive and v <= 0:
        raise _fail(path, "be > 0", value)
    return v


def _normalize(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a raw recipe and return it with every default filled in (the hashed form)."""
    tab = _table(data, "(top level)")
    version = tab.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in SUPPORTED_RECIPE_VERSIONS:
        raise ValueError(
            f"recipe schema_version {version!r} is not supported by this mixlab "
            f"(supported: {', '.join(map(str, SUPPORTED_RECIPE_VERSIONS))})"
        )
    _keys(tab, "(top level)", ("schema_version", "name", "seed", "world", "filters", "mixture", "budget", "shards",
                               "audit"), ("world", "mixture", "budget"))
    name = tab.get("name", "recipe")
    if not isinstance(name, str) or not name.strip():
        raise _fail("name", "be a non-empty string", name)
    seed = _int(tab.get("seed", 0), "seed", 0)

    world = _table(tab["world"], "world")
    _keys(world, "world", ("preset", "spec", "seed", "scale"))
    if ("preset" in world) == ("spec" in world):
        raise ValueError("recipe world must give exactly one of 'preset' (a name) or 'spec' (an inline world spec)")
    w_out: dict[str, Any] = {"seed": _int(world.get("seed", 0), "world.seed", 0),
                             "scale": _num(world.get("scale", 1.0), "world.scale")}
    if "preset" in world:
        if not isinstance(world["preset"], str) or not world["preset"]:
            raise _fail("world.preset", "be a preset name", world["preset"])
        w_out["preset"] = world["preset"]
    else:
        w_out["spec"] = _table(world["spec"], "world.spec")

    raw_filters = tab.get("filters", [])
    if not isinstance(raw_filters, list):
        raise TypeError(f"recipe filters must be a list of tables (got {type(raw_filters).__name__})")
    filters = []
    for i, f in enumerate(raw_filters):
        ft = _table(f, f"filters[{i}]")
        fname = ft.pop("name", None)
        if fname not in FILTERS:
            raise ValueError(f"recipe filters[{i}].name must be one of {', '.join(FILTERS)} (got {fname!r})")
        stage = ft.pop("stage", fname)
        params = _table(ft.pop("params", {}), f"filters[{i}].params")
        params.update(ft)
        filters.append({"name": fname, "stage": stage, "params": params})
    stages = [f["stage"] for f in filters]
    if len(set(stages)) != len(stages):
        raise ValueError(f"recipe filter stages must be unique (got {stages}); set `stage` to tell repeats apart")

    mix = _table(tab["mixture"], "mixture")
    _keys(mix, "mixture", ("weights", "kind", "provenance", "rationale", "mixer", "params"))
    if ("weights" in mix) == ("mixer" in mix):
        raise ValueError("recipe mixture must give exactly one of 'weights' or 'mixer'")
    if "weights" in mix:
        weights = _table(mix["weights"], "mixture.weights")
        m_out: dict[str, Any] = {"weights": {str(k): _num(v, f"mixture.weights.{k}", positive=False)
                                             for k, v in weights.items()},
                                 "kind": mix.get("kind", "token"),
                                 "provenance": _table(mix.get("provenance", {}), "mixture.provenance")}
        if m_out["kind"] not in ("token", "document"):
            raise _fail("mixture.kind", "be 'token' or 'document'", m_out["kind"])
        if "rationale" in mix:
            m_out["rationale"] = str(mix["rationale"])
    else:
        if mix["mixer"] not in MIXERS:
            raise ValueError(f"recipe mixture.mixer must be one of {', '.join(MIXERS)} (got {mix['mixer']!r})")
        extra = sorted(set(mix) - {"mixer", "params"})
        if extra:
            raise ValueError(f"recipe mixture with a mixer takes only 'mixer' and 'params' (also got {extra})")
        m_out = {"mixer": mix["mixer"], "params": _table(mix.get("params", {}), "mixture.params")}

    bud = _table(tab["budget"], "budget")
    _keys(bud, "budget", ("tokens", "max_epochs", "allow_empty"), ("tokens",))
    allow_empty = bud.get("allow_empty", False)
    if not isinstance(allow_empty, bool):
        raise _fail("budget.allow_empty", "be true or false", allow_empty)
    b_out = {"tokens": _int(bud["tokens"], "budget.tokens", 1),
             "max_epochs": _num(bud.get("max_epochs", 4.0), "budget.max_epochs", allow_inf=True),
             "allow_empty": allow_empty}
    if math.isinf(b_out["max_epochs"]):
        raise _fail("budget.max_epochs", "be finite (state the repetition cap)", b_out["max_epochs"])

    sh = _table(tab.get("shards", {}), "shards")
    _keys(sh, "shards", ("max_records", "max_tokens"))
    s_out = {"max_records": _int(sh.get("max_records", 10_000), "shards.max_records", 1),
             "max_tokens": None if sh.get("max_tokens") is None else _int(sh["max_tokens"], "shards.max_tokens", 1)}
    au = _table(tab.get("audit", {}), "audit")
    _keys(au, "audit", ("n_per_side",))
    a_out = {"n_per_side": _int(au.get("n_per_side", 5), "audit.n_per_side", 0)}
    out = {"schema_version": version, "name": name, "seed": seed, "world": w_out, "filters": filters,
           "mixture": m_out, "budget": b_out, "shards": s_out, "audit": a_out}
    canonical_json(out)  # fail early on NaN or non-JSON values
    return out


@dataclass(frozen=True)
class Recipe:
    """A validated build recipe (every default filled in) and its hash.

    Attributes
    ----------
    data : dict
        The normalized recipe (what is hashed and stored in the manifest).
    sha256 : str
        sha256 of the canonical JSON of ``data``.
    source : str
        Where it came from (a path or ``"<dict>"``), for messages.

    Used in: A.1.
    """

    data: dict[str, Any]
    sha256: str
    source: str = "<dict>"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Recipe:
        """Validate a raw recipe (as parsed from TOML or JSON).

        Raises
        ------
        ValueError, TypeError
            Unsupported ``schema_version`` (names the supported versions), unknown or missing
            keys, bad values (naming the key path).
        """
        norm = _normalize(data)
        return cls(norm, json_sha256(norm), source)

    @property
    def name(self) -> str:
        """The recipe's name."""
        return str(self.data["name"])


def load_recipe(recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str]) -> Recipe:
    """A :class:`Recipe` from a Recipe, a dict, or the path of a TOML (or JSON) file.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError, TypeError
        If the file does not parse or the recipe is invalid (see :meth:`Recipe.from_dict`).

    Used in: A.1.
    """
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, Mapping):
        return Recipe.from_dict(recipe)
    if not isinstance(recipe, str | os.PathLike):
        raise TypeError(f"recipe must be a dict, a Recipe or a path (got {type(recipe).__name__})")
    path = Path(recipe)
    if not path.is_file():
        raise FileNotFoundError(f"recipe file not found: {path}")
    if path.suffix == ".json":
        import json

        data = json.loads(path.read_text(encoding="utf-8"))
    else:
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"recipe {path} is not valid TOML: {exc}") from exc
    return Recipe.from_dict(data, source=str(path))


# =========================================================================== plan
@dataclass(frozen=True)
class ShardTask:
    """Everything needed to write one shard: a pure input, so the output bytes depend on nothing else.

    Attributes
    ----------
    index : int
    path : str
        Absolute destination path.
    position0 : int
        Global position of the shard's first record in the blended order.
    doc_ids, domains : numpy.ndarray
        Object arrays (source document id and domain of every record).
    copy_index : numpy.ndarray
        int32.
    offsets : numpy.ndarray
        int64, ``len(records) + 1``; record j's tokens are ``tokens[offsets[j]:offsets[j+1]]``.
    tokens : numpy.ndarray
        int32, the shard's tokens back to back.
    metadata : dict of str to str
        Stored in the Parquet schema metadata (recipe hash, shard index).

    Used in: A.1.
    """

    index: int
    path: str
    position0: int
    doc_ids: np.ndarray
    domains: np.ndarray
    copy_index: np.ndarray
    offsets: np.ndarray
    tokens: np.ndarray
    metadata: dict[str, str]

    @property
    def rows(self) -> int:
        """Records in the shard."""
        return len(self.doc_ids)

    @property
    def n_tokens(self) -> int:
        """Tokens in the shard."""
        return int(self.offsets[-1])

    def record_ids(self) -> np.ndarray:
        """``"<doc_id>#<copy_index>"`` per record (object array)."""
        if not self.rows:
            return np.zeros(0, dtype=object)
        return np.char.add(np.char.add(self.doc_ids.astype(str), "#"), self.copy_index.astype(str)).astype(object)


@dataclass(frozen=True, eq=False)
class BuildPlan:
    """The deterministic plan of a build, computed once before anything is written.

    Attributes
    ----------
    recipe : Recipe
    world_info : dict
        World name, seed, spec hash, training docs/tokens.
    pipeline : PipelineResult or None
        The filter run (None when the recipe has no filters).
    input_corpus : Corpus
        The world's training corpus (before filters).
    kept : Corpus
        What survived the filters (what is sampled).
    mixture : Mixture or None
        The token-kind target mixture (None for an empty build made by a named mixer).
    rows, copy_index : numpy.ndarray
        Per record in blended order: row of ``kept`` and copy number.
    bounds : numpy.ndarray
        Shard boundaries into the blended order (``len = shards + 1``).
    sources : dict
        Per-domain accounting for the manifest.

    Used in: A.1.
    """

    recipe: Recipe
    world_info: dict[str, Any]
    pipeline: PipelineResult | None
    input_corpus: Corpus
    kept: Corpus
    mixture: Mixture | None
    rows: np.ndarray
    copy_index: np.ndarray
    bounds: np.ndarray
    sources: dict[str, dict[str, Any]]

    @property
    def n_shards(self) -> int:
        """Number of shards."""
        return len(self.bounds) - 1

    def shard_path(self, i: int) -> str:
        """Relative path of shard ``i`` (``shards/part-00000.parquet``)."""
        return f"{SHARD_DIR}/part-{i:05d}.parquet"

    def task(self, i: int, out_dir: Path) -> ShardTask:
        """The pure input of shard ``i`` (its records, tokens and destination)."""
        a, b = int(self.bounds[i]), int(self.bounds[i + 1])
        rows = self.rows[a:b]
        docs = self.kept.docs
        tokens, offsets = self.kept.concatenated_tokens(rows)
        return ShardTask(
            index=i,
            path=str(out_dir / self.shard_path(i)),
            position0=a,
            doc_ids=docs["doc_id"].to_numpy(dtype=object)[rows],
            domains=np.asarray(self.kept.domains, dtype=object)[self.kept.domain_codes()[rows]],
            copy_index=self.copy_index[a:b].astype(np.int32),
            offsets=offsets,
            tokens=tokens.astype(np.int32, copy=False),
            metadata={"mixlab.recipe_sha256": self.recipe.sha256, "mixlab.shard_index": str(i)},
        )

    def lineage(self, doc_id: str) -> Any:
        """Which filter stage dropped ``doc_id`` and why, or that it passed every stage.

        Returns
        -------
        mixlab.ledger.LineageRecord

        Raises
        ------
        KeyError
            If ``doc_id`` is not a training document of the world.
        ValueError
            If the recipe has no filters (nothing to trace).

        Used in: A.1 (query lineage).
        """
        from mixlab.ledger import lineage

        if self.pipeline is None:
            raise ValueError("the recipe has no filters, so every document was offered to the sampler")
        return lineage(self.pipeline.decisions_by_stage(), doc_id)

    def expected(self, i: int) -> dict[str, Any]:
        """What the plan promises about shard ``i``: path, rows, tokens, first/last record id."""
        a, b = int(self.bounds[i]), int(self.bounds[i + 1])
        lens = self.kept.docs["n_tokens"].to_numpy(dtype=np.int64)[self.rows[a:b]]
        ids = self.kept.docs["doc_id"].to_numpy(dtype=object)
        first = f"{ids[self.rows[a]]}#{int(self.copy_index[a])}" if b > a else None
        last = f"{ids[self.rows[b - 1]]}#{int(self.copy_index[b - 1])}" if b > a else None
        return {"index": i, "path": self.shard_path(i), "rows": b - a, "tokens": int(lens.sum()),
                "first_record_id": first, "last_record_id": last}


def _make_world(recipe: Recipe) -> Any:
    from mixlab.world import WorldSpec, generate_world, load_spec

    w = recipe.data["world"]
    spec = load_spec(w["preset"]) if "preset" in w else WorldSpec.from_dict(w["spec"], source="recipe world.spec")
    if w["scale"] != 1.0:
        spec = spec.scaled(w["scale"])
    return generate_world(spec, w["seed"]), spec


def _run_filters(recipe: Recipe, corpus: Corpus) -> PipelineResult | None:
    from mixlab import filters as F

    fns: dict[str, Callable[..., FilterResult]] = {
        "quality": F.quality_filter, "length": F.length_filter, "junk": F.junk_filter, "dedup": F.dedup_filter,
    }
    stages: list[tuple[str, Callable[..., FilterResult], Mapping[str, Any]]] = [
        (str(f["stage"]), fns[f["name"]], f["params"]) for f in recipe.data["filters"]
    ]
    if not stages:
        return None
    try:
        return F.run_pipeline(corpus, stages)
    except TypeError as exc:
        raise TypeError(f"recipe filters: {exc} (check each filter's parameters)") from exc


def _counts(corpus: Corpus) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({"docs": corpus.doc_counts(), "tokens": corpus.token_counts()})


def _make_mixture(recipe: Recipe, counts: pd.DataFrame) -> Mixture:
    from mixlab import mixers
    from mixlab.mixture import Mixture

    m = recipe.data["mixture"]
    domains = list(counts.index)
    if "weights" in m:
        prov = dict(m["provenance"]) or {"mixer": "recipe_weights", "params": {}}
        if "rationale" in m:
            prov.setdefault("rationale", m["rationale"])
        mix = Mixture(m["weights"], domains=domains, kind=m["kind"], provenance=prov)
    else:
        params = dict(m["params"])
        if m["mixer"] == "unimax":
            params.setdefault("budget", recipe.data["budget"]["tokens"])
            params.setdefault("max_epochs", recipe.data["budget"]["max_epochs"])
        try:
            mix = getattr(mixers, m["mixer"])(counts, **params)
        except TypeError as exc:
            raise TypeError(f"recipe mixture: mixer {m['mixer']!r} rejected params {params}: {exc}") from exc
    if mix.kind == "document":
        mix = mix.to_tokens(counts)
    return mix


def _blend(n_per_source: np.ndarray) -> np.ndarray:
    """Blended order over sources with exactly ``n_per_source[j]`` items each (global item index).

    Uses :func:`mixlab.sampling.blended_index` with shares ``n_j / N`` and keeps each source's
    first ``n_j`` events, so every prefix stays close to the shares and the order is deterministic.
    """
    from mixlab.sampling import blended_index

    n = n_per_source.astype(np.int64)
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    w = n / total
    offs = np.concatenate([[0], np.cumsum(n)])
    extra = len(n) + 2
    while True:  # a couple of rounds at most: extend until every source has delivered n_j items
        source, within = blended_index(w, total + extra)
        source = source.astype(np.int64)
        keep = within < n[source]
        if int(keep.sum()) >= total:
            source, within = source[keep][:total], within[keep][:total]
            return offs[source] + within
        extra *= 2


def _copy_numbers(rows: np.ndarray) -> np.ndarray:
    """How many times each row already occurred earlier in ``rows`` (0 for a first use)."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    start = np.ones(len(r), dtype=bool)
    start[1:] = r[1:] != r[:-1]
    idx = np.arange(len(r))
    rank = idx - np.maximum.accumulate(np.where(start, idx, 0))
    out = np.empty(len(rows), dtype=np.int64)
    out[order] = rank
    return out


def _shard_bounds(lengths: np.ndarray, max_records: int, max_tokens: int | None) -> np.ndarray:
    """Greedy shard boundaries: at most ``max_records`` records and ``max_tokens`` tokens per shard.

    A single record longer than ``max_tokens`` gets a shard of its own. An empty plan gets one
    empty shard (bounds ``[0, 0]``).
    """
    n = len(lengths)
    if n == 0:
        return np.array([0, 0], dtype=np.int64)
    cum = np.concatenate([[0], np.cumsum(lengths.astype(np.int64))])
    bounds = [0]
    start = 0
    while start < n:  # loop over shards, not records
        end = min(start + max_records, n)
        if max_tokens is not None:
            fit = int(np.searchsorted(cum, cum[start] + max_tokens, side="right")) - 1
            end = min(end, max(fit, start + 1))
        bounds.append(end)
        start = end
    return np.asarray(bounds, dtype=np.int64)


def plan_build(recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str]) -> BuildPlan:
    """Compute the whole build plan: world, filters, mixture, feasibility, sample, order, shards.

    Parameters
    ----------
    recipe : Recipe, dict or path

    Returns
    -------
    BuildPlan

    Raises
    ------
    ValueError
        Unsupported recipe version; filters that keep nothing (unless ``budget.allow_empty``);
        an infeasible budget (``"infeasible: ... needs N more"`` tokens); a mixture that breaks
        the epoch cap (naming the domains); a weight on a domain with no documents left.
    TypeError
        Bad filter or mixer parameters.

    Used in: A.1.
    """
    from mixlab.budget import check_feasible, check_within_caps
    from mixlab.sampling import sample_budget

    rec = load_recipe(recipe)
    world, spec = _make_world(rec)
    train = world.train
    pipeline = _run_filters(rec, train)
    kept = pipeline.kept if pipeline is not None else train
    counts = _counts(kept)
    budget = rec.data["budget"]
    B, E = budget["tokens"], budget["max_epochs"]
    world_info = {"name": spec.name, "seed": world.seed, "spec_sha256": json_sha256(spec.to_dict()),
                  "train_docs": len(train), "train_tokens": train.n_tokens, "vocab_size": world.vocab_size}
    domains = list(kept.domains)
    if len(kept) == 0:
        if not budget["allow_empty"]:
            raise ValueError(
                f"the filters kept 0 of {len(train):,} documents, so nothing can be sampled for budget {B:,} "
                "tokens; fix the filters, or set budget.allow_empty = true to record an empty build"
            )
        mixture = _make_mixture(rec, counts) if "weights" in rec.data["mixture"] else None
        rows = np.zeros(0, dtype=np.int64)
    else:
        mixture = _make_mixture(rec, counts)
        check_feasible(counts["tokens"], B, E)
        check_within_caps(mixture, B, counts["tokens"], E)
        sample = sample_budget(kept, mixture, B, rec.data["seed"])
        rows = sample.rows
    codes = kept.domain_codes()[rows] if len(rows) else np.zeros(0, dtype=np.int64)
    n_per = np.bincount(codes, minlength=len(domains)).astype(np.int64)
    # sample_budget groups rows by domain in domain order; make that explicit (stable) before blending
    grouped = rows[np.argsort(codes, kind="stable")]
    copies = _copy_numbers(grouped)
    order = _blend(n_per)
    rows_b, copies_b = grouped[order], copies[order]
    lengths = kept.docs["n_tokens"].to_numpy(dtype=np.int64)
    bounds = _shard_bounds(lengths[rows_b], rec.data["shards"]["max_records"], rec.data["shards"]["max_tokens"])

    # ---- per-source accounting
    sel_codes = kept.domain_codes()[rows_b] if len(rows_b) else np.zeros(0, dtype=np.int64)
    sel_tok = np.bincount(sel_codes, weights=lengths[rows_b].astype(np.float64), minlength=len(domains))
    total_tok = float(sel_tok.sum())
    sources: dict[str, dict[str, Any]] = {}
    for j, d in enumerate(domains):  # a handful of domains
        mask = sel_codes == j
        w = float(mixture[d]) if mixture is not None else None
        avail = int(counts.loc[d, "tokens"])
        sources[d] = {
            "available_docs": int(counts.loc[d, "docs"]),
            "available_tokens": avail,
            "target_weight": w,
            "requested_tokens": None if w is None else w * B,
            "selected_docs": int(mask.sum()),
            "selected_tokens": int(sel_tok[j]),
            "unique_docs": int(np.unique(rows_b[mask]).size),
            "max_copies": int(copies_b[mask].max()) + 1 if mask.any() else 0,
            "epochs": float(sel_tok[j] / avail) if avail else 0.0,
            "achieved_share": float(sel_tok[j] / total_tok) if total_tok else None,
            "max_doc_tokens": int(lengths[rows_b[mask]].max()) if mask.any() else 0,
        }
    # stated share bound per source: max(L_i, w_i * sum_j L_j) / S (see the manifest's share_tolerance rule)
    sum_l = sum(s["max_doc_tokens"] for s in sources.values() if s["target_weight"])
    for s in sources.values():
        w = s["target_weight"]
        s["share_tolerance"] = max(s["max_doc_tokens"], w * sum_l) / total_tok if total_tok and w is not None else None
    return BuildPlan(rec, world_info, pipeline, train, kept, mixture, rows_b.astype(np.int64),
                     copies_b.astype(np.int64), bounds, sources)


# =========================================================================== shard writing (pure)
def _pause_hook(index: int) -> Any:
    """The fault-injection hook for shard ``index`` from :data:`PAUSE_ENV` (None when unset)."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return None
    shard, seconds, pidfile = spec.split(":", 2)
    if int(shard) != index:
        return None

    def hook(tmp: Path) -> None:
        Path(pidfile).write_text(f"{os.getpid()} {tmp}\n")
        time.sleep(float(seconds))

    return hook


def shard_batch(task: ShardTask) -> Any:
    """The shard's records as one Arrow record batch in the declared schema (see :func:`record_schema`).

    Used in: A.1.
    """
    import pyarrow as pa

    schema = record_schema()
    offsets = pa.array(task.offsets.astype(np.int32), type=pa.int32())
    tokens = pa.ListArray.from_arrays(offsets, pa.array(task.tokens, type=pa.int32()))
    n = task.rows
    arrays = [
        pa.array(task.record_ids(), type=pa.string()),
        pa.array(np.arange(task.position0, task.position0 + n, dtype=np.int64), type=pa.int64()),
        pa.array(task.domains, type=pa.string()),
        pa.array(task.doc_ids, type=pa.string()),
        pa.array(task.copy_index, type=pa.int32()),
        pa.array(np.diff(task.offsets).astype(np.int32), type=pa.int32()),
        tokens,
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_shard(task: ShardTask) -> dict[str, Any]:
    """Write one shard atomically and return its manifest entry (a pure function of ``task``).

    Parameters
    ----------
    task : ShardTask

    Returns
    -------
    dict
        ``index``, ``path`` (file name only; the caller makes it relative), ``rows``,
        ``tokens``, ``bytes``, ``sha256``, ``first_record_id``, ``last_record_id``.

    Raises
    ------
    SchemaError
        If the record batch does not match the declared schema.

    Used in: A.1.
    """
    import hashlib

    batch = shard_batch(task)
    data = encode_shard([batch], metadata=task.metadata)
    atomic_write_bytes(task.path, data, pause_hook=_pause_hook(task.index))
    ids = task.record_ids()
    return {
        "index": task.index,
        "rows": task.rows,
        "tokens": task.n_tokens,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "first_record_id": str(ids[0]) if len(ids) else None,
        "last_record_id": str(ids[-1]) if len(ids) else None,
    }


# =========================================================================== audit
def _audit_frames(plan: BuildPlan) -> list[tuple[str, Any, int, float]]:
    """Per stage: (stage, audit DataFrame, n_per_side used, threshold)."""
    import pandas as pd

    from mixlab.ledger import audit_sample

    out: list[tuple[str, Any, int, float]] = []
    if plan.pipeline is None:
        return out
    n_req = plan.recipe.data["audit"]["n_per_side"]
    corpus_in = plan.input_corpus
    for i, (f, res) in enumerate(zip(plan.recipe.data["filters"], plan.pipeline.results, strict=True)):
        key = FILTERS[f["name"]]
        raw_thr = res.params.get(key) if key is not None else 0.5  # dedup: score 0 = original, >= 1 = copy
        if raw_thr is None:  # length filter with only max_tokens
            raw_thr = res.params.get("max_tokens")
        thr = float(raw_thr) if raw_thr is not None else 0.0
        kept = int(res.decisions["kept"].sum())
        n = min(n_req, kept, len(res.decisions) - kept)
        seed = int(np.random.SeedSequence([plan.recipe.data["seed"], 1, i]).generate_state(1)[0])
        if n >= 1:
            df = audit_sample(res.decisions, corpus_in, n, seed, threshold=thr)
        else:
            df = pd.DataFrame({c: [] for c in ("doc_id", "domain", "decision", "reason", "score", "distance",
                                               "n_tokens", "preview")})
        out.append((res.row.stage, df, n, thr))
        corpus_in = res.kept
    return out


def _encode_audit(df: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("doc_id", pa.string()), ("domain", pa.string()), ("decision", pa.string()),
                        ("reason", pa.string()), ("score", pa.float64()), ("distance", pa.float64()),
                        ("n_tokens", pa.int64()), ("preview", pa.string())])

    def col(name: str) -> list[Any]:
        if name not in df.columns:
            return [None] * len(df)
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in df[name].tolist()]

    arrays = [pa.array([None if v is None else str(v) for v in col(n)], type=pa.string())
              for n in ("doc_id", "domain", "decision", "reason")]
    arrays += [pa.array(col("score"), type=pa.float64()), pa.array(col("distance"), type=pa.float64()),
               pa.array(col("n_tokens"), type=pa.int64()),
               pa.array([None if v is None else str(v) for v in col("preview")], type=pa.string())]
    table = pa.Table.from_arrays(arrays, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", compression_level=3, write_statistics=False, version="2.6")
    return bytes(sink.getvalue().to_pybytes())


# =========================================================================== orchestration
@dataclass
class BuildResult:
    """What :func:`build` did.

    Attributes
    ----------
    out_dir : pathlib.Path
    manifest : dict
        The manifest as written (with its hash).
    written : list of int
        Shards written by this call.
    reused : list of int
        Shards found complete and valid (resume) and left untouched.
    executor : str
    workers : int
    seconds : dict of str to float
        Wall time of ``plan``, ``shards``, ``finish`` and ``total``.

    Used in: A.1.
    """

    out_dir: Path
    manifest: dict[str, Any]
    written: list[int] = field(default_factory=list)
    reused: list[int] = field(default_factory=list)
    executor: str = "serial"
    workers: int = 1
    seconds: dict[str, float] = field(default_factory=dict)

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


def recipes_dir() -> Path:
    """The directory of the shipped build recipes, ``<repo>/data_synth/recipes``.

    It sits next to :func:`mixlab.world.worlds_dir` (``data_synth/worlds``).

    Returns
    -------
    pathlib.Path
        The folder (e.g. ``recipes_dir() / "tiny-demo.toml"``), whether or not it exists.

    Used in: A.1 (the recipe shipped with the course).
    """
    from mixlab.world import worlds_dir

    return worlds_dir().parent / "recipes"


def _journal(out: Path) -> Path:
    return out / JOURNAL_DIR


def _existing_hash(out: Path) -> tuple[str | None, dict[str, Any] | None]:
    """Recipe hash of what ``out`` already holds (manifest, else journal) and the manifest, if any."""
    import json

    if (out / MANIFEST_NAME).is_file():
        try:
            m = read_manifest(out)
        except ValueError as exc:
            raise ValueError(f"{out} holds an unreadable manifest ({exc}); delete the folder or pick another") from exc
        return str(m.get("recipe_sha256")), m
    jfile = _journal(out) / "recipe.json"
    if jfile.is_file():
        try:
            return str(json.loads(jfile.read_text())["recipe_sha256"]), None
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{jfile} is unreadable ({exc}); delete {out} or pick another folder") from exc
    return None, None


def _check_out_dir(out: Path, rec: Recipe) -> dict[str, Any] | None:
    """Refuse a folder holding another recipe's build or unrelated files; return an old manifest."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"out_dir {out} exists and is not a folder")
    if not out.exists():
        return None
    old_hash, manifest = _existing_hash(out)
    if old_hash is not None and old_hash != rec.sha256:
        raise ValueError(
            f"out_dir {out} holds the build of a different recipe (recipe_sha256 {old_hash}); this recipe "
            f"hashes to {rec.sha256}. Use another folder, or delete this one to replace it."
        )
    if old_hash is None:
        ours = {MANIFEST_NAME, SHARD_DIR, AUDIT_DIR, JOURNAL_DIR}
        other = sorted(p.name for p in out.iterdir() if p.name not in ours and not p.name.endswith(TMP_SUFFIX))
        if other:
            raise ValueError(f"out_dir {out} is not empty and holds no mixlab build (found: {', '.join(other[:5])}); "
                             "pick an empty or new folder")
    return manifest


def _clean_temps(out: Path) -> int:
    """Remove temporary files left by an interrupted build; return how many."""
    n = 0
    for p in out.rglob(f"*{TMP_SUFFIX}"):
        if p.is_file() and p.name.startswith("."):
            p.unlink()
            n += 1
    return n


def _recorded_shards(out: Path, manifest: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    import json

    rec: dict[int, dict[str, Any]] = {}
    if manifest is not None:
        for e in manifest.get("shards", []):
            rec[int(e["index"])] = e
    jdir = _journal(out)
    if jdir.is_dir():
        for p in sorted(jdir.glob("shard-*.json")):
            try:
                e = json.loads(p.read_text())
                rec[int(e["index"])] = e
            except (ValueError, KeyError):
                continue  # a damaged journal entry only means that shard is rebuilt
    return rec


def _shard_is_valid(out: Path, expected: dict[str, Any], recorded: dict[str, Any] | None) -> bool:
    if recorded is None:
        return False
    for k in ("path", "rows", "tokens", "first_record_id", "last_record_id"):
        if recorded.get(k) != expected[k]:
            return False
    p = out / expected["path"]
    return p.is_file() and p.stat().st_size == recorded.get("bytes") and file_sha256(p) == recorded.get("sha256")


def _manifest(plan: BuildPlan, shards: list[dict[str, Any]], audits: list[dict[str, Any]]) -> dict[str, Any]:
    import pyarrow as pa

    from mixlab import __version__

    rec = plan.recipe
    n_records = sum(e["rows"] for e in shards)
    n_tokens = sum(e["tokens"] for e in shards)
    w = plan.mixture
    return {
        "format": MANIFEST_FORMAT,
        "manifest_version": MANIFEST_VERSION,
        "schema_version": rec.data["schema_version"],
        "mixlab_version": __version__,
        "writer": {"library": "pyarrow", "version": pa.__version__, "parquet": dict(PARQUET_SETTINGS)},
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
        "totals": {"records": n_records, "tokens": n_tokens, "shards": len(shards),
                   "bytes": sum(e["bytes"] for e in shards)},
        "shards": shards,
        "audit": audits,
    }


def _progress(total: int, progress: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    kwargs: dict[str, Any] = {"total": total, "desc": desc, "unit": "shard"}
    if not progress:
        kwargs["disable"] = True  # otherwise left unset so TQDM_DISABLE=1 still applies
    return tqdm(**kwargs)


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
        See the module docstring for the format.
    out_dir : path-like
        Output folder (created if missing). Layout: ``manifest.json``, ``shards/part-NNNNN.parquet``,
        ``audit/<stage>.parquet``.
    workers : int
        Worker processes for the ``process`` and ``dask`` executors (>= 1).
    executor : {"process", "serial", "dask"} or Executor
        How shard tasks run; the bytes written are identical for every choice.
    resume : bool
        Keep shards that already match their recorded sha256 and the plan (default). With
        False every shard is rewritten.
    progress : bool
        Show a tqdm bar (``TQDM_DISABLE=1`` still silences it).

    Returns
    -------
    BuildResult

    Raises
    ------
    ValueError
        Before any file is written: unsupported recipe ``schema_version``; ``out_dir`` holding a
        different recipe's build (both hashes named) or unrelated files; infeasible budget (says
        how many tokens are missing); mixture over the epoch cap; empty filter output without
        ``allow_empty``.
    SchemaError
        If a record batch does not match the declared schema.

    Used in: A.1.
    """
    from mixlab.executors import make_executor

    t0 = time.perf_counter()
    rec = load_recipe(recipe)
    out = Path(out_dir)
    old_manifest = _check_out_dir(out, rec)
    ex = make_executor(executor, workers)
    plan = plan_build(rec)  # every "before any work" error is raised here, before anything is written
    t_plan = time.perf_counter()

    import json

    out.mkdir(parents=True, exist_ok=True)
    _clean_temps(out)
    jdir = _journal(out)
    jdir.mkdir(exist_ok=True)
    atomic_write_bytes(jdir / "recipe.json", canonical_json({"recipe_sha256": rec.sha256}).encode())
    (out / SHARD_DIR).mkdir(exist_ok=True)
    (out / AUDIT_DIR).mkdir(exist_ok=True)

    expected = [plan.expected(i) for i in range(plan.n_shards)]
    recorded = _recorded_shards(out, old_manifest) if resume else {}
    entries: dict[int, dict[str, Any]] = {}
    todo: list[int] = []
    for e in expected:
        i = e["index"]
        if _shard_is_valid(out, e, recorded.get(i)):
            entries[i] = {**e, "bytes": recorded[i]["bytes"], "sha256": recorded[i]["sha256"]}
        else:
            todo.append(i)
    planned = {e["path"] for e in expected}
    for p in (out / SHARD_DIR).glob("*"):  # shards from nowhere in the plan (e.g. a larger old plan)
        if p.is_file() and f"{SHARD_DIR}/{p.name}" not in planned:
            p.unlink()

    tasks = [plan.task(i, out) for i in todo]
    bar = _progress(len(todo), progress, f"build {rec.name}")
    try:
        for res in ex.map_unordered(write_shard, tasks):
            i = res["index"]
            entry = {**expected[i], **{k: res[k] for k in ("bytes", "sha256")}}
            if (res["rows"], res["tokens"]) != (entry["rows"], entry["tokens"]):  # belt and braces
                raise RuntimeError(f"shard {i} wrote {res['rows']} rows / {res['tokens']} tokens, plan says "
                                   f"{entry['rows']} / {entry['tokens']}")
            entries[i] = entry
            atomic_write_bytes(jdir / f"shard-{i:05d}.json", json.dumps(entry, sort_keys=True).encode())
            bar.update(1)
    finally:
        bar.close()
    t_shards = time.perf_counter()

    # audit samples (small, written by this process; deterministic bytes)
    audits = []
    keep_audit = set()
    for stage, df, n, thr in _audit_frames(plan):
        data = _encode_audit(df)
        rel = f"{AUDIT_DIR}/{stage}.parquet"
        atomic_write_bytes(out / rel, data)
        keep_audit.add(rel)
        import hashlib

        audits.append({"stage": stage, "path": rel, "rows": len(df), "n_per_side": n, "threshold": thr,
                       "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    for p in (out / AUDIT_DIR).glob("*"):
        if p.is_file() and f"{AUDIT_DIR}/{p.name}" not in keep_audit:
            p.unlink()
    if not keep_audit:
        shutil.rmtree(out / AUDIT_DIR, ignore_errors=True)

    manifest = write_manifest(out, _manifest(plan, [entries[i] for i in range(plan.n_shards)], audits))
    shutil.rmtree(jdir, ignore_errors=True)
    t_end = time.perf_counter()
    return BuildResult(
        out_dir=out,
        manifest=manifest,
        written=sorted(todo),
        reused=sorted(set(range(plan.n_shards)) - set(todo)),
        executor=ex.name,
        workers=ex.workers,
        seconds={"plan": t_plan - t0, "shards": t_shards - t_plan, "finish": t_end - t_shards, "total": t_end - t0},
    )


# =========================================================================== CLI
def _cmd_build(args: argparse.Namespace) -> int:
    # errors propagate to mixlab.cli.main, which prints them as one line `mixlab: error: ...`
    result = build(args.recipe, args.out, workers=args.workers, executor=args.executor,
                   resume=not args.no_resume, progress=not args.no_progress)
    print(repr(result), flush=True)
    print(f"manifest_sha256 {result.manifest['manifest_sha256']}", flush=True)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    report = verify(args.out)
    print(str(report), flush=True)
    return 0 if report.ok else 1


def register_cli(subparsers: Any) -> None:
    """Add the ``build`` and ``verify`` subcommands to the ``mixlab`` command's subparsers.

    Usage::

        mixlab build RECIPE.toml OUT [--workers N] [--executor process|serial|dask] [--no-resume] [--no-progress]
        mixlab verify OUT        # exit code 1 and one line per violation when anything is wrong

    Parameters
    ----------
    subparsers : argparse subparsers action
        What ``parser.add_subparsers()`` returned.

    Used in: A.1, :mod:`mixlab.cli`.
    """
    b = subparsers.add_parser("build", help="build sharded training records and a manifest from a recipe")
    b.add_argument("recipe", help="recipe file (TOML or JSON)")
    b.add_argument("out", help="output folder")
    b.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    b.add_argument("--executor", choices=["process", "serial", "dask"], default="process",
                   help="how shards are written (default: process); bytes are identical for every choice")
    b.add_argument("--no-resume", action="store_true", help="rewrite every shard even if a valid one exists")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_build)
    v = subparsers.add_parser("verify", help="recompute every hash and count of a build and check its invariants")
    v.add_argument("out", help="build folder holding manifest.json")
    v.set_defaults(func=_cmd_verify)
