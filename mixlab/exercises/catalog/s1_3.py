"""Exercises of 1.3 (mixture as constrained optimization): one prediction, one function, two values.

Every reference answer is computed here from the notebook's world (the web, code and math
domains of ``default`` at half size, seed 0: :func:`lesson_world`), never typed.

Used in: 1.3.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached
from mixlab.exercises.tasks_mixtures import EG_STEP
from mixlab.exercises.verdicts import Verdict

SECTION = "1.3"

#: The notebook's three domains, its world scale and its repetition cap.
DOMAINS = ("web", "code", "math")
SCALE = 0.5
E_MAX = 4
#: The larger budget of section 5 and the mixture the prediction is about (the capped exponentiated-gradient
#: result there, to four decimals; math sits at its cap of E_MAX epochs at BIG_BUDGET).
BIG_BUDGET = 1_500_000
BUDGET_MIXTURE = {"web": 0.4160, "code": 0.3525, "math": 0.2315}
#: The grid of the first compute exercise: k domains at resolution r.
GRID_K, GRID_R = 12, 10
#: Options of the prediction.
FALLS_MOSTLY, FALLS_A_LITTLE, RISES = "a", "b", "c"


def lesson_world() -> Any:
    """The notebook's world: web, code and math of ``default`` at half size, seed 0 (built once)."""
    from mixlab.world import generate_world, load_spec

    spec = load_spec("default").select_domains(list(DOMAINS)).scaled(SCALE)
    return cached("1.3:world", lambda: generate_world(spec, seed=0))


#: Training tokens per domain of :func:`lesson_world` (the ``counts`` table of the notebook), stated in the
#: second compute exercise so that checking it needs no second world; tests/test_predict_answers.py checks
#: them against the world.
LESSON_TOKENS = {"web": 683_919, "code": 219_428, "math": 86_821}


def lesson_tokens() -> pd.Series:
    """Training tokens per domain of :func:`lesson_world`, measured (what ``LESSON_TOKENS`` states)."""
    from mixlab.domains import domain_stats

    return cached("1.3:tokens", lambda: domain_stats(lesson_world().train)["tokens"])


def _tokens() -> pd.Series:
    return pd.Series(LESSON_TOKENS, name="tokens")


def budget_answer() -> str:
    """The right letter of the prediction, measured: five paired seeds at both budgets (stats helper).

    The exercise states the letter this returns (measuring it costs a second world and ten proxy
    runs, too much for the lesson's runtime budget); tests/test_predict_answers.py checks that
    they agree.
    """
    from mixlab.mixture import Mixture
    from mixlab.optimizers import EVAL_SEED
    from mixlab.proxy import PROXY, train_proxy
    from mixlab.stats import compare_mixtures

    world = lesson_world()
    mix = Mixture(BUDGET_MIXTURE)
    seeds = [EVAL_SEED + i for i in range(5)]
    big = PROXY.with_(budget=BIG_BUDGET)
    values = pd.DataFrame({name: [train_proxy(world, mix, cfg, s).losses.mean() for s in seeds]
                           for name, cfg in (("small", PROXY), ("big", big))}, index=pd.Index(seeds, name="seed"))
    verdict = compare_mixtures(values, "small").loc["big", "verdict"]
    if verdict == "higher":
        return RISES
    gap = float((values["small"] - world.process.entropy_rate().mean()).mean())
    gained = float((values["small"] - values["big"]).mean())
    return FALLS_MOSTLY if gained > 0.5 * gap else FALLS_A_LITTLE


def _grid_points() -> int:
    return math.comb(GRID_R + GRID_K - 1, GRID_K - 1)


def _compare_grid(answer: Any, expected: int) -> Verdict:
    k, r = GRID_K, GRID_R
    slips = {
        "Off by one: the count of ways to split r units among k domains is C(r + k − 1, k − 1).":
            math.comb(r + k, k - 1),
        "Off by one in the top: C(r + k − 1, k − 1), not C(r + k, k).": math.comb(r + k, k),
        "That counts points with k − 1 free coordinates each in 0…r (a cube grid), most of them off the "
        "simplex: the weights must also sum to 1.": (r + 1) ** (k - 1),
        "That counts every way to give each of k domains one of r + 1 levels, most of them off the "
        "simplex: the weights must also sum to 1.": (r + 1) ** k,
    }
    return compare_number(answer, expected, rtol=0.0, atol=0.5, what="the number of grid points", slips=slips,
                          hints=["Stars and bars: r = 10 units of weight shared among k = 12 domains."])


def _second_binding_budget() -> float:
    return float(E_MAX * _tokens().sort_values().iloc[1])


