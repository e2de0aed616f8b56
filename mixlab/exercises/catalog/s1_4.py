"""Exercises of 1.4 (proxy models): one prediction, one function to write, two values to compute.

The reference answers are computed here with mixlab (the course's ``TARGET`` and the default
world, seed 0, or the small table the regret exercise states), never typed.

Used in: 1.4.
"""

from __future__ import annotations

from typing import Any

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, canonical_world
from mixlab.exercises.tasks_mixtures import SPEARMAN
from mixlab.exercises.verdicts import Verdict

SECTION = "1.4"

#: The notebook's candidate mixtures: how many, and the seed that draws them.
N_CANDIDATES, CANDIDATE_SEED = 12, 0
#: The colleague's proxy of the compute exercise.
COLLEAGUE_BUCKETS, COLLEAGUE_BUDGET = 48, 150_000
#: The small study of the regret exercise: objective (nats/token) of five candidates under each model.
REGRET_PROXY = {"a": 4.2120, "b": 4.1833, "c": 4.2481, "d": 4.1950, "e": 4.3022}
REGRET_TARGET = {"a": 3.3391, "b": 3.4295, "c": 3.3008, "d": 3.3567, "e": 3.4410}
#: Options of the prediction.
REACHES_CEILING, STAYS_BELOW, FLAT = "a", "b", "c"


def averaging_answer() -> str:
    """The right letter of the prediction, measured as the notebook does (about 70 proxy runs).

    The few-tokens proxy averaged over 1 and 4 runs (seeds 1–4) against one target run (seed 0),
    next to the noise ceiling (target seed 1 against seed 0). The exercise states the letter this
    returns (measuring it in the lesson would run every one of those proxies a second time);
    tests/test_predict_answers.py checks that they agree.
    """
    from mixlab.agreement import candidate_mixtures, rank_agreement
    from mixlab.proxy import PROXY, TARGET, sweep

    world = canonical_world()
    candidates = candidate_mixtures(world.train.domains, N_CANDIDATES, seed=CANDIDATE_SEED)

    def objective(config: Any, seeds: range) -> Any:
        runs = sweep(world, candidates, config, seeds=seeds, progress=False)
        return runs.groupby(["mixture", "seed"])["loss"].mean().unstack()

    target = objective(TARGET, range(2))
    few = objective(PROXY.with_(budget=30_000, name="few tokens"), range(1, 5))
    ceiling = rank_agreement(target[1], target[0]).spearman
    one, four = (rank_agreement(few[list(range(1, n + 1))].mean(axis=1), target[0]).spearman for n in (1, 4))
    if four >= ceiling - 0.03:
        return REACHES_CEILING
    return STAYS_BELOW if four > one + 0.02 else FLAT


def _params(buckets: int | None) -> int:
    from mixlab.agreement import n_parameters
    from mixlab.proxy import PROXY
    from mixlab.world import load_spec

    return n_parameters(PROXY.with_(buckets=buckets), load_spec("default").vocab_size)  # no world to generate


def _colleague_ratio() -> float:
    from mixlab.proxy import TARGET

    return COLLEAGUE_BUDGET * _params(COLLEAGUE_BUCKETS) / (TARGET.budget * _params(TARGET.buckets))


def _compare_ratio(answer: Any, expected: float) -> Verdict:
    from mixlab.proxy import TARGET

    slips = {
        "That is the token ratio D / D_target alone: compute is N_params · D, so the parameter ratio multiplies it.":
            COLLEAGUE_BUDGET / TARGET.budget,
        "That is the parameter ratio alone: compute is N_params · D, so the token ratio D / D_target multiplies it.":
            _params(COLLEAGUE_BUCKETS) / _params(TARGET.buckets),
    }
    return compare_number(answer, expected, rtol=1e-3, what="the compute ratio", slips=slips,
                          hints=["N_params = M (V − 1) free parameters for M context buckets; C ≈ 6 N_params D, "
                                 "and the 6 cancels."])


