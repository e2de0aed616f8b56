"""Tests for mixlab.budget: epochs, caps, feasibility, capped-simplex projection, LLaMA-1 table."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mixlab import budget
from mixlab.mixture import Mixture
from mixlab.validation import InvariantError

SIZES = pd.Series({"web": 1000.0, "books": 100.0, "code": 10.0})
MIX = Mixture({"web": 0.5, "books": 0.3, "code": 0.2})


# ---------------------------------------------------------------- tokens, epochs, caps
def test_tokens_and_epochs() -> None:
    t = budget.tokens_per_domain(MIX, 1000)
    assert t.to_dict() == {"web": 500.0, "books": 300.0, "code": 200.0}
    e = budget.epochs_from_weights(MIX, 1000, SIZES)
    assert e.to_dict() == {"web": 0.5, "books": 3.0, "code": 20.0}
    counts = pd.DataFrame({"docs": [1, 1, 1], "tokens": [1000, 100, 10]}, index=["web", "books", "code"])
    pd.testing.assert_series_equal(budget.epochs_from_weights(MIX, 1000, counts), e)
    # bytes per token: sizes in bytes, 2 bytes/token halves the token count
    np.testing.assert_allclose(budget.epochs_from_weights(MIX, 1000, SIZES * 2, bytes_per_token=2.0), e)
    with pytest.raises(ValueError, match="budget must be > 0"):
        budget.epochs_from_weights(MIX, 0, SIZES)
    with pytest.raises(ValueError, match="document-kind"):
        budget.epochs_from_weights(Mixture({"web": 1.0}, kind="document"), 10, {"web": 1.0})
    with pytest.raises(ValueError, match="missing: code"):
        budget.epochs_from_weights(MIX, 10, {"web": 1.0, "books": 1.0})


def test_empty_domain_epochs() -> None:
    sizes = {"web": 1000.0, "books": 0.0, "code": 10.0}
    with pytest.raises(ValueError, match="infinitely many epochs: books=0.3"):
        budget.epochs_from_weights(MIX, 100, sizes)
    e = budget.epochs_from_weights(MIX, 100, sizes, on_empty="inf")
    assert math.isinf(e["books"])
    zero = Mixture({"web": 0.8, "books": 0.0, "code": 0.2})
    assert budget.epochs_from_weights(zero, 100, sizes)["books"] == 0.0


def test_caps_feasibility_and_within_caps() -> None:
    caps = budget.caps_from_epochs(SIZES, 1000, 4)
    assert caps.to_dict() == {"web": 1.0, "books": 0.4, "code": 0.04}
    assert budget.check_feasible(SIZES, 1000, 4).equals(caps)
    msg = r"infeasible: at E_max=4 the domains hold at most 4440 tokens, budget 5000 needs 560 more"
    with pytest.raises(ValueError, match=msg):
        budget.check_feasible(SIZES, 5000, 4)
    with pytest.raises(InvariantError, match=r"epoch cap violated \(E_max=4\).*books=3|code=20"):
        budget.check_within_caps(MIX, 1000, SIZES, 4)
    ok = Mixture({"web": 0.9, "books": 0.07, "code": 0.03})
    assert budget.check_within_caps(ok, 1000, SIZES, 4)["code"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="max_epochs"):
        budget.caps_from_epochs(SIZES, 1000, 0)
    with pytest.raises(ValueError, match="NaN"):
        budget.caps_from_epochs({"a": float("nan")}, 1000, 4)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=8), st.floats(1, 1e7), st.floats(0.1, 10))
def test_feasible_iff_sum_of_caps(sizes: list[float], B: float, E: float) -> None:
    s = pd.Series(sizes, index=[f"d{i}" for i in range(len(sizes))])
    caps_sum = float(np.minimum(1.0, E * s / B).sum())
    assume(abs(caps_sum - 1) > 1e-9)
    if caps_sum >= 1:
        budget.check_feasible(s, B, E)
    else:
        with pytest.raises(ValueError, match="infeasible"):
            budget.check_feasible(s, B, E)


# ---------------------------------------------------------------- projection
def brute_force_projection(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Exhaustive active-set enumeration: each coordinate is at 0, at its cap, or free (= v_i − τ)."""
    best, best_d = None, np.inf
    for states in itertools.product((0, 1, 2), repeat=len(v)):
        st_ = np.array(states)
        free = st_ == 2
        fixed = np.where(st_ == 1, u, 0.0)
        if not free.any():
            w = fixed
            if abs(w.sum() - 1) > 1e-9:
                continue
        else:
            tau = (v[free].sum() + fixed[~free].sum() - 1) / free.sum()
            w = np.where(free, v - tau, fixed)
            if (w[free] < -1e-12).any() or (w[free] > u[free] + 1e-12).any():
                continue
        d = float(np.sum((w - v) ** 2))
        if d < best_d - 1e-15:
            best, best_d = w, d
    assert best is not None
    return best


