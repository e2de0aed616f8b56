"""Figures the lessons reuse: skill profiles, mixtures, the 3-domain simplex, convergence, budgets.

Every function draws on a matplotlib ``Axes`` (pass ``ax=`` to place it in your own figure, or
let the function create one), returns the Axes (or the Figure for multi-panel plots) and never
calls ``plt.show()`` itself: a notebook cell ends with ``plt.show()`` so that nbval compares a
stable ``text/plain`` output. Colors are fixed per domain name (:func:`domain_colors`), so
``code`` has the same color in every figure of the course. Losses are in nats/token.

matplotlib is imported inside the functions, so ``import mixlab`` stays light.

Used in: 1.1 (skill profile), 1.2 (ledger), 1.3 (ternary heat map, caps, optimizer path),
1.2 (score histogram, marginal value, repetition value), 1.4 (rank agreement, agreement vs
cost), 1.5 (weight traces, predicted vs measured, score vs search cost), 2.1 (document lengths),
2.2 (ternary plot), 2.3 (convergence), 2.5 / 3.2 (epochs), 3.5 (temperature), 3.1–3.6 (mixtures),
3.6 (objective heat map).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mixlab.corpus import Corpus

__all__ = [
    "DOMAIN_COLORS",
    "SERIES_COLORS",
    "domain_colors",
    "series_colors",
    "skill_profile_plot",
    "mixture_bars",
    "barycentric_to_xy",
    "ternary_axes",
    "ternary_scatter",
    "ternary_heatmap",
    "ternary_caps",
    "ternary_path",
    "length_distribution",
    "convergence_plot",
    "epochs_plot",
    "temperature_plot",
    "ledger_plot",
    "spearman",
    "rank_agreement_plot",
    "objective_heatmap",
    "score_histogram",
    "marginal_value_plot",
    "repetition_value_plot",
    "agreement_vs_cost",
    "weight_trace",
    "predicted_vs_measured",
    "score_vs_cost",
]

#: Fixed colors for the course's suggested domain names (colorblind-friendly, Okabe–Ito based).
DOMAIN_COLORS: dict[str, str] = {
    "web": "#0072B2",
    "books": "#E69F00",
    "code": "#009E73",
    "math": "#CC79A7",
    "wiki": "#56B4E9",
    "forum": "#D55E00",
}

#: Fallback palette for other domain names (matplotlib's tab10, in order).
_FALLBACK = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)

#: Colors for compared series (mixtures, samplers, models), distinct from the domain colors.
SERIES_COLORS: tuple[str, ...] = ("#4C4C4C", "#3B75AF", "#C44E52", "#8C8C3C", "#6A51A3", "#2A9D8F", "#B07AA1")

_SQRT3_2 = math.sqrt(3.0) / 2.0

#: Light box behind point labels so they stay readable on a heat map.
_LABEL_BOX: dict[str, Any] = {"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.75, "lw": 0}


# ---------------------------------------------------------------------------- colors and helpers
def domain_colors(domains: Sequence[str]) -> dict[str, str]:
    """One fixed color per domain: the course's named domains keep their color everywhere.

    Parameters
    ----------
    domains : sequence of str
        Domain names, in display order.

    Returns
    -------
    dict
        ``{domain: hex color}``. Known names (web, books, code, math, wiki, forum) get their
        :data:`DOMAIN_COLORS` entry; other names take unused fallback colors in order, so the
        mapping depends only on the names and their order.

    Raises
    ------
    TypeError
        If a domain name is not a string.

    Used in: every figure of the course.
    """
    names = list(domains)
    for d in names:
        if not isinstance(d, str):
            raise TypeError(f"domains must be strings (got {d!r} of type {type(d).__name__})")
    used = {DOMAIN_COLORS[d] for d in names if d in DOMAIN_COLORS}
    spare = [c for c in _FALLBACK if c not in used]
    out: dict[str, str] = {}
    i = 0
    for d in names:
        if d in DOMAIN_COLORS:
            out[d] = DOMAIN_COLORS[d]
        else:
            out[d] = spare[i % len(spare)]
            i += 1
    return out


def series_colors(names: Sequence[str]) -> dict[str, str]:
    """Colors for compared series (mixtures, models), cycling :data:`SERIES_COLORS` in order.

    Used in: 1.1, 2.3, 3.6.
    """
    return {n: SERIES_COLORS[i % len(SERIES_COLORS)] for i, n in enumerate(names)}


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    """Return ``ax`` or a fresh Axes in a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _profile_frame(profile: Any, name: str) -> pd.DataFrame:
    """A skill-profile DataFrame (columns ``loss`` and optionally ``floor``) from a frame, ProxyRun or Series."""
    if hasattr(profile, "skill_profile") and callable(profile.skill_profile):
        profile = profile.skill_profile()
    if isinstance(profile, pd.Series):
        profile = profile.rename("loss").to_frame()
    if not isinstance(profile, pd.DataFrame):
        raise TypeError(
            f"profile {name!r} must be a DataFrame from ProxyRun.skill_profile(), a ProxyRun or a Series of losses "
            f"(got {type(profile).__name__})"
        )
    if "loss" not in profile.columns:
        raise ValueError(f"profile {name!r} needs a 'loss' column (has {list(profile.columns)})")
    return profile


def _as_k3(points: Any, domains: Sequence[str] | None) -> tuple[np.ndarray, list[str] | None]:
    """An (n, 3) array of barycentric points from mixtures, a mapping of mixtures, or an array."""
    labels: list[str] | None = None
    if isinstance(points, Mixture):
        points = [points]
    if isinstance(points, Mapping):
        labels = [str(k) for k in points]
        points = list(points.values())
    if isinstance(points, list | tuple) and points and all(isinstance(p, Mixture) for p in points):
        order = list(domains) if domains is not None else list(points[0].domains)
        arr = np.vstack([p.as_array(order) for p in points])
    else:
        arr = np.asarray(points, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"ternary plots need points with exactly 3 weights each (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)) or (arr < -1e-12).any():
        raise ValueError("ternary points must be finite and >= 0")
    sums = arr.sum(axis=1)
    if np.any(np.abs(sums - 1.0) > 1e-6):
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)[:5].tolist()
        raise ValueError(f"ternary points must lie on the simplex (rows {bad} sum to {sums[bad].round(6).tolist()})")
    return arr, labels


