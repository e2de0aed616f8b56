"""Mixture optimizers: grid search over the simplex and exponentiated gradient (mirror descent).

Both minimize a validation objective over the (capped) simplex, on top of the shared search
skeleton of :mod:`mixlab.search` (problem setup, proxy runs, trace, result; every option is
documented once in :class:`mixlab.search.SearchOptions`). The simplex tools they use (the grid,
the KL projection) live in :mod:`mixlab.simplex`; the names lessons import from here
(``EVAL_SEED``, ``measure``, ``search_setup``, ``simplex_grid``, ...) are re-exported.

**Exponentiated gradient.** Update ``w ← Π_KL(w ⊙ exp(−η_t g))``, where ``Π_KL`` is the KL
projection onto ``{w ∈ Δ : w <= u}`` (plain normalization when no cap binds) and
``η_t = lr / sqrt(t + 1)`` (or ``lr`` with ``decay=False``). Mirror descent with the entropy
mirror map keeps the weights positive and on the simplex without any clipping (Kivinen & Warmuth
1997; Beck & Teboulle 2003). DoReMi's domain-weight update is the same multiplicative rule
applied to excess losses (Xie et al. 2023, arXiv 2305.10429).

The gradient is a forward difference along each simplex edge direction,
``d_i = [L((1 − ε) w + ε e_i) − L(w)] / ε``, which equals ``∂_i L − ⟨∇L, w⟩ + O(ε)``: the gradient
up to a constant shift, to which the multiplicative update is invariant (it cancels in the
normalization). The probes stay on the simplex (they may step up to ``ε`` beyond a cap: they
are measurements, never the returned mixture). A step costs ``k + 1`` proxy runs, all at the
same seed (common random numbers): each domain's documents come in the same order whatever the
weights, so ``L(w')`` and ``L(w)`` differ only by the extra or missing tokens of each domain, and
the sampling noise that would otherwise swamp a difference of ``ε`` cancels in ``L(w') − L(w)``.

Used in: 1.3 (grid heat map, mirror descent agrees with the grid), 1.5 (methods compared),
3.6 (the best optimized mixture next to the baselines).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Unpack

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.objectives import Objective
from mixlab.objectives import resolve_objective as resolve_objective
from mixlab.progress import progress_bar as progress_bar
from mixlab.proxy import PROXY, ProxyConfig
from mixlab.search import EVAL_SEED as EVAL_SEED
from mixlab.search import LossFunction as LossFunction
from mixlab.search import OptimizationResult as OptimizationResult
from mixlab.search import SearchOptions
from mixlab.search import SearchSetup as SearchSetup
from mixlab.search import measure as measure
from mixlab.search import proxy_losses as proxy_losses
from mixlab.search import rescore as rescore
from mixlab.search import search_setup as search_setup
from mixlab.simplex import kl_project_capped as kl_project_capped
from mixlab.simplex import simplex_grid as simplex_grid
from mixlab.validation import check_int, check_positive, check_seed, format_values

if TYPE_CHECKING:
    from mixlab.world import World

# Re-exported above with ``as`` (their homes are mixlab.search, mixlab.simplex, mixlab.objectives and
# mixlab.progress): EVAL_SEED, measure, search_setup and simplex_grid are imported from here by
# lessons 1.3, 1.5, 2.4, 2.5 and 3.6; the rest keep older imports working.
__all__ = ["grid_search", "exponentiated_gradient"]

Output = Literal["best", "last", "average"]


# ---------------------------------------------------------------------------- grid search
def grid_search(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    *,
    resolution: int = 10,
    train_infeasible: bool = True,
    seeds: Sequence[int] | None = None,
    **options: Unpack[SearchOptions],
) -> OptimizationResult:
    """Evaluate the objective at every point of a simplex grid and return the best feasible one.

    One proxy is trained per grid point (:func:`mixlab.simplex.simplex_grid`), all at the same
    seed (common random numbers), so differences between points are differences between
    mixtures, not sampling noise. Points above a repetition cap stay in the table with
    ``feasible=False`` and are never chosen.

    Parameters
    ----------
    world : World or None
        Supplies the data; ``None`` only with ``evaluate`` (see ``options``).
    objective : Objective or str
    config : ProxyConfig
        The proxy trained at every point (default :data:`mixlab.proxy.PROXY`).
    resolution : int
        Grid spacing ``1 / resolution``; ``C(resolution + k − 1, k − 1)`` points.
    train_infeasible : bool
        Also train on infeasible points (default True, so a heat map covers the whole simplex);
        when False their losses and objective are NaN and they cost nothing.
    seeds : sequence of int, optional
        Train one proxy per seed at every point and average the per-domain losses over the seeds
        before applying the objective (less noise, ``len(seeds)`` times the cost). ``seed`` must
        then be left at its default; an injected ``evaluate`` is called once per seed.
    **options
        The search options (:class:`mixlab.search.SearchOptions`): ``max_epochs``,
        ``cap_budget``, ``seed``, ``eval_seed``, ``progress``, ``evaluate``, ``domains``, ``sizes``.

    Returns
    -------
    OptimizationResult
        ``history``: one row per grid point (index ``point``): the weights, ``loss_<domain>``
        (mean over ``seeds``), ``objective`` (at the search seed(s)), ``feasible``, ``best``. With
        ``seeds`` the params record ``seeds`` (``seed`` None) and ``details["seed_losses"]`` holds
        the per-seed losses (index ``point``, ``seed``). :meth:`OptimizationResult.rescore`
        re-ranks the grid under another objective without retraining.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, infeasible caps, a grid with no feasible point, bad ``seeds``.

    Used in: 1.3 (ternary heat map with the optimum; under caps), 1.5 (the grid optimum).
    """
    setup = search_setup(world, objective, config, **options)
    r = check_int(resolution, "resolution", minimum=1)
    if not isinstance(train_infeasible, bool):
        raise TypeError(f"train_infeasible must be a bool (got {train_infeasible!r})")
    seed_list = _grid_seeds(setup.seed, seeds)
    grid = np.asarray(simplex_grid(len(setup.domains), r))
    feasible = setup.feasible(grid)
    if not feasible.any():
        caps = format_values(zip(setup.domains, setup.caps.tolist(), strict=True))
        raise ValueError(f"no grid point satisfies the caps ({caps}) at resolution {r}; raise resolution or max_epochs")
    todo = np.arange(len(grid)) if train_infeasible else np.flatnonzero(feasible)
    n_seeds = 1 if seed_list is None else len(seed_list)
    k = len(setup.domains)
    losses, values = np.full((len(grid), k), np.nan), np.full(len(grid), np.nan)
    per_seed = np.full((len(grid), n_seeds, k), np.nan)
    losses[todo], values[todo], per_seed[todo] = setup.run_batch(
        grid[todo], f"grid search ({len(todo) * n_seeds} runs)", seed_list)
    best = int(np.argmin(np.where(feasible, values, np.inf)))
    history = setup.trace(grid, losses, values, "point", feasible=feasible, best=np.arange(len(grid)) == best)
    params = setup.params(resolution=r)
    details: dict[str, pd.DataFrame] = {}
    if seed_list is not None:
        params.update(seed=None, seeds=list(seed_list))
        index = pd.MultiIndex.from_product([np.arange(len(grid)), seed_list], names=["point", "seed"])
        details["seed_losses"] = pd.DataFrame(per_seed.reshape(-1, k), index=index, columns=list(setup.domains))
    runs = len(todo) * n_seeds
    return setup.result(grid[best], "grid_search", params, runs=runs, history=history, details=details)


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


# ---------------------------------------------------------------------------- mirror descent
def _eg_start(setup: SearchSetup, init: Mixture | Sequence[float] | np.ndarray | None) -> np.ndarray:
    """The first iterate: ``init`` checked (on the simplex, > 0, within the caps), or uniform projected."""
    k = len(setup.domains)
    if init is None:
        return kl_project_capped(np.full(k, 1.0 / k), setup.caps)
    w = init.as_array(setup.domains) if isinstance(init, Mixture) else np.asarray(init, dtype=np.float64)
    if w.shape != (k,) or not np.all(np.isfinite(w)) or abs(w.sum() - 1.0) > 1e-9:
        raise ValueError(f"init must be {k} finite weights summing to 1 (got {np.asarray(w).tolist()})")
    named = format_values(zip(setup.domains, w.tolist(), strict=True))
    if (w <= 0).any():
        raise ValueError(f"init weights must be > 0 (a multiplicative update never revives a zero weight; got {named})")
    if not setup.feasible(w):
        caps = format_values(zip(setup.domains, setup.caps.tolist(), strict=True))
        raise ValueError(f"init exceeds the caps ({named} vs caps {caps})")
    return w


def _descend(
    setup: SearchSetup, w: np.ndarray, n_steps: int, lr: float, fd_eps: float, decay: bool, tol: float
) -> tuple[np.ndarray, ...]:
    """Run the updates; return per visited iterate: weights, losses, objective, gradient, step size, runs so far."""
    k = len(setup.domains)
    visited: list[tuple[np.ndarray, np.ndarray, float, np.ndarray, float, int]] = []
    desc = f"exponentiated gradient ({n_steps} steps x {k + 1} runs)"
    bar = progress_bar(None, setup.progress, total=n_steps, desc=desc)
    t, runs = 0, 0
    while True:
        base = setup.losses(w)
        f0 = setup.objective(base)
        runs += 1
        if t == n_steps:
            visited.append((w, base.to_numpy(), f0, np.full(k, np.nan), np.nan, runs))
            break
        _, probes, _ = setup.run_batch((1.0 - fd_eps) * w + fd_eps * np.eye(k))  # k probes, one run each
        g = (probes - f0) / fd_eps
        runs += k
        eta_t = lr / math.sqrt(t + 1) if decay else lr
        visited.append((w, base.to_numpy(), f0, g, eta_t, runs))
        z = -eta_t * g  # shifting the exponent by a constant does not change the projection; it avoids overflow
        new = kl_project_capped(w * np.exp(z - z.max()), setup.caps)
        moved = float(np.abs(new - w).sum())
        w, t = new, t + 1
        bar.update(1)
        if moved < tol:
            n_steps = t  # evaluate this last iterate, then stop
    bar.close()
    return tuple(np.array(col) for col in zip(*visited, strict=True))


def exponentiated_gradient(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    *,
    steps: int = 25,
    lr: float = 1.0,
    init: Mixture | Sequence[float] | np.ndarray | None = None,
    fd_eps: float = 0.05,
    decay: bool = True,
    tol: float = 1e-4,
    output: Output = "best",
    **options: Unpack[SearchOptions],
) -> OptimizationResult:
    """Minimize the objective over the (capped) simplex by exponentiated gradient (mirror descent).

    ``w ← Π_KL(w ⊙ exp(−η_t g))`` with ``η_t = lr / sqrt(t + 1)`` and ``g`` a forward difference
    along the simplex edges; ``k + 1`` proxy runs per step (method and references: module docstring).

    Parameters
    ----------
    world, objective, config : World or None, Objective or str, ProxyConfig
        As for :func:`grid_search`.
    steps, lr : int, float
        Number of updates (>= 1; fewer when a step moves ``w`` by < ``tol`` in L1); step size η > 0.
    init : Mixture or array, optional
        Starting weights, > 0 (a multiplicative update never revives a zero) and within the caps.
        Default: the KL projection of uniform onto the caps.
    fd_eps : float
        Finite-difference step ε in (0, 0.5].
    decay, tol : bool, float
        ``η_t = lr / sqrt(t + 1)`` (default) or a constant ``lr``; the stopping tolerance (>= 0).
    output : {"best", "last", "average"}
        Return the visited iterate with the lowest search objective (default: a subgradient method
        is no descent method, and at the kinks of a worst-case objective the last iterate can
        wander), the last one, or the average (where mirror-descent bounds hold; within the caps).
    **options
        The search options, :class:`mixlab.search.SearchOptions`.

    Returns
    -------
    OptimizationResult
        ``history``: one row per visited iterate (index ``step``): the weights, ``loss_<domain>``,
        ``objective``, ``grad_<domain>`` (NaN on the last row), ``lr``, ``runs`` and
        ``tokens_spent`` (cumulative), and ``chosen`` (not for ``output="average"``).

    Raises
    ------
    TypeError, ValueError
        Bad arguments (lr <= 0, ε outside (0, 0.5], an init off the simplex, zero or above a cap).

    Notes
    -----
    The defaults take small steps, which can stall on a bump of the (slightly bumpy) proxy surface
    far from the optimum; from a far start use ``lr=2, fd_eps=0.1`` (e.g. ``tol=0.01``), as 1.3 does.

    Used in: 1.3 (a real optimizer agrees with the grid; under caps), 3.6 (EG under each objective).
    """
    setup = search_setup(world, objective, config, **options)
    n_steps = check_int(steps, "steps", minimum=1)
    eta, eps = check_positive(lr, "lr"), check_positive(fd_eps, "fd_eps")
    tolerance = check_positive(tol, "tol", allow_zero=True)
    if eps > 0.5:
        raise ValueError(f"fd_eps must lie in (0, 0.5] (got {eps:g})")
    if not isinstance(decay, bool):
        raise TypeError(f"decay must be a bool (got {decay!r})")
    if output not in ("best", "last", "average"):
        raise ValueError(f"output must be 'best', 'last' or 'average' (got {output!r})")
    iterates, losses, values, grads, rates, runs = _descend(
        setup, _eg_start(setup, init), n_steps, eta, eps, decay, tolerance)
    grad_cols = {f"grad_{d}": grads[:, j] for j, d in enumerate(setup.domains)}
    history = setup.trace(iterates, losses, values, "step", **grad_cols, lr=rates, runs=runs,
                          tokens_spent=runs * setup.budget)
    pick = {"best": int(np.argmin(values)), "last": len(values) - 1}.get(output)
    if pick is not None:
        history["chosen"] = np.arange(len(history)) == pick
    chosen = iterates.mean(axis=0) if pick is None else iterates[pick]
    params = setup.params(output=output, steps=len(history) - 1, lr=eta, decay=decay, fd_eps=eps)
    return setup.result(chosen, "exponentiated_gradient", params, runs=int(runs[-1]), history=history)
