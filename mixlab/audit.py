"""Record-level audit of a data build: lineage, drift, audit samples and ground-truth rates.

The :mod:`mixlab.ledger` counts what each stage took in, kept and dropped. This module looks at
the per-document *decisions* behind those counts (the table every filter returns, columns
``stage``, ``doc_id``, ``domain``, ``n_tokens``, ``score``, ``kept``, ``reason``):

* :func:`lineage` / :func:`lineage_table` — which stage dropped a document and why;
* :func:`drift_check` — did an acceptance rate move significantly against a reference run;
* :func:`audit_sample` — a seeded sample of kept and dropped records near a threshold;
* :func:`truth_rates` — how well a stage's drops match a ground-truth flag, by documents and tokens.

Data flows one way: decisions (from :mod:`mixlab.filters`) → ledger checks → audit. The names are
also importable from :mod:`mixlab.ledger`, where they lived before.

Used in: 1.2 (audit sample, lineage, truth rates), A.1 (lineage, audit samples in the manifest), through
the names re-exported by :mod:`mixlab.ledger`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.ledger import StageRow, check_decisions, object_column
from mixlab.validation import InvariantError, check_int, check_probability, check_seed

if TYPE_CHECKING:
    from mixlab.corpus import Corpus

__all__ = [
    "LineageRecord",
    "lineage",
    "lineage_table",
    "DriftResult",
    "drift_check",
    "audit_sample",
    "truth_rates",
]

#: Decisions by stage: a mapping stage -> decisions, a list of decisions, or one stacked table.
DecisionsByStage = Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame] | pd.DataFrame


# --------------------------------------------------------------------------- lineage
def _stack_decisions(
    decisions_by_stage: DecisionsByStage,
) -> tuple[pd.DataFrame, list[str]]:
    """Concatenate per-stage decisions in stage order; return the table and the stage order."""
    if isinstance(decisions_by_stage, pd.DataFrame):
        frames = (
            [g for _, g in decisions_by_stage.groupby("stage", sort=False, observed=True)]
            if len(decisions_by_stage)
            else []
        )
        if not frames:
            check_decisions(decisions_by_stage)
            raise ValueError("decisions_by_stage is empty")
    elif isinstance(decisions_by_stage, Mapping):
        frames = []
        for stage, df in decisions_by_stage.items():
            check_decisions(df, name=f"decisions[{stage!r}]")
            if len(df) and set(pd.unique(df["stage"])) != {stage}:
                raise ValueError(f"decisions[{stage!r}] has stage column values {list(pd.unique(df['stage']))[:5]}")
            frames.append(df.assign(stage=stage))
    else:
        frames = list(decisions_by_stage)
    if not frames:
        raise ValueError("decisions_by_stage is empty")
    for df in frames:
        check_decisions(df, single_stage=True)
    order = [str(df["stage"].iloc[0]) if len(df) else f"<empty {i}>" for i, df in enumerate(frames)]
    if len(set(order)) != len(order):
        raise ValueError(f"stage names must be unique (got {order})")
    stacked = pd.concat([df.assign(_pos=i) for i, df in enumerate(frames)], ignore_index=True)
    return stacked, order


def _check_chain(stacked: pd.DataFrame, order: list[str]) -> None:
    """Raise InvariantError unless stage k's documents are exactly those stage k−1 kept.

    Vectorized: doc ids become object arrays and membership is a hash lookup
    (``pandas.Index.get_indexer``), not ``Series.isin`` on arrow strings, which iterates in Python.
    Doc ids are unique within a stage (checked by :func:`check_decisions`), so each index is unique.
    """
    pos = stacked["_pos"].to_numpy()
    ids = stacked["doc_id"].to_numpy(dtype=object)
    kept = stacked["kept"].to_numpy(dtype=bool)
    for k in range(1, len(order)):
        cur_ids = ids[pos == k]
        prev_kept = ids[(pos == k - 1) & kept]
        extra = pd.Index(prev_kept).get_indexer(cur_ids) < 0
        lost = pd.Index(cur_ids).get_indexer(prev_kept) < 0
        if extra.any() or lost.any():
            raise InvariantError(
                f"stages do not chain: stage {order[k]!r} has {int(extra.sum())} documents not kept by "
                f"{order[k - 1]!r} (e.g. {cur_ids[extra][:3].tolist()}) and misses {int(lost.sum())} it kept "
                f"(e.g. {prev_kept[lost][:3].tolist()})"
            )


def lineage_table(
    decisions_by_stage: DecisionsByStage,
) -> pd.DataFrame:
    """For every input document: kept through all stages, or the stage that dropped it and why.

    Parameters
    ----------
    decisions_by_stage : mapping stage -> decisions, list of decisions, or one stacked table
        Per-stage decision tables in pipeline order (a stacked table is split by its ``stage``
        column in order of appearance). Stage k must have one row per document kept by k−1.

    Returns
    -------
    pandas.DataFrame
        One row per document of the first stage's input, in that order: ``doc_id``, ``domain``,
        ``n_tokens``, ``status`` (``"kept"`` or ``"dropped"``), ``stage`` and ``reason``
        (None when kept), ``score`` (the dropping stage's score; NaN when kept).

    Raises
    ------
    InvariantError
        If the stages do not chain (a document appears in stage k without having been kept
        by stage k−1, or a kept document is missing from the next stage).

    Used in: A.1.
    """
    stacked, order = _stack_decisions(decisions_by_stage)
    return _lineage_frame(stacked, order)


def _lineage_frame(stacked: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The body of :func:`lineage_table`, from already stacked and checked decisions."""
    first = stacked[stacked["_pos"] == 0]
    _check_chain(stacked, order)
    dropped = stacked.loc[~stacked["kept"], ["doc_id", "stage", "reason", "score"]]
    out = first[["doc_id", "domain", "n_tokens"]].reset_index(drop=True)
    out = out.merge(dropped, on="doc_id", how="left", validate="one_to_one")
    is_dropped = out["stage"].notna().to_numpy()
    out.insert(3, "status", np.where(is_dropped, "dropped", "kept"))
    for col in ("stage", "reason"):
        vals = out[col].to_numpy(dtype=object).copy()
        vals[~is_dropped] = None
        out[col] = object_column(vals)
    out["score"] = out["score"].astype(float)
    return out


@dataclass(frozen=True)
class LineageRecord:
    """The fate of one document through a pipeline (see :func:`lineage`).

    ``status`` is ``"kept"`` or ``"dropped"``; ``stage``, ``reason`` and ``score`` describe the
    dropping stage (None/NaN when kept); ``stages_passed`` lists the stages it went through.

    Used in: internal (what :func:`lineage` returns).
    """

    doc_id: str
    status: str
    stage: str | None
    reason: str | None
    score: float
    stages_passed: tuple[str, ...]

    def __str__(self) -> str:
        if self.status == "kept":
            return f"{self.doc_id}: kept through all stages ({', '.join(self.stages_passed)})"
        passed = f" after passing {', '.join(self.stages_passed)}" if self.stages_passed else ""
        return (
            f"{self.doc_id}: dropped at stage {self.stage!r} (reason {self.reason!r}, score {self.score:.4g}){passed}"
        )


def _stage_order(
    decisions_by_stage: DecisionsByStage,
) -> tuple[list[str], int]:
    """Stage names in pipeline order and the number of documents entering the first stage.

    The cheap part of :func:`_stack_decisions` (no concatenation, no checks), named the same way.
    """
    if isinstance(decisions_by_stage, pd.DataFrame):
        if "stage" not in decisions_by_stage.columns:
            raise ValueError("decisions_by_stage has no 'stage' column")
        stages = decisions_by_stage["stage"].to_numpy(dtype=object)
        order = [str(x) for x in pd.unique(stages)]
        return order, int((stages == stages[0]).sum()) if len(stages) else 0
    if isinstance(decisions_by_stage, Mapping):
        named: list[tuple[str, pd.DataFrame]] = list(decisions_by_stage.items())
        order = [str(name) if len(df) else f"<empty {i}>" for i, (name, df) in enumerate(named)]
        return order, len(named[0][1]) if named else 0
    dfs: list[pd.DataFrame] = list(decisions_by_stage)
    order = [str(df["stage"].iloc[0]) if len(df) else f"<empty {i}>" for i, df in enumerate(dfs)]
    return order, len(dfs[0]) if dfs else 0


def lineage(
    decisions_by_stage: DecisionsByStage,
    doc_id: str,
    *,
    lineage_table: pd.DataFrame | None = None,
) -> LineageRecord:
    """Which stage dropped ``doc_id`` and why, or that it was kept through all stages.

    Each call builds the whole :func:`lineage_table` (and checks that the stages chain). To
    trace many documents of one pipeline, build the table once and pass it as
    ``lineage_table``: the call then only looks the document up.

    Parameters
    ----------
    decisions_by_stage : mapping stage -> decisions, list of decisions, or one stacked table
        As for :func:`lineage_table`.
    doc_id : str
        The document to trace.
    lineage_table : pandas.DataFrame, optional
        ``lineage_table(decisions_by_stage)``, computed beforehand. It is trusted (the stages'
        chaining was checked when it was built); only its shape is compared with
        ``decisions_by_stage`` (one row per first-stage document, dropping stages among its stages).

    Returns
    -------
    LineageRecord
        ``status`` (``"kept"``/``"dropped"``), dropping ``stage``, ``reason``, ``score`` and the
        stages it passed; ``str(record)`` is a readable sentence. The same with or without
        ``lineage_table``.

    Raises
    ------
    KeyError
        If ``doc_id`` was not an input of the first stage.
    InvariantError
        If the stages do not chain (when the table is built here).
    TypeError, ValueError
        If ``lineage_table`` is not a lineage table of ``decisions_by_stage``.

    Examples
    --------
    >>> by_stage = pipeline.decisions_by_stage()  # doctest: +SKIP
    >>> fates = lineage_table(by_stage)  # doctest: +SKIP
    >>> [lineage(by_stage, d, lineage_table=fates) for d in doc_ids]  # doctest: +SKIP

    Used in: A.1, 1.2.
    """
    if lineage_table is None:
        stacked, order = _stack_decisions(decisions_by_stage)
        table = _lineage_frame(stacked, order)
    else:
        table = lineage_table
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"lineage_table must be a DataFrame from lineage_table() (got {type(table).__name__})")
        missing = [c for c in ("doc_id", "status", "stage", "reason", "score") if c not in table.columns]
        if missing:
            raise ValueError(f"lineage_table is missing columns: {', '.join(missing)} (build it with lineage_table())")
        order, n_first = _stage_order(decisions_by_stage)
        unknown = sorted({str(x) for x in pd.unique(table["stage"].dropna().to_numpy(dtype=object))} - set(order))
        if len(table) != n_first or unknown:
            raise ValueError(
                f"lineage_table does not belong to decisions_by_stage: it has {len(table):,} documents and "
                f"dropping stages {unknown or 'as expected'}; the first stage took {n_first:,} documents and "
                f"the stages are {order}"
            )
    hit = np.flatnonzero((table["doc_id"] == doc_id).to_numpy(dtype=bool, na_value=False))
    if len(hit) == 0:
        raise KeyError(f"doc_id {doc_id!r} is not among the {len(table):,} documents that entered the first stage")
    row = table.iloc[int(hit[0])]
    if row["status"] == "kept":
        return LineageRecord(doc_id, "kept", None, None, math.nan, tuple(order))
    k = order.index(row["stage"])
    return LineageRecord(
        doc_id, "dropped", str(row["stage"]), str(row["reason"]), float(row["score"]), tuple(order[:k])
    )