def _is_filled(marker: Any) -> bool:
    """Whether a matplotlib marker has a face (only those take an edge color without a warning)."""
    from matplotlib.markers import MarkerStyle

    try:
        return bool(MarkerStyle(marker).is_filled())
    except ValueError as exc:
        raise ValueError(f"marker {marker!r} is not a matplotlib marker") from exc


# ---------------------------------------------------------------------------- skill profile
def skill_profile_plot(
    profiles: Mapping[str, Any] | Any,
    ax: Axes | None = None,
    *,
    kind: str = "lines",
    show_floor: bool = True,
    title: str | None = "Skill profile: validation loss per domain",
) -> Axes:
    """Per-domain validation loss of one or more trained models, with the entropy floor marked.

    Parameters
    ----------
    profiles : mapping name → profile, or one profile
        Each profile is a DataFrame from :meth:`mixlab.proxy.ProxyRun.skill_profile` (columns
        ``loss`` and ``floor``), a ``ProxyRun``, or a Series of losses indexed by domain.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    kind : {"lines", "bars"}
        A profile line per model (markers at each domain), or grouped bars per domain (the y
        axis then starts just below the floor, which the label says).
    show_floor : bool
        Mark each domain's irreducible loss (entropy rate) with a black bar.
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError, ValueError
        On unreadable profiles, profiles over different domains, or an unknown ``kind``.

    Used in: 1.1 (skill profile explorer), 3.1–3.6.
    """
    if kind not in ("lines", "bars"):
        raise ValueError(f"kind must be 'lines' or 'bars' (got {kind!r})")
    named = dict(profiles) if isinstance(profiles, Mapping) else {"model": profiles}
    if not named:
        raise ValueError("skill_profile_plot needs at least one profile")
    frames = {str(k): _profile_frame(v, str(k)) for k, v in named.items()}
    domains = [str(d) for d in next(iter(frames.values())).index]
    for k, f in frames.items():
        if sorted(map(str, f.index)) != sorted(domains):
            raise ValueError(f"profile {k!r} covers domains {list(f.index)}, expected {domains}")
    ax = _axes(ax)
    x = np.arange(len(domains), dtype=np.float64)
    colors = series_colors(list(frames))
    m = len(frames)
    width = 0.8 / m
    lows: list[float] = []
    for i, (name, f) in enumerate(frames.items()):
        loss = f.loc[domains, "loss"].to_numpy(dtype=np.float64)
        lows.append(float(loss.min()))
        if kind == "lines":
            ax.plot(x, loss, marker="o", lw=1.5, ms=6, color=colors[name], label=name)
        else:
            ax.bar(x - 0.4 + width * (i + 0.5), loss, width=width * 0.95, color=colors[name], label=name)
    floor_frame = next((f for f in frames.values() if "floor" in f.columns), None)
    if show_floor and floor_frame is not None:
        floor = floor_frame.loc[domains, "floor"].to_numpy(dtype=np.float64)
        ax.hlines(floor, x - 0.42, x + 0.42, colors="black", lw=2.5, label="entropy floor (irreducible)")
        lows.append(float(floor.min()))
    if kind == "bars":
        top = max(float(f["loss"].max()) for f in frames.values())
        bottom = min(lows) - 0.1 * (top - min(lows) + 1e-9)
        ax.set_ylim(bottom, top + 0.05 * (top - bottom))
        ax.set_ylabel("validation loss (nats/token; axis starts near the floor)")
    else:
        ax.set_ylabel("validation loss (nats/token)")
    ax.set_xticks(x, domains)
    dc = domain_colors(domains)
    for tick, d in zip(ax.get_xticklabels(), domains, strict=True):
        tick.set_color(dc[d])
    ax.set_xlabel("domain (held-out validation set)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------------------- mixtures
def mixture_bars(
    mixtures: Mapping[str, Mixture] | Mixture,
    ax: Axes | None = None,
    *,
    annotate: bool = True,
    title: str | None = "Mixture weights",
) -> Axes:
    """Horizontal stacked bars, one per mixture, one colored segment per domain.

    Parameters
    ----------
    mixtures : mapping name → Mixture, or one Mixture
        Mixtures over the same domains. Document-kind mixtures are labelled "(doc)".
    ax : matplotlib Axes, optional
    annotate : bool
        Write the share inside segments wider than 6 %.
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If an entry is not a Mixture.
    ValueError
        If the mixtures cover different domains or none is given.

    Used in: 2.2, 3.1–3.6 (baselines side by side), 3.4 (mixture editor).
    """
    named = {"mixture": mixtures} if isinstance(mixtures, Mixture) else dict(mixtures)
    if not named:
        raise ValueError("mixture_bars needs at least one mixture")
    for k, m in named.items():
        if not isinstance(m, Mixture):
            raise TypeError(f"mixtures[{k!r}] must be a Mixture (got {type(m).__name__})")
    first = next(iter(named.values()))
    domains = list(first.domains)
    for k, m in named.items():
        if set(m.domains) != set(domains):
            raise ValueError(f"mixture {k!r} covers {list(m.domains)}, expected {domains}")
    ax = _axes(ax, figsize=(7.0, 0.6 * len(named) + 1.6))
    colors = domain_colors(domains)
    names = list(named)
    y = np.arange(len(names), dtype=np.float64)
    left = np.zeros(len(names))
    for d in domains:
        w = np.array([named[n][d] for n in names])
        ax.barh(y, w, left=left, color=colors[d], edgecolor="white", lw=0.8, label=d, height=0.7)
        if annotate:
            for yi, li, wi in zip(y, left, w, strict=True):
                if wi >= 0.06:
                    ax.text(li + wi / 2, yi, f"{wi:.0%}", ha="center", va="center", fontsize=8, color="white")
        left += w
    kinds = {m.kind for m in named.values()}
    labels = [f"{n} (doc)" if named[n].kind == "document" and len(kinds) > 1 else n for n in names]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of documents" if kinds == {"document"} else "share of tokens"
                  if kinds == {"token"} else "share (token weights; (doc) = document weights)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False, title="domain",
              title_fontsize="small")
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------------------- ternary (3-domain simplex)
def barycentric_to_xy(weights: Any) -> np.ndarray:
    """Map 3-domain weights to 2-D: corner 0 at (0, 0), corner 1 at (1, 0), corner 2 at (½, √3/2).

    Parameters
    ----------
    weights : array-like, shape (n, 3) or (3,)
        Barycentric coordinates (rows on the simplex).

    Returns
    -------
    numpy.ndarray
        Shape (n, 2): ``x = w_1 + w_2 / 2``, ``y = (√3/2) w_2``.

    Used in: 1.3, 2.2.
    """
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if w.shape[-1] != 3:
        raise ValueError(f"barycentric_to_xy needs 3 weights per point (got shape {w.shape})")
    return np.column_stack([w[:, 1] + 0.5 * w[:, 2], _SQRT3_2 * w[:, 2]])


