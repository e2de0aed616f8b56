"""Domains as a labelled partition of the corpus.

A domain assignment is a *partition*: every record carries exactly one label from a declared
list of domain names, no declared domain is empty and no name repeats. :func:`check_partition`
enforces this fail-fast; :func:`domain_stats` gives the per-domain table (documents, tokens,
lengths, shares in both views) that mixers, budgets and plots take as their "counts" input.
For the lesson on source labels vs derived labels, :func:`relabel`, :func:`mislabel` and
:func:`confusion` show how labels can disagree and what that does to the token shares.

Used in: 2.1 (domains, labels, bytes per token); every lesson but A.1 builds its counts table with
:func:`domain_stats`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.corpus import Corpus
from mixlab.validation import InvariantError, check_positive, check_probability, check_seed, format_values

#: One domain label per record: a list, array, Series or Categorical of strings.
Labels = Sequence[str] | np.ndarray | pd.Series | pd.Categorical

__all__ = [
    "check_labels",
    "check_partition",
    "domain_stats",
    "derive_labels",
    "BytesPerTokenRule",
    "bytes_per_token_rule",
    "relabel",
    "mislabel",
    "confusion",
]


def _declared(domains: Iterable[Any], name: str = "domains") -> tuple[str, ...]:
    """Check the declared domain list: non-empty, strings, no duplicates (InvariantError)."""
    out = tuple(domains)
    if not out:
        raise InvariantError(f"{name} must declare at least one domain")
    bad = [d for d in out if not isinstance(d, str) or not d.strip()]
    if bad:
        raise InvariantError(f"{name} must be non-empty strings (got {bad[:5]})")
    counts = pd.Series(out).value_counts()
    dups = sorted(counts.index[counts > 1])
    if dups:
        raise InvariantError(f"{name} must not repeat a name (duplicated: {', '.join(map(str, dups))})")
    return out


def check_labels(labels: Labels, domains: Sequence[str], *, allow_empty: bool = False) -> pd.Categorical:
    """Check that ``labels`` assign every record to exactly one declared domain.

    Parameters
    ----------
    labels : array-like of str
        One domain label per record (a Categorical, Series, list or array).
    domains : sequence of str
        The declared domain names, in order.
    allow_empty : bool
        Accept declared domains with no record (e.g. after filtering). A partition of a
        source corpus should not have them, so the default is False.

    Returns
    -------
    pandas.Categorical
        The labels with categories exactly ``domains``, in order.

    Raises
    ------
    InvariantError
        On duplicate or empty declared names, missing (None/NaN) labels (naming the row
        positions), labels not in ``domains`` (naming them and how often they occur), or an
        empty declared domain (naming it) unless ``allow_empty``.

    Examples
    --------
    >>> check_labels(["web", "code", "web"], ["web", "code"]).tolist()
    ['web', 'code', 'web']

    Used in: 2.1.
    """
    declared = _declared(domains)
    values = pd.Series(np.asarray(labels, dtype=object) if not isinstance(labels, pd.Series) else labels)
    if values.ndim != 1:
        raise InvariantError(f"labels must be 1-dimensional (got shape {np.shape(labels)})")
    missing = values.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        raise InvariantError(
            f"every record needs a domain label: {len(rows):,} missing (None/NaN) at rows {rows[:8].tolist()}"
            + (" …" if len(rows) > 8 else "")
        )
    as_str = values.astype(object)
    unknown_mask = ~as_str.isin(declared).to_numpy()
    if unknown_mask.any():
        counts = as_str[unknown_mask].value_counts().sort_index()
        raise InvariantError(f"labels not in the declared domains {list(declared)}: {format_values(counts.items())}")
    cat = pd.Categorical(as_str.to_numpy(), categories=pd.Index(list(declared)))
    if not allow_empty:
        present = np.bincount(cat.codes, minlength=len(declared))
        empty = [d for d, n in zip(declared, present, strict=True) if n == 0]
        if empty:
            raise InvariantError(
                f"declared domains with no record: {', '.join(empty)} (pass allow_empty=True if intended)"
            )
    return cat


def check_partition(corpus: Corpus, domains: Sequence[str] | None = None, *, allow_empty: bool = False) -> None:
    """Fail fast unless every record of ``corpus`` is in exactly one declared domain.

    Parameters
    ----------
    corpus : Corpus
        The records to check. ``docs`` is re-read, so in-place edits are caught.
    domains : sequence of str, optional
        The declared domain list; default ``corpus.domains``.
    allow_empty : bool
        Accept declared domains with no record.

    Raises
    ------
    TypeError
        If ``corpus`` is not a Corpus.
    InvariantError
        Duplicate or empty domain names, missing or unknown labels, empty domains (unless
        allowed), or repeated ``doc_id`` (a record listed twice is in its domain twice).
        The message names the condition and the offending values.

    Used in: 2.1.
    """
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a mixlab Corpus (got {type(corpus).__name__})")
    declared = _declared(corpus.domains if domains is None else domains)
    label_col = corpus.docs["domain"]
    labels = label_col.astype(object).where(label_col.notna(), None)
    check_labels(labels, declared, allow_empty=allow_empty)
    ids = corpus.docs["doc_id"]
    dup = ids.duplicated(keep=False)
    if dup.any():
        counts = ids[dup].value_counts().sort_index()
        raise InvariantError(f"doc_id must be unique; repeated: {format_values(counts.items())}")


def domain_stats(corpus: Corpus) -> pd.DataFrame:
    """Per-domain counts, lengths and shares, document and token views side by side.

    Parameters
    ----------
    corpus : Corpus
        Any corpus; every declared domain gets a row (zeros and NaN lengths if empty).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``domain`` (all of ``corpus.domains``, in order), columns ``docs``,
        ``tokens`` (int64), ``bytes`` (int64), ``mean_len``, ``median_len``, ``p90_len``
        (tokens per document), ``share_docs``, ``share_tokens`` (NaN for an empty corpus).
        This is the "counts table" mixers and budget functions accept.

    Used in: 00, 1.1, 1.2, 1.3, 1.4, 1.5, 2.1 (the counts table itself), 2.2, 2.3, 2.4, 2.5, 3.1, 3.2,
    3.3, 3.4, 3.5, 3.6.
    """
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a mixlab Corpus (got {type(corpus).__name__})")
    docs = corpus.docs[["domain", "n_tokens", "n_bytes"]]
    g = docs.groupby("domain", observed=False, sort=False)["n_tokens"]
    out = pd.DataFrame(
        {
            "docs": g.size().astype(np.int64),
            "tokens": g.sum().astype(np.int64),
            "bytes": docs.groupby("domain", observed=False, sort=False)["n_bytes"].sum().astype(np.int64),
            "mean_len": g.mean(),
            "median_len": g.median(),
            "p90_len": g.quantile(0.9),
        }
    )
    out = out.reindex(pd.Index(list(corpus.domains), name="domain"))
    out[["docs", "tokens", "bytes"]] = out[["docs", "tokens", "bytes"]].fillna(0).astype(np.int64)
    n_docs, n_tok = int(out["docs"].sum()), int(out["tokens"].sum())
    out["share_docs"] = out["docs"] / n_docs if n_docs else np.nan
    out["share_tokens"] = out["tokens"] / n_tok if n_tok else np.nan
    return out[["docs", "tokens", "mean_len", "median_len", "share_docs", "share_tokens", "bytes", "p90_len"]]


def derive_labels(corpus: Corpus, rule: Callable[[Corpus], Labels], *, allow_empty: bool = True) -> pd.Categorical:
    """Derive a domain label for every record from a rule and check it is a partition.

    Parameters
    ----------
    corpus : Corpus
        The records.
    rule : callable
        ``rule(corpus)`` returns one label per document (array-like of str), e.g. a vectorized
        threshold on a column or on token statistics.
    allow_empty : bool
        Accept domains the rule never assigns (default True: a rule may be lopsided).

    Returns
    -------
    pandas.Categorical
        Labels over ``corpus.domains``.

    Raises
    ------
    InvariantError
        If the rule returns the wrong number of labels, a missing or an unknown label.

    Used in: 2.1.
    """
    labels = rule(corpus)
    if len(labels) != len(corpus):
        raise InvariantError(f"rule returned {len(labels):,} labels for {len(corpus):,} documents")
    return check_labels(labels, corpus.domains, allow_empty=allow_empty)


@dataclass(frozen=True)
class BytesPerTokenRule:
    """A derived-label rule: documents with few bytes per token get ``label``.

    Build it with :func:`bytes_per_token_rule`; call it on a corpus (as :func:`derive_labels`
    does) to get one label per document.

    Attributes
    ----------
    threshold : float
        Documents with ``n_bytes / n_tokens < threshold`` are labelled ``label``.
    label : str
        The label given to flagged documents.
    fallback : str
        ``"source"`` keeps every other document's current ``domain`` label; any other value is
        the label given to every other document.

    Used in: no lesson calls it by name.
    """

    threshold: float
    label: str = "code"
    fallback: str = "source"

    @property
    def reason(self) -> str:
        """A provenance string for :func:`relabel`, e.g. ``"derived: bytes-per-token < 4.6 -> code"``."""
        return f"derived: bytes-per-token < {self.threshold:g} -> {self.label}"

    def __call__(self, corpus: Corpus) -> np.ndarray:
        """Return one label per document of ``corpus`` (an object array of str)."""
        docs = corpus.docs
        bytes_per_token = docs["n_bytes"] / docs["n_tokens"]
        flagged = (bytes_per_token < self.threshold).to_numpy()
        if self.fallback == "source":
            others = docs["domain"].astype(str).to_numpy(dtype=object)
        else:
            others = np.full(len(docs), self.fallback, dtype=object)
        return np.where(flagged, self.label, others)


def bytes_per_token_rule(threshold: float, label: str = "code", fallback: str = "source") -> BytesPerTokenRule:
    """Make a rule for :func:`derive_labels`: fewer than ``threshold`` bytes per token -> ``label``.

    Code and other fragment-heavy text is tokenized into short pieces, so a low ratio of bytes
    to tokens is a cheap (and fallible) code detector.

    Parameters
    ----------
    threshold : float
        Bytes per token (> 0, finite); a document with ``n_bytes / n_tokens < threshold`` is
        flagged.
    label : str
        The label for flagged documents (default ``"code"``); :func:`derive_labels` checks it is a
        declared domain.
    fallback : str
        ``"source"`` (default) keeps the current label of every other document; any other string
        is used as the label of every other document.

    Returns
    -------
    BytesPerTokenRule
        A callable ``rule(corpus) -> labels``; ``rule.reason`` describes it for :func:`relabel`.

    Raises
    ------
    TypeError
        If ``threshold`` is not a real number, or ``label``/``fallback`` is not a string.
    ValueError
        If ``threshold`` is not > 0 and finite, or ``label``/``fallback`` is empty.

    Used in: 2.1 (a derived code label, and a stricter one in the exercises).
    """
    t = check_positive(threshold, "threshold")
    for name, value in (("label", label), ("fallback", fallback)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string (got {value!r} of type {type(value).__name__})")
        if not value.strip():
            raise ValueError(f"{name} must be a non-empty string (got {value!r})")
    return BytesPerTokenRule(threshold=t, label=label, fallback=fallback)


def relabel(corpus: Corpus, labels: Labels, reason: str) -> Corpus:
    """Return a corpus with new domain labels, keeping the old ones in ``source_domain``.

    Parameters
    ----------
    corpus : Corpus
        The records (not modified).
    labels : array-like of str
        One label per document, all in ``corpus.domains`` (checked with :func:`check_labels`,
        empty domains allowed).
    reason : str
        Why the labels changed (e.g. ``"derived: code-token rule"``); stored in the column
        ``label_reason`` so that downstream tables keep the provenance.

    Returns
    -------
    Corpus
        Same token array; ``domain`` replaced, ``source_domain`` holding the labels before the
        first relabeling, ``label_reason`` the latest reason.

    Raises
    ------
    ValueError
        If ``reason`` is empty or the labels have the wrong length.
    InvariantError
        If a label is missing or unknown.

    Used in: 2.1.
    """
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a mixlab Corpus (got {type(corpus).__name__})")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"reason must be a non-empty string saying why the labels changed (got {reason!r})")
    if len(labels) != len(corpus):
        raise ValueError(f"labels must have one entry per document ({len(corpus):,}), got {len(labels):,}")
    cat = check_labels(labels, corpus.domains, allow_empty=True)
    docs = corpus.docs.copy()
    if "source_domain" not in docs.columns:
        docs["source_domain"] = docs["domain"]
    docs["domain"] = cat
    docs["label_reason"] = pd.Categorical([reason] * len(docs))
    return Corpus(docs, corpus.tokens, corpus.domains, corpus.vocab_size)


def mislabel(labels: Labels, domains: Sequence[str], fraction: float, seed: int) -> pd.Categorical:
    """Simulate labelling noise: move a seeded random ``fraction`` of records to another domain.

    Exactly ``round(fraction * n)`` records, chosen without replacement, each get a label drawn
    uniformly from the *other* domains.

    Parameters
    ----------
    labels : array-like of str
        Correct labels (checked, empty domains allowed).
    domains : sequence of str
        Declared domains (at least two if ``fraction > 0``).
    fraction : float
        In [0, 1].
    seed : int
        Seed of the draw.

    Returns
    -------
    pandas.Categorical

    Used in: 2.1.
    """
    fraction = check_probability(fraction, "fraction")
    seed = check_seed(seed)
    cat = check_labels(labels, domains, allow_empty=True)
    k = len(cat.categories)
    n_flip = int(round(fraction * len(cat)))
    if n_flip and k < 2:
        raise ValueError("mislabel needs at least two domains to move records between")
    rng = np.random.default_rng(seed)
    codes = np.asarray(cat.codes, dtype=np.int64).copy()
    rows = rng.choice(len(codes), size=n_flip, replace=False)
    shift = rng.integers(1, k, size=n_flip) if n_flip else np.zeros(0, dtype=np.int64)
    codes[rows] = (codes[rows] + shift) % k  # never the original domain
    return pd.Categorical.from_codes(codes, categories=cat.categories)


def _record_weights(weights: npt.ArrayLike, n: int) -> np.ndarray:
    """``n`` finite non-negative per-record weights as float64; booleans, strings, NaN refused by name."""
    raw = np.asarray(weights)
    if raw.dtype == bool or not (np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)):
        raise TypeError(f"weights must be numbers, not {raw.dtype} values (no booleans or numeric strings)")
    w = raw.astype(np.float64)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
        bad = w[~np.isfinite(w) | (w < 0)] if w.shape == (n,) else w[:0]
        raise ValueError(f"weights must be {n} finite non-negative numbers (got shape {w.shape}"
                         + (f", e.g. {float(bad[0])}" if bad.size else "") + ")")
    return w


def confusion(
    source_labels: Labels,
    derived_labels: Labels,
    domains: Sequence[str] | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    normalize: str | None = None,
) -> pd.DataFrame:
    """Cross-tabulate source labels (rows) against derived labels (columns).

    Parameters
    ----------
    source_labels, derived_labels : array-like of str
        Two labelings of the same records (same length).
    domains : sequence of str, optional
        Declared domains (rows and columns, in order). Default: the categories of
        ``source_labels`` if it is categorical, else the sorted union of labels.
    weights : array-like of float, optional
        Per-record weight, e.g. ``n_tokens`` for the token view (default: count records).
    normalize : {None, "all", "index", "columns"}
        Divide by the grand total, row sums (share of each source domain sent to each
        derived domain) or column sums.

    Returns
    -------
    pandas.DataFrame
        Index ``source`` and columns ``derived`` over all domains, zeros included.

    Raises
    ------
    TypeError
        If ``weights`` holds booleans, strings or other non-numbers.
    ValueError
        On different lengths, NaN, infinite or negative weights, or a bad ``normalize``.
    InvariantError
        On missing or unknown labels.

    Used in: 2.1.
    """
    if normalize not in (None, "all", "index", "columns"):
        raise ValueError(f"normalize must be None, 'all', 'index' or 'columns' (got {normalize!r})")
    if len(source_labels) != len(derived_labels):
        raise ValueError(
            "source_labels and derived_labels must have the same length "
            f"({len(source_labels)} vs {len(derived_labels)})"
        )
    if domains is None:
        if isinstance(source_labels, pd.Categorical | pd.Series) and isinstance(
            getattr(source_labels, "dtype", None), pd.CategoricalDtype
        ):
            domains = [str(c) for c in pd.Series(source_labels).cat.categories]
        else:
            domains = sorted(set(map(str, source_labels)) | set(map(str, derived_labels)))
    src = check_labels(source_labels, domains, allow_empty=True)
    der = check_labels(derived_labels, domains, allow_empty=True)
    k = len(src.categories)
    w = np.ones(len(src), dtype=np.float64) if weights is None else _record_weights(weights, len(src))
    flat = np.bincount(np.asarray(src.codes) * k + np.asarray(der.codes), weights=w, minlength=k * k)
    table = pd.DataFrame(
        flat.reshape(k, k),
        index=pd.Index(list(src.categories), name="source"),
        columns=pd.Index(list(src.categories), name="derived"),
    )
    if weights is None:
        table = table.astype(np.int64)
    if normalize == "all":
        table = table / table.to_numpy().sum()
    elif normalize == "index":
        table = table.div(table.sum(axis=1).replace(0, np.nan), axis=0)
    elif normalize == "columns":
        table = table.div(table.sum(axis=0).replace(0, np.nan), axis=1)
    return table
