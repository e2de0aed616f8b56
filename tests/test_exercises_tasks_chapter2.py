"""The implement-it tasks of chapter 2 (2.1, 2.3, 2.4): the reference passes, typical mistakes get their hint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixlab.exercises import tasks_chapter2 as t2
from mixlab.exercises.implement import describe, run_task

TASKS = {name: getattr(t2, name) for name in ("DOMAIN_SHARES", "TOKEN_PROBABILITIES", "WORST_EXCESS")}
SEED = 11


@pytest.mark.parametrize("name", sorted(TASKS))
def test_reference_passes_and_the_stub_is_not_yet(name: str) -> None:
    task = TASKS[name]
    v = run_task(task, task.reference, SEED)
    assert v.ok and f"{task.name} agrees with mixlab on all" in v.message

    def stub(*args: Any) -> Any:
        raise NotImplementedError("write it")

    v = run_task(task, stub, SEED)
    assert not v.ok and not v.answered


@pytest.mark.parametrize("name", sorted(TASKS))
def test_cases_are_seeded(name: str, tmp_path: Path) -> None:
    task = TASKS[name]
    runs = [[{k: describe(v, 10**6) for k, v in c.items()} for c in task.cases(np.random.default_rng(s), tmp_path)]
            for s in (3, 3, 4)]
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert len(runs[0]) >= 4


def test_share_cases_include_an_empty_declared_domain(tmp_path: Path) -> None:
    cases = t2.DOMAIN_SHARES.cases(np.random.default_rng(SEED), tmp_path)
    assert any(set(c["domains"]) - set(c["docs"]["domain"]) for c in cases)


# ---------------------------------------------------------------- typical mistakes
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


MISTAKES: list[tuple[str, Callable[..., Any], str]] = [
    ("DOMAIN_SHARES", _shares_dropping_empty, "is declared but has no record"),
    ("DOMAIN_SHARES", _shares_swapped, "the two columns are swapped"),
    ("DOMAIN_SHARES", _shares_percent, "percentages"),
    ("DOMAIN_SHARES", _shares_token_as_doc, "share_tokens equals the document share"),
    ("TOKEN_PROBABILITIES", _prob_doc, "document-mixture probabilities"),
    ("TOKEN_PROBABILITIES", _prob_no_weight, "multiply by the domain's weight"),
    ("TOKEN_PROBABILITIES", _prob_total, "tokens of the document's own domain"),
    ("WORST_EXCESS", _worst_raw, "raw worst loss"),
    ("WORST_EXCESS", _worst_mean, "mean excess"),
    ("WORST_EXCESS", _worst_positional, "by position, not by domain name"),
]


@pytest.mark.parametrize(("name", "fn", "hint"), MISTAKES, ids=[f"{n}-{f.__name__}" for n, f, _ in MISTAKES])
def test_typical_mistake_gets_its_hint(name: str, fn: Callable[..., Any], hint: str) -> None:
    v = run_task(TASKS[name], fn, SEED)
    assert not v.ok and v.answered
    assert any(hint in h for h in v.hints) or hint in v.message, (v.message, v.hints)
    assert v.details and v.details[-2].startswith("expected:")


@pytest.mark.parametrize(("name", "fn"), [("DOMAIN_SHARES", _shares_right), ("TOKEN_PROBABILITIES", _prob_right),
                                          ("WORST_EXCESS", _worst_right)])
def test_a_plain_pandas_solution_passes(name: str, fn: Callable[..., Any]) -> None:
    assert run_task(TASKS[name], fn, SEED).ok


def test_unreadable_answers_are_named() -> None:
    v = run_task(t2.DOMAIN_SHARES, lambda docs, domains: 0.5, SEED)
    assert not v.ok and "share_docs and share_tokens" in v.message
    v = run_task(t2.TOKEN_PROBABILITIES, lambda docs, weights: [0.5, 0.5], SEED)
    assert not v.ok and "one per row of docs" in v.message
    v = run_task(t2.WORST_EXCESS, lambda losses, floor: {"mix0": 1.0}, SEED)
    assert not v.ok and "no value for the mixtures" in v.message