def ternary_axes(
    domains: Sequence[str] = ("A", "B", "C"),
    ax: Axes | None = None,
    *,
    grid: float | None = 0.2,
    title: str | None = None,
) -> Axes:
    """Draw the 3-domain simplex: triangle, optional grid lines and corner labels.

    Corner i is the mixture that puts all weight on ``domains[i]``; a point's distance from
    the opposite edge is that domain's weight.

    Parameters
    ----------
    domains : three names
        Corner labels (bottom-left, bottom-right, top).
    ax : matplotlib Axes, optional
    grid : float or None
        Spacing of the grid lines in weight units (None: no grid).
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes
        With x limits (−0.3, 1.3): room for the corner labels beside the triangle, also when a
        colorbar takes part of the figure.

    Used in: 1.3 (objective over the simplex), 2.2 (ternary plot).
    """
    names = list(domains)
    if len(names) != 3:
        raise ValueError(f"a ternary plot needs exactly 3 domains (got {names})")
    ax = _axes(ax, figsize=(5.5, 5.0))
    corners = barycentric_to_xy(np.eye(3))
    tri = np.vstack([corners, corners[:1]])
    ax.plot(tri[:, 0], tri[:, 1], color="black", lw=1.2, zorder=3)
    if grid:
        for g in np.arange(grid, 1.0 - 1e-9, grid):
            for i in range(3):
                a = np.zeros(3)
                b = np.zeros(3)
                j, k = (i + 1) % 3, (i + 2) % 3
                a[i], a[j] = g, 1 - g
                b[i], b[k] = g, 1 - g
                seg = barycentric_to_xy(np.vstack([a, b]))
                ax.plot(seg[:, 0], seg[:, 1], color="grey", lw=0.5, alpha=0.4, zorder=1)
    colors = domain_colors(names)
    offsets = [(-0.04, -0.05, "right"), (0.04, -0.05, "left"), (0.0, 0.04, "center")]
    for (cx, cy), name, (dx, dy, ha) in zip(corners, names, offsets, strict=True):
        ax.text(cx + dx, cy + dy, f"100% {name}", ha=ha, va="center", fontsize=10, color=colors[name],
                fontweight="bold")
    # wide side margins: the corner labels stick out of the triangle, and a colorbar placed next
    # to the Axes (ternary_heatmap) must not clip them
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.12, _SQRT3_2 + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def ternary_scatter(
    points: Any,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    domains: Sequence[str] | None = None,
    marker: str = "o",
    color: str | Sequence[str] | None = None,
    size: float = 60.0,
    label: str | None = None,
) -> Axes:
    """Mark mixtures on the 3-domain simplex, each with a text label.

    Parameters
    ----------
    points : (n, 3) array, a Mixture, a list of Mixtures or a mapping label → Mixture
        Weights in the order of ``domains`` (a mapping supplies the labels).
    labels : sequence of str, optional
        One label per point (default: the mapping keys, or none).
    ax : matplotlib Axes, optional
        An Axes from :func:`ternary_axes` (default: a new one).
    domains : three names, optional
        Corner order (default: the first Mixture's domains, or A/B/C).
    marker, color, size
        Marker style; ``color`` may be one color or one per point. Filled markers ("o", "D",
        "*", "X", …) get a thin white edge; line markers ("x", "+", …) have no face and get none.
    label : str, optional
        Legend entry for these points (``ax.legend()`` then lists them); default none.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If points are not 3-domain weights on the simplex or labels do not match.

    Used in: 1.3 (baselines and the optimum marked), 2.2.
    """
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a string (got {type(label).__name__})")
    if domains is None and isinstance(points, Mapping) and points:
        first = next(iter(points.values()))
        domains = list(first.domains) if isinstance(first, Mixture) else None
    if domains is None and isinstance(points, Mixture):
        domains = list(points.domains)
    if domains is None and isinstance(points, list | tuple) and points and isinstance(points[0], Mixture):
        domains = list(points[0].domains)
    arr, keys = _as_k3(points, domains)
    names = list(labels) if labels is not None else keys
    if names is not None and len(names) != len(arr):
        raise ValueError(f"labels must have one entry per point (got {len(names)} labels for {len(arr)} points)")
    if ax is None:
        ax = ternary_axes(domains if domains is not None else ("A", "B", "C"))
    xy = barycentric_to_xy(arr)
    cols: Any = color if color is not None else [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(len(arr))]
    style: dict[str, Any] = {"linewidths": 0.8}
    if _is_filled(marker):  # an edge color on an unfilled marker ("x") makes matplotlib warn
        style["edgecolors"] = "white"
    if label is not None:
        style["label"] = str(label)
    ax.scatter(xy[:, 0], xy[:, 1], s=size, marker=marker, c=cols, zorder=5, **style)
    if names is not None:
        for (x, y), name in zip(xy, names, strict=True):
            ax.annotate(name, (x, y), xytext=(6, 4), textcoords="offset points", fontsize=9, zorder=6, bbox=_LABEL_BOX)
    return ax


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


