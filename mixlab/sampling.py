"""Sampling plans: per-document probabilities, seeded draws with epoch accounting, blended indices.

A mixture says how much of each domain to draw; a sampling plan says *which* documents, in
*what order*. This module turns a :class:`~mixlab.mixture.Mixture` into

* per-document probabilities (token-weighted ``p(x) = w_{d(x)} t_x / T_{d(x)}`` or
  document-weighted ``p(x) = w^doc_{d(x)} / N_{d(x)}``),
* seeded i.i.d. draws with or without replacement (:func:`sample_documents`) and budget-driven
  draws that repeat data in whole shuffled epochs (:func:`sample_budget`), with epoch accounting,
* a deterministic low-discrepancy interleaving of sources (:func:`blended_index`) whose every
  prefix stays close to the target shares, and a realized-vs-target checker.

Used in: 2.3 (sampling distribution), 3.1; the proxy models and the build draw through it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.corpus import Corpus, CorpusArrays
from mixlab.mixture import Mixture
from mixlab.validation import (
    InvariantError,
    check_at_most,
    check_finite_array,
    check_flag,
    check_int,
    check_named_values,
    check_positive,
    check_seed,
    format_masked,
    format_values,
)

__all__ = [
    "SampleResult",
    "document_probabilities",
    "draw_documents",
    "sample_documents",
    "sample_budget",
    "blended_index",
    "blended_index_reference",
    "blended_index_bound",
    "max_prefix_deviation",
    "prefix_deviation",
    "realized_mixture",
    "check_realized",
    "MAX_DRAWS",
    "MAX_BLEND_SAMPLES",
]

WeightsLike = Mixture | pd.Series | Mapping[str, float] | npt.ArrayLike
"""Shares on the simplex: a Mixture, a Series or mapping keyed by domain, or an array in source order."""

#: Most documents one sampling call draws (``n`` of :func:`sample_documents`/:func:`draw_documents`,
#: the draws a :func:`sample_budget` budget implies). Each draw costs about 40-50 bytes of row
#: indices, keys and accounting, so a call stays under ~5 GB: a fifth of a 24 GiB, 2-core machine.
MAX_DRAWS: int = 100_000_000

#: Longest blended index one call builds (:func:`blended_index`, :func:`blended_index_reference`).
#: About 13 bytes per sample (event times, sort workspace, source ids): at most ~6.5 GB.
MAX_BLEND_SAMPLES: int = 500_000_000


# ---------------------------------------------------------------------------- helpers
def _aligned_weights(mixture: Mixture, domains: Sequence[str], where: str) -> np.ndarray:
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a mixlab Mixture (got {type(mixture).__name__})")
    if set(mixture.domains) != set(domains):
        raise ValueError(
            f"mixture domains ({', '.join(mixture.domains)}) must be exactly the {where} domains ({', '.join(domains)})"
        )
    return mixture.as_array(list(domains))


def _check_corpus(corpus: object) -> None:
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a mixlab Corpus (got {type(corpus).__name__})")


def _check_support(w: np.ndarray, n_docs: np.ndarray, domains: Sequence[str]) -> None:
    bad = (w > 0) & (n_docs <= 0)
    if bad.any():
        raise ValueError("domains with positive weight have no documents to sample: " + format_masked(domains, w, bad))


def _plain_weights(weights: WeightsLike, name: str = "weights") -> np.ndarray:
    """Weights from a Mixture, Series, mapping or array, checked on the simplex (atol 1e-9)."""
    if isinstance(weights, Mixture):
        return weights.as_array()
    if isinstance(weights, pd.Series):
        weights = weights.to_numpy()
    elif isinstance(weights, Mapping):
        weights = list(weights.values())
    w = check_finite_array(weights, name, ndim=None, nonnegative=True)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence (got shape {w.shape})")
    if abs(w.sum() - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1 within 1e-09 (got {w.sum():.12g}: {w.tolist()})")
    return w


# ---------------------------------------------------------------------------- probabilities
def document_probabilities(corpus_or_counts: Corpus | pd.DataFrame, mixture: Mixture) -> np.ndarray | pd.Series:
    """Probability of drawing each document in one draw under ``mixture``.

    Token-kind mixtures give ``p(x) = w_{d(x)} · t_x / T_{d(x)}``: the probability that a random
    training *token* (or the start of a fixed-length window) lies in ``x``, the right law when a
    draw takes a token or a window. It is *not* the law for drawing whole documents (that counts
    length twice; see :func:`sample_documents`). Document-kind mixtures give
    ``p(x) = w^doc_{d(x)} / N_{d(x)}`` (uniform within a domain), the law of whole-document draws.

    Parameters
    ----------
    corpus_or_counts : Corpus or counts DataFrame
        A corpus (one probability per row) or a counts table (columns ``docs``, ``tokens``; then
        the result is the probability of one document *of mean length* per domain, which is
        ``w_i / N_i`` under both kinds).
    mixture : Mixture
        Over exactly the corpus' domains.

    Returns
    -------
    numpy.ndarray (corpus) or pandas.Series (counts)
        Probabilities summing to 1 over all documents.

    Raises
    ------
    ValueError
        Domain mismatch, or a domain with positive weight and no documents (or no tokens).

    Used in: 2.3, 3.1 (each document's probability under uniform by document).
    """
    if isinstance(corpus_or_counts, Corpus):
        corpus = corpus_or_counts
        w = _aligned_weights(mixture, corpus.domains, "corpus")
        codes = corpus.domain_codes()
        N = corpus.doc_counts().to_numpy().astype(np.float64)
        _check_support(w, N, corpus.domains)
        if mixture.kind == "token":
            T = corpus.token_counts().to_numpy().astype(np.float64)
            per_token = np.divide(w, T, out=np.zeros_like(w), where=T > 0)
            return per_token[codes] * corpus.docs["n_tokens"].to_numpy()
        per_doc = np.divide(w, N, out=np.zeros_like(w), where=N > 0)
        return per_doc[codes]
    if isinstance(corpus_or_counts, pd.DataFrame):
        from mixlab.validation import check_counts

        c = check_counts(corpus_or_counts)
        w = _aligned_weights(mixture, list(c.index), "counts")
        N = c["docs"].to_numpy()
        _check_support(w, N, list(c.index))
        p = np.divide(w, N, out=np.zeros_like(w), where=N > 0)
        return pd.Series(p, index=c.index, name="p_mean_length_document")
    raise TypeError(f"corpus_or_counts must be a Corpus or a counts DataFrame (got {type(corpus_or_counts).__name__})")


# ---------------------------------------------------------------------------- sampling with epoch accounting
@dataclass(frozen=True)
class SampleResult:
    """Rows drawn from a corpus with per-document and per-domain accounting.

    Attributes
    ----------
    rows : numpy.ndarray
        int64 row positions into ``corpus.docs``, in draw order.
    times_drawn : numpy.ndarray
        int64, one entry per corpus row: how many times it was drawn.
    per_domain : pandas.DataFrame
        Index = domains; columns ``target_weight``, ``docs_drawn``, ``unique_docs``,
        ``tokens_drawn``, ``domain_tokens`` (T_d), ``epochs`` (tokens drawn / T_d) and
        ``realized_weight`` (share of tokens, or of documents for a document-kind mixture).
    method : str
        ``"iid_with_replacement"``, ``"without_replacement"`` or ``"budget_epochs"``.
    seed : int

    Used in: internal (what every sampler returns).
    """

    rows: np.ndarray
    times_drawn: np.ndarray
    per_domain: pd.DataFrame
    method: str
    seed: int

    @property
    def n_tokens(self) -> int:
        """Total tokens drawn."""
        return int(self.per_domain["tokens_drawn"].sum())


def _accounting(corpus: Corpus, rows: np.ndarray, mixture: Mixture | None, method: str, seed: int,
                arrays: CorpusArrays | None = None) -> SampleResult:
    k = len(corpus.domains)
    codes, lengths, _, token_counts = corpus.arrays() if arrays is None else arrays
    T = token_counts.astype(np.float64)
    times = np.bincount(rows, minlength=len(corpus)).astype(np.int64)
    drawn_codes = codes[rows]
    docs_drawn = np.bincount(drawn_codes, minlength=k)
    unique = np.bincount(codes, weights=(times > 0).astype(np.float64), minlength=k).astype(np.int64)
    tok = np.bincount(drawn_codes, weights=lengths[rows].astype(np.float64), minlength=k)
    ep = np.divide(tok, T, out=np.zeros_like(tok), where=T > 0)
    basis = tok if mixture is None or mixture.kind == "token" else docs_drawn.astype(np.float64)
    realized = basis / basis.sum() if basis.sum() > 0 else np.zeros(k)
    table = pd.DataFrame(
        {
            "target_weight": mixture.as_array(list(corpus.domains)) if mixture is not None else np.full(k, np.nan),
            "docs_drawn": docs_drawn.astype(np.int64),
            "unique_docs": unique,
            "tokens_drawn": tok.astype(np.int64),
            "domain_tokens": T.astype(np.int64),
            "epochs": ep,
            "realized_weight": realized,
        },
        index=pd.Index(corpus.domains, name="domain"),
    )
    return SampleResult(rows=rows.astype(np.int64), times_drawn=times, per_domain=table, method=method, seed=seed)


def draw_documents(
    corpus: Corpus,
    probabilities: npt.ArrayLike,
    n: int,
    seed: int,
    replace: bool = True,
    *,
    target: Mixture | None = None,
) -> SampleResult:
    """Draw ``n`` whole documents i.i.d. from explicit per-document probabilities, with accounting.

    With replacement every draw is independent with probability ``p(x)``. Without replacement
    the draws are *successive sampling*: each draw picks among the not-yet-drawn documents with
    probability proportional to ``p(x)``, implemented exactly with Efraimidis–Spirakis keys
    (Efraimidis & Spirakis 2006, "Weighted random sampling with a reservoir"): key
    ``log(U_x) / p(x)`` with ``U_x ~ Uniform(0, 1)``; the ``n`` largest keys in decreasing order
    are the draws. Inclusion probabilities are then *not* ``n p(x)``: heavy documents saturate at
    1, so the realized mixture drifts toward uniform as ``n`` grows.

    Parameters
    ----------
    corpus : Corpus
    probabilities : array-like
        One probability per corpus row, ``>= 0``, summing to 1 within 1e-9 (nothing is normalized).
    n : int
        Number of draws, >= 1.
    seed : int
        Non-negative seed (``numpy.random.default_rng(SeedSequence(seed))``).
    replace : bool
        With (default) or without replacement.
    target : Mixture, optional
        Recorded in the accounting table's ``target_weight`` column; its kind decides whether
        ``realized_weight`` counts tokens (token kind, or no target) or documents.

    Returns
    -------
    SampleResult

    Raises
    ------
    ValueError
        ``n < 1``; probabilities of the wrong length, negative, non-finite or not summing to 1;
        without replacement, ``n`` larger than the number of documents with ``p > 0``.

    Used in: 2.3 (the size-biased trap: drawing whole documents from the token-position law).
    """
    _check_corpus(corpus)
    p = check_finite_array(probabilities, "probabilities", nonnegative=True)
    if p.shape != (len(corpus),):
        raise ValueError(f"probabilities must have one entry per document ({len(corpus)}; got shape {p.shape})")
    if abs(p.sum() - 1.0) > 1e-9:
        raise ValueError(f"probabilities must sum to 1 within 1e-09 (got {p.sum():.12g})")
    return _draw(corpus, p, n, seed, replace, target)


def sample_documents(corpus: Corpus, mixture: Mixture, n: int, seed: int, replace: bool = True) -> SampleResult:
    """Draw ``n`` whole documents i.i.d. under a **document-kind** mixture, seeded, with accounting.

    Each draw picks domain ``d`` with probability ``w^doc_d`` and a document uniformly inside it
    (``p_doc(x) = w^doc_d / N_d``), see :func:`draw_documents` for replacement semantics.

    A token-kind mixture is refused on purpose. Its per-document law
    ``p_tok(x) = w_d t_x / T_d`` is the probability that a random training *token* lies in ``x``;
    drawing whole documents from it counts length twice (size-biased: domain ``d`` delivers
    ``Σ t_x² / T_d`` tokens per draw instead of ``t̄_d``), so the token shares would miss the
    target. To realize token weights with whole documents, draw with the document-weight
    equivalent ``mixture.to_documents(counts)`` (``w^doc ∝ w / t̄``; token shares then match ``w``
    in expectation), or use :func:`sample_budget` for an exact token budget.

    Parameters
    ----------
    corpus : Corpus
    mixture : Mixture
        Document-kind, over exactly ``corpus.domains``.
    n : int
        Number of draws, >= 1.
    seed : int
    replace : bool
        With (default) or without replacement.

    Returns
    -------
    SampleResult

    Raises
    ------
    TypeError
        ``mixture`` not a Mixture, ``replace`` not a bool, ``n`` or ``seed`` not an integer.
    ValueError
        A token-kind mixture (see above); ``n`` above :data:`MAX_DRAWS`; ``n < 1``; without
        replacement, ``n`` larger than the number of documents with ``p > 0``; weight on an empty domain.

    Used in: 2.3 (with and without replacement, epochs).
    """
    _check_corpus(corpus)
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a mixlab Mixture (got {type(mixture).__name__})")
    if mixture.kind != "document":
        raise ValueError(
            "sample_documents draws whole documents, so it needs a document-kind mixture: drawing whole "
            "documents with token weights (p(x) = w_d t_x / T_d) counts document length twice and "
            "over-delivers long-document domains. Pass mixture.to_documents(counts) (the document-weight "
            "equivalent, w_doc ∝ w / mean length) or use sample_budget for an exact token budget."
        )
    p = np.asarray(document_probabilities(corpus, mixture))
    return _draw(corpus, p, n, seed, replace, mixture)


def _draw(corpus: Corpus, p: np.ndarray, n: int, seed: int, replace: bool, target: Mixture | None) -> SampleResult:
    s = check_seed(seed)
    n = check_int(n, "n", minimum=1)
    check_at_most(n, "n", MAX_DRAWS, "documents drawn per call, about 5 GB of indices and accounting")
    replace = check_flag(replace, "replace")
    rng = np.random.default_rng(np.random.SeedSequence(s))
    if replace:
        cdf = np.cumsum(p)
        u = rng.random(n) * cdf[-1]
        rows = np.minimum(np.searchsorted(cdf, u, side="right"), len(p) - 1)
        # guard: never land on a zero-probability row because of rounding at a flat cdf step
        rows = np.where(p[rows] > 0, rows, np.searchsorted(cdf, cdf[rows], side="left"))
        method = "iid_with_replacement"
    else:
        support = int((p > 0).sum())
        if n > support:
            raise ValueError(
                f"cannot draw {n} documents without replacement: only {support} documents have positive probability"
            )
        keys = np.full(len(p), -np.inf)
        pos = p > 0
        keys[pos] = np.log(rng.random(int(pos.sum()))) / p[pos]
        top = np.argpartition(-keys, n - 1)[:n]
        rows = top[np.argsort(-keys[top], kind="stable")]
        method = "without_replacement"
    return _accounting(corpus, rows.astype(np.int64), target, method, s)


def sample_budget(corpus: Corpus, mixture: Mixture, budget: float, seed: int) -> SampleResult:
    """Draw about ``w_i B`` tokens from each domain by whole shuffled epochs, then a partial pass.

    For domain i with ``T_i`` tokens and target ``r_i = w_i B``: ``floor(r_i / T_i)`` full epochs,
    each a fresh seeded permutation of the domain's documents, then documents of one more
    permutation until the running token count reaches ``r_i`` — the way real pipelines repeat
    data. Whole documents are drawn, so each domain overshoots its target by less than one
    document. Each domain uses its own child stream ``SeedSequence(seed).spawn(k)[i]``, so a
    domain's draws do not depend on the other domains. Rows are grouped by domain (interleave
    them with :func:`blended_index`).

    Parameters
    ----------
    corpus : Corpus
        The documents to repeat and draw.
    mixture : Mixture
        Token-kind, over exactly ``corpus.domains``.
    budget : float
        Token budget B > 0.
    seed : int

    Returns
    -------
    SampleResult
        ``per_domain["epochs"]`` is drawn tokens / ``T_i``.

    Raises
    ------
    ValueError
        Document-kind mixture, ``budget <= 0``, weight on an empty domain.

    Used in: 2.3, 3.1 (epochs per domain at budget B).
    """
    s = check_seed(seed)
    rows, arrays = _budget_draw(corpus, mixture, budget, s)
    return _accounting(corpus, rows, mixture, "budget_epochs", s, arrays)


def _budget_draw(corpus: Corpus, mixture: Mixture, budget: float, s: int) -> tuple[np.ndarray, CorpusArrays]:
    """The rows :func:`sample_budget` draws (checked as it checks them) and the corpus arrays it read."""
    B = check_positive(budget, "budget")
    _check_corpus(corpus)
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a mixlab Mixture (got {type(mixture).__name__})")
    if mixture.kind != "token":
        raise ValueError("sample_budget needs a token-kind mixture; convert with mixture.to_tokens(counts) first")
    w = _aligned_weights(mixture, corpus.domains, "corpus")
    arrays = corpus.arrays()
    codes, lengths, n_docs, n_tokens = arrays
    _check_support(w, n_docs.astype(np.float64), corpus.domains)
    _check_budget_draws(w, B, n_docs.astype(np.float64), n_tokens.astype(np.float64))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(w) + 1))
    children = np.random.SeedSequence(s).spawn(len(w))
    parts: list[np.ndarray] = []
    for i in range(len(w)):  # loop over domains and epochs, each step vectorized over documents
        if w[i] <= 0:
            continue
        idx = order[bounds[i] : bounds[i + 1]]
        T_i = float(lengths[idx].sum())
        target = w[i] * B
        rng = np.random.default_rng(children[i])
        full = int(target // T_i)
        for _ in range(full):
            parts.append(rng.permutation(idx))
        rest = target - full * T_i
        if rest > 0:
            perm = rng.permutation(idx)
            cum = np.cumsum(lengths[perm])
            m = int(np.searchsorted(cum, rest, side="left")) + 1
            parts.append(perm[:m])
    rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return rows, arrays


def _check_budget_draws(w: np.ndarray, budget: float, N: np.ndarray, T: np.ndarray) -> None:
    """Refuse a budget whose whole-epoch draws would exceed :data:`MAX_DRAWS`, before allocating them.

    Domain i is drawn ``floor(w_i B / T_i)`` full epochs of ``N_i`` documents plus at most one
    partial epoch, so at most ``(floor(w_i B / T_i) + 1) N_i`` documents (``N``, ``T``: documents and
    tokens per domain).
    """
    on = w > 0
    draws = float(np.sum((np.floor(w[on] * budget / T[on]) + 1) * N[on]))
    if draws > MAX_DRAWS:
        per_token = float(np.sum(w[on] * N[on] / T[on]))  # documents drawn per token of budget
        raise ValueError(
            f"budget must be <= {MAX_DRAWS / per_token:.4g} tokens for this corpus and mixture: sample_budget "
            f"draws at most MAX_DRAWS={MAX_DRAWS:,} documents per call (about 5 GB) and budget {budget:.6g} "
            f"would draw about {draws:.4g}"
        )


# ---------------------------------------------------------------------------- blended index
def blended_index_reference(weights: WeightsLike, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Megatron-LM's greedy blending rule, in plain Python (the reference for tests and benchmarks).

    At step ``i`` pick the source with the largest deficit ``w_j · max(i, 1) − count_j``,
    ties going to the lowest index (the rule of ``build_blending_indices`` in Megatron-LM's
    ``megatron/core/datasets/helpers.cpp``). O(n k) Python operations: slow on purpose.

    Returns
    -------
    (source, within)
        ``source[i]`` the source of sample i, ``within[i]`` its index inside that source.

    Used in: tests and benchmarks (the rule :func:`blended_index` is compared with).
    """
    w = _plain_weights(weights).tolist()
    n = check_int(n_samples, "n_samples", minimum=0)
    check_at_most(n, "n_samples", MAX_BLEND_SAMPLES, "samples per blended index, about 6.5 GB")
    k = len(w)
    counts = [0] * k
    source = np.empty(n, dtype=np.int16)
    within = np.empty(n, dtype=np.int64)
    for i in range(n):
        scale = float(max(i, 1))
        best, best_err = 0, w[0] * scale - counts[0]
        for j in range(1, k):
            err = w[j] * scale - counts[j]
            if err > best_err:
                best, best_err = j, err
        source[i] = best
        within[i] = counts[best]
        counts[best] += 1
    return source, within


