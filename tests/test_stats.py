"""Tests for mixlab.stats: paired t tests over seeds, Holm's correction and verdicts, checked
against scipy, a direct implementation of Holm's procedure and hand-worked numbers."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy import stats as sps

import mixlab.methods
import mixlab.stats
from mixlab.stats import compare_mixtures, holm, seed_summary, seed_table, t_critical


def wide(rows: list[list[float]] | np.ndarray, names: str = "abcd") -> pd.DataFrame:
    arr = np.asarray(rows, dtype=np.float64)
    return pd.DataFrame(arr, columns=list(names[: arr.shape[1]]), index=pd.Index(range(10, 10 + len(arr)), name="seed"))


def to_long(values: pd.DataFrame, objective: str | None = None) -> pd.DataFrame:
    long = values.reset_index().melt(id_vars="seed", var_name="mixture", value_name="value")
    return long if objective is None else long.assign(objective=objective)


def direct_holm_rejections(p: np.ndarray, alpha: float) -> set[int]:
    """Holm's procedure as written in the paper: step down through the sorted p-values, stop at the first keep."""
    m = len(p)
    rejected: set[int] = set()
    for step, i in enumerate(sorted(range(m), key=lambda j: (p[j], j))):
        if p[i] > alpha / (m - step):
            break
        rejected.add(i)
    return rejected


# ---------------------------------------------------------------- critical values
@pytest.mark.parametrize("n", [2, 3, 5, 10, 31])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_t_critical_matches_scipy(n: int, alpha: float) -> None:
    assert t_critical(n, alpha) == pytest.approx(sps.t.ppf(1 - alpha / 2, n - 1), rel=1e-12)


def test_t_critical_for_five_seeds_is_not_two() -> None:
    assert t_critical(5) == pytest.approx(2.7764, abs=1e-4)  # the value the issue quotes for 4 df
    assert t_critical(5) > t_critical(50) > 1.96


@pytest.mark.parametrize(
    ("n", "alpha", "err", "pattern"),
    [(1, 0.05, ValueError, ">= 2"), (2.5, 0.05, TypeError, "integer"), (True, 0.05, TypeError, "integer"),
     (5, 0.0, ValueError, "alpha"), (5, 1.0, ValueError, "alpha"), (5, "0.05", TypeError, "alpha")],
)
def test_t_critical_refuses_bad_input(n: object, alpha: object, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        t_critical(n, alpha)  # type: ignore[arg-type]


# ---------------------------------------------------------------- Holm
def test_holm_hand_worked_example() -> None:
    # sorted: 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 = 0.04 -> max so far 0.06
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    # at alpha = 0.05 Holm rejects the first and the last; Bonferroni (m p) would reject them too,
    # at alpha = 0.035 Holm still rejects 0.01 (0.03) where Bonferroni (0.04) does not
    assert set(np.flatnonzero(adjusted <= 0.035)) == {0, 3}
    assert set(np.flatnonzero(np.minimum(1, 4 * np.array([0.01, 0.04, 0.03, 0.005])) <= 0.035)) == {3}


def test_holm_keeps_a_series_index_and_refuses_bad_p() -> None:
    out = holm(pd.Series([0.2, 0.01], index=["x", "y"], name="p"))
    assert isinstance(out, pd.Series) and list(out.index) == ["x", "y"] and out.name == "p"
    assert out.tolist() == pytest.approx([0.2, 0.02])
    for bad in ([], [0.1, 1.2], [np.nan], [[0.1, 0.2]]):
        with pytest.raises(ValueError, match="p_values"):
            holm(bad)


@pytest.mark.slow
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12), st.sampled_from([0.01, 0.05, 0.1, 0.5]))
@example([0.05, 0.05], 0.1)  # ties at the threshold: both rejected or both kept
@example([0.0, 1.0, 0.025], 0.05)
def test_holm_agrees_with_the_step_down_procedure(p: list[float], alpha: float) -> None:
    arr = np.array(p)
    adjusted = holm(arr)
    assert set(np.flatnonzero(adjusted <= alpha)) == direct_holm_rejections(arr, alpha)
    assert np.all(adjusted >= arr - 1e-15) and np.all(adjusted <= 1.0)
    assert set(np.flatnonzero(np.minimum(1, len(p) * arr) <= alpha)) <= set(np.flatnonzero(adjusted <= alpha))


