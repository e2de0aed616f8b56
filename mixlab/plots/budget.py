"""Budgets, epochs and the value of tokens: epochs vs a parameter, temperature sweeps, repetition.

Used in: 1.2, 2.5, 3.2, 3.5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mixlab.plots.style import (
    LEGEND_PLACES,
    _axes,
    _finite_1d,
    domain_colors,
    place_legend,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure


__all__ = [
    "epochs_plot",
    "caps_plot",
    "temperature_plot",
    "marginal_value_plot",
    "repetition_value_plot",
]

def epochs_plot(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    max_epochs: float | None = None,
    xlabel: str | None = None,
    logx: bool = False,
    logy: bool = True,
    title: str | None = "Epochs per domain",
    legend: str | None = "outside",
    domain_legend: bool = True,
) -> Axes:
    """Epochs per domain against a parameter (budget, temperature, …), with the repetition cap.

    Parameters
    ----------
    table : pandas.DataFrame
        Index = the parameter's values (its name is the default x label); one column per domain
        holding epochs ``e_i = w_i B / T_i``.
    ax : matplotlib Axes, optional
    max_epochs : float, optional
        Draw the cap ``E_max`` as a red dashed line and shade the region above it.
    xlabel : str, optional
    logx, logy : bool
        Log scales (epochs span orders of magnitude, so ``logy`` defaults to True).
    title : str or None
    legend : {"outside", "below", "best"} or None
        Where the legend goes (:func:`place_legend`; default right of the plot, never on a curve).
    domain_legend : bool
        List the domains in the legend (False: only the cap, e.g. when another panel lists them).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: one line per domain, the cap and the region above it.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame.
    ValueError
        If it is empty, or ``legend`` is not one of the choices.

    Used in: 3.2 (epochs explode until a cap binds).
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame with one column per domain (got {type(table).__name__})")
    if table.empty:
        raise ValueError("table must not be empty")
    if legend not in (*LEGEND_PLACES, None):
        raise ValueError(f"legend must be 'outside', 'below', 'best' or None (got {legend!r})")
    ax = _axes(ax)
    colors = domain_colors([str(c) for c in table.columns])
    x = table.index.to_numpy(dtype=np.float64)
    for col in table.columns:
        ax.plot(x, table[col].to_numpy(dtype=np.float64), marker=".", lw=1.8, color=colors[str(col)],
                label=str(col) if domain_legend else None)
    if max_epochs is not None:
        ax.axhline(max_epochs, color="#C0392B", ls="--", lw=1.2, label=f"cap E_max = {max_epochs:g}")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
        _plain_log_labels(ax.yaxis)
    if max_epochs is not None:
        lo, hi = ax.get_ylim()
        if hi > max_epochs:
            ax.axhspan(max_epochs, hi, color="#C0392B", alpha=0.06, label="over the cap")
        ax.set_ylim(lo, hi)
    ax.set_xlabel(xlabel or (str(table.index.name) if table.index.name is not None else "parameter"))
    ax.set_ylabel(r"epochs $e_i = w_i B / T_i$")
    ax.grid(alpha=0.3)
    if legend is not None:
        place_legend(ax, legend)
    if title:
        ax.set_title(title)
    return ax


def _entropy_panel(ax: Axes, Ts: np.ndarray, entropies: Sequence[float], k: int) -> None:
    """The entropy of the smoothed weights against T, with its ceiling log k."""
    ax.plot(Ts, entropies, color="black", lw=1.8, label="entropy H(w)")
    ax.axhline(math.log(k), color="grey", ls=":", lw=1, label=f"log k = {math.log(k):.2f}")
    ax.set(xscale="log", xlabel="temperature T (α = 1/T)", ylabel="entropy (nats)", title="Entropy rises towards log k")
    _plain_log_labels(ax.xaxis)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)


