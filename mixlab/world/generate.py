"""Generating a world: documents, lengths, quality, junk, duplicates, and the :class:`World` that holds them.

:func:`generate_world` turns a spec and a seed into a :class:`World`: a training corpus (clean,
junk and duplicate documents), a clean validation corpus disjoint from it, the ground truth
filters may not read, and the generating process.

Used in: every notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mixlab.corpus import Corpus
from mixlab.hashing import check_disjoint
from mixlab.text import byte_lengths, word_table
from mixlab.validation import check_seed
from mixlab.world.cache import cached_or_generated
from mixlab.world.process import MarkovProcess, _named_child
from mixlab.world.sampler import _fill, _Tables
from mixlab.world.spec import MAX_TOKENS, DomainSpec, WorldSpec, load_spec

__all__ = ["GENERATOR_VERSION", "World", "generate_world"]

#: Version of the generating code: bump it whenever the same spec and seed would give different
#: documents, tokens or ground truth, so that anything cached or built from a world (build shards,
#: world caches) knows to start over.
GENERATOR_VERSION = 1


@dataclass(frozen=True, eq=False)
class World:
    """A generated synthetic world: training and validation corpora plus the ground truth.

    Attributes
    ----------
    spec : WorldSpec
    seed : int
    train : Corpus
        Training documents (clean, junk and duplicates), rows ordered by domain then index.
        Its token array (like the validation one) is read-only.
    validation : Corpus
        Clean held-out documents per domain, disjoint from ``train`` (ids and contents).
    truth : pandas.DataFrame
        Aligned with ``train.docs`` rows: ``is_junk`` (bool), ``is_duplicate`` (bool),
        ``duplicate_of`` (int64 row of the original, -1 if none). Filters must not read it.
    process : MarkovProcess
        The generating process (entropy rates, exact cross-entropies).
    vocab_size : int

    Used in: no lesson calls it by name.
    """

    spec: WorldSpec
    seed: int
    train: Corpus
    validation: Corpus
    truth: pd.DataFrame
    process: MarkovProcess
    vocab_size: int

    @property
    def domains(self) -> tuple[str, ...]:
        """Domain names in order."""
        return self.train.domains

    def summary(self) -> pd.DataFrame:
        """One row per domain: documents, tokens, lengths, junk and duplicate shares, entropy rate.

        Columns: ``docs``, ``tokens``, ``mean_length``, ``median_length``, ``max_length``,
        ``doc_share``, ``token_share``, ``junk_docs``, ``junk_token_share``, ``duplicate_docs``,
        ``val_docs``, ``val_tokens``, ``bytes_per_token``, ``entropy_rate``.

        Used in: 00, 1.1, 1.2.
        """
        d = self.train.docs
        codes = self.train.domain_codes()
        n_tok = d["n_tokens"].to_numpy()
        g = pd.DataFrame({"code": codes, "n": n_tok, "junk": self.truth["is_junk"].to_numpy()})
        docs = self.train.doc_counts()
        tokens = self.train.token_counts()
        idx = docs.index
        junk_tok = np.bincount(codes, weights=n_tok * g["junk"].to_numpy(), minlength=len(idx))
        out = pd.DataFrame(
            {
                "docs": docs,
                "tokens": tokens,
                "mean_length": tokens / docs,
                "median_length": g.groupby("code")["n"].median().reindex(range(len(idx))).to_numpy(),
                "max_length": g.groupby("code")["n"].max().reindex(range(len(idx))).to_numpy(),
                "doc_share": docs / docs.sum(),
                "token_share": tokens / tokens.sum(),
                "junk_docs": np.bincount(codes, weights=g["junk"].to_numpy(), minlength=len(idx)).astype(np.int64),
                "junk_token_share": junk_tok / tokens.to_numpy(),
                "duplicate_docs": np.bincount(
                    codes, weights=self.truth["is_duplicate"].to_numpy(), minlength=len(idx)
                ).astype(np.int64),
                "val_docs": self.validation.doc_counts(),
                "val_tokens": self.validation.token_counts(),
                "bytes_per_token": np.bincount(codes, weights=d["n_bytes"].to_numpy(), minlength=len(idx))
                / tokens.to_numpy(),
                "entropy_rate": self.process.entropy_rate(),
            },
            index=idx,
        )
        return out

    def __repr__(self) -> str:
        return (
            f"World({self.spec.name!r}, seed={self.seed}: train {len(self.train):,} docs / "
            f"{self.train.n_tokens:,} tokens, validation {len(self.validation):,} docs / "
            f"{self.validation.n_tokens:,} tokens, {len(self.domains)} domains: {', '.join(self.domains)}; "
            f"vocab {self.vocab_size})"
        )


def _truncated_lengths(
    rng: np.random.Generator, n: int, median: float, sigma: float, lo: int, hi: int, mass: float
) -> np.ndarray:
    """``n`` draws of round(lognormal(log median, sigma)) conditioned on [lo, hi] (rejection, vectorized)."""
    out = np.empty(n, dtype=np.int64)
    filled = 0
    while filled < n:
        need = n - filled
        m = int(need / max(mass, 1e-3) * 1.1) + 16
        x = np.rint(median * np.exp(sigma * rng.standard_normal(m)))
        x = x[(x >= lo) & (x <= hi)][:need]
        out[filled : filled + len(x)] = x
        filled += len(x)
    return out


def _domain_docs(d: DomainSpec, ss: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """Lengths, quality, junk and duplicate structure of one domain's training documents."""
    s_len, s_qual, s_junk, s_dup = ss.spawn(4)
    n = d.docs
    # duplicates: exact copies of an earlier non-duplicate document of the same domain
    drng = np.random.default_rng(s_dup)
    n_dup = min(round(d.duplicate_share * n), n - 1)
    is_dup = np.zeros(n, dtype=bool)
    if n_dup:
        is_dup[1 + drng.choice(n - 1, size=n_dup, replace=False)] = True
    orig_pool = np.flatnonzero(~is_dup)
    dup_rows = np.flatnonzero(is_dup)
    n_before = np.searchsorted(orig_pool, dup_rows)  # >= 1 because row 0 is never a duplicate
    dup_of = np.full(n, -1, dtype=np.int64)
    dup_of[dup_rows] = orig_pool[(drng.random(n_dup) * n_before).astype(np.int64)]
    # junk among the originals (exact count)
    jrng = np.random.default_rng(s_junk)
    n_junk = round(d.junk_share * len(orig_pool))
    is_junk = np.zeros(n, dtype=bool)
    if n_junk:
        is_junk[jrng.choice(orig_pool, size=n_junk, replace=False)] = True
    # lengths: clean and junk from their own truncated lognormals
    lrng = np.random.default_rng(s_len)
    lengths = _truncated_lengths(lrng, n, d.length_median, d.length_sigma, d.min_length, d.max_length, d.length_mass())
    junk_len = _truncated_lengths(
        lrng,
        n_junk,
        d.length_median * d.junk_length_multiplier,
        d.length_sigma,
        d.min_length,
        d.max_length,
        d.length_mass(d.junk_length_multiplier),
    )
    lengths[np.flatnonzero(is_junk)] = junk_len
    qrng = np.random.default_rng(s_qual)
    quality = qrng.beta(d.clean_quality.alpha, d.clean_quality.beta, size=n)
    quality[is_junk] = qrng.beta(d.junk_quality.alpha, d.junk_quality.beta, size=n_junk)
    # duplicates inherit everything observable and the junk flag from their original
    lengths[dup_rows] = lengths[dup_of[dup_rows]]
    quality[dup_rows] = quality[dup_of[dup_rows]]
    is_junk[dup_rows] = is_junk[dup_of[dup_rows]]
    return {"lengths": lengths, "quality": quality, "is_junk": is_junk, "is_dup": is_dup, "dup_of": dup_of}


