"""The course's colours and small helpers shared by every figure.

One colour per domain (:data:`DOMAIN_COLORS`) and one per mixture or baseline
(:data:`MIXTURE_COLORS`), so ``code`` and ``proportional`` look the same in every lesson.

Used in: every figure of the course (through the other ``mixlab.plots`` modules).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = [
    "DOMAIN_COLORS",
    "MIXTURE_COLORS",
    "MIXTURE_MARKERS",
    "SERIES_COLORS",
    "domain_colors",
    "mixture_family",
    "mixture_colors",
    "mixture_markers",
    "LEGEND_PLACES",
    "color_mixture_labels",
    "place_labels",
    "place_legend",
    "series_colors",
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


#: One colour per mixture family, the same in every lesson (Paul Tol's colour-blind-safe "muted"
#: and "high-contrast" schemes, away from the domain colours): baselines first, then the methods.
MIXTURE_COLORS: dict[str, str] = {
    "uniform by token": "#777777",
    "uniform by document": "#8C510A",
    "proportional": "#882255",
    "hand-tuned": "#117733",
    "temperature": "#AA4499",
    "UniMax": "#44AA99",
    "grid optimum": "#332288",
    "exponentiated gradient": "#DDAA33",
    "DoReMi": "#CC3311",
    "mixing law": "#6699CC",
    "RegMix": "#000000",
}

#: Marker per mixture family on a ternary plot: the shape says how a mixture was obtained (square:
#: a formula, plus: by hand, triangle: temperature, diamond: capped formula, circle: a search,
#: star: the grid's optimum), the colour says which one it is.
MIXTURE_MARKERS: dict[str, str] = {
    "uniform by token": "s", "uniform by document": "s", "proportional": "s", "hand-tuned": "P",
    "temperature": "v", "UniMax": "D", "grid optimum": "*", "exponentiated gradient": "o",
    "DoReMi": "o", "mixing law": "o", "RegMix": "o",
}

#: Colours for series that are not a known mixture (samplers, models), in order.
SERIES_COLORS: tuple[str, ...] = ("#3B75AF", "#C44E52", "#8C8C3C", "#6A51A3", "#2A9D8F", "#B07AA1", "#4C4C4C")

#: Name patterns of the mixture families, tried in order on the lower-cased name.
_FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^uniform by doc", "uniform by document"),
    (r"^(uniform by token|uniform$|uniform \(t ?= ?(inf|∞)\)|stratified)", "uniform by token"),
    (r"^(proportional|natural|source-proportional)", "proportional"),
    (r"^hand[- ]tuned", "hand-tuned"),
    (r"^unimax", "UniMax"),
    (r"(^|\W)(temperature|alpha ?=|α ?=|t ?= ?\d)", "temperature"),
    (r"grid", "grid optimum"),
    (r"(^|\W)eg(\W|$)|exponentiated", "exponentiated gradient"),
    (r"doremi", "DoReMi"),
    (r"mixing[- ]law", "mixing law"),
    (r"regmix", "RegMix"),
    (r"\boptimum\b", "grid optimum"),
)


#: Light box behind point labels so they stay readable on a heat map.
_LABEL_BOX: dict[str, Any] = {"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.75, "lw": 0}


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

    Used in: 1.2 (and every figure that colours domains).
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


def mixture_family(name: str) -> str | None:
    """The family of a mixture's display name (a key of :data:`MIXTURE_COLORS`), or None.

    Parameters
    ----------
    name : str
        A display name, matched case-insensitively by its usual wording in the lessons: "uniform
        by doc", "proportional (T = 1)", "hand-tuned (Alice)", "temperature alpha=0.3",
        "alpha = 0.3 (T = 3.33)", "UniMax (E_max = 4)", "grid optimum", "EG: worst-case", "doremi",
        "mixing-law", "RegMix", ...

    Returns
    -------
    str or None
        The family, or None for a name that is not a known mixture (e.g. "i.i.d. draws").

    Raises
    ------
    TypeError
        If ``name`` is not a string.

    Examples
    --------
    >>> mixture_family("uniform (T = inf)"), mixture_family("EG: uniform"), mixture_family("i.i.d. draws")
    ('uniform by token', 'exponentiated gradient', None)

    Used in: no lesson yet directly (:func:`mixture_colors` calls it).
    """
    if not isinstance(name, str):
        raise TypeError(f"a mixture name must be a string (got {name!r})")
    low = name.strip().lower()
    return next((family for pattern, family in _FAMILY_PATTERNS if re.search(pattern, low)), None)


def _rgb(color: str) -> tuple[float, float, float]:
    """A ``#rrggbb`` colour as three floats in [0, 1]."""
    return (int(color[1:3], 16) / 255, int(color[3:5], 16) / 255, int(color[5:7], 16) / 255)


