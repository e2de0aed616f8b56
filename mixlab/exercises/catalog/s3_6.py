"""Exercises of 3.6 (the capstone): one prediction, one function to write, one value to compute.

Every reference answer is computed here, from the notebook's world (``generate_world("default",
seed=0)``) and run (B = 6 million tokens, E_max = 4 epochs), or from Student's t, never typed.

Used in: 3.6.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_stats import PAIRED_INTERVAL
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

SECTION = "3.6"

#: The run of the notebook (its B and E_MAX).
BUDGET = 6_000_000
MAX_EPOCHS = 4.0
#: Alice's raw values and rationale (3.4), rebuilt by the notebook.
ALICE_RAW = {"web": 3.0, "books": 2.0, "code": 2.0, "math": 1.5, "wiki": 1.5, "forum": 1.0}
#: The family of the compute exercise: FAMILY_M comparisons over FAMILY_N seeds at level FAMILY_ALPHA.
FAMILY_M = 10
FAMILY_N = 5
FAMILY_ALPHA = 0.05


def _stats() -> pd.DataFrame:
    from mixlab.domains import domain_stats

    return cached("3.6:stats", lambda: domain_stats(canonical_world().train))


def _baselines() -> dict[str, Mixture]:
    """The six baselines of the notebook, as token weights."""
    from mixlab.budget import caps_from_epochs
    from mixlab.mixers import proportional, temperature, uniform_by_document, uniform_by_token, unimax
    from mixlab.simplex import project_capped_simplex

    stats = _stats()
    caps = caps_from_epochs(stats, BUDGET, MAX_EPOCHS)
    alice = project_capped_simplex(Mixture.normalized(ALICE_RAW, domains=list(stats.index)).weights, caps)
    return {"uniform by doc": uniform_by_document(stats).to_tokens(stats), "uniform by token": uniform_by_token(stats),
            "proportional": proportional(stats), "hand-tuned (Alice)": Mixture(alice),
            "temperature alpha=0.3": temperature(stats, alpha=0.3), "UniMax": unimax(stats, BUDGET, MAX_EPOCHS)}


def _cap_breakers() -> str:
    from mixlab.budget import budget_table

    over = sum(bool(budget_table(m, BUDGET, _stats(), MAX_EPOCHS)["over_cap"].any()) for m in _baselines().values())
    return "abcde"[min(over, 4)]


def _holm_first_step() -> float:
    from mixlab.stats import t_critical

    return t_critical(FAMILY_N, FAMILY_ALPHA / FAMILY_M)


def _compare_holm(answer: Any, expected: float) -> Verdict:
    from scipy.special import ndtri, stdtrit  # normal and Student's t quantiles

    m, n, a = FAMILY_M, FAMILY_N, FAMILY_ALPHA
    slips = {
        "That is the uncorrected critical value t_{0.975, n−1}; Holm tests the smallest p-value at level α/m.":
        float(stdtrit(n - 1, 1 - a / 2)),
        "That is the normal quantile; with n seeds the paired t statistic has n − 1 degrees of freedom.":
        float(ndtri(1 - a / (2 * m))),
        "You used n degrees of freedom; a paired comparison over n seeds has n − 1.":
        float(stdtrit(n, 1 - a / (2 * m))),
        "That is a one-sided level: the test is two-sided, so each tail gets α/(2m).":
        float(stdtrit(n - 1, 1 - a / m)),
    }
    return compare_number(answer, expected, rtol=1e-3, what="the critical |t|", slips=slips,
                          hints=["scipy.stats.t.ppf(1 - alpha / (2 * m), n - 1), or mixlab.stats.t_critical(n, "
                                 "alpha / m)"])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="3.6/how-many-break-the-cap",
        title="How many baselines break the cap?",
        minutes=2,
        statement="The run reads $B$ = 6 million tokens, about two passes over the corpus, with at most "
                  "$E_{\\max} = 4$ epochs per domain (the caps of 2.5). Before running the next cells, predict: how "
                  "many of the six baselines read some domain more than 4 times?",
        options={"a": "none", "b": "one", "c": "two", "d": "three", "e": "four or more"},
        answer=_cap_breakers,
        explanation="Uniform by document hands the long books most of the tokens; uniform by token and the "
                    "α = 0.3 temperature both lift books and math above four passes (3.2, 3.5). Proportional reads "
                    "every domain equally often (about twice), Alice's mixture was projected onto the caps (3.4) "
                    "and UniMax respects them by construction (3.5). The budget table below counts them.",
    ),
    ImplementExercise(
        id="3.6/implement-paired-interval",
        title="Write the paired comparison",
        minutes=12,
        statement="Write `paired_interval(a, b)`. `a` and `b` are pandas Series of one objective's value for two "
                  "mixtures, indexed by the same seeds (not necessarily in the same order). Return a tuple "
                  "`(mean_diff, low, high)`: the mean of the seed-by-seed differences $d_s = a_s - b_s$ and its 95 % "
                  "t interval, $\\bar d \\mp t_{0.975,\\,n-1}\\, s_d / \\sqrt n$ with $s_d$ the sample standard "
                  "deviation. `scipy.stats.t.ppf(q, df)` (or the lighter `scipy.special.stdtrit(df, q)`) gives the "
                  "quantile; do not use `mixlab.stats`.",
        task=PAIRED_INTERVAL,
    ),
    ComputeExercise(
        id="3.6/holm-critical-t",
        title="How strict is Holm with five seeds?",
        minutes=4,
        statement=f"A family of $m = {FAMILY_M}$ paired comparisons, each over $n = {FAMILY_N}$ seeds, at "
                  f"family-wise level $\\alpha = {FAMILY_ALPHA}$ (two-sided). Holm's correction tests the "
                  "comparison with the smallest p-value first, at level $\\alpha / m$. How large must its $|t|$ be to "
                  "count as a difference? Compare it with the uncorrected value for five seeds.",
        reference=_holm_first_step,
        compare=_compare_holm,
    ),
]
