"""Tests for mixlab.plots: every figure draws, labels its axes, is deterministic and never shows itself."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mixlab import mixers, plots  # noqa: E402
from mixlab.ledger import Ledger, StageRow  # noqa: E402
from mixlab.mixture import Mixture  # noqa: E402
from mixlab.sampling import blended_index, prefix_deviation  # noqa: E402

COUNTS = pd.DataFrame(
    {"docs": [1000, 50, 300, 20], "tokens": [500_000, 400_000, 90_000, 10_000]},
    index=pd.Index(["web", "books", "code", "math"], name="domain"),
)


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _no_show(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("plots must not call plt.show(); the notebook cell does")

    monkeypatch.setattr(plt, "show", boom)


def profile(shift: float = 0.0) -> pd.DataFrame:
    idx = pd.Index(["web", "books", "code", "math"], name="domain")
    floor = pd.Series([2.0, 2.1, 1.8, 1.9], index=idx)
    loss = floor + 0.5 + shift * np.arange(4)
    return pd.DataFrame({"weight": 0.25, "tokens": 100, "loss": loss, "floor": floor, "excess": loss - floor})


def test_domain_colors_are_fixed_for_course_names_and_distinct_otherwise() -> None:
    a = plots.domain_colors(["web", "code", "other", "more"])
    b = plots.domain_colors(["code", "web"])
    assert a["web"] == b["web"] == plots.DOMAIN_COLORS["web"]
    assert a["code"] == b["code"]
    assert len(set(a.values())) == 4
    assert plots.domain_colors(["x", "y"]) == plots.domain_colors(["x", "y"])
    with pytest.raises(TypeError, match="strings"):
        plots.domain_colors([1, 2])  # type: ignore[list-item]


@pytest.mark.parametrize("kind", ["lines", "bars"])
def test_skill_profile_plot_draws_each_profile_and_the_floor(kind: str) -> None:
    ax = plots.skill_profile_plot({"a": profile(), "b": profile(0.1)}, kind=kind)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["a", "b", "entropy floor (irreducible)"]
    assert "nats/token" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["web", "books", "code", "math"]
    if kind == "bars":
        assert ax.get_ylim()[0] < 1.8  # starts below the lowest floor


def test_skill_profile_plot_accepts_series_and_existing_axes() -> None:
    fig, ax = plt.subplots()
    out = plots.skill_profile_plot(profile()["loss"], ax=ax, title=None)
    assert out is ax
    with pytest.raises(ValueError, match="kind"):
        plots.skill_profile_plot(profile(), kind="pie")
    with pytest.raises(ValueError, match="loss"):
        plots.skill_profile_plot({"a": profile().drop(columns="loss")})
    with pytest.raises(TypeError, match="DataFrame"):
        plots.skill_profile_plot({"a": 3})


def test_mixture_bars_stack_to_one_and_use_domain_colors() -> None:
    mixes = {"proportional": mixers.proportional(COUNTS), "uniform": mixers.uniform_by_token(COUNTS)}
    ax = plots.mixture_bars(mixes)
    widths = np.array([p.get_width() for p in ax.patches]).reshape(4, 2)  # domains × mixtures
    np.testing.assert_allclose(widths.sum(axis=0), 1.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["proportional", "uniform"]
    assert ax.get_xlabel() == "share of tokens"
    web = matplotlib.colors.to_hex(ax.patches[0].get_facecolor())
    assert web == plots.DOMAIN_COLORS["web"].lower()


def test_mixture_bars_rejects_mismatched_domains() -> None:
    other = Mixture({"a": 1.0})
    with pytest.raises(ValueError, match="covers"):
        plots.mixture_bars({"x": mixers.proportional(COUNTS), "y": other})
    with pytest.raises(TypeError, match="Mixture"):
        plots.mixture_bars({"x": {"web": 1.0}})  # type: ignore[dict-item]


def test_barycentric_corners_and_centre() -> None:
    xy = plots.barycentric_to_xy(np.vstack([np.eye(3), [1 / 3, 1 / 3, 1 / 3]]))
    np.testing.assert_allclose(xy[:3], [[0, 0], [1, 0], [0.5, np.sqrt(3) / 2]])
    np.testing.assert_allclose(xy[3], [0.5, np.sqrt(3) / 6])


def simplex_grid(step: float = 0.1) -> np.ndarray:
    n = round(1 / step)
    pts = [(i / n, j / n, (n - i - j) / n) for i in range(n + 1) for j in range(n + 1 - i)]
    return np.array(pts)


def test_ternary_heatmap_marks_the_minimum_and_scatter_labels_points() -> None:
    grid = simplex_grid()
    values = ((grid - [0.2, 0.5, 0.3]) ** 2).sum(axis=1)
    ax = plots.ternary_heatmap(grid, values, domains=("web", "code", "math"))
    texts = [t.get_text() for t in ax.texts]
    assert "100% web" in texts and "100% math" in texts
    assert any(t.startswith("grid optimum") for t in texts)
    m = {"uniform": Mixture({"web": 1 / 3, "code": 1 / 3, "math": 1 / 3})}
    plots.ternary_scatter(m, ax=ax)
    assert "uniform" in [t.get_text() for t in ax.texts]


def test_ternary_scatter_validates_points() -> None:
    ax = plots.ternary_scatter(np.array([[0.2, 0.3, 0.5]]), labels=["p"])
    assert "p" in [t.get_text() for t in ax.texts]
    with pytest.raises(ValueError, match="exactly 3"):
        plots.ternary_scatter(np.ones((2, 4)) / 4)
    with pytest.raises(ValueError, match="simplex"):
        plots.ternary_scatter(np.array([[0.5, 0.5, 0.5]]))
    with pytest.raises(ValueError, match="one entry per point"):
        plots.ternary_scatter(np.array([[0.2, 0.3, 0.5]]), labels=["a", "b"])
    with pytest.raises(ValueError, match="3 domains"):
        plots.ternary_axes(["a", "b"])
    with pytest.raises(ValueError, match="one entry per grid point"):
        plots.ternary_heatmap(simplex_grid(), [1.0, 2.0])


def _optimum_text(ax: plt.Axes) -> str:
    return next(t.get_text() for t in ax.texts if "optimum" in t.get_text())


def test_ternary_heatmap_levels_as_count_or_boundaries() -> None:
    grid = simplex_grid()
    values = ((grid - [0.2, 0.5, 0.3]) ** 2).sum(axis=1)
    ax = plots.ternary_heatmap(grid, values, levels=5, mark_min=False)
    assert len(ax.collections) >= 1
    bounds = [0.0, 0.1, 0.2, 0.5, 1.0, 2.0]
    ax2 = plots.ternary_heatmap(grid, values, levels=bounds)
    cs = next(c for c in ax2.collections if hasattr(c, "levels"))
    np.testing.assert_allclose(cs.levels, bounds)
    plots.ternary_heatmap(grid, values, levels=np.linspace(0, 2, 7))  # arrays work too
    for bad, err, pattern in [
        (0, ValueError, ">= 1"),
        (True, TypeError, "got a bool"),
        ("14", TypeError, "int .* or a sequence"),
        ([1.0], ValueError, "at least two"),
        ([0.0, 0.5, 0.5], ValueError, "strictly increasing"),
        ([0.0, float("nan")], ValueError, "finite"),
        (["a", "b"], TypeError, "numbers"),
    ]:
        with pytest.raises(err, match=pattern):
            plots.ternary_heatmap(grid, values, levels=bad)


def test_ternary_heatmap_marks_the_feasible_minimum() -> None:
    grid = simplex_grid()
    values = ((grid - [0.2, 0.5, 0.3]) ** 2).sum(axis=1)
    feasible = grid[:, 1] <= 0.3  # the unconstrained optimum (code = 0.5) is infeasible
    ax = plots.ternary_heatmap(grid, values, domains=("web", "code", "math"), feasible=feasible)
    expected = values[feasible].min()
    assert _optimum_text(ax) == f"feasible optimum ({expected:.3f})"
    assert expected > values.min()
    star = [c for c in ax.collections if c.get_offsets().shape == (1, 2)][-1]
    i = int(np.flatnonzero(feasible)[np.argmin(values[feasible])])
    np.testing.assert_allclose(star.get_offsets()[0], plots.barycentric_to_xy(grid[i : i + 1])[0])
    crosses = [c for c in ax.collections if c.get_label() == "infeasible"]
    assert len(crosses) == 1 and len(crosses[0].get_offsets()) == int((~feasible).sum())
    # unconstrained: the historical label and point
    assert _optimum_text(plots.ternary_heatmap(grid, values)) == f"grid optimum ({values.min():.3f})"
    # NaN is fine at infeasible points (a grid search with train_infeasible=False), not at feasible ones
    untrained = np.where(feasible, values, np.nan)
    ax3 = plots.ternary_heatmap(grid, untrained, feasible=pd.Series(feasible))
    assert _optimum_text(ax3) == f"feasible optimum ({expected:.3f})"
    with pytest.raises(ValueError, match="values must be finite \\(NaN/inf found\\)"):
        plots.ternary_heatmap(grid, untrained)
    with pytest.raises(ValueError, match="finite at feasible points"):
        plots.ternary_heatmap(grid, np.where(feasible, np.nan, values), feasible=feasible)
    with pytest.raises(ValueError, match="one entry per grid point"):
        plots.ternary_heatmap(grid, values, feasible=feasible[:3])
    with pytest.raises(TypeError, match="booleans"):
        plots.ternary_heatmap(grid, values, feasible=feasible.astype(int))
    with pytest.raises(ValueError, match="no feasible point|at least one feasible"):
        plots.ternary_heatmap(grid, values, feasible=np.zeros(len(grid), dtype=bool))


def test_ternary_heatmap_with_a_grid_search_history() -> None:
    from mixlab.optimizers import grid_search

    def surface(m: Mixture) -> pd.Series:
        w = m.as_array(["web", "code", "math"])
        return pd.Series(2.0 + (w - [0.2, 0.5, 0.3]) ** 2, index=["web", "code", "math"])

    res = grid_search(None, "uniform", resolution=10, evaluate=surface, domains=["web", "code", "math"],
                      max_epochs=1.0, sizes={"web": 1e9, "code": 90_000, "math": 1e9}, progress=False,
                      train_infeasible=False)
    h = res.history
    ax = plots.ternary_heatmap(h[["web", "code", "math"]], h["objective"], feasible=h["feasible"])
    assert _optimum_text(ax) == f"feasible optimum ({h.loc[h['best'], 'objective'].item():.3f})"


def test_length_distribution_boxes_per_domain() -> None:
    from mixlab.world import generate_world

    world = generate_world("tiny", 0)
    ax = plots.length_distribution(world.train)
    assert ax.get_yscale() == "log" and "tokens per document" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    counts = world.train.doc_counts()
    assert labels == [f"{d}\n({int(counts[d]):,} docs)" for d in world.train.domains]
    colors = plots.domain_colors(list(world.train.domains))
    boxes = [p for p in ax.patches]
    assert len(boxes) == len(world.train.domains)
    for box, d in zip(boxes, world.train.domains, strict=True):
        assert matplotlib.colors.to_hex(box.get_facecolor()) == colors[d].lower()
    means = [c for c in ax.collections if c.get_label() == "mean length"][0].get_offsets()[:, 1]
    lengths = world.train.docs.groupby("domain", observed=True)["n_tokens"].mean()
    np.testing.assert_allclose(means, lengths.reindex(list(world.train.domains)).to_numpy())
    lin = plots.length_distribution(world.train, log=False)
    assert lin.get_yscale() == "linear"
    # a domain without documents keeps its slot
    some = world.train.subset((world.train.docs["domain"] != world.train.domains[1]).to_numpy())
    ax2 = plots.length_distribution(some)
    assert len(ax2.get_xticklabels()) == len(world.train.domains) and len(ax2.patches) == len(world.train.domains) - 1
    with pytest.raises(TypeError, match="Corpus"):
        plots.length_distribution(world.train.docs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="log must be a bool"):
        plots.length_distribution(world.train, log="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no documents"):
        plots.length_distribution(world.train.subset(np.zeros(len(world.train), dtype=bool)))


def test_convergence_plot_is_log_log_with_guides() -> None:
    w = [0.5, 0.3, 0.2]
    src, _ = blended_index(w, 2000)
    rng = np.random.default_rng(0)
    iid = rng.choice(3, size=2000, p=w)
    ax = plots.convergence_plot({"i.i.d.": prefix_deviation(iid, w), "blended": prefix_deviation(src, w)})
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert {"∝ 1/√n", "∝ 1/n"} <= {t.get_text() for t in ax.texts}
    assert len(ax.lines) == 4
    with pytest.raises(ValueError, match="guides"):
        plots.convergence_plot({"a": prefix_deviation(src, w)}, guides=("n^2",))


def test_epochs_plot_draws_cap() -> None:
    table = pd.DataFrame({"web": [0.5, 1, 2], "math": [5.0, 10, 20]}, index=pd.Index([1e5, 2e5, 4e5], name="budget B"))
    ax = plots.epochs_plot(table, max_epochs=4)
    assert "cap E_max = 4" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_xlabel() == "budget B"
    with pytest.raises(TypeError):
        plots.epochs_plot(table["web"])  # type: ignore[arg-type]


def test_temperature_plot_panels() -> None:
    fig = plots.temperature_plot(COUNTS, budget=1e6, max_epochs=4)
    assert len(fig.axes) == 3
    assert fig.axes[1].get_ylabel() == "entropy (nats)"
    ent = fig.axes[1].lines[0].get_ydata()
    assert np.all(np.diff(ent) >= -1e-12)  # entropy rises with T
    fig2 = plots.temperature_plot(COUNTS, temperatures=[1, 2, 5])
    assert len(fig2.axes) == 2
    with pytest.raises(ValueError, match="> 0"):
        plots.temperature_plot(COUNTS, temperatures=[0.0, 1.0])


def test_ledger_plot_shows_doc_and_token_rates() -> None:
    row = StageRow(stage="quality", docs_in=100, docs_out=95, tokens_in=10_000, tokens_out=7_000,
                   dropped_docs={"low_quality": 5}, dropped_tokens={"low_quality": 3_000})
    ax = plots.ledger_plot(Ledger([row]))
    labels = {t.get_text() for t in ax.texts}
    assert {"95.0%", "70.0%"} <= labels
    with pytest.raises(ValueError, match="a_doc"):
        plots.ledger_plot(pd.DataFrame({"x": [1]}))


def test_rank_agreement_plot_reports_spearman() -> None:
    p = pd.Series([3.0, 2.0, 1.0, 4.0], index=list("abcd"))
    t = pd.Series([3.1, 2.2, 1.5, 3.9], index=list("abcd"))
    ax = plots.rank_agreement_plot(p, t)
    assert "Spearman ρ = 1.00 (n = 4)" in ax.get_title()
    from mixlab.ranks import spearman  # the one rank correlation (the plot's ρ comes from rank_agreement)

    assert spearman([1, 2, 3], [3, 2, 1]).statistic == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="constant"):
        spearman([1, 1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="equal length"):
        plots.rank_agreement_plot([1, 2], [1, 2, 3])


def test_seed_averaging_plot_draws_a_line_per_proxy_and_the_ceiling() -> None:
    curves = pd.DataFrame({"few tokens": [0.6, 0.7, 0.75, 0.78], "low capacity": [0.7, 0.65, 0.6, np.nan]},
                          index=pd.Index([1, 2, 4, 8], name="runs"))
    ax = plots.seed_averaging_plot(curves, ceiling=0.97)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["few tokens"].get_xdata()) == [1, 2, 4, 8]
    assert list(lines["low capacity"].get_xdata()) == [1, 2, 4]  # the missing value is left out, not drawn
    assert list(lines["noise ceiling (target vs itself)"].get_ydata()) == [0.97, 0.97]
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4", "8"]
    plt.close("all")
    with pytest.raises(ValueError, match="increasing integers"):
        plots.seed_averaging_plot(curves.set_axis([1, 2, 2.5, 8]))
    with pytest.raises(ValueError, match="no value: b"):
        plots.seed_averaging_plot(pd.DataFrame({"a": [0.5], "b": [np.nan]}, index=[1]))
    with pytest.raises(TypeError, match="DataFrame"):
        plots.seed_averaging_plot(curves["few tokens"])  # type: ignore[arg-type]

def test_figures_are_deterministic() -> None:
    import io

    def png() -> bytes:
        ax = plots.mixture_bars({"p": mixers.proportional(COUNTS)})
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", metadata={"Software": None})
        plt.close(ax.figure)
        return buf.getvalue()

    assert png() == png()


# ---------------------------------------------------------------- caps, paths, legends, margins
D3 = ("web", "code", "math")


def _in_figure(ax: plt.Axes, text: str) -> bool:
    """Whether the text object whose string is ``text`` lies inside the figure once drawn."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = next(t for t in ax.texts if t.get_text() == text).get_window_extent(renderer)
    return bool(box.x0 >= 0 and box.x1 <= fig.bbox.width)


