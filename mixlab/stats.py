"""Comparing mixtures over seeds: paired differences, t intervals, Holm's correction, verdicts.

A comparison between two mixtures is a claim about a distribution over seeds, not about one run.
When every mixture is scored on the *same* seeds (:func:`mixlab.methods.score_mixtures`), a seed
that is hard for one mixture tends to be hard for all, so the evidence is the seed-by-seed
difference ``d_s = value_s(mixture) − value_s(reference)``. With ``n`` seeds:

- ``mean_diff = mean(d)``, ``sd = sd(d)`` (sample sd), ``se = sd / √n``, ``t = mean_diff / se``
  with ``df = n − 1`` degrees of freedom (Student's paired t test, as
  :func:`scipy.stats.ttest_rel`), and the two-sided p-value of ``t``;
- the critical value is :func:`t_critical` for the actual number of seeds (2.78 at ``n = 5``,
  not the normal 1.96 or a rule of thumb of 2);
- several comparisons made together form one *family*, and Holm's step-down correction
  (Holm 1979, "A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6)
  keeps the chance of any false "lower"/"higher" in the family at most ``alpha``;
- each comparison ends in a verdict: ``"lower"``, ``"higher"`` or ``"within noise"``.

Tables come in two shapes, and every function here accepts both: *wide*, indexed by seed with one
column per mixture, or *long*, with one row per (mixture, seed) and a value column (the long
table of :func:`mixlab.methods.score_mixtures`, with an ``objective`` column to select from).
Unpaired or misaligned seeds (a mixture missing a seed, a seed listed twice) are refused, as are
fewer than 2 seeds. What is compared (objective, budget, capacity, ...) travels as ``labels``
into every output row.

:func:`paired_comparison` and :func:`winners` are the earlier fixed-multiplier helpers (a
difference counts when it exceeds ``z`` standard errors, no correction); they compute on the same
paired differences. No lesson calls them any more.

scipy is imported inside the functions that need it, so ``import mixlab`` stays light; they use
``scipy.special`` (Student's t distribution function and its inverse, exactly what
:data:`scipy.stats.t` computes with), not ``scipy.stats``, whose import alone takes most of a second.

Used in: 1.1, 1.2, 1.3, 1.5, 2.4, 3.1, 3.2, 3.3, 3.6 (seed_summary, compare_mixtures, correct_family,
t_critical, compare_groups, interval_text); through :mod:`mixlab.verdicts` also 3.4 and 3.5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "VERDICTS",
    "t_critical",
    "holm",
    "seed_table",
    "seed_summary",
    "compare_mixtures",
    "correct_family",
    "compare_groups",
    "interval_text",
    "paired_comparison",
    "winners",
]

#: The three verdicts of a comparison (``mixture − reference``).
VERDICTS: tuple[str, str, str] = ("lower", "higher", "within noise")

#: Multiple-comparison corrections :func:`compare_mixtures` knows.
CORRECTIONS: tuple[str, ...] = ("holm", "bonferroni", "none")

Label = str | int | float | bool

_COMPARE_COLUMNS: tuple[str, ...] = (
    "reference", "n_seeds", "mean_diff", "sd", "se", "t", "df", "p_value", "p_adjusted",
    "ci_low", "ci_high", "ci_level", "verdict",
)


# ---------------------------------------------------------------------------- checks
def _check_alpha(alpha: float) -> float:
    """``alpha`` as a float in (0, 1), or a ValueError/TypeError naming it."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating):
        raise TypeError(f"alpha must be a number in (0, 1) (got {alpha!r})")
    a = float(alpha)
    if not 0.0 < a < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1 (got {alpha!r})")
    return a


