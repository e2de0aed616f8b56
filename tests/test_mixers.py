"""Tests for mixlab.mixers: baselines on counts tables, with provenance and fail-fast checks."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mixlab import mixers
from mixlab.mixture import Mixture

COUNTS = pd.DataFrame(
    {"docs": [1000, 50, 300, 20], "tokens": [500_000, 400_000, 90_000, 10_000]},
    index=pd.Index(["web", "books", "code", "math"], name="domain"),
)


@st.composite
def counts_tables(draw: st.DrawFn, k_min: int = 1, k_max: int = 8, allow_zero: bool = True) -> pd.DataFrame:
    k = draw(st.integers(k_min, k_max))
    lo = 0 if allow_zero else 1
    tokens = draw(st.lists(st.integers(lo, 10**12), min_size=k, max_size=k))
    assume(sum(tokens) > 0)
    docs = [draw(st.integers(1, t)) if t > 0 else 0 for t in tokens]  # a domain has tokens iff it has documents
    return pd.DataFrame({"docs": docs, "tokens": tokens}, index=[f"d{i}" for i in range(k)])


def on_simplex(m: Mixture) -> bool:
    w = m.as_array()
    return bool((w >= 0).all() and abs(w.sum() - 1) <= 1e-9)


# ---------------------------------------------------------------- simple baselines
def test_uniform_by_document_and_its_token_equivalent() -> None:
    m = mixers.uniform_by_document(COUNTS)
    assert m.kind == "document" and np.allclose(m.as_array(), 0.25)
    assert m.provenance["mixer"] == "uniform_by_document"
    assert m.provenance["counts"]["tokens"]["web"] == 500_000
    t = m.to_tokens(COUNTS)  # the documented token-weight equivalent
    lengths = COUNTS["tokens"] / COUNTS["docs"]
    np.testing.assert_allclose(t.as_array(), (lengths / lengths.sum()).to_numpy())
    np.testing.assert_allclose(t.as_array(), m.to_tokens(mixers.mean_lengths(COUNTS)).as_array())


def test_uniform_by_token_and_proportional() -> None:
    u = mixers.uniform_by_token(COUNTS)
    assert u.kind == "token" and np.allclose(u.as_array(), 0.25)
    p = mixers.proportional(COUNTS)
    np.testing.assert_allclose(p.as_array(), COUNTS["tokens"] / COUNTS["tokens"].sum())
    pd_ = mixers.proportional(COUNTS, by="docs")
    assert pd_.kind == "document"
    np.testing.assert_allclose(pd_.as_array(), COUNTS["docs"] / COUNTS["docs"].sum())
    # proportional-by-documents, read as token weights, is proportional-by-tokens
    assert pd_.to_tokens(COUNTS).allclose(p, atol=1e-12)
    with pytest.raises(ValueError, match="by must be"):
        mixers.proportional(COUNTS, by="bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("table", "err", "pattern"),
    [
        ({"docs": [1, 2]}, ValueError, "missing columns: tokens"),
        ({"docs": [1, 2], "tokens": [1.0, float("nan")]}, ValueError, r"tokens.*NaN.*b=nan"),
        ({"docs": [1, 2], "tokens": [1, -3]}, ValueError, r">= 0.*b=-3"),
        ({"docs": [1, 2], "tokens": [0, 0]}, ValueError, "positive total"),
        ({"docs": [1, 2], "tokens": [1.0, float("inf")]}, ValueError, "finite"),
    ],
)
def test_counts_validation(table: dict[str, list[float]], err: type, pattern: str) -> None:
    df = pd.DataFrame(table, index=["a", "b"])
    with pytest.raises(err, match=pattern):
        mixers.proportional(df)


def test_counts_validation_types() -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        mixers.uniform_by_token([("docs", 1), ("tokens", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"must be real numbers \(got docs=\[1\], tokens=\[1\]\)"):
        mixers.uniform_by_token({"docs": [1], "tokens": [1]})  # a mapping is {domain: count}
    with pytest.raises(ValueError, match="unique"):
        mixers.uniform_by_token(pd.DataFrame({"docs": [1, 1], "tokens": [1, 1]}, index=["a", "a"]))
    with pytest.raises(TypeError, match="strings"):
        mixers.uniform_by_token(pd.DataFrame({"docs": [1, 1], "tokens": [1, 1]}))
    with pytest.raises(ValueError, match="no documents: b"):
        mixers.mean_lengths(pd.DataFrame({"docs": [1, 0], "tokens": [1, 0]}, index=["a", "b"]))


# ---------------------------------------------------------------- hand-tuned
def test_hand_tuned_mapping_requires_rationale_and_simplex() -> None:
    w = {"web": 0.4, "books": 0.3, "code": 0.2, "math": 0.1}
    m = mixers.hand_tuned(w, "upweight curated sources", domains=list(COUNTS.index))
    assert m.provenance["params"]["rationale"] == "upweight curated sources"
    with pytest.raises(ValueError, match="rationale"):
        mixers.hand_tuned(w)
    with pytest.raises(ValueError, match="rationale"):
        mixers.hand_tuned(w, "   ")
    with pytest.raises(ValueError, match="sum to 1"):
        mixers.hand_tuned({"web": 4, "code": 1}, "raw scores")
    n = mixers.hand_tuned({"web": 4, "code": 1}, "raw scores", normalize=True)
    assert n["web"] == 0.8 and n.provenance["params"]["normalize"] is True
    with pytest.raises(ValueError, match="missing domains: math"):
        mixers.hand_tuned({"web": 0.5, "books": 0.3, "code": 0.2}, "x", domains=list(COUNTS.index))


def test_hand_tuned_from_toml_and_json(tmp_path: pytest.TempPathFactory) -> None:
    toml = tmp_path / "mix.toml"  # type: ignore[operator]
    toml.write_text('rationale = "books are clean"\n[weights]\nweb = 0.5\nbooks = 0.5\n')
    m = mixers.hand_tuned(toml)
    assert m["books"] == 0.5 and m.provenance["params"]["rationale"] == "books are clean"
    assert m.provenance["params"]["source"] == "mix.toml"  # the file name, not a machine-specific path
    assert m.provenance["params"]["sha256"] == hashlib.sha256(toml.read_bytes()).hexdigest()
    js = tmp_path / "mix.json"  # type: ignore[operator]
    js.write_text(json.dumps({"weights": {"web": 0.25, "books": 0.75}, "kind": "document"}))
    with pytest.raises(ValueError, match="rationale"):
        mixers.hand_tuned(js)
    d = mixers.hand_tuned(js, "stated here")
    assert d.kind == "document" and d["books"] == 0.75
    bad = tmp_path / "mix.yaml"  # type: ignore[operator]
    bad.write_text("x")
    with pytest.raises(ValueError, match=".toml or .json"):
        mixers.hand_tuned(bad, "r")
    with pytest.raises(FileNotFoundError):
        mixers.hand_tuned(tmp_path / "nope.toml", "r")  # type: ignore[operator]


def test_hand_tuned_provenance_is_machine_independent(tmp_path: Path) -> None:
    text = 'rationale = "books are clean"\nsource = "mixture_editor"\n[weights]\nweb = 0.5\nbooks = 0.5\n'
    paths = []
    for sub in ("a", "b/c"):
        (tmp_path / sub).mkdir(parents=True)
        paths.append(tmp_path / sub / "mix.toml")
        paths[-1].write_text(text, encoding="utf-8")
    a, b = (mixers.hand_tuned(p) for p in paths)
    assert a == b  # same file content in two folders: identical mixtures, provenance included
    params = a.provenance["params"]
    assert params["source"] == "mix.toml" and str(tmp_path) not in json.dumps(a.provenance)
    assert params["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert params["written_by"] == "mixture_editor"
    # a mapping keeps the historical record exactly
    assert mixers.hand_tuned({"web": 1.0}, "r").provenance["params"] == {
        "rationale": "r", "source": "mapping", "normalize": False}


def test_hand_tuned_reads_provenance_table(tmp_path: Path) -> None:
    toml = tmp_path / "mix.toml"
    toml.write_text(
        'rationale = "r"\n[weights]\nweb = 0.25\ncode = 0.75\n'
        '[provenance]\nbudget = 6000000.0\nprojected_onto_caps = true\nbinding_caps = ["code"]\n'
        '[provenance.raw]\nweb = 1.0\ncode = 3.0\n',
        encoding="utf-8",
    )
    params = mixers.hand_tuned(toml).provenance["params"]
    assert params["budget"] == 6_000_000.0 and params["projected_onto_caps"] is True
    assert params["binding_caps"] == ["code"] and params["raw"] == {"web": 1.0, "code": 3.0}
    js = tmp_path / "mix.json"
    js.write_text(json.dumps({"weights": {"web": 1.0}, "rationale": "r", "provenance": {"note": "x"}}))
    assert mixers.hand_tuned(js).provenance["params"]["note"] == "x"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ('rationale = "r"\nbudget = 5\n[weights]\nweb = 1.0\n',
         r"mix.toml has unknown keys: budget \(allowed: .*put extra records under \[provenance\]\)"),
        ('rationale = "r"\nprovenance = 3\n[weights]\nweb = 1.0\n', "provenance must be a table"),
        ('rationale = "r"\n[weights]\nweb = 1.0\n[provenance]\nsource = "elsewhere"\n',
         r"\[provenance\] must not set source"),
        ('rationale = "r"\n[weights]\nweb = 1.0\n[provenance]\nwhen = 2024-01-01\n', "provenance.when must be"),
    ],
)
def test_hand_tuned_config_errors(tmp_path: Path, text: str, pattern: str) -> None:
    toml = tmp_path / "mix.toml"
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=pattern):
        mixers.hand_tuned(toml)


@pytest.mark.parametrize(
    ("text", "error", "pattern"),
    [
        ('rationale = "r"\nsource = 3\n[weights]\nweb = 1.0\n', TypeError,
         r"hand-tuned config mix.toml source must be a string \(got 3"),
        ('rationale = "r"\n[weights\nweb = 1.0\n', ValueError, r"hand-tuned config file .*mix.toml is not valid TOML"),
        ('rationale = 5\n[weights]\nweb = 1.0\n', TypeError, "hand-tuned config mix.toml rationale must be a string"),
        ('rationale = "r"\nkind = "bytes"\n[weights]\nweb = 1.0\n', ValueError,
         r"hand-tuned config mix.toml kind must be one of token, document \(got 'bytes'\)"),
        ('rationale = "r"\n[weights]\nweb = 0.5\n', ValueError,
         r"hand-tuned config mix.toml: mixture weights must sum to 1"),
        ('rationale = "r"\n[weights]\nweb = "1"\n', TypeError,
         r"hand-tuned config mix.toml: mixture weights must be real"),
        ('rationale = "r"\nweights = 3\n', ValueError, r"mix.toml must have a \[weights\] table .*got weights = 3"),
        ('[weights]\nweb = 1.0\n', ValueError, r"rationale \(got None\) \(hand-tuned config mix.toml has none\)"),
    ],
)
def test_hand_tuned_config_errors_name_the_file(tmp_path: Path, text: str, error: type, pattern: str) -> None:
    toml = tmp_path / "mix.toml"
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=pattern):
        mixers.hand_tuned(toml)


def test_hand_tuned_unreadable_configs_name_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=r"cannot read hand-tuned config .*folder.toml"):
        mixers.hand_tuned(folder, "r")
    with pytest.raises(FileNotFoundError, match=r"cannot read hand-tuned config .*nope.toml"):
        mixers.hand_tuned(tmp_path / "nope.toml", "r")
    bad_json = tmp_path / "mix.json"
    bad_json.write_text("{bad", encoding="utf-8")
    with pytest.raises(ValueError, match=r"hand-tuned config file .*mix.json is not valid JSON"):
        mixers.hand_tuned(bad_json, "r")
    with pytest.raises(TypeError, match="normalize must be True or False"):
        mixers.hand_tuned({"web": 1.0}, "r", normalize="no")  # type: ignore[arg-type]


# ---------------------------------------------------------------- sizes-only tables
SIZES = pd.DataFrame({"tokens": [500_000, 400_000, 90_000, 10_000]}, index=COUNTS.index)


def test_single_column_mixers_accept_a_sizes_only_table() -> None:
    assert mixers.proportional(SIZES).allclose(mixers.proportional(COUNTS), atol=0)
    assert mixers.temperature(SIZES, T=2.0).allclose(mixers.temperature(COUNTS, T=2.0), atol=0)
    assert mixers.unimax(SIZES, budget=5e5, max_epochs=2).allclose(
        mixers.unimax(COUNTS, budget=5e5, max_epochs=2), atol=0)
    assert mixers.seqio_rates(SIZES, maximum=1e5, by="tokens").allclose(
        mixers.seqio_rates(COUNTS, maximum=1e5, by="tokens"), atol=0)
    assert mixers.proportional(SIZES).provenance["counts"] == {"tokens": SIZES["tokens"].to_dict()}
    docs_only = COUNTS[["docs"]]
    assert mixers.proportional(docs_only, by="docs").allclose(mixers.proportional(COUNTS, by="docs"), atol=0)
    assert mixers.seqio_rates(docs_only).allclose(mixers.seqio_rates(COUNTS), atol=0)


def test_full_tables_keep_both_counts_in_provenance() -> None:
    for m in (mixers.proportional(COUNTS), mixers.temperature(COUNTS, T=3.0),
              mixers.unimax(COUNTS, budget=5e5, max_epochs=2), mixers.seqio_rates(COUNTS)):
        assert set(m.provenance["counts"]) == {"docs", "tokens"}


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: mixers.proportional(SIZES, by="docs"), r"^counts is missing columns: docs \(has: tokens\)$"),
        (lambda: mixers.temperature(COUNTS[["docs"]], T=2.0), r"^counts is missing columns: tokens \(has: docs\)$"),
        (lambda: mixers.unimax(COUNTS[["docs"]], budget=1, max_epochs=1), "missing columns: tokens"),
        (lambda: mixers.seqio_rates(SIZES), "missing columns: docs"),
        (lambda: mixers.proportional(SIZES.assign(docs=[1, -1, 1, 1])), r"counts\['docs'\] must be >= 0"),
    ],
)
def test_single_column_mixers_still_fail_fast(call: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()


def test_single_column_mixers_type_errors() -> None:
    with pytest.raises(TypeError, match="counts must be a pandas DataFrame .* or a Series or mapping"):
        mixers.proportional([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"counts\['tokens'\] must be real numbers \(got tokens=\[1\]\)"):
        mixers.proportional({"tokens": [1]})  # type: ignore[dict-item]


# ---------------------------------------------------------------- temperature
def test_temperature_limits_are_exact() -> None:
    assert mixers.temperature(COUNTS, T=1).as_array().tolist() == mixers.proportional(COUNTS).as_array().tolist()
    assert mixers.temperature(COUNTS, alpha=1.0).as_array().tolist() == mixers.proportional(COUNTS).as_array().tolist()
    assert mixers.temperature(COUNTS, T=math.inf).as_array().tolist() == [0.25] * 4
    assert mixers.temperature(COUNTS, alpha=0).as_array().tolist() == [0.25] * 4
    m = mixers.temperature(COUNTS, alpha=0.3)
    p = (COUNTS["tokens"] / COUNTS["tokens"].sum()).to_numpy() ** 0.3
    np.testing.assert_allclose(m.as_array(), p / p.sum(), rtol=1e-12)
    assert m.provenance["params"] == {"T": pytest.approx(1 / 0.3), "alpha": 0.3, "by": "tokens"}
    assert Mixture.from_json(mixers.temperature(COUNTS, T=math.inf).to_json()).provenance["params"]["T"] == "inf"


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        ({}, "exactly one"),
        ({"T": 2.0, "alpha": 0.5}, "exactly one"),
        ({"T": 0.0}, "T must be > 0"),
        ({"T": -1.0}, "T must be > 0"),
        ({"T": float("nan")}, "T must be"),
        ({"alpha": -0.1}, "alpha must be >= 0"),
        ({"alpha": float("inf")}, "alpha must be"),
    ],
)
def test_temperature_bad_arguments(kw: dict[str, float], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        mixers.temperature(COUNTS, T=kw.get("T"), alpha=kw.get("alpha"))


def test_temperature_is_stable_for_tiny_shares() -> None:
    c = pd.DataFrame({"docs": [1, 1], "tokens": [1e300, 1.0]}, index=["big", "tiny"])
    m = mixers.temperature(c, T=100)
    assert on_simplex(m) and m["tiny"] > 0
    z = pd.DataFrame({"docs": [1, 0], "tokens": [5, 0]}, index=["a", "empty"])
    assert mixers.temperature(z, T=math.inf)["empty"] == 0.0  # empty domains never get weight


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(counts_tables(2, 8), st.lists(st.floats(0.05, 50), min_size=2, max_size=6))
def test_temperature_entropy_monotone_in_T(counts: pd.DataFrame, Ts: list[float]) -> None:
    Ts = sorted(Ts) + [math.inf]
    H = [mixers.temperature(counts, T=T).entropy() for T in Ts]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(H))


# ---------------------------------------------------------------- UniMax
def test_unimax_worked_example() -> None:
    c = pd.DataFrame({"docs": [1, 1, 1], "tokens": [10, 100, 1000]}, index=["s", "m", "l"])
    m = mixers.unimax(c, budget=600, max_epochs=2)
    # s capped at 20; remaining 580 over m, l → 290 each; m capped at 200 → l gets 380
    alloc = m.provenance["params"]["allocation"]
    assert alloc == {"s": 20.0, "m": 200.0, "l": 380.0}
    np.testing.assert_allclose(m.as_array(), [20 / 600, 200 / 600, 380 / 600])


def test_unimax_infeasible_and_bad_args() -> None:
    c = pd.DataFrame({"docs": [1, 1], "tokens": [10, 20]}, index=["a", "b"])
    with pytest.raises(ValueError, match=r"infeasible.*at most 60.*needs 40 more"):
        mixers.unimax(c, budget=100, max_epochs=2)
    with pytest.raises(ValueError, match="budget"):
        mixers.unimax(c, budget=0, max_epochs=2)
    with pytest.raises(ValueError, match="max_epochs"):
        mixers.unimax(c, budget=10, max_epochs=-1)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(counts_tables(1, 8), st.floats(0.5, 10), st.floats(1e-6, 1.0))
def test_unimax_respects_caps_and_spends_budget(counts: pd.DataFrame, E: float, frac: float) -> None:
    budget = frac * E * float(counts["tokens"].sum())
    assume(budget > 0)
    m = mixers.unimax(counts, budget=budget, max_epochs=E)
    assert on_simplex(m)
    alloc = m.as_array() * budget
    assert np.all(alloc <= E * counts["tokens"].to_numpy() * (1 + 1e-9) + 1e-9)
    spent = np.array(list(m.provenance["params"]["allocation"].values())).sum()
    assert spent == pytest.approx(budget, rel=1e-9)


# ---------------------------------------------------------------- seqio
def test_seqio_rates_cap_then_temperature() -> None:
    c = pd.DataFrame({"docs": [100, 400, 2000], "tokens": [1, 1, 1]}, index=["a", "b", "c"])
    m = mixers.seqio_rates(c, maximum=1000, temperature=2.0)
    r = np.minimum([100, 400, 2000], 1000) ** 0.5
    np.testing.assert_allclose(m.as_array(), r / r.sum())
    assert m.kind == "document" and m.provenance["params"]["maximum"] == 1000.0
    assert mixers.seqio_rates(c).allclose(mixers.proportional(c, by="docs"))
    with pytest.raises(ValueError, match="temperature"):
        mixers.seqio_rates(c, temperature=0)
    with pytest.raises(ValueError, match="maximum"):
        mixers.seqio_rates(c, maximum=-5)


# ---------------------------------------------------------------- every mixer: simplex + provenance round trip
@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(counts_tables(1, 8), st.floats(0.1, 20), st.floats(0.5, 8))
def test_every_mixer_on_simplex_with_provenance(counts: pd.DataFrame, T: float, E: float) -> None:
    ms = [
        mixers.uniform_by_document(counts),
        mixers.uniform_by_token(counts),
        mixers.proportional(counts),
        mixers.proportional(counts, by="docs"),
        mixers.temperature(counts, T=T),
        mixers.temperature(counts, alpha=1 / T, by="docs"),
        mixers.unimax(counts, budget=0.5 * E * float(counts["tokens"].sum()), max_epochs=E),
        mixers.seqio_rates(counts, maximum=float(counts["docs"].max()) / 2 + 1, temperature=T),
    ]
    for m in ms:
        assert on_simplex(m), m
        assert m.domains == tuple(counts.index)
        assert "mixer" in m.provenance and "counts" in m.provenance
        assert Mixture.from_json(m.to_json()) == m


# ---------------------------------------------------------------- one counts check, Series and mappings
def _table(docs: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"docs": docs, "tokens": [100, 200]}, index=["a", "b"])


BAD_TABLES = [
    (_table(["10", "20"]), TypeError, r"docs.*real numbers.*a='10'"),
    (_table([True, True]), TypeError, r"docs.*real numbers.*a=True"),
    (_table([2.5, 3]), ValueError, r"whole numbers \(got a=2.5\)"),
    (_table([0, 3]), ValueError, r"tokens but no documents: a \(docs=0, tokens=100\)"),
]


@pytest.mark.parametrize(("table", "error", "pattern"), BAD_TABLES)
def test_every_mixer_refuses_bad_counts_tables(table: pd.DataFrame, error: type, pattern: str) -> None:
    calls = [
        lambda: mixers.uniform_by_document(table),
        lambda: mixers.uniform_by_token(table),
        lambda: mixers.proportional(table),
        lambda: mixers.temperature(table, T=2.0),
        lambda: mixers.unimax(table, budget=100, max_epochs=4),
        lambda: mixers.seqio_rates(table),
        lambda: mixers.mean_lengths(table),
    ]
    for call in calls:
        with pytest.raises(error, match=pattern):
            call()


def test_mixers_accept_a_series_or_mapping_of_sizes() -> None:
    tokens = COUNTS["tokens"]
    for by_series, by_table in (
        (mixers.proportional(tokens), mixers.proportional(COUNTS[["tokens"]])),
        (mixers.proportional(tokens.to_dict()), mixers.proportional(COUNTS[["tokens"]])),
        (mixers.temperature(tokens, alpha=0.3), mixers.temperature(COUNTS[["tokens"]], alpha=0.3)),
        (mixers.unimax(tokens.to_dict(), 5e5, 2), mixers.unimax(COUNTS[["tokens"]], 5e5, 2)),
        (mixers.seqio_rates(COUNTS["docs"]), mixers.seqio_rates(COUNTS[["docs"]])),
        (mixers.uniform_by_token(tokens), mixers.uniform_by_token(COUNTS[["tokens"]])),
        (mixers.uniform_by_document(COUNTS["docs"].to_dict()), mixers.uniform_by_document(COUNTS[["docs"]])),
    ):
        assert by_series == by_table  # same weights and the same provenance record
    with pytest.raises(TypeError, match=r"real numbers \(got web='5'\)"):
        mixers.proportional({"web": "5", "code": 1})