def _k3_caps(caps: Any, domains: Sequence[str]) -> np.ndarray:
    """Three caps in the order of ``domains`` from a Series/mapping keyed by domain or an array."""
    names = [str(d) for d in domains]
    if len(names) != 3:
        raise ValueError(f"a ternary plot needs exactly 3 domains (got {names})")
    if isinstance(caps, pd.Series | Mapping):
        cs = pd.Series(caps, dtype=np.float64) if isinstance(caps, Mapping) else caps.astype(np.float64)
        missing = [d for d in names if d not in cs.index]
        if missing:
            raise ValueError(f"caps must give a cap for every domain (missing: {', '.join(missing)})")
        arr = cs.loc[names].to_numpy(dtype=np.float64)
    else:
        arr = np.asarray(caps, dtype=np.float64)
        if arr.shape != (3,):
            raise ValueError(f"caps must hold 3 values, one per domain (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)) or (arr < 0).any():
        raise ValueError(f"caps must be finite and >= 0 (got {arr.tolist()})")
    return arr


def ternary_caps(
    ax: Axes,
    caps: Any,
    domains: Sequence[str],
    *,
    color: str = "#C0392B",
    shade: bool = True,
    annotate: bool = True,
    label: str | None = "caps $w_i = u_i$",
    shade_label: str | None = "cut off by a cap",
) -> Axes:
    """Draw where each repetition cap binds on a ternary plot and shade the region it cuts off.

    The cap ``w_i <= u_i`` is bounded by the line ``w_i = u_i``, parallel to the edge opposite
    corner ``i``; the infeasible part is the small triangle between that line and corner ``i``.
    Only caps below 1 are drawn (a cap of 1 cuts nothing).

    Parameters
    ----------
    ax : matplotlib Axes
        An Axes from :func:`ternary_axes`.
    caps : Series or mapping domain → cap, or 3 numbers in the order of ``domains``
        Caps ``u_i = min(1, E_max T_i / B)``, e.g. from :func:`mixlab.budget.check_feasible`.
    domains : three names
        Corner order of the plot.
    color : str
        Color of the cap lines, their labels and the shading.
    shade : bool
        Shade and hatch the cut-off regions (light, so a heat map underneath stays visible).
    annotate : bool
        Write ``"<domain> ≤ <cap>"`` next to each cap line.
    label, shade_label : str or None
        Legend entries of the cap lines and of the shading (one entry each; None: no entry).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the caps are not 3 finite non-negative values covering ``domains``.

    Used in: 1.3 (a larger budget: the caps bind).
    """
    u = _k3_caps(caps, domains)
    names = [str(d) for d in domains]
    corners = barycentric_to_xy(np.eye(3))
    drawn = False
    for i, (d, ui) in enumerate(zip(names, u.tolist(), strict=True)):
        if ui >= 1.0:
            continue
        j, k = [x for x in range(3) if x != i]
        ends = np.zeros((2, 3))
        ends[:, i] = ui
        ends[0, j] = ends[1, k] = 1.0 - ui
        xy = barycentric_to_xy(ends)
        if shade:
            region = np.vstack([corners[i], xy[0], xy[1]])
            from matplotlib.colors import to_rgba

            ax.fill(region[:, 0], region[:, 1], facecolor=to_rgba(color, 0.15), edgecolor=to_rgba(color, 0.6),
                    hatch="///", lw=0, zorder=2, label=shade_label if not drawn else None)
        ax.plot(xy[:, 0], xy[:, 1], color=color, lw=2, zorder=4, label=label if not drawn else None)
        if annotate:
            ax.annotate(f"{d} ≤ {ui:.3f}", xy[0], xytext=(-4, -4), textcoords="offset points", ha="right",
                        va="top", color=color, fontsize=9, zorder=6)
        drawn = True
    return ax


def ternary_path(
    ax: Axes,
    history_or_weights: Any,
    domains: Sequence[str],
    *,
    label: str | None = "iterates",
    start_label: str | None = "start",
    end_label: str | None = "result",
    color: str = "white",
    start_color: str | None = None,
    end_color: str | None = None,
    **style: Any,
) -> Axes:
    """Draw an optimizer's trajectory on a ternary plot, with its start and end marked.

    Parameters
    ----------
    ax : matplotlib Axes
        An Axes from :func:`ternary_axes`.
    history_or_weights : OptimizationResult, DataFrame or array of shape (n, 3)
        The visited mixtures in order: an :class:`~mixlab.optimizers.OptimizationResult` (its
        ``history``), a history DataFrame with one column per domain (e.g. from
        :func:`mixlab.optimizers.exponentiated_gradient`), or an array of weights.
    domains : three names
        Corner order of the plot (and the weight columns to read).
    label : str or None
        Legend entry of the path.
    start_label, end_label : str or None
        Legend entries of the start marker (a circle) and the end marker (a diamond). The end is
        the iterate the optimizer returned when the history has a boolean ``chosen`` column,
        else the last point. None: no legend entry (the marker is still drawn).
    color : str
        Path color (white reads well on a viridis heat map).
    start_color, end_color : str, optional
        Marker colors (default: ``color``).
    **style
        Passed to ``ax.plot`` for the path (e.g. ``lw``, ``ms``, ``marker``, ``ls``, ``zorder``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        On an unreadable trajectory.
    ValueError
        Missing domain columns, no points, or points off the simplex.

    Used in: 1.3 (exponentiated gradient walks into the bowl, then along a cap).
    """
    names = [str(d) for d in domains]
    if len(names) != 3:
        raise ValueError(f"a ternary plot needs exactly 3 domains (got {names})")
    path = history_or_weights.history if hasattr(history_or_weights, "history") and not isinstance(
        history_or_weights, pd.DataFrame) else history_or_weights
    chosen: int | None = None
    if isinstance(path, pd.DataFrame):
        missing = [d for d in names if d not in path.columns]
        if missing:
            raise ValueError(
                f"the trajectory has no weight columns for: {', '.join(missing)} "
                f"(has: {', '.join(map(str, path.columns))})"
            )
        if "chosen" in path.columns and pd.api.types.is_bool_dtype(path["chosen"]) and path["chosen"].any():
            chosen = int(np.flatnonzero(path["chosen"].to_numpy())[0])
        path = path[names].to_numpy(dtype=np.float64)
    elif isinstance(path, pd.Series | Mapping | str):
        raise TypeError(
            f"history_or_weights must be an OptimizationResult, a DataFrame or an (n, 3) array "
            f"(got {type(path).__name__})"
        )
    arr, _ = _as_k3(path, names)
    xy = barycentric_to_xy(arr)
    end = len(xy) - 1 if chosen is None else chosen
    opts: dict[str, Any] = {"marker": "o", "lw": 1.5, "ms": 4, "zorder": 6, **style}
    ax.plot(xy[:, 0], xy[:, 1], color=color, label=label, **opts)
    z = float(opts["zorder"]) + 1
    ax.scatter([xy[0, 0]], [xy[0, 1]], marker="o", s=80, c=start_color or color, edgecolors="black",
               linewidths=0.8, zorder=z, label=start_label)
    ax.scatter([xy[end, 0]], [xy[end, 1]], marker="D", s=60, c=end_color or color, edgecolors="black",
               linewidths=0.8, zorder=z, label=end_label)
    return ax


# ---------------------------------------------------------------------------- document lengths
def length_distribution(corpus: Corpus, ax: Axes | None = None, *, log: bool = True) -> Axes:
    """Per-domain distribution of document lengths (tokens per document), one box per domain.

    Domains with the same mean length can differ a lot in spread: a few very long documents
    (books) carry most of a domain's tokens, which is why document counts and token counts
    disagree (2.1, 2.2). Boxes show the quartiles and median, whiskers 1.5 × IQR, dots the
    documents beyond; a white diamond marks the mean ``t̄_i``. Domains keep their course colors
    (:func:`domain_colors`) and the corpus's domain order; a domain without documents gets an
    empty slot.

    Parameters
    ----------
    corpus : Corpus
        Documents with a ``domain`` and an ``n_tokens`` column (e.g. ``world.train``).
    ax : matplotlib Axes, optional
    log : bool
        Logarithmic length axis (default True: lengths span orders of magnitude).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``corpus`` is not a :class:`~mixlab.corpus.Corpus` or ``log`` not a bool.
    ValueError
        If the corpus has no documents.

    Used in: 2.1 (domains differ in document length), 2.2 (why document and token weights differ).
    """
    from mixlab.corpus import Corpus

    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a mixlab Corpus (got {type(corpus).__name__})")
    if not isinstance(log, bool):
        raise TypeError(f"log must be a bool (got {log!r})")
    if len(corpus) == 0:
        raise ValueError("corpus has no documents: nothing to plot")
    domains = list(corpus.domains)
    codes = pd.Categorical(corpus.docs["domain"], categories=domains).codes
    lengths = corpus.docs["n_tokens"].to_numpy(dtype=np.float64)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(domains) + 1))
    data = [lengths[order[bounds[i]:bounds[i + 1]]] for i in range(len(domains))]
    colors = domain_colors(domains)
    ax = _axes(ax, figsize=(max(5.0, 1.1 * len(domains) + 2.0), 4.0))
    positions = np.arange(1, len(domains) + 1)
    filled = [i for i, x in enumerate(data) if x.size]
    parts = ax.boxplot([data[i] for i in filled], positions=positions[filled], widths=0.6, patch_artist=True,
                       flierprops={"marker": ".", "markersize": 3, "alpha": 0.5},
                       medianprops={"color": "black"})
    for box, i in zip(parts["boxes"], filled, strict=True):
        box.set_facecolor(colors[domains[i]])
        box.set_alpha(0.8)
    means = [float(data[i].mean()) for i in filled]
    ax.scatter(positions[filled], means, marker="D", s=28, c="white", edgecolors="black", zorder=4,
               label="mean length")
    ax.set_xticks(positions, [f"{d}\n({x.size:,} docs)" for d, x in zip(domains, data, strict=True)])
    ax.set_xlim(0.4, len(domains) + 0.6)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel("tokens per document" + (" (log scale)" if log else ""))
    ax.set_title("Document length by domain")
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    return ax