def _check_labels(labels: Mapping[str, Label] | None, reserved: Sequence[str]) -> dict[str, Label]:
    """What is compared (objective, budget, capacity, ...) as a checked dict of scalar columns."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a mapping name -> value, e.g. {{'objective': 'uniform'}} (got {labels!r})")
    out: dict[str, Label] = {}
    for key, val in labels.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"labels keys must be non-empty strings (got {key!r})")
        if key in reserved:
            raise ValueError(f"labels key {key!r} clashes with an output column ({', '.join(reserved)})")
        if not isinstance(val, str | int | float | bool | np.integer | np.floating):
            raise TypeError(f"labels[{key!r}] must be a string or a number (got {type(val).__name__})")
        out[key] = val.item() if isinstance(val, np.generic) else val
    return out


def t_critical(n_seeds: int, alpha: float = 0.05) -> float:
    """Two-sided critical value of Student's t for a paired comparison over ``n_seeds`` seeds.

    Parameters
    ----------
    n_seeds : int
        Number of seeds (paired differences), at least 2; the degrees of freedom are ``n − 1``.
    alpha : float
        Two-sided level in (0, 1): ``P(|T| > t_critical) = alpha``.

    Returns
    -------
    float
        ``t_{1 − α/2, n − 1}`` (2.776 for 5 seeds at α = 0.05; 1.96 only as ``n → ∞``).

    Raises
    ------
    TypeError
        If ``n_seeds`` is not an integer.
    ValueError
        If ``n_seeds < 2`` or ``alpha`` is outside (0, 1).

    Examples
    --------
    >>> round(t_critical(5), 3)
    2.776

    Used in: 1.1, 1.5, 3.6 (how many standard errors a difference over a few paired seeds must exceed).
    """
    from scipy.special import stdtrit  # Student's t quantile (what scipy.stats.t.ppf calls), a lighter import

    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int | np.integer):
        raise TypeError(f"n_seeds must be an integer (got {n_seeds!r})")
    if n_seeds < 2:
        raise ValueError(f"n_seeds must be >= 2: one seed has no spread to compare with (got {n_seeds})")
    return float(stdtrit(int(n_seeds) - 1, 1.0 - _check_alpha(alpha) / 2.0))


def holm(p_values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray | pd.Series:
    """Holm's step-down adjusted p-values for a family of comparisons.

    Sort the ``m`` p-values, ``p_(1) ≤ … ≤ p_(m)``; the adjusted value of the r-th is
    ``max_{l ≤ r} min(1, (m − l + 1) p_(l))``. Rejecting every comparison whose adjusted value is
    at most α keeps the family-wise error rate at most α (Holm 1979, Scand. J. Statist. 6:65–70),
    and rejects at least as much as Bonferroni (``m p``).

    Parameters
    ----------
    p_values : sequence, array or Series of float
        One p-value per comparison, each in [0, 1].

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values in the input order (a Series keeps its index), each ≥ its raw value.

    Raises
    ------
    ValueError
        If the input is empty, not 1-d, or holds a value outside [0, 1] (NaN included).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]

    Used in: no lesson yet directly (:func:`compare_mixtures`).
    """
    arr = np.asarray(p_values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"p_values must be a non-empty 1-d sequence (got shape {arr.shape})")
    bad = ~((arr >= 0.0) & (arr <= 1.0))
    if bad.any():
        raise ValueError(f"p_values must lie in [0, 1] (got {arr[bad][:5].tolist()})")
    m = arr.size
    order = np.argsort(arr, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * arr[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    if isinstance(p_values, pd.Series):
        return pd.Series(adjusted, index=p_values.index, name=p_values.name)
    return adjusted


# ---------------------------------------------------------------------------- tables
def _long_to_wide(table: pd.DataFrame, value: str, objective: str | None) -> pd.DataFrame:
    """Pivot a long (mixture, seed, value) table to seed × mixture, refusing unpaired seeds."""
    need = ["mixture", "seed", value]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(
            f"a long table needs the columns mixture, seed and {value!r} (missing: {', '.join(missing)}; "
            f"has: {', '.join(map(str, table.columns))})"
        )
    if "objective" in table.columns:
        names = list(dict.fromkeys(table["objective"].astype(str)))
        if objective is None and len(names) > 1:
            raise ValueError(f"the table holds several objectives ({', '.join(names)}): pass objective=")
        if objective is not None:
            if objective not in names:
                raise ValueError(f"objective {objective!r} is not in the table (has: {', '.join(names)})")
            table = table[table["objective"].astype(str) == objective]
    elif objective is not None:
        raise ValueError(f"objective={objective!r} given, but the table has no 'objective' column")
    dup = table.duplicated(["mixture", "seed"])
    if dup.any():
        rows = table.loc[dup, ["mixture", "seed"]].head(5).to_records(index=False).tolist()
        raise ValueError(f"each (mixture, seed) must appear once; repeated: {rows}")
    mixtures = list(dict.fromkeys(table["mixture"].astype(str)))
    wide = table.assign(mixture=table["mixture"].astype(str)).pivot(index="seed", columns="mixture", values=value)
    return wide.reindex(columns=mixtures)


def seed_table(
    values: pd.DataFrame,
    *,
    value: str = "value",
    objective: str | None = None,
) -> pd.DataFrame:
    """A checked seed × mixture table: every mixture measured on the same seeds, at least two.

    Parameters
    ----------
    values : pandas.DataFrame
        Wide (index = seeds, one column per mixture) or long (columns ``mixture``, ``seed`` and
        ``value``, e.g. :func:`mixlab.methods.score_mixtures` with several objectives, or
        :func:`mixlab.verdicts.worst_excess_runs`).
    value : str
        Value column of a long table.
    objective : str, optional
        Which objective to take from a long table with an ``objective`` column (required when it
        holds several).

    Returns
    -------
    pandas.DataFrame
        Index ``seed`` (sorted), columns the mixtures (first-appearance order), float values.

    Raises
    ------
    TypeError
        If ``values`` is not a DataFrame.
    ValueError
        Fewer than 2 seeds or 1 mixture, a repeated seed or column, a mixture without a value on
        some seed (unpaired seeds, named), non-finite values, or a long table without its columns.

    Used in: no lesson yet directly (:func:`compare_mixtures`).
    """
    if not isinstance(values, pd.DataFrame):
        raise TypeError(
            f"values must be a DataFrame (seed x mixture, or long with mixture/seed/{value}) "
            f"(got {type(values).__name__})"
        )
    is_long = "mixture" in values.columns and "seed" in values.columns
    wide = _long_to_wide(values, value, objective) if is_long else values
    if not is_long and objective is not None:
        raise ValueError("objective= selects from a long table; values is wide (seed x mixture)")
    cols = [str(c) for c in wide.columns]
    if len(set(cols)) != len(cols) or not cols:
        raise ValueError(f"values must have one column per mixture, at least one (got {cols})")
    if wide.index.has_duplicates:
        raise ValueError(f"each seed must appear once (repeated: {sorted(set(wide.index[wide.index.duplicated()]))})")
    if len(wide) < 2:
        raise ValueError(f"a comparison over seeds needs at least 2 seeds (got {len(wide)})")
    try:
        arr = wide.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("values must hold numbers") from exc
    gaps = np.isnan(arr)
    if gaps.any():
        where = {cols[j]: wide.index[gaps[:, j]].tolist() for j in np.flatnonzero(gaps.any(axis=0))}
        raise ValueError(f"values must be finite and paired: every mixture needs every seed (missing: {where})")
    if not np.all(np.isfinite(arr)):
        bad = [cols[j] for j in np.flatnonzero(~np.all(np.isfinite(arr), axis=0))]
        raise ValueError(f"values must be finite (inf in columns: {', '.join(bad)})")
    out = pd.DataFrame(arr, index=wide.index, columns=pd.Index(cols, name="mixture")).sort_index()
    out.index.name = "seed"
    return out


def seed_summary(
    values: pd.DataFrame,
    alpha: float = 0.05,
    *,
    value: str = "value",
    objective: str | None = None,
    labels: Mapping[str, Label] | None = None,
) -> pd.DataFrame:
    """Each mixture's mean over seeds with a t interval (for reporting one mixture, not comparing two).

    The interval ``mean ± t_critical(n, alpha) · sd / √n`` describes one mixture's value. Two
    mixtures' intervals may overlap while their paired difference is clear: compare mixtures with
    :func:`compare_mixtures`, never by overlapping intervals.

    Parameters
    ----------
    values : pandas.DataFrame
        Wide or long, as :func:`seed_table` reads it.
    alpha : float
        The interval has confidence ``1 − alpha``.
    value, objective : str
        As in :func:`seed_table`.
    labels : mapping, optional
        What was measured (objective, budget, capacity, ...): one constant column each.

    Returns
    -------
    pandas.DataFrame
        Index ``mixture``; the label columns, then ``n_seeds``, ``mean``, ``sd``, ``se``,
        ``ci_low``, ``ci_high``.

    Raises
    ------
    TypeError, ValueError
        As :func:`seed_table`, and on a bad ``alpha`` or ``labels``.

    Used in: 1.1, 1.2, 1.3, 1.5, 3.1, 3.2, 3.3 (mean ± interval per mixture over seeds).
    """
    tab = seed_table(values, value=value, objective=objective)
    cols = ["n_seeds", "mean", "sd", "se", "ci_low", "ci_high"]
    extra = _check_labels(labels, cols)
    n = len(tab)
    mean = tab.mean(axis=0)
    sd = tab.std(axis=0, ddof=1)
    se = sd / math.sqrt(n)
    half = t_critical(n, alpha) * se
    out = pd.DataFrame({"n_seeds": n, "mean": mean, "sd": sd, "se": se, "ci_low": mean - half, "ci_high": mean + half})
    for j, (key, val) in enumerate(extra.items()):
        out.insert(j, key, val)
    out.attrs.update(alpha=_check_alpha(alpha), labels=extra)
    return out


# ---------------------------------------------------------------------------- paired tests
def _paired_arrays(diff: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, sd, se and t of paired differences (rows = seeds, one column per comparison).

    ``t`` is NaN where every difference is 0 (no evidence either way) and ±inf where the
    differences are all equal and non-zero (a perfectly consistent difference).
    """
    n = diff.shape[0]
    mean = diff.mean(axis=0)
    sd = diff.std(axis=0, ddof=1)
    se = sd / math.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, mean / np.where(se > 0, se, 1.0), np.where(mean == 0, np.nan, np.sign(mean) * np.inf))
    return {"mean_diff": mean, "sd": sd, "se": se, "t": t}


