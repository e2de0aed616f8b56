"""Tests for mixlab.sampling: probabilities, seeded draws, epoch accounting, blended index, checks."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.corpus import Corpus
from mixlab.mixture import Mixture
from mixlab.sampling import (
    blended_index,
    blended_index_bound,
    blended_index_reference,
    check_realized,
    document_probabilities,
    draw_documents,
    max_prefix_deviation,
    prefix_deviation,
    realized_mixture,
    sample_budget,
    sample_documents,
)
from mixlab.validation import InvariantError

DOMS = ("web", "books", "code")


def make_corpus(lengths_by_domain: dict[str, list[int]], domains: tuple[str, ...] = DOMS) -> Corpus:
    """A corpus with the given document lengths per domain, rows interleaved by domain."""
    rows = [(d, n) for d in domains for n in lengths_by_domain.get(d, [])]
    order = np.random.default_rng(0).permutation(len(rows))
    rows = [rows[i] for i in order]
    lens = np.array([n for _, n in rows], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    ids = [f"{d}-{i:07d}" for i, (d, _) in enumerate(rows)]
    docs = pd.DataFrame(
        {
            "doc_id": ids,
            "domain": pd.Categorical([d for d, _ in rows], categories=list(domains)),
            "start": starts,
            "n_tokens": lens,
            "n_bytes": lens * 4,
            "quality": np.full(len(rows), 0.5),
        }
    )
    return Corpus(docs, np.zeros(int(lens.sum()), dtype=np.int32), domains, 10)


CORPUS = make_corpus({"web": [10, 30, 60], "books": [500, 1500], "code": [5, 5, 5, 5]})
TOKMIX = Mixture({"web": 0.5, "books": 0.3, "code": 0.2})
DOCMIX = Mixture({"web": 0.5, "books": 0.3, "code": 0.2}, kind="document")


# ---------------------------------------------------------------- probabilities
def test_document_probabilities_token_and_document_weighted() -> None:
    doms = CORPUS.docs["domain"].astype(str).to_numpy()
    lens = CORPUS.docs["n_tokens"].to_numpy()
    p = document_probabilities(CORPUS, TOKMIX)
    T = {"web": 100, "books": 2000, "code": 20}
    expected = np.array([TOKMIX[d] * n / T[d] for d, n in zip(doms, lens, strict=True)])
    np.testing.assert_allclose(p, expected)
    assert abs(p.sum() - 1) < 1e-12
    q = document_probabilities(CORPUS, DOCMIX)
    N = {"web": 3, "books": 2, "code": 4}
    np.testing.assert_allclose(q, [DOCMIX[d] / N[d] for d in doms])
    assert abs(q.sum() - 1) < 1e-12


def test_document_probabilities_errors_and_counts() -> None:
    small = make_corpus({"web": [10], "books": [20]})
    with pytest.raises(ValueError, match="no documents to sample: code=0.2"):
        document_probabilities(small, TOKMIX)
    ok = Mixture({"web": 0.5, "books": 0.5, "code": 0.0})
    assert document_probabilities(small, ok).sum() == pytest.approx(1)
    with pytest.raises(ValueError, match="exactly the corpus domains"):
        document_probabilities(CORPUS, Mixture({"web": 1.0}))
    counts = pd.DataFrame({"docs": [3, 2, 4], "tokens": [100, 2000, 20]}, index=list(DOMS))
    s = document_probabilities(counts, TOKMIX)
    assert s["books"] == pytest.approx(0.15)
    with pytest.raises(TypeError):
        document_probabilities([1, 2], TOKMIX)  # type: ignore[arg-type]


# ---------------------------------------------------------------- i.i.d. sampling
def _docmix() -> Mixture:
    """TOKMIX's document-weight equivalent (w_doc ∝ w / mean length)."""
    codes = CORPUS.domain_codes()
    lengths = CORPUS.docs["n_tokens"].to_numpy()
    mean = {d: lengths[codes == i].mean() for i, d in enumerate(CORPUS.domains)}
    return TOKMIX.to_documents(mean)


