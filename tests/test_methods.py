"""Tests for mixlab.methods: the shared search setup, the side-by-side comparison, and the measured
result on the default world (the acceptance check of lesson 1.5's table)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mixlab.doremi import doremi
from mixlab.methods import (
    METHODS,
    compare_methods,
    default_settings,
    paired_comparison,
    run_methods,
    score_mixtures,
    winners,
)
from mixlab.mixing_laws import mixing_law_optimize
from mixlab.mixture import Mixture
from mixlab.objectives import uniform_objective, weighted_objective, worst_case
from mixlab.optimizers import EVAL_SEED, search_setup
from mixlab.proxy import PROXY, ProxyConfig, train_proxy
from mixlab.regmix import regmix
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
@pytest.mark.slow
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


# ---------------------------------------------------------------- baselines, caps at B, several objectives
def test_compare_methods_scores_baselines_on_the_same_seeds(tiny3: World) -> None:
    cfg = PROXY.with_(budget=10_000)
    skew = Mixture({"web": 0.6, "code": 0.3, "math": 0.1})
    table = compare_methods(tiny3, "uniform", cfg, methods=["uniform", "grid"], eval_seeds=(1, 2), progress=False,
                            settings={"grid": {"resolution": 3}}, baselines={"skewed": skew})
    assert list(table.index) == ["uniform", "grid", "skewed"]
    assert table.loc["skewed", "tokens_spent"] == 0 and table.loc["skewed", "runs"] == 0
    assert np.isnan(table.loc["skewed", "search_value"])
    fresh = [float(train_proxy(tiny3, skew, cfg, s).losses.mean()) for s in (1, 2)]
    assert table.loc["skewed", "value_mean"] == pytest.approx(np.mean(fresh), abs=1e-12)
    np.testing.assert_allclose(table.loc["skewed", DOMAINS].to_numpy(dtype=float), [0.6, 0.3, 0.1])
    with pytest.raises(ValueError, match="differ from the method names"):
        compare_methods(tiny3, "uniform", cfg, methods=["uniform"], eval_seeds=(1,), progress=False,
                        baselines={"uniform": skew})
    with pytest.raises(TypeError, match="Mixture"):
        compare_methods(tiny3, "uniform", cfg, methods=["uniform"], eval_seeds=(1,), progress=False,
                        baselines={"bad": {"web": 1.0}})  # type: ignore[dict-item]


@pytest.mark.slow
def test_compare_methods_cap_budget_reaches_every_method(tiny3: World) -> None:
    from mixlab.budget import check_feasible

    cfg = PROXY.with_(budget=10_000)
    sizes = tiny3.train.token_counts()
    B = int(2 * sizes.sum())  # a run that reads the corpus twice: small domains are capped at E_max = 3
    caps = check_feasible(sizes, B, 3.0).loc[DOMAINS].to_numpy()
    assert (caps < 1).any()
    table = compare_methods(tiny3, "uniform", cfg, methods=["grid"], eval_seeds=(1,), progress=False,
                            settings={"grid": {"resolution": 5}}, max_epochs=3.0, cap_budget=B)
    w = table.loc["grid", DOMAINS].to_numpy(dtype=float)
    assert np.all(w <= caps + 1e-9), (w, caps)
    results = run_methods(tiny3, "uniform", cfg, methods=["grid"], max_epochs=3.0, progress=False,
                          settings={"grid": {"resolution": 5}}, cap_budget=B)
    hist = results["grid"].history
    np.testing.assert_array_equal(hist["feasible"], np.all(hist[DOMAINS].to_numpy() <= caps + 1e-9, axis=1))
    # every cited method takes caps at the run budget too (a shared search option), and respects them
    fns = {"doremi": doremi, "mixing-law": mixing_law_optimize, "regmix": regmix}
    others = run_methods(tiny3, "uniform", cfg, methods=list(fns), max_epochs=3.0, progress=False, cap_budget=B)
    for name, res in others.items():
        assert np.all(res.mixture.as_array(DOMAINS) <= caps + 1e-9), (name, res.mixture, caps)


def test_score_mixtures_with_several_objectives_trains_each_run_once(
    tiny3: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mixlab.proxy

    cfg = PROXY.with_(budget=10_000)
    calls: list[tuple[str, int]] = []
    real = mixlab.proxy.train_proxy

    def counting(world: World, mixture: Mixture, config: ProxyConfig, seed: int) -> object:
        calls.append((str(mixture.weights.round(3).to_dict()), seed))
        return real(world, mixture, config, seed)

    mixtures = {"uniform": Mixture({d: 1 / 3 for d in DOMAINS}), "skewed": Mixture({"web": 0.6, "code": 0.3,
                                                                                     "math": 0.1})}
    objectives = {"uniform": uniform_objective(), "worst-case": worst_case(),
                  "web only": weighted_objective({"web": 1.0, "code": 0.0, "math": 0.0})}
    monkeypatch.setattr(mixlab.proxy, "train_proxy", counting)
    long = score_mixtures(tiny3, mixtures, objectives, cfg, eval_seeds=(1, 2, 3), progress=False)
    monkeypatch.undo()
    assert len(calls) == len(mixtures) * 3  # one run per (mixture, seed), not per objective
    assert list(long.columns) == ["mixture", "objective", "seed", "value"]
    assert len(long) == 2 * 3 * 3
    assert list(dict.fromkeys(long["mixture"])) == ["uniform", "skewed"]
    assert list(dict.fromkeys(long["objective"])) == list(objectives)
    for (name, oname, seed), v in long.set_index(["mixture", "objective", "seed"])["value"].items():
        losses = real(tiny3, mixtures[name], cfg, seed).losses
        assert v == pytest.approx(objectives[oname](losses), abs=1e-12)
    # the single-objective form is unchanged and agrees with the long table
    wide = score_mixtures(tiny3, mixtures, "worst-case", cfg, eval_seeds=(1, 2, 3), progress=False)
    assert list(wide.columns) == ["value_mean", "value_sd", "value@1", "value@2", "value@3"]
    means = long[long["objective"] == "worst-case"].groupby("mixture", sort=False)["value"].mean()
    np.testing.assert_allclose(wide["value_mean"].to_numpy(), means.to_numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="at least one objective"):
        score_mixtures(tiny3, mixtures, {}, cfg, eval_seeds=(1,), progress=False)
    with pytest.raises(TypeError, match="mapping"):
        score_mixtures(tiny3, mixtures, 3.0, cfg, eval_seeds=(1,), progress=False)  # type: ignore[arg-type]


def seed_values() -> pd.DataFrame:
    """Five seeds x three mixtures: b is a seed-noise copy of a plus 0.1; c equals a plus small noise."""
    seeds = pd.Index([10, 11, 12, 13, 14], name="seed")
    a = np.array([4.0, 4.3, 3.9, 4.2, 4.1])  # a large seed-to-seed spread shared by every mixture
    return pd.DataFrame({"a": a, "b": a + 0.1 + np.array([0.01, -0.01, 0.02, -0.02, 0.0]),
                         "c": a + np.array([0.01, -0.02, 0.015, -0.01, 0.012])}, index=seeds)


def test_paired_comparison_uses_the_seed_by_seed_difference() -> None:
    values = seed_values()
    cmp = paired_comparison(values, "a")
    assert list(cmp.index) == ["a", "b", "c"]
    assert list(cmp.columns) == ["mean_diff", "sd", "se", "z_score", "within_noise"]
    d = values["b"] - values["a"]
    assert cmp.loc["b", "mean_diff"] == pytest.approx(d.mean())
    assert cmp.loc["b", "sd"] == pytest.approx(d.std(ddof=1))
    assert cmp.loc["b", "se"] == pytest.approx(d.std(ddof=1) / np.sqrt(5))
    assert cmp.loc["b", "z_score"] == pytest.approx(d.mean() / (d.std(ddof=1) / np.sqrt(5)))
    # b is clearly worse although its own spread (0.15) dwarfs the gap: the seeds are shared
    assert values["b"].std() > d.mean() and not cmp.loc["b", "within_noise"]
    assert bool(cmp.loc["c", "within_noise"])
    assert cmp.loc["a", "mean_diff"] == 0 and bool(cmp.loc["a", "within_noise"]) and np.isnan(cmp.loc["a", "z_score"])
    assert cmp.attrs == {"reference": "a", "z": 2.0, "n_seeds": 5}
    # a looser threshold turns b's verdict
    z_b = float(cmp.loc["b", "z_score"])
    assert bool(paired_comparison(values, "a", z=z_b + 1)["within_noise"]["b"])


@pytest.mark.parametrize(
    ("values", "reference", "z", "err", "pattern"),
    [
        ([[1.0, 2.0]], "a", 2.0, TypeError, "DataFrame"),
        (pd.DataFrame({"a": [1.0, 2.0]}), "x", 2.0, ValueError, "reference 'x'"),
        (pd.DataFrame({"a": [1.0], "b": [2.0]}), "a", 2.0, ValueError, "at least 2 seeds"),
        (pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 1.0]}), "a", 2.0, ValueError, "finite.*a"),
        (pd.DataFrame({"a": [1.0, 2.0]}), "a", 0.0, ValueError, "z"),
    ],
)
def test_paired_comparison_errors(values: object, reference: str, z: float, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        paired_comparison(values, reference, z)  # type: ignore[arg-type]


def long_table() -> pd.DataFrame:
    values = seed_values()
    rows = []
    for obj, frame in (("loss", values), ("flipped", -values)):
        for m in frame.columns:
            for s, v in frame[m].items():
                rows.append({"mixture": m, "objective": obj, "seed": s, "value": v})
    return pd.DataFrame(rows)


def test_winners_per_objective() -> None:
    table = winners(long_table())
    assert list(table.index) == ["loss", "flipped"]
    loss = table.loc["loss"]
    assert loss["winner"] == "a" and loss["runner_up"] == "c"
    assert loss["margin"] == pytest.approx(0.0, abs=0.01) and loss["margin"] >= 0
    assert bool(loss["within_noise"])
    assert loss["winner_mean"] == pytest.approx(seed_values()["a"].mean())
    flipped = table.loc["flipped"]  # lower is better on -values: b wins, clearly, over a
    assert flipped["winner"] == "b" and flipped["runner_up"] == "c"
    assert flipped["margin"] > 0 and not flipped["within_noise"]
    assert flipped["z_score"] == pytest.approx(flipped["margin"] / flipped["margin_se"])
    higher = winners(long_table(), lower_is_better=False)
    assert higher.loc["loss", "winner"] == "b" and higher.loc["loss", "margin"] > 0
    eligible = winners(long_table(), eligible={"a": False, "b": True, "c": True})
    assert list(eligible["best_eligible"]) == ["c", "b"]
    with pytest.raises(ValueError, match="no entry"):
        winners(long_table(), eligible={"a": True})
    with pytest.raises(ValueError, match="allows no mixture"):
        winners(long_table(), eligible={"a": False, "b": False, "c": False})
    with pytest.raises(ValueError, match="missing columns"):
        winners(long_table().drop(columns="seed"))
    with pytest.raises(ValueError, match="repeated"):
        winners(pd.concat([long_table(), long_table().head(1)]))


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
