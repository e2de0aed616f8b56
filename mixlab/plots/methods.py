"""Comparing proxies and methods: rank agreement, weight traces, fits, scores vs cost, objective tables.

Used in: 1.4, 1.5, 3.6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.plots.style import (
    _axes,
    _finite_1d,
    color_mixture_labels,
    domain_colors,
    place_labels,
    series_colors,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes


__all__ = [
    "rank_agreement_plot",
    "objective_heatmap",
    "agreement_vs_cost",
    "seed_averaging_plot",
    "weight_trace",
    "predicted_vs_measured",
    "score_vs_cost",
]

def rank_agreement_plot(
    proxy_values: pd.Series | npt.ArrayLike,
    target_values: pd.Series | npt.ArrayLike,
    ax: Axes | None = None,
    *,
    labels: Sequence[str] | None = None,
    xlabel: str = "proxy loss (nats/token)",
    ylabel: str = "target loss (nats/token)",
    title: str | None = "Proxy vs target",
    annotate: bool = True,
) -> Axes:
    """Scatter of candidate mixtures' proxy vs target values, with Spearman's ρ in the title.

    Parameters
    ----------
    proxy_values, target_values : pandas.Series or array-like
        One value per candidate. Two Series are aligned on their index (which supplies labels).
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        Point labels (default: the Series index, if any).
    xlabel, ylabel, title : str
    annotate : bool
        Write each point's label next to it (default True); False keeps a crowded plot readable.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, titled with Spearman's ρ and n.

    Raises
    ------
    TypeError
        If ``annotate`` is not a bool.
    ValueError
        On different lengths / indices, fewer than 3 points, non-finite or constant values.

    Used in: 1.4 (rank agreement between proxy and target).
    """
    if not isinstance(annotate, bool):
        raise TypeError(f"annotate must be a bool (got {annotate!r})")
    if isinstance(proxy_values, pd.Series) and isinstance(target_values, pd.Series):
        if set(proxy_values.index) != set(target_values.index):
            raise ValueError("proxy_values and target_values must have the same index (candidates)")
        target_values = target_values.loc[proxy_values.index]
        if labels is None:
            labels = [str(i) for i in proxy_values.index]
    p = np.asarray(proxy_values, dtype=np.float64)
    t = np.asarray(target_values, dtype=np.float64)
    if p.shape != t.shape or p.ndim != 1 or p.size < 3:
        raise ValueError(f"need two 1-d sequences of equal length >= 3 (got shapes {p.shape} and {t.shape})")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(t))):
        raise ValueError("proxy and target values must be finite")
    if labels is not None and len(labels) != p.size:
        raise ValueError(f"labels must have one entry per point (got {len(labels)} for {p.size})")
    ax = _axes(ax, figsize=(5.5, 4.5))
    ax.scatter(p, t, s=45, color="#3B75AF", edgecolors="white", zorder=3)
    if annotate and labels is not None:
        for xi, yi, lab in zip(p, t, labels, strict=True):
            ax.annotate(str(lab), (xi, yi), xytext=(5, 3), textcoords="offset points", fontsize=8)
    from mixlab.agreement import rank_agreement

    rho = rank_agreement(p, t).spearman
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    head = f"{title}: " if title else ""
    ax.set_title(f"{head}Spearman ρ = {rho:.2f} (n = {p.size})")
    return ax


def objective_heatmap(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    lower_is_better: bool = True,
    fmt: str = ".3f",
    near: pd.DataFrame | None = None,
    cmap: str = "viridis_r",
    title: str | None = "Mixtures under each objective",
    outline: bool = True,
    by_construction: Mapping[str, str] | None = None,
) -> Axes:
    """Heat map of mixtures (rows) × objectives (columns), colored per column, values written in.

    Objectives live on different scales (a mean loss near 4, an excess loss near 0.2), so each
    column is colored on its own scale, from its best value (0) to its worst (1): colours compare
    mixtures *within* an objective, and the pattern across columns shows who does well everywhere.

    Parameters
    ----------
    table : pandas.DataFrame
        Index = mixture names, one column per objective, finite values (e.g. the mean over
        evaluation seeds: ``long.pivot_table(index="mixture", columns="objective", values="value")``).
    ax : matplotlib Axes, optional
    lower_is_better : bool
        Losses: lower is better (default). With False the highest value is best.
    fmt : str
        Format spec of the written values.
    near : pandas.DataFrame of bool, optional
        Same shape and labels as ``table``: cells to mark with "≈" (e.g. within noise of the
        column's winner: :attr:`mixlab.verdicts.ContestVerdicts.within_noise`).
    cmap, title : str
        Colormap from best (0) to worst (1) (``viridis_r``: best is bright yellow), and title.
    outline : bool
        Outline the best cell of each column (and write it bold).
    by_construction : mapping objective → mixture, optional
        Cells a mixture wins by construction (e.g. the reference mixture under an excess loss
        measured against it): hatched, marked "†", and never outlined as the best.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: the coloured table, with its colourbar beside it.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame or ``near`` is not a boolean DataFrame.
    ValueError
        On an empty table, non-finite values, a bad ``fmt``, ``near`` with other labels, or a
        ``by_construction`` cell that is not in the table.

    Used in: 3.6 (every baseline and optimized mixture under four objectives).
    """
    import matplotlib.pyplot as plt

    vals, marks = _heatmap_inputs(table, near, fmt, lower_is_better)
    fixed = _construction_cells(table, by_construction)
    oriented = vals if lower_is_better else -vals
    lo, span = oriented.min(axis=0), np.ptp(oriented, axis=0)
    scaled = np.divide(oriented - lo, span, out=np.zeros_like(oriented), where=span > 0)
    best = np.argmin(np.where(fixed, np.inf, oriented), axis=0)
    n_rows, n_cols = vals.shape
    ax = _axes(ax, figsize=(1.6 * n_cols + 3.5, 0.45 * n_rows + 1.6))
    image = ax.imshow(scaled, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    _write_cells(ax, vals, scaled, marks, fixed, best if outline else np.full(n_cols, -1), fmt, cmap)
    if outline:
        for j, i in enumerate(best.tolist()):
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=2.0, zorder=3))
    ax.set_xticks(range(n_cols), [str(c) for c in table.columns])
    ax.set_yticks(range(n_rows), [str(i) for i in table.index])
    color_mixture_labels(ax.get_yticklabels())
    ax.tick_params(length=0)
    plt.colorbar(image, ax=ax, ticks=[0.0, 1.0], label="position within the column").ax.set_yticklabels(
        ["best", "worst"])
    notes = (["outlined: best per column"] if outline and n_rows > 1 else []) + (
        ["†: best by construction, not ranked"] if fixed.any() else [])
    if title:
        ax.set_title(title + "".join(f"; {n}" for n in notes))
    return ax


def _write_cells(
    ax: Axes, vals: np.ndarray, scaled: np.ndarray, marks: np.ndarray, fixed: np.ndarray, best: np.ndarray,
    fmt: str, cmap: str,
) -> None:
    """Each cell's value in ink that reads on its colour: "≈" near the best, "†" (and hatching) by construction."""
    import matplotlib.pyplot as plt

    colormap = plt.get_cmap(cmap)
    for (i, j), v in np.ndenumerate(vals):
        r, g, b, _ = colormap(float(scaled[i, j]))
        ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        text = ("≈ " if marks[i, j] and i != best[j] else "") + format(v, fmt) + (" †" if fixed[i, j] else "")
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=ink,
                fontweight="bold" if i == best[j] else "normal")
        if fixed[i, j]:
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="0.4", lw=0, hatch="//", zorder=2))


