"""Mixture optimizers: grid search over the simplex and exponentiated gradient (mirror descent).

The problem (COURSE.md, "Notation"):

    min_w  L(w)   subject to  w ∈ Δ^{k-1},  w_i <= u_i = min(1, E_max T_i / B),

where ``L(w)`` is a validation objective (:mod:`mixlab.objectives`) of the per-domain losses
of a proxy model trained on ``B`` tokens drawn from mixture ``w`` (:func:`mixlab.proxy.train_proxy`).
Every optimizer here (and in :mod:`mixlab.doremi`, :mod:`mixlab.mixing_laws`,
:mod:`mixlab.regmix`) returns an :class:`OptimizationResult`, so methods can be compared in one
table: the mixture chosen, its objective measured by a fresh proxy run, and what the search cost.

The loss surface is *injectable*: instead of a world, an optimizer can take
``evaluate: Callable[[Mixture], pandas.Series]`` (mixture → per-domain losses). The course uses
the proxy; the tests use analytic surfaces whose minimizer is known.

Used in: 1.3 (grid heat map, mirror descent agrees with the grid), 1.5 (methods compared),
3.6 (the best optimized mixture next to the baselines).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.objectives import Objective, standard_objectives
from mixlab.proxy import PROXY, ProxyConfig, train_proxy
from mixlab.validation import check_int, check_positive, check_seed, format_values

if TYPE_CHECKING:
    from mixlab.world import World

__all__ = [
    "EVAL_SEED",
    "LossFunction",
    "OptimizationResult",
    "simplex_grid",
    "grid_search",
    "rescore",
    "exponentiated_gradient",
    "kl_project_capped",
    "proxy_losses",
    "resolve_objective",
    "measure",
    "SearchSetup",
    "search_setup",
    "progress_bar",
]

#: A loss surface: mixture → per-domain validation losses (pandas Series indexed by domain).
LossFunction = Callable[[Mixture], pd.Series]

#: Default seed of the final, independent proxy run that measures a chosen mixture. Every
#: optimizer uses the same one, so methods are compared on the same draw of training data.
EVAL_SEED: int = 10_000


# ---------------------------------------------------------------------------- the result contract
@dataclass(frozen=True, eq=False)
class OptimizationResult:
    """What a mixture optimizer returns: the chosen mixture, its measured objective, and the cost.

    Attributes
    ----------
    mixture : Mixture
        The chosen token weights; ``mixture.provenance`` is ``{"mixer": <method>, "params": {...}}``.
    objective : str
        Name of the objective that was minimized (e.g. ``"uniform"``, ``"worst-case"``).
    value : float
        The objective at ``mixture``, measured by a *fresh* proxy run at the evaluation seed
        (default :data:`EVAL_SEED`), not the (optimistically biased) value seen during the
        search. With an injected loss function it is that function's value at ``mixture``.
    tokens_spent : int
        All proxy training tokens the method consumed during its search (every run counted).
        The final measuring run is *not* included: it is the referee's cost, the same for
        every method.
    runs : int
        Number of proxy trainings during the search (again without the measuring run).
    history : pandas.DataFrame
        The method's trace (one row per grid point, per step, ...); columns documented by
        each method. Weight columns are named after the domains.
    details : dict
        Optional method-specific extras (e.g. a fitted law); empty by default.

    Used in: 1.3, 1.5, 3.6.
    """

    mixture: Mixture
    objective: str
    value: float
    tokens_spent: int
    runs: int
    history: pd.DataFrame
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        """The method name recorded in the mixture's provenance (``"?"`` if absent)."""
        return str(self.mixture.provenance.get("mixer", "?"))

    def summary(self) -> pd.Series:
        """One row for a comparison table: method, objective, value, runs, tokens and the weights."""
        row: dict[str, Any] = {
            "method": self.method,
            "objective": self.objective,
            "value": self.value,
            "runs": self.runs,
            "tokens_spent": self.tokens_spent,
        }
        row.update(dict(self.mixture.items()))
        return pd.Series(row, name=self.method)

    def rescore(self, objective: Objective | str) -> pd.DataFrame:
        """The grid under another objective, from the stored losses (no retraining); see :func:`rescore`.

        Only for results whose ``history`` stores per-domain losses (``loss_<domain>`` columns),
        as :func:`grid_search` does.

        Used in: 1.3, 1.5 (the optimum moves with the objective).
        """
        return rescore(self.history, objective, self.mixture.domains)

    def __repr__(self) -> str:
        weights = ", ".join(f"{d}={w:.3f}" for d, w in self.mixture.items())
        return (
            f"OptimizationResult({self.method}: {self.objective}={self.value:.4f} at [{weights}]; "
            f"{self.runs:,} runs, {self.tokens_spent:,} tokens)"
        )


