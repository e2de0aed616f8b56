"""Tests for mixlab.validation: every check names the argument, the condition and the offending value."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mixlab.validation import (
    InvariantError,
    check_at_most,
    check_counts,
    check_finite_array,
    check_flag,
    check_int,
    check_named_values,
    check_names,
    check_positive,
    check_probability,
    check_same_length,
    check_seed,
    format_masked,
    format_values,
)


# ---------------------------------------------------------------- formatting
def test_format_values_rounds_quotes_and_truncates() -> None:
    assert format_values([("web", 0.123456789), ("code", "x"), ("n", 3)]) == "web=0.123457, code='x', n=3"
    text = format_values([(f"d{i}", i) for i in range(10)], limit=3)
    assert text == "d0=0, d1=1, d2=2, … (+7 more)"
    assert format_values([]) == ""


def test_format_masked_shows_only_the_selected_entries() -> None:
    mask = np.array([False, True, True])
    assert format_masked(["a", "b", "c"], [1.0, float("nan"), -2.0], mask) == "b=nan, c=-2"
    assert format_masked(["a"], [1.0], np.array([False])) == ""


def test_invariant_error_is_a_value_error() -> None:
    assert issubclass(InvariantError, ValueError)


# ---------------------------------------------------------------- scalars
@pytest.mark.parametrize(("value", "error", "pattern"), [
    (True, TypeError, r"seed must be a non-negative integer \(got True of type bool\)"),
    (3.0, TypeError, "got 3.0 of type float"),
    ("3", TypeError, "got '3' of type str"),
    (-1, ValueError, r"seed must be a non-negative integer \(got -1\)"),
])
def test_check_seed_refuses(value: object, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        check_seed(value)


def test_check_seed_and_int_accept_numpy_integers() -> None:
    assert check_seed(np.int64(7)) == 7 and type(check_seed(np.int64(7))) is int
    assert check_int(np.uint8(5), "k", minimum=0, maximum=5) == 5
    with pytest.raises(ValueError, match=r"k must be >= 1 \(got 0\)"):
        check_int(0, "k", minimum=1)
    with pytest.raises(ValueError, match=r"k must be <= 4 \(got 5\)"):
        check_int(5, "k", maximum=4)
    with pytest.raises(TypeError, match="k must be an integer"):
        check_int(False, "k")


@pytest.mark.parametrize(("value", "kwargs", "error", "pattern"), [
    (0, {}, ValueError, r"x must be > 0 \(got 0\)"),
    (-1, {"allow_zero": True}, ValueError, r"x must be >= 0 \(got -1\)"),
    (math.nan, {}, ValueError, "x must not be NaN"),
    (math.inf, {}, ValueError, r"x must be finite \(got inf\)"),
    (-math.inf, {"allow_inf": True}, ValueError, r"x must be finite \(got -inf\)"),
    ("1", {}, TypeError, r"x must be a real number \(got '1' of type str\)"),
    (True, {}, TypeError, "of type bool"),
])
def test_check_positive_refuses(value: object, kwargs: dict[str, bool], error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        check_positive(value, "x", **kwargs)


def test_check_positive_accepts() -> None:
    assert check_positive(0, "x", allow_zero=True) == 0.0
    assert check_positive(math.inf, "x", allow_inf=True) == math.inf
    assert check_positive(np.float32(2.5), "x") == 2.5


def test_check_probability_bounds() -> None:
    assert check_probability(0, "p") == 0.0 and check_probability(1, "p") == 1.0
    with pytest.raises(ValueError, match=r"p must lie in \(0, 1\) \(got 0.0\)"):
        check_probability(0, "p", open_left=True, open_right=True)
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\] \(got nan\)"):
        check_probability(math.nan, "p")
    with pytest.raises(TypeError, match="p must be a real number"):
        check_probability(None, "p")


def test_check_flag_refuses_truthy_non_bools() -> None:
    assert check_flag(True, "f") is True and check_flag(np.bool_(False), "f") is False
    for bad in ("no", "False", 0, 1, None, [True]):
        with pytest.raises(TypeError, match=r"f must be True or False \(got "):
            check_flag(bad, "f")


def test_check_at_most_names_the_limit_and_why() -> None:
    check_at_most(10, "n", 10, "memory")
    with pytest.raises(ValueError, match=r"n must be <= 10 \(memory\) \(got 11\)"):
        check_at_most(11, "n", 10, "memory")


# ---------------------------------------------------------------- arrays and names
def test_check_finite_array_names_the_bad_entries() -> None:
    out = check_finite_array([1, 2], "v")
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"v must not contain NaN \(at b=nan\)"):
        check_finite_array([1, math.nan], "v", labels=["a", "b"])
    with pytest.raises(ValueError, match=r"v must be finite \(got 0=inf\)"):
        check_finite_array([math.inf], "v")
    with pytest.raises(ValueError, match=r"v must be >= 0 \(got a=-1\)"):
        check_finite_array([-1], "v", nonnegative=True, labels=["a"])
    with pytest.raises(ValueError, match=r"v must be 1-dimensional \(got shape \(1, 2\)\)"):
        check_finite_array([[1, 2]], "v")
    with pytest.raises(TypeError, match="v must be numeric"):
        check_finite_array(["x"], "v")


def test_check_same_length() -> None:
    assert check_same_length(a=[1, 2], b="xy") == 2
    assert check_same_length() == 0
    with pytest.raises(ValueError, match=r"same length \(got a=2, b=3\)"):
        check_same_length(a=[1, 2], b=[1, 2, 3])


def test_check_names() -> None:
    assert check_names(["web", "code"]) == ("web", "code")
    with pytest.raises(ValueError, match="domains must not be empty"):
        check_names([], "domains")
    with pytest.raises(TypeError, match=r"names must be strings \(got 3 of type int\)"):
        check_names(["a", 3])
    with pytest.raises(ValueError, match="non-empty strings"):
        check_names(["a", "  "])
    with pytest.raises(ValueError, match=r"must be unique \(duplicated: a\)"):
        check_names(["a", "b", "a"])


def test_check_named_values() -> None:
    out = check_named_values(["a", "b"], [1, np.float32(0.5)], "w")
    assert out.tolist() == [1.0, 0.5]
    with pytest.raises(TypeError, match=r"w must be real numbers \(got a='1', b=True\)"):
        check_named_values(["a", "b"], ["1", True], "w")
    with pytest.raises(ValueError, match=r"w must not be NaN \(got b=nan\)"):
        check_named_values(["a", "b"], [1, math.nan], "w")
    with pytest.raises(ValueError, match=r"w must be finite \(got a=inf\)"):
        check_named_values(["a"], [math.inf], "w")
    with pytest.raises(ValueError, match=r"w must be >= 0 \(got a=-2\)"):
        check_named_values(["a"], [-2], "w")
    with pytest.raises(ValueError, match=r"w must be > 0 \(got a=0\)"):
        check_named_values(["a"], [0], "w", positive=True)


# ---------------------------------------------------------------- counts tables
GOOD = pd.DataFrame({"docs": [10, 2, 0], "tokens": [1000, 4000, 0], "extra": ["x", "y", "z"]},
                    index=["web", "books", "empty"])


def test_check_counts_returns_a_float_copy_of_the_columns() -> None:
    out = check_counts(GOOD)
    assert list(out.columns) == ["docs", "tokens"] and out.index.name == "domain"
    assert out.dtypes.tolist() == [np.float64, np.float64]
    assert out.loc["books", "tokens"] == 4000.0
    assert list(check_counts(GOOD[["tokens"]], ("tokens",)).columns) == ["tokens"]
    assert check_counts(GOOD.assign(docs=GOOD["docs"].astype(float))).equals(out)  # 10.0 is a whole number


@pytest.mark.parametrize(("table", "error", "pattern"), [
    ({"docs": ["10", "2", "0"]}, TypeError, r"counts\['docs'\] must be real numbers \(got web='10'"),
    ({"docs": [True, True, False]}, TypeError, "web=True"),
    ({"docs": [2.5, 2, 0]}, ValueError, r"counts\['docs'\] must be whole numbers \(got web=2.5\)"),
    ({"docs": [10, 0, 0]}, ValueError, r"tokens but no documents: books \(docs=0, tokens=4000\)"),
    ({"tokens": [1000, 0, 0]}, ValueError, r"documents but no tokens: books \(docs=2, tokens=0\)"),
    ({"tokens": [1000, math.nan, 0]}, ValueError, r"counts\['tokens'\] must not be NaN \(got books=nan\)"),
    ({"tokens": [1000, -1, 0]}, ValueError, r">= 0 \(got books=-1\)"),
    ({"tokens": [math.inf, 1, 0]}, ValueError, r"finite \(got web=inf\)"),
    ({"docs": [0, 0, 0], "tokens": [0, 0, 0]}, ValueError, r"counts\['docs'\] must have a positive total"),
])
def test_check_counts_refuses(table: dict[str, list[object]], error: type, pattern: str) -> None:
    bad = GOOD.copy()
    for col, values in table.items():
        bad[col] = pd.Series(values, index=GOOD.index, dtype=object if isinstance(values[0], str) else None)
    with pytest.raises(error, match=pattern):
        check_counts(bad)


def test_check_counts_refuses_wrong_shapes_and_names() -> None:
    with pytest.raises(TypeError, match="counts must be a pandas DataFrame"):
        check_counts({"docs": [1], "tokens": [1]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"missing columns: tokens \(has: docs\)"):
        check_counts(GOOD[["docs"]])
    with pytest.raises(ValueError, match="at least one domain"):
        check_counts(GOOD.iloc[:0])
    with pytest.raises(TypeError, match=r"index must hold domain names \(strings\) \(got 0 of type int\)"):
        check_counts(GOOD.reset_index(drop=True))
    with pytest.raises(ValueError, match=r"unique \(duplicated: web\)"):
        check_counts(GOOD.set_axis(["web", "web", "x"]))
    with pytest.raises(TypeError, match=r"stats\['docs'\]"):
        check_counts(GOOD.assign(docs=["a", "b", "c"]), name="stats")


@given(st.lists(st.tuples(st.integers(1, 10**9), st.integers(1, 10**12)), min_size=1, max_size=8))
def test_check_counts_accepts_every_consistent_table(rows: list[tuple[int, int]]) -> None:
    table = pd.DataFrame(rows, columns=["docs", "tokens"], index=[f"d{i}" for i in range(len(rows))])
    out = check_counts(table)
    np.testing.assert_array_equal(out.to_numpy(), table.to_numpy(dtype=np.float64))


def test_property_tests_run_derandomized() -> None:
    """The root conftest loads the derandomized 'mixlab' profile: same examples on every run, no database."""
    import os

    from hypothesis import settings

    if os.environ.get("HYPOTHESIS_PROFILE", "mixlab") != "mixlab":
        pytest.skip("another hypothesis profile was asked for")
    assert settings.default.derandomize is True
    assert settings.default.database is None
