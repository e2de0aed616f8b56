"""Ready-made implement-it task on comparing mixtures over seeds: a paired difference with its t interval.

========================  =============================================  ==========================================
task                      the learner writes                             reference (mixlab)
========================  =============================================  ==========================================
``PAIRED_INTERVAL``       ``paired_interval(a, b)``                      ``stats.compare_mixtures`` (one
                                                                         comparison, no correction)
========================  =============================================  ==========================================

Two mixtures scored on the same seeds give per-seed values ``a_s`` and ``b_s``. The evidence is
the seed-by-seed difference ``d_s = a_s − b_s``: its mean, and the interval
``mean ± t_{0.975, n−1} · sd(d) / √n`` (Student's t with ``n − 1`` degrees of freedom, the
sample standard deviation). The hidden cases pair the values by seed label, and one case lists
``b``'s seeds in another order.

Used in: 3.6 (implement-it: the paired comparison behind every verdict of the contest).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixlab.exercises.answers import Unreadable, read_number, unreadable
from mixlab.exercises.implement import Case, FunctionTask
from mixlab.exercises.verdicts import Verdict, right, wrong

__all__ = ["PAIRED_INTERVAL"]

N_CASES = 8
#: Relative tolerance on each of the three numbers (float round-off only).
RTOL = 1e-6


def _paired_case(rng: np.random.Generator, shuffled: bool) -> Case:
    n = int(rng.integers(3, 11))
    seeds = pd.Index(100 + np.arange(n), name="seed")
    b = pd.Series(np.round(4.0 + rng.normal(0.0, 0.04, n), 4), index=seeds, name="b")
    effect = float(rng.choice([-0.02, -0.005, 0.0, 0.01, 0.03]))
    a = pd.Series(np.round(b.to_numpy() + effect + rng.normal(0.0, 0.01, n), 4), index=seeds.copy(), name="a")
    return {"a": a, "b": b.iloc[::-1] if shuffled else b}


def _paired_cases(rng: np.random.Generator, workdir: Path) -> list[Case]:
    return [_paired_case(rng, shuffled=i == 3) for i in range(N_CASES)]


def _paired_interval(a: pd.Series, b: pd.Series) -> tuple[float, float, float]:
    from mixlab.stats import compare_mixtures

    values = pd.DataFrame({"a": a, "b": b})  # aligned on the seed labels
    table = compare_mixtures(values, "b", correction="none")
    mean, low, high = table.loc["a", ["mean_diff", "ci_low", "ci_high"]].to_numpy(dtype=np.float64)
    return float(mean), float(low), float(high)


def _interval(mean: float, half: float) -> tuple[float, float, float]:
    return mean, mean - half, mean + half


def _slips(a: pd.Series, b: pd.Series) -> list[tuple[tuple[float, float, float], str]]:
    """The (mean, low, high) that each typical mistake gives, with the hint naming it."""
    from scipy.special import stdtrit  # the Student's t quantile, t_{q, df} = stdtrit(df, q)

    d = a - b.loc[a.index]
    n = len(d)
    mean, sd, sd0 = float(d.mean()), float(d.std(ddof=1)), float(d.std(ddof=0))
    t = float(stdtrit(n - 1, 0.975))
    unpaired = math.sqrt(float(a.var(ddof=1)) / n + float(b.var(ddof=1)) / n)
    by_position = a.to_numpy() - b.to_numpy()
    return [
        (_interval(-mean, t * sd / math.sqrt(n)), "This is b − a; the difference asked for is a − b."),
        (_interval(mean, 1.96 * sd / math.sqrt(n)), "You used the normal 1.96. With n seeds use Student's t with "
         "n − 1 degrees of freedom (2.78 for 5 seeds): scipy.stats.t.ppf(0.975, n - 1)."),
        (_interval(mean, 2.0 * sd / math.sqrt(n)), "You used a fixed 2 standard errors. With n seeds use Student's "
         "t with n − 1 degrees of freedom (2.78 for 5 seeds), not 2."),
        (_interval(mean, float(stdtrit(n, 0.975)) * sd / math.sqrt(n)), "You used n degrees of freedom; a "
         "paired t interval over n seeds has n − 1."),
        (_interval(mean, t * sd), "You used the standard deviation of the differences; the interval uses its "
         "standard error, sd / √n."),
        (_interval(mean, t * sd0 / math.sqrt(n)), "You used the population standard deviation (ddof=0); use the "
         "sample one, ddof=1 (pandas' default)."),
        (_interval(mean, t * unpaired), "You used the unpaired standard error √(s_a²/n + s_b²/n). The seeds are "
         "shared, so the evidence is the seed-by-seed difference d_s = a_s − b_s: use sd(d) / √n."),
        (_interval(float(by_position.mean()), t * float(by_position.std(ddof=1)) / math.sqrt(n)),
         "You paired the values by position, but b lists its seeds in another order: pair them by seed "
         "(a - b on two Series aligns on the index)."),
    ]


def _read_triple(got: Any) -> tuple[float, float, float] | Verdict:
    if isinstance(got, dict | pd.Series) or not isinstance(got, tuple | list | np.ndarray):
        return wrong(f"expected three numbers (mean_diff, low, high), got {type(got).__name__}",
                     ["Return a tuple: return mean_diff, low, high."])
    if len(got) != 3:
        return wrong(f"expected three numbers (mean_diff, low, high), got {len(got)}",
                     ["Return a tuple: return mean_diff, low, high."])
    try:
        return (read_number(got[0], "mean_diff"), read_number(got[1], "low"), read_number(got[2], "high"))
    except Unreadable as exc:
        return unreadable(exc)


def _close(x: tuple[float, ...], y: tuple[float, ...]) -> bool:
    return all(math.isclose(p, q, rel_tol=RTOL, abs_tol=1e-12) for p, q in zip(x, y, strict=True))


def _paired_compare(got: Any, expected: tuple[float, float, float], case: Case) -> Verdict:
    triple = _read_triple(got)
    if isinstance(triple, Verdict):
        return triple
    if _close(triple, expected):
        return right("right")
    for alt, hint in _slips(case["a"], case["b"]):
        if not _close(alt, expected) and _close(triple, alt):
            return wrong("the interval is not the paired t interval.", [hint])
    if _close(triple[:1], expected[:1]):
        return wrong("the mean difference is right, the interval is not.",
                     ["low, high = mean ∓ t_{0.975, n−1} · sd(d) / √n with d_s = a_s − b_s and the sample sd."])
    return wrong("the mean difference is not mean(a − b).",
                 ["Subtract seed by seed (d = a - b), then take the mean of d."])


PAIRED_INTERVAL = FunctionTask(
    name="paired_interval", params=("a", "b"),
    returns="(mean_diff, low, high): the mean of a − b over the seeds and its 95 % paired t interval",
    cases=_paired_cases, reference=_paired_interval, compare=_paired_compare)
