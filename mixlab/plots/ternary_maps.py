"""Heat maps of a function over the 3-domain simplex (an objective, a count of broken caps).

Used in: 1.3, 1.5, 2.4, 2.5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mixlab.plots.style import (
    _LABEL_BOX,
)
from mixlab.plots.ternary import _as_k3, barycentric_to_xy, ternary_axes

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes



__all__ = [
    "ternary_heatmap",
]

def _contour_levels(levels: Any) -> int | list[float]:
    """``levels`` for ``tricontourf``: a count >= 1, or at least two increasing finite boundaries."""
    if isinstance(levels, bool):
        raise TypeError("levels must be an int (number of contour levels) or a sequence of level values (got a bool)")
    if isinstance(levels, int | np.integer):
        if levels < 1:
            raise ValueError(f"levels must be >= 1 when given as a number of levels (got {levels})")
        return int(levels)
    if isinstance(levels, str | bytes | Mapping) or not hasattr(levels, "__len__"):
        raise TypeError(
            f"levels must be an int (number of contour levels) or a sequence of level values "
            f"(got {type(levels).__name__})"
        )
    try:
        arr = np.asarray(levels, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"levels must contain numbers (got {list(levels)!r})") from exc
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"levels as a sequence needs at least two values (got {arr.tolist()})")
    if not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise ValueError(f"levels must be finite and strictly increasing (got {arr.tolist()})")
    return arr.tolist()


def ternary_heatmap(
    weights_k3: Any,
    values: Any,
    ax: Axes | None = None,
    *,
    domains: Sequence[str] = ("A", "B", "C"),
    levels: int | Sequence[float] = 14,
    cmap: str = "viridis",
    label: str = "objective (nats/token)",
    mark_min: bool = True,
    feasible: Any = None,
) -> Axes:
    """Filled contours of a function on the 3-domain simplex (e.g. an objective on a grid of mixtures).

    Parameters
    ----------
    weights_k3 : array-like, shape (n, 3)
        Grid points on the simplex (e.g. every mixture with weights in steps of 0.05).
    values : array-like, shape (n,)
        The value at each point (finite; with ``feasible``, infeasible points may be NaN, e.g.
        a grid search run with ``train_infeasible=False``, and are then left out of the contours).
    ax : matplotlib Axes, optional
    domains : three names
        Corner labels.
    levels : int or sequence of float
        Number of contour levels, or the level boundaries themselves (at least two, strictly
        increasing), e.g. the same boundaries for several panels so their colors compare.
    cmap : str
        Colormap (lower values are darker with viridis).
    label : str
        Colorbar label.
    mark_min : bool
        Mark the grid point with the lowest value: "grid optimum", or with ``feasible``
        "feasible optimum", the lowest value among the feasible points only.
    feasible : array-like of bool, shape (n,), optional
        Which points respect the constraints (e.g. the ``feasible`` column of a
        :func:`mixlab.optimizers.grid_search` history). Infeasible points are marked with small
        grey crosses and never chosen as the optimum.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        On a ``levels`` that is neither an int nor a sequence of numbers, or a non-boolean
        ``feasible``.
    ValueError
        On shape mismatch, too few points, non-finite values (at feasible points, when
        ``feasible`` is given), bad ``levels``, or ``mark_min`` with no feasible point.

    Used in: 1.3 (ternary heat map with baselines and the optimum marked), 2.4, 2.5.
    """
    import matplotlib.pyplot as plt

    arr, _ = _as_k3(weights_k3, None)
    vals = np.asarray(values, dtype=np.float64)
    if vals.shape != (len(arr),):
        raise ValueError(f"values must have one entry per grid point (got shape {vals.shape} for {len(arr)} points)")
    lv = _contour_levels(levels)
    ok = np.ones(len(arr), dtype=bool)
    if feasible is None:
        if not np.all(np.isfinite(vals)):
            raise ValueError("values must be finite (NaN/inf found)")
    else:
        ok = np.asarray(feasible)
        if ok.shape != (len(arr),):
            raise ValueError(
                f"feasible must have one entry per grid point (got shape {ok.shape} for {len(arr)} points)"
            )
        if ok.dtype != np.bool_:
            raise TypeError(
                f"feasible must be booleans, e.g. a grid_search history's 'feasible' column (got dtype {ok.dtype})"
            )
        bad = ok & ~np.isfinite(vals)
        if bad.any():
            raise ValueError(f"values must be finite at feasible points (NaN/inf at {int(bad.sum())} feasible points)")
    shown = np.isfinite(vals)
    if shown.sum() < 3:
        raise ValueError(f"a heat map needs at least 3 grid points (got {int(shown.sum())})")
    if ax is None:
        ax = ternary_axes(domains)
    xy = barycentric_to_xy(arr)
    cs = ax.tricontourf(xy[shown, 0], xy[shown, 1], vals[shown], levels=lv, cmap=cmap, zorder=0)
    plt.colorbar(cs, ax=ax, label=label, shrink=0.8)
    if feasible is not None and not ok.all():
        ax.scatter(xy[~ok, 0], xy[~ok, 1], marker="x", s=14, c="0.35", linewidths=0.8, zorder=4,
                   label="infeasible")
    if mark_min:
        if not ok.any():
            raise ValueError("mark_min needs at least one feasible point (feasible is all False)")
        i = int(np.argmin(np.where(ok, vals, np.inf)))
        name = "grid optimum" if feasible is None else "feasible optimum"
        ax.scatter([xy[i, 0]], [xy[i, 1]], marker="*", s=220, c="white", edgecolors="black", zorder=7)
        ax.annotate(f"{name} ({vals[i]:.3f})", (xy[i, 0], xy[i, 1]), xytext=(8, -12),
                    textcoords="offset points", fontsize=9, zorder=7, bbox=_LABEL_BOX)
    return ax
