"""Tests for mixlab.text: the word table, rendering, byte lengths and the token-count estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.text import (
    DEFAULT_CHARS_PER_TOKEN,
    PIECE_KINDS,
    byte_lengths,
    estimate_tokens,
    estimator_error,
    render_document,
    render_tokens,
    word_table,
)
from mixlab.world import World


def test_word_table_deterministic_and_mixed() -> None:
    a = word_table(512)
    assert a is word_table(512)  # cached, immutable
    b = word_table(512, seed=1)
    assert a.pieces != b.pieces
    assert a.vocab_size == 512
    counts = np.bincount(a.kind, minlength=3)
    assert counts.min() > 0  # words, continuations and punctuation all exist
    words = np.array([p.startswith(" ") for p in a.pieces])
    np.testing.assert_array_equal(words, a.kind == 0)
    np.testing.assert_array_equal(a.leading_space, words.astype(np.int64))
    np.testing.assert_array_equal(a.n_bytes, [len(p.encode()) for p in a.pieces])
    assert all(p.isascii() and p for p in a.pieces)
    frame = a.to_frame()
    assert list(frame.columns) == ["piece", "kind", "n_bytes"]
    assert list(frame["kind"].cat.categories) == list(PIECE_KINDS)
    with pytest.raises(ValueError, match="writable|read-only"):
        a.n_bytes[0] = 3


def test_word_table_bad_args() -> None:
    with pytest.raises(ValueError, match="vocab_size must be >= 1"):
        word_table(0)
    with pytest.raises(TypeError, match="seed must be a non-negative integer"):
        word_table(10, seed=1.5)  # type: ignore[arg-type]


def test_render_and_byte_lengths_agree(default_world: World) -> None:
    train = default_world.train
    rng = np.random.default_rng(0)
    rows = rng.choice(len(train), size=60, replace=False)
    for i in rows:
        text = render_document(train, int(i))
        assert len(text.encode("utf-8")) == train.docs["n_bytes"].iat[int(i)]
        assert not text.startswith(" ")
    # token count differs from whitespace word count (continuations, punctuation)
    text = render_document(train, int(rows[0]))
    assert len(text.split()) < train.docs["n_tokens"].iat[int(rows[0])]


def test_byte_lengths_on_sample(tiny: World) -> None:
    words = word_table(tiny.vocab_size)
    tokens, offsets = tiny.validation.concatenated_tokens([0, 3, 7])
    got = byte_lengths(tokens, offsets, words=words)
    want = [len(render_tokens(tokens[offsets[j] : offsets[j + 1]], words=words)) for j in range(3)]
    assert got.tolist() == want


def test_byte_lengths_errors() -> None:
    words = word_table(16)
    t = np.array([1, 2, 3], dtype=np.int32)
    with pytest.raises(ValueError, match="strictly increasing"):
        byte_lengths(t, np.array([0, 0, 3]), words=words)
    with pytest.raises(ValueError, match="must lie in"):
        byte_lengths(t, np.array([0, 5]), words=words)
    assert byte_lengths(t, np.array([0]), words=words).size == 0


def test_render_tokens_errors() -> None:
    words = word_table(16)
    with pytest.raises(ValueError, match="needs words"):
        render_tokens([1, 2])
    with pytest.raises(ValueError, match=r"must lie in \[0, 16\)"):
        render_tokens([1, 16], words=words)
    assert render_tokens([], words=words) == ""


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 63), min_size=1, max_size=60))
def test_byte_length_property(tokens: list[int]) -> None:
    words = word_table(64)
    arr = np.array(tokens, dtype=np.int32)
    got = byte_lengths(arr, np.array([0, len(arr)]), words=words)[0]
    assert got == len(render_tokens(arr, words=words).encode())


def test_estimate_tokens() -> None:
    assert DEFAULT_CHARS_PER_TOKEN == 4.0
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    assert estimate_tokens("abcdef", chars_per_token=3) == 2
    np.testing.assert_array_equal(estimate_tokens(["", "abcde", "x" * 9]), [0, 2, 3])
    with pytest.raises(ValueError, match="chars_per_token must be > 0"):
        estimate_tokens("abc", chars_per_token=0)
    with pytest.raises(TypeError, match="iterable of strings"):
        estimate_tokens(["a", 3])  # type: ignore[list-item]


def test_estimator_error_matches_rendering_on_sample(default_world: World) -> None:
    train = default_world.train
    err = estimator_error(train)
    assert list(err.index) == list(train.domains)
    assert list(err.columns) == ["docs", "tokens", "estimated_tokens", "bytes_per_token", "bias", "mape"]
    assert err["tokens"].sum() == train.n_tokens
    # vectorized estimate == estimate from rendered text, on a sample
    rows = np.random.default_rng(1).choice(len(train), size=40, replace=False)
    texts = [render_document(train, int(i)) for i in rows]
    from_text = estimate_tokens(texts)
    from_bytes = np.ceil(train.docs["n_bytes"].to_numpy()[rows] / 4.0).astype(np.int64)
    np.testing.assert_array_equal(from_text, from_bytes)


def test_estimator_error_differs_by_domain(default_world: World) -> None:
    err = estimator_error(default_world.train)
    # short-piece domains (code, math) have fewer bytes per token than long-word domains (books, wiki)
    assert err.loc["code", "bytes_per_token"] < err.loc["web", "bytes_per_token"]
    assert err.loc["math", "bytes_per_token"] < err.loc["books", "bytes_per_token"]
    assert err["bias"].max() - err["bias"].min() > 0.2
    assert (err["mape"] > 0).all()  # doc-weighted, so not bounded by the token-weighted bias
    # the rule with the right characters-per-token for a domain is nearly unbiased for it
    c = float(err.loc["code", "bytes_per_token"])
    code = estimator_error(default_world.train, chars_per_token=c)
    assert abs(code.loc["code", "bias"]) < 0.02
    assert math.isfinite(code.loc["books", "bias"])


def test_byte_lengths_chunked(tiny: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import mixlab.text as text_mod

    d = tiny.train.docs
    offsets = np.append(d["start"].to_numpy(), len(tiny.train.tokens))
    words = word_table(tiny.vocab_size)
    whole = byte_lengths(tiny.train.tokens, offsets, words=words)
    monkeypatch.setattr(text_mod, "_CHUNK_TOKENS", 97)
    np.testing.assert_array_equal(byte_lengths(tiny.train.tokens, offsets, words=words), whole)
    np.testing.assert_array_equal(whole, d["n_bytes"].to_numpy())
