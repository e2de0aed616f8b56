"""RegMix in miniature: many tiny proxy runs, a regression from weights to loss, the top mixtures averaged.

RegMix (Liu et al. 2024, arXiv 2407.01492) treats mixture selection as regression:

1. sample many mixtures from a Dirichlet distribution centred on the natural token
   distribution of the domains, with a concentration ("strength") that varies from sample to
   sample, so that both near-prior mixtures and near-vertex mixtures are covered; mixtures
   that would repeat some domain too often are rejected;
2. train one tiny proxy per sampled mixture (512 runs of a 1M-parameter model in the paper)
   and record the target loss;
3. fit a regression model from the weights to the loss (the paper uses LightGBM gradient
   boosted trees, with a linear model as the simpler alternative);
4. simulate a very large number of candidate mixtures from the same distribution, predict
   their loss with the regression model, and average the best-predicted ones (the paper
   averages about the top 100 of a million simulated mixtures) — the average of good points
   is more stable than the single argmin of a noisy model.

Here the proxies are :func:`mixlab.proxy.train_proxy` runs on the synthetic world, the
regression model is scikit-learn's :class:`~sklearn.ensemble.GradientBoostingRegressor`
(boosted trees, the same family as LightGBM; deterministic and single-threaded) or a ridge
regression on ``[w, w², log(w + δ)]`` features, and the target is the chosen objective itself
(the paper regresses one domain's loss; our objective combines domains, so we regress it
directly, which works for any objective including the worst case).

**What the diagnostic costs.** How well the regression ranks mixtures it has not seen is
measured by K-fold cross-validation (``cv_folds``): K more regressor fits, but no proxy run. It
is off by default (a search needs one fit) and on where lesson 1.5 shows it; a result reports the
number of fits and the wall time of the proxy runs, the fit and the cross-validation separately
(``details["cost"]``). scikit-learn is imported only when a regressor is built: its import, about
a second on a 2-core machine, is mostly scikit-learn's own (it loads scipy.stats and scipy.sparse).

Used in: 1.5 (RegMix-style regression).
"""


from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, Unpack

import numpy as np
import pandas as pd

from mixlab.objectives import Objective
from mixlab.proxy import PROXY, ProxyConfig
from mixlab.ranks import spearman
from mixlab.search import OptimizationResult, SearchOptions, SearchSetup, search_setup
from mixlab.simplex import STRENGTHS as STRENGTHS
from mixlab.simplex import dirichlet_mixtures as dirichlet_mixtures  # re-exported (old home)
from mixlab.validation import check_finite_array, check_int, check_seed

if TYPE_CHECKING:
    from mixlab.world import World

__all__ = ["Regressor", "Estimator", "make_regressor", "fit_regressor", "cross_validated", "top_k_average", "regmix"]

#: The regression families: boosted trees (RegMix's choice) or ridge on smooth features.
Regressor = Literal["gbm", "ridge"]


