"""The implement-it tasks of chapter 2 (2.1, 2.3, 2.4): the share cases include an empty declared domain and
unreadable answers are named; the typical mistakes with their hints and the plain pandas solutions are tables
(MISTAKES, SOLUTIONS), checked with the reference and seeding checks of every task in test_exercises_tasks.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from task_helpers import Mistake, Solution

from mixlab.exercises import tasks_chapter2 as t2
from mixlab.exercises.implement import run_task

SEED = 11


def test_share_cases_include_an_empty_declared_domain(tmp_path: Path) -> None:
    cases = t2.DOMAIN_SHARES.cases(np.random.default_rng(SEED), tmp_path)
    assert any(set(c["domains"]) - set(c["docs"]["domain"]) for c in cases)


# ---------------------------------------------------------------- typical mistakes and plain solutions (the tables)
def _shares_dropping_empty(docs: pd.DataFrame, domains: list[str]) -> pd.DataFrame:
    g = docs.groupby("domain")["n_tokens"]
    return pd.DataFrame({"share_docs": g.size() / len(docs), "share_tokens": g.sum() / docs["n_tokens"].sum()})


def _shares_right(docs: pd.DataFrame, domains: list[str]) -> pd.DataFrame:
    g = docs.groupby("domain")["n_tokens"]
    out = pd.DataFrame({"share_docs": g.size() / len(docs), "share_tokens": g.sum() / docs["n_tokens"].sum()})
    return out.reindex(domains, fill_value=0.0)


def _shares_swapped(docs: pd.DataFrame, domains: list[str]) -> pd.DataFrame:
    right = _shares_right(docs, domains)
    return right.rename(columns={"share_docs": "share_tokens", "share_tokens": "share_docs"})


def _shares_percent(docs: pd.DataFrame, domains: list[str]) -> pd.DataFrame:
    return 100 * _shares_right(docs, domains)


def _shares_token_as_doc(docs: pd.DataFrame, domains: list[str]) -> pd.DataFrame:
    right = _shares_right(docs, domains)
    return right.assign(share_tokens=right["share_docs"])


def _prob_doc(docs: pd.DataFrame, weights: pd.Series) -> np.ndarray:
    n = docs.groupby("domain")["n_tokens"].transform("size")
    return (weights.reindex(docs["domain"]).to_numpy() / n.to_numpy())


def _prob_no_weight(docs: pd.DataFrame, weights: pd.Series) -> np.ndarray:
    return (docs["n_tokens"] / docs.groupby("domain")["n_tokens"].transform("sum")).to_numpy()


def _prob_total(docs: pd.DataFrame, weights: pd.Series) -> np.ndarray:
    return weights.reindex(docs["domain"]).to_numpy() * docs["n_tokens"].to_numpy() / docs["n_tokens"].sum()


def _prob_right(docs: pd.DataFrame, weights: pd.Series) -> pd.Series:
    T = docs.groupby("domain")["n_tokens"].transform("sum")
    return weights.reindex(docs["domain"]).to_numpy() * docs["n_tokens"] / T


def _worst_raw(losses: pd.DataFrame, floor: pd.Series) -> pd.Series:
    return losses.max(axis=1)


def _worst_mean(losses: pd.DataFrame, floor: pd.Series) -> pd.Series:
    return (losses - floor).mean(axis=1)


def _worst_positional(losses: pd.DataFrame, floor: pd.Series) -> pd.Series:
    return pd.Series((losses.to_numpy() - floor.to_numpy()).max(axis=1), index=losses.index)


def _worst_right(losses: pd.DataFrame, floor: pd.Series) -> pd.Series:
    return (losses - floor).max(axis=1)


MISTAKES = [
    Mistake(t2.DOMAIN_SHARES, _shares_dropping_empty, "is declared but has no record"),
    Mistake(t2.DOMAIN_SHARES, _shares_swapped, "the two columns are swapped"),
    Mistake(t2.DOMAIN_SHARES, _shares_percent, "percentages"),
    Mistake(t2.DOMAIN_SHARES, _shares_token_as_doc, "share_tokens equals the document share"),
    Mistake(t2.TOKEN_PROBABILITIES, _prob_doc, "document-mixture probabilities"),
    Mistake(t2.TOKEN_PROBABILITIES, _prob_no_weight, "multiply by the domain's weight"),
    Mistake(t2.TOKEN_PROBABILITIES, _prob_total, "tokens of the document's own domain"),
    Mistake(t2.WORST_EXCESS, _worst_raw, "raw worst loss"),
    Mistake(t2.WORST_EXCESS, _worst_mean, "mean excess"),
    Mistake(t2.WORST_EXCESS, _worst_positional, "by position, not by domain name"),
]
SOLUTIONS = [
    Solution(t2.DOMAIN_SHARES, _shares_right),
    Solution(t2.TOKEN_PROBABILITIES, _prob_right),
    Solution(t2.WORST_EXCESS, _worst_right),
]


def test_unreadable_answers_are_named() -> None:
    v = run_task(t2.DOMAIN_SHARES, lambda docs, domains: 0.5, SEED)
    assert not v.ok and "share_docs and share_tokens" in v.message
    v = run_task(t2.TOKEN_PROBABILITIES, lambda docs, weights: [0.5, 0.5], SEED)
    assert not v.ok and "one per row of docs" in v.message
    v = run_task(t2.WORST_EXCESS, lambda losses, floor: {"mix0": 1.0}, SEED)
    assert not v.ok and "no value for the mixtures" in v.message
