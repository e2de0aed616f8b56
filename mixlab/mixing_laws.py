"""Data mixing laws: fit ``L_i(r) = c_i + k_i exp(Σ_j t_ij r_j)`` on a few runs, then optimize the fit.

Ye et al. 2024 ("Data Mixing Laws", arXiv 2403.16952) observe that the validation loss of
domain i, as a function of the training mixture proportions ``r`` (on the simplex), is well
described by

    L_i(r) = c_i + k_i · exp(Σ_j t_ij r_j),

fitted on a handful of small runs; nested with scaling laws in training steps and model size,
the fit predicts large runs, and for a 1B model on 100B tokens the mixture it picks matches the
default mixture trained 48 % longer. Their code is github.com/yegcjs/mixinglaws.

**Gauge.** On the simplex ``Σ_j r_j = 1``, so ``(k_i, t_i·)`` and
``(k_i e^s, t_i· − s)`` give the same law for any s: the parameters are identifiable only up to
this shift. We report them in the gauge ``Σ_j t_ij = 0`` (:func:`canonical_gauge`); ``c_i``
is not affected.

**Fitting.** For a fixed ``c_i``, ``log(L_i − c_i) = log k_i + Σ_j t_ij r_j`` is linear, so
every start is initialized by a closed-form linear least-squares fit; scipy's bounded
``least_squares`` then refines ``(c_i, log k_i, t_i·)`` on the original scale, from several
seeded starting values of ``c_i`` in ``[0, min L_i)`` (``c_i >= 0``; ``c_i < min L_i`` because
the exponential term is positive), and the best fit is kept.

**What c_i means here.** The course's synthetic world knows each domain's entropy rate, the
floor under any loss, and ``c_i`` is the law's asymptote as the mixture's exponent goes to −∞.
A fitted ``c_i`` estimates the *proxy's* floor on domain i *at its budget and capacity*:
a bigram proxy with hashed contexts and a finite budget never reaches the entropy rate (it
cannot represent all contexts, and smoothing costs something even with abundant data), and a
fit over mixtures that all leave the proxy far from its own asymptote pins ``c_i`` down poorly
(``c`` and ``k`` trade off along a nearly flat valley). So compare ``c_i`` with the entropy
rate as a *lower bound* it should respect, not a value it should hit: see :meth:`MixingLaw.params`.

Used in: 1.5 (mixing-law fit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Unpack

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.objectives import Objective
from mixlab.proxy import PROXY, ProxyConfig
from mixlab.search import OptimizationResult, SearchOptions, search_setup
from mixlab.simplex import dirichlet_mixtures, project_capped_simplex
from mixlab.validation import check_finite_array, check_int, check_seed

if TYPE_CHECKING:
    from mixlab.world import World

__all__ = [
    "law_losses",
    "canonical_gauge",
    "MixingLaw",
    "runs_table",
    "fit_mixing_law",
    "minimize_predicted",
    "mixing_law_optimize",
]

#: Bound on |t_ij| during fitting (keeps exp() finite; |t| of a few units is typical).
T_BOUND: float = 30.0


def law_losses(r: np.ndarray, c: np.ndarray, k: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Evaluate the mixing law ``L_i(r) = c_i + k_i exp(Σ_j t_ij r_j)`` (vectorized).

    Parameters
    ----------
    r : numpy.ndarray
        Mixtures, shape ``(n, m)`` (or ``(m,)`` for one), m training domains.
    c, k : numpy.ndarray
        Shape ``(p,)``, p target domains.
    t : numpy.ndarray
        Shape ``(p, m)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, p)`` (or ``(p,)``).

    Used in: no lesson directly (:meth:`MixingLaw.predict` and the fit use it).
    """
    rr = np.asarray(r, dtype=np.float64)
    out = c + k * np.exp(np.atleast_2d(rr) @ np.asarray(t).T)
    return out[0] if rr.ndim == 1 else out


