"""Validation objectives: turning a skill profile (per-domain losses) into one number.

With per-domain validation losses ``L_j`` (nats/token), the course compares:

- uniform average ``(1/k) Σ_j L_j``;
- target-weighted ``Σ_j s_j L_j`` with ``s`` on the simplex (what the target task mix cares about);
- worst case ``max_j L_j``;
- excess loss ``L_j − L_j^ref`` against a reference model, and its worst case
  ``max_j (L_j − L_j^ref)`` — the quantity DoReMi's Group DRO minimizes
  (Xie et al. 2023, arXiv 2305.10429).

Each objective is an :class:`Objective`: a name, a formula for display, and a function of a
losses Series. Optimizers take an ``Objective`` so that "the optimum moves with the objective"
is one argument away.

Used in: 1.3, 2.4, 3.6 (objectives by hand and in the searches).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias

import numpy as np
import pandas as pd

from mixlab.validation import check_finite_array, format_values

if TYPE_CHECKING:
    from mixlab.mixture import Mixture

__all__ = [
    "Objective",
    "HasLosses",
    "LossesLike",
    "WeightsLike",
    "as_losses",
    "resolve_objective",
    "uniform_objective",
    "weighted_objective",
    "worst_case",
    "excess_loss",
    "worst_excess",
    "worst_excess_over_floor",
    "standard_objectives",
    "evaluate_objectives",
]


class HasLosses(Protocol):
    """Anything that carries per-domain losses, such as :class:`mixlab.proxy.ProxyRun`.

    Used in: no lesson by name (objectives accept proxy runs through it).
    """

    @property
    def losses(self) -> pd.Series:
        """Validation loss per domain."""
        ...


#: Per-domain losses as the objectives accept them: a Series or mapping domain → loss, or a run.
LossesLike: TypeAlias = "pd.Series | Mapping[str, float] | HasLosses"
#: Importance weights of the domains: a Mixture, or a Series or mapping domain → weight.
WeightsLike: TypeAlias = "Mixture | pd.Series | Mapping[str, float]"


def as_losses(losses: LossesLike, domains: Sequence[str] | None = None) -> pd.Series:
    """Return per-domain losses as a float Series, checked finite.

    Parameters
    ----------
    losses : pandas.Series, mapping domain → loss, or an object with a ``losses`` attribute
        (e.g. :class:`mixlab.proxy.ProxyRun`).
    domains : sequence of str, optional
        If given, the losses must cover exactly these domains (returned in this order).

    Returns
    -------
    pandas.Series
        float64 losses indexed by domain.

    Raises
    ------
    ValueError
        On NaN/inf losses, an empty table, or missing/unknown domains.

    Used in: no lesson directly; every objective reads its input with it.
    """
    if hasattr(losses, "losses") and not isinstance(losses, pd.Series | Mapping):
        losses = losses.losses
    s = pd.Series(losses, dtype=np.float64) if isinstance(losses, Mapping) else pd.Series(losses).astype(np.float64)
    if s.empty:
        raise ValueError("losses must not be empty")
    check_finite_array(s.to_numpy(), "losses", labels=list(map(str, s.index)))
    if domains is not None:
        missing = [d for d in domains if d not in s.index]
        unknown = [d for d in s.index if d not in domains]
        if missing or unknown:
            raise ValueError(
                f"losses must cover exactly the domains {list(domains)} (missing: {missing}, unknown: {unknown})"
            )
        s = s.loc[list(domains)]
    return s


@dataclass(frozen=True)
class Objective:
    """A named scalar objective of per-domain losses (lower is better).

    Attributes
    ----------
    name : str
        Short label for tables (``"uniform"``, ``"worst-case"``, …).
    formula : str
        LaTeX for notebooks.
    fn : callable
        ``fn(losses: pandas.Series) -> float``.

    Used in: no lesson by name (every objective a lesson builds is one).
    """

    name: str
    formula: str
    fn: Callable[[pd.Series], float]

    def __call__(self, losses: LossesLike) -> float:
        """The objective's value at ``losses`` (checked finite by :func:`as_losses`)."""
        return float(self.fn(as_losses(losses)))

    def __repr__(self) -> str:
        return f"Objective({self.name}: {self.formula})"


def uniform_objective() -> Objective:
    """Average loss over domains, ``(1/k) Σ_j L_j``. Used in: no lesson directly (the objective named "uniform")."""
    return Objective("uniform", r"\frac{1}{k}\sum_j L_j", lambda s: float(s.mean()))


def _simplex_weights(weights: WeightsLike, name: str) -> pd.Series:
    w = weights.weights if hasattr(weights, "weights") and not isinstance(weights, Mapping) else weights
    s = pd.Series(w, dtype=np.float64)
    check_finite_array(s.to_numpy(), name, nonnegative=True, labels=list(map(str, s.index)))
    total = float(s.sum())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1 within 1e-09 (got {total:.6g}: {format_values(s.items())})")
    return s