def _heatmap_inputs(
    table: pd.DataFrame, near: pd.DataFrame | None, fmt: str, lower_is_better: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Checked values and "≈" marks of an objective heat map."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame of mixtures x objectives (got {type(table).__name__})")
    if table.empty:
        raise ValueError("table must have at least one mixture and one objective")
    if not isinstance(lower_is_better, bool):
        raise TypeError(f"lower_is_better must be a bool (got {lower_is_better!r})")
    try:
        vals = table.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("table must hold numbers (one value per mixture and objective)") from exc
    if not np.all(np.isfinite(vals)):
        bad = [str(c) for c, ok in zip(table.columns, np.all(np.isfinite(vals), axis=0), strict=True) if not ok]
        raise ValueError(f"table values must be finite (NaN/inf in columns: {', '.join(bad)})")
    try:
        format(1.0, fmt)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"fmt must be a float format spec such as '.3f' (got {fmt!r})") from exc
    if near is None:
        return vals, np.zeros(vals.shape, dtype=bool)
    if not isinstance(near, pd.DataFrame):
        raise TypeError(f"near must be a boolean DataFrame like table (got {type(near).__name__})")
    if list(near.index) != list(table.index) or list(near.columns) != list(table.columns):
        raise ValueError("near must have the same index (mixtures) and columns (objectives) as table, in order")
    if not all(pd.api.types.is_bool_dtype(dt) for dt in near.dtypes):
        raise TypeError("near must hold booleans (True: mark the cell with '≈')")
    return vals, near.to_numpy(dtype=bool)