def test_ternary_axes_leaves_room_for_corner_labels_next_to_a_colorbar() -> None:
    fig, ax = plt.subplots(figsize=(8, 6))
    plots.ternary_axes(D3, ax=ax)
    plots.ternary_heatmap(simplex_grid(), simplex_grid()[:, 0], ax=ax, domains=D3)
    lo, hi = ax.get_xlim()
    assert lo <= -0.25 and hi >= 1.25
    assert _in_figure(ax, "100% web") and _in_figure(ax, "100% code")
    # the labels do not overlap the colorbar either
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    code = next(t for t in ax.texts if t.get_text() == "100% code").get_window_extent(renderer)
    cbar = fig.axes[1].get_window_extent(renderer)
    assert code.x1 < cbar.x0


def test_ternary_caps_draws_binding_caps_and_shades_the_cut_off_regions() -> None:
    ax = plots.ternary_axes(D3)
    n_lines, n_patches = len(ax.lines), len(ax.patches)
    caps = pd.Series({"web": 1.0, "code": 0.6, "math": 0.25})
    plots.ternary_caps(ax, caps, D3)
    new_lines = ax.lines[n_lines:]
    assert len(new_lines) == 2  # the web cap of 1 cuts nothing
    # the math cap is the line w_math = 0.25: y = (√3/2)·0.25 at both ends
    ys = [tuple(np.round(line.get_ydata(), 9)) for line in new_lines]
    assert (round(np.sqrt(3) / 2 * 0.25, 9),) * 2 in ys
    assert len(ax.patches) - n_patches == 2
    # the shaded triangle of math lies above its cap line (towards the math corner)
    tri = ax.patches[-1].get_xy()
    assert tri[:, 1].min() == pytest.approx(np.sqrt(3) / 2 * 0.25)
    assert {t.get_text() for t in ax.texts} >= {"code ≤ 0.600", "math ≤ 0.250"}
    handles, labels = ax.get_legend_handles_labels()
    assert labels.count("caps $w_i = u_i$") == 1 and labels.count("cut off by a cap") == 1
    # arrays in the order of domains, no shading, no annotations, no legend entries
    ax2 = plots.ternary_axes(D3)
    plots.ternary_caps(ax2, [1.0, 0.5, 1.0], D3, shade=False, annotate=False, label=None, shade_label=None)
    assert not ax2.patches and ax2.get_legend_handles_labels()[1] == []


