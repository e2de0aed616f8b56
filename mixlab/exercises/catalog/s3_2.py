"""Exercises of 3.2 (uniform by token): one prediction, one function to write, two values to compute.

Every reference answer is computed here from the notebook's world (``generate_world("default",
seed=0)``), never typed.

Used in: 3.2.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_baselines import TOKEN_TO_DOC
from mixlab.exercises.verdicts import Verdict

SECTION = "3.2"

#: The repetition cap of the lesson.
MAX_EPOCHS = 4
#: The domain dropped in the largest-budget exercise.
DROPPED = "books"
#: The three domains of the document-share exercise.
TRIO = ("web", "wiki", "code")
#: Options of the prediction, keyed by the domain each names.
DOCS_OPTIONS = {"web": "a", "wiki": "b", "books": "c"}


def _stats() -> pd.DataFrame:
    """``domain_stats`` of the notebook's training corpus (computed once)."""
    from mixlab.domains import domain_stats

    return cached("3.2:stats", lambda: domain_stats(canonical_world().train))


def _most_documents() -> str:
    from mixlab.mixers import uniform_by_token

    w_doc = uniform_by_token(_stats()).to_documents(_stats()).weights
    if w_doc.max() - w_doc.min() <= 1e-9:
        return "d"
    return DOCS_OPTIONS.get(str(w_doc.idxmax()), "d")


def _largest_safe_budget(tokens: pd.Series) -> float:
    """Largest budget at which uniform by token over these domains keeps every one within the cap."""
    return float(len(tokens) * MAX_EPOCHS * tokens.min())


def _without_dropped() -> pd.Series:
    tokens = _stats()["tokens"].astype(float)
    return tokens.drop(DROPPED)


def _compare_safe_budget(answer: Any, expected: float) -> Verdict:
    kept = _without_dropped()
    slips = {
        f"You kept k = {len(_stats())}: without {DROPPED} uniform by token splits the budget over "
        f"{len(kept)} domains.": float(len(_stats()) * MAX_EPOCHS * kept.min()),
        f"{DROPPED} is no longer in the mix: its cap does not bind; the smallest remaining domain does.":
            _largest_safe_budget(_stats()["tokens"].astype(float)),
        "You left out E_max: each domain may be read up to E_max times.": float(len(kept) * kept.min()),
        "You left out k: each domain supplies only B / k of the budget, so B = k E_max min_i T_i.":
            float(MAX_EPOCHS * kept.min()),
    }
    return compare_number(answer, expected, rtol=1e-3, what="largest budget", unit="tokens", slips=slips)


def _trio_doc_share() -> float:
    """Wiki's share of the documents drawn under uniform by token over ``TRIO`` only."""
    from mixlab.mixers import uniform_by_token

    sub = _stats().loc[list(TRIO)]
    return float(uniform_by_token(sub).to_documents(sub)["wiki"])


def _compare_trio_doc_share(answer: Any, expected: float) -> Verdict:
    from mixlab.mixers import uniform_by_token

    s = _stats()
    sub = s.loc[list(TRIO)]
    slips = {
        "That is wiki's share of the tokens (1/k); count documents: w_doc_i ∝ w_i / t̄_i.": 1.0 / len(TRIO),
        "That is wiki's document share with all six domains; here only three are mixed, so normalize over them.":
            float(uniform_by_token(s).to_documents(s)["wiki"]),
        "That is wiki's natural share of these three domains' documents (N_i / Σ N_j), not what uniform by token "
        "draws.": float(sub["docs"]["wiki"] / sub["docs"].sum()),
    }
    return compare_number(answer, expected, rtol=1e-3, what="wiki's share of the documents", slips=slips)


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="3.2/most-documents",
        title="Equal tokens, unequal documents",
        minutes=2,
        statement="Under uniform by token every domain supplies one sixth of the training **tokens**. Before "
                  "running the next cells, predict: which domain supplies the largest share of the **documents** "
                  "drawn?",
        options={"a": "web: it is the largest domain",
                 "b": "wiki: its documents are the shortest",
                 "c": "books: its few documents are read most often",
                 "d": "none: every domain also supplies one sixth of the documents"},
        answer=_most_documents,
        explanation="A domain's share of the documents is its tokens divided by its mean document length, "
                    "w_doc_i ∝ w_i / t̄_i. With equal token weights that is ∝ 1/t̄_i: the domain with the "
                    "shortest documents (wiki) fills its sixth of the tokens with the most documents. The next "
                    "table shows the shares.",
    ),
    ImplementExercise(
        id="3.2/implement-token-to-doc",
        title="Write the token-to-document conversion",
        minutes=10,
        statement="Write `token_to_doc(w, mean_len)`. Both arguments are pandas Series keyed by domain: token "
                  "weights $w$ (summing to 1) and mean document lengths $\\bar t$. Return the document weights "
                  "$w^{doc}_i = (w_i / \\bar t_i) / \\sum_j (w_j / \\bar t_j)$ as a Series (or dict) keyed by "
                  "domain, without calling `Mixture.to_documents`.",
        task=TOKEN_TO_DOC,
    ),
    ComputeExercise(
        id="3.2/largest-budget-without-books",
        title="Drop the smallest domain",
        minutes=4,
        statement=f"A team drops **{DROPPED}** and mixes the other five domains uniformly by token. What is the "
                  f"largest budget $B$ (in tokens) at which no domain is read more than $E_{{\\max}} = {MAX_EPOCHS}$ "
                  "times? (Work from `stats`.)",
        reference=lambda: _largest_safe_budget(_without_dropped()),
        compare=_compare_safe_budget,
        decimals=0,
    ),
    ComputeExercise(
        id="3.2/wiki-document-share-three-domains",
        title="Documents behind equal tokens, three domains",
        minutes=4,
        statement=f"A team mixes only {', '.join(TRIO)}, uniformly by token. What share of the **documents** "
                  "drawn comes from wiki? Give a number between 0 and 1 (work from `stats`).",
        reference=_trio_doc_share,
        compare=_compare_trio_doc_share,
        decimals=4,
    ),
]
