"""Implement-it tasks of the baseline lessons (3.1–3.3): implied shares and where a cap binds.

Each task is a :class:`~mixlab.exercises.implement.FunctionTask` (the function the learner writes,
seeded hidden cases, mixlab's own implementation behind the same parameters, a comparison whose
hints name the likely mistake), wrapped by a lesson catalog in an
:class:`~mixlab.exercises.implement.ImplementExercise`.

=========================  ===============================================  ==============================
task                       the learner writes                               reference (mixlab)
=========================  ===============================================  ==============================
``IMPLIED_TOKEN_SHARES``   ``implied_token_shares(docs, tokens)``           ``uniform_by_document(…).to_tokens``
``TOKEN_TO_DOC``           ``token_to_doc(w, mean_len)``                    ``Mixture.to_documents``
``BINDING_BUDGETS``        ``binding_budgets(weights, sizes, max_epochs)``  ``budget.cap_binding_budgets``
=========================  ===============================================  ==============================

Used in: implement-it exercises of 3.1 (``IMPLIED_TOKEN_SHARES``), 3.2 (``TOKEN_TO_DOC``),
3.3 (``BINDING_BUDGETS``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import read_domain_table
from mixlab.exercises.implement import Case, FunctionTask
from mixlab.exercises.mixtures import close, compare_mixture, gaps
from mixlab.exercises.tasks_mixtures import N_CASES, WEIGHT_ATOL, random_domains, random_sizes, random_weights
from mixlab.exercises.verdicts import Verdict, right, wrong
from mixlab.mixture import Mixture

__all__ = ["IMPLIED_TOKEN_SHARES", "TOKEN_TO_DOC", "BINDING_BUDGETS"]


def _normalized(values: pd.Series) -> pd.Series:
    """``values / values.sum()`` as floats (the weights a slip gives)."""
    v = values.astype(np.float64)
    return v / v.sum()


def _mean_lengths(rng: np.random.Generator, domains: list[str]) -> pd.Series:
    """Log-uniform mean document lengths (50 to 5000 tokens, one decimal) keyed by domain."""
    lengths = np.round(np.exp(rng.uniform(math.log(50), math.log(5000), len(domains))), 1)
    return pd.Series(lengths, index=pd.Index(domains, name="domain"), name="mean_len")


# ============================================================================ uniform by document → tokens
def _counts_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for _ in range(N_CASES):
        d = random_domains(rng)
        docs = np.round(np.exp(rng.uniform(math.log(5), math.log(5000), len(d)))).astype(np.int64)
        tokens = np.round(docs * _mean_lengths(rng, d).to_numpy()).astype(np.int64)
        index = pd.Index(d, name="domain")
        cases.append({"docs": pd.Series(docs, index=index, name="docs"),
                      "tokens": pd.Series(tokens, index=index.copy(), name="tokens")})
    return cases


def _implied_token_shares(docs: pd.Series, tokens: pd.Series) -> pd.Series:
    from mixlab.mixers import uniform_by_document

    counts = pd.DataFrame({"docs": docs, "tokens": tokens})
    return uniform_by_document(counts).to_tokens(counts).weights


def _implied_token_shares_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    c = pd.DataFrame({"docs": case["docs"], "tokens": case["tokens"]})
    mean_len = c["tokens"] / c["docs"]
    slips = [
        (_normalized(c["tokens"]), "These are the natural token shares T_i / Σ T_j (source-proportional): uniform by "
         "document weights each domain by its mean document length T_i / N_i, not by its size."),
        (pd.Series(1.0 / len(c), index=c.index), "These are the document weights 1/k, the rule as configured; the "
         "question asks what share of the tokens each domain then supplies."),
        (_normalized(c["docs"]), "These are the natural document shares N_i / Σ N_j; under uniform by document every "
         "domain gets the same number of documents whatever its N_i."),
        (_normalized(1.0 / mean_len), "You divided by the mean length (the token → document direction); a document "
         "drawn brings its length with it, so multiply: w_i ∝ (1/k) · t̄_i."),
    ]
    return compare_mixture(got, Mixture(expected), atol=WEIGHT_ATOL, slips=slips)


IMPLIED_TOKEN_SHARES = FunctionTask(
    name="implied_token_shares", params=("docs", "tokens"),
    returns="the token weights of uniform by document (a Series or dict keyed by domain, summing to 1)",
    cases=_counts_cases, reference=_implied_token_shares, compare=_implied_token_shares_compare)


# ============================================================================ token → document weights
def _token_to_doc_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES):
        d = random_domains(rng)
        w = pd.Series(1.0 / len(d), index=pd.Index(d, name="domain")) if i == 0 else random_weights(rng, d)
        cases.append({"w": w, "mean_len": _mean_lengths(rng, d)})
    return cases


def _token_to_doc(w: pd.Series, mean_len: pd.Series) -> pd.Series:
    return Mixture(w, kind="token").to_documents(mean_len).weights


def _token_to_doc_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    w, mean_len = case["w"], case["mean_len"]
    slips = [
        (_normalized(w * mean_len), "You multiplied by the mean length (the document → token direction); to count "
         "documents, divide the tokens each domain supplies by its mean length: w_doc_i ∝ w_i / t̄_i."),
        (_normalized(1.0 / mean_len), "That is right only for equal token weights: weigh 1/t̄_i by the token weight "
         "w_i of each domain."),
    ]
    return compare_mixture(got, Mixture(expected, kind="document"), atol=WEIGHT_ATOL, slips=slips)


TOKEN_TO_DOC = FunctionTask(
    name="token_to_doc", params=("w", "mean_len"),
    returns="the document weights w_doc_i ∝ w_i / t̄_i (a Series or dict keyed by domain, summing to 1)",
    cases=_token_to_doc_cases, reference=_token_to_doc, compare=_token_to_doc_compare)


# ============================================================================ where each cap binds
def _binding_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES):
        d = random_domains(rng)
        sizes = random_sizes(rng, d, 1e4, 1e7)
        w = _normalized(sizes) if i == 1 else random_weights(rng, d)  # case 2: proportional, all bind at once
        cases.append({"weights": w, "sizes": sizes, "max_epochs": float(rng.choice([1.0, 2.0, 4.0, 10.0]))})
    return cases


def _binding_budgets(weights: pd.Series, sizes: pd.Series, max_epochs: float) -> pd.Series:
    from mixlab.budget import cap_binding_budgets

    return cap_binding_budgets(weights, sizes, max_epochs)


def _binding_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    domains = [str(d) for d in expected.index]
    table = read_domain_table(got, domains, "budgets per domain")
    if isinstance(table, Verdict):
        return table
    a, e = table.to_numpy(), expected.to_numpy()
    if close(a, e, 0.0, 1e-6):
        return right("right")
    w, T, E = case["weights"].loc[domains], case["sizes"].loc[domains].astype(np.float64), case["max_epochs"]
    slips = [
        (T / w, "You left out E_max: the cap binds when w_i B / T_i reaches E_max, at B_i = E_max T_i / w_i."),
        (E * T, "You left out the weight: the domain supplies only w_i of each budget token, so "
         "B_i = E_max T_i / w_i."),
        (E * T * w, "You multiplied by the weight; a smaller weight reaches the cap at a *larger* budget: divide."),
        (w / (E * T), "You computed the reciprocal: B_i = E_max T_i / w_i (tokens it may supply over its share)."),
        (pd.Series(len(domains) * E, index=T.index) * T, "k E_max T_i is right only for uniform by token "
         "(w_i = 1/k); use each domain's own weight."),
    ]
    for values, hint in slips:
        if close(a, values.to_numpy(dtype=np.float64), 0.0, 1e-6):
            return wrong("these are not the budgets where the caps bind.", [hint])
    return wrong(f"budgets are off for: {gaps(a, e, domains, 0.0, 1e-6)}.",
                 ["Solve w_i B / T_i = E_max for B, one domain at a time."])


BINDING_BUDGETS = FunctionTask(
    name="binding_budgets", params=("weights", "sizes", "max_epochs"),
    returns="the budget B_i at which each domain reaches max_epochs epochs (a Series or dict keyed by domain)",
    cases=_binding_cases, reference=_binding_budgets, compare=_binding_compare)
