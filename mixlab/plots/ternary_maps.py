"""Heat maps of a function over the 3-domain simplex (an objective, a count of broken caps).

An objective over the simplex is flat in a wide basin and steep near the corners, so a colour
scale spread from the minimum to the maximum paints the whole basin one colour. The default
scale, ``"robust"``, spreads the colours from the minimum to a percentile of the values (the
rest share the top colour, marked by the colourbar's arrow); ``"log-excess"`` colours the excess
over the minimum on a log scale. A grid of measured points can be drawn as one cell per point
(``style="cells"``) instead of interpolated contours, and an integer count as discrete levels.

Used in: 1.3, 1.5, 2.4, 2.5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.plots.style import _LABEL_BOX
from mixlab.plots.ternary import _as_k3, barycentric_to_xy, ternary_axes

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.colors import Normalize

__all__ = [
    "SCALES",
    "ternary_heatmap",
]

#: Colour scales of :func:`ternary_heatmap`.
SCALES: tuple[str, ...] = ("robust", "log-excess", "linear")


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


def _check_feasible(feasible: Any, vals: np.ndarray) -> np.ndarray:
    """The boolean feasibility mask (all True when None), with finite values required where feasible."""
    n = len(vals)
    if feasible is None:
        if not np.all(np.isfinite(vals)):
            raise ValueError("values must be finite (NaN/inf found)")
        return np.ones(n, dtype=bool)
    ok = np.asarray(feasible)
    if ok.shape != (n,):
        raise ValueError(f"feasible must have one entry per grid point (got shape {ok.shape} for {n} points)")
    if ok.dtype != np.bool_:
        raise TypeError(
            f"feasible must be booleans, e.g. a grid_search history's 'feasible' column (got dtype {ok.dtype})"
        )
    bad = ok & ~np.isfinite(vals)
    if bad.any():
        raise ValueError(f"values must be finite at feasible points (NaN/inf at {int(bad.sum())} feasible points)")
    return ok


def _check_options(
    vals: np.ndarray, scale: str, upper: float, style: str | None, discrete: bool | None,
) -> tuple[bool, str]:
    """Checked scale and percentile; whether to draw discrete levels and in which style."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)} (got {scale!r})")
    if not 0.0 < float(upper) <= 100.0:
        raise ValueError(f"upper must be a percentile in (0, 100] (got {upper!r})")
    if discrete is None:  # a count: every value an integer, and few of them
        finite = vals[np.isfinite(vals)]
        discrete = bool(finite.size) and bool(np.all(finite == np.round(finite))) and np.unique(finite).size <= 12
    style = style or ("cells" if discrete else "contours")
    if style not in ("contours", "cells"):
        raise ValueError(f"style must be 'contours' or 'cells' (got {style!r})")
    return bool(discrete), style


def _scale(
    vals: np.ndarray, scale: str, levels: int | list[float], upper: float, discrete: bool, label: str,
) -> tuple[np.ndarray, Normalize, np.ndarray, dict[str, Any]]:
    """What to draw for a heat map's finite values: the values (the log-excess scale draws
    ``log10(v − min + tiny)``), the colour norm, the level boundaries and the colourbar options."""
    from matplotlib.colors import BoundaryNorm, Normalize
    from matplotlib.ticker import MaxNLocator

    lo, hi = float(vals.min()), float(vals.max())
    if discrete:
        if not np.allclose(vals, np.round(vals)):
            raise ValueError("discrete=True needs integer values (e.g. a count of broken caps)")
        ints = np.arange(round(lo), round(hi) + 1)
        bounds = np.append(ints - 0.5, ints[-1] + 0.5)
        return vals, BoundaryNorm(bounds, 256), bounds, {"ticks": ints.tolist(), "label": label}
    if scale == "log-excess":
        tiny = max(hi - lo, 1e-12) / 1000.0
        z = np.log10(vals - lo + tiny)
        bounds = np.linspace(z.min(), z.max(), (levels if isinstance(levels, int) else 14) + 1)
        decades = [10.0**e for e in range(math.floor(math.log10(tiny)), math.ceil(math.log10(hi - lo + tiny)) + 1)]
        shown = [d for d in decades if tiny <= d <= hi - lo + tiny]
        opts = {"ticks": [math.log10(d + tiny) for d in shown], "tick_labels": [f"+{d:g}" for d in shown],
                "label": f"{label}\nexcess over the minimum {lo:.3f}, log scale"}
        return z, Normalize(bounds[0], bounds[-1]), bounds, opts
    if isinstance(levels, list):
        return vals, Normalize(levels[0], levels[-1]), np.asarray(levels), {"label": label}
    top = hi if scale == "linear" else float(np.percentile(vals, upper))
    top = hi if top <= lo else top
    extend = "max" if top < hi else "neither"
    note = f"\n(colours stop at the {upper:g}th percentile, {top:.3g})" if extend == "max" else ""
    ticks = [t for t in MaxNLocator(nbins=6).tick_values(lo, top) if lo <= t <= top]
    opts = {"label": label + note, "extend": extend, "ticks": ticks}
    return vals, Normalize(lo, top), np.linspace(lo, top, levels + 1), opts


