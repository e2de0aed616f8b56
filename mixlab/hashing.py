"""Content hashes of documents, and the check that validation never overlaps training.

:func:`document_hashes` gives every document a 64-bit hash of its token sequence (equal
documents, equal hashes), computed in memory-bounded chunks without a loop over documents; the
dedup filter groups documents by it. :func:`check_disjoint` proves a validation corpus shares no
``doc_id`` and no token sequence with a training corpus, confirming every candidate pair token by
token, and returns a :class:`DisjointCheck` saying what it compared.

This module depends only on :mod:`mixlab.corpus`: the world generator (which checks its own
validation set) and the filters both use it, so data flows world → filters and never back.

Used in: 1.2 (dedup filter), 2.4 (validation disjointness).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from mixlab.corpus import Corpus
from mixlab.validation import InvariantError, check_int

__all__ = ["document_hashes", "check_disjoint", "DisjointCheck"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, elementwise on uint64 (wrapping arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def document_hashes(corpus: Corpus, *, chunk_tokens: int = 1 << 20) -> np.ndarray:
    """A 64-bit content hash of every document (equal token sequences give equal hashes).

    ``h(x) = mix(n_x XOR sum_p g(m_p * (token_p + c)))`` with wrapping uint64 arithmetic, where
    ``m_p = mix(p) | 1`` is a pseudo-random odd 64-bit multiplier for position ``p``,
    ``g(z) = z XOR (z >> 29)``, ``c`` a fixed odd constant and ``mix`` the splitmix64 finalizer.
    Computed in chunks of about ``chunk_tokens`` tokens with ``np.add.reduceat``; no loop over
    documents. Different documents collide with probability about 2**-64 per pair; callers that
    must be certain compare the tokens of equal hashes (as :func:`check_disjoint` does).

    Parameters
    ----------
    corpus : Corpus
    chunk_tokens : int
        Memory bound: tokens processed per chunk (>= 1).

    Returns
    -------
    numpy.ndarray
        uint64, one hash per row of ``corpus.docs``.

    Used in: 2.4.
    """
    chunk_tokens = check_int(chunk_tokens, "chunk_tokens", minimum=1)
    starts = corpus.docs["start"].to_numpy(dtype=np.int64)
    lens = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    out = np.empty(len(lens), dtype=np.uint64)
    if len(lens) == 0:
        return out
    with np.errstate(over="ignore"):
        mult = _splitmix64(np.arange(int(lens.max()), dtype=np.uint64)) | np.uint64(1)
        cum = np.cumsum(lens)
        bounds = np.searchsorted(cum, np.arange(chunk_tokens, int(cum[-1]), chunk_tokens), side="left") + 1
        edges = np.unique(np.concatenate([[0], bounds, [len(lens)]]))
        for a, b in zip(edges[:-1], edges[1:], strict=True):  # loop over memory chunks, not documents
            ln = lens[a:b]
            off = np.cumsum(ln) - ln
            pos = np.arange(int(off[-1] + ln[-1]), dtype=np.int64) - np.repeat(off, ln)
            st = starts[a:b]
            if np.array_equal(st - st[0], off):  # contiguous documents: a slice, no gather
                tok = corpus.tokens[st[0] : st[0] + len(pos)].astype(np.uint64)
            else:
                tok = corpus.tokens[np.repeat(st, ln) + pos].astype(np.uint64)
            tok += _GOLDEN
            tok *= mult[pos]
            tok ^= tok >> np.uint64(29)
            sums = np.add.reduceat(tok, off)
            out[a:b] = _splitmix64(sums ^ ln.astype(np.uint64))
    return out


def _prefix_keys(corpus: Corpus, prefix: int) -> np.ndarray:
    """64-bit key of (length, first ``prefix`` tokens) per document; equal documents have equal keys."""
    starts = corpus.docs["start"].to_numpy(dtype=np.int64)
    lens = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    key = _splitmix64(lens.astype(np.uint64))
    with np.errstate(over="ignore"):
        for p in range(prefix):  # loop over a fixed number of positions, vectorized over documents
            has = lens > p
            tok = np.where(has, corpus.tokens[np.minimum(starts + p, len(corpus.tokens) - 1)], -1)
            key = _splitmix64(key ^ tok.astype(np.int64).astype(np.uint64))
    return key


@dataclass(frozen=True)
class DisjointCheck:
    """What :func:`check_disjoint` compared when it found no overlap.

    Attributes
    ----------
    train_documents, validation_documents : int
        Documents (and doc_ids) on each side; every validation id was looked up among the
        training ids and every validation document's content key among the training keys.
    train_tokens, validation_tokens : int
        Tokens on each side.
    candidate_pairs : int
        (validation, training) pairs with the same length and the same first ``prefix``
        tokens, each confirmed different by comparing all tokens (normally 0).
    prefix : int
        Tokens in the cheap content key.

    Used in: no lesson calls it by name.
    """

    train_documents: int
    validation_documents: int
    train_tokens: int
    validation_tokens: int
    candidate_pairs: int
    prefix: int

    @property
    def ids_compared(self) -> int:
        """doc_ids compared: the validation ids, each looked up among the training ids."""
        return self.validation_documents

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (stable, for printing)."""
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        return (
            f"disjoint: {self.validation_documents:,} validation documents ({self.validation_tokens:,} tokens) vs "
            f"{self.train_documents:,} training documents ({self.train_tokens:,} tokens); no shared doc_id, "
            f"no identical token sequence ({self.candidate_pairs:,} candidate pairs compared token by token)"
        )