# ---------------------------------------------------------------------------- convergence
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


# ---------------------------------------------------------------------------- budgets and epochs
def epochs_plot(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    max_epochs: float | None = None,
    xlabel: str | None = None,
    logx: bool = False,
    logy: bool = True,
    title: str | None = "Epochs per domain",
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

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame.
    ValueError
        If it is empty.

    Used in: 2.5 (epochs vs budget), 3.2 (epochs explode until a cap binds), 3.5 (epochs vs T).
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame with one column per domain (got {type(table).__name__})")
    if table.empty:
        raise ValueError("table must not be empty")
    ax = _axes(ax)
    colors = domain_colors([str(c) for c in table.columns])
    x = table.index.to_numpy(dtype=np.float64)
    for col in table.columns:
        ax.plot(x, table[col].to_numpy(dtype=np.float64), marker=".", lw=1.8, color=colors[str(col)], label=str(col))
    if max_epochs is not None:
        ax.axhline(max_epochs, color="#C0392B", ls="--", lw=1.2, label=f"cap E_max = {max_epochs:g}")
    if logx:
        ax.set_xscale("log")
    if logy:
        from matplotlib.ticker import LogFormatter

        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    if max_epochs is not None:
        lo, hi = ax.get_ylim()
        if hi > max_epochs:
            ax.axhspan(max_epochs, hi, color="#C0392B", alpha=0.06, label="over the cap")
        ax.set_ylim(lo, hi)
    ax.set_xlabel(xlabel or (str(table.index.name) if table.index.name is not None else "parameter"))
    ax.set_ylabel(r"epochs $e_i = w_i B / T_i$")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", ncols=2)
    if title:
        ax.set_title(title)
    return ax


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
    W = np.vstack([m.as_array() for m in mixes])
    colors = domain_colors(domains)
    ax = ax_list[0]
    for j, d in enumerate(domains):
        ax.plot(Ts, W[:, j], lw=1.8, color=colors[d], label=d)
    ax.axhline(1 / len(domains), color="grey", ls=":", lw=1, label="uniform 1/k")
    ax.set_xscale("log")
    ax.set_xlabel("temperature T (α = 1/T)")
    ax.set_ylabel("weight w_i" + (" (token share)" if by == "tokens" else " (document share)"))
    ax.set_title("w ∝ p^(1/T)")
    ax.legend(fontsize="small", ncols=2)
    ax.grid(alpha=0.3)
    ax = ax_list[1]
    H = np.array([m.entropy() for m in mixes])
    ax.plot(Ts, H, color="black", lw=1.8, label="entropy H(w)")
    ax.axhline(math.log(len(domains)), color="grey", ls=":", lw=1, label=f"log k = {math.log(len(domains)):.2f}")
    ax.set_xscale("log")
    ax.set_xlabel("temperature T (α = 1/T)")
    ax.set_ylabel("entropy (nats)")
    ax.set_title("Entropy rises towards log k")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    if budget is not None:
        E = pd.DataFrame([epochs_fn(m, budget, counts, on_empty="inf").to_numpy() for m in mixes],
                         index=pd.Index(Ts, name="temperature T"), columns=domains)
        epochs_plot(E, ax=ax_list[2], max_epochs=max_epochs, logx=True, xlabel="temperature T (α = 1/T)",
                    title=f"Epochs at B = {budget:,.0f} tokens")
    return fig


# ---------------------------------------------------------------------------- ledger
def ledger_plot(
    ledger_frame: Any,
    ax: Axes | None = None,
    *,
    title: str | None = "Acceptance per stage: documents vs tokens",
) -> Axes:
    """Document and token acceptance rates side by side for every stage of a filtering ledger.

    Parameters
    ----------
    ledger_frame : pandas.DataFrame or Ledger
        :meth:`mixlab.ledger.Ledger.to_frame` output (index ``stage``, columns ``a_doc`` and
        ``a_tok``), or the Ledger itself.
    ax : matplotlib Axes, optional
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the columns ``a_doc`` / ``a_tok`` are missing or the table is empty.

    Used in: 1.2 (doc vs token acceptance in a ledger), 2.1.
    """
    frame = ledger_frame.to_frame() if hasattr(ledger_frame, "to_frame") and not isinstance(
        ledger_frame, pd.DataFrame | pd.Series) else ledger_frame
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"ledger_frame must be a DataFrame from Ledger.to_frame() (got {type(frame).__name__})")
    missing = [c for c in ("a_doc", "a_tok") if c not in frame.columns]
    if missing or frame.empty:
        raise ValueError(f"ledger_frame needs rows and columns a_doc, a_tok (missing {missing})")
    ax = _axes(ax, figsize=(max(5.0, 1.3 * len(frame) + 2.5), 3.8))
    x = np.arange(len(frame), dtype=np.float64)
    specs = (("a_doc", "documents kept", "#7F7F7F", -0.2), ("a_tok", "tokens kept", "#3B75AF", 0.2))
    for col, label, color, dx in specs:
        vals = frame[col].to_numpy(dtype=np.float64)
        bars = ax.bar(x + dx, vals, width=0.38, color=color, label=label)
        ax.bar_label(bars, labels=[f"{v:.1%}" for v in vals], fontsize=8, padding=2)
    ax.set_xticks(x, [str(s) for s in frame.index])
    ax.set_ylim(0, 1.25)  # head room so the legend never covers a bar near 100 %
    ax.set_ylabel("acceptance rate (out / in)")
    ax.set_xlabel("stage")
    ax.legend(fontsize="small", loc="upper center", ncols=2, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------------------- rank agreement
def spearman(a: Any, b: Any) -> float:
    """Spearman rank correlation of two equally long sequences (average ranks for ties).

    Returns NaN when either sequence is constant. Used in: 1.4.
    """
    x = pd.Series(np.asarray(a, dtype=np.float64)).rank().to_numpy()
    y = pd.Series(np.asarray(b, dtype=np.float64)).rank().to_numpy()
    if x.size != y.size:
        raise ValueError(f"spearman needs sequences of equal length (got {x.size} and {y.size})")
    if x.size < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def rank_agreement_plot(
    proxy_values: Any,
    target_values: Any,
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

    Raises
    ------
    TypeError
        If ``annotate`` is not a bool.
    ValueError
        On different lengths / indices, fewer than 2 points, or non-finite values.

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
    if p.shape != t.shape or p.ndim != 1 or p.size < 2:
        raise ValueError(f"need two 1-d sequences of equal length >= 2 (got shapes {p.shape} and {t.shape})")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(t))):
        raise ValueError("proxy and target values must be finite")
    if labels is not None and len(labels) != p.size:
        raise ValueError(f"labels must have one entry per point (got {len(labels)} for {p.size})")
    ax = _axes(ax, figsize=(5.5, 4.5))
    ax.scatter(p, t, s=45, color="#3B75AF", edgecolors="white", zorder=3)
    if annotate and labels is not None:
        for xi, yi, lab in zip(p, t, labels, strict=True):
            ax.annotate(str(lab), (xi, yi), xytext=(5, 3), textcoords="offset points", fontsize=8)
    rho = spearman(p, t)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    head = f"{title}: " if title else ""
    ax.set_title(f"{head}Spearman ρ = {rho:.2f} (n = {p.size})")
    return ax


