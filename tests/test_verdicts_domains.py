"""Tests for mixlab.verdicts.domain_comparisons: per-domain paired comparisons over seeds, one corrected family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_rel

from mixlab.stats import holm
from mixlab.verdicts import domain_comparisons

DOMAINS = ["web", "books", "code"]


def sweep_table(n_seeds: int = 6) -> pd.DataFrame:
    """Three mixtures over three domains: 'a' is clearly lower on web, clearly higher on books, noise on code."""
    rng = np.random.default_rng(0)
    shift = {"a": {"web": -0.3, "books": 0.4, "code": 0.0}, "b": dict.fromkeys(DOMAINS, 0.0),
             "c": {"web": 0.1, "books": 0.0, "code": 0.0}}
    seed_effect = rng.normal(0, 0.05, (n_seeds, len(DOMAINS)))  # shared by every mixture: why pairing helps
    rows = []
    for m, s in shift.items():
        noise = rng.normal(0, 0.01, (n_seeds, len(DOMAINS)))
        noise[:, 2] = 0.02 * (-1.0) ** np.arange(n_seeds) if m == "a" else 0.0  # code: a differs, mean 0
        for i in range(n_seeds):
            for j, d in enumerate(DOMAINS):
                rows.append({"mixture": m, "seed": i, "domain": d,
                             "excess": 1.5 + s[d] + seed_effect[i, j] + noise[i, j]})
    table = pd.DataFrame(rows)
    table["domain"] = pd.Categorical(table["domain"], categories=DOMAINS)
    return table


def test_differences_and_p_values_match_scipy_paired_t() -> None:
    table = sweep_table()
    out = domain_comparisons(table, "a", ["b", "c"], correction="none")
    assert list(out.index) == [(d, r) for d in DOMAINS for r in ("b", "c")]
    for (d, r), row in out.iterrows():
        x = table[(table.mixture == "a") & (table.domain == d)].sort_values("seed")["excess"].to_numpy()
        y = table[(table.mixture == r) & (table.domain == d)].sort_values("seed")["excess"].to_numpy()
        assert row["mean_diff"] == pytest.approx((x - y).mean())
        assert row["p_value"] == pytest.approx(ttest_rel(x, y).pvalue)
        assert row["mixture"] == "a" and row["n_seeds"] == 6


def test_one_holm_family_over_domains_and_references() -> None:
    table = sweep_table()
    out = domain_comparisons(table, "a", ["b", "c"], labels={"budget": 300_000})
    np.testing.assert_allclose(out["p_adjusted"].to_numpy(), holm(out["p_value"].to_numpy()))
    assert out.attrs["comparisons"] == 6 and (out["budget"] == 300_000).all()
    assert out.loc[("web", "b"), "verdict"] == "lower" and out.loc[("books", "b"), "verdict"] == "higher"
    assert out.loc[("code", "b"), "verdict"] == "within noise"
    # the interval excludes 0 exactly when the verdict is not "within noise"
    excludes = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    assert (excludes == (out["verdict"] != "within noise")).all()


def test_single_reference_as_a_string_and_loss_column() -> None:
    table = sweep_table().assign(loss=lambda t: t["excess"] + 2.0)
    by_excess = domain_comparisons(table, "a", "b")
    by_loss = domain_comparisons(table, "a", "b", value="loss")
    np.testing.assert_allclose(by_excess["mean_diff"], by_loss["mean_diff"], atol=1e-12)
    assert list(by_excess.index.get_level_values("reference")) == ["b"] * 3


def test_bad_input_is_named() -> None:
    table = sweep_table()
    with pytest.raises(ValueError, match="unknown: \\['zzz'\\]"):
        domain_comparisons(table, "a", "zzz")
    with pytest.raises(ValueError, match="distinct"):
        domain_comparisons(table, "a", ["a"])
    with pytest.raises(ValueError, match="missing: excess"):
        domain_comparisons(table.drop(columns="excess"), "a", "b")
    with pytest.raises(TypeError, match="DataFrame"):
        domain_comparisons([1, 2], "a", "b")  # type: ignore[arg-type]
    unpaired = table[~((table.mixture == "b") & (table.seed == 3))]
    with pytest.raises(ValueError, match="paired"):
        domain_comparisons(unpaired, "a", "b")