def canonical_gauge(k: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move ``(k_i, t_i·)`` to the gauge ``Σ_j t_ij = 0`` without changing the law on the simplex.

    With ``s_i = mean_j t_ij``: ``t'_ij = t_ij − s_i`` and ``k'_i = k_i e^{s_i}``. Because
    ``Σ_j r_j = 1``, ``k'_i exp(Σ_j t'_ij r_j) = k_i exp(Σ_j t_ij r_j)`` for every mixture r.

    Returns
    -------
    k, t : numpy.ndarray

    Used in: no lesson directly (the fit reports its parameters in this gauge).
    """
    tt = np.asarray(t, dtype=np.float64)
    s = tt.mean(axis=1)
    return np.asarray(k, dtype=np.float64) * np.exp(s), tt - s[:, None]


@dataclass(frozen=True, eq=False)
class MixingLaw:
    """A fitted data mixing law, one ``(c_i, k_i, t_i·)`` per target domain (Ye et al. 2024, arXiv 2403.16952).

    Attributes
    ----------
    domains : tuple of str
        Training domains j (the mixture's coordinates).
    targets : tuple of str
        Target (validation) domains i.
    c, k : numpy.ndarray
        Shape ``(p,)``; ``t`` shape ``(p, m)`` in the gauge ``Σ_j t_ij = 0``.
    t : numpy.ndarray
    weights : numpy.ndarray
        The fitted mixtures, shape ``(n, m)``.
    losses : numpy.ndarray
        The measured losses, shape ``(n, p)``.
    restarts : int
        Starting points tried per target domain.

    Used in: no lesson by name (``mixing_law_optimize(...).details["law"]``).
    """

    domains: tuple[str, ...]
    targets: tuple[str, ...]
    c: np.ndarray
    k: np.ndarray
    t: np.ndarray
    weights: np.ndarray
    losses: np.ndarray
    restarts: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ prediction
    def _weights_array(self, mixture: Any) -> np.ndarray:
        if isinstance(mixture, Mixture):
            return mixture.as_array(list(self.domains))
        if isinstance(mixture, pd.Series):
            missing = [d for d in self.domains if d not in mixture.index]
            if missing:
                raise ValueError(f"mixture has no weight for domains: {', '.join(missing)}")
            return mixture.loc[list(self.domains)].to_numpy(dtype=np.float64)
        if isinstance(mixture, pd.DataFrame):
            missing = [d for d in self.domains if d not in mixture.columns]
            if missing:
                raise ValueError(f"weight table has no column for domains: {', '.join(missing)}")
            return mixture[list(self.domains)].to_numpy(dtype=np.float64)
        w = check_finite_array(mixture, "mixture", ndim=None)
        if w.shape[-1] != len(self.domains) or w.ndim > 2:
            raise ValueError(f"weights must have shape (m,) or (n, m) with m={len(self.domains)} (got {w.shape})")
        return w

    def predict(self, mixture: Mixture | pd.Series | pd.DataFrame | np.ndarray) -> pd.Series | pd.DataFrame:
        """Predicted per-domain losses for one mixture (a Series) or a weight matrix (a DataFrame).

        Parameters
        ----------
        mixture : Mixture, Series (weights by domain), DataFrame (one mixture per row, a column
            per domain) or array of shape ``(m,)`` / ``(n, m)`` in :attr:`domains` order.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            Indexed / columned by :attr:`targets`.
        """
        w = self._weights_array(mixture)
        pred = law_losses(w, self.c, self.k, self.t)
        if pred.ndim == 1:
            return pd.Series(pred, index=pd.Index(self.targets, name="domain"), name="predicted_loss")
        index = mixture.index if isinstance(mixture, pd.DataFrame) else None
        return pd.DataFrame(pred, columns=pd.Index(self.targets, name="domain"), index=index)

    # ------------------------------------------------------------------ diagnostics
    @property
    def residuals(self) -> pd.DataFrame:
        """Measured minus predicted loss, one row per fitted run, a column per target domain."""
        res = self.losses - law_losses(self.weights, self.c, self.k, self.t)
        return pd.DataFrame(res, columns=pd.Index(self.targets, name="domain"))

    @property
    def r2(self) -> pd.Series:
        """Coefficient of determination per target domain (1 − SS_res / SS_tot)."""
        res = self.residuals.to_numpy()
        tot = ((self.losses - self.losses.mean(axis=0)) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = 1.0 - (res**2).sum(axis=0) / tot
        return pd.Series(r2, index=pd.Index(self.targets, name="domain"), name="r2")

    @property
    def rmse(self) -> pd.Series:
        """Root-mean-square fit residual per target domain (nats/token)."""
        res = self.residuals.to_numpy()
        return pd.Series(np.sqrt((res**2).mean(axis=0)), index=pd.Index(self.targets, name="domain"), name="rmse")

    def params(self, floor: pd.Series | Mapping[str, float] | None = None) -> pd.DataFrame:
        """The fitted parameters as a table, one row per target domain.

        Parameters
        ----------
        floor : Series or mapping, optional
            The true irreducible loss per domain (``world.process.entropy_rate()``). Adds the
            columns ``floor`` and ``c_minus_floor`` (a fitted constant below the floor would be
            impossible; far above it means the proxy's own asymptote, not the entropy rate).

        Returns
        -------
        pandas.DataFrame
            Columns ``c``, ``k``, ``t[<domain>]`` per training domain (gauge Σ_j t_ij = 0),
            ``r2``, ``rmse`` (and ``floor``, ``c_minus_floor``).
        """
        out = pd.DataFrame({"c": self.c, "k": self.k}, index=pd.Index(self.targets, name="domain"))
        for j, d in enumerate(self.domains):
            out[f"t[{d}]"] = self.t[:, j]
        out["r2"] = self.r2
        out["rmse"] = self.rmse
        if floor is not None:
            f = pd.Series(floor, dtype=np.float64)
            missing = [d for d in self.targets if d not in f.index]
            if missing:
                raise ValueError(f"floor has no value for domains: {', '.join(missing)}")
            out["floor"] = f.loc[list(self.targets)].to_numpy()
            out["c_minus_floor"] = out["c"] - out["floor"]
        return out

    def __repr__(self) -> str:
        r2 = ", ".join(f"{d}={v:.3f}" for d, v in self.r2.items())
        return f"MixingLaw({len(self.domains)} domains, {self.weights.shape[0]} runs; R² {r2})"


# ---------------------------------------------------------------------------- fitting
def runs_table(weights: np.ndarray, losses: np.ndarray, domains: Sequence[str],
               targets: Sequence[str] | None = None) -> pd.DataFrame:
    """Build a long runs table (the format of :func:`mixlab.proxy.sweep`) from arrays.

    Parameters
    ----------
    weights : numpy.ndarray
        Shape ``(n, m)`` mixtures.
    losses : numpy.ndarray
        Shape ``(n, p)`` per-domain losses.
    domains : sequence of str
        The m training domains.
    targets : sequence of str, optional
        The p target domains (default: ``domains``, which needs p = m).

    Returns
    -------
    pandas.DataFrame
        Columns ``mixture`` (``m0, m1, …``), ``seed`` (0), ``domain``, ``weight``, ``loss``. When
        targets differ from domains, the weights are given in wide columns ``w[<domain>]``.

    Used in: no lesson directly (fitting a law to runs from any source).
    """
    W = check_finite_array(weights, "weights", ndim=2, nonnegative=True)
    L = check_finite_array(losses, "losses", ndim=2)
    doms = list(domains)
    tg = doms if targets is None else list(targets)
    if W.shape[0] != L.shape[0] or W.shape[1] != len(doms) or L.shape[1] != len(tg):
        raise ValueError(f"shapes do not match: weights {W.shape}, losses {L.shape}, {len(doms)} domains, "
                         f"{len(tg)} targets")
    n = W.shape[0]
    out = pd.DataFrame({
        "mixture": np.repeat([f"m{i}" for i in range(n)], len(tg)),
        "seed": 0,
        "domain": np.tile(tg, n),
        "loss": L.ravel(),
    })
    if tg == doms:
        out.insert(3, "weight", W.ravel())
    else:
        for j, d in enumerate(doms):
            out[f"w[{d}]"] = np.repeat(W[:, j], len(tg))
    return out


def _wide(runs: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, np.ndarray]:
    """Turn a long runs table into (domains, targets, weights (n, m), losses (n, p))."""
    if not isinstance(runs, pd.DataFrame):
        raise TypeError(f"runs must be a pandas DataFrame (got {type(runs).__name__})")
    need = {"mixture", "domain", "loss"}
    if not need <= set(runs.columns):
        raise ValueError(f"runs needs the columns {sorted(need)} (has {list(runs.columns)})")
    keys = ["mixture", "seed"] if "seed" in runs.columns else ["mixture"]
    dom_col = runs["domain"].astype(str)
    targets = tuple(pd.unique(dom_col))
    losses = runs.assign(domain=dom_col).pivot_table(index=keys, columns="domain", values="loss", aggfunc="first",
                                                     sort=False, observed=True)
    if losses.isna().any().any():
        raise ValueError("every run needs a loss for every domain (the runs table has gaps)")
    wide_cols = [c for c in runs.columns if isinstance(c, str) and c.startswith("w[") and c.endswith("]")]
    if wide_cols:
        domains = tuple(c[2:-1] for c in wide_cols)
        weights = runs.groupby(keys, sort=False, observed=True)[wide_cols].first().loc[losses.index]
    elif "weight" in runs.columns:
        domains = targets
        weights = runs.assign(domain=dom_col).pivot_table(index=keys, columns="domain", values="weight",
                                                          aggfunc="first", sort=False, observed=True)
        weights = weights.loc[losses.index, list(domains)]
    else:
        raise ValueError("runs needs a 'weight' column (long format) or 'w[<domain>]' columns")
    W = check_finite_array(weights.to_numpy(dtype=np.float64), "weights", ndim=2, nonnegative=True)
    L = check_finite_array(losses[list(targets)].to_numpy(dtype=np.float64), "losses", ndim=2)
    bad = np.abs(W.sum(axis=1) - 1.0) > 1e-6
    if bad.any():
        raise ValueError(f"every run's weights must sum to 1 (got sums {W.sum(axis=1)[bad][:5].tolist()})")
    return domains, targets, W, L


def _fit_one(W: np.ndarray, y: np.ndarray, rng: np.random.Generator, restarts: int) -> tuple[float, float,
                                                                                               np.ndarray, float]:
    """Fit ``y ≈ c + exp(a + W u)`` with ``u`` in the gauge Σu = 0; return (c, k, t, sse)."""
    from scipy.optimize import least_squares

    n, m = W.shape
    # gauge Σ_j t_j = 0: t = B v with B an orthonormal basis of the sum-zero subspace (m × (m−1))
    q, _ = np.linalg.qr(np.hstack([np.ones((m, 1)), np.eye(m)[:, : m - 1]]))
    B = q[:, 1:m]
    X = np.hstack([np.ones((n, 1)), W @ B])  # design for log(y − c) = a + (W B) v
    y_min = float(y.min())
    span = max(float(y.max() - y_min), 1e-6)
    c_hi = y_min - 1e-6 * span

    def resid(p: np.ndarray) -> np.ndarray:
        return p[0] + np.exp(np.clip(X @ p[1:], -700.0, 700.0)) - y

    def jac(p: np.ndarray) -> np.ndarray:
        e = np.exp(np.clip(X @ p[1:], -700.0, 700.0))
        return np.hstack([np.ones((n, 1)), e[:, None] * X])

    starts = np.linspace(0.0, 1.0, 5, endpoint=False)[1:] if restarts >= 4 else np.array([0.5])
    c_starts = list(np.maximum(c_hi, 0.0) * starts)
    if restarts > len(c_starts):
        c_starts += list(np.maximum(c_hi, 0.0) * rng.uniform(0.0, 1.0, restarts - len(c_starts)))
    lo = np.r_[0.0, -np.inf, np.full(m - 1, -T_BOUND)]
    hi = np.r_[max(c_hi, 1e-12), np.inf, np.full(m - 1, T_BOUND)]
    best: tuple[float, np.ndarray] | None = None
    for c0 in c_starts:
        beta, *_ = np.linalg.lstsq(X, np.log(y - c0), rcond=None)
        p0 = np.clip(np.r_[c0, beta], lo + 1e-12, hi - 1e-12)
        sol = least_squares(resid, p0, jac=jac, bounds=(lo, hi), method="trf", x_scale="jac",
                            ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=2000)
        sse = float((sol.fun**2).sum())
        if best is None or sse < best[0]:
            best = (sse, sol.x)
    assert best is not None
    sse, p = best
    return float(p[0]), float(np.exp(p[1])), B @ p[2:], sse


def fit_mixing_law(runs: pd.DataFrame, seed: int = 0, restarts: int = 8) -> MixingLaw:
    """Fit ``L_i(r) = c_i + k_i exp(Σ_j t_ij r_j)`` to every target domain of a runs table.

    Parameters
    ----------
    runs : pandas.DataFrame
        Long table with one row per (run, target domain): columns ``mixture`` (run label),
        optional ``seed`` (a run is a (mixture, seed) pair), ``domain``, ``loss`` and either
        ``weight`` (the mixture's weight on that same domain — the format of
        :func:`mixlab.proxy.sweep`) or wide ``w[<domain>]`` columns (:func:`runs_table`).
    seed : int
        Seeds the random restarts.
    restarts : int
        Starting values of ``c_i`` per target domain (>= 1): four evenly spaced in
        ``[0, min L_i)``, then seeded uniform draws.

    Returns
    -------
    MixingLaw

    Raises
    ------
    ValueError
        Missing columns, gaps, weights off the simplex, or fewer runs than parameters per
        domain (``m + 1``: c, k and m − 1 free exponents).

    Used in: no lesson directly (:func:`mixing_law_optimize` fits with it).
    """
    domains, targets, W, L = _wide(runs)
    n, m = W.shape
    if n < m + 2:
        raise ValueError(f"fitting needs more runs than parameters per domain ({m + 1}); got {n} runs")
    R = check_int(restarts, "restarts", minimum=1)
    rng = np.random.default_rng(check_seed(seed))
    p = len(targets)
    c, k, t = np.empty(p), np.empty(p), np.empty((p, m))
    for i in range(p):
        c[i], k[i], t[i], _ = _fit_one(W, L[:, i], rng, R)
    return MixingLaw(domains, targets, c, k, t, W, L, R)


# ---------------------------------------------------------------------------- optimizing the fit
def minimize_predicted(
    law: MixingLaw,
    objective: Objective,
    caps: np.ndarray | None = None,
    starts: np.ndarray | None = None,
    seed: int = 0,
    n_starts: int = 8,
) -> tuple[np.ndarray, float]:
    """Minimize ``objective(law.predict(w))`` over the capped simplex ``{w ∈ Δ : w <= u}``.

    scipy's SLSQP with bounds ``0 <= w_i <= u_i`` and the equality ``Σ w_i = 1``, from several
    starting points (the given ``starts``, uniform projected onto the caps, and seeded Dirichlet
    draws within the caps). SLSQP meets its constraints only to its tolerance, so each solution
    is explicitly projected onto the capped simplex
    (:func:`mixlab.simplex.project_capped_simplex`, a change of order 1e-10) before it is scored;
    the best projected point is returned.

    Parameters
    ----------
    law : MixingLaw
    objective : Objective
        Applied to the predicted per-domain losses.
    caps : numpy.ndarray, optional
        Upper bounds ``u_i`` (default all 1).
    starts : numpy.ndarray, optional
        Extra starting mixtures, shape ``(s, m)``.
    seed : int
    n_starts : int
        Random starts (>= 0).

    Returns
    -------
    w : numpy.ndarray
    predicted : float
        The objective of the predicted losses at ``w``.

    Used in: no lesson directly (step 3 of :func:`mixing_law_optimize`).
    """
    from scipy.optimize import minimize

    m = len(law.domains)
    u = np.ones(m) if caps is None else np.asarray(caps, dtype=np.float64)
    targets = pd.Index(law.targets, name="domain")

    def f(w: np.ndarray) -> float:
        return float(objective.fn(pd.Series(law_losses(w, law.c, law.k, law.t), index=targets)))

    x0s = [np.asarray(project_capped_simplex(np.full(m, 1.0 / m), u))]
    if starts is not None:
        x0s += [np.asarray(project_capped_simplex(s, u)) for s in np.atleast_2d(starts)]
    n_rand = check_int(n_starts, "n_starts", minimum=0)
    if n_rand:
        x0s += list(dirichlet_mixtures(np.full(m, 1.0 / m), n_rand, check_seed(seed), strengths=(m, m), caps=u))
    cons = [{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}]
    bounds = list(zip(np.zeros(m), np.minimum(u, 1.0), strict=True))
    best_w, best_f = x0s[0], f(x0s[0])
    for x0 in x0s:
        sol = minimize(f, x0, method="SLSQP", bounds=bounds, constraints=cons,
                       options={"maxiter": 300, "ftol": 1e-12})
        w = np.asarray(project_capped_simplex(sol.x, u), dtype=np.float64)
        fw = f(w)
        if fw < best_f:
            best_w, best_f = w, fw
    return best_w, best_f


def mixing_law_optimize(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    *,
    n_runs: int | None = None,
    restarts: int = 8,
    concentration: float = 1.0,
    **options: Unpack[SearchOptions],
) -> OptimizationResult:
    """Choose a mixture by fitting a data mixing law to proxy runs and minimizing its prediction.

    1. Sample ``n_runs`` mixtures from a symmetric Dirichlet with per-domain ``concentration``
       (1 = uniform on the simplex) within the caps (:func:`mixlab.simplex.dirichlet_mixtures`),
       and train one proxy per mixture (all at ``seed``, common random numbers).
    2. Fit :func:`fit_mixing_law` to the per-domain validation losses.
    3. Minimize the objective of the *predicted* losses over the capped simplex
       (:func:`minimize_predicted`, starting also from the three best measured runs).

    Ye et al. 2024 (arXiv 2403.16952) nest such laws with scaling laws in steps and model size to
    extrapolate; this miniature fits the proxy at its own budget and size, without extrapolating.

    Parameters
    ----------
    world, objective, config : World or None, Objective or str, ProxyConfig
        As for :func:`mixlab.optimizers.grid_search`.
    n_runs : int, optional
        Fitting runs (>= m + 2); default ``6 m + 4`` for m domains.
    restarts : int
        Restarts per domain of the fit.
    concentration : float
        Dirichlet concentration per domain of the sampled mixtures (> 0).
    **options
        The search options, :class:`mixlab.search.SearchOptions`; ``seed`` also seeds the sampler,
        the fit's restarts and the minimizer's starts.

    Returns
    -------
    OptimizationResult
        ``history``: one row per fitting run (index ``run``): weights, ``loss_<domain>``,
        ``objective``, ``pred_<domain>`` (the law's fit) and ``predicted_objective``. ``details``:
        ``law`` (:class:`MixingLaw`), ``params`` (its table, with the entropy-rate floor next to
        ``c`` when a world is given) and ``predicted`` (the objective the law predicts at the
        chosen mixture). ``runs = n_runs``, ``tokens_spent = n_runs × budget``.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, or too few runs for the number of parameters.

    Used in: 1.5 (a mixing law fitted and minimized).
    """
    setup = search_setup(world, objective, config, **options)
    m = len(setup.domains)
    n = check_int(6 * m + 4 if n_runs is None else n_runs, "n_runs", minimum=m + 2)
    conc = float(concentration)
    if not np.isfinite(conc) or conc <= 0:
        raise ValueError(f"concentration must be > 0 (got {concentration!r})")
    sample_ss, fit_ss, start_ss = np.random.SeedSequence(setup.seed).spawn(3)
    W = dirichlet_mixtures(np.full(m, 1.0 / m), n, int(sample_ss.generate_state(1)[0]),
                           strengths=(conc * m, conc * m), caps=setup.caps)
    L, values, _ = setup.run_batch(W, f"mixing-law fitting runs ({n})")
    law = fit_mixing_law(runs_table(W, L, setup.domains), int(fit_ss.generate_state(1)[0]), restarts)
    best_runs = W[np.argsort(values, kind="stable")[:3]]
    w, predicted = minimize_predicted(law, setup.objective, setup.caps, best_runs, int(start_ss.generate_state(1)[0]))
    fit = law_losses(W, law.c, law.k, law.t)
    pred_cols = {f"pred_{d}": fit[:, j] for j, d in enumerate(setup.domains)}
    predicted_objective = [setup.objective.fn(pd.Series(row, index=list(setup.domains))) for row in fit]
    history = setup.trace(W, L, values, "run", **pred_cols, predicted_objective=predicted_objective)
    params = setup.params(n_runs=n, concentration=conc, restarts=restarts,
                          fitted_c=dict(zip(setup.domains, law.c.tolist(), strict=True)),
                          r2=dict(zip(setup.domains, law.r2.tolist(), strict=True)), predicted=predicted)
    table = law.params(None if setup.world is None else setup.world.process.entropy_rate())
    details = {"law": law, "params": table, "predicted": predicted}
    return setup.result(w, "mixing_law", params, runs=n, history=history, details=details)
