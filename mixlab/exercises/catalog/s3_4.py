"""Exercises of 3.4 (hand-tuned weights): one prediction, one function to write, two values to compute.

Every reference answer is computed here from the notebook's world (``generate_world("default",
seed=0)``), its run (B = 6 million tokens, E_max = 4 epochs) and its proxy runs (``PROXY``,
seeds 0–4), never typed.

Used in: 3.4.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from mixlab.exercises.answers import read_domain_table
from mixlab.exercises.budgets import compare_feasible
from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_budget import CAPPED_WEIGHTS
from mixlab.exercises.verdicts import Verdict, wrong
from mixlab.mixture import Mixture

SECTION = "3.4"

#: The run the hand-tuned mixtures are for (the notebook's B and E_MAX).
BUDGET = 6_000_000
MAX_EPOCHS = 4.0
#: The proxy seeds of the notebook's comparison.
SEEDS = (0, 1, 2, 3, 4)
#: Alice's and Bob's raw slider values (the notebook's ``alice_raw`` and ``bob_raw``).
ALICE_RAW = {"web": 3.0, "books": 2.0, "code": 2.0, "math": 1.5, "wiki": 1.5, "forum": 1.0}
BOB_RAW = {"web": 2.0, "books": 1.0, "code": 3.0, "math": 2.0, "wiki": 1.0, "forum": 1.0}
#: The share the quality exercise asks books, math and wiki to reach together.
QUALITY_SHARE = 0.35
QUALITY_DOMAINS = ("books", "math", "wiki")


def _stats() -> pd.DataFrame:
    from mixlab.domains import domain_stats

    return cached("3.4:stats", lambda: domain_stats(canonical_world().train))


def _edited(raw: dict[str, float]) -> Mixture:
    """The mixture the editor makes of ``raw`` for the run (normalized, projected onto the caps)."""
    from mixlab.widgets import MixtureEditor

    editor = MixtureEditor(list(_stats().index), initial=raw, sizes=_stats(), budget=BUDGET, max_epochs=MAX_EPOCHS,
                           rationale="3.4 exercise reference")
    assert editor.mixture is not None
    return editor.mixture


def _comparisons() -> pd.DataFrame:
    """The notebook's comparison: Alice, Bob and proportional pairwise, three measures, one Holm family."""
    from mixlab.mixers import proportional
    from mixlab.proxy import PROXY, sweep
    from mixlab.verdicts import compare_runs

    def compute() -> pd.DataFrame:
        mixtures = {"hand-tuned (Alice)": _edited(ALICE_RAW), "hand-tuned (Bob)": _edited(BOB_RAW),
                    "proportional": proportional(_stats())}
        table = sweep(canonical_world(), mixtures, PROXY, seeds=SEEDS, progress=False)
        return compare_runs(table, all_pairs=True, measures=("worst_excess", "mean_excess", "worst_loss"))

    return cached("3.4:comparisons", compute)


def _which_measure() -> str:
    verdicts = _comparisons()["verdict"]
    excess = verdicts.loc[("worst_excess", "hand-tuned (Alice)", "proportional")]
    raw = verdicts.loc[("worst_loss", "hand-tuned (Alice)", "proportional")]
    if excess == "lower":
        return {"lower": "a", "within noise": "b", "higher": "c"}[raw]
    return "d" if raw == "lower" else "e"


def _largest_budget() -> float:
    """The largest B at which no normalized weight of Alice's breaks its cap: min_i E_max T_i / v_i."""
    v = Mixture.normalized(ALICE_RAW).weights
    tokens = _stats()["tokens"].loc[v.index]
    return float((MAX_EPOCHS * tokens / v).min())


def _compare_budget(answer: Any, expected: float) -> Verdict:
    stats = _stats()
    v = Mixture.normalized(ALICE_RAW).weights
    projected = _edited(ALICE_RAW).weights
    slips = {
        "You left out E_max: the cap allows E_max · T_i tokens of domain i, so B ≤ E_max T_i / v_i.": expected
        / MAX_EPOCHS,
        "You counted documents: the cap is on tokens, B ≤ E_max T_i / v_i with T_i the tokens of domain i.":
        float((MAX_EPOCHS * stats["docs"].loc[v.index] / v).min()),
        "That is the largest of the per-domain limits; every domain must stay within its cap, so take the "
        "smallest.": float((MAX_EPOCHS * stats["tokens"].loc[v.index] / v).max()),
        "You used the projected weights of the 6M run (they sit exactly at their caps there); use the normalized "
        "raw values v_i = r_i / Σ r_j.": float((MAX_EPOCHS * stats["tokens"].loc[v.index] / projected).min()),
    }
    return compare_number(answer, expected, rtol=1e-3, what="the largest budget", unit="tokens", slips=slips,
                          hints=["Domain i reaches its cap when v_i B / T_i = E_max."])