def temperature_plot(
    counts: pd.DataFrame,
    temperatures: Sequence[float] | np.ndarray | None = None,
    *,
    by: str = "tokens",
    budget: float | None = None,
    max_epochs: float | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Temperature-smoothed weights ``w_i ∝ p_i^{1/T}``, their entropy and (optionally) epochs vs T.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table (columns ``docs`` and ``tokens``), e.g. from :func:`mixlab.domains.domain_stats`.
    temperatures : sequence of float, optional
        Values of T > 0 (default: 40 log-spaced values from 1 to 100).
    by : {"tokens", "docs"}
        Natural shares by tokens or documents.
    budget : float, optional
        Token budget B; with it a third panel shows epochs per domain (needs ``by="tokens"``).
    max_epochs : float, optional
        The cap drawn on the epochs panel.
    axes : sequence of Axes, optional
        Two (or three with ``budget``) Axes to draw on.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Non-positive temperatures, wrong number of axes, ``budget`` with ``by="docs"``.

    Used in: 3.5 (weights and entropy vs T; α = 1/T; T = 1 proportional, T → ∞ uniform).
    """
    import matplotlib.pyplot as plt

    from mixlab.budget import epochs_from_weights as epochs_fn
    from mixlab.mixers import temperature

    Ts = np.geomspace(1.0, 100.0, 40) if temperatures is None else np.asarray(temperatures, dtype=np.float64)
    if Ts.ndim != 1 or Ts.size == 0 or not np.all(np.isfinite(Ts)) or (Ts <= 0).any():
        raise ValueError(f"temperatures must be finite and > 0 (got {np.asarray(Ts).tolist()[:8]})")
    if budget is not None and by != "tokens":
        raise ValueError("epochs need token weights: use by='tokens' with a budget")
    n_panels = 3 if budget is not None else 2
    if axes is None:
        fig, new_axes = plt.subplots(1, n_panels, figsize=(4.6 * n_panels, 3.8), layout="constrained")
        ax_list = list(np.atleast_1d(new_axes))
    else:
        ax_list = list(axes)
        if len(ax_list) != n_panels:
            raise ValueError(f"axes must hold {n_panels} Axes (got {len(ax_list)})")
        fig = ax_list[0].get_figure()
    mixes = [temperature(counts, T=float(t), by=by) for t in Ts]  # type: ignore[arg-type]
    domains = list(mixes[0].domains)
    _weights_panel(ax_list[0], Ts, np.vstack([m.as_array() for m in mixes]), domains, by)
    _entropy_panel(ax_list[1], Ts, [m.entropy() for m in mixes], len(domains))
    if budget is not None:
        E = pd.DataFrame([epochs_fn(m, budget, counts, on_empty="inf").to_numpy() for m in mixes],
                         index=pd.Index(Ts, name="temperature T"), columns=domains)
        epochs_plot(E, ax=ax_list[2], max_epochs=max_epochs, logx=True, xlabel="temperature T (α = 1/T)",
                    title=f"Epochs at B = {budget:,.0f} tokens", legend=None, domain_legend=False)
        _plain_log_labels(ax_list[2].xaxis)  # temperatures read better as 1, 10, 100
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    # One legend under the panels: the domains, then the cap and its band (inside the epochs panel
    # every spot is on some curve for one world or another).
    handles, labels = ax_list[0].get_legend_handles_labels()
    if budget is not None:
        cap_handles, cap_labels = ax_list[2].get_legend_handles_labels()
        handles, labels = handles + cap_handles, labels + cap_labels
    outside = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    fig.legend(handles, labels, loc="outside lower center" if outside else "lower center",
               ncols=len(labels), fontsize="small", frameon=False)
    return fig


def _plain_log_labels(axis: Axis) -> None:
    """Label a log axis with plain numbers (1, 2, 5, 10, …) instead of powers of ten.

    Easier to read for temperatures and epochs, and drawn without matplotlib's math-text parser.
    """
    from matplotlib.ticker import LogFormatter

    axis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def _weights_panel(ax: Axes, Ts: np.ndarray, W: np.ndarray, domains: list[str], by: str) -> None:
    """Weights against T, one line per domain in its colour, with the uniform level 1/k."""
    colors = domain_colors(domains)
    for j, d in enumerate(domains):
        ax.plot(Ts, W[:, j], lw=1.8, color=colors[d], label=d)
    ax.axhline(1 / len(domains), color="grey", ls=":", lw=1)
    ax.annotate("uniform 1/k", (Ts[-1], 1 / len(domains)), xytext=(0, 3), textcoords="offset points",
                ha="right", va="bottom", fontsize="small", color="grey")
    ax.set(xscale="log", xlabel="temperature T (α = 1/T)", title="w ∝ p^(1/T)",
           ylabel="weight w_i" + (" (token share)" if by == "tokens" else " (document share)"))
    _plain_log_labels(ax.xaxis)
    ax.grid(alpha=0.3)


def marginal_value_plot(
    curve: pd.DataFrame,
    floor: Mapping[str, float] | pd.Series | None = None,
    *,
    logx: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "training tokens of the upweighted domain",
    ylabel: str = "validation loss on that domain (nats/token)",
) -> Axes:
    """Loss against training tokens, one line per domain, with optional entropy-floor lines.

    Parameters
    ----------
    curve : pandas.DataFrame
        Columns ``tokens`` and ``loss`` and a first index level naming the domain (as built in
        1.2 by ``runs.groupby(["upweighted", "weight"])[["tokens", "loss"]].mean()``), or a
        ``domain`` column instead of that index level.
    floor : mapping or pandas.Series, optional
        Entropy floor per domain (e.g. ``world.process.entropy_rate()``), drawn as dotted lines
        in the domain's color. Needs an entry for every plotted domain.
    logx : bool
        Tokens on a log scale.
    ax : matplotlib Axes, optional
    title, xlabel, ylabel : str

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: one loss curve per domain (and its floor).

    Raises
    ------
    ValueError
        If columns are missing, the table is empty, tokens are not positive on a log axis,
        or ``floor`` lacks a domain.

    Used in: no lesson at present (the token-value lesson draws its marginal values with :func:`interval_plot`).
    """
    if not isinstance(curve, pd.DataFrame) or curve.empty:
        raise ValueError("curve must be a non-empty DataFrame with columns tokens and loss")
    missing = [c for c in ("tokens", "loss") if c not in curve.columns]
    if missing:
        raise ValueError(f"curve is missing columns {missing} (got {list(curve.columns)})")
    if not isinstance(logx, bool):
        raise TypeError(f"logx must be a bool (got {logx!r})")
    if "domain" in curve.columns:
        keys = curve["domain"].astype(str).to_numpy()
    else:
        keys = np.asarray([str(k) for k in curve.index.get_level_values(0)])
    tokens = curve["tokens"].to_numpy(dtype=np.float64)
    loss = curve["loss"].to_numpy(dtype=np.float64)
    if logx and (tokens <= 0).any():
        raise ValueError("tokens must be > 0 on a log axis")
    domains = list(dict.fromkeys(keys))
    if floor is not None:
        lacking = [d for d in domains if d not in floor]
        if lacking:
            raise ValueError(f"floor has no entry for domain(s) {lacking}")
    colors = domain_colors(domains)
    ax = _axes(ax, figsize=(5.5, 3.6))
    for d in domains:
        sel = keys == d
        ax.plot(tokens[sel], loss[sel], marker="o", color=colors[d], label=d)
        if floor is not None:
            ax.axhline(float(floor[d]), color=colors[d], ls=":", lw=1)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    if title is None:
        title = "Loss vs training tokens of the domain"
        if floor is not None:
            title += "\n(dotted: entropy floor)"
        if logx:
            title = "The same, tokens on a log scale" if floor is None else title + ", log scale"
    if title:
        ax.set_title(title)
    return ax


def repetition_value_plot(
    table: pd.DataFrame,
    *,
    epochs: str = "epochs",
    measured: str = "measured D'",
    seen: str = "code tokens",
    r_star: float | None = None,
    max_epochs: float = 20.0,
    label: str | None = None,
    color: str = "#3B75AF",
    ax: Axes | None = None,
    title: str | None = "A repeated token is worth less than a fresh one",
) -> Axes:
    """Measured value of a repeated token against the Muennighoff et al. curve.

    Plots ``table[measured] / table[seen]`` (effective fresh tokens per token read) at
    ``table[epochs]`` epochs, over the published curve :func:`mixlab.budget.repetition_value`.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per repeated run, with the columns named by ``epochs``, ``measured`` (effective
        fresh tokens D' read off a fresh-data curve) and ``seen`` (tokens read).
    epochs, measured, seen : str
        Column names.
    r_star : float, optional
        R* of the curve (default :data:`mixlab.budget.MUENNIGHOFF_R_STAR`).
    max_epochs : float
        Right end of the curve (at least the largest measured epoch count is shown).
    label : str, optional
        Legend label of the measured points.
    color : str
    ax : matplotlib Axes, optional
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: the measured points over the published curve.

    Raises
    ------
    ValueError
        If a column is missing, the table is empty, epochs are below 1 or tokens read are not positive.

    Used in: 1.2 (a repeated token is worth less than a fresh one).
    """
    from mixlab.budget import MUENNIGHOFF_R_STAR, repetition_value

    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ValueError("table must be a non-empty DataFrame")
    missing = [c for c in (epochs, measured, seen) if c not in table.columns]
    if missing:
        raise ValueError(f"table is missing columns {missing} (got {list(table.columns)})")
    e = _finite_1d(table[epochs], epochs)
    n_seen = _finite_1d(table[seen], seen)
    d = _finite_1d(table[measured], measured)
    if (e < 1).any():
        raise ValueError(f"{epochs} must be >= 1 (got {e[e < 1].tolist()})")
    if (n_seen <= 0).any():
        raise ValueError(f"{seen} must be > 0")
    rs = MUENNIGHOFF_R_STAR if r_star is None else float(r_star)
    grid = np.linspace(1.0, max(float(max_epochs), float(e.max())), 200)
    ax = _axes(ax, figsize=(7.0, 3.8))
    ax.plot(grid, repetition_value(grid, rs), color="black",
            label=f"Muennighoff et al.: D' / tokens seen (R* = {rs:g})")
    ax.plot(e, d / n_seen, "o", color=color, ms=8, label=label or "proxy: measured D' / tokens seen")
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("epochs over the unique data (1 + R)")
    ax.set_ylabel("value of a token seen, in fresh tokens")
    ax.set_ylim(0, 1.08)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small", loc="lower left")
    return ax


def caps_plot(
    sizes: pd.Series | Mapping[str, float] | pd.DataFrame,
    budgets: Sequence[float] | np.ndarray,
    max_epochs: float,
    ax: Axes | None = None,
    *,
    title: str | None = "Weight caps shrink as the budget grows",
    legend: str = "outside",
) -> Axes:
    """Each domain's weight cap ``u_i = min(1, E_max T_i / B)`` against the budget, and their sum.

    A mixture must keep every ``w_i <= u_i``; some mixture can, iff ``Σ_i u_i >= 1``. The figure
    draws one line per domain (flat at 1 until ``B = E_max T_i``, then falling as ``1/B``), the
    sum of the caps in black, the line 1 the sum must reach, and shades the budgets beyond the
    largest feasible one, ``E_max Σ_i T_i``.

    Parameters
    ----------
    sizes : Series/mapping keyed by domain, or counts DataFrame (its ``tokens`` column)
        Domain sizes ``T_i`` in tokens.
    budgets : sequence of float
        Token budgets (the x axis, log scale), each > 0.
    max_epochs : float
        The repetition cap ``E_max``.
    ax : matplotlib Axes, optional
    title : str or None
    legend : {"outside", "below", "best"}
        Where the legend goes (:func:`mixlab.plots.place_legend`).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes (log–log): a cap line per domain, the sum of the caps, the feasibility line.

    Raises
    ------
    TypeError, ValueError
        Bad sizes or ``max_epochs`` (as :func:`mixlab.budget.caps_from_epochs`), budgets that
        are not positive and finite, or an unknown ``legend``.

    Used in: 2.5 (caps and feasibility as the budget grows).
    """
    from mixlab.budget import caps_from_epochs

    if legend not in LEGEND_PLACES:
        raise ValueError(f"legend must be 'outside', 'below' or 'best' (got {legend!r})")
    b = _finite_1d(budgets, "budgets")
    if (b <= 0).any():
        raise ValueError(f"budgets must be > 0 (got min {b.min():g})")
    b = np.sort(b)
    caps = pd.DataFrame([caps_from_epochs(sizes, float(x), max_epochs) for x in b], index=b)
    ax = _axes(ax)
    colors = domain_colors([str(c) for c in caps.columns])
    for col in caps.columns:
        ax.plot(b, caps[col].to_numpy(), lw=1.6, color=colors[str(col)], label=str(col))
    total = caps.sum(axis=1).to_numpy()
    ax.plot(b, total, lw=2.4, color="black", label="sum of caps Σ u_i")
    ax.axhline(1.0, color="#C0392B", ls="--", lw=1.2, label="feasible iff the sum ≥ 1")
    tokens = sizes["tokens"] if isinstance(sizes, pd.DataFrame) else pd.Series(dict(sizes), dtype=np.float64)
    capacity = float(max_epochs) * float(tokens.sum())  # the largest feasible budget, E_max Σ T_i
    if capacity < b[-1]:
        ax.axvspan(max(capacity, b[0]), b[-1], color="#C0392B", alpha=0.06,
                   label="infeasible: B > E_max Σ T_i")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("token budget B")
    ax.set_ylabel(r"weight cap $u_i = \min(1, E_{max} T_i / B)$")
    ax.grid(alpha=0.3)
    place_legend(ax, legend)
    if title:
        ax.set_title(f"{title} (E_max = {float(max_epochs):g})")
    return ax
