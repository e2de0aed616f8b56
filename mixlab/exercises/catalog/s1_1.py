"""Exercises of 1.1 (mixture weights determine the skill profile): a prediction, a function, two values.

Every reference answer is computed here with mixlab from the notebook's world
(``generate_world("default", seed=0)``) or from the ``stats`` table the check cell passes; the
prediction's letter is the outcome of the budget sweep of section 6, which
``tests/test_exercises_chapter1.py`` recomputes (too slow to rerun inside the lesson).

Used in: 1.1.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.budgets import compare_epochs
from mixlab.exercises.given import GivenComputeExercise
from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.mixtures import compare_mixture
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import Exercise, canonical_world
from mixlab.exercises.tasks_counts import TOKEN_SPLIT
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

SECTION = "1.1"

#: The books/wiki-heavy mixture of the lesson (section 2), as the notebook builds it.
BOOKS_WIKI_HEAVY = {"web": 0.15, "books": 0.30, "code": 0.05, "math": 0.05, "wiki": 0.30, "forum": 0.15}
#: Math's share in the maths-heavy exercise.
MATH_SHARE = 0.4
#: The option of the prediction that the budget sweep of section 6 bears out (see the module docstring).
TEN_TIMES_ANSWER = "b"


def _counts(stats: pd.DataFrame | None) -> pd.DataFrame:
    """The notebook's ``stats`` table, or the same table from the canonical world."""
    if stats is not None:
        return stats
    from mixlab.domains import domain_stats

    return domain_stats(canonical_world().train)


def _maths_heavy(stats: pd.DataFrame | None = None) -> Mixture:
    tokens = _counts(stats)["tokens"].astype(float)
    rest = tokens.drop("math")
    weights = {str(d): float(w) for d, w in ((1 - MATH_SHARE) * rest / rest.sum()).items()}
    return Mixture({**weights, "math": MATH_SHARE}, domains=[str(d) for d in tokens.index])


def _compare_maths_heavy(answer: Any, expected: Mixture) -> Verdict:
    plain = compare_mixture(answer, expected)
    if plain.ok or not plain.answered:  # the slips below need the world's counts: only for a wrong answer
        return plain
    domains = list(expected.domains)
    counts = _counts(None)
    others = [d for d in domains if d != "math"]
    docs = counts["docs"].drop("math")
    by_docs = {str(d): float(w) for d, w in ((1 - MATH_SHARE) * docs / docs.sum()).items()}
    return compare_mixture(answer, expected, slips=[
        (Mixture({**dict.fromkeys(others, (1 - MATH_SHARE) / len(others)), "math": MATH_SHARE}, domains=domains),
         "You split the other 60 % equally; split it in proportion to the token counts T_i."),
        (Mixture({**by_docs, "math": MATH_SHARE}, domains=domains),
         "You split the 60 % by document counts N_i; the statement asks for token counts T_i."),
    ], hints=["The five other weights sum to 0.6 and keep the ratios of their token counts."])


def _books_epochs(stats: pd.DataFrame | None = None) -> float:
    from mixlab.proxy import TARGET

    return BOOKS_WIKI_HEAVY["books"] * TARGET.budget / float(_counts(stats)["tokens"]["books"])


def _compare_books_epochs(answer: Any, expected: float) -> Verdict:
    from mixlab.proxy import TARGET

    plain = compare_number(answer, expected, rtol=1e-3, what="epochs of books")
    if plain.ok or not plain.answered:  # the slips below need the world's counts: only for a wrong answer
        return plain
    return compare_epochs(answer, BOOKS_WIKI_HEAVY, TARGET.budget, _counts(None), domain="books", rtol=1e-3,
                          hints=["Epochs are the tokens drawn from books, w_books · B, over the tokens books has."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="1.1/what-ten-times-the-tokens-buys",
        title="What do ten times the tokens buy?",
        minutes=2,
        statement="Every skill profile above sits well above its floor. The next cells train the same proxy "
                  "(same 128 context buckets) on the proportional mixture with about **ten times the tokens**, five "
                  "seeds each, and measure the excess $L_j - L_j^*$ on every domain. Before running them, "
                  "predict what ten times the tokens do to the excess.",
        options={"a": "it shrinks on every domain, by half or more: a shortage of tokens is what keeps the proxy "
                      "above the floor",
                 "b": "it shrinks by a small fraction of the gap on some domains and moves by no more than the noise "
                      "on others: most of the gap is not a shortage of tokens",
                 "c": "it does not move at all on any domain: the proxy has already seen all it can use",
                 "d": "it grows on every domain: more web tokens crowd out the other domains"},
        answer=TEN_TIMES_ANSWER,
        explanation="At this capacity most of the gap is not estimation error. 128 context buckets cannot hold "
                    "every domain's transitions, and a bucket shared by several domains learns a blend of their "
                    "statistics; more tokens sharpen the estimate of that blend, not the blend itself. The "
                    "table below gives each domain's change with its interval, and a model with more context "
                    "buckets on the original budget shows where the gap really is.",
    ),
    ImplementExercise(
        id="1.1/implement-token-split",
        title="Split a token budget into whole tokens",
        minutes=10,
        statement="Write `token_split(weights, budget)`. `weights` is a pandas Series of token weights keyed by "
                  "domain (summing to 1) and `budget` an integer $B$. Return the whole number of tokens each domain "
                  "supplies, as a Series (or dict) of integers keyed by domain that sums **exactly** to $B$: take "
                  "$\\lfloor w_i B \\rfloor$ for every domain, then give the tokens still missing one each to the "
                  "domains with the largest fractional parts $w_i B - \\lfloor w_i B \\rfloor$ (on a tie, the domain "
                  "listed first). This is the split `train_proxy` reads (section 3).",
        task=TOKEN_SPLIT,
    ),
    GivenComputeExercise(
        id="1.1/maths-heavy-mixture",
        title="A maths-heavy mixture",
        minutes=5,
        statement="Build the token mixture that gives **math 40 %** of the tokens and splits the remaining 60 % "
                  "among the other five domains *in proportion to their token counts* $T_i$ (the `tokens` column "
                  "of `stats`). Give a `Mixture` or a dict `{domain: weight}`.",
        reference=_maths_heavy,
        compare=_compare_maths_heavy,
        given=("stats",),
        decimals=4,
    ),
    GivenComputeExercise(
        id="1.1/books-epochs-at-target-budget",
        title="Epochs of books for a bigger model",
        minutes=4,
        statement="Lesson 1.4's *target* model trains on `TARGET.budget` tokens (`from mixlab.proxy import "
                  "TARGET`). If it used the books/wiki-heavy mixture of section 2, how many passes (epochs) over "
                  "the books domain would it make? Use the books weight of that mixture and `stats`.",
        reference=_books_epochs,
        compare=_compare_books_epochs,
        given=("stats",),
        decimals=4,
    ),
]
