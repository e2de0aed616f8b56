"""Ranks and rank correlations (Spearman's ρ, Kendall's τ-b) with their p-values, without scipy.stats.

- :func:`ranks` — the ranks of values, ties given their average or their lowest rank
  (as :func:`scipy.stats.rankdata` with ``method="average"`` or ``"min"``).
- :func:`spearman` — Spearman's ρ and its two-sided p-value (as :func:`scipy.stats.spearmanr`).
- :func:`kendall` — Kendall's τ-b and its two-sided p-value (as :func:`scipy.stats.kendalltau`
  with its defaults: the exact null distribution without ties, the normal approximation with the
  tie-corrected variance otherwise).

Both correlations return a :class:`RankCorrelation` ``(statistic, pvalue)``, like scipy's result.
scipy is the reference implementation: the tests compare every number with scipy.stats on random
inputs with and without ties. Only ``scipy.special`` (the Student's t and normal distribution
functions) is imported, inside the functions, because importing ``scipy.stats`` alone takes most of
a second, which a lesson would pay for one correlation.

Used in: 1.4, 3.3 (through :func:`mixlab.agreement.rank_agreement`), 1.5 (the RegMix cross-validated
ρ and :func:`mixlab.agreement.near_optimum_accuracy`), 1.4's Spearman exercise (its typical mistakes).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["RankCorrelation", "ranks", "spearman", "kendall"]

RANK_METHODS = ("average", "min")


class RankCorrelation(NamedTuple):
    """A rank correlation and its two-sided p-value (the fields of scipy's result object).

    Used in: no lesson by name (:func:`spearman` and :func:`kendall` return it).
    """

    statistic: float
    pvalue: float


def _vector(values: npt.ArrayLike, name: str) -> np.ndarray:
    """A 1-D float64 copy of ``values``, checked finite."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (got shape {x.shape})")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise ValueError(f"{name} must be finite (non-finite at positions {bad[:5].tolist()})")
    return x