def _mix(color: str, other: str, amount: float) -> str:
    """``color`` moved ``amount`` of the way towards ``other`` (both ``#rrggbb``)."""
    if amount == 0:
        return color
    a, b = _rgb(color), _rgb(other)
    return "#" + "".join(f"{round(255 * (x + amount * (y - x))):02x}" for x, y in zip(a, b, strict=True))


def _temperature(name: str) -> float | None:
    """The temperature T a temperature mixture's name states (``T = 2``, ``alpha = 0.3`` → 1/0.3)."""
    low = name.lower()
    t = re.search(r"\bt ?= ?([0-9]*\.?[0-9]+)", low)
    if t:
        return float(t.group(1))
    a = re.search(r"(alpha|α) ?= ?([0-9]*\.?[0-9]+)", low)
    return 1.0 / float(a.group(2)) if a and float(a.group(2)) > 0 else None


#: Shades for several mixtures of one family: the family colour, then darker and lighter.
_SHADES: tuple[tuple[str, float], ...] = (("#000000", 0.0), ("#000000", 0.35), ("#ffffff", 0.4), ("#000000", 0.6),
                                          ("#ffffff", 0.65))


def mixture_colors(names: Sequence[str], families: Mapping[str, str] | None = None) -> dict[str, str]:
    """One colour per mixture name, fixed by its family so a baseline looks the same in every lesson.

    Parameters
    ----------
    names : sequence of str
        Display names, e.g. the keys of a dict of mixtures.
    families : mapping name → family, optional
        Families for names the patterns of :func:`mixture_family` do not recognize (e.g.
        ``{"Alice (quality)": "hand-tuned"}``); values are keys of :data:`MIXTURE_COLORS`.

    Returns
    -------
    dict
        ``{name: hex colour}``. A family's first member gets :data:`MIXTURE_COLORS`; further
        members get darker and lighter shades of it, in order (temperature mixtures are shaded by
        their stated T instead: darker for larger T). Unknown names take :data:`SERIES_COLORS`.

    Raises
    ------
    TypeError
        If a name is not a string.
    ValueError
        If ``families`` names an unknown family.

    Used in: 1.5 (the methods' colours in :func:`score_vs_cost`); every figure that compares
    mixtures calls it.
    """
    given = dict(families or {})
    bad = [f for f in given.values() if f not in MIXTURE_COLORS]
    if bad:
        raise ValueError(f"families must be among {', '.join(MIXTURE_COLORS)} (got {bad})")
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    spare = iter(SERIES_COLORS * (1 + len(names) // len(SERIES_COLORS)))
    for name in names:
        family = given.get(name) or mixture_family(name)
        if family is None:
            out[name] = next(spare)
            continue
        base = MIXTURE_COLORS[family]
        temp = _temperature(name) if family == "temperature" else None
        if temp is not None:  # T from 1 (light) to 10 and beyond (dark)
            depth = min(max(math.log10(temp), 0.0), 1.0) if temp > 0 else 0.0
            out[name] = _mix(_mix(base, "#ffffff", 0.45), "#000000", 0.55 * depth)
        else:
            towards, amount = _SHADES[seen.get(family, 0) % len(_SHADES)]
            out[name] = _mix(base, towards, amount)
        seen[family] = seen.get(family, 0) + 1
    return out


def color_mixture_labels(labels: Sequence[Any]) -> None:
    """Colour tick labels that name a known mixture in that mixture's colour (others stay as they are).

    Parameters
    ----------
    labels : sequence of matplotlib Text
        E.g. ``ax.get_yticklabels()`` of a figure with one row per mixture.

    Returns
    -------
    None

    Raises
    ------
    None
        Labels that are not mixtures are left alone.

    Used in: no lesson yet directly (:func:`mixlab.plots.mixture_bars` and
    :func:`mixlab.plots.objective_heatmap` call it).
    """
    texts = list(labels)
    names = [t.get_text() for t in texts]
    colors = mixture_colors(names)
    for text, name in zip(texts, names, strict=True):
        if mixture_family(name) is not None:
            text.set_color(colors[name])


def mixture_markers(names: Sequence[str], default: str = "o") -> dict[str, str]:
    """The ternary-plot marker of each mixture name by its family (:data:`MIXTURE_MARKERS`).

    Parameters
    ----------
    names : sequence of str
    default : str
        The marker of names that are not a known mixture.

    Returns
    -------
    dict
        ``{name: matplotlib marker}``.

    Raises
    ------
    TypeError
        If a name is not a string.

    Used in: no lesson yet directly (:func:`ternary_scatter` calls it).
    """
    return {n: MIXTURE_MARKERS.get(mixture_family(n) or "", default) for n in names}


def series_colors(names: Sequence[str]) -> dict[str, str]:
    """Colours for compared series: mixtures by :func:`mixture_colors`, others from :data:`SERIES_COLORS`.

    Parameters
    ----------
    names : sequence
        Series names (converted to strings).

    Returns
    -------
    dict
        ``{name: hex colour}``, as :func:`mixture_colors` gives it.

    Raises
    ------
    None
        Every name is converted to a string first.

    Used in: no lesson by name; :func:`skill_profile_plot`, :func:`excess_profile_plot`,
    :func:`convergence_plot` and the methods figures colour their series with it.
    """
    return mixture_colors([str(n) for n in names])


#: Where :func:`place_legend` can put a legend.
LEGEND_PLACES: tuple[str, ...] = ("outside", "below", "best")


def place_legend(ax: Axes, where: str = "outside", **options: Any) -> None:
    """Put an Axes' legend where it covers no data: right of the plot, below it, or matplotlib's best spot.

    Parameters
    ----------
    ax : matplotlib Axes
    where : {"outside", "below", "best"}
        "outside" (right of the Axes) and "below" never cover a curve; "best" picks the emptiest
        spot inside.
    **options
        Passed to ``ax.legend`` (e.g. ``title``, ``ncols``).

    Returns
    -------
    None
        The legend is set on ``ax``.

    Raises
    ------
    ValueError
        On another ``where``.

    Used in: 1.3, 1.5 (legends below the ternary maps); :func:`epochs_plot` and other figures call it.
    """
    places: dict[str, dict[str, Any]] = {
        "outside": {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False},
        "below": {"loc": "upper center", "bbox_to_anchor": (0.5, -0.15), "frameon": False, "ncols": 4},
        "best": {"loc": "best"},
    }
    if where not in places:
        raise ValueError(f"where must be one of {', '.join(LEGEND_PLACES)} (got {where!r})")
    ax.legend(**{"fontsize": "small", **places[where], **options})


def _boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes ``(x0, y0, x1, y1)`` overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(
    ax: Axes, xy: np.ndarray, names: Sequence[str], *, marker_size: float = 60.0, fontsize: float = 9.0,
) -> None:
    """Write each name beside its point where it covers no other label and no marker.

    Candidate spots lie on rings of growing radius around the point, starting on the side away
    from its neighbours; the first free one wins, and a label moved away from its point gets a
    leader line. Positions are estimated from the Axes' current data-to-display transform, so call
    this after the Axes' limits and size are set (e.g. after :func:`mixlab.plots.ternary_axes`).

    Parameters
    ----------
    ax : matplotlib Axes
    xy : array of shape (n, 2)
        Point positions in data coordinates.
    names : sequence of str
        One label per point.
    marker_size : float
        Marker area in points² (markers are kept clear of labels).
    fontsize : float

    Returns
    -------
    None
        The labels are added to ``ax`` as annotations.

    Raises
    ------
    ValueError
        If ``xy`` and ``names`` differ in length.

    Used in: no lesson yet directly (:func:`ternary_scatter` calls it).
    """
    if len(xy) != len(names):
        raise ValueError(f"names must have one entry per point (got {len(names)} for {len(xy)})")
    pts = ax.transData.transform(np.asarray(xy, dtype=np.float64)) * 72.0 / ax.figure.dpi
    n = len(pts)
    r_marker = math.sqrt(marker_size) / 2 + 2
    placed = _text_boxes(ax)  # texts already on the Axes (e.g. a ternary plot's corner titles)
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    line = {"arrowstyle": "-", "color": "0.1", "lw": 0.8, "shrinkA": 0, "shrinkB": 3, "path_effects": halo}
    for i in range(n):
        w, h = 0.62 * fontsize * len(str(names[i])) + 5, 1.3 * fontsize + 4  # the text and its box
        others = np.delete(pts, i, axis=0)
        near = others[np.hypot(*(others - pts[i]).T) < 60] if n > 1 else others
        away = math.atan2(*(pts[i] - near.mean(axis=0))[::-1]) if len(near) else math.pi / 4
        choice = None
        for radius in (6.0, 16.0, 28.0, 42.0, 58.0, 76.0):
            for k in range(12):
                theta = away + (k + 1) // 2 * (1 if k % 2 else -1) * math.pi / 6
                dx, dy = radius * math.cos(theta), radius * math.sin(theta)
                x0 = pts[i, 0] + dx - (w if dx < -1 else w / 2 if abs(dx) <= 1 else 0)
                y0 = pts[i, 1] + dy - (h if dy < -1 else h / 2 if abs(dy) <= 1 else 0)
                box = (x0, y0, x0 + w, y0 + h)
                hits_marker = any(_boxes_overlap(box, (p[0] - r_marker, p[1] - r_marker, p[0] + r_marker,
                                                       p[1] + r_marker)) for p in pts)
                if not hits_marker and not any(_boxes_overlap(box, b) for b in placed):
                    choice = (dx, dy, box)
                    break
            if choice is not None:
                break
        dx, dy, box = choice if choice is not None else (dx, dy, box)
        placed.append(box)
        ax.annotate(str(names[i]), xy[i], xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                    zorder=6, bbox=_LABEL_BOX, ha="right" if dx < -1 else "center" if abs(dx) <= 1 else "left",
                    va="top" if dy < -1 else "center" if abs(dy) <= 1 else "bottom",
                    arrowprops=line if math.hypot(dx, dy) > 12 else None)


def _text_boxes(ax: Axes) -> list[tuple[float, float, float, float]]:
    """The boxes, in points, of the texts already drawn on ``ax`` (none if the canvas has no renderer)."""
    get_renderer = getattr(ax.figure.canvas, "get_renderer", None)
    if get_renderer is None:
        return []
    renderer = get_renderer()
    scale = 72.0 / ax.figure.dpi
    boxes = []
    for text in ax.texts:
        if not text.get_visible() or not text.get_text():
            continue
        bb = text.get_window_extent(renderer)
        boxes.append((bb.x0 * scale, bb.y0 * scale, bb.x1 * scale, bb.y1 * scale))
    return boxes


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    """Return ``ax`` or a fresh Axes in a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _finite_1d(values: Any, name: str) -> np.ndarray:
    """``values`` as a finite 1-d float array, or a ValueError naming ``name``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (got {int((~np.isfinite(arr)).sum())} non-finite values)")
    return arr


def _is_filled(marker: Any) -> bool:
    """Whether a matplotlib marker has a face (only those take an edge color without a warning)."""
    from matplotlib.markers import MarkerStyle

    try:
        return bool(MarkerStyle(marker).is_filled())
    except ValueError as exc:
        raise ValueError(f"marker {marker!r} is not a matplotlib marker") from exc