@pytest.mark.parametrize(
    ("caps", "pattern"),
    [({"web": 1.0, "code": 0.5}, "missing: math"), ([0.5, 0.5], "3 values"), ([0.5, -0.1, 1.0], ">= 0"),
     ([np.nan, 1.0, 1.0], "finite")],
)
def test_ternary_caps_errors(caps: object, pattern: str) -> None:
    ax = plots.ternary_axes(D3)
    with pytest.raises(ValueError, match=pattern):
        plots.ternary_caps(ax, caps, D3)


def test_ternary_path_from_a_history_marks_start_and_the_chosen_iterate() -> None:
    history = pd.DataFrame([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.4, 0.3, 0.3], [0.41, 0.3, 0.29]], columns=D3)
    history["objective"] = [4.0, 3.9, 3.8, 3.85]
    history["chosen"] = [False, False, True, False]
    ax = plots.ternary_axes(D3)
    plots.ternary_path(ax, history, D3, color="#F39C12", label="EG iterates", lw=2)
    path = ax.lines[-1]
    np.testing.assert_allclose(np.column_stack([path.get_xdata(), path.get_ydata()]),
                               plots.barycentric_to_xy(history[list(D3)]))
    assert path.get_linewidth() == 2 and path.get_label() == "EG iterates"
    start, end = ax.collections[-2], ax.collections[-1]
    np.testing.assert_allclose(start.get_offsets(), plots.barycentric_to_xy([0.7, 0.2, 0.1]))
    np.testing.assert_allclose(end.get_offsets(), plots.barycentric_to_xy([0.4, 0.3, 0.3]))  # the chosen row
    assert [start.get_label(), end.get_label()] == ["start", "result"]