# ---------------------------------------------------------------------------- shared helpers
def resolve_objective(objective: Objective | str) -> Objective:
    """Return ``objective`` as an :class:`~mixlab.objectives.Objective`.

    Parameters
    ----------
    objective : Objective or str
        An objective, or the name of a parameter-free one (``"uniform"``, ``"worst-case"``).

    Raises
    ------
    TypeError
        If ``objective`` is neither.
    ValueError
        For an unknown name.

    Used in: 1.3, 1.5.
    """
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        known = standard_objectives()
        if objective not in known:
            raise ValueError(
                f"objective {objective!r} is not a parameter-free objective (known: {', '.join(known)}); "
                "build weighted or excess objectives with mixlab.objectives"
            )
        return known[objective]
    raise TypeError(f"objective must be an Objective or a name (got {type(objective).__name__})")


def proxy_losses(world: World, config: ProxyConfig = PROXY, seed: int = 0) -> LossFunction:
    """The proxy loss surface at a fixed seed: ``w ↦ train_proxy(world, w, config, seed).losses``.

    Every call uses the same ``seed``, so all mixtures see the same document order within each
    domain and differ only in *how much* of each domain they train on (common random numbers).

    Used in: 1.3, 1.5.
    """
    if not isinstance(config, ProxyConfig):
        raise TypeError(f"config must be a ProxyConfig (got {type(config).__name__})")
    s = check_seed(seed)

    def losses(mixture: Mixture) -> pd.Series:
        return train_proxy(world, mixture, config, s).losses

    return losses


@dataclass(frozen=True)
class SearchSetup:
    """A validated mixture-search problem shared by DoReMi, the mixing-law fit and RegMix.

    Attributes
    ----------
    domains : tuple of str
    objective : Objective
    caps : numpy.ndarray
        Weight caps ``u_i = min(1, E_max T_i / B)`` (all 1 without a repetition cap).
    budget : int
        Training tokens of one proxy run (what one search run costs).
    evaluate : callable
        The search surface, mixture → per-domain losses (proxy runs at the search seed).
    measure_fn : callable
        The measuring surface (a fresh proxy run at the evaluation seed).

    Used in: 1.5.
    """

    domains: tuple[str, ...]
    objective: Objective
    caps: np.ndarray
    budget: int
    evaluate: LossFunction
    measure_fn: LossFunction

    def mixture(self, w: np.ndarray, method: str = "search", params: Mapping[str, Any] | None = None) -> Mixture:
        """Token-kind Mixture of weights ``w`` (validated on the simplex, nothing normalized)."""
        prov = {"mixer": method, "params": dict(params or {})}
        return Mixture(
            dict(zip(self.domains, np.asarray(w).tolist(), strict=True)), domains=self.domains, provenance=prov
        )

    def losses(self, w: np.ndarray, measuring: bool = False) -> pd.Series:
        """Per-domain losses at ``w`` from the search surface (or the measuring one), checked finite."""
        raw = (self.measure_fn if measuring else self.evaluate)(self.mixture(w))
        if not isinstance(raw, pd.Series):
            raise TypeError(f"evaluate must return a pandas Series of per-domain losses (got {type(raw).__name__})")
        missing = [d for d in self.domains if d not in raw.index]
        if missing:
            raise ValueError(f"evaluate returned no loss for domains: {', '.join(missing)}")
        out = raw.loc[list(self.domains)].astype(np.float64)
        if not np.all(np.isfinite(out.to_numpy())):
            raise ValueError(f"evaluate returned non-finite losses ({format_values(out.items())})")
        return out

    def measure(self, w: np.ndarray) -> float:
        """The objective at ``w`` on the measuring surface (the ``value`` of a result)."""
        return self.objective(self.losses(w, measuring=True))

    def feasible(self, w: np.ndarray, atol: float = 1e-9) -> np.ndarray:
        """Whether each row of ``w`` respects the caps (within ``atol``)."""
        return np.all(np.asarray(w) <= self.caps + atol, axis=-1)