# --------------------------------------------------------------------------- drift
@dataclass(frozen=True)
class DriftResult:
    """Outcome of :func:`drift_check`: a doc-rate test and (optionally) a token-rate test.

    ``table`` has one row per test (``docs``, ``tokens``) with the rates of both runs, their
    difference, the statistic, the raw p-value, the Bonferroni-adjusted p-value, the test name
    and whether it is flagged. ``flagged`` is True if any test is.

    Used in: internal (what :func:`drift_check` returns).
    """

    stage: str
    alpha: float
    table: pd.DataFrame
    flagged: bool

    @property
    def p_doc(self) -> float:
        """Raw p-value of the document-rate test."""
        return float(self.table["p_value"].to_numpy()[0])

    @property
    def p_tok(self) -> float:
        """Raw p-value of the token-rate test (NaN if it was not run)."""
        return float(self.table["p_value"].to_numpy()[1]) if "tokens" in self.table.index else math.nan

    def __repr__(self) -> str:
        verdict = "DRIFT FLAGGED" if self.flagged else "no significant drift"
        head = f"DriftResult(stage={self.stage!r}, alpha={self.alpha:g}, Bonferroni over {len(self.table)} tests)"
        lines = [f"{head}: {verdict}"]
        for name, r in self.table.iterrows():
            lines.append(
                f"  {name:<6} current {r['current']:.4f} vs reference {r['reference']:.4f} "
                f"(diff {r['difference']:+.4f}); {r['test']}: stat {r['statistic']:.3g}, p {r['p_value']:.3g}, "
                f"adj. p {r['p_adjusted']:.3g}{'  <-- flagged' if r['flagged'] else ''}"
            )
        return "\n".join(lines)


