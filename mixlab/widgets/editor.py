"""The mixture editor: sliders of raw importance per domain, normalized explicitly and projected onto caps.

The editor's state lives in ordinary attributes and every change goes through one method
(``_update``); the ipywidgets objects only forward slider events to it, so tests (and learners)
drive the same code without a browser: set ``slider.value`` or call :meth:`MixtureEditor.set_raw`,
then read ``.mixture``, ``.message``, ``.state()`` or the displayed ``.html``.

Used in: 3.4 (hand-tuned weights that renormalize live and enforce caps), 1.1 (inside the skill
profile explorer), 00.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixlab.config import dumps_toml
from mixlab.mixture import Mixture
from mixlab.validation import check_names, format_values
from mixlab.widgets.display import _caps_series, _check_number, _num_cell, labelled_box

__all__ = ["MixtureEditor"]

_TOL = 1e-12
#: Width of the sliders and the rationale box.
CONTROLS_WIDTH = "380px"

#: Editor provenance keys that hand_tuned records itself (the rationale and source are
#: top-level config keys; ``normalize`` describes hand_tuned's own call).
_NOT_IN_PROVENANCE_TABLE = ("source", "rationale", "normalize")
_PROVENANCE_COMMENT = "the editor's state when saved; mixlab.mixers.hand_tuned reads it back into the provenance"


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
    controls : ipywidgets.VBox
        The sliders and the rationale box.
    readout : ipywidgets.VBox
        The raw → normalized table and the message.
    widget : ipywidgets.VBox
        The box to display in a notebook (controls above the readout); before its cell runs, a
        notebook shows the line "Run this cell to use the mixture editor ..." in its place.

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

    Used in: 3.4 (hand-tuned weights that renormalize live and enforce caps), 00; inside
    :class:`~mixlab.widgets.SkillProfileExplorer`.
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
            raw = {d: _check_number(given[d], f"initial[{d!r}]") for d in self.domains}
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
                              style={"description_width": "70px"}, layout=W.Layout(width=CONTROLS_WIDTH))
            s.observe(self._on_slider, names="value")
            self.sliders[d] = s
        self.rationale_box = W.Text(value=rationale, description="rationale", placeholder="why these weights?",
                                    continuous_update=False, layout=W.Layout(width=CONTROLS_WIDTH),
                                    style={"description_width": "70px"})
        self.rationale_box.observe(self._on_rationale, names="value")
        self.table = W.HTML()
        self.message_area = W.HTML()
        self.controls = W.VBox([
            W.HTML("<b>Raw importance per domain</b> (any non-negative numbers; normalized explicitly below)"),
            *self.sliders.values(), self.rationale_box,
        ])
        self.readout = W.VBox([self.table, self.message_area], layout=W.Layout(max_width="100%"))
        self.widget = labelled_box("VBox", [self.controls, self.readout], "mixture editor",
                                   layout=W.Layout(max_width="100%"))
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
        v = _check_number(value, f"raw value for {domain!r}")
        s = self.sliders[domain]
        if v > s.max:
            s.max = v
        if float(s.value) == v:
            self._update()
        else:
            s.value = v  # the observer calls _update()

    def set_raws(self, values: Mapping[str, float]) -> None:
        """Set several raw values at once (one update at the end)."""
        checked = {d: _check_number(v, f"raw value for {d!r}") for d, v in values.items()}
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
        doc: dict[str, object] = {"rationale": self.rationale, "source": "mixture_editor",
                                  "weights": dict(self.mixture.items())}
        quoted = ["weights"]
        if provenance:
            params = self.mixture.provenance["params"]
            table = {k: v for k, v in params.items() if k not in _NOT_IN_PROVENANCE_TABLE and v is not None}
            doc["provenance"] = table
            quoted += [f"provenance.{k}" for k, v in table.items() if isinstance(v, Mapping)]
        return dumps_toml(doc, quoted_tables=quoted, comments={"provenance": _PROVENANCE_COMMENT})

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
