"""Tests of mixlab.ranks: every rank, correlation and p-value against scipy.stats (the reference).

scipy.stats is imported here on purpose: it is the reference implementation the module replaces
(to spare lessons its import), so the numbers must agree on random inputs with and without ties.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy import stats

from mixlab.ranks import RankCorrelation, kendall, ranks, spearman

REL = 1e-12  # statistics: relative agreement with scipy
ABS_P = 1e-10  # p-values: absolute agreement with scipy


def assert_like_scipy(x: list[float], y: list[float]) -> None:
    """Ranks, ρ, τ-b and both p-values of ``x, y`` agree with scipy.stats."""
    for v in (x, y):
        np.testing.assert_array_equal(ranks(v), stats.rankdata(v))
        np.testing.assert_array_equal(ranks(v, "min"), stats.rankdata(v, method="min"))
        assert ranks(v).dtype == np.float64 and ranks(v, "min").dtype == np.int64
    got_s, ref_s = spearman(x, y), stats.spearmanr(x, y)
    got_k, ref_k = kendall(x, y), stats.kendalltau(x, y)
    assert isinstance(got_s, RankCorrelation) and isinstance(got_s.statistic, float)
    assert got_s.statistic == pytest.approx(float(ref_s.statistic), rel=REL, abs=1e-15)
    assert got_k.statistic == pytest.approx(float(ref_k.statistic), rel=REL, abs=1e-15)
    assert abs(got_s.pvalue - float(ref_s.pvalue)) <= ABS_P
    assert abs(got_k.pvalue - float(ref_k.pvalue)) <= ABS_P
    assert 0.0 <= got_s.pvalue <= 1.0 and 0.0 <= got_k.pvalue <= 1.0


@st.composite
def paired_values(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    """Two equally long samples (3 to 60), with few levels (many ties) or many, in a random,
    identical, reversed, permuted or noisy relation."""
    n = draw(st.integers(3, 60))
    levels = draw(st.sampled_from([2, 3, 5, 12, 10**6]))
    x = [float(v) for v in draw(st.lists(st.integers(0, levels - 1), min_size=n, max_size=n))]
    relation = draw(st.sampled_from(["random", "same", "reversed", "permuted", "noisy"]))
    if relation == "random":
        y = [float(v) for v in draw(st.lists(st.integers(0, levels - 1), min_size=n, max_size=n))]
    elif relation == "same":
        y = [2.0 * v + 1.0 for v in x]
    elif relation == "reversed":
        y = [-v for v in x]
    elif relation == "permuted":
        y = [x[i] for i in draw(st.permutations(range(n)))]
    else:
        noise = draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n))
        y = [v + e for v, e in zip(x, noise, strict=True)]
    assume(len(set(x)) > 1 and len(set(y)) > 1)
    return x, y


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(paired_values())
@example(([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]))  # n = 3, perfect order: ρ = τ = 1, exact p
@example(([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]))  # reversed
@example(([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 1.0, 3.0]))  # 3 of 6 pairs discordant: exact p = 1
@example(([1.0, 1.0, 2.0], [1.0, 2.0, 2.0]))  # ties in both: asymptotic p
@example(([0.0, 0.0, 0.0, 1.0], [5.0, 4.0, 3.0, 2.0]))  # one value apart from a block of ties
@example(([1.0, 2.0, 3.0, 4.0], [1.1, 2.5, 2.4, 4.0]))  # rank_agreement's docstring example
def test_ranks_and_correlations_match_scipy(xy: tuple[list[float], list[float]]) -> None:
    assert_like_scipy(*xy)


@pytest.mark.parametrize("n", [33, 34, 60, 171, 200])
@pytest.mark.parametrize("swaps", [0, 1, 2])
def test_exact_and_asymptotic_regimes_without_ties(n: int, swaps: int) -> None:
    """scipy uses the exact null distribution up to n = 33 and, beyond, only for at most one
    discordant (or concordant) pair; n >= 171 is where n! leaves the float range."""
    x = list(range(n))
    y = list(range(n))
    for k in range(swaps):  # each swap of neighbours adds one discordant pair
        y[2 * k], y[2 * k + 1] = y[2 * k + 1], y[2 * k]
    assert_like_scipy([float(v) for v in x], [float(v) for v in y])
    assert_like_scipy([float(v) for v in x], [-float(v) for v in y])  # concordant pairs counted the other way


@pytest.mark.parametrize("n", [30, 31, 32, 33, 34, 35])
def test_random_orders_near_the_exact_limit(n: int) -> None:
    """Moderate correlations (p far from 0 and 1) on both sides of n = 33, where scipy switches
    from the exact to the normal p-value when there are no ties."""
    rng = np.random.default_rng(n)
    x = rng.permutation(n).astype(float)
    y = x + rng.normal(0.0, 0.6 * n, n)
    assert 1e-4 < stats.kendalltau(x, y).pvalue < 0.5
    assert_like_scipy(x.tolist(), y.tolist())


def test_perfect_orders_have_p_zero_for_spearman() -> None:
    """|ρ| = 1 gives t = ±∞: p = 0 exactly, as scipy (no division by zero)."""
    x = np.linspace(0.0, 1.0, 8)
    assert spearman(x, x**3) == (1.0, 0.0) and spearman(x, -x) == (-1.0, 0.0)
    assert stats.spearmanr(x, -x).pvalue == 0.0


def test_known_values() -> None:
    """Hand-checked: one swapped neighbour among 4 (ρ = 1 − 6·2/60, τ = (5 − 1)/6), and ties."""
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]).statistic == pytest.approx(0.8)
    res = kendall([1, 2, 3, 4], [1, 3, 2, 4])
    assert res.statistic == pytest.approx(4 / 6)
    assert res.pvalue == pytest.approx(2 * 4 / 24)  # orders of 4 with at most one inversion: 1 + 3
    np.testing.assert_array_equal(ranks([3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0])
    np.testing.assert_array_equal(ranks([3.0, 1.0, 3.0, 2.0], "min"), [3, 1, 3, 2])


@pytest.mark.parametrize("func", [spearman, kendall])
@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0], "same length"),
        ([1.0, 2.0], [2.0, 1.0], "at least 3"),
        ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0], "x is constant"),
        ([1.0, 2.0, 3.0], [4.0, 4.0, 4.0], "y is constant"),
        ([1.0, float("nan"), 3.0], [1.0, 2.0, 3.0], "x must be finite"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, float("inf")], "y must be finite"),
        ([[1.0, 2.0, 3.0]], [1.0, 2.0, 3.0], "one-dimensional"),
    ],
)
def test_bad_input_is_named(func, x, y, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        func(x, y)


def test_unknown_rank_method() -> None:
    with pytest.raises(ValueError, match="method must be one of average, min"):
        ranks([1.0, 2.0], "dense")


@pytest.mark.slow
def test_rank_agreement_does_not_import_scipy_stats() -> None:
    """The rank helpers use scipy.special only, so a lesson does not pay for importing scipy.stats."""
    code = ("import sys; from mixlab.agreement import rank_agreement; "
            "rank_agreement([1.0, 2.0, 3.0, 3.0], [1.1, 2.5, 2.4, 4.0]); print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
