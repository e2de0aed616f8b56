"""The proxy model: a bigram language model trained by counting, its configuration, and held-out counts.

The model family is a bigram language model with two knobs that make "proxy vs target" concrete:

- **capacity**: the previous token is hashed into ``buckets`` context classes before the next
  token is predicted. ``buckets = vocab_size`` is a full bigram model; fewer buckets merge
  contexts, so the model cannot represent every domain's transitions at once.
- **budget**: the number of training tokens drawn from the mixture (:class:`ProxyConfig`; the
  drawing and training are in :mod:`mixlab.proxy.runs`).

Estimates use add-``k`` (Lidstone) smoothing, ``Q(b | c) = (n(c, b) + k) / (n(c) + k V)``. Loss is
the mean negative log-likelihood (nats/token) of each next token given its predecessor, over
the transitions inside each domain's held-out validation documents; each domain's *entropy
rate* is the floor under it (:meth:`mixlab.world.MarkovProcess.entropy_rate`).

Used in: 1.4 (proxy vs target), 2.4 (validation transitions); every proxy run trains one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from mixlab.corpus import Corpus
from mixlab.validation import check_finite_array, check_int, check_positive, check_seed

__all__ = [
    "transitions",
    "TransitionCounts",
    "validation_transitions",
    "BigramLM",
    "ProxyConfig",
    "PROXY",
    "TARGET",
]


def transitions(tokens: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the (previous, next) token pairs inside documents laid out back to back.

    Parameters
    ----------
    tokens : numpy.ndarray
        Documents' tokens back to back.
    offsets : numpy.ndarray
        int64 array of length ``n_docs + 1``; document j is ``tokens[offsets[j]:offsets[j+1]]``.

    Returns
    -------
    prev, nxt : numpy.ndarray
        Equal-length arrays; pairs that would cross a document boundary are left out, so a
        document of ``n`` tokens contributes ``n - 1`` pairs.

    Used in: no lesson by name; :func:`validation_transitions` and every proxy run's training
    count with it (what "training on the sampled tokens" means for a bigram model).
    """
    tokens = np.asarray(tokens)
    offsets = np.asarray(offsets, dtype=np.int64)
    if tokens.size < 2:
        empty = np.zeros(0, dtype=tokens.dtype)
        return empty, empty
    keep = np.ones(tokens.size - 1, dtype=bool)
    # a pair (p, p+1) is invalid when p+1 starts a document
    starts = offsets[1:-1]
    keep[starts[(starts >= 1) & (starts <= tokens.size - 1)] - 1] = False
    return tokens[:-1][keep], tokens[1:][keep]


@dataclass(frozen=True)
class TransitionCounts:
    """Aggregated (domain, previous, next) transition counts of a corpus.

    Held-out sets are evaluated many times (once per proxy run), so their transitions are
    aggregated once: each distinct (domain, prev, next) triple with its count.

    Attributes
    ----------
    domains : tuple of str
    domain : numpy.ndarray
        Domain index of each distinct triple.
    prev, nxt : numpy.ndarray
        Token ids of each distinct triple.
    count : numpy.ndarray
        How often the triple occurs (float64).

    Used in: no lesson by name (:func:`validation_transitions` returns it).
    """

    domains: tuple[str, ...]
    domain: np.ndarray
    prev: np.ndarray
    nxt: np.ndarray
    count: np.ndarray

    @property
    def per_domain(self) -> pd.Series:
        """Number of transitions per domain."""
        c = np.bincount(self.domain, weights=self.count, minlength=len(self.domains))
        return pd.Series(c, index=pd.Index(self.domains, name="domain"), name="transitions")


