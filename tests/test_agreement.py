"""Tests for mixlab.agreement: rank statistics, misleading pairs, and the proxy–target study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixlab.agreement import (
    candidate_mixtures,
    misleading_pairs,
    n_parameters,
    proxy_target_study,
    rank_agreement,
)
from mixlab.proxy import ProxyConfig
from mixlab.world import generate_world, load_spec


def test_perfect_and_reversed_rankings() -> None:
    same = rank_agreement([1.0, 2.0, 3.0, 4.0, 5.0], [10.0, 20.0, 30.0, 40.0, 50.0])
    assert same.spearman == pytest.approx(1.0) and same.kendall == pytest.approx(1.0)
    assert same.top1 and same.regret == 0.0
    rev = rank_agreement([1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 4.0, 3.0, 2.0, 1.0])
    assert rev.spearman == pytest.approx(-1.0) and rev.kendall == pytest.approx(-1.0)
    assert not rev.top1
    assert rev.proxy_best == 0 and rev.target_best == 4
    assert rev.regret == pytest.approx(4.0)


def test_known_spearman_and_kendall_values() -> None:
    # one adjacent swap among four: ρ = 1 − 6 Σd² / (n (n² − 1)) = 1 − 12/60 = 0.8; τ = (5 − 1) / 6
    ag = rank_agreement([1.0, 2.0, 3.0, 4.0], [1.1, 2.5, 2.4, 4.0])
    assert ag.spearman == pytest.approx(0.8)
    assert ag.kendall == pytest.approx(4 / 6)
    assert 0 < ag.spearman_p < 1
    assert ag.top1
    t = ag.table
    assert list(t.columns) == ["proxy", "target", "proxy_rank", "target_rank", "rank_shift"]
    assert t.loc[1, "proxy_rank"] == 2 and t.loc[1, "target_rank"] == 3 and t.loc[1, "rank_shift"] == -1
    assert "ρ=0.800" in repr(ag)


def test_labelled_inputs_are_aligned_by_label() -> None:
    proxy = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0})
    target = pd.Series({"c": 30.0, "a": 10.0, "b": 20.0})
    ag = rank_agreement(proxy, target)
    assert ag.spearman == pytest.approx(1.0)
    assert ag.proxy_best == ag.target_best == "a"
    assert rank_agreement({"a": 1, "b": 3, "c": 2}, target).spearman == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("p", "t", "err", "pattern"),
    [
        ([1.0, 2.0], [1.0, 2.0], ValueError, "at least 3"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], ValueError, "same length"),
        ([1.0, np.nan, 3.0], [1.0, 2.0, 3.0], ValueError, "finite"),
        ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0], ValueError, "constant"),
        (
            pd.Series({"a": 1.0, "b": 2.0, "c": 3.0}),
            pd.Series({"a": 1.0, "b": 2.0, "d": 3.0}),
            ValueError,
            "same candidates",
        ),
    ],
)
def test_rank_agreement_rejects_bad_inputs(p: object, t: object, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        rank_agreement(p, t)


def test_misleading_pairs_on_a_constructed_case() -> None:
    proxy = pd.Series({"m1": 1.0, "m2": 2.0, "m3": 3.0, "m4": 4.0})
    target = pd.Series({"m1": 1.0, "m2": 3.5, "m3": 3.0, "m4": 3.1})
    pairs = misleading_pairs(proxy, target)
    # the proxy prefers m2 over m3 and over m4, the target the other way round; m3 vs m4 agree
    assert set(zip(pairs["proxy_prefers"], pairs["target_prefers"], strict=True)) == {("m2", "m3"), ("m2", "m4")}
    assert pairs.iloc[0].to_dict() == pytest.approx(
        {
            "proxy_prefers": "m2",
            "target_prefers": "m3",
            "proxy_gap": 1.0,
            "target_gap": 0.5,
            "proxy_a": 2.0,
            "proxy_b": 3.0,
            "target_a": 3.5,
            "target_b": 3.0,
        }
    )
    assert (pairs["target_gap"] > 0).all() and (pairs["proxy_gap"] > 0).all()
    # with a noise threshold of 0.45 only the 0.5 reversal counts
    assert len(misleading_pairs(proxy, target, min_gap=0.45)) == 1
    assert misleading_pairs(proxy, proxy * 2).empty
    with pytest.raises(ValueError, match="min_gap"):
        misleading_pairs(proxy, target, min_gap=-1.0)


def test_misleading_pair_count_matches_kendall() -> None:
    rng = np.random.default_rng(0)
    p, t = rng.normal(size=12), rng.normal(size=12)
    n_pairs = 12 * 11 // 2
    discordant = len(misleading_pairs(p, t))
    assert rank_agreement(p, t).kendall == pytest.approx((n_pairs - 2 * discordant) / n_pairs)


def test_candidate_mixtures_and_parameter_counts() -> None:
    mixes = candidate_mixtures(["web", "code", "math"], 12, concentration=0.5, seed=3)
    assert list(mixes)[:2] == ["c00", "c01"] and len(mixes) == 12
    for m in mixes.values():
        assert m.domains == ("web", "code", "math")
        assert abs(m.as_array().sum() - 1) <= 1e-9
    again = candidate_mixtures(["web", "code", "math"], 12, concentration=0.5, seed=3)
    assert all(a.allclose(b, atol=0) for a, b in zip(mixes.values(), again.values(), strict=True))
    with pytest.raises(ValueError, match="concentration"):
        candidate_mixtures(["web", "code"], 3, concentration=0.0)
    with pytest.raises(ValueError, match="at least 2 unique"):
        candidate_mixtures(["web", "web"], 3)
    assert n_parameters(ProxyConfig(budget=10, buckets=None), 96) == 96 * 95
    assert n_parameters(ProxyConfig(budget=10, buckets=16), 96) == 16 * 95
    assert n_parameters(ProxyConfig(budget=10, buckets=500), 96) == 96 * 95


def test_proxy_target_study_on_the_tiny_world() -> None:
    world = generate_world(load_spec("tiny").select_domains(["web", "code", "math"]), 0)
    mixes = candidate_mixtures(world.train.domains, 8, seed=1)
    target = ProxyConfig(budget=30_000, name="big")
    configs = {
        "same": target,  # the target itself: perfect agreement, cost ratio 1
        "small": ProxyConfig(budget=3_000, buckets=8),
    }
    st = proxy_target_study(world, mixes, configs, target, objective="uniform", seeds=(0, 1), progress=False)
    assert list(st.values.columns) == ["same", "small", "target"]
    assert list(st.values.index) == list(mixes)
    pd.testing.assert_series_equal(st.values["same"], st.values["target"], check_names=False)
    s = st.summary
    assert s.loc["same", "spearman"] == pytest.approx(1.0)
    assert s.loc["same", "cost_ratio"] == pytest.approx(1.0) and s.loc["same", "misleading_pairs"] == 0
    assert s.loc["small", "cost_ratio"] == pytest.approx(0.1 * 8 / 96)
    assert s.loc["small", "token_ratio"] == pytest.approx(0.1)
    assert st.agreement("small").n == 8
    assert len(st.misleading("small")) == s.loc["small", "misleading_pairs"]
    assert len(st.losses) == 3 * 8 * 2 * 3
    assert set(st.timings.columns) == {"seconds_per_run", "time_ratio"}
    assert st.objective == "uniform"
    assert st.per_seed.shape == (8, 3 * 2)
    np.testing.assert_allclose(np.asarray(st.per_seed["small"]).mean(axis=1), st.values["small"])
    assert -1 <= st.seed_agreement().spearman <= 1
    with pytest.raises(KeyError, match="unknown model"):
        st.seed_agreement("nope")
    # single runs: proxy seed s vs target seed t, straight from per_seed (not the seed averages)
    one = st.single_run_agreement("small", seed=0, target_seed=1)
    expected = rank_agreement(st.per_seed[("small", 0)], st.per_seed[("target", 1)])
    assert one.spearman == expected.spearman and one.kendall == expected.kendall
    pd.testing.assert_frame_equal(one.table, expected.table)
    assert st.single_run_agreement("same", seed=1, target_seed=1).spearman == pytest.approx(1.0)
    ceiling = st.single_run_agreement("target", seed=0, target_seed=1)
    assert ceiling.spearman == st.seed_agreement("target").spearman
    assert st.single_run_agreement("small", seed=1, target_seed=0, against="same").spearman == (
        rank_agreement(st.per_seed[("small", 1)], st.per_seed[("same", 0)]).spearman
    )
    with pytest.raises(KeyError, match="unknown model"):
        st.single_run_agreement("nope", seed=0, target_seed=1)
    with pytest.raises(KeyError, match="unknown model"):
        st.single_run_agreement("small", seed=0, target_seed=1, against="nope")
    with pytest.raises(ValueError, match=r"target_seed must be one of the study's seeds \[0, 1\] \(got 2\)"):
        st.single_run_agreement("small", seed=0, target_seed=2)
    with pytest.raises(ValueError, match="seed must be one of"):
        st.single_run_agreement("small", seed=True, target_seed=1)
    with pytest.raises(KeyError, match="unknown proxy"):
        st.agreement("nope")
    with pytest.raises(ValueError, match="at least 3"):
        proxy_target_study(world, list(mixes.values())[:2], configs, target, progress=False)
    with pytest.raises(ValueError, match="reserved"):
        proxy_target_study(world, mixes, {"target": target}, target, progress=False)


def test_near_optimum_accuracy_matches_scipy_and_keeps_only_the_neighbourhood() -> None:
    from scipy.stats import spearmanr

    from mixlab.agreement import near_optimum_accuracy
    from mixlab.mixture import Mixture

    rng = np.random.default_rng(5)
    w = pd.DataFrame(rng.dirichlet(np.ones(3), 60), columns=["web", "code", "math"])
    centre = Mixture({"web": 0.4, "code": 0.3, "math": 0.3})
    measured = 3.8 + ((w - centre.as_array()) ** 2).sum(axis=1) + rng.normal(0, 0.01, 60)
    predicted = measured + rng.normal(0, 0.05, 60)
    acc = near_optimum_accuracy(w.assign(extra=1.0), measured, predicted.to_numpy(), centre, 0.2)
    near = 0.5 * (w - centre.as_array()).abs().sum(axis=1) <= 0.2
    assert list(acc.index) == ["all mixtures", "TV <= 0.2"] and acc["mixtures"].tolist() == [60, int(near.sum())]
    assert acc.loc["all mixtures", "spearman"] == pytest.approx(spearmanr(measured, predicted).statistic)
    assert acc.loc["TV <= 0.2", "spearman"] == pytest.approx(spearmanr(measured[near], predicted[near]).statistic)
    assert acc.loc["TV <= 0.2", "rmse"] == pytest.approx(float(np.sqrt(((predicted - measured)[near] ** 2).mean())))
    assert acc.loc["TV <= 0.2", "measured_range"] < acc.loc["all mixtures", "measured_range"]
    # the same noise ranks the whole simplex well and the flat neighbourhood of the optimum badly
    assert acc.loc["all mixtures", "spearman"] > acc.loc["TV <= 0.2", "spearman"]


@pytest.mark.parametrize(
    ("kwargs", "err", "pattern"),
    [
        ({"radius": 0.0}, ValueError, "radius"),
        ({"radius": 1.5}, ValueError, "TV distances never exceed 1"),
        ({"radius": 1e-6}, ValueError, "no mixture lies within"),
        ({"predicted": [1.0, 2.0]}, ValueError, "one value per mixture"),
        ({"measured": [1.0, float("nan"), 2.0]}, ValueError, "finite"),
        ({"centre": {"a": 0.5, "b": 0.5}}, TypeError, "centre must be a Mixture"),
        ({"weights": [[0.5, 0.5]]}, TypeError, "weights must be a DataFrame"),
    ],
)
def test_near_optimum_accuracy_rejects_bad_inputs(kwargs: dict[str, object], err: type, pattern: str) -> None:
    from mixlab.agreement import near_optimum_accuracy
    from mixlab.mixture import Mixture

    args: dict[str, object] = {"weights": pd.DataFrame({"a": [1.0, 0.6, 0.0], "b": [0.0, 0.4, 1.0]}),
                               "measured": [3.0, 1.0, 2.0], "predicted": [2.9, 1.1, 2.1],
                               "centre": Mixture({"a": 0.5, "b": 0.5}), "radius": 0.2}
    args.update(kwargs)
    with pytest.raises(err, match=pattern):
        near_optimum_accuracy(**args)  # type: ignore[arg-type]


def test_docstring_examples() -> None:
    """The Examples blocks run and print what they show (each ends before the "Used in:" line)."""
    import doctest

    import mixlab.agreement

    result = doctest.testmod(mixlab.agreement, extraglobs={"pd": pd})
    assert result.attempted >= 3 and result.failed == 0