def _checked_total(lengths: np.ndarray, spec: WorldSpec, what: str) -> int:
    """Total tokens of the drawn lengths, refused above :data:`MAX_TOKENS` before the token array exists."""
    total = int(lengths.sum())
    if total > MAX_TOKENS:
        raise ValueError(
            f"world spec {spec.name}: the drawn {what} documents hold {total:,} tokens, above the limit of "
            f"{MAX_TOKENS:,} tokens (the limit for a 24 GiB, 2-core machine); lower domains.*.docs or the lengths"
        )
    return total


def _ids(name: str, n: int, infix: str = "") -> np.ndarray:
    prefix = f"{name}-{infix}"
    return np.array([f"{prefix}{i:07d}" for i in range(n)], dtype=object)


def _build_corpus(
    domains: tuple[str, ...],
    vocab_size: int,
    ids: np.ndarray,
    codes: np.ndarray,
    lengths: np.ndarray,
    quality: np.ndarray,
    tokens: np.ndarray,
) -> Corpus:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    n_bytes = byte_lengths(tokens, offsets, words=word_table(vocab_size))
    cols = {"start": offsets[:-1], "n_tokens": lengths.astype(np.int64), "n_bytes": n_bytes,
            "quality": quality.astype(np.float64)}
    return _corpus_from_columns(domains, vocab_size, ids, codes, cols, tokens)