@st.composite
def projection_problem(draw: st.DrawFn, k_max: int = 6) -> tuple[np.ndarray, np.ndarray]:
    k = draw(st.integers(1, k_max))
    v = np.array(draw(st.lists(st.floats(-2, 2), min_size=k, max_size=k)))
    u = np.array(draw(st.lists(st.floats(0, 1.5), min_size=k, max_size=k)))
    assume(u.sum() >= 1.0 + 1e-6 or (k == 1 and u[0] >= 1))
    return v, u


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(projection_problem(5))
def test_projection_matches_active_set_enumeration_and_kkt(problem: tuple[np.ndarray, np.ndarray]) -> None:
    v, u = problem
    w = budget.project_capped_simplex(v, u)
    uu = np.minimum(u, 1.0)
    assert abs(w.sum() - 1) <= 1e-9
    assert (w >= 0).all() and (w <= uu + 1e-12).all()
    np.testing.assert_allclose(w, brute_force_projection(v, uu), atol=1e-8)
    # KKT: a single tau with w = clip(v - tau, 0, u); read tau off a free coordinate (or check existence)
    free = (w > 1e-9) & (w < uu - 1e-9)
    if free.any():
        tau = float(np.mean((v - w)[free]))
        np.testing.assert_allclose(w, np.clip(v - tau, 0, uu), atol=1e-8)


@settings(max_examples=60, deadline=None)
@given(projection_problem(8))
def test_projection_matches_slsqp(problem: tuple[np.ndarray, np.ndarray]) -> None:
    from scipy.optimize import minimize

    v, u = problem
    uu = np.minimum(u, 1.0)
    w = budget.project_capped_simplex(v, u)
    x0 = uu / uu.sum()
    res = minimize(
        lambda x: 0.5 * np.sum((x - v) ** 2),
        x0,
        jac=lambda x: x - v,
        bounds=list(zip(np.zeros_like(uu), uu, strict=True)),
        constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1, "jac": lambda x: np.ones_like(x)}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    assert res.success
    # ours is at least as good as the QP solver's answer, and they agree
    assert 0.5 * np.sum((w - v) ** 2) <= res.fun + 1e-9
    np.testing.assert_allclose(w, res.x, atol=1e-5)


def test_projection_edge_cases() -> None:
    np.testing.assert_allclose(budget.project_capped_simplex([0.2, 0.8], [1, 1]), [0.2, 0.8])  # already inside
    np.testing.assert_allclose(budget.project_capped_simplex([5, 0, 0], [0.5, 0.5, 0.5]), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(budget.project_capped_simplex([0.0, 0.0], [0.5, 0.5]), [0.5, 0.5])  # Σu = 1
    np.testing.assert_allclose(budget.project_capped_simplex([1.0, 2.0], [np.inf, np.inf]), [0.0, 1.0])
    s = budget.project_capped_simplex(pd.Series({"a": 0.9, "b": 0.1}), pd.Series({"b": 1.0, "a": 0.6}))
    assert isinstance(s, pd.Series) and s["a"] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="empty: caps sum to 0.6"):
        budget.project_capped_simplex([0.5, 0.5], [0.3, 0.3])
    with pytest.raises(ValueError, match="finite"):
        budget.project_capped_simplex([np.nan, 0.5], [1, 1])
    with pytest.raises(ValueError, match="caps must be >= 0"):
        budget.project_capped_simplex([0.5, 0.5], [-1, 2])
    with pytest.raises(ValueError, match="equal length"):
        budget.project_capped_simplex([0.5, 0.5], [1])


def test_projection_scales() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=100_000)
    u = rng.uniform(0, 1e-4, size=100_000)
    w = budget.project_capped_simplex(v, u)
    assert abs(w.sum() - 1) < 1e-9 and (w <= u + 1e-15).all() and (w >= 0).all()


# ---------------------------------------------------------------- weights <-> epochs, LLaMA-1
def test_weights_from_epochs_round_trip() -> None:
    implied = budget.weights_from_epochs(SIZES, {"web": 0.5, "books": 3.0, "code": 20.0})
    assert isinstance(implied, budget.ImpliedMixture)
    m, B = implied  # a named tuple: unpacks, and names its parts
    assert (m, B) == (implied.mixture, implied.budget)
    assert B == pytest.approx(1000) and m.allclose(MIX)
    assert m.provenance["mixer"] == "weights_from_epochs"
    np.testing.assert_allclose(budget.epochs_from_weights(m, B, SIZES), [0.5, 3.0, 20.0])


