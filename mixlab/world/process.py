"""The token process: per-domain bigram chains and junk chains, with exact stationary laws and entropy rates.

See :mod:`mixlab.world` for the construction. :class:`MarkovProcess` holds the chains sparsely
(row supports and weights); dense matrices are built on demand. Everything a proxy model's loss
is compared against comes from here: :meth:`MarkovProcess.entropy_rate` (the irreducible loss)
and :meth:`MarkovProcess.cross_entropy` (the exact loss of any bigram model).

Used in: 1.3, 1.4 and 1.5 (proxy models, mixing-law constant term), 2.4 (irreducible loss), 3.4 and
3.6 (the floors of excess loss).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mixlab.text import word_table
from mixlab.validation import InvariantError, check_int, check_seed
from mixlab.world.sampler import _fill, _Tables
from mixlab.world.spec import MAX_LENGTH, MAX_TOKENS

if TYPE_CHECKING:
    from mixlab.world.spec import WorldSpec

__all__ = ["MarkovProcess"]


def _named_child(ss: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """A child seed keyed by a domain's *name*, so a domain's streams do not depend on the other domains."""
    return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 0x6D69786C, zlib.crc32(name.encode("utf-8"))))




def _sparse_rows(
    rng: np.random.Generator, preference: np.ndarray, k: int, alpha: float, floor: float, given: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Support (V, k) and weights (V, k) of a sparse random chain (see module docstring).

    ``given`` (V, g) holds support columns fixed in advance; the other ``k - g`` columns of each
    row are drawn without replacement with probability proportional to ``preference``
    (Gumbel top-k), avoiding the given ones.
    """
    v = len(preference)
    g = 0 if given is None else given.shape[1]
    support = np.empty((v, k), dtype=np.int64)
    keys = np.log(preference)[None, :] + rng.gumbel(size=(v, v))
    if given is not None:
        support[:, :g] = given
        keys[np.arange(v)[:, None], given] = -np.inf
    if k > g:
        support[:, g:] = np.argpartition(-keys, k - g - 1, axis=1)[:, : k - g]
    raw = rng.dirichlet(np.full(k, alpha), size=v)
    if not np.all(np.isfinite(raw)):
        raise InvariantError("Dirichlet draw produced non-finite weights (alpha too small?)")
    weights = (1.0 - floor) * raw + floor / k
    return support, weights


def _dense(support: np.ndarray, weights: np.ndarray, v: int, uniform: float = 0.0) -> np.ndarray:
    """Dense (V, V) matrix from sparse rows (repeated columns add up) plus ``uniform / V`` everywhere."""
    out = np.full((support.shape[0], v), uniform / v)
    rows = np.broadcast_to(np.arange(support.shape[0])[:, None], support.shape)
    np.add.at(out, (rows, support), weights)
    return out


def _stationary(p: np.ndarray, max_iter: int = 20_000) -> np.ndarray:
    """Stationary distribution of an irreducible aperiodic row-stochastic matrix, to float precision.

    Power iteration ``pi <- pi P`` until the update is below 1e-15 (the uniform part of every
    clean chain guarantees geometric convergence at rate <= 1 - u); a linear solve of
    ``pi (P - I) = 0, sum(pi) = 1`` is the fallback. Both are exact up to rounding (no simulation);
    the result is verified to be invariant.
    """
    v = p.shape[0]
    pi = np.full(v, 1.0 / v)
    for _ in range(max_iter):  # loop over iterations of a V-vector, not over documents
        new = pi @ p
        delta = float(np.abs(new - pi).max())
        pi = new
        if delta < 1e-15:
            break
    else:
        a = p.T - np.eye(v)
        a[-1, :] = 1.0
        b = np.zeros(v)
        b[-1] = 1.0
        pi = np.linalg.solve(a, b)
    if pi.min() <= 0 or not np.allclose(pi @ p, pi, atol=1e-12, rtol=1e-9):
        raise InvariantError(f"stationary distribution is not positive and invariant (min {pi.min():.3g})")
    return pi


