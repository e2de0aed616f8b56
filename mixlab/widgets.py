"""Interactive explorers for the notebooks, with their logic in plain, testable Python.

Each explorer is a small class: its state lives in ordinary attributes, every change goes
through one method (``_update``), and the ipywidgets objects only forward slider events to
it. Tests (and curious learners) drive the same code without a browser: set
``slider.value`` or call the public setters, then read ``.mixture``, ``.message``,
``.state()`` or the displayed ``.html``. Figures are rendered to PNG and placed in an
``Output`` widget's ``outputs`` directly, so they work identically in a kernel and in tests.

ipywidgets and matplotlib are imported inside the classes that need them.

Used in: 1.1 (skill profile explorer), 3.4 (mixture editor), 3.5 (temperature explorer).
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixlab.mixture import Mixture
from mixlab.proxy import PROXY, ProxyConfig, ProxyRun, train_proxy
from mixlab.validation import check_names, check_seed, format_values

__all__ = ["MixtureEditor", "SkillProfileExplorer", "TemperatureExplorer", "figure_output"]

_TOL = 1e-12


def figure_output(fig: Any, output: Any) -> None:
    """Replace the contents of an ipywidgets ``Output`` with a PNG of ``fig`` and close the figure.

    Writing the ``outputs`` trait directly (instead of ``with output: plt.show()``) behaves the
    same in a live kernel and in a test without one, and never leaks open figures.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    output : ipywidgets.Output

    Used in: 1.1, 3.5 (explorers that redraw a figure).
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    data = {
        "image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
        "text/plain": "<Figure>",
    }
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (got {value!r} of type {type(value).__name__})")
    v = float(value)
    if math.isnan(v) or math.isinf(v) or v < 0:
        raise ValueError(f"{name} must be finite and >= 0 (got {v!r})")
    return v


def _num_cell(text: str) -> str:
    return f"<td style='text-align:right'>{text}</td>"


def _caps_series(caps: Any, domains: tuple[str, ...]) -> pd.Series | None:
    """Caps as a float Series over ``domains`` (None stays None)."""
    if caps is None:
        return None
    if isinstance(caps, pd.Series):
        mapping: Mapping[Any, Any] = caps.to_dict()
    elif isinstance(caps, Mapping):
        mapping = caps
    else:
        raise TypeError(f"caps must be a Series or mapping domain → cap (got {type(caps).__name__})")
    missing = [d for d in domains if d not in mapping]
    unknown = [str(k) for k in mapping if k not in domains]
    if missing or unknown:
        raise ValueError(f"caps must name exactly the domains (missing: {missing}; unknown: {unknown})")
    vals = [_number(mapping[d], f"caps[{d!r}]") for d in domains]
    return pd.Series(vals, index=pd.Index(domains, name="domain"), name="cap")


def _toml_string(text: str) -> str:
    """A TOML basic string (quoted, with backslashes, quotes and control characters escaped)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


def _toml_value(value: Any) -> str:
    """A TOML literal for a JSON-like scalar or list (bool before int: ``True`` is an int in Python)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # repr round-trips exactly; inf/nan are TOML too
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} of type {type(value).__name__} to TOML")


#: Editor provenance keys that hand_tuned records itself (the rationale and source are
#: top-level config keys; ``normalize`` describes hand_tuned's own call).
_NOT_IN_PROVENANCE_TABLE = ("source", "rationale", "normalize")