def blended_index_bound(weights: WeightsLike) -> np.ndarray:
    """The proven per-source prefix bound of :func:`blended_index`: ``½ + w_j (k⁺ − 2) / 2``.

    ``k⁺`` is the number of sources with positive weight; zero-weight sources get bound 0.
    See :func:`blended_index` for the derivation. Used in: 2.3.
    """
    w = _plain_weights(weights)
    kp = int((w > 0).sum())
    return np.where(w > 0, 0.5 + w * (kp - 2) / 2.0, 0.0)


def _sorted_event_keys(w: np.ndarray, n: int, bits: int) -> np.ndarray:
    """The first ``n + O(k)`` event times of every source as sorted int64 keys, source id in the low bits.

    See :func:`blended_index`: source j's times ``(m + ½) / w_j`` are generated already sorted,
    their lowest ``bits`` mantissa bits replaced by j, and the k runs merged by a stable sort.
    """
    k = w.size
    kp = int((w > 0).sum())
    horizon = n + kp / 2.0 + 2.0
    M = np.where(w > 0, np.floor(w * horizon + 0.5), 0).astype(np.int64)
    offs = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(M, out=offs[1:])
    low = np.int64((1 << bits) - 1)
    times = np.empty(int(offs[-1]), dtype=np.float64)
    keys = times.view(np.int64)  # positive floats sort like their int64 bit patterns
    for j in range(k):  # k runs, each generated vectorized and already sorted
        if M[j]:
            seg = times[offs[j] : offs[j + 1]]
            seg[:] = np.arange(0.5, M[j], 1.0)
            seg /= w[j]
            kseg = keys[offs[j] : offs[j + 1]]
            kseg &= ~low  # drop the lowest mantissa bits (relative change < 2**-36) ...
            kseg |= j  # ... and store the source there: equal times then sort by source index
    keys.sort(kind="stable")  # unique keys; timsort merges the k presorted runs
    return keys


