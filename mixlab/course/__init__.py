"""The course as a set of notebooks: the list of sections, hygiene rules, headless runs and reports.

One module per concept, re-exported here so ``from mixlab.course import X`` keeps working:

- :mod:`mixlab.course.catalog`: the sections, notebook names and course order; :func:`course_table`;
- :mod:`mixlab.course.hygiene`: :func:`check_notebook` / :func:`check_course`, the rules every
  committed notebook follows;
- :mod:`mixlab.course.runner`: :func:`run_notebook`, :func:`run_course`, :func:`refresh_notebook`
  (a fresh kernel of this Python per notebook, shut down as soon as the notebook finishes);
- :mod:`mixlab.course.reports`: wall-time tables and budgets of a course run.

Heavy imports (nbformat, nbclient, jupyter_client, ipykernel, pandas) happen inside the
functions so that ``import mixlab.course`` stays cheap.

Used in: 00 (course map: the table of notebooks, how to run and test the course); ``mixlab course``;
CI and the hygiene tests.
"""

from __future__ import annotations

from mixlab.course.catalog import (
    KERNEL_NAME,
    MISSING_FILE,
    NOTEBOOK_NAME_RE,
    SECTIONS,
    SUMMARIES,
    cell_source,
    course_table,
    first_line,
    list_notebooks,
    section_of,
)
from mixlab.course.hygiene import (
    IGNORE_OUTPUT_TAG,
    NBVAL_COMMENT_TAGS,
    RAISES_TAG,
    check_course,
    check_notebook,
    nbval_comments,
)
from mixlab.course.reports import (
    DEFAULT_BUDGET,
    REPORT_FORMATS,
    describe_runs,
    over_budget,
    runtime_table,
    write_runtime_report,
)
from mixlab.course.runner import (
    FLOOR_NAME,
    RUN_ENV,
    CellFailure,
    NotebookRun,
    kernel_manager_class,
    measure_floor,
    refresh_notebook,
    run_course,
    run_environment,
    run_notebook,
    write_atomic,
)

__all__ = [
    "SECTIONS",
    "SUMMARIES",
    "MISSING_FILE",
    "course_table",
    "NOTEBOOK_NAME_RE",
    "KERNEL_NAME",
    "RAISES_TAG",
    "IGNORE_OUTPUT_TAG",
    "NBVAL_COMMENT_TAGS",
    "RUN_ENV",
    "FLOOR_NAME",
    "measure_floor",
    "CellFailure",
    "NotebookRun",
    "section_of",
    "list_notebooks",
    "cell_source",
    "first_line",
    "nbval_comments",
    "check_notebook",
    "check_course",
    "kernel_manager_class",
    "run_notebook",
    "run_course",
    "refresh_notebook",
    "run_environment",
    "write_atomic",
    "describe_runs",
    "DEFAULT_BUDGET",
    "over_budget",
    "runtime_table",
    "REPORT_FORMATS",
    "write_runtime_report",
]
