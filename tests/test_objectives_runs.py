"""Objectives over sweep tables (2.4): the course's worst, per-run objective values, per-seed optima."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixlab.objectives import (
    objective_table,
    run_losses,
    seed_optima,
    uniform_objective,
    worst_case,
    worst_excess,
    worst_excess_over_floor,
)


def _sweep(losses: dict[tuple[str, int], list[float]], domains: tuple[str, ...] = ("web", "code")) -> pd.DataFrame:
    rows = [{"mixture": m, "seed": s, "domain": d, "loss": v} for (m, s), vals in losses.items()
            for d, v in zip(domains, vals, strict=True)]
    return pd.DataFrame(rows)


TABLE = _sweep({("a", 0): [3.0, 2.0], ("a", 1): [3.2, 2.2], ("b", 0): [2.5, 2.6], ("b", 1): [2.9, 2.1]})


def test_worst_excess_over_floor_is_the_max_excess_by_domain_name() -> None:
    floor = pd.Series({"code": 1.0, "web": 2.5})  # another order than the losses
    obj = worst_excess_over_floor(floor)
    losses = pd.Series({"web": 3.0, "code": 2.0})
    assert obj(losses) == pytest.approx(1.0) and obj.name == "worst excess" and "L_j^{*}" in obj.formula
    assert obj(losses) == worst_excess(floor)(losses)
    with pytest.raises(ValueError, match="NaN"):
        worst_excess_over_floor(pd.Series({"web": np.nan}))


def test_run_losses_pivots_runs_in_table_order() -> None:
    wide = run_losses(TABLE)
    assert list(wide.index) == [("a", 0), ("a", 1), ("b", 0), ("b", 1)] and list(wide.columns) == ["web", "code"]
    assert wide.loc[("b", 1), "code"] == 2.1


@pytest.mark.parametrize(("table", "pattern"), [
    (TABLE.drop(columns="loss"), "missing"),
    (pd.concat([TABLE, TABLE.head(1)]), "repeats"),
    (TABLE.iloc[:-1], "every domain"),
])
def test_run_losses_refuses_broken_tables(table: pd.DataFrame, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        run_losses(table)
    with pytest.raises(TypeError, match="DataFrame"):
        run_losses("not a table")  # type: ignore[arg-type]


def test_objective_table_scores_every_run_under_every_objective() -> None:
    out = objective_table(TABLE, {"uniform": uniform_objective(), "worst": worst_case()})
    assert list(out.columns) == ["mixture", "objective", "seed", "value"] and len(out) == 8
    row = out[(out["mixture"] == "b") & (out["objective"] == "worst") & (out["seed"] == 0)]
    assert row["value"].item() == 2.6
    assert out[(out["mixture"] == "a") & (out["objective"] == "uniform")]["value"].tolist() == [2.5, 2.7]
    with pytest.raises(ValueError, match="at least one objective"):
        objective_table(TABLE, {})


def test_seed_optima_choose_per_seed_and_can_disagree() -> None:
    out = seed_optima(TABLE, {"uniform": uniform_objective(), "worst": worst_case()})
    assert list(out.index) == [0, 1]
    assert out.loc[0, "uniform"] == "a" and out.loc[1, "uniform"] == "b"  # 2.5 vs 2.55; 2.7 vs 2.5
    assert out.loc[0, "worst"] == "b" and out.loc[1, "worst"] == "b"
    with pytest.raises(ValueError, match="lacks runs"):
        seed_optima(TABLE.iloc[2:], {"uniform": uniform_objective()})


@pytest.mark.parametrize("make", [
    uniform_objective, worst_case,
    lambda: worst_excess(pd.Series({"code": 1.0, "web": 2.5})),
    lambda: worst_excess_over_floor(pd.Series({"code": 1.0, "web": 2.5})),
    lambda: __import__("mixlab.objectives", fromlist=["x"]).weighted_objective({"web": 0.25, "code": 0.75}),
])
def test_vectorized_values_equal_the_row_by_row_objective(make: object) -> None:
    obj = make()  # type: ignore[operator]
    table = run_losses(TABLE)
    assert obj.values(table).tolist() == pytest.approx(table.apply(obj, axis=1).tolist(), rel=1e-12)
    assert obj.values(table).name == obj.name and list(obj.values(table).index) == list(table.index)


def test_values_refuse_missing_domains_and_non_finite_losses() -> None:
    obj = worst_excess_over_floor(pd.Series({"web": 2.0, "code": 1.0, "math": 1.5}))
    with pytest.raises(ValueError, match="missing: \\['math'\\]"):
        obj.values(run_losses(TABLE))
    bad = run_losses(TABLE).copy()
    bad.iloc[0, 0] = np.inf
    with pytest.raises(ValueError):
        uniform_objective().values(bad)
    with pytest.raises(TypeError, match="DataFrame"):
        uniform_objective().values([1.0, 2.0])  # type: ignore[arg-type]


def test_an_objective_without_rows_falls_back_to_row_by_row() -> None:
    from mixlab.objectives import Objective

    median = Objective("median", r"\\mathrm{median}_j L_j", lambda s: float(s.median()))
    assert median.values(run_losses(TABLE)).tolist() == [2.5, 2.7, 2.55, 2.5]
