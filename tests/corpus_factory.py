"""Small seeded Corpus builders for the domains/filters/ledger tests (no dependency on mixlab.world)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixlab.corpus import Corpus

DOMAINS: tuple[str, ...] = ("web", "books", "code")


def corpus_from_docs(
    docs: Sequence[Sequence[int] | np.ndarray],
    domains_of: Sequence[str],
    *,
    quality: Sequence[float] | None = None,
    domains: Sequence[str] = DOMAINS,
    vocab_size: int = 1000,
    gap: int = 0,
) -> Corpus:
    """Build a corpus from explicit token lists (one per document), laid out back to back.

    ``gap`` inserts that many filler tokens between documents so that starts are not contiguous.
    """
    lens = np.array([len(d) for d in docs], dtype=np.int64)
    starts = np.zeros(len(docs), dtype=np.int64)
    if len(docs):
        starts[1:] = np.cumsum(lens + gap)[:-1]
    parts: list[np.ndarray] = []
    for d in docs:
        parts.append(np.asarray(d, dtype=np.int32))
        parts.append(np.zeros(gap, dtype=np.int32))
    tokens = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    counters: dict[str, int] = {}
    ids = []
    for dom in domains_of:
        ids.append(f"{dom}-{counters.get(dom, 0):07d}")
        counters[dom] = counters.get(dom, 0) + 1
    q = np.full(len(docs), 0.5) if quality is None else np.asarray(quality, dtype=np.float64)
    table = pd.DataFrame(
        {
            "doc_id": pd.Series(ids, dtype="object"),
            "domain": pd.Categorical(list(domains_of), categories=list(domains)),
            "start": starts,
            "n_tokens": lens,
            "n_bytes": lens * 4,
            "quality": q,
        }
    )
    return Corpus(table, tokens, tuple(domains), vocab_size)


def make_corpus(
    seed: int,
    n_docs: int = 200,
    *,
    domains: Sequence[str] = DOMAINS,
    vocab_size: int = 500,
    mean_log_len: float = 4.0,
    sigma_log_len: float = 1.0,
    max_len: int = 5000,
    shuffle_layout: bool = True,
) -> Corpus:
    """A random corpus: lognormal lengths, uniform tokens, uniform quality, random domains.

    With ``shuffle_layout`` the documents' slices are placed in the token array in a random order,
    so filters cannot rely on rows being contiguous in the token array.
    """
    rng = np.random.default_rng(seed)
    lens = np.clip(np.rint(rng.lognormal(mean_log_len, sigma_log_len, n_docs)), 1, max_len).astype(np.int64)
    layout = rng.permutation(n_docs) if shuffle_layout else np.arange(n_docs)
    starts_in_layout = np.zeros(n_docs, dtype=np.int64)
    starts_in_layout[1:] = np.cumsum(lens[layout])[:-1]
    starts = np.empty(n_docs, dtype=np.int64)
    starts[layout] = starts_in_layout
    tokens = rng.integers(0, vocab_size, size=int(lens.sum()), dtype=np.int32)
    dom_codes = rng.integers(0, len(domains), size=n_docs)
    counts = np.zeros(len(domains), dtype=np.int64)
    ids = []
    for c in dom_codes:  # test helper: tiny loop is fine here
        ids.append(f"{domains[c]}-{counts[c]:07d}")
        counts[c] += 1
    table = pd.DataFrame(
        {
            "doc_id": pd.Series(ids, dtype="object"),
            "domain": pd.Categorical.from_codes(dom_codes, categories=pd.Index(list(domains))),
            "start": starts,
            "n_tokens": lens,
            "n_bytes": lens * 4,
            "quality": rng.uniform(0, 1, n_docs),
        }
    )
    return Corpus(table, tokens, tuple(domains), vocab_size)


def with_copies(corpus: Corpus, copy_rows: Sequence[int], seed: int = 0) -> tuple[Corpus, np.ndarray]:
    """Append exact copies (new ids, same token slice) of ``copy_rows`` at random later positions.

    Returns the new corpus and, per row, the row index of its original (-1 if none).
    """
    rng = np.random.default_rng(seed)
    copies = corpus.docs.iloc[list(copy_rows)].copy()
    copies["doc_id"] = [f"{d}-copy{i}" for i, d in enumerate(copies["doc_id"])]
    docs = pd.concat([corpus.docs, copies], ignore_index=True)
    n0 = len(corpus)
    origin = np.concatenate([np.full(n0, -1), np.asarray(copy_rows, dtype=np.int64)])
    # keep originals first in row order: shuffle only the appended copies among themselves
    perm = np.concatenate([np.arange(n0), n0 + rng.permutation(len(copy_rows))])
    docs = docs.iloc[perm].reset_index(drop=True)
    origin = origin[perm]
    docs["domain"] = pd.Categorical(docs["domain"].astype(object), categories=list(corpus.domains))
    return Corpus(docs, corpus.tokens, corpus.domains, corpus.vocab_size), origin