def _ci_alphas(p: np.ndarray, alpha: float, correction: str) -> np.ndarray:
    """Per-comparison level of the interval, chosen so it excludes 0 exactly when the test rejects.

    Holm tests the r-th smallest p-value at ``alpha / (m − r + 1)`` until the first comparison it
    keeps; from there on every comparison is kept, and its interval uses that first kept level.
    """
    m = p.size
    if correction == "none":
        return np.full(m, alpha)
    if correction == "bonferroni":
        return np.full(m, alpha / m)
    order = np.argsort(p, kind="stable")
    levels = alpha / (m - np.arange(m))
    kept = np.flatnonzero(p[order] > levels)
    if kept.size:
        levels[kept[0]:] = levels[kept[0]]
    out = np.empty(m)
    out[order] = levels
    return out


def _pairs(cols: list[str], reference: str | None, all_pairs: bool) -> list[tuple[str, str]]:
    """(mixture, reference) pairs: every mixture against one reference, or every unordered pair once."""
    if all_pairs:
        if reference is not None:
            raise ValueError("pass either reference= (every mixture against it) or all_pairs=True, not both")
        if len(cols) < 2:
            raise ValueError(f"all_pairs needs at least 2 mixtures (got {cols})")
        return [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]
    if reference is None:
        raise ValueError("pass reference= (the mixture every other one is compared with) or all_pairs=True")
    if reference not in cols:
        raise ValueError(f"reference {reference!r} is not a mixture of values (mixtures: {', '.join(cols)})")
    if len(cols) < 2:
        raise ValueError(f"comparing against {reference!r} needs at least one other mixture")
    return [(c, reference) for c in cols if c != reference]