def search_setup(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    max_epochs: float | None = None,
    seed: int = 0,
    eval_seed: int = EVAL_SEED,
    evaluate: LossFunction | None = None,
    domains: Sequence[str] | None = None,
    sizes: pd.Series | Mapping[str, float] | None = None,
    *,
    cap_budget: float | None = None,
) -> SearchSetup:
    """Validate a search problem: a world (proxy runs) or an injected loss surface, caps, objective.

    Parameters
    ----------
    world : World or None
        Supplies training data, validation sets and domain sizes; ``None`` only with ``evaluate``.
    objective : Objective or str
    config : ProxyConfig
        The proxy each search run trains; ``config.budget`` is the cost of one run.
    max_epochs : float, optional
        Repetition cap ``E_max`` (caps ``u_i = min(1, E_max T_i / B)``); ``None`` means no cap.
    seed, eval_seed : int
        Seed of every search run; seed of the fresh measuring run.
    evaluate : callable, optional
        Mixture → per-domain losses, used instead of proxy runs (tests use analytic surfaces).
    domains : sequence of str, optional
        Required without a world.
    sizes : Series or mapping, optional
        Tokens per domain (for caps without a world).
    cap_budget : float, optional
        The budget ``B`` the caps are computed at, ``u_i = min(1, E_max T_i / B)``: the token
        budget of the *run* the mixture is chosen for, which can differ from the proxy's own
        ``config.budget`` (a proxy that trains on 300k tokens choosing the mixture of a 6M-token
        run). Default ``None``: ``config.budget``. Only used with ``max_epochs``.

    Returns
    -------
    SearchSetup

    Raises
    ------
    TypeError, ValueError
        Bad arguments, fewer than 2 domains, or infeasible caps (``E_max Σ T_i < B``).

    Used in: 1.5, 3.6 (caps at the run's budget, searched with a smaller proxy).
    """
    from mixlab.budget import check_feasible

    obj = resolve_objective(objective)
    if not isinstance(config, ProxyConfig):
        raise TypeError(f"config must be a ProxyConfig (got {type(config).__name__})")
    s = check_seed(seed)
    es = check_seed(eval_seed, "eval_seed")
    cap_b = None if cap_budget is None else check_positive(cap_budget, "cap_budget")
    if world is None and evaluate is None:
        raise ValueError("give a world (to train proxies) or an evaluate function (mixture -> per-domain losses)")
    if evaluate is not None and not callable(evaluate):
        raise TypeError(f"evaluate must be callable (got {type(evaluate).__name__})")
    size_s: pd.Series | None
    if world is not None:
        doms = tuple(world.train.domains)
        if domains is not None and tuple(domains) != doms:
            raise ValueError(f"domains {list(domains)} differ from the world's domains {list(doms)}")
        size_s = world.train.token_counts().astype(np.float64)
    else:
        if domains is None:
            raise ValueError("without a world, pass domains= (the names the evaluate function expects)")
        doms = tuple(domains)
        if not doms or len(set(doms)) != len(doms):
            raise ValueError(f"domains must be non-empty and unique (got {list(doms)})")
        size_s = None if sizes is None else pd.Series(sizes, dtype=np.float64)
    if len(doms) < 2:
        raise ValueError(f"optimizing a mixture needs at least 2 domains (got {list(doms)})")
    if max_epochs is None:
        caps = np.ones(len(doms))
    else:
        if size_s is None:
            raise ValueError("max_epochs needs the domain sizes: pass a world or sizes= (tokens per domain)")
        missing = [d for d in doms if d not in size_s.index]
        if missing:
            raise ValueError(f"sizes must give tokens for every domain (missing: {', '.join(missing)})")
        at = config.budget if cap_b is None else cap_b
        caps = check_feasible(size_s.loc[list(doms)], at, max_epochs).to_numpy(dtype=np.float64)
    if evaluate is None:
        assert world is not None
        ev, meas = proxy_losses(world, config, s), proxy_losses(world, config, es)
    else:
        ev = meas = evaluate
    return SearchSetup(doms, obj, caps, int(config.budget), ev, meas)


def progress_bar(iterable: Iterable[Any] | None, progress: bool, **kwargs: Any) -> Any:
    """A tqdm bar over ``iterable`` (shown when ``progress`` is True).

    ``disable`` is passed only when ``progress`` is False, so that ``TQDM_DISABLE=1`` (set
    under tests and notebook runs) still silences the bar otherwise.

    Used in: 1.5 (every search loop of the cited methods).
    """
    from tqdm.auto import tqdm

    options: dict[str, Any] = {} if progress else {"disable": True}
    return tqdm(iterable, **kwargs, **options)


def _measure(problem: SearchSetup, w: np.ndarray) -> tuple[float, pd.Series]:
    """Objective and losses of ``w`` under the measuring surface (the fresh evaluation-seed run)."""
    losses = problem.losses(w, measuring=True)
    return problem.objective(losses), losses


def measure(
    world: World, mixture: Mixture, objective: Objective | str, config: ProxyConfig = PROXY, seed: int = EVAL_SEED
) -> float:
    """The objective of ``mixture`` measured by one fresh proxy run (the ``value`` of a result).

    Parameters
    ----------
    world : World
    mixture : Mixture
        Token weights over the world's domains.
    objective : Objective or str
    config : ProxyConfig
    seed : int
        Default :data:`EVAL_SEED`, the seed every optimizer measures its answer with.

    Returns
    -------
    float

    Used in: 1.5, 3.6 (every method and baseline scored on the same run).
    """
    obj = resolve_objective(objective)
    return obj(train_proxy(world, mixture, config, check_seed(seed)).losses)


