"""Implement-it tasks about the published methods: the reference passes, typical mistakes get their hint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixlab.exercises import tasks_methods as tmeth
from mixlab.exercises.implement import FunctionTask, run_task

TASKS = {name: getattr(tmeth, name) for name in tmeth.__all__ if isinstance(getattr(tmeth, name), FunctionTask)}
SEED = 11


@pytest.mark.parametrize("name", sorted(TASKS))
def test_reference_passes_and_the_stub_is_not_yet(name: str) -> None:
    task = TASKS[name]
    assert run_task(task, task.reference, SEED).ok

    def stub(*args: Any) -> Any:
        raise NotImplementedError("write it")

    v = run_task(task, stub, SEED)
    assert not v.ok and not v.answered and "still the stub" in v.message


@pytest.mark.parametrize("name", sorted(TASKS))
def test_cases_are_seeded(name: str, tmp_path: Any) -> None:
    task = TASKS[name]
    first, again, other = (task.cases(np.random.default_rng(s), tmp_path) for s in (3, 3, 4))
    assert [repr(c) for c in first] == [repr(c) for c in again] != [repr(c) for c in other]
    assert any((c["excess"] == 0).any() for c in first)  # some domains are clipped at zero excess


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


MISTAKES: list[tuple[str, Callable[..., Any], str]] = [
    ("DOREMI_STEP", _doremi_downhill, "You stepped the wrong way"),
    ("DOREMI_STEP", _doremi_linear, "You took the step in linear space"),
    ("DOREMI_STEP", _doremi_unsmoothed, "left out the smoothing"),
    ("DOREMI_STEP", _doremi_eps_not_over_k, "sum"),
]


@pytest.mark.parametrize(("name", "fn", "needle"), MISTAKES, ids=[f"{n}-{f.__name__}" for n, f, _ in MISTAKES])
def test_typical_mistake_gets_its_targeted_hint(name: str, fn: Callable[..., Any], needle: str) -> None:
    v = run_task(TASKS[name], fn, SEED)
    assert not v.ok and v.answered, v
    assert needle in repr(v), v


def test_the_log_space_form_of_the_lesson_passes() -> None:
    assert run_task(TASKS["DOREMI_STEP"], _doremi_log_space, SEED).ok


def test_every_task_has_a_mistake_test() -> None:
    assert {name for name, _, _ in MISTAKES} == set(TASKS)
