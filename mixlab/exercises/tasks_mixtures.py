"""Ready-made implement-it tasks on mixtures, budgets and rankings: hidden cases and reference adapters.

Each task is a :class:`~mixlab.exercises.implement.FunctionTask`: the function the learner
writes (with plain pandas inputs keyed by domain), seeded random cases, mixlab's own
implementation behind the same parameters, and a comparison that names the likely mistake. A
lesson catalog only has to wrap one in an :class:`~mixlab.exercises.implement.ImplementExercise`
with an id, a statement and an estimated time.

========================  =============================================  =========================
task                      the learner writes                             reference (mixlab)
========================  =============================================  =========================
``DOC_TO_TOKEN``          ``doc_to_token(w_doc, mean_len)``              ``Mixture.to_tokens``
``TEMPERATURE``           ``temperature_weights(tokens, T)``             ``mixers.temperature``
``EPOCHS``                ``epochs_per_domain(weights, budget, sizes)``  ``budget.epochs_from_weights``
``EPOCH_CAP``             ``within_cap(weights, budget, sizes, E_max)``  ``budget.check_within_caps``
``EG_STEP``               ``eg_step(w, grad, eta, caps)``                ``optimizers.kl_project_capped``
``UNIMAX``                ``unimax_weights(sizes, budget, max_epochs)``  ``mixers.unimax``
``SPEARMAN``              ``spearman_rho(proxy, target)``                ``agreement.rank_agreement``
========================  =============================================  =========================

Used in: implement-it exercises of 1.3 (``EG_STEP``), 1.4 (``SPEARMAN``), 2.2 (``DOC_TO_TOKEN``),
2.5 (``EPOCHS``, ``EPOCH_CAP``), 3.5 (``TEMPERATURE``, ``UNIMAX``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import Unreadable, read_number, unreadable
from mixlab.exercises.budgets import compare_epochs
from mixlab.exercises.implement import Case, FunctionTask
from mixlab.exercises.mixtures import compare_mixture, compare_temperature_weights
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.verdicts import Verdict, right, wrong
from mixlab.mixture import Mixture

__all__ = [
    "DOMAIN_POOL",
    "random_domains",
    "random_weights",
    "random_sizes",
    "DOC_TO_TOKEN",
    "TEMPERATURE",
    "EPOCHS",
    "EPOCH_CAP",
    "EG_STEP",
    "UNIMAX",
    "SPEARMAN",
]

#: Domain names the hidden cases draw from.
DOMAIN_POOL = ("web", "books", "code", "math", "wiki", "forum", "news", "papers")
#: Tolerance on each weight of an implement-it answer (float round-off only).
WEIGHT_ATOL = 1e-6
N_CASES = 10


def random_domains(rng: np.random.Generator, low: int = 3, high: int = 6) -> list[str]:
    """``low``…``high`` distinct domain names, in pool order.

    Parameters
    ----------
    rng : numpy.random.Generator
    low, high : int
        Fewest and most domains.

    Returns
    -------
    list of str

    Used in: the case generators.
    """
    k = int(rng.integers(low, high + 1))
    picked = np.sort(rng.choice(len(DOMAIN_POOL), size=k, replace=False))
    return [DOMAIN_POOL[i] for i in picked]


def random_weights(rng: np.random.Generator, domains: list[str]) -> pd.Series:
    """Dirichlet(1) weights on the simplex, keyed by domain.

    Parameters
    ----------
    rng : numpy.random.Generator
    domains : list of str

    Returns
    -------
    pandas.Series

    Used in: the case generators.
    """
    w = rng.dirichlet(np.ones(len(domains)))
    return pd.Series(w / w.sum(), index=pd.Index(domains, name="domain"), name="weight")


def random_sizes(rng: np.random.Generator, domains: list[str], low: float = 1e4, high: float = 1e7) -> pd.Series:
    """Log-uniform integer sizes (tokens) keyed by domain.

    Parameters
    ----------
    rng : numpy.random.Generator
    domains : list of str
    low, high : float
        Range of the sizes.

    Returns
    -------
    pandas.Series
        Named ``tokens``.

    Used in: the case generators.
    """
    s = np.round(np.exp(rng.uniform(math.log(low), math.log(high), len(domains))))
    return pd.Series(s.astype(np.int64), index=pd.Index(domains, name="domain"), name="tokens")


# ============================================================================ doc → token
def _doc_to_token_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for _ in range(N_CASES):
        d = random_domains(rng)
        lengths = np.round(np.exp(rng.uniform(math.log(50), math.log(5000), len(d))), 1)
        mean_len = pd.Series(lengths, index=pd.Index(d, name="domain"))
        cases.append({"w_doc": random_weights(rng, d), "mean_len": mean_len})
    return cases


def _doc_to_token(w_doc: pd.Series, mean_len: pd.Series) -> pd.Series:
    return Mixture(w_doc, kind="document").to_tokens(mean_len).weights


def _doc_to_token_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    divided = Mixture(case["w_doc"], kind="token").to_documents(case["mean_len"]).weights
    return compare_mixture(got, Mixture(expected), atol=WEIGHT_ATOL, mean_lengths=case["mean_len"],
                           slips=[(divided, "You divided by the mean length; from documents to tokens you multiply: "
                                   "w_i ∝ w_doc_i · t̄_i.")])


DOC_TO_TOKEN = FunctionTask(
    name="doc_to_token", params=("w_doc", "mean_len"),
    returns="the token weights (a Series or dict keyed by domain, summing to 1)",
    cases=_doc_to_token_cases, reference=_doc_to_token, compare=_doc_to_token_compare)


# ============================================================================ temperature
def _temperature_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    temps = [1.0, 2.0, 0.5, *np.round(rng.uniform(1.2, 8.0, N_CASES - 3), 2).tolist()]
    return [{"tokens": random_sizes(rng, random_domains(rng)), "T": float(t)} for t in temps]


def _temperature(tokens: pd.Series, T: float) -> pd.Series:
    from mixlab.mixers import temperature

    return temperature(pd.DataFrame({"tokens": tokens}), T=T).weights


def _temperature_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    return compare_temperature_weights(got, pd.DataFrame({"tokens": case["tokens"]}), T=case["T"], atol=WEIGHT_ATOL)


TEMPERATURE = FunctionTask(
    name="temperature_weights", params=("tokens", "T"),
    returns="the weights w_i ∝ p_i^(1/T) with p_i the token shares (keyed by domain, summing to 1)",
    cases=_temperature_cases, reference=_temperature, compare=_temperature_compare)


# ============================================================================ epochs and the cap
def _budget_case(rng: np.random.Generator) -> Case:
    d = random_domains(rng)
    sizes = random_sizes(rng, d, 1e4, 1e6)
    return {"weights": random_weights(rng, d), "budget": float(rng.integers(1, 50) * 100_000), "sizes": sizes}


def _epochs_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    return [_budget_case(rng) for _ in range(N_CASES)]


def _epochs(weights: pd.Series, budget: float, sizes: pd.Series) -> pd.Series:
    from mixlab.budget import epochs_from_weights

    return epochs_from_weights(weights, budget, sizes)


def _epochs_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    return compare_epochs(got, case["weights"], case["budget"], case["sizes"], rtol=1e-6)


EPOCHS = FunctionTask(
    name="epochs_per_domain", params=("weights", "budget", "sizes"),
    returns="the epochs e_i = w_i B / T_i of every domain (keyed by domain)",
    cases=_epochs_cases, reference=_epochs, compare=_epochs_compare)


def _cap_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES - 1):
        case = _budget_case(rng)
        e_max = float(_epochs(case["weights"], case["budget"], case["sizes"]).max())
        case["max_epochs"] = float(f"{e_max * (1.25 if i % 2 else 0.8):.4g}")  # alternately within and over
        cases.append(case)
    # a domain at exactly E_max epochs is within the cap (0.25 · 16000 / 2000 = 2.0 in floating point)
    idx = pd.Index(["web", "books", "code"], name="domain")
    cases.insert(3, {"weights": pd.Series([0.5, 0.25, 0.25], index=idx), "budget": 16000.0,
                     "sizes": pd.Series([40000, 2000, 8000], index=idx), "max_epochs": 2.0})
    return cases


def _within_cap(weights: pd.Series, budget: float, sizes: pd.Series, max_epochs: float) -> bool:
    from mixlab.budget import check_within_caps
    from mixlab.validation import InvariantError

    try:
        check_within_caps(weights, budget, sizes, max_epochs)
    except InvariantError:
        return False
    return True


def _cap_compare(got: Any, expected: bool, case: Case) -> Verdict:
    if not isinstance(got, bool | np.bool_):
        return wrong(f"expected True or False, got {type(got).__name__}",
                     ["Return one bool: True when every domain is within the cap."])
    if bool(got) == expected:
        return right("right")
    e = _epochs(case["weights"], case["budget"], case["sizes"])
    if (e == case["max_epochs"]).any():
        return wrong("a domain at exactly E_max epochs is within the cap.",
                     ["The cap is e_i ≤ E_max (less than or equal), not e_i < E_max."])
    return wrong(f"you said {'within' if got else 'over'} the cap; the largest epochs are {e.max():.4g} against "
                 f"E_max = {case['max_epochs']:g}.",
                 ["Compute every domain's e_i = w_i B / T_i; the mixture is within the cap only if all are ≤ E_max."])


EPOCH_CAP = FunctionTask(
    name="within_cap", params=("weights", "budget", "sizes", "max_epochs"),
    returns="True when every domain's epochs are at most max_epochs, else False",
    cases=_cap_cases, reference=_within_cap, compare=_cap_compare)


# ============================================================================ exponentiated gradient
def _eg_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    cases = []
    for i in range(N_CASES):
        d = random_domains(rng)
        w = random_weights(rng, d)
        if i % 3 == 0:
            caps = pd.Series(1.0, index=w.index)
        else:  # caps at or above the current weights, some of them binding after the step
            raw = np.maximum(w.to_numpy(), rng.uniform(0.1, 0.5, len(d)))
            slack = max(0.0, 1.2 - float(raw.sum())) / len(d)  # the capped simplex must not be (nearly) empty
            caps = pd.Series(np.minimum(raw + slack, 1.0), index=w.index)
        grad = pd.Series(np.round(rng.normal(0.0, 1.0, len(d)), 3), index=w.index)
        cases.append({"w": w, "grad": grad, "eta": float(np.round(rng.uniform(0.3, 2.0), 2)), "caps": caps.round(6)})
    return cases


def _project(v: pd.Series, caps: pd.Series) -> pd.Series:
    from mixlab.optimizers import kl_project_capped

    return pd.Series(kl_project_capped(v.to_numpy(), caps.loc[v.index].to_numpy()), index=v.index)


def _eg_step(w: pd.Series, grad: pd.Series, eta: float, caps: pd.Series) -> pd.Series:
    return _project(w * np.exp(-eta * grad), caps)


def _eg_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    w, g, eta, caps = case["w"], case["grad"], case["eta"], case["caps"]
    v = w * np.exp(-eta * g)
    once = np.minimum(v / v.sum(), caps)
    slips = [
        (_project(w * np.exp(eta * g), caps), "You stepped uphill: to minimize, multiply by exp(−η g) (minus sign)."),
        (_project(w * np.exp(-g), caps), "You left out the step size: the factor is exp(−η g)."),
        (v / v.sum(), "You normalized but ignored the caps: a weight above its cap must be set to the cap."),
        (once / once.sum(), "Capping once and renormalizing pushes weights over their caps again: repeat (cap every "
         "weight above its cap, rescale the free ones to fill 1 − Σ capped) until none exceeds its cap."),
    ]
    return compare_mixture(got, Mixture(expected), atol=WEIGHT_ATOL, slips=slips)


EG_STEP = FunctionTask(
    name="eg_step", params=("w", "grad", "eta", "caps"),
    returns="the new weights: w ⊙ exp(−η g), projected onto {w on the simplex, w ≤ caps} (keyed by domain)",
    cases=_eg_cases, reference=_eg_step, compare=_eg_compare)


# ============================================================================ UniMax
def _unimax_case(rng: np.random.Generator, first: bool) -> Case:
    sizes = random_sizes(rng, random_domains(rng), 1e4, 1e7)
    e_max = float(rng.choice([1.0, 2.0, 4.0]))
    share = 0.05 if first else float(np.round(rng.uniform(0.2, 0.95), 2))  # the first case: no cap binds
    return {"sizes": sizes, "budget": float(round(share * e_max * float(sizes.sum()))), "max_epochs": e_max}


def _unimax_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    return [_unimax_case(rng, i == 0) for i in range(N_CASES)]


def _unimax(sizes: pd.Series, budget: float, max_epochs: float) -> pd.Series:
    from mixlab.mixers import unimax

    return unimax(pd.DataFrame({"tokens": sizes}), budget, max_epochs).weights


def _unimax_compare(got: Any, expected: pd.Series, case: Case) -> Verdict:
    sizes, B, E = case["sizes"], case["budget"], case["max_epochs"]
    k = len(sizes)
    capped = np.minimum(B / k, E * sizes)
    slips = [
        (pd.Series(1.0 / k, index=sizes.index), "This is uniform: UniMax gives a domain at most E_max · T_i tokens "
         "and spreads what it cannot take over the larger domains."),
        (sizes / sizes.sum(), "These are the natural (proportional) shares; UniMax starts from uniform."),
        (capped / capped.sum(), "You capped the small domains and renormalized, which hands their surplus out in "
         "proportion instead of equally: visit domains from the smallest, each gets min(remaining / domains left, "
         "E_max · T_i)."),
    ]
    return compare_mixture(got, Mixture(expected), atol=WEIGHT_ATOL, slips=slips)


UNIMAX = FunctionTask(
    name="unimax_weights", params=("sizes", "budget", "max_epochs"),
    returns="the UniMax token weights (keyed by domain, summing to 1)",
    cases=_unimax_cases, reference=_unimax, compare=_unimax_compare)


# ============================================================================ Spearman's rho
def _spearman_case(rng: np.random.Generator, noise: float) -> Case:
    n = int(rng.integers(5, 13))
    names = pd.Index([f"c{j:02d}" for j in range(n)], name="candidate")
    target = pd.Series(np.round(rng.uniform(3.0, 4.0, n), 4), index=names)
    proxy = pd.Series(np.round(target.to_numpy() + 0.4 + rng.normal(0.0, noise, n), 4), index=names)
    if proxy.duplicated().any() or target.duplicated().any():
        proxy = proxy + np.arange(n) * 1e-4  # keep the values distinct: no ties
    return {"proxy": proxy, "target": target}


def _spearman_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    return [_spearman_case(rng, [0.02, 0.1, 0.5][i % 3]) for i in range(N_CASES)]


def _spearman(proxy: pd.Series, target: pd.Series) -> float:
    from mixlab.agreement import rank_agreement

    return float(rank_agreement(proxy, target).spearman)


def _spearman_compare(got: Any, expected: float, case: Case) -> Verdict:
    from mixlab.ranks import kendall

    p, t = case["proxy"], case["target"]
    try:
        read_number(got)
    except Unreadable as exc:
        return unreadable(exc)
    pearson = float(np.corrcoef(p, t)[0, 1])
    slips = {
        "You correlated the values, not their ranks: rank both (1 = lowest loss) first.": pearson,
        "This is Kendall's τ (pairs in the same order), not Spearman's ρ.": kendall(p, t).statistic,
    }
    return compare_number(got, expected, rtol=0.0, atol=1e-9, what="Spearman's ρ", slips=slips,
                          hints=["ρ is the Pearson correlation of the ranks; without ties ρ = 1 − 6 Σ d_i² / "
                                 "(n (n² − 1)) with d_i the rank differences."])


SPEARMAN = FunctionTask(
    name="spearman_rho", params=("proxy", "target"),
    returns="Spearman's ρ between the two rankings of the candidates (a float)",
    cases=_spearman_cases, reference=_spearman, compare=_spearman_compare)
