"""Implement-it tasks of the baseline lessons (mixlab.exercises.tasks_baselines): the reference passes,
the cases are seeded, and each typical wrong function gets the hint that names its mistake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixlab.exercises import tasks_baselines as tb
from mixlab.exercises.implement import FunctionTask, describe, run_task

TASKS = {name: getattr(tb, name) for name in tb.__all__ if isinstance(getattr(tb, name), FunctionTask)}
SEED = 7


@pytest.mark.parametrize("name", sorted(TASKS))
def test_reference_passes_and_the_stub_is_not_yet(name: str) -> None:
    task = TASKS[name]
    v = run_task(task, task.reference, SEED)
    assert v.ok and f"{task.name} agrees with mixlab on all" in v.message

    def stub(*args: Any) -> Any:
        raise NotImplementedError("write it")

    v = run_task(task, stub, SEED)
    assert not v.ok and not v.answered and "still the stub" in v.message


@pytest.mark.parametrize("name", sorted(TASKS))
def test_cases_are_seeded(name: str, tmp_path: Path) -> None:
    task = TASKS[name]
    runs = [[{k: describe(v, 10**6) for k, v in c.items()} for c in task.cases(np.random.default_rng(s), tmp_path)]
            for s in (3, 3, 4)]
    assert runs[0] == runs[1] and runs[0] != runs[2] and len(runs[0]) >= 4


# ---------------------------------------------------------------- plain solutions a learner would write
def _shares_by_hand(docs: pd.Series, tokens: pd.Series) -> pd.Series:
    mean_len = tokens / docs
    return mean_len / mean_len.sum()


def _token_to_doc_by_hand(w: pd.Series, mean_len: pd.Series) -> pd.Series:
    x = w / mean_len
    return x / x.sum()


def _binding_by_hand(weights: pd.Series, sizes: pd.Series, max_epochs: float) -> pd.Series:
    return max_epochs * sizes / weights


@pytest.mark.parametrize(("name", "fn"), [("IMPLIED_TOKEN_SHARES", _shares_by_hand),
                                          ("TOKEN_TO_DOC", _token_to_doc_by_hand),
                                          ("BINDING_BUDGETS", _binding_by_hand)])
def test_a_plain_pandas_solution_passes(name: str, fn: Callable[..., Any]) -> None:
    assert run_task(TASKS[name], fn, SEED).ok


def test_answers_as_dicts_pass_too() -> None:
    assert run_task(tb.BINDING_BUDGETS, lambda w, s, e: (e * s / w).to_dict(), SEED).ok
    assert run_task(tb.TOKEN_TO_DOC, lambda w, t: _token_to_doc_by_hand(w, t).to_dict(), SEED).ok


# ---------------------------------------------------------------- typical mistakes
def _shares_proportional(docs: pd.Series, tokens: pd.Series) -> pd.Series:
    return tokens / tokens.sum()


def _shares_doc_weights(docs: pd.Series, tokens: pd.Series) -> pd.Series:
    return pd.Series(1.0 / len(docs), index=docs.index)


def _shares_divided(docs: pd.Series, tokens: pd.Series) -> pd.Series:
    inv = docs / tokens
    return inv / inv.sum()


def _token_to_doc_multiplied(w: pd.Series, mean_len: pd.Series) -> pd.Series:
    x = w * mean_len
    return x / x.sum()


def _token_to_doc_ignores_w(w: pd.Series, mean_len: pd.Series) -> pd.Series:
    return (1 / mean_len) / (1 / mean_len).sum()


def _binding_no_cap(weights: pd.Series, sizes: pd.Series, max_epochs: float) -> pd.Series:
    return sizes / weights


def _binding_no_weight(weights: pd.Series, sizes: pd.Series, max_epochs: float) -> pd.Series:
    return max_epochs * sizes


def _binding_uniform(weights: pd.Series, sizes: pd.Series, max_epochs: float) -> pd.Series:
    return len(sizes) * max_epochs * sizes


def _binding_reciprocal(weights: pd.Series, sizes: pd.Series, max_epochs: float) -> pd.Series:
    return weights / (max_epochs * sizes)


MISTAKES: list[tuple[str, Callable[..., Any], str]] = [
    ("IMPLIED_TOKEN_SHARES", _shares_proportional, "natural token shares"),
    ("IMPLIED_TOKEN_SHARES", _shares_doc_weights, "document weights 1/k"),
    ("IMPLIED_TOKEN_SHARES", _shares_divided, "You divided by the mean length"),
    ("TOKEN_TO_DOC", _token_to_doc_multiplied, "You multiplied by the mean length"),
    ("TOKEN_TO_DOC", _token_to_doc_ignores_w, "right only for equal token weights"),
    ("BINDING_BUDGETS", _binding_no_cap, "You left out E_max"),
    ("BINDING_BUDGETS", _binding_no_weight, "You left out the weight"),
    ("BINDING_BUDGETS", _binding_uniform, "right only for uniform by token"),
    ("BINDING_BUDGETS", _binding_reciprocal, "reciprocal"),
]


@pytest.mark.parametrize(("name", "fn", "needle"), MISTAKES, ids=[f"{n}-{f.__name__}" for n, f, _ in MISTAKES])
def test_typical_mistake_gets_its_targeted_hint(name: str, fn: Callable[..., Any], needle: str) -> None:
    v = run_task(TASKS[name], fn, SEED)
    assert not v.ok and v.answered, v
    assert needle in repr(v), v
    assert "Traceback" not in repr(v)


def test_every_task_has_a_mistake_test() -> None:
    assert {name for name, _, _ in MISTAKES} == set(TASKS)