# ---------------------------------------------------------------- paired comparisons
def test_hand_worked_paired_t_where_the_rule_of_two_goes_wrong() -> None:
    values = wide([[1.0, 1.1], [2.0, 2.1], [3.0, 3.2]])  # differences 0.1, 0.1, 0.2
    row = compare_mixtures(values, "a").loc["b"]
    assert row["mean_diff"] == pytest.approx(0.4 / 3)
    assert row["sd"] == pytest.approx(math.sqrt(1 / 300))
    assert row["t"] == pytest.approx(4.0)  # mean / (sd / sqrt 3)
    # two-sided p for t = 4 with 2 df, in closed form: 1 - t / sqrt(t^2 + 2)
    assert row["p_value"] == pytest.approx(1 - 4 / math.sqrt(18))
    assert row["verdict"] == "within noise"  # p = 0.057: 4 standard errors are not enough with 3 seeds
    assert not mixlab.stats.paired_comparison(values, "a").loc["b", "within_noise"]  # the old z = 2 rule said clear


@pytest.mark.parametrize("correction", ["none", "bonferroni", "holm"])
def test_compare_mixtures_matches_scipy_ttest_rel(correction: str) -> None:
    rng = np.random.default_rng(3)
    values = wide(rng.normal(size=(6, 4)) + np.array([0.0, 0.3, 2.0, -1.0]))
    out = compare_mixtures(values, "a", correction=correction, alpha=0.05)
    assert list(out.index) == ["b", "c", "d"] and out.attrs["comparisons"] == 3
    p_raw = []
    for m in ["b", "c", "d"]:
        res = sps.ttest_rel(values[m], values["a"])
        row = out.loc[m]
        assert row["t"] == pytest.approx(res.statistic, rel=1e-10)
        assert row["p_value"] == pytest.approx(res.pvalue, rel=1e-10)
        assert row["df"] == 5 and row["n_seeds"] == 6
        ci = res.confidence_interval(confidence_level=row["ci_level"])
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
        p_raw.append(res.pvalue)
    expected = {"none": np.array(p_raw), "bonferroni": np.minimum(1, 3 * np.array(p_raw)), "holm": holm(p_raw)}
    np.testing.assert_allclose(out["p_adjusted"], expected[correction], rtol=1e-10)
    if correction == "none":
        assert (out["ci_level"] == 0.95).all()
    if correction == "bonferroni":
        np.testing.assert_allclose(out["ci_level"], 1 - 0.05 / 3)


def test_all_pairs_compares_each_pair_once_in_column_order() -> None:
    rng = np.random.default_rng(4)
    values = wide(rng.normal(size=(5, 3)))
    out = compare_mixtures(values, all_pairs=True)
    assert list(out.index) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert out.index.names == ["mixture", "reference"] and "reference" not in out.columns
    assert out.loc[("b", "c"), "mean_diff"] == pytest.approx((values["b"] - values["c"]).mean())
    assert out.attrs["comparisons"] == 3


def test_verdicts_name_the_direction() -> None:
    base = np.array([4.0, 4.4, 3.8, 4.2, 4.1])
    values = pd.DataFrame({"ref": base, "better": base - 0.1 + [0, 0.003, -0.002, 0.001, 0],
                           "worse": base + 0.2 + [0.01, 0, -0.01, 0.005, 0],
                           "same": base + [0.01, -0.01, 0.02, -0.02, 0]})
    out = compare_mixtures(values, "ref")
    assert out["verdict"].to_dict() == {"better": "lower", "worse": "higher", "same": "within noise"}


def test_labels_say_what_is_compared() -> None:
    values = wide([[1.0, 1.2], [2.0, 2.1], [3.0, 3.3]])
    labels = {"budget": 300_000, "capacity": "128 buckets"}
    out = compare_mixtures(to_long(values, "uniform"), "a", labels=labels, objective="uniform")
    assert list(out.columns[:4]) == ["reference", "objective", "budget", "capacity"]
    assert out.loc["b", ["objective", "budget", "capacity"]].tolist() == ["uniform", 300_000, "128 buckets"]
    assert out.attrs["labels"] == {"objective": "uniform", **labels}
    with pytest.raises(ValueError, match="clashes"):
        compare_mixtures(values, "a", labels={"verdict": "x"})
    with pytest.raises(TypeError, match="labels"):
        compare_mixtures(values, "a", labels={"budget": [1, 2]})  # type: ignore[dict-item]


