"""The 3-domain simplex drawn as a triangle: axes, points, caps and optimizer paths.

Used in: 1.3, 1.5, 2.2, 2.4, 2.5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.plots.style import (
    SERIES_COLORS,
    _axes,
    _is_filled,
    _mix,
    domain_colors,
    mixture_colors,
    mixture_markers,
    place_labels,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes


__all__ = [
    "barycentric_to_xy",
    "ternary_axes",
    "ternary_scatter",
    "ternary_caps",
    "ternary_path",
]

_SQRT3_2 = math.sqrt(3.0) / 2.0


class HasHistory(Protocol):
    """Anything with a ``history`` table of visited mixtures, e.g. an optimizer's result."""

    @property
    def history(self) -> pd.DataFrame: ...


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


def barycentric_to_xy(weights: npt.ArrayLike | pd.DataFrame) -> np.ndarray:
    """Map 3-domain weights to 2-D: corner 0 at (0, 0), corner 1 at (1, 0), corner 2 at (½, √3/2).

    Parameters
    ----------
    weights : array-like, shape (n, 3) or (3,)
        Barycentric coordinates (rows on the simplex).

    Returns
    -------
    numpy.ndarray
        Shape (n, 2): ``x = w_1 + w_2 / 2``, ``y = (√3/2) w_2``.

    Raises
    ------
    ValueError
        If a point does not have 3 weights.

    Used in: the ternary figures (every function of this module calls it).
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

    Raises
    ------
    ValueError
        If ``domains`` does not hold exactly 3 names.

    Used in: 1.3, 1.5, 2.2, 2.4, 2.5 (every ternary figure).
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


def _scatter_style(
    n: int, names: list[str] | None, marker: str | Sequence[str] | None, color: str | Sequence[str] | None,
    families: Mapping[str, str] | None,
) -> tuple[list[str], list[Any]]:
    """One marker and one colour per point: given, or by mixture family when the points are named."""
    if isinstance(marker, str) or marker is None:
        markers = list(mixture_markers(names).values()) if marker is None and names else [marker or "o"] * n
    else:
        markers = [str(m) for m in marker]
    if color is None:
        colors: list[Any] = (list(mixture_colors(names, families).values()) if names
                             else [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(n)])
    elif isinstance(color, str):
        colors = [color] * n
    else:
        colors = list(color)
    if len(markers) != n or len(colors) != n:
        raise ValueError(f"marker and color must be one value or one per point ({n} points)")
    for m in set(markers):
        _is_filled(m)  # a clear error for an unknown marker
    return markers, colors


def ternary_scatter(
    points: Mixture | Sequence[Mixture] | Mapping[str, Mixture] | pd.DataFrame | npt.ArrayLike,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    domains: Sequence[str] | None = None,
    marker: str | Sequence[str] | None = None,
    color: str | Sequence[str] | None = None,
    size: float = 60.0,
    label: str | None = None,
    annotate: bool = True,
    legend: bool = False,
    families: Mapping[str, str] | None = None,
) -> Axes:
    """Mark mixtures on the 3-domain simplex, each in its course colour and marker, labelled.

    Parameters
    ----------
    points : (n, 3) array, a Mixture, a list of Mixtures or a mapping label → Mixture
        Weights in the order of ``domains`` (a mapping supplies the labels).
    labels : sequence of str, optional
        One name per point (default: the mapping keys, or none).
    ax : matplotlib Axes, optional
        An Axes from :func:`ternary_axes` (default: a new one).
    domains : three names, optional
        Corner order (default: the first Mixture's domains, or A/B/C).
    marker, color : one value or one per point, optional
        Default for named points: by mixture family (:func:`mixture_markers`,
        :func:`mixture_colors`), so a baseline looks the same in every lesson; otherwise "o" and
        a colour per point. Large filled markers get a white edge, small ones a thin dark edge.
    size : float
        Marker area (points²).
    label : str, optional
        One legend entry for all these points.
    annotate : bool
        Write each name beside its point; names of points that crowd together are spread
        around them on leader lines.
    legend : bool
        One legend entry per named point instead (call ``ax.legend()``), e.g. with ``annotate=False``.
    families : mapping name → family, optional
        Families for names :func:`mixture_family` does not recognize.

    Returns
    -------
    matplotlib.axes.Axes
        The same Axes, with the points (and their labels) added.

    Raises
    ------
    TypeError, ValueError
        Points that are not 3-domain weights on the simplex, labels, markers or colours that do
        not match the points, an unknown marker, or ``label`` together with ``legend``.

    Used in: 1.3 (baselines and the optimum marked), 1.5 (chosen mixtures, RegMix's runs), 2.2, 2.4 (each seed's
    optimum), 2.5.
    """
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a string (got {type(label).__name__})")
    domains = domains if domains is not None else _mixture_domains(points)
    arr, keys = _as_k3(points, domains)
    names = [str(x) for x in labels] if labels is not None else keys
    if names is not None and len(names) != len(arr):
        raise ValueError(f"labels must have one entry per point (got {len(names)} labels for {len(arr)} points)")
    if legend and (label is not None or names is None):
        raise ValueError("legend=True gives each named point its own entry: pass names (not label=)")
    markers, colors = _scatter_style(len(arr), names, marker, color, families)
    ax = ax if ax is not None else ternary_axes(domains if domains is not None else ("A", "B", "C"))
    xy = barycentric_to_xy(arr)
    _draw_points(ax, xy, markers, colors, size, names if legend else None, label, family_markers=marker is None)
    if names is not None and annotate:
        place_labels(ax, xy, names, marker_size=size)
    return ax


def _draw_points(
    ax: Axes, xy: np.ndarray, markers: list[str], colors: list[Any], size: float, legend_names: list[str] | None,
    label: str | None, *, family_markers: bool,
) -> None:
    """Scatter the points, one call per marker (or per point, for a legend entry each)."""
    from matplotlib.colors import to_hex

    # large filled markers: a white edge; small ones: a darker edge of their own colour, so light
    # colours stay visible on white and dark ones on a heat map
    edges = ["white" if size >= 30 else _mix(to_hex(c), "#000000", 0.5) for c in colors]
    # family markers chosen here: thin ones need more area to look as large as a circle
    visual = {"*": 2.4, "P": 1.3, "v": 1.2} if family_markers else {}
    n = len(xy)
    groups = [[i] for i in range(n)] if legend_names else [
        [i for i in range(n) if markers[i] == m] for m in dict.fromkeys(markers)]
    for k, idx in enumerate(groups):
        style: dict[str, Any] = {"edgecolors": [edges[i] for i in idx]} if _is_filled(markers[idx[0]]) else {}
        entry = legend_names[idx[0]] if legend_names else (label if k == 0 else None)
        ax.scatter(xy[idx, 0], xy[idx, 1], s=size * visual.get(markers[idx[0]], 1.0), marker=markers[idx[0]],
                   c=[colors[i] for i in idx], zorder=5, linewidths=0.8 if size >= 30 else 0.6, label=entry,
                   **style)


def _mixture_domains(points: Any) -> list[str] | None:
    """The corner order a Mixture (or the first of a list or mapping of them) implies."""
    first = next(iter(points.values()), None) if isinstance(points, Mapping) else points
    if isinstance(first, list | tuple) and first:
        first = first[0]
    return list(first.domains) if isinstance(first, Mixture) else None


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
    caps: pd.Series | Mapping[str, float] | npt.ArrayLike,
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
        The same Axes, with the binding caps drawn.

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


def _trajectory(history_or_weights: Any, names: list[str]) -> tuple[np.ndarray, int]:
    """The visited mixtures as an (n, 3) array and the index of the returned iterate."""
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
    return arr, len(arr) - 1 if chosen is None else chosen


def _end_labels(ax: Axes, xy: np.ndarray, end: int, texts: tuple[str, str], color: str, z: float) -> None:
    """Write "start" and "end" beside their markers, pushed apart along the path so they never overlap."""
    from matplotlib import patheffects

    step = xy[end] - xy[0]
    direction = step / np.hypot(*step) if np.hypot(*step) > 1e-9 else np.array([1.0, 0.0])
    halo = [patheffects.withStroke(linewidth=2.5, foreground="black")]
    for point, text, sign in ((xy[0], texts[0], -1.0), (xy[end], texts[1], 1.0)):
        dx, dy = 22 * sign * direction[0] + 4, 22 * sign * direction[1] + 4
        ax.annotate(text, point, xytext=(dx, dy), textcoords="offset points", fontsize=9, fontweight="bold",
                    color=color, ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top",
                    zorder=z + 1, path_effects=halo,
                    arrowprops={"arrowstyle": "-", "color": "black", "lw": 0.8, "shrinkA": 0, "shrinkB": 5})


def ternary_path(
    ax: Axes,
    history_or_weights: HasHistory | pd.DataFrame | npt.ArrayLike,
    domains: Sequence[str],
    *,
    label: str | None = "iterates",
    start_label: str | None = "start",
    end_label: str | None = "result",
    color: str = "white",
    start_color: str | None = None,
    end_color: str | None = None,
    annotate: bool = True,
    **style: Any,
) -> Axes:
    """Draw an optimizer's trajectory on a ternary plot, above everything else, start and end marked.

    The path is drawn in ``color`` with a black outline and an arrowhead on every step, so it
    stays visible on any heat map or shaded cap region, even when it is short.

    Parameters
    ----------
    ax : matplotlib Axes
        An Axes from :func:`ternary_axes`.
    history_or_weights : OptimizationResult, DataFrame or array of shape (n, 3)
        The visited mixtures in order: a result (its ``history``), a history DataFrame with one
        column per domain, or an array of weights.
    domains : three names
        Corner order of the plot (and the weight columns to read).
    label, start_label, end_label : str or None
        Legend entries of the path, the start (circle) and the end (diamond: the iterate the
        optimizer returned when the history has a boolean ``chosen`` column, else the last).
    color, start_color, end_color : str
        Path colour (white reads well on viridis) and marker colours (default: ``color``).
    annotate : bool
        Also write "start" and "end" beside the two markers (with a leader line).
    **style
        Passed to ``ax.plot`` for the path (e.g. ``lw``, ``ms``, ``marker``, ``ls``, ``zorder``).

    Returns
    -------
    matplotlib.axes.Axes
        The same Axes, with the path and its two ends added.

    Raises
    ------
    TypeError
        On an unreadable trajectory.
    ValueError
        Missing domain columns, no points, or points off the simplex.

    Used in: 1.3 (exponentiated gradient walks into the bowl, then along a cap).
    """
    from matplotlib import patheffects

    names = [str(d) for d in domains]
    if len(names) != 3:
        raise ValueError(f"a ternary plot needs exactly 3 domains (got {names})")
    arr, end = _trajectory(history_or_weights, names)
    xy = barycentric_to_xy(arr)
    opts: dict[str, Any] = {"marker": "o", "lw": 1.8, "ms": 4, "zorder": 8, "mec": "black", "mew": 0.6, **style}
    lw = float(opts["lw"])
    halo = [patheffects.withStroke(linewidth=lw + 2.5, foreground="black"), patheffects.Normal()]
    ax.plot(xy[:, 0], xy[:, 1], color=color, label=label, path_effects=halo, **opts)
    z = float(opts["zorder"]) + 1
    for a, b in zip(xy[:-1], xy[1:], strict=True):
        if np.hypot(*(b - a)) > 0.015:  # an arrowhead on every visible step shows the direction
            ax.annotate("", b, xytext=a, zorder=z, arrowprops={
                "arrowstyle": "-|>", "color": color, "lw": 0, "mutation_scale": 12, "shrinkA": 0, "shrinkB": 3,
                "path_effects": [patheffects.withStroke(linewidth=1.5, foreground="black")]})
    ax.scatter([xy[0, 0]], [xy[0, 1]], marker="o", s=90, c=start_color or color, edgecolors="black",
               linewidths=1.2, zorder=z, label=start_label)
    ax.scatter([xy[end, 0]], [xy[end, 1]], marker="D", s=70, c=end_color or color, edgecolors="black",
               linewidths=1.2, zorder=z, label=end_label)
    if annotate:
        _end_labels(ax, xy, end, ("start", "end"), "white", z)
    return ax