def _doc_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, str]:
    """Two-proportion z-test (pooled), or Fisher's exact test when an expected cell is < 5."""
    from scipy.special import ndtr  # the normal cdf; scipy.stats (slow to import) only for Fisher's test

    pooled = (k1 + k2) / (n1 + n2)
    expected = np.array([n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)])
    if expected.min() < 5:
        from scipy import stats

        res = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
        return float(res.statistic), float(res.pvalue), "Fisher exact (odds ratio)"
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (k1 / n1 - k2 / n2) / se
    return z, float(2 * ndtr(-abs(z))), "two-proportion z"


def _ratio_variance(kept: np.ndarray, ntok: np.ndarray) -> tuple[float, float]:
    """Token acceptance ratio R = Σ k t / Σ t and its delta-method (linearised) variance.

    Documents are the sampling units (clusters of tokens): with residuals ``e_i = t_i (k_i − R)``,
    ``Var(R) ≈ n / (n − 1) · Σ e_i² / (Σ t_i)²`` (the standard ratio-estimator variance).
    """
    t = ntok.astype(np.float64)
    total = t.sum()
    r = float((t * kept).sum() / total)
    n = len(t)
    e = t * (kept - r)
    var = float(n / (n - 1) * (e @ e) / total**2) if n > 1 else math.nan
    return r, var


