"""The probability simplex: grids over it, the nearest point under caps, and random points in it.

A mixture of k domains is a point of the simplex ``Δ^{k-1} = {w : w_i >= 0, Σ_i w_i = 1}``; a
repetition cap ``E_max`` at budget ``B`` bounds each weight by ``u_i = min(1, E_max T_i / B)``
(COURSE.md, "Notation"), which leaves the *capped* simplex ``{w ∈ Δ : w <= u}``. Every mixture
search uses three tools on it:

- :func:`simplex_grid`: every point whose coordinates are multiples of ``1 / r`` (grid search,
  heat maps);
- :func:`project_capped_simplex`: the nearest point of the capped simplex, in Euclidean distance
  (repairing a mixture that breaks its caps) or in KL divergence (the projection step of
  exponentiated gradient; :func:`kl_project_capped` is that variant under its old name);
- :func:`dirichlet_mixtures`: random mixtures around a prior, within the caps (RegMix's sampler).

**One solver for both projections.** Both projections have the KKT form
``w_i = clip(a_i + b_i x, 0, u_i)`` for a single scalar ``x`` chosen so that ``Σ_i w_i = 1``:
the Euclidean one with ``a_i = v_i, b_i = 1`` (``x = −τ``, one common shift), the KL one with
``a_i = 0, b_i = v_i`` (``x = c``, one common scale, so ``w_i = min(u_i, c v_i)``). The sum
``Σ_i clip(a_i + b_i x, 0, u_i)`` is continuous, non-decreasing and piecewise linear in ``x``,
with knots where a coordinate leaves 0 (``−a_i / b_i``) and where it reaches its cap
(``(u_i − a_i) / b_i``). The solver finds the segment between two knots where the sum crosses 1 by
binary search (``O(k log k)``; every evaluation clips each term before summing, so a huge term
cannot swallow a small one), and then solves ``Σ w = 1`` exactly on the coordinates that are free
(strictly between 0 and their cap) in that segment.

**Large inputs.** A shift of size ``|v|`` subtracted from every coordinate loses about
``|v| · 2⁻⁵²`` of the sum (``v = [1/3, −6.1e10]`` summed to 0.9999975 that way). So the Euclidean
projection first settles every coordinate whose fate is known: with ``p`` the m-th largest
``v_i`` and m the first rank at which the largest coordinates' caps reach 1, the shift lies in
``[p − 1, p)``, hence ``v_i >= p + 1`` sits at its cap and ``v_i <= p − 1`` at 0; the rest is
solved on ``v_i − p``, numbers smaller than 1. The result sums to 1 within a few units in the last
place for any finite ``v``. The KL projection is scale-free; ``v`` is divided by its largest
entry only when its sum would overflow.

Used in: 1.3 (the grid; exponentiated gradient's KL projection), 2.4 (the grid), 2.5 (the grid and
the projection), 3.4 (an exercise checked against the projection), 3.6 (the projection); RegMix and
the mixing-law fit sample with :func:`dirichlet_mixtures`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from mixlab.validation import check_finite_array, check_int, check_positive, check_seed, format_values

__all__ = [
    "simplex_grid",
    "project_capped_simplex",
    "kl_project_capped",
    "Divergence",
    "dirichlet_mixtures",
    "STRENGTHS",
]

#: The two projections onto the capped simplex: nearest in Euclidean distance or in KL divergence.
Divergence = Literal["euclidean", "kl"]

#: RegMix's default range of Dirichlet strengths (total concentration), sampled on a log grid.
STRENGTHS: tuple[float, float] = (0.1, 5.0)


# ---------------------------------------------------------------------------- the grid
def simplex_grid(k: int | Sequence[str], resolution: int) -> np.ndarray | pd.DataFrame:
    """Every point of the simplex whose coordinates are multiples of ``1 / resolution``.

    There are ``C(resolution + k − 1, k − 1)`` such points (stars and bars). Coordinates are
    computed as integers divided by ``resolution``, so each row sums to 1 up to rounding.

    Parameters
    ----------
    k : int or sequence of str
        Number of domains (>= 1), or the domain names (then a DataFrame with those columns is
        returned, ready for a ternary plot when there are three).
    resolution : int
        Grid resolution ``r >= 1``.

    Returns
    -------
    numpy.ndarray or pandas.DataFrame
        Shape ``(C(r + k − 1, k − 1), k)``, rows in lexicographic order of the integer counts
        (largest first coordinate first).

    Raises
    ------
    TypeError, ValueError
        On a non-integer or non-positive ``k``/``resolution``, repeated names, or a grid of more
        than one million points.

    Examples
    --------
    >>> simplex_grid(3, 2).tolist()
    [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]]

    Used in: 1.3 (grid points, the exercise), 2.4 (objectives over a grid), 2.5 (the capped simplex).
    """
    names: tuple[str, ...] | None = None
    if isinstance(k, str):
        raise TypeError("k must be an int or a sequence of domain names, not a single string")
    if isinstance(k, Sequence):
        names = tuple(k)
        if len(set(names)) != len(names):
            raise ValueError(f"domain names must be unique (got {list(names)})")
        kk = check_int(len(names), "number of domains", minimum=1)
    else:
        kk = check_int(k, "k", minimum=1)
    r = check_int(resolution, "resolution", minimum=1)
    n = math.comb(r + kk - 1, kk - 1)
    if n > 1_000_000:
        raise ValueError(f"simplex_grid would have {n:,} points (k={kk}, resolution={r}); keep it under 1,000,000")
    # stars and bars: choose k-1 bar positions among r + k - 1 slots; gaps between bars are the counts
    bars = np.array(list(itertools.combinations(range(r + kk - 1), kk - 1)), dtype=np.int64).reshape(n, kk - 1)
    edges = np.hstack([np.full((n, 1), -1), bars, np.full((n, 1), r + kk - 1)])
    counts = np.diff(edges, axis=1) - 1
    # combinations come in ascending bar order, i.e. ascending first count: flip for largest first
    grid = counts[::-1] / r
    if names is None:
        return grid
    return pd.DataFrame(grid, columns=pd.Index(names, name="domain"))


# ---------------------------------------------------------------------------- the projection
def _fill(a: np.ndarray, b: np.ndarray, u: np.ndarray, total: float) -> np.ndarray:
    """Solve ``Σ_i clip(a_i + b_i x, 0, u_i) = total`` for the scalar ``x``; return the clipped terms.

    Needs ``b_i > 0`` and ``0 < total <= Σ u_i``. A binary search over the sorted knots finds the
    segment where the sum crosses ``total`` (each evaluation clips every term before summing, so
    a huge ``b_i x`` never cancels a small one); on that segment the free coordinates are fixed
    and ``x`` solves ``Σ_free (a_i + b_i x) = total − Σ_capped u_i`` exactly.
    """
    with np.errstate(over="ignore", divide="ignore"):
        knots = np.unique(np.concatenate([-a / b, (u - a) / b]))
    knots = knots[np.isfinite(knots)]

    def level(x: float) -> float:
        return float(np.clip(a + b * x, 0.0, u).sum())

    lo, hi = 0, knots.size - 1
    while lo < hi:  # the first knot where the sum reaches total (the sum is non-decreasing in x)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if level(knots[mid]) >= total else (mid + 1, hi)
    inside = knots[lo] if lo == 0 else 0.5 * (knots[lo - 1] + knots[lo])  # a point strictly inside the segment
    t = a + b * inside
    capped = t >= u
    free = (t > 0) & ~capped
    x = knots[lo]
    if free.any():
        x = (total - u[capped].sum() - a[free].sum()) / b[free].sum()
    w = np.where(capped, u, np.where(free, a + b * x, 0.0))
    return np.clip(w, 0.0, u)


def _euclidean(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Euclidean projection of finite ``v`` onto ``{w ∈ Δ : w <= u}`` (``u <= 1``, ``Σ u >= 1``)."""
    if u.sum() <= 1.0:
        return u.copy()  # Σ u = 1 within the feasibility tolerance: u is the only feasible point
    order = np.argsort(-v, kind="stable")
    m = order[min(int(np.searchsorted(np.cumsum(u[order]), 1.0)), v.size - 1)]
    with np.errstate(over="ignore"):
        d = v - v[m]  # may overflow to ±inf for |v| near 1e308: those coordinates are settled below
    top, low = d >= 1.0, d <= -1.0
    mid = ~(top | low)
    w = np.where(top, u, 0.0)
    w[mid] = _fill(d[mid], np.ones(int(mid.sum())), u[mid], 1.0 - float(u[top].sum()))
    return w


