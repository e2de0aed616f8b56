"""Ready-made implement-it tasks about the published methods (hidden seeded cases, mixlab's reference).

========================  ============================================  =========================
task                      the learner writes                            reference
========================  ============================================  =========================
``DOREMI_STEP``           ``doremi_update(w, excess, eta, eps)``        ``doremi.doremi_step``
========================  ============================================  =========================

Used in: implement-it exercises of 1.5 (``DOREMI_STEP``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.implement import Case, FunctionTask
from mixlab.exercises.mixtures import compare_mixture
from mixlab.exercises.tasks_mixtures import N_CASES, WEIGHT_ATOL, random_domains, random_weights
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

__all__ = ["DOREMI_STEP"]


# ============================================================================ DoReMi's weight update
def _doremi_case(rng: np.random.Generator) -> Case:
    w = random_weights(rng, random_domains(rng))
    excess = np.round(rng.uniform(0.0, 1.5, len(w)), 3)
    excess[rng.random(len(w)) < 0.3] = 0.0  # clipped at zero: a domain the proxy already fits as well as the reference
    return {"w": w, "excess": pd.Series(excess, index=w.index), "eta": float(rng.choice([0.5, 1.0, 2.0])),
            "eps": float(rng.choice([1e-3, 0.05, 0.2]))}


def _doremi_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    return [_doremi_case(rng) for _ in range(N_CASES)]


def _doremi_step(w: pd.Series, excess: pd.Series, eta: float, eps: float) -> pd.Series:
    from mixlab.doremi import doremi_step

    return pd.Series(doremi_step(w.to_numpy(), excess.loc[w.index].to_numpy(), eta=eta, eps=eps), index=w.index)


def _doremi_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    w, lam, eta, eps = case["w"], case["excess"].loc[case["w"].index], case["eta"], case["eps"]
    k = len(w)

    def smooth(v: pd.Series) -> pd.Series:
        return (1 - eps) * v / v.sum() + eps / k

    slips = [
        (smooth(w * np.exp(-eta * lam)), "You stepped the wrong way: DoReMi raises the weight of the domains with the "
         "largest excess, w ⊙ exp(+η λ)."),
        (smooth(w * np.exp(lam)), "You left out the step size: the factor is exp(η λ)."),
        (smooth(w + eta * lam), "You took the step in linear space (w + η λ); DoReMi steps in log space: "
         "log w + η λ, that is w ⊙ exp(η λ)."),
        (w * np.exp(eta * lam) / (w * np.exp(eta * lam)).sum(), "You normalized but left out the smoothing: mix "
         "with uniform, (1 − ε) w' + ε / k."),
    ]  # adding ε instead of ε / k leaves the simplex: the generic "does not sum to 1" verdict names it
    return compare_mixture(got, Mixture(expected), atol=WEIGHT_ATOL, slips=slips)


DOREMI_STEP = FunctionTask(
    name="doremi_update", params=("w", "excess", "eta", "eps"),
    returns="the new weights: w ⊙ exp(η λ), normalized, then (1 − ε) · w' + ε / k (keyed by domain)",
    cases=_doremi_cases, reference=_doremi_step, compare=_doremi_compare)