def _unpack_run(
    run: pd.DataFrame | StageRow, name: str
) -> tuple[str, int, int, np.ndarray | None, np.ndarray | None]:
    """Stage name, kept, in, and (for a decisions table) per-document kept flags and token counts."""
    if isinstance(run, StageRow):
        return run.stage, run.docs_out, run.docs_in, None, None
    if isinstance(run, pd.DataFrame):
        check_decisions(run, single_stage=True, name=name)
        kept = run["kept"].to_numpy(dtype=bool)
        stage = str(run["stage"].iloc[0]) if len(run) else "stage"
        return stage, int(kept.sum()), len(kept), kept, run["n_tokens"].to_numpy(dtype=np.int64)
    raise TypeError(f"{name} must be a decisions DataFrame or a StageRow (got {type(run).__name__})")


def _token_test(kept1: np.ndarray, t1: np.ndarray, kept2: np.ndarray, t2: np.ndarray) -> dict[str, Any] | None:
    """The token-rate row of :func:`drift_check`, or None when a run's variance cannot be estimated.

    With fewer than 2 documents in a run there is no evidence either way, so the token test is
    not run (as with StageRow inputs) rather than read as certain drift.
    """
    from scipy.special import ndtr  # the normal cdf (scipy.stats.norm.sf(x) is ndtr(-x))

    r1, v1 = _ratio_variance(kept1, t1)
    r2, v2 = _ratio_variance(kept2, t2)
    if math.isnan(v1) or math.isnan(v2):
        return None
    se = math.sqrt(v1 + v2)
    if se > 0:
        zt = (r1 - r2) / se
        pt = float(2 * ndtr(-abs(zt)))
    elif r1 == r2:
        zt, pt = 0.0, 1.0
    else:  # both variances exactly 0 with different rates: cannot be chance under the model
        zt, pt = math.copysign(math.inf, r1 - r2), 0.0
    return {
        "current": r1,
        "reference": r2,
        "statistic": zt,
        "p_value": pt,
        "test": "ratio-estimator z (delta method, documents as clusters)",
    }


