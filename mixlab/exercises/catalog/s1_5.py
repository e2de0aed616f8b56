"""Exercises of 1.5 (DataComp, DoReMi and data mixing laws context): one prediction, one function, one value.

The reference answers are computed here with mixlab (DoReMi's update, the notebook's world: the
web, code and math domains of ``default`` at half size, seed 0) or from the law the exercise
states, never typed.

Used in: 1.5.
"""

from __future__ import annotations

import math
from typing import Any

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise
from mixlab.exercises.tasks_methods import DOREMI_STEP
from mixlab.exercises.verdicts import Verdict

SECTION = "1.5"

#: The neighbourhood of the grid optimum in which the predictions are judged (TV radius).
NEAR = 0.2
#: The colleague's mixing-law row for math (another gauge: the θ do not sum to zero).
GAUGE_B = 0.05
GAUGE_THETA = {"web": 2.95, "code": 3.14, "math": -2.28}
#: RegMix's settings in the notebook (fewer runs and candidates than ``default_settings``, for time).
#: RegMix as the notebook runs it (runs, candidates).
REGMIX_RUNS, REGMIX_CANDIDATES = 24, 5_000
#: Options of the prediction.
AS_WELL, MUCH_WORSE, PERFECT = "a", "b", "c"


def accuracy_answer() -> str:
    """The right letter of the prediction, measured as the notebook does (grid and RegMix, 90 runs).

    The exercise states the letter this returns (the lesson cannot afford to run both searches a
    second time); tests/test_predict_answers.py checks that they agree.
    """
    from mixlab.agreement import near_optimum_accuracy
    from mixlab.exercises.catalog.s1_3 import lesson_world
    from mixlab.methods import default_settings
    from mixlab.optimizers import grid_search
    from mixlab.proxy import PROXY
    from mixlab.regmix import regmix

    world = lesson_world()  # the same world as 1.3
    settings = default_settings(len(world.domains))
    grid = grid_search(world, "uniform", PROXY, seed=0, progress=False, **settings["grid"])
    rm = regmix(world, "uniform", PROXY, seed=0, progress=False, n_runs=REGMIX_RUNS, n_candidates=REGMIX_CANDIDATES)
    domains = list(world.domains)
    predicted = rm.details["model"].predict(grid.history[domains].to_numpy())
    table = near_optimum_accuracy(grid.history, grid.history["objective"], predicted, grid.mixture, NEAR)
    everywhere, near = table["spearman"].iloc[0], table["spearman"].iloc[1]
    if near >= 0.999:
        return PERFECT
    return AS_WELL if near >= everywhere - 0.05 else MUCH_WORSE


def _gauge_b() -> float:
    return GAUGE_B * math.exp(sum(GAUGE_THETA.values()) / len(GAUGE_THETA))


def _compare_gauge(answer: Any, expected: float) -> Verdict:
    mean = sum(GAUGE_THETA.values()) / len(GAUGE_THETA)
    slips = {
        "You kept b: shifting every θ_j by the same s multiplies exp(Σ_j θ_j w_j) by e^s (the weights sum to 1), "
        "so b must be divided by e^s for the predictions to stay the same.": GAUGE_B,
        "Wrong direction: subtracting the mean m from every θ_j divides the exponential by e^m, so b must be "
        "multiplied by e^m.": GAUGE_B * math.exp(-mean),
        "You used the sum of the θ_j; the shift that makes them sum to zero is their mean.":
            GAUGE_B * math.exp(sum(GAUGE_THETA.values())),
    }
    return compare_number(answer, expected, rtol=1e-3, what="the value of b in the gauge Σ θ = 0", slips=slips)


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="1.5/accuracy-near-the-optimum",
        title="A good fit, where it matters?",
        minutes=2,
        statement="The grid's 66 runs are mixtures that neither the mixing law nor the RegMix regression ever "
                  "saw, and over all of them RegMix's predictions rank the mixtures well (the ρ printed above). "
                  f"Among the grid points close to the grid optimum (total variation distance ≤ {NEAR}), how well "
                  "will the regression's predictions rank them?",
        options={
            AS_WELL: "about as well as over all 66: a good fit is a good fit",
            MUCH_WORSE: "clearly worse: near the optimum the mixtures differ by hundredths of a nat, about the "
                        "size of the regression's errors",
            PERFECT: "perfectly: the optimum is where the regression has seen the most training runs",
        },
        answer=MUCH_WORSE,  # what accuracy_answer() measures (checked by tests/test_predict_answers.py)
        explanation="A rank correlation over the whole simplex is carried by the lopsided mixtures: starving a "
                    "domain costs nats, so any reasonable predictor puts those mixtures last. Near the optimum "
                    "the mixtures differ by a few hundredths of a nat, the same size as the regression's errors, "
                    "and that is where the method makes its choice. The next cells measure both.",
    ),
    ImplementExercise(
        id="1.5/implement-doremi-step",
        title="Write the DoReMi weight update",
        minutes=12,
        statement="Write `doremi_update(w, excess, eta, eps)`. `w` (the current domain weights $w_{t-1}$, on the "
                  "simplex) and `excess` (the clipped per-domain excess losses $\\lambda_t \\ge 0$) are pandas "
                  "Series keyed by domain; `eta` is the step size $\\eta$ and `eps` the smoothing $\\varepsilon$. "
                  "Return the new weights $w_t$ as a Series keyed by domain: the step in log space "
                  "$\\log w_{t-1} + \\eta \\lambda_t$, normalized to sum to 1, then mixed with uniform, "
                  "$(1 - \\varepsilon)\\, w'_t + \\varepsilon / k$ for $k$ domains (section 2). Use numpy or "
                  "pandas, not `doremi_step`.",
        task=DOREMI_STEP,
    ),
    ComputeExercise(
        id="1.5/mixing-law-gauge",
        title="Change the gauge of a mixing law",
        minutes=5,
        statement=f"A colleague fitted the data mixing law to the math domain and reports $b = {GAUGE_B}$ and "
                  f"$\\theta$ = `{GAUGE_THETA}`, in a gauge where the $\\theta_j$ do not sum to zero. Write the same "
                  "law in the course's gauge, $\\sum_j \\theta_j = 0$, so that every prediction stays the same: "
                  "what is $b$ then?",
        reference=_gauge_b,
        compare=_compare_gauge,
        decimals=4,
    ),
]