def blended_index(weights: WeightsLike, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic low-discrepancy interleaving of sources (stride scheduling), vectorized.

    Source j (weight ``w_j > 0``) owns the event times ``τ_{j,m} = (m + ½) / w_j``, m = 0, 1, …;
    the blended sequence lists all events in increasing time, ties to the lower source index
    (this is the Sainte-Laguë/Webster apportionment order and the "stride scheduling" of
    Waldspurger & Weihl 1995). It is *not* identical to Megatron-LM's greedy largest-deficit
    rule (:func:`blended_index_reference`), which needs a sequential loop; it keeps every prefix
    within the bound proved here, and the tests check the bound for every prefix.

    Bound. Take a prefix of length n and let t be the time of its last event. Every event before
    t is in the prefix and no event after t, so source l has ``c_l`` events with
    ``#{m: m + ½ < w_l t} <= c_l <= #{m: m + ½ <= w_l t}``, hence ``e_l = c_l − w_l t ∈ [−½, ½]``.
    Since ``Σ_l c_l = n`` and ``Σ_l w_l = 1``, ``c_j − w_j n = (1 − w_j) e_j − w_j Σ_{l≠j} e_l``, so

        ``|c_j(n) − w_j n| <= ½ (1 − w_j) + w_j (k⁺ − 1) / 2 = ½ + w_j (k⁺ − 2) / 2``

    for every prefix n and source j (k⁺ = sources with positive weight); for two sources it is ½.
    Floating-point event times move the bound by about ``1e-16 · n``. It is worst-case; typical
    deviations are below 1 (measure with :func:`max_prefix_deviation`). The Megatron greedy rule
    also stays O(1) but its constant is not derived here.

    Construction: the event times of each source are generated already sorted; the source
    index is written into the lowest 8 (or 16) mantissa bits of each time, so the float64 bit
    patterns, read as int64, are unique sort keys that break exact ties by source index. The
    concatenated k sorted runs are merged by numpy's stable sort (timsort detects the runs:
    O(n log k)), the first ``n_samples`` are kept, the source is read back from the low bits
    and the within-source index from ``m = ⌊τ · w_j⌋``. No Python loop over samples. Only
    ``n + O(k)`` events are generated: at the time t of the n-th event ``n − t = Σ e_l >= −k⁺/2``,
    so events after ``n + k⁺/2`` are never needed. Dropping the low mantissa bits can reorder
    only events whose times agree to a relative 2**-36, which moves the bound by far less than 1e-6.

    Parameters
    ----------
    weights : Mixture, Series, mapping or array-like
        Shares on the simplex (within 1e-9); at most 32767 sources.
    n_samples : int
        Length of the index, >= 0.

    Returns
    -------
    source : numpy.ndarray
        Source of each sample (uint8 for <= 255 sources, else int16).
    within : numpy.ndarray
        int64 index of the sample inside its source (0, 1, 2, … per source, in order).

    Raises
    ------
    ValueError
        Weights off the simplex, NaN/negative, too many sources, ``n_samples < 0``.

    Used in: 2.3 (every prefix stays close to the target); the build orders shards with it.
    """
    w = _plain_weights(weights)
    n = check_int(n_samples, "n_samples", minimum=0)
    check_at_most(n, "n_samples", MAX_BLEND_SAMPLES, "samples per blended index, about 6.5 GB")
    k = w.size
    if k > 32767:
        raise ValueError(f"blended_index supports at most 32767 sources (got {k})")
    dtype = np.uint8 if k <= 255 else np.int16
    if n == 0:
        return np.zeros(0, dtype=dtype), np.zeros(0, dtype=np.int64)
    bits = 8 if k <= 255 else 16
    low = np.int64((1 << bits) - 1)
    keys = _sorted_event_keys(w, n, bits)[:n]
    if bits == 8 and sys.byteorder == "little":
        source = keys.view(np.uint8)[::8].copy()  # a copy: keys is overwritten below
    else:
        source = (keys & low).astype(dtype)
    # event time τ = (m + ½)/w_j, so τ·w_j = m + ½ up to a relative 2**-36: truncation recovers m
    tau = keys.view(np.float64)
    step = 1 << 18  # chunked gather: a small cache-resident temporary instead of an n-sized one
    for a in range(0, n, step):
        tau[a : a + step] *= np.take(w, source[a : a + step])
    within = keys  # reuse the buffer: float -> int64 in place (same itemsize, elementwise)
    np.trunc(tau, out=within, casting="unsafe")
    return source, within


# ---------------------------------------------------------------------------- realized mixture and checks
def max_prefix_deviation(source: np.ndarray, weights: WeightsLike) -> np.ndarray:
    """Per source, ``max_n |count_j(prefix n) − w_j n|`` over every prefix n = 1..len(source).

    Used in: 2.3, tests of :func:`blended_index`.
    """
    w = _plain_weights(weights)
    src = np.asarray(source)
    n = np.arange(1, src.size + 1, dtype=np.float64)
    out = np.zeros(w.size)
    for j in range(w.size):  # k passes, each vectorized over samples
        c = np.cumsum(src == j, dtype=np.int64)
        out[j] = np.max(np.abs(c - w[j] * n)) if src.size else 0.0
    return out


def prefix_deviation(
    source: np.ndarray, weights: WeightsLike, checkpoints: Sequence[int] | np.ndarray | None = None
) -> pd.DataFrame:
    """Worst share deviation ``max_j |count_j(n)/n − w_j|`` at prefix lengths n (for the 1/√n plot).

    Parameters
    ----------
    source : array of source indices (e.g. from :func:`blended_index` or i.i.d. draws)
    weights : target shares
    checkpoints : prefix lengths (default: ~60 log-spaced lengths up to ``len(source)``)

    Returns
    -------
    pandas.DataFrame
        Index ``n``; columns ``max_abs_count_dev`` and ``max_share_dev``.

    Used in: 2.3 (i.i.d. converges like 1/√n, the blend like 1/n).
    """
    w = _plain_weights(weights)
    src = np.asarray(source)
    if src.size == 0:
        raise ValueError("source must not be empty")
    if checkpoints is None:
        cps = np.unique(np.geomspace(1, src.size, num=60).astype(np.int64))
    else:
        cps = np.asarray(checkpoints, dtype=np.int64)
        if cps.ndim != 1 or (cps < 1).any() or (cps > src.size).any():
            raise ValueError(f"checkpoints must lie in [1, {src.size}] (got {cps.tolist()[:8]})")
    dev = np.zeros(cps.size)
    for j in range(w.size):
        c = np.cumsum(src == j, dtype=np.int64)[cps - 1]
        dev = np.maximum(dev, np.abs(c - w[j] * cps))
    return pd.DataFrame({"max_abs_count_dev": dev, "max_share_dev": dev / cps}, index=pd.Index(cps, name="n"))


def realized_mixture(
    realized: pd.Series | Mapping[str, float] | npt.ArrayLike, domains: Sequence[str] | None = None
) -> pd.Series:
    """Realized shares from per-domain counts (Series/mapping) or an array of source indices.

    Parameters
    ----------
    realized : Series/mapping of non-negative counts keyed by domain, or integer array of source indices
    domains : domain names (required for an index array; gives the order otherwise)

    Returns
    -------
    pandas.Series
        Shares summing to 1, named ``realized``.

    Used in: internal (:func:`check_realized` reads realized counts with it).
    """
    if isinstance(realized, Mapping | pd.Series):
        items = list(realized.items())
        values = check_named_values([k for k, _ in items], [v for _, v in items], "realized counts")
        s = pd.Series(values, index=pd.Index([k for k, _ in items]))
        if domains is not None:
            missing = [d for d in domains if d not in s.index]
            unknown = [d for d in s.index if d not in set(domains)]
            if missing or unknown:
                raise ValueError(
                    f"realized counts must cover exactly the domains (missing {missing}, unknown {unknown})"
                )
            s = s.loc[list(domains)]
        arr = s.to_numpy()
        if arr.sum() <= 0:
            raise ValueError("realized counts must not all be zero")
        if not np.isfinite(arr.sum()):
            raise ValueError(f"realized counts sum to more than the largest float (got {format_values(s.items())})")
        return pd.Series(arr / arr.sum(), index=pd.Index(s.index, name="domain"), name="realized")
    if domains is None:
        raise ValueError("domains are required when realized is an array of source indices")
    src = np.asarray(realized)
    if not np.issubdtype(src.dtype, np.integer) or src.ndim != 1 or src.size == 0:
        raise TypeError(f"realized must be counts keyed by domain or a non-empty 1-d integer array (got {src.dtype})")
    if src.min() < 0 or src.max() >= len(domains):
        raise ValueError(f"source indices must lie in [0, {len(domains)}) (got min {src.min()}, max {src.max()})")
    c = np.bincount(src.astype(np.int64), minlength=len(domains)).astype(np.float64)
    return pd.Series(c / c.sum(), index=pd.Index(list(domains), name="domain"), name="realized")


def _realized_shares(
    realized: Mixture | pd.Series | Mapping[str, float] | npt.ArrayLike, target: Mixture
) -> tuple[pd.Series, float | None]:
    """Realized shares in ``target``'s domain order, and the number of draws when it is known."""
    domains = list(target.domains)
    if isinstance(realized, Mixture):
        return realized_mixture(realized.weights.rename("realized"), domains), None
    if isinstance(realized, Mapping | pd.Series):
        shares = realized_mixture(realized, domains)
        if target.kind != "document":  # token counts are not the number of draws
            return shares, None
        return shares, float(sum(realized.values()) if isinstance(realized, Mapping) else realized.sum())
    arr = np.asarray(realized)
    return realized_mixture(arr, domains), float(arr.size)