def drift_check(
    current: pd.DataFrame | StageRow,
    reference: pd.DataFrame | StageRow,
    alpha: float = 0.01,
) -> DriftResult:
    """Test whether a stage's acceptance rates differ significantly from a reference run.

    Two tests, Bonferroni-corrected (each at ``alpha / m`` for ``m`` tests run):

    * **documents** — kept/in as two binomial proportions: a pooled two-proportion z-test, or
      Fisher's exact test when an expected cell count is below 5.
    * **tokens** — tokens come in documents, so they are not independent trials; a binomial
      test over tokens would be wildly overconfident. The token rate ``a_tok = Σ k_x t_x / Σ t_x``
      is a ratio estimator over documents; its variance is estimated by the delta method
      (linearisation) from per-document token counts, and the two runs are compared with a
      z-test ``(R1 − R2) / sqrt(V1 + V2)``. This needs per-document decisions; given only
      :class:`StageRow` objects, or when a run has fewer than 2 documents (its variance cannot be
      estimated), the token test is *not run* (``m = 1``) and the result says so.

    Both runs are treated as independent samples of documents from the same process (e.g. the
    same filter on a world regenerated with another seed). Reruns on the *same* documents are
    not independent and should simply match exactly.

    Parameters
    ----------
    current, reference : pandas.DataFrame or StageRow
        One stage's decisions (columns ``kept``, ``n_tokens``) or its ledger row.
    alpha : float
        Family-wise significance level, in (0, 1).

    Returns
    -------
    DriftResult
        Rates, difference, statistic, p-values (raw and adjusted), test names, ``flagged``.

    Raises
    ------
    ValueError
        If ``alpha`` is outside (0, 1), a run is empty, or a decisions table is malformed.

    Used in: 1.2 (drift demo).
    """
    alpha = check_probability(alpha, "alpha", open_left=True, open_right=True)
    stage, k1, n1, kept1, t1 = _unpack_run(current, "current")
    _, k2, n2, kept2, t2 = _unpack_run(reference, "reference")
    if n1 == 0 or n2 == 0:
        raise ValueError(f"both runs need at least one input document (current: {n1}, reference: {n2})")
    rows: dict[str, dict[str, Any]] = {}
    if k1 + k2 in (0, n1 + n2):  # every document kept (or dropped) in both runs: no variation at all
        z, p, name = 0.0, 1.0, "none (all-or-nothing in both runs)"
    else:
        z, p, name = _doc_test(k1, n1, k2, n2)
    rows["docs"] = {"current": k1 / n1, "reference": k2 / n2, "statistic": z, "p_value": p, "test": name}
    if kept1 is not None and kept2 is not None and t1 is not None and t2 is not None:
        token_row = _token_test(kept1, t1, kept2, t2)
        if token_row is not None:
            rows["tokens"] = token_row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["difference"] = table["current"] - table["reference"]
    m = len(table)
    table["p_adjusted"] = np.minimum(1.0, table["p_value"] * m)
    table["flagged"] = table["p_adjusted"] < alpha
    table = table[["current", "reference", "difference", "statistic", "p_value", "p_adjusted", "test", "flagged"]]
    return DriftResult(stage=stage, alpha=alpha, table=table, flagged=bool(table["flagged"].any()))