def test_sample_with_replacement_is_seeded_and_accounts_epochs() -> None:
    docmix = _docmix()
    a = sample_documents(CORPUS, docmix, 20_000, seed=7)
    b = sample_documents(CORPUS, docmix, 20_000, seed=7)
    c = sample_documents(CORPUS, docmix, 20_000, seed=8)
    np.testing.assert_array_equal(a.rows, b.rows)
    assert not np.array_equal(a.rows, c.rows)
    assert a.times_drawn.sum() == 20_000 and a.method == "iid_with_replacement"
    t = a.per_domain
    assert t["docs_drawn"].sum() == 20_000
    np.testing.assert_allclose(t["epochs"], t["tokens_drawn"] / t["domain_tokens"])
    # each row is drawn about n p(x) times (z = 5 binomial bound per row)
    p = document_probabilities(CORPUS, docmix)
    assert np.all(np.abs(a.times_drawn - 20_000 * p) <= 5 * np.sqrt(20_000 * p * (1 - p)) + 1)


def test_sample_documents_refuses_token_weights_and_the_equivalent_realizes_them() -> None:
    # whole-document draws from p_tok(x) = w t_x / T are size-biased: refused, with the fix named
    with pytest.raises(ValueError, match="document-kind mixture.*to_documents"):
        sample_documents(CORPUS, TOKMIX, 100, seed=0)
    # the document-weight equivalent delivers the token shares in expectation
    r = sample_documents(CORPUS, _docmix(), 200_000, seed=0)
    tok = r.per_domain["tokens_drawn"] / r.per_domain["tokens_drawn"].sum()
    np.testing.assert_allclose(tok.to_numpy(), TOKMIX.as_array(list(CORPUS.domains)), atol=0.01)
    # ... while drawing whole documents from p_tok misses them on a corpus with unequal lengths
    biased = draw_documents(CORPUS, document_probabilities(CORPUS, TOKMIX), 200_000, seed=0)
    tok_b = biased.per_domain["tokens_drawn"] / biased.per_domain["tokens_drawn"].sum()
    lengths = CORPUS.docs["n_tokens"].to_numpy().astype(float)
    codes = CORPUS.domain_codes()
    w = TOKMIX.as_array(list(CORPUS.domains))
    size_biased = np.array([(lengths[codes == i] ** 2).sum() / lengths[codes == i].sum() for i in range(len(w))])
    expected = w * size_biased / (w * size_biased).sum()
    np.testing.assert_allclose(tok_b.to_numpy(), expected, atol=0.01)


def test_draw_documents_checks_probabilities() -> None:
    with pytest.raises(ValueError, match="one entry per document"):
        draw_documents(CORPUS, [1.0], 5, seed=0)
    with pytest.raises(ValueError, match="sum to 1"):
        draw_documents(CORPUS, np.full(len(CORPUS), 1.0), 5, seed=0)
    with pytest.raises(ValueError, match=">= 0"):
        p = np.full(len(CORPUS), 1.0 / len(CORPUS))
        p[0], p[1] = -p[0], 3 * p[1]
        draw_documents(CORPUS, p, 5, seed=0)
    assert draw_documents(CORPUS, np.full(len(CORPUS), 1.0 / len(CORPUS)), 5, seed=0).per_domain[
        "target_weight"
    ].isna().all()


def test_sample_with_replacement_never_draws_zero_probability_rows() -> None:
    mix = Mixture({"web": 0.0, "books": 1.0, "code": 0.0}, kind="document")
    r = sample_documents(CORPUS, mix, 5000, seed=1)
    assert (CORPUS.docs["domain"].astype(str).to_numpy()[r.rows] == "books").all()
    assert r.per_domain.loc["books", "realized_weight"] == 1.0


