"""Exercises of 2.2 (mixture vector): one prediction, one function to write, four values to compute.

Every reference answer is computed here from the notebook's world (``generate_world("default",
seed=0)``) or from the LLaMA-1 table, never typed. The worked example for the other catalogs:
see docs/notebook-guide.md, "Exercises".

Used in: 2.2.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.mixtures import compare_mixture
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_mixtures import DOC_TO_TOKEN
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

SECTION = "2.2"

#: The colleague's document shares of the first compute exercise.
DOC_CONFIG = {"web": 0.2, "books": 0.05, "code": 0.25, "math": 0.2, "wiki": 0.2, "forum": 0.1}
#: The raw scores of the repair exercise.
RAW_SCORES = {"web": 3, "books": 2, "code": 2, "math": 1, "wiki": 1, "forum": 1}
#: Options of the prediction, keyed by the domain each names.
GAINS_OPTIONS = {"web": "a", "wiki": "b", "books": "c"}


def _stats() -> pd.DataFrame:
    """``domain_stats`` of the notebook's training corpus (computed once)."""
    from mixlab.domains import domain_stats

    return cached("2.2:stats", lambda: domain_stats(canonical_world().train))


def _largest_token_share() -> str:
    from mixlab.mixers import uniform_by_document

    as_tokens = uniform_by_document(_stats()).to_tokens(_stats()).weights
    return GAINS_OPTIONS[str(as_tokens.idxmax())]


def _doc_config_tokens() -> Mixture:
    return Mixture(DOC_CONFIG, kind="document").to_tokens(_stats())


def _compare_doc_config(answer: Any, expected: Mixture) -> Verdict:
    return compare_mixture(answer, expected, mean_lengths=_stats())


def _tv_two_views() -> float:
    from mixlab.mixers import uniform_by_document, uniform_by_token

    return uniform_by_document(_stats()).to_tokens(_stats()).tv(uniform_by_token(_stats()))


def _compare_tv(answer: Any, expected: float) -> Verdict:
    from mixlab.mixers import uniform_by_document, uniform_by_token

    p, q = uniform_by_document(_stats()).to_tokens(_stats()), uniform_by_token(_stats())
    slips = {
        "You left out the ½: TV = ½ Σ |p_i − q_i|.": 2 * expected,
        "That is a KL divergence, not the total variation ½ Σ |p_i − q_i|.": p.kl(q),
        "That is a KL divergence (in the other direction), not the total variation ½ Σ |p_i − q_i|.": q.kl(p),
    }
    return compare_number(answer, expected, rtol=1e-3, what="TV distance", slips=slips,
                          hints=["Compare the two token-weight mixtures domain by domain."])


def _llama() -> Mixture:
    from mixlab.budget import llama1_table

    return Mixture(llama1_table()["share"])


def _compare_effective(answer: Any, expected: float) -> Verdict:
    import math

    entropy = _llama().entropy()
    slips = {
        "That is the entropy H(w) itself; the effective number of sources is e^H.": entropy,
        "You mixed logarithm bases: with H in bits the effective number is 2^H.": math.exp(entropy / math.log(2)),
    }
    return compare_number(answer, expected, rtol=1e-3, what="effective number of LLaMA-1 sources", slips=slips,
                          factors={"k (number of sources)": 7 / expected},
                          hints=["exp(−Σ w log w) with the natural logarithm."])


def _normalized_scores() -> Mixture:
    return Mixture.normalized(RAW_SCORES)


def _compare_normalized(answer: Any, expected: Mixture) -> Verdict:
    return compare_mixture(answer, expected, hints=["Each weight is its score over the sum of all scores."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="2.2/which-domain-gains-tokens",
        title="Equal documents, unequal tokens",
        minutes=2,
        statement="Suppose every domain gets **one sixth of the documents**. Before running the next cells, "
                  "predict: which domain ends up with the largest share of the training **tokens**?",
        options={"a": "web: it is the largest domain",
                 "b": "wiki: it has many short articles",
                 "c": "books: its documents are the longest",
                 "d": "none: every domain also gets one sixth of the tokens"},
        answer=_largest_token_share,
        explanation="Each document drawn brings its length with it, so with equal document shares the token "
                    "shares are proportional to the mean lengths t̄_i. Books has by far the longest documents "
                    "(the mean_len column of 2.1's statistics table), so it takes the largest token share; the "
                    "worked example below computes it.",
    ),
    ImplementExercise(
        id="2.2/implement-doc-to-token",
        title="Write the document-to-token conversion",
        minutes=10,
        statement="Write `doc_to_token(w_doc, mean_len)`. Both arguments are pandas Series keyed by domain: "
                  "document weights $w^{doc}$ (summing to 1) and mean document lengths $\\bar t$. Return the token "
                  "weights $w_i = w^{doc}_i \\bar t_i / \\sum_j w^{doc}_j \\bar t_j$ as a Series (or dict) keyed "
                  "by domain. Use pandas or numpy arithmetic, not `Mixture.to_tokens`.",
        task=DOC_TO_TOKEN,
    ),
    ComputeExercise(
        id="2.2/doc-to-token-weights",
        title="Documents to tokens",
        minutes=5,
        statement=f"A colleague's config draws documents in the shares `{json.dumps(DOC_CONFIG)}`. What **token** "
                  "weights does that deliver on this world (the `stats` table)? Give a `Mixture` or a dict.",
        reference=_doc_config_tokens,
        compare=_compare_doc_config,
    ),
    ComputeExercise(
        id="2.2/tv-two-views",
        title="How far apart are two baselines?",
        minutes=5,
        statement="The table in section 4 compares each mixture with the proportional one. Compute instead the "
                  "total variation distance between *uniform by document* (as token weights, `as_tokens`) and "
                  "*uniform by token* on this world.",
        reference=_tv_two_views,
        compare=_compare_tv,
    ),
    ComputeExercise(
        id="2.2/effective-sources-llama",
        title="Effective number of LLaMA-1 sources",
        minutes=5,
        statement="LLaMA-1 draws from seven sources (the `llama` mixture of section 1). How many *effective* "
                  "sources is that, $e^{H(w)}$? Then ask yourself what the gap between 7 and your number says "
                  "about the mixture.",
        reference=lambda: _llama().effective_domains(),
        compare=_compare_effective,
    ),
    ComputeExercise(
        id="2.2/normalize-scores",
        title="Repair a config",
        minutes=3,
        statement=f"A config file holds the raw scores `{json.dumps(RAW_SCORES)}`, and `Mixture(...)` rejects "
                  "them. Build the mixture they *mean* (shares proportional to the scores), with an explicit call.",
        reference=_normalized_scores,
        compare=_compare_normalized,
    ),
]
