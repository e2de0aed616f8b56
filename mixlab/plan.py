"""The build plan: from a recipe to the exact records of every shard, computed once before anything is written.

:func:`plan_build` generates the world (once), runs the filters (ledger), makes the mixture,
checks the budget, samples with :func:`mixlab.sampling.sample_budget`, interleaves the sources
with :func:`mixlab.sampling.blended_index` and cuts the blended order into shards. Per record
it keeps the source row, copy number, token offset and length, so the input of shard ``k``
(:meth:`BuildPlan.task`) and what it must contain (:meth:`BuildPlan.expected`) cost work in
proportion to that shard alone, whatever the size of the corpus.

Used in: A.1 (plan, lineage, errors before any work).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mixlab.manifest import SHARD_DIR, json_sha256
from mixlab.recipe import FILTERS, Recipe, load_recipe
from mixlab.shards import ShardTask

if TYPE_CHECKING:
    import pandas as pd

    from mixlab.corpus import Corpus
    from mixlab.filters import FilterResult, PipelineResult
    from mixlab.ledger import LineageRecord
    from mixlab.mixture import Mixture
    from mixlab.world import WorldSpec

__all__ = ["MAX_PLAN_RECORDS", "BuildPlan", "plan_build", "resolve_world_spec"]

#: Most records a plan may hold: about 150 bytes per record at the planning peak (order, copies,
#: offsets, blending) keeps a plan of 5e7 records near 8 GB on a 24 GiB, 2-core machine. Checked
#: from the budget, the mixture and the documents' lengths before anything is sampled.
MAX_PLAN_RECORDS = 50_000_000


@dataclass(frozen=True, eq=False)
class BuildPlan:
    """The deterministic plan of a build, computed once before anything is written.

    Attributes
    ----------
    recipe : Recipe
        The validated recipe.
    world_info : dict
        World name, seed, spec hash, training docs/tokens, vocabulary size.
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

    Used in: the return value of :func:`plan_build` (lineage, shard count).
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
    _doc_ids: np.ndarray = field(repr=False)
    _domains: np.ndarray = field(repr=False)
    _starts: np.ndarray = field(repr=False)
    _cum_tokens: np.ndarray = field(repr=False)

    @property
    def n_shards(self) -> int:
        """Number of shards."""
        return len(self.bounds) - 1

    def shard_path(self, i: int) -> str:
        """Relative path of shard ``i`` (``shards/part-00000.parquet``)."""
        return f"{SHARD_DIR}/part-{i:05d}.parquet"

    def _span(self, i: int) -> tuple[int, int]:
        if isinstance(i, bool) or not isinstance(i, int | np.integer) or not 0 <= i < self.n_shards:
            raise ValueError(f"shard index must be an integer in [0, {self.n_shards}) (got {i!r})")
        return int(self.bounds[i]), int(self.bounds[i + 1])

    def _record_id(self, j: int) -> str:
        return f"{self._doc_ids[self.rows[j]]}#{int(self.copy_index[j])}"

    def task(self, i: int, out_dir: str | os.PathLike[str]) -> ShardTask:
        """The pure input of shard ``i`` (its records, tokens and destination under ``out_dir``).

        Work and memory are proportional to the shard, not to the corpus.
        """
        a, b = self._span(i)
        rows = self.rows[a:b]
        offsets = self._cum_tokens[a : b + 1] - self._cum_tokens[a]
        lens = np.diff(offsets)
        gather = np.arange(offsets[-1], dtype=np.int64) + np.repeat(self._starts[a:b] - offsets[:-1], lens)
        return ShardTask(
            index=i,
            path=str(Path(out_dir) / self.shard_path(i)),
            position0=a,
            doc_ids=self._doc_ids[rows],
            domains=self._domains[a:b],
            copy_index=self.copy_index[a:b].astype(np.int32),
            offsets=offsets,
            tokens=self.kept.tokens[gather].astype(np.int32, copy=False),
            metadata={"mixlab.recipe_sha256": self.recipe.sha256, "mixlab.shard_index": str(i)},
        )

    def expected(self, i: int) -> dict[str, Any]:
        """What the plan promises about shard ``i``: path, rows, tokens, first/last record id."""
        a, b = self._span(i)
        return {"index": i, "path": self.shard_path(i), "rows": b - a,
                "tokens": int(self._cum_tokens[b] - self._cum_tokens[a]),
                "first_record_id": self._record_id(a) if b > a else None,
                "last_record_id": self._record_id(b - 1) if b > a else None}

    def lineage(self, doc_id: str) -> LineageRecord:
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

    def audit_frames(self) -> list[tuple[str, pd.DataFrame, int, float]]:
        """Per filter stage: (stage, audit sample, documents per side, threshold); empty without filters.

        Used in: no lesson by name; :func:`mixlab.build.build` writes these audit samples next to the
        shards.
        """
        import pandas as pd

        from mixlab.ledger import audit_sample

        out: list[tuple[str, pd.DataFrame, int, float]] = []
        if self.pipeline is None:
            return out
        n_req = self.recipe.data["audit"]["n_per_side"]
        corpus_in = self.input_corpus
        for i, (f, res) in enumerate(zip(self.recipe.data["filters"], self.pipeline.results, strict=True)):
            key = FILTERS[f["name"]]
            raw_thr = res.params.get(key) if key is not None else 0.5  # dedup: score 0 = original, >= 1 = copy
            if raw_thr is None:  # length filter with only max_tokens
                raw_thr = res.params.get("max_tokens")
            thr = float(raw_thr) if raw_thr is not None else 0.0
            kept = int(res.decisions["kept"].sum())
            n = min(n_req, kept, len(res.decisions) - kept)
            seed = int(np.random.SeedSequence([self.recipe.data["seed"], 1, i]).generate_state(1)[0])
            if n >= 1:
                df = audit_sample(res.decisions, corpus_in, n, seed, threshold=thr)
            else:
                df = pd.DataFrame({c: [] for c in ("doc_id", "domain", "decision", "reason", "score", "distance",
                                                   "n_tokens", "preview")})
            out.append((res.row.stage, df, n, thr))
            corpus_in = res.kept
        return out


def resolve_world_spec(recipe: Recipe) -> WorldSpec:
    """The world spec a recipe names: a preset or spec file (relative to the recipe's folder), or inline.

    Parameters
    ----------
    recipe : Recipe

    Returns
    -------
    WorldSpec
        Scaled by ``world.scale``.

    Raises
    ------
    FileNotFoundError, ValueError, TypeError
        An unknown preset, a missing or invalid spec file.

    Used in: :func:`plan_build` (the spec's hash keys a resumed build).
    """
    from mixlab.world import WorldSpec, load_spec

    w = recipe.data["world"]
    if "preset" in w:
        preset: str | Path = w["preset"]
        looks_like_path = "/" in str(preset) or "\\" in str(preset) or str(preset).endswith(".toml")
        if looks_like_path and recipe.base_dir is not None and not Path(preset).is_absolute():
            preset = recipe.base_dir / preset
        spec = load_spec(preset)
    else:
        spec = WorldSpec.from_dict(w["spec"], source="recipe world.spec")
    return spec.scaled(w["scale"]) if w["scale"] != 1.0 else spec


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


def _check_plan_size(kept: Corpus, mixture: Mixture, budget: int) -> None:
    """Refuse a sample whose record count could exceed :data:`MAX_PLAN_RECORDS`, before sampling.

    ``sample_budget`` draws ``floor(w_i B / T_i)`` whole epochs of domain i and then documents of
    one more permutation until ``w_i B`` tokens, each at least the domain's shortest document.
    """
    codes = kept.domain_codes()
    lengths = kept.docs["n_tokens"].to_numpy(dtype=np.int64)
    n_docs = np.bincount(codes, minlength=len(kept.domains))
    tokens = np.bincount(codes, weights=lengths, minlength=len(kept.domains))
    shortest = np.full(len(kept.domains), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(shortest, codes, lengths)
    bound = 0
    for i, d in enumerate(kept.domains):  # a handful of domains
        target = float(mixture[d]) * budget
        if target <= 0 or n_docs[i] == 0:
            continue
        full = math.floor(target / tokens[i])
        rest = target - full * tokens[i]
        bound += full * int(n_docs[i]) + min(int(n_docs[i]), math.ceil(rest / shortest[i]) + 1)
    if bound > MAX_PLAN_RECORDS:
        raise ValueError(
            f"the plan would hold up to {bound:,} records (budget.tokens {budget:,} drawn as whole documents), "
            f"over the limit of {MAX_PLAN_RECORDS:,} records (mixlab.plan.MAX_PLAN_RECORDS, sized for a 24 GiB, "
            "2-core machine); lower budget.tokens or use a world with longer documents"
        )


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


def _check_shard_sizes(cum_tokens: np.ndarray, bounds: np.ndarray) -> None:
    from mixlab.recipe import LIMITS

    sizes = np.diff(cum_tokens[bounds])
    limit = int(LIMITS["shards.max_tokens"])
    if len(sizes) and int(sizes.max()) > limit:
        k = int(np.argmax(sizes))
        raise ValueError(f"shard {k} would hold {int(sizes[k]):,} tokens, over the limit of {limit:,} tokens per "
                         "shard (mixlab.recipe.LIMITS); set shards.max_tokens or lower shards.max_records")


def _sources(kept: Corpus, counts: pd.DataFrame, mixture: Mixture | None, budget: int, rows: np.ndarray,
             copies: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per-domain accounting for the manifest (available, requested, selected, shares, tolerance)."""
    lengths = kept.docs["n_tokens"].to_numpy(dtype=np.int64)[rows]
    codes = kept.domain_codes()[rows] if len(rows) else np.zeros(0, dtype=np.int64)
    sel_tok = np.bincount(codes, weights=lengths.astype(np.float64), minlength=len(kept.domains))
    total_tok = float(sel_tok.sum())
    avail_docs = counts["docs"].to_numpy(dtype=np.int64)
    avail_tokens = counts["tokens"].to_numpy(dtype=np.int64)
    sources: dict[str, dict[str, Any]] = {}
    for j, d in enumerate(kept.domains):  # a handful of domains
        mask = codes == j
        w = float(mixture[d]) if mixture is not None else None
        avail = int(avail_tokens[j])
        sources[d] = {
            "available_docs": int(avail_docs[j]),
            "available_tokens": avail,
            "target_weight": w,
            "requested_tokens": None if w is None else w * budget,
            "selected_docs": int(mask.sum()),
            "selected_tokens": int(sel_tok[j]),
            "unique_docs": int(np.unique(rows[mask]).size),
            "max_copies": int(copies[mask].max()) + 1 if mask.any() else 0,
            "epochs": float(sel_tok[j] / avail) if avail else 0.0,
            "achieved_share": float(sel_tok[j] / total_tok) if total_tok else None,
            "max_doc_tokens": int(lengths[mask].max()) if mask.any() else 0,
        }
    # stated share bound per source: max(L_i, w_i * sum_j L_j) / S (see the manifest's share_tolerance rule)
    sum_l = sum(s["max_doc_tokens"] for s in sources.values() if s["target_weight"])
    for s in sources.values():
        w = s["target_weight"]
        s["share_tolerance"] = max(s["max_doc_tokens"], w * sum_l) / total_tok if total_tok and w is not None else None
    return sources


def _sample(rec: Recipe, kept: Corpus, counts: pd.DataFrame, n_train: int) -> tuple[Mixture | None, np.ndarray]:
    """The target mixture and the sampled rows of ``kept`` (grouped by domain), after every budget check."""
    from mixlab.budget import check_feasible, check_within_caps
    from mixlab.sampling import sample_budget

    budget = rec.data["budget"]
    B, E = budget["tokens"], budget["max_epochs"]
    if len(kept) == 0:
        if not budget["allow_empty"]:
            raise ValueError(
                f"the filters kept 0 of {n_train:,} documents, so nothing can be sampled for budget {B:,} "
                "tokens; fix the filters, or set budget.allow_empty = true to record an empty build"
            )
        mixture = _make_mixture(rec, counts) if "weights" in rec.data["mixture"] else None
        return mixture, np.zeros(0, dtype=np.int64)
    mixture = _make_mixture(rec, counts)
    check_feasible(counts["tokens"], B, E)
    check_within_caps(mixture, B, counts["tokens"], E)
    _check_plan_size(kept, mixture, B)
    return mixture, sample_budget(kept, mixture, B, rec.data["seed"]).rows


def plan_build(recipe: Recipe | Mapping[str, Any] | str | os.PathLike[str]) -> BuildPlan:
    """Compute the whole build plan: world, filters, mixture, feasibility, sample, order, shards.

    Parameters
    ----------
    recipe : Recipe, dict or path
        See :mod:`mixlab.recipe`.

    Returns
    -------
    BuildPlan

    Raises
    ------
    ValueError
        Unsupported recipe version; filters that keep nothing (unless ``budget.allow_empty``);
        an infeasible budget (``"infeasible: ... needs N more"`` tokens); a mixture that breaks
        the epoch cap (naming the domains); a weight on a domain with no documents left; a plan
        over :data:`MAX_PLAN_RECORDS` records or a shard over the token limit.
    TypeError
        Bad filter or mixer parameters.

    Used in: A.1.
    """
    from mixlab.world import generate_world

    rec = load_recipe(recipe)
    spec = resolve_world_spec(rec)
    world = generate_world(spec, rec.data["world"]["seed"])
    train = world.train
    pipeline = _run_filters(rec, train)
    kept = pipeline.kept if pipeline is not None else train
    counts = _counts(kept)
    mixture, rows = _sample(rec, kept, counts, len(train))
    codes = kept.domain_codes()
    sampled_codes = codes[rows]
    n_per = np.bincount(sampled_codes, minlength=len(kept.domains)).astype(np.int64)
    # sample_budget groups rows by domain in domain order; make that explicit (stable) before blending
    grouped = rows[np.argsort(sampled_codes, kind="stable")]
    copies = _copy_numbers(grouped)
    order = _blend(n_per)
    rows_b, copies_b = grouped[order].astype(np.int64), copies[order].astype(np.int64)
    lengths = kept.docs["n_tokens"].to_numpy(dtype=np.int64)
    cum_tokens = np.zeros(len(rows_b) + 1, dtype=np.int64)
    np.cumsum(lengths[rows_b], out=cum_tokens[1:])
    shards = rec.data["shards"]
    bounds = _shard_bounds(lengths[rows_b], shards["max_records"], shards["max_tokens"])
    _check_shard_sizes(cum_tokens, bounds)
    world_info = {"name": spec.name, "seed": world.seed, "spec_sha256": json_sha256(spec.to_dict()),
                  "train_docs": len(train), "train_tokens": train.n_tokens, "vocab_size": world.vocab_size}
    sources = _sources(kept, counts, mixture, rec.data["budget"]["tokens"], rows_b, copies_b)
    return BuildPlan(
        rec, world_info, pipeline, train, kept, mixture, rows_b, copies_b, bounds, sources,
        _doc_ids=kept.docs["doc_id"].to_numpy(dtype=object),
        _domains=np.asarray(kept.domains, dtype=object)[codes[rows_b]],
        _starts=kept.docs["start"].to_numpy(dtype=np.int64)[rows_b],
        _cum_tokens=cum_tokens,
    )
