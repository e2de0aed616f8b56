"""The counting tasks (00's two views, 1.1's integer token split) against right and typical wrong functions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixlab.budget import integer_split, split_budget
from mixlab.exercises import tasks_counts as tc
from mixlab.exercises.implement import FunctionTask, describe, run_task

TASKS = {name: getattr(tc, name) for name in tc.__all__ if isinstance(getattr(tc, name), FunctionTask)}
SEED = 11


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


# ---------------------------------------------------------------- right answers written by hand
def _views_pandas(domain: pd.Series, n_tokens: pd.Series) -> pd.DataFrame:
    docs = domain.value_counts(sort=False)
    toks = n_tokens.groupby(domain).sum()
    return pd.DataFrame({"doc_share": docs / docs.sum(), "token_share": toks / toks.sum()})


def _split_by_hand(weights: pd.Series, budget: int) -> dict[str, int]:
    raw = {d: w * budget for d, w in weights.items()}
    out = {d: int(np.floor(r)) for d, r in raw.items()}
    spare = budget - sum(out.values())
    for d in sorted(raw, key=lambda d: -(raw[d] - out[d]))[:spare]:  # sorted is stable: ties keep domain order
        out[d] += 1
    return out


@pytest.mark.parametrize(("name", "fn"), [("TWO_VIEWS", _views_pandas), ("TOKEN_SPLIT", _split_by_hand)])
def test_a_hand_written_solution_passes(name: str, fn: Callable[..., Any]) -> None:
    assert run_task(TASKS[name], fn, SEED).ok


# ---------------------------------------------------------------- typical mistakes get their hint
def _views_swapped(domain: pd.Series, n_tokens: pd.Series) -> pd.DataFrame:
    right = _views_pandas(domain, n_tokens)
    return right.rename(columns={"doc_share": "token_share", "token_share": "doc_share"})


def _views_doc_twice(domain: pd.Series, n_tokens: pd.Series) -> pd.DataFrame:
    right = _views_pandas(domain, n_tokens)
    return right.assign(token_share=right["doc_share"])


def _views_mean_lengths(domain: pd.Series, n_tokens: pd.Series) -> pd.DataFrame:
    mean = n_tokens.groupby(domain).mean()
    return _views_pandas(domain, n_tokens).assign(token_share=mean / mean.sum())


def _views_counts(domain: pd.Series, n_tokens: pd.Series) -> pd.DataFrame:
    return _views_pandas(domain, n_tokens).assign(doc_share=domain.value_counts(sort=False))


def _views_percent(domain: pd.Series, n_tokens: pd.Series) -> pd.DataFrame:
    return 100 * _views_pandas(domain, n_tokens)


def _split_rounded(weights: pd.Series, budget: int) -> pd.Series:
    return (weights * budget).round()


def _split_floored(weights: pd.Series, budget: int) -> pd.Series:
    return np.floor(weights * budget)


def _split_largest_weights(weights: pd.Series, budget: int) -> pd.Series:
    out = np.floor(weights * budget)
    spare = budget - int(out.sum())
    out[weights.sort_values(ascending=False, kind="stable").index[:spare]] += 1
    return out


def _split_unrounded(weights: pd.Series, budget: int) -> pd.Series:
    return weights * budget


MISTAKES: list[tuple[str, Callable[..., Any], str]] = [
    ("TWO_VIEWS", _views_swapped, "the two columns are swapped"),
    ("TWO_VIEWS", _views_doc_twice, "token_share is the document share again"),
    ("TWO_VIEWS", _views_mean_lengths, "shares out the mean lengths"),
    ("TWO_VIEWS", _views_counts, "does not sum to 1"),
    ("TWO_VIEWS", _views_percent, "in percent"),
    ("TOKEN_SPLIT", _split_rounded, "rounded each share on its own"),
    ("TOKEN_SPLIT", _split_floored, "floored every share"),
    ("TOKEN_SPLIT", _split_largest_weights, "not the largest weights"),
    ("TOKEN_SPLIT", _split_unrounded, "not whole tokens"),
]


@pytest.mark.parametrize(("name", "fn", "needle"), MISTAKES, ids=[f"{n}-{f.__name__}" for n, f, _ in MISTAKES])
def test_typical_mistake_gets_its_targeted_hint(name: str, fn: Callable[..., Any], needle: str) -> None:
    v = run_task(TASKS[name], fn, SEED)
    assert not v.ok and v.answered, v
    assert needle in repr(v), v
    assert "Traceback" not in repr(v)


def test_every_task_has_a_mistake_test() -> None:
    assert {name for name, _, _ in MISTAKES} == set(TASKS)


# ---------------------------------------------------------------- the split itself
def test_split_budget_sums_exactly_and_breaks_ties_by_domain_order() -> None:
    thirds = {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    assert split_budget(thirds, 100).to_dict() == {"a": 34, "b": 33, "c": 33}
    assert split_budget(thirds, 2).to_dict() == {"a": 1, "b": 1, "c": 0}
    rng = np.random.default_rng(0)
    for _ in range(50):
        w = rng.dirichlet(np.ones(5))
        b = int(rng.integers(1, 10**7))
        counts = integer_split(w, b)
        assert counts.sum() == b and np.all(np.abs(counts - w * b) < 1)


def test_split_budget_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="budget must be >= 1"):
        split_budget({"a": 0.5, "b": 0.5}, 0)
    with pytest.raises(TypeError, match="budget"):
        split_budget({"a": 0.5, "b": 0.5}, 10.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sum to 1"):
        split_budget({"a": 0.5, "b": 0.6}, 10)
