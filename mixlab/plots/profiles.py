"""Skill profiles and mixture weights: what a mixture is, and what a model trained on it can do.

Used in: 00, 1.1, 1.4, 2.1, 2.2, 2.4, 3.1–3.6.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.plots.style import (
    _axes,
    color_mixture_labels,
    domain_colors,
    series_colors,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes

    from mixlab.proxy import ProxyRun


#: What a skill profile may be given as: a ``skill_profile()`` table, a run, or a Series of losses.
Profile = Union["pd.DataFrame", "pd.Series", "ProxyRun"]

__all__ = [
    "skill_profile_plot",
    "mixture_bars",
    "profile_intervals_plot",
]

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


def _profile_frames(profiles: Any) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Named skill-profile frames over the same domains, and those domains in display order."""
    named = dict(profiles) if isinstance(profiles, Mapping) else {"model": profiles}
    if not named:
        raise ValueError("skill_profile_plot needs at least one profile")
    frames = {str(k): _profile_frame(v, str(k)) for k, v in named.items()}
    domains = [str(d) for d in next(iter(frames.values())).index]
    for k, f in frames.items():
        if sorted(map(str, f.index)) != sorted(domains):
            raise ValueError(f"profile {k!r} covers domains {list(f.index)}, expected {domains}")
    return frames, domains


def skill_profile_plot(
    profiles: Mapping[str, Profile] | Profile,
    ax: Axes | None = None,
    *,
    kind: str = "lines",
    show_floor: bool = True,
    title: str | None = "Skill profile: validation loss per domain",
    colors: Mapping[str, str] | None = None,
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
    colors : mapping name → colour, optional
        Colours of some profiles; the others keep their mixture's course colour
        (:func:`mixlab.plots.mixture_colors`), so a baseline looks the same in every lesson.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: one profile per model, domains on x.

    Raises
    ------
    TypeError, ValueError
        On unreadable profiles, profiles over different domains, or an unknown ``kind``.

    Used in: 1.1, 1.4, 2.4, 3.1–3.5 (skill profiles side by side).
    """
    if kind not in ("lines", "bars"):
        raise ValueError(f"kind must be 'lines' or 'bars' (got {kind!r})")
    frames, domains = _profile_frames(profiles)
    ax = _axes(ax)
    x = np.arange(len(domains), dtype=np.float64)
    colors = {**series_colors(list(frames)), **dict(colors or {})}
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
        The Axes: one stacked bar per mixture.

    Raises
    ------
    TypeError
        If an entry is not a Mixture.
    ValueError
        If the mixtures cover different domains or none is given.

    Used in: 00, 1.1, 1.4, 2.1, 2.2, 3.1–3.6 (mixtures side by side).
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
    color_mixture_labels(ax.get_yticklabels())
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of documents" if kinds == {"document"} else "share of tokens"
                  if kinds == {"token"} else "share (token weights; (doc) = document weights)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False, title="domain",
              title_fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def _seed_intervals(table: pd.DataFrame, value: str, alpha: float) -> tuple[dict[str, pd.DataFrame], list[str], int]:
    """Per mixture, the mean and t interval of ``value`` over seeds for every domain (a sweep table)."""
    from mixlab.stats import seed_summary

    need = ["mixture", "seed", "domain", value]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"sweep_table needs the columns {', '.join(need)} (missing: {', '.join(missing)})")
    dom = table["domain"]
    domains = ([str(d) for d in dom.cat.categories if d in set(dom)] if isinstance(dom.dtype, pd.CategoricalDtype)
               else [str(d) for d in pd.unique(dom.to_numpy())])
    out: dict[str, pd.DataFrame] = {}
    n_seeds = 0
    for name in pd.unique(table["mixture"].astype(str).to_numpy()):
        rows = table[table["mixture"].astype(str) == name]
        wide = rows.assign(domain=rows["domain"].astype(str)).pivot(index="seed", columns="domain", values=value)
        if sorted(wide.columns) != sorted(domains):
            raise ValueError(f"mixture {name!r} does not cover every domain ({domains})")
        out[str(name)] = seed_summary(wide[domains], alpha)
        n_seeds = len(wide)
    return out, domains, n_seeds


def profile_intervals_plot(
    sweep_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    value: str = "excess",
    alpha: float = 0.05,
    title: str | None = None,
) -> Axes:
    """Skill profiles over seeds: each mixture's mean per domain with its t interval.

    One seed shows a mechanism; a claim about mixtures needs the spread over seeds. For every
    mixture and domain the figure draws the mean of ``value`` over the seeds and its
    ``1 − alpha`` t interval (:func:`mixlab.stats.seed_summary`: ``mean ± t · sd/√n`` with
    ``n − 1`` degrees of freedom). The intervals describe each mean on its own; whether two
    mixtures differ is a paired question (:func:`mixlab.stats.compare_mixtures`), so the bars are
    for reading, not for deciding.

    Parameters
    ----------
    sweep_table : pandas.DataFrame
        Long table of :func:`mixlab.proxy.sweep` (columns ``mixture``, ``seed``, ``domain`` and
        ``value``), every mixture on the same seeds, at least 2.
    ax : matplotlib Axes, optional
    value : str
        Column to draw: ``"excess"`` (loss − entropy floor, default) or ``"loss"``.
    alpha : float
        The intervals have confidence ``1 − alpha``.
    title : str, optional
        Default: says the number of seeds and the confidence level.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: per mixture (in its course colour, slightly offset) a line of means across the
        domains with an interval bar at each.

    Raises
    ------
    TypeError, ValueError
        A missing column, a mixture without every domain, fewer than 2 seeds or unpaired seeds
        (as :func:`mixlab.stats.seed_summary`), a bad ``alpha``.

    Used in: 3.1 (the three simple baselines over seeds), 3.2, 3.3.
    """
    if not isinstance(sweep_table, pd.DataFrame):
        raise TypeError(f"sweep_table must be the DataFrame of mixlab.proxy.sweep (got {type(sweep_table).__name__})")
    summaries, domains, n_seeds = _seed_intervals(sweep_table, value, alpha)
    ax = _axes(ax)
    colors = series_colors(list(summaries))
    x = np.arange(len(domains), dtype=np.float64)
    m = len(summaries)
    for i, (name, s) in enumerate(summaries.items()):
        xi = x + (i - (m - 1) / 2) * min(0.12, 0.6 / m)
        mean = s["mean"].to_numpy()
        err = np.vstack([mean - s["ci_low"].to_numpy(), s["ci_high"].to_numpy() - mean])
        ax.errorbar(xi, mean, yerr=err, fmt="o-", lw=1.2, ms=5, capsize=3, color=colors[name], label=name)
    ax.set_xticks(x, domains)
    dc = domain_colors(domains)
    for tick, d in zip(ax.get_xticklabels(), domains, strict=True):
        tick.set_color(dc[d])
    ax.set_xlabel("domain (held-out validation set)")
    ax.set_ylabel("excess loss $L_j - L_j^*$ (nats/token)" if value == "excess" else f"{value} (nats/token)")
    ax.grid(axis="y", alpha=0.3)
    level = f"{100 * (1 - alpha):g} %"
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title=f"mean of {n_seeds} seeds,\n{level} t interval", title_fontsize="small")
    ax.set_title(title if title is not None else f"Skill profiles over {n_seeds} seeds ({level} t intervals)")
    return ax