def _corpus_from_columns(
    domains: tuple[str, ...], vocab_size: int, ids: np.ndarray, codes: np.ndarray, cols: dict[str, np.ndarray],
    tokens: np.ndarray,
) -> Corpus:
    """A corpus from its id, domain-code and numeric columns (``start``, ``n_tokens``, ``n_bytes``, ``quality``)."""
    docs = pd.DataFrame(
        {"doc_id": ids, "domain": pd.Categorical.from_codes(codes, categories=pd.Index(domains)), **cols}
    )
    return Corpus(docs, tokens, domains, vocab_size)


def generate_world(spec_or_name: WorldSpec | str | Path, seed: int, *, cache_dir: str | Path | None = None) -> World:
    """Generate a synthetic world from a spec (or preset name / TOML path) and a seed.

    Seeds: ``SeedSequence(seed).spawn(3)`` gives the process, training and validation streams.
    Each has one child per domain, keyed by the domain's *name* (so a domain's chain, lengths,
    quality, junk and duplicates do not change when other domains are added, removed or
    reordered), split into lengths, quality, junk and duplicates; plus one token stream shared by
    all domains (generation is one batched loop). Streams are consumed in a fixed order, so the
    same spec and seed give identical arrays and tables on any machine.

    Parameters
    ----------
    spec_or_name : WorldSpec, str or pathlib.Path
        A spec, a preset name (``"tiny"``, ``"default"``, ``"large"``) or a TOML path.
    seed : int
        Non-negative integer.
    cache_dir : str or pathlib.Path, optional
        A folder for the verified world cache (:mod:`mixlab.world.cache`); default: the folder in
        the environment variable ``MIXLAB_WORLD_CACHE``, else no cache. A cached world is
        identical to a generated one.

    Returns
    -------
    World

    Raises
    ------
    TypeError
        If ``seed`` is not an integer or ``spec_or_name`` has the wrong type.
    ValueError
        If ``seed`` is negative or the spec is invalid.
    FileNotFoundError
        If a preset name or path does not exist.
    InvariantError
        If a validation document happens to equal a training document (only possible for very
        short documents: raise ``min_length``).

    Used in: every lesson.
    """
    seed = check_seed(seed)
    if not isinstance(spec_or_name, WorldSpec | str | Path):
        raise TypeError(
            f"spec_or_name must be a WorldSpec, a preset name or a TOML path (got {type(spec_or_name).__name__})"
        )
    spec = spec_or_name if isinstance(spec_or_name, WorldSpec) else load_spec(spec_or_name)
    return cached_or_generated(spec, seed, cache_dir, _generate)


def _generate(spec: WorldSpec, seed: int) -> World:
    """Generate the world of a validated spec and seed (no cache)."""
    proc_ss, train_ss, val_ss = np.random.SeedSequence(seed).spawn(3)
    process = MarkovProcess.from_spec(spec, proc_ss)
    tables = _Tables.build(process)
    train, truth = _training(spec, process, tables, train_ss)
    validation = _validation(spec, process, tables, val_ss)
    check_disjoint(train, validation)
    for arr in (train.tokens, validation.tokens):
        arr.setflags(write=False)  # shared by every view of the corpus: never edited in place
    return World(spec, seed, train, validation, truth, process, spec.vocab_size)


