"""Tests for mixlab.doremi: the weight update against the paper's formula, the minibatch stream,
online Group DRO with weighted counting, and the OptimizationResult contract."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mixlab.doremi import DomainBatches, domain_batches, doremi, doremi_step, group_dro
from mixlab.mixture import Mixture
from mixlab.optimizers import EVAL_SEED, measure
from mixlab.proxy import PROXY, train_proxy
from mixlab.world import World, generate_world, load_spec

CONFIG = PROXY.with_(budget=12_000)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(load_spec("tiny").select_domains(["web", "code", "math"]), 0)


# ---------------------------------------------------------------- the update formula
def test_doremi_step_matches_the_formula_by_hand() -> None:
    alpha = [0.2, 0.3, 0.5]
    lam = [0.1, 0.4, 0.0]
    eta, eps = 1.0, 1e-3
    # Algorithm 1 of arXiv 2305.10429, written out term by term
    raw = [alpha[i] * math.exp(eta * lam[i]) for i in range(3)]
    total = sum(raw)
    expected = [(1 - eps) * r / total + eps / 3 for r in raw]
    got = doremi_step(np.array(alpha), np.array(lam), eta, eps)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    assert got.sum() == pytest.approx(1.0, abs=1e-15)


def test_doremi_step_takes_and_returns_weights() -> None:
    alpha = np.array([0.1, 0.6, 0.3])
    lam = np.array([2.0, 0.0, 1.0])
    eta, eps = 0.5, 0.1
    raw = alpha * np.exp(eta * lam)
    expected = (1 - eps) * raw / raw.sum() + eps / 3
    once = doremi_step(alpha, lam, eta, eps)
    np.testing.assert_allclose(once, expected, atol=1e-15)
    # weights in, weights out: the output is the next step's input, no log or exp in between
    raw2 = once * np.exp(eta * lam)
    np.testing.assert_allclose(doremi_step(once, lam, eta, eps), (1 - eps) * raw2 / raw2.sum() + eps / 3, atol=1e-15)
    # smoothing keeps every weight at least eps / k, even for a zero weight
    out = doremi_step(np.array([0.0, 0.5, 0.5]), np.zeros(3), 1.0, 0.03)
    assert out.min() == pytest.approx(0.01)
    assert out.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("alpha", "excess", "eta", "eps", "match"),
    [
        (np.full(3, 1 / 3), np.zeros(2), 1.0, 1e-3, "equal length"),
        (np.array([np.nan, 0.5, 0.5]), np.zeros(3), 1.0, 1e-3, "alpha"),
        (np.array([-0.1, 0.6, 0.5]), np.zeros(3), 1.0, 1e-3, "alpha must be >= 0"),
        (np.log(np.full(3, 1 / 3)), np.zeros(3), 1.0, 1e-3, "alpha must be >= 0"),  # log-weights are refused
        (np.full(3, 0.2), np.zeros(3), 1.0, 1e-3, "summing to 1"),
        (np.full(3, 1 / 3), np.array([0, np.inf, 0]), 1.0, 1e-3, "excess"),
        (np.full(3, 1 / 3), np.zeros(3), 0.0, 1e-3, "eta"),
        (np.full(3, 1 / 3), np.zeros(3), 1.0, 1.5, "eps"),
    ],
)
def test_doremi_step_rejects_bad_input(alpha, excess, eta, eps, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        doremi_step(alpha, excess, eta, eps)


# ---------------------------------------------------------------- minibatches
@pytest.mark.parametrize("shuffle", [True, False])
def test_domain_batches_are_balanced_and_deterministic(world: World, shuffle: bool) -> None:
    T, b = 10, 200
    batches = domain_batches(world.train, T, b, seed=3, shuffle=shuffle)
    k = len(world.domains)
    assert batches.tokens == T * k * b
    assert batches.prev.shape == batches.nxt.shape == batches.domain.shape == batches.step.shape
    cells = np.bincount(batches.step * k + batches.domain, minlength=T * k).reshape(T, k)
    assert (cells > 0).all()
    assert (cells.max(axis=0) - cells.min(axis=0) <= 1).all()  # every step gets n_i / T of domain i
    again = domain_batches(world.train, T, b, seed=3, shuffle=shuffle)
    np.testing.assert_array_equal(again.prev, batches.prev)
    np.testing.assert_array_equal(again.step, batches.step)
    if not shuffle:  # stream order: steps never go back within a domain
        for i in range(k):
            assert (np.diff(batches.step[batches.domain == i]) >= 0).all()


# ---------------------------------------------------------------- Group DRO
def test_group_dro_first_step_by_hand_and_weighted_counting(world: World) -> None:
    T, b = 8, 150
    k = len(world.domains)
    batches = domain_batches(world.train, T, b, seed=1)
    ref = train_proxy(world, Mixture({d: 1 / k for d in world.domains}), CONFIG, 5).model
    proxy = CONFIG.build(world.vocab_size)
    dro = group_dro(batches, ref, proxy, world.domains, eta=1.0, eps=1e-3, progress=False)
    # step 1: the untrained proxy predicts uniformly, loss log V on every token
    first = batches.step == 0
    clipped = np.maximum(np.log(world.vocab_size) - ref.token_losses(batches.prev[first], batches.nxt[first]), 0)
    dom = batches.domain[first]
    lam1 = np.array([clipped[dom == i].mean() for i in range(k)])
    np.testing.assert_allclose(dro.excess[0], lam1, rtol=1e-12)
    np.testing.assert_allclose(dro.alpha[0], doremi_step(np.full(k, 1 / k), lam1, 1.0, 1e-3), rtol=1e-12)
    # the trajectory stays on the simplex, smoothed away from zero, and is averaged over time
    np.testing.assert_allclose(dro.alpha.sum(axis=1), 1.0, atol=1e-12)
    assert dro.alpha.min() >= 1e-3 / k - 1e-15
    np.testing.assert_allclose(dro.average, dro.alpha.mean(axis=0), atol=1e-15)
    # step t adds its domain-i transitions with weight alpha_t[i] * k
    cells = np.bincount(batches.step * k + batches.domain, minlength=T * k).reshape(T, k)
    assert proxy.counts.sum() == pytest.approx(float((dro.alpha * k * cells).sum()), rel=1e-12)
    traj = dro.trajectory()
    assert list(traj.columns[:k]) == list(world.domains)
    assert len(traj) == T and traj.index[0] == 1


def test_group_dro_needs_every_domain_in_every_step(world: World) -> None:
    full = domain_batches(world.train, 4, 50, seed=0)
    keep = ~((full.step == 2) & (full.domain == 1))  # step 3 without a single "code" transition
    batches = DomainBatches(full.prev[keep], full.nxt[keep], full.domain[keep], full.step[keep], 4, 50,
                            full.rows, full.lengths)
    ref = train_proxy(world, Mixture({d: 1 / 3 for d in world.domains}), CONFIG, 0).model
    with pytest.raises(ValueError, match="step 3 has no transition from domain 'code'"):
        group_dro(batches, ref, CONFIG.build(world.vocab_size), world.domains, progress=False)


# ---------------------------------------------------------------- the method
def test_doremi_result_contract(world: World) -> None:
    steps = 20
    res = doremi(world, "uniform", CONFIG, steps=steps, seed=4, progress=False)
    k = len(world.domains)
    b = CONFIG.budget // (k * steps)
    w = res.mixture.as_array()
    assert res.mixture.kind == "token" and (w > 0).all() and abs(w.sum() - 1) <= 1e-9
    prov = res.mixture.provenance
    assert prov["mixer"] == "doremi"
    params = prov["params"]
    assert params["eta"] == 1.0 and params["eps"] == 1e-3 and params["steps"] == steps
    assert params["batch_tokens"] == k * b and params["tokens_per_domain"] == b
    assert set(params["reference"]) == set(world.domains)
    # the answer is the time-average of the trajectory
    np.testing.assert_allclose(w, res.history[list(world.domains)].mean().to_numpy(), atol=1e-12)
    # tokens: the reference model's plus the Group DRO proxy's
    ref_tokens = res.details["reference"].tokens_spent
    assert ref_tokens == CONFIG.budget
    assert res.tokens_spent == ref_tokens + steps * k * b
    assert res.runs == 2
    assert res.value == pytest.approx(measure(world, res.mixture, "uniform", CONFIG, EVAL_SEED), abs=1e-12)
    again = doremi(world, "uniform", CONFIG, steps=steps, seed=4, progress=False)
    np.testing.assert_array_equal(again.mixture.as_array(), w)
    other = doremi(world, "uniform", CONFIG, steps=steps, seed=5, progress=False)
    assert not np.array_equal(other.mixture.as_array(), w)


def test_doremi_caps_project_explicitly(world: World) -> None:
    tokens = world.train.token_counts()
    # a budget and cap that leave the smallest domain well below its uniform share
    budget = int(3 * tokens.min())
    cfg = CONFIG.with_(budget=budget)
    cap_small = 0.5 * tokens.min() / budget  # max_epochs = 0.5
    res = doremi(world, "uniform", cfg, steps=10, max_epochs=0.5, progress=False)
    w = res.mixture.weights
    assert w[tokens.idxmin()] <= cap_small + 1e-9
    assert res.mixture.provenance["params"]["projected_to_caps"] is True
    assert "raw_average" in res.mixture.provenance["params"]


def test_doremi_rejects_bad_arguments(world: World) -> None:
    with pytest.raises(ValueError, match="steps"):
        doremi(world, "uniform", CONFIG, steps=0, progress=False)
    with pytest.raises(TypeError, match="reference"):
        doremi(world, "uniform", CONFIG, reference={"web": 1.0}, progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tokens_per_domain"):
        doremi(world, "uniform", CONFIG, tokens_per_domain=1, progress=False)
    with pytest.raises(TypeError, match="evaluate"):
        doremi(world, "uniform", CONFIG, evaluate=lambda m: m.weights, progress=False)  # type: ignore[arg-type,return-value]
