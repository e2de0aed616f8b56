"""Implement-it tasks about the published methods: some cases have zero excess; typical mistakes with their
hints and the lesson's own form of the step are tables, checked in test_exercises_tasks.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from task_helpers import Mistake, Solution

from mixlab.exercises import tasks_methods as tmeth


def test_some_domains_are_clipped_at_zero_excess(tmp_path: Path) -> None:
    cases = tmeth.DOREMI_STEP.cases(np.random.default_rng(3), tmp_path)
    assert any((c["excess"] == 0).any() for c in cases)


# ---------------------------------------------------------------- typical mistakes and the lesson's form (the tables)
def _normalized(v: pd.Series) -> pd.Series:
    return v / v.sum()


def _doremi_downhill(w: pd.Series, excess: pd.Series, eta: float, eps: float) -> pd.Series:
    return (1 - eps) * _normalized(w * np.exp(-eta * excess)) + eps / len(w)


def _doremi_linear(w: pd.Series, excess: pd.Series, eta: float, eps: float) -> pd.Series:
    return (1 - eps) * _normalized(w + eta * excess) + eps / len(w)


def _doremi_unsmoothed(w: pd.Series, excess: pd.Series, eta: float, eps: float) -> pd.Series:
    return _normalized(w * np.exp(eta * excess))


def _doremi_eps_not_over_k(w: pd.Series, excess: pd.Series, eta: float, eps: float) -> pd.Series:
    return (1 - eps) * _normalized(w * np.exp(eta * excess)) + eps


def _doremi_log_space(w: pd.Series, excess: pd.Series, eta: float, eps: float) -> pd.Series:
    z = np.log(w) + eta * excess  # the lesson's way: a step in log space, then softmax
    return (1 - eps) * _normalized(np.exp(z - z.max())) + eps / len(w)


MISTAKES = [
    Mistake(tmeth.DOREMI_STEP, _doremi_downhill, "You stepped the wrong way"),
    Mistake(tmeth.DOREMI_STEP, _doremi_linear, "You took the step in linear space"),
    Mistake(tmeth.DOREMI_STEP, _doremi_unsmoothed, "left out the smoothing"),
    Mistake(tmeth.DOREMI_STEP, _doremi_eps_not_over_k, "sum"),
]
SOLUTIONS = [Solution(tmeth.DOREMI_STEP, _doremi_log_space)]  # the log-space form of the lesson passes
