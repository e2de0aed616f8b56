"""The count-and-rate ledger: what each stage took in, kept and dropped, and why.

Every transformation of a corpus reports a :class:`StageRow`: documents and tokens in and out,
and the drops broken down by reason. Two acceptance rates summarise a stage,

* ``a_doc = docs_out / docs_in`` (document view) and
* ``a_tok = tokens_out / tokens_in`` (token view),

and they can differ a lot: a filter that targets long documents drops few documents but many
tokens. A :class:`Ledger` chains stages and checks that each stage starts where the previous one
ended. Record-level tools sit on top of the per-document *decisions* table every filter returns
(columns ``stage``, ``doc_id``, ``domain``, ``n_tokens``, ``score``, ``kept``, ``reason``):

* :func:`rates_by_domain` — a stage's doc and token rates per domain;
* :func:`lineage` / :func:`lineage_table` — which stage dropped a document and why;
* :func:`drift_check` — did an acceptance rate move significantly against a reference run;
* :func:`audit_sample` — a seeded sample of kept and dropped records near a threshold.

Used in: 1.2 (ledger, audit sample), A.1 (lineage, drift, manifests), 2.1.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixlab.validation import InvariantError, check_int, check_probability, check_seed, format_values

if TYPE_CHECKING:
    from mixlab.corpus import Corpus

__all__ = [
    "object_column",
    "StageRow",
    "Ledger",
    "DECISION_COLUMNS",
    "check_decisions",
    "rates_by_domain",
    "LineageRecord",
    "lineage",
    "lineage_table",
    "DriftResult",
    "drift_check",
    "audit_sample",
    "truth_rates",
]

#: Columns of the per-document decisions table every filter returns (extra columns allowed).
DECISION_COLUMNS: tuple[str, ...] = ("stage", "doc_id", "domain", "n_tokens", "score", "kept", "reason")

_LEDGER_FORMAT = "mixlab.ledger/1"


def _count(value: Any, name: str) -> int:
    """Return ``value`` as a non-negative int or raise InvariantError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvariantError(f"{name} must be an integer count (got {value!r} of type {type(value).__name__})")
    if value < 0:
        raise InvariantError(f"{name} must be >= 0 (got {value})")
    return int(value)


def object_column(values: Any) -> pd.Series:
    """A Series of dtype object (pandas >= 3 would otherwise infer ``str`` and turn None into NaN).

    Used in: internal (decision tables' ``reason`` and ``duplicate_of`` columns).
    """
    return pd.Series(np.asarray(values, dtype=object), dtype="object")


def _rate(num: int, den: int) -> float:
    """``num / den``, NaN when ``den == 0`` (an empty input has no defined acceptance rate)."""
    return num / den if den else math.nan


