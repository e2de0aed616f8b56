"""The counting tasks (00's two views, 1.1's integer token split): hand-written right answers and typical
wrong functions with their hints (tables checked in test_exercises_tasks.py), and the split itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from task_helpers import Mistake, Solution

from mixlab.budget import integer_split, split_budget
from mixlab.exercises import tasks_counts as tc


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


SOLUTIONS = [Solution(tc.TWO_VIEWS, _views_pandas), Solution(tc.TOKEN_SPLIT, _split_by_hand)]


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


MISTAKES = [
    Mistake(tc.TWO_VIEWS, _views_swapped, "the two columns are swapped"),
    Mistake(tc.TWO_VIEWS, _views_doc_twice, "token_share is the document share again"),
    Mistake(tc.TWO_VIEWS, _views_mean_lengths, "shares out the mean lengths"),
    Mistake(tc.TWO_VIEWS, _views_counts, "does not sum to 1"),
    Mistake(tc.TWO_VIEWS, _views_percent, "in percent"),
    Mistake(tc.TOKEN_SPLIT, _split_rounded, "rounded each share on its own"),
    Mistake(tc.TOKEN_SPLIT, _split_floored, "floored every share"),
    Mistake(tc.TOKEN_SPLIT, _split_largest_weights, "not the largest weights"),
    Mistake(tc.TOKEN_SPLIT, _split_unrounded, "not whole tokens"),
]


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
