"""The skill profile explorer: a mixture editor wired to a proxy model that retrains and redraws.

Used in: 1.1 (sliders that move weights and redraw the skill profile).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from mixlab.mixture import Mixture
from mixlab.proxy import PROXY, ProxyConfig, ProxyRun, train_proxy
from mixlab.validation import check_seed
from mixlab.widgets.display import PLOT_WIDTH, figure_output, labelled_box
from mixlab.widgets.editor import MixtureEditor

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mixlab.world import World

__all__ = ["SkillProfileExplorer"]


class SkillProfileExplorer:
    """A :class:`MixtureEditor` wired to a proxy model: train on the mixture, redraw the skill profile.

    Every valid change of the editor (with ``auto=True``; sliders update on release) or a click
    on "train proxy" trains :func:`mixlab.proxy.train_proxy` on the current mixture with the same
    configuration and seed, so two profiles differ only by the mixture. The figure shows the
    mixture next to the skill profile, with the baseline and the previous run as references.

    Parameters
    ----------
    world : World
        The synthetic world (its training corpus, validation sets and entropy floor).
    config : ProxyConfig
        Proxy capacity and budget (default :data:`mixlab.proxy.PROXY`).
    seed : int
        Sampling seed used for every run.
    baseline : Mixture or ProxyRun, optional
        A reference profile kept on the plot (a Mixture is trained once).
    initial : Mixture or mapping, optional
        Starting raw values (default: the baseline mixture, else uniform).
    caps : Series or mapping, optional
        Weight caps passed to the editor.
    max_epochs : float, optional
        Instead of ``caps``: cap every domain at E_max epochs of the proxy's own budget
        (``u_i = min(1, E_max T_i / config.budget)`` with ``T_i`` from ``world.train``).
    auto : bool
        Retrain on every valid change (else only on the button).

    Attributes
    ----------
    editor : MixtureEditor
    last_run : ProxyRun or None
    history : list of ProxyRun
        Every run trained by this explorer, oldest first.
    baseline_run : ProxyRun or None
    output : ipywidgets.Output
        Holds the latest figure (PNG, :data:`~mixlab.widgets.display.PLOT_WIDTH` inches at
        :data:`~mixlab.widgets.display.PLOT_DPI`, so it is shown at its natural size).
    n_draws : int
        How many figures were drawn.
    widget : ipywidgets.VBox
        Sliders and the mixture table on top, the figure below; before its cell runs, a notebook
        shows the line "Run this cell to use the skill profile explorer ..." in its place.

    Used in: 1.1 (sliders that move weights and redraw the profile).
    """

    def __init__(
        self,
        world: World,
        config: ProxyConfig = PROXY,
        seed: int = 0,
        baseline: Mixture | ProxyRun | None = None,
        *,
        initial: Mixture | Mapping[str, float] | None = None,
        caps: pd.Series | Mapping[str, float] | None = None,
        max_epochs: float | None = None,
        auto: bool = True,
    ) -> None:
        import ipywidgets as W

        if not isinstance(config, ProxyConfig):
            raise TypeError(f"config must be a ProxyConfig (got {type(config).__name__})")
        self.world = world
        self.config = config
        self.seed = check_seed(seed)
        self.auto = bool(auto)
        self.history: list[ProxyRun] = []
        self.last_run: ProxyRun | None = None
        self.n_draws = 0
        domains = tuple(world.train.domains)
        if isinstance(baseline, Mixture):
            self.baseline_run: ProxyRun | None = train_proxy(world, baseline, config, self.seed)
        elif isinstance(baseline, ProxyRun) or baseline is None:
            self.baseline_run = baseline
        else:
            raise TypeError(f"baseline must be a Mixture, a ProxyRun or None (got {type(baseline).__name__})")
        if initial is None and self.baseline_run is not None:
            initial = self.baseline_run.mixture
        limits: dict[str, Any] = {}
        if max_epochs is not None:
            from mixlab.domains import domain_stats

            limits = {"sizes": domain_stats(world.train), "budget": float(config.budget), "max_epochs": max_epochs}
        self.editor = MixtureEditor(domains, initial=initial, caps=caps, continuous_update=False, **limits)
        self.button = W.Button(description="train proxy", icon="play", tooltip="train a proxy on this mixture")
        self.button.on_click(lambda _b: self.update())
        self.status = W.HTML()
        self.output = W.Output(layout=W.Layout(max_width="100%"))
        self.editor.on_change(self._on_editor)
        # controls and table side by side when there is room (they wrap otherwise), the figure below at full width
        top = W.HBox([self.editor.controls, self.editor.readout],
                     layout=W.Layout(flex_flow="row wrap", align_items="flex-start", max_width="100%"))
        self.widget = labelled_box("VBox", [top, W.HBox([self.button, self.status]), self.output],
                                   "skill profile explorer", layout=W.Layout(max_width="100%"))
        self.update()

    def _on_editor(self, editor: MixtureEditor) -> None:
        if self.auto:
            self.update()

    def update(self) -> ProxyRun | None:
        """Train a proxy on the editor's current mixture, record it and redraw; None if the mixture is invalid.

        Returns
        -------
        ProxyRun or None
        """
        mixture = self.editor.mixture
        if mixture is None:
            self.status.value = f"<i>not trained: {html.escape(self.editor.message)}</i>"
            return None
        run = train_proxy(self.world, mixture, self.config, self.seed)
        self.history.append(run)
        self.last_run = run
        mean = float(run.losses.mean())
        self.status.value = (
            f"run {len(self.history)}: {run.tokens_spent:,} training tokens, mean loss {mean:.4f} nats/token"
        )
        self.redraw()
        return run

    def profiles(self) -> dict[str, ProxyRun]:
        """The runs currently on the plot: baseline, previous (unless it repeats the baseline) and current."""
        out: dict[str, ProxyRun] = {}
        if self.baseline_run is not None:
            out["baseline"] = self.baseline_run
        if len(self.history) >= 2:
            prev = self.history[-2]
            same_as_baseline = self.baseline_run is not None and prev.mixture.allclose(self.baseline_run.mixture)
            if not same_as_baseline:  # the same mixture and seed give the same profile: draw it once
                out["previous"] = prev
        if self.last_run is not None:
            out["current"] = self.last_run
        return out

    def figure(self) -> Figure:
        """A new matplotlib Figure: mixtures (left) and skill profiles (right) of :meth:`profiles`."""
        import matplotlib.pyplot as plt

        from mixlab.plots import mixture_bars, skill_profile_plot

        runs = self.profiles()
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(PLOT_WIDTH, 3.6), width_ratios=(1, 1.4), layout="constrained")
        mixture_bars({k: r.mixture for k, r in runs.items()}, ax=ax0, title="Mixtures")
        skill_profile_plot({k: r.skill_profile() for k, r in runs.items()}, ax=ax1,
                           title=f"Skill profile ({self.config.name}, {self.config.budget:,} tokens)")
        return fig

    def redraw(self) -> None:
        """Render :meth:`figure` into :attr:`output` (replacing the previous figure)."""
        if not self.profiles():
            return
        figure_output(self.figure(), self.output)
        self.n_draws += 1
