"""Tests for mixlab.proxy: budgets, determinism, the entropy floor, counting, capacity, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixlab.corpus import Corpus
from mixlab.mixture import Mixture
from mixlab.proxy import (
    PROXY,
    TARGET,
    BigramLM,
    ProxyConfig,
    held_out,
    mean_losses,
    pair_codes,
    profile_summary,
    sweep,
    train_on_rows,
    train_proxy,
    training_rows,
    transitions,
)
from mixlab.proxy.runs import _integer_budget
from mixlab.world import World, generate_world, load_spec

SMALL = ProxyConfig(budget=20_000, buckets=32, name="small")
FULL = ProxyConfig(budget=20_000, buckets=None, name="full")


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world("tiny", 0)


def mix(world: World, **weights: float) -> Mixture:
    rest = [d for d in world.train.domains if d not in weights]
    left = 1.0 - sum(weights.values())
    full = {**weights, **{d: left / len(rest) for d in rest}} if rest else dict(weights)
    return Mixture(full, domains=world.train.domains)


# ---------------------------------------------------------------------------- budget
def test_integer_budget_sums_exactly_and_rounds_by_largest_remainder() -> None:
    share = _integer_budget(np.array([1 / 3, 1 / 3, 1 / 3]), 100)
    assert share.sum() == 100
    assert share.tolist() == [34, 33, 33]
    w = np.random.default_rng(0).dirichlet(np.ones(6), size=50)
    for x in w:
        s = _integer_budget(x, 12_345)
        assert s.sum() == 12_345
        assert np.all(np.abs(s - x * 12_345) < 1)


@pytest.mark.parametrize("config", [SMALL, FULL])
def test_training_consumes_exactly_the_budget(world: World, config: ProxyConfig) -> None:
    m = mix(world, web=0.31, code=0.27)
    run = train_proxy(world, m, config, seed=3)
    assert run.tokens_spent == config.budget
    expected = _integer_budget(m.as_array(list(world.train.domains)), config.budget)
    assert run.tokens.to_numpy().tolist() == expected.tolist()
    # the counts really are the sampled transitions: one per token except each document's first
    rows, lengths = training_rows(world.train, m, config.budget, 3)
    assert int(lengths.sum()) == config.budget
    assert run.model.counts.sum() == pytest.approx(config.budget - len(rows), abs=0)


def test_zero_weight_domain_gets_no_tokens(world: World) -> None:
    m = Mixture({d: (0.5 if d in ("web", "code") else 0.0) for d in world.train.domains})
    run = train_proxy(world, m, SMALL, 0)
    assert run.tokens[["web", "code"]].tolist() == [10_000, 10_000]
    assert run.tokens.drop(["web", "code"]).eq(0).all()


def test_run_records_documents_read(world: World) -> None:
    m = mix(world, web=0.31, code=0.27)
    run = train_proxy(world, m, SMALL, seed=3)
    rows, lengths = training_rows(world.train, m, SMALL.budget, 3)
    codes = world.train.domain_codes()
    expected_docs = pd.Series(codes[rows]).value_counts().reindex(range(len(world.train.domains)), fill_value=0)
    assert run.docs.to_numpy().tolist() == expected_docs.to_numpy().tolist()
    assert list(run.docs.index) == list(world.train.domains) and run.docs.name == "docs"
    assert run.docs.dtype == np.int64 and run.unique_docs.dtype == np.int64
    assert int(run.docs.sum()) == len(rows)
    # one transition per token read, except each document's first
    assert run.model.counts.sum() == SMALL.budget - run.docs.sum()
    uniq = pd.Series(codes[np.unique(rows)]).value_counts().reindex(range(len(world.train.domains)), fill_value=0)
    assert run.unique_docs.to_numpy().tolist() == uniq.to_numpy().tolist()
    assert (run.unique_docs <= run.docs).all()
    # the skill profile keeps its columns (notebooks display it)
    assert list(run.skill_profile().columns) == ["weight", "tokens", "loss", "floor", "excess"]


def test_repeated_domain_reads_documents_more_than_once(world: World) -> None:
    # a budget larger than the code domain: code documents are read in several epochs
    code_tokens = int(world.train.token_counts()["code"])
    config = ProxyConfig(budget=4 * code_tokens, buckets=32)
    run = train_proxy(world, mix(world, code=0.5), config, seed=0)
    assert run.docs["code"] > run.unique_docs["code"] == world.train.doc_counts()["code"]


def test_train_on_a_restricted_corpus_evaluates_on_the_world(world: World) -> None:
    m = mix(world, web=0.3, code=0.3)
    full = train_proxy(world, m, SMALL, seed=1)
    # the default and an explicit world.train are the same run
    same = train_proxy(world, m, SMALL, seed=1, train=world.train)
    pd.testing.assert_series_equal(same.losses, full.losses)
    np.testing.assert_array_equal(same.model.counts, full.model.counts)
    # keep only the first few code documents: a few unique tokens, repeated
    train = world.train
    is_code = (train.docs["domain"] == "code").to_numpy()
    code_so_far = np.cumsum(np.where(is_code, train.docs["n_tokens"], 0))
    few = train.subset(~is_code | (code_so_far <= 1_000))
    run = train_proxy(world, m, SMALL, seed=1, train=few)
    # same as spelling it out: training_rows -> train_on_rows -> evaluate on world.validation
    rows, lengths = training_rows(few, m, SMALL.budget, 1)
    model = train_on_rows(SMALL.build(world.vocab_size), few, rows, lengths)
    pd.testing.assert_series_equal(run.losses, model.evaluate(held_out(world.validation)))
    pd.testing.assert_series_equal(run.floor, world.process.entropy_rate())
    assert run.tokens_spent == SMALL.budget and run.tokens["code"] == full.tokens["code"]
    assert run.unique_docs["code"] == int(few.doc_counts()["code"]) < run.docs["code"]
    assert run.losses["code"] > full.losses["code"]  # repeated tokens teach less than fresh ones


def test_train_corpus_must_match_the_world(world: World) -> None:
    m = mix(world, web=0.5)
    with pytest.raises(TypeError, match="train must be a Corpus"):
        train_proxy(world, m, SMALL, train=world.train.docs)  # type: ignore[arg-type]
    other = generate_world(load_spec("tiny").select_domains(["web", "code"]), 0).train
    with pytest.raises(ValueError, match=r"world's domains in the same order \(got \['web', 'code'\]"):
        train_proxy(world, m, SMALL, train=other)
    t = world.train
    wider = Corpus(t.docs, t.tokens, t.domains, t.vocab_size + 1)
    with pytest.raises(ValueError, match=f"vocab_size={t.vocab_size + 1}, world: {t.vocab_size}"):
        train_proxy(world, m, SMALL, train=wider)
    no_code = t.subset((t.docs["domain"] != "code").to_numpy())
    with pytest.raises(ValueError, match="code"):
        train_proxy(world, mix(world, code=0.5), SMALL, train=no_code)


# ---------------------------------------------------------------------------- determinism
def test_same_seed_same_losses_different_seed_different(world: World) -> None:
    m = mix(world, web=0.4)
    a = train_proxy(world, m, SMALL, 7)
    b = train_proxy(world, m, SMALL, 7)
    c = train_proxy(world, m, SMALL, 8)
    pd.testing.assert_series_equal(a.losses, b.losses)
    assert np.array_equal(a.model.counts, b.model.counts)
    assert not np.allclose(a.losses.to_numpy(), c.losses.to_numpy())


def test_more_tokens_of_a_domain_lower_its_loss(world: World) -> None:
    shares = [0.05, 0.2, 0.5]
    for domain in ("code", "math"):
        mean_loss = [
            np.mean([train_proxy(world, mix(world, **{domain: s}), SMALL, seed).losses[domain] for seed in range(4)])
            for s in shares
        ]
        assert mean_loss[0] > mean_loss[1] > mean_loss[2], (domain, mean_loss)


def test_different_mixtures_give_different_skill_profiles(world: World) -> None:
    a = train_proxy(world, mix(world, code=0.7), SMALL, 0).skill_profile()
    b = train_proxy(world, mix(world, web=0.7), SMALL, 0).skill_profile()
    assert list(a.columns) == ["weight", "tokens", "loss", "floor", "excess"]
    assert a["loss"]["code"] < b["loss"]["code"]
    assert a["loss"]["web"] > b["loss"]["web"]


# ---------------------------------------------------------------------------- the entropy floor
def test_exact_expected_loss_is_never_below_the_entropy_rate(world: World) -> None:
    floor = world.process.entropy_rate()
    for config in (SMALL, FULL, FULL.with_(budget=50_000, smoothing=0.001)):
        run = train_proxy(world, mix(world, web=0.3), config, 0)
        q = run.model.transition_matrix()
        np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-12)
        for d in world.train.domains:
            # cross-entropy − entropy rate = KL(P_d ‖ Q) weighted by π_d: Gibbs' inequality, exactly
            assert world.process.cross_entropy(d, q) >= floor[d]


def test_entropy_rate_is_cached_and_returns_a_copy(world: World) -> None:
    a = world.process.entropy_rate()
    pd.testing.assert_series_equal(a, world.process.entropy_rate())
    a.iloc[0] = -1.0
    assert world.process.entropy_rate().iloc[0] > 0


def test_target_is_closer_to_the_floor_than_the_proxy() -> None:
    # the course's constants on a scaled-down default world: the lesson "capacity and tokens matter"
    w = generate_world("tiny", 1)
    m = mix(w, web=0.3)
    proxy = train_proxy(w, m, PROXY.with_(budget=30_000, buckets=16), 0)
    target = train_proxy(w, m, TARGET.with_(budget=100_000), 0)
    assert (target.losses - target.floor).mean() < (proxy.losses - proxy.floor).mean()


# ---------------------------------------------------------------------------- counting by hand
def test_bigram_counting_matches_a_hand_computation() -> None:
    tokens = np.array([0, 1, 2, 1, 1], dtype=np.int32)
    offsets = np.array([0, 3, 5])  # documents [0, 1, 2] and [1, 1]
    prev, nxt = transitions(tokens, offsets)
    assert list(zip(prev.tolist(), nxt.tolist(), strict=True)) == [(0, 1), (1, 2), (1, 1)]
    lm = BigramLM(4, smoothing=0.5).partial_fit(prev, nxt)
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 2] = expected[1, 1] = 1
    np.testing.assert_array_equal(lm.counts, expected)
    # Q(b | a) = (n(a, b) + k) / (n(a) + k V): row 1 has n = 2, so Q(2 | 1) = 1.5 / 4
    q = lm.transition_matrix()
    assert q[1, 2] == pytest.approx(1.5 / 4.0)
    assert q[1, 0] == pytest.approx(0.5 / 4.0)
    assert q[3, 0] == pytest.approx(0.25)  # unseen context: uniform
    assert lm.token_losses(np.array([0]), np.array([1]))[0] == pytest.approx(-np.log(1.5 / 3.0))
    # weighted counting
    lm2 = BigramLM(4, smoothing=0.5).partial_fit(prev, nxt, np.array([2.0, 0.0, 1.0]))
    assert lm2.counts[0, 1] == 2.0 and lm2.counts[1, 2] == 0.0 and lm2.counts[1, 1] == 1.0
    assert lm.n_parameters() == 12


def test_train_on_rows_counts_the_document_prefixes(world: World) -> None:
    corpus = world.train
    rows = np.array([0, 5, 5, 9])
    lengths = np.minimum(corpus.docs["n_tokens"].to_numpy()[rows], [4, 3, 10, 2])
    lm = train_on_rows(BigramLM(corpus.vocab_size), corpus, rows, lengths)
    toks, offsets = corpus.concatenated_tokens(rows, lengths)
    prev, nxt = transitions(toks, offsets)
    ref = BigramLM(corpus.vocab_size).partial_fit(prev, nxt)
    np.testing.assert_array_equal(lm.counts, ref.counts)
    weighted = train_on_rows(BigramLM(corpus.vocab_size), corpus, rows, lengths, weights=np.array([1, 2, 0, 1.0]))
    w_ref = np.repeat([1, 2, 0, 1.0], lengths - 1)
    np.testing.assert_array_equal(weighted.counts, BigramLM(corpus.vocab_size).partial_fit(prev, nxt, w_ref).counts)
    codes = pair_codes(corpus)
    assert codes[3] == corpus.tokens[3] * corpus.vocab_size + corpus.tokens[4]


def test_bucketed_counts_are_sums_of_full_counts(world: World) -> None:
    m = mix(world, web=0.5)
    full = train_proxy(world, m, FULL, 0).model
    small = train_proxy(world, m, SMALL, 0).model
    expected = np.zeros_like(small.counts)
    np.add.at(expected, small.context_map, full.counts)
    np.testing.assert_array_equal(small.counts, expected)


def test_hashing_contexts_reduces_capacity_at_infinite_data(world: World) -> None:
    proc = world.process
    v = world.vocab_size
    a, b = np.meshgrid(np.arange(v), np.arange(v), indexing="ij")
    for d in ("web", "code"):
        joint = proc.stationary_distribution(d)[:, None] * proc.transition(d)  # π(a) P(a, b)
        losses = {}
        for buckets in (v, 32, 8):
            lm = BigramLM(v, buckets=buckets, smoothing=1e-9)
            lm.partial_fit(a.ravel(), b.ravel(), 1e9 * joint.ravel())
            losses[buckets] = proc.cross_entropy(d, lm.transition_matrix())
        assert losses[v] == pytest.approx(proc.entropy_rate()[d], abs=1e-6)
        assert losses[v] <= losses[32] <= losses[8]
        assert losses[8] > losses[v] + 0.05


# ---------------------------------------------------------------------------- evaluation and sweeps
def test_validation_losses_match_token_losses(world: World) -> None:
    run = train_proxy(world, mix(world, web=0.4), SMALL, 0)
    toks, offsets = world.validation.concatenated_tokens()
    prev, nxt = transitions(toks, offsets)
    codes = world.validation.domain_codes()
    dom = np.repeat(codes, np.diff(offsets) - 1)
    per_token = run.model.token_losses(prev, nxt)
    manual = pd.Series(per_token).groupby(dom).mean().to_numpy()
    np.testing.assert_allclose(run.losses.to_numpy(), manual, rtol=1e-12)
    assert held_out(world.validation) is held_out(world.validation)


def test_sweep_long_table(world: World) -> None:
    out = sweep(world, {"a": mix(world, web=0.5), "b": mix(world, code=0.5)}, SMALL, seeds=(0, 1), progress=False)
    assert len(out) == 2 * 2 * len(world.train.domains)
    assert list(out.columns[:3]) == ["mixture", "seed", "domain"]
    assert out.groupby(["mixture", "seed"])["tokens"].sum().eq(SMALL.budget).all()


def test_sweep_keeps_spec_domain_order(world: World) -> None:
    spec = list(world.train.domains)
    assert spec != sorted(spec)  # the test means something only if spec order is not alphabetical
    out = sweep(world, {"b": mix(world, web=0.5), "a": mix(world, code=0.5)}, SMALL, seeds=(1, 0), progress=False)
    assert isinstance(out["domain"].dtype, pd.CategoricalDtype)
    assert out["domain"].cat.categories.tolist() == spec
    for _, rows in out.groupby(["mixture", "seed"], sort=False):
        assert rows["domain"].tolist() == spec
    assert out.groupby("domain")["loss"].mean().index.tolist() == spec  # not alphabetical
    assert out.pivot_table(index="domain", columns="mixture", values="loss").index.tolist() == spec
    assert out["mixture"].unique().tolist() == ["b", "a"] and out["seed"].unique().tolist() == [1, 0]


def test_mean_losses_averages_seeds_in_spec_and_input_order(world: World) -> None:
    mixtures = {"web-heavy": mix(world, web=0.6), "code-heavy": mix(world, code=0.6)}
    out = sweep(world, mixtures, SMALL, seeds=(0, 1), progress=False)
    means = mean_losses(out)
    assert means.index.tolist() == ["web-heavy", "code-heavy"] and means.index.name == "mixture"
    assert means.columns.tolist() == list(world.train.domains) and means.columns.name == "domain"
    for name, m in mixtures.items():
        runs = [train_proxy(world, m, SMALL, s).losses for s in (0, 1)]
        np.testing.assert_allclose(means.loc[name].to_numpy(), ((runs[0] + runs[1]) / 2).to_numpy(), rtol=1e-12)
    # a plain (non-categorical) table keeps the order of first appearance
    plain = out.assign(domain=out["domain"].astype(str))
    pd.testing.assert_frame_equal(mean_losses(plain), means)


def test_mean_losses_errors() -> None:
    with pytest.raises(TypeError, match="sweep_table must be a pandas DataFrame"):
        mean_losses([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing columns: loss"):
        mean_losses(pd.DataFrame({"mixture": ["a"], "domain": ["web"]}))
    with pytest.raises(ValueError, match="no rows"):
        mean_losses(pd.DataFrame({"mixture": [], "domain": [], "loss": []}))


def test_profile_summary_reads_each_runs_excess_in_input_order(world: World) -> None:
    runs = {
        "web-heavy": train_proxy(world, mix(world, web=0.6), SMALL, 0),
        "code-heavy": train_proxy(world, mix(world, code=0.6), SMALL, 0),
    }
    out = profile_summary(runs)
    assert out.index.tolist() == ["web-heavy", "code-heavy"]
    assert out.columns.tolist() == ["mean excess", "worst excess", "worst domain"]
    for name, run in runs.items():
        excess = run.losses - run.floor
        assert out.loc[name, "mean excess"] == pytest.approx(excess.mean(), rel=1e-12)
        assert out.loc[name, "worst excess"] == pytest.approx(excess.max(), rel=1e-12)
        assert out.loc[name, "worst domain"] == excess.idxmax()
    # the order of the mapping, not alphabetical order
    assert profile_summary(dict(reversed(runs.items()))).index.tolist() == ["code-heavy", "web-heavy"]


def test_profile_summary_errors(world: World) -> None:
    with pytest.raises(ValueError, match="runs is empty"):
        profile_summary({})
    with pytest.raises(TypeError, match="runs must be a mapping"):
        profile_summary([train_proxy(world, mix(world, web=0.6), SMALL, 0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not for: bad"):
        profile_summary({"bad": 1.0})  # type: ignore[dict-item]


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "err", "pattern"),
    [
        ({"vocab_size": 1}, ValueError, "vocab_size"),
        ({"vocab_size": 8, "buckets": 9}, ValueError, "buckets must be <= vocab_size"),
        ({"vocab_size": 8, "buckets": 0}, ValueError, "buckets"),
        ({"vocab_size": 8, "smoothing": 0.0}, ValueError, "smoothing"),
        ({"vocab_size": 8.0}, TypeError, "vocab_size"),
    ],
)
def test_bigram_rejects_bad_construction(kwargs: dict, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        BigramLM(**kwargs)


def test_bad_inputs_raise_clear_errors(world: World) -> None:
    lm = BigramLM(4)
    with pytest.raises(ValueError, match="token ids must lie in"):
        lm.partial_fit(np.array([0, 4]), np.array([1, 1]))
    with pytest.raises(ValueError, match="equal length"):
        lm.partial_fit(np.array([0, 1]), np.array([1]))
    with pytest.raises(ValueError, match=">= 0"):
        lm.partial_fit(np.array([0]), np.array([1]), np.array([-1.0]))
    with pytest.raises(ValueError, match="budget"):
        ProxyConfig(budget=0)
    with pytest.raises(TypeError, match="ProxyConfig"):
        train_proxy(world, mix(world, web=0.5), {"budget": 10})  # type: ignore[arg-type]
    doc_mix = Mixture({d: 1 / 6 for d in world.train.domains}, kind="document")
    with pytest.raises(ValueError, match="to_tokens"):
        train_proxy(world, doc_mix, SMALL)
    with pytest.raises(ValueError, match="domains"):
        train_proxy(world, Mixture({"web": 0.5, "code": 0.5}), SMALL)
    with pytest.raises(ValueError, match="seed"):
        train_proxy(world, mix(world, web=0.5), SMALL, seed=-1)
    with pytest.raises(ValueError, match="lengths"):
        train_on_rows(BigramLM(world.vocab_size), world.train, np.array([0]), np.array([0]))
    with pytest.raises(ValueError, match="one entry per row"):
        train_on_rows(BigramLM(world.vocab_size), world.train, np.array([0]), np.array([2]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="vocab_size"):
        train_on_rows(BigramLM(8), world.train, np.array([0]), np.array([2]))
