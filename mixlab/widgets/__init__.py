"""Interactive explorers for the notebooks, with their logic in plain, testable Python.

Each explorer is a small class: its state lives in ordinary attributes, every change goes
through one method (``_update``), and the ipywidgets objects only forward slider events to
it. Tests (and curious learners) drive the same code without a browser: set
``slider.value`` or call the public setters, then read ``.mixture``, ``.message``,
``.state()`` or the displayed ``.html``. Figures are rendered to PNG and placed in an
``Output`` widget's ``outputs`` directly, so they work identically in a kernel and in tests.

One module per explorer, plus what they show (:mod:`mixlab.widgets.display`):

- :mod:`mixlab.widgets.editor`: :class:`MixtureEditor` (3.4, 00);
- :mod:`mixlab.widgets.skill_profile`: :class:`SkillProfileExplorer` (1.1);
- :mod:`mixlab.widgets.temperature`: :class:`TemperatureExplorer` (3.5);
- :mod:`mixlab.widgets.display`: :func:`figure_output`, :func:`labelled_box` (the readable line a
  notebook shows for a widget whose cell has not run), the plot size that fits a notebook.

ipywidgets and matplotlib are imported inside the classes that need them.

Used in: 1.1 (skill profile explorer), 3.4 (mixture editor), 3.5 (temperature explorer), 00.
"""

from __future__ import annotations

from mixlab.widgets.display import PLOT_DPI, PLOT_WIDTH, figure_output, labelled_box, placeholder_text
from mixlab.widgets.editor import MixtureEditor
from mixlab.widgets.skill_profile import SkillProfileExplorer
from mixlab.widgets.temperature import TemperatureExplorer

__all__ = [
    "MixtureEditor",
    "SkillProfileExplorer",
    "TemperatureExplorer",
    "figure_output",
    "labelled_box",
    "placeholder_text",
    "PLOT_DPI",
    "PLOT_WIDTH",
]