# ---------------------------------------------------------------------------- grid search
def simplex_grid(k: int | Sequence[str], resolution: int) -> np.ndarray | pd.DataFrame:
    """Every point of the simplex whose coordinates are multiples of ``1 / resolution``.

    There are ``C(resolution + k − 1, k − 1)`` such points (stars and bars). Coordinates are
    computed as integers divided by ``resolution``, so each row sums to 1 up to rounding.

    Parameters
    ----------
    k : int or sequence of str
        Number of domains (>= 1), or the domain names (then a DataFrame with those columns is
        returned, ready for a ternary plot when there are three).
    resolution : int
        Grid resolution ``r >= 1``.

    Returns
    -------
    numpy.ndarray or pandas.DataFrame
        Shape ``(C(r + k − 1, k − 1), k)``, rows in lexicographic order of the integer counts
        (largest first coordinate first).

    Raises
    ------
    TypeError, ValueError
        On a non-integer or non-positive ``k``/``resolution``, repeated names, or a grid of more
        than one million points.

    Examples
    --------
    >>> simplex_grid(3, 2).tolist()
    [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]]

    Used in: 1.3 (ternary heat map), 1.4 (candidate mixtures).
    """
    names: tuple[str, ...] | None = None
    if isinstance(k, str):
        raise TypeError("k must be an int or a sequence of domain names, not a single string")
    if isinstance(k, Sequence):
        names = tuple(k)
        if len(set(names)) != len(names):
            raise ValueError(f"domain names must be unique (got {list(names)})")
        kk = check_int(len(names), "number of domains", minimum=1)
    else:
        kk = check_int(k, "k", minimum=1)
    r = check_int(resolution, "resolution", minimum=1)
    n = math.comb(r + kk - 1, kk - 1)
    if n > 1_000_000:
        raise ValueError(f"simplex_grid would have {n:,} points (k={kk}, resolution={r}); keep it under 1,000,000")
    # stars and bars: choose k-1 bar positions among r + k - 1 slots; gaps between bars are the counts
    bars = np.array(list(itertools.combinations(range(r + kk - 1), kk - 1)), dtype=np.int64).reshape(n, kk - 1)
    edges = np.hstack([np.full((n, 1), -1), bars, np.full((n, 1), r + kk - 1)])
    counts = np.diff(edges, axis=1) - 1
    # combinations come in ascending bar order, i.e. ascending first count: flip for largest first
    counts = counts[::-1]
    grid = counts / r
    if names is None:
        return grid
    return pd.DataFrame(grid, columns=pd.Index(names, name="domain"))


def grid_search(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    resolution: int = 10,
    max_epochs: float | None = None,
    seed: int = 0,
    eval_seed: int = EVAL_SEED,
    progress: bool = True,
    *,
    evaluate: LossFunction | None = None,
    domains: Sequence[str] | None = None,
    sizes: pd.Series | Mapping[str, float] | None = None,
    train_infeasible: bool = True,
    seeds: Sequence[int] | None = None,
    cap_budget: float | None = None,
) -> OptimizationResult:
    """Evaluate the objective at every point of a simplex grid and return the best feasible one.

    One proxy is trained per grid point, all with the same ``seed`` (common random numbers:
    every point sees the same documents in the same order, only in different amounts), so
    differences between points are differences between mixtures, not sampling noise. Points
    whose weight exceeds a repetition cap ``u_i = min(1, E_max T_i / B)`` (at the config's
    budget B) are kept in the table with ``feasible=False`` and never chosen.

    Parameters
    ----------
    world : World or None
        Supplies training data, validation sets and domain sizes. ``None`` only with ``evaluate``.
    objective : Objective or str
        What to minimize (see :mod:`mixlab.objectives`).
    config : ProxyConfig
        The proxy trained at every point (default :data:`mixlab.proxy.PROXY`).
    resolution : int
        Grid spacing ``1 / resolution``; ``C(resolution + k − 1, k − 1)`` points.
    max_epochs : float, optional
        Repetition cap ``E_max``; ``None`` means no cap.
    seed : int
        Sampling seed shared by every search run (when ``seeds`` is None).
    eval_seed : int
        Seed of the fresh run that measures the chosen mixture (reported as ``value``).
    progress : bool
        Show a tqdm bar (``TQDM_DISABLE=1`` silences it too).
    evaluate : callable, optional
        A loss surface ``Mixture → pandas.Series`` used instead of training proxies (each call
        is still counted as one run of ``config.budget`` tokens; with ``seeds`` it is called
        once per seed, without a seed argument).
    domains : sequence of str, optional
        Domain names; required when ``world`` is None.
    sizes : Series or mapping, optional
        Tokens per domain, for caps when ``world`` is None.
    train_infeasible : bool
        Also train proxies on infeasible points (default True, so a heat map covers the whole
        simplex); when False their losses and objective are NaN and they cost nothing.
    seeds : sequence of int, optional
        Train one proxy per seed at every grid point and average the per-domain losses over
        the seeds before applying the objective (less sampling noise, ``len(seeds)`` times the
        cost: ``runs`` and ``tokens_spent`` count every run). All points share the same seeds
        (common random numbers). Default None: one run per point at ``seed``, as before.
        ``seed`` must then be left at its default.
    cap_budget : float, optional
        Budget ``B`` at which the caps are computed (default ``config.budget``); see
        :func:`search_setup`. Use it when the proxy's budget is not the run's budget.

    Returns
    -------
    OptimizationResult
        ``history`` has one row per grid point: the weights (one column per domain),
        ``loss_<domain>`` (mean over ``seeds`` when given), ``objective`` (at the search
        seed(s)), ``feasible`` and ``best``. With ``seeds``, the provenance params record
        ``seeds`` (and ``seed`` is None) and ``details["seed_losses"]`` holds the per-seed
        losses (index ``point``, ``seed``; one column per domain). :func:`rescore` re-ranks the
        grid under another objective from these stored losses, without retraining.

    Raises
    ------
    TypeError, ValueError
        On bad arguments, an infeasible cap (``E_max Σ T_i < B``), a grid with no feasible
        point, empty or repeated ``seeds``, or both ``seed`` and ``seeds``.

    Used in: 1.3 (ternary heat map with the optimum), 1.5, 3.6.
    """
    prob = search_setup(world, objective, config, max_epochs, seed, eval_seed, evaluate, domains, sizes,
                        cap_budget=cap_budget)
    r = check_int(resolution, "resolution", minimum=1)
    if not isinstance(train_infeasible, bool):
        raise TypeError(f"train_infeasible must be a bool (got {train_infeasible!r})")
    seed_list = _grid_seeds(seed, seeds)
    if seed_list is None:
        evaluators: list[SearchSetup] = [prob]
    elif evaluate is None:
        assert world is not None  # search_setup checked: a world or an evaluate function
        evaluators = [replace(prob, evaluate=proxy_losses(world, config, s)) for s in seed_list]
    else:
        evaluators = [prob] * len(seed_list)
    grid = simplex_grid(len(prob.domains), r)
    assert isinstance(grid, np.ndarray)
    feasible = prob.feasible(grid)
    if not feasible.any():
        raise ValueError(
            f"no grid point satisfies the caps ({format_values(zip(prob.domains, prob.caps.tolist(), strict=True))}) "
            f"at resolution {r}; raise the resolution or max_epochs"
        )
    k = len(prob.domains)
    n_seeds = len(evaluators)
    losses = np.full((len(grid), k), np.nan)
    per_seed = np.full((len(grid), n_seeds, k), np.nan)
    values = np.full(len(grid), np.nan)
    todo = np.arange(len(grid)) if train_infeasible else np.flatnonzero(feasible)
    for i in progress_bar(todo, progress, desc=f"grid search ({len(todo) * n_seeds} runs)"):
        if seed_list is None:
            ls = prob.losses(grid[i])
        else:
            for j, ev in enumerate(evaluators):
                per_seed[i, j] = ev.losses(grid[i]).to_numpy()
            ls = pd.Series(per_seed[i].mean(axis=0), index=pd.Index(prob.domains))
        losses[i] = ls.to_numpy()
        values[i] = prob.objective(ls)
    masked = np.where(feasible, values, np.inf)
    best = int(np.argmin(masked))
    history = pd.DataFrame(grid, columns=list(prob.domains))
    for j, d in enumerate(prob.domains):
        history[f"loss_{d}"] = losses[:, j]
    history["objective"] = values
    history["feasible"] = feasible
    history["best"] = np.arange(len(grid)) == best
    history.index.name = "point"
    params = {
        "objective": prob.objective.name,
        "resolution": r,
        "max_epochs": max_epochs,
        "budget": prob.budget,
        "seed": seed,
        "eval_seed": eval_seed,
        "config": getattr(config, "name", "?"),
    }
    if cap_budget is not None:
        params["cap_budget"] = cap_budget
    details: dict[str, Any] = {}
    if seed_list is not None:
        params["seed"] = None
        params["seeds"] = list(seed_list)
        index = pd.MultiIndex.from_product([np.arange(len(grid)), seed_list], names=["point", "seed"])
        details["seed_losses"] = pd.DataFrame(per_seed.reshape(-1, k), index=index, columns=list(prob.domains))
    value, _ = _measure(prob, grid[best])
    return OptimizationResult(
        mixture=prob.mixture(grid[best], "grid_search", params),
        objective=prob.objective.name,
        value=value,
        tokens_spent=len(todo) * n_seeds * prob.budget,
        runs=len(todo) * n_seeds,
        history=history,
        details=details,
    )


