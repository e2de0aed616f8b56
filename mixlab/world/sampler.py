"""Drawing token sequences from the world's chains: alias tables and the batched sampler.

Every chain row becomes a small alias table, so one uniform number picks the next token in O(1).
:func:`_fill` writes many documents at once; it loops over *positions*, never over documents, and
consumes the random stream in a fixed order, so the tokens depend only on the generator's seed.

Used in: every notebook (through :func:`mixlab.world.generate_world`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from mixlab.world.fast_sampler import FastTables, fill_fast, prepare

if TYPE_CHECKING:
    from mixlab.world.process import MarkovProcess

__all__: list[str] = []  # internal to mixlab.world


def _alias_tables(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose alias tables for many rows at once.

    ``weights`` is (R, W), rows summing to 1. Returns ``prob`` (R, W) float64 and ``alias`` (R, W)
    int64 (a column index) such that drawing a column ``j`` uniformly and keeping it with
    probability ``prob[r, j]`` (else taking ``alias[r, j]``) samples column ``c`` with probability
    ``weights[r, c]``. All rows advance in lock-step: each pass pairs one under-full column with
    one over-full column per row, so W passes suffice.
    """
    r, w = weights.shape
    q = weights * w
    prob = np.ones((r, w))
    alias = np.broadcast_to(np.arange(w), (r, w)).copy()
    small = q < 1.0  # not yet paired and under-full; columns leave a set only when paired
    large = ~small
    for _ in range(w):  # each pass pairs the first small with the first large column of every row
        s = small.argmax(axis=1)
        lg = large.argmax(axis=1)
        rows = np.flatnonzero(small[np.arange(r), s] & large[np.arange(r), lg])
        if rows.size == 0:
            break
        s, lg = s[rows], lg[rows]
        qs = q[rows, s]
        prob[rows, s] = qs
        alias[rows, s] = lg
        small[rows, s] = False
        q[rows, lg] -= 1.0 - qs
        under = q[rows, lg] < 1.0
        small[rows[under], lg[under]] = True
        large[rows[under], lg[under]] = False
    # whatever is left is (up to rounding) exactly full: keep it with probability 1
    return prob, alias



@dataclass(frozen=True, eq=False)
class _Tables:
    """Flat alias tables of all 2K chains: entry ``(chain * V + prev) * W + j``."""

    width: int
    vocab_size: int
    prob: np.ndarray  # float64
    hi: np.ndarray  # int32 token kept when the coin is under prob
    lo: np.ndarray  # int32 alias token
    alias: np.ndarray  # int32 alias column
    width_clean: int  # columns of the clean chains (the last one is the uniform slot)
    cycles: np.ndarray  # (K, junk_cycle) the junk chains' cycles

    @cached_property
    def fast(self) -> FastTables | None:
        """The tables rearranged for the fast sampler, or None if it does not apply to them."""
        return prepare(self)

    @classmethod
    def build(cls, proc: MarkovProcess) -> _Tables:
        k, v, w_sparse = proc.support.shape
        w_clean = w_sparse + 1  # plus the "uniform" slot, token id V (a sentinel)
        w = max(w_clean, proc.junk_support.shape[2])
        sup = np.zeros((2 * k, v, w), dtype=np.int64)
        wts = np.zeros((2 * k, v, w))
        sup[:k, :, :w_sparse] = proc.support
        wts[:k, :, :w_sparse] = proc.weights
        sup[:k, :, w_sparse] = v
        wts[:k, :, w_sparse] = proc.uniform_mix
        wj = proc.junk_support.shape[2]
        sup[k:, :, :wj] = proc.junk_support
        wts[k:, :, :wj] = proc.junk_weights
        sup = sup.reshape(-1, w)
        prob, alias = _alias_tables(wts.reshape(-1, w))
        rows = np.arange(sup.shape[0])[:, None]
        hi = sup.astype(np.int32).ravel()
        lo = sup[rows, alias].astype(np.int32).ravel()
        return cls(w, v, prob.ravel(), hi, lo, alias.astype(np.int32).ravel(), w_clean, np.asarray(proc.junk_start))


def _fill(
    out: np.ndarray,
    tables: _Tables,
    table_id: np.ndarray,
    first: np.ndarray,
    lengths: np.ndarray,
    starts: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Write documents into ``out`` exactly as :func:`_fill_reference` does, with the fast sampler when it applies."""
    if len(lengths) == 0:
        return
    fast = tables.fast
    if fast is None or not fill_fast(out, fast, table_id, first, lengths, starts, rng):
        _fill_reference(out, tables, table_id, first, lengths, starts, rng)


def _fill_reference(out: np.ndarray, tables: _Tables, table_id: np.ndarray, first: np.ndarray,
                    lengths: np.ndarray, starts: np.ndarray, rng: np.random.Generator) -> None:
    """Write documents into ``out`` (flat, at ``starts``), one position at a time for all documents.

    Documents are processed in order of decreasing length (stable), so the documents still
    growing at step ``t`` are a prefix of that order and each step is one vectorized draw.
    The random stream is consumed in a fixed order, so the result depends only on ``rng``'s seed.
    """
    if len(lengths) == 0:
        return
    order = np.argsort(-lengths, kind="stable")
    ln = lengths[order]
    st = starts[order]
    w, v = tables.width, tables.vocab_size
    base = table_id[order] * (v * w)
    cur = first[order].astype(np.int64)
    out[st] = cur
    max_len = int(ln[0])
    # active[t] = number of documents longer than t
    counts = np.bincount(ln, minlength=max_len + 1)
    active = len(ln) - np.cumsum(counts)
    prob, hi, lo = tables.prob, tables.hi, tables.lo
    buf = np.empty(len(ln))
    for t in range(1, max_len):  # loop over positions; every step is vectorized over documents
        n = int(active[t])
        x = buf[:n]
        rng.random(out=x)
        x *= w
        j = x.astype(np.int64)
        x -= j  # the fractional part is the alias coin
        flat = base[:n] + cur[:n] * w + j
        nxt = np.where(x < prob[flat], hi[flat], lo[flat])
        uni = (nxt == v).nonzero()[0]  # the uniform slot: draw a fresh token id
        if uni.size:
            nxt[uni] = rng.integers(0, v, size=uni.size)
        out[st[:n] + t] = nxt
        cur[:n] = nxt

