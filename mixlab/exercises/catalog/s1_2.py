"""Exercises of 1.2 (not all tokens have equal value): a prediction, a function, three values.

Every reference answer is computed here with mixlab from the notebook's world
(``generate_world("default", seed=0)``) or from the objects the check cell passes (``train``,
the marginal-value table ``curve``); the prediction's letter is the quality filter's outcome on
that world, which ``tests/test_exercises_chapter1.py`` recomputes.

Used in: 1.2.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.given import GivenComputeExercise
from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_data import ACCEPTANCE_RATES
from mixlab.exercises.verdicts import Verdict

SECTION = "1.2"

#: The stricter quality threshold of the compute exercise.
STRICT_THRESHOLD = 0.5
#: Unique tokens and epochs of the repetition exercise.
UNIQUE_TOKENS = 100e9
EPOCHS = 4
#: The option of the prediction the quality filter bears out (see the module docstring).
FILTER_ANSWER = "c"
#: The marginal-value experiment of section 8: upweighted domains, their shares, the seeds.
MARGINAL_DOMAINS = ("code", "books")
MARGINAL_SHARES = (0.05, 0.1, 0.2, 0.4)
MARGINAL_SEEDS = range(5)
#: The column of ``curve`` that holds the loss drop per 1,000 extra tokens.
DROP = "drop per 1k tokens"


def _train(train: Any = None) -> Any:
    return canonical_world().train if train is None else train


def _strict_drop(train: Any = None) -> float:
    from mixlab.filters import quality_filter

    return 1.0 - quality_filter(_train(train), STRICT_THRESHOLD).row.a_tok


def _compare_strict(answer: Any, expected: float) -> Verdict:
    plain = compare_number(answer, expected, rtol=1e-3, what="share of tokens dropped")
    if plain.ok or not plain.answered:  # the slips below refilter the corpus: only for a wrong answer
        return plain
    from mixlab.filters import quality_filter

    row = quality_filter(_train(), STRICT_THRESHOLD).row
    return compare_number(answer, expected, rtol=1e-3, what="share of tokens dropped", slips={
        "That is the share of documents dropped; the question asks for tokens (1 − a_tok).": 1 - row.a_doc,
        "That is the share of tokens kept (a_tok); the question asks for the share dropped, 1 − a_tok.": row.a_tok,
    }, hints=["Dropped share = 1 − a_tok, with a_tok = tokens kept / tokens in."])


def _four_epochs() -> float:
    from mixlab.budget import effective_tokens

    return float(effective_tokens(UNIQUE_TOKENS, EPOCHS - 1))


def _compare_four_epochs(answer: Any, expected: float) -> Verdict:
    from mixlab.budget import effective_tokens

    return compare_number(answer, expected, rtol=1e-3, what="effective fresh tokens", unit="tokens", slips={
        "R counts the repetitions after the first pass: four epochs are R = 3, not 4.":
            float(effective_tokens(UNIQUE_TOKENS, EPOCHS)),
        "That is the number of tokens seen (epochs × U); the law says what they are worth.": EPOCHS * UNIQUE_TOKENS,
    }, hints=["D' = U + U R* (1 − exp(−R / R*)) with R = epochs − 1 (mixlab.budget.effective_tokens)."])


def marginal_curve(world: Any) -> pd.DataFrame:
    """Section 8's table: mean tokens, loss and loss drop per 1,000 extra tokens per (domain, share).

    Parameters
    ----------
    world : mixlab.world.World
        The lesson's world.

    Returns
    -------
    pandas.DataFrame
        Index (``upweighted``, ``weight``); columns ``tokens``, ``loss`` and :data:`DROP`, each
        the mean over :data:`MARGINAL_SEEDS`, as the notebook computes it.

    Used in: 1.2 (the reference of the marginal-value exercise, when no table is passed).
    """
    from mixlab.domains import domain_stats
    from mixlab.mixers import proportional
    from mixlab.proxy import PROXY, sweep

    base = proportional(domain_stats(world.train))
    grid = {f"{d}@{s}": base.with_share(d, s) for d in MARGINAL_DOMAINS for s in MARGINAL_SHARES}
    runs = sweep(world, grid, PROXY, seeds=MARGINAL_SEEDS, progress=False)
    runs["upweighted"] = runs["mixture"].str.split("@").str[0]
    own = runs[runs["domain"] == runs["upweighted"]].copy()
    steps = own.groupby(["upweighted", "seed"], sort=False)
    own[DROP] = -steps["loss"].diff() / steps["tokens"].diff() * 1000
    return own.groupby(["upweighted", "weight"], sort=False)[["tokens", "loss", DROP]].mean()


def _ratio(curve: pd.DataFrame | None = None) -> float:
    table = curve if curve is not None else cached("1.2:curve", lambda: marginal_curve(canonical_world()))
    drop = table.xs("code", level="upweighted")[DROP]
    return float(drop.loc[0.1] / drop.loc[0.4])


def _compare_ratio(answer: Any, expected: float) -> Verdict:
    return compare_number(answer, expected, rtol=2e-2, what="ratio of marginal values",
                          hints=["Divide the drop per 1k tokens at weight 0.1 by the one at weight 0.4 (the drops, "
                                 "not the losses; `curve` holds them unrounded)."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="1.2/tokens-a-filter-drops",
        title="What share of the tokens does the filter drop?",
        minutes=2,
        statement="The quality filter below drops every document that scores below the dashed "
                  "threshold. It drops only a small share of the **documents**. Before running it, predict what "
                  "share of the training **tokens** it drops.",
        options={"a": "about the same small share: a dropped document is one document in either view",
                 "b": "a smaller share still: low scores go to short, thin documents",
                 "c": "several times that share, roughly a third of the tokens: the dropped documents are long",
                 "d": "nearly all the tokens"},
        answer=FILTER_ANSWER,
        explanation="The filter mostly drops junk, and junk documents are long (section 1 measured them several "
                    "times longer than clean ones). Each dropped document takes its length with it, so the token "
                    "view loses several times the share the document view loses: the next cell counts both.",
    ),
    ImplementExercise(
        id="1.2/implement-acceptance-rates",
        title="Write the two acceptance rates of a stage",
        minutes=8,
        statement="Write `acceptance_rates(n_tokens, kept)`. `n_tokens` is a numpy array with the length of every "
                  "document that entered a stage, `kept` a boolean array of the same length (True where the stage "
                  "kept the document). Return the pair `(a_doc, a_tok)`: the share of the documents kept, "
                  "$a_{doc} = n_{out} / n_{in}$, and the share of the tokens kept, "
                  "$a_{tok} = \\sum_{x \\in out} t_x / \\sum_{x \\in in} t_x$.",
        task=ACCEPTANCE_RATES,
    ),
    GivenComputeExercise(
        id="1.2/strict-threshold-token-drop",
        title="A stricter threshold",
        minutes=4,
        statement=f"Raise the quality threshold to **{STRICT_THRESHOLD}** and filter `train` again. What share of "
                  "all training **tokens** does the filter now drop? Give a fraction. Then compare it with the "
                  "share of documents it drops.",
        reference=_strict_drop,
        compare=_compare_strict,
        given=("train",),
        decimals=4,
    ),
    ComputeExercise(
        id="1.2/four-epochs-worth",
        title="What are four epochs worth?",
        minutes=4,
        statement="A team has $U$ = 100 billion unique tokens of code and trains on them for **4 epochs** in "
                  "total. By the data-constrained scaling law of section 9, how many fresh tokens is that worth? "
                  "Mind the difference between epochs and *repetitions* $R$.",
        reference=_four_epochs,
        compare=_compare_four_epochs,
    ),
    GivenComputeExercise(
        id="1.2/marginal-value-ratio",
        title="How fast does the value fall?",
        minutes=4,
        statement=f"In the marginal-value table `curve` of section 8, the code row at weight 0.1 holds the mean "
                  f"loss drop per 1,000 extra tokens (`{DROP}`) for the step from 15,000 to 30,000 code tokens, "
                  "and the row at weight 0.4 the step from 60,000 to 120,000. How many times more is an extra code "
                  "token worth in the first step than in the second? (If the value fell exactly like one over the "
                  "tokens already seen, the answer would be 4.)",
        reference=_ratio,
        compare=_compare_ratio,
        given=("curve",),
    ),
]