# ---------------------------------------------------------------------------- mixtures x objectives
def objective_heatmap(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    lower_is_better: bool = True,
    fmt: str = ".3f",
    near: pd.DataFrame | None = None,
    cmap: str = "viridis_r",
    title: str | None = "Mixtures under each objective",
) -> Axes:
    """Heat map of mixtures (rows) × objectives (columns), colored per column, values written in.

    Objectives live on different scales (a mean loss near 4, an excess loss near 0.2), so each
    column is colored on its own scale: 0 at the column's best value, 1 at its worst. Colors
    then compare mixtures *within* an objective, and the pattern across columns shows whether
    the same mixtures do well everywhere. Every cell shows its value; the best cell of each
    column is outlined and its value bold.

    Parameters
    ----------
    table : pandas.DataFrame
        Index = mixture names, one column per objective, finite values (e.g. the mean over
        evaluation seeds: ``long.pivot_table(index="mixture", columns="objective", values="value")``).
    ax : matplotlib Axes, optional
    lower_is_better : bool
        Losses: lower is better (default). With False the highest value is best.
    fmt : str
        Format spec of the written values (default ``".3f"``).
    near : pandas.DataFrame of bool, optional
        Same shape and labels as ``table``: cells to mark with "≈" (e.g. within noise of the
        column's best, from :func:`mixlab.methods.paired_comparison`).
    cmap : str
        Colormap from best (0) to worst (1); default ``viridis_r`` (best is bright yellow).
    title : str or None

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame or ``near`` is not a boolean DataFrame.
    ValueError
        On an empty table, non-finite values, a bad ``fmt``, or ``near`` with other labels.

    Used in: 3.6 (every baseline and optimized mixture under four objectives).
    """
    import matplotlib.pyplot as plt

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
    marks = np.zeros(vals.shape, dtype=bool)
    if near is not None:
        if not isinstance(near, pd.DataFrame):
            raise TypeError(f"near must be a boolean DataFrame like table (got {type(near).__name__})")
        if list(near.index) != list(table.index) or list(near.columns) != list(table.columns):
            raise ValueError("near must have the same index (mixtures) and columns (objectives) as table, in order")
        if not all(pd.api.types.is_bool_dtype(dt) for dt in near.dtypes):
            raise TypeError("near must hold booleans (True: mark the cell with '≈')")
        marks = near.to_numpy(dtype=bool)
    oriented = vals if lower_is_better else -vals
    lo = oriented.min(axis=0)
    span = oriented.max(axis=0) - lo
    scaled = np.divide(oriented - lo, span, out=np.zeros_like(oriented), where=span > 0)
    best = np.argmin(oriented, axis=0)
    n_rows, n_cols = vals.shape
    ax = _axes(ax, figsize=(1.6 * n_cols + 3.5, 0.45 * n_rows + 1.6))
    image = ax.imshow(scaled, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    colormap = plt.get_cmap(cmap)
    for (i, j), v in np.ndenumerate(vals):
        r, g, b, _ = colormap(float(scaled[i, j]))
        ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        text = ("≈ " if marks[i, j] and i != best[j] else "") + format(v, fmt)
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=ink,
                fontweight="bold" if i == best[j] else "normal")
    for j, i in enumerate(best.tolist()):
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=2.0, zorder=3))
    ax.set_xticks(range(n_cols), [str(c) for c in table.columns])
    ax.set_yticks(range(n_rows), [str(i) for i in table.index])
    ax.tick_params(length=0)
    cbar = plt.colorbar(image, ax=ax, ticks=[0.0, 1.0])
    cbar.ax.set_yticklabels(["best", "worst"])
    cbar.set_label("position within the column")
    if title:
        ax.set_title(title + ("; outlined: best per column" if n_rows > 1 else ""))
    return ax


