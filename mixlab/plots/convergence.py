"""Realized vs target mixture as more samples are drawn (i.i.d. vs a deterministic blend).

Used in: 2.3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mixlab.plots.style import (
    _axes,
    series_colors,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes



__all__ = [
    "convergence_plot",
]

def convergence_plot(
    curves: Mapping[str, pd.DataFrame | pd.Series],
    ax: Axes | None = None,
    *,
    column: str = "max_share_dev",
    guides: Sequence[str] = ("1/sqrt(n)", "1/n"),
    title: str | None = "Realized vs target mixture",
) -> Axes:
    """Realized-vs-target deviation against sample count n, on log-log axes, with 1/√n and 1/n guides.

    Parameters
    ----------
    curves : mapping label → DataFrame or Series
        Each a table from :func:`mixlab.sampling.prefix_deviation` (index ``n``, column
        ``column``) or a Series of deviations indexed by n, e.g. ``{"i.i.d.": ..., "blended": ...}``.
    ax : matplotlib Axes, optional
    column : str
        Which column of a DataFrame to plot.
    guides : subset of {"1/sqrt(n)", "1/n"}
        Reference slopes, drawn dashed and anchored to the first curve (1/√n) and the last (1/n).
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        On empty curves, non-positive n, or an unknown guide.

    Used in: 2.3 (i.i.d. sampling converges like 1/√n; a deterministic blend keeps every prefix close).
    """
    if not curves:
        raise ValueError("convergence_plot needs at least one curve")
    unknown = [g for g in guides if g not in ("1/sqrt(n)", "1/n")]
    if unknown:
        raise ValueError(f"guides must be among '1/sqrt(n)', '1/n' (got {unknown})")
    ax = _axes(ax)
    colors = series_colors(list(curves))
    series: dict[str, pd.Series] = {}
    for name, c in curves.items():
        s = c[column] if isinstance(c, pd.DataFrame) else c
        if not isinstance(s, pd.Series) or s.empty:
            raise ValueError(f"curve {name!r} must be a non-empty DataFrame or Series indexed by n")
        n = s.index.to_numpy(dtype=np.float64)
        if (n <= 0).any():
            raise ValueError(f"curve {name!r} has non-positive n")
        series[name] = s
        pos = s.to_numpy(dtype=np.float64) > 0  # zero deviation cannot be shown on a log axis
        ax.loglog(n[pos], s.to_numpy(dtype=np.float64)[pos], marker=".", lw=1.5, color=colors[name], label=name)
    all_n = np.concatenate([s.index.to_numpy(dtype=np.float64) for s in series.values()])
    grid = np.geomspace(all_n.min(), all_n.max(), 50)
    names = list(series)
    for g in guides:
        ref = series[names[0]] if g == "1/sqrt(n)" else series[names[-1]]
        n = ref.index.to_numpy(dtype=np.float64)
        v = ref.to_numpy(dtype=np.float64)
        ok = v > 0
        if not ok.any():
            continue
        p = 0.5 if g == "1/sqrt(n)" else 1.0
        scale = float(np.median(v[ok] * n[ok] ** p))
        ax.loglog(grid, scale / grid**p, ls="--", lw=1, color="grey")
        xt = grid[int(0.8 * (len(grid) - 1))]
        ax.annotate("∝ 1/√n" if p == 0.5 else "∝ 1/n", (xt, scale / xt**p), xytext=(0, 5),
                    textcoords="offset points", fontsize=9, color="grey", ha="center", va="bottom")
    ax.set_xlabel("samples drawn n (log scale)")
    ax.set_ylabel("max over domains |realized share − target|")
    ax.grid(which="major", alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax
