"""The fast sampler: the reference position loop's exact output, with far fewer sequential steps.

The reference sampler (:func:`mixlab.world.sampler._fill_reference`) advances every unfinished
document by one token per step, so a world whose longest document has 8,000 tokens costs 8,000
Python-level steps, most of them moving a handful of long documents. This module produces the
*same bytes* (the same random stream, consumed in the same order) in three phases:

1. **Layout.** Each step consumes one double per active document, then one 32-bit integer per
   document that landed on the chain's uniform slot. The generator is numpy's PCG64, read here
   as raw 64-bit outputs: a double is ``(raw >> 11) * 2**-53``; integers take the halves of later
   raws (low half first, the high half buffered across calls, Lemire's multiply-shift). Landing on
   the uniform slot depends only on the double (column ``W - 1`` and a coin below the same
   threshold in every clean row; checked when the tables are prepared), so one cheap pass fixes
   where every step's draws sit in the stream and which documents restart at a uniform token.
2. **Synchronous steps** while many documents are active: one vectorized step per position.
3. **The tail**, where few long documents remain: a clean document restarts at every uniform
   token, so its tail splits into short independent *segments* advanced together; a junk
   document follows its cycle deterministically except at noise draws, so only those *events*
   are walked in order, and the cycle positions in between are filled in one pass.

Everything works in windows of about ``CHUNK`` raw numbers, so memory does not grow with the world.
Anything outside these assumptions (another bit generator, tables of another shape, a rejected
integer draw, a numpy whose streams differ) makes :func:`fill_fast` return ``False`` and the
caller runs the reference loop.

Used in: every notebook (through :func:`mixlab.world.generate_world`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from mixlab.world.sampler import _Tables

__all__: list[str] = []  # internal to mixlab.world

_INV53 = 1.0 / 9007199254740992.0
_LOW32 = np.uint64(0xFFFFFFFF)
#: Raw numbers per window (bounds the temporary memory: about 40 bytes per raw number).
CHUNK = 1 << 18
#: Steps with at least this many active documents run synchronously; fewer go to the tail.
SYNC_MIN = 128


class _Fallback(Exception):
    """The fast path cannot reproduce this draw exactly: use the reference loop."""


@dataclass(frozen=True, eq=False)
class FastTables:
    """Tables of :class:`~mixlab.world.sampler._Tables` rearranged for the fast sampler.

    Entry ``2 f`` (kept, ``hi``) and ``2 f + 1`` (alias, ``lo``) of alias slot
    ``f = (chain V + prev) W + j``; a row's base is ``2 W (chain V + prev)``.
    """

    width: int
    vocab: int
    k: int
    thr: np.ndarray  # float64: the slot's coin threshold in x-space (see _x_threshold), at entry 2f
    nxt: np.ndarray  # int64: row base of the token an entry emits
    tok: np.ndarray  # int32: the token an entry emits (V for the uniform slot)
    hit_col: int  # column of the uniform slot in clean rows
    hit_x: float  # its x-space threshold, the same in every clean row
    cyc: np.ndarray  # (K, m) junk cycles
    pos: np.ndarray  # (K, V + 1) position of a token on its junk cycle, -1 off the cycle
    on_prob: np.ndarray  # (K, W) x-space thresholds of the alias row shared by on-cycle rows
    on_alias: np.ndarray
    on_tok: np.ndarray  # (K, m, W) token emitted by the on-cycle row at position p for column c
    off_prob: np.ndarray  # (K, W) x-space thresholds of the alias row shared by off-cycle rows
    off_alias: np.ndarray
    off_tok: np.ndarray  # (K, W)


def prepare(tables: _Tables) -> FastTables | None:
    """Rearranged tables, or None when the fast sampler's structural assumptions do not hold."""
    w, v = tables.width, tables.vocab_size
    k = tables.prob.size // (2 * v * w)
    prob = tables.prob.reshape(2 * k, v, w)
    hi = tables.hi.reshape(2 * k, v, w).astype(np.int64)
    lo = tables.lo.reshape(2 * k, v, w).astype(np.int64)
    alias = tables.alias.reshape(2 * k, v, w).astype(np.int64)
    ws = tables.width_clean - 1
    if not (hi[:k, :, ws] == v).all() or (hi[:k, :, :ws] == v).any() or (lo == v).any():
        return None
    if (hi[:k, :, ws + 1:] == v).any() or (hi[k:] == v).any() or len(np.unique(prob[:k, :, ws])) != 1:
        return None
    junk = _junk_groups(tables.cycles, prob[k:], alias[k:], hi[k:], lo[k:], v)
    if junk is None:
        return None
    chain_of_row = np.repeat(np.arange(2 * k), v * w)
    cols = np.arange(w, dtype=np.float64)
    thr = np.repeat(_x_threshold(prob, cols).ravel(), 2)
    tok = np.empty(2 * tables.prob.size, dtype=np.int64)
    tok[0::2], tok[1::2] = hi.ravel(), lo.ravel()
    chain2 = np.repeat(chain_of_row, 2)
    nxt = 2 * w * (chain2 * v + tok)
    uni = tok == v  # the uniform slot leads to the row of token 0; the next column adds 2 W u
    nxt[uni] = 2 * w * v * chain2[uni]
    if (junk[2] != junk[2][0]).any() or (junk[3] != junk[3][0]).any():
        return None  # events are found in the raw stream with one shared on-cycle alias row
    hit_x = float(_x_threshold(prob[0, 0, ws : ws + 1], np.array([float(ws)]))[0])
    on_prob, off_prob = junk[2], junk[5]
    junk = (*junk[:2], _x_threshold(on_prob, cols), *junk[3:5], _x_threshold(off_prob, cols), *junk[6:])
    return FastTables(w, v, k, thr, nxt, tok.astype(np.int32), ws, hit_x, *junk)


def _x_threshold(prob: np.ndarray, col: np.ndarray) -> np.ndarray:
    """The x-space form of an alias coin: ``x - j < prob`` exactly when ``x < _x_threshold(prob, j)``.

    The reference keeps column ``j = floor(x)`` when ``x - j < prob``, with ``x`` the double times
    the width. ``x - j`` is exact (Sterbenz), so the test is ``x < j + prob`` over the reals, and
    for a double ``x`` that is ``x < c`` with ``c`` the smallest double ``>= j + prob``.
    """
    s = col + prob
    low = (s - col) < prob  # the rounded sum fell below the exact one (s - col is exact)
    return np.where(low, np.nextafter(s, np.inf), s)


def _junk_groups(
    cycles: np.ndarray, prob: np.ndarray, alias: np.ndarray, hi: np.ndarray, lo: np.ndarray, v: int
) -> tuple[np.ndarray, ...] | None:
    """Per junk chain: the shared alias rows of on-cycle and off-cycle rows, or None if rows differ."""
    k, m = cycles.shape
    w = prob.shape[2]
    pos = np.full((k, v + 1), -1, dtype=np.int64)
    on_tok = np.empty((k, m, w), dtype=np.int64)
    out = {name: np.empty((k, w), dtype=dt) for name, dt in
           (("on_prob", float), ("on_alias", np.int64), ("off_prob", float), ("off_alias", np.int64),
            ("off_tok", np.int64))}
    for c in range(k):  # loop over junk chains (one per domain)
        cyc = cycles[c]
        if len(np.unique(cyc)) != m:
            return None
        pos[c, cyc] = np.arange(m)
        off = np.setdiff1d(np.arange(v), cyc)
        if off.size == 0:
            return None
        groups = ((cyc, prob[c, cyc], alias[c, cyc]), (off, prob[c, off], alias[c, off]))
        if any((p != p[0]).any() or (a != a[0]).any() for _, p, a in groups) or (hi[c, off] != hi[c, off[0]]).any():
            return None
        on_tok[c] = hi[c, cyc]
        if (on_tok[c, :, 0] != np.roll(cyc, -1)).any():
            return None
        out["on_prob"][c], out["on_alias"][c] = prob[c, cyc[0]], alias[c, cyc[0]]
        out["off_prob"][c], out["off_alias"][c] = prob[c, off[0]], alias[c, off[0]]
        out["off_tok"][c] = hi[c, off[0]]
        reach = np.concatenate([np.flatnonzero(out["off_prob"][c] > 0),
                                out["off_alias"][c][out["off_prob"][c] < 1]])
        if (pos[c, out["off_tok"][c][reach]] < 0).any():
            return None
    return (cycles.astype(np.int64), pos, out["on_prob"], out["on_alias"], on_tok, out["off_prob"],
            out["off_alias"], out["off_tok"])


@cache
def stream_model_holds() -> bool:
    """Whether numpy's PCG64 doubles and bounded integers are what this module assumes (checked once)."""
    for v in (512, 300):
        rng = np.random.default_rng(12345)
        got = [rng.random(5), rng.integers(0, v, size=3), rng.random(2), rng.integers(0, v, size=2)]
        raw = np.random.PCG64(np.random.SeedSequence(12345)).random_raw(12)
        want_d1 = (raw[:5] >> np.uint64(11)).astype(np.float64) * _INV53
        halves = _halves(raw[5:7])
        want_d2 = (raw[7:9] >> np.uint64(11)).astype(np.float64) * _INV53
        halves2 = np.concatenate([halves[3:], _halves(raw[9:10])])
        ok = (np.array_equal(got[0], want_d1) and np.array_equal(got[1], _bounded(halves[:3], v))
              and np.array_equal(got[2], want_d2) and np.array_equal(got[3], _bounded(halves2[:2], v)))
        if not ok:
            return False
    return True


def _halves(raw: np.ndarray) -> np.ndarray:
    """The 32-bit halves of raw numbers in the order numpy reads them (low, then high)."""
    out = np.empty(2 * len(raw), dtype=np.uint64)
    out[0::2] = raw & _LOW32
    out[1::2] = raw >> np.uint64(32)
    return out


def _bounded(halves: np.ndarray, v: int) -> np.ndarray:
    """Lemire's multiply-shift of 32-bit halves into ``[0, v)`` (no rejection: checked by the caller)."""
    return ((halves * np.uint64(v)) >> np.uint64(32)).astype(np.int64)


def _set_state(bit_generator: np.random.BitGenerator, state: Mapping[str, Any]) -> None:
    """Set a bit generator's state from a plain mapping (numpy's stubs want a TypedDict)."""
    bit_generator.state = cast(Any, dict(state))


class _Stream:
    """The raw PCG64 numbers of a generator, pulled in windows, with numpy's buffered 32-bit half."""

    def __init__(self, rng: np.random.Generator, width: int) -> None:
        self.rng = rng
        self.state: dict[str, Any] = dict(rng.bit_generator.state)
        self.bg = np.random.PCG64()
        _set_state(self.bg, self.state)
        self.pending = [int(self.state["uinteger"])] if self.state["has_uint32"] else []
        self.last_high = int(self.state["uinteger"])  # numpy keeps the last buffered half after using it
        self.width = width
        self.c0 = 0  # absolute position of raw[0]
        self.raw = np.empty(0, dtype=np.uint64)
        self.j2 = np.empty(0, dtype=np.int64)
        self.x = np.empty(0)

    def refill(self, p: int, need: int, expect: int) -> None:
        """Keep the numbers from ``p`` on; hold at least ``need``, and up to ``CHUNK`` if ``expect`` more are due."""
        keep = self.raw[p - self.c0:]
        extra = max(min(CHUNK, expect), need) - len(keep)
        self.raw = np.concatenate([keep, self.bg.random_raw(extra)]) if extra > 0 else keep
        self.c0 = p
        x = (self.raw >> np.uint64(11)).astype(np.float64)
        # (r * 2**-53) * W, the reference's double times the width, rounded once either way: scaling
        # by a power of two is exact, so one multiply by W * 2**-53 gives the same bits
        x *= self.width * _INV53
        j = x.astype(np.int64)
        np.left_shift(j, 1, out=j)
        self.j2 = j
        self.x = x  # the coin is x - j, compared through x-space thresholds

    @property
    def end(self) -> int:
        return self.c0 + len(self.raw)

    def finish(self, consumed: int) -> None:
        """Leave the generator exactly where the reference loop would have left it."""
        bg = np.random.PCG64()
        _set_state(bg, self.state)
        bg.advance(consumed)
        state = dict(bg.state)
        state["has_uint32"] = int(bool(self.pending))
        state["uinteger"] = self.pending[0] if self.pending else self.last_high
        _set_state(self.rng.bit_generator, state)


@dataclass
class _Docs:
    """The documents of one fill, sorted by decreasing length (stable), and their running state."""

    ln: np.ndarray
    st: np.ndarray
    ch: np.ndarray
    cur: np.ndarray  # the last token written so far, per document
    clean: list[bool]
    act: list[int]  # act[t] = documents longer than t


def fill_fast(
    out: np.ndarray,
    ft: FastTables,
    table_id: np.ndarray,
    first: np.ndarray,
    lengths: np.ndarray,
    starts: np.ndarray,
    rng: np.random.Generator,
) -> bool:
    """Write the documents exactly as the reference loop would; False (nothing consumed) if it cannot."""
    if not isinstance(rng.bit_generator, np.random.PCG64) or not stream_model_holds():
        return False
    order = np.argsort(-lengths, kind="stable")
    ln = lengths[order].astype(np.int64)
    max_len = int(ln[0])
    counts = np.bincount(ln, minlength=max_len + 1)
    docs = _Docs(ln, starts[order].astype(np.int64), table_id[order].astype(np.int64),
                 first[order].astype(np.int64), (table_id[order] < ft.k).tolist(),
                 (len(ln) - np.cumsum(counts)).tolist())
    out[docs.st] = docs.cur
    stream = _Stream(rng, ft.width)
    try:
        p = _run(out, ft, docs, stream, max_len)
    except _Fallback:
        _set_state(rng.bit_generator, stream.state)
        return False
    stream.finish(p)
    return True


def _run(out: np.ndarray, ft: FastTables, docs: _Docs, stream: _Stream, max_len: int) -> int:
    """Process windows of steps until every document is complete; return the raw numbers consumed."""
    t, p = 1, 0
    due = np.cumsum(docs.act[::-1])[::-1].tolist()  # due[t] = doubles still to draw from step t on
    while t < max_len:  # loop over windows of the random stream
        n = docs.act[t]
        stream.refill(p, 2 * n + 8, due[t] + due[t] // 32 + 64)
        lay = _layout(stream, docs, ft, t, max_len, p)
        t_end = lay.t0 + len(lay.ppos)
        n_sync = next((i for i in range(len(lay.ppos)) if docs.act[lay.t0 + i] < SYNC_MIN), len(lay.ppos))
        t_sync = lay.t0 + n_sync
        _sync_steps(out, ft, docs, stream, lay, t_sync)
        _settle(out, docs, lay, t, t_sync)
        if t_sync < t_end:
            _tail(out, ft, docs, stream, lay, t_sync, t_end)
            _settle(out, docs, lay, t_sync, t_end)
        t, p = t_end, lay.p_end
    return p


@dataclass
class _Layout:
    """Where one window's steps sit in the raw stream, and which documents restart at a uniform token."""

    t0: int
    ppos: list[int]  # absolute raw position of each step's first double
    prel: np.ndarray  # the same, relative to the window's raw array
    hit_t: np.ndarray  # steps of the uniform-slot draws, in stream order
    hit_r: np.ndarray  # their document ranks
    hit_u: np.ndarray  # the drawn tokens
    p_end: int


def _settle(out: np.ndarray, docs: _Docs, lay: _Layout, ta: int, tb: int) -> None:
    """Write the uniform-slot tokens of steps ``[ta, tb)`` and remember every document's last token."""
    if tb <= ta:
        return
    sel = (lay.hit_t >= ta) & (lay.hit_t < tb)
    out[docs.st[lay.hit_r[sel]] + lay.hit_t[sel]] = lay.hit_u[sel]
    ranks = np.arange(docs.act[ta])
    docs.cur[ranks] = out[docs.st[ranks] + np.minimum(docs.ln[ranks], tb) - 1]


def _layout(stream: _Stream, docs: _Docs, ft: FastTables, t: int, max_len: int, p: int) -> _Layout:
    """Lay out the steps from ``t`` that fit in the stream's window (a loop over steps, no arrays)."""
    hit = (stream.j2 == 2 * ft.hit_col) & (stream.x < ft.hit_x)
    fl = (np.flatnonzero(hit) + stream.c0).tolist()
    fl.append(1 << 62)
    act, clean, end = docs.act, docs.clean, stream.end
    npend = len(stream.pending)
    t0 = t
    ppos: list[int] = []
    hit_t: list[int] = []
    hit_r: list[int] = []
    ipos: list[int] = []
    h = 0
    while t < max_len:  # loop over steps: O(1) work each, plus O(1) per uniform-slot candidate
        n = act[t]
        if p + n + (n >> 1) + 2 > end:
            break
        stop = p + n
        while fl[h] < p:
            h += 1
        m = 0
        while fl[h] < stop:
            i = fl[h] - p
            if clean[i]:
                hit_t.append(t)
                hit_r.append(i)
                m += 1
            h += 1
        ppos.append(p)
        p = stop
        if m and npend:
            m, npend = m - 1, 0
        if m:
            pulls = (m + 1) >> 1
            ipos.extend(range(p, p + pulls))
            p += pulls
            npend = m & 1
        t += 1
    halves = np.concatenate([np.array(stream.pending, dtype=np.uint64),
                             _halves(stream.raw[np.array(ipos, dtype=np.int64) - stream.c0])])
    used = halves[: len(hit_t)]
    thr32 = (1 << 32) % ft.vocab
    if thr32 and ((used * np.uint64(ft.vocab)) & _LOW32 < thr32).any():
        raise _Fallback("a bounded-integer draw would be rejected and redrawn")
    stream.pending = [int(x) for x in halves[len(hit_t):]]
    if ipos:
        stream.last_high = int(halves[-1])
    prel = np.array(ppos, dtype=np.int64) - stream.c0
    return _Layout(t0, ppos, prel, np.array(hit_t, dtype=np.int64), np.array(hit_r, dtype=np.int64),
                   _bounded(used, ft.vocab), p)


def _sync_steps(out: np.ndarray, ft: FastTables, docs: _Docs, stream: _Stream, lay: _Layout, t_stop: int) -> None:
    """One vectorized step per position for the steps ``[lay.t0, t_stop)``."""
    if t_stop <= lay.t0:
        return
    n = docs.act[lay.t0]
    row = docs.ch[:n] * (2 * ft.width * ft.vocab) + 2 * ft.width * docs.cur[:n]
    st = docs.st[:n]
    # A document that drew the uniform slot at step t restarts from the drawn token u: the slot's
    # entry leads to the row of token 0, and the next step's column gets 2 W u added, landing in
    # the row of u. The tail reads rows from tokens, so only steps inside this phase are adjusted.
    sel = lay.hit_t + 1 < t_stop
    ht, hr = lay.hit_t[sel], lay.hit_r[sel]
    cont = docs.ln[hr] > ht + 1
    stream.j2[lay.prel[ht[cont] + 1 - lay.t0] + hr[cont]] += 2 * ft.width * lay.hit_u[sel][cont]
    thr, nxt, tok, j2, frac = ft.thr, ft.nxt, ft.tok, stream.j2, stream.x
    steps = zip(range(lay.t0, t_stop), docs.act[lay.t0 : t_stop], lay.prel.tolist(), strict=False)
    for t, m, a in steps:  # loop over positions; every step is vectorized over documents
        if m != n:
            n, row, st = m, row[:m], st[:m]
        e = row + j2[a : a + n]
        e += frac[a : a + n] >= thr[e]
        row = nxt[e]
        out[t:][st] = tok[e]


def _tail(out: np.ndarray, ft: FastTables, docs: _Docs, stream: _Stream, lay: _Layout, ta: int, tb: int) -> None:
    """Steps ``[ta, tb)``: clean documents as independent segments, junk documents by their events."""
    n = docs.act[ta]
    ranks = np.arange(n)
    is_clean = np.array(docs.clean[:n], dtype=bool)
    _clean_segments(out, ft, docs, stream, lay, ranks[is_clean], ta, tb)
    if not is_clean.all():
        _junk_events(out, ft, docs, stream, lay, ranks[~is_clean], ta, tb)


def _clean_segments(
    out: np.ndarray, ft: FastTables, docs: _Docs, stream: _Stream, lay: _Layout, d: np.ndarray, ta: int, tb: int
) -> None:
    """Advance clean documents between uniform-slot restarts: all segments side by side."""
    if d.size == 0:
        return
    sel = lay.hit_t >= ta
    ht, hr, hu = lay.hit_t[sel], lay.hit_r[sel], lay.hit_u[sel]
    o = np.lexsort((ht, hr))
    ht, hr, hu = ht[o], hr[o], hu[o]
    e_doc = np.minimum(docs.ln, tb)
    same_next = np.zeros(len(hr), dtype=bool)
    same_next[:-1] = hr[1:] == hr[:-1]
    end_h = np.where(same_next, np.roll(ht, -1), e_doc[hr])
    k = np.searchsorted(hr, d)
    has = k < len(hr)
    has[has] = hr[k[has]] == d[has]
    end_d = np.where(has, ht[np.minimum(k, max(len(ht) - 1, 0))], e_doc[d]) if len(ht) else e_doc[d]
    seg_r = np.concatenate([d, hr])
    seg_b = np.concatenate([np.full(len(d), ta, dtype=np.int64), ht + 1])
    seg_n = np.concatenate([end_d, end_h]) - seg_b
    seg_tok = np.concatenate([docs.cur[d], hu])
    keep = seg_n > 0
    seg_r, seg_b, seg_n, seg_tok = seg_r[keep], seg_b[keep], seg_n[keep], seg_tok[keep]
    if seg_r.size == 0:
        return
    o = np.argsort(-seg_n, kind="stable")
    seg_r, seg_b, seg_n, seg_tok = seg_r[o], seg_b[o], seg_n[o], seg_tok[o]
    longest = int(seg_n[0])
    active = (len(seg_n) - np.cumsum(np.bincount(seg_n, minlength=longest + 1))).tolist()
    row = docs.ch[seg_r] * (2 * ft.width * ft.vocab) + 2 * ft.width * seg_tok
    boff, dst = seg_b - lay.t0, docs.st[seg_r] + seg_b
    thr, nxt, tok, j2, frac, prel = ft.thr, ft.nxt, ft.tok, stream.j2, stream.x, lay.prel
    na = len(seg_n)
    for s in range(longest):  # loop over positions within segments, vectorized over segments
        m = active[s] if s else na
        if m != na:
            na, row, boff, seg_r, dst = m, row[:m], boff[:m], seg_r[:m], dst[:m]
        idx = prel[boff + s] + seg_r
        e = row + j2[idx]
        e += frac[idx] >= thr[e]
        row = nxt[e]
        out[dst + s] = tok[e]


def _junk_events(
    out: np.ndarray, ft: FastTables, docs: _Docs, stream: _Stream, lay: _Layout, d: np.ndarray, ta: int, tb: int
) -> None:
    """Junk documents in steps ``[ta, tb)``: walk only the draws that leave the cycle, fill the rest."""
    ch = docs.ch[d] - ft.k
    nsteps = np.minimum(docs.ln[d], tb) - ta
    base = np.concatenate([[0], np.cumsum(nsteps)[:-1]]).astype(np.int64)
    walk = _Walk(ft, stream, lay, d, ch, base, nsteps, ta)
    walk.find_events(docs, tb)
    walk.start(docs.cur[d])
    walk.run()
    anchors_f, anchors_t, anchors_k = walk.anchor_arrays()
    fd = np.repeat(np.arange(len(d)), nsteps)
    step = np.arange(int(nsteps.sum()), dtype=np.int64) - base[fd] + ta
    mark = np.full(len(step), -1, dtype=np.int64)
    mark[anchors_f] = np.arange(len(anchors_f))
    np.maximum.accumulate(mark, out=mark)
    m = ft.cyc.shape[1]
    tokens = ft.cyc[ch[fd], (anchors_k[mark] + step - anchors_t[mark]) % m]
    if walk.off_f:
        tokens[np.array(walk.off_f, dtype=np.int64)] = np.array(walk.off_z, dtype=np.int64)
    out[docs.st[d][fd] + step] = tokens


class _Walk:
    """The sequential part of the junk tail: one iteration per event, vectorized over documents.

    A junk document on its cycle at position ``k`` moves to ``k + 1`` whenever the alias column of
    its draw is 0 (on-cycle rows share one alias row); any other column is an *event*, whose token
    depends on ``k``. Whether a draw is an event depends only on the draw, so events are found in
    the raw stream directly. A token off the cycle returns to it on the next draw, at a position
    that depends only on that draw. *Anchors* ``(step, k)`` mark where each run along the cycle
    starts; positions are flat indices ``base[doc] + step - ta``.
    """

    def __init__(self, ft: FastTables, stream: _Stream, lay: _Layout, d: np.ndarray, ch: np.ndarray,
                 base: np.ndarray, nsteps: np.ndarray, ta: int) -> None:
        self.ft, self.stream, self.lay, self.d, self.ch = ft, stream, lay, d, ch
        self.base, self.nsteps, self.ta = base, nsteps, ta
        self.at = np.empty(len(ch), dtype=np.int64)
        self.ak = np.empty(len(ch), dtype=np.int64)
        self.a_f: list[np.ndarray] = []
        self.a_t: list[np.ndarray] = []
        self.a_k: list[np.ndarray] = []
        self.off_f: list[int] = []
        self.off_z: list[int] = []
        self.ptr = np.empty(len(ch), dtype=np.int64)
        self.ev = np.empty(0, dtype=np.int64)
        self.ev_col = np.empty(0, dtype=np.int64)
        self.hi = np.empty(len(ch), dtype=np.int64)

    def _column(self, x: np.ndarray, j: np.ndarray, thr: np.ndarray, alias: np.ndarray) -> np.ndarray:
        return np.where(x < thr[j], j, alias[j])

    def find_events(self, docs: _Docs, tb: int) -> None:
        """Flat positions (sorted) and alias columns of the junk documents' event draws in the window."""
        lay, stream, ft = self.lay, self.stream, self.ft
        i0, i1 = self.ta - lay.t0, tb - lay.t0
        lo, hi = int(lay.prel[i0]), int(lay.prel[i1 - 1]) + docs.act[tb - 1]
        x, j = stream.x[lo:hi], stream.j2[lo:hi] >> 1
        col = self._column(x, j, ft.on_prob[0], ft.on_alias[0])
        cand = np.flatnonzero(col != 0) + lo
        si = np.searchsorted(lay.prel[i0:i1], cand, side="right") - 1 + i0
        rank = cand - lay.prel[si]
        local = np.full(docs.act[self.ta], -1, dtype=np.int64)
        local[self.d] = np.arange(len(self.d))
        act = np.asarray(docs.act[lay.t0 : tb], dtype=np.int64)
        ok = rank < act[si]
        li = np.full(len(cand), -1, dtype=np.int64)
        li[ok] = local[rank[ok]]
        ok &= li >= 0
        flat = self.base[li[ok]] + (si[ok] + lay.t0 - self.ta)
        o = np.argsort(flat)
        self.ev, self.ev_col = flat[o], col[cand[ok] - lo][o]
        self.hi = np.searchsorted(self.ev, self.base + self.nsteps)

    def _off_return(self, loc: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Cycle position reached from off the cycle by document ``loc``'s draw at step ``t``."""
        raw = self.lay.prel[t - self.lay.t0] + self.d[loc]
        x, j = self.stream.x[raw], self.stream.j2[raw] >> 1
        c = self.ch[loc]
        col = np.where(x < self.ft.off_prob[c, j], j, self.ft.off_alias[c, j])
        return self.ft.pos[c, self.ft.off_tok[c, col]]

    def start(self, last: np.ndarray) -> None:
        """Anchor every document at the token before the window (off the cycle: return on the first draw)."""
        k0 = self.ft.pos[self.ch, last]
        off = k0 < 0
        self.at[:] = self.ta - 1
        self.ak[:] = k0
        if off.any():
            loc = np.flatnonzero(off)
            self.ak[loc] = self._off_return(loc, np.full(len(loc), self.ta))
            self.at[loc] = self.ta
        self.ptr[:] = np.searchsorted(self.ev, self.base + off)
        self._record(np.arange(len(self.ch)), self.base)

    def _record(self, docs: np.ndarray, flat: np.ndarray) -> None:
        self.a_f.append(flat)
        self.a_t.append(self.at[docs].copy())
        self.a_k.append(self.ak[docs].copy())

    def run(self) -> None:
        """Walk the events of all documents in lock-step (a loop over event numbers, not documents)."""
        ft, m = self.ft, self.ft.cyc.shape[1]
        live = np.flatnonzero(self.ptr < self.hi)
        n_ev = len(self.ev)
        while live.size:  # one iteration per event number; documents run side by side
            p = self.ptr[live]
            f = self.ev[p]
            c = self.ch[live]
            te = f - self.base[live] + self.ta
            kprev = (self.ak[live] + (te - 1 - self.at[live])) % m
            z = ft.on_tok[c, kprev, self.ev_col[p]]
            kz = ft.pos[c, z]
            off = kz < 0
            last = te + 1 >= self.ta + self.nsteps[live]
            back = off & ~last
            new_t, new_k = te.copy(), kz
            if back.any():
                new_t[back] = te[back] + 1
                new_k[back] = self._off_return(live[back], te[back] + 1)
            if off.any():
                self.off_f.extend(f[off].tolist())
                self.off_z.extend(z[off].tolist())
            moved = ~(off & last)
            self.at[live[moved]], self.ak[live[moved]] = new_t[moved], new_k[moved]
            self._record(live[moved], f[moved] + back[moved])
            p1 = p + 1
            skip = back & (p1 < self.hi[live]) & (self.ev[np.minimum(p1, n_ev - 1)] == f + 1)
            self.ptr[live] = np.where(off & last, self.hi[live], p1 + skip)
            live = live[self.ptr[live] < self.hi[live]]

    def anchor_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Anchors sorted by flat position, the latest one kept where two share a position."""
        f, t, k = (np.concatenate(x) for x in (self.a_f, self.a_t, self.a_k))
        o = np.argsort(f, kind="stable")  # initial anchors come first, so later ones win below
        f, t, k = f[o], t[o], k[o]
        last = np.ones(len(f), dtype=bool)
        last[:-1] = f[1:] != f[:-1]
        return f[last], t[last], k[last]