def _hex_cells(arr: np.ndarray) -> list[np.ndarray]:
    """One hexagon per point of a regular simplex grid (its Voronoi cell), in plot coordinates."""
    steps = np.unique(np.round(arr[arr > 1e-12], 9))
    r = round(1.0 / steps.min()) if steps.size else 0
    if r < 1 or not np.allclose(arr * r, np.round(arr * r), atol=1e-6):
        raise ValueError("style='cells' needs a regular simplex grid (weights in steps of 1/r, e.g. simplex_grid)")
    offsets = np.array([[2, -1, -1], [1, 1, -2], [-1, 2, -1], [-2, 1, 1], [-1, -1, 2], [1, -2, 1]]) / (3.0 * r)
    return [barycentric_to_xy(p + offsets) for p in arr]


def _draw(
    ax: Axes, arr: np.ndarray, z: np.ndarray, shown: np.ndarray, style: str, cmap: str, norm: Normalize,
    bounds: np.ndarray, extend: str,
) -> Any:
    """Draw the heat map (contours or cells clipped to the triangle); returns the mappable."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Polygon

    xy = barycentric_to_xy(arr)
    if style == "contours":
        return ax.tricontourf(xy[shown, 0], xy[shown, 1], z, levels=bounds, cmap=cmap, norm=norm, zorder=0,
                              extend=extend)
    cells = PolyCollection([c for c, keep in zip(_hex_cells(arr), shown, strict=True) if keep], cmap=cmap,
                           norm=norm, edgecolors="face", linewidths=0.8, antialiaseds=False, zorder=0)
    cells.set_array(z)
    ax.add_collection(cells)
    cells.set_clip_path(Polygon(barycentric_to_xy(np.eye(3)), closed=True, transform=ax.transData))
    return cells


def _colorbar(ax: Axes, mappable: Any, opts: dict[str, Any]) -> None:
    """A labelled colourbar (with the given ticks and tick labels, if any)."""
    import matplotlib.pyplot as plt

    cbar = plt.colorbar(mappable, ax=ax, shrink=0.8, label=opts["label"], extend=opts.get("extend", "neither"))
    if "ticks" in opts:
        cbar.set_ticks(opts["ticks"], labels=opts.get("tick_labels"))


def ternary_heatmap(
    weights_k3: npt.ArrayLike | pd.DataFrame,
    values: npt.ArrayLike | pd.Series,
    ax: Axes | None = None,
    *,
    domains: Sequence[str] = ("A", "B", "C"),
    levels: int | Sequence[float] = 14,
    cmap: str = "viridis_r",
    label: str = "objective (nats/token)",
    mark_min: bool = True,
    feasible: npt.ArrayLike | pd.Series | None = None,
    scale: str = "robust",
    upper: float = 75.0,
    style: str | None = None,
    discrete: bool | None = None,
) -> Axes:
    """A function on the 3-domain simplex as a heat map (e.g. an objective on a grid of mixtures).

    Parameters
    ----------
    weights_k3, values : array-like, shapes (n, 3) and (n,)
        Grid points on the simplex and the value at each (finite; with ``feasible``, infeasible
        points may be NaN, e.g. a grid search with ``train_infeasible=False``, and are left out).
    ax : matplotlib Axes, optional
    domains : three names
        Corner labels.
    levels : int or sequence of float
        Number of colour levels, or the boundaries themselves (strictly increasing; they then
        fix the scale, e.g. the same boundaries for several panels).
    cmap, label : str
        Colormap (default: low values bright, so dark markers stand out in the basin) and colourbar label.
    mark_min : bool
        Mark the lowest point: "grid optimum", or with ``feasible`` "feasible optimum".
    feasible : array-like of bool, optional
        Which points respect the constraints; the others get grey crosses and never win.
    scale : {"robust", "log-excess", "linear"}
        Colours from the minimum to the ``upper`` percentile (default), the excess over the
        minimum on a log scale, or minimum to maximum.
    upper : float
        Percentile where the robust scale's colours stop (values above share the top colour).
    style : {"contours", "cells"}, optional
        Interpolated filled contours (default), or one hexagonal cell per grid point (needs a
        regular grid; default with ``discrete``).
    discrete : bool, optional
        Integer values (e.g. a count of broken caps): one colour per integer, integer ticks.
        Default: True when every value is an integer and there are at most 12 of them.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with the map, its colourbar and the optimum.

    Raises
    ------
    TypeError, ValueError
        Bad ``levels``, ``feasible``, ``scale``, ``style`` or ``upper``; shape mismatch, fewer
        than 3 points, non-finite values at feasible points, non-integer values with
        ``discrete``, an irregular grid with ``style="cells"``, ``mark_min`` with no feasible point.

    Used in: 1.3 (objective with baselines and the optimum), 1.5, 2.4, 2.5 (caps broken).
    """
    vals = np.asarray(values, dtype=np.float64)
    discrete, style = _check_options(vals, scale, upper, style, discrete)
    arr, _ = _as_k3(weights_k3, None)
    if vals.shape != (len(arr),):
        raise ValueError(f"values must have one entry per grid point (got shape {vals.shape} for {len(arr)} points)")
    lv = _contour_levels(levels)
    ok = _check_feasible(feasible, vals)
    shown = np.isfinite(vals)
    if shown.sum() < 3:
        raise ValueError(f"a heat map needs at least 3 grid points (got {int(shown.sum())})")
    z, norm, bounds, opts = _scale(vals[shown], scale, lv, float(upper), bool(discrete), label)
    ax = ax if ax is not None else ternary_axes(domains)
    _colorbar(ax, _draw(ax, arr, z, shown, style, cmap, norm, bounds, opts.get("extend", "neither")), opts)
    _mark(ax, barycentric_to_xy(arr), vals, ok, feasible is not None, mark_min)
    return ax


def _mark(ax: Axes, xy: np.ndarray, vals: np.ndarray, ok: np.ndarray, constrained: bool, mark_min: bool) -> None:
    """Grey crosses on infeasible points, and a star on the lowest (feasible) point."""
    if constrained and not ok.all():
        ax.scatter(xy[~ok, 0], xy[~ok, 1], marker="x", s=14, c="0.35", linewidths=0.8, zorder=4, label="infeasible")
    if not mark_min:
        return
    if not ok.any():
        raise ValueError("mark_min needs at least one feasible point (feasible is all False)")
    i = int(np.argmin(np.where(ok, vals, np.inf)))
    name = "feasible optimum" if constrained else "grid optimum"
    ax.scatter([xy[i, 0]], [xy[i, 1]], marker="*", s=220, c="white", edgecolors="black", zorder=7)
    ax.annotate(f"{name} ({vals[i]:.3f})", (xy[i, 0], xy[i, 1]), xytext=(8, -12),
                textcoords="offset points", fontsize=9, zorder=7, bbox=_LABEL_BOX)