def _kl(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """KL projection of ``v >= 0`` onto ``{w ∈ Δ : w <= u}``; zero exactly where ``v`` is zero."""
    support = v > 0
    w = np.zeros(v.size)
    if u[support].sum() <= 1.0:
        w[support] = u[support]
        return w
    b = v[support]
    with np.errstate(over="ignore"):
        if not np.isfinite(b.sum()):
            b = b / b.max()
    w[support] = _fill(np.zeros(b.size), b, u[support], 1.0)
    return w


def _projection_inputs(v: ArrayLike | pd.Series, caps: ArrayLike | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Validated float arrays of ``v`` and ``caps`` (caps reordered to ``v``'s labels when both are Series)."""
    if isinstance(v, pd.Series) and isinstance(caps, pd.Series):
        if set(caps.index) != set(v.index) or len(caps) != len(v):
            raise ValueError(f"caps must have exactly the labels of v (v: {list(v.index)}; caps: {list(caps.index)})")
        caps = caps.loc[v.index]
    try:
        vv = np.asarray(v, dtype=np.float64)
        uu = np.asarray(caps, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"v and caps must be numeric (got {v!r} and {caps!r})") from exc
    if vv.ndim != 1 or uu.shape != vv.shape or vv.size == 0:
        raise ValueError(f"v and caps must be non-empty 1-d arrays of equal length (got {vv.shape}, {uu.shape})")
    labels = list(v.index) if isinstance(v, pd.Series) else list(range(vv.size))
    bad = ~np.isfinite(vv)
    if bad.any():
        raise ValueError(f"v must be finite (got {format_values(zip(np.asarray(labels)[bad], vv[bad], strict=True))})")
    if np.isnan(uu).any() or (uu < 0).any():
        raise ValueError(f"caps must be >= 0 and not NaN (got {uu.tolist()})")
    return vv, uu


@overload
def project_capped_simplex(
    v: pd.Series, caps: ArrayLike | pd.Series, *, divergence: Divergence = "euclidean"
) -> pd.Series: ...
@overload
def project_capped_simplex(
    v: ArrayLike, caps: ArrayLike | pd.Series, *, divergence: Divergence = "euclidean"
) -> np.ndarray: ...
def project_capped_simplex(
    v: ArrayLike | pd.Series, caps: ArrayLike | pd.Series, *, divergence: Divergence = "euclidean"
) -> np.ndarray | pd.Series:
    """Nearest point of the capped simplex ``{w : 0 <= w_i <= u_i, Σ w_i = 1}`` to ``v``.

    ``divergence="euclidean"`` (default) minimizes ``‖w − v‖₂``: ``w_i = clip(v_i − τ, 0, u_i)``
    for one shift τ. ``divergence="kl"`` minimizes ``KL(w ‖ v)`` over positive ``v`` (the
    projection of mirror descent with the entropy mirror map): ``w_i = min(u_i, c v_i)`` for one
    scale ``c``; without a binding cap that is ``v / Σ v``. Both come from the KKT conditions and
    share one solver (module docstring). Caps above 1 are inactive (``w_i <= Σ w = 1``).

    Parameters
    ----------
    v : array-like or pandas.Series
        Point to project: finite; for ``"kl"`` also ``>= 0`` and not all zero.
    caps : array-like or pandas.Series
        Upper bounds ``u_i >= 0`` (``inf`` allowed), same length (same labels for two Series).
    divergence : {"euclidean", "kl"}

    Returns
    -------
    numpy.ndarray or pandas.Series
        The projection, a Series named ``weight`` indexed like ``v`` when ``v`` is a Series. It
        sums to 1 within a few units in the last place (for ``"euclidean"`` at any finite
        ``v``), lies within the caps, and (``"kl"``) is zero exactly where ``v`` is zero.

    Raises
    ------
    TypeError
        Non-numeric input.
    ValueError
        Non-finite ``v`` (named, with the bad entries), NaN or negative caps, mismatched shapes
        or labels, an empty set (``Σ u < 1``; for ``"kl"`` the caps on the support of ``v``),
        or an unknown ``divergence``.

    Examples
    --------
    >>> project_capped_simplex([0.7, 0.2, 0.1], [0.5, 1.0, 1.0]).round(3).tolist()
    [0.5, 0.3, 0.2]
    >>> project_capped_simplex([0.7, 0.2, 0.1], [0.5, 1.0, 1.0], divergence="kl").round(3).tolist()
    [0.5, 0.333, 0.167]

    Used in: 2.5, 3.6 (repairing a mixture that breaks its caps), 3.4 (the reference of the
    renormalize-within-caps exercise); the DoReMi and mixing-law searches project with it too.
    """
    vv, uu = _projection_inputs(v, caps)
    u = np.minimum(uu, 1.0)
    if u.sum() < 1.0 - 1e-12:
        raise ValueError(f"capped simplex is empty: caps sum to {u.sum():.6g} < 1 ({uu.tolist()})")
    if divergence == "euclidean":
        w = _euclidean(vv, u)
    elif divergence == "kl":
        if (vv < 0).any() or not (vv > 0).any():
            raise ValueError(f"v must be finite, >= 0 and not all zero for a KL projection (got {vv.tolist()})")
        if u[vv > 0].sum() < 1.0 - 1e-12:
            raise ValueError(
                f"the capped simplex restricted to the support of v is empty: caps there sum to "
                f"{u[vv > 0].sum():.6g} < 1 (a KL projection keeps zero weights at zero)"
            )
        w = _kl(vv, u)
    else:
        raise ValueError(f"divergence must be 'euclidean' or 'kl' (got {divergence!r})")
    if not np.all(np.isfinite(w)) or abs(w.sum() - 1.0) > 1e-9:
        raise ValueError(f"v spans too many orders of magnitude to project in float64 (got {vv.tolist()})")
    return pd.Series(w, index=v.index, name="weight") if isinstance(v, pd.Series) else w


def kl_project_capped(v: ArrayLike, caps: ArrayLike) -> np.ndarray:
    """KL projection onto the capped simplex: ``project_capped_simplex(v, caps, divergence="kl")`` on arrays.

    Returns
    -------
    numpy.ndarray
        ``w_i = min(u_i, c v_i)`` with ``Σ w = 1``.

    Raises
    ------
    ValueError
        As :func:`project_capped_simplex`.

    Used in: 1.3 (the reference of the EG-step exercise; :func:`mixlab.optimizers.exponentiated_gradient`,
    which the lesson runs, projects with it).
    """
    return np.asarray(project_capped_simplex(np.asarray(v, dtype=np.float64), caps, divergence="kl"))


# ---------------------------------------------------------------------------- random mixtures
def dirichlet_mixtures(
    prior: Sequence[float] | np.ndarray | pd.Series,
    n: int,
    seed: int,
    *,
    strengths: tuple[float, float] = STRENGTHS,
    n_strengths: int = 15,
    caps: Sequence[float] | np.ndarray | None = None,
    max_rounds: int = 50,
) -> np.ndarray:
    """Sample ``n`` mixtures from Dirichlet distributions centred on ``prior`` with varied strength.

    Each sample first picks a strength ``s`` uniformly from ``n_strengths`` values spaced
    evenly in log scale between ``strengths[0]`` and ``strengths[1]``, then draws
    ``w ~ Dirichlet(s · prior)``. A small ``s`` puts nearly all mass on one or two domains; a
    large ``s`` gives mixtures close to ``prior`` (RegMix's sampler, Liu et al. 2024,
    arXiv 2407.01492). Samples with some ``w_i > caps_i`` are rejected (not clipped), in rounds
    until ``n`` are accepted. The draw uses normalized Gamma variables, vectorized over samples;
    rows whose Gammas all underflow to zero (possible at tiny concentrations) are rejected too.

    Parameters
    ----------
    prior : array-like or pandas.Series
        The centre, on the simplex (checked; nothing is normalized), all entries > 0.
    n : int
        Number of mixtures (>= 1).
    seed : int
        Seed of the sampler's own generator.
    strengths : (float, float)
        Smallest and largest total concentration, ``0 < lo <= hi``.
    n_strengths : int
        Number of log-spaced strengths (>= 1).
    caps : array-like, optional
        Upper bounds ``u_i``; samples above a cap are rejected.
    max_rounds : int
        Give up (``ValueError``) after this many rounds without ``n`` accepted samples.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, k)``; every row is on the simplex (sums to 1 up to rounding) and within the caps.

    Raises
    ------
    ValueError
        Prior off the simplex or with a zero entry, bad strengths, or too many rejections.

    Used in: no lesson directly; :func:`mixlab.regmix.regmix` and
    :func:`mixlab.mixing_laws.mixing_law_optimize` sample their proxy mixtures with it.
    """
    p = check_finite_array(prior, "prior", nonnegative=True)
    if (p <= 0).any() or abs(p.sum() - 1.0) > 1e-9:
        raise ValueError(f"prior must be strictly positive and sum to 1 within 1e-09 (got {p.tolist()})")
    count = check_int(n, "n", minimum=1)
    rng = np.random.default_rng(check_seed(seed))
    lo, hi = (check_positive(strengths[0], "strengths[0]"), check_positive(strengths[1], "strengths[1]"))
    if lo > hi:
        raise ValueError(f"strengths must be (low, high) with low <= high (got {strengths})")
    grid = np.logspace(math.log10(lo), math.log10(hi), check_int(n_strengths, "n_strengths", minimum=1))
    u = np.ones_like(p) if caps is None else check_finite_array(caps, "caps", nonnegative=True)
    if u.shape != p.shape:
        raise ValueError(f"caps must have one entry per domain ({p.size}; got {u.size})")
    accepted: list[np.ndarray] = []
    have = 0
    for _ in range(check_int(max_rounds, "max_rounds", minimum=1)):
        m = 2 * (count - have) + 16
        s = rng.choice(grid, size=m)
        g = rng.gamma(shape=s[:, None] * p[None, :])
        tot = g.sum(axis=1)
        ok = tot > 0
        w = g[ok] / tot[ok, None]
        w = w[np.all(w <= u + 1e-12, axis=1)]
        accepted.append(w)
        have += len(w)
        if have >= count:
            return np.concatenate(accepted)[:count]
    raise ValueError(
        f"only {have} of {count} Dirichlet samples fell within the caps ({u.tolist()}) after {max_rounds} rounds; "
        "raise max_epochs or the strengths"
    )
