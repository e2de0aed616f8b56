"""Tests for mixlab.mixing_laws: parameter recovery (noise-free and noisy), the gauge, prediction
formats, optimizing the fitted law under caps, and the OptimizationResult contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixlab.mixing_laws import (
    MixingLaw,
    canonical_gauge,
    fit_mixing_law,
    law_losses,
    minimize_predicted,
    mixing_law_optimize,
    runs_table,
)
from mixlab.mixture import Mixture
from mixlab.objectives import uniform_objective, worst_case
from mixlab.optimizers import simplex_grid
from mixlab.proxy import PROXY, sweep
from mixlab.regmix import dirichlet_mixtures
from mixlab.world import generate_world, load_spec

DOMAINS = ("web", "code", "math")
C = np.array([2.0, 2.5, 1.5])
K = np.array([1.0, 0.5, 2.0])
T = np.array([[-2.0, 0.5, 0.3], [0.4, -1.5, 1.0], [0.2, 0.8, -2.5]])


def law_runs(n: int = 30, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    W = dirichlet_mixtures(np.full(3, 1 / 3), n, seed, strengths=(3.0, 3.0))
    L = law_losses(W, C, K, T)
    if noise:
        L = L + np.random.default_rng(seed + 1).normal(0.0, noise, L.shape)
    return W, L


def law_surface(mixture: Mixture) -> pd.Series:
    return pd.Series(law_losses(mixture.as_array(list(DOMAINS)), C, K, T), index=list(DOMAINS))


# ---------------------------------------------------------------- the law and its gauge
def test_law_losses_shapes_and_gauge_invariance() -> None:
    W, L = law_runs(5)
    assert L.shape == (5, 3)
    np.testing.assert_allclose(law_losses(W[0], C, K, T), L[0])
    k2, t2 = canonical_gauge(K, T)
    np.testing.assert_allclose(t2.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(law_losses(W, C, k2, t2), L, rtol=1e-12)  # same law on the simplex


# ---------------------------------------------------------------- recovery
def test_fit_recovers_noise_free_parameters_near_exactly() -> None:
    W, L = law_runs(30)
    law = fit_mixing_law(runs_table(W, L, DOMAINS), seed=0)
    k2, t2 = canonical_gauge(K, T)
    np.testing.assert_allclose(law.c, C, atol=1e-6)
    np.testing.assert_allclose(law.k, k2, rtol=1e-6)
    np.testing.assert_allclose(law.t, t2, atol=1e-6)
    assert (law.r2 > 1 - 1e-10).all()
    assert (law.rmse < 1e-8).all()


def test_fit_recovers_noisy_parameters_within_tolerance() -> None:
    noise = 0.005
    W, L = law_runs(60, noise=noise, seed=2)
    law = fit_mixing_law(runs_table(W, L, DOMAINS), seed=0)
    k2, t2 = canonical_gauge(K, T)
    np.testing.assert_allclose(law.c, C, atol=0.15)
    np.testing.assert_allclose(law.t, t2, atol=0.3)
    # the fitted surface tracks the true one far better than the noise level, across the simplex
    G = simplex_grid(3, 10)
    assert np.abs(law.predict(G).to_numpy() - law_losses(G, C, K, T)).max() < 3 * noise
    assert law.rmse.max() < 1.5 * noise


@pytest.mark.slow
def test_fit_is_deterministic_and_rejects_too_few_runs() -> None:
    W, L = law_runs(12, noise=0.01)
    a = fit_mixing_law(runs_table(W, L, DOMAINS), seed=3)
    b = fit_mixing_law(runs_table(W, L, DOMAINS), seed=3)
    np.testing.assert_array_equal(a.c, b.c)
    with pytest.raises(ValueError, match="more runs than parameters"):
        fit_mixing_law(runs_table(W[:4], L[:4], DOMAINS))
    with pytest.raises(ValueError, match="columns"):
        fit_mixing_law(pd.DataFrame({"mixture": ["a"], "loss": [1.0]}))


@pytest.mark.slow
def test_fit_reads_a_sweep_table_and_reports_the_floor() -> None:
    world = generate_world(load_spec("tiny").select_domains(list(DOMAINS)), 0)
    mixtures = [Mixture(dict(zip(DOMAINS, w.tolist(), strict=True)))
                for w in dirichlet_mixtures(np.full(3, 1 / 3), 10, 0, strengths=(3.0, 3.0))]
    runs = sweep(world, mixtures, PROXY.with_(budget=10_000), seeds=(0,), progress=False)
    law = fit_mixing_law(runs)
    assert law.domains == law.targets == DOMAINS
    assert law.weights.shape == (10, 3)
    table = law.params(world.process.entropy_rate())
    assert {"c", "k", "t[web]", "r2", "rmse", "floor", "c_minus_floor"} <= set(table.columns)
    assert (table["c"] >= 0).all()
    np.testing.assert_allclose(table["c_minus_floor"], table["c"] - table["floor"])


def test_predict_accepts_mixtures_series_frames_and_arrays() -> None:
    W, L = law_runs(20)
    law = fit_mixing_law(runs_table(W, L, DOMAINS))
    m = Mixture({"math": 0.2, "web": 0.5, "code": 0.3})
    s = law.predict(m)
    assert isinstance(s, pd.Series) and list(s.index) == list(DOMAINS)
    np.testing.assert_allclose(s.to_numpy(), law_losses(np.array([0.5, 0.3, 0.2]), C, K, T), rtol=1e-6)
    frame = pd.DataFrame(W[:3], columns=list(DOMAINS))
    assert law.predict(frame).shape == (3, 3)
    np.testing.assert_allclose(law.predict(W[:3]).to_numpy(), L[:3], rtol=1e-6)
    np.testing.assert_allclose(law.predict(pd.Series({"web": 0.5, "code": 0.3, "math": 0.2})).to_numpy(),
                               s.to_numpy())
    with pytest.raises(ValueError, match="shape"):
        law.predict(np.ones(4) / 4)
    assert isinstance(law, MixingLaw) and "R²" in repr(law)


# ---------------------------------------------------------------- optimizing the law
@pytest.mark.slow
@pytest.mark.parametrize(("objective", "rowwise"), [(uniform_objective(), np.mean), (worst_case(), np.max)])
def test_minimize_predicted_beats_a_fine_grid(objective, rowwise) -> None:  # type: ignore[no-untyped-def]
    W, L = law_runs(20)
    law = fit_mixing_law(runs_table(W, L, DOMAINS))
    w, best = minimize_predicted(law, objective, seed=0)
    assert abs(w.sum() - 1) <= 1e-9 and (w >= 0).all()
    assert best == pytest.approx(objective(law.predict(w)), abs=1e-12)
    G = simplex_grid(3, 100)
    grid_vals = rowwise(law_losses(G, law.c, law.k, law.t), axis=1)
    assert best <= grid_vals.min() + 1e-6


def test_minimize_predicted_respects_caps() -> None:
    W, L = law_runs(20)
    law = fit_mixing_law(runs_table(W, L, DOMAINS))
    caps = np.array([0.2, 0.5, 0.6])
    w, _ = minimize_predicted(law, uniform_objective(), caps=caps, seed=1)
    assert (w <= caps + 1e-12).all() and abs(w.sum() - 1) <= 1e-9


@pytest.mark.slow
def test_mixing_law_optimize_on_a_known_law() -> None:
    res = mixing_law_optimize(None, "uniform", PROXY, n_runs=16, seed=0, progress=False,
                              evaluate=law_surface, domains=DOMAINS)
    # the runs come from the law itself, so the fit is exact and its optimum is the law's optimum
    G = simplex_grid(3, 200)
    true = law_losses(G, C, K, T).mean(axis=1)
    assert res.value <= true.min() + 1e-6
    w_star = G[np.argmin(true)]
    assert np.abs(res.mixture.as_array() - w_star).sum() < 0.02
    assert res.tokens_spent == 16 * PROXY.budget and res.runs == 16
    assert res.mixture.provenance["mixer"] == "mixing_law"
    assert len(res.history) == 16
    assert {"loss_web", "pred_web", "objective", "predicted_objective"} <= set(res.history.columns)
    again = mixing_law_optimize(None, "uniform", PROXY, n_runs=16, seed=0, progress=False,
                                evaluate=law_surface, domains=DOMAINS)
    np.testing.assert_array_equal(again.mixture.as_array(), res.mixture.as_array())


@pytest.mark.slow
def test_mixing_law_optimize_within_caps_on_a_world() -> None:
    world = generate_world(load_spec("tiny").select_domains(list(DOMAINS)), 0)
    tokens = world.train.token_counts()
    cfg = PROXY.with_(budget=int(tokens.sum() // 2))
    res = mixing_law_optimize(world, "uniform", cfg, n_runs=10, max_epochs=1.0, seed=1, progress=False)
    caps = np.minimum(1.0, tokens.to_numpy() / cfg.budget)
    w = res.mixture.as_array()
    assert (w <= caps + 1e-9).all() and abs(w.sum() - 1) <= 1e-9
    assert (res.history[list(DOMAINS)].to_numpy() <= caps + 1e-9).all()
    assert res.tokens_spent == 10 * cfg.budget
    params = res.details["params"]
    assert "floor" in params.columns
    with pytest.raises(ValueError, match="n_runs"):
        mixing_law_optimize(world, "uniform", cfg, n_runs=3, progress=False)
