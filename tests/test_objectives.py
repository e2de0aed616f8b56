"""Tests for mixlab.objectives: each objective's value, validation, and the objective table."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mixlab.mixture import Mixture
from mixlab.objectives import (
    Objective,
    as_losses,
    evaluate_objectives,
    excess_loss,
    standard_objectives,
    uniform_objective,
    weighted_objective,
    worst_case,
    worst_excess,
    worst_excess_over_floor,
)

LOSSES = pd.Series({"web": 3.0, "code": 2.0, "math": 4.0})
REF = pd.Series({"web": 2.5, "code": 2.5, "math": 3.0})


def test_as_losses_accepts_series_mapping_and_runs() -> None:
    pd.testing.assert_series_equal(as_losses(LOSSES), LOSSES.astype(float))
    assert as_losses({"web": 1, "code": 2}).tolist() == [1.0, 2.0]
    run = SimpleNamespace(losses=LOSSES)
    pd.testing.assert_series_equal(as_losses(run), LOSSES)
    assert as_losses(LOSSES, ["math", "web", "code"]).index.tolist() == ["math", "web", "code"]


@pytest.mark.parametrize(
    ("losses", "domains", "pattern"),
    [
        (pd.Series({"web": np.nan, "code": 1.0}), None, "NaN"),
        (pd.Series({"web": np.inf, "code": 1.0}), None, "finite"),
        (pd.Series(dtype=float), None, "empty"),
        (LOSSES, ["web", "code"], r"unknown: \['math'\]"),
        (LOSSES, ["web", "code", "math", "wiki"], r"missing: \['wiki'\]"),
    ],
)
def test_as_losses_rejects_bad_tables(losses: pd.Series, domains: list[str] | None, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        as_losses(losses, domains)


def test_uniform_and_worst_case() -> None:
    assert uniform_objective()(LOSSES) == pytest.approx(3.0)
    assert worst_case()(LOSSES) == 4.0
    assert uniform_objective().name == "uniform"
    assert "max" in repr(worst_case())


def test_weighted_objective_uses_the_weights_without_normalizing() -> None:
    obj = weighted_objective({"web": 0.5, "code": 0.5, "math": 0.0})
    assert obj(LOSSES) == pytest.approx(2.5)
    # order of the losses does not matter, the names do
    assert obj(LOSSES.iloc[::-1]) == pytest.approx(2.5)
    assert weighted_objective(Mixture({"web": 0.2, "code": 0.2, "math": 0.6}))(LOSSES) == pytest.approx(3.4)
    with pytest.raises(ValueError, match="sum to 1"):
        weighted_objective({"web": 0.5, "code": 0.6, "math": 0.0})
    with pytest.raises(ValueError, match=">= 0"):
        weighted_objective({"web": 1.5, "code": -0.5, "math": 0.0})
    with pytest.raises(ValueError, match="missing"):
        obj(LOSSES.drop("math"))


def test_excess_loss_and_worst_excess() -> None:
    ex = excess_loss(LOSSES, REF)
    assert ex.name == "excess"
    assert ex.to_dict() == pytest.approx({"web": 0.5, "code": -0.5, "math": 1.0})
    assert worst_excess(REF)(LOSSES) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="missing"):
        excess_loss(LOSSES.drop("web"), REF)


def test_standard_objectives_and_table() -> None:
    objs = standard_objectives()
    assert list(objs) == ["uniform", "worst-case"]
    full = standard_objectives(reference=REF, target_weights={"web": 1.0, "code": 0.0, "math": 0.0})
    assert list(full) == ["uniform", "worst-case", "target-weighted", "worst-excess"]
    table = evaluate_objectives(LOSSES, full)
    expected = {"uniform": 3.0, "worst-case": 4.0, "target-weighted": 3.0, "worst-excess": 1.0}
    assert table.to_dict() == pytest.approx(expected)


def test_custom_objective_is_callable_on_any_losses() -> None:
    obj = Objective("best", r"\min_j L_j", lambda s: float(s.min()))
    assert obj({"a": 2.0, "b": 1.0}) == 1.0
    with pytest.raises(ValueError, match="NaN"):
        obj({"a": float("nan")})


def test_worst_excess_over_floor_is_the_largest_gap_to_the_floor_not_the_largest_loss() -> None:
    floor = pd.Series({"web": 2.9, "code": 1.0, "math": 3.9})
    obj = worst_excess_over_floor(floor)
    assert obj.name == "worst excess" and "L_j^{*}" in obj.formula
    # the largest loss is math (4.0), but the largest excess over the floor is code (2.0 - 1.0)
    assert obj(LOSSES) == pytest.approx(1.0)
    assert worst_case()(LOSSES) == pytest.approx(4.0)
    assert obj(LOSSES.iloc[::-1]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="missing"):
        obj(LOSSES.drop("code"))
    with pytest.raises(ValueError):
        worst_excess_over_floor(pd.Series({"web": float("nan")}))
