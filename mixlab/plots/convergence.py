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

def _curve(c: pd.DataFrame | pd.Series, name: str, column: str, band: tuple[float, float]) -> tuple[
        pd.Series, pd.DataFrame | None]:
    """The line to draw (one curve, or the median over realisations) and, for realisations, the band."""
    if isinstance(c, pd.DataFrame) and column not in c.columns:
        if c.shape[1] < 2 or c.empty:
            raise ValueError(f"curve {name!r}: a table of realisations needs rows (n) and at least 2 columns (seeds)")
        arr = c.to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"curve {name!r}: realisations must be finite (a missing n for some seed?)")
        lo, hi = np.percentile(arr, band, axis=1)
        spread = pd.DataFrame({"low": lo, "high": hi}, index=c.index)
        return pd.Series(np.median(arr, axis=1), index=c.index), spread
    s = c[column] if isinstance(c, pd.DataFrame) else c
    if not isinstance(s, pd.Series) or s.empty:
        raise ValueError(f"curve {name!r} must be a non-empty DataFrame or Series indexed by n")
    return s, None


def convergence_plot(
    curves: Mapping[str, pd.DataFrame | pd.Series],
    ax: Axes | None = None,
    *,
    column: str = "max_share_dev",
    guides: Sequence[str] = ("1/sqrt(n)", "1/n"),
    title: str | None = "Realized vs target mixture",
    band: tuple[float, float] = (10.0, 90.0),
) -> Axes:
    """Realized-vs-target deviation against sample count n (log-log), with 1/√n and 1/n guides.

    A random sampler's curve from one seed is one draw of a random process; pass many seeds and
    the plot shows their median with a percentile band, the typical behaviour and its spread.

    Parameters
    ----------
    curves : mapping label → DataFrame or Series
        Each a table from :func:`mixlab.sampling.prefix_deviation` (index ``n``, column
        ``column``), a Series of deviations indexed by n, or a table of realisations: index ``n``,
        one column per seed (e.g. ``pd.DataFrame({s: prefix_deviation(...)[column] for s in seeds})``).
    ax : matplotlib Axes, optional
    column : str
        Which column of a prefix-deviation table to plot.
    guides : subset of {"1/sqrt(n)", "1/n"}
        Reference slopes, dashed, anchored to the first curve (1/√n) and the last (1/n).
    title : str or None
    band : pair of percentiles
        The shaded band of a table of realisations (default the 10th to 90th percentile).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes (log-log), one line per curve (and band), with the guides.

    Raises
    ------
    ValueError
        On empty curves, non-positive n, an unknown guide, a bad band, or realisations with
        fewer than 2 seeds or missing values.

    Used in: 2.3 (i.i.d. sampling converges like 1/√n; a deterministic blend keeps every prefix close).
    """
    if not curves:
        raise ValueError("convergence_plot needs at least one curve")
    unknown = [g for g in guides if g not in ("1/sqrt(n)", "1/n")]
    if unknown:
        raise ValueError(f"guides must be among '1/sqrt(n)', '1/n' (got {unknown})")
    if not (len(band) == 2 and 0 <= band[0] < band[1] <= 100):
        raise ValueError(f"band must be two increasing percentiles in [0, 100] (got {band!r})")
    ax = _axes(ax)
    colors = series_colors(list(curves))
    series: dict[str, pd.Series] = {}
    for name, c in curves.items():
        s, spread = _curve(c, name, column, band)
        n = s.index.to_numpy(dtype=np.float64)
        if (n <= 0).any():
            raise ValueError(f"curve {name!r} has non-positive n")
        series[name] = s
        pos = s.to_numpy(dtype=np.float64) > 0  # zero deviation cannot be shown on a log axis
        label = name if spread is None else f"{name}: median of {c.shape[1]} seeds, {band[0]:g}–{band[1]:g}th pct"
        ax.loglog(n[pos], s.to_numpy(dtype=np.float64)[pos], marker=".", lw=1.5, color=colors[name], label=label)
        if spread is not None:
            ok = (spread["low"] > 0).to_numpy()
            ax.fill_between(n[ok], spread["low"].to_numpy()[ok], spread["high"].to_numpy()[ok], color=colors[name],
                            alpha=0.2, lw=0)
    _guides(ax, series, guides)
    ax.set_xlabel("samples drawn n (log scale)")
    ax.set_ylabel("max over domains |realized share − target|")
    ax.grid(which="major", alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def _guides(ax: Axes, series: dict[str, pd.Series], guides: Sequence[str]) -> None:
    """Dashed 1/√n (anchored to the first curve) and 1/n (the last) reference lines."""
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