def validation_transitions(corpus: Corpus) -> TransitionCounts:
    """Aggregate the within-document transitions of ``corpus`` by domain.

    Parameters
    ----------
    corpus : Corpus
        Usually ``world.validation``.

    Returns
    -------
    TransitionCounts

    Raises
    ------
    ValueError
        If some domain has no transition to evaluate on (every domain needs at least one
        document of two or more tokens).

    Used in: 2.4.
    """
    toks, offsets = corpus.concatenated_tokens()
    lens = np.diff(offsets)
    doc_dom = corpus.domain_codes()
    prev, nxt = transitions(toks, offsets)
    pair_dom = np.repeat(doc_dom, np.maximum(lens - 1, 0))
    v = np.int64(corpus.vocab_size)
    code = (pair_dom.astype(np.int64) * v + prev.astype(np.int64)) * v + nxt.astype(np.int64)
    uniq, cnt = np.unique(code, return_counts=True)
    tc = TransitionCounts(
        domains=corpus.domains,
        domain=(uniq // (v * v)).astype(np.int64),
        prev=((uniq // v) % v).astype(np.int64),
        nxt=(uniq % v).astype(np.int64),
        count=cnt.astype(np.float64),
    )
    empty = [d for d, n in tc.per_domain.items() if n == 0]
    if empty:
        raise ValueError(f"every domain needs validation transitions; none for: {', '.join(map(str, empty))}")
    return tc


_BUCKET_CELLS: dict[tuple[int, bytes], np.ndarray] = {}


def _bucket_cells(context_map: np.ndarray, v: int) -> np.ndarray:
    """``context_map[a] * V + b`` for every transition code ``a * V + b``, cached by the map's contents.

    A read-only int64 table of ``V * V`` entries (2 MB for V = 512; int64 is what ``bincount``
    counts in); the few most recent maps are kept.
    """
    key = (v, context_map.tobytes())
    table = _BUCKET_CELLS.get(key)
    if table is None:
        table = (context_map.astype(np.int64)[:, None] * v + np.arange(v, dtype=np.int64)).ravel()
        table.setflags(write=False)
        if len(_BUCKET_CELLS) >= 8:
            del _BUCKET_CELLS[next(iter(_BUCKET_CELLS))]
        _BUCKET_CELLS[key] = table
    return table


def _pairwise_rows(rows: np.ndarray) -> np.ndarray:
    """Sum over axis 0 in numpy's pairwise order (``pairwise_sum`` of ``loops_utils.h``), row-vectorized."""
    n = len(rows)
    if n < 8:
        res = rows[0].copy()
        for i in range(1, n):
            res += rows[i]
        return res
    if n <= 128:
        r = rows[:8].copy()
        m = n - n % 8
        for i in range(8, m, 8):
            r += rows[i : i + 8]
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(m, n):
            res += rows[i]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_rows(rows[:half]) + _pairwise_rows(rows[half:])


def _sum_rows_by_bucket(full: np.ndarray, context_map: np.ndarray, buckets: int) -> np.ndarray:
    """``np.add.reduceat`` of the rows of ``full`` sorted by bucket, bit for bit, without its slow strided loop.

    reduceat copies a bucket's first row and adds the pairwise sum of the others; buckets of
    equal size are done together (a balanced map has at most two sizes).
    """
    order = np.argsort(context_map, kind="stable")
    first = np.searchsorted(context_map[order], np.arange(buckets))
    sizes = np.diff(np.r_[first, len(context_map)])
    if sizes.min() < 1:  # an empty bucket: keep reduceat's own convention for it
        return np.add.reduceat(full[order], first, axis=0)
    out = np.empty((buckets, full.shape[1]), dtype=full.dtype)
    for size in np.unique(sizes).tolist():
        group = np.flatnonzero(sizes == size)
        rows = full[order[first[group][None, :] + np.arange(size)[:, None]]]  # (size, group, V)
        out[group] = rows[0] if size == 1 else rows[0] + _pairwise_rows(rows[1:])
    return out


class BigramLM:
    """A bigram language model with hashed contexts and add-k smoothing, trained by counting.

    Parameters
    ----------
    vocab_size : int
        Number of token ids V.
    buckets : int, optional
        Number of context classes (capacity knob). ``None`` or ``vocab_size`` means one class
        per previous token (a full bigram model). Fewer buckets merge previous tokens by a
        fixed seeded random map.
    smoothing : float
        Add-k constant ``k > 0``.
    seed : int
        Seeds the context hash map (only used when ``buckets < vocab_size``).

    Raises
    ------
    ValueError, TypeError
        On a non-positive vocabulary, bucket count outside ``[1, vocab_size]``, or
        non-positive smoothing.

    Used in: no lesson by name (every proxy run trains one).
    """

    def __init__(self, vocab_size: int, buckets: int | None = None, smoothing: float = 0.05, seed: int = 0) -> None:
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
        self.buckets = self.vocab_size if buckets is None else check_int(buckets, "buckets", minimum=1)
        if self.buckets > self.vocab_size:
            raise ValueError(f"buckets must be <= vocab_size={self.vocab_size} (got {self.buckets})")
        self.smoothing = check_positive(smoothing, "smoothing")
        self.seed = check_seed(seed)
        if self.buckets == self.vocab_size:
            self.context_map = np.arange(self.vocab_size, dtype=np.int64)
        else:
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0x6D6978]))
            # a balanced random assignment: every bucket gets floor or ceil of V / buckets tokens
            self.context_map = rng.permutation(np.arange(self.vocab_size, dtype=np.int64) % self.buckets)
        self.counts = np.zeros((self.buckets, self.vocab_size), dtype=np.float64)
        self._log_probs: np.ndarray | None = None

    # ------------------------------------------------------------------ training
    def partial_fit(self, prev: np.ndarray, nxt: np.ndarray, weights: np.ndarray | float | None = None) -> BigramLM:
        """Add the transitions ``prev → nxt`` to the counts (optionally weighted).

        Parameters
        ----------
        prev, nxt : numpy.ndarray
            Token ids of equal length, in ``[0, vocab_size)``.
        weights : float or numpy.ndarray, optional
            Per-transition weight (>= 0). DoReMi-style reweighted training uses this.

        Returns
        -------
        BigramLM
            ``self``.
        """
        prev = np.asarray(prev)
        nxt = np.asarray(nxt)
        if prev.shape != nxt.shape or prev.ndim != 1:
            raise ValueError(f"prev and nxt must be 1-d arrays of equal length (got {prev.shape} and {nxt.shape})")
        if prev.size and (min(prev.min(), nxt.min()) < 0 or max(prev.max(), nxt.max()) >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size})")
        w: np.ndarray | None = None
        if weights is not None:
            w = np.broadcast_to(
                check_finite_array(np.atleast_1d(weights), "weights", nonnegative=True), prev.shape
            ).astype(np.float64)
        return self._add_pairs(prev, nxt, w)

    def _add_pairs(self, prev: np.ndarray, nxt: np.ndarray, w: np.ndarray | None) -> BigramLM:
        """Add validated transitions to the counts."""
        return self._add_codes(prev.astype(np.int64) * self.vocab_size + nxt, w)

    def _add_codes(self, code: np.ndarray, w: np.ndarray | None) -> BigramLM:
        """Add validated transitions given as ``prev * V + next`` codes (one ``bincount``, no token loop).

        Unweighted, each code is mapped to its (bucket, next) cell through a cached table and
        counted there (integer counts, so exact). Weighted, the counts are taken per previous
        *token* and then summed into the buckets, each bucket's rows added one after another in
        token order (the summation order the weighted results were always computed in).
        """
        v = self.vocab_size
        if w is None and self.buckets != v:
            # unweighted counts are integers, so counting straight into (bucket, next) cells gives
            # exactly the per-token counts summed by bucket, without the V x V intermediate
            cells = np.take(_bucket_cells(self.context_map, v), code)
            self.counts += np.bincount(cells, minlength=self.buckets * v).reshape(self.buckets, v)
            self._log_probs = None
            return self
        full = np.bincount(code, weights=w, minlength=v * v).reshape(v, v)
        if self.buckets == v:
            self.counts += full
        else:
            self.counts += _sum_rows_by_bucket(full, self.context_map, self.buckets)
        self._log_probs = None
        return self

    @property
    def log_probs(self) -> np.ndarray:
        """``log Q(next | bucket)`` as a (buckets, V) array (cached until the counts change)."""
        if self._log_probs is None:
            num = self.counts + self.smoothing
            self._log_probs = np.log(num) - np.log(num.sum(axis=1, keepdims=True))
        return self._log_probs

    def transition_matrix(self) -> np.ndarray:
        """The model's full ``V × V`` next-token distribution ``Q(b | a)`` (rows sum to 1)."""
        return np.exp(self.log_probs[self.context_map])

    # ------------------------------------------------------------------ evaluation
    def token_losses(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        """Negative log-likelihood (nats) of each transition ``prev → nxt``."""
        return -self.log_probs[self.context_map[np.asarray(prev)], np.asarray(nxt)]

    def evaluate(self, held_out: TransitionCounts) -> pd.Series:
        """Mean loss per domain (nats/token) on aggregated held-out transitions.

        Parameters
        ----------
        held_out : TransitionCounts
            From :func:`validation_transitions`.

        Returns
        -------
        pandas.Series
            Index = domains, name ``"loss"``.
        """
        nll = self.token_losses(held_out.prev, held_out.nxt) * held_out.count
        total = np.bincount(held_out.domain, weights=nll, minlength=len(held_out.domains))
        n = np.bincount(held_out.domain, weights=held_out.count, minlength=len(held_out.domains))
        return pd.Series(total / n, index=pd.Index(held_out.domains, name="domain"), name="loss")

    def n_parameters(self) -> int:
        """Number of free parameters of the conditional table: ``buckets × (V − 1)``."""
        return self.buckets * (self.vocab_size - 1)

    def __repr__(self) -> str:
        return (
            f"BigramLM(V={self.vocab_size}, buckets={self.buckets}, smoothing={self.smoothing:g}, "
            f"trained on {self.counts.sum():,.0f} transitions)"
        )


@dataclass(frozen=True)
class ProxyConfig:
    """How a proxy (or target) model is built and trained.

    Parameters
    ----------
    budget : int
        Training tokens drawn from the mixture (budget knob).
    buckets : int or None
        Context classes (capacity knob); ``None`` = full bigram.
    smoothing : float
        Add-k constant.
    name : str
        Label used in tables and plots.

    Used in: 1.4 (proxy vs target).
    """

    budget: int
    buckets: int | None = None
    smoothing: float = 0.05
    name: str = "proxy"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_int(self.budget, "budget", minimum=1)
        if self.buckets is not None:
            check_int(self.buckets, "buckets", minimum=1)
        check_positive(self.smoothing, "smoothing")

    def with_(self, **changes: Any) -> ProxyConfig:
        """A copy with some fields changed (e.g. ``PROXY.with_(budget=50_000)``)."""
        return replace(self, **changes)

    def build(self, vocab_size: int, seed: int = 0) -> BigramLM:
        """An untrained model for this configuration."""
        buckets = None if self.buckets is None else min(self.buckets, vocab_size)
        return BigramLM(vocab_size, buckets=buckets, smoothing=self.smoothing, seed=seed)


#: The course's default small proxy: a quarter of the target's contexts (128 hashed buckets) and
#: 30 % of its tokens, i.e. 7.5 % of its compute (tokens x parameters). Chosen on the ``default``
#: world (seed 0) so that it ranks 40 Dirichlet mixtures like the target (Spearman rho 0.86-0.94
#: for the uniform objective, 0.94-0.97 worst-case, over three candidate sets) while staying
#: clearly further from the entropy floor (mean excess ~1.70 vs ~0.84 nats/token at the
#: proportional mixture). A 16-bucket, 10k-token proxy ranks them at rho -0.2-0.5 (misleads).
PROXY = ProxyConfig(budget=300_000, buckets=128, name="proxy")
#: The course's default "target": full bigram capacity, trained on 1M tokens. Smoothing stays at
#: 0.05, the measured optimum for the target (0.02-0.1 change its loss by < 0.01 nats/token).
TARGET = ProxyConfig(budget=1_000_000, buckets=None, name="target")
