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
    "standard_objectives",
    "evaluate_objectives",
    "worst_excess_over_floor",
    "run_losses",
    "objective_table",
    "seed_optima",
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
    rows : callable, optional
        The same function applied to every row of a losses table at once,
        ``rows(table: pandas.DataFrame) -> numpy.ndarray`` (rows = runs or mixtures, columns =
        domains); :meth:`values` uses it when given. The course's objectives all have one.

    Used in: no lesson by name (every objective a lesson builds is one).
    """

    name: str
    formula: str
    fn: Callable[[pd.Series], float]
    rows: Callable[[pd.DataFrame], np.ndarray] | None = None

    def __call__(self, losses: LossesLike) -> float:
        """The objective's value at ``losses`` (checked finite by :func:`as_losses`)."""
        return float(self.fn(as_losses(losses)))

    def values(self, table: pd.DataFrame) -> pd.Series:
        """The objective on every row of a losses table (one row per run or mixture, one column per domain).

        The same numbers as ``table.apply(objective, axis=1)``, computed in one vectorized pass
        when the objective has ``rows``.

        Parameters
        ----------
        table : pandas.DataFrame
            Per-domain losses, e.g. :func:`mixlab.proxy.mean_losses` or :func:`run_losses`.

        Returns
        -------
        pandas.Series
            float64, indexed like ``table``, named after the objective.

        Raises
        ------
        TypeError
            If ``table`` is not a DataFrame.
        ValueError
            Non-finite losses, or columns that are not the domains the objective needs.

        Used in: 2.4 (every objective over a grid of mixtures).
        """
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"table must be a DataFrame of per-domain losses (got {type(table).__name__})")
        if self.rows is None:
            out = table.apply(self, axis=1).to_numpy(dtype=np.float64) if len(table) else np.zeros(0)
        else:
            check_finite_array(table.to_numpy(dtype=np.float64).ravel(), "losses")
            out = np.asarray(self.rows(table), dtype=np.float64)
        return pd.Series(out, index=table.index, name=self.name)

    def __repr__(self) -> str:
        return f"Objective({self.name}: {self.formula})"


def _columns(table: pd.DataFrame, domains: list[str]) -> np.ndarray:
    """The table's losses in ``domains`` order, refusing missing or unknown domains (as :func:`as_losses`)."""
    cols = [str(c) for c in table.columns]
    missing = [d for d in domains if d not in cols]
    unknown = [c for c in cols if c not in domains]
    if missing or unknown:
        raise ValueError(f"losses must cover exactly the domains {domains} (missing: {missing}, unknown: {unknown})")
    return table.set_axis(cols, axis=1)[domains].to_numpy(dtype=np.float64)


def _excess_rows(ref: pd.Series) -> Callable[[pd.DataFrame], np.ndarray]:
    """Vectorized ``max_j (L_j − ref_j)`` over the rows of a losses table."""
    domains = list(map(str, ref.index))
    return lambda table: (_columns(table, domains) - ref.to_numpy()).max(axis=1)