def check_disjoint(train: Corpus, validation: Corpus, *, prefix: int = 16) -> DisjointCheck:
    """Check that no validation document is also a training document, by id and by content.

    Candidates are documents with the same length and the same first tokens (a cheap 64-bit
    key over at most ``prefix`` tokens); each candidate pair is then confirmed by comparing all
    tokens, so the check is exact.

    Parameters
    ----------
    train, validation : Corpus
    prefix : int
        Tokens in the candidate key (>= 1).

    Returns
    -------
    DisjointCheck
        What was compared: documents and tokens on each side and the number of candidate pairs
        confirmed token by token (``print`` it for a one-line summary).

    Raises
    ------
    InvariantError
        Naming the overlapping ids (shared ids, or validation ids whose tokens equal a
        training document's, with that document's id).

    Used in: 2.4 (validation sets must not overlap training).
    """
    shared = sorted(map(str, set(train.docs["doc_id"].tolist()).intersection(validation.docs["doc_id"].tolist())))
    if shared:
        raise InvariantError(
            f"validation and training share {len(shared)} doc_id(s): {', '.join(map(str, shared[:8]))}"
            + (" …" if len(shared) > 8 else "")
        )
    prefix = check_int(prefix, "prefix", minimum=1)
    ht = _prefix_keys(train, prefix)
    hv = _prefix_keys(validation, prefix)
    common = np.intersect1d(ht, hv)
    summary = {
        "train_documents": len(train),
        "validation_documents": len(validation),
        "train_tokens": int(train.docs["n_tokens"].sum()),
        "validation_tokens": int(validation.docs["n_tokens"].sum()),
        "prefix": prefix,
    }
    if common.size == 0:
        return DisjointCheck(candidate_pairs=0, **summary)
    pairs = []
    checked = 0
    ti = np.flatnonzero(np.isin(ht, common))
    vi = np.flatnonzero(np.isin(hv, common))
    by_hash: dict[int, list[int]] = {}
    for i in ti.tolist():  # only candidate collisions (normally none)
        by_hash.setdefault(int(ht[i]), []).append(i)
    for j in vi.tolist():
        vt = validation.document_tokens(j)
        for i in by_hash.get(int(hv[j]), []):
            checked += 1
            if np.array_equal(train.document_tokens(i), vt):
                pairs.append((validation.docs["doc_id"].iat[j], train.docs["doc_id"].iat[i]))
                break
    if pairs:
        shown = ", ".join(f"{a} == {b}" for a, b in pairs[:8])
        raise InvariantError(
            f"{len(pairs)} validation document(s) have the same tokens as a training document: {shown}"
            + (" …" if len(pairs) > 8 else "")
        )
    return DisjointCheck(candidate_pairs=checked, **summary)