def _tie_groups(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stable sort order of ``x``, the 0-based sorted position where each group of equal values
    starts, and each group's size."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    sizes = np.diff(np.append(starts, x.size))
    return order, starts, sizes


def ranks(values: npt.ArrayLike, method: str = "average") -> np.ndarray:
    """Ranks of ``values``, 1 for the smallest; equal values share a rank.

    Parameters
    ----------
    values : array-like of float
        One-dimensional and finite.
    method : {"average", "min"}
        What tied values get: the average of the ranks they span (float ranks, used by Spearman's
        ρ) or the lowest of them (integer ranks, "1 = best, ties get the best place").

    Returns
    -------
    numpy.ndarray
        float64 for ``"average"``, int64 for ``"min"``; the same numbers as
        :func:`scipy.stats.rankdata` with that method.

    Raises
    ------
    ValueError
        An unknown method, values that are not one-dimensional or not finite.

    Used in: no lesson by name; the rank columns of :func:`mixlab.agreement.rank_agreement`'s table.
    """
    if method not in RANK_METHODS:
        raise ValueError(f"method must be one of {', '.join(RANK_METHODS)} (got {method!r})")
    x = _vector(values, "values")
    order, starts, sizes = _tie_groups(x)
    first = starts + 1  # rank of each group's first member
    group_rank = first.astype(np.int64) if method == "min" else first + (sizes - 1) / 2.0
    out = np.empty(x.size, dtype=group_rank.dtype)
    out[order] = np.repeat(group_rank, sizes)
    return out


def _pair(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two checked vectors of the same length >= 3, neither constant."""
    a, b = _vector(x, "x"), _vector(y, "y")
    if a.size != b.size:
        raise ValueError(f"x and y must have the same length (got {a.size} and {b.size})")
    if a.size < 3:
        raise ValueError(f"a rank correlation needs at least 3 pairs (got {a.size})")
    for name, v in (("x", a), ("y", b)):
        if (v == v[0]).all():
            raise ValueError(f"{name} is constant ({v[0]:.6g}): a constant ranking has no correlation")
    return a, b


def spearman(x: npt.ArrayLike, y: npt.ArrayLike) -> RankCorrelation:
    """Spearman's rank correlation ρ and its two-sided p-value.

    ρ is the Pearson correlation of the average ranks (Spearman 1904). The p-value treats
    ``t = ρ √((n − 2) / ((1 + ρ)(1 − ρ)))`` as Student's t with ``n − 2`` degrees of freedom, which
    is exact only for normal data and otherwise an approximation; ``|ρ| = 1`` gives ``t = ±∞`` and
    p = 0. Same arithmetic as :func:`scipy.stats.spearmanr` (the reference implementation).

    Parameters
    ----------
    x, y : array-like of float
        Paired observations: one-dimensional, finite, equally long (>= 3), neither constant.

    Returns
    -------
    RankCorrelation
        ``(statistic, pvalue)``.

    Raises
    ------
    ValueError
        Different lengths, fewer than 3 pairs, non-finite or constant values.

    Used in: no lesson by name; :func:`mixlab.agreement.rank_agreement`,
    :func:`mixlab.agreement.near_optimum_accuracy` and RegMix's cross-validated ρ call it.
    """
    from scipy.special import stdtr  # Student's t CDF (what scipy.stats.t.sf calls at -|t|), a lighter import

    a, b = _pair(x, y)
    # corrcoef of an (n, 2) column stack, lower-left entry: scipy's exact arithmetic
    rho = float(np.corrcoef(np.column_stack((ranks(a), ranks(b))), rowvar=False)[1, 0])
    df = a.size - 2
    if abs(rho) == 1.0:
        return RankCorrelation(rho, 0.0)
    t = rho * math.sqrt(max(df / ((rho + 1.0) * (1.0 - rho)), 0.0))
    return RankCorrelation(rho, float(2.0 * stdtr(df, -abs(t))))


def _tie_sums(sizes: np.ndarray) -> tuple[int, int, int]:
    """For tie groups of sizes ``t``: Σ t(t−1)/2 (tied pairs), Σ t(t−1)(t−2) and Σ t(t−1)(2t+5)."""
    t = [int(s) for s in sizes if s > 1]  # Python ints: exact for any n
    return (sum(s * (s - 1) // 2 for s in t), sum(s * (s - 1) * (s - 2) for s in t),
            sum(s * (s - 1) * (2 * s + 5) for s in t))


def _at_most_inversions(n: int, c: int) -> int:
    """How many permutations of ``n`` items have at most ``c`` inversions (exact integer).

    Adding the ``j``-th item to a permutation of ``j − 1`` items creates 0 to ``j − 1`` new
    inversions, so the counts by inversion number (the Mahonian numbers) of ``j`` items are moving
    sums of width ``j`` over those of ``j − 1`` items; only numbers up to ``c`` are kept.
    """
    counts = [1] + [0] * c  # one item: a single permutation, no inversion
    for j in range(2, n + 1):
        prefix = [0]
        for v in counts:
            prefix.append(prefix[-1] + v)
        counts = [prefix[k + 1] - prefix[max(0, k + 1 - j)] for k in range(c + 1)]
    return sum(counts)


def _kendall_exact_p(n: int, discordant: int) -> float:
    """Two-sided p-value of ``discordant`` discordant pairs among ``n`` untied pairs, from the exact
    null distribution (all ``n!`` orders equally likely; Kendall 1938, 1970 ch. 5)."""
    total = n * (n - 1) // 2
    c = min(discordant, total - discordant)  # the distribution is symmetric: use the nearer tail
    p = Fraction(2 * _at_most_inversions(n, c), math.factorial(n))
    return min(float(p), 1.0)  # doubling the tail counts the middle value twice when c = total / 2


def kendall(x: npt.ArrayLike, y: npt.ArrayLike) -> RankCorrelation:
    """Kendall's rank correlation τ-b and its two-sided p-value.

    Over the ``n(n − 1)/2`` pairs, with ``S`` = concordant − discordant pairs and ``T_x``, ``T_y``
    the pairs tied in ``x`` and in ``y``, ``τ_b = S / √((N − T_x)(N − T_y))`` (Kendall 1945, "The
    treatment of ties in ranking problems", Biometrika 33). The p-value follows
    :func:`scipy.stats.kendalltau` (its default ``method="auto"``; scipy is the reference
    implementation):

    - no ties and ``n <= 33``, or at most one discordant (or concordant) pair: the exact null
      distribution of the number of discordant pairs, every order of ``y`` equally likely
      (Kendall 1938, "A new measure of rank correlation", Biometrika 30);
    - otherwise: ``S`` as normal with mean 0 and Kendall's tie-corrected variance
      ``(v₀ − v_x − v_y)/18 + 2 T_x T_y / (n(n−1)) + t_x t_y / (9 n(n−1)(n−2))`` with
      ``v₀ = n(n−1)(2n+5)``, ``v_x = Σ t(t−1)(2t+5)`` and ``t_x = Σ t(t−1)(t−2)`` over the tie
      groups of ``x`` (likewise for ``y``).

    Parameters
    ----------
    x, y : array-like of float
        As for :func:`spearman`.

    Returns
    -------
    RankCorrelation
        ``(τ_b, two-sided p-value)``.

    Raises
    ------
    ValueError
        As for :func:`spearman`.

    Used in: no lesson by name; :func:`mixlab.agreement.rank_agreement` and the Spearman
    implement-it task (its "this is Kendall's τ" mistake) call it.
    """
    from scipy.special import ndtr  # the normal CDF (scipy.stats.norm.sf(z) is ndtr(-z))

    a, b = _pair(x, y)
    n = a.size
    ra, rb = ranks(a, "min"), ranks(b, "min")  # integer ranks order pairs exactly as the values do
    i, j = np.triu_indices(n, k=1)
    score = int(np.sum(np.sign(ra[j] - ra[i]) * np.sign(rb[j] - rb[i])))  # concordant − discordant
    tied_x, x0, x1 = _tie_sums(_tie_groups(a)[2])
    tied_y, y0, y1 = _tie_sums(_tie_groups(b)[2])
    total = n * (n - 1) // 2
    tau = min(1.0, max(-1.0, score / math.sqrt(total - tied_x) / math.sqrt(total - tied_y)))
    if tied_x == 0 and tied_y == 0:
        discordant = (total - score) // 2  # without ties, concordant + discordant = total
        if n <= 33 or min(discordant, total - discordant) <= 1:
            return RankCorrelation(tau, _kendall_exact_p(n, discordant))
    m = n * (n - 1.0)
    var = (m * (2 * n + 5) - x1 - y1) / 18 + (2 * tied_x * tied_y) / m + x0 * y0 / (9 * m * (n - 2))
    return RankCorrelation(tau, float(2.0 * ndtr(-abs(score / math.sqrt(var)))))
