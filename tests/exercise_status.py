"""Which course notebooks follow the exercise registry pattern yet (docs/notebook-guide.md, "Exercises").

The notebook exercise tests (tests/test_exercises_notebooks.py) are strict expected failures
for every notebook listed here: they must fail while it is listed and pass once it is converted.
When a lesson is converted, delete its line; a converted notebook left in the list makes the
suite fail (XPASS, strict), so the list cannot go stale.

Used in: tests/test_exercises_notebooks.py, tests/test_classroom.py.
"""

from __future__ import annotations

#: Notebooks whose exercises still use check_number & co. (2.2 is the worked example, converted).
UNCONVERTED: frozenset[str] = frozenset({
    "00-course-map.ipynb",
    "1.1-mixture-weights-skill-profile.ipynb",
    "1.2-token-value.ipynb",
    "2.1-domains.ipynb",
    "2.3-sampling-distribution.ipynb",
    "2.4-validation-objective.ipynb",
    "2.5-token-budget.ipynb",
    "3.1-uniform-by-document.ipynb",
    "3.2-uniform-by-token.ipynb",
    "3.3-source-proportional.ipynb",
    "3.4-hand-tuned-weights.ipynb",
    "3.5-temperature-smoothing.ipynb",
    "3.6-baselines-side-by-side.ipynb",
    "A.1-reproducible-dataset.ipynb",
})
