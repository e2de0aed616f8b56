"""Exercises of 3.1 (uniform by document): one prediction, one function to write, two values to compute.

Every reference answer is computed here from the notebook's world (``generate_world("default",
seed=0)``), never typed.

Used in: 3.1.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.answers import Unreadable, read_number, unreadable
from mixlab.exercises.budgets import compare_epochs
from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_baselines import IMPLIED_TOKEN_SHARES
from mixlab.exercises.verdicts import Verdict, wrong

SECTION = "3.1"

#: Chapters per book in the prediction (section 5 of the notebook splits every book into 20).
PREDICT_CHAPTERS = 20
#: Chapters per book in the compute exercise.
CHAPTERS = 10
#: The budget of the epochs exercise.
BUDGET = 1_000_000


def _counts() -> pd.DataFrame:
    """Documents and tokens per domain of the notebook's training corpus (computed once)."""
    from mixlab.domains import domain_stats

    return cached("3.1:counts", lambda: domain_stats(canonical_world().train)[["docs", "tokens"]])


def _books_share(chapters: int) -> float:
    """Books' token share under uniform by document when every book is stored as ``chapters`` records."""
    from mixlab.mixers import uniform_by_document

    counts = _counts()
    factor = pd.Series(1, index=counts.index)
    factor["books"] = chapters
    split = counts.assign(docs=counts["docs"] * factor)
    return float(uniform_by_document(split).to_tokens(split)["books"])


def _chapters_outcome() -> str:
    before, after = _books_share(1), _books_share(PREDICT_CHAPTERS)
    if abs(after - before) <= 1e-9:
        return "a"
    if after > before:
        return "d"
    return "b" if before / after >= 0.85 * PREDICT_CHAPTERS else "c"


def _books_epochs() -> float:
    from mixlab.budget import epochs_from_weights
    from mixlab.mixers import uniform_by_document

    w = uniform_by_document(_counts()).to_tokens(_counts())
    return float(epochs_from_weights(w, BUDGET, _counts())["books"])


def _compare_books_epochs(answer: Any, expected: float) -> Verdict:
    from mixlab.mixers import uniform_by_document

    try:
        a = read_number(answer, "the epochs of books")
    except Unreadable as exc:
        return unreadable(exc)
    as_token_weight = BUDGET / len(_counts()) / float(_counts()["tokens"]["books"])
    if abs(a - as_token_weight) <= 1e-3 * as_token_weight:
        return wrong(f"Epochs of books = {a:.6g} is not right.",
                     ["You used the document weight 1/k as if it were books' share of the tokens: convert "
                      "uniform by document to token weights first (w_i ∝ t̄_i)."])
    w = uniform_by_document(_counts()).to_tokens(_counts())
    return compare_epochs(a, w, BUDGET, _counts(), domain="books", rtol=1e-3)


def _compare_ten_chapters(answer: Any, expected: float) -> Verdict:
    today = _books_share(1)
    slips = {
        "That is books' share today: the tokens did not change, but uniform by document follows the *mean length*, "
        "which is divided by the number of chapters.": today,
        f"Dividing today's share by {CHAPTERS} forgets that the shares are renormalized: books' mean length falls, "
        "and every other domain's share rises with the new total.": today / CHAPTERS,
    }
    return compare_number(answer, expected, rtol=1e-3, what="token share of books", slips=slips,
                          hints=["Only books' mean length changes (it is divided by the number of chapters); "
                                 "recompute w_i = t̄_i / Σ_j t̄_j."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="3.1/books-in-chapters",
        title="Cut the books into chapters",
        minutes=2,
        statement=f"Suppose every book were stored as {PREDICT_CHAPTERS} chapter records: books then has "
                  f"{PREDICT_CHAPTERS} times as many documents and exactly the same tokens. Before running the "
                  "next cell, predict what happens to books' share of the training **tokens** under uniform by "
                  "document (today's share is printed in section 2).",
        options={"a": "nothing: the tokens did not change",
                 "b": f"it falls about {PREDICT_CHAPTERS}-fold, in proportion to the mean length",
                 "c": f"it falls, but by much less than {PREDICT_CHAPTERS}-fold",
                 "d": "it rises: books now has many more documents to draw"},
        answer=_chapters_outcome,
        explanation="Uniform by document gives token shares w_i = t̄_i / Σ_j t̄_j. Books' mean length is divided "
                    "by the number of chapters, but so is its own term in the denominator, and books dominates "
                    "that sum today: the other domains' shares rise as books' falls, so books' share drops by a "
                    "smaller factor than its mean length. The next cell shows the numbers.",
    ),
    ImplementExercise(
        id="3.1/implement-implied-token-shares",
        title="Write the token shares of uniform by document",
        minutes=10,
        statement="Write `implied_token_shares(docs, tokens)`. Both arguments are pandas Series keyed by domain: "
                  "the documents $N_i$ and the tokens $T_i$ of each domain (like `stats[\"docs\"]` and "
                  "`stats[\"tokens\"]`). Return the token weights that uniform by document "
                  "($w^{doc}_i = 1/k$) delivers, as a Series (or dict) keyed by domain, without calling "
                  "`mixlab.mixers` or `Mixture.to_tokens`.",
        task=IMPLIED_TOKEN_SHARES,
    ),
    ComputeExercise(
        id="3.1/books-epochs-at-1m",
        title="How often is each book read?",
        minutes=4,
        statement=f"Under uniform by document with a budget of $B$ = {BUDGET:,} tokens, how many epochs of the "
                  "books domain does training go through? (Work from `stats`.)",
        reference=_books_epochs,
        compare=_compare_books_epochs,
    ),
    ComputeExercise(
        id="3.1/books-share-ten-chapters",
        title="Ten chapters per book",
        minutes=4,
        statement=f"If every book were stored as {CHAPTERS} chapters (books has {CHAPTERS} times as many documents "
                  "and the same tokens), what share of the training **tokens** would books get under uniform by "
                  "document? Give a number between 0 and 1.",
        reference=lambda: _books_share(CHAPTERS),
        compare=_compare_ten_chapters,
        decimals=4,
    ),
]
