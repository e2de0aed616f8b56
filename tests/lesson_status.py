"""Which course notebooks still break a course-wide rule of tests/test_course_consistency.py.

Each set lists the notebooks that are strict expected failures for one rule: they must fail
while listed. When a lesson is rewritten to meet the rule, delete its line; a notebook left here
after that makes the suite fail (XPASS, strict), so the lists cannot go stale.

Used in: tests/test_course_consistency.py.
"""

from __future__ import annotations

#: Notebooks that show an output block (5+ lines) another notebook also shows.
REPEATS_OUTPUT: frozenset[str] = frozenset()

#: Notebooks whose deliberate errors print more than 3 lines of traceback.
LONG_TRACEBACKS: frozenset[str] = frozenset()
