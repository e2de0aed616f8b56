"""Tests for mixlab.widgets, driven without a browser: set slider values, read the state and the display."""

from __future__ import annotations

import math
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mixlab import mixers  # noqa: E402
from mixlab.budget import caps_from_epochs, check_feasible  # noqa: E402
from mixlab.domains import domain_stats  # noqa: E402
from mixlab.mixture import Mixture  # noqa: E402
from mixlab.proxy import PROXY, ProxyRun  # noqa: E402
from mixlab.widgets import MixtureEditor, SkillProfileExplorer, TemperatureExplorer  # noqa: E402
from mixlab.world import World, generate_world  # noqa: E402

DOMAINS = ["web", "books", "code"]
SMALL = PROXY.with_(budget=5_000, name="proxy")


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world("tiny", 0)


@pytest.fixture(autouse=True)
def _no_open_figures() -> None:
    yield
    assert plt.get_fignums() == [], "widgets must close the figures they render"


# ---------------------------------------------------------------- MixtureEditor
def test_editor_starts_uniform_and_normalizes_explicitly() -> None:
    ed = MixtureEditor(DOMAINS)
    assert ed.mixture is not None
    assert ed.mixture.allclose(Mixture({d: 1 / 3 for d in DOMAINS}))
    ed.sliders["web"].value = 2.0  # what a learner's drag does
    assert ed.mixture["web"] == pytest.approx(0.5)
    assert ed.status == "ok"
    assert "divided by their sum 4" in ed.message
    assert "raw → normalized" in ed.html
    assert "0.500" in ed.html and "2.00" in ed.html


def test_set_raw_matches_slider_and_extends_range() -> None:
    ed = MixtureEditor(DOMAINS)
    ed.set_raw("code", 10.0)
    assert ed.sliders["code"].value == 10.0 and ed.sliders["code"].max >= 10.0
    assert ed.mixture is not None and ed.mixture["code"] == pytest.approx(10 / 12)
    with pytest.raises(KeyError, match="unknown domain"):
        ed.set_raw("math", 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        ed.set_raw("web", -1.0)
    with pytest.raises(TypeError):
        ed.set_raw("web", "1")  # type: ignore[arg-type]


def test_all_zero_is_explained_and_gives_no_mixture() -> None:
    ed = MixtureEditor(DOMAINS)
    ed.set_raws(dict.fromkeys(DOMAINS, 0.0))
    assert ed.mixture is None
    assert ed.status == "invalid"
    assert "at least one weight must be positive" in ed.message.lower()
    assert "at least one weight must be positive" in ed.html.lower()
    ed.set_raw("books", 0.3)
    assert ed.mixture is not None and ed.mixture["books"] == 1.0


def test_caps_project_and_name_binding_domains() -> None:
    ed = MixtureEditor(DOMAINS, caps={"web": 0.5, "books": 0.2, "code": 1.0})
    ed.set_raws({"web": 6.0, "books": 3.0, "code": 1.0})  # normalized 0.6, 0.3, 0.1
    s = ed.state()
    assert s["normalized"] == pytest.approx({"web": 0.6, "books": 0.3, "code": 0.1})
    assert s["status"] == "capped"
    assert s["binding"] == ["web", "books"]
    assert s["weights"] == pytest.approx({"web": 0.5, "books": 0.2, "code": 0.3})
    assert "web (cap 0.500)" in ed.message and "books (cap 0.200)" in ed.message
    assert "cap binds" in ed.html
    prov = ed.mixture.provenance  # type: ignore[union-attr]
    assert prov["mixer"] == "hand_tuned"
    assert prov["params"]["source"] == "mixture_editor"
    assert prov["params"]["raw"] == {"web": 6.0, "books": 3.0, "code": 1.0}
    assert prov["params"]["caps"] == {"web": 0.5, "books": 0.2, "code": 1.0}
    assert prov["params"]["projected_onto_caps"] is True


_EDITOR = None


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    raw=st.lists(st.floats(0, 5, allow_nan=False), min_size=3, max_size=3),
    caps=st.lists(st.floats(0.05, 1.5, allow_nan=False), min_size=3, max_size=3),
)
def test_editor_mixture_is_on_the_capped_simplex(raw: list[float], caps: list[float]) -> None:
    global _EDITOR
    if _EDITOR is None:
        _EDITOR = MixtureEditor(DOMAINS, max_raw=5.0)
    ed = _EDITOR
    ed.set_caps(dict(zip(DOMAINS, caps, strict=True)))
    ed.set_raws(dict(zip(DOMAINS, raw, strict=True)))
    s = ed.state()
    if sum(raw) == 0 or sum(min(c, 1.0) for c in caps) < 1:
        assert ed.mixture is None and s["status"] == "invalid" and s["message"]
        return
    assert ed.mixture is not None
    w = ed.mixture.as_array()
    assert abs(w.sum() - 1) <= 1e-9 and (w >= 0).all()
    assert (w <= np.array(caps) + 1e-9).all()
    if s["status"] == "ok":  # nothing projected: exactly the normalized raw values
        np.testing.assert_allclose(w, np.array(raw) / sum(raw), atol=1e-12)
    else:
        assert s["binding"], s


