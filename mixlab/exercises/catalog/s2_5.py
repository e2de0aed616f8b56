"""Exercises of 2.5 (token budget constraint): one prediction, two functions to write, three values to compute.

Every reference answer is computed here from the notebook's world (``generate_world("default",
seed=0)``) or from LLaMA-1's Table 1 (``mixlab.budget.llama1_table``), never typed.

Used in: 2.5.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.budgets import compare_feasible
from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_mixtures import EPOCH_CAP, EPOCHS
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

SECTION = "2.5"

#: The budget and cap of sections 2–5 (the projection the prediction is about).
BUDGET, MAX_EPOCHS = 6_000_000, 4
#: The stricter cap and the budget of the feasibility exercise.
STRICT_EPOCHS, STRICT_BUDGET = 3, 10_000_000
#: The budget of the repair exercise.
REPAIR_BUDGET = 8_000_000
#: The model size of the compute exercise (parameters).
SMALL_MODEL = 7e9


def _counts() -> pd.DataFrame:
    """Documents and tokens per domain of the notebook's training corpus (computed once)."""
    from mixlab.domains import domain_stats

    return cached("2.5:counts", lambda: domain_stats(canonical_world().train)[["docs", "tokens"]])


def _wiki_after_projection() -> str:
    from mixlab.budget import caps_from_epochs, project_capped_simplex
    from mixlab.mixers import uniform_by_token

    caps = caps_from_epochs(_counts(), BUDGET, MAX_EPOCHS)
    before = uniform_by_token(_counts()).weights
    after = pd.Series(project_capped_simplex(before, caps), index=before.index)
    if abs(after["wiki"] - caps["wiki"]) <= 1e-9:
        return "b"
    return "a" if abs(after["wiki"] - before["wiki"]) <= 1e-9 else ("c" if after["wiki"] < before["wiki"] else "d")


def _feasible_strict() -> bool:
    from mixlab.budget import caps_from_epochs

    return bool(caps_from_epochs(_counts(), STRICT_BUDGET, STRICT_EPOCHS).sum() >= 1)


def _compare_strict(answer: Any, expected: bool) -> Verdict:
    return compare_feasible(answer, _counts(), STRICT_BUDGET, STRICT_EPOCHS)


def _repaired() -> Mixture:
    from mixlab.budget import caps_from_epochs, project_capped_simplex
    from mixlab.mixers import uniform_by_token

    caps = caps_from_epochs(_counts(), REPAIR_BUDGET, MAX_EPOCHS)
    return Mixture(project_capped_simplex(uniform_by_token(_counts()).weights, caps))


def _compare_repair(answer: Any, expected: Mixture) -> Verdict:
    return compare_feasible(answer, _counts(), REPAIR_BUDGET, MAX_EPOCHS)


def _llama_unique_tokens() -> float:
    """Σ_i w_i B / e_i: the unique tokens LLaMA-1's shares and epochs imply."""
    from mixlab.budget import llama1_table

    t = llama1_table()
    return float((t["share"] * t.attrs["budget"] / t["epochs"]).sum())


def _largest_compute() -> float:
    from mixlab.budget import compute_from_tokens

    return compute_from_tokens(MAX_EPOCHS * _llama_unique_tokens(), SMALL_MODEL)


