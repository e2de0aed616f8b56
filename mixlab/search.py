"""The skeleton every mixture search shares: the problem, its proxy runs, the trace and the result.

The problem (COURSE.md, "Notation"):

    min_w  L(w)   subject to  w ∈ Δ^{k-1},  w_i <= u_i = min(1, E_max T_i / B),

with ``L(w)`` a validation objective (:mod:`mixlab.objectives`) of the per-domain losses of a
proxy trained on tokens drawn from ``w`` (:func:`mixlab.proxy.train_proxy`). Each search method
(grid search and exponentiated gradient in :mod:`mixlab.optimizers`, :mod:`mixlab.doremi`,
:mod:`mixlab.mixing_laws`, :mod:`mixlab.regmix`) holds only its algorithm, on top of this module:

- :func:`search_setup` validates the problem once (objective, proxy config, repetition caps,
  seeds, and the loss surface: proxy runs on a world, or an injected ``evaluate`` function,
  mixture → per-domain losses, which the tests use for analytic surfaces with a known
  minimizer). Every method takes the same keyword options, documented once in
  :class:`SearchOptions`.
- :class:`SearchSetup` runs batches of proxy runs (:meth:`~SearchSetup.run_batch`), turns them into
  the ``history`` table (:meth:`~SearchSetup.trace`), writes the provenance every method shares
  (:meth:`~SearchSetup.params`) and measures the chosen mixture into an :class:`OptimizationResult`
  (:meth:`~SearchSetup.result`).

The conventions, the same for every method so that methods compare in one table:

- **common random numbers**: every search run uses the same ``seed``, so two mixtures see the same
  documents in the same order and differ only in how much of each domain they read;
- **a fresh measurement**: a result's ``value`` is the objective of one more proxy run at
  ``eval_seed`` (default :data:`EVAL_SEED`, a seed no search uses), not the optimistically biased
  value the search saw;
- **the cost**: ``tokens_spent`` and ``runs`` count the search's own proxy trainings; the measuring
  run is the referee's cost, the same for every method, and is left out.

Used in: 1.3, 1.5, 3.6 (every search method is built on it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from mixlab.mixture import Mixture
from mixlab.objectives import Objective, resolve_objective
from mixlab.progress import progress_bar
from mixlab.proxy import PROXY, ProxyConfig, train_proxy
from mixlab.validation import check_positive, check_seed, format_values

if TYPE_CHECKING:
    from mixlab.world import World

__all__ = [
    "EVAL_SEED",
    "LossFunction",
    "SearchOptions",
    "OptimizationResult",
    "SearchSetup",
    "search_setup",
    "proxy_losses",
    "measure",
    "rescore",
]

#: A loss surface: mixture → per-domain validation losses (pandas Series indexed by domain).
LossFunction = Callable[[Mixture], pd.Series]

#: Default seed of the final, independent proxy run that measures a chosen mixture. Every
#: method uses the same one, so methods are compared on the same draw of training data.
EVAL_SEED: int = 10_000


class SearchOptions(TypedDict, total=False):
    """The keyword options every search method takes (its ``**options``), documented once.

    Attributes
    ----------
    max_epochs : float or None
        Repetition cap ``E_max``: weights are bounded by ``u_i = min(1, E_max T_i / B)``.
        Default None, no cap.
    cap_budget : float or None
        The budget ``B`` of those caps: the token budget of the *run* the mixture is chosen for,
        which can differ from the proxy's own ``config.budget`` (a proxy trained on 300k tokens
        choosing the mixture of a 6M-token run). Default None: ``config.budget``.
    seed : int
        The common seed of every search run (default 0).
    eval_seed : int
        Seed of the fresh run that measures the answer (default :data:`EVAL_SEED`).
    progress : bool
        Show a progress bar (default True; ``TQDM_DISABLE=1`` silences it too).
    evaluate : callable or None
        A loss surface ``Mixture → pandas.Series`` used instead of proxy runs; each call still
        counts as one run of ``config.budget`` tokens.
    domains : sequence of str or None
        The domain names; required without a world.
    sizes : Series or mapping or None
        Tokens per domain, for caps without a world.

    Used in: no lesson by name (its keys are the keywords of every search call).
    """

    max_epochs: float | None
    cap_budget: float | None
    seed: int
    eval_seed: int
    progress: bool
    evaluate: LossFunction | None
    domains: Sequence[str] | None
    sizes: pd.Series | Mapping[str, float] | None


# ---------------------------------------------------------------------------- the result contract
@dataclass(frozen=True, eq=False)
class OptimizationResult:
    """What a mixture search returns: the chosen mixture, its measured objective, and the cost.

    Attributes
    ----------
    mixture : Mixture
        The chosen token weights; ``mixture.provenance`` is ``{"mixer": <method>, "params": {...}}``.
    objective : str
        Name of the objective that was minimized (e.g. ``"uniform"``, ``"worst-case"``).
    value : float
        The objective at ``mixture``, measured by a *fresh* proxy run at the evaluation seed (with
        an injected loss function: that function's value at ``mixture``).
    tokens_spent : int
        All proxy training tokens of the search, every run counted, the measuring run excluded.
    runs : int
        Number of proxy trainings during the search (again without the measuring run).
    history : pandas.DataFrame
        The method's trace (one row per grid point, per step, ...); weight columns are named after
        the domains, per-domain losses ``loss_<domain>``; other columns documented by each method.
    details : dict
        Optional method-specific extras (e.g. a fitted law); empty by default.

    Used in: no lesson by name (every search method returns one).
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
        """One row for a comparison table: method, objective, value, runs, tokens and the weights.

        Used in: 1.3 (grid search and exponentiated gradient side by side).
        """
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
        """The searched points under another objective, from the stored losses; see :func:`rescore`.

        Used in: 1.3 (the optimum moves with the objective).
        """
        return rescore(self.history, objective, self.mixture.domains)

    def __repr__(self) -> str:
        weights = ", ".join(f"{d}={w:.3f}" for d, w in self.mixture.items())
        return (
            f"OptimizationResult({self.method}: {self.objective}={self.value:.4f} at [{weights}]; "
            f"{self.runs:,} runs, {self.tokens_spent:,} tokens)"
        )


# ---------------------------------------------------------------------------- loss surfaces
def proxy_losses(world: World, config: ProxyConfig = PROXY, seed: int = 0) -> LossFunction:
    """The proxy loss surface at a fixed seed: ``w ↦ train_proxy(world, w, config, seed).losses``.

    Every call uses the same ``seed``, so all mixtures see the same document order within each
    domain and differ only in *how much* of each domain they train on (common random numbers).

    Returns
    -------
    callable
        Mixture → per-domain losses.

    Raises
    ------
    TypeError, ValueError
        A config that is not a ProxyConfig, or a bad seed.

    Used in: no lesson directly; :func:`search_setup` builds the search surfaces with it.
    """
    if not isinstance(config, ProxyConfig):
        raise TypeError(f"config must be a ProxyConfig (got {type(config).__name__})")
    s = check_seed(seed)

    def losses(mixture: Mixture) -> pd.Series:
        return train_proxy(world, mixture, config, s).losses

    return losses


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
        Default :data:`EVAL_SEED`, the seed every search method measures its answer with.

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`mixlab.proxy.train_proxy` and :func:`mixlab.objectives.resolve_objective`.

    Used in: 1.3 (baselines and the grid optimum on the search seed and a fresh one).
    """
    obj = resolve_objective(objective)
    return obj(train_proxy(world, mixture, config, check_seed(seed)).losses)


# ---------------------------------------------------------------------------- the shared skeleton
@dataclass(frozen=True, eq=False)
class SearchSetup:
    """A validated mixture-search problem, and the steps every search method shares.

    Attributes
    ----------
    domains : tuple of str
    objective : Objective
    caps : numpy.ndarray
        Weight caps ``u_i = min(1, E_max T_i / B)`` (all 1 without a repetition cap).
    config : ProxyConfig
        The proxy of every search run; ``config.budget`` (:attr:`budget`) is what one run costs.
    surface : callable
        Seed → loss surface (mixture → per-domain losses): proxy runs at that seed, or the
        injected ``evaluate`` function whatever the seed.
    world : World or None
    sizes : pandas.Series or None
        Tokens per domain (of the world, or the ``sizes`` option), if known.
    max_epochs, cap_budget : float or None
    seed, eval_seed : int
        The search seed and the measuring seed.
    progress : bool

    Used in: no lesson by name (:func:`search_setup` builds one).
    """

    domains: tuple[str, ...]
    objective: Objective
    caps: np.ndarray
    config: ProxyConfig
    surface: Callable[[int], LossFunction]
    world: World | None = None
    sizes: pd.Series | None = None
    max_epochs: float | None = None
    cap_budget: float | None = None
    seed: int = 0
    eval_seed: int = EVAL_SEED
    progress: bool = True

    @property
    def budget(self) -> int:
        """Training tokens of one search run (``config.budget``)."""
        return int(self.config.budget)

    def mixture(self, w: np.ndarray, method: str = "search", params: Mapping[str, Any] | None = None) -> Mixture:
        """Token-kind Mixture of weights ``w`` (validated on the simplex, nothing normalized)."""
        prov = {"mixer": method, "params": dict(params or {})}
        return Mixture(
            dict(zip(self.domains, np.asarray(w).tolist(), strict=True)), domains=self.domains, provenance=prov
        )

    def losses(self, w: np.ndarray, measuring: bool = False, seed: int | None = None) -> pd.Series:
        """Per-domain losses at ``w`` on the search surface (or the measuring one, or at ``seed``), checked."""
        at = self.eval_seed if measuring else self.seed if seed is None else seed
        raw = self.surface(at)(self.mixture(w))
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

    def run_batch(
        self, weights: np.ndarray, desc: str | None = None, seeds: Sequence[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One search run per row of ``weights`` (one per seed with ``seeds``, their losses averaged).

        Returns ``losses`` (n, k; the mean over seeds), ``values`` (n,; the objective of those
        losses) and ``per_seed`` (n, seeds, k). A progress bar is shown when ``desc`` is given.
        """
        at = [self.seed] if seeds is None else list(seeds)
        n, k = len(weights), len(self.domains)
        per_seed, losses, values = np.empty((n, len(at), k)), np.empty((n, k)), np.empty(n)
        rows = range(n) if desc is None else progress_bar(range(n), self.progress, desc=desc)
        for i in rows:
            for j, s in enumerate(at):
                per_seed[i, j] = self.losses(weights[i], seed=s).to_numpy()
            losses[i] = per_seed[i].mean(axis=0)
            values[i] = self.objective(pd.Series(losses[i], index=pd.Index(self.domains)))
        return losses, values, per_seed

    def trace(self, weights: np.ndarray, losses: np.ndarray, values: np.ndarray, index: str,
              **columns: ArrayLike) -> pd.DataFrame:
        """The ``history`` table: the weights, ``loss_<domain>``, ``objective``, then ``columns`` in order."""
        out = pd.DataFrame(np.asarray(weights), columns=list(self.domains))
        for j, d in enumerate(self.domains):
            out[f"loss_{d}"] = losses[:, j]
        out["objective"] = values
        for name, col in columns.items():
            out[name] = np.asarray(col)
        out.index.name = index
        return out

    def params(self, **specific: Any) -> dict[str, Any]:
        """Provenance params: the objective, the method's own ``specific`` ones, then the shared search options."""
        out = {"objective": self.objective.name, **specific, "max_epochs": self.max_epochs,
               "budget": self.budget, "seed": self.seed, "eval_seed": self.eval_seed, "config": self.config.name}
        if self.cap_budget is not None:
            out["cap_budget"] = self.cap_budget
        return out

    def result(self, w: np.ndarray, method: str, params: Mapping[str, Any], *, runs: int, history: pd.DataFrame,
               details: Mapping[str, Any] | None = None, tokens_spent: int | None = None) -> OptimizationResult:
        """Measure the chosen ``w`` (a fresh run at ``eval_seed``) and build the result.

        ``tokens_spent`` defaults to ``runs × budget``. Raises ``AssertionError`` if ``w`` breaks a
        cap (every method guarantees it; checked here once for all).
        """
        if not self.feasible(w):
            pairs = zip(self.domains, np.asarray(w).tolist(), strict=True)
            raise AssertionError(f"{method} chose weights above the caps: {format_values(pairs)}")
        return OptimizationResult(
            mixture=self.mixture(w, method, params),
            objective=self.objective.name,
            value=self.measure(w),
            tokens_spent=runs * self.budget if tokens_spent is None else tokens_spent,
            runs=runs,
            history=history,
            details=dict(details or {}),
        )


def _domains_and_sizes(
    world: World | None, domains: Sequence[str] | None, sizes: pd.Series | Mapping[str, float] | None
) -> tuple[tuple[str, ...], pd.Series | None]:
    """The problem's domains and tokens per domain, from the world or from ``domains``/``sizes``."""
    if world is not None:
        doms = tuple(world.train.domains)
        if domains is not None and tuple(domains) != doms:
            raise ValueError(f"domains {list(domains)} differ from the world's domains {list(doms)}")
        return doms, world.train.token_counts().astype(np.float64)
    if domains is None:
        raise ValueError("without a world, pass domains= (the names the evaluate function expects)")
    doms = tuple(domains)
    if not doms or len(set(doms)) != len(doms):
        raise ValueError(f"domains must be non-empty and unique (got {list(doms)})")
    return doms, None if sizes is None else pd.Series(sizes, dtype=np.float64)


def search_setup(
    world: World | None, objective: Objective | str, config: ProxyConfig = PROXY, **options: Unpack[SearchOptions]
) -> SearchSetup:
    """Validate a search problem: a world (proxy runs) or an injected loss surface, caps, objective, seeds.

    Parameters
    ----------
    world : World or None
        Supplies training data, validation sets and domain sizes; ``None`` only with ``evaluate``.
    objective : Objective or str
    config : ProxyConfig
        The proxy each search run trains; ``config.budget`` is the cost of one run.
    **options
        The search options, :class:`SearchOptions`.

    Returns
    -------
    SearchSetup

    Raises
    ------
    TypeError, ValueError
        An unknown option, bad values, fewer than 2 domains, or infeasible caps (``E_max Σ T_i < B``).

    Used in: 3.6 (caps at the run's budget, searched with a smaller proxy).
    """
    from mixlab.budget import check_feasible

    known = list(SearchOptions.__annotations__)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"unknown keyword arguments {unknown} (the search options are: {', '.join(known)})")
    obj = resolve_objective(objective)
    if not isinstance(config, ProxyConfig):
        raise TypeError(f"config must be a ProxyConfig (got {type(config).__name__})")
    s, es = check_seed(options.get("seed", 0)), check_seed(options.get("eval_seed", EVAL_SEED), "eval_seed")
    cap_budget = options.get("cap_budget")
    cap_b = None if cap_budget is None else check_positive(cap_budget, "cap_budget")
    evaluate, max_epochs = options.get("evaluate"), options.get("max_epochs")
    progress = options.get("progress", True)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool (got {progress!r})")
    if world is None and evaluate is None:
        raise ValueError("give a world (to train proxies) or an evaluate function (mixture -> per-domain losses)")
    if evaluate is not None and not callable(evaluate):
        raise TypeError(f"evaluate must be callable (got {type(evaluate).__name__})")
    doms, size_s = _domains_and_sizes(world, options.get("domains"), options.get("sizes"))
    if len(doms) < 2:
        raise ValueError(f"optimizing a mixture needs at least 2 domains (got {list(doms)})")
    caps = np.ones(len(doms))
    if max_epochs is not None:
        if size_s is None:
            raise ValueError("max_epochs needs the domain sizes: pass a world or sizes= (tokens per domain)")
        missing = [d for d in doms if d not in size_s.index]
        if missing:
            raise ValueError(f"sizes must give tokens for every domain (missing: {', '.join(missing)})")
        at = config.budget if cap_b is None else cap_b
        caps = check_feasible(size_s.loc[list(doms)], at, max_epochs).to_numpy(dtype=np.float64)
    if evaluate is None:
        assert world is not None
        w: World = world

        def surface(seed: int) -> LossFunction:
            return proxy_losses(w, config, seed)
    else:
        injected: LossFunction = evaluate

        def surface(seed: int) -> LossFunction:
            return injected
    return SearchSetup(doms, obj, caps, config, surface, world, size_s, max_epochs, cap_budget, s, es, progress)