def test_long_and_wide_tables_agree() -> None:
    rng = np.random.default_rng(5)
    values = wide(rng.normal(size=(5, 3)))
    long = pd.concat([to_long(values, "uniform"), to_long(values * 2, "worst-case")])
    from_long = compare_mixtures(long, "a", objective="uniform")
    pd.testing.assert_frame_equal(from_long.drop(columns="objective"), compare_mixtures(values, "a"), check_like=False)
    doubled = compare_mixtures(long, "a", objective="worst-case")
    np.testing.assert_allclose(doubled["mean_diff"], 2 * from_long["mean_diff"])
    np.testing.assert_allclose(doubled["p_value"], from_long["p_value"])  # t is scale-free


@pytest.mark.parametrize(
    ("make", "kwargs", "err", "pattern"),
    [
        (lambda v: v.iloc[:1], {"reference": "a"}, ValueError, "at least 2 seeds"),
        (lambda v: v.assign(b=[1.0, np.nan, 2.0]), {"reference": "a"}, ValueError, r"paired.*'b': \[11\]"),
        (lambda v: to_long(v).drop(index=4), {"reference": "a"}, ValueError, r"paired.*'b': \[11\]"),
        (lambda v: pd.concat([to_long(v), to_long(v).head(1)]), {"reference": "a"}, ValueError, "repeated"),
        (lambda v: v.set_axis([10, 10, 12]), {"reference": "a"}, ValueError, "seed must appear once"),
        (lambda v: pd.concat([to_long(v, "u"), to_long(v, "w")]), {"reference": "a"}, ValueError, "objective="),
        (lambda v: to_long(v, "u"), {"reference": "a", "objective": "x"}, ValueError, "objective 'x'"),
        (lambda v: v.assign(b=np.inf), {"reference": "a"}, ValueError, "finite"),
        (lambda v: v, {"reference": "z"}, ValueError, "reference 'z'"),
        (lambda v: v, {}, ValueError, "reference= .* or all_pairs"),
        (lambda v: v, {"reference": "a", "all_pairs": True}, ValueError, "not both"),
        (lambda v: v, {"reference": "a", "correction": "fdr"}, ValueError, "correction"),
        (lambda v: v, {"reference": "a", "alpha": 5}, ValueError, "alpha"),
        (lambda v: v.to_numpy(), {"reference": "a"}, TypeError, "DataFrame"),
    ],
)
def test_compare_mixtures_refuses_unpaired_or_bad_input(make, kwargs, err: type, pattern: str) -> None:  # type: ignore[no-untyped-def]
    values = wide([[1.0, 1.5], [2.0, 2.4], [3.0, 3.6]])
    with pytest.raises(err, match=pattern):
        compare_mixtures(make(values), **kwargs)


def test_holm_intervals_after_the_first_kept_comparison_use_its_level() -> None:
    # two comparisons with p = 0.03 and 0.04 (n = 5): Holm keeps 0.03 (> 0.05 / 2), so it keeps 0.04 too,
    # although 0.04 alone is below 0.05; its interval must then include 0 as well
    z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]) / math.sqrt(2.5)  # mean 0, sd 1
    se = 1 / math.sqrt(5)
    t_b, t_c = sps.t.isf(0.03 / 2, 4), sps.t.isf(0.04 / 2, 4)
    values = pd.DataFrame({"a": np.zeros(5), "b": t_b * se + z, "c": t_c * se + z})
    out = compare_mixtures(values, "a")
    assert out["p_value"].tolist() == pytest.approx([0.03, 0.04])
    assert (out["verdict"] == "within noise").all()
    assert out["ci_level"].tolist() == pytest.approx([0.975, 0.975])
    assert ((out["ci_low"] < 0) & (out["ci_high"] > 0)).all()
    assert compare_mixtures(values, "a", correction="none")["verdict"].tolist() == ["higher", "higher"]


def test_zero_spread_differences() -> None:
    values = wide([[1.0, 1.5, 1.0], [2.0, 2.5, 2.0], [3.0, 3.5, 3.0]], "abc")
    out = compare_mixtures(values, "a", correction="none")
    assert out.loc["b", "t"] == np.inf and out.loc["b", "p_value"] == 0 and out.loc["b", "verdict"] == "higher"
    assert np.isnan(out.loc["c", "t"]) and out.loc["c", "p_value"] == 1 and out.loc["c", "verdict"] == "within noise"
    assert out.loc["c", ["ci_low", "ci_high"]].tolist() == [0.0, 0.0]