def test_bytes_per_token_is_keyword_only_everywhere() -> None:
    calls = [
        lambda: budget.epochs_from_weights(MIX, 1000, SIZES, 2.0),
        lambda: budget.weights_from_epochs(SIZES, {"web": 1.0, "books": 1.0, "code": 1.0}, 2.0),
        lambda: budget.caps_from_epochs(SIZES, 1000, 4, 2.0),
        lambda: budget.check_feasible(SIZES, 1000, 4, 2.0),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="positional argument"):
            call()
    assert not hasattr(budget, "epochs")  # renamed: the name stays free for the natural variable


def test_no_tokens_at_all_cannot_supply_a_positive_budget() -> None:
    with pytest.raises(ValueError, match=r"infeasible: the domains hold no tokens at all.*E_max=inf.*budget 100"):
        budget.check_feasible({"a": 0, "b": 0}, 100, math.inf)
    caps = budget.caps_from_epochs({"a": 0, "b": 50}, 100, math.inf)
    assert caps.to_dict() == {"a": 0.0, "b": 1.0}  # an empty domain stays capped at 0, even without a limit
    assert budget.check_feasible({"a": 0, "b": 50}, 100, math.inf).equals(caps)


@pytest.mark.parametrize(
    ("table", "error", "pattern"),
    [
        (pd.DataFrame({"docs": ["1", "2"], "tokens": [10, 20]}, index=["web", "code"]), TypeError, "web='1'"),
        (pd.DataFrame({"docs": [1, 2], "tokens": [True, True]}, index=["web", "code"]), TypeError, "web=True"),
        (pd.DataFrame({"docs": [2.5, 2], "tokens": [10, 20]}, index=["web", "code"]), ValueError, "web=2.5"),
        (pd.DataFrame({"docs": [0, 2], "tokens": [10, 20]}, index=["web", "code"]), ValueError,
         "tokens but no documents"),
    ],
)
def test_budget_functions_refuse_bad_counts_tables(table: pd.DataFrame, error: type, pattern: str) -> None:
    mix = Mixture({"web": 0.5, "code": 0.5})
    calls = [
        lambda: budget.epochs_from_weights(mix, 10, table),
        lambda: budget.caps_from_epochs(table, 10, 4),
        lambda: budget.check_feasible(table, 10, 4),
        lambda: budget.budget_table(mix, 10, table, 4),
        lambda: budget.weights_from_epochs(table, {"web": 1.0, "code": 1.0}),
    ]
    for call in calls:
        with pytest.raises(error, match=pattern):
            call()


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1e9), st.floats(0.01, 50)), min_size=1, max_size=8))
def test_weights_epochs_round_trip_property(rows: list[tuple[float, float]]) -> None:
    names = [f"d{i}" for i in range(len(rows))]
    sizes = pd.Series([r[0] for r in rows], index=names)
    ep = pd.Series([r[1] for r in rows], index=names)
    m, B = budget.weights_from_epochs(sizes, ep)
    np.testing.assert_allclose(budget.epochs_from_weights(m, B, sizes).to_numpy(), ep.to_numpy(), rtol=1e-9)


def test_llama1_table_epochs_follow_from_shares_and_sizes() -> None:
    t = budget.llama1_table()
    B = t.attrs["budget"]
    bpt = budget.implied_bytes_per_token(t["share"], t["epochs"], B, t["size_bytes"])
    # the implied bytes/token is plausible for BPE text: ~2.8 (ArXiv) to ~3.9 (CommonCrawl, C4)
    assert bpt.between(2.7, 4.0).all()
    assert bpt.idxmin() == "ArXiv" and bpt["ArXiv"] == pytest.approx(2.79, abs=0.01)
    assert bpt["CommonCrawl"] == pytest.approx(3.87, abs=0.01)
    # e_i = w_i B / T_i with T_i = bytes_i / bpt_i reproduces the published epochs
    e = budget.epochs_from_weights(t["share"], B, t["size_bytes"], bytes_per_token=bpt)
    np.testing.assert_allclose(e.to_numpy(), t["epochs"].to_numpy(), rtol=1e-12)
    # a single ~3.5 bytes/token for every source misses the published epochs by up to ~25 %
    e_flat = budget.epochs_from_weights(t["share"], B, t["size_bytes"], bytes_per_token=3.5)
    assert np.max(np.abs(e_flat / t["epochs"] - 1)) > 0.1
    # and from epochs + sizes back to the shares and the budget
    m, B2 = budget.weights_from_epochs(t["size_bytes"], t["epochs"], bytes_per_token=bpt)
    assert B2 == pytest.approx(B, rel=1e-12)
    np.testing.assert_allclose(m.as_array(), t["share"].to_numpy(), rtol=1e-12)


# ---------------------------------------------------------------- compute and repetition
def test_compute_tokens_inverse() -> None:
    assert budget.tokens_from_compute(6e21, 1e9) == pytest.approx(1e12)
    assert budget.compute_from_tokens(1e12, 1e9) == pytest.approx(6e21)
    with pytest.raises(ValueError, match="n_params"):
        budget.tokens_from_compute(1e20, 0)
    with pytest.raises(ValueError, match="compute"):
        budget.tokens_from_compute(-1, 1e9)


