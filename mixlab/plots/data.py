"""Figures about the data itself: document lengths, filter scores, acceptance rates per stage.

Used in: 1.2, 2.1, A.1.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.plots.style import (
    _axes,
    _finite_1d,
    domain_colors,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mixlab.corpus import Corpus
    from mixlab.ledger import Ledger


__all__ = [
    "length_distribution",
    "ledger_plot",
    "score_histogram",
]

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
        The Axes: one box per domain, the mean marked.

    Raises
    ------
    TypeError
        If ``corpus`` is not a :class:`~mixlab.corpus.Corpus` or ``log`` not a bool.
    ValueError
        If the corpus has no documents.

    Used in: 2.1 (domains differ in document length).
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


def ledger_plot(
    ledger_frame: pd.DataFrame | Ledger,
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
        The Axes: two bars per stage, each labelled with its rate.

    Raises
    ------
    ValueError
        If the columns ``a_doc`` / ``a_tok`` are missing or the table is empty.

    Used in: 1.2 (doc vs token acceptance in a ledger), A.1 (the build's ledger).
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


def _histogram_inputs(
    scores: Any, threshold: float, groups: Any, weights: Any, bins: int | Sequence[float],
) -> tuple[np.ndarray, float, np.ndarray | None, np.ndarray | None, list[float]]:
    """Checked scores, threshold, groups, weights and bin edges of a score histogram."""
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
    if not isinstance(bins, numbers.Integral):
        return x, thr, g, w, np.asarray(bins, dtype=np.float64).tolist()
    if int(bins) < 1:
        raise ValueError(f"bins must be >= 1 (got {bins})")
    return x, thr, g, w, np.linspace(min(0.0, float(x.min())), max(1.0, float(x.max())), int(bins) + 1).tolist()


def score_histogram(
    scores: npt.ArrayLike,
    threshold: float,
    *,
    groups: npt.ArrayLike | None = None,
    weights: npt.ArrayLike | None = None,
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
    ax, axes : matplotlib Axes, or a pair of them, optional
        Where to draw the single panel, or both views (documents left, weighted right).
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
    TypeError, ValueError
        Non-boolean ``groups``; lengths that differ, non-finite values, negative weights, or
        ``axes`` without ``weights`` / not a pair.

    Used in: 1.2 (junk is rare by documents and common by tokens).
    """
    x, thr, g, w, edges = _histogram_inputs(scores, threshold, groups, weights, bins)
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