def test_within_caps_nothing_is_projected() -> None:
    ed = MixtureEditor(DOMAINS, caps={"web": 0.5, "books": 0.5, "code": 0.5})
    assert ed.status == "ok" and ed.state()["binding"] == []


def test_infeasible_caps_show_the_feasibility_message() -> None:
    sizes = pd.Series({"web": 1000.0, "books": 200.0, "code": 300.0})
    caps = caps_from_epochs(sizes, budget=10_000, max_epochs=2)  # caps sum to 0.3
    ed = MixtureEditor(DOMAINS, caps=caps)
    assert ed.mixture is None and ed.status == "invalid"
    assert "infeasible" in ed.message and "sum to 0.3" in ed.message
    ed.set_caps(caps_from_epochs(sizes, budget=1_000, max_epochs=2))
    assert ed.mixture is not None


def test_budget_caps_use_the_budget_feasibility_message() -> None:
    sizes = pd.Series({"web": 1000.0, "books": 200.0, "code": 300.0})
    ed = MixtureEditor(DOMAINS, sizes=sizes, budget=1_000, max_epochs=1)  # caps 1, 0.2, 0.3
    ed.set_raws({"web": 0.0, "books": 1.0, "code": 1.0})  # normalized 0.5/0.5: both over their caps
    assert ed.status == "capped" and ed.state()["binding"] == ["books", "code"]
    assert ed.mixture is not None and ed.mixture["web"] == pytest.approx(0.5)
    assert "B = 1,000 tokens" in ed.html
    ed.set_budget(budget=4_000)  # E_max Σ T = 1500 < 4000
    assert ed.mixture is None and ed.status == "invalid"
    with pytest.raises(ValueError, match="infeasible") as info:
        check_feasible(sizes, 4_000, 1)
    assert ed.message == str(info.value)
    assert "infeasible" in ed.html
    ed.set_budget(max_epochs=4)  # 6000 >= 4000: feasible again
    assert ed.mixture is not None
    assert ed.mixture.provenance["params"]["max_epochs"] == 4
    with pytest.raises(ValueError, match="together"):
        MixtureEditor(DOMAINS, sizes=sizes, budget=1_000)
    with pytest.raises(ValueError, match="needs an editor built with"):
        MixtureEditor(DOMAINS).set_budget(10)


def test_rationale_and_initial_mixture_flow_into_provenance() -> None:
    init = Mixture({"web": 0.5, "books": 0.3, "code": 0.2})
    ed = MixtureEditor(DOMAINS, initial=init, rationale="books are curated")
    assert ed.mixture is not None and ed.mixture.allclose(init)
    ed.rationale_box.value = "upweight curated books"
    assert ed.mixture.provenance["params"]["rationale"] == "upweight curated books"
    with pytest.raises(ValueError, match="missing"):
        MixtureEditor(DOMAINS, initial={"web": 1.0})
    with pytest.raises(ValueError, match="token weights"):
        MixtureEditor(DOMAINS, initial=Mixture({"web": 0.5, "books": 0.3, "code": 0.2}, kind="document"))