def test_sample_without_replacement() -> None:
    docmix = _docmix()
    r = sample_documents(CORPUS, docmix, 9, seed=3, replace=False)
    assert sorted(r.rows.tolist()) == list(range(9)) and r.times_drawn.max() == 1
    assert r.method == "without_replacement"
    with pytest.raises(ValueError, match="cannot draw 10 documents without replacement: only 9"):
        sample_documents(CORPUS, docmix, 10, seed=3, replace=False)
    mix = Mixture({"web": 0.0, "books": 1.0, "code": 0.0}, kind="document")
    with pytest.raises(ValueError, match="only 2"):
        sample_documents(CORPUS, mix, 3, seed=3, replace=False)
    with pytest.raises(TypeError, match="seed"):
        sample_documents(CORPUS, docmix, 3, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be >= 1"):
        sample_documents(CORPUS, docmix, 0, seed=1)


@pytest.mark.slow
def test_without_replacement_first_draw_follows_p() -> None:
    # successive sampling: the first draw has probability p(x) (Efraimidis–Spirakis is exact)
    p = document_probabilities(CORPUS, TOKMIX)
    first = np.array([draw_documents(CORPUS, p, 1, seed=s, replace=False).rows[0] for s in range(3000)])
    freq = np.bincount(first, minlength=len(p)) / 3000
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / 3000) + 1e-3)


# ---------------------------------------------------------------- budget sampling
def test_sample_budget_whole_epochs_then_partial() -> None:
    B = 10_000
    r = sample_budget(CORPUS, TOKMIX, B, seed=11)
    t = r.per_domain
    target = np.array([TOKMIX[d] for d in DOMS]) * B
    maxlen = CORPUS.docs.groupby("domain", observed=False)["n_tokens"].max().to_numpy()
    assert np.all(t["tokens_drawn"].to_numpy() >= target)
    assert np.all(t["tokens_drawn"].to_numpy() < target + maxlen)
    # code: 2000 tokens from a 20-token domain = exactly 100 epochs, each doc drawn 100 times
    code_rows = np.flatnonzero(CORPUS.docs["domain"].astype(str).to_numpy() == "code")
    assert (r.times_drawn[code_rows] == 100).all() and t.loc["code", "epochs"] == 100
    # web: 5000 tokens from 100 = 50 epochs
    web_rows = np.flatnonzero(CORPUS.docs["domain"].astype(str).to_numpy() == "web")
    assert (r.times_drawn[web_rows] == 50).all()
    # books: 3000 from 2000 = 1 full epoch + partial pass → every doc at least once, at most twice
    books_rows = np.flatnonzero(CORPUS.docs["domain"].astype(str).to_numpy() == "books")
    assert set(r.times_drawn[books_rows].tolist()) <= {1, 2}
    np.testing.assert_array_equal(r.rows, sample_budget(CORPUS, TOKMIX, B, seed=11).rows)


def test_sample_budget_errors() -> None:
    with pytest.raises(ValueError, match="token-kind"):
        sample_budget(CORPUS, DOCMIX, 100, seed=0)
    with pytest.raises(ValueError, match="budget must be > 0"):
        sample_budget(CORPUS, TOKMIX, 0, seed=0)
    with pytest.raises(ValueError, match="no documents"):
        sample_budget(make_corpus({"web": [3]}), TOKMIX, 10, seed=0)


# ---------------------------------------------------------------- blended index
def stride_exact(weights: list[float], n: int) -> list[int]:
    """The stride order with exact rational event times (m + 1/2)/w_j, ties to the lower index."""
    ws = [Fraction(w) for w in weights]
    events = []
    for j, w in enumerate(ws):
        if w == 0:
            continue
        m = 0
        while (m + Fraction(1, 2)) / w <= n + len(ws):
            events.append(((m + Fraction(1, 2)) / w, j))
            m += 1
    events.sort()
    return [j for _, j in events[:n]]