def correct_family(comparisons: pd.DataFrame, alpha: float = 0.05, correction: str = "holm") -> pd.DataFrame:
    """Correct comparisons made in several calls as one family: adjusted p, intervals, verdicts.

    Parameters
    ----------
    comparisons : pandas.DataFrame
        Rows from :func:`compare_mixtures` (any correction), e.g. several objectives concatenated;
        needs the columns ``mean_diff``, ``se``, ``df`` and ``p_value``.
    alpha : float
        Family-wise error rate over all rows (per row with ``correction="none"``).
    correction : {"holm", "bonferroni", "none"}

    Returns
    -------
    pandas.DataFrame
        A copy with ``p_adjusted``, ``ci_low``, ``ci_high``, ``ci_level`` and ``verdict``
        recomputed over the whole table; ``attrs`` gain ``alpha``, ``correction``, ``comparisons``.

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame, an empty one, missing columns, a bad ``alpha`` or ``correction``.

    Used in: 2.4 (mixtures compared per domain and per objective); 3.1 (the baselines' pairs, one
    family); 3.6 (one Holm family for the robustness table; also
    :func:`mixlab.verdicts.contest_verdicts`).
    """
    from scipy.special import stdtrit

    a = _check_alpha(alpha)
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)} (got {correction!r})")
    if not isinstance(comparisons, pd.DataFrame):
        raise TypeError(f"comparisons must be a DataFrame from compare_mixtures (got {type(comparisons).__name__})")
    missing = [c for c in ("mean_diff", "se", "df", "p_value") if c not in comparisons.columns]
    if missing or comparisons.empty:
        raise ValueError(f"comparisons needs rows and the columns mean_diff, se, df, p_value (missing: {missing})")
    out = comparisons.copy()
    p = out["p_value"].to_numpy(dtype=np.float64)
    m = p.size
    p_adj = {"none": p, "bonferroni": np.minimum(1.0, p * m), "holm": holm(p) if m else p}[correction]
    level = _ci_alphas(p, a, correction)
    mean = out["mean_diff"].to_numpy(dtype=np.float64)
    half = stdtrit(out["df"].to_numpy(dtype=np.float64), 1.0 - level / 2.0) * out["se"].to_numpy(dtype=np.float64)
    reject = np.asarray(p_adj) <= a
    out["p_adjusted"] = p_adj
    out["ci_low"], out["ci_high"], out["ci_level"] = mean - half, mean + half, 1.0 - level
    out["verdict"] = np.select([reject & (mean < 0), reject], VERDICTS[:2], VERDICTS[2])
    out.attrs.update(alpha=a, correction=correction, comparisons=m)
    return out


