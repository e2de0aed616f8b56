""""Check yourself": the exercise registry, its checkers and collapsible solutions.

A notebook exercise is one registered :class:`~mixlab.exercises.registry.Exercise` (id such as
``"2.2/doc-to-token-weights"``, statement, kind, estimated minutes, reference answer, tolerance,
hints) and four cells: ``exercise("2.2/…")`` shows its header; an ``exercise``-tagged cell holds
the learner's stub; a ``check``-tagged cell is one call, ``check("2.2/…", answer)`` (or
``predict("2.2/…", prediction)``), with no formula, data access or expected value in it; a
``solution``-tagged cell (collapsed) shows one way to do it. See docs/notebook-guide.md.

Modules, one concept each:

- :mod:`~mixlab.exercises.verdicts` — :class:`Verdict` (✓ / ✗, text and HTML) and :func:`reveal`;
- :mod:`~mixlab.exercises.answers` — reading answers (numbers, tables, names, yes/no);
- :mod:`~mixlab.exercises.numbers`, :mod:`~mixlab.exercises.mixtures`,
  :mod:`~mixlab.exercises.budgets`, :mod:`~mixlab.exercises.rankings` — comparisons with the
  diagnostic hints (percent for fraction, reciprocal, missing ½, document for token weights,
  α for T, R = epochs for epochs − 1, swapped domains, …);
- :mod:`~mixlab.exercises.registry` — exercises, the registry, :func:`check`, :func:`exercise`;
- :mod:`~mixlab.exercises.implement` — implement-it exercises and their runner;
- :mod:`~mixlab.exercises.given` — compute exercises whose check cell passes notebook objects by name;
- ``mixlab/exercises/tasks_*.py`` (:mod:`~mixlab.exercises.tasks_mixtures`,
  :mod:`~mixlab.exercises.tasks_data`, …) — ready-made implement-it tasks (hidden cases and
  reference adapters);
- :mod:`~mixlab.exercises.predict` — predict-then-run questions;
- :mod:`~mixlab.exercises.cells` — how exercises sit in notebook cells (used by the tests);
- ``mixlab/exercises/catalog/s<section>.py`` — one catalog per lesson.

Used in: the Exercises section of every lesson.
"""

from mixlab.exercises.budgets import compare_epochs, compare_feasible
from mixlab.exercises.implement import FunctionTask, ImplementExercise
from mixlab.exercises.mixtures import compare_mixture, compare_temperature_weights
from mixlab.exercises.numbers import compare_number
from mixlab.exercises.predict import PredictExercise, predict
from mixlab.exercises.rankings import compare_ranking
from mixlab.exercises.registry import (
    ComputeExercise,
    Exercise,
    all_exercises,
    check,
    exercise,
    exercise_overview,
    get_exercise,
    lesson_exercises,
)
from mixlab.exercises.verdicts import Reveal, Verdict, reveal

__all__ = [
    "check",
    "predict",
    "exercise",
    "exercise_overview",
    "Exercise",
    "ComputeExercise",
    "ImplementExercise",
    "PredictExercise",
    "FunctionTask",
    "all_exercises",
    "get_exercise",
    "lesson_exercises",
    "Verdict",
    "Reveal",
    "reveal",
    "compare_number",
    "compare_mixture",
    "compare_temperature_weights",
    "compare_epochs",
    "compare_feasible",
    "compare_ranking",
]