def _grid_seeds(seed: int, seeds: Sequence[int] | None) -> list[int] | None:
    """Validate ``seeds`` (None, or distinct valid seeds, with ``seed`` left at its default)."""
    if seeds is None:
        return None
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence):
        raise TypeError(f"seeds must be a sequence of ints (got {type(seeds).__name__})")
    out = [check_seed(s, "seeds") for s in seeds]
    if not out:
        raise ValueError("seeds must name at least one seed (got an empty sequence)")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct (got {out}); a repeated seed repeats the same run")
    if seed != 0:
        raise ValueError(f"give seed or seeds, not both (got seed={seed!r}, seeds={out})")
    return out


def rescore(
    history: pd.DataFrame, objective: Objective | str, domains: Sequence[str] | None = None
) -> pd.DataFrame:
    """Score a grid search's stored per-domain losses under another objective, without retraining.

    The per-domain losses do not depend on the objective, so once a grid has been trained the
    optimum under any other objective is a table lookup: this function applies ``objective``
    to the ``loss_<domain>`` columns of every grid point and marks the best *feasible* point.
    The values are at the search seed(s), like the ``objective`` column of ``history``; to
    report a chosen mixture's value as the optimizers do, measure it with a fresh run
    (:func:`measure`).

    Parameters
    ----------
    history : pandas.DataFrame
        ``OptimizationResult.history`` of :func:`grid_search`: weight columns named after the
        domains, ``loss_<domain>`` columns and (optionally) ``feasible``.
    objective : Objective or str
        The new objective (an :class:`~mixlab.objectives.Objective`, or a parameter-free name).
    domains : sequence of str, optional
        The domains, in order (default: read from the ``loss_<domain>`` columns).

    Returns
    -------
    pandas.DataFrame
        Same index as ``history``: the weight columns, ``objective`` (NaN where the point was
        not trained), ``feasible`` (all True when ``history`` has no such column) and ``best``
        (True at the feasible point with the lowest objective; the first one on ties).
        ``attrs["objective"]`` holds the objective's name.

    Raises
    ------
    TypeError
        If ``history`` is not a DataFrame or ``objective`` is not an objective.
    ValueError
        Missing weight or loss columns, or no feasible point with losses.

    Examples
    --------
    >>> from mixlab.objectives import weighted_objective
    >>> result = grid_search(None, "uniform", resolution=4, domains=["a", "b"], progress=False,
    ...                      evaluate=lambda m: pd.Series({"a": 1 - m["a"], "b": 2 * (1 - m["b"])}))
    >>> table = rescore(result.history, weighted_objective({"a": 0.9, "b": 0.1}))
    >>> table.loc[table["best"], ["a", "b"]].to_numpy().tolist()
    [[1.0, 0.0]]

    Used in: 1.3, 1.5 (the optimum moves with the objective, at no extra training cost).
    """
    if not isinstance(history, pd.DataFrame):
        raise TypeError(f"history must be a pandas DataFrame from grid_search (got {type(history).__name__})")
    obj = resolve_objective(objective)
    if domains is None:
        doms = [str(c)[len("loss_"):] for c in history.columns if str(c).startswith("loss_")]
        if not doms:
            raise ValueError(
                "history has no loss_<domain> columns (rescore needs the per-domain losses that grid_search "
                f"stores; has: {', '.join(map(str, history.columns))})"
            )
    else:
        doms = [str(d) for d in domains]
    need = doms + [f"loss_{d}" for d in doms]
    missing = [c for c in need if c not in history.columns]
    if missing:
        has = ", ".join(map(str, history.columns))
        raise ValueError(f"history is missing columns: {', '.join(missing)} (has: {has})")
    losses = history[[f"loss_{d}" for d in doms]].to_numpy(dtype=np.float64)
    trained = np.all(np.isfinite(losses), axis=1)
    values = np.full(len(history), np.nan)
    for i in np.flatnonzero(trained):
        values[i] = obj(pd.Series(losses[i], index=pd.Index(doms, name="domain")))
    if "feasible" in history.columns:
        feasible = history["feasible"].to_numpy(dtype=bool)
    else:
        feasible = np.ones(len(history), dtype=bool)
    usable = feasible & np.isfinite(values)
    if not usable.any():
        raise ValueError("history has no feasible grid point with losses to rescore")
    best = int(np.argmin(np.where(usable, values, np.inf)))
    out = history[doms].copy()
    out["objective"] = values
    out["feasible"] = feasible
    out["best"] = np.arange(len(history)) == best
    out.attrs["objective"] = obj.name
    return out


