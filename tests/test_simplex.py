"""Tests for mixlab.simplex: the capped-simplex projection (Euclidean and KL, one solver) at every
scale, its refusals, the grid and the docstring examples.

The projection must sum to 1 within 1e-12 for |v| up to 1e12 (issue 13, item 13: the former
implementation subtracted a shift of size |v| from every coordinate and lost |v| · 2⁻⁵² of the
sum), return no NaN for finite input, and refuse non-finite input naming ``v``. Property tests
run derandomized (the root conftest's profile); the inputs that once failed are pinned.
"""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import mixlab.simplex
from mixlab.simplex import kl_project_capped, project_capped_simplex, simplex_grid

TIGHT = 1e-12  # the acceptance tolerance on Σ w = 1


@st.composite
def caps(draw: st.DrawFn, k: int) -> np.ndarray:
    """Caps ``u >= 0`` (some above 1, some 0) whose capped sum reaches 1, so the set is not empty."""
    u = np.array(draw(st.lists(st.floats(0, 1.5), min_size=k, max_size=k)))
    assume(np.minimum(u, 1.0).sum() >= 1.0)
    return u


@st.composite
def large_problem(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A point with entries of any sign up to 1e12 in size, and feasible caps."""
    k = draw(st.integers(1, 8))
    v = np.array(draw(st.lists(st.floats(-1e12, 1e12), min_size=k, max_size=k)))
    return v, draw(caps(k))


def check_on_capped_simplex(w: np.ndarray, u: np.ndarray) -> None:
    uu = np.minimum(u, 1.0)
    assert np.all(np.isfinite(w)), w
    assert abs(w.sum() - 1.0) <= TIGHT, (w, w.sum() - 1.0)
    assert np.all(w >= 0) and np.all(w <= uu), (w, uu)


# ---------------------------------------------------------------- Euclidean: any scale
@pytest.mark.slow
@settings(max_examples=400)
@given(large_problem())
@example(problem=(np.array([1 / 3, -6.1e10]), np.array([1 / 3, 1.33])))  # summed to 0.9999975 before
@example(problem=(np.array([1e308, -1e308, 0.0]), np.ones(3)))  # returned NaN before
def test_euclidean_sums_to_one_within_1e12_at_any_scale(problem: tuple[np.ndarray, np.ndarray]) -> None:
    v, u = problem
    check_on_capped_simplex(project_capped_simplex(v, u), u)


def test_euclidean_answers_the_former_failures_exactly() -> None:
    np.testing.assert_array_equal(project_capped_simplex([1 / 3, -6.1e10], [1 / 3, 1.33]), [1 / 3, 1 - 1 / 3])
    np.testing.assert_array_equal(project_capped_simplex([1e308, -1e308, 0.0], np.ones(3)), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(project_capped_simplex([1e308, 1e308, 0.0], [0.5, 1.0, 1.0]), [0.5, 0.5, 0.0])


@pytest.mark.slow
@settings(max_examples=200)
@given(st.integers(1, 6).flatmap(lambda k: st.tuples(
    st.lists(st.floats(-3, 3), min_size=k, max_size=k), caps(k), st.floats(-1e12, 1e12))))
@example(problem=([0.2, 0.5, 0.3], np.array([0.25, 1.0, 1.0]), 1e12))
def test_euclidean_is_shift_invariant_up_to_the_inputs_own_rounding(
    problem: tuple[list[float], np.ndarray, float],
) -> None:
    # the projection of v + c·1 is the projection of v; adding c rounds v by at most |c| · 2^-53 per entry
    v, u, c = np.array(problem[0]), problem[1], problem[2]
    shifted = v + c
    assume(np.all(np.isfinite(shifted)))
    slack = 4 * (abs(c) + 3) * np.finfo(float).eps * len(v)
    np.testing.assert_allclose(project_capped_simplex(shifted, u), project_capped_simplex(v, u), atol=slack + 1e-12)


# ---------------------------------------------------------------- KL: any scale, the KKT form
@st.composite
def kl_problem(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative points (some zeros) with entries from 1e-6 to 1e12, and caps feasible on the support."""
    k = draw(st.integers(1, 8))
    mags = draw(st.lists(st.floats(-6, 12), min_size=k, max_size=k))
    zero = draw(st.lists(st.booleans(), min_size=k, max_size=k))
    v = np.where(zero, 0.0, 10.0 ** np.array(mags))
    assume((v > 0).any())
    u = draw(caps(k))
    assume(np.minimum(u, 1.0)[v > 0].sum() >= 1.0)
    return v, u


@settings(max_examples=400)
@given(kl_problem())
@example(problem=(np.array([1 / 3, 6.1e10]), np.array([1 / 3, 1.33])))
@example(problem=(np.array([1e308, 1e308, 0.0]), np.ones(3)))  # Σ v overflows: scaled first
# found by this test when the segment was located with prefix sums (1e16-sized terms cancelled 1e-5-sized ones)
@pytest.mark.slow
@example(problem=(np.array([1, 1, 1, 1, 1, 1e12, 1e-4]), np.array([0, 0, 0, 0, 0, 1, 1.0])))
@example(problem=(np.array([1, 1, 1, 1, 1, 1e11, 1e-5]), np.array([0, 0, 0, 0, 0, 0.5, 1.0])))
def test_kl_sums_to_one_and_has_the_kkt_form(problem: tuple[np.ndarray, np.ndarray]) -> None:
    v, u = problem
    w = project_capped_simplex(v, u, divergence="kl")
    check_on_capped_simplex(w, u)
    np.testing.assert_array_equal(w[v == 0], 0.0)  # zero exactly where v is zero
    uu = np.minimum(u, 1.0)
    free = (v > 0) & (w < uu * (1 - 1e-9))
    if free.any():  # w_i = min(u_i, c v_i): one ratio c on the free coordinates, c v_i >= u_i on the capped
        c = w[free] / v[free]
        np.testing.assert_allclose(c, c.mean(), rtol=1e-9)
        capped = (v > 0) & ~free
        assert np.all(c.mean() * v[capped] >= uu[capped] * (1 - 1e-9))
    np.testing.assert_array_equal(kl_project_capped(v, u), w)  # the old name is the same function


def test_kl_is_plain_normalization_without_a_binding_cap_bit_for_bit() -> None:
    # exponentiated gradient relies on this: the KL projection with loose caps is v / Σ v, to the last bit
    rng = np.random.default_rng(3)
    for _ in range(50):
        v = rng.gamma(0.7, size=int(rng.integers(2, 9)))
        np.testing.assert_array_equal(kl_project_capped(v, np.ones(v.size)), v * (1.0 / v.sum()))


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("divergence", ["euclidean", "kl"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused_naming_v(divergence: str, bad: float) -> None:
    with pytest.raises(ValueError, match=r"^v must be finite \(got 1="):
        project_capped_simplex([0.5, bad, 0.5], np.ones(3), divergence=divergence)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"v must be finite \(got code="):
        project_capped_simplex(pd.Series({"web": 0.5, "code": bad}), pd.Series({"web": 1.0, "code": 1.0}),
                               divergence=divergence)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("v", "u", "kwargs", "err", "pattern"),
    [
        ([0.5, 0.5], [0.3, 0.3], {}, ValueError, "empty: caps sum to 0.6"),
        ([0.5, 0.5], [np.nan, 1.0], {}, ValueError, "caps must be >= 0 and not NaN"),
        ([0.5, 0.5], [1.0], {}, ValueError, "equal length"),
        ([], [], {}, ValueError, "non-empty"),
        (["a", "b"], [1.0, 1.0], {}, TypeError, "numeric"),
        ([0.5, 0.5], [1.0, 1.0], {"divergence": "l1"}, ValueError, "divergence"),
        ([0.5, -0.5], [1.0, 1.0], {"divergence": "kl"}, ValueError, ">= 0 and not all zero"),
        ([0.0, 0.0], [1.0, 1.0], {"divergence": "kl"}, ValueError, "not all zero"),
        ([1.0, 0.0], [0.5, 1.0], {"divergence": "kl"}, ValueError, "support of v is empty"),
    ],
)
def test_bad_input_raises_naming_the_argument(v: list, u: list, kwargs: dict, err: type, pattern: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(err, match=pattern):
        project_capped_simplex(v, u, **kwargs)


def test_series_in_series_out_with_caps_aligned_by_label() -> None:
    v = pd.Series({"web": 0.7, "code": 0.2, "math": 0.1})
    w = project_capped_simplex(v, pd.Series({"math": 1.0, "web": 0.5, "code": 1.0}))
    assert isinstance(w, pd.Series) and list(w.index) == ["web", "code", "math"] and w.name == "weight"
    np.testing.assert_allclose(w.to_numpy(), [0.5, 0.3, 0.2])
    with pytest.raises(ValueError, match=r"caps must have exactly the labels of v .*'wiki'"):
        project_capped_simplex(v, pd.Series({"web": 1.0, "code": 1.0, "wiki": 1.0}))


# ---------------------------------------------------------------- grid and examples
def test_grid_rows_are_multiples_of_one_over_r_and_sum_to_one() -> None:
    g = simplex_grid(4, 5)
    assert isinstance(g, np.ndarray) and g.shape == (56, 4)
    np.testing.assert_allclose(g.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(g * 5, np.rint(g * 5), atol=1e-12)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(mixlab.simplex, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0
