"""Implement-it tasks of the baseline lessons (mixlab.exercises.tasks_baselines): answers as dicts pass; plain
pandas solutions that must pass and typical wrong functions with the hint that names their mistake are tables
(checked in test_exercises_tasks.py, with the reference and seeding checks of every task)."""

from __future__ import annotations

import pandas as pd
from task_helpers import Mistake, Solution, seed_for

from mixlab.exercises import tasks_baselines as tb
from mixlab.exercises.implement import run_task


# ---------------------------------------------------------------- plain solutions a learner would write
def _shares_by_hand(docs: pd.Series, tokens: pd.Series) -> pd.Series:
    mean_len = tokens / docs
    return mean_len / mean_len.sum()


def _token_to_doc_by_hand(w: pd.Series, mean_len: pd.Series) -> pd.Series:
    x = w / mean_len
    return x / x.sum()


def _binding_by_hand(weights: pd.Series, sizes: pd.Series, max_epochs: float) -> pd.Series:
    return max_epochs * sizes / weights


SOLUTIONS = [
    Solution(tb.IMPLIED_TOKEN_SHARES, _shares_by_hand),
    Solution(tb.TOKEN_TO_DOC, _token_to_doc_by_hand),
    Solution(tb.BINDING_BUDGETS, _binding_by_hand),
]


def test_answers_as_dicts_pass_too() -> None:
    assert run_task(tb.BINDING_BUDGETS, lambda w, s, e: (e * s / w).to_dict(), seed_for(tb.BINDING_BUDGETS)).ok
    assert run_task(tb.TOKEN_TO_DOC, lambda w, t: _token_to_doc_by_hand(w, t).to_dict(), seed_for(tb.TOKEN_TO_DOC)).ok


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


MISTAKES = [
    Mistake(tb.IMPLIED_TOKEN_SHARES, _shares_proportional, "natural token shares"),
    Mistake(tb.IMPLIED_TOKEN_SHARES, _shares_doc_weights, "document weights 1/k"),
    Mistake(tb.IMPLIED_TOKEN_SHARES, _shares_divided, "You divided by the mean length"),
    Mistake(tb.TOKEN_TO_DOC, _token_to_doc_multiplied, "You multiplied by the mean length"),
    Mistake(tb.TOKEN_TO_DOC, _token_to_doc_ignores_w, "right only for equal token weights"),
    Mistake(tb.BINDING_BUDGETS, _binding_no_cap, "You left out E_max"),
    Mistake(tb.BINDING_BUDGETS, _binding_no_weight, "You left out the weight"),
    Mistake(tb.BINDING_BUDGETS, _binding_uniform, "right only for uniform by token"),
    Mistake(tb.BINDING_BUDGETS, _binding_reciprocal, "reciprocal"),
]
