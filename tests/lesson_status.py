"""Which course notebooks still break a course-wide rule of tests/test_course_consistency.py.

Each set lists the notebooks that are strict expected failures for one rule: they must fail
while listed. When a lesson is rewritten to meet the rule, delete its line; a notebook left here
after that makes the suite fail (XPASS, strict), so the lists cannot go stale.

Used in: tests/test_course_consistency.py.
"""

from __future__ import annotations

#: Notebooks that show an output block (5+ lines) another notebook also shows.
REPEATS_OUTPUT: frozenset[str] = frozenset({
    "2.2-mixture-vector.ipynb",
    "2.3-sampling-distribution.ipynb",
    "3.1-uniform-by-document.ipynb",
    "3.2-uniform-by-token.ipynb",
    "3.3-source-proportional.ipynb",
    "3.4-hand-tuned-weights.ipynb",
    "3.5-temperature-smoothing.ipynb",
})

#: Notebooks whose deliberate errors print more than 3 lines of traceback.
LONG_TRACEBACKS: frozenset[str] = frozenset({
    "00-course-map.ipynb",
    "1.1-mixture-weights-skill-profile.ipynb",
    "1.2-token-value.ipynb",
    "2.1-domains.ipynb",
    "2.2-mixture-vector.ipynb",
    "2.3-sampling-distribution.ipynb",
    "2.4-validation-objective.ipynb",
    "2.5-token-budget.ipynb",
    "3.1-uniform-by-document.ipynb",
    "3.2-uniform-by-token.ipynb",
    "3.3-source-proportional.ipynb",
    "3.4-hand-tuned-weights.ipynb",
    "3.5-temperature-smoothing.ipynb",
    "3.6-baselines-side-by-side.ipynb",
})