def weighted_objective(weights: WeightsLike, name: str = "target-weighted") -> Objective:
    """Target-weighted loss ``Σ_j s_j L_j`` with ``s`` on the simplex.

    Parameters
    ----------
    weights : Mixture or mapping domain → weight
        The importance ``s`` of each domain's skill (must sum to 1; nothing is normalized).
    name : str

    Raises
    ------
    ValueError
        If ``s`` is not on the simplex, or (at evaluation) the domains do not match.

    Used in: 2.4.
    """
    s = _simplex_weights(weights, "weights")

    def fn(losses: pd.Series) -> float:
        aligned = as_losses(losses, list(map(str, s.index)))
        return float((aligned * s.to_numpy()).sum())

    terms = " + ".join(f"{v:.2g}\\,L_{{\\mathrm{{{d}}}}}" for d, v in s.items() if v > 0)
    return Objective(name, terms, fn)


def worst_case() -> Objective:
    """Worst domain's loss, ``max_j L_j``. Used in: 1.3, 2.4."""
    return Objective("worst-case", r"\max_j L_j", lambda s: float(s.max()))


def excess_loss(losses: LossesLike, reference: LossesLike) -> pd.Series:
    """Per-domain excess loss ``L_j − L_j^ref`` over a reference model (DoReMi, arXiv 2305.10429).

    Parameters
    ----------
    losses, reference : per-domain losses (Series, mapping or ProxyRun) over the same domains.

    Returns
    -------
    pandas.Series
        Named ``excess``. Negative values mean the model beats the reference on that domain.

    Used in: 2.4.
    """
    ref = as_losses(reference)
    cur = as_losses(losses, list(map(str, ref.index)))
    return (cur - ref).rename("excess")


def worst_excess(reference: LossesLike) -> Objective:
    """Worst-case excess loss ``max_j (L_j − L_j^ref)`` (the Group DRO objective of DoReMi).

    Used in: 2.4.
    """
    ref = as_losses(reference)
    formula = r"\max_j \left(L_j - L_j^{\mathrm{ref}}\right)"
    return Objective("worst-excess", formula, lambda s: float(excess_loss(s, ref).max()))


def worst_excess_over_floor(floor: LossesLike) -> Objective:
    """The course's "worst": the largest excess over the floor, ``max_j (L_j − L_j^*)``.

    ``L_j^*`` is domain j's irreducible loss, the entropy rate of its generating process
    (``world.process.entropy_rate()``, or a run's ``floor``). The raw worst loss ``max_j L_j``
    mostly names the domain with the highest floor whatever the mixture; the excess over the
    floor names the domain a mixture serves worst relative to what is learnable there. Unlike
    :func:`worst_excess` (DoReMi's excess over a *reference model*), the floor favours no mixture.

    Parameters
    ----------
    floor : per-domain floors (Series, mapping or an object with ``losses``)
        The irreducible loss of every domain, nats/token.

    Returns
    -------
    Objective
        Named ``"worst excess"``; at evaluation the losses must cover the floor's domains.

    Raises
    ------
    ValueError
        If the floor is empty or not finite, or (at evaluation) the domains do not match.

    Used in: 3.6 (the capstone's "worst" objective, searched and scored).
    """
    ref = as_losses(floor)
    formula = r"\max_j \left(L_j - L_j^{*}\right)"
    return Objective("worst excess", formula, lambda s: float(excess_loss(s, ref).max()))


def standard_objectives(
    reference: LossesLike | None = None, target_weights: WeightsLike | None = None
) -> dict[str, Objective]:
    """The course's objectives keyed by name: uniform, worst-case, and — when given — target-weighted
    (``target_weights``) and worst-excess (``reference`` losses).

    Used in: 2.4.
    """
    out = {"uniform": uniform_objective(), "worst-case": worst_case()}
    if target_weights is not None:
        out["target-weighted"] = weighted_objective(target_weights)
    if reference is not None:
        out["worst-excess"] = worst_excess(reference)
    return out


def evaluate_objectives(losses: LossesLike, objectives: Mapping[str, Objective]) -> pd.Series:
    """Every objective's value for one skill profile, as a Series keyed by objective name.

    Parameters
    ----------
    losses : per-domain losses (Series, mapping or ProxyRun)
    objectives : mapping name → Objective

    Returns
    -------
    pandas.Series
        Named ``objective``, indexed by the objectives' names.

    Raises
    ------
    ValueError
        Non-finite or missing losses.

    Used in: 2.4.
    """
    s = as_losses(losses)
    return pd.Series({name: obj(s) for name, obj in objectives.items()}, name="objective", dtype=np.float64)


def resolve_objective(objective: Objective | str) -> Objective:
    """Return ``objective`` as an :class:`Objective`, looking a name up among the parameter-free ones.

    Parameters
    ----------
    objective : Objective or str
        An objective, or the name of a parameter-free one (``"uniform"``, ``"worst-case"``).

    Returns
    -------
    Objective

    Raises
    ------
    TypeError
        If ``objective`` is neither.
    ValueError
        For an unknown name.

    Used in: no lesson directly; every search method and scoring function accepts a name through it.
    """
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        known = standard_objectives()
        if objective not in known:
            raise ValueError(
                f"objective {objective!r} is not a parameter-free objective (known: {', '.join(known)}); "
                "build weighted or excess objectives with mixlab.objectives"
            )
        return known[objective]
    raise TypeError(f"objective must be an Objective or a name (got {type(objective).__name__})")