def test_ternary_path_accepts_results_and_arrays() -> None:
    from mixlab.optimizers import exponentiated_gradient

    def bowl(m: Mixture) -> pd.Series:
        w = m.as_array(list(D3))
        return pd.Series(2.0 + 4 * (w - [0.5, 0.3, 0.2]) ** 2, index=list(D3))

    res = exponentiated_gradient(None, "uniform", steps=5, evaluate=bowl, domains=D3, progress=False)
    ax = plots.ternary_axes(D3)
    plots.ternary_path(ax, res, D3, end_label=None, start_color="red")
    assert len(ax.lines[-1].get_xdata()) == len(res.history)
    np.testing.assert_allclose(ax.collections[-1].get_offsets(), plots.barycentric_to_xy(res.mixture.as_array()))
    ax2 = plots.ternary_axes(D3)
    plots.ternary_path(ax2, np.array([[0.2, 0.3, 0.5], [0.3, 0.3, 0.4]]), D3)
    np.testing.assert_allclose(ax2.collections[-1].get_offsets(), plots.barycentric_to_xy([0.3, 0.3, 0.4]))
    with pytest.raises(ValueError, match="no weight columns for: math"):
        plots.ternary_path(ax2, pd.DataFrame({"web": [1.0], "code": [0.0]}), D3)
    with pytest.raises(ValueError, match="simplex"):
        plots.ternary_path(ax2, np.array([[0.5, 0.5, 0.5]]), D3)
    with pytest.raises(TypeError, match="OptimizationResult"):
        plots.ternary_path(ax2, {"web": 1.0}, D3)


def test_ternary_scatter_legend_label_and_no_warning_for_line_markers() -> None:
    import warnings

    ax = plots.ternary_axes(D3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an edge color on the unfilled 'x' would warn (with an absolute path)
        plots.ternary_scatter(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), ax=ax, domains=D3, marker="x",
                              color="grey", label="infeasible")
        plots.ternary_scatter(Mixture({"web": 0.5, "code": 0.3, "math": 0.2}), ax=ax, marker="D", label="optimum")
        ax.legend()
    assert ax.get_legend_handles_labels()[1] == ["infeasible", "optimum"]
    filled = ax.collections[-1]
    np.testing.assert_allclose(filled.get_edgecolor()[0], [1, 1, 1, 1])  # white edge on filled markers
    with pytest.raises(TypeError, match="label"):
        plots.ternary_scatter(np.array([[0.2, 0.3, 0.5]]), ax=ax, label=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a matplotlib marker"):
        plots.ternary_scatter(np.array([[0.2, 0.3, 0.5]]), ax=ax, marker="not-a-marker")


def test_rank_agreement_plot_can_hide_point_labels() -> None:
    p = pd.Series([3.0, 2.0, 1.0, 4.0], index=list("abcd"))
    t = pd.Series([3.1, 2.2, 1.5, 3.9], index=list("abcd"))
    assert {t.get_text() for t in plots.rank_agreement_plot(p, t).texts} == set("abcd")
    ax = plots.rank_agreement_plot(p, t, annotate=False)
    assert len(ax.texts) == 0 and "Spearman ρ = 1.00" in ax.get_title()
    with pytest.raises(TypeError, match="annotate"):
        plots.rank_agreement_plot(p, t, annotate="no")  # type: ignore[arg-type]


# ---------------------------------------------------------------- objective heat map
def objective_table() -> pd.DataFrame:
    return pd.DataFrame(
        {"uniform": [4.10, 4.05, 4.30], "worst-case": [4.40, 4.45, 4.90], "worst-excess": [0.20, 0.35, 0.10]},
        index=pd.Index(["UniMax", "EG", "proportional"], name="mixture"),
    )


def test_objective_heatmap_scales_each_column_and_marks_the_best() -> None:
    table = objective_table()
    ax = plots.objective_heatmap(table)
    image = ax.images[0].get_array()
    # per column: 0 at the best (lowest) value, 1 at the worst
    np.testing.assert_allclose(image[:, 0], [0.2, 0.0, 1.0])
    np.testing.assert_allclose(image[:, 2], [0.4, 1.0, 0.0])
    texts = {t.get_text(): t for t in ax.texts}
    assert {"4.100", "4.050", "0.100", "4.900"} <= set(texts)
    assert texts["4.050"].get_fontweight() == "bold" and texts["4.100"].get_fontweight() == "normal"
    outlined = sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in ax.patches)
    assert outlined == [(0.0, 1.0), (1.0, 0.0), (2.0, 2.0)]  # (column, row) of each column's best
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.columns)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table.index)
    assert "best per column" in ax.get_title()


def test_objective_heatmap_options() -> None:
    table = objective_table()
    ax = plots.objective_heatmap(table, lower_is_better=False, fmt=".1f")
    np.testing.assert_allclose(ax.images[0].get_array()[:, 0], [0.8, 1.0, 0.0])  # highest is best now
    assert "4.3" in {t.get_text() for t in ax.texts}
    near = pd.DataFrame(False, index=table.index, columns=table.columns)
    near.loc["UniMax", "uniform"] = True
    ax = plots.objective_heatmap(table, near=near)
    assert "≈ 4.100" in {t.get_text() for t in ax.texts}
    fig, own = plt.subplots()
    assert plots.objective_heatmap(table, ax=own, title=None) is own and own.get_title() == ""


