"""Tests for mixlab.optimizers: the simplex grid, the KL projection, grid search and mirror descent.

Optimizers are checked on analytic loss surfaces (injected with ``evaluate=``) whose minimizer is
known, and on a three-domain tiny world with real proxies.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixlab.mixture import Mixture
from mixlab.objectives import uniform_objective, weighted_objective, worst_case
from mixlab.optimizers import (
    EVAL_SEED,
    OptimizationResult,
    exponentiated_gradient,
    grid_search,
    kl_project_capped,
    measure,
    rescore,
    resolve_objective,
    search_setup,
    simplex_grid,
)
from mixlab.proxy import ProxyConfig, train_proxy
from mixlab.world import World, generate_world, load_spec

DOMAINS = ("web", "code", "math")
OPT = np.array([0.5, 0.3, 0.2])
CONFIG = ProxyConfig(budget=20_000, buckets=32, name="test-proxy")


def quadratic(opt: np.ndarray = OPT, scale: float = 4.0) -> Callable[[Mixture], pd.Series]:
    """Per-domain losses whose uniform average is minimized exactly at ``opt``."""

    def evaluate(m: Mixture) -> pd.Series:
        w = m.as_array(list(DOMAINS))
        return pd.Series(2.0 + scale * (w - opt) ** 2, index=list(DOMAINS))

    return evaluate


@pytest.fixture(scope="module")
def world3() -> World:
    return generate_world(load_spec("tiny").select_domains(list(DOMAINS)), 0)


def on_simplex_within(result: OptimizationResult, caps: np.ndarray | None = None) -> None:
    w = result.mixture.as_array(list(DOMAINS))
    assert np.all(w >= 0)
    assert abs(w.sum() - 1.0) <= 1e-9
    if caps is not None:
        assert np.all(w <= caps + 1e-9), (w, caps)


# ---------------------------------------------------------------------------- simplex grid
@pytest.mark.parametrize(("k", "r"), [(1, 3), (2, 1), (3, 10), (4, 6), (6, 4)])
def test_simplex_grid_has_every_point_once(k: int, r: int) -> None:
    g = simplex_grid(k, r)
    assert isinstance(g, np.ndarray)
    assert g.shape == (math.comb(r + k - 1, k - 1), k)
    np.testing.assert_allclose(g.sum(axis=1), 1.0, atol=1e-12)
    counts = np.rint(g * r)
    np.testing.assert_allclose(g * r, counts, atol=1e-9)
    assert (counts >= 0).all()
    assert len({tuple(row) for row in counts.astype(int).tolist()}) == len(g)


def test_simplex_grid_dataframe_for_ternary_plots() -> None:
    g = simplex_grid(DOMAINS, 2)
    assert isinstance(g, pd.DataFrame)
    assert list(g.columns) == list(DOMAINS)
    assert g.iloc[0].tolist() == [1.0, 0.0, 0.0]
    assert g.iloc[-1].tolist() == [0.0, 0.0, 1.0]


@pytest.mark.parametrize(
    ("k", "r", "err", "pattern"),
    [
        (0, 3, ValueError, "k"),
        (3, 0, ValueError, "resolution"),
        (3, 1.5, TypeError, "resolution"),
        ("web", 3, TypeError, "single string"),
        (("a", "a"), 3, ValueError, "unique"),
        (12, 60, ValueError, "points"),
    ],
)
def test_simplex_grid_rejects_bad_arguments(k: object, r: object, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        simplex_grid(k, r)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- KL projection
def test_kl_projection_without_binding_caps_is_normalization() -> None:
    v = np.array([2.0, 1.0, 1.0])
    np.testing.assert_allclose(kl_project_capped(v, np.ones(3)), v / 4)


def test_kl_projection_has_the_kkt_form() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(2, 8))
        v = rng.gamma(0.5, size=k) + 1e-6
        caps = rng.uniform(0.05, 1.0, size=k)
        if caps.sum() < 1:
            caps = caps / caps.sum() * 1.2
        w = kl_project_capped(v, caps)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(w <= caps + 1e-12)
        free = w < caps - 1e-12
        # w_i = min(u_i, c v_i): one common ratio c on the free coordinates, c v_i >= u_i on the capped
        c = (w[free] / v[free]).mean() if free.any() else np.inf
        np.testing.assert_allclose(w[free] / v[free], c, rtol=1e-9)
        assert np.all(c * v[~free] >= caps[~free] * (1 - 1e-9))


def test_kl_projection_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        kl_project_capped([1.0, 1.0], [0.3, 0.3])
    with pytest.raises(ValueError, match="support"):
        kl_project_capped([1.0, 0.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="not all zero"):
        kl_project_capped([0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="equal length"):
        kl_project_capped([1.0, 1.0], [1.0])


# ---------------------------------------------------------------------------- grid search
def test_grid_search_finds_the_known_minimizer() -> None:
    res = grid_search(None, "uniform", CONFIG, resolution=10, evaluate=quadratic(), domains=DOMAINS, progress=False)
    np.testing.assert_allclose(res.mixture.as_array(list(DOMAINS)), OPT, atol=1e-12)
    assert res.value == pytest.approx(2.0)
    assert res.objective == "uniform"
    assert res.runs == math.comb(12, 2) == len(res.history)
    assert res.tokens_spent == res.runs * CONFIG.budget
    h = res.history
    assert list(h.columns) == [*DOMAINS, "loss_web", "loss_code", "loss_math", "objective", "feasible", "best"]
    assert h["feasible"].all() and h["best"].sum() == 1
    assert res.mixture.provenance["mixer"] == "grid_search"
    assert "grid_search" in repr(res) and "uniform=2.0000" in repr(res)
    assert res.summary()["runs"] == res.runs


def test_grid_search_marks_infeasible_points_and_never_picks_them() -> None:
    sizes = {"web": 10_000, "code": 10_000, "math": 2_000}  # at B = 20k and E_max = 1: caps 0.5, 0.5, 0.1
    caps = np.array([0.5, 0.5, 0.1])
    opt = np.array([0.2, 0.3, 0.5])  # outside the caps
    res = grid_search(
        None,
        "uniform",
        CONFIG,
        resolution=10,
        max_epochs=1.0,
        evaluate=quadratic(opt),
        domains=DOMAINS,
        sizes=sizes,
        progress=False,
    )
    on_simplex_within(res, caps)
    h = res.history
    w = h[list(DOMAINS)].to_numpy()
    np.testing.assert_array_equal(h["feasible"].to_numpy(), np.all(w <= caps + 1e-9, axis=1))
    assert (~h["feasible"]).sum() > 0
    assert h["objective"].notna().all()  # infeasible points are trained and shown, not dropped
    feasible_best = h.loc[h["feasible"], "objective"].min()
    assert h.loc[h["best"], "objective"].item() == feasible_best
    lean = grid_search(
        None,
        "uniform",
        CONFIG,
        resolution=10,
        max_epochs=1.0,
        evaluate=quadratic(opt),
        domains=DOMAINS,
        sizes=sizes,
        progress=False,
        train_infeasible=False,
    )
    assert lean.runs == int(h["feasible"].sum())
    assert lean.history.loc[~lean.history["feasible"], "objective"].isna().all()
    assert lean.mixture.allclose(res.mixture)


def test_grid_search_on_a_world_respects_caps(world3: World) -> None:
    res = grid_search(world3, worst_case(), CONFIG, resolution=5, max_epochs=1.0, progress=False)
    T = world3.train.token_counts().to_numpy()
    caps = np.minimum(1.0, T / CONFIG.budget)
    assert caps.min() < 0.5  # math's cap binds
    on_simplex_within(res, caps)
    assert res.value == pytest.approx(measure(world3, res.mixture, "worst-case", CONFIG, EVAL_SEED))


def test_grid_search_seeds_average_losses_and_count_every_run(world3: World) -> None:
    seeds = (0, 1, 2)
    res = grid_search(world3, "uniform", CONFIG, resolution=2, seeds=seeds, progress=False)
    n = len(res.history)
    assert res.runs == n * len(seeds) and res.tokens_spent == res.runs * CONFIG.budget
    params = res.mixture.provenance["params"]
    assert params["seeds"] == list(seeds) and params["seed"] is None
    per_seed = res.details["seed_losses"]
    assert per_seed.index.names == ["point", "seed"] and list(per_seed.columns) == list(DOMAINS)
    point = 1
    w = res.history.loc[point, list(DOMAINS)].to_dict()
    runs = [train_proxy(world3, Mixture(w, domains=DOMAINS), CONFIG, s).losses for s in seeds]
    mean = sum(runs) / len(runs)
    np.testing.assert_allclose(res.history.loc[point, [f"loss_{d}" for d in DOMAINS]].to_numpy(float),
                               mean.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(per_seed.loc[(point, 2)].to_numpy(), runs[2].to_numpy(), rtol=1e-12)
    assert res.history.loc[point, "objective"] == pytest.approx(float(mean.mean()), rel=1e-12)
    # the measured value is still one fresh run at the evaluation seed
    assert res.value == pytest.approx(measure(world3, res.mixture, "uniform", CONFIG, EVAL_SEED))


def test_grid_search_default_seed_path_is_unchanged(world3: World) -> None:
    one = grid_search(world3, "uniform", CONFIG, resolution=2, seed=3, progress=False)
    same = grid_search(world3, "uniform", CONFIG, resolution=2, seeds=[3], progress=False)
    pd.testing.assert_frame_equal(one.history, same.history)
    assert one.runs == same.runs and one.details == {}
    assert "seeds" not in one.mixture.provenance["params"] and one.mixture.provenance["params"]["seed"] == 3


def test_grid_search_seeds_with_an_injected_surface_counts_each_call() -> None:
    calls: list[int] = []

    def noisy(m: Mixture) -> pd.Series:
        calls.append(1)
        return quadratic()(m) + 0.01 * (len(calls) % 2)  # alternating offset, averaged out over 2 seeds

    res = grid_search(None, "uniform", CONFIG, resolution=10, evaluate=noisy, domains=DOMAINS, progress=False,
                      seeds=(5, 6))
    assert res.runs == len(calls) - 1 == 2 * math.comb(12, 2)  # the last call is the measuring run
    np.testing.assert_allclose(res.mixture.as_array(list(DOMAINS)), OPT, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "err", "pattern"),
    [
        ({"seeds": []}, ValueError, "at least one seed"),
        ({"seeds": [1, 1]}, ValueError, "distinct"),
        ({"seeds": [-1]}, ValueError, "seeds"),
        ({"seeds": "01"}, TypeError, "sequence of ints"),
        ({"seeds": [1, 2], "seed": 4}, ValueError, "seed or seeds, not both"),
    ],
)
def test_grid_search_seeds_errors(kwargs: dict[str, Any], err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        grid_search(None, "uniform", CONFIG, resolution=2, evaluate=quadratic(), domains=DOMAINS, progress=False,
                    **kwargs)


def test_rescore_moves_the_optimum_without_retraining() -> None:
    calls: list[int] = []

    def surface(m: Mixture) -> pd.Series:
        calls.append(1)
        return quadratic()(m)

    res = grid_search(None, "uniform", CONFIG, resolution=10, evaluate=surface, domains=DOMAINS, progress=False)
    trained = len(calls)
    same = res.rescore("uniform")
    assert len(calls) == trained  # no retraining
    pd.testing.assert_series_equal(same["best"], res.history["best"])
    np.testing.assert_allclose(same["objective"], res.history["objective"])
    target = weighted_objective({"web": 0.0, "code": 0.0, "math": 1.0})
    table = rescore(res.history, target)
    assert table.attrs["objective"] == target.name and table["best"].sum() == 1
    best = table.loc[table["best"], list(DOMAINS)].to_numpy().ravel()
    assert best[2] == pytest.approx(0.2)  # the math loss alone is lowest at the optimum's math weight
    expected = target(pd.Series(res.history.loc[0, [f"loss_{d}" for d in DOMAINS]].to_numpy(float), index=DOMAINS))
    assert table.loc[0, "objective"] == pytest.approx(expected)
    assert list(table.columns) == [*DOMAINS, "objective", "feasible", "best"]


def test_rescore_picks_only_feasible_trained_points() -> None:
    sizes = {"web": 10_000, "code": 10_000, "math": 2_000}  # caps 0.5, 0.5, 0.1
    lean = grid_search(None, "uniform", CONFIG, resolution=10, max_epochs=1.0, evaluate=quadratic(np.array(
        [0.2, 0.3, 0.5])), domains=DOMAINS, sizes=sizes, progress=False, train_infeasible=False)
    table = rescore(lean.history, worst_case(), DOMAINS)
    assert table.loc[~table["feasible"], "objective"].isna().all()
    assert bool(table.loc[table["best"], "feasible"].item())
    assert table.loc[table["best"], "objective"].item() == table.loc[table["feasible"], "objective"].min()


def test_rescore_errors() -> None:
    res = grid_search(None, "uniform", CONFIG, resolution=2, evaluate=quadratic(), domains=DOMAINS, progress=False)
    with pytest.raises(TypeError, match="history must be a pandas DataFrame"):
        rescore(res.history.to_numpy(), "uniform")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no loss_<domain> columns"):
        rescore(res.history[list(DOMAINS)], "uniform")
    with pytest.raises(ValueError, match="missing columns: loss_math"):
        rescore(res.history.drop(columns="loss_math"), "uniform", DOMAINS)
    with pytest.raises(ValueError, match="not a parameter-free objective"):
        rescore(res.history, "nope")
    none_feasible = res.history.assign(feasible=False)
    with pytest.raises(ValueError, match="no feasible grid point"):
        rescore(none_feasible, "uniform")


# ---------------------------------------------------------------------------- exponentiated gradient
def test_eg_converges_to_the_known_minimizer() -> None:
    res = exponentiated_gradient(
        None, "uniform", CONFIG, steps=60, lr=5.0, fd_eps=0.01, evaluate=quadratic(), domains=DOMAINS, progress=False
    )
    on_simplex_within(res)
    np.testing.assert_allclose(res.mixture.as_array(list(DOMAINS)), OPT, atol=0.01)
    h = res.history
    assert {"objective", "grad_web", "lr", "runs", "tokens_spent", "chosen"} <= set(h.columns)
    assert res.runs == h["runs"].iloc[-1] == res.tokens_spent // CONFIG.budget
    assert res.runs == (len(h) - 1) * (len(DOMAINS) + 1) + 1
    assert h["chosen"].sum() == 1


def test_eg_with_caps_reaches_the_constrained_optimum() -> None:
    sizes = {"web": 10_000, "code": 10_000, "math": 2_000}
    caps = np.array([0.5, 0.5, 0.1])
    opt = np.array([0.2, 0.3, 0.5])
    res = exponentiated_gradient(
        None,
        "uniform",
        CONFIG,
        steps=80,
        lr=5.0,
        fd_eps=0.01,
        max_epochs=1.0,
        evaluate=quadratic(opt),
        domains=DOMAINS,
        sizes=sizes,
        progress=False,
        output="last",
    )
    on_simplex_within(res, caps)
    # the exact constrained optimum of Σ (w − opt)² over {w ∈ Δ, w <= caps} is math at its cap 0.1
    # and the other two shifted equally: (0.35, 0.45, 0.1)... clipped by web/code caps of 0.5
    np.testing.assert_allclose(res.mixture.as_array(list(DOMAINS)), [0.4, 0.5, 0.1], atol=0.02)


def test_eg_agrees_with_the_grid_on_a_three_domain_world(world3: World) -> None:
    obj = uniform_objective()
    grid = grid_search(world3, obj, CONFIG, resolution=10, progress=False)
    eg = exponentiated_gradient(world3, obj, CONFIG, steps=20, progress=False)
    on_simplex_within(eg)
    # both search on the same seed: compare the best objective each found, and the weights
    assert eg.history["objective"].min() <= grid.history["objective"].min() + 0.01
    assert np.abs(eg.mixture.as_array(list(DOMAINS)) - grid.mixture.as_array(list(DOMAINS))).max() <= 0.15


@pytest.mark.parametrize("output", ["best", "last", "average"])
def test_eg_outputs_stay_on_the_capped_simplex(world3: World, output: str) -> None:
    T = world3.train.token_counts().to_numpy()
    caps = np.minimum(1.0, 1.0 * T / CONFIG.budget)
    res = exponentiated_gradient(
        world3,
        weighted_objective({"web": 0.2, "code": 0.2, "math": 0.6}),
        CONFIG,
        steps=4,
        max_epochs=1.0,
        output=output,  # type: ignore[arg-type]
        progress=False,
    )
    on_simplex_within(res, caps)
    hist = res.history[list(DOMAINS)].to_numpy()
    assert np.all(hist <= caps + 1e-9)
    assert res.mixture.provenance["params"]["output"] == output


# ---------------------------------------------------------------------------- errors
def not_a_series(m: Mixture) -> Any:
    return [1.0, 2.0, 3.0]


def test_optimizers_validate_their_arguments(world3: World) -> None:
    ev = quadratic()
    with pytest.raises(ValueError, match="world .* or an evaluate"):
        grid_search(None, "uniform", progress=False)
    with pytest.raises(ValueError, match="domains="):
        grid_search(None, "uniform", evaluate=ev, progress=False)
    with pytest.raises(ValueError, match="parameter-free"):
        grid_search(world3, "nope", progress=False)
    with pytest.raises(TypeError, match="Objective"):
        resolve_objective(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ProxyConfig"):
        grid_search(world3, "uniform", config="proxy", progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="resolution"):
        grid_search(None, "uniform", resolution=0, evaluate=ev, domains=DOMAINS, progress=False)
    with pytest.raises(ValueError, match="infeasible"):
        grid_search(world3, "uniform", CONFIG, max_epochs=1e-6, progress=False)
    with pytest.raises(ValueError, match="sizes"):
        grid_search(None, "uniform", max_epochs=1.0, evaluate=ev, domains=DOMAINS, progress=False)
    with pytest.raises(TypeError, match="Series"):
        grid_search(None, "uniform", evaluate=not_a_series, domains=DOMAINS, progress=False)
    with pytest.raises(ValueError, match="lr"):
        exponentiated_gradient(None, "uniform", lr=0, evaluate=ev, domains=DOMAINS, progress=False)
    with pytest.raises(ValueError, match="fd_eps"):
        exponentiated_gradient(None, "uniform", fd_eps=0.7, evaluate=ev, domains=DOMAINS, progress=False)
    with pytest.raises(ValueError, match="steps"):
        exponentiated_gradient(None, "uniform", steps=0, evaluate=ev, domains=DOMAINS, progress=False)
    with pytest.raises(ValueError, match="never revives"):
        exponentiated_gradient(None, "uniform", init=[0.5, 0.5, 0.0], evaluate=ev, domains=DOMAINS, progress=False)
    with pytest.raises(ValueError, match="summing to 1"):
        exponentiated_gradient(None, "uniform", init=[0.5, 0.6, 0.1], evaluate=ev, domains=DOMAINS, progress=False)
    with pytest.raises(ValueError, match="exceeds the caps"):
        exponentiated_gradient(
            None,
            "uniform",
            CONFIG,
            init=[0.1, 0.1, 0.8],
            max_epochs=1.0,
            sizes={"web": 1e5, "code": 1e5, "math": 1e4},
            evaluate=ev,
            domains=DOMAINS,
            progress=False,
        )
    with pytest.raises(ValueError, match="output"):
        exponentiated_gradient(
            None,
            "uniform",
            output="mean",  # type: ignore[arg-type]
            evaluate=ev,
            domains=DOMAINS,
            progress=False,
        )


def test_eg_accepts_a_mixture_as_init() -> None:
    init = Mixture({"math": 0.2, "web": 0.4, "code": 0.4})
    res = exponentiated_gradient(
        None, "uniform", CONFIG, steps=2, init=init, evaluate=quadratic(), domains=DOMAINS, progress=False
    )
    np.testing.assert_allclose(res.history.loc[0, list(DOMAINS)].to_numpy(dtype=float), [0.4, 0.4, 0.2])


# ---------------------------------------------------------------- caps at the run's budget (cap_budget)
def test_cap_budget_sets_the_caps_independently_of_the_proxy_budget() -> None:
    sizes = {"web": 10_000, "code": 10_000, "math": 2_000}
    kwargs: dict[str, Any] = {"evaluate": quadratic(), "domains": DOMAINS, "sizes": sizes, "max_epochs": 2.0}
    at_proxy = search_setup(None, "uniform", CONFIG, **kwargs)
    at_run = search_setup(None, "uniform", CONFIG, cap_budget=40_000, **kwargs)
    # caps u_i = min(1, E_max T_i / B): at the proxy's 20k, and at the run's 40k tokens
    np.testing.assert_allclose(at_proxy.caps, [1.0, 1.0, 0.2])
    np.testing.assert_allclose(at_run.caps, [0.5, 0.5, 0.1])
    assert at_run.budget == CONFIG.budget  # one search run still costs the proxy's budget
    # the old workaround (sizes scaled by b / B at the proxy's budget) gives the same caps
    scaled = {d: t * CONFIG.budget / 40_000 for d, t in sizes.items()}
    same = search_setup(None, "uniform", CONFIG, evaluate=quadratic(), domains=DOMAINS, sizes=scaled, max_epochs=2.0)
    np.testing.assert_allclose(same.caps, at_run.caps, rtol=1e-12)
    # without max_epochs there is no cap, whatever the budget
    np.testing.assert_array_equal(search_setup(None, "uniform", CONFIG, evaluate=quadratic(), domains=DOMAINS,
                                               cap_budget=10**9).caps, 1.0)


def test_cap_budget_in_grid_search_and_eg() -> None:
    sizes = {"web": 10_000, "code": 10_000, "math": 2_000}
    kwargs: dict[str, Any] = {"evaluate": quadratic(np.array([0.2, 0.3, 0.5])), "domains": DOMAINS, "sizes": sizes,
                              "max_epochs": 2.0, "progress": False}
    caps = np.array([0.5, 0.5, 0.1])  # E_max T_i / B at B = 40k
    grid = grid_search(None, "uniform", CONFIG, resolution=10, cap_budget=40_000, **kwargs)
    np.testing.assert_array_equal(grid.history["feasible"], np.all(grid.history[list(DOMAINS)] <= caps + 1e-9, axis=1))
    on_simplex_within(grid, caps)
    assert grid.mixture.provenance["params"]["cap_budget"] == 40_000
    assert grid.tokens_spent == len(grid.history) * CONFIG.budget
    eg = exponentiated_gradient(None, "uniform", CONFIG, steps=60, lr=5.0, fd_eps=0.01, cap_budget=40_000,
                                output="last", **kwargs)
    on_simplex_within(eg, caps)
    np.testing.assert_allclose(eg.mixture.as_array(list(DOMAINS)), [0.4, 0.5, 0.1], atol=0.02)
    assert eg.mixture.provenance["params"]["cap_budget"] == 40_000
    # without cap_budget, the caps are at the proxy budget (20k: 1, 1, 0.2) and the answer differs
    loose = exponentiated_gradient(None, "uniform", CONFIG, steps=60, lr=5.0, fd_eps=0.01, output="last", **kwargs)
    assert loose.mixture["math"] == pytest.approx(0.2, abs=1e-6)
    assert "cap_budget" not in loose.mixture.provenance["params"]


def test_cap_budget_on_a_world_matches_check_feasible(world3: World) -> None:
    from mixlab.budget import check_feasible

    big = 5 * int(world3.train.token_counts().sum())
    setup = search_setup(world3, "uniform", CONFIG, max_epochs=6.0, cap_budget=big)
    expected = check_feasible(world3.train.token_counts(), big, 6.0).to_numpy()
    np.testing.assert_allclose(setup.caps, expected)
    assert (setup.caps < 1).any()


@pytest.mark.parametrize(
    ("cap_budget", "err", "pattern"),
    [(0, ValueError, "cap_budget"), (-5.0, ValueError, "cap_budget"), ("big", TypeError, "cap_budget"),
     (10**9, ValueError, "infeasible")],
)
def test_cap_budget_errors(cap_budget: Any, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        search_setup(None, "uniform", CONFIG, evaluate=quadratic(), domains=DOMAINS,
                     sizes={"web": 10_000, "code": 10_000, "math": 2_000}, max_epochs=1.0, cap_budget=cap_budget)


def test_eg_docstring_recommends_settings_for_far_starts() -> None:
    doc = exponentiated_gradient.__doc__ or ""
    assert "lr=2" in doc and "fd_eps=0.1" in doc and "stall" in doc