def compare_mixtures(
    values: pd.DataFrame,
    reference: str | None = None,
    *,
    all_pairs: bool = False,
    alpha: float = 0.05,
    correction: str = "holm",
    labels: Mapping[str, Label] | None = None,
    value: str = "value",
    objective: str | None = None,
) -> pd.DataFrame:
    """Paired t tests over seeds, corrected as one family: mean difference, interval, p, verdict.

    For each comparison, ``d_s = value_s(mixture) − value_s(reference)`` on every shared seed;
    ``t = mean(d) / (sd(d)/√n)`` with ``n − 1`` degrees of freedom (as :func:`scipy.stats.ttest_rel`),
    p-values adjusted by ``correction`` over all the comparisons of the call, and the verdict
    ``"lower"`` / ``"higher"`` when the adjusted p is at most ``alpha``, else ``"within noise"``.
    The interval has level ``ci_level``, the level at which the comparison was tested (Holm: see
    :func:`holm`), so it excludes 0 exactly when the verdict is not "within noise".

    Parameters
    ----------
    values : pandas.DataFrame
        Wide or long, as :func:`seed_table` reads it (with ``value`` and ``objective``).
    reference : str, optional
        Compare every other mixture with this one (e.g. ``"uniform by token"``).
    all_pairs : bool
        Instead, compare every pair of mixtures once (``mixture`` is the earlier column).
    alpha : float
        Family-wise error rate of the verdicts (per comparison with ``correction="none"``).
    correction : {"holm", "bonferroni", "none"}
    labels : mapping, optional
        What is compared: objective, budget, capacity, ... (a constant column each).
    value, objective : str, optional
        As in :func:`seed_table`; a selected ``objective`` joins the labels.

    Returns
    -------
    pandas.DataFrame
        Index ``mixture`` (or ``(mixture, reference)`` with ``all_pairs``); columns ``reference``
        (not with ``all_pairs``), the labels, ``n_seeds``, ``mean_diff``, ``sd``, ``se``, ``t``,
        ``df``, ``p_value``, ``p_adjusted``, ``ci_low``, ``ci_high``, ``ci_level``, ``verdict``.
        ``attrs``: ``alpha``, ``correction``, ``comparisons`` (family size), ``n_seeds``, ``labels``.

    Raises
    ------
    TypeError, ValueError
        As :func:`seed_table`; an unknown reference or correction, neither or both of
        ``reference`` / ``all_pairs``, bad ``alpha`` or ``labels``.

    Used in: 1.1, 1.2, 1.3, 1.5 (paired seeds against a reference), 2.4 (mixtures compared per domain
    and per objective), 3.1, 3.2, 3.6 (the robustness table; also
    :func:`mixlab.verdicts.contest_verdicts`).
    """
    from scipy.special import stdtr  # Student's t CDF (what scipy.stats.t.sf calls at -|t|), a lighter import

    a = _check_alpha(alpha)  # checked first: a bad alpha is named before any table error
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)} (got {correction!r})")
    tab = seed_table(values, value=value, objective=objective)
    pairs = _pairs(list(tab.columns), reference, bool(all_pairs))
    extra = _check_labels({**({"objective": objective} if objective else {}), **dict(labels or {})}, _COMPARE_COLUMNS)
    st = _paired_arrays(np.column_stack([(tab[m] - tab[r]).to_numpy() for m, r in pairs]))
    n = len(tab)
    p = np.where(np.isnan(st["t"]), 1.0, 2.0 * stdtr(n - 1, -np.abs(st["t"])))
    out = pd.DataFrame({"reference": [r for _, r in pairs], **extra, "n_seeds": n, **st, "df": n - 1, "p_value": p})
    if all_pairs:
        out.index = pd.MultiIndex.from_tuples(pairs, names=["mixture", "reference"])
        out = out.drop(columns="reference")
    else:
        out.index = pd.Index([m for m, _ in pairs], name="mixture")
    out = correct_family(out, a, correction)
    out.attrs.update(n_seeds=n, labels=extra)
    return out


