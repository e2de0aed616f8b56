"""Ready-made implement-it tasks on counting: the two views of a corpus and the integer token split.

Like :mod:`mixlab.exercises.tasks_mixtures`: the function the learner writes, seeded hidden
cases, mixlab's own implementation behind the same parameters (the reference adapter), and a
comparison that names the likely mistake.

================  ==========================================  ======================================
task              the learner writes                          reference (mixlab)
================  ==========================================  ======================================
``TWO_VIEWS``     ``two_views(domain, n_tokens)``             ``domains.domain_stats`` (the shares)
``TOKEN_SPLIT``   ``token_split(weights, budget)``            ``budget.split_budget``
================  ==========================================  ======================================

Used in: the implement-it exercises of 00 (``TWO_VIEWS``) and 1.1 (``TOKEN_SPLIT``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import read_domain_table
from mixlab.exercises.implement import Case, FunctionTask, describe
from mixlab.exercises.tasks_mixtures import random_domains, random_weights
from mixlab.exercises.verdicts import Verdict, right, wrong

__all__ = ["TWO_VIEWS", "TOKEN_SPLIT", "VIEW_COLUMNS"]

N_CASES = 8
#: The columns ``two_views`` returns: the document view, then the token view.
VIEW_COLUMNS = ("doc_share", "token_share")
#: Tolerance on a share (float round-off only).
SHARE_ATOL = 1e-9


# ============================================================================ two views
def _views_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for _ in range(N_CASES):
        names = random_domains(rng)
        n = int(rng.integers(30, 300))
        labels = rng.choice(len(names), size=n, p=rng.dirichlet(np.full(len(names), 2.0)))
        labels[: len(names)] = np.arange(len(names))  # every domain has at least one document
        median = np.exp(rng.uniform(math.log(30), math.log(3000), len(names)))  # long and short domains
        lengths = np.maximum(1, np.round(median[labels] * np.exp(rng.normal(0.0, 0.8, n)))).astype(np.int64)
        index = pd.RangeIndex(n, name="doc")
        cases.append({"domain": pd.Series([names[i] for i in labels], index=index, name="domain"),
                      "n_tokens": pd.Series(lengths, index=index, name="n_tokens")})
    return cases


def _views(domain: pd.Series, n_tokens: pd.Series) -> pd.DataFrame:
    """The shares of :func:`mixlab.domains.domain_stats` on a corpus of these documents."""
    from mixlab.corpus import Corpus
    from mixlab.domains import domain_stats

    names = list(dict.fromkeys(str(d) for d in domain))
    lengths = np.asarray(n_tokens, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    docs = pd.DataFrame({
        "doc_id": [f"doc-{i:07d}" for i in range(len(lengths))],
        "domain": pd.Categorical([str(d) for d in domain], categories=names),
        "start": starts, "n_tokens": lengths, "n_bytes": lengths * 4, "quality": 1.0,
    })
    corpus = Corpus(docs, np.zeros(int(lengths.sum()), dtype=np.int32), tuple(names), vocab_size=1)
    stats = domain_stats(corpus)
    return pd.DataFrame({"doc_share": stats["share_docs"], "token_share": stats["share_tokens"]})


def _read_views(got: Any, domains: list[str]) -> dict[str, pd.Series] | Verdict:
    """The two columns of the learner's table, each keyed by domain, or the verdict saying why not."""
    if not isinstance(got, pd.DataFrame):
        try:
            got = pd.DataFrame(got)
        except (TypeError, ValueError):
            return wrong(f"expected a DataFrame with columns {', '.join(VIEW_COLUMNS)}, got {describe(got)}.")
    missing = [c for c in VIEW_COLUMNS if c not in got.columns]
    if missing:
        return wrong(f"the table lacks the column(s) {', '.join(missing)} (it has {list(got.columns)}).",
                     ["Return a DataFrame indexed by domain with the columns doc_share and token_share."])
    out: dict[str, pd.Series] = {}
    for col in VIEW_COLUMNS:
        table = read_domain_table(got[col], domains, col)
        if isinstance(table, Verdict):
            return table
        out[col] = table
    return out


def _views_compare(got: Any, expected: pd.DataFrame, case: Case) -> Verdict:
    domains = [str(d) for d in expected.index]
    table = _read_views(got, domains)
    if isinstance(table, Verdict):
        return table
    docs, toks = table["doc_share"].to_numpy(), table["token_share"].to_numpy()
    e_docs, e_toks = expected["doc_share"].to_numpy(), expected["token_share"].to_numpy()
    mean_len = case["n_tokens"].groupby(case["domain"].to_numpy()).mean().loc[domains].to_numpy()
    near = lambda a, b: bool(np.allclose(a, b, rtol=0.0, atol=SHARE_ATOL))  # noqa: E731
    if near(docs, e_toks) and near(toks, e_docs):
        return wrong("the two columns are swapped.", ["doc_share counts documents; token_share sums their n_tokens."])
    for values, expect, name in ((docs, e_docs, "doc_share"), (toks, e_toks, "token_share")):
        if near(values, expect):
            continue
        if near(values, 100 * expect):
            return wrong(f"{name} is in percent.", ["Give fractions between 0 and 1 (they sum to 1)."])
        if near(values / values.sum() if values.sum() else values, expect):
            return wrong(f"{name} does not sum to 1 (it sums to {describe(float(values.sum()))}).",
                         ["Divide each domain's count by the total over all domains."])
        if name == "token_share" and near(values, mean_len / mean_len.sum()):
            return wrong("token_share shares out the mean lengths, not the tokens.",
                         ["A domain's tokens are the sum of its documents' n_tokens; divide by the total tokens."])
        if name == "token_share" and near(values, e_docs):
            return wrong("token_share is the document share again.",
                         ["Weight each document by its length: sum n_tokens per domain, then divide by the total."])
        return wrong(f"{name} differs from mixlab's.", [f"Check {name} on a small example by hand."])
    return right("right")


TWO_VIEWS = FunctionTask(
    name="two_views", params=("domain", "n_tokens"),
    returns="a DataFrame indexed by domain with the columns doc_share (share of the documents) and token_share "
            "(share of the tokens)",
    cases=_views_cases, reference=_views, compare=_views_compare)


# ============================================================================ integer token split
def _split_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    thirds = pd.Series([1 / 3] * 3, index=pd.Index(["web", "code", "wiki"], name="domain"), name="weight")
    cases: list[Case] = []
    for i in range(N_CASES - 1):
        names = random_domains(rng, 3, 6)
        weights = random_weights(rng, names)
        if i == 0:  # a domain with weight 0 gets no token
            weights.iloc[0] = 0.0
            weights = weights / weights.sum()
        cases.append({"weights": weights, "budget": int(rng.integers(50, 1_000_000))})
    return [*cases, {"weights": thirds, "budget": 100}]  # last, a tie: which domain gets the spare token?


def _split(weights: pd.Series, budget: int) -> pd.Series:
    from mixlab.budget import split_budget

    return split_budget(weights, budget)


def _split_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    domains = [str(d) for d in expected.index]
    table = read_domain_table(got, domains, "tokens per domain")
    if isinstance(table, Verdict):
        return table
    counts = table.to_numpy()
    raw = case["weights"].loc[domains].to_numpy() * case["budget"]
    budget = case["budget"]
    if np.array_equal(counts, expected.to_numpy()):
        return right("right")
    if np.allclose(counts, case["weights"].loc[domains].to_numpy()):
        return wrong("these are the weights, not token counts.", ["Multiply by the budget: w_i B tokens."])
    if np.any(counts != np.round(counts)):
        return wrong("the counts are not whole tokens.",
                     ["w_i B is rarely a whole number: a proxy reads whole tokens, so round (and keep the sum at B)."])
    total = int(round(float(counts.sum())))
    if np.array_equal(counts, np.round(raw)) and total != budget:
        return wrong(f"you rounded each share on its own: the counts sum to {total:,}, not B = {budget:,}.",
                     ["Floor every w_i B, then give the tokens still missing one each to the domains with the "
                      "largest fractional parts."])
    if np.array_equal(counts, np.floor(raw)) and total != budget:
        return wrong(f"you floored every share and stopped: {budget - total} tokens are still missing.",
                     ["Hand the missing tokens out one each, largest fractional part w_i B − ⌊w_i B⌋ first."])
    if total != budget:
        return wrong(f"the counts sum to {total:,}, not B = {budget:,}.", ["Every token of the budget goes somewhere."])
    return wrong("the counts sum to B but the spare tokens went to the wrong domains.",
                 ["The spare tokens go to the largest fractional parts w_i B − ⌊w_i B⌋ (not the largest weights); "
                  "on a tie, the domain listed first gets it."])


TOKEN_SPLIT = FunctionTask(
    name="token_split", params=("weights", "budget"),
    returns="whole tokens per domain (a Series or dict of ints keyed by domain) summing exactly to budget",
    cases=_split_cases, reference=_split, compare=_split_compare)