class Estimator(Protocol):
    """A scikit-learn style regressor: ``fit(X, y)`` returns the fitted estimator, ``predict(X)`` values.

    Used in: no lesson by name (``regmix(...).details["model"]`` is one).
    """

    def fit(self, X: np.ndarray, y: np.ndarray) -> Estimator:
        """Fit on rows ``X`` (n, k) and targets ``y`` (n,)."""
        ...

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted targets for the rows of ``X``."""
        ...


def _features(w: np.ndarray, delta: float = 1e-3) -> np.ndarray:
    """Ridge features ``[w, w², log(w + δ)]``: a loss often falls like a power of a domain's
    share (the log term), and near an optimum any smooth surface is about quadratic."""
    return np.hstack([w, w**2, np.log(w + delta)])


def make_regressor(kind: Regressor = "gbm", seed: int = 0) -> Estimator:
    """An unfitted regression model for RegMix (imports scikit-learn).

    Parameters
    ----------
    kind : {"gbm", "ridge"}
        ``"gbm"``: :class:`sklearn.ensemble.GradientBoostingRegressor` (boosted trees; RegMix
        used LightGBM, the same model family; 200 trees of depth 3, learning rate 0.05).
        ``"ridge"``: standardized ``[w, w², log(w + 1e-3)]`` features into
        :class:`sklearn.linear_model.Ridge` (a smooth, extrapolating alternative).
    seed : int
        ``random_state`` of the trees (deterministic without subsampling anyway).

    Returns
    -------
    Estimator

    Raises
    ------
    ValueError
        An unknown ``kind``.

    Used in: no lesson directly; :func:`fit_regressor` and :func:`cross_validated` build with it.
    """
    s = check_seed(seed)
    if kind == "gbm":
        from sklearn.ensemble import GradientBoostingRegressor

        return GradientBoostingRegressor(
            n_estimators=200, learning_rate=0.05, max_depth=3, min_samples_leaf=2, random_state=s
        )
    if kind == "ridge":
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import FunctionTransformer, make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(FunctionTransformer(_features), StandardScaler(), Ridge(alpha=1e-2))
    raise ValueError(f"kind must be 'gbm' or 'ridge' (got {kind!r})")


def _xy(weights: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Checked regression data: weights (n, k) >= 0, finite targets (n,), n >= 4."""
    W = check_finite_array(weights, "weights", ndim=2, nonnegative=True)
    y = check_finite_array(target, "target")
    if W.shape[0] != y.shape[0]:
        raise ValueError(f"weights and target need the same number of rows (got {W.shape[0]} and {y.shape[0]})")
    if W.shape[0] < 4:
        raise ValueError(f"a regression needs at least 4 runs (got {W.shape[0]})")
    return W, y


def fit_regressor(weights: np.ndarray, target: np.ndarray, kind: Regressor = "gbm", seed: int = 0) -> Estimator:
    """Fit a regression model ``weights → target`` (:func:`make_regressor`, then one fit).

    Parameters
    ----------
    weights : numpy.ndarray
        Shape ``(n, k)``, one mixture per row.
    target : numpy.ndarray
        Shape ``(n,)``, the measured objective of each mixture.
    kind, seed
        As for :func:`make_regressor`.

    Returns
    -------
    Estimator
        Fitted, with ``predict(weights)``.

    Raises
    ------
    ValueError
        Mismatched shapes, non-finite values, fewer than 4 runs, or an unknown ``kind``.

    Used in: no lesson directly; :func:`regmix` fits its model with it.
    """
    W, y = _xy(weights, target)
    return make_regressor(kind, seed).fit(W, y)