# ---------------------------------------------------------------------------- mirror descent
def kl_project_capped(v: Any, caps: Any) -> np.ndarray:
    """KL (Bregman) projection of positive weights onto the capped simplex ``{w ∈ Δ : w <= u}``.

    ``argmin_w KL(w ‖ v)`` subject to ``Σ w = 1``, ``0 <= w <= u`` has the form
    ``w_i = min(u_i, c v_i)`` for one scalar ``c`` (KKT conditions of the entropic projection).
    It is found by iterative capping: scale the free coordinates to fill the mass the capped
    ones leave, cap every free coordinate that now exceeds its bound, and repeat. A capped
    coordinate stays capped (the scale only grows), so at most ``k`` rounds are needed.
    Without binding caps this is plain normalization ``v / Σ v``.

    Parameters
    ----------
    v : array-like
        Non-negative finite weights, at least one positive (need not sum to 1).
    caps : array-like
        Upper bounds ``u_i >= 0`` of the same length.

    Returns
    -------
    numpy.ndarray
        The projection (sums to 1, ``w <= u``, zero exactly where ``v`` is zero).

    Raises
    ------
    ValueError
        Wrong shapes, negative or non-finite values, all-zero ``v``, or caps on the support of
        ``v`` summing to less than 1 (the set is empty).

    Used in: 1.3 (exponentiated gradient under repetition caps).
    """
    vv = np.asarray(v, dtype=np.float64)
    uu = np.asarray(caps, dtype=np.float64)
    if vv.ndim != 1 or uu.shape != vv.shape or vv.size == 0:
        raise ValueError(f"v and caps must be non-empty 1-d arrays of equal length (got {vv.shape}, {uu.shape})")
    if not np.all(np.isfinite(vv)) or (vv < 0).any() or vv.sum() <= 0:
        raise ValueError(f"v must be finite, >= 0 and not all zero (got {vv.tolist()})")
    if np.isnan(uu).any() or (uu < 0).any():
        raise ValueError(f"caps must be >= 0 (got {uu.tolist()})")
    support = vv > 0
    if np.minimum(uu[support], 1.0).sum() < 1.0 - 1e-12:
        raise ValueError(
            f"the capped simplex restricted to the support of v is empty (caps there sum to "
            f"{np.minimum(uu[support], 1.0).sum():.6g} < 1)"
        )
    capped = np.zeros(vv.size, dtype=bool)
    w = vv / vv.sum()
    for _ in range(vv.size):
        free = ~capped
        scale = (1.0 - uu[capped].sum()) / vv[free].sum()
        w = np.where(capped, uu, vv * scale)
        over = free & (w > uu)
        if not over.any():
            break
        capped |= over
    return w