@pytest.mark.parametrize(
    ("kwargs", "err", "pattern"),
    [
        ({"table": [[1.0]]}, TypeError, "DataFrame"),
        ({"table": pd.DataFrame()}, ValueError, "at least one"),
        ({"table": pd.DataFrame({"a": [1.0, np.nan]})}, ValueError, "finite.*a"),
        ({"table": pd.DataFrame({"a": ["x", "y"]})}, ValueError, "numbers"),
        ({"fmt": "%d"}, ValueError, "fmt"),
        ({"near": pd.DataFrame({"a": [True]})}, ValueError, "same index"),
        ({"lower_is_better": "yes"}, TypeError, "lower_is_better"),
    ],
)
def test_objective_heatmap_errors(kwargs: dict[str, object], err: type, pattern: str) -> None:
    args: dict[str, object] = {"table": objective_table(), **kwargs}
    with pytest.raises(err, match=pattern):
        plots.objective_heatmap(**args)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- lesson figures 1.2 / 1.4 / 1.5
def test_score_histogram_single_and_both_views() -> None:
    rng = np.random.default_rng(0)
    q = rng.uniform(size=200)
    junk = q < 0.3
    tok = rng.integers(1, 100, size=200)
    ax = plots.score_histogram(q, 0.3, groups=junk, weights=tok)
    assert ax.get_ylabel() == "tokens" and "tokens" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["clean", "junk", "threshold 0.3"]
    heights = sum(p.get_height() for p in ax.patches)
    assert heights == pytest.approx(tok.sum())
    fig, axes = plt.subplots(1, 2)
    out = plots.score_histogram(q, 0.3, groups=junk, weights=tok, axes=axes)
    assert out is fig
    assert axes[0].get_ylabel() == "documents" and axes[1].get_ylabel() == "tokens"
    assert sum(p.get_height() for p in axes[0].patches) == pytest.approx(200)
    plain = plots.score_histogram(q, 0.5, title=None)
    assert plain.get_ylabel() == "documents" and plain.get_title() == ""


def test_score_histogram_validates() -> None:
    q = np.linspace(0, 1, 10)
    with pytest.raises(ValueError, match="one entry per score"):
        plots.score_histogram(q, 0.3, groups=np.zeros(3, dtype=bool))
    with pytest.raises(TypeError, match="boolean"):
        plots.score_histogram(q, 0.3, groups=np.zeros(10))
    with pytest.raises(ValueError, match="pass weights"):
        plots.score_histogram(q, 0.3, axes=plt.subplots(1, 2)[1])
    with pytest.raises(ValueError, match="finite"):
        plots.score_histogram([0.1, np.nan], 0.3)


def _curve() -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["code", "books"], [0.1, 0.2, 0.4]], names=["upweighted", "weight"])
    return pd.DataFrame({"tokens": [10, 20, 40, 10, 20, 40], "loss": [5.0, 4.5, 4.1, 5.2, 4.8, 4.5]}, index=idx)


def test_marginal_value_plot_lines_and_floors() -> None:
    floor = pd.Series({"code": 3.0, "books": 3.5})
    ax = plots.marginal_value_plot(_curve(), floor)
    assert len(ax.lines) == 4  # two curves, two floors
    assert ax.lines[0].get_color() == plots.DOMAIN_COLORS["code"]
    assert "entropy floor" in ax.get_title()
    log = plots.marginal_value_plot(_curve(), logx=True)
    assert log.get_xscale() == "log" and len(log.lines) == 2
    with pytest.raises(ValueError, match="floor has no entry"):
        plots.marginal_value_plot(_curve(), {"code": 3.0})
    with pytest.raises(ValueError, match="missing columns"):
        plots.marginal_value_plot(_curve().drop(columns="loss"))


def test_repetition_value_plot_points_over_curve() -> None:
    table = pd.DataFrame({"epochs": [2.0, 4.0, 8.0], "measured D'": [190.0, 350.0, 600.0], "code tokens": 100.0})
    ax = plots.repetition_value_plot(table, label="proxy")
    curve, points = ax.lines[0], ax.lines[1]
    assert curve.get_ydata()[0] == pytest.approx(1.0)
    np.testing.assert_allclose(points.get_ydata(), [1.9, 3.5, 6.0])
    with pytest.raises(ValueError, match=">= 1"):
        plots.repetition_value_plot(table.assign(epochs=0.5))
    with pytest.raises(ValueError, match="missing columns"):
        plots.repetition_value_plot(table, seen="tokens")


def test_agreement_vs_cost_skips_incomplete_rows_and_draws_ceiling() -> None:
    summary = pd.DataFrame({"compute ratio": [0.1, 0.01, np.nan], "spearman": [0.9, 0.6, np.nan]},
                           index=["half", "tiny", "target"])
    ax = plots.agreement_vs_cost(summary, ceiling=0.95)
    assert [t.get_text() for t in ax.texts] == ["half", "tiny"]
    assert ax.get_xscale() == "log" and ax.lines[0].get_ydata()[0] == 0.95
    with pytest.raises(ValueError, match="> 0"):
        plots.agreement_vs_cost(summary.assign(**{"compute ratio": [0.0, 1.0, 1.0]}))


def test_weight_trace_with_and_without_average() -> None:
    h = pd.DataFrame({"web": [0.5, 0.4], "code": [0.5, 0.6], "avg_web": [0.5, 0.45], "avg_code": [0.5, 0.55],
                      "excess_web": [0.1, 0.0], "excess_code": [0.2, 0.1]})
    ax = plots.weight_trace(h, ["web", "code"])
    assert len(ax.lines) == 4 and ax.lines[1].get_linewidth() == 2.5
    lam = plots.weight_trace(h, ["web", "code"], prefix="excess_", average_prefix=None)
    assert len(lam.lines) == 2 and [t.get_text() for t in lam.get_legend().get_texts()] == ["web", "code"]
    with pytest.raises(ValueError, match="missing columns"):
        plots.weight_trace(h, ["math"])


