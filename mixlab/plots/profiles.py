"""Skill profiles and mixture weights: what a mixture is, and what a model trained on it can do.

Used in: 00, 1.1, 1.4, 2.1, 2.2, 2.4, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6.
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
    "excess_profile_plot",
    "mixture_bars",
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

    Used in: 1.1, 1.4, 2.4 (skill profiles side by side); the baseline lessons draw theirs with
    :func:`excess_profile_plot`.
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

    Used in: 00, 1.1, 2.1, 2.2, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6 (mixtures side by side).
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


def _excess_by_seed(sweep_table: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Per mixture, a seed × domain table of excess over the floor; and the domains in order."""
    from mixlab.verdicts import check_sweep_table

    check_sweep_table(sweep_table)
    dom = sweep_table["domain"]
    domains = ([str(d) for d in dom.cat.categories if d in set(dom)] if isinstance(dom.dtype, pd.CategoricalDtype)
               else [str(d) for d in pd.unique(dom.to_numpy())])
    table = sweep_table.assign(domain=dom.astype(str), excess=sweep_table["loss"] - sweep_table["floor"])
    out = {}
    for name, rows in table.groupby("mixture", sort=False):
        wide = rows.pivot(index="seed", columns="domain", values="excess").reindex(columns=domains)
        if len(wide) < 2 or wide.isna().to_numpy().any():
            raise ValueError(f"mixture {name!r}: every domain needs a value on at least 2 seeds (got {len(wide)} "
                             "seeds, or a missing domain)")
        out[str(name)] = wide
    return out, domains


def excess_profile_plot(
    sweep_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    alpha: float = 0.05,
    title: str | None = "Excess over the floor per domain",
    colors: Mapping[str, str] | None = None,
) -> Axes:
    """Skill profiles over seeds: each domain's excess over the floor, mean with a t interval, per mixture.

    The excess ``L_j − L_j^*`` puts every domain's floor at 0, so the highest point of a profile
    is the course's "worst" (largest excess over the floor); a ring marks it. Each bar is the
    interval ``mean ± t_{1−α/2, n−1} · sd / √n`` of one mixture on one domain over its ``n``
    seeds. Overlapping bars do not mean "no difference": mixtures trained on the same seeds are
    compared by their paired differences (:func:`mixlab.stats.compare_mixtures`).

    Parameters
    ----------
    sweep_table : pandas.DataFrame
        Long table of :func:`mixlab.proxy.sweep`: columns ``mixture``, ``seed``, ``domain``,
        ``loss``, ``floor``; at least 2 seeds per mixture.
    ax : matplotlib Axes, optional
    alpha : float
        The intervals have confidence ``1 − alpha``.
    title : str or None
        The seeds and the interval's level are added on a second line.
    colors : mapping name → colour, optional
        Colours of some mixtures; the others keep their course colour (:func:`mixture_colors`).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes: one dodged line of intervals per mixture, domains on x (the floor is 0 on y).

    Raises
    ------
    TypeError
        If ``sweep_table`` is not a DataFrame.
    ValueError
        Missing columns, repeated rows, a mixture with fewer than 2 seeds or a missing domain,
        or a bad ``alpha``.

    Used in: 3.1, 3.2, 3.3 (baselines over ten seeds), 3.4, 3.5 (skill profiles over five seeds, with
    the worst domain marked).
    """
    from mixlab.stats import seed_summary

    tables, domains = _excess_by_seed(sweep_table)
    summaries = {name: seed_summary(wide, alpha) for name, wide in tables.items()}
    ax = _axes(ax, figsize=(8.0, 4.0))
    palette = {**series_colors(list(tables)), **dict(colors or {})}
    m = len(tables)
    x = np.arange(len(domains), dtype=np.float64)
    for i, (name, summ) in enumerate(summaries.items()):
        xi = x + (i - (m - 1) / 2) * min(0.7 / m, 0.18)
        mean = summ["mean"].to_numpy(dtype=np.float64)
        err = np.vstack([mean - summ["ci_low"].to_numpy(dtype=np.float64),
                         summ["ci_high"].to_numpy(dtype=np.float64) - mean])
        ax.errorbar(xi, mean, yerr=err, fmt="o-", lw=1.2, ms=5, capsize=3, color=palette[name],
                    label=f"{name} ({len(tables[name])} seeds)")
        worst = int(np.argmax(mean))
        ax.plot(xi[worst], mean[worst], "o", ms=13, mfc="none", mec=palette[name], mew=1.6)
    ax.plot([], [], "o", ms=11, mfc="none", mec="0.3", mew=1.6, label="worst domain (largest mean excess)")
    ax.set_xticks(x, domains)
    dc = domain_colors(domains)
    for tick, d in zip(ax.get_xticklabels(), domains, strict=True):
        tick.set_color(dc[d])
    ax.set_xlabel("domain (held-out validation set)")
    ax.set_ylabel(r"excess over the floor $L_j - L_j^*$" + "\n(nats/token; the floor is 0)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        n_seeds = sorted({len(t) for t in tables.values()})
        seeds = f"{n_seeds[0]}" if len(n_seeds) == 1 else f"{n_seeds[0]}–{n_seeds[-1]}"
        ax.set_title(f"{title}\n(mean over {seeds} seeds, {1 - alpha:.0%} t interval)")
    return ax
