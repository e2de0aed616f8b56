"""mixlab.plots.interval_plot: means over seeds with their t intervals, one curve per domain."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mixlab.plots import DOMAIN_COLORS, interval_plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


def _summary() -> pd.DataFrame:
    rows = [{"domain": d, "budget": b, "mean": m, "ci_low": m - 0.1, "ci_high": m + 0.05}
            for d, base in (("web", 1.3), ("code", 1.8)) for b, m in ((3e5, base), (1e6, base - 0.03))]
    return pd.DataFrame(rows)


def test_bands_are_coloured_by_domain_and_contain_the_means() -> None:
    ax = interval_plot(_summary(), x="budget", logx=True, floor={"web": 1.0, "code": 1.5}, title="t")
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("web", "code")]
    assert [ln.get_color() for ln in lines] == [DOMAIN_COLORS["web"], DOMAIN_COLORS["code"]]
    assert len(ax.collections) == 2  # one shaded band per domain
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(1.17) and band[:, 1].max() == pytest.approx(1.35)
    assert ax.get_xscale() == "log" and ax.get_legend() is not None
    assert sum(ln.get_linestyle() == ":" for ln in ax.get_lines()) == 2  # the floors


def test_points_style_adds_error_bars_to_an_existing_axes() -> None:
    ax = interval_plot(_summary(), x="budget", legend=False)
    same = interval_plot(_summary().iloc[[0, 2]], x="budget", style="points", label="{group}, more capacity", ax=ax)
    assert same is ax and ax.get_xlabel() == "budget"  # a second call keeps the first call's labels
    assert [t.get_text() for t in ax.get_xticklabels()] == ["300,000", "1,000,000"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "web, more capacity" in labels and "web" in labels


@pytest.mark.parametrize(("change", "match"), [
    (lambda s: s.drop(columns="ci_low"), "missing columns"),
    (lambda s: s.assign(ci_low=s["mean"] + 1), "must contain its mean"),
    (lambda s: s.assign(mean=np.nan), "must be finite"),
    (lambda s: s.iloc[0:0], "non-empty"),
])
def test_bad_tables_are_refused(change: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        interval_plot(change(_summary()), x="budget")  # type: ignore[operator]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="style must be one of"):
        interval_plot(_summary(), x="budget", style="bars")
    with pytest.raises(ValueError, match="floor has no entry"):
        interval_plot(_summary(), x="budget", floor={"web": 1.0})
    with pytest.raises(ValueError, match="> 0 on a log axis"):
        interval_plot(_summary().assign(budget=0.0), x="budget", logx=True)