def test_predicted_vs_measured_frames_and_arrays() -> None:
    m = pd.DataFrame({"web": [1.0, 2.0], "code": [1.5, 2.5]})
    ax = plots.predicted_vs_measured(m, m + 0.1, labels={"web": "web (R² = 0.9)"})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["web (R² = 0.9)", "code"]
    diag = ax.lines[-1]
    assert list(diag.get_xdata()) == list(diag.get_ydata())
    single = plots.predicted_vs_measured([1, 2, 3], [1.1, 2.0, 2.9])
    assert single.get_legend() is None
    with pytest.raises(ValueError, match="same columns"):
        plots.predicted_vs_measured(m, m.rename(columns={"web": "x"}))
    with pytest.raises(ValueError, match="both be DataFrames"):
        plots.predicted_vs_measured(m, [1, 2])


def test_score_vs_cost_points_lines_and_band() -> None:
    table = pd.DataFrame({"value_mean": [3.0, 3.1, 2.9, 2.95], "value_sd": 0.02, "tokens_spent": [0, 0, 1e6, 1e5]},
                         index=["uniform", "proportional", "grid", "regmix"])
    ax = plots.score_vs_cost(table, baselines=["uniform", "proportional"], reference="uniform")
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.texts] == ["grid", "regmix"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["uniform", "proportional"]
    with pytest.raises(ValueError, match="> 0"):
        plots.score_vs_cost(table)
    with pytest.raises(ValueError, match="not rows"):
        plots.score_vs_cost(table, baselines=["nope"])


@pytest.mark.slow
# ---------------------------------------------------------------- the package and the course palette
def test_the_package_re_exports_every_topic_module_and_stays_light() -> None:
    import importlib
    import pkgutil
    import subprocess
    import sys

    names: set[str] = set()
    modules = [m.name for m in pkgutil.iter_modules(plots.__path__)]  # every topic module, new ones included
    assert {"style", "profiles", "ternary", "budget", "data", "methods"} <= set(modules)
    for module in modules:
        names |= set(importlib.import_module(f"mixlab.plots.{module}").__all__)
    assert names == set(plots.__all__)
    assert all(getattr(plots, n) is not None for n in plots.__all__)
    assert "spearman" not in plots.__all__  # agreement.rank_agreement is the course's rank correlation
    code = "import sys, mixlab.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("name", "family"),
    [("uniform by doc", "uniform by document"), ("uniform by document, as trained", "uniform by document"),
     ("uniform by token", "uniform by token"), ("uniform", "uniform by token"),
     ("uniform (T = inf)", "uniform by token"), ("proportional (T = 1)", "proportional"),
     ("natural (T = 1)", "proportional"), ("hand-tuned (Alice)", "hand-tuned"),
     ("temperature alpha=0.3", "temperature"), ("temperature α=0.3", "temperature"),
     ("alpha = 0.3 (T = 3.33)", "temperature"), ("T = 2", "temperature"), ("UniMax (E_max = 4)", "UniMax"),
     ("grid optimum", "grid optimum"), ("capped grid, B = 3M", "grid optimum"),
     ("EG: worst-case", "exponentiated gradient"),
     ("capped EG, B = 3M", "exponentiated gradient"), ("doremi", "DoReMi"), ("mixing-law", "mixing law"),
     ("RegMix", "RegMix"), ("i.i.d. draws", None), ("Alice (quality)", None), ("uniform optimum", "grid optimum")],
)
def test_mixture_family_reads_the_lessons_names(name: str, family: str | None) -> None:
    assert plots.mixture_family(name) == family


def test_mixture_colors_are_fixed_per_family_and_distinct() -> None:
    assert len(set(plots.MIXTURE_COLORS.values())) == len(plots.MIXTURE_COLORS)
    assert not set(plots.MIXTURE_COLORS.values()) & set(plots.DOMAIN_COLORS.values())
    a = plots.mixture_colors(["proportional", "uniform by token", "i.i.d."])
    b = plots.mixture_colors(["uniform by token", "proportional (T = 1)"])
    assert a["proportional"] == b["proportional (T = 1)"] == plots.MIXTURE_COLORS["proportional"]
    assert a["uniform by token"] == b["uniform by token"]
    assert a["i.i.d."] == plots.SERIES_COLORS[0]
    eg = plots.mixture_colors([f"EG: {o}" for o in ("uniform", "worst-case", "target-weighted", "worst-excess")])
    assert len(set(eg.values())) == 4 and eg["EG: uniform"] == plots.MIXTURE_COLORS["exponentiated gradient"]
    temps = plots.mixture_colors(["T = 1.5", "T = 3", "T = 10"])
    lum = [0.299 * r + 0.587 * g + 0.114 * b for r, g, b in (matplotlib.colors.to_rgb(c) for c in temps.values())]
    assert lum[0] > lum[1] > lum[2]  # darker as T grows
    assert plots.mixture_colors(["Alice (quality)"], {"Alice (quality)": "hand-tuned"})["Alice (quality)"] == \
        plots.MIXTURE_COLORS["hand-tuned"]
    assert plots.series_colors(["proportional"]) == {"proportional": plots.MIXTURE_COLORS["proportional"]}
    with pytest.raises(ValueError, match="families"):
        plots.mixture_colors(["x"], {"x": "nope"})
    assert plots.mixture_markers(["UniMax", "grid", "doremi", "other"]) == {
        "UniMax": "D", "grid": "*", "doremi": "o", "other": "o"}


def test_skill_profiles_take_their_mixture_colours() -> None:
    ax = plots.skill_profile_plot({"proportional": profile(), "mine": profile(0.1)}, colors={"mine": "#123456"})
    lines = {ln.get_label(): matplotlib.colors.to_hex(ln.get_color()) for ln in ax.lines}
    assert lines["proportional"] == plots.MIXTURE_COLORS["proportional"].lower() and lines["mine"] == "#123456"


# ---------------------------------------------------------------- heat map scales, cells, discrete levels
def bowl_values(grid: np.ndarray) -> np.ndarray:
    return 3.8 + ((grid - [0.4, 0.3, 0.3]) ** 2).sum(axis=1) ** 2 * 8  # flat basin, steep corners


def _colorbar(ax: plt.Axes) -> plt.Axes:
    return next(a for a in ax.figure.axes if a is not ax)


