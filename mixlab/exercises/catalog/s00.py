"""Exercises of 00 (course map): one of each kind, on the two views of the synthetic world.

Every reference answer is computed here with mixlab from the course's world
(``generate_world("default", seed=0)``) or from the ``summary`` table the check cell passes.

Used in: 00.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.given import GivenComputeExercise
from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import Exercise, canonical_world
from mixlab.exercises.tasks_counts import TWO_VIEWS
from mixlab.exercises.verdicts import Verdict

SECTION = "00"

#: The options of the prediction: upper end of each band of books' token share (the last is open).
BOOKS_BANDS = {"a": 0.01, "b": 0.15, "c": 0.5, "d": 1.0}


def _books_band() -> str:
    """The option whose band holds books' share of the training tokens of the course's world."""
    tokens = canonical_world().train.token_counts()
    share = float(tokens["books"] / tokens.sum())
    return next(letter for letter, upper in BOOKS_BANDS.items() if share < upper)


def _summary(summary: pd.DataFrame | None) -> pd.DataFrame:
    return canonical_world().summary() if summary is None else summary


def _clean_tokens(summary: pd.DataFrame | None) -> pd.Series:
    s = _summary(summary)
    return (s["tokens"] * (1 - s["junk_token_share"])).astype(float)


def _web_after_junk(summary: pd.DataFrame | None = None) -> float:
    clean = _clean_tokens(summary)
    return float(clean["web"] / clean.sum())


def _compare_web_after_junk(answer: Any, expected: float) -> Verdict:
    plain = compare_number(answer, expected, rtol=1e-3, what="web's share of the clean tokens")
    if plain.ok or not plain.answered:  # the slips below need the world's table: only for a wrong answer
        return plain
    s = _summary(None).astype({"tokens": float, "docs": float, "junk_docs": float})
    clean = _clean_tokens(None)
    clean_docs = s["docs"] - s["junk_docs"]
    return compare_number(answer, expected, rtol=1e-3, what="web's share of the clean tokens", slips={
        "That is web's share before the filter; remove the junk tokens of every domain first.":
            float(s["token_share"]["web"]),
        "You divided by all the tokens; after the filter only the clean tokens are left, so divide by their "
        "total.": float(clean["web"] / s["tokens"].sum()),
        "That is the share of web's own tokens that survive; the question asks for web's share of everything "
        "that survives.": float(1 - s["junk_token_share"]["web"]),
        "That is web's share of the clean *documents*; the question asks for tokens.":
            float(clean_docs["web"] / clean_docs.sum()),
    }, hints=["Clean tokens of a domain = tokens × (1 − junk_token_share); then web's clean tokens over the total."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="00/books-token-share",
        title="Books in the token view",
        minutes=2,
        statement="Books are the rarest domain by documents (the cell above counts them). Before the next cell "
                  "shows the token view, predict: what share of the training **tokens** are books?",
        options={"a": "under 1 %, the same as their share of the documents",
                 "b": "between 1 % and 15 %",
                 "c": "between 15 % and 50 %",
                 "d": "more than half: books are long"},
        answer=_books_band,
        explanation="A domain's token share is its document share times its mean length over the corpus's mean "
                    "length. A book is several thousand tokens long, many times the average document, so books' "
                    "token share is many times their document share, but still a small part of the corpus: "
                    "compare `doc_share` with `token_share` in the next table.",
    ),
    ImplementExercise(
        id="00/implement-two-views",
        title="Write the two views",
        minutes=8,
        statement="Write `two_views(domain, n_tokens)`. Both arguments are pandas Series with one entry per "
                  "document: its domain label and its length in tokens. Return a DataFrame indexed by domain "
                  "with two columns: `doc_share`, the domain's share of the documents, and `token_share`, its "
                  "share of the tokens. (Try it on `world.train.docs[\"domain\"]` and "
                  "`world.train.docs[\"n_tokens\"]` and compare with the table above.)",
        task=TWO_VIEWS,
    ),
    GivenComputeExercise(
        id="00/web-share-after-junk",
        title="The natural mixture after a perfect junk filter",
        minutes=4,
        statement="Suppose a filter could remove exactly the junk documents: all of them, in every domain, and "
                  "nothing else. What share of the remaining training **tokens** would be web? Use the columns "
                  "`tokens` and `junk_token_share` of `summary` and give a fraction.",
        reference=_web_after_junk,
        compare=_compare_web_after_junk,
        given=("summary",),
        decimals=4,
    ),
]