def test_effective_tokens() -> None:
    assert budget.effective_tokens(100.0, 0.0) == 100.0
    # 4 epochs (R = 3) is nearly as good as fresh data; the limit is U (1 + R*)
    four = budget.effective_tokens(100.0, 3.0)
    assert 0.9 * 400 < four < 400  # ≈ 373: 93 % of fresh data
    assert budget.effective_tokens(100.0, 1e6) == pytest.approx(100 * (1 + 15.4))
    arr = budget.effective_tokens(np.array([1.0, 2.0]), np.array([0.0, 15.4]))
    np.testing.assert_allclose(arr, [1.0, 2 + 2 * 15.4 * (1 - math.exp(-1))])
    with pytest.raises(ValueError, match="repeats"):
        budget.effective_tokens(1.0, -1.0)


def test_budget_table() -> None:
    tab = budget.budget_table(MIX, 1000, SIZES, max_epochs=4)
    assert list(tab.columns) == ["weight", "tokens", "epochs", "effective_tokens", "cap", "binding", "over_cap"]
    assert tab.loc["web", "effective_tokens"] == 500.0  # half an epoch: all fresh
    assert tab.loc["books", "effective_tokens"] == pytest.approx(budget.effective_tokens(100.0, 2.0))
    assert tab["over_cap"].tolist() == [False, False, True]
    capped = Mixture({"web": 0.56, "books": 0.4, "code": 0.04})
    assert budget.budget_table(capped, 1000, SIZES, 4)["binding"].tolist() == [False, True, True]
    assert budget.budget_table(MIX, 1000, SIZES)["cap"].isna().all()


# --------------------------------------------------------------------------- repetition_value
def test_repetition_value_is_effective_tokens_per_token_read() -> None:
    epochs = np.array([1.0, 2.0, 4.0, 16.0, 100.0])
    expected = budget.effective_tokens(1.0, epochs - 1) / epochs
    np.testing.assert_allclose(budget.repetition_value(epochs), expected, rtol=1e-12)
    assert budget.repetition_value(1) == 1.0
    assert budget.repetition_value(4, r_star=5.0) == pytest.approx(budget.effective_tokens(10.0, 3, 5.0) / 40.0)


def test_repetition_value_keeps_a_series_index_and_decreases() -> None:
    s = pd.Series([1, 2, 8], index=["a", "b", "c"])
    v = budget.repetition_value(s)
    assert isinstance(v, pd.Series) and list(v.index) == ["a", "b", "c"]
    assert v.is_monotonic_decreasing
    assert budget.repetition_value(1e6) == pytest.approx((1 + budget.MUENNIGHOFF_R_STAR) / 1e6, rel=1e-6)


@pytest.mark.parametrize("bad", [0.5, np.nan, [1.0, 0.0]])
def test_repetition_value_rejects_epochs_below_one(bad: object) -> None:
    with pytest.raises(ValueError, match=r"epochs must (be finite and >= 1|not contain NaN)"):
        budget.repetition_value(bad)
    with pytest.raises(ValueError, match="r_star"):
        budget.repetition_value(2.0, r_star=0.0)


# --------------------------------------------------------------------------- fresh_equivalent_tokens
def test_fresh_equivalent_tokens_reads_the_curve_on_a_log_scale() -> None:
    tokens = [1000, 2000, 4000, 8000]
    loss = [5.0, 4.5, 4.0, 3.5]  # linear in log2(tokens)
    assert budget.fresh_equivalent_tokens(4.25, tokens, loss) == pytest.approx(2000 * np.sqrt(2))
    np.testing.assert_allclose(budget.fresh_equivalent_tokens([4.5, 3.5], tokens[::-1], loss[::-1]), [2000, 8000])
    # clamped at the ends, like numpy.interp
    assert budget.fresh_equivalent_tokens(9.0, tokens, loss) == pytest.approx(1000)
    s = budget.fresh_equivalent_tokens(pd.Series([4.0], index=["x"]), tokens, loss)
    assert list(s.index) == ["x"] and s["x"] == pytest.approx(4000)


def test_fresh_equivalent_tokens_rejects_a_curve_that_does_not_fall() -> None:
    with pytest.raises(ValueError, match="fall strictly"):
        budget.fresh_equivalent_tokens(4.0, [1, 2, 3], [5.0, 5.0, 4.0])
    with pytest.raises(ValueError, match="equally long"):
        budget.fresh_equivalent_tokens(4.0, [1, 2], [5.0])
    with pytest.raises(ValueError, match="> 0"):
        budget.fresh_equivalent_tokens(4.0, [0, 2], [5.0, 4.0])
