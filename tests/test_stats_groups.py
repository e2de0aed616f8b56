"""mixlab.stats.compare_groups (paired tests per group, one Holm family) and interval_text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from mixlab.stats import compare_groups, compare_mixtures, holm, interval_text


def _long() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for domain, shift in (("web", 0.3), ("code", 0.0)):
        seed_effect = rng.normal(0, 0.2, 5)
        for mixture, effect in (("a", 0.0), ("b", shift), ("c", -0.05)):
            for s in range(5):
                rows.append({"mixture": mixture, "seed": s, "domain": domain,
                             "loss": 4 + effect + seed_effect[s] + rng.normal(0, 0.02)})
    return pd.DataFrame(rows)


def test_each_group_is_a_paired_t_test_and_the_family_is_corrected_once() -> None:
    table = _long()
    out = compare_groups(table, "domain", "a", value="loss")
    assert list(out["domain"]) == ["web", "web", "code", "code"] and list(out.index) == ["b", "c", "b", "c"]
    raw = []
    for domain in ("web", "code"):
        wide = table[table["domain"] == domain].pivot(index="seed", columns="mixture", values="loss")
        raw += [sps.ttest_rel(wide[m], wide["a"]).pvalue for m in ("b", "c")]
    np.testing.assert_allclose(out["p_value"], raw, rtol=1e-10)
    np.testing.assert_allclose(out["p_adjusted"], holm(raw), rtol=1e-10)
    assert out.loc[out["domain"] == "web", "verdict"].iloc[0] == "higher"
    assert out.attrs["comparisons"] == 4 and out.attrs["correction"] == "holm"


def test_one_group_equals_compare_mixtures() -> None:
    table = _long()
    web = table[table["domain"] == "web"]
    a = compare_groups(web, "domain", all_pairs=True, value="loss")
    b = compare_mixtures(web, all_pairs=True, value="loss")
    np.testing.assert_allclose(a["p_adjusted"], b["p_adjusted"])
    assert list(a["verdict"]) == list(b["verdict"])


def test_compare_groups_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="by='split' is not a column"):
        compare_groups(_long(), "split", "a", value="loss")
    with pytest.raises(TypeError, match="long DataFrame"):
        compare_groups([1, 2], "domain", "a")  # type: ignore[arg-type]


def test_interval_text() -> None:
    out = compare_groups(_long(), "domain", "a", value="loss")
    text = interval_text(out, 2)
    assert text.index.equals(out.index) and all(t.count("[") == 1 for t in text)
    first = out.iloc[0]
    assert text.iloc[0] == f"{first.mean_diff:+.2f} [{first.ci_low:+.2f}, {first.ci_high:+.2f}] {first.verdict}"
    bare = interval_text(out, verdict=False).iloc[0]
    assert "[" in bare and "higher" not in bare
    with pytest.raises(ValueError, match="decimals"):
        interval_text(out, -1)
    with pytest.raises(ValueError, match="columns"):
        interval_text(out.drop(columns="ci_low"))