# --------------------------------------------------------------------------- audit
def audit_sample(
    decisions: pd.DataFrame,
    corpus: Corpus,
    n_per_side: int,
    seed: int,
    *,
    threshold: float,
    score_column: str = "score",
    band: int = 4,
    preview_tokens: int = 12,
) -> pd.DataFrame:
    """A seeded sample of kept and dropped records near a filter's threshold.

    From each side of the decision (kept, dropped) take the ``band * n_per_side`` records whose
    score is nearest to ``threshold`` and draw ``n_per_side`` of them without replacement. The
    band keeps the sample at the decision boundary (where a threshold is most likely wrong)
    while the random draw keeps a reviewer from only ever seeing the same few records.

    Parameters
    ----------
    decisions : pandas.DataFrame
        One stage's decisions (e.g. ``FilterResult.decisions``).
    corpus : Corpus
        The stage's input corpus (for the text preview); its ``doc_id`` must cover the decisions.
    n_per_side : int
        Records to draw from each side (>= 1).
    seed : int
        Seed of the draw; same seed, same sample.
    threshold : float
        The filter's threshold on ``score_column``.
    score_column : str
        Column holding the thresholded score.
    band : int
        Band width as a multiple of ``n_per_side`` (>= 1).
    preview_tokens : int
        Tokens rendered in the preview (with :func:`mixlab.text.render_tokens`, if importable).

    Returns
    -------
    pandas.DataFrame
        ``n_per_side`` kept then ``n_per_side`` dropped rows, each side sorted by distance to the
        threshold: ``doc_id``, ``domain``, ``decision``, ``reason``, ``score``, ``distance``,
        ``n_tokens``, and ``preview`` if text rendering is available.

    Raises
    ------
    TypeError
        If ``threshold`` or a count is not a number.
    ValueError
        If a side has fewer than ``n_per_side`` records (nothing is silently shortened), the
        decisions are malformed, or a doc_id is not in ``corpus``.

    Used in: 1.2, A.1.
    """
    check_decisions(decisions, single_stage=True)
    n_per_side = check_int(n_per_side, "n_per_side", minimum=1)
    seed = check_seed(seed)
    band = check_int(band, "band", minimum=1)
    preview_tokens = check_int(preview_tokens, "preview_tokens", minimum=1)
    score = _audit_scores(decisions, score_column, threshold)
    kept = decisions["kept"].to_numpy(dtype=bool)
    dist = np.abs(score - float(threshold))
    rows = _near_threshold(kept, dist, n_per_side, band, np.random.default_rng(seed))
    out = pd.DataFrame(
        {
            "doc_id": decisions["doc_id"].to_numpy()[rows],
            "domain": decisions["domain"].to_numpy()[rows],
            "decision": np.where(kept[rows], "kept", "dropped"),
            "reason": object_column(decisions["reason"].to_numpy(dtype=object)[rows]),
            "score": score[rows],
            "distance": dist[rows],
            "n_tokens": decisions["n_tokens"].to_numpy(dtype=np.int64)[rows],
        }
    )
    pos = pd.Index(corpus.docs["doc_id"]).get_indexer(out["doc_id"])
    if (pos < 0).any():
        raise ValueError(f"doc_ids not in corpus: {out['doc_id'][pos < 0].head(5).tolist()}")
    return _with_previews(out, corpus, pos, preview_tokens)


def _audit_scores(decisions: pd.DataFrame, score_column: str, threshold: float) -> np.ndarray:
    """The checked scores an audit sample ranks by their distance to ``threshold``."""
    if score_column not in decisions.columns:
        raise ValueError(f"score_column {score_column!r} is not a column of decisions ({list(decisions.columns)})")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a real number (got {threshold!r} of type {type(threshold).__name__})")
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be finite (got {threshold!r})")
    score = decisions[score_column].to_numpy(dtype=np.float64)
    if np.isnan(score).any():
        raise ValueError(f"decisions.{score_column} has NaN scores; the audit needs a score for every record")
    return score