def test_config_toml_round_trips_through_hand_tuned(tmp_path: Path) -> None:
    ed = MixtureEditor(DOMAINS)
    ed.set_raws({"web": 1.0, "books": 2.0, "code": 0.7})
    with pytest.raises(ValueError, match="rationale"):
        ed.config_toml()
    ed.rationale_box.value = 'books are "curated"'
    path = tmp_path / "hand.toml"
    path.write_text(ed.config_toml(), encoding="utf-8")
    loaded = mixers.hand_tuned(path, domains=DOMAINS)
    assert ed.mixture is not None and loaded.allclose(ed.mixture, atol=0)
    assert loaded.provenance["params"]["rationale"] == 'books are "curated"'
    ed.set_raws(dict.fromkeys(DOMAINS, 0.0))
    with pytest.raises(ValueError, match="no valid mixture"):
        ed.config_toml()


def test_config_toml_default_format_is_unchanged() -> None:
    ed = MixtureEditor(["web", "code"], initial={"web": 1.0, "code": 3.0}, rationale="code matters")
    assert ed.config_toml() == ed.config_toml(provenance=False) == (
        'rationale = "code matters"\nsource = "mixture_editor"\n\n[weights]\n"web" = 0.25\n"code" = 0.75\n'
    )
    with pytest.raises(TypeError, match="provenance must be a bool"):
        ed.config_toml(provenance="yes")  # type: ignore[arg-type]


def test_config_toml_provenance_round_trips_the_editor_state(tmp_path: Path) -> None:
    sizes = pd.Series({"web": 1_500_000, "books": 180_000, "code": 450_000})
    ed = MixtureEditor(DOMAINS, initial={"web": 3.0, "books": 2.0, "code": 2.0}, sizes=sizes,
                       budget=1_500_000, max_epochs=2.0, rationale="books capped by E_max")
    assert ed.status == "capped" and ed.mixture is not None
    text = ed.config_toml(provenance=True)
    assert text.startswith(ed.config_toml()) and "\n[provenance]\n" in text
    path = tmp_path / "editor.toml"
    path.write_text(text, encoding="utf-8")
    loaded = mixers.hand_tuned(path, domains=DOMAINS)
    assert loaded.allclose(ed.mixture, atol=0)
    mine, back = ed.mixture.provenance["params"], loaded.provenance["params"]
    for key in ("raw", "normalized_from_sum", "caps", "budget", "max_epochs", "projected_onto_caps", "binding_caps"):
        assert back[key] == mine[key], key
    assert back["binding_caps"] == ["books"] and back["projected_onto_caps"] is True
    assert back["written_by"] == "mixture_editor" and back["source"] == "editor.toml"
    assert back["rationale"] == "books capped by E_max"


def test_config_toml_provenance_without_caps_leaves_out_missing_values(tmp_path: Path) -> None:
    ed = MixtureEditor(DOMAINS, rationale='a "quoted" \\ reason')
    text = ed.config_toml(provenance=True)
    assert "caps" not in text.replace("binding_caps", "").replace("projected_onto_caps", "")
    assert "budget" not in text and "max_epochs" not in text
    path = tmp_path / "plain.toml"
    path.write_text(text, encoding="utf-8")
    back = mixers.hand_tuned(path).provenance["params"]
    assert back["raw"] == dict.fromkeys(DOMAINS, 1.0) and back["binding_caps"] == []
    assert back["projected_onto_caps"] is False and back["rationale"] == 'a "quoted" \\ reason'


