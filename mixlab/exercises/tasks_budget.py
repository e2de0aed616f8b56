"""Ready-made implement-it task on caps: normalize raw importance values, then enforce the epoch caps.

========================  =============================================  ==========================================
task                      the learner writes                             reference (mixlab)
========================  =============================================  ==========================================
``CAPPED_WEIGHTS``        ``capped_weights(raw, caps)``                  ``Mixture.normalized`` then
                                                                         ``simplex.project_capped_simplex``
========================  =============================================  ==========================================

What the mixture editor of 3.4 does with its sliders: raw values ``r_i ≥ 0`` become
``v_i = r_i / Σ_j r_j``, and if some ``v_i`` exceeds its cap ``u_i`` the mixture used is the
Euclidean projection onto ``{w : 0 ≤ w_i ≤ u_i, Σ w_i = 1}``: ``w_i = clip(v_i − τ, 0, u_i)`` with
the one shift ``τ`` that makes the weights sum to 1 (the projection of 2.5).

Used in: 3.4 (implement-it: the editor's renormalize-and-enforce-caps step).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.implement import Case, FunctionTask
from mixlab.exercises.mixtures import compare_mixture
from mixlab.exercises.tasks_mixtures import WEIGHT_ATOL, random_domains
from mixlab.exercises.verdicts import Verdict
from mixlab.mixture import Mixture

__all__ = ["CAPPED_WEIGHTS"]

N_CASES = 10


def _caps(rng: np.random.Generator, k: int, binding: bool) -> np.ndarray:
    """Caps in (0, 1] whose sum leaves room (≥ 1.15): tight ones when ``binding``, else all 1."""
    if not binding:
        return np.ones(k)
    caps = rng.uniform(0.08, 0.7, k)
    if caps.sum() < 1.15:
        caps += (1.15 - caps.sum()) / k
    return np.round(np.minimum(caps, 1.0), 4)


def _capped_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES):
        d = random_domains(rng)
        raw = np.round(rng.uniform(0.5, 5.0, len(d)) * 2) / 2  # slider-like values in steps of 0.5
        idx = pd.Index(d, name="domain")
        cases.append({"raw": pd.Series(raw, index=idx, name="raw"),
                      "caps": pd.Series(_caps(rng, len(d), binding=i > 0), index=idx.copy(), name="cap")})
    return cases


def _capped_weights(raw: pd.Series, caps: pd.Series) -> pd.Series:
    from mixlab.simplex import project_capped_simplex

    v = Mixture.normalized(raw).weights
    return project_capped_simplex(v, caps.loc[v.index])


def _capped_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    from mixlab.simplex import project_capped_simplex

    raw, caps = case["raw"], case["caps"]
    v = raw / raw.sum()
    once = np.minimum(v, caps)
    slips = [
        (v, "These are the normalized weights v_i = r_i / Σ r_j; some of them are over their caps. Enforce the "
         "caps: w_i = clip(v_i − τ, 0, u_i) with the one τ that makes the weights sum to 1."),
        (project_capped_simplex(v, caps, divergence="kl"), "You rescaled the free weights in proportion (the KL "
         "projection that exponentiated gradient uses, 1.3). The editor uses the Euclidean projection: subtract "
         "the same τ from every weight, w_i = clip(v_i − τ, 0, u_i)."),
        (once / once.sum(), "Capping once and renormalizing pushes weights over their caps again; find the shift "
         "τ with Σ clip(v_i − τ, 0, u_i) = 1 instead (bisection on τ works)."),
        (project_capped_simplex(raw, caps), "You projected the raw values before normalizing them; normalize first "
         "(v_i = r_i / Σ r_j), then project v."),
    ]
    hints = ["A weight at its cap stays there; the others all move by the same τ (the projection of 2.5)."]
    return compare_mixture(got, Mixture(expected), atol=WEIGHT_ATOL, slips=slips, hints=hints)


CAPPED_WEIGHTS = FunctionTask(
    name="capped_weights", params=("raw", "caps"),
    returns="the weights the editor uses: raw values normalized, then projected onto the caps (keyed by domain)",
    cases=_capped_cases, reference=_capped_weights, compare=_capped_compare)