def test_robust_scale_spends_the_colours_on_the_basin() -> None:
    grid = simplex_grid(0.05)
    vals = bowl_values(grid)
    ax = plots.ternary_heatmap(grid, vals, mark_min=False)
    cs = next(c for c in ax.collections if hasattr(c, "levels"))
    assert cs.levels[0] == pytest.approx(vals.min()) and cs.levels[-1] == pytest.approx(np.percentile(vals, 75))
    assert cs.extend == "max" and "75th percentile" in _colorbar(ax).get_ylabel()
    lin = plots.ternary_heatmap(grid, vals, mark_min=False, scale="linear")
    assert next(c for c in lin.collections if hasattr(c, "levels")).levels[-1] == pytest.approx(vals.max())
    logx = plots.ternary_heatmap(grid, vals, mark_min=False, scale="log-excess")
    ticks = [t.get_text() for t in _colorbar(logx).get_yticklabels()]
    assert ticks and all(t.startswith("+") for t in ticks) and "excess over the minimum" in _colorbar(logx).get_ylabel()
    for kwargs, pattern in [({"scale": "pretty"}, "scale"), ({"style": "dots"}, "style"), ({"upper": 0}, "upper")]:
        with pytest.raises(ValueError, match=pattern):
            plots.ternary_heatmap(grid, vals, **kwargs)  # type: ignore[arg-type]


def test_cells_are_the_voronoi_hexagons_of_the_grid() -> None:
    from matplotlib.collections import PolyCollection

    grid = simplex_grid(0.1)
    ax = plots.ternary_heatmap(grid, bowl_values(grid), style="cells", mark_min=False)
    cells = next(c for c in ax.collections if isinstance(c, PolyCollection) and not hasattr(c, "levels"))
    paths = cells.get_paths()
    assert len(paths) == len(grid)
    centres = plots.barycentric_to_xy(grid)
    for path, centre in zip(paths, centres, strict=True):
        corners = np.unique(np.round(path.vertices, 9), axis=0)
        assert len(corners) == 6
        np.testing.assert_allclose(np.hypot(*(corners - centre).T), 0.1 / np.sqrt(3))  # spacing / sqrt(3)
    with pytest.raises(ValueError, match="regular simplex grid"):
        plots.ternary_heatmap(np.array([[0.5, 0.3, 0.2], [0.33, 0.33, 0.34], [0.1, 0.1, 0.8]]), [1.0, 2.0, 3.0],
                              style="cells")


def test_integer_counts_are_drawn_as_discrete_levels() -> None:
    from matplotlib.collections import PolyCollection

    grid = simplex_grid(0.1)
    broken = (grid[:, 1] > 0.3).astype(int) + (grid[:, 2] > 0.4).astype(int)  # 0, 1 or 2 caps broken
    ax = plots.ternary_heatmap(grid, broken, cmap="Reds", mark_min=False)  # detected: integers, 3 levels
    cells = next(c for c in ax.collections if isinstance(c, PolyCollection))
    assert not hasattr(cells, "levels") and len(cells.get_paths()) == len(grid)
    cells.update_scalarmappable()
    assert [t.get_text() for t in _colorbar(ax).get_yticklabels()] == ["0", "1", "2"]
    colours = {tuple(np.round(c, 6)) for c in cells.get_facecolors()}
    assert len(colours) == 3  # one colour per count, no blend between them
    with pytest.raises(ValueError, match="integer"):
        plots.ternary_heatmap(grid, bowl_values(grid), discrete=True)
    smooth = plots.ternary_heatmap(grid, broken + 0.5 * grid[:, 0], mark_min=False)  # not integers: contours
    assert any(hasattr(c, "levels") for c in smooth.collections)


# ---------------------------------------------------------------- labels, paths, legends
def _text_boxes(ax: plt.Axes) -> list[tuple[str, object]]:
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    # the label's box, not Annotation.get_window_extent (which also spans the leader line)
    return [(t.get_text(), t.get_bbox_patch().get_window_extent(renderer)) for t in ax.texts
            if not t.get_text().startswith("100%")]


def test_crowded_mixture_labels_do_not_overlap() -> None:
    crowd = {"uniform by token": [1 / 3, 1 / 3, 1 / 3], "doremi": [0.314, 0.354, 0.332],
             "mixing-law": [0.339, 0.348, 0.313], "uniform by document": [0.359, 0.348, 0.293],
             "grid": [0.4, 0.3, 0.3], "regmix": [0.358, 0.28, 0.362], "proportional": [0.7, 0.21, 0.09]}
    ax = plots.ternary_axes(D3)
    plots.ternary_scatter({k: Mixture(dict(zip(D3, v, strict=True))) for k, v in crowd.items()}, ax=ax)
    boxes = _text_boxes(ax)
    assert sorted(n for n, _ in boxes) == sorted(crowd)
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not box_a.overlaps(box_b), (a, b)  # type: ignore[attr-defined]
    # the points keep their family colours
    colours = {matplotlib.colors.to_hex(c) for coll in ax.collections for c in coll.get_facecolors()}
    assert plots.MIXTURE_COLORS["DoReMi"].lower() in colours and plots.MIXTURE_COLORS["RegMix"].lower() in colours


def test_small_markers_get_a_dark_edge_and_legend_entries_per_point() -> None:
    ax = plots.ternary_axes(D3)
    plots.ternary_scatter(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), ax=ax, color="lightgrey", size=15)
    edge = ax.collections[-1].get_edgecolor()[0]
    assert edge[:3].max() < 0.6  # a darker edge, not white, so light points show on white
    plots.ternary_scatter({"UniMax": Mixture(dict(zip(D3, [0.4, 0.3, 0.3], strict=True)))}, ax=ax, legend=True,
                          annotate=False)
    assert ax.get_legend_handles_labels()[1] == ["UniMax"]
    with pytest.raises(ValueError, match="legend"):
        plots.ternary_scatter(np.array([[0.2, 0.3, 0.5]]), ax=ax, legend=True)
    with pytest.raises(ValueError, match="one per point"):
        plots.ternary_scatter(np.array([[0.2, 0.3, 0.5]]), ax=ax, color=["red", "blue"])


def test_optimizer_path_is_drawn_above_the_heat_map_with_start_and_end_written() -> None:
    grid = simplex_grid(0.1)
    ax = plots.ternary_heatmap(grid, bowl_values(grid), domains=D3)
    steps = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.45, 0.3, 0.25], [0.449, 0.3, 0.251]])
    plots.ternary_path(ax, steps, D3, color="#F39C12")
    path = ax.lines[-1]
    assert path.get_zorder() > max(c.get_zorder() for c in ax.collections if hasattr(c, "levels"))
    assert path.get_path_effects()  # a dark outline keeps it visible on any background
    texts = [t.get_text() for t in ax.texts]
    assert "start" in texts and "end" in texts
    arrows = [t for t in ax.texts if t.get_text() == "" and t.arrow_patch is not None]
    assert len(arrows) == 2  # one per visible step (the last step is too short to carry an arrowhead)
    ax2 = plots.ternary_axes(D3)
    plots.ternary_path(ax2, steps, D3, annotate=False)
    assert "start" not in [t.get_text() for t in ax2.texts]


