"""Tests for mixlab.methods: the shared search setup, the side-by-side comparison, and the measured
result on the default world (the acceptance check of lesson 1.5's table)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mixlab.methods import METHODS, compare_methods, default_settings, run_methods, score_mixtures
from mixlab.mixture import Mixture
from mixlab.optimizers import EVAL_SEED, search_setup
from mixlab.proxy import PROXY, ProxyConfig, train_proxy
from mixlab.world import World, generate_world, load_spec

DOMAINS = ["web", "code", "math"]


@pytest.fixture(scope="module")
def tiny3() -> World:
    return generate_world(load_spec("tiny").select_domains(DOMAINS), 0)


def expected_tokens(name: str, world: World, config: ProxyConfig, settings: dict) -> int:  # type: ignore[type-arg]
    """What each method must have spent, computed from its settings (never a stored number)."""
    k = len(world.domains)
    if name == "uniform":
        return 0
    if name == "grid":
        r = settings["resolution"]
        return math.comb(r + k - 1, k - 1) * config.budget
    if name == "doremi":
        steps = settings["steps"]
        b = config.budget // (k * steps)
        return config.budget + steps * k * b  # reference model + Group DRO proxy
    return settings["n_runs"] * config.budget  # mixing-law, regmix


# ---------------------------------------------------------------- shared setup
def test_search_setup_validates(tiny3: World) -> None:
    s = search_setup(tiny3, "uniform", PROXY)
    assert s.domains == tuple(DOMAINS) and s.budget == PROXY.budget
    np.testing.assert_array_equal(s.caps, 1.0)
    w = np.full(3, 1 / 3)
    assert s.measure(w) == pytest.approx(
        float(train_proxy(tiny3, s.mixture(w), PROXY, EVAL_SEED).losses.mean()), abs=1e-12
    )
    with pytest.raises(ValueError, match="world"):
        search_setup(None, "uniform")
    with pytest.raises(ValueError, match="differ"):
        search_setup(tiny3, "uniform", domains=["a", "b"])
    with pytest.raises(ValueError, match="sizes"):
        search_setup(None, "uniform", evaluate=lambda m: m.weights, domains=["a", "b"], max_epochs=1.0)
    with pytest.raises(ValueError, match="at least 2"):
        search_setup(None, "uniform", evaluate=lambda m: m.weights, domains=["a"])
    bad = search_setup(None, "uniform", evaluate=lambda m: pd.Series({"a": np.nan, "b": 1.0}), domains=["a", "b"])
    with pytest.raises(ValueError, match="non-finite"):
        bad.losses(np.array([0.5, 0.5]))


def test_default_settings_scale_with_k() -> None:
    assert default_settings(3)["grid"]["resolution"] == 10
    assert default_settings(6)["grid"]["resolution"] == 6  # uniform (1/6) lies on the grid
    for k in range(2, 9):
        r = default_settings(k)["grid"]["resolution"]
        assert math.comb(r + k - 1, k - 1) <= 500
    assert set(default_settings(4)) == set(METHODS)


# ---------------------------------------------------------------- the comparison (fast, tiny world)
def test_compare_methods_table_on_a_tiny_world(tiny3: World) -> None:
    cfg = PROXY.with_(budget=10_000)
    settings = {"grid": {"resolution": 4}, "doremi": {"steps": 10}, "mixing-law": {"n_runs": 8, "restarts": 2},
                "regmix": {"n_runs": 12, "n_candidates": 500, "top_k": 10}}
    table = compare_methods(tiny3, "uniform", cfg, seed=0, eval_seeds=(1, 2), progress=False, settings=settings)
    assert list(table.index) == list(METHODS)
    assert {"objective", "value_mean", "value_sd", "search_value", "tokens_spent", "runs"} <= set(table.columns)
    np.testing.assert_allclose(table[DOMAINS].sum(axis=1), 1.0, atol=1e-9)
    merged = {**default_settings(3), **settings}
    for name in METHODS:
        assert table.loc[name, "tokens_spent"] == expected_tokens(name, tiny3, cfg, merged[name])
    assert table.loc["uniform", "runs"] == 0
    # value_mean is the mean over the eval seeds of fresh runs
    uni = Mixture({d: 1 / 3 for d in DOMAINS})
    fresh = [float(train_proxy(tiny3, uni, cfg, s).losses.mean()) for s in (1, 2)]
    assert table.loc["uniform", "value_mean"] == pytest.approx(np.mean(fresh), abs=1e-12)
    assert table.loc["uniform", "value_sd"] == pytest.approx(np.std(fresh, ddof=1), abs=1e-12)


def test_run_methods_and_score_mixtures_reject_bad_input(tiny3: World) -> None:
    with pytest.raises(ValueError, match="methods"):
        run_methods(tiny3, "uniform", methods=["grid", "grid"], progress=False)
    with pytest.raises(ValueError, match="methods"):
        run_methods(tiny3, "uniform", methods=["annealing"], progress=False)
    with pytest.raises(ValueError, match="not run"):
        run_methods(tiny3, "uniform", methods=["uniform"], settings={"grid": {}}, progress=False)
    with pytest.raises(ValueError, match="eval_seeds"):
        score_mixtures(tiny3, {"u": Mixture({d: 1 / 3 for d in DOMAINS})}, "uniform", eval_seeds=(1, 1))


# ---------------------------------------------------------------- the measured result (acceptance)
#: Slack for "no worse than uniform by token" and "grid near the best": 0.05 nats/token is about
#: twice the seed-to-seed spread of one proxy run's uniform-average loss on the default world.
TOLERANCE = 0.05


@pytest.mark.slow
def test_methods_on_the_default_world() -> None:
    world = generate_world("default", 0)
    table = compare_methods(world, "uniform", PROXY, seed=0, progress=False)
    k = len(world.domains)
    settings = default_settings(k)
    # every method's spend equals what its settings imply
    for name in METHODS:
        assert table.loc[name, "tokens_spent"] == expected_tokens(name, world, PROXY, settings[name])
    uniform = table.loc["uniform", "value_mean"]
    for name in ("grid", "doremi", "mixing-law", "regmix"):
        assert table.loc[name, "value_mean"] <= uniform + TOLERANCE, table
    best = table["value_mean"].min()
    assert table.loc["grid", "value_mean"] <= best + TOLERANCE, table
    # the tolerance only means something if it is not below the noise of a single run
    assert TOLERANCE >= table["value_sd"].median(), table
    np.testing.assert_allclose(table[list(world.domains)].sum(axis=1), 1.0, atol=1e-9)
