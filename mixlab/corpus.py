"""Records: a table of documents that reference one shared flat token array.

A :class:`Corpus` is the "records" object of the course: metadata in a pandas DataFrame,
tokens in one flat ``int32`` array, each document a slice ``tokens[start:start + n_tokens]``.
Selecting documents (filtering, sampling) builds a new table over the *same* token array,
so no token is copied and no per-document Python object exists on a hot path.

Used in: 2.1 (domains), 1.2 (filters), every notebook that touches data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.validation import InvariantError, check_int, check_names

__all__ = ["Corpus", "CorpusArrays", "DOC_COLUMNS"]

#: The columns every corpus table has, in order.
DOC_COLUMNS: tuple[str, ...] = ("doc_id", "domain", "start", "n_tokens", "n_bytes", "quality")


def _count_column(docs: pd.DataFrame, column: str) -> np.ndarray:
    """A column of whole-number counts as int64; NaN, fractions, booleans and strings are refused by name."""
    col = docs[column]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise TypeError(f"docs.{column} must hold integers (got dtype {col.dtype})")
    values = col.to_numpy()
    if not np.issubdtype(values.dtype, np.integer):
        values = values.astype(np.float64)
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            rows = np.flatnonzero(bad)
            v = float(values[rows[0]])
            shown = "NaN" if math.isnan(v) else repr(v)
            raise ValueError(f"docs.{column} must hold whole numbers (got {shown} at row {rows[0]}; "
                             f"{len(rows):,} such rows)")
    return values.astype(np.int64)


class CorpusArrays(NamedTuple):
    """A corpus's per-document columns and per-domain totals as numpy arrays (:meth:`Corpus.arrays`).

    Used in: no lesson (the samplers and proxy runs read the table once per call with it).
    """

    codes: np.ndarray
    """Domain index of every row, int64 (:meth:`Corpus.domain_codes`)."""
    n_tokens: np.ndarray
    """The ``n_tokens`` column as stored."""
    doc_counts: np.ndarray
    """Documents per domain, int64 (the values of :meth:`Corpus.doc_counts`)."""
    token_counts: np.ndarray
    """Tokens per domain, int64 (the values of :meth:`Corpus.token_counts`)."""


@dataclass(frozen=True, eq=False)
class Corpus:
    """Documents (a metadata table) over one shared flat token array.

    Parameters
    ----------
    docs : pandas.DataFrame
        One row per document with the columns in :data:`DOC_COLUMNS`: ``doc_id`` (unique str),
        ``domain`` (Categorical over ``domains``), ``start`` and ``n_tokens`` (int64; the
        document is ``tokens[start:start + n_tokens]``, ``n_tokens >= 1``), ``n_bytes`` (int64,
        UTF-8 length of the rendered text) and ``quality`` (float in [0, 1]). Extra columns
        are allowed and carried along by :meth:`subset`.
    tokens : numpy.ndarray
        Flat 1-d integer token array shared by all documents.
    domains : sequence of str
        Domain names, in order. Every domain is listed even if it has no document here.
    vocab_size : int
        Token ids lie in ``[0, vocab_size)``.

    Raises
    ------
    ValueError, TypeError
        If a column is missing, ids repeat, a domain is unknown, a slice falls outside
        ``tokens``, a token count is below 1, ``start``/``n_tokens``/``n_bytes`` hold NaN,
        fractions, booleans or strings, or ``quality`` lies outside [0, 1] (NaN included); the
        message names the column, the value and its row.
    """

    docs: pd.DataFrame
    tokens: np.ndarray
    domains: tuple[str, ...]
    vocab_size: int

    def __post_init__(self) -> None:
        domains = check_names(self.domains, "domains")
        object.__setattr__(self, "domains", domains)
        check_int(self.vocab_size, "vocab_size", minimum=1)
        if not isinstance(self.docs, pd.DataFrame):
            raise TypeError(f"docs must be a pandas DataFrame (got {type(self.docs).__name__})")
        missing = [c for c in DOC_COLUMNS if c not in self.docs.columns]
        if missing:
            raise ValueError(f"docs is missing required columns: {', '.join(missing)}")
        tokens = np.asarray(self.tokens)
        if tokens.ndim != 1 or not np.issubdtype(tokens.dtype, np.integer):
            raise TypeError(f"tokens must be a 1-d integer array (got dtype {tokens.dtype}, shape {tokens.shape})")
        object.__setattr__(self, "tokens", tokens)
        dom = self.docs["domain"]
        if not isinstance(dom.dtype, pd.CategoricalDtype) or tuple(dom.cat.categories) != domains:
            unknown = sorted(set(map(str, dom.astype(str).unique())) - set(domains))
            if unknown:
                raise ValueError(f"docs.domain has unknown domain names: {', '.join(unknown)}")
            raise ValueError("docs.domain must be a Categorical whose categories are exactly `domains`, in order")
        if dom.isna().any():
            raise ValueError(f"docs.domain must not be missing (rows {list(np.flatnonzero(dom.isna())[:5])})")
        if self.docs["doc_id"].duplicated().any():
            dups = self.docs.loc[self.docs["doc_id"].duplicated(), "doc_id"].head(5).tolist()
            raise ValueError(f"docs.doc_id must be unique (duplicated: {dups})")
        start = _count_column(self.docs, "start")
        n = _count_column(self.docs, "n_tokens")
        _count_column(self.docs, "n_bytes")
        quality = self.docs["quality"]
        if not pd.api.types.is_numeric_dtype(quality) or pd.api.types.is_bool_dtype(quality):
            raise TypeError(f"docs.quality must be numeric (got dtype {quality.dtype})")
        bad_q = ~quality.between(0.0, 1.0).to_numpy()
        if bad_q.any():
            rows = np.flatnonzero(bad_q)
            raise ValueError(f"docs.quality must lie in [0, 1] (got {float(quality.iloc[rows[0]])} at row {rows[0]}; "
                             f"{len(rows):,} rows outside, NaN included)")
        if len(n) and n.min() < 1:
            raise ValueError(f"docs.n_tokens must be >= 1 (min is {int(n.min())})")
        if len(n) and (start.min() < 0 or (start + n).max() > len(tokens)):
            raise ValueError("every document slice [start, start + n_tokens) must lie inside tokens")

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return len(self.docs)

    @property
    def n_tokens(self) -> int:
        """Total tokens over all documents."""
        return int(self.docs["n_tokens"].sum())

    def subset(self, selector: npt.ArrayLike) -> Corpus:
        """Return the documents picked by ``selector`` over the same token array.

        Parameters
        ----------
        selector : boolean mask (length ``len(self)``) or integer positions
            Which rows to keep. The index is reset; the original row position is *not*
            kept unless the caller stored it in a column.

        Returns
        -------
        Corpus
        """
        sel = np.asarray(selector)
        if sel.dtype == bool:
            if sel.shape != (len(self),):
                raise ValueError(f"selector mask must have length {len(self)} (got shape {sel.shape})")
            docs = self.docs.loc[sel]
        elif np.issubdtype(sel.dtype, np.integer) or sel.size == 0:
            docs = self.docs.iloc[sel.astype(np.int64)]
        else:
            raise TypeError(f"selector must be a boolean mask or integer positions (got dtype {sel.dtype})")
        return Corpus(docs.reset_index(drop=True), self.tokens, self.domains, self.vocab_size)

    def document_tokens(self, i: int) -> np.ndarray:
        """Token ids of row ``i`` (a view, not a copy)."""
        i = check_int(i, "i", minimum=0, maximum=len(self) - 1)
        s = int(self.docs["start"].iat[i])
        return self.tokens[s : s + int(self.docs["n_tokens"].iat[i])]

    def domain_codes(self) -> np.ndarray:
        """Integer domain index (position in ``domains``) of every row, int64."""
        return self.docs["domain"].cat.codes.to_numpy().astype(np.int64)

    def doc_counts(self) -> pd.Series:
        """Documents per domain (every domain present, in order)."""
        counts = np.bincount(self.domain_codes(), minlength=len(self.domains))
        return pd.Series(counts.astype(np.int64), index=pd.Index(self.domains, name="domain"), name="docs")

    def token_counts(self) -> pd.Series:
        """Tokens per domain (every domain present, in order)."""
        counts = np.bincount(
            self.domain_codes(), weights=self.docs["n_tokens"].to_numpy(), minlength=len(self.domains)
        )
        return pd.Series(counts.astype(np.int64), index=pd.Index(self.domains, name="domain"), name="tokens")

    def arrays(self) -> CorpusArrays:
        """Domain codes, token counts and per-domain totals as numpy arrays, read from the table once.

        Nothing is cached: the arrays reflect ``docs`` as it is now, so a caller that needs several
        of them in one operation reads the table once instead of once per :meth:`token_counts`.

        Returns
        -------
        CorpusArrays
        """
        codes = self.domain_codes()
        lengths = self.docs["n_tokens"].to_numpy()
        k = len(self.domains)
        n_docs = np.bincount(codes, minlength=k).astype(np.int64)
        n_tokens = np.bincount(codes, weights=lengths, minlength=k).astype(np.int64)
        return CorpusArrays(codes, lengths, n_docs, n_tokens)

    def concatenated_tokens(
        self, rows: Sequence[int] | np.ndarray | None = None, lengths: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gather the tokens of ``rows`` (all rows if None) into one new array.

        Parameters
        ----------
        rows : sequence of int, optional
            Row positions, repeats allowed (a document drawn twice appears twice).
        lengths : numpy.ndarray, optional
            Take only the first ``lengths[j]`` tokens of row ``rows[j]`` (``1 <= lengths[j] <=
            n_tokens``), e.g. to cut the last document at a token budget.

        Returns
        -------
        tokens : numpy.ndarray
            The documents' tokens back to back, in row order.
        offsets : numpy.ndarray
            int64 array of length ``len(rows) + 1``; document j is ``tokens[offsets[j]:offsets[j+1]]``.
        """
        idx = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        starts = self.docs["start"].to_numpy()[idx]
        lens = self.docs["n_tokens"].to_numpy()[idx]
        if lengths is not None:
            cut = np.asarray(lengths, dtype=np.int64)
            if cut.shape != lens.shape or (cut.size and (cut.min() < 1 or (cut > lens).any())):
                raise ValueError("lengths must have one entry per row, each in [1, n_tokens of that row]")
            lens = cut
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        # position p of the output belongs to doc j = searchsorted; token index = starts[j] + (p - offsets[j])
        gather = np.arange(offsets[-1], dtype=np.int64) + np.repeat(starts - offsets[:-1], lens)
        return self.tokens[gather], offsets

    def check(self) -> None:
        """Re-run the construction checks (useful after editing ``docs`` in place).

        Raises
        ------
        InvariantError
            If any construction check fails.
        """
        try:
            Corpus(self.docs, self.tokens, self.domains, self.vocab_size)
        except (TypeError, ValueError) as exc:
            raise InvariantError(str(exc)) from exc

    def __repr__(self) -> str:
        return (
            f"Corpus({len(self):,} docs, {self.n_tokens:,} tokens, {len(self.domains)} domains: "
            f"{', '.join(self.domains)}; vocab {self.vocab_size})"
        )