def cross_validated(
    weights: np.ndarray, target: np.ndarray, kind: Regressor = "gbm", seed: int = 0, folds: int = 5
) -> np.ndarray:
    """Out-of-fold predictions of the regression: each run predicted by a model fitted without it.

    The runs are shuffled by ``numpy.random.RandomState(seed)`` and cut into ``folds`` consecutive
    parts, the first ``n % folds`` one run larger: the folds of scikit-learn's
    ``KFold(folds, shuffle=True, random_state=seed)`` (so ``cross_val_predict`` with them gives the
    same numbers), without importing ``sklearn.model_selection``. One fresh model per fold.

    Parameters
    ----------
    weights, target, kind, seed
        As for :func:`fit_regressor`.
    folds : int
        ``2 <= folds <= n``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``.

    Raises
    ------
    ValueError
        As :func:`fit_regressor`, or ``folds`` out of range.

    Used in: no lesson directly; :func:`regmix` runs it with ``cv_folds``.
    """
    W, y = _xy(weights, target)
    n = len(y)
    K = check_int(folds, "folds", minimum=2, maximum=n)
    order = np.random.RandomState(check_seed(seed)).permutation(n)  # the legacy generator KFold shuffles with
    sizes = np.full(K, n // K)
    sizes[: n % K] += 1
    pred = np.empty(n)
    for part in np.split(order, np.cumsum(sizes)[:-1]):
        test = np.zeros(n, dtype=bool)
        test[part] = True
        pred[test] = make_regressor(kind, seed).fit(W[~test], y[~test]).predict(W[test])
    return pred


def top_k_average(candidates: np.ndarray, predicted: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Average the ``top_k`` candidates with the lowest predicted objective (RegMix's final step).

    The average of points on the (capped) simplex is on the (capped) simplex (it is convex), so
    no projection is needed. Ties are broken by candidate order (stable sort), deterministically.

    Parameters
    ----------
    candidates : numpy.ndarray
        Shape ``(m, k)`` simulated mixtures.
    predicted : numpy.ndarray
        Shape ``(m,)`` predicted objective (lower is better).
    top_k : int
        ``1 <= top_k <= m``.

    Returns
    -------
    mixture : numpy.ndarray
        Shape ``(k,)``.
    chosen : numpy.ndarray
        Indices of the averaged candidates, best first.

    Raises
    ------
    ValueError
        ``top_k`` out of range.

    Used in: no lesson directly; the last step of :func:`regmix`.
    """
    m = candidates.shape[0]
    kk = check_int(top_k, "top_k", minimum=1, maximum=m)
    order = np.argsort(predicted, kind="stable")[:kk]
    return candidates[order].mean(axis=0), order


def _centre(setup: SearchSetup, prior: Sequence[float] | np.ndarray | pd.Series | None, temperature: float
            ) -> tuple[np.ndarray, float]:
    """The sampler's centre ``prior^temperature`` (renormalized, the documented flattening step) and the temperature."""
    k = len(setup.domains)
    if prior is None:
        tok = None if setup.sizes is None else setup.sizes.loc[list(setup.domains)].to_numpy(dtype=np.float64)
        centre = np.full(k, 1.0 / k) if tok is None else tok / tok.sum()
    else:
        if isinstance(prior, pd.Series):
            prior = prior.loc[list(setup.domains)].to_numpy()
        centre = check_finite_array(prior, "prior", nonnegative=True)
        if centre.shape != (k,):
            raise ValueError(f"prior must give one weight per domain ({k}; got {centre.size})")
    if centre.sum() <= 0 or abs(centre.sum() - 1.0) > 1e-9:
        raise ValueError(f"prior must sum to 1 within 1e-09 (got {centre.sum():.12g}: {centre.tolist()})")
    temp = float(temperature)
    if not 0.0 <= temp <= 1.0:
        raise ValueError(f"temperature must lie in [0, 1] (got {temperature!r})")
    tempered = centre**temp
    return tempered / tempered.sum(), temp


def _cv_spearman(predicted: np.ndarray, measured: np.ndarray) -> float:
    """Spearman's ρ of the out-of-fold predictions with the measured values (``n >= 4`` runs here);
    NaN, as scipy.stats.spearmanr gave, when either is constant or not finite."""
    pairs = np.column_stack((predicted, measured))
    if not np.isfinite(pairs).all() or (np.ptp(pairs, axis=0) == 0).any():
        return float("nan")
    return spearman(predicted, measured).statistic


def _regress(
    setup: SearchSetup, W: np.ndarray, values: np.ndarray, regressor: Regressor, folds: int, proxy_s: float
) -> tuple[Estimator, dict[str, Any], dict[str, np.ndarray]]:
    """Fit the model and, with ``folds``, the cross-validation diagnostic, each timed.

    Returns the model, the details (``model``, ``cost``, ``cv_spearman``) and the extra history
    column (``predicted``, out of fold).
    """
    start = time.perf_counter()
    model = fit_regressor(W, values, regressor, setup.seed)
    fitted = time.perf_counter()
    details: dict[str, Any] = {"model": model}
    extra: dict[str, np.ndarray] = {}
    if folds:
        extra["predicted"] = cross_validated(W, values, regressor, setup.seed, folds)
        details["cv_spearman"] = _cv_spearman(extra["predicted"], values)
    details["cost"] = {"regressor_fits": 1 + folds, "proxy_runs_s": proxy_s, "fit_s": fitted - start,
                       "cv_s": time.perf_counter() - fitted}
    return model, details, extra


def regmix(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    *,
    n_runs: int | None = None,
    regressor: Regressor = "gbm",
    n_candidates: int = 20_000,
    top_k: int = 100,
    prior: Sequence[float] | np.ndarray | pd.Series | None = None,
    strengths: tuple[float, float] = STRENGTHS,
    temperature: float = 0.5,
    cv_folds: int = 0,
    **options: Unpack[SearchOptions],
) -> OptimizationResult:
    """Choose a mixture RegMix-style: proxy runs on Dirichlet mixtures, a regression, top-k averaging.

    Liu et al. 2024 (arXiv 2407.01492; steps in the module docstring): ``n_runs`` mixtures from
    :func:`~mixlab.simplex.dirichlet_mixtures` centred on ``prior^temperature`` within the caps,
    one proxy run each (all at ``seed``), :func:`fit_regressor` from weights to the objective,
    and the average of the ``top_k`` best-predicted of ``n_candidates`` fresh mixtures.

    Parameters
    ----------
    world, objective, config : As for :func:`mixlab.optimizers.grid_search`.
    n_runs : int, optional
        Proxy runs (>= 4); default ``16 k`` for k domains (RegMix: 512).
    regressor : {"gbm", "ridge"}
        See :func:`make_regressor`.
    n_candidates, top_k : int
        Simulated mixtures scored by the regression (>= top_k; RegMix: about 1M); how many are averaged.
    prior, temperature : array-like or None, float
        The sampler's centre is ``prior^temperature`` (renormalized, recorded), ``prior`` on the
        simplex (default: the token shares, or uniform without sizes), temperature in [0, 1] (RegMix: 0.5).
    strengths : (float, float)
        Range of Dirichlet total concentrations (RegMix: 0.1 to 5).
    cv_folds : int
        0 (default) skips the diagnostic; K >= 2 cross-validates the regression in K folds
        (:func:`cross_validated`: K more fits, no proxy run).
    **options
        The search options, :class:`mixlab.search.SearchOptions`.

    Returns
    -------
    OptimizationResult
        ``history``: one row per proxy run (index ``run``): weights, ``loss_<domain>``, ``objective``
        (and out-of-fold ``predicted`` with ``cv_folds``). ``details``: ``model``, ``candidates`` (the
        averaged top-k), ``prior``, ``cost`` (regressor fits; seconds of the proxy runs, the fit and
        the CV), and ``cv_spearman`` with ``cv_folds`` (rank correlation of ``predicted`` with the
        measured objective, RegMix's fit metric).

    Raises
    ------
    TypeError, ValueError
        Bad arguments, or caps that reject nearly every sampled mixture.

    Used in: 1.5 (RegMix in miniature).
    """
    setup = search_setup(world, objective, config, **options)
    n = check_int(16 * len(setup.domains) if n_runs is None else n_runs, "n_runs", minimum=4)
    n_cand = check_int(n_candidates, "n_candidates", minimum=1)
    kk = check_int(top_k, "top_k", minimum=1, maximum=n_cand)
    folds = min(check_int(cv_folds, "cv_folds", minimum=0), n)
    if folds == 1:
        raise ValueError("cv_folds must be 0 (no diagnostic) or >= 2 (got 1)")
    centre, temp = _centre(setup, prior, temperature)
    train_ss, cand_ss = np.random.SeedSequence(setup.seed).spawn(2)
    W = dirichlet_mixtures(centre, n, int(train_ss.generate_state(1)[0]), strengths=strengths, caps=setup.caps)
    start = time.perf_counter()
    losses, values, _ = setup.run_batch(W, f"RegMix proxy runs ({n})")
    model, details, extra = _regress(setup, W, values, regressor, folds, time.perf_counter() - start)
    C = dirichlet_mixtures(centre, n_cand, int(cand_ss.generate_state(1)[0]), strengths=strengths, caps=setup.caps)
    pred = np.asarray(model.predict(C), dtype=np.float64)
    w, chosen = top_k_average(C, pred, kk)
    details.update(candidates=pd.DataFrame(C[chosen], columns=list(setup.domains)).assign(predicted=pred[chosen]),
                   prior=centre)
    params = setup.params(n_runs=n, regressor=regressor, n_candidates=n_cand, top_k=kk, strengths=list(strengths),
                          temperature=temp, prior=dict(zip(setup.domains, centre.tolist(), strict=True)))
    history = setup.trace(W, losses, values, "run", **extra)
    return setup.result(w, "regmix", params, runs=n, history=history, details=details)
