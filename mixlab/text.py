"""Token ids as text: pseudo-words, rendering, and estimating token counts from text.

The synthetic world's tokens are integers. To make the "bytes are not tokens" lesson concrete,
every token id is given a fixed spelling (a *piece*) by :func:`word_table`:

* ``word`` pieces start with a space and spell a pseudo-word built from syllables (``" tovra"``);
* ``continuation`` pieces have no leading space and glue onto the previous piece (``"ik"``),
  like the sub-word units of a BPE tokenizer;
* ``punct`` pieces are single punctuation or operator characters (``","``, ``"("``, ``"="``).

A document's text is the concatenation of its pieces with the leading space of the very first
piece removed. Pieces are ASCII, so characters and UTF-8 bytes coincide, and a document's byte
length is a sum over its tokens (see :func:`byte_lengths`), computed without rendering.

Because pieces have different lengths, domains whose token process favours short pieces
(punctuation, fragments: code, math) have fewer bytes per token than domains that favour long
words (books, wiki). A fixed "characters per token" rule (:func:`estimate_tokens`) is therefore
biased differently per domain, which :func:`estimator_error` measures.

Used in: 2.1 (:func:`render_document`); indirectly 1.2 (the audit samples' text previews) and 2.1 and
2.5 (every document's byte length, hence bytes per token, comes from :func:`byte_lengths`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from mixlab.validation import check_int, check_positive, check_seed

if TYPE_CHECKING:
    from mixlab.corpus import Corpus

__all__ = [
    "WordTable",
    "word_table",
    "render_tokens",
    "render_document",
    "byte_lengths",
    "estimate_tokens",
    "estimator_error",
    "DEFAULT_CHARS_PER_TOKEN",
    "PIECE_KINDS",
]

#: The rule of thumb for English text and BPE tokenizers: about four characters per token.
DEFAULT_CHARS_PER_TOKEN: float = 4.0

#: The kinds of piece a token can spell, as stored in :attr:`WordTable.kind` (codes 0, 1, 2).
PIECE_KINDS: tuple[str, ...] = ("word", "continuation", "punct")

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "kl", "sh", "th")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_CODAS = ("", "", "", "n", "r", "s", "l", "k")
_PUNCT = (",", ".", ";", ":", "(", ")", "=", "+", "-", "*", "/", "{", "}", "[", "]", "!", "?", "'", '"', "_")

# Tokens per chunk when summing byte lengths (bounds temporary memory).
_CHUNK_TOKENS = 1 << 20

# Shares of the vocabulary given to each kind (the rest are words).
_PUNCT_SHARE = 0.06
_CONTINUATION_SHARE = 0.30


@dataclass(frozen=True, eq=False)
class WordTable:
    """The spelling of every token id.

    Attributes
    ----------
    pieces : tuple of str
        ``pieces[t]`` is the text of token ``t`` (words include their leading space).
    kind : numpy.ndarray
        int8 code per token: 0 word, 1 continuation, 2 punct (see :data:`PIECE_KINDS`).
    n_bytes : numpy.ndarray
        int64 UTF-8 length of each piece (read-only).
    leading_space : numpy.ndarray
        int64, 1 where the piece starts with a space (words), else 0 (read-only).

    Used in: no lesson calls it by name.
    """

    pieces: tuple[str, ...]
    kind: np.ndarray
    n_bytes: np.ndarray
    leading_space: np.ndarray

    @property
    def vocab_size(self) -> int:
        """Number of token ids."""
        return len(self.pieces)

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame indexed by token id (columns ``piece``, ``kind``, ``n_bytes``).

        Used in: no lesson calls it by name.
        """
        return pd.DataFrame(
            {
                "piece": list(self.pieces),
                "kind": pd.Categorical.from_codes(self.kind, categories=pd.Index(PIECE_KINDS)),
                "n_bytes": self.n_bytes,
            },
            index=pd.RangeIndex(self.vocab_size, name="token"),
        )


def _syllables(rng: np.random.Generator, n: int) -> str:
    return "".join(
        _ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))] + _CODAS[rng.integers(len(_CODAS))]
        for _ in range(n)
    )