def test_on_change_listeners_are_called() -> None:
    ed = MixtureEditor(DOMAINS)
    seen: list[dict[str, float]] = []
    ed.on_change(lambda e: seen.append(e.raw))
    ed.sliders["web"].value = 0.5
    ed.set_raw("books", 0.25)
    assert [s["web"] for s in seen] == [0.5, 0.5]
    assert seen[-1]["books"] == 0.25
    ed.rationale_box.value = "typing a rationale does not notify (no retraining)"
    assert len(seen) == 2
    assert ed.mixture is not None and ed.mixture.provenance["params"]["rationale"].startswith("typing")


# ---------------------------------------------------------------- SkillProfileExplorer
@pytest.mark.slow
def test_explorer_trains_on_slider_change_and_redraws(world: World) -> None:
    ex = SkillProfileExplorer(world, SMALL, seed=0)
    assert len(ex.history) == 1 and ex.n_draws == 1
    assert len(ex.output.outputs) == 1 and "image/png" in ex.output.outputs[0]["data"]
    first_png = ex.output.outputs[0]["data"]["image/png"]
    ex.editor.sliders["code"].value = 2.0
    assert len(ex.history) == 2 and ex.n_draws == 2
    assert ex.last_run is ex.history[-1]
    assert ex.last_run.mixture["code"] == pytest.approx(2 / 7)
    assert len(ex.output.outputs) == 1  # replaced, not appended
    assert ex.output.outputs[0]["data"]["image/png"] != first_png
    assert set(ex.profiles()) == {"previous", "current"}
    assert "run 2" in ex.status.value


@pytest.mark.slow
def test_explorer_update_returns_run_and_skips_invalid(world: World) -> None:
    base = mixers.proportional(domain_stats(world.train))
    ex = SkillProfileExplorer(world, SMALL, seed=1, baseline=base, auto=False)
    assert isinstance(ex.baseline_run, ProxyRun)
    assert ex.editor.mixture is not None and ex.editor.mixture.allclose(base)
    n = len(ex.history)
    ex.editor.set_raw("web", 0.0)  # auto=False: no training yet
    assert len(ex.history) == n
    run = ex.update()
    assert isinstance(run, ProxyRun) and run.tokens_spent == SMALL.budget
    assert run.mixture["web"] == 0.0
    ex.editor.set_raws(dict.fromkeys(world.train.domains, 0.0))
    assert ex.update() is None
    assert "not trained" in ex.status.value
    ex.button.click()  # the button goes through the same update()
    assert len(ex.history) == n + 1


def test_explorer_caps_at_the_proxy_budget(world: World) -> None:
    ex = SkillProfileExplorer(world, SMALL, max_epochs=1, auto=False)
    caps = ex.editor.caps
    assert caps is not None
    expected = caps_from_epochs(domain_stats(world.train), SMALL.budget, 1)
    pd.testing.assert_series_equal(caps, expected.rename("cap"), check_names=False)


@pytest.mark.slow
def test_explorer_same_mixture_same_losses(world: World) -> None:
    ex = SkillProfileExplorer(world, SMALL, seed=3, auto=False)
    a = ex.update()
    b = ex.update()
    assert a is not None and b is not None
    pd.testing.assert_series_equal(a.losses, b.losses)


# ---------------------------------------------------------------- TemperatureExplorer
def test_temperature_explorer_follows_slider(world: World) -> None:
    counts = domain_stats(world.train)
    ex = TemperatureExplorer(counts, budget=200_000, max_epochs=4)
    assert ex.mixture.allclose(mixers.proportional(counts))
    h1 = ex.mixture.entropy()
    ex.slider.value = 10.0
    assert ex.T == pytest.approx(10.0)
    assert ex.mixture.allclose(mixers.temperature(counts, T=10.0), atol=1e-9)
    assert ex.mixture.entropy() > h1
    assert "α = 1/T = 0.1" in ex.html
    assert ex.epochs is not None and set(ex.over_cap) == {d for d, e in ex.epochs.items() if e > 4}
    assert "over cap" in ex.html
    assert ex.n_draws == 2 and len(ex.output.outputs) == 1
    assert ex.unimax is not None and ex.unimax.mixer == "unimax"