@dataclass(frozen=True, eq=False)
class MarkovProcess:
    """The known token process of a world: per-domain bigram chains and junk chains.

    Chains are stored sparsely (row supports and weights); dense matrices are built on demand
    by :meth:`transition`. Build with :meth:`from_spec`.

    Attributes
    ----------
    domains : tuple of str
        Domain names in order.
    vocab_size : int
        ``V``.
    specificity : numpy.ndarray
        ``lambda_d`` per domain.
    uniform_mix : float
        ``u``: every clean chain is ``(1 - u) * sparse part + u / V``.
    support : numpy.ndarray
        (K, V, W) int64: row ``a`` of domain ``d``'s clean chain puts ``weights[d, a, j]`` on
        token ``support[d, a, j]`` (the shared chain's support, then the domain chain's) on top
        of the uniform part.
    weights : numpy.ndarray
        (K, V, W) float64, rows sum to ``1 - u``.
    junk_support, junk_weights : numpy.ndarray
        The same for the junk chains ``J_d``.
    junk_start : numpy.ndarray
        (K, C) int64: the cycle of each junk chain (junk documents start uniformly on it).
    stationary : numpy.ndarray
        (K, V) float64: ``pi_d``, the exact stationary distribution of ``P_d``.

    Used in: no lesson calls it by name.
    """

    domains: tuple[str, ...]
    vocab_size: int
    specificity: np.ndarray
    uniform_mix: float
    support: np.ndarray
    weights: np.ndarray
    junk_support: np.ndarray
    junk_weights: np.ndarray
    junk_start: np.ndarray
    stationary: np.ndarray

    @classmethod
    def from_spec(cls, spec: WorldSpec, seed: int | np.random.SeedSequence) -> MarkovProcess:
        """Draw the token process of ``spec`` (deterministic in ``seed``).

        Parameters
        ----------
        spec : WorldSpec
        seed : int or numpy.random.SeedSequence

        Returns
        -------
        MarkovProcess

        Used in: no lesson calls it by name.
        """
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(check_seed(seed))
        ps = spec.process
        v = spec.vocab_size
        k = len(spec.domains)
        words = word_table(v)
        nb = words.n_bytes.astype(np.float64)
        z = (nb - nb.mean()) / (nb.std() or 1.0)
        (shared_ss,) = ss.spawn(1)
        dom_ss = [_named_child(ss, d.name) for d in spec.domains]
        srng = np.random.default_rng(shared_ss)
        shared_pref = np.exp(ps.topic_sigma * srng.standard_normal(v))
        s_sup, s_w = _sparse_rows(srng, shared_pref, ps.shared_support, ps.shared_alpha, ps.floor, None)
        u = ps.uniform_mix
        ks, kd = ps.shared_support, ps.domain_support
        wj = ps.junk_cycle
        support = np.empty((k, v, ks + kd), dtype=np.int64)
        weights = np.empty((k, v, ks + kd))
        junk_support = np.zeros((k, v, wj), dtype=np.int64)
        junk_weights = np.zeros((k, v, wj))
        junk_start = np.empty((k, ps.junk_cycle), dtype=np.int64)
        stationary = np.empty((k, v))
        lam = np.array([d.specificity for d in spec.domains])
        for i, d in enumerate(spec.domains):  # loop over domains (a handful), not documents
            drng = np.random.default_rng(dom_ss[i])
            pref = np.exp(ps.topic_sigma * drng.standard_normal(v) + d.word_length_bias * z)
            pref /= pref.sum()
            # part of each domain row re-weights common continuations (columns of S's row)
            n_common = min(int(ps.domain_overlap * kd), ks)
            pick = np.argsort(drng.random((v, ks)), axis=1)[:, :n_common]
            common = np.take_along_axis(s_sup, pick, axis=1)
            d_sup, d_w = _sparse_rows(drng, pref, kd, ps.domain_alpha, ps.floor, common)
            support[i, :, :ks] = s_sup
            support[i, :, ks:] = d_sup
            weights[i, :, :ks] = (1.0 - u) * (1.0 - lam[i]) * s_w
            weights[i, :, ks:] = (1.0 - u) * lam[i] * d_w
            # junk: a cycle over the domain's favourite tokens, left with probability junk_noise
            cycle = drng.choice(v, size=ps.junk_cycle, replace=False, p=pref)
            junk_start[i] = cycle
            junk_support[i, :, :] = cycle[None, :]  # off the cycle: jump back onto it
            junk_weights[i, :, :] = 1.0 / wj
            nxt = np.roll(cycle, -1)
            noise_tokens = drng.choice(v, size=(ps.junk_cycle, wj - 1), p=pref)
            junk_support[i, cycle, 0] = nxt
            junk_support[i, cycle, 1:] = noise_tokens
            junk_weights[i, cycle, 0] = 1.0 - ps.junk_noise
            junk_weights[i, cycle, 1:] = ps.junk_noise / (wj - 1)
            stationary[i] = _stationary(_dense(support[i], weights[i], v, u))
        for arr in (lam, support, weights, junk_support, junk_weights, junk_start, stationary):
            arr.setflags(write=False)  # the ground truth is immutable
        return cls(
            tuple(spec.domain_names), v, lam, u, support, weights, junk_support, junk_weights, junk_start, stationary
        )

    # ---------------------------------------------------------------- lookups
    def _index(self, domain: str | int) -> int:
        if isinstance(domain, str):
            if domain not in self.domains:
                raise KeyError(f"unknown domain {domain!r} (known: {', '.join(self.domains)})")
            return self.domains.index(domain)
        return check_int(domain, "domain", minimum=0, maximum=len(self.domains) - 1)

    def transition(self, domain: str | int) -> np.ndarray:
        """Dense ``P_d`` (V x V, row-stochastic) of a domain's clean chain.

        Used in: no lesson calls it by name.
        """
        i = self._index(domain)
        return _dense(self.support[i], self.weights[i], self.vocab_size, self.uniform_mix)

    def junk_transition(self, domain: str | int) -> np.ndarray:
        """Dense ``J_d`` (V x V) of a domain's junk chain.

        Used in: no lesson calls it by name.
        """
        i = self._index(domain)
        return _dense(self.junk_support[i], self.junk_weights[i], self.vocab_size)

    def stationary_distribution(self, domain: str | int) -> np.ndarray:
        """``pi_d`` (length V), with ``pi_d P_d = pi_d`` (a copy).

        Used in: no lesson calls it by name.
        """
        return self.stationary[self._index(domain)].copy()

    def entropy_rate(self) -> pd.Series:
        """Exact entropy rate ``H_d`` of every domain's clean chain, in nats/token.

        ``H_d = - sum_a pi_d(a) sum_b P_d(a, b) log P_d(a, b)``: the expected loss of the true
        bigram model on a clean document (per predicted token), i.e. the irreducible loss, the
        floor under every proxy's validation loss.

        Returns
        -------
        pandas.Series
            Index = domains (name ``domain``), name ``entropy_rate``.

        Used in: 1.3, 1.4, 1.5 (the constant term of a mixing law), 2.4 (the irreducible loss), 3.4, 3.6
        (the floors of excess loss).
        """
        cached = self.__dict__.get("_entropy_rate")
        if cached is None:  # the process is immutable, so compute once (proxies ask on every run)
            vals = [self.cross_entropy(d, self.transition(d)) for d in self.domains]
            cached = pd.Series(vals, index=pd.Index(self.domains, name="domain"), name="entropy_rate")
            object.__setattr__(self, "_entropy_rate", cached)
        return cached.copy()

    def cross_entropy(self, domain: str | int, q: np.ndarray) -> float:
        """Exact expected loss of a bigram model ``Q`` on domain ``d``'s clean data.

        ``- sum_a pi_d(a) sum_b P_d(a, b) log Q(a, b)`` in nats/token (``inf`` if ``Q`` gives zero
        probability to a transition that ``P_d`` can make).

        Parameters
        ----------
        domain : str or int
        q : numpy.ndarray
            (V, V) row-stochastic matrix (rows must sum to 1 within 1e-6; nothing is normalized).

        Returns
        -------
        float

        Raises
        ------
        ValueError
            If ``q`` has the wrong shape, negative or non-finite entries, or rows not summing to 1.

        Used in: no lesson calls it by name.
        """
        i = self._index(domain)
        v = self.vocab_size
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (v, v):
            raise ValueError(f"q must have shape ({v}, {v}) (got {q.shape})")
        if not np.all(np.isfinite(q)) or q.min() < 0:
            raise ValueError("q must be finite and >= 0")
        sums = q.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if bad.size:
            raise ValueError(f"q rows must sum to 1 (row {bad[0]} sums to {sums[bad[0]]:.6g}; {bad.size} rows off)")
        p = self.transition(i)
        with np.errstate(divide="ignore"):
            logq = np.log(q)
        return float(-(self.stationary[i][:, None] * p * logq).sum())

    def cross_entropy_matrix(self) -> pd.DataFrame:
        """Loss of domain ``j``'s true chain (columns) on domain ``i``'s data (rows), nats/token.

        The diagonal is the entropy rate; off-diagonal excess shows how much the domains overlap.

        Used in: no lesson calls it by name.
        """
        mats = [self.transition(d) for d in self.domains]
        data = [[self.cross_entropy(di, mats[j]) for j in range(len(mats))] for di in self.domains]
        idx = pd.Index(self.domains, name="data")
        return pd.DataFrame(data, index=idx, columns=pd.Index(self.domains, name="model"))

    def sample(self, domain: str | int, n_docs: int, length: int, seed: int, *, junk: bool = False) -> np.ndarray:
        """Draw ``n_docs`` independent sequences of ``length`` tokens from a domain's chain.

        Clean sequences start from ``pi_d``; junk sequences start uniformly on the junk cycle.

        Parameters
        ----------
        domain : str or int
            Domain name or index.
        n_docs, length : int
            Number of sequences and tokens per sequence (``n_docs x length <= MAX_TOKENS``).
        seed : int
            Seed of the draw.
        junk : bool
            Sample the junk chain instead of the clean one.

        Returns
        -------
        numpy.ndarray
            (n_docs, length) int32.

        Raises
        ------
        ValueError, TypeError
            For a bad seed or sizes, and for ``n_docs x length`` above the token limit (checked
            before anything is allocated).

        Used in: no lesson calls it by name.
        """
        i = self._index(domain)
        n_docs = check_int(n_docs, "n_docs", minimum=1, maximum=MAX_TOKENS)
        length = check_int(length, "length", minimum=1, maximum=MAX_LENGTH)
        if n_docs * length > MAX_TOKENS:
            raise ValueError(
                f"n_docs x length must be <= {MAX_TOKENS:,} tokens (the limit for a 24 GiB, 2-core machine; "
                f"got {n_docs:,} x {length:,} = {n_docs * length:,})"
            )
        rng = np.random.default_rng(check_seed(seed))
        tables = _Tables.build(self)
        table_id = np.full(n_docs, (len(self.domains) + i) if junk else i, dtype=np.int64)
        lengths = np.full(n_docs, length, dtype=np.int64)
        starts = np.arange(n_docs, dtype=np.int64) * length
        out = np.empty(n_docs * length, dtype=np.int32)
        first = self._first_tokens(rng, table_id)
        _fill(out, tables, table_id, first, lengths, starts, rng)
        return out.reshape(n_docs, length)

    def _first_tokens(self, rng: np.random.Generator, table_id: np.ndarray) -> np.ndarray:
        """First token of each document: ``pi_d`` for clean tables, uniform on the cycle for junk."""
        k = len(self.domains)
        u = rng.random(len(table_id))
        first = np.empty(len(table_id), dtype=np.int64)
        for t in range(2 * k):  # loop over chains, not documents
            sel = table_id == t
            if not sel.any():
                continue
            if t < k:
                cdf = np.cumsum(self.stationary[t])
                first[sel] = np.minimum(np.searchsorted(cdf, u[sel] * cdf[-1], side="right"), self.vocab_size - 1)
            else:
                cyc = self.junk_start[t - k]
                first[sel] = cyc[(u[sel] * len(cyc)).astype(np.int64)]
        return first

    def __repr__(self) -> str:
        return f"MarkovProcess(vocab {self.vocab_size}, domains {', '.join(self.domains)})"

