"""The temperature explorer: a slider over ``w_i ∝ p_i^{1/T}`` with weights, entropy and epochs at a budget.

Used in: 3.5 (a temperature slider; α vs T conventions; entropy and epochs vs T).
"""

from __future__ import annotations

import html
import math
import numbers
from typing import Any

import pandas as pd

from mixlab.mixture import Mixture
from mixlab.widgets.display import _check_number, figure_output, labelled_box

__all__ = ["TemperatureExplorer"]


class TemperatureExplorer:
    """A temperature slider over ``w_i ∝ p_i^{1/T}``: weights, entropy and epochs at a budget.

    Parameters
    ----------
    counts : pandas.DataFrame
        Counts table (columns ``docs``, ``tokens``), e.g. ``domain_stats(world.train)``.
    T : float
        Starting temperature (> 0).
    budget : float, optional
        Token budget B; with it the table shows epochs ``e_i = w_i B / T_i``.
    max_epochs : float, optional
        Repetition cap; domains above it are flagged.
    by : {"tokens", "docs"}
        Natural shares by tokens or documents (epochs need ``"tokens"``).
    T_range : (float, float)
        Slider range of T (log scale) for ``convention="T"``.
    convention : {"T", "alpha"}
        Slide the temperature T (log scale) or the exponent α = 1/T in [0, 1] (linear; α = 0
        is the uniform limit T = ∞). Both show the same mixture for the same T.
    plot : bool
        Also draw the natural, current and uniform mixtures in an Output.

    Attributes
    ----------
    mixture : Mixture
        The current temperature mixture (:func:`mixlab.mixers.temperature`).
    T : float
    epochs : pandas.Series or None
    over_cap : list of str
        Domains above ``max_epochs`` at the current T.
    unimax : Mixture or None
        UniMax at (budget, max_epochs), the capped alternative, when both are given and feasible.
    slider : ipywidgets.FloatLogSlider (T) or FloatSlider (α)
    widget : ipywidgets.VBox
        Slider, table and figure; before its cell runs, a notebook shows the line "Run this cell
        to use the temperature explorer ..." in its place.

    Used in: 3.5 (a temperature slider; α vs T conventions; entropy and epochs vs T).
    """

    def __init__(
        self,
        counts: pd.DataFrame,
        T: float = 1.0,
        *,
        budget: float | None = None,
        max_epochs: float | None = None,
        by: str = "tokens",
        T_range: tuple[float, float] = (1.0, 100.0),
        convention: str = "T",
        plot: bool = True,
    ) -> None:
        import ipywidgets as W

        from mixlab.validation import check_counts

        self.counts = check_counts(counts)
        if by not in ("tokens", "docs"):
            raise ValueError(f"by must be 'tokens' or 'docs' (got {by!r})")
        if budget is not None and by != "tokens":
            raise ValueError("epochs need token weights: use by='tokens' with a budget")
        self.by = by
        self.budget = None if budget is None else _positive(budget, "budget")
        self.max_epochs = None if max_epochs is None else _positive(max_epochs, "max_epochs")
        lo, hi = T_range
        if not (0 < lo < hi < math.inf):
            raise ValueError(f"T_range must satisfy 0 < low < high < inf (got {T_range!r})")
        if convention not in ("T", "alpha"):
            raise ValueError(f"convention must be 'T' or 'alpha' (got {convention!r})")
        self.convention = convention
        self.T = _temperature(T)
        self.plot = plot
        self.n_draws = 0
        if convention == "T":
            self.slider = W.FloatLogSlider(value=min(max(self.T, lo), hi), base=10, min=math.log10(lo),
                                           max=math.log10(hi), step=0.02, description="T",
                                           continuous_update=True, readout_format=".3g")
        else:
            self.slider = W.FloatSlider(value=min(self.alpha, 1.0), min=0.0, max=1.0, step=0.01,
                                        description="α = 1/T", continuous_update=True, readout_format=".2f",
                                        style={"description_width": "60px"})
        self.slider.observe(self._on_slider, names="value")
        self.table = W.HTML()
        self.output = W.Output(layout=W.Layout(max_width="100%"))
        self.widget = labelled_box("VBox", [self.slider, self.table, self.output], "temperature explorer",
                                   layout=W.Layout(max_width="100%"))
        self._setting = False
        self._update()

    @property
    def alpha(self) -> float:
        """The exponent α = 1/T (0 for T = ∞)."""
        return 0.0 if math.isinf(self.T) else 1.0 / self.T

    @property
    def html(self) -> str:
        """The HTML table currently displayed."""
        return str(self.table.value)

    def set_temperature(self, T: float) -> None:
        """Set T (> 0, ``math.inf`` allowed) exactly as moving the slider would; values outside the
        slider's range are used exactly while the slider shows its nearest end.

        Raises
        ------
        TypeError, ValueError
            Non-numeric, NaN or non-positive T.
        """
        self.T = _temperature(T)
        self._setting = True
        try:
            if self.convention == "T":
                self.slider.value = min(max(self.T, 10 ** self.slider.min), 10 ** self.slider.max)
            else:
                self.slider.value = min(self.alpha, 1.0)
        finally:
            self._setting = False
        self._update()

    def set_alpha(self, alpha: float) -> None:
        """Set the exponent α = 1/T (>= 0; α = 0 is T = ∞, the uniform mixture).

        Raises
        ------
        TypeError, ValueError
            Non-numeric, NaN, infinite or negative α.
        """
        a = _check_number(alpha, "alpha")
        self.set_temperature(math.inf if a == 0 else 1.0 / a)

    def _on_slider(self, change: Any = None) -> None:
        if self._setting:
            return
        v = float(self.slider.value)
        if self.convention == "T":
            self.T = v
        else:
            self.T = math.inf if v <= 0 else 1.0 / v
        self._update()

    def state(self) -> dict[str, Any]:
        """Current T, α, weights, entropy, effective domains and epochs, as plain Python."""
        return {
            "T": self.T,
            "alpha": self.alpha,
            "weights": dict(self.mixture.items()),
            "entropy": self.mixture.entropy(),
            "effective_domains": self.mixture.effective_domains(),
            "epochs": None if self.epochs is None else self.epochs.to_dict(),
            "over_cap": list(self.over_cap),
        }

    def _update(self) -> None:
        from mixlab.budget import epochs_from_weights
        from mixlab.mixers import proportional, temperature, unimax

        self.mixture = temperature(self.counts, T=self.T, by=self.by)  # type: ignore[arg-type]
        natural = proportional(self.counts, by=self.by)  # type: ignore[arg-type]
        self.epochs: pd.Series | None = None
        self.over_cap: list[str] = []
        self.unimax: Mixture | None = None
        if self.budget is not None:
            self.epochs = epochs_from_weights(self.mixture, self.budget, self.counts, on_empty="inf")
            if self.max_epochs is not None:
                self.over_cap = [str(d) for d, e in self.epochs.items() if e > self.max_epochs * (1 + 1e-9)]
                try:
                    self.unimax = unimax(self.counts, self.budget, self.max_epochs)
                except ValueError:
                    self.unimax = None  # infeasible budget: UniMax has nothing to show
        T_text = "∞" if math.isinf(self.T) else f"{self.T:.3g}"
        k = len(self.mixture)
        head = "<tr><th>domain</th><th>natural share p_i</th><th>weight w_i</th>"
        if self.epochs is not None:
            head += "<th>epochs at B</th>"
        head += "</tr>"
        rows = []
        for d in self.mixture.domains:
            cells = (f"<td>{html.escape(d)}</td><td style='text-align:right'>{natural[d]:.3f}</td>"
                     f"<td style='text-align:right'>{self.mixture[d]:.3f}</td>")
            if self.epochs is not None:
                flag = " ⚠ over cap" if d in self.over_cap else ""
                cells += f"<td style='text-align:right'>{self.epochs[d]:.3g}{flag}</td>"
            rows.append(f"<tr>{cells}</tr>")
        summary = (
            f"T = {T_text} (α = 1/T = {self.alpha:.3g}); entropy H = {self.mixture.entropy():.3f} nats "
            f"(max log k = {math.log(k):.3f}); effective domains exp(H) = {self.mixture.effective_domains():.2f} of {k}"
        )
        extra = ""
        if self.budget is not None:
            extra = f"<br>budget B = {self.budget:,.0f} tokens"
            if self.max_epochs is not None:
                extra += f", cap E_max = {self.max_epochs:g}: " + (
                    f"over the cap: {', '.join(self.over_cap)}" if self.over_cap else "every domain within the cap")
        self.table.value = f"<div>{html.escape(summary)}{extra}<table>{head}{''.join(rows)}</table></div>"
        if self.plot:
            self._draw(natural)

    def _draw(self, natural: Mixture) -> None:
        import matplotlib.pyplot as plt

        from mixlab.mixers import temperature
        from mixlab.plots import mixture_bars

        uniform = temperature(self.counts, T=math.inf, by=self.by)  # type: ignore[arg-type]
        T_text = "∞" if math.isinf(self.T) else f"{self.T:.3g}"
        shown = {"natural (T = 1)": natural, f"T = {T_text}": self.mixture, "uniform (T → ∞)": uniform}
        if self.unimax is not None:
            shown[f"UniMax (E_max = {self.max_epochs:g})"] = self.unimax
        fig, ax = plt.subplots(figsize=(7, 0.55 * len(shown) + 1.2), layout="constrained")
        mixture_bars(shown, ax=ax, title=None)
        figure_output(fig, self.output)
        self.n_draws += 1


def _positive(value: Any, name: str) -> float:
    v = _check_number(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be > 0 (got {v!r})")
    return v


def _temperature(T: Any) -> float:
    if isinstance(T, bool) or not isinstance(T, numbers.Real):
        raise TypeError(f"T must be a real number > 0 (got {T!r} of type {type(T).__name__})")
    t = float(T)
    if math.isnan(t) or t <= 0:
        raise ValueError(f"T must be > 0 (got {t!r}); T = 1 is proportional, T → inf is uniform")
    return t
