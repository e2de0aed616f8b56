"""Tests for mixlab.mixture.Mixture: validation, conversion, distances, serialization."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.mixture import MAX_ATOL, Mixture

DOMS = ["web", "books", "code"]


# ---------------------------------------------------------------- strategies
@st.composite
def simplex(draw: st.DrawFn, k_min: int = 1, k_max: int = 8) -> dict[str, float]:
    k = draw(st.integers(k_min, k_max))
    raw = draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=k, max_size=k))
    if sum(raw) <= 0:
        raw[0] = 1.0
    total = sum(raw)
    return {f"d{i}": v / total for i, v in enumerate(raw)}


@st.composite
def positive_lengths(draw: st.DrawFn, names: list[str]) -> dict[str, float]:
    return {n: draw(st.floats(1.0, 1e5, allow_nan=False)) for n in names}


# ---------------------------------------------------------------- construction and validation
def test_basic_views() -> None:
    m = Mixture({"web": 0.5, "books": 0.3, "code": 0.2})
    assert m.domains == ("web", "books", "code")
    assert m["books"] == 0.3
    assert list(m.weights.index) == ["web", "books", "code"]
    np.testing.assert_array_equal(m.as_array(["code", "web", "books"]), [0.2, 0.5, 0.3])
    assert m.kind == "token"
    assert len(m) == 3 and "web" in m


def test_sum_message_states_sum_tolerance_and_values() -> None:
    with pytest.raises(ValueError) as exc:
        Mixture({"web": 0.7, "code": 0.5})
    msg = str(exc.value)
    assert "must sum to 1 within 1e-09" in msg and "1.2" in msg and "web=0.7" in msg and "code=0.5" in msg


def test_atol_is_respected() -> None:
    Mixture({"a": 0.5, "b": 0.5 + 1e-10})
    with pytest.raises(ValueError, match="within 1e-09"):
        Mixture({"a": 0.5, "b": 0.5 + 1e-8})
    Mixture({"a": 0.5, "b": 0.5 + 1e-8}, atol=1e-6)


@pytest.mark.parametrize(
    ("weights", "err", "pattern"),
    [
        ({"web": float("nan"), "code": 1.0}, ValueError, "NaN.*web"),
        ({"web": float("inf"), "code": 1.0}, ValueError, "finite.*web=inf"),
        ({"web": -0.1, "code": 1.1}, ValueError, ">= 0.*web=-0.1"),
        ({}, ValueError, "must not be empty"),
        ({1: 1.0}, TypeError, "strings"),
        ({"web": "0.5", "code": 0.5}, TypeError, "real numbers.*web='0.5'"),
        ({"web": True, "code": 0.0}, TypeError, "real numbers"),
        ([("web", 0.5), ("web", 0.5)], ValueError, "unique.*web"),
    ],
)
def test_invalid_weights_fail_fast(weights: object, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        Mixture(weights)  # type: ignore[arg-type]


def test_domains_missing_unknown() -> None:
    with pytest.raises(ValueError, match=r"missing domains: code.*expected: web, books, code"):
        Mixture({"web": 0.5, "books": 0.5}, domains=DOMS)
    with pytest.raises(ValueError, match=r"unknown domains: math"):
        Mixture({"web": 0.5, "books": 0.3, "code": 0.1, "math": 0.1}, domains=DOMS)
    with pytest.raises(ValueError, match="unique"):
        Mixture({"web": 1.0}, domains=["web", "web"])
    m = Mixture({"code": 0.2, "web": 0.5, "books": 0.3}, domains=DOMS)
    assert m.domains == tuple(DOMS)


def test_kind_and_provenance_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        Mixture({"a": 1.0}, kind="bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JSON"):
        Mixture({"a": 1.0}, provenance={"x": object()})
    with pytest.raises(TypeError, match="JSON"):
        Mixture({"a": 1.0}, provenance={"x": float("nan")})


def test_immutable() -> None:
    m = Mixture({"a": 0.4, "b": 0.6}, provenance={"mixer": "x", "params": {"p": [1]}})
    with pytest.raises(AttributeError):
        m._w = np.array([1.0, 0.0])
    with pytest.raises(ValueError):
        m._w[0] = 1.0
    s = m.weights
    s.iloc[0] = 1.0
    assert m["a"] == 0.4
    p = m.provenance
    p["params"]["p"].append(2)
    assert m.provenance["params"]["p"] == [1]


def test_series_and_pairs_input() -> None:
    s = pd.Series([0.25, 0.75], index=["a", "b"])
    assert Mixture(s)["b"] == 0.75
    assert Mixture([("a", 0.25), ("b", 0.75)])["a"] == 0.25
    with pytest.raises(TypeError):
        Mixture("ab")  # type: ignore[arg-type]


def test_getitem_unknown() -> None:
    with pytest.raises(KeyError, match="unknown domain 'x'"):
        Mixture({"a": 1.0})["x"]


# ---------------------------------------------------------------- normalization
def test_normalized_is_explicit() -> None:
    m = Mixture.normalized({"web": 2.0, "code": 6.0})
    assert m["web"] == 0.25 and m["code"] == 0.75
    assert m.provenance["normalized_from_sum"] == 8.0
    with pytest.raises(ValueError, match="all raw weights are zero"):
        Mixture.normalized({"web": 0.0, "code": 0.0})
    with pytest.raises(ValueError, match=">= 0"):
        Mixture.normalized({"web": -1.0, "code": 2.0})


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.floats(0, 1e6), min_size=1))
def test_normalized_lands_on_simplex(raw: dict[str, float]) -> None:
    if sum(raw.values()) <= 0:
        with pytest.raises(ValueError):
            Mixture.normalized(raw)
        return
    m = Mixture.normalized(raw)
    assert abs(m.as_array().sum() - 1) <= 1e-9 and (m.as_array() >= 0).all()


# ---------------------------------------------------------------- conversion
def test_doc_token_conversion_formula() -> None:
    m = Mixture({"web": 0.5, "books": 0.5}, kind="document", provenance={"mixer": "u"})
    t = m.to_tokens({"web": 100.0, "books": 300.0})
    assert t.kind == "token"
    assert t["web"] == pytest.approx(0.25) and t["books"] == pytest.approx(0.75)
    assert t.provenance["mixer"] == "to_tokens" and t.provenance["parent"] == {"mixer": "u"}
    back = t.to_documents(pd.Series({"web": 100.0, "books": 300.0}))
    assert back.allclose(m) and back.provenance["parent"]["parent"] == {"mixer": "u"}


def test_conversion_accepts_counts_table_and_validates() -> None:
    counts = pd.DataFrame({"docs": [10, 5], "tokens": [1000, 5000]}, index=["web", "books"])
    t = Mixture({"web": 0.5, "books": 0.5}, kind="document").to_tokens(counts)
    assert t["books"] == pytest.approx(1000 / 1100)
    m = Mixture({"web": 0.5, "books": 0.5}, kind="document")
    with pytest.raises(ValueError, match="missing: books"):
        m.to_tokens({"web": 3.0})
    with pytest.raises(ValueError, match="> 0.*books=0"):
        m.to_tokens({"web": 3.0, "books": 0.0})
    with pytest.raises(ValueError, match="NaN"):
        m.to_tokens({"web": 3.0, "books": float("nan")})
    with pytest.raises(ValueError, match="already token"):
        Mixture({"web": 1.0}).to_tokens({"web": 1.0})
    with pytest.raises(ValueError, match="already document"):
        Mixture({"web": 1.0}, kind="document").to_documents({"web": 1.0})


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(simplex().flatmap(lambda w: st.tuples(st.just(w), positive_lengths(list(w)))))
def test_conversion_round_trips(data: tuple[dict[str, float], dict[str, float]]) -> None:
    w, lengths = data
    m = Mixture(w, kind="document")
    back = m.to_tokens(lengths).to_documents(lengths)
    assert back.allclose(m, atol=1e-9)
    mt = Mixture(w)
    assert mt.to_documents(lengths).to_tokens(lengths).allclose(mt, atol=1e-9)


# ---------------------------------------------------------------- distances and entropy
def test_tv_kl_entropy_values() -> None:
    p = Mixture({"a": 0.5, "b": 0.5})
    q = Mixture({"b": 0.75, "a": 0.25})
    assert p.tv(q) == pytest.approx(0.25)
    assert p.kl(q) == pytest.approx(0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75))
    assert p.entropy() == pytest.approx(math.log(2))
    assert p.effective_domains() == pytest.approx(2.0)
    point = Mixture({"a": 1.0, "b": 0.0})
    assert point.entropy() == 0.0 and point.effective_domains() == 1.0
    assert p.kl(point) == math.inf  # support mismatch → inf (documented)
    assert point.kl(p) == pytest.approx(math.log(2))
    assert p.kl(p) == 0.0 and p.tv(p) == 0.0


def test_distance_needs_same_domains_and_kind() -> None:
    p = Mixture({"a": 0.5, "b": 0.5})
    with pytest.raises(ValueError, match="same domains"):
        p.tv(Mixture({"a": 0.5, "c": 0.5}))
    with pytest.raises(ValueError, match="same kind"):
        p.kl(Mixture({"a": 0.5, "b": 0.5}, kind="document"))
    with pytest.raises(TypeError):
        p.tv({"a": 0.5, "b": 0.5})  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(simplex(2, 6), st.data())
def test_distance_properties(w: dict[str, float], data: st.DataObject) -> None:
    p = Mixture(w)
    raw = data.draw(st.lists(st.floats(0.01, 10), min_size=len(w), max_size=len(w)))
    q = Mixture.normalized(dict(zip(w, raw, strict=True)))
    assert 0 <= p.tv(q) <= 1
    assert p.tv(q) == pytest.approx(q.tv(p))
    assert p.kl(q) >= 0
    assert 1 - 1e-9 <= p.effective_domains() <= len(w) + 1e-9
    # Pinsker: TV <= sqrt(KL / 2)
    assert p.tv(q) <= math.sqrt(p.kl(q) / 2) + 1e-9


# ---------------------------------------------------------------- serialization
def test_json_round_trip_keeps_provenance(tmp_path: object) -> None:
    prov = {"mixer": "temperature", "params": {"T": 2.0, "by": "tokens"}, "counts": {"tokens": {"a": 3, "b": 1}}}
    m = Mixture({"a": 1 / 3, "b": 2 / 3}, provenance=prov, kind="document")
    back = Mixture.from_json(m.to_json())
    assert back == m and back.provenance == prov and back.kind == "document"


def test_from_json_revalidates() -> None:
    m = Mixture({"a": 0.5, "b": 0.5})
    data = json.loads(m.to_json())
    data["weights"]["a"] = 0.9
    with pytest.raises(ValueError, match="sum to 1"):
        Mixture.from_json(json.dumps(data))
    data["weights"]["a"] = 0.5
    data["format"] = "other"
    with pytest.raises(ValueError, match="format"):
        Mixture.from_json(json.dumps(data))
    with pytest.raises(ValueError, match="not valid JSON"):
        Mixture.from_json("{")


def test_save_load_atomic(tmp_path: pytest.TempPathFactory) -> None:
    m = Mixture({"a": 0.1, "b": 0.9}, provenance={"mixer": "hand_tuned", "params": {"rationale": "why"}})
    path = m.save(tmp_path / "sub" / "mix.json")  # type: ignore[operator]
    assert Mixture.load(path) == m
    leftovers = [p.name for p in path.parent.iterdir() if p.name != "mix.json"]
    assert leftovers == []


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(simplex(), st.sampled_from(["token", "document"]), st.dictionaries(st.text(max_size=5), st.integers()))
def test_json_round_trip_property(w: dict[str, float], kind: str, params: dict[str, int]) -> None:
    m = Mixture(w, kind=kind, provenance={"mixer": "x", "params": params})  # type: ignore[arg-type]
    back = Mixture.from_json(m.to_json())
    assert back == m
    assert back.provenance == m.provenance


def test_repr_shows_bars_kind_and_mixer() -> None:
    m = Mixture({"web": 0.75, "code": 0.25}, provenance={"mixer": "proportional"})
    text = repr(m)
    assert "kind=token" in text and "mixer=proportional" in text
    lines = text.splitlines()
    assert len(lines) == 3 and lines[1].strip().startswith("web") and "█" in lines[1]
    assert "<table>" in m._repr_html_()


def test_allclose_and_equality() -> None:
    a = Mixture({"a": 0.5, "b": 0.5})
    b = Mixture({"b": 0.5 + 1e-12, "a": 0.5 - 1e-12})
    assert a.allclose(b) and not a.allclose(b, atol=0.0)
    assert a != b
    assert hash(a) == hash(Mixture({"a": 0.5, "b": 0.5}))


# ---------------------------------------------------------------- with_share
def test_with_share_sets_one_domain_and_rescales_the_rest_proportionally() -> None:
    base = Mixture({"web": 0.6, "books": 0.3, "code": 0.1}, provenance={"mixer": "hand", "params": {}})
    m = base.with_share("code", 0.5)
    np.testing.assert_allclose(m.as_array(), [0.6 * 0.5 / 0.9, 0.3 * 0.5 / 0.9, 0.5], rtol=0, atol=1e-15)
    assert m["code"] == 0.5
    assert m["web"] / m["books"] == pytest.approx(2.0)  # the others keep their ratio
    assert m.domains == base.domains and m.kind == base.kind and m.atol == base.atol
    assert abs(m.as_array().sum() - 1) <= 1e-12
    prov = m.provenance
    assert prov["mixer"] == "with_share" and prov["params"] == {"domain": "code", "share": 0.5}
    assert prov["base"] == {"web": 0.6, "books": 0.3, "code": 0.1}
    assert prov["parent"] == {"mixer": "hand", "params": {}}
    assert base["code"] == 0.1  # the base is untouched (immutable)
    assert Mixture.from_json(m.to_json()) == m


def test_with_share_matches_the_hand_formula_bit_for_bit() -> None:
    base = Mixture.normalized({"web": 5.0, "books": 0.7, "code": 1.9, "math": 0.6})
    for s in (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 1.0):
        others = base.weights.drop("code")
        by_hand = Mixture({**(others * (1 - s) / others.sum()).to_dict(), "code": s}, domains=base.domains)
        assert np.array_equal(base.with_share("code", s).as_array(), by_hand.as_array())


def test_with_share_edges() -> None:
    base = Mixture({"web": 0.6, "books": 0.4, "code": 0.0})
    assert base.with_share("code", 1.0).as_array().tolist() == [0.0, 0.0, 1.0]
    assert base.with_share("web", 0.0).as_array().tolist() == [0.0, 1.0, 0.0]
    # a zero-weight domain stays at zero: only the domains with weight share the rest
    assert base.with_share("web", 0.5)["code"] == 0.0
    point = Mixture({"web": 1.0, "books": 0.0})
    assert point.with_share("web", 1.0).as_array().tolist() == [1.0, 0.0]
    assert Mixture({"web": 1.0}).with_share("web", 1.0)["web"] == 1.0
    doc = Mixture({"web": 0.5, "code": 0.5}, kind="document").with_share("code", 0.25)
    assert doc.kind == "document" and doc["web"] == 0.75


@pytest.mark.parametrize(
    ("domain", "share", "err", "pattern"),
    [
        ("math", 0.2, ValueError, r"one of the mixture's domains \['web', 'books', 'code'\] \(got 'math'\)"),
        (3, 0.2, TypeError, "domain must be a domain name"),
        ("code", -0.1, ValueError, r"share must lie in \[0, 1\] \(got code=-0.1\)"),
        ("code", 1.5, ValueError, r"share must lie in \[0, 1\]"),
        ("code", float("nan"), ValueError, r"share must lie in \[0, 1\]"),
        ("code", "0.2", TypeError, "share must be a real number"),
        ("code", True, TypeError, "share must be a real number"),
    ],
)
def test_with_share_rejects_bad_arguments(domain: object, share: object, err: type, pattern: str) -> None:
    with pytest.raises(err, match=pattern):
        Mixture({"web": 0.6, "books": 0.3, "code": 0.1}).with_share(domain, share)  # type: ignore[arg-type]


def test_with_share_needs_weight_on_the_other_domains() -> None:
    point = Mixture({"web": 1.0, "books": 0.0, "code": 0.0})
    with pytest.raises(ValueError, match="every other domain has weight 0"):
        point.with_share("web", 0.5)
    with pytest.raises(ValueError, match="every other domain has weight 0"):
        Mixture({"web": 1.0}).with_share("web", 0.5)


@settings(max_examples=60, deadline=None)
@given(w=simplex(k_min=2), data=st.data())
def test_with_share_property(w: dict[str, float], data: st.DataObject) -> None:
    base = Mixture(w)
    domain = data.draw(st.sampled_from(list(w)))
    share = data.draw(st.floats(0, 1))
    rest = sum(v for d, v in w.items() if d != domain)
    if rest <= 0 and share < 1:
        with pytest.raises(ValueError):
            base.with_share(domain, share)
        return
    m = base.with_share(domain, share)
    assert m[domain] == share
    assert abs(m.as_array().sum() - 1) <= 1e-9
    assert (m.as_array() >= 0).all()
    for d, v in w.items():
        if d != domain and rest > 0:
            assert m[d] == pytest.approx(v * (1 - share) / rest, abs=1e-12)


# ---------------------------------------------------------------- bounds on the tolerance, huge scores
@pytest.mark.parametrize("atol", [1e9, 1.0, 0.0011])
def test_atol_is_bounded_so_raw_scores_are_not_a_mixture(atol: float) -> None:
    with pytest.raises(ValueError, match=r"atol must be <= 0.001.*\(got " + re.escape(f"{atol:g})")):
        Mixture({"web": 5, "code": 5}, atol=atol)


def test_atol_bounds_accept_the_limit_and_refuse_zero_and_nan() -> None:
    assert Mixture({"web": 0.5005, "code": 0.5}, atol=MAX_ATOL).atol == MAX_ATOL
    with pytest.raises(ValueError, match="atol must be > 0"):
        Mixture({"web": 1.0}, atol=0)
    with pytest.raises(ValueError, match="atol must not be NaN"):
        Mixture({"web": 1.0}, atol=float("nan"))
    with pytest.raises(TypeError, match="atol must be a real number"):
        Mixture({"web": 1.0}, atol="1e-9")  # type: ignore[arg-type]


def test_normalized_huge_scores_report_the_real_values() -> None:
    with pytest.raises(ValueError, match=r"sum to more than the largest float .*web=1e\+308, code=1e\+308"):
        Mixture.normalized({"web": 1e308, "code": 1e308})
    m = Mixture.normalized({"web": 1e307, "code": 3e307})  # large but summable: exact shares
    assert m.as_array().tolist() == [0.25, 0.75]
    assert m.provenance["normalized_from_sum"] == 4e307