def _near_threshold(
    kept: np.ndarray, dist: np.ndarray, n_per_side: int, band: int, rng: np.random.Generator
) -> np.ndarray:
    """Rows of the audit: per side (kept, dropped) ``n_per_side`` drawn from the ``band * n_per_side`` nearest."""
    picks = []
    for side_name, mask in (("kept", kept), ("dropped", ~kept)):
        idx = np.flatnonzero(mask)
        if len(idx) < n_per_side:
            raise ValueError(f"audit_sample needs {n_per_side} {side_name} records but the stage has only {len(idx)}")
        order = idx[np.lexsort((idx, dist[idx]))]  # nearest first, ties by row for determinism
        pool = order[: band * n_per_side]
        chosen = rng.choice(pool, size=n_per_side, replace=False)
        picks.append(chosen[np.lexsort((chosen, dist[chosen]))])
    return np.concatenate(picks)


def _with_previews(out: pd.DataFrame, corpus: Corpus, pos: np.ndarray, preview_tokens: int) -> pd.DataFrame:
    """Add a ``preview`` column (the first tokens rendered as pseudo-words), when text rendering exists."""
    try:
        from mixlab.text import render_tokens, word_table
    except ImportError:  # text rendering not available: no preview column
        return out
    words = word_table(corpus.vocab_size)
    previews = [render_tokens(corpus.document_tokens(int(p))[:preview_tokens], words=words) for p in pos]  # 2n rows
    more = out["n_tokens"].to_numpy() > preview_tokens
    out["preview"] = [str(s) + (" …" if m else "") for s, m in zip(previews, more, strict=True)]
    return out


# --------------------------------------------------------------------------- ground truth
def _kept_flags(decisions: pd.DataFrame) -> np.ndarray:
    """Boolean kept flags from a ``kept`` column or a ``decision`` column of "kept"/"dropped"."""
    if not isinstance(decisions, pd.DataFrame):
        raise TypeError(f"decisions must be a DataFrame (got {type(decisions).__name__})")
    if "kept" in decisions.columns:
        kept = decisions["kept"].to_numpy()
        if kept.dtype != bool:
            raise TypeError(f"decisions.kept must be boolean (got dtype {kept.dtype})")
        return kept
    if "decision" in decisions.columns:
        labels = decisions["decision"].astype(str)
        bad = sorted(set(labels) - {"kept", "dropped"})
        if bad:
            raise ValueError(f"decisions.decision must be 'kept' or 'dropped' (got {bad[:5]})")
        return (labels == "kept").to_numpy()
    raise ValueError(f"decisions needs a 'kept' or 'decision' column (got {list(decisions.columns)})")


def _truth_flags(decisions: pd.DataFrame, truth_flag: pd.Series | npt.ArrayLike) -> np.ndarray:
    """The flag of every decision row: looked up by doc_id (a Series) or taken row by row."""
    if isinstance(truth_flag, pd.Series):
        if "doc_id" not in decisions.columns:
            raise ValueError("a truth_flag Series is looked up by doc_id, but decisions has no 'doc_id' column")
        if not truth_flag.index.is_unique:
            raise ValueError("truth_flag's index (doc_id) has duplicates")
        pos = truth_flag.index.get_indexer(pd.Index(decisions["doc_id"]))
        if (pos < 0).any():
            missing = decisions["doc_id"].to_numpy()[pos < 0][:5].tolist()
            raise ValueError(f"truth_flag has no entry for {int((pos < 0).sum())} doc_id(s), e.g. {missing}")
        flag = truth_flag.to_numpy()[pos]
    else:
        flag = np.asarray(truth_flag)
        if flag.shape != (len(decisions),):
            raise ValueError(f"truth_flag must have one entry per decision ({len(decisions)}), got shape {flag.shape}")
    if flag.dtype != bool:
        raise TypeError(f"truth_flag must be boolean (got dtype {flag.dtype})")
    return flag


