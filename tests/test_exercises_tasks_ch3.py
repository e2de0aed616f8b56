"""Implement-it tasks of chapter 3: capped weights (3.4) and a paired t interval (3.6).

The capped cases bind a cap and stay feasible; the paired interval agrees with scipy and an answer
that is not three numbers is named; the typical wrong functions with their targeted hints are a
table (MISTAKES), checked with the reference and seeding checks of every task in
test_exercises_tasks.py.

Used in: CI.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from task_helpers import Mistake

from mixlab.exercises.implement import run_task
from mixlab.exercises.tasks_budget import CAPPED_WEIGHTS
from mixlab.exercises.tasks_stats import PAIRED_INTERVAL

SEED = 11


def test_capped_cases_bind_a_cap_and_stay_feasible(tmp_path: Path) -> None:
    cases = CAPPED_WEIGHTS.cases(np.random.default_rng(SEED), tmp_path)
    binding = 0
    for case in cases:
        assert case["caps"].sum() >= 1.15 - 1e-9 and (case["raw"] > 0).all()
        v = case["raw"] / case["raw"].sum()
        binding += bool((v > case["caps"]).any())
        w = CAPPED_WEIGHTS.reference(case["raw"], case["caps"])
        assert w.sum() == pytest.approx(1.0) and (w <= case["caps"] + 1e-12).all()
    assert binding >= 3


def test_paired_interval_reference_agrees_with_scipy(tmp_path: Path) -> None:
    from scipy import stats as sps

    for case in PAIRED_INTERVAL.cases(np.random.default_rng(SEED), tmp_path):
        a, b = case["a"], case["b"].loc[case["a"].index]
        mean, low, high = PAIRED_INTERVAL.reference(case["a"], case["b"])
        d = (a - b).to_numpy()
        lo, hi = sps.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sps.sem(d))
        assert mean == pytest.approx(d.mean()) and low == pytest.approx(lo) and high == pytest.approx(hi)
        assert sps.ttest_rel(a, b).pvalue < 0.05 or low <= 0 <= high  # the interval and the test agree


# ---------------------------------------------------------------- typical mistakes
def _normalized_only(raw: pd.Series, caps: pd.Series) -> pd.Series:
    return raw / raw.sum()


def _cap_once(raw: pd.Series, caps: pd.Series) -> pd.Series:
    w = np.minimum(raw / raw.sum(), caps)
    return w / w.sum()


def _kl_rescale(raw: pd.Series, caps: pd.Series) -> pd.Series:
    from mixlab.simplex import project_capped_simplex

    return project_capped_simplex(raw / raw.sum(), caps, divergence="kl")


def _raw_projected(raw: pd.Series, caps: pd.Series) -> pd.Series:
    from mixlab.simplex import project_capped_simplex

    return project_capped_simplex(raw, caps)


def _t(n: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, n - 1))


def _z_interval(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    d = a - b
    half = 1.96 * d.std() / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _reversed(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    d = b - a
    half = _t(len(d)) * d.std() / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _unpaired(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    n = len(a)
    mean = float((a - b).mean())
    half = _t(n) * math.sqrt(a.var() / n + b.var() / n)
    return mean, mean - half, mean + half


def _by_position(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    d = a.to_numpy() - b.to_numpy()
    half = _t(len(d)) * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _sd_not_se(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    d = a - b
    half = _t(len(d)) * d.std()
    return d.mean(), d.mean() - half, d.mean() + half


MISTAKES = [
    Mistake(CAPPED_WEIGHTS, _normalized_only, "These are the normalized weights"),
    Mistake(CAPPED_WEIGHTS, _cap_once, "Capping once and renormalizing"),
    Mistake(CAPPED_WEIGHTS, _kl_rescale, "the KL projection"),
    Mistake(CAPPED_WEIGHTS, _raw_projected, "You projected the raw values before normalizing"),
    Mistake(PAIRED_INTERVAL, _z_interval, "You used the normal 1.96"),
    Mistake(PAIRED_INTERVAL, _reversed, "This is b − a"),
    Mistake(PAIRED_INTERVAL, _unpaired, "unpaired standard error"),
    Mistake(PAIRED_INTERVAL, _by_position, "pair them by seed"),
    Mistake(PAIRED_INTERVAL, _sd_not_se, "standard error, sd / √n"),
]


def test_paired_interval_reads_only_three_numbers() -> None:
    v = run_task(PAIRED_INTERVAL, lambda a, b: float((a - b).mean()), SEED)
    assert not v.ok and "expected three numbers" in v.message