# ---------------------------------------------------------------------------- rescoring a trace
def rescore(history: pd.DataFrame, objective: Objective | str, domains: Sequence[str] | None = None) -> pd.DataFrame:
    """Score a search's stored per-domain losses under another objective, without retraining.

    The per-domain losses do not depend on the objective, so once a grid has been trained the
    optimum under any other objective is a table lookup: ``objective`` is applied to the
    ``loss_<domain>`` columns of every point, and the best *feasible* point is marked. The values
    are at the search seed(s); to report a chosen mixture as the methods do, :func:`measure` it.

    Parameters
    ----------
    history : pandas.DataFrame
        A result's ``history`` (e.g. of :func:`mixlab.optimizers.grid_search`): weight columns
        named after the domains, ``loss_<domain>`` columns and (optionally) ``feasible``.
    objective : Objective or str
    domains : sequence of str, optional
        The domains, in order (default: read from the ``loss_<domain>`` columns).

    Returns
    -------
    pandas.DataFrame
        Same index as ``history``: the weights, ``objective`` (NaN where a point was not
        trained), ``feasible`` (all True without such a column) and ``best`` (True at the
        feasible point with the lowest objective, the first on ties); ``attrs["objective"]``.

    Raises
    ------
    TypeError
        If ``history`` is not a DataFrame or ``objective`` is not an objective.
    ValueError
        Missing weight or loss columns, or no feasible point with losses.

    Used in: 1.3 (as ``OptimizationResult.rescore``).
    """
    if not isinstance(history, pd.DataFrame):
        raise TypeError(f"history must be a pandas DataFrame from grid_search (got {type(history).__name__})")
    obj = resolve_objective(objective)
    doms = [str(d) for d in domains] if domains is not None else [
        str(c)[len("loss_"):] for c in history.columns if str(c).startswith("loss_")]
    if not doms:
        raise ValueError(
            "history has no loss_<domain> columns (rescore needs the per-domain losses that grid_search "
            f"stores; has: {', '.join(map(str, history.columns))})"
        )
    missing = [c for c in doms + [f"loss_{d}" for d in doms] if c not in history.columns]
    if missing:
        has = ", ".join(map(str, history.columns))
        raise ValueError(f"history is missing columns: {', '.join(missing)} (has: {has})")
    losses = history[[f"loss_{d}" for d in doms]].to_numpy(dtype=np.float64)
    values = np.full(len(history), np.nan)
    for i in np.flatnonzero(np.all(np.isfinite(losses), axis=1)):
        values[i] = obj(pd.Series(losses[i], index=pd.Index(doms, name="domain")))
    feasible = np.ones(len(history), dtype=bool)
    if "feasible" in history.columns:
        feasible = history["feasible"].to_numpy(dtype=bool)
    usable = feasible & np.isfinite(values)
    if not usable.any():
        raise ValueError("history has no feasible grid point with losses to rescore")
    out = history[doms].copy()
    out["objective"] = values
    out["feasible"] = feasible
    out["best"] = np.arange(len(history)) == int(np.argmin(np.where(usable, values, np.inf)))
    out.attrs["objective"] = obj.name
    return out