def _token_weights(decisions: pd.DataFrame, n_tokens: npt.ArrayLike | None) -> np.ndarray:
    """Token count per decision row (default: the ``n_tokens`` column), checked finite and >= 0."""
    if n_tokens is None:
        if "n_tokens" not in decisions.columns:
            raise ValueError("decisions has no 'n_tokens' column; pass n_tokens=")
        n_tokens = decisions["n_tokens"]
    ntok = np.asarray(n_tokens, dtype=np.float64)
    if ntok.shape != (len(decisions),):
        raise ValueError(f"n_tokens must have one entry per decision ({len(decisions)}), got shape {ntok.shape}")
    if not np.all(np.isfinite(ntok)) or (ntok < 0).any():
        raise ValueError(f"n_tokens must be finite and >= 0 (got {ntok[~np.isfinite(ntok) | (ntok < 0)][:5].tolist()})")
    return ntok


def truth_rates(
    decisions: pd.DataFrame,
    truth_flag: pd.Series | npt.ArrayLike,
    n_tokens: npt.ArrayLike | None = None,
    *,
    flag_name: str = "flagged",
) -> pd.DataFrame:
    """How well one stage's drops match a ground-truth flag, in the document and the token view.

    With ``d`` the dropped indicator and ``f`` the flag (e.g. "is junk") of each record, weighted
    by 1 (documents) or by its length (tokens):

    - precision of the drops: ``Σ w d f / Σ w d`` (of what was dropped, the flagged share);
    - recall of the flag: ``Σ w d f / Σ w f`` (of what is flagged, the dropped share);
    - flagged share of the kept: ``Σ w (1 − d) f / Σ w (1 − d)`` (what the stage let through).

    Parameters
    ----------
    decisions : pandas.DataFrame
        One stage's decisions with a ``doc_id`` column and either a boolean ``kept`` column
        (``FilterResult.decisions``) or a ``decision`` column of ``"kept"``/``"dropped"``
        (an :func:`audit_sample`).
    truth_flag : pandas.Series or array-like of bool
        The ground truth. A Series indexed by ``doc_id`` is looked up for every decision (it
        must cover them all); anything else must have one entry per decision row, in order.
    n_tokens : array-like of int, optional
        Token count per decision row for the token view (default: ``decisions["n_tokens"]``).
    flag_name : str
        Name of the flag in the row labels (e.g. ``"junk"``).

    Returns
    -------
    pandas.DataFrame
        Rows ``"<flag> share of dropped (precision)"``, ``"dropped share of <flag> (recall)"``,
        ``"<flag> share of kept"``; columns ``documents`` and ``tokens``. A rate whose
        denominator is 0 is NaN.

    Raises
    ------
    TypeError
        If the flag is not boolean.
    ValueError
        If columns are missing, lengths differ, doc_ids are missing from the flag, or token
        counts are negative.

    Used in: 1.2 (was it the junk that went?).
    """
    kept = _kept_flags(decisions)
    flag = _truth_flags(decisions, truth_flag)
    ntok = _token_weights(decisions, n_tokens)
    dropped = ~kept

    def ratio(num: float, den: float) -> float:
        return float(num / den) if den > 0 else float("nan")

    out: dict[str, dict[str, float]] = {}
    for view, w in (("documents", np.ones(len(decisions))), ("tokens", ntok)):
        out[view] = {
            f"{flag_name} share of dropped (precision)": ratio((w * dropped * flag).sum(), (w * dropped).sum()),
            f"dropped share of {flag_name} (recall)": ratio((w * dropped * flag).sum(), (w * flag).sum()),
            f"{flag_name} share of kept": ratio((w * kept * flag).sum(), (w * kept).sum()),
        }
    return pd.DataFrame(out)