def check_realized(
    realized: Mixture | pd.Series | Mapping[str, float] | npt.ArrayLike,
    target: Mixture,
    *,
    atol: float | None = None,
    z: float | None = None,
    n: int | None = None,
) -> pd.DataFrame:
    """Check a realized mixture against its target under a stated tolerance (fail-fast).

    Exactly one tolerance must be stated:

    * ``atol``: every share within ``atol`` of its target (for deterministic plans);
    * ``z``: every share within ``z · sqrt(w_j (1 − w_j) / n)`` of its target — the binomial
      standard error of an i.i.d. sample of size n (``z = 4`` fails a correct sampler about
      once in 16 000 checks per domain).

    Parameters
    ----------
    realized : Series/mapping of counts, integer array of source indices (in ``target.domains`` order),
        or a Mixture of realized shares (then give ``n`` for the ``z`` tolerance)
    target : Mixture
    atol, z : float
        The tolerance (exactly one).
    n : int, optional
        Sample size (number of draws) for ``z``; defaults to the array length, or to the total of
        the counts when the target is document-kind. Required for counts against a token-kind
        target: those counts are tokens, not draws. The ``z`` bound is binomial over draws; for
        token shares of whole-document draws the length variance widens the real spread, so a
        deterministic ``atol`` is the safer statement there.

    Returns
    -------
    pandas.DataFrame
        Index = domains; columns ``target``, ``realized``, ``deviation``, ``tolerance``, ``ok``.

    Raises
    ------
    InvariantError
        Naming the domains out of tolerance with realized vs target values.
    ValueError
        Neither or both tolerances, unknown domains, bad counts.

    Used in: 2.3 (realized-vs-target checker).
    """
    if (atol is None) == (z is None):
        raise ValueError(f"state exactly one tolerance: atol or z (got atol={atol!r}, z={z!r})")
    if not isinstance(target, Mixture):
        raise TypeError(f"target must be a Mixture (got {type(target).__name__})")
    domains = list(target.domains)
    shares, size = _realized_shares(realized, target)
    w = target.as_array(domains)
    dev = shares.to_numpy() - w
    if atol is not None:
        tol = np.full(len(domains), check_positive(atol, "atol", allow_zero=True))
    else:
        zz = check_positive(z, "z")
        nn = float(check_int(n, "n", minimum=1)) if n is not None else size
        if nn is None:
            raise ValueError(
                "n (the number of draws) is required for a z tolerance when realized is a Mixture, or counts "
                "against a token-kind target (token counts are not the number of draws)"
            )
        tol = zz * np.sqrt(w * (1 - w) / nn)
    ok = np.abs(dev) <= tol + 1e-12
    report = pd.DataFrame(
        {"target": w, "realized": shares.to_numpy(), "deviation": dev, "tolerance": tol, "ok": ok},
        index=pd.Index(domains, name="domain"),
    )
    if not ok.all():
        bad = report[~report["ok"]]
        detail = "; ".join(
            f"{d}: realized {r:.6g} vs target {t:.6g} (|dev| {abs(x):.3g} > tol {tl:.3g})"
            for d, r, t, x, tl in zip(
                bad.index, bad["realized"], bad["target"], bad["deviation"], bad["tolerance"], strict=True
            )
        )
        rule = f"atol={atol:g}" if atol is not None else f"z={z:g} (binomial s.e.)"
        raise InvariantError(f"realized mixture out of tolerance ({rule}) for {len(bad)} domain(s): {detail}")
    return report
