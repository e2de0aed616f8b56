"""The count-and-rate ledger: what each stage took in, kept and dropped, and why.

Every transformation of a corpus reports a :class:`StageRow`: documents and tokens in and out,
and the drops broken down by reason. Two acceptance rates summarise a stage,

* ``a_doc = docs_out / docs_in`` (document view) and
* ``a_tok = tokens_out / tokens_in`` (token view),

and they can differ a lot: a filter that targets long documents drops few documents but many
tokens. A :class:`Ledger` chains stages and checks that each stage starts where the previous one
ended. Every filter also returns a per-document *decisions* table (columns ``stage``, ``doc_id``,
``domain``, ``n_tokens``, ``score``, ``kept``, ``reason``): :func:`check_decisions` checks one,
:meth:`StageRow.from_decisions` counts it and :func:`rates_by_domain` splits its rates by domain.

Record-level tools on top of the decisions (lineage, drift, audit samples, truth rates) live in
:mod:`mixlab.audit`; they stay importable from here (``from mixlab.ledger import lineage``).

Used in: 1.2 (ledger, rates by domain), A.1 (the ledger in the manifest).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mixlab.validation import InvariantError, format_values

if TYPE_CHECKING:
    from mixlab.corpus import Corpus

__all__ = [
    "object_column",
    "StageRow",
    "Ledger",
    "DECISION_COLUMNS",
    "check_decisions",
    "rates_by_domain",
]

def __getattr__(name: str) -> Any:  # Any: the moved names are functions and classes of mixlab.audit
    """Resolve the names that moved to :mod:`mixlab.audit` (PEP 562 module attribute hook).

    ``from mixlab.ledger import lineage`` keeps working. The audit module is imported on first
    use only, so importing the ledger does not import the audit (which itself imports the ledger).
    """
    from mixlab import audit

    if name in audit.__all__:
        return getattr(audit, name)
    raise AttributeError(f"module 'mixlab.ledger' has no attribute {name!r}")

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


def object_column(values: Iterable[object] | np.ndarray) -> pd.Series:
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
        Documents and tokens dropped, keyed by reason. Both dicts must list the same reasons.
        A reason that dropped nothing (0 documents and 0 tokens) is not stored: "dropped
        nothing for this reason" has one representation, absence, so a row counted from a
        filter's declared reasons and one counted from its decisions table compare equal.

    Attributes
    ----------
    a_doc, a_tok : float
        Acceptance rates ``docs_out / docs_in`` and ``tokens_out / tokens_in``. An empty input
        (``docs_in == 0``) gives NaN: nothing was offered, so no rate is defined, and NaN
        propagates visibly instead of pretending the stage accepted 0 % or 100 %.

    Raises
    ------
    InvariantError
        If a count is negative or not an integer, the reasons of the two dicts differ, a reason
        drops tokens without dropping a document, or conservation fails:
        ``docs_in != docs_out + Σ dropped_docs`` or the same for tokens.
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
        tokens_alone = {r: n for r, n in self.dropped_tokens.items() if n and not self.dropped_docs[r]}
        if tokens_alone:
            raise InvariantError(
                f"{self.stage}: a reason that dropped no document cannot drop tokens "
                f"(dropped_docs 0 but dropped_tokens {format_values(tokens_alone.items())})"
            )
        active = {r for r, n in self.dropped_docs.items() if n}  # "dropped nothing" has one form: absence
        for name in ("dropped_docs", "dropped_tokens"):
            object.__setattr__(self, name, {r: n for r, n in getattr(self, name).items() if r in active})
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
        """Rebuild a row from :meth:`to_dict` output (checks run again).

        Raises
        ------
        TypeError
            If ``data`` is not a mapping.
        ValueError
            If a key is missing or unknown; :class:`InvariantError` if the counts break a check.
        """
        keys = ("stage", "docs_in", "docs_out", "tokens_in", "tokens_out", "dropped_docs", "dropped_tokens")
        if not isinstance(data, Mapping):
            raise TypeError(f"a stage row must be a JSON object with keys {', '.join(keys)} (got {data!r})")
        missing = [k for k in keys if k not in data]
        if missing:
            raise ValueError(f"stage row is missing keys: {', '.join(missing)} (got {dict(data)!r})")
        unknown = sorted(str(k) for k in data if k not in keys)
        if unknown:
            raise ValueError(f"stage row has unknown keys: {', '.join(unknown)} (allowed: {', '.join(keys)})")
        return cls(**{k: data[k] for k in keys})

    @classmethod
    def from_decisions(
        cls, decisions: pd.DataFrame, stage: str | None = None, reasons: Iterable[str] = ()
    ) -> StageRow:
        """Count a stage from its per-document decisions table.

        Parameters
        ----------
        decisions : pandas.DataFrame
            Columns ``kept`` (bool), ``reason`` (str for dropped rows) and ``n_tokens``.
        stage : str, optional
            Stage name; default: the single value of ``decisions["stage"]``.
        reasons : iterable of str
            The reasons the stage declares (e.g. a filter's ``["low_quality"]``). When given, a
            dropped document with any other reason is an error. Declared reasons that dropped
            nothing are not listed in the row (see :class:`StageRow`), so the row is the same
            with or without them.

        Returns
        -------
        StageRow

        Raises
        ------
        TypeError, ValueError
            If the decisions table is malformed (see :func:`check_decisions`) or a dropped
            document has a reason outside ``reasons``.
        """
        check_decisions(decisions, single_stage=stage is None)
        if stage is None:
            stage = str(decisions["stage"].iloc[0]) if len(decisions) else "stage"
        kept = decisions["kept"].to_numpy(dtype=bool)
        ntok = decisions["n_tokens"].to_numpy(dtype=np.int64)
        dropped = decisions.loc[~kept, ["reason", "n_tokens"]]
        by_reason = dropped.groupby("reason", sort=True)["n_tokens"].agg(["size", "sum"])
        declared = [str(r) for r in reasons]
        undeclared = sorted(str(r) for r in by_reason.index if declared and str(r) not in declared)
        if undeclared:
            raise ValueError(
                f"decisions of stage {stage!r} drop documents for undeclared reasons {undeclared} "
                f"(declared: {declared})"
            )
        dropped_docs = {str(k): int(v) for k, v in by_reason["size"].items()}
        dropped_tokens = {str(k): int(v) for k, v in by_reason["sum"].items()}
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
        TypeError
            If ``text`` is not a string, or ``rows`` (or one row) has the wrong JSON type.
        ValueError
            If the text is not valid JSON or not a mixlab ledger; the message names the field.
        InvariantError
            If a row is not conserved or the chain is broken.
        """
        if not isinstance(text, str | bytes | bytearray):
            raise TypeError(f"text must be the ledger's JSON text (got {type(text).__name__})")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ledger JSON is not valid JSON: {exc} (text starts {str(text)[:40]!r})") from None
        if not isinstance(data, dict) or data.get("format") != _LEDGER_FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"not a mixlab ledger (expected format {_LEDGER_FORMAT!r}, got {got!r})")
        rows = data.get("rows")
        if not isinstance(rows, list):
            raise TypeError(f"ledger JSON field 'rows' must be a list of stage rows (got {rows!r})")
        return cls(StageRow.from_dict(r) for r in rows)

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
def _check_token_counts(n_tokens: pd.Series, doc_ids: pd.Series, name: str) -> None:
    """Token counts must be whole numbers >= 1 (a NaN would otherwise turn into -2**63 when cast)."""
    dtype = n_tokens.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise TypeError(f"{name} must hold integer token counts (got dtype {dtype})")
    values = n_tokens.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 1) | (values != np.round(values))
    if bad.any():
        ids = doc_ids.to_numpy()[bad][:5].tolist()
        shown = format_values(zip(ids, values[bad][:5].tolist(), strict=True))
        raise ValueError(f"{name} must be whole numbers >= 1 (got {shown}; {int(bad.sum())} bad row(s))")


def check_decisions(decisions: object, *, single_stage: bool = False, name: str = "decisions") -> None:
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
        If ``decisions`` is not a DataFrame, ``kept`` is not boolean or ``n_tokens`` not numeric.
    ValueError
        If a column is missing, more than one stage appears when one is required, ``doc_id``
        repeats within a stage, ``n_tokens`` is NaN, fractional or below 1, or a dropped row has
        no reason.

    Used in: internal (every function that reads a decisions table runs it).
    """
    if not isinstance(decisions, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame (got {type(decisions).__name__})")
    missing = [c for c in DECISION_COLUMNS if c not in decisions.columns]
    if missing:
        raise ValueError(f"{name} is missing columns: {', '.join(missing)}")
    if decisions["kept"].dtype != bool:
        raise TypeError(f"{name}.kept must be boolean (got dtype {decisions['kept'].dtype})")
    _check_token_counts(decisions["n_tokens"], decisions["doc_id"], f"{name}.n_tokens")
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

    Used in: 1.2.
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