def exponentiated_gradient(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    steps: int = 25,
    lr: float = 1.0,
    max_epochs: float | None = None,
    seed: int = 0,
    init: Mixture | Sequence[float] | np.ndarray | None = None,
    fd_eps: float = 0.05,
    eval_seed: int = EVAL_SEED,
    progress: bool = True,
    *,
    decay: bool = True,
    tol: float = 1e-4,
    output: Literal["best", "last", "average"] = "best",
    evaluate: LossFunction | None = None,
    domains: Sequence[str] | None = None,
    sizes: pd.Series | Mapping[str, float] | None = None,
    cap_budget: float | None = None,
) -> OptimizationResult:
    """Minimize the objective over the (capped) simplex by exponentiated gradient (mirror descent).

    Update: ``w ← Π_KL(w ⊙ exp(−η_t g))`` where ``Π_KL`` is the KL projection onto
    ``{w ∈ Δ : w <= u}`` (:func:`kl_project_capped`; plain normalization when no cap binds) and
    ``η_t = lr / sqrt(t + 1)`` (or ``lr`` with ``decay=False``). Mirror descent with the entropy
    mirror map keeps the weights positive and on the simplex without any clipping
    (Kivinen & Warmuth 1997; Beck & Teboulle 2003). DoReMi's domain-weight update is the same
    multiplicative rule applied to excess losses (Xie et al. 2023, arXiv 2305.10429).

    Gradient estimate: a forward difference along each simplex edge direction,
    ``d_i = [L((1 − ε) w + ε e_i) − L(w)] / ε``, which equals ``∂_i L − ⟨∇L, w⟩ + O(ε)``: the
    gradient up to a constant shift, and the multiplicative update is invariant to that shift
    (it cancels in the normalization). The probe points stay on the simplex (they may step up
    to ``ε`` beyond a cap: they are measurements, never the returned mixture). Each step costs
    ``k + 1`` proxy runs. All runs use the *same* seed (common random numbers): with a fixed seed
    each domain's documents come in the same order whatever the weights, so ``L(w')`` and
    ``L(w)`` differ only by the extra or missing tokens of each domain and the sampling noise,
    which would otherwise swamp a difference of ``ε``, cancels in ``L(w') − L(w)``.

    Parameters
    ----------
    world : World or None
        Supplies the data; ``None`` only with ``evaluate``.
    objective : Objective or str
    config : ProxyConfig
    steps : int
        Number of updates (>= 1); the run stops earlier when an update moves ``w`` by less than
        ``tol`` in L1.
    lr : float
        Step size ``η > 0`` (nats⁻¹ per unit weight). Default 1; see Notes (``lr=2`` for
        starts far from the optimum).
    max_epochs : float, optional
        Repetition cap ``E_max`` (caps ``u_i = min(1, E_max T_i / B)``).
    seed : int
        The common seed of every search run.
    init : Mixture or array, optional
        Starting weights, strictly positive and within the caps (a zero weight could never
        grow under a multiplicative update). Default: the KL projection of uniform onto the caps.
    fd_eps : float
        Finite-difference step ε in (0, 0.5]. Default 0.05; see Notes (``fd_eps=0.1`` on
        bumpy surfaces).
    eval_seed : int
        Seed of the fresh run that measures the returned mixture.
    progress : bool
        Show a tqdm bar.
    decay : bool
        Use ``η_t = lr / sqrt(t + 1)`` (default) instead of a constant step.
    tol : float
        Stopping tolerance on ``‖w_{t+1} − w_t‖_1`` (>= 0).
    output : {"best", "last", "average"}
        Which mixture to return: the visited iterate with the lowest search objective (default;
        a (sub)gradient method is not a descent method, and at the kinks of a worst-case
        objective the last iterate can wander off), the last iterate, or the average iterate
        (the one mirror-descent convergence bounds are stated for; it respects the caps since
        the capped simplex is convex).
    evaluate, domains, sizes
        As for :func:`grid_search` (an injected loss surface).
    cap_budget : float, optional
        Budget ``B`` at which the caps are computed (default ``config.budget``); see
        :func:`search_setup`.

    Returns
    -------
    OptimizationResult
        ``history`` has one row per visited iterate ``t`` with the weights,
        ``loss_<domain>``, ``objective`` (search seed), ``grad_<domain>`` (the shifted gradient
        estimate, NaN on the last row), ``lr``, ``runs`` and ``tokens_spent`` (cumulative), and
        ``chosen`` (the returned iterate; absent for ``output="average"``).

    Raises
    ------
    TypeError, ValueError
        On bad arguments (non-positive lr, ε outside (0, 0.5], an init off the simplex, with a
        zero weight, or above a cap).

    Notes
    -----
    Choosing ``lr`` and ``fd_eps``: the defaults (``lr=1``, ``fd_eps=0.05``) take small, careful
    steps. On a proxy surface, which is slightly bumpy even with common random numbers (documents
    enter a domain's sample one at a time, some more useful than others), small probes and small
    steps can stall on a bump far from the optimum. For starts far from the optimum use
    ``lr=2, fd_eps=0.1`` (with e.g. ``tol=0.01``): the larger probe looks past the bumps and the
    larger step gets to the floor of the bowl in a few steps (lesson 1.3 does this from the
    proportional mixture).

    Used in: 1.3 (a real optimizer agrees with the grid), 1.5, 3.6.
    """
    prob = search_setup(world, objective, config, max_epochs, seed, eval_seed, evaluate, domains, sizes,
                        cap_budget=cap_budget)
    n_steps = check_int(steps, "steps", minimum=1)
    eta = check_positive(lr, "lr")
    eps = check_positive(fd_eps, "fd_eps")
    if eps > 0.5:
        raise ValueError(f"fd_eps must lie in (0, 0.5] (got {eps:g})")
    tolerance = check_positive(tol, "tol", allow_zero=True)
    if not isinstance(decay, bool):
        raise TypeError(f"decay must be a bool (got {decay!r})")
    if output not in ("best", "last", "average"):
        raise ValueError(f"output must be 'best', 'last' or 'average' (got {output!r})")
    k = len(prob.domains)
    if init is None:
        w = kl_project_capped(np.full(k, 1.0 / k), prob.caps)
    else:
        w = init.as_array(prob.domains) if isinstance(init, Mixture) else np.asarray(init, dtype=np.float64)
        if w.shape != (k,) or not np.all(np.isfinite(w)) or abs(w.sum() - 1.0) > 1e-9:
            raise ValueError(f"init must be {k} finite weights summing to 1 (got {np.asarray(w).tolist()})")
        if (w <= 0).any():
            raise ValueError(
                "init weights must be > 0 (a multiplicative update never revives a zero weight; got "
                f"{format_values(zip(prob.domains, w.tolist(), strict=True))})"
            )
        if not prob.feasible(w):
            raise ValueError(
                f"init exceeds the caps ({format_values(zip(prob.domains, w.tolist(), strict=True))} vs caps "
                f"{format_values(zip(prob.domains, prob.caps.tolist(), strict=True))})"
            )
    rows: list[dict[str, Any]] = []
    runs = 0
    eye = np.eye(k)
    iterates = []
    bar = progress_bar(None, progress, total=n_steps, desc=f"exponentiated gradient ({n_steps} steps x {k + 1} runs)")
    t = 0
    while True:
        base = prob.losses(w)
        f0 = prob.objective(base)
        runs += 1
        iterates.append(w)
        row: dict[str, Any] = {"step": t, **dict(zip(prob.domains, w.tolist(), strict=True))}
        row.update({f"loss_{d}": v for d, v in base.items()})
        row["objective"] = f0
        if t == n_steps:
            row.update({f"grad_{d}": np.nan for d in prob.domains})
            row.update(lr=np.nan, runs=runs, tokens_spent=runs * prob.budget)
            rows.append(row)
            break
        g = np.empty(k)
        for i in range(k):  # k probes, each one proxy run
            g[i] = (prob.objective(prob.losses((1.0 - eps) * w + eps * eye[i])) - f0) / eps
        runs += k
        eta_t = eta / math.sqrt(t + 1) if decay else eta
        row.update({f"grad_{d}": v for d, v in zip(prob.domains, g.tolist(), strict=True)})
        row.update(lr=eta_t, runs=runs, tokens_spent=runs * prob.budget)
        rows.append(row)
        # shifting the exponent by a constant does not change the projection; it avoids overflow
        z = -eta_t * g
        new = kl_project_capped(w * np.exp(z - z.max()), prob.caps)
        moved = float(np.abs(new - w).sum())
        w = new
        t += 1
        bar.update(1)
        if moved < tolerance:
            n_steps = t  # evaluate this last iterate, then stop
    bar.close()
    history = pd.DataFrame(rows).set_index("step")
    if output == "best":
        chosen = iterates[int(np.argmin(history["objective"].to_numpy()))]
    elif output == "average":
        chosen = np.mean(iterates, axis=0)
    else:
        chosen = w
    if output == "best":
        history["chosen"] = np.arange(len(history)) == int(np.argmin(history["objective"].to_numpy()))
    elif output == "last":
        history["chosen"] = np.arange(len(history)) == len(history) - 1
    params = {
        "objective": prob.objective.name,
        "output": output,
        "steps": int(history.index[-1]),
        "lr": eta,
        "decay": decay,
        "fd_eps": eps,
        "max_epochs": max_epochs,
        "budget": prob.budget,
        "seed": seed,
        "eval_seed": eval_seed,
        "config": getattr(config, "name", "?"),
    }
    if cap_budget is not None:
        params["cap_budget"] = cap_budget
    value, _ = _measure(prob, chosen)
    return OptimizationResult(
        mixture=prob.mixture(chosen, "exponentiated_gradient", params),
        objective=prob.objective.name,
        value=value,
        tokens_spent=runs * prob.budget,
        runs=runs,
        history=history,
    )