def _quality_reference() -> Mixture:
    return Mixture({"web": 0.25, "books": 0.11, "code": 0.2, "math": 0.12, "wiki": 0.16, "forum": 0.16})


def _compare_quality(answer: Any, expected: Mixture) -> Verdict:
    stats = _stats()
    verdict = compare_feasible(answer, stats, BUDGET, MAX_EPOCHS)
    if not verdict.ok:
        return verdict
    table = read_domain_table(answer, list(stats.index), "mixture weights")
    if isinstance(table, Verdict):
        return table
    share = float(table.loc[list(QUALITY_DOMAINS)].sum())
    if share < QUALITY_SHARE - 1e-9:
        return wrong(f"books + math + wiki get {share:.3f} of the tokens together, below {QUALITY_SHARE}.",
                     ["Raise the clean domains towards their caps and take the tokens from web, code or forum."])
    return Verdict(True, f"every domain is within E_max = {MAX_EPOCHS:g} epochs at B = {BUDGET:,}, and books + "
                   f"math + wiki get {share:.3f} of the tokens.")


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="3.4/worst-by-which-measure",
        title="Which measure of worst does Alice beat?",
        minutes=2,
        statement="Alice's mixture and the proportional one are each trained on the same five proxy seeds. Compare "
                  "them by two measures of \"worst\": the raw worst loss $\\max_j L_j$, and the course's worst excess "
                  "over the floor $\\max_j (L_j - L_j^*)$ (2.4), where $L_j^*$ is domain $j$'s floor. Before running "
                  "the next cells, predict the paired verdicts (Holm-corrected over the comparisons of the table):",
        options={"a": "Alice is clearly better under both measures",
                 "b": "Alice is clearly better under the worst excess; under the raw worst loss the difference is "
                      "within noise",
                 "c": "Alice is clearly better under the worst excess and clearly worse under the raw worst loss",
                 "d": "Alice is clearly better under the raw worst loss only",
                 "e": "no clear difference, or Alice clearly worse, under both"},
        answer=_which_measure,
        explanation="Alice lowers the losses of books and math, which proportional starves, and raises forum's, "
                    "which she down-weights. The raw maximum trades one high loss for another: forum's floor is among "
                    "the highest, so Alice's largest raw loss is forum's, about as high as proportional's largest. The "
                    "worst excess subtracts every floor first; then math, starved by proportional, is the worst "
                    "domain by a wide margin, and Alice's upweighting lowers it beyond the noise. The next cells show "
                    "both comparisons with their intervals.",
    ),
    ImplementExercise(
        id="3.4/implement-capped-weights",
        title="Write the renormalize-and-cap step",
        minutes=15,
        statement="Write `capped_weights(raw, caps)`. Both arguments are pandas Series keyed by domain: raw slider "
                  "values $r_i > 0$ and caps $u_i \\in (0, 1]$ with $\\sum_i u_i \\ge 1$. Return the mixture the "
                  "editor uses: first $v_i = r_i / \\sum_j r_j$, then the Euclidean projection onto the capped simplex "
                  "(2.5), $w_i = \\operatorname{clip}(v_i - \\tau, 0, u_i)$ with the one shift $\\tau$ that makes "
                  "$\\sum_i w_i = 1$ (find it by bisection). Use pandas or numpy, not `project_capped_simplex`.",
        task=CAPPED_WEIGHTS,
    ),
    ComputeExercise(
        id="3.4/largest-budget-without-projection",
        title="Until which budget is no projection needed?",
        minutes=5,
        statement=f"Alice's raw values `{json.dumps(ALICE_RAW)}` are projected at $B$ = 6 million tokens and left "
                  "as they are at 3 million. What is the **largest** budget $B$ (in tokens) at which her normalized "
                  f"weights break no cap of $E_{{\\max}} = {MAX_EPOCHS:g}$ epochs? Use the `stats` table.",
        reference=_largest_budget,
        compare=_compare_budget,
        decimals=0,
    ),
    ComputeExercise(
        id="3.4/quality-mixture-within-caps",
        title="Your own mixture for the run",
        minutes=5,
        statement="Write your own hand-tuned mixture for the run ($B$ = 6 million tokens, $E_{\\max} = 4$) that gives "
                  f"books, math and wiki together at least {QUALITY_SHARE:.0%} of the tokens, with no domain above 4 "
                  "epochs. Give a `Mixture` (for example from `hand_tuned`, with your rationale) or a dict.",
        reference=_quality_reference,
        compare=_compare_quality,
    ),
]