def _training(
    spec: WorldSpec, process: MarkovProcess, tables: _Tables, train_ss: np.random.SeedSequence
) -> tuple[Corpus, pd.DataFrame]:
    """The training corpus (clean, junk and duplicate documents) and its ground truth."""
    k = len(spec.domains)
    (tok_ss,) = train_ss.spawn(1)
    parts = [_domain_docs(d, _named_child(train_ss, d.name)) for d in spec.domains]
    lengths = np.concatenate([p["lengths"] for p in parts])
    codes = np.repeat(np.arange(k), [d.docs for d in spec.domains])
    is_junk = np.concatenate([p["is_junk"] for p in parts])
    is_dup = np.concatenate([p["is_dup"] for p in parts])
    row0 = np.concatenate([[0], np.cumsum([d.docs for d in spec.domains])[:-1]])
    dup_of = np.concatenate([np.where(p["dup_of"] >= 0, p["dup_of"] + row0[i], -1) for i, p in enumerate(parts)])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    tokens = np.empty(_checked_total(lengths, spec, "training"), dtype=np.int32)
    gen = np.flatnonzero(~is_dup)
    table_id = codes[gen] + k * is_junk[gen]
    trng = np.random.default_rng(tok_ss)
    first = process._first_tokens(trng, table_id)
    _fill(tokens, tables, table_id, first, lengths[gen], starts[gen], trng)
    dups = np.flatnonzero(is_dup)
    if dups.size:
        dl = lengths[dups]
        within = np.arange(int(dl.sum()), dtype=np.int64) - np.repeat(np.cumsum(dl) - dl, dl)
        dst = np.repeat(starts[dups], dl) + within
        src = np.repeat(starts[dup_of[dups]], dl) + within
        tokens[dst] = tokens[src]
    ids = np.concatenate([_ids(d.name, d.docs) for d in spec.domains])
    quality = np.concatenate([p["quality"] for p in parts])
    train = _build_corpus(spec.domain_names, spec.vocab_size, ids, codes, lengths, quality, tokens)
    truth = pd.DataFrame({"is_junk": is_junk, "is_duplicate": is_dup, "duplicate_of": dup_of.astype(np.int64)})
    return train, truth


def _validation(
    spec: WorldSpec, process: MarkovProcess, tables: _Tables, val_ss: np.random.SeedSequence
) -> Corpus:
    """The validation corpus: clean documents only, from the same chains, on their own streams."""
    (vtok_ss,) = val_ss.spawn(1)
    v_len, v_q = [], []
    for d in spec.domains:  # loop over domains
        lrng_ss, qrng_ss = _named_child(val_ss, d.name).spawn(2)
        lrng = np.random.default_rng(lrng_ss)
        v_len.append(_truncated_lengths(lrng, d.validation_docs, d.length_median, d.length_sigma, d.min_length,
                                        d.max_length, d.length_mass()))
        v_q.append(np.random.default_rng(qrng_ss).beta(d.clean_quality.alpha, d.clean_quality.beta, d.validation_docs))
    vl = np.concatenate(v_len)
    vcodes = np.repeat(np.arange(len(spec.domains)), [d.validation_docs for d in spec.domains])
    vstarts = np.concatenate([[0], np.cumsum(vl)[:-1]]).astype(np.int64)
    vtokens = np.empty(_checked_total(vl, spec, "validation"), dtype=np.int32)
    vrng = np.random.default_rng(vtok_ss)
    _fill(vtokens, tables, vcodes, process._first_tokens(vrng, vcodes), vl, vstarts, vrng)
    vids = np.concatenate([_ids(d.name, d.validation_docs, "val-") for d in spec.domains])
    return _build_corpus(spec.domain_names, spec.vocab_size, vids, vcodes, vl, np.concatenate(v_q), vtokens)

