"""Tests for the figures of the baseline lessons: skill profiles over seeds with intervals, caps vs budget."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from mixlab import plots  # noqa: E402
from mixlab.stats import t_critical  # noqa: E402

DOMAINS = ["web", "books", "code"]
COUNTS = pd.DataFrame({"docs": [100, 4, 30], "tokens": [60_000, 20_000, 20_000]},
                      index=pd.Index(DOMAINS, name="domain"))


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


def sweep_table(n_seeds: int = 5) -> pd.DataFrame:
    """A long sweep-like table: two mixtures, ``n_seeds`` seeds, three domains, known excess over the floor."""
    rows = []
    for m, base in (("uniform by token", 1.0), ("proportional", 1.5)):
        for s in range(n_seeds):
            for j, d in enumerate(DOMAINS):
                floor = 2.0 + 0.5 * j
                rows.append({"mixture": m, "seed": s, "domain": d, "floor": floor,
                             "loss": floor + base + 0.1 * j + 0.01 * s})
    table = pd.DataFrame(rows)
    table["domain"] = pd.Categorical(table["domain"], categories=DOMAINS)
    return table


def test_excess_profile_draws_means_and_t_intervals_in_course_colours() -> None:
    table = sweep_table()
    ax = plots.excess_profile_plot(table)
    assert [t.get_text() for t in ax.get_xticklabels()] == DOMAINS
    bars = {c.get_label().split(" (")[0]: c for c in ax.containers}
    assert list(bars) == ["uniform by token", "proportional"]
    colours = plots.mixture_colors(["uniform by token", "proportional"])
    for name, bar in bars.items():
        assert to_hex(bar.lines[0].get_color()) == colours[name].lower()
    uniform = bars["uniform by token"].lines[0]
    seeds = 0.01 * np.arange(5)
    np.testing.assert_allclose(uniform.get_ydata(), 1.0 + 0.1 * np.arange(3) + seeds.mean())
    # the error bar's half-width is t(n-1) * sd / sqrt(n)
    half = t_critical(5) * seeds.std(ddof=1) / np.sqrt(5)
    segments = [c for c in ax.collections if hasattr(c, "get_segments")]
    heights = {round(float(s[1][1] - s[0][1]), 9) for c in segments for s in c.get_segments()}
    assert round(2 * half, 9) in heights
    assert "5 seeds" in ax.get_title() and "95%" in ax.get_title()
    assert "excess over the floor" in ax.get_ylabel()


def test_excess_profile_bad_input() -> None:
    with pytest.raises(ValueError, match="missing"):
        plots.excess_profile_plot(sweep_table().drop(columns="floor"))
    with pytest.raises(ValueError, match="at least 2 seeds"):
        plots.excess_profile_plot(sweep_table(n_seeds=1))
    with pytest.raises(TypeError, match="DataFrame"):
        plots.excess_profile_plot([1, 2, 3])  # type: ignore[arg-type]
    partial = sweep_table()
    partial = partial[~((partial["mixture"] == "proportional") & (partial["domain"] == "code"))]
    with pytest.raises(ValueError, match="missing domain"):
        plots.excess_profile_plot(partial)


def test_caps_plot_lines_sum_and_infeasible_region() -> None:
    budgets = np.geomspace(1e4, 1e6, 30)
    ax = plots.caps_plot(COUNTS, budgets, 4)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert labels[:3] == DOMAINS and "sum of caps Σ u_i" in labels
    total = next(ln for ln in ax.get_lines() if ln.get_label().startswith("sum of caps"))
    # the sum of the caps is >= 1 exactly up to E_max * sum T = 400,000 tokens
    x, y = total.get_xdata(), total.get_ydata()
    assert np.all(y[x <= 4e5] >= 1 - 1e-12) and np.all(y[x > 4e5] < 1)
    assert any("infeasible" in str(p.get_label()) for p in ax.patches)
    assert ax.get_xscale() == "log" and "E_max = 4" in ax.get_title()


def test_caps_plot_without_infeasible_budgets_and_bad_input() -> None:
    ax = plots.caps_plot({"web": 1e6, "books": 1e5}, [1e4, 1e5], 2, title=None)
    assert not ax.patches and ax.get_title() == ""
    with pytest.raises(ValueError, match="budgets must be > 0"):
        plots.caps_plot(COUNTS, [0.0, 1e5], 4)
    with pytest.raises(ValueError, match="legend"):
        plots.caps_plot(COUNTS, [1e5], 4, legend="inside")
    with pytest.raises(ValueError, match="max_epochs"):
        plots.caps_plot(COUNTS, [1e5], 0)
