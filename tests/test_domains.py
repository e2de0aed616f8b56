"""Tests for mixlab.domains: partition checks, stats table, labels and confusion."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from corpus_factory import corpus_from_docs, make_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.corpus import Corpus
from mixlab.domains import (
    bytes_per_token_rule,
    check_labels,
    check_partition,
    confusion,
    derive_labels,
    domain_stats,
    mislabel,
    relabel,
)
from mixlab.validation import InvariantError

DOMS = ["web", "books", "code"]


# ------------------------------------------------------------------ partition
def test_check_labels_passes_and_returns_categorical() -> None:
    cat = check_labels(["web", "code", "books", "web"], DOMS)
    assert list(cat.categories) == DOMS
    assert cat.tolist() == ["web", "code", "books", "web"]


@pytest.mark.parametrize(
    "labels,domains,pattern",
    [
        (["web", None, "code", "books"], DOMS, r"1 missing \(None/NaN\) at rows \[1\]"),
        (["web", np.nan, "code", "books"], DOMS, r"missing .* at rows \[1\]"),
        (["web", "wiki", "wiki", "code", "books"], DOMS, r"not in the declared domains .*wiki=2"),
        (["web", "web", "code"], DOMS, "declared domains with no record: books"),
        (["web", "code"], ["web", "code", "web"], "must not repeat a name .*web"),
        (["web"], [], "at least one domain"),
    ],
)
def test_check_labels_fails_with_named_condition(labels, domains, pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvariantError, match=pattern):
        check_labels(labels, domains)


def test_check_labels_allow_empty() -> None:
    assert len(check_labels(["web"], DOMS, allow_empty=True)) == 1


def test_check_partition_on_corpus() -> None:
    c = make_corpus(0, 60)
    check_partition(c)
    check_partition(c, DOMS)
    with pytest.raises(InvariantError, match="not in the declared domains .*books"):
        check_partition(c, ["web", "code"])
    with pytest.raises(InvariantError, match="no record: math"):
        check_partition(c, [*DOMS, "math"])
    # in-place edits after construction are caught
    c.docs.loc[3, "domain"] = np.nan
    with pytest.raises(InvariantError, match=r"missing .* rows \[3\]"):
        check_partition(c)


def test_check_partition_duplicate_doc_id() -> None:
    c = make_corpus(1, 20)
    dup_id = c.docs.loc[0, "doc_id"]
    c.docs.loc[5, "doc_id"] = dup_id
    with pytest.raises(InvariantError, match=f"doc_id must be unique; repeated: {dup_id}=2"):
        check_partition(c)


def test_check_partition_empty_domain_after_filtering() -> None:
    c = make_corpus(2, 40)
    no_code = c.subset((c.docs["domain"] != "code").to_numpy())
    with pytest.raises(InvariantError, match="no record: code"):
        check_partition(no_code)
    check_partition(no_code, allow_empty=True)


# ------------------------------------------------------------------ stats
def test_domain_stats_by_hand() -> None:
    docs = [[1] * 2, [1] * 4, [1] * 10, [1] * 30, [1] * 1]
    c = corpus_from_docs(docs, ["web", "web", "books", "books", "web"], domains=["web", "books", "code"])
    s = domain_stats(c)
    assert list(s.index) == ["web", "books", "code"]
    assert s.loc["web", "docs"] == 3 and s.loc["web", "tokens"] == 7
    assert s.loc["books", "docs"] == 2 and s.loc["books", "tokens"] == 40
    assert s.loc["code", "docs"] == 0 and s.loc["code", "tokens"] == 0
    assert s.loc["web", "mean_len"] == pytest.approx(7 / 3)
    assert s.loc["web", "median_len"] == 2
    assert s.loc["books", "median_len"] == 20
    assert np.isnan(s.loc["code", "mean_len"])
    assert s.loc["web", "share_docs"] == pytest.approx(0.6)
    assert s.loc["books", "share_tokens"] == pytest.approx(40 / 47)
    assert s.loc["code", "share_tokens"] == 0
    assert s.loc["books", "bytes"] == 160
    assert s.loc["books", "p90_len"] == pytest.approx(28)
    assert s["docs"].dtype == np.int64 and s["tokens"].dtype == np.int64
    assert list(s.columns[:6]) == ["docs", "tokens", "mean_len", "median_len", "share_docs", "share_tokens"]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 150))
def test_domain_stats_agrees_with_corpus_counts(seed: int, n: int) -> None:
    c = make_corpus(seed, n)
    s = domain_stats(c)
    pd.testing.assert_series_equal(s["docs"], c.doc_counts(), check_names=False)
    pd.testing.assert_series_equal(s["tokens"], c.token_counts(), check_names=False)
    assert s["share_docs"].sum() == pytest.approx(1.0)
    assert s["share_tokens"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------ labels
def _code_rule(corpus: Corpus) -> np.ndarray:
    """Toy rule: long documents are 'books', the rest keep their label."""
    labels = corpus.docs["domain"].astype(object).to_numpy().copy()
    labels[corpus.docs["n_tokens"].to_numpy() > 100] = "books"
    return labels


def test_derive_relabel_and_confusion() -> None:
    c = make_corpus(3, 200)
    derived = derive_labels(c, _code_rule)
    table = confusion(c.docs["domain"], derived)
    assert table.index.name == "source" and table.columns.name == "derived"
    assert list(table.index) == DOMS and list(table.columns) == DOMS
    assert table.to_numpy().sum() == len(c)
    long_web = ((c.docs["domain"] == "web") & (c.docs["n_tokens"] > 100)).sum()
    assert table.loc["web", "books"] == long_web
    assert table.loc["books", "web"] == 0
    tok = confusion(c.docs["domain"], derived, weights=c.docs["n_tokens"])
    assert tok.to_numpy().sum() == pytest.approx(c.n_tokens)
    rows = confusion(c.docs["domain"], derived, normalize="index")
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)

    new = relabel(c, derived, "rule: long documents are books")
    assert (new.docs["source_domain"] == c.docs["domain"]).all()
    assert new.docs["domain"].tolist() == list(derived)
    assert new.docs["label_reason"].iloc[0] == "rule: long documents are books"
    assert new.tokens is c.tokens
    # token shares move more than document shares: long documents changed domain
    before, after = domain_stats(c), domain_stats(new)
    assert after.loc["books", "share_tokens"] - before.loc["books", "share_tokens"] > (
        after.loc["books", "share_docs"] - before.loc["books", "share_docs"]
    )
    with pytest.raises(ValueError, match="reason"):
        relabel(c, derived, "")
    with pytest.raises(InvariantError, match="not in the declared"):
        relabel(c, ["wiki"] * len(c), "bad")


def test_derive_labels_checks_rule_output() -> None:
    c = make_corpus(4, 10)
    with pytest.raises(InvariantError, match="returned 3 labels for 10"):
        derive_labels(c, lambda corpus: ["web"] * 3)


def test_mislabel_is_seeded_and_exact() -> None:
    labels = make_corpus(5, 400).docs["domain"]
    a = mislabel(labels, DOMS, 0.1, seed=7)
    b = mislabel(labels, DOMS, 0.1, seed=7)
    assert a.tolist() == b.tolist()
    changed = np.asarray(a.astype(object)) != labels.astype(object).to_numpy()
    assert changed.sum() == 40
    assert mislabel(labels, DOMS, 0.0, seed=1).tolist() == labels.tolist()
    off = confusion(labels, a).to_numpy()
    assert off.sum() - np.trace(off) == 40
    with pytest.raises(ValueError, match="fraction"):
        mislabel(labels, DOMS, 1.5, seed=1)


def test_confusion_validation() -> None:
    with pytest.raises(ValueError, match="same length"):
        confusion(["web"], ["web", "code"])
    with pytest.raises(ValueError, match="normalize"):
        confusion(["web"], ["web"], normalize="rows")
    t = confusion(["web", "code"], ["code", "code"])
    assert list(t.index) == ["code", "web"]  # sorted union when no domains are given


# ------------------------------------------------------------------ bytes-per-token rule
def _with_bytes_per_token(c: Corpus, seed: int) -> tuple[Corpus, np.ndarray]:
    """A copy of ``c`` whose documents have 3.0 to 6.0 bytes per token (exact ratios)."""
    docs = c.docs.copy()
    ratio = np.random.default_rng(seed).integers(30, 61, size=len(docs)) / 10
    docs["n_bytes"] = np.round(ratio * docs["n_tokens"].to_numpy()).astype(np.int64)
    new = dataclasses.replace(c, docs=docs)
    return new, new.docs["n_bytes"].to_numpy() / new.docs["n_tokens"].to_numpy()


def test_bytes_per_token_rule_flags_low_ratio_and_keeps_source() -> None:
    c, ratio = _with_bytes_per_token(make_corpus(6, 300), seed=1)
    rule = bytes_per_token_rule(4.6)
    labels = np.asarray(derive_labels(c, rule), dtype=object)
    flagged = ratio < 4.6
    assert flagged.any() and (~flagged).any()
    assert (labels[flagged] == "code").all()
    np.testing.assert_array_equal(labels[~flagged], c.docs["domain"].astype(str).to_numpy()[~flagged])
    assert rule.reason == "derived: bytes-per-token < 4.6 -> code"
    assert repr(rule) == "BytesPerTokenRule(threshold=4.6, label='code', fallback='source')"
    # a stricter threshold moves a subset of those documents
    strict = np.asarray(derive_labels(c, bytes_per_token_rule(4.3)), dtype=object)
    source = c.docs["domain"].astype(str).to_numpy()
    moved, moved_strict = labels != source, strict != source
    assert moved_strict.sum() < moved.sum() and not (moved_strict & ~moved).any()


def test_bytes_per_token_rule_fixed_fallback_and_label() -> None:
    c, ratio = _with_bytes_per_token(make_corpus(7, 50), seed=2)
    labels = np.asarray(derive_labels(c, bytes_per_token_rule(4.5, label="books", fallback="web")), dtype=object)
    np.testing.assert_array_equal(labels, np.where(ratio < 4.5, "books", "web"))


def test_bytes_per_token_rule_validates() -> None:
    with pytest.raises(ValueError, match="threshold must be > 0"):
        bytes_per_token_rule(0.0)
    with pytest.raises(TypeError, match="threshold must be a real number"):
        bytes_per_token_rule("4.6")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="label must be a non-empty string"):
        bytes_per_token_rule(4.6, label="")
    with pytest.raises(TypeError, match="fallback must be a string"):
        bytes_per_token_rule(4.6, fallback=None)  # type: ignore[arg-type]
    c = make_corpus(8, 20)
    with pytest.raises(InvariantError, match="not in the declared"):
        derive_labels(c, bytes_per_token_rule(100.0, label="wiki"))


@pytest.mark.parametrize(
    ("weights", "exc", "pattern"),
    [
        ([True, False, True], TypeError, r"weights must be numbers, not bool"),
        (["1", "2", "3"], TypeError, r"weights must be numbers, not <U1"),
        ([1.0, np.nan, 1.0], ValueError, r"must be 3 finite non-negative numbers \(got shape \(3,\), e\.g\. nan\)"),
        ([1.0, -2.0, 1.0], ValueError, r"e\.g\. -2\.0"),
    ],
)
def test_confusion_refuses_bad_weights(weights: list, exc: type, pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        confusion(["web", "code", "web"], ["web", "web", "code"], ["web", "code"], weights=weights)