def _regret() -> float:
    import pandas as pd

    from mixlab.agreement import rank_agreement

    return float(rank_agreement(pd.Series(REGRET_PROXY), pd.Series(REGRET_TARGET)).regret)


def _compare_regret(answer: Any, expected: float) -> Verdict:
    pick = min(REGRET_PROXY, key=REGRET_PROXY.__getitem__)
    best = min(REGRET_TARGET, key=REGRET_TARGET.__getitem__)
    slips = {
        "That gap is measured in the proxy's own values; regret asks what the target loses, in the target's values.":
            REGRET_PROXY[best] - REGRET_PROXY[pick],
        "You compared the proxy's pick with the target's *worst* candidate; regret compares it with the target's "
        "best.": max(REGRET_TARGET.values()) - REGRET_TARGET[pick],
    }
    return compare_number(answer, expected, rtol=1e-3, what="the regret", unit="nats/token", slips=slips,
                          hints=["Regret = L_target(the proxy's favourite) − min over candidates of L_target."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="1.4/averaging-a-cheap-proxy",
        title="Average a cheap proxy",
        minutes=2,
        statement="Section 4 compared single runs. Now take the `few tokens` proxy (30,000 tokens, a tenth of "
                  "`PROXY`'s), average its objective over 1, 2 and 4 runs per candidate (seeds 1 to 4), and "
                  "compare each average with the same single target run (seed 0). Before the next cells run, "
                  "predict how its Spearman ρ with the target moves:",
        options={
            REACHES_CEILING: "it climbs to about the noise ceiling within four runs",
            STAYS_BELOW: "it climbs, but after four runs it is still well below the noise ceiling",
            FLAT: "it does not move: more runs of the same proxy add nothing",
        },
        answer=STAYS_BELOW,  # what averaging_answer() measures (checked by tests/test_predict_answers.py)
        explanation="Averaging n runs divides the run-to-run variance of each candidate's value by n, so the "
                    "average agrees better with the target run. But the ceiling is set by a rerun of the target, "
                    "which is far less noisy than a 30,000-token proxy, and four runs of such a proxy still leave "
                    "part of its noise; a bias shared by all its runs would also keep it below. Which of the two "
                    "holds it back is what the cells after the averaging table look at, over every pair of runs "
                    "the lesson has trained.",
    ),
    ImplementExercise(
        id="1.4/implement-spearman",
        title="Write the Spearman rank correlation",
        minutes=10,
        statement="Write `spearman_rho(proxy, target)`. Both arguments are pandas Series keyed by the same "
                  "candidate names: the objective (lower is better) that the proxy and the target give each "
                  "candidate, with no ties. Rank each Series (1 = lowest), take the rank differences $d_c$, and "
                  "return Spearman's $\\rho = 1 - 6 \\sum_c d_c^2 / (n (n^2 - 1))$ for $n$ candidates, as a "
                  "float. Use pandas or numpy, not scipy or `rank_agreement`.",
        task=SPEARMAN,
    ),
    ComputeExercise(
        id="1.4/colleague-compute-ratio",
        title="What would the colleague proxy cost?",
        minutes=4,
        statement=f"A colleague proposes a proxy with M = {COLLEAGUE_BUCKETS} context buckets trained on "
                  f"D = {COLLEAGUE_BUDGET:,} tokens, for the same vocabulary. What fraction of the target's "
                  "compute $C \\approx 6 N_{\\text{params}} D$ does one run of it cost? Give a fraction, not a "
                  "percentage.",
        reference=_colleague_ratio,
        compare=_compare_ratio,
        decimals=4,
    ),
    ComputeExercise(
        id="1.4/regret-by-hand",
        title="What does trusting the proxy cost?",
        minutes=4,
        statement=f"A small study scored five candidate mixtures with a proxy and with the target (objective in "
                  f"nats/token, lower is better): proxy `{REGRET_PROXY}`, target `{REGRET_TARGET}`. You train the "
                  "target on the proxy's favourite. What is the regret of that decision, in nats/token?",
        reference=_regret,
        compare=_compare_regret,
        decimals=4,
    ),
]
