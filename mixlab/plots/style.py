"""The course's colours and small helpers shared by every figure.

One colour per domain (:data:`DOMAIN_COLORS`) and one per mixture or baseline
(:data:`MIXTURE_COLORS`), so ``code`` and ``proportional`` look the same in every lesson.

Used in: every figure of the course (through the other ``mixlab.plots`` modules).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

__all__ = [
    "DOMAIN_COLORS",
    "SERIES_COLORS",
    "domain_colors",
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


#: Colors for compared series (mixtures, samplers, models), distinct from the domain colors.
SERIES_COLORS: tuple[str, ...] = ("#4C4C4C", "#3B75AF", "#C44E52", "#8C8C3C", "#6A51A3", "#2A9D8F", "#B07AA1")


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
