"""Exercises of 3.5 (temperature smoothing and UniMax): one prediction, two functions, one value.

Every reference answer is computed here from the notebook's world (``generate_world("default",
seed=0)``) and its run (B = 6 million tokens, E_max = 4 epochs), never typed.

Used in: 3.5.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.implement import ImplementExercise
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise
from mixlab.exercises.registry import ComputeExercise, Exercise, cached, canonical_world
from mixlab.exercises.tasks_mixtures import TEMPERATURE, UNIMAX
from mixlab.exercises.verdicts import Verdict

SECTION = "3.5"

#: The run of the notebook (its B and E_MAX).
BUDGET = 6_000_000
MAX_EPOCHS = 4.0
#: Where the temperature search of the compute exercise looks (T from 1 to this).
T_MAX = 1000.0


def _stats() -> pd.DataFrame:
    from mixlab.domains import domain_stats

    return cached("3.5:stats", lambda: domain_stats(canonical_world().train))


def _smallest_domain_limit() -> str:
    """(d) when the smallest domain's epochs at T → ∞, B / (k T_min), exceed E_max; else (e)."""
    tokens = _stats()["tokens"]
    at_one = BUDGET / float(tokens.sum())
    limit = BUDGET / (len(tokens) * float(tokens.min()))
    if limit <= at_one:
        return "a"
    return "d" if limit > MAX_EPOCHS else "e"


def _epochs_at(domain: str, T: float) -> float:
    """Epochs of ``domain`` at B under the temperature-smoothed weights w ∝ p^(1/T) (as ``mixers.temperature``)."""
    tokens = _stats()["tokens"].astype(float)
    log_w = np.log(tokens / tokens.sum()) / T
    w = np.exp(log_w - log_w.max())
    return float(w[domain] / w.sum() * BUDGET / tokens[domain])


def _crossing(domain: str) -> float:
    """The temperature at which ``domain`` reaches E_max epochs at B (bisection on log T)."""
    lo, hi = 0.0, math.log(T_MAX)
    if _epochs_at(domain, 1.0) >= MAX_EPOCHS or _epochs_at(domain, T_MAX) <= MAX_EPOCHS:
        raise ValueError(f"{domain} does not cross E_max = {MAX_EPOCHS:g} between T = 1 and T = {T_MAX:g}")
    for _ in range(100):
        mid = (lo + hi) / 2
        if _epochs_at(domain, math.exp(mid)) > MAX_EPOCHS:
            hi = mid
        else:
            lo = mid
    return math.exp((lo + hi) / 2)


def _books_crossing() -> float:
    from mixlab.mixers import temperature

    books = str(_stats()["tokens"].idxmin())
    T = _crossing(books)
    epochs = temperature(_stats(), T=T)[books] * BUDGET / float(_stats()["tokens"][books])
    if abs(epochs - MAX_EPOCHS) > 1e-6:  # the closed form above is mixlab's temperature sampling
        raise RuntimeError(f"crossing at T = {T}: {epochs} epochs by mixers.temperature, not {MAX_EPOCHS}")
    return T


def _compare_crossing(answer: Any, expected: float) -> Verdict:
    others = [d for d in _stats().index if d != _stats()["tokens"].idxmin()]
    slips = {"That is α = 1/T at the crossing; the question asks for the temperature T.": 1.0 / expected}
    for d in others:
        try:
            slips[f"That is where {d} crosses the cap; books, the smallest domain, crosses first."] = _crossing(d)
        except ValueError:
            continue
    return compare_number(answer, expected, rtol=1e-3, what="the temperature", slips=slips,
                          hints=["Books' epochs w_books(T) B / T_books rise with T: bisect on T (or on log T) "
                                 "between 1 and 100 until they equal E_max."])


EXERCISES: list[Exercise] = [
    PredictExercise(
        id="3.5/smallest-domain-epochs",
        title="The smallest domain as T grows",
        minutes=2,
        statement="At $T = 1$ every domain is read $B / \\sum_j T_j$ times (about twice at this run's $B$ = 6 million "
                  "tokens). Before running the next cells, predict: as the temperature grows from 1 towards "
                  "infinity, what happens to the epochs of the **smallest** domain, books?",
        options={"a": "they fall: smoothing takes weight from the big domains and gives it to no one in particular",
                 "b": "they stay the same: temperature changes the weights, not the epochs",
                 "c": "they rise without limit as T grows",
                 "d": "they rise towards a finite limit, crossing the cap E_max = 4 on the way",
                 "e": "they rise towards a finite limit that stays below the cap E_max = 4"},
        answer=_smallest_domain_limit,
        explanation="As T → ∞ every weight tends to 1/k, so books' epochs tend to B / (k T_books): finite, but "
                    "several times their proportional value because books hold only a few percent of the tokens. "
                    "On this world that limit is above E_max = 4 (the figure and the table below show where the "
                    "curve crosses the cap).",
    ),
    ImplementExercise(
        id="3.5/implement-temperature-weights",
        title="Write temperature sampling",
        minutes=10,
        statement="Write `temperature_weights(tokens, T)`. `tokens` is a pandas Series of token counts keyed by "
                  "domain, `T > 0` a temperature. Return $w_i = p_i^{1/T} / \\sum_j p_j^{1/T}$ with "
                  "$p_i = T_i / \\sum_j T_j$ as a Series keyed by domain. Mind the convention: the exponent is "
                  "$\\alpha = 1/T$. Use pandas or numpy, not `temperature`.",
        task=TEMPERATURE,
    ),
    ImplementExercise(
        id="3.5/implement-unimax",
        title="Write UniMax",
        minutes=15,
        statement="Write `unimax_weights(sizes, budget, max_epochs)`. `sizes` is a pandas Series of token counts "
                  "keyed by domain; the budget $B$ is feasible ($B \\le E_{\\max} \\sum_i T_i$). Visit the domains "
                  "from the smallest to the largest; each takes an equal share of the budget still unassigned, "
                  "$(B - \\text{assigned}) / (\\text{domains left})$, or $E_{\\max} T_i$ tokens if that is smaller. "
                  "Return the token weights $w_i = b_i / B$ as a Series keyed by domain. Use pandas or numpy, "
                  "not `unimax`.",
        task=UNIMAX,
    ),
    ComputeExercise(
        id="3.5/temperature-at-the-cap",
        title="Where does books cross the cap?",
        minutes=8,
        statement="At the run's budget ($B$ = 6 million tokens) books, the smallest domain, are read about twice at "
                  "$T = 1$ and more than $E_{\\max} = 4$ times at $\\alpha = 0.3$. At which temperature $T$ do "
                  "books reach exactly 4 epochs (token counts $p_i$, as in section 3)? Give $T$ to three decimals; "
                  "`temperature` and `stats` may help.",
        reference=_books_crossing,
        compare=_compare_crossing,
    ),
]
