"""Tests for mixlab.budget.cap_binding_budgets: the budget at which each domain's epoch cap binds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab import budget
from mixlab.mixture import Mixture
from mixlab.validation import InvariantError

SIZES = pd.Series({"web": 1000.0, "books": 100.0, "code": 10.0})
MIX = Mixture({"web": 0.5, "books": 0.3, "code": 0.2})


def test_binding_budget_is_where_epochs_reach_the_cap() -> None:
    b = budget.cap_binding_budgets(MIX, SIZES, 4)
    assert b.name == "binding_budget" and list(b.index) == ["web", "books", "code"]
    np.testing.assert_allclose(b.to_numpy(), [8000.0, 4000.0 / 3, 200.0])
    # at B_i domain i reads exactly E_max epochs
    for d, b_i in b.items():
        assert budget.epochs_from_weights(MIX, b_i, SIZES)[d] == pytest.approx(4.0)


def test_within_caps_up_to_the_smallest_binding_budget_and_not_beyond() -> None:
    first = float(budget.cap_binding_budgets(MIX, SIZES, 2).min())
    budget.check_within_caps(MIX, first, SIZES, 2)  # holds at the limit
    with pytest.raises(InvariantError, match="code"):
        budget.check_within_caps(MIX, first * 1.01, SIZES, 2)


def test_zero_weight_never_binds_and_units_convert() -> None:
    zero = Mixture({"web": 0.8, "books": 0.0, "code": 0.2})
    b = budget.cap_binding_budgets(zero, SIZES, 4)
    assert math.isinf(b["books"]) and b["web"] == pytest.approx(5000.0)
    counts = pd.DataFrame({"docs": [1, 1, 1], "tokens": [1000, 100, 10]}, index=["web", "books", "code"])
    by_table = budget.cap_binding_budgets(MIX, counts, 4)
    pd.testing.assert_series_equal(by_table, budget.cap_binding_budgets(MIX, SIZES, 4))
    in_bytes = budget.cap_binding_budgets(MIX, SIZES * 3, 4, bytes_per_token=3.0)
    np.testing.assert_allclose(in_bytes.to_numpy(), budget.cap_binding_budgets(MIX, SIZES, 4).to_numpy())


def test_proportional_binds_everywhere_at_the_corpus_capacity() -> None:
    prop = Mixture.normalized(SIZES.to_dict())
    b = budget.cap_binding_budgets(prop, SIZES, 4)
    np.testing.assert_allclose(b.to_numpy(), 4 * SIZES.sum())


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="max_epochs"):
        budget.cap_binding_budgets(MIX, SIZES, 0)
    with pytest.raises(ValueError, match="document-kind"):
        budget.cap_binding_budgets(Mixture({"web": 1.0}, kind="document"), {"web": 1.0}, 4)
    with pytest.raises(ValueError, match="missing: code"):
        budget.cap_binding_budgets(MIX, {"web": 1.0, "books": 1.0}, 4)


@settings(max_examples=50)
@given(st.lists(st.floats(0.05, 1.0), min_size=2, max_size=6), st.floats(0.5, 10.0))
def test_first_binding_budget_equals_the_largest_budget_with_every_cap_held(raw: list[float], e_max: float) -> None:
    names = [f"d{i}" for i in range(len(raw))]
    w = Mixture.normalized(dict(zip(names, raw, strict=True)))
    sizes = pd.Series(np.linspace(100.0, 1000.0, len(raw)), index=names)
    first = float(budget.cap_binding_budgets(w, sizes, e_max).min())
    # caps from the budget: every weight within its cap at the first binding budget, one binding
    caps = budget.caps_from_epochs(sizes, first, e_max)
    assert (w.weights <= caps + 1e-9).all() and np.isclose(w.weights, caps, rtol=1e-9).any()