def value_tables() -> st.SearchStrategy[pd.DataFrame]:
    """Seed x mixture tables of losses with a shared seed effect, in steps of 0.001 (so sds are rarely 0)."""
    def build(n: int, m: int, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        shared = rng.normal(4.0, 0.1, size=(n, 1))
        shift = rng.choice([0.0, 0.0, 0.02, -0.05, 0.2], size=m)
        noise = rng.normal(0, rng.choice([0.001, 0.01, 0.05]), size=(n, m))
        return pd.DataFrame(np.round(shared + shift + noise, 3), columns=[f"m{j}" for j in range(m)])
    return st.builds(build, st.integers(2, 8), st.integers(2, 6), st.integers(0, 2**31))


@pytest.mark.slow
@given(value_tables(), st.sampled_from(["holm", "bonferroni", "none"]), st.sampled_from([0.01, 0.05, 0.2]))
def test_interval_excludes_zero_exactly_when_the_verdict_is_not_noise(values: pd.DataFrame, correction: str,
                                                                    alpha: float) -> None:
    for out in (compare_mixtures(values, "m0", correction=correction, alpha=alpha),
                compare_mixtures(values, all_pairs=True, correction=correction, alpha=alpha)):
        clear = out["verdict"] != "within noise"
        excludes = (out["ci_low"] > 0) | (out["ci_high"] < 0)
        touching = np.isclose(out["ci_low"], 0, atol=1e-12) | np.isclose(out["ci_high"], 0, atol=1e-12)
        assert ((clear == excludes) | touching).all(), out
        assert (out.loc[out["verdict"] == "lower", "mean_diff"] < 0).all()
        assert (out.loc[out["verdict"] == "higher", "mean_diff"] > 0).all()
        assert (out["p_adjusted"] >= out["p_value"] - 1e-15).all()
        assert set(out.index[out["p_adjusted"] <= alpha]) == set(out.index[clear])


@pytest.mark.slow
@given(value_tables())
def test_holm_finds_at_least_what_bonferroni_finds(values: pd.DataFrame) -> None:
    holm_out = compare_mixtures(values, all_pairs=True, correction="holm")
    bonf_out = compare_mixtures(values, all_pairs=True, correction="bonferroni")
    none_out = compare_mixtures(values, all_pairs=True, correction="none")
    clear = {name: set(o.index[o["verdict"] != "within noise"]) for name, o in
             (("holm", holm_out), ("bonferroni", bonf_out), ("none", none_out))}
    assert clear["bonferroni"] <= clear["holm"] <= clear["none"]


# ---------------------------------------------------------------- tables and summaries
def test_seed_table_sorts_seeds_and_names_columns() -> None:
    values = wide([[1.0, 2.0], [3.0, 4.0]]).iloc[::-1]
    tab = seed_table(values)
    assert list(tab.index) == [10, 11] and tab.index.name == "seed" and tab.columns.name == "mixture"
    with pytest.raises(ValueError, match="wide"):
        seed_table(values, objective="uniform")


def test_seed_summary_matches_scipy_t_interval() -> None:
    rng = np.random.default_rng(7)
    values = wide(rng.normal(4, 0.05, size=(5, 2)))
    out = seed_summary(values, alpha=0.1, labels={"objective": "uniform"})
    for m in ["a", "b"]:
        x = values[m]
        lo, hi = sps.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
        assert (out.loc[m, "ci_low"], out.loc[m, "ci_high"]) == pytest.approx((lo, hi), rel=1e-12)
        assert out.loc[m, "mean"] == pytest.approx(x.mean()) and out.loc[m, "n_seeds"] == 5
    assert out["objective"].tolist() == ["uniform", "uniform"]


def test_methods_re_exports_the_one_implementation() -> None:
    assert mixlab.methods.paired_comparison is mixlab.stats.paired_comparison
    assert mixlab.methods.winners is mixlab.stats.winners


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(mixlab.stats, extraglobs={"pd": pd})
    assert result.attempted >= 3 and result.failed == 0


@pytest.mark.slow
def test_comparing_mixtures_does_not_import_scipy_stats() -> None:
    """The helper uses scipy.special's t distribution, so a lesson does not pay for importing scipy.stats."""
    import subprocess
    import sys

    code = ("import sys, pandas as pd; from mixlab.stats import compare_mixtures, t_critical; "
            "v = pd.DataFrame({'a': [1.0, 2.0, 3.0], 'b': [1.1, 2.3, 3.2]}, index=[1, 2, 3]); "
            "compare_mixtures(v, 'a'); t_critical(5); print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