@st.composite
def weight_vectors(draw: st.DrawFn, k_max: int = 8) -> np.ndarray:
    k = draw(st.integers(1, k_max))
    raw = np.array(draw(st.lists(st.integers(0, 1000), min_size=k, max_size=k)), dtype=np.float64)
    if raw.sum() == 0:
        raw[0] = 1
    return raw / raw.sum()


def test_blended_index_small_example_and_outputs() -> None:
    src, within = blended_index([0.5, 0.3, 0.2], 10)
    assert src.dtype == np.uint8 and within.dtype == np.int64
    assert src.tolist() == stride_exact([0.5, 0.3, 0.2], 10)
    for j in range(3):
        assert within[src == j].tolist() == list(range(int((src == j).sum())))
    s0, w0 = blended_index([1.0], 5)
    assert s0.tolist() == [0] * 5 and w0.tolist() == [0, 1, 2, 3, 4]
    assert blended_index([0.5, 0.5], 0)[0].size == 0
    assert blended_index(np.full(300, 1 / 300), 10)[0].dtype == np.int16


def test_blended_index_many_sources_int16_path() -> None:
    w = np.random.default_rng(0).dirichlet(np.ones(300))
    src, within = blended_index(w, 20_000)
    assert src.dtype == np.int16
    assert np.all(max_prefix_deviation(src, w) <= blended_index_bound(w) + 1e-9)
    counts = np.bincount(src, minlength=300)
    for j in np.flatnonzero(counts):
        assert np.array_equal(within[src == j], np.arange(counts[j]))


def test_blended_index_errors() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        blended_index([0.5, 0.6], 10)
    with pytest.raises(ValueError, match=r"weights must be >= 0 \(got 1=-0.5\)"):
        blended_index([1.5, -0.5], 10)
    with pytest.raises(ValueError, match="n_samples must be >= 0"):
        blended_index([1.0], -1)
    with pytest.raises(TypeError, match="n_samples"):
        blended_index([1.0], 2.5)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(weight_vectors(), st.integers(1, 3000))
def test_blended_index_every_prefix_within_bound(w: np.ndarray, n: int) -> None:
    src, within = blended_index(w, n)
    assert src.size == n
    dev = max_prefix_deviation(src, w)
    assert np.all(dev <= blended_index_bound(w) + 1e-9)
    counts = np.bincount(src, minlength=w.size)
    assert np.all(counts[w == 0] == 0)
    for j in np.flatnonzero(counts):
        assert np.array_equal(within[src == j], np.arange(counts[j]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 64), min_size=1, max_size=5), st.integers(1, 400))