def compare_groups(
    values: pd.DataFrame,
    by: str,
    reference: str | None = None,
    *,
    all_pairs: bool = False,
    alpha: float = 0.05,
    correction: str = "holm",
    value: str = "value",
) -> pd.DataFrame:
    """:func:`compare_mixtures` within each group of a long table (e.g. each domain), corrected as one family.

    Parameters
    ----------
    values : pandas.DataFrame
        Long table with the columns ``mixture``, ``seed``, ``value`` and ``by`` (e.g. the table of
        :func:`mixlab.proxy.sweep`, ``by="domain"``, ``value="loss"``).
    by : str
        The column whose groups are compared separately (one label column in the output).
    reference, all_pairs : optional
        As in :func:`compare_mixtures`, within every group.
    alpha : float
        Family-wise error rate over all the comparisons of all groups.
    correction : {"holm", "bonferroni", "none"}
    value : str
        The value column.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`compare_mixtures` for every group, in group order (first appearance),
        with the column ``by``; p-values, intervals and verdicts corrected over the whole table.

    Raises
    ------
    TypeError, ValueError
        Not a DataFrame, no column ``by``, and as :func:`compare_mixtures` within a group.

    Used in: 1.1 (each domain's loss, each budget's excess), 1.2 (marginal value and repetition per domain).
    """
    if not isinstance(values, pd.DataFrame):
        raise TypeError(f"values must be a long DataFrame (got {type(values).__name__})")
    if by not in values.columns:
        raise ValueError(f"by={by!r} is not a column of values (has: {', '.join(map(str, values.columns))})")
    keys = values[by].astype(str)
    parts = [compare_mixtures(values[keys == g], reference, all_pairs=all_pairs, alpha=alpha, correction="none",
                              value=value, labels={by: g}) for g in dict.fromkeys(keys)]
    return correct_family(pd.concat(parts), alpha, correction)


