"""Document filters that report what they kept, what they dropped and why.

Each filter takes a :class:`~mixlab.corpus.Corpus` and its parameters and returns a
:class:`FilterResult`:

* ``kept`` — the surviving documents, a Corpus over the *same* token array;
* ``row`` — the stage's :class:`~mixlab.ledger.StageRow` (counts in/out and drops by reason,
  for documents and tokens);
* ``decisions`` — one row per input document (``stage``, ``doc_id``, ``domain``, ``n_tokens``,
  ``score``, ``kept``, ``reason``), the record-level lineage that a dashboard of rates lacks.

Filters look only at what a real pipeline could observe (the quality score, lengths, the tokens),
never at the synthetic world's ground truth. :func:`run_pipeline` chains filters and builds the
ledger.

Used in: 1.2 (filters, ledger, audit sample), A.1 (lineage).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixlab.corpus import Corpus
from mixlab.hashing import document_hashes
from mixlab.ledger import Ledger, StageRow, object_column
from mixlab.validation import InvariantError, check_int, check_probability

__all__ = [
    "FilterResult",
    "PipelineResult",
    "quality_filter",
    "length_filter",
    "junk_filter",
    "repetition_scores",
    "dedup_filter",
    "content_hashes",
    "run_pipeline",
]


@dataclass(frozen=True, eq=False)
class FilterResult:
    """What one filter stage did.

    Attributes
    ----------
    kept : Corpus
        Documents that passed, in input order, over the input's token array.
    row : StageRow
        Counts in/out and drops by reason (documents and tokens).
    decisions : pandas.DataFrame
        One row per input document, in input order: ``stage``, ``doc_id``, ``domain``,
        ``n_tokens``, ``score`` (the value the filter thresholded), ``kept`` (bool), ``reason``
        (None if kept, else the drop reason). Some filters add columns (dedup: ``duplicate_of``).
    params : dict
        The filter's parameters, for manifests and audit samples.

    Used in: no lesson calls it by name.
    """

    kept: Corpus
    row: StageRow
    decisions: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"FilterResult({self.row!r}, params={self.params})"


def _check_corpus(corpus: Any) -> Corpus:
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a mixlab Corpus (got {type(corpus).__name__})")
    return corpus


def _check_stage(stage: Any) -> str:
    if not isinstance(stage, str) or not stage.strip():
        raise ValueError(f"stage must be a non-empty string (got {stage!r})")
    return stage


def _result(
    corpus: Corpus,
    stage: str,
    score: np.ndarray,
    drop_reason: np.ndarray,
    reasons: Sequence[str],
    params: dict[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> FilterResult:
    """Assemble a FilterResult from per-document scores and reasons (None = kept)."""
    kept = np.asarray(pd.isna(drop_reason), dtype=bool)
    decisions = pd.DataFrame(
        {
            "stage": pd.Categorical([stage] * len(corpus)),
            "doc_id": corpus.docs["doc_id"].to_numpy(),
            "domain": pd.Categorical.from_codes(corpus.domain_codes(), categories=pd.Index(list(corpus.domains))),
            "n_tokens": corpus.docs["n_tokens"].to_numpy(dtype=np.int64),
            "score": np.asarray(score, dtype=np.float64),
            "kept": kept,
            "reason": object_column(drop_reason),
        }
    )
    for name, values in (extra or {}).items():
        decisions[name] = values
    row = StageRow.from_decisions(decisions, stage=stage, reasons=reasons)
    out = corpus.subset(kept)
    if len(out) != row.docs_out or out.n_tokens != row.tokens_out:  # belt and braces: the two counts must agree
        raise InvariantError(f"{stage}: kept corpus ({len(out)} docs) disagrees with ledger row ({row.docs_out})")
    return FilterResult(kept=out, row=row, decisions=decisions, params=params)


def _reasons(n: int, *conditions: tuple[np.ndarray, str]) -> np.ndarray:
    """Object array of drop reasons: the first matching condition wins, None where none match."""
    out = np.full(n, None, dtype=object)
    undecided = np.ones(n, dtype=bool)
    for mask, reason in conditions:
        hit = mask & undecided
        out[hit] = reason
        undecided &= ~hit
    return out


# --------------------------------------------------------------------------- quality
def quality_filter(corpus: Corpus, threshold: float, *, stage: str = "quality") -> FilterResult:
    """Keep documents whose quality score is at least ``threshold``.

    Parameters
    ----------
    corpus : Corpus
        Input documents; ``docs.quality`` is the observable score (what a classifier says).
    threshold : float
        In [0, 1]; documents with ``quality < threshold`` are dropped (reason ``"low_quality"``).
    stage : str
        Stage name in the ledger.

    Returns
    -------
    FilterResult
        ``decisions.score`` is the quality score.

    Raises
    ------
    TypeError, ValueError
        If ``corpus`` is not a Corpus or ``threshold`` is not in [0, 1].

    Used in: 1.2, A.1 (a stricter threshold than the recipe's, run by hand).
    """
    corpus = _check_corpus(corpus)
    threshold = check_probability(threshold, "threshold")
    stage = _check_stage(stage)
    q = corpus.docs["quality"].to_numpy(dtype=np.float64)
    if np.isnan(q).any():
        raise ValueError(f"corpus.docs.quality has {int(np.isnan(q).sum())} NaN scores; a filter cannot decide on NaN")
    reason = _reasons(len(corpus), (q < threshold, "low_quality"))
    return _result(corpus, stage, q, reason, ["low_quality"], {"filter": "quality", "threshold": threshold})


# --------------------------------------------------------------------------- length
def length_filter(
    corpus: Corpus, min_tokens: int | None = None, max_tokens: int | None = None, *, stage: str = "length"
) -> FilterResult:
    """Keep documents whose token count lies in ``[min_tokens, max_tokens]``.

    Parameters
    ----------
    corpus : Corpus
        Input documents.
    min_tokens, max_tokens : int or None
        Inclusive bounds (None: no bound on that side; at least one must be given).
        Shorter documents are dropped as ``"too_short"``, longer ones as ``"too_long"``.
    stage : str
        Stage name in the ledger.

    Returns
    -------
    FilterResult
        ``decisions.score`` is the token count.

    Raises
    ------
    ValueError
        If both bounds are None, a bound is below 1, or ``min_tokens > max_tokens``.

    Used in: no lesson calls it by name.
    """
    corpus = _check_corpus(corpus)
    stage = _check_stage(stage)
    if min_tokens is None and max_tokens is None:
        raise ValueError("length_filter needs min_tokens, max_tokens or both (got neither)")
    lo = None if min_tokens is None else check_int(min_tokens, "min_tokens", minimum=1)
    hi = None if max_tokens is None else check_int(max_tokens, "max_tokens", minimum=1)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"min_tokens must be <= max_tokens (got min_tokens={lo}, max_tokens={hi})")
    n = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    none = np.zeros(len(n), dtype=bool)
    reason = _reasons(
        len(n),
        (n < lo if lo is not None else none, "too_short"),
        (n > hi if hi is not None else none, "too_long"),
    )
    reasons = (["too_short"] if lo is not None else []) + (["too_long"] if hi is not None else [])
    params = {"filter": "length", "min_tokens": lo, "max_tokens": hi}
    return _result(corpus, stage, n.astype(np.float64), reason, reasons, params)


# --------------------------------------------------------------------------- junk
def _window_gather(corpus: Corpus, window: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tokens of the first ``window`` tokens of every document, back to back.

    Returns ``(tokens, doc, lengths)``: the gathered tokens, the row of each gathered token,
    and the per-document gathered length.
    """
    starts = corpus.docs["start"].to_numpy(dtype=np.int64)
    lens = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    if window is not None:
        lens = np.minimum(lens, window)
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    doc = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    gather = np.arange(offsets[-1], dtype=np.int64) - offsets[:-1][doc] + starts[doc]
    return corpus.tokens[gather].astype(np.int64), doc, lens


def _distinct_per_doc(keys: np.ndarray, doc: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Per document: number of distinct keys, and the count of its most frequent key.

    Sorts (doc, key) pairs once; runs of equal pairs are the distinct items.
    """
    if len(keys) == 0:
        return np.zeros(n_docs, dtype=np.int64), np.zeros(n_docs, dtype=np.int64)
    order = np.lexsort((keys, doc))
    k, d = keys[order], doc[order]
    new_run = np.ones(len(k), dtype=bool)
    new_run[1:] = (k[1:] != k[:-1]) | (d[1:] != d[:-1])
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.append(run_start, len(k)))
    run_doc = d[run_start]
    distinct = np.bincount(run_doc, minlength=n_docs).astype(np.int64)
    top = np.zeros(n_docs, dtype=np.int64)
    np.maximum.at(top, run_doc, run_len)
    return distinct, top


def repetition_scores(corpus: Corpus, *, method: str = "bigram", window: int | None = 256) -> np.ndarray:
    """Per-document repetition score in [0, 1], computed from the tokens alone (vectorized).

    Parameters
    ----------
    corpus : Corpus
        Input documents.
    method : {"bigram", "top_token"}
        ``"bigram"``: ``1 − distinct bigrams / bigrams`` (0 when every adjacent pair is new,
        near 1 when a short phrase repeats). A one-token window has no bigram and scores 0.
        ``"top_token"``: share of the window taken by its most frequent token.
    window : int or None
        Score only the first ``window`` tokens of each document (None: the whole document).
        A fixed window makes scores comparable across lengths: over a long enough text any
        finite-vocabulary source repeats bigrams, so whole-document scores grow with length.

    Returns
    -------
    numpy.ndarray
        float64, one score per document.

    Raises
    ------
    ValueError
        On an unknown ``method`` or ``window < 2``.

    Used in: no lesson calls it by name.
    """
    corpus = _check_corpus(corpus)
    if method not in ("bigram", "top_token"):
        raise ValueError(f"method must be 'bigram' or 'top_token' (got {method!r})")
    if window is not None:
        window = check_int(window, "window", minimum=2)
    tok, doc, lens = _window_gather(corpus, window)
    n_docs = len(corpus)
    if method == "top_token":
        _, top = _distinct_per_doc(tok, doc, n_docs)
        return top / np.maximum(lens, 1)
    same_doc = doc[1:] == doc[:-1]  # adjacent pairs inside one document
    bigram = tok[:-1][same_doc] * np.int64(corpus.vocab_size) + tok[1:][same_doc]
    distinct, _ = _distinct_per_doc(bigram, doc[:-1][same_doc], n_docs)
    n_bigrams = lens - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(n_bigrams > 0, 1.0 - distinct / np.maximum(n_bigrams, 1), 0.0)
    return score


def junk_filter(
    corpus: Corpus,
    max_repetition: float = 0.5,
    *,
    method: str = "bigram",
    window: int | None = 256,
    stage: str = "junk",
) -> FilterResult:
    """Drop documents whose tokens are too repetitive (a heuristic junk detector).

    The score comes from :func:`repetition_scores`; it sees only the tokens, never the world's
    ground-truth junk labels, so it both misses junk and flags clean text — which is what the
    audit sample and a comparison with the truth are for.

    Parameters
    ----------
    corpus : Corpus
        Input documents.
    max_repetition : float
        In [0, 1]; documents scoring above it are dropped (reason ``"repetitive"``).
    method, window
        See :func:`repetition_scores`.
    stage : str
        Stage name in the ledger.

    Returns
    -------
    FilterResult
        ``decisions.score`` is the repetition score.

    Raises
    ------
    ValueError
        If ``max_repetition`` is outside [0, 1], or on a bad ``method``/``window``.

    Used in: 1.2.
    """
    corpus = _check_corpus(corpus)
    max_repetition = check_probability(max_repetition, "max_repetition")
    stage = _check_stage(stage)
    score = repetition_scores(corpus, method=method, window=window)
    reason = _reasons(len(corpus), (score > max_repetition, "repetitive"))
    params = {"filter": "junk", "max_repetition": max_repetition, "method": method, "window": window}
    return _result(corpus, stage, score, reason, ["repetitive"], params)


# --------------------------------------------------------------------------- dedup
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def content_hashes(corpus: Corpus) -> np.ndarray:
    """A vectorized 64-bit content hash of every document's token sequence.

    A position-weighted polynomial hash modulo 2**64 (weights are powers of an odd constant),
    mixed with the length. Equal token sequences always hash equal; different ones collide
    rarely, and :func:`dedup_filter` confirms every match on the tokens anyway. An independent
    second hash: :func:`dedup_filter` defaults to :func:`mixlab.hashing.document_hashes`.

    Returns
    -------
    numpy.ndarray
        uint64, one hash per document.

    Used in: no lesson calls it by name.
    """
    corpus = _check_corpus(corpus)
    tok, doc, lens = _window_gather(corpus, None)
    if len(tok) == 0:
        return np.zeros(len(corpus), dtype=np.uint64)
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    pos = np.arange(len(tok), dtype=np.int64) - offsets[:-1][doc]
    powers = np.cumprod(np.full(int(lens.max()), _FNV_PRIME, dtype=np.uint64))  # wraps mod 2**64 by design
    with np.errstate(over="ignore"):
        terms = (tok.astype(np.uint64) + np.uint64(1)) * powers[pos]
        h = np.add.reduceat(terms, offsets[:-1]) if len(lens) else np.zeros(0, dtype=np.uint64)
        h = (h ^ (lens.astype(np.uint64) * _MIX)) * _FNV_PRIME
    return h.astype(np.uint64)


def _default_hashes(corpus: Corpus) -> np.ndarray:
    return document_hashes(corpus)


def _same_tokens(corpus: Corpus, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For row pairs (a[j], b[j]) with equal lengths: are their token sequences identical? (vectorized)"""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    ta, offsets = corpus.concatenated_tokens(a)
    tb, _ = corpus.concatenated_tokens(b)
    eq = ta == tb
    return np.logical_and.reduceat(eq, offsets[:-1]) if len(eq) else np.ones(len(a), dtype=bool)


def _originals(corpus: Corpus, h: np.ndarray) -> np.ndarray:
    """Row of the kept original of every exact copy (-1 for originals), resolving hash groups in rounds."""
    n = len(corpus)
    lens = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    original = np.full(n, -1, dtype=np.int64)  # row of the kept original for dropped copies
    pending = np.arange(n, dtype=np.int64)  # rows not yet known to be originals or copies
    while len(pending):  # loop over collision rounds, not documents
        ph = h[pending]
        order = np.lexsort((pending, ph))  # by hash, then by row: first occurrence first
        rows, hh = pending[order], ph[order]
        first_in_group = np.ones(len(rows), dtype=bool)
        first_in_group[1:] = hh[1:] != hh[:-1]
        group_head = rows[np.maximum.accumulate(np.where(first_in_group, np.arange(len(rows)), 0))]
        cand = rows[~first_in_group]
        head = group_head[~first_in_group]
        same_len = lens[cand] == lens[head]
        same = np.zeros(len(cand), dtype=bool)
        same[same_len] = _same_tokens(corpus, cand[same_len], head[same_len])
        original[cand[same]] = head[same]
        pending = np.sort(cand[~same])  # distinct content sharing a hash: next round
    return original


def _occurrence(original: np.ndarray) -> np.ndarray:
    """Occurrence number of every row's content: 0 for originals, 1, 2, ... for its copies in row order."""
    occurrence = np.zeros(len(original), dtype=np.int64)
    c_rows = np.flatnonzero(original >= 0)
    if len(c_rows):
        c_orig = original[c_rows]
        o = np.lexsort((c_rows, c_orig))
        sorted_orig = c_orig[o]
        starts = np.ones(len(o), dtype=bool)
        starts[1:] = sorted_orig[1:] != sorted_orig[:-1]
        idx = np.arange(len(o))
        occurrence[c_rows[o]] = idx - np.maximum.accumulate(np.where(starts, idx, 0)) + 1
    return occurrence


def dedup_filter(corpus: Corpus, hashes: np.ndarray | None = None, *, stage: str = "dedup") -> FilterResult:
    """Exact deduplication: keep the first occurrence of every distinct token sequence.

    Documents are grouped by content hash; a document is dropped (reason ``"duplicate"``) only
    after its tokens are compared with an earlier kept document and found identical, so a hash
    collision can never drop a distinct document. Collision groups are resolved in rounds
    (the first unresolved member of a hash group becomes a new original), a loop over rounds,
    not over documents.

    Parameters
    ----------
    corpus : Corpus
        Input documents.
    hashes : numpy.ndarray, optional
        uint64 content hash per document. Default: :func:`mixlab.hashing.document_hashes`.
    stage : str
        Stage name in the ledger.

    Returns
    -------
    FilterResult
        ``decisions.score`` is the occurrence number of the document's content (0 for the first
        occurrence, 1 for the first copy, ...); documents with score >= 1 are dropped.
        ``decisions.duplicate_of`` holds the doc_id of the kept original (None if kept).

    Raises
    ------
    ValueError
        If ``hashes`` has the wrong length.

    Used in: 1.2, 2.4.
    """
    corpus = _check_corpus(corpus)
    stage = _check_stage(stage)
    n = len(corpus)
    if hashes is None:
        h = _default_hashes(corpus)
    else:
        h = np.asarray(hashes)
        if h.shape != (n,):
            raise ValueError(f"hashes must have one entry per document (shape ({n},), got {h.shape})")
        if not np.issubdtype(h.dtype, np.integer):
            raise TypeError(f"hashes must be integers (got dtype {h.dtype})")
    original = _originals(corpus, h.astype(np.uint64))
    copies = original >= 0
    occurrence = _occurrence(original)
    reason = _reasons(n, (copies, "duplicate"))
    ids = corpus.docs["doc_id"].to_numpy(dtype=object)
    dup_ids = ids[np.maximum(original, 0)]
    dup_ids[~copies] = None
    dup_of = object_column(dup_ids)
    params = {"filter": "dedup", "hash": "given" if hashes is not None else "default"}
    return _result(
        corpus, stage, occurrence.astype(np.float64), reason, ["duplicate"], params, extra={"duplicate_of": dup_of}
    )


# --------------------------------------------------------------------------- pipeline
@dataclass(frozen=True, eq=False)
class PipelineResult:
    """Output of :func:`run_pipeline`.

    Attributes
    ----------
    kept : Corpus
        Documents that passed every stage.
    ledger : Ledger
        One chained row per stage.
    decisions : pandas.DataFrame
        All stages' decisions stacked in stage order (column ``stage`` tells them apart).
    results : tuple of FilterResult
        The individual stage results.

    Used in: no lesson calls it by name.
    """

    kept: Corpus
    ledger: Ledger
    decisions: pd.DataFrame
    results: tuple[FilterResult, ...]

    def decisions_by_stage(self) -> dict[str, pd.DataFrame]:
        """Per-stage decision tables, keyed by stage name in order."""
        return {r.row.stage: r.decisions for r in self.results}

    def __repr__(self) -> str:
        return f"PipelineResult(kept={self.kept!r})\n{self.ledger!r}"


def run_pipeline(
    corpus: Corpus, stages: Sequence[tuple[str, Callable[..., FilterResult], Mapping[str, Any]]]
) -> PipelineResult:
    """Apply filters in order, feeding each the previous stage's kept corpus.

    Parameters
    ----------
    corpus : Corpus
        Input documents.
    stages : sequence of (name, filter, params)
        ``filter(corpus, **params, stage=name)`` must return a :class:`FilterResult`
        (all filters in this module do). Stage names must be unique.

    Returns
    -------
    PipelineResult
        Final corpus, chained :class:`~mixlab.ledger.Ledger`, stacked decisions.

    Raises
    ------
    ValueError, TypeError
        On a malformed stage list or a stage that does not return a FilterResult.
    InvariantError
        If a stage's row does not chain onto the previous one.

    Examples
    --------
    >>> result = run_pipeline(corpus, [("quality", quality_filter, {"threshold": 0.3}),
    ...                                ("dedup", dedup_filter, {})])  # doctest: +SKIP

    Used in: 1.2.
    """
    corpus = _check_corpus(corpus)
    if isinstance(stages, str | bytes) or not isinstance(stages, Sequence) or not stages:
        raise ValueError("stages must be a non-empty list of (name, filter, params) tuples")
    names = []
    for i, spec in enumerate(stages):
        if not (isinstance(spec, tuple) and len(spec) == 3 and callable(spec[1]) and isinstance(spec[2], Mapping)):
            raise TypeError(f"stages[{i}] must be a (name, filter, params-dict) tuple (got {spec!r})")
        names.append(_check_stage(spec[0]))
    if len(set(names)) != len(names):
        raise ValueError(f"stage names must be unique (got {names})")
    ledger = Ledger()
    results = []
    current = corpus
    for name, fn, params in stages:
        res = fn(current, **dict(params), stage=name)
        if not isinstance(res, FilterResult):
            raise TypeError(f"stage {name!r} returned {type(res).__name__}, not a FilterResult")
        ledger.append(res.row)
        results.append(res)
        current = res.kept
    decisions = pd.concat([r.decisions for r in results], ignore_index=True)
    decisions["stage"] = pd.Categorical(decisions["stage"].astype(str), categories=names)
    return PipelineResult(kept=current, ledger=ledger, decisions=decisions, results=tuple(results))
