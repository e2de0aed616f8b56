"""Tests for mixlab.regmix: the Dirichlet sampler, the regression, top-k averaging, and RegMix on an
analytic objective whose optimum is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixlab.mixture import Mixture
from mixlab.optimizers import EVAL_SEED, measure
from mixlab.proxy import PROXY
from mixlab.regmix import dirichlet_mixtures, fit_regressor, regmix, top_k_average
from mixlab.world import generate_world, load_spec

DOMAINS = ("web", "code", "math")
W_STAR = np.array([0.5, 0.3, 0.2])


def bowl(mixture: Mixture) -> pd.Series:
    """Per-domain losses whose uniform average is ``1 + Σ_i (w_i − w*_i)²`` (minimum at w*)."""
    w = mixture.as_array(list(DOMAINS))
    return pd.Series(1.0 + 3.0 * (w - W_STAR) ** 2, index=list(DOMAINS))


# ---------------------------------------------------------------- sampler
def test_dirichlet_mixtures_on_simplex_within_caps_and_seeded() -> None:
    prior = np.array([0.6, 0.3, 0.1])
    caps = np.array([0.7, 0.8, 0.5])
    W = dirichlet_mixtures(prior, 500, 7, caps=caps)
    assert W.shape == (500, 3)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    assert (W >= 0).all() and (W <= caps + 1e-12).all()
    np.testing.assert_array_equal(W, dirichlet_mixtures(prior, 500, 7, caps=caps))
    assert not np.array_equal(W, dirichlet_mixtures(prior, 500, 8, caps=caps))
    # strong concentration: samples cluster at the prior
    tight = dirichlet_mixtures(prior, 200, 0, strengths=(1e4, 1e4))
    np.testing.assert_allclose(tight.mean(axis=0), prior, atol=0.01)


def test_dirichlet_mixtures_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="prior"):
        dirichlet_mixtures([0.5, 0.6], 3, 0)
    with pytest.raises(ValueError, match="strengths"):
        dirichlet_mixtures([0.5, 0.5], 3, 0, strengths=(2.0, 1.0))
    with pytest.raises(ValueError, match="within the caps"):
        dirichlet_mixtures([0.5, 0.5], 3, 0, caps=[0.01, 0.01], max_rounds=2)


# ---------------------------------------------------------------- regression and top-k
def test_top_k_average_and_regressors() -> None:
    C = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.8]])
    w, idx = top_k_average(C, np.array([3.0, 1.0, 2.0, 0.0]), 2)
    np.testing.assert_array_equal(idx, [3, 1])
    np.testing.assert_allclose(w, [0.1, 0.9])
    W = dirichlet_mixtures(np.full(3, 1 / 3), 40, 0, strengths=(3.0, 3.0))
    y = ((W - W_STAR) ** 2).sum(axis=1)
    for kind in ("gbm", "ridge"):
        model = fit_regressor(W, y, kind)  # type: ignore[arg-type]
        assert np.corrcoef(model.predict(W), y)[0, 1] > 0.9
    with pytest.raises(ValueError, match="kind"):
        fit_regressor(W, y, "lightgbm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 4"):
        fit_regressor(W[:3], y[:3])


# ---------------------------------------------------------------- the method
@pytest.mark.slow
@pytest.mark.parametrize("regressor", ["gbm", "ridge"])
def test_regmix_finds_the_optimum_of_an_analytic_objective(regressor: str) -> None:
    res = regmix(None, "uniform", PROXY, n_runs=64, seed=0, progress=False, regressor=regressor,  # type: ignore[arg-type]
                 evaluate=bowl, domains=DOMAINS, temperature=1.0, n_candidates=5000, top_k=50, cv_folds=5)
    w = res.mixture.as_array()
    assert abs(w.sum() - 1) <= 1e-9 and (w >= 0).all()
    assert np.abs(w - W_STAR).sum() < 0.15
    assert res.value == pytest.approx(float(bowl(res.mixture).mean()))
    assert res.tokens_spent == 64 * PROXY.budget and res.runs == 64
    assert res.mixture.provenance["mixer"] == "regmix"
    assert len(res.history) == 64 and {"objective", "predicted", "loss_web"} <= set(res.history.columns)
    assert res.details["cv_spearman"] > 0.5
    again = regmix(None, "uniform", PROXY, n_runs=64, seed=0, progress=False, regressor=regressor,  # type: ignore[arg-type]
                   evaluate=bowl, domains=DOMAINS, temperature=1.0, n_candidates=5000, top_k=50)
    np.testing.assert_array_equal(again.mixture.as_array(), w)


def test_regmix_respects_caps_from_sizes() -> None:
    sizes = pd.Series({"web": 10_000, "code": 40_000, "math": 60_000})
    budget = 50_000
    res = regmix(None, "uniform", PROXY.with_(budget=budget), n_runs=24, max_epochs=1.0, seed=3, progress=False,
                 evaluate=bowl, domains=DOMAINS, sizes=sizes, n_candidates=2000, top_k=20)
    caps = np.minimum(1.0, sizes.to_numpy() / budget)
    assert (res.mixture.as_array() <= caps + 1e-9).all()
    assert (res.history[list(DOMAINS)].to_numpy() <= caps + 1e-9).all()
    # the default prior is the token distribution, flattened by the temperature
    params = res.mixture.provenance["params"]
    raw = sizes.to_numpy() / sizes.sum()
    np.testing.assert_allclose(list(params["prior"].values()), raw**0.5 / (raw**0.5).sum())


def test_regmix_on_a_world_is_seeded_and_measured() -> None:
    world = generate_world(load_spec("tiny").select_domains(list(DOMAINS)), 0)
    cfg = PROXY.with_(budget=10_000)
    res = regmix(world, "uniform", cfg, n_runs=12, seed=1, progress=False, n_candidates=500, top_k=10)
    assert res.value == pytest.approx(measure(world, res.mixture, "uniform", cfg, EVAL_SEED), abs=1e-12)
    assert res.tokens_spent == 12 * cfg.budget
    with pytest.raises(ValueError, match="top_k"):
        regmix(world, "uniform", cfg, n_runs=12, progress=False, n_candidates=5, top_k=10)
    with pytest.raises(ValueError, match="temperature"):
        regmix(world, "uniform", cfg, n_runs=12, progress=False, temperature=2.0)


# ---------------------------------------------------------------- the diagnostic and its cost
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gbm", "ridge"])
@pytest.mark.parametrize(("n", "folds", "seed"), [(13, 5, 0), (12, 4, 7), (6, 6, 3)])
def test_cross_validated_equals_scikit_learn_kfold(kind: str, n: int, folds: int, seed: int) -> None:
    from sklearn.model_selection import KFold, cross_val_predict

    from mixlab.regmix import cross_validated, make_regressor

    W = dirichlet_mixtures(np.full(3, 1 / 3), n, seed + 1, strengths=(3.0, 3.0))
    y = ((W - W_STAR) ** 2).sum(axis=1)
    ours = cross_validated(W, y, kind, seed, folds)  # type: ignore[arg-type]
    theirs = cross_val_predict(make_regressor(kind, seed), W, y,  # type: ignore[arg-type]
                               cv=KFold(n_splits=folds, shuffle=True, random_state=seed))
    np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="folds"):
        cross_validated(W, y, kind, seed, n + 1)  # type: ignore[arg-type]


@pytest.mark.slow
def test_regmix_fits_once_without_the_diagnostic_and_k_more_times_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import mixlab.regmix

    built: list[str] = []
    real = mixlab.regmix.make_regressor

    def counting(kind: str = "gbm", seed: int = 0) -> object:
        built.append(kind)
        return real(kind, seed)  # type: ignore[arg-type]

    monkeypatch.setattr(mixlab.regmix, "make_regressor", counting)
    kwargs = {"n_runs": 20, "seed": 2, "progress": False, "evaluate": bowl, "domains": DOMAINS, "n_candidates": 800,
              "top_k": 10}
    lean = regmix(None, "uniform", PROXY, **kwargs)  # type: ignore[arg-type]
    assert len(built) == 1 and lean.details["cost"]["regressor_fits"] == 1  # no wasted refit
    assert "predicted" not in lean.history.columns and "cv_spearman" not in lean.details
    built.clear()
    full = regmix(None, "uniform", PROXY, cv_folds=5, **kwargs)  # type: ignore[arg-type]
    assert len(built) == 6 and full.details["cost"]["regressor_fits"] == 6  # the model, then one per fold
    assert {"proxy_runs_s", "fit_s", "cv_s"} <= set(full.details["cost"])
    # the diagnostic only reports: the chosen mixture and its cost in runs are the same
    np.testing.assert_array_equal(full.mixture.as_array(), lean.mixture.as_array())
    assert full.runs == lean.runs and full.tokens_spent == lean.tokens_spent
    with pytest.raises(ValueError, match="cv_folds"):
        regmix(None, "uniform", PROXY, cv_folds=1, **kwargs)  # type: ignore[arg-type]