def interval_text(comparisons: pd.DataFrame, decimals: int = 3, *, verdict: bool = True) -> pd.Series:
    """Each comparison as one short string: the mean difference, its interval and the verdict.

    Parameters
    ----------
    comparisons : pandas.DataFrame
        Rows of :func:`compare_mixtures`, :func:`compare_groups` or :func:`correct_family`
        (columns ``mean_diff``, ``ci_low``, ``ci_high`` and ``verdict``).
    decimals : int
        Decimals of the numbers.
    verdict : bool
        Append the verdict ("lower", "higher", "within noise").

    Returns
    -------
    pandas.Series
        Same index, e.g. ``"-0.051 [-0.090, -0.012] lower"``.

    Raises
    ------
    ValueError
        On a missing column or a negative ``decimals``.

    Examples
    --------
    >>> row = pd.DataFrame({"mean_diff": [-0.05], "ci_low": [-0.09], "ci_high": [-0.012], "verdict": ["lower"]})
    >>> interval_text(row).tolist()
    ['-0.050 [-0.090, -0.012] lower']

    Used in: 1.1, 1.2 (compact tables of paired comparisons).
    """
    need = ["mean_diff", "ci_low", "ci_high"] + (["verdict"] if verdict else [])
    if not isinstance(comparisons, pd.DataFrame) or any(c not in comparisons.columns for c in need):
        raise ValueError(f"comparisons must be a DataFrame with the columns {', '.join(need)}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative integer (got {decimals!r})")
    f = f"{{:+.{decimals}f}}"
    text = [f"{f.format(m)} [{f.format(lo)}, {f.format(hi)}]" for m, lo, hi in
            comparisons[["mean_diff", "ci_low", "ci_high"]].to_numpy(dtype=np.float64)]
    if verdict:
        text = [f"{t} {v}" for t, v in zip(text, comparisons["verdict"].astype(str), strict=True)]
    return pd.Series(text, index=comparisons.index, name="difference [interval]")


# ---------------------------------------------------------------------------- fixed-multiplier helpers
def paired_comparison(values: pd.DataFrame, reference: str, z: float = 2.0) -> pd.DataFrame:
    """Every mixture against a reference with a fixed rule: within noise when ``|mean_diff| <= z · se``.

    The same paired differences as :func:`compare_mixtures` (``mean_diff``, ``sd``, ``se``,
    ``z_score`` = its ``t``), judged by a fixed multiplier and no correction for multiple
    comparisons. With 5 seeds the right multiplier is :func:`t_critical` (2.78), not 2; prefer
    :func:`compare_mixtures`, which also corrects for the number of comparisons.

    Parameters
    ----------
    values : pandas.DataFrame
        Index = seeds, one column per mixture (values of one objective).
    reference : str
        The column every mixture is compared with.
    z : float
        Standard errors a difference must exceed to count (default 2).

    Returns
    -------
    pandas.DataFrame
        Index = mixtures (the columns, in order, the reference included with difference 0,
        ``z_score`` NaN and ``within_noise`` True); columns ``mean_diff``, ``sd``, ``se``,
        ``z_score`` (NaN when ``se`` is 0) and ``within_noise``. ``attrs``: ``reference``, ``z``,
        ``n_seeds``.

    Raises
    ------
    TypeError
        If ``values`` is not a DataFrame.
    ValueError
        Unknown reference, fewer than 2 seeds, repeated columns or seeds, non-finite values, or
        ``z <= 0``.

    Examples
    --------
    >>> values = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.1, 2.1, 3.2]}, index=pd.Index([1, 2, 3], name="seed"))
    >>> cmp = paired_comparison(values, "a")
    >>> cmp.loc["b", ["mean_diff", "se"]].astype(float).round(4).tolist(), bool(cmp.loc["b", "within_noise"])
    ([0.1333, 0.0333], False)

    Used in: no lesson now (the lessons compare with :func:`compare_mixtures`); :func:`winners` calls it.
    """
    from mixlab.validation import check_positive

    if not isinstance(values, pd.DataFrame):
        raise TypeError(
            f"values must be a DataFrame indexed by seed with one column per mixture (got {type(values).__name__})"
        )
    zz = check_positive(z, "z")
    if reference not in values.columns:
        cols = ", ".join(map(str, values.columns))
        raise ValueError(f"reference {reference!r} is not a column of values (columns: {cols})")
    arr = seed_table(values).to_numpy()
    st = _paired_arrays(arr - arr[:, [list(values.columns).index(reference)]])
    zscore = np.where(st["se"] > 0, st["t"], np.nan)
    out = pd.DataFrame(
        {"mean_diff": st["mean_diff"], "sd": st["sd"], "se": st["se"], "z_score": zscore,
         "within_noise": np.abs(st["mean_diff"]) <= zz * st["se"]},
        index=pd.Index(list(values.columns), name="mixture"),
    )
    out.attrs.update(reference=reference, z=zz, n_seeds=len(arr))
    return out


