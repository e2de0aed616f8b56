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

Used in: 1.5 (RegMix-style regression), 3.6 (the best optimized mixture next to the baselines).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mixlab.objectives import Objective
from mixlab.optimizers import EVAL_SEED, LossFunction, OptimizationResult, progress_bar, search_setup
from mixlab.proxy import PROXY, ProxyConfig
from mixlab.validation import check_finite_array, check_int, check_positive, check_seed, format_values

if TYPE_CHECKING:
    from mixlab.world import World

__all__ = ["dirichlet_mixtures", "fit_regressor", "top_k_average", "regmix", "Regressor"]

Regressor = Literal["gbm", "ridge"]

#: RegMix's default range of Dirichlet strengths (total concentration), sampled on a log grid.
STRENGTHS: tuple[float, float] = (0.1, 5.0)


def dirichlet_mixtures(
    prior: Sequence[float] | np.ndarray | pd.Series,
    n: int,
    seed: int,
    *,
    strengths: tuple[float, float] = STRENGTHS,
    n_strengths: int = 15,
    caps: Sequence[float] | np.ndarray | None = None,
    max_rounds: int = 50,
) -> np.ndarray:
    """Sample ``n`` mixtures from Dirichlet distributions centred on ``prior`` with varied strength.

    Each sample first picks a strength ``s`` uniformly from ``n_strengths`` values spaced
    evenly in log scale between ``strengths[0]`` and ``strengths[1]``, then draws
    ``w ~ Dirichlet(s · prior)``. A small ``s`` puts nearly all mass on one or two domains; a
    large ``s`` gives mixtures close to ``prior`` (RegMix's sampler, Liu et al. 2024,
    arXiv 2407.01492). Samples with some ``w_i > caps_i`` are rejected (not clipped), and
    sampling continues in rounds until ``n`` samples are accepted. The Dirichlet draw is done
    through normalized Gamma variables, vectorized over samples; rows whose Gammas all
    underflow to zero (possible at tiny concentrations) are rejected as well.

    Parameters
    ----------
    prior : array-like or pandas.Series
        The centre, on the simplex (checked; nothing is normalized), all entries > 0.
    n : int
        Number of mixtures (>= 1).
    seed : int
        Seed of the sampler's own generator.
    strengths : (float, float)
        Smallest and largest total concentration, ``0 < lo <= hi``.
    n_strengths : int
        Number of log-spaced strengths (>= 1).
    caps : array-like, optional
        Upper bounds ``u_i``; samples above a cap are rejected.
    max_rounds : int
        Give up (``ValueError``) after this many rounds without ``n`` accepted samples.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, k)``; every row is on the simplex (sums to 1 up to rounding) and within the caps.

    Raises
    ------
    ValueError
        Prior off the simplex or with a zero entry, bad strengths, or too many rejections.

    Used in: 1.5 (RegMix and mixing-law fitting runs).
    """
    p = check_finite_array(prior, "prior", nonnegative=True)
    if (p <= 0).any() or abs(p.sum() - 1.0) > 1e-9:
        raise ValueError(f"prior must be strictly positive and sum to 1 within 1e-09 (got {p.tolist()})")
    count = check_int(n, "n", minimum=1)
    rng = np.random.default_rng(check_seed(seed))
    lo, hi = (check_positive(strengths[0], "strengths[0]"), check_positive(strengths[1], "strengths[1]"))
    if lo > hi:
        raise ValueError(f"strengths must be (low, high) with low <= high (got {strengths})")
    grid = np.logspace(math.log10(lo), math.log10(hi), check_int(n_strengths, "n_strengths", minimum=1))
    u = np.ones_like(p) if caps is None else check_finite_array(caps, "caps", nonnegative=True)
    if u.shape != p.shape:
        raise ValueError(f"caps must have one entry per domain ({p.size}; got {u.size})")
    accepted: list[np.ndarray] = []
    have = 0
    for _ in range(check_int(max_rounds, "max_rounds", minimum=1)):
        m = 2 * (count - have) + 16
        s = rng.choice(grid, size=m)
        g = rng.gamma(shape=s[:, None] * p[None, :])
        tot = g.sum(axis=1)
        ok = tot > 0
        w = g[ok] / tot[ok, None]
        w = w[np.all(w <= u + 1e-12, axis=1)]
        accepted.append(w)
        have += len(w)
        if have >= count:
            return np.concatenate(accepted)[:count]
    raise ValueError(
        f"only {have} of {count} Dirichlet samples fell within the caps ({u.tolist()}) after {max_rounds} rounds; "
        "raise max_epochs or the strengths"
    )