@pytest.mark.slow
def test_epochs_legend_sits_outside_the_curves() -> None:
    table = pd.DataFrame({"web": [0.5, 1, 2], "math": [5.0, 10, 20]}, index=pd.Index([1e5, 2e5, 4e5], name="B"))
    ax = plots.epochs_plot(table, max_epochs=4)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    assert ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    inside = plots.epochs_plot(table, max_epochs=4, legend="best", domain_legend=False)
    assert [t.get_text() for t in inside.get_legend().get_texts()][0] == "cap E_max = 4"
    assert plots.epochs_plot(table, legend=None).get_legend() is None
    with pytest.raises(ValueError, match="legend"):
        plots.epochs_plot(table, legend="left")


def test_temperature_plot_lists_the_domains_once_under_the_panels() -> None:
    fig = plots.temperature_plot(COUNTS, budget=1e6, max_epochs=4)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[: len(COUNTS)] == list(COUNTS.index)
    assert "cap E_max = 4" in texts[len(COUNTS):]  # the cap joins the shared legend, off the curves
    assert all(ax.get_legend() is None for ax in (fig.axes[0], fig.axes[2]))
    bare = plots.temperature_plot(COUNTS, temperatures=[1, 2, 5])
    assert [t.get_text() for t in bare.legends[0].get_texts()] == list(COUNTS.index)


def test_objective_heatmap_marks_winners_by_construction_and_can_drop_the_outline() -> None:
    table = objective_table()
    ax = plots.objective_heatmap(table, by_construction={"worst-excess": "proportional"})
    texts = {t.get_text(): t for t in ax.texts}
    assert "0.100 †" in texts and texts["0.200"].get_fontweight() == "bold"  # UniMax is the best among the rest
    outlined = sorted((p.get_x() + 0.5, p.get_y() + 0.5) for p in ax.patches if p.get_linewidth() == 2.0)
    assert (2.0, 0.0) in outlined and (2.0, 2.0) not in outlined
    assert "by construction" in ax.get_title()
    bare = plots.objective_heatmap(table, outline=False)
    assert not [p for p in bare.patches if p.get_linewidth() == 2.0]
    assert all(t.get_fontweight() == "normal" for t in bare.texts)
    with pytest.raises(ValueError, match="by_construction"):
        plots.objective_heatmap(table, by_construction={"worst-excess": "nope"})


def test_convergence_band_over_many_seeds() -> None:
    w = [0.5, 0.3, 0.2]
    cps = [10, 100, 1000]
    runs = pd.DataFrame({s: prefix_deviation(np.random.default_rng(s).choice(3, size=1000, p=w), w, cps)
                         ["max_share_dev"] for s in range(20)})
    ax = plots.convergence_plot({"i.i.d.": runs}, guides=())
    median = ax.lines[0]
    np.testing.assert_allclose(median.get_ydata(), np.median(runs.to_numpy(), axis=1))
    band = [c for c in ax.collections if c.get_paths()]
    assert len(band) == 1 and "median of 20 seeds" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="band"):
        plots.convergence_plot({"i.i.d.": runs}, band=(90, 10))
    with pytest.raises(ValueError, match="at least 2 columns"):
        plots.convergence_plot({"i.i.d.": runs[[0]]})


def test_rank_agreement_plot_uses_the_course_rank_agreement() -> None:
    from mixlab.agreement import rank_agreement

    p = pd.Series([3.0, 2.0, 1.0, 4.0, 2.5], index=list("abcde"))
    t = pd.Series([3.1, 2.2, 1.5, 3.0, 2.6], index=list("abcde"))
    ax = plots.rank_agreement_plot(p, t)
    assert f"Spearman ρ = {rank_agreement(p, t).spearman:.2f} (n = 5)" in ax.get_title()


def test_rows_that_name_mixtures_are_written_in_their_colour() -> None:
    mixes = {"proportional": mixers.proportional(COUNTS), "mine": mixers.uniform_by_token(COUNTS)}
    ax = plots.mixture_bars(mixes)
    colours = {t.get_text(): matplotlib.colors.to_hex(t.get_color()) for t in ax.get_yticklabels()}
    assert colours["proportional"] == plots.MIXTURE_COLORS["proportional"].lower()
    assert colours["mine"] == "#000000"  # not a known mixture: left as it was
    heat = plots.objective_heatmap(objective_table())
    rows = {t.get_text(): matplotlib.colors.to_hex(t.get_color()) for t in heat.get_yticklabels()}
    assert rows["UniMax"] == plots.MIXTURE_COLORS["UniMax"].lower()


def _sweep_like(seeds: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for name, shift in (("proportional", 0.3), ("UniMax", 0.0)):
        for s in range(seeds):
            for d, floor in (("web", 2.0), ("books", 1.5), ("code", 1.0)):
                rows.append({"mixture": name, "seed": s, "domain": d, "floor": floor,
                             "loss": floor + 1.0 + (shift if d == "books" else 0.0) + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_excess_profile_plot_draws_mean_excess_with_t_intervals_and_rings_the_worst_domain() -> None:
    from scipy.stats import t as student_t

    table = _sweep_like()
    ax = plots.excess_profile_plot(table, title="T")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["web", "books", "code"]
    assert "mean over 4 seeds, 95% t interval" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("worst domain") and "proportional (4 seeds)" in labels
    # the error bar of proportional on books spans mean ± t_{0.975, 3} · sd / √4
    books = table[(table.mixture == "proportional") & (table.domain == "books")]
    excess = books["loss"] - books["floor"]
    half = student_t.ppf(0.975, 3) * excess.std(ddof=1) / 2
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    spans = [abs(seg[1][1] - seg[0][1]) / 2 for seg in segments if len(seg) == 2 and seg[0][0] == seg[1][0]]
    assert any(abs(s - half) < 1e-9 for s in spans)
    # the worst domain of proportional (books, the largest mean excess) carries a ring
    rings = [ln for ln in ax.lines if ln.get_markerfacecolor() == "none" and len(ln.get_xdata()) == 1]
    assert len(rings) == 2 and max(float(r.get_ydata()[0]) for r in rings) == pytest.approx(excess.mean())


def test_excess_profile_plot_refuses_one_seed_and_missing_columns() -> None:
    with pytest.raises(ValueError, match="at least 2 seeds"):
        plots.excess_profile_plot(_sweep_like(seeds=1))
    with pytest.raises(ValueError, match="floor"):
        plots.excess_profile_plot(_sweep_like().drop(columns="floor"))
    with pytest.raises(TypeError, match="DataFrame"):
        plots.excess_profile_plot([1, 2])  # type: ignore[arg-type]