def _compare_compute(answer: Any, expected: float) -> Verdict:
    from mixlab.budget import llama1_table

    unique = _llama_unique_tokens()
    slips = {
        "You left out the 6 of C ≈ 6 N D (2 FLOPs per parameter and token forward, 4 backward).": expected / 6,
        "You used 1.4T, the tokens drawn in LLaMA-1's run; the sources hold only Σ w_i B / e_i unique tokens.":
            6 * SMALL_MODEL * MAX_EPOCHS * llama1_table().attrs["budget"],
        "You left out E_max: each unique token may be read up to 4 times, so D = E_max Σ T_i.": expected / MAX_EPOCHS,
        "That is the token budget D = E_max Σ T_i; turn it into compute with C = 6 N D.": MAX_EPOCHS * unique,
    }
    return compare_number(answer, expected, rtol=5e-3, what="largest compute", unit="FLOPs", slips=slips)


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="2.5/wiki-after-projection",
        title="Where does the surplus go?",
        minutes=2,
        statement="At $B$ = 6M tokens and $E_{\\max} = 4$, uniform by token breaks the caps of books and math; "
                  "wiki sits just under its cap (the table of section 3). Project the uniform mixture onto the "
                  "capped simplex. Before running the next cells, predict wiki's weight afterwards.",
        options={"a": "unchanged: wiki was within its cap, so the repair leaves it alone",
                 "b": "exactly at its cap: the surplus taken from books and math pushes it up until its cap binds",
                 "c": "lower than before: every weight is lowered by the same τ",
                 "d": "above its cap: it absorbs more of the surplus than it can hold"},
        answer=_wiki_after_projection,
        explanation="Books and math give up weight; the projection hands it out equally to the domains with "
                    "room, so wiki rises too, but only until it reaches its cap (0.1679): from there on it is "
                    "capped like books and math, and web, code and forum share the rest. A repair that only "
                    "looked at the domains that broke their caps would have pushed wiki over.",
    ),
    ImplementExercise(
        id="2.5/implement-epochs",
        title="Write the epochs of every domain",
        minutes=8,
        statement="Write `epochs_per_domain(weights, budget, sizes)`. `weights` is a pandas Series of token "
                  "weights keyed by domain (summing to 1), `budget` the token budget $B$, `sizes` a Series of "
                  "token counts $T_i$ keyed by the same domains. Return the epochs $e_i = w_i B / T_i$ as a "
                  "Series (or dict) keyed by domain, without calling `mixlab.budget`.",
        task=EPOCHS,
    ),
    ImplementExercise(
        id="2.5/implement-epoch-cap",
        title="Write the epoch-cap check",
        minutes=8,
        statement="Write `within_cap(weights, budget, sizes, max_epochs)`: the arguments of `epochs_per_domain` and "
                  "the cap $E_{\\max}$. Return `True` when every domain's epochs are at most $E_{\\max}$ and "
                  "`False` otherwise (a plain bool; `check_within_caps` raises instead, a different design for "
                  "a different job).",
        task=EPOCH_CAP,
    ),
    ComputeExercise(
        id="2.5/feasible-at-three-epochs",
        title="A stricter cap",
        minutes=3,
        statement=f"With a stricter cap of $E_{{\\max}} = {STRICT_EPOCHS}$, can *any* mixture of this world spend a "
                  f"budget of {STRICT_BUDGET:,} tokens? Answer `True` or `False` (work it out from `counts`).",
        reference=_feasible_strict,
        compare=_compare_strict,
    ),
    ComputeExercise(
        id="2.5/repair-at-eight-million",
        title="Repair a mixture at a larger budget",
        minutes=5,
        statement=f"At $B$ = {REPAIR_BUDGET:,} tokens and $E_{{\\max}} = {MAX_EPOCHS}$, uniform by token breaks "
                  "several caps. Give a mixture (a `Mixture` or a dict domain → weight) that spends this budget "
                  "without reading any domain more than 4 times, as close to uniform as you can.",
        reference=_repaired,
        compare=_compare_repair,
    ),
    ComputeExercise(
        id="2.5/largest-compute-7b",
        title="How much compute can the LLaMA-1 sources feed?",
        minutes=5,
        statement="Take the unique tokens LLaMA-1's Table 1 implies (`unique`, section 7) and a cap of "
                  f"$E_{{\\max}} = {MAX_EPOCHS}$ epochs per source. What is the largest compute $C$ (in FLOPs) a "
                  "7B-parameter model can spend on these sources without breaking the cap?",
        reference=_largest_compute,
        compare=_compare_compute,
    ),
]