@functools.lru_cache(maxsize=16)
def _word_table_cached(vocab_size: int, seed: int) -> WordTable:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7E47]))
    n_punct = min(len(_PUNCT), max(1, round(_PUNCT_SHARE * vocab_size))) if vocab_size >= 8 else 0
    n_cont = round(_CONTINUATION_SHARE * vocab_size)
    kind = np.zeros(vocab_size, dtype=np.int8)
    order = rng.permutation(vocab_size)
    kind[order[:n_punct]] = 2
    kind[order[n_punct : n_punct + n_cont]] = 1
    # word lengths in syllables: mostly 1-2, some 3-4 (a heavy-ish tail like real vocabularies)
    n_syll = rng.choice(np.array([1, 2, 3, 4]), size=vocab_size, p=[0.35, 0.4, 0.18, 0.07])
    pieces: list[str] = []
    punct_iter = iter(_PUNCT)
    # The vocabulary is small (hundreds to a few thousand ids) and built once per size: a loop is fine here.
    for t in range(vocab_size):
        if kind[t] == 2:
            pieces.append(next(punct_iter))
        elif kind[t] == 1:
            pieces.append(_syllables(rng, 1)[: 2 + int(rng.integers(2))])
        else:
            pieces.append(" " + _syllables(rng, int(n_syll[t])))
    n_bytes = np.array([len(p.encode("utf-8")) for p in pieces], dtype=np.int64)
    leading = (kind == 0).astype(np.int64)
    for arr in (kind, n_bytes, leading):
        arr.setflags(write=False)
    return WordTable(tuple(pieces), kind, n_bytes, leading)


def word_table(vocab_size: int, seed: int = 0) -> WordTable:
    """Deterministic pseudo-word spelling for every token id.

    Parameters
    ----------
    vocab_size : int
        Number of token ids (>= 1).
    seed : int
        Seed of the spelling. The synthetic world always uses the default ``0``, so that
        :func:`render_document` and the corpus's ``n_bytes`` column agree.

    Returns
    -------
    WordTable
        Immutable; the same arguments return the same (cached) object.

    Raises
    ------
    TypeError, ValueError
        If ``vocab_size`` is not a positive integer or ``seed`` is not a non-negative integer.

    Used in: no lesson calls it by name.
    """
    vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
    seed = check_seed(seed)
    return _word_table_cached(vocab_size, seed)


def render_tokens(tokens: npt.ArrayLike, *, words: WordTable | None = None) -> str:
    """Render a sequence of token ids as text.

    Parameters
    ----------
    tokens : array-like of int
        Token ids of one document.
    words : WordTable, optional
        Spelling to use; default ``word_table(max(tokens) + 1)`` is *not* used — the vocabulary
        size must be known, so pass ``words`` or use :func:`render_document`.

    Returns
    -------
    str
        The pieces concatenated, without the leading space of the first piece.

    Raises
    ------
    ValueError
        If ``words`` is missing or a token id is outside the table.

    Used in: no lesson calls it by name.
    """
    if words is None:
        raise ValueError("render_tokens needs words=word_table(vocab_size) (the vocabulary size is not implied)")
    arr = np.asarray(tokens)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"tokens must be a 1-d integer array (got dtype {arr.dtype}, shape {arr.shape})")
    if arr.size and (arr.min() < 0 or arr.max() >= words.vocab_size):
        raise ValueError(f"tokens must lie in [0, {words.vocab_size}) (got min {arr.min()}, max {arr.max()})")
    text = "".join(words.pieces[t] for t in arr.tolist())
    return text[1:] if text.startswith(" ") else text


def render_document(corpus: Corpus, i: int) -> str:
    """Render row ``i`` of ``corpus`` as text, with the world's spelling ``word_table(corpus.vocab_size)``.

    Parameters
    ----------
    corpus : Corpus
        Any corpus (train, validation, a filtered subset).
    i : int
        Row position.

    Returns
    -------
    str
        The document's text; ``len(text.encode()) == corpus.docs.n_bytes[i]`` for a generated world.

    Used in: 2.1.
    """
    return render_tokens(corpus.document_tokens(i), words=word_table(corpus.vocab_size))


def byte_lengths(tokens: np.ndarray, offsets: np.ndarray, *, words: WordTable) -> np.ndarray:
    """UTF-8 byte length of the rendered text of each document, without rendering.

    Parameters
    ----------
    tokens : numpy.ndarray
        Flat integer token array.
    offsets : numpy.ndarray
        Non-decreasing int array of length ``n_docs + 1``; document ``j`` is
        ``tokens[offsets[j]:offsets[j+1]]``; every document must be non-empty.
    words : WordTable
        The spelling.

    Returns
    -------
    numpy.ndarray
        int64 bytes per document: the sum of its pieces' lengths minus the leading space of its
        first piece (matching :func:`render_tokens`).

    Raises
    ------
    ValueError
        If offsets are not strictly increasing or do not fit ``tokens``.

    Used in: no lesson calls it by name.
    """
    off = np.asarray(offsets, dtype=np.int64)
    if off.ndim != 1 or off.size < 1:
        raise ValueError(f"offsets must be a 1-d array of length n_docs + 1 (got shape {off.shape})")
    if off.size == 1:
        return np.zeros(0, dtype=np.int64)
    if np.any(np.diff(off) < 1):
        raise ValueError("offsets must be strictly increasing (every document needs at least one token)")
    if off[0] < 0 or off[-1] > len(tokens):
        raise ValueError(f"offsets must lie in [0, {len(tokens)}] (got {off[0]}..{off[-1]})")
    table = words.n_bytes.astype(np.uint8) if words.n_bytes.max() < 256 else words.n_bytes
    sums = np.empty(off.size - 1, dtype=np.int64)
    # chunks of about _CHUNK_TOKENS tokens bound the temporaries (reduceat casts its input to int64)
    cuts = np.searchsorted(off, np.arange(off[0], off[-1], _CHUNK_TOKENS), side="right") - 1
    edges = np.unique(np.concatenate([cuts, [off.size - 1]]))
    for a, b in zip(edges[:-1], edges[1:], strict=True):  # loop over memory chunks, not documents
        per_token = table[tokens[off[a] : off[b]]]
        sums[a:b] = np.add.reduceat(per_token, off[a:b] - off[a], dtype=np.int64)
    return sums - words.leading_space[tokens[off[:-1]]]


