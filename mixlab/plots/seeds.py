"""Values measured over several seeds: a mean per point with its t interval, one curve per domain.

A quantity measured on ``n`` seeds is drawn as its mean with the interval of
:func:`mixlab.stats.seed_summary` (``mean ± t_{n−1} · sd / √n``) as a shaded band, so a reader
sees at once which differences are larger than the seed-to-seed noise. Curves are coloured by
domain (:func:`mixlab.plots.domain_colors`) when the groups are domains.

Used in: 1.1 (what more tokens buy), 1.2 (the marginal value of a domain's tokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mixlab.plots.style import _axes, _finite_1d, domain_colors, place_legend

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = ["interval_plot"]

#: How :func:`interval_plot` draws a group: a line with a shaded band, or open markers with error bars.
INTERVAL_STYLES: tuple[str, ...] = ("band", "points")


def _columns(summary: pd.DataFrame, needed: list[str]) -> None:
    if not isinstance(summary, pd.DataFrame) or summary.empty:
        raise ValueError("summary must be a non-empty DataFrame (one row per group and x)")
    missing = [c for c in needed if c not in summary.columns]
    if missing:
        raise ValueError(f"summary is missing columns {missing} (got {list(summary.columns)})")


def _interval_data(
    summary: pd.DataFrame, x: str, group: str, mean: str, low: str, high: str, logx: bool,
    floor: Mapping[str, float] | pd.Series | None, style: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The checked columns of an interval table (x, mean, low, high) and its group names in order."""
    if style not in INTERVAL_STYLES:
        raise ValueError(f"style must be one of {', '.join(INTERVAL_STYLES)} (got {style!r})")
    _columns(summary, [group, x, mean, low, high])
    xs, m = _finite_1d(summary[x], x), _finite_1d(summary[mean], mean)
    lo, hi = _finite_1d(summary[low], low), _finite_1d(summary[high], high)
    if np.any(lo > m) or np.any(hi < m):
        raise ValueError(f"every interval [{low}, {high}] must contain its {mean}")
    if logx and np.any(xs <= 0):
        raise ValueError(f"{x} must be > 0 on a log axis")
    names = [str(g) for g in dict.fromkeys(summary[group].astype(str))]
    if floor is not None:
        lacking = [g for g in names if g not in floor]
        if lacking:
            raise ValueError(f"floor has no entry for {lacking}")
    return xs, m, lo, hi, names


def _label_interval_axes(ax: Axes, xs: np.ndarray, fresh: bool, logx: bool, x: str, xlabel: str | None,
                         ylabel: str | None, title: str | None) -> None:
    """Scale, ticks, labels and grid of an interval plot (labels only where given, on a reused Axes)."""
    if logx:
        ax.set_xscale("log")
    ticks = np.unique(xs)
    if fresh and len(ticks) <= 8:
        ax.set_xticks(ticks, [f"{t:,.0f}" if t >= 1000 else f"{t:g}" for t in ticks])
        ax.minorticks_off()
    if fresh or xlabel is not None:
        ax.set_xlabel(xlabel or x)
    if fresh or ylabel is not None:
        ax.set_ylabel(ylabel or "mean over seeds, with its 95% t interval")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)


def interval_plot(
    summary: pd.DataFrame,
    *,
    x: str,
    group: str = "domain",
    mean: str = "mean",
    low: str = "ci_low",
    high: str = "ci_high",
    style: str = "band",
    label: str = "{group}",
    floor: Mapping[str, float] | pd.Series | None = None,
    logx: bool = False,
    legend: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
) -> Axes:
    """Means over seeds against ``x``, one curve per group, each with its t interval.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per (group, x) with the columns named by ``group``, ``x``, ``mean``, ``low`` and
        ``high`` (e.g. :func:`mixlab.stats.seed_summary` per point, concatenated).
    x, group, mean, low, high : str
        Column names.
    style : {"band", "points"}
        "band": a line with markers and a shaded interval; "points": open markers with error
        bars and no line (a second set of results drawn over the first, e.g. another capacity).
    label : str
        Legend label per group; ``"{group}"`` is replaced by the group's name.
    floor : mapping or pandas.Series, optional
        A floor per group (e.g. the entropy rate), drawn as a dotted line in the group's colour.
    logx : bool
        ``x`` on a log scale.
    legend : bool
        Place the legend right of the plot (where it covers no data).
    ax : matplotlib Axes, optional
        Draw here (e.g. a second call on the Axes the first returned).
    title, xlabel, ylabel : str, optional
        On a new Axes the labels default to ``x`` and "mean over seeds, with its 95% t
        interval"; on a given ``ax`` only the labels passed are set. With a few distinct ``x``
        values (at most 8) the ticks are those values, written in full.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        On a missing column, an empty table, non-finite values, an interval that does not
        contain its mean, non-positive ``x`` on a log axis, an unknown ``style`` or a ``floor``
        without an entry for a group.

    Used in: 1.1 (excess vs budget), 1.2 (loss vs a domain's tokens).
    """
    xs, m, lo, hi, names = _interval_data(summary, x, group, mean, low, high, logx, floor, style)
    colors, fresh = domain_colors(names), ax is None
    ax = _axes(ax, figsize=(7.0, 3.8))
    keys = summary[group].astype(str).to_numpy()
    for name in names:
        sel = keys == name
        order = np.argsort(xs[sel], kind="stable")
        gx, gm, gl, gh = (v[sel][order] for v in (xs, m, lo, hi))
        text = label.replace("{group}", name)
        if style == "band":
            ax.plot(gx, gm, marker="o", ms=4, color=colors[name], label=text)
            ax.fill_between(gx, gl, gh, color=colors[name], alpha=0.22, lw=0)
        else:
            ax.errorbar(gx, gm, yerr=[gm - gl, gh - gm], fmt="o", mfc="white", mec=colors[name], ecolor=colors[name],
                        ms=6, capsize=3, label=text)
        if floor is not None:
            ax.axhline(float(floor[name]), color=colors[name], ls=":", lw=1)
    _label_interval_axes(ax, xs, fresh, logx, x, xlabel, ylabel, title)
    if legend:
        place_legend(ax, "outside")
    return ax
