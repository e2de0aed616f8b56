"""The cited mixture methods side by side: every method run, and every answer scored on the same runs.

Lesson 1.5 runs DoReMi (:mod:`mixlab.doremi`), a data-mixing-law fit (:mod:`mixlab.mixing_laws`)
and a RegMix-style regression (:mod:`mixlab.regmix`) on the synthetic world and compares their
mixtures with the uniform-by-token baseline and the grid optimum
(:func:`mixlab.optimizers.grid_search`) under **one** objective, each measured with fresh proxy
runs on evaluation seeds that no search used, next to the tokens each method spent. The methods
share the conventions of :mod:`mixlab.search` (common random numbers, a fresh measuring run at
``EVAL_SEED``, ``tokens_spent`` counting the search only).

Used in: 1.5 (methods compared), 3.6 (the best optimized mixture next to the baselines).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.objectives import Objective, resolve_objective
from mixlab.progress import progress_bar
from mixlab.proxy import PROXY, ProxyConfig
from mixlab.search import EVAL_SEED, OptimizationResult, measure
from mixlab.stats import paired_comparison, winners  # moved to mixlab.stats; re-exported, no lesson uses them
from mixlab.validation import check_seed

if TYPE_CHECKING:
    from mixlab.world import World

__all__ = [
    "METHODS",
    "default_settings",
    "run_methods",
    "score_mixtures",
    "paired_comparison",
    "winners",
    "compare_methods",
]


# ---------------------------------------------------------------------------- comparison
METHODS: tuple[str, ...] = ("uniform", "grid", "doremi", "mixing-law", "regmix")
MethodFn = Callable[..., OptimizationResult]


def default_settings(k: int) -> dict[str, dict[str, Any]]:
    """Per-method keyword arguments that keep a comparison over ``k`` domains fast.

    ``grid``: the finest resolution ``r <= 10`` with at most 500 grid points
    (``C(r + k − 1, k − 1) <= 500``: r = 10 for 3 domains, 6 for 6 — which puts uniform on the
    grid); ``doremi``: 50 Group DRO steps; ``mixing-law``: ``6k + 4`` fitting runs;
    ``regmix``: ``16k`` runs.

    Used in: 1.5.
    """
    import math

    r = 10
    while r > 1 and math.comb(r + k - 1, k - 1) > 500:
        r -= 1
    return {
        "uniform": {},
        "grid": {"resolution": r},
        "doremi": {"steps": 50},
        "mixing-law": {"n_runs": 6 * k + 4},
        "regmix": {"n_runs": 16 * k},
    }


def _uniform_result(world: World, objective: Objective, config: ProxyConfig, eval_seed: int) -> OptimizationResult:
    """The uniform-by-token baseline as a result that spent nothing on search."""
    from mixlab.domains import domain_stats
    from mixlab.mixers import uniform_by_token

    mix = uniform_by_token(domain_stats(world.train))
    return OptimizationResult(
        mixture=mix,
        objective=objective.name,
        value=measure(world, mix, objective, config, eval_seed),
        tokens_spent=0,
        runs=0,
        history=pd.DataFrame(),
    )


def run_methods(
    world: World,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    methods: Sequence[str] = METHODS,
    seed: int = 0,
    max_epochs: float | None = None,
    progress: bool = True,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    cap_budget: float | None = None,
) -> dict[str, OptimizationResult]:
    """Run each named method on ``world`` and return its :class:`~mixlab.search.OptimizationResult`.

    Parameters
    ----------
    world : World
    objective : Objective or str
        What every method minimizes (DoReMi minimizes its worst-case excess loss regardless; the
        objective is what its answer is measured with).
    config : ProxyConfig
        The proxy every method trains.
    methods : sequence of str
        Any of ``"uniform"`` (uniform by token, no search), ``"grid"``
        (:func:`mixlab.optimizers.grid_search`), ``"doremi"`` (:func:`mixlab.doremi.doremi`),
        ``"mixing-law"`` (:func:`mixlab.mixing_laws.mixing_law_optimize`), ``"regmix"``
        (:func:`mixlab.regmix.regmix`).
    seed, max_epochs, progress, cap_budget
        Search options passed to every method (:class:`mixlab.search.SearchOptions`).
    settings : mapping, optional
        Per-method keyword overrides, merged over :func:`default_settings`.

    Returns
    -------
    dict
        Method name → result, in the order given.

    Raises
    ------
    ValueError
        Unknown or repeated method names, or settings for a method not run.

    Used in: no lesson directly (:func:`compare_methods` runs it; the lessons call the methods one by one).
    """
    from mixlab.doremi import doremi
    from mixlab.mixing_laws import mixing_law_optimize
    from mixlab.optimizers import grid_search
    from mixlab.regmix import regmix

    obj = resolve_objective(objective)
    names = list(methods)
    unknown = [m for m in names if m not in METHODS]
    if unknown or len(set(names)) != len(names) or not names:
        raise ValueError(f"methods must be distinct names among {list(METHODS)} (got {names})")
    extra = [m for m in (settings or {}) if m not in names]
    if extra:
        raise ValueError(f"settings given for methods that are not run: {extra}")
    base = default_settings(len(world.train.domains))
    fns: dict[str, MethodFn] = {
        "grid": grid_search,
        "doremi": doremi,
        "mixing-law": mixing_law_optimize,
        "regmix": regmix,
    }
    out: dict[str, OptimizationResult] = {}
    for name in names:
        if name == "uniform":
            out[name] = _uniform_result(world, obj, config, EVAL_SEED)
            continue
        kwargs = {**base[name], **dict((settings or {}).get(name, {}))}
        out[name] = fns[name](world, obj, config, max_epochs=max_epochs, seed=seed, progress=progress,
                              cap_budget=cap_budget, **kwargs)
    return out


def _objective_map(objectives: Mapping[str, Objective | str] | Objective | str) -> dict[str, Objective] | None:
    """``None`` for a single objective, else the validated name → Objective mapping."""
    if isinstance(objectives, Objective | str):
        return None
    if not isinstance(objectives, Mapping):
        raise TypeError(
            f"objective must be an Objective, a name, or a mapping name -> Objective (got {type(objectives).__name__})"
        )
    if not objectives:
        raise ValueError("objectives must name at least one objective (got an empty mapping)")
    return {str(k): resolve_objective(v) for k, v in objectives.items()}


def score_mixtures(
    world: World,
    mixtures: Mapping[str, Mixture],
    objective: Mapping[str, Objective | str] | Objective | str,
    config: ProxyConfig = PROXY,
    eval_seeds: Sequence[int] = (EVAL_SEED, EVAL_SEED + 1, EVAL_SEED + 2, EVAL_SEED + 3, EVAL_SEED + 4),
    progress: bool = True,
) -> pd.DataFrame:
    """Measure named mixtures with fresh proxy runs on every evaluation seed, under one or several objectives.

    Every mixture is trained once per seed in ``eval_seeds`` (the same seeds for all, so the
    comparison is paired: the same documents in the same order, in different amounts). Each
    run gives the per-domain losses, and every objective is a function of them, so several
    objectives are scored on the *same* runs: ``len(mixtures) × len(eval_seeds)`` proxy runs,
    whatever the number of objectives.

    Parameters
    ----------
    world : World
    mixtures : mapping name → Mixture
        Token weights over the world's domains.
    objective : Objective, str, or mapping name → Objective
        One objective (wide summary table, see Returns), or several keyed by name (long table).
    config : ProxyConfig
    eval_seeds : sequence of int
        Distinct scoring seeds (default five seeds from :data:`mixlab.optimizers.EVAL_SEED`).
    progress : bool
        Progress bar.

    Returns
    -------
    pandas.DataFrame
        With one objective: index = mixture names (``method``); columns ``value_mean``,
        ``value_sd`` (sample sd over seeds, 0 for one seed) and ``value@<seed>`` per seed.
        With a mapping of objectives: a long table with columns ``mixture``, ``objective``,
        ``seed``, ``value`` (one row per mixture × objective × seed, mixtures and objectives in
        the order given, seeds in the order given), ready for :func:`winners` or for
        ``table.pivot_table(index="mixture", columns="objective", values="value")``.

    Raises
    ------
    TypeError
        If ``objective`` is neither an objective nor a mapping of them.
    ValueError
        No mixtures, no objectives, no seeds, or repeated seeds.

    Used in: 1.3 (baselines, grid and exponentiated gradient on fresh seeds), 1.5, 2.4 (optima
    re-measured on fresh seeds), 3.6 (four objectives scored on the same runs).
    """
    from mixlab.proxy import train_proxy

    many = _objective_map(objective)
    single = resolve_objective(objective) if isinstance(objective, Objective | str) else None
    seeds = [check_seed(s, "eval_seeds") for s in eval_seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"eval_seeds must be distinct and non-empty (got {seeds})")
    if not mixtures:
        raise ValueError("score_mixtures needs at least one mixture")
    jobs = [(name, s) for name in mixtures for s in seeds]
    losses: dict[tuple[str, int], pd.Series] = {}
    for name, s in progress_bar(jobs, progress, desc=f"scoring mixtures ({len(jobs)} runs)"):
        losses[(name, s)] = train_proxy(world, mixtures[name], config, s).losses
    if many is not None:
        long_rows = [
            {"mixture": name, "objective": oname, "seed": s, "value": obj(losses[(name, s)])}
            for name in mixtures
            for oname, obj in many.items()
            for s in seeds
        ]
        return pd.DataFrame(long_rows, columns=["mixture", "objective", "seed", "value"])
    assert single is not None
    rows = []
    for name in mixtures:
        v = np.array([single(losses[(name, s)]) for s in seeds])
        row: dict[str, Any] = {"value_mean": v.mean(), "value_sd": v.std(ddof=1) if v.size > 1 else 0.0}
        row.update({f"value@{s}": x for s, x in zip(seeds, v.tolist(), strict=True)})
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(list(mixtures), name="method"))


def _comparison_table(
    results: Mapping[str, OptimizationResult], baselines: Mapping[str, Mixture], scores: pd.DataFrame,
    objective: str, domains: Sequence[str],
) -> pd.DataFrame:
    """One row per method, then per baseline: scores, search cost and weights (see :func:`compare_methods`)."""
    mixtures = {**{n: r.mixture for n, r in results.items()}, **baselines}
    table = pd.DataFrame(
        {
            "objective": [objective] * len(mixtures),
            "value_mean": scores["value_mean"].to_numpy(),
            "value_sd": scores["value_sd"].to_numpy(),
            "search_value": [r.value for r in results.values()] + [np.nan] * len(baselines),
            "tokens_spent": [r.tokens_spent for r in results.values()] + [0] * len(baselines),
            "runs": [r.runs for r in results.values()] + [0] * len(baselines),
        },
        index=pd.Index(list(mixtures), name="method"),
    )
    weights = pd.DataFrame([m.as_array(list(domains)) for m in mixtures.values()], index=table.index,
                           columns=list(domains))
    return pd.concat([table, weights], axis=1)


def compare_methods(
    world: World,
    objective: Objective | str = "uniform",
    config: ProxyConfig = PROXY,
    methods: Sequence[str] = METHODS,
    seed: int = 0,
    eval_seeds: Sequence[int] = (EVAL_SEED, EVAL_SEED + 1, EVAL_SEED + 2, EVAL_SEED + 3, EVAL_SEED + 4),
    progress: bool = True,
    *,
    max_epochs: float | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    baselines: Mapping[str, Mixture] | None = None,
    cap_budget: float | None = None,
) -> pd.DataFrame:
    """Run the methods and score every chosen mixture under ONE objective, side by side.

    Each method searches with its own budget of proxy runs (:func:`run_methods`), then every
    chosen mixture is measured again by fresh proxy runs on ``eval_seeds``
    (:func:`score_mixtures`): seeds no search used, so a method that overfits its search seed's
    noise gets no credit for it. The search cost is reported next to the score.

    Parameters
    ----------
    world : World
    objective : Objective or str
        Default ``"uniform"`` (mean validation loss over domains).
    config : ProxyConfig
        The proxy used for search and scoring (default :data:`mixlab.proxy.PROXY`).
    methods : sequence of str
        Subset of :data:`METHODS`, in display order.
    seed, max_epochs, progress, cap_budget
        Search options of every method (:class:`mixlab.search.SearchOptions`).
    eval_seeds : sequence of int
        Scoring seeds (default five seeds from :data:`mixlab.search.EVAL_SEED`).
    settings : mapping, optional
        Per-method keyword overrides (see :func:`default_settings`).
    baselines : mapping name → Mixture, optional
        Fixed mixtures (e.g. chapter 3's baselines) scored on the same eval seeds, as extra rows
        after the methods with ``search_value`` NaN and no search cost. Names must differ from
        the method names.

    Returns
    -------
    pandas.DataFrame
        One row per method, then per baseline (index ``method``): ``objective``, ``value_mean``,
        ``value_sd`` (over the eval seeds), ``search_value`` (the method's own ``value``),
        ``tokens_spent``, ``runs``, then one weight column per domain.

    Raises
    ------
    TypeError
        If a baseline is not a Mixture.
    ValueError
        As :func:`run_methods` and :func:`score_mixtures`, or a baseline named like a method.

    Used in: no lesson runs it (too slow for a notebook; the methods lesson suggests it for six domains).
    """
    obj = resolve_objective(objective)
    extra = dict(baselines or {})
    for name, m in extra.items():
        if not isinstance(m, Mixture):
            raise TypeError(f"baselines[{name!r}] must be a Mixture (got {type(m).__name__})")
    clash = [n for n in extra if n in set(methods)]
    if clash:
        raise ValueError(f"baseline names must differ from the method names (both: {', '.join(clash)})")
    results = run_methods(world, obj, config, methods, seed, max_epochs, progress, settings, cap_budget=cap_budget)
    mixtures = {**{n: r.mixture for n, r in results.items()}, **extra}
    scores = score_mixtures(world, mixtures, obj, config, eval_seeds, progress)
    return _comparison_table(results, extra, scores, obj.name, world.train.domains)