def test_blended_index_equals_exact_stride_order(raw: list[int], n: int) -> None:
    # dyadic weights (multiples of 1/1024 summing to exactly 1): float event times are exact up to
    # correct rounding, so ties and order match the rational computation. (With arbitrary float
    # weights, near-ties may resolve either way; the prefix bound covers that case.)
    raw[0] += 1
    ints = [r * 1024 // sum(raw) for r in raw]
    ints[0] += 1024 - sum(ints)
    w = np.array(ints, dtype=np.float64) / 1024
    assert blended_index(w, n)[0].tolist() == stride_exact(w.tolist(), n)


def test_blended_index_large_prefix_bound() -> None:
    w = np.array([0.3, 0.2, 0.15, 0.12, 0.1, 0.07, 0.04, 0.02])
    src, _ = blended_index(w, 1_000_000)
    dev = max_prefix_deviation(src, w)
    assert np.all(dev <= blended_index_bound(w) + 1e-6)
    # measured: 1.0 (source 0 at n = 40: 13 draws vs 12 expected), inside the worst-case bound 1.4;
    # so "< 1 for every prefix" does NOT hold for stride scheduling with 8 sources
    assert dev.max() <= 1.0 + 1e-9


def test_reference_is_megatron_greedy() -> None:
    src, within = blended_index_reference([0.5, 0.3, 0.2], 10)
    # hand-computed: step 0 and 1 both use max(i, 1) = 1
    assert src.tolist() == [0, 1, 2, 0, 1, 0, 2, 0, 1, 0]
    assert within.tolist() == [0, 0, 0, 1, 1, 2, 1, 3, 2, 4]
    # ties go to the lowest index
    assert blended_index_reference([0.5, 0.5], 4)[0].tolist() == [0, 1, 0, 1]


@settings(max_examples=40, deadline=None)
@given(weight_vectors(6), st.integers(1, 2000))
def test_fast_and_reference_both_track_the_target(w: np.ndarray, n: int) -> None:
    fast, _ = blended_index(w, n)
    ref, _ = blended_index_reference(w, n)
    assert max_prefix_deviation(fast, w).max() <= blended_index_bound(w).max() + 1e-9
    assert max_prefix_deviation(ref, w).max() <= w.size  # O(1); no tighter bound claimed for the greedy
    assert np.abs(np.bincount(fast, minlength=w.size) - np.bincount(ref, minlength=w.size)).max() <= w.size


def test_reference_keeps_megatron_quirk_at_step_one() -> None:
    # max(i, 1) makes steps 0 and 1 use the same scale, so a zero-weight source can win a tie at
    # step 1 (faithful to Megatron's rule); the stride construction never draws zero-weight sources.
    assert blended_index_reference([0.0, 1.0], 3)[0].tolist() == [1, 0, 1]
    assert blended_index([0.0, 1.0], 3)[0].tolist() == [1, 1, 1]


# ---------------------------------------------------------------- realized mixture and checker
def test_realized_mixture_inputs() -> None:
    s = realized_mixture({"a": 3, "b": 1})
    assert s.to_dict() == {"a": 0.75, "b": 0.25}
    s2 = realized_mixture(np.array([0, 0, 1, 2]), domains=["a", "b", "c"])
    assert s2.tolist() == [0.5, 0.25, 0.25]
    with pytest.raises(ValueError, match="domains are required"):
        realized_mixture(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        realized_mixture(np.array([0, 5]), domains=["a", "b"])
    with pytest.raises(ValueError, match="missing"):
        realized_mixture({"a": 1}, domains=["a", "b"])


def test_check_realized_passes_and_fails_with_named_domains() -> None:
    target = Mixture({"web": 0.5, "code": 0.5})
    report = check_realized({"web": 51, "code": 49}, target, atol=0.02)
    assert list(report.columns) == ["target", "realized", "deviation", "tolerance", "ok"]
    assert report["ok"].all()
    with pytest.raises(InvariantError, match=r"web: realized 0.6 vs target 0.5.*code: realized 0.4 vs target 0.5"):
        check_realized({"web": 60, "code": 40}, target, atol=0.05)
    # z-tolerance: 60/40 out of 100 draws is 2 s.e. away → passes at z=3, fails at z=1
    doc_target = Mixture({"web": 0.5, "code": 0.5}, kind="document")
    check_realized({"web": 60, "code": 40}, doc_target, z=3)
    with pytest.raises(InvariantError, match="binomial"):
        check_realized({"web": 60, "code": 40}, doc_target, z=1)
    # counts against a token target are tokens, not draws: n must be stated
    with pytest.raises(ValueError, match="number of draws"):
        check_realized({"web": 60, "code": 40}, target, z=3)
    check_realized({"web": 60, "code": 40}, target, z=3, n=100)
    with pytest.raises(ValueError, match="exactly one tolerance"):
        check_realized({"web": 1, "code": 1}, target)
    with pytest.raises(ValueError, match="n .*required"):
        check_realized(Mixture({"web": 0.6, "code": 0.4}), target, z=3)
    check_realized(Mixture({"web": 0.6, "code": 0.4}), target, z=3, n=100)


def test_iid_sample_passes_z_check_and_blend_passes_tight_atol() -> None:
    w = np.array([0.3, 0.2, 0.15, 0.12, 0.1, 0.07, 0.04, 0.02])
    names = [f"s{j}" for j in range(8)]
    target = Mixture(dict(zip(names, w.tolist(), strict=True)))
    n = 100_000
    iid = np.random.default_rng(np.random.SeedSequence(5)).choice(8, size=n, p=w)
    check_realized(iid, target, z=5)
    with pytest.raises(InvariantError):
        check_realized(iid, target, atol=1e-4)
    src, _ = blended_index(w, n)
    check_realized(src.astype(np.int64), target, atol=1.0 / n)


def test_prefix_deviation_iid_vs_blend() -> None:
    w = np.array([0.5, 0.3, 0.2])
    n = 50_000
    blend, _ = blended_index(w, n)
    iid = np.random.default_rng(np.random.SeedSequence(0)).choice(3, size=n, p=w)
    cps = [100, 1000, 10_000, 50_000]
    db = prefix_deviation(blend, w, cps)
    di = prefix_deviation(iid, w, cps)
    assert (db["max_abs_count_dev"] <= blended_index_bound(w).max() + 1e-9).all()
    assert float(di["max_share_dev"].iloc[-1]) > 10 * float(db["max_share_dev"].iloc[-1])
    assert list(prefix_deviation(blend, w).index)[-1] == n
    with pytest.raises(ValueError, match="checkpoints"):
        prefix_deviation(blend, w, [0])


# ---------------------------------------------------------------- size limits and flags, before any allocation
def test_sample_budget_refuses_a_budget_beyond_the_draw_limit_before_allocating() -> None:
    from mixlab.sampling import MAX_DRAWS

    with pytest.raises(ValueError, match=r"budget must be <= .* tokens for this corpus and mixture.*"
                                         r"MAX_DRAWS=100,000,000 .*budget 1e\+13 would draw about"):
        sample_budget(CORPUS, TOKMIX, 1e13, 0)
    # just under the limit is the caller's choice; far under it works as before
    assert sample_budget(CORPUS, TOKMIX, 10_000, 0).n_tokens >= 10_000
    assert MAX_DRAWS == 100_000_000


@pytest.mark.parametrize("n", [10**13, 100_000_001])
def test_sample_documents_refuses_n_beyond_the_limit(n: int) -> None:
    with pytest.raises(ValueError, match=r"n must be <= 100,000,000 \(documents drawn per call"):
        sample_documents(CORPUS, DOCMIX, n, 0)
    with pytest.raises(ValueError, match=r"n must be <= 100,000,000"):
        draw_documents(CORPUS, document_probabilities(CORPUS, DOCMIX), n, 0)


def test_blended_index_refuses_n_beyond_the_limit() -> None:
    for fn in (blended_index, blended_index_reference):
        with pytest.raises(ValueError, match=r"n_samples must be <= 500,000,000 \(samples per blended index"):
            fn([0.5, 0.5], 10**12)


@pytest.mark.parametrize("replace", ["no", "False", 0, 1, None, [True]])
def test_replace_must_be_a_bool(replace: object) -> None:
    with pytest.raises(TypeError, match=r"replace must be True or False \(got "):
        sample_documents(CORPUS, DOCMIX, 2, 0, replace=replace)  # type: ignore[arg-type]
    assert sample_documents(CORPUS, DOCMIX, 2, 0, replace=np.bool_(False)).method == "without_replacement"


def test_sampling_refuses_non_mixtures_with_a_type_error() -> None:
    with pytest.raises(TypeError, match="mixture must be a mixlab Mixture"):
        sample_documents(CORPUS, {"web": 1.0}, 2, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mixture must be a mixlab Mixture"):
        sample_budget(CORPUS, {"web": 1.0}, 100, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="corpus must be a mixlab Corpus"):
        sample_budget("corpus", TOKMIX, 100, 0)  # type: ignore[arg-type]