def _compare_binding(answer: Any, expected: float) -> Verdict:
    sizes = _tokens().sort_values()
    smallest, second = float(sizes.iloc[0]), float(sizes.iloc[1])
    slips = {
        "That is where the first cap (the smallest domain's) drops below 1; the question asks when a second one "
        "does.": E_MAX * smallest,
        "You left out E_max: the cap u_i = min(1, E_max T_i / B) falls below 1 once B exceeds E_max · T_i.": second,
        "You divided by E_max: u_i < 1 means E_max T_i / B < 1, that is B > E_max · T_i.": second / E_MAX,
        "That is the largest feasible budget (every domain repeated E_max times), not where a cap drops below 1.":
            float(E_MAX * sizes.sum()),
        "That is where the largest domain's cap drops below 1; the caps drop below 1 from the smallest domain up.":
            float(E_MAX * sizes.iloc[-1]),
    }
    return compare_number(answer, expected, rtol=1e-6, atol=0.5, what="the budget above which a second cap is below 1",
                          unit="tokens", slips=slips)


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="1.3/five-times-the-tokens",
        title="Five times the tokens",
        minutes=2,
        statement="Section 5 trains the same proxy (128 context buckets) on B = 1,500,000 tokens, five times the "
                  "300,000 of sections 2–4. Take one mixture that is feasible at both budgets, the capped "
                  "optimizer's answer (web 0.416, code 0.353, math 0.232: math at its cap of 4 epochs at "
                  "B = 1,500,000), and train it at both budgets on the same five fresh "
                  "seeds. Before the next cells run, predict what happens to its uniform objective, the mean "
                  "validation loss over the three domains:",
        options={
            FALLS_MOSTLY: "it falls most of the way to the entropy floors: what the proxy lacked was tokens",
            FALLS_A_LITTLE: "it falls, but by a small fraction of the gap to the floors: most of the gap is not "
                            "for sale in tokens at this capacity",
            RISES: "it rises: math is now read four times, and repeated tokens make the model worse",
        },
        answer=FALLS_A_LITTLE,  # what budget_answer() measures (checked by tests/test_predict_answers.py)
        explanation="The proxy hashes its 512 possible previous tokens into 128 buckets. A bucket shared by several "
                    "contexts, often of several domains, learns a blend of their next-token statistics, and no "
                    "amount of data undoes that (capacity and interference). Only the estimation error shrinks "
                    "with more tokens, and at 300,000 tokens it is already a small part of the gap. The next cell "
                    "measures it on five paired seeds; lesson 1.1's budget sweep shows the same at this capacity.",
    ),
    ImplementExercise(
        id="1.3/implement-eg-step",
        title="Write one exponentiated-gradient step on the capped simplex",
        minutes=12,
        statement="Write `eg_step(w, grad, eta, caps)`. `w` (the current weights, on the simplex), `grad` (the "
                  "gradient estimates $g_i$) and `caps` (the caps $u_i$, with $\\sum_i u_i \\ge 1$ and $w \\le u$) "
                  "are pandas Series keyed by domain; `eta` is the step size $\\eta$. Return the new weights as a "
                  "Series keyed by domain: the multiplicative step $v_i = w_i e^{-\\eta g_i}$, then its KL "
                  "projection onto $\\{w \\in \\Delta : w_i \\le u_i\\}$ (section 5): scale $v$ to sum to 1, set "
                  "every weight above its cap to the cap, rescale the uncapped weights so that the total is 1 "
                  "again, and repeat until no weight exceeds its cap. Use numpy or pandas, not "
                  "`kl_project_capped`.",
        task=EG_STEP,
    ),
    ComputeExercise(
        id="1.3/grid-points-twelve-domains",
        title="The size of a grid",
        minutes=3,
        statement="A data team has k = 12 sources and wants to grid-search their weights in steps of 0.1 "
                  "(r = 10), one proxy run per grid point. How many proxy runs is that? Give a count.",
        reference=_grid_points,
        compare=_compare_grid,
        decimals=0,
    ),
    ComputeExercise(
        id="1.3/second-binding-budget",
        title="When are two caps below 1?",
        minutes=4,
        statement="On this lesson's three domains with $E_{\\max} = 4$ (the `counts` table of the setup cell: "
                  + ", ".join(f"{d} {t:,}" for d, t in LESSON_TOKENS.items())
                  + " tokens), every cap is 1 at small budgets, and the caps drop below 1 one after another as "
                  "$B$ grows. Above which budget $B$ (in tokens) are at least **two** caps "
                  "$u_i = \\min(1, E_{\\max} T_i / B)$ below 1?",
        reference=_second_binding_budget,
        compare=_compare_binding,
        decimals=0,
    ),
]
