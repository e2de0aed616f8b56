"""Which course notebooks follow the exercise registry pattern yet (docs/notebook-guide.md, "Exercises").

The notebook exercise tests (tests/test_exercises_notebooks.py) are strict expected failures
for every notebook listed here: they must fail while it is listed and pass once it is converted.
When a lesson is converted, delete its line; a converted notebook left in the list makes the
suite fail (XPASS, strict), so the list cannot go stale.

Used in: tests/test_exercises_notebooks.py, tests/test_classroom.py.
"""

from __future__ import annotations

#: Notebooks whose exercises still use check_number & co. (2.2 is the worked example, converted).
UNCONVERTED: frozenset[str] = frozenset()