def _construction_cells(table: pd.DataFrame, by_construction: Mapping[str, str] | None) -> np.ndarray:
    """Boolean mask of the (mixture, objective) cells won by construction."""
    fixed = np.zeros(table.shape, dtype=bool)
    cols, rows = [str(c) for c in table.columns], [str(i) for i in table.index]
    for objective, mixture in (by_construction or {}).items():
        if str(objective) not in cols or str(mixture) not in rows:
            raise ValueError(f"by_construction names a cell not in table: {objective!r} -> {mixture!r}")
        fixed[rows.index(str(mixture)), cols.index(str(objective))] = True
    return fixed


def agreement_vs_cost(
    summary: pd.DataFrame,
    ceiling: float | None = None,
    *,
    ax: Axes | None = None,
    x: str = "compute ratio",
    y: str = "spearman",
    xlabel: str = "compute relative to the target, N·D / (N·D)_target (log scale)",
    ylabel: str = "Spearman ρ with the target",
    title: str | None = "Rank agreement vs proxy compute",
) -> Axes:
    """Rank agreement of each proxy with the target against its relative cost (log x), labelled.

    A cheaper proxy is worth it only while its ranking of mixtures stays near the noise ceiling.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per proxy (index = name) with columns ``x`` (cost ratio, > 0) and ``y``
        (agreement). Rows with a missing value (e.g. the target itself) are skipped.
    ceiling : float, optional
        Noise ceiling (the target's agreement with itself), drawn as a dashed line.
    x, y : str
        Column names of the cost ratio and of the agreement.
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: one labelled point per proxy (and the ceiling).

    Raises
    ------
    ValueError
        If a column is missing, no row is complete, or a cost ratio is not positive.

    Used in: 1.4 (what a proxy costs).
    """
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"summary must be a DataFrame (got {type(summary).__name__})")
    missing = [c for c in (x, y) if c not in summary.columns]
    if missing:
        raise ValueError(f"summary is missing columns {missing} (got {list(summary.columns)})")
    points = summary[[x, y]].astype(np.float64).dropna()
    if points.empty:
        raise ValueError(f"summary has no row with both {x!r} and {y!r}")
    if (points[x] <= 0).any():
        raise ValueError(f"{x} must be > 0 on a log axis (got {points[x].tolist()})")
    ax = _axes(ax, figsize=(6.5, 4.2))
    ax.scatter(points[x], points[y], s=60, color="#3B75AF", zorder=3)
    for name, row in points.iterrows():
        ax.annotate(str(name), (row[x], row[y]), xytext=(6, 4), textcoords="offset points")
    if ceiling is not None:
        ax.axhline(float(ceiling), ls="--", color="grey", label="noise ceiling (target vs itself)")
        ax.legend(loc="lower right")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def seed_averaging_plot(
    curves: pd.DataFrame,
    ceiling: float | None = None,
    *,
    ax: Axes | None = None,
    xlabel: str = "proxy runs averaged per candidate (seeds)",
    ylabel: str = "Spearman ρ with one target run",
    title: str | None = "What averaging more runs buys",
) -> Axes:
    """Rank agreement against the number of runs averaged, one line per proxy, with the noise ceiling.

    Averaging runs removes a proxy's noise, not its bias: an unbiased proxy climbs towards (and,
    with enough runs, past) the ceiling, a biased one levels off below it.

    Parameters
    ----------
    curves : pandas.DataFrame
        Index: numbers of runs averaged (integers >= 1, increasing); one column per proxy; values
        the agreement (NaN where a proxy was not averaged that often).
    ceiling : float, optional
        The target's agreement with a rerun of itself, drawn as a dashed line.
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str

    Returns
    -------
    matplotlib.axes.Axes
        One line with markers per proxy (log2 x axis, a tick at every number of runs), the ceiling.

    Raises
    ------
    TypeError
        If ``curves`` is not a DataFrame.
    ValueError
        An empty table, an index that is not increasing integers >= 1, or a column with no value.

    Used in: 1.4 (the few-tokens proxy is noisy and biased).
    """
    if not isinstance(curves, pd.DataFrame):
        raise TypeError(f"curves must be a DataFrame (index: runs averaged, one column per proxy) "
                        f"(got {type(curves).__name__})")
    if curves.empty or curves.shape[1] == 0:
        raise ValueError("curves must hold at least one proxy and one number of runs")
    runs = np.asarray(curves.index, dtype=np.float64)
    if not (np.all(runs >= 1) and np.all(runs == np.round(runs)) and np.all(np.diff(runs) > 0)):
        raise ValueError(f"curves must be indexed by increasing integers >= 1 (got {list(curves.index)})")
    empty = [str(c) for c in curves.columns if curves[c].isna().all()]
    if empty:
        raise ValueError(f"curves has columns with no value: {', '.join(empty)}")
    ax = _axes(ax, figsize=(6.0, 4.2))
    colors = series_colors(list(curves.columns))
    for name in curves.columns:
        line = curves[name].dropna()
        ax.plot(line.index.to_numpy(dtype=np.float64), line.to_numpy(dtype=np.float64), marker="o", lw=1.8,
                color=colors[str(name)], label=str(name))
    if ceiling is not None:
        ax.axhline(float(ceiling), ls="--", color="grey", label="noise ceiling (target vs itself)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(runs, [str(int(r)) for r in runs])
    ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")  # the emptiest corner: never over a curve
    if title:
        ax.set_title(title)
    return ax


def weight_trace(
    history: pd.DataFrame,
    domains: Sequence[str],
    *,
    prefix: str = "",
    average_prefix: str | None = "avg_",
    ax: Axes | None = None,
    xlabel: str = "step t",
    ylabel: str = "domain weight",
    title: str | None = None,
) -> Axes:
    """Per-domain traces over optimizer steps, thin, with their running average thick.

    Parameters
    ----------
    history : pandas.DataFrame
        One row per step (the index is the step), a column ``prefix + d`` for every domain
        ``d`` and, when ``average_prefix`` is not None, a column ``average_prefix + d``.
    domains : sequence of str
    prefix : str
        Prefix of the traced columns (``""`` for DoReMi's α_t, ``"excess_"`` for λ_t).
    average_prefix : str or None
        Prefix of the running-average columns; None draws only the traces (thicker, labelled).
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: one trace (and running average) per domain.

    Raises
    ------
    ValueError
        If ``domains`` is empty or a column is missing.

    Used in: 1.5 (DoReMi's weights and excess losses); also fits exponentiated-gradient histories.
    """
    if not isinstance(history, pd.DataFrame) or history.empty:
        raise ValueError("history must be a non-empty DataFrame")
    names = [str(d) for d in domains]
    if not names:
        raise ValueError("domains must not be empty")
    needed = [prefix + d for d in names]
    if average_prefix is not None:
        needed += [average_prefix + d for d in names]
    missing = [c for c in needed if c not in history.columns]
    if missing:
        raise ValueError(f"history is missing columns {missing} (got {list(history.columns)[:12]})")
    colors = domain_colors(names)
    ax = _axes(ax, figsize=(6.0, 3.8))
    for d in names:
        if average_prefix is None:
            ax.plot(history.index, history[prefix + d], color=colors[d], lw=1.5, label=d)
        else:
            ax.plot(history.index, history[prefix + d], color=colors[d], lw=0.8, alpha=0.6)
            ax.plot(history.index, history[average_prefix + d], color=colors[d], lw=2.5,
                    label=f"{d} (running average)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def predicted_vs_measured(
    measured: pd.DataFrame | pd.Series | npt.ArrayLike,
    predicted: pd.DataFrame | pd.Series | npt.ArrayLike,
    *,
    labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    xlabel: str = "measured (nats/token)",
    ylabel: str = "predicted (nats/token)",
    title: str | None = None,
) -> Axes:
    """Scatter of predictions against measurements with the diagonal ``y = x``.

    Points on the diagonal are predicted exactly; a fit judged on its own training runs flatters itself.

    Parameters
    ----------
    measured, predicted : array-like, pandas.Series or pandas.DataFrame
        Same shape. Two DataFrames with the same columns draw one colored series per column
        (e.g. one per domain); 1-d inputs draw a single series.
    labels : mapping, optional
        Legend label per column (default: the column name). Ignored for 1-d inputs.
    colors : mapping, optional
        Color per column (default: :func:`domain_colors`).
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: the points and the diagonal y = x.

    Raises
    ------
    ValueError
        On shapes or columns that differ, an empty input or non-finite values.

    Used in: no lesson at present (ready for a mixing-law or RegMix fit judged against fresh runs).
    """
    if isinstance(measured, pd.DataFrame) != isinstance(predicted, pd.DataFrame):
        raise ValueError("measured and predicted must both be DataFrames or both be 1-d")
    series: list[tuple[str | None, np.ndarray, np.ndarray]] = []
    if isinstance(measured, pd.DataFrame) and isinstance(predicted, pd.DataFrame):
        if list(measured.columns) != list(predicted.columns):
            raise ValueError(f"measured and predicted need the same columns (got {list(measured.columns)} "
                             f"and {list(predicted.columns)})")
        if measured.shape != predicted.shape:
            raise ValueError(f"measured and predicted differ in shape ({measured.shape} vs {predicted.shape})")
        for c in measured.columns:
            series.append((str(c), _finite_1d(measured[c], f"measured[{c!r}]"),
                           _finite_1d(predicted[c], f"predicted[{c!r}]")))
    else:
        m = _finite_1d(measured, "measured")
        p = _finite_1d(predicted, "predicted")
        if m.shape != p.shape:
            raise ValueError(f"measured and predicted differ in shape ({m.shape} vs {p.shape})")
        series.append((None, m, p))
    palette = dict(colors) if colors is not None else domain_colors([s[0] for s in series if s[0] is not None])
    ax = _axes(ax, figsize=(5.2, 4.6))
    for name, m, p in series:
        if name is None:
            ax.scatter(m, p, s=25, color="#3B75AF")
        else:
            ax.scatter(m, p, s=25, color=palette.get(name, "#3B75AF"),
                       label=(labels or {}).get(name, name))
    lo, hi = ax.get_xlim()
    ax.plot([lo, hi], [lo, hi], color="grey", ls="--", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if series[0][0] is not None:
        ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def _searched_rows(table: pd.DataFrame, cost: str, mean: str, sd: str, baselines: Sequence[str],
                   reference: str | None) -> pd.DataFrame:
    """The rows of ``table`` that are not baselines, after checking its columns, rows and costs."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame (got {type(table).__name__})")
    missing = [c for c in (cost, mean, sd) if c not in table.columns]
    if missing:
        raise ValueError(f"table is missing columns {missing} (got {list(table.columns)})")
    unknown = [b for b in [*baselines, *([reference] if reference is not None else [])] if b not in table.index]
    if unknown:
        raise ValueError(f"baselines/reference {unknown} are not rows of table ({list(table.index)})")
    searched = table.drop(index=list(baselines))
    if searched.empty:
        raise ValueError("table has no searched method (every row is a baseline)")
    if (searched[cost].astype(np.float64) <= 0).any():
        bad = searched.index[searched[cost].astype(np.float64) <= 0].tolist()
        raise ValueError(f"searched methods need {cost} > 0 on a log axis (got 0 or less for {bad})")
    return searched


def score_vs_cost(
    table: pd.DataFrame,
    *,
    baselines: Sequence[str] = (),
    reference: str | None = None,
    colors: Mapping[str, str] | None = None,
    cost: str = "tokens_spent",
    mean: str = "value_mean",
    sd: str = "value_sd",
    ax: Axes | None = None,
    xlabel: str = "proxy tokens spent on search (log scale)",
    ylabel: str = "objective, mean of the evaluation seeds",
    title: str | None = "Score vs search cost (lower is better)",
) -> Axes:
    """Each method's score against the tokens it spent on search (log x), baselines as lines.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per method (index = name) with columns ``cost``, ``mean`` and ``sd``.
    baselines : sequence of str
        Rows that spent no search: drawn as horizontal lines (solid, dotted, dash-dot, …).
        Every other row is a point with ± ``sd`` error bars and needs ``cost > 0``.
    reference : str, optional
        A baseline whose ± ``sd`` band is shaded.
    colors : mapping, optional
        Color per searched method (default :func:`series_colors`).
    cost, mean, sd : str
        Column names (search cost, mean score, its sd over seeds).
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: searched methods as points, baselines as lines.

    Raises
    ------
    ValueError
        A missing column or named row, no searched method, or a searched cost that is not positive.

    Used in: 1.5 (all methods under one objective, with the tokens each spent).
    """
    searched = _searched_rows(table, cost, mean, sd, baselines, reference)
    palette = dict(colors) if colors is not None else series_colors([str(i) for i in searched.index])
    ax = _axes(ax, figsize=(6.0, 4.6))
    for name, row in searched.iterrows():
        ax.errorbar(row[cost], row[mean], yerr=row[sd], fmt="o", capsize=4, color=palette.get(str(name)))
    means = table[mean].astype(np.float64)
    sds = table[sd].astype(np.float64)
    styles = ["-", ":", "-.", "--"]
    for i, name in enumerate(baselines):
        ax.axhline(float(means[name]), color="grey", ls=styles[i % len(styles)], lw=1.2, label=name)
    if reference is not None:
        centre, half = float(means[reference]), float(sds[reference])
        ax.axhspan(centre - half, centre + half, color="grey", alpha=0.15)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.autoscale_view()  # the limits are final before the labels are placed (two methods may sit close)
    points = searched[[cost, mean]].to_numpy(dtype=np.float64)
    place_labels(ax, points, [str(i) for i in searched.index])
    if baselines:
        ax.legend(fontsize="small", loc="upper right")
    if title:
        ax.set_title(title)
    return ax