def _values_by_objective(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split a long (mixture, objective, seed, value) table into checked seed × mixture tables."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be the long DataFrame of score_mixtures (got {type(table).__name__})")
    missing = [c for c in ("mixture", "objective", "seed", "value") if c not in table.columns]
    if missing:
        raise ValueError(
            f"table is missing columns: {', '.join(missing)} (need the long table of score_mixtures with several "
            f"objectives; has: {', '.join(map(str, table.columns))})"
        )
    if table.duplicated(["mixture", "objective", "seed"]).any():
        raise ValueError("table has repeated (mixture, objective, seed) rows")
    names = list(dict.fromkeys(table["objective"].astype(str)))
    return {name: seed_table(table, objective=name) for name in names}


def _eligible(eligible: pd.Series | Mapping[str, bool] | None, mixtures: Sequence[str]) -> pd.Series | None:
    """Which mixtures may win, checked to cover every mixture and allow at least one."""
    if eligible is None:
        return None
    allowed = pd.Series(eligible, dtype=bool) if isinstance(eligible, Mapping) else eligible.astype(bool)
    missing = [m for m in mixtures if m not in allowed.index]
    if missing:
        raise ValueError(f"eligible has no entry for mixtures: {', '.join(map(str, missing))}")
    if not allowed.loc[list(mixtures)].any():
        raise ValueError("eligible allows no mixture (all False)")
    return allowed


def winners(
    table: pd.DataFrame,
    z: float = 2.0,
    *,
    lower_is_better: bool = True,
    eligible: pd.Series | Mapping[str, bool] | None = None,
) -> pd.DataFrame:
    """Per objective: the winner, the runner-up, the margin between them, judged by a fixed ``z``.

    The winner has the best mean over the seeds; the margin is the mean paired difference
    runner-up − winner (positive), judged with :func:`paired_comparison` (no correction for
    multiple comparisons; :func:`mixlab.verdicts.contest_verdicts` does correct).

    Parameters
    ----------
    table : pandas.DataFrame
        Long table of :func:`mixlab.methods.score_mixtures` (``mixture``, ``objective``,
        ``seed``, ``value``).
    z : float
        Standard errors a margin must exceed to count (default 2).
    lower_is_better : bool
    eligible : Series or mapping mixture → bool, optional
        Which mixtures may win (e.g. those within the cap); adds ``best_eligible``.

    Returns
    -------
    pandas.DataFrame
        Index ``objective``; columns ``winner``, ``winner_mean``, ``runner_up``, ``margin``,
        ``margin_sd``, ``margin_se``, ``z_score``, ``within_noise`` (and ``best_eligible``).
        Ties on the mean keep the table's mixture order.

    Raises
    ------
    TypeError, ValueError
        Not the long table, fewer than 2 mixtures or seeds, unpaired seeds, an ``eligible`` that
        misses a mixture or allows none.

    Used in: no lesson now (the capstone uses :func:`mixlab.verdicts.contest_verdicts`, which corrects
    for the number of comparisons).
    """
    per_objective = _values_by_objective(table)
    if not isinstance(lower_is_better, bool):
        raise TypeError(f"lower_is_better must be a bool (got {lower_is_better!r})")
    rows: dict[str, dict[str, Any]] = {}
    for name, wide in per_objective.items():
        if wide.shape[1] < 2:
            raise ValueError(f"objective {name!r}: a winner needs at least 2 mixtures (got {wide.shape[1]})")
        mean = wide.mean(axis=0)
        order = (mean if lower_is_better else -mean).sort_values(kind="stable").index
        best, second = str(order[0]), str(order[1])
        cmp = paired_comparison(wide, best, z)
        md, msd, mse, mz = cmp.loc[second, ["mean_diff", "sd", "se", "z_score"]].to_numpy(dtype=np.float64)
        sign = 1.0 if lower_is_better else -1.0
        rows[name] = {"winner": best, "winner_mean": float(mean[best]), "runner_up": second,
                      "margin": sign * float(md), "margin_sd": float(msd), "margin_se": float(mse),
                      "z_score": sign * float(mz), "within_noise": bool(cmp["within_noise"][second])}
        allowed = _eligible(eligible, list(order))
        if allowed is not None:
            rows[name]["best_eligible"] = str(next(m for m in order if bool(allowed[m])))
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "objective"
    return out