def _provenance_toml(params: Mapping[str, Any]) -> list[str]:
    """Lines of a ``[provenance]`` table: scalars and lists first, then one sub-table per mapping."""
    items = [(k, v) for k, v in params.items() if k not in _NOT_IN_PROVENANCE_TABLE and v is not None]
    lines = ["# the editor's state when saved; mixlab.mixers.hand_tuned reads it back into the provenance",
             "[provenance]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in items if not isinstance(v, Mapping)]
    for k, v in items:
        if isinstance(v, Mapping):
            lines += ["", f"[provenance.{k}]"]
            lines += [f"{_toml_string(str(d))} = {_toml_value(x)}" for d, x in v.items()]
    return lines


# ============================================================================ MixtureEditor
class MixtureEditor:
    """Sliders of raw importance values per domain, normalized explicitly and projected onto caps.

    Each slider holds a raw, unnormalized value ``r_i >= 0``. The editor shows
    ``raw → normalized`` (``r_i / Σ r``) for every domain. With caps ``u_i`` (e.g.
    ``caps_from_epochs(sizes, B, E_max)``), a normalized weight above its cap is not silently
    clipped: the editor shows the Euclidean projection onto the capped simplex
    (:func:`mixlab.budget.project_capped_simplex`) as a separate column and names the caps that
    bind. Invalid states (all raw values zero, caps that no mixture can satisfy) produce no
    mixture and an explanation in the message area.

    Parameters
    ----------
    domains : sequence of str
        Domain names (one slider each).
    initial : Mixture or mapping domain → raw value, optional
        Starting raw values (default: 1.0 each, i.e. uniform).
    caps : Series or mapping domain → cap, optional
        Upper bounds on the final weights (values >= 1 never bind).
    sizes, budget, max_epochs : optional
        Alternatively to ``caps``: domain sizes in tokens (Series, mapping or counts DataFrame),
        a token budget B and a repetition cap E_max. The caps are then
        ``u_i = min(1, E_max T_i / B)`` and an infeasible budget is reported with the message of
        :func:`mixlab.budget.check_feasible`. :meth:`set_budget` moves B or E_max later.
    max_raw : float, optional
        Slider range upper end (default: 2, or 1.5 × the largest initial value rounded up if bigger).
    step : float
        Slider step.
    continuous_update : bool
        Passed to the sliders (False: update only when a slider is released).
    rationale : str
        Why these weights; stored in the produced mixture's provenance (editable in the widget).

    Attributes
    ----------
    mixture : Mixture or None
        The current valid token-kind mixture (after caps), or None in an invalid state.
    message : str
        What the editor says about the current state.
    status : str
        ``"ok"``, ``"capped"`` (a projection was applied) or ``"invalid"``.
    sliders : dict of ipywidgets.FloatSlider
    widget : ipywidgets.VBox
        The box to display in a notebook.

    Raises
    ------
    TypeError, ValueError
        On bad domains, initial values or caps.

    Examples
    --------
    >>> ed = MixtureEditor(["web", "code"], caps={"web": 0.6, "code": 1.0})
    >>> ed.set_raw("web", 3.0)
    >>> round(ed.mixture["web"], 2), ed.state()["binding"]
    (0.6, ['web'])

    Used in: 3.4 (hand-tuned weights that renormalize live and enforce caps), 1.1.
    """

    def __init__(
        self,
        domains: Sequence[str],
        initial: Mixture | Mapping[str, float] | None = None,
        caps: pd.Series | Mapping[str, float] | None = None,
        *,
        sizes: pd.Series | Mapping[str, float] | pd.DataFrame | None = None,
        budget: float | None = None,
        max_epochs: float | None = None,
        max_raw: float | None = None,
        step: float = 0.01,
        continuous_update: bool = True,
        rationale: str = "",
    ) -> None:
        import ipywidgets as W

        self.domains: tuple[str, ...] = check_names(domains, "domains")
        if initial is None:
            raw = dict.fromkeys(self.domains, 1.0)
        else:
            if isinstance(initial, Mixture) and initial.kind != "token":
                raise ValueError("initial must hold token weights: convert a document-kind mixture with "
                                 "mixture.to_tokens(counts) first")
            pairs = initial.items() if isinstance(initial, Mixture) else dict(initial).items()
            given = {str(k): v for k, v in pairs}
            unknown = [k for k in given if k not in self.domains]
            missing = [d for d in self.domains if d not in given]
            if unknown or missing:
                raise ValueError(f"initial must name exactly the domains (missing: {missing}; unknown: {unknown})")
            raw = {d: _number(given[d], f"initial[{d!r}]") for d in self.domains}
        top = max(raw.values())
        self.max_raw = float(max_raw) if max_raw is not None else max(2.0, float(math.ceil(1.5 * top)))
        if not self.max_raw > 0:
            raise ValueError(f"max_raw must be > 0 (got {max_raw!r})")
        self._caps = _caps_series(caps, self.domains)
        self._infeasible: str | None = None
        self._sizes: Any = None
        self.budget: float | None = None
        self.max_epochs: float | None = None
        limits_given = [x is not None for x in (sizes, budget, max_epochs)]
        if any(limits_given):
            if not all(limits_given):
                raise ValueError("give sizes, budget and max_epochs together (or caps directly)")
            if caps is not None:
                raise ValueError("give either caps or sizes/budget/max_epochs, not both")
            self._sizes = sizes
            self._set_limits(float(budget), float(max_epochs))  # type: ignore[arg-type]
        self._listeners: list[Callable[[MixtureEditor], None]] = []
        self.mixture: Mixture | None = None
        self.message = ""
        self.status = "invalid"
        self._normalized: pd.Series | None = None
        self._final: pd.Series | None = None
        self._binding: list[str] = []
        self.sliders: dict[str, Any] = {}
        for d in self.domains:
            s = W.FloatSlider(value=min(raw[d], self.max_raw), min=0.0, max=max(self.max_raw, raw[d]), step=step,
                              description=d, continuous_update=continuous_update, readout_format=".2f",
                              style={"description_width": "70px"}, layout=W.Layout(width="380px"))
            s.observe(self._on_slider, names="value")
            self.sliders[d] = s
        self.rationale_box = W.Text(value=rationale, description="rationale", placeholder="why these weights?",
                                    continuous_update=False, layout=W.Layout(width="380px"),
                                    style={"description_width": "70px"})
        self.rationale_box.observe(self._on_rationale, names="value")
        self.table = W.HTML()
        self.message_area = W.HTML()
        self.widget = W.VBox([
            W.HTML("<b>Raw importance per domain</b> (any non-negative numbers; normalized explicitly below)"),
            *self.sliders.values(), self.rationale_box, self.table, self.message_area,
        ])
        self._update()

    # ------------------------------------------------------------------ public API
    @property
    def raw(self) -> dict[str, float]:
        """Current raw slider values, by domain."""
        return {d: float(s.value) for d, s in self.sliders.items()}

    @property
    def caps(self) -> pd.Series | None:
        """Current caps (a copy), or None."""
        return None if self._caps is None else self._caps.copy()

    @property
    def rationale(self) -> str:
        """The rationale text stored in the mixture's provenance."""
        return str(self.rationale_box.value)

    @property
    def html(self) -> str:
        """The HTML currently displayed: the raw → normalized table followed by the message."""
        return str(self.table.value) + str(self.message_area.value)

    def set_raw(self, domain: str, value: float) -> None:
        """Set one domain's raw value (exactly as moving its slider would; extends the range if needed).

        Raises
        ------
        KeyError
            Unknown domain.
        TypeError, ValueError
            Non-numeric, NaN, infinite or negative value.
        """
        if domain not in self.sliders:
            raise KeyError(f"unknown domain {domain!r} (editor domains: {', '.join(self.domains)})")
        v = _number(value, f"raw value for {domain!r}")
        s = self.sliders[domain]
        if v > s.max:
            s.max = v
        if float(s.value) == v:
            self._update()
        else:
            s.value = v  # the observer calls _update()

    def set_raws(self, values: Mapping[str, float]) -> None:
        """Set several raw values at once (one update at the end)."""
        checked = {d: _number(v, f"raw value for {d!r}") for d, v in values.items()}
        unknown = [d for d in checked if d not in self.sliders]
        if unknown:
            raise KeyError(f"unknown domains {unknown} (editor domains: {', '.join(self.domains)})")
        for d, v in checked.items():
            s = self.sliders[d]
            s.unobserve(self._on_slider, names="value")
            try:
                if v > s.max:
                    s.max = v
                s.value = v
            finally:
                s.observe(self._on_slider, names="value")
        self._update()

    def set_caps(self, caps: pd.Series | Mapping[str, float] | None) -> None:
        """Replace the caps directly and update (forgets any budget given before)."""
        self._caps = _caps_series(caps, self.domains)
        self._infeasible = None
        self._sizes = self.budget = self.max_epochs = None
        self._update()

    def set_budget(self, budget: float | None = None, max_epochs: float | None = None) -> None:
        """Move the token budget B and/or the epoch cap E_max (needs ``sizes`` from the constructor), then update.

        Raises
        ------
        ValueError
            If the editor was built without ``sizes``/``budget``/``max_epochs``, or on a bad value.
        """
        if self._sizes is None or self.budget is None or self.max_epochs is None:
            raise ValueError("set_budget needs an editor built with sizes, budget and max_epochs")
        self._set_limits(self.budget if budget is None else float(budget),
                         self.max_epochs if max_epochs is None else float(max_epochs))
        self._update()

    def _set_limits(self, budget: float, max_epochs: float) -> None:
        from mixlab.budget import caps_from_epochs, check_feasible

        caps = caps_from_epochs(self._sizes, budget, max_epochs)
        self._caps = _caps_series(caps, self.domains)
        self.budget, self.max_epochs = budget, max_epochs
        try:
            check_feasible(self._sizes, budget, max_epochs)
            self._infeasible = None
        except ValueError as exc:
            self._infeasible = str(exc)

    def config_toml(self, *, provenance: bool = False) -> str:
        """The current weights and rationale as a hand-tuned config (TOML) that :func:`mixlab.mixers.hand_tuned` reads.

        Weights are written with ``repr`` (exact round trip) and sum to 1 as they are.

        Parameters
        ----------
        provenance : bool
            Also write a ``[provenance]`` table with what the editor's own mixture records
            besides the weights: the raw slider values, the sum they were normalized by, the caps,
            the budget B and E_max (when set), whether the weights were projected onto the caps
            and which caps bind. :func:`mixlab.mixers.hand_tuned` copies these entries into the
            loaded mixture's provenance params, so the round trip keeps them. Default False:
            the historical format (rationale, source and weights only). Entries without a value
            (no caps, no budget) are left out, since TOML has no null.

        Returns
        -------
        str
            ``rationale = "…"`` and ``source = "mixture_editor"`` followed by a ``[weights]``
            table (and, with ``provenance=True``, a ``[provenance]`` table).

        Raises
        ------
        TypeError
            If ``provenance`` is not a bool.
        ValueError
            If the editor holds no valid mixture or the rationale is empty (a hand-tuned
            mixture without a written reason is not reproducible).

        Used in: 3.4 (the weights saved as a config with a rationale).
        """
        if not isinstance(provenance, bool):
            raise TypeError(f"provenance must be a bool (got {provenance!r} of type {type(provenance).__name__})")
        if self.mixture is None:
            raise ValueError(f"no valid mixture to save: {self.message}")
        if not self.rationale.strip():
            raise ValueError("write a rationale first: a hand-tuned config needs a reason for its weights")
        text = self.rationale.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines = [f'rationale = "{text}"', 'source = "mixture_editor"', "", "[weights]"]
        lines += [f'"{d}" = {w!r}' for d, w in self.mixture.items()]
        if provenance:
            lines += ["", *_provenance_toml(self.mixture.provenance["params"])]
        return "\n".join(lines) + "\n"

    def on_change(self, callback: Callable[[MixtureEditor], None]) -> None:
        """Call ``callback(editor)`` after every update (used by :class:`SkillProfileExplorer`)."""
        self._listeners.append(callback)

    def state(self) -> dict[str, Any]:
        """Everything the editor currently shows, as plain Python (for tests and printing)."""
        return {
            "raw": self.raw,
            "normalized": None if self._normalized is None else self._normalized.round(12).to_dict(),
            "caps": None if self._caps is None else self._caps.to_dict(),
            "weights": None if self.mixture is None else dict(self.mixture.items()),
            "binding": list(self._binding),
            "status": self.status,
            "message": self.message,
        }

    # ------------------------------------------------------------------ logic
    def _on_slider(self, change: Any = None) -> None:
        self._update()

    def _on_rationale(self, change: Any = None) -> None:
        # the weights did not change: refresh the provenance without notifying listeners (no retraining)
        self._update(notify=False)

    def _update(self, notify: bool = True) -> None:
        """Recompute normalized weights, caps and the mixture from the raw values; refresh the display."""
        from mixlab.budget import project_capped_simplex

        raw = pd.Series(self.raw, name="raw")
        total = float(raw.sum())
        self._normalized, self._final, self._binding, self.mixture = None, None, [], None
        if total <= 0:
            self.status = "invalid"
            self.message = (
                "At least one weight must be positive: every raw value is 0, so there is nothing to normalize."
            )
        else:
            normalized = raw / total
            self._normalized = normalized
            final = normalized
            projected = False
            infeasible = None
            if self._infeasible is not None:
                infeasible = self._infeasible
            elif self._caps is not None:
                u = self._caps.clip(upper=1.0)
                if float(u.sum()) < 1.0 - _TOL:
                    infeasible = (
                        f"infeasible caps: they sum to {float(u.sum()):.4g} < 1, so no mixture can respect them "
                        f"({format_values(self._caps.items())}). Raise the epoch cap, lower the budget or add data."
                    )
                elif (normalized > self._caps + _TOL).any():
                    final = pd.Series(project_capped_simplex(normalized.to_numpy(), self._caps.to_numpy()),
                                      index=normalized.index)
                    projected = True
            if infeasible is not None:
                self.status = "invalid"
                self.message = infeasible
            else:
                self._final = final
                if projected and self._caps is not None:
                    at_cap = (final >= self._caps - 1e-9) & (self._caps < 1.0)
                    self._binding = [d for d in self.domains if bool(at_cap[d])]
                    over = [d for d in self.domains if normalized[d] > self._caps[d] + _TOL]
                    self.status = "capped"
                    self.message = (
                        "Caps bind for " + ", ".join(f"{d} (cap {self._caps[d]:.3f})" for d in self._binding)
                        + ". The normalized weights of " + ", ".join(over) + " exceed their caps, so the mixture "
                        "used is their projection onto the capped simplex (closest point with every w_i <= cap "
                        "and Σ w = 1)."
                    )
                else:
                    self.status = "ok"
                    self.message = f"Valid mixture: raw values divided by their sum {total:.4g}."
                self.mixture = self._make_mixture(raw, total, projected)
        self._render()
        if notify:
            for cb in self._listeners:
                cb(self)

    def _make_mixture(self, raw: pd.Series, total: float, projected: bool) -> Mixture:
        assert self._final is not None
        w = self._final.to_numpy(dtype=np.float64)
        w = w / w.sum()  # remove rounding residue of the division / projection (≤ 1e-15)
        params = {
            "source": "mixture_editor",
            "rationale": self.rationale,
            "normalize": True,
            "raw": {d: float(v) for d, v in raw.items()},
            "normalized_from_sum": total,
            "caps": None if self._caps is None else {d: float(v) for d, v in self._caps.items()},
            "budget": self.budget,
            "max_epochs": self.max_epochs,
            "projected_onto_caps": projected,
            "binding_caps": list(self._binding),
        }
        return Mixture(dict(zip(self.domains, w.tolist(), strict=True)), domains=list(self.domains),
                       provenance={"mixer": "hand_tuned", "params": params})

    def _render(self) -> None:
        head = "<tr><th>domain</th><th>raw</th><th>→ normalized</th>"
        if self._caps is not None:
            head += "<th>cap</th><th>→ after caps</th>"
        head += "<th></th></tr>"
        rows = []
        for d in self.domains:
            r = self.raw[d]
            n = "—" if self._normalized is None else f"{self._normalized[d]:.3f}"
            cells = f"<td>{html.escape(d)}</td>{_num_cell(f'{r:.2f}')}{_num_cell(n)}"
            width = 0.0
            if self._caps is not None:
                f = "—" if self._final is None else f"{self._final[d]:.3f}"
                mark = " ⟵ cap binds" if d in self._binding else ""
                cells += _num_cell(f"{self._caps[d]:.3f}") + _num_cell(f + mark)
            if self._final is not None:
                width = float(self._final[d])
            cells += f"<td><div style='background:#3B75AF;height:0.8em;width:{150 * width:.1f}px'></div></td>"
            rows.append(f"<tr>{cells}</tr>")
        total = sum(self.raw.values())
        limits = ""
        if self.budget is not None and self.max_epochs is not None:
            limits = (f"<br>caps u_i = min(1, E_max T_i / B) with B = {self.budget:,.0f} tokens, "
                      f"E_max = {self.max_epochs:g} epochs")
        self.table.value = (
            f"<div><b>raw → normalized</b> (each raw value ÷ their sum {total:.4g}){limits}"
            f"<table>{head}{''.join(rows)}</table></div>"
        )
        color = {"ok": "#2E7D32", "capped": "#B26A00", "invalid": "#C62828"}[self.status]
        self.message_area.value = f"<div style='color:{color}'>{html.escape(self.message)}</div>"


# ============================================================================ SkillProfileExplorer
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
        Holds the latest figure (PNG).
    n_draws : int
        How many figures were drawn.
    widget : ipywidgets.HBox

    Used in: 1.1 (sliders that move weights and redraw the profile).
    """

    def __init__(
        self,
        world: Any,
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
        self.output = W.Output()
        self.editor.on_change(self._on_editor)
        self.widget = W.HBox([W.VBox([self.editor.widget, self.button, self.status]), self.output])
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

    def figure(self) -> Any:
        """A new matplotlib Figure: mixtures (left) and skill profiles (right) of :meth:`profiles`."""
        import matplotlib.pyplot as plt

        from mixlab.plots import mixture_bars, skill_profile_plot

        runs = self.profiles()
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.8), width_ratios=(1, 1.4), layout="constrained")
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


# ============================================================================ TemperatureExplorer
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

        from mixlab.mixers import check_counts

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
        self.output = W.Output()
        self.widget = W.VBox([self.slider, self.table, self.output])
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
        a = _number(alpha, "alpha")
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
    v = _number(value, name)
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