def _features(w: np.ndarray, delta: float = 1e-3) -> np.ndarray:
    """Ridge features ``[w, w², log(w + δ)]``: a loss often falls like a power of a domain's
    share (the log term), and near an optimum any smooth surface is about quadratic."""
    return np.hstack([w, w**2, np.log(w + delta)])


def fit_regressor(weights: np.ndarray, target: np.ndarray, kind: Regressor = "gbm", seed: int = 0) -> Any:
    """Fit a regression model ``weights → target`` (a fitted scikit-learn estimator).

    Parameters
    ----------
    weights : numpy.ndarray
        Shape ``(n, k)``, one mixture per row.
    target : numpy.ndarray
        Shape ``(n,)``, the measured objective of each mixture.
    kind : {"gbm", "ridge"}
        ``"gbm"``: :class:`sklearn.ensemble.GradientBoostingRegressor` (boosted trees; RegMix
        used LightGBM, the same model family). ``"ridge"``: standardized ``[w, w², log(w + 1e-3)]``
        features into :class:`sklearn.linear_model.Ridge` (a smooth, extrapolating alternative).
    seed : int
        ``random_state`` of the estimator (trees are deterministic without subsampling anyway).

    Returns
    -------
    sklearn estimator
        With ``predict(weights)``.

    Raises
    ------
    ValueError
        Mismatched shapes, non-finite values, fewer than 4 runs, or an unknown ``kind``.

    Used in: 1.5.
    """
    W = check_finite_array(weights, "weights", ndim=2, nonnegative=True)
    y = check_finite_array(target, "target")
    if W.shape[0] != y.shape[0]:
        raise ValueError(f"weights and target need the same number of rows (got {W.shape[0]} and {y.shape[0]})")
    if W.shape[0] < 4:
        raise ValueError(f"a regression needs at least 4 runs (got {W.shape[0]})")
    s = check_seed(seed)
    if kind == "gbm":
        from sklearn.ensemble import GradientBoostingRegressor

        model = GradientBoostingRegressor(
            n_estimators=200, learning_rate=0.05, max_depth=3, min_samples_leaf=2, random_state=s
        )
        return model.fit(W, y)
    if kind == "ridge":
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import FunctionTransformer, make_pipeline
        from sklearn.preprocessing import StandardScaler

        model = make_pipeline(FunctionTransformer(_features), StandardScaler(), Ridge(alpha=1e-2))
        return model.fit(W, y)
    raise ValueError(f"kind must be 'gbm' or 'ridge' (got {kind!r})")


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

    Used in: 1.5.
    """
    m = candidates.shape[0]
    kk = check_int(top_k, "top_k", minimum=1, maximum=m)
    order = np.argsort(predicted, kind="stable")[:kk]
    return candidates[order].mean(axis=0), order


def regmix(
    world: World | None,
    objective: Objective | str,
    config: ProxyConfig = PROXY,
    n_runs: int | None = None,
    max_epochs: float | None = None,
    seed: int = 0,
    eval_seed: int = EVAL_SEED,
    progress: bool = True,
    *,
    regressor: Regressor = "gbm",
    n_candidates: int = 20_000,
    top_k: int = 100,
    prior: Sequence[float] | np.ndarray | pd.Series | None = None,
    strengths: tuple[float, float] = STRENGTHS,
    temperature: float = 0.5,
    evaluate: LossFunction | None = None,
    domains: Sequence[str] | None = None,
    sizes: pd.Series | Mapping[str, float] | None = None,
    cap_budget: float | None = None,
) -> OptimizationResult:
    """Choose a mixture RegMix-style: proxy runs on Dirichlet mixtures, a regression, top-k averaging.

    Steps (Liu et al. 2024, arXiv 2407.01492): sample ``n_runs`` mixtures with
    :func:`dirichlet_mixtures` centred on ``prior^temperature`` (renormalized; default prior:
    the token distribution of the training corpus, flattened with temperature 0.5, as in the
    paper's released sampler) and within the repetition caps; train one proxy per
    mixture (all at the same ``seed``, the common-random-numbers convention of
    :func:`mixlab.optimizers.grid_search`) and compute the objective; fit
    :func:`fit_regressor`; sample ``n_candidates`` fresh mixtures from the same distribution,
    predict their objective and return the average of the ``top_k`` best-predicted
    (:func:`top_k_average`). The paper's scale is 512 runs and ~1M candidates; the defaults
    here are ``16 k`` runs (k domains) and 20,000 candidates.

    Parameters
    ----------
    world : World or None
        Supplies the data; ``None`` only with ``evaluate``.
    objective : Objective or str
        The quantity regressed and minimized.
    config : ProxyConfig
        The proxy trained per sampled mixture.
    n_runs : int, optional
        Number of proxy runs (>= 4); default ``16 k``.
    max_epochs : float, optional
        Repetition cap ``E_max``; training and candidate mixtures above a cap are rejected.
    cap_budget : float, optional
        Token budget at which the caps ``u_i = min(1, E_max T_i / B)`` are computed (default: the
        proxy's own ``config.budget``), for when the real run is larger than the proxy.
    seed : int
        Seeds the mixture sampler (child streams of ``SeedSequence(seed)``), the regression and
        every proxy run.
    eval_seed : int
        Seed of the fresh run measuring the returned mixture.
    progress : bool
        Show a tqdm bar over the proxy runs (``TQDM_DISABLE=1`` silences it too).
    regressor : {"gbm", "ridge"}
        See :func:`fit_regressor`.
    n_candidates : int
        Simulated mixtures scored by the regression (>= top_k).
    top_k : int
        How many best-predicted candidates are averaged.
    prior : array-like, optional
        Centre of the Dirichlet sampler, on the simplex; default the corpus token shares
        (``sizes`` when ``world`` is None; uniform if neither is known).
    strengths : (float, float)
        Range of Dirichlet total concentrations (RegMix: 0.1 to 5).
    temperature : float
        The sampler's centre is ``prior^temperature``, renormalized (an explicit, recorded
        step): RegMix flattens a skewed token distribution this way, with 0.5 (the default);
        1 keeps the prior as is, 0 makes the centre uniform.
    evaluate, domains, sizes
        An injected loss surface, as in :func:`mixlab.optimizers.grid_search`.

    Returns
    -------
    OptimizationResult
        ``history`` has one row per proxy run: the weights (one column per domain),
        ``loss_<domain>``, ``objective`` and ``predicted`` (5-fold cross-validated prediction).
        ``details``: ``model`` (the fitted estimator), ``cv_spearman`` (rank correlation of the
        cross-validated predictions with the measured objective, the paper's fit metric),
        ``candidates`` (the averaged top-k, a DataFrame with ``predicted``), ``prior``.
        ``tokens_spent = n_runs × budget`` and ``runs = n_runs`` (the measuring run excluded).

    Raises
    ------
    TypeError, ValueError
        On bad arguments or caps that reject nearly every sampled mixture.

    Used in: 1.5, 3.6.
    """
    from scipy.stats import spearmanr
    from sklearn.model_selection import KFold, cross_val_predict

    prob = search_setup(
        world, objective, config, max_epochs, seed, eval_seed, evaluate, domains, sizes, cap_budget=cap_budget
    )
    k = len(prob.domains)
    n = check_int(16 * k if n_runs is None else n_runs, "n_runs", minimum=4)
    n_cand = check_int(n_candidates, "n_candidates", minimum=1)
    kk = check_int(top_k, "top_k", minimum=1, maximum=n_cand)
    if prior is None:
        if world is not None:
            tok = world.train.token_counts().to_numpy(dtype=np.float64)
            centre = tok / tok.sum()
        elif sizes is not None:
            tok = pd.Series(sizes, dtype=np.float64).loc[list(prob.domains)].to_numpy()
            centre = tok / tok.sum()
        else:
            centre = np.full(k, 1.0 / k)
    else:
        if isinstance(prior, pd.Series):
            prior = prior.loc[list(prob.domains)].to_numpy()
        centre = check_finite_array(prior, "prior", nonnegative=True)
        if centre.shape != (k,):
            raise ValueError(f"prior must give one weight per domain ({k}; got {centre.size})")
    if centre.sum() <= 0 or abs(centre.sum() - 1.0) > 1e-9:
        raise ValueError(f"prior must sum to 1 within 1e-09 (got {centre.sum():.12g}: {centre.tolist()})")
    temp = float(temperature)
    if not 0.0 <= temp <= 1.0:
        raise ValueError(f"temperature must lie in [0, 1] (got {temperature!r})")
    tempered = centre**temp
    centre = tempered / tempered.sum()  # the documented flattening step, not a silent fix
    train_ss, cand_ss = np.random.SeedSequence(check_seed(seed)).spawn(2)
    W = dirichlet_mixtures(centre, n, int(train_ss.generate_state(1)[0]), strengths=strengths, caps=prob.caps)
    losses = np.empty((n, k))
    values = np.empty(n)
    for i in progress_bar(range(n), progress, desc=f"RegMix proxy runs ({n})"):
        ls = prob.losses(W[i])
        losses[i] = ls.to_numpy()
        values[i] = prob.objective(ls)
    model = fit_regressor(W, values, regressor, seed)
    folds = KFold(n_splits=min(5, n), shuffle=True, random_state=check_seed(seed))
    cv_pred = cross_val_predict(fit_regressor(W, values, regressor, seed), W, values, cv=folds)
    rho = float(spearmanr(cv_pred, values).statistic)
    C = dirichlet_mixtures(centre, n_cand, int(cand_ss.generate_state(1)[0]), strengths=strengths, caps=prob.caps)
    pred = np.asarray(model.predict(C), dtype=np.float64)
    w, chosen = top_k_average(C, pred, kk)
    if not prob.feasible(w):  # cannot happen (an average of feasible points), checked anyway
        pairs = zip(prob.domains, w.tolist(), strict=True)
        raise AssertionError(f"top-k average left the caps: {format_values(pairs)}")
    history = pd.DataFrame(W, columns=list(prob.domains))
    for j, d in enumerate(prob.domains):
        history[f"loss_{d}"] = losses[:, j]
    history["objective"] = values
    history["predicted"] = cv_pred
    history.index.name = "run"
    top = pd.DataFrame(C[chosen], columns=list(prob.domains))
    top["predicted"] = pred[chosen]
    params = {
        "objective": prob.objective.name,
        "n_runs": n,
        "regressor": regressor,
        "n_candidates": n_cand,
        "top_k": kk,
        "strengths": list(strengths),
        "temperature": temp,
        "prior": dict(zip(prob.domains, centre.tolist(), strict=True)),
        "max_epochs": max_epochs,
        "budget": prob.budget,
        "seed": seed,
        "eval_seed": eval_seed,
        "config": getattr(config, "name", "?"),
    }
    return OptimizationResult(
        mixture=prob.mixture(w, "regmix", params),
        objective=prob.objective.name,
        value=prob.measure(w),
        tokens_spent=n * prob.budget,
        runs=n,
        history=history,
        details={"model": model, "cv_spearman": rho, "candidates": top, "prior": centre},
    )