# --------------------------------------------------------------------------- StageRow
@dataclass(frozen=True)
class StageRow:
    """One stage of a data build: counts in and out, drops by reason, for docs and tokens.

    Parameters
    ----------
    stage : str
        Stage name (e.g. ``"quality"``).
    docs_in, docs_out, tokens_in, tokens_out : int
        Counts entering and leaving the stage (non-negative integers).
    dropped_docs, dropped_tokens : dict of str to int
        Documents and tokens dropped, keyed by reason. Both dicts must list the same reasons
        (a reason that dropped nothing may appear with 0).

    Attributes
    ----------
    a_doc, a_tok : float
        Acceptance rates ``docs_out / docs_in`` and ``tokens_out / tokens_in``. An empty input
        (``docs_in == 0``) gives NaN: nothing was offered, so no rate is defined, and NaN
        propagates visibly instead of pretending the stage accepted 0 % or 100 %.

    Raises
    ------
    InvariantError
        If a count is negative or not an integer, the reasons of the two dicts differ, or
        conservation fails: ``docs_in != docs_out + Σ dropped_docs`` or the same for tokens.
        The message shows the numbers on both sides.

    Used in: 1.2, A.1.
    """

    stage: str
    docs_in: int
    docs_out: int
    tokens_in: int
    tokens_out: int
    dropped_docs: dict[str, int] = field(default_factory=dict)
    dropped_tokens: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.stage, str) or not self.stage.strip():
            raise InvariantError(f"stage must be a non-empty string (got {self.stage!r})")
        for name in ("docs_in", "docs_out", "tokens_in", "tokens_out"):
            object.__setattr__(self, name, _count(getattr(self, name), f"{self.stage}: {name}"))
        for name in ("dropped_docs", "dropped_tokens"):
            raw = getattr(self, name)
            if not isinstance(raw, Mapping):
                raise InvariantError(f"{self.stage}: {name} must be a mapping reason -> count (got {raw!r})")
            clean = {str(k): _count(v, f"{self.stage}: {name}[{k!r}]") for k, v in raw.items()}
            object.__setattr__(self, name, clean)
        if set(self.dropped_docs) != set(self.dropped_tokens):
            raise InvariantError(
                f"{self.stage}: dropped_docs and dropped_tokens must list the same reasons "
                f"(docs: {sorted(self.dropped_docs)}, tokens: {sorted(self.dropped_tokens)})"
            )
        for unit, n_in, n_out, dropped in (
            ("docs", self.docs_in, self.docs_out, self.dropped_docs),
            ("tokens", self.tokens_in, self.tokens_out, self.dropped_tokens),
        ):
            total = sum(dropped.values())
            if n_in != n_out + total:
                detail = format_values(dropped.items()) or "none"
                raise InvariantError(
                    f"{self.stage}: {unit} not conserved: in={n_in:,} but out + dropped = "
                    f"{n_out:,} + {total:,} = {n_out + total:,} (dropped: {detail})"
                )

    @property
    def a_doc(self) -> float:
        """Document acceptance rate ``docs_out / docs_in`` (NaN if ``docs_in == 0``)."""
        return _rate(self.docs_out, self.docs_in)

    @property
    def a_tok(self) -> float:
        """Token acceptance rate ``tokens_out / tokens_in`` (NaN if ``tokens_in == 0``)."""
        return _rate(self.tokens_out, self.tokens_in)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the row's fields (rates are derived, so not stored)."""
        return {
            "stage": self.stage,
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "dropped_docs": dict(self.dropped_docs),
            "dropped_tokens": dict(self.dropped_tokens),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StageRow:
        """Rebuild a row from :meth:`to_dict` output (checks run again)."""
        keys = ("stage", "docs_in", "docs_out", "tokens_in", "tokens_out", "dropped_docs", "dropped_tokens")
        missing = [k for k in keys if k not in data]
        if missing:
            raise ValueError(f"stage row is missing keys: {', '.join(missing)}")
        return cls(**{k: data[k] for k in keys})

    @classmethod
    def from_decisions(cls, decisions: pd.DataFrame, stage: str | None = None, reasons: Iterable[str] = ()) -> StageRow:
        """Count a stage from its per-document decisions table.

        Parameters
        ----------
        decisions : pandas.DataFrame
            Columns ``kept`` (bool), ``reason`` (str for dropped rows) and ``n_tokens``.
        stage : str, optional
            Stage name; default: the single value of ``decisions["stage"]``.
        reasons : iterable of str
            Reasons to list even when they dropped nothing (so tables keep stable columns).

        Returns
        -------
        StageRow
        """
        check_decisions(decisions, single_stage=stage is None)
        if stage is None:
            stage = str(decisions["stage"].iloc[0]) if len(decisions) else "stage"
        kept = decisions["kept"].to_numpy(dtype=bool)
        ntok = decisions["n_tokens"].to_numpy(dtype=np.int64)
        dropped = decisions.loc[~kept, ["reason", "n_tokens"]]
        by_reason = dropped.groupby("reason", sort=True)["n_tokens"].agg(["size", "sum"])
        dropped_docs = {r: 0 for r in reasons}
        dropped_tokens = {r: 0 for r in reasons}
        dropped_docs.update({str(k): int(v) for k, v in by_reason["size"].items()})
        dropped_tokens.update({str(k): int(v) for k, v in by_reason["sum"].items()})
        return cls(
            stage=stage,
            docs_in=len(decisions),
            docs_out=int(kept.sum()),
            tokens_in=int(ntok.sum()),
            tokens_out=int(ntok[kept].sum()),
            dropped_docs=dropped_docs,
            dropped_tokens=dropped_tokens,
        )

    def __repr__(self) -> str:
        return (
            f"StageRow({self.stage!r}: docs {self.docs_in:,} -> {self.docs_out:,} (a_doc={self.a_doc:.3f}), "
            f"tokens {self.tokens_in:,} -> {self.tokens_out:,} (a_tok={self.a_tok:.3f}), "
            f"dropped docs {self.dropped_docs}, dropped tokens {self.dropped_tokens})"
        )


# --------------------------------------------------------------------------- Ledger
class Ledger:
    """An append-only, chained sequence of :class:`StageRow`.

    Chaining: stage k must start with exactly what stage k−1 returned
    (``docs_in[k] == docs_out[k-1]`` and ``tokens_in[k] == tokens_out[k-1]``).

    Parameters
    ----------
    rows : iterable of StageRow, optional
        Initial rows, appended in order (and checked).

    Raises
    ------
    InvariantError
        When a row breaks the chain, or a stage name repeats (names must identify stages).

    Examples
    --------
    >>> led = Ledger([StageRow("quality", 100, 90, 5000, 4000, {"low_quality": 10}, {"low_quality": 1000})])
    >>> round(led.totals()["a_tok"], 2)
    0.8

    Used in: 1.2, A.1.
    """

    def __init__(self, rows: Iterable[StageRow] = ()) -> None:
        self._rows: list[StageRow] = []
        for row in rows:
            self.append(row)

    def append(self, row: StageRow) -> None:
        """Add ``row`` at the end after checking that it chains onto the last row.

        Raises
        ------
        TypeError
            If ``row`` is not a StageRow.
        InvariantError
            If the counts do not chain or the stage name is already used.
        """
        if not isinstance(row, StageRow):
            raise TypeError(f"row must be a StageRow (got {type(row).__name__})")
        if any(r.stage == row.stage for r in self._rows):
            raise InvariantError(f"stage names must be unique in a ledger (stage {row.stage!r} is already recorded)")
        if self._rows:
            prev = self._rows[-1]
            if (row.docs_in, row.tokens_in) != (prev.docs_out, prev.tokens_out):
                raise InvariantError(
                    f"ledger chain broken: stage {row.stage!r} starts with docs_in={row.docs_in:,}, "
                    f"tokens_in={row.tokens_in:,} but stage {prev.stage!r} ended with "
                    f"docs_out={prev.docs_out:,}, tokens_out={prev.tokens_out:,}"
                )
        self._rows.append(row)

    @property
    def rows(self) -> tuple[StageRow, ...]:
        """The rows, in order (a tuple: the ledger cannot be edited through it)."""
        return tuple(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[StageRow]:
        return iter(tuple(self._rows))

    def __getitem__(self, key: int | str) -> StageRow:
        if isinstance(key, str):
            for r in self._rows:
                if r.stage == key:
                    return r
            raise KeyError(f"no stage named {key!r} (stages: {[r.stage for r in self._rows]})")
        return self._rows[key]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ledger) and self.rows == other.rows

    __hash__ = None  # type: ignore[assignment]

    def reasons(self) -> list[str]:
        """All drop reasons over all stages, in order of first appearance."""
        out: dict[str, None] = {}
        for r in self._rows:
            out.update(dict.fromkeys(r.dropped_docs))
        return list(out)

    def to_frame(self) -> pd.DataFrame:
        """A tidy table, one row per stage, document and token views side by side.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``stage``; columns ``docs_in``, ``docs_out``, ``a_doc``, ``tokens_in``,
            ``tokens_out``, ``a_tok``, then ``docs_dropped:<reason>`` and
            ``tokens_dropped:<reason>`` for every reason (0 where a stage has no such reason).
        """
        reasons = self.reasons()
        records = []
        for r in self._rows:
            rec: dict[str, Any] = {
                "stage": r.stage,
                "docs_in": r.docs_in,
                "docs_out": r.docs_out,
                "a_doc": r.a_doc,
                "tokens_in": r.tokens_in,
                "tokens_out": r.tokens_out,
                "a_tok": r.a_tok,
            }
            for reason in reasons:
                rec[f"docs_dropped:{reason}"] = r.dropped_docs.get(reason, 0)
            for reason in reasons:
                rec[f"tokens_dropped:{reason}"] = r.dropped_tokens.get(reason, 0)
            records.append(rec)
        cols = ["stage", "docs_in", "docs_out", "a_doc", "tokens_in", "tokens_out", "a_tok"]
        cols += [f"docs_dropped:{x}" for x in reasons] + [f"tokens_dropped:{x}" for x in reasons]
        return pd.DataFrame.from_records(records, columns=cols).set_index("stage")

    def totals(self) -> pd.Series:
        """Overall counts and rates from the first stage's input to the last stage's output.

        Returns
        -------
        pandas.Series
            ``docs_in``, ``docs_out``, ``a_doc``, ``tokens_in``, ``tokens_out``, ``a_tok``
            (rates NaN for an empty ledger or empty input).
        """
        if not self._rows:
            vals: list[float] = [0, 0, math.nan, 0, 0, math.nan]
        else:
            first, last = self._rows[0], self._rows[-1]
            vals = [
                first.docs_in,
                last.docs_out,
                _rate(last.docs_out, first.docs_in),
                first.tokens_in,
                last.tokens_out,
                _rate(last.tokens_out, first.tokens_in),
            ]
        return pd.Series(vals, index=["docs_in", "docs_out", "a_doc", "tokens_in", "tokens_out", "a_tok"], dtype=object)

    def to_json(self, indent: int | None = 2) -> str:
        """Serialise to a JSON string (format tag ``mixlab.ledger/1``); see :meth:`from_json`."""
        return json.dumps({"format": _LEDGER_FORMAT, "rows": [r.to_dict() for r in self._rows]}, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Ledger:
        """Rebuild a ledger from :meth:`to_json` output, re-running every check.

        Raises
        ------
        ValueError
            If the text is not a mixlab ledger.
        InvariantError
            If a row is not conserved or the chain is broken.
        """
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != _LEDGER_FORMAT:
            raise ValueError(f"not a mixlab ledger (expected format {_LEDGER_FORMAT!r})")
        return cls(StageRow.from_dict(r) for r in data["rows"])

    def __repr__(self) -> str:
        if not self._rows:
            return "Ledger(empty)"
        lines = [f"Ledger({len(self)} stages)"]
        for r in self._rows:
            lines.append(
                f"  {r.stage:<12} docs {r.docs_in:>10,} -> {r.docs_out:>10,} (a_doc {r.a_doc:.3f})   "
                f"tokens {r.tokens_in:>12,} -> {r.tokens_out:>12,} (a_tok {r.a_tok:.3f})"
            )
        t = self.totals()
        lines.append(f"  {'total':<12} a_doc {float(t['a_doc']):.3f}   a_tok {float(t['a_tok']):.3f}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- decisions
def check_decisions(decisions: Any, *, single_stage: bool = False, name: str = "decisions") -> None:
    """Check a per-document decisions table has the required columns and types.

    Parameters
    ----------
    decisions : pandas.DataFrame
        The table to check (see :data:`DECISION_COLUMNS`).
    single_stage : bool
        Also require exactly one stage and unique ``doc_id``.
    name : str
        Argument name for messages.

    Raises
    ------
    TypeError
        If ``decisions`` is not a DataFrame or ``kept`` is not boolean.
    ValueError
        If a column is missing, more than one stage appears when one is required, ``doc_id``
        repeats within a stage, ``n_tokens`` is below 1, or a dropped row has no reason.

    Used in: 1.2, A.1.
    """
    if not isinstance(decisions, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame (got {type(decisions).__name__})")
    missing = [c for c in DECISION_COLUMNS if c not in decisions.columns]
    if missing:
        raise ValueError(f"{name} is missing columns: {', '.join(missing)}")
    if decisions["kept"].dtype != bool:
        raise TypeError(f"{name}.kept must be boolean (got dtype {decisions['kept'].dtype})")
    if len(decisions) and decisions["n_tokens"].min() < 1:
        raise ValueError(f"{name}.n_tokens must be >= 1 (min is {decisions['n_tokens'].min()})")
    if single_stage:
        stages = pd.unique(decisions["stage"])
        if len(stages) > 1:
            raise ValueError(f"{name} must hold one stage (got {len(stages)}: {list(stages)[:5]}); select one first")
        dup = decisions["doc_id"].duplicated()
        if dup.any():
            dups = decisions.loc[dup, "doc_id"].head(5).tolist()
            raise ValueError(f"{name}.doc_id must be unique within a stage (duplicated: {dups})")
    no_reason = ~decisions["kept"].to_numpy(dtype=bool) & decisions["reason"].isna().to_numpy()
    if no_reason.any():
        ids = decisions["doc_id"].to_numpy()[no_reason][:5].tolist()
        raise ValueError(f"{name}: every dropped document needs a reason (missing for {ids})")


def rates_by_domain(decisions: pd.DataFrame, corpus_in: Corpus | None = None) -> pd.DataFrame:
    """Document and token acceptance rates of one stage, per domain.

    Parameters
    ----------
    decisions : pandas.DataFrame
        One stage's per-document decisions (as returned in ``FilterResult.decisions``).
    corpus_in : Corpus, optional
        The stage's input corpus. When given, its ``doc_id`` must equal ``decisions.doc_id``
        row by row, and its domain list fixes the rows of the result (every domain, in order,
        even ones with no document).

    Returns
    -------
    pandas.DataFrame
        Indexed by domain: ``docs_in``, ``docs_out``, ``a_doc``, ``tokens_in``, ``tokens_out``,
        ``a_tok`` (rates NaN for a domain with no input), plus a ``total`` row.

    Raises
    ------
    ValueError
        If the decisions are malformed or do not match ``corpus_in``.

    Used in: 1.2, 2.1.
    """
    check_decisions(decisions, single_stage=True)
    if corpus_in is not None:
        if len(corpus_in) != len(decisions) or not np.array_equal(
            corpus_in.docs["doc_id"].to_numpy(), decisions["doc_id"].to_numpy()
        ):
            raise ValueError(
                f"decisions ({len(decisions)} rows) do not match corpus_in ({len(corpus_in)} docs) doc_id by doc_id; "
                "pass the stage's input corpus"
            )
        dom = corpus_in.docs["domain"]
    else:
        dom = decisions["domain"]
        if not isinstance(dom.dtype, pd.CategoricalDtype):
            dom = dom.astype("category")
    kept = decisions["kept"].to_numpy(dtype=bool)
    ntok = decisions["n_tokens"].to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "domain": dom.to_numpy(),
            "docs_in": 1,
            "docs_out": kept.astype(np.int64),
            "tokens_in": ntok,
            "tokens_out": np.where(kept, ntok, 0),
        }
    )
    frame["domain"] = pd.Categorical(frame["domain"], categories=dom.cat.categories)
    g = frame.groupby("domain", observed=False)[["docs_in", "docs_out", "tokens_in", "tokens_out"]].sum()
    g.loc["total"] = g.sum()
    g = g.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        g["a_doc"] = np.where(g["docs_in"] > 0, g["docs_out"] / g["docs_in"].where(g["docs_in"] > 0, 1), np.nan)
        g["a_tok"] = np.where(g["tokens_in"] > 0, g["tokens_out"] / g["tokens_in"].where(g["tokens_in"] > 0, 1), np.nan)
    g.index = pd.Index([str(i) for i in g.index], name="domain")
    return g[["docs_in", "docs_out", "a_doc", "tokens_in", "tokens_out", "a_tok"]]


# --------------------------------------------------------------------------- lineage
def _stack_decisions(
    decisions_by_stage: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame] | pd.DataFrame,
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
    decisions_by_stage: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame] | pd.DataFrame,
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

    Used in: A.1, 1.2.
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

    Used in: A.1, 1.2.
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
    decisions_by_stage: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame] | pd.DataFrame,
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
    decisions_by_stage: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame] | pd.DataFrame,
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

    Used in: A.1, 1.2.
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
    from scipy import stats

    pooled = (k1 + k2) / (n1 + n2)
    expected = np.array([n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)])
    if expected.min() < 5:
        res = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
        return float(res.statistic), float(res.pvalue), "Fisher exact (odds ratio)"
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (k1 / n1 - k2 / n2) / se
    return z, float(2 * stats.norm.sf(abs(z))), "two-proportion z"


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

    Used in: A.1, 1.2.
    """
    alpha = check_probability(alpha, "alpha", open_left=True, open_right=True)

    def _unpack(run: Any, name: str) -> tuple[str, int, int, np.ndarray | None, np.ndarray | None]:
        if isinstance(run, StageRow):
            return run.stage, run.docs_out, run.docs_in, None, None
        if isinstance(run, pd.DataFrame):
            check_decisions(run, single_stage=True, name=name)
            kept = run["kept"].to_numpy(dtype=bool)
            stage = str(run["stage"].iloc[0]) if len(run) else "stage"
            return stage, int(kept.sum()), len(kept), kept, run["n_tokens"].to_numpy(dtype=np.int64)
        raise TypeError(f"{name} must be a decisions DataFrame or a StageRow (got {type(run).__name__})")

    stage, k1, n1, kept1, t1 = _unpack(current, "current")
    _, k2, n2, kept2, t2 = _unpack(reference, "reference")
    if n1 == 0 or n2 == 0:
        raise ValueError(f"both runs need at least one input document (current: {n1}, reference: {n2})")

    rows: dict[str, dict[str, Any]] = {}
    if k1 + k2 in (0, n1 + n2):  # every document kept (or dropped) in both runs: no variation at all
        z, p, name = 0.0, 1.0, "none (all-or-nothing in both runs)"
    else:
        z, p, name = _doc_test(k1, n1, k2, n2)
    rows["docs"] = {"current": k1 / n1, "reference": k2 / n2, "statistic": z, "p_value": p, "test": name}

    if kept1 is not None and kept2 is not None and t1 is not None and t2 is not None:
        from scipy import stats

        r1, v1 = _ratio_variance(kept1, t1)
        r2, v2 = _ratio_variance(kept2, t2)
        # with fewer than 2 documents in a run the variance cannot be estimated: no evidence either
        # way, so the token test is not run (as with StageRow inputs) rather than read as certain drift
        if not (math.isnan(v1) or math.isnan(v2)):
            se = math.sqrt(v1 + v2)
            if se > 0:
                zt = (r1 - r2) / se
                pt = float(2 * stats.norm.sf(abs(zt)))
            elif r1 == r2:
                zt, pt = 0.0, 1.0
            else:  # both variances exactly 0 with different rates: cannot be chance under the model
                zt, pt = math.copysign(math.inf, r1 - r2), 0.0
            rows["tokens"] = {
                "current": r1,
                "reference": r2,
                "statistic": zt,
                "p_value": pt,
                "test": "ratio-estimator z (delta method, documents as clusters)",
            }
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
    if score_column not in decisions.columns:
        raise ValueError(f"score_column {score_column!r} is not a column of decisions ({list(decisions.columns)})")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite real number (got {threshold!r})")
    score = decisions[score_column].to_numpy(dtype=np.float64)
    if np.isnan(score).any():
        raise ValueError(f"decisions.{score_column} has NaN scores; the audit needs a score for every record")
    kept = decisions["kept"].to_numpy(dtype=bool)
    dist = np.abs(score - float(threshold))
    rng = np.random.default_rng(seed)
    picks = []
    for side_name, mask in (("kept", kept), ("dropped", ~kept)):
        idx = np.flatnonzero(mask)
        if len(idx) < n_per_side:
            raise ValueError(f"audit_sample needs {n_per_side} {side_name} records but the stage has only {len(idx)}")
        order = idx[np.lexsort((idx, dist[idx]))]  # nearest first, ties by row for determinism
        pool = order[: band * n_per_side]
        chosen = rng.choice(pool, size=n_per_side, replace=False)
        picks.append(chosen[np.lexsort((chosen, dist[chosen]))])
    rows = np.concatenate(picks)
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
def truth_rates(
    decisions: pd.DataFrame,
    truth_flag: Any,
    n_tokens: Any = None,
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

    Used in: 1.2 (was it the junk that went?), A.1.
    """
    if not isinstance(decisions, pd.DataFrame):
        raise TypeError(f"decisions must be a DataFrame (got {type(decisions).__name__})")
    if "kept" in decisions.columns:
        kept = decisions["kept"].to_numpy()
        if kept.dtype != bool:
            raise TypeError(f"decisions.kept must be boolean (got dtype {kept.dtype})")
    elif "decision" in decisions.columns:
        labels = decisions["decision"].astype(str)
        bad = sorted(set(labels) - {"kept", "dropped"})
        if bad:
            raise ValueError(f"decisions.decision must be 'kept' or 'dropped' (got {bad[:5]})")
        kept = (labels == "kept").to_numpy()
    else:
        raise ValueError(f"decisions needs a 'kept' or 'decision' column (got {list(decisions.columns)})")
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
    if n_tokens is None:
        if "n_tokens" not in decisions.columns:
            raise ValueError("decisions has no 'n_tokens' column; pass n_tokens=")
        n_tokens = decisions["n_tokens"]
    ntok = np.asarray(n_tokens, dtype=np.float64)
    if ntok.shape != (len(decisions),):
        raise ValueError(f"n_tokens must have one entry per decision ({len(decisions)}), got shape {ntok.shape}")
    if not np.all(np.isfinite(ntok)) or (ntok < 0).any():
        raise ValueError("n_tokens must be finite and >= 0")
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
