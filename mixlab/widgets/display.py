"""What the explorers show: figures in an ``Output``, boxes with a readable fallback, table cells, checks.

- :func:`figure_output` puts a PNG of a matplotlib figure into an ipywidgets ``Output``, at a size
  (:data:`PLOT_DPI`, :data:`PLOT_WIDTH`) that fits a notebook's output area in a 1280-pixel window
  without being scaled down.
- :func:`labelled_box` builds the ``HBox``/``VBox`` an explorer displays, whose plain-text form
  (what a notebook shows before its cell has run, when there is no live widget) is a readable
  line such as "Run this cell to use the mixture editor" instead of ``HBox(children=(...``.

ipywidgets and matplotlib are imported inside the functions that need them.

Used in: the explorers of :mod:`mixlab.widgets`.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PLOT_DPI", "PLOT_WIDTH", "figure_output", "labelled_box", "placeholder_text"]

#: Resolution of the PNGs shown inside widgets (dots per inch).
PLOT_DPI = 90
#: Width (inches) of a full-width explorer figure: 8.6 in at 90 dpi is 774 px, which fits the output
#: area of a notebook in a 1280 x 800 window with JupyterLab's file browser open, so the browser
#: shows the figure at its natural size (legends stay readable).
PLOT_WIDTH = 8.6


def figure_output(fig: Figure, output: Any, *, dpi: int = PLOT_DPI) -> None:
    """Replace the contents of an ipywidgets ``Output`` with a PNG of ``fig`` and close the figure.

    Writing the ``outputs`` trait directly (instead of ``with output: plt.show()``) behaves the
    same in a live kernel and in a test without one, and never leaks open figures.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to show.
    output : ipywidgets.Output
        Where to show it; its previous contents are replaced.
    dpi : int
        Resolution of the PNG (its pixel width is the figure's width in inches times ``dpi``).

    Used in: the explorers that redraw a figure (:class:`~mixlab.widgets.SkillProfileExplorer`,
    :class:`~mixlab.widgets.TemperatureExplorer`).
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    data = {
        "image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
        "text/plain": "<Figure>",
    }
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


def placeholder_text(what: str) -> str:
    """The line a notebook shows for an explorer whose cell has not run: ``Run this cell to use the <what> ...``.

    Parameters
    ----------
    what : str
        The explorer's name, e.g. ``"mixture editor"``.

    Returns
    -------
    str
        One readable line.

    Used in: :func:`labelled_box` (what an unexecuted widget cell shows).
    """
    return f"Run this cell to use the {what} (its sliders need a running Python kernel)."


@functools.cache
def _box_class(kind: str) -> type:
    import ipywidgets as W

    base = {"HBox": W.HBox, "VBox": W.VBox}[kind]

    class LabelledBox(base):  # type: ignore[misc, valid-type]
        """An ipywidgets box whose plain-text representation is a readable line, not its children."""

        placeholder = "Run this cell to use the widget."

        def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
            data = super()._repr_mimebundle_(**kwargs)
            if data is not None:
                data["text/plain"] = self.placeholder
            return data

    LabelledBox.__name__ = LabelledBox.__qualname__ = f"Labelled{kind}"
    return LabelledBox


def labelled_box(kind: str, children: Sequence[Any], what: str, **kwargs: Any) -> Any:
    """An ipywidgets ``HBox`` or ``VBox`` whose text form reads "Run this cell to use the <what> ...".

    A notebook stores the text form next to every widget output; JupyterLab shows it when the
    widget itself cannot be drawn (the notebook was opened but not run), and the course site
    replaces the widget by a note. The widget itself is an ordinary box.

    Parameters
    ----------
    kind : {"HBox", "VBox"}
        Horizontal or vertical box.
    children : sequence of widgets
        What the box holds.
    what : str
        The explorer's name for :func:`placeholder_text`.
    **kwargs
        Passed to the box (e.g. ``layout``).

    Returns
    -------
    ipywidgets.HBox or ipywidgets.VBox

    Raises
    ------
    ValueError
        If ``kind`` is neither ``"HBox"`` nor ``"VBox"``.

    Used in: the box each explorer of :mod:`mixlab.widgets` displays.
    """
    if kind not in ("HBox", "VBox"):
        raise ValueError(f"kind must be 'HBox' or 'VBox' (got {kind!r})")
    box = _box_class(kind)(children=list(children), **kwargs)
    box.placeholder = placeholder_text(what)
    return box


def _num_cell(text: str) -> str:
    """A right-aligned HTML table cell (for numbers)."""
    return f"<td style='text-align:right'>{text}</td>"


def _check_number(value: Any, name: str) -> float:
    """A finite real number >= 0 (not a bool), else TypeError/ValueError naming ``name`` and the value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number (got {value!r} of type {type(value).__name__})")
    v = float(value)
    if math.isnan(v) or math.isinf(v) or v < 0:
        raise ValueError(f"{name} must be finite and >= 0 (got {v!r})")
    return v


def _caps_series(caps: pd.Series | Mapping[str, float] | None, domains: tuple[str, ...]) -> pd.Series | None:
    """Caps as a float Series over ``domains`` (None stays None); every domain named exactly once."""
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
    vals = [_check_number(mapping[d], f"caps[{d!r}]") for d in domains]
    return pd.Series(vals, index=pd.Index(domains, name="domain"), name="cap")