def test_temperature_explorer_set_temperature_beyond_slider() -> None:
    counts = pd.DataFrame({"docs": [10, 5], "tokens": [900, 100]}, index=pd.Index(["a", "b"], name="domain"))
    ex = TemperatureExplorer(counts, plot=False)
    ex.set_temperature(math.inf)
    assert ex.state()["weights"] == {"a": 0.5, "b": 0.5}
    assert ex.alpha == 0.0 and "T = ∞" in ex.html
    ex.set_temperature(0.5)  # below the slider's range: used exactly
    assert ex.mixture.allclose(mixers.temperature(counts, T=0.5))
    assert ex.n_draws == 0
    with pytest.raises(ValueError, match="> 0"):
        ex.set_temperature(0.0)
    with pytest.raises(ValueError, match="by='tokens'"):
        TemperatureExplorer(counts, by="docs", budget=100)


def test_temperature_explorer_alpha_convention() -> None:
    counts = pd.DataFrame({"docs": [10, 5, 1], "tokens": [900, 90, 10]},
                          index=pd.Index(["a", "b", "c"], name="domain"))
    ex = TemperatureExplorer(counts, convention="alpha", plot=False)
    assert ex.slider.description == "α = 1/T" and ex.slider.value == 1.0
    ex.slider.value = 0.3  # XLM-R / mT5 use α = 0.3
    assert ex.T == pytest.approx(1 / 0.3)
    assert ex.mixture.allclose(mixers.temperature(counts, alpha=0.3), atol=1e-12)
    ex.slider.value = 0.0
    assert math.isinf(ex.T) and ex.state()["weights"] == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    ex.set_alpha(0.5)
    assert ex.T == pytest.approx(2.0) and ex.slider.value == pytest.approx(0.5)
    with pytest.raises(ValueError, match="convention"):
        TemperatureExplorer(counts, convention="beta")


# -- what a notebook shows: a readable line before the cell runs, a figure that fits ----------------


def test_each_explorer_shows_a_readable_line_instead_of_its_children(world: World) -> None:
    stats = domain_stats(world.train)
    shown = {
        "mixture editor": MixtureEditor(DOMAINS).widget,
        "skill profile explorer": SkillProfileExplorer(world, SMALL, seed=0).widget,
        "temperature explorer": TemperatureExplorer(stats, plot=False).widget,
    }
    for what, widget in shown.items():
        bundle = widget._repr_mimebundle_()
        assert bundle["text/plain"] == f"Run this cell to use the {what} (its sliders need a running Python kernel)."
        assert "application/vnd.jupyter.widget-view+json" in bundle  # a live kernel still draws the widget
        assert "children=" not in bundle["text/plain"]


def test_explorer_stacks_its_figure_under_the_controls_at_a_width_that_fits(world: World) -> None:
    import base64
    import struct

    from mixlab.widgets import PLOT_DPI, PLOT_WIDTH

    uniform = Mixture.normalized(dict.fromkeys(world.train.domains, 1.0))
    ex = SkillProfileExplorer(world, SMALL, seed=0, baseline=uniform)
    assert ex.widget.children[-1] is ex.output  # below the sliders, not squeezed beside them
    top = ex.widget.children[0]
    assert list(top.children) == [ex.editor.controls, ex.editor.readout]
    assert top.layout.flex_flow == "row wrap"
    png = base64.b64decode(ex.output.outputs[0]["data"]["image/png"])
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR size
    assert width == round(PLOT_WIDTH * PLOT_DPI) <= 800  # fits a 1280-px window's output area unscaled
    assert height < width / 2


def test_labelled_box_checks_its_kind() -> None:
    from mixlab.widgets import labelled_box

    with pytest.raises(ValueError, match="kind must be 'HBox' or 'VBox'"):
        labelled_box("Grid", [], "editor")