# ---------------------------------------------------------------------------- filter scores
def _finite_1d(values: Any, name: str) -> np.ndarray:
    """``values`` as a finite 1-d float array, or a ValueError naming ``name``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (got {int((~np.isfinite(arr)).sum())} non-finite values)")
    return arr


def _hist_panel(
    ax: Axes,
    scores: np.ndarray,
    threshold: float,
    groups: np.ndarray | None,
    weights: np.ndarray | None,
    bins: Sequence[float],
    group_names: tuple[str, str],
    colors: tuple[str, str],
    xlabel: str,
    ylabel: str,
    title: str | None,
) -> None:
    """Draw one (optionally weighted, optionally grouped) score histogram with the threshold line."""
    if groups is None:
        ax.hist(scores, bins=bins, weights=weights, alpha=0.7, color=colors[0], label="all")
    else:
        for mask, name, color in ((~groups, group_names[0], colors[0]), (groups, group_names[1], colors[1])):
            ax.hist(scores[mask], bins=bins, weights=None if weights is None else weights[mask],
                    alpha=0.7, color=color, label=name)
    ax.axvline(threshold, color="black", ls="--", lw=1.2, label=f"threshold {threshold:g}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)


def score_histogram(
    scores: Any,
    threshold: float,
    *,
    groups: Any = None,
    weights: Any = None,
    ax: Axes | None = None,
    axes: Sequence[Axes] | None = None,
    bins: int | Sequence[float] = 40,
    group_names: tuple[str, str] = ("clean", "junk"),
    colors: tuple[str, str] = ("#3B75AF", "#C44E52"),
    xlabel: str = "quality score",
    unit: str = "tokens",
    title: str | None = "Quality scores",
) -> Axes | Figure:
    """Histogram of a filter score, split by a boolean group, with the filter's threshold line.

    One panel by default: documents counted once each, or weighted by ``weights`` (e.g. token
    counts, which is what a token budget feels). With ``axes=(left, right)``, the two views side
    by side: documents on the left, weighted by ``weights`` on the right.

    Parameters
    ----------
    scores : array-like of float
        One score per document.
    threshold : float
        The filter's threshold (drawn as a dashed line).
    groups : array-like of bool, optional
        Splits the histogram: ``False`` → ``group_names[0]``, ``True`` → ``group_names[1]``
        (e.g. the ground-truth junk flag).
    weights : array-like of float, optional
        Weight per document (e.g. ``n_tokens``). Required with ``axes``.
    ax : matplotlib Axes, optional
        Where to draw the single panel.
    axes : pair of matplotlib Axes, optional
        Draw both views: documents on ``axes[0]``, weighted by ``weights`` on ``axes[1]``.
    bins : int or sequence of float
        Number of equal bins over ``[min(0, scores.min()), max(1, scores.max())]``, or the edges.
    group_names, colors : pair of str
        Legend names and colors of the ``False`` and ``True`` groups.
    xlabel : str
    unit : str
        What ``weights`` count (y label and title of the weighted view).
    title : str or None
        Title stem; the view is appended (", counted in documents").

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes of the single panel, or the Figure holding both views.

    Raises
    ------
    TypeError
        If ``groups`` is not boolean.
    ValueError
        On lengths that differ, non-finite values, negative weights, or ``axes`` without
        ``weights`` / not a pair.

    Used in: 1.2 (junk is rare by documents and common by tokens).
    """
    x = _finite_1d(scores, "scores")
    thr = float(threshold)
    if not math.isfinite(thr):
        raise ValueError(f"threshold must be finite (got {threshold!r})")
    g = None
    if groups is not None:
        g = np.asarray(groups)
        if g.dtype != bool:
            raise TypeError(f"groups must be boolean (got dtype {g.dtype})")
        if g.shape != x.shape:
            raise ValueError(f"groups must have one entry per score ({x.size}), got shape {g.shape}")
    w = None
    if weights is not None:
        w = _finite_1d(weights, "weights")
        if w.shape != x.shape:
            raise ValueError(f"weights must have one entry per score ({x.size}), got shape {w.shape}")
        if (w < 0).any():
            raise ValueError("weights must be >= 0")
    if isinstance(bins, numbers.Integral):
        if int(bins) < 1:
            raise ValueError(f"bins must be >= 1 (got {bins})")
        edges = np.linspace(min(0.0, float(x.min())), max(1.0, float(x.max())), int(bins) + 1).tolist()
    else:
        edges = np.asarray(bins, dtype=np.float64).tolist()
    head = title or ""

    def panel_title(view: str) -> str | None:
        return f"{head}, counted in {view}" if head else None

    if axes is not None:
        if len(axes) != 2:
            raise ValueError(f"axes must be a pair (documents, weighted) (got {len(axes)})")
        if w is None:
            raise ValueError("axes= draws the documents and the weighted view; pass weights=")
        _hist_panel(axes[0], x, thr, g, None, edges, group_names, colors, xlabel, "documents",
                    panel_title("documents"))
        _hist_panel(axes[1], x, thr, g, w, edges, group_names, colors, xlabel, unit, panel_title(unit))
        axes[0].legend(fontsize="small")
        fig = axes[0].get_figure()
        assert fig is not None
        return fig  # type: ignore[return-value]
    ax = _axes(ax, figsize=(5.5, 3.4))
    view = "documents" if w is None else unit
    _hist_panel(ax, x, thr, g, w, edges, group_names, colors, xlabel, view, panel_title(view))
    ax.legend(fontsize="small")
    return ax


# ---------------------------------------------------------------------------- value of tokens
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

    Raises
    ------
    ValueError
        If columns are missing, the table is empty, tokens are not positive on a log axis,
        or ``floor`` lacks a domain.

    Used in: 1.2 (the marginal value of an extra token).
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


# ---------------------------------------------------------------------------- proxies and methods
def agreement_vs_cost(
    summary: pd.DataFrame,
    ceiling: float | None = None,
    *,
    x: str = "compute ratio",
    y: str = "spearman",
    ax: Axes | None = None,
    xlabel: str = "compute relative to the target, N·D / (N·D)_target (log scale)",
    ylabel: str = "Spearman ρ with the target",
    title: str | None = "Rank agreement vs proxy compute",
) -> Axes:
    """Rank agreement of each proxy with the target against its relative cost (log x), labelled.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per proxy (index = name) with columns ``x`` (cost ratio, > 0) and ``y``
        (agreement). Rows with a missing value (e.g. the target itself) are skipped.
    ceiling : float, optional
        Noise ceiling (the target's agreement with itself), drawn as a dashed line.
    x, y : str
        Column names.
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str

    Returns
    -------
    matplotlib.axes.Axes

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
    measured: Any,
    predicted: Any,
    *,
    labels: Mapping[str, str] | None = None,
    colors: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    xlabel: str = "measured (nats/token)",
    ylabel: str = "predicted (nats/token)",
    title: str | None = None,
) -> Axes:
    """Scatter of predictions against measurements with the diagonal ``y = x``.

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

    Raises
    ------
    ValueError
        On shapes or columns that differ, an empty input or non-finite values.

    Used in: 1.5 (mixing-law fit, RegMix regression).
    """
    if isinstance(measured, pd.DataFrame) != isinstance(predicted, pd.DataFrame):
        raise ValueError("measured and predicted must both be DataFrames or both be 1-d")
    series: list[tuple[str | None, np.ndarray, np.ndarray]] = []
    if isinstance(measured, pd.DataFrame):
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
        Column names.
    ax : matplotlib Axes, optional
    xlabel, ylabel, title : str

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If a column or a named row is missing, no method searched, or a searched cost is not
        positive.

    Used in: 1.5 (all methods under one objective, with the tokens each spent).
    """
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
    palette = dict(colors) if colors is not None else series_colors([str(i) for i in searched.index])
    ax = _axes(ax, figsize=(6.0, 4.6))
    for name, row in searched.iterrows():
        ax.errorbar(row[cost], row[mean], yerr=row[sd], fmt="o", capsize=4, color=palette.get(str(name)))
        ax.annotate(str(name), (row[cost], row[mean]), xytext=(6, 6), textcoords="offset points")
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
    if baselines:
        ax.legend(fontsize="small", loc="upper right")
    if title:
        ax.set_title(title)
    return ax