@overload
def estimate_tokens(text: str, chars_per_token: float = ...) -> int: ...  # type: ignore[overload-overlap]
@overload
def estimate_tokens(text: Iterable[str], chars_per_token: float = ...) -> np.ndarray: ...


def estimate_tokens(text: str | Iterable[str], chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> int | np.ndarray:
    """Estimate a token count from text with a fixed characters-per-token rule.

    The heuristic is ``ceil(len(text) / chars_per_token)`` — the common "about four characters
    per token" rule of thumb for English and BPE tokenizers. Empty text gives 0.

    Parameters
    ----------
    text : str or iterable of str
        One text or several.
    chars_per_token : float
        Assumed characters per token (> 0).

    Returns
    -------
    int or numpy.ndarray
        An int for one text, an int64 array for several.

    Raises
    ------
    TypeError
        If ``text`` is neither a string nor an iterable of strings.
    ValueError
        If ``chars_per_token`` is not a positive finite number.

    Used in: no lesson calls it by name.
    """
    c = check_positive(chars_per_token, "chars_per_token")
    if isinstance(text, str):
        return math.ceil(len(text) / c)
    texts = list(text)
    bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
    if bad:
        raise TypeError(f"text must be a string or an iterable of strings (got items of type {sorted(set(bad))})")
    chars = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return _ceil_div(chars, c)


def _ceil_div(chars: np.ndarray, c: float) -> np.ndarray:
    return np.ceil(chars / c).astype(np.int64)


def estimator_error(corpus: Corpus, chars_per_token: float = DEFAULT_CHARS_PER_TOKEN) -> pd.DataFrame:
    """Compare the exact token count with the characters-per-token estimate, per domain.

    Uses the ``n_bytes`` column (rendered texts are ASCII, so bytes = characters), so nothing
    is rendered; the per-document estimate is ``ceil(n_bytes / chars_per_token)``.

    Parameters
    ----------
    corpus : Corpus
        Documents to evaluate.
    chars_per_token : float
        The rule's characters per token (> 0).

    Returns
    -------
    pandas.DataFrame
        Indexed by domain (all domains, in order), columns:
        ``docs``, ``tokens`` (exact), ``estimated_tokens``, ``bytes_per_token``,
        ``bias`` (relative error of the totals, ``estimated / tokens - 1``; NaN for an empty
        domain) and ``mape`` (mean over documents of ``|estimate - t_x| / t_x``).

    Raises
    ------
    ValueError
        If ``chars_per_token`` is not a positive finite number.

    Used in: no lesson calls it by name.
    """
    c = check_positive(chars_per_token, "chars_per_token")
    k = len(corpus.domains)
    codes = corpus.domain_codes()
    n_tok = corpus.docs["n_tokens"].to_numpy(dtype=np.int64)
    n_bytes = corpus.docs["n_bytes"].to_numpy(dtype=np.int64)
    est = _ceil_div(n_bytes, c)
    docs = np.bincount(codes, minlength=k)
    tokens = np.bincount(codes, weights=n_tok, minlength=k)
    est_tot = np.bincount(codes, weights=est, minlength=k)
    bytes_tot = np.bincount(codes, weights=n_bytes, minlength=k)
    ape = np.bincount(codes, weights=np.abs(est - n_tok) / n_tok, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "docs": docs.astype(np.int64),
                "tokens": tokens.astype(np.int64),
                "estimated_tokens": est_tot.astype(np.int64),
                "bytes_per_token": bytes_tot / tokens,
                "bias": est_tot / tokens - 1.0,
                "mape": ape / docs,
            },
            index=pd.Index(corpus.domains, name="domain"),
        )
    return out