def uniform_objective() -> Objective:
    """Average loss over domains, ``(1/k) Σ_j L_j``. Used in: 2.4 (the objective named "uniform"), 3.6."""
    return Objective("uniform", r"\frac{1}{k}\sum_j L_j", lambda s: float(s.mean()),
                     rows=lambda t: t.to_numpy(dtype=np.float64).mean(axis=1))


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

    Used in: 2.4, 3.6.
    """
    s = _simplex_weights(weights, "weights")

    def fn(losses: pd.Series) -> float:
        aligned = as_losses(losses, list(map(str, s.index)))
        return float((aligned * s.to_numpy()).sum())

    def rows(table: pd.DataFrame) -> np.ndarray:
        return _columns(table, list(map(str, s.index))) @ s.to_numpy()

    terms = " + ".join(f"{v:.2g}\\,L_{{\\mathrm{{{d}}}}}" for d, v in s.items() if v > 0)
    return Objective(name, terms, fn, rows)


def worst_case() -> Objective:
    """Worst domain's loss, ``max_j L_j``. Used in: 1.3, 2.4."""
    return Objective("worst-case", r"\max_j L_j", lambda s: float(s.max()),
                     rows=lambda t: t.to_numpy(dtype=np.float64).max(axis=1))


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

    Used in: 1.3 (the grid rescored), 2.4, 3.6 (worst excess over a reference mixture).
    """
    ref = as_losses(reference)
    formula = r"\max_j \left(L_j - L_j^{\mathrm{ref}}\right)"
    return Objective("worst-excess", formula, lambda s: float(excess_loss(s, ref).max()), _excess_rows(ref))


def standard_objectives(
    reference: LossesLike | None = None, target_weights: WeightsLike | None = None
) -> dict[str, Objective]:
    """The course's objectives keyed by name: uniform, worst-case, and — when given — target-weighted
    (``target_weights``) and worst-excess (``reference`` losses).

    Used in: no lesson by name (the lessons build each objective themselves); :func:`resolve_objective`
    looks objective names up in it.
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

    Used in: no lesson now (the lessons score whole sweeps with :func:`objective_table`).
    """
    s = as_losses(losses)
    return pd.Series({name: obj(s) for name, obj in objectives.items()}, name="objective", dtype=np.float64)


def worst_excess_over_floor(floor: LossesLike) -> Objective:
    """The course's "worst": the worst excess over the floor, ``max_j (L_j − L_j^*)``.

    ``L_j^*`` is domain j's irreducible loss (the entropy rate of its generating process,
    ``world.process.entropy_rate()``), so the objective names the domain a mixture serves worst
    *relative to what is learnable there*. It is :func:`worst_excess` with the floor as the
    reference, named ``"worst excess"`` and written with ``L_j^*``.

    Parameters
    ----------
    floor : per-domain floors (Series, mapping or ProxyRun-like)

    Returns
    -------
    Objective

    Raises
    ------
    ValueError
        Non-finite or empty floors.

    Used in: 2.4 (where the course defines "worst"; later lessons link back to it), 3.6 (the
    capstone's "worst" objective, searched and scored).
    """
    ref = as_losses(floor)
    return Objective("worst excess", r"\max_j \left(L_j - L_j^{*}\right)", lambda s: float(excess_loss(s, ref).max()),
                     _excess_rows(ref))


def run_losses(sweep_table: pd.DataFrame) -> pd.DataFrame:
    """Per-domain losses of every proxy run of a sweep: one row per (mixture, seed), one column per domain.

    Parameters
    ----------
    sweep_table : pandas.DataFrame
        Columns ``mixture``, ``seed``, ``domain`` and ``loss`` (as :func:`mixlab.proxy.sweep` returns).

    Returns
    -------
    pandas.DataFrame
        Index ``(mixture, seed)`` in table order, columns the domains in table order.

    Raises
    ------
    TypeError
        If ``sweep_table`` is not a DataFrame.
    ValueError
        Missing columns, no rows, a repeated (mixture, seed, domain), or a run without every domain.

    Used in: no lesson by name; :func:`objective_table` and :func:`seed_optima` call it.
    """
    if not isinstance(sweep_table, pd.DataFrame):
        raise TypeError(f"sweep_table must be a DataFrame from mixlab.proxy.sweep (got {type(sweep_table).__name__})")
    need = ["mixture", "seed", "domain", "loss"]
    missing = [c for c in need if c not in sweep_table.columns]
    if missing or sweep_table.empty:
        raise ValueError(f"sweep_table needs rows and the columns {', '.join(need)} (missing: {missing})")
    if sweep_table.duplicated(["mixture", "seed", "domain"]).any():
        raise ValueError("sweep_table repeats a (mixture, seed, domain) row")
    table = sweep_table.assign(domain=sweep_table["domain"].astype(str))
    domains = list(dict.fromkeys(table["domain"]))
    runs = list(dict.fromkeys(zip(table["mixture"], table["seed"], strict=True)))
    wide = table.set_index(["mixture", "seed", "domain"])["loss"].unstack("domain")
    wide = wide.reindex(index=pd.MultiIndex.from_tuples(runs, names=["mixture", "seed"]), columns=domains)
    if wide.isna().to_numpy().any():
        raise ValueError("every run in sweep_table must have a loss for every domain")
    wide.columns.name = "domain"
    return wide.astype(np.float64)


def objective_table(sweep_table: pd.DataFrame, objectives: Mapping[str, Objective]) -> pd.DataFrame:
    """Every objective's value on every proxy run of a sweep, as a long table ready for :mod:`mixlab.stats`.

    Parameters
    ----------
    sweep_table : pandas.DataFrame
        As :func:`run_losses` reads it.
    objectives : mapping name → Objective

    Returns
    -------
    pandas.DataFrame
        Columns ``mixture``, ``objective``, ``seed``, ``value`` (mixtures in table order, then
        objectives in the given order, then seeds), the shape of
        :func:`mixlab.methods.score_mixtures`; pass ``objective=`` to
        :func:`mixlab.stats.compare_mixtures` to compare mixtures under one of them.

    Raises
    ------
    TypeError, ValueError
        As :func:`run_losses`; no objectives.

    Used in: 2.4 (three mixtures under four objectives, with intervals).
    """
    if not objectives:
        raise ValueError("objectives must name at least one objective")
    wide = run_losses(sweep_table)
    values = {name: obj.values(wide) for name, obj in objectives.items()}
    rows = [{"mixture": m, "objective": name, "seed": s, "value": float(values[name].loc[(m, s)])}
            for m in dict.fromkeys(wide.index.get_level_values("mixture"))
            for name in objectives
            for s in wide.loc[m].index]
    return pd.DataFrame(rows, columns=["mixture", "objective", "seed", "value"])


def seed_optima(sweep_table: pd.DataFrame, objectives: Mapping[str, Objective]) -> pd.DataFrame:
    """The mixture each objective picks from a sweep using one seed's runs alone, seed by seed.

    How far these per-seed choices scatter says how well a search with one seed knows its
    optimum; the choice from the mean over seeds (``objective.values(mean_losses(...)).idxmin()``)
    is steadier but is itself only known to about that scatter. Ties go to the first mixture in
    table order.

    Parameters
    ----------
    sweep_table : pandas.DataFrame
        As :func:`run_losses` reads it (e.g. a grid of mixtures, several seeds).
    objectives : mapping name → Objective

    Returns
    -------
    pandas.DataFrame
        Index ``seed`` (sorted), one column per objective: the name of the mixture with the lowest
        value on that seed's runs (the first in table order on a tie).

    Raises
    ------
    TypeError, ValueError
        As :func:`run_losses`; no objectives; a seed missing some mixture.

    Used in: 2.4 (how well the grid optimum is known).
    """
    if not objectives:
        raise ValueError("objectives must name at least one objective")
    wide = run_losses(sweep_table)
    mixtures = list(dict.fromkeys(wide.index.get_level_values("mixture")))
    out: dict[object, dict[str, object]] = {}
    for seed in sorted(set(wide.index.get_level_values("seed"))):
        losses = pd.DataFrame(wide.xs(seed, level="seed"))
        if len(losses) != len(mixtures):
            raise ValueError(f"seed {seed} lacks runs of some mixtures ({len(losses)} of {len(mixtures)})")
        losses = losses.reindex(mixtures)
        out[seed] = {name: obj.values(losses).idxmin() for name, obj in objectives.items()}
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.index.name = "seed"
    return frame



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
