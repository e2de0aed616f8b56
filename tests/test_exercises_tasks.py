"""Every implement-it task (each FunctionTask in the ``__all__`` of a ``mixlab.exercises.tasks_*``
module, found at collection, so a new task is covered without a new test): the reference passes
and the stub is "not yet", the hidden cases are seeded; every typical mistake of the task tables
gets its targeted hint and every hand-written solution passes.

The tables live with the task-specific tests, one file per topic (``TABLES`` below); the checks
are in ``task_helpers``.

Used in: CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_exercises_implement
import test_exercises_tasks_baselines
import test_exercises_tasks_ch3
import test_exercises_tasks_chapter2
import test_exercises_tasks_counts
import test_exercises_tasks_methods
from task_helpers import (
    TASKS,
    FoundTask,
    Mistake,
    Solution,
    check_cases_seeded,
    check_mistake,
    check_reference_and_stub,
    check_solution,
    task_modules,
)

from mixlab.exercises.implement import FunctionTask

#: Modules whose reference-and-stub checks are slow (many or large cases); run with -m slow.
SLOW_MODULES = {"tasks_mixtures", "tasks_data"}
#: The test files holding the MISTAKES and SOLUTIONS tables.
TABLES = (test_exercises_implement, test_exercises_tasks_baselines, test_exercises_tasks_ch3,
          test_exercises_tasks_chapter2, test_exercises_tasks_counts, test_exercises_tasks_methods)
MISTAKES: list[Mistake] = [row for table in TABLES for row in getattr(table, "MISTAKES", [])]
SOLUTIONS: list[Solution] = [row for table in TABLES for row in getattr(table, "SOLUTIONS", [])]


def _param(found: FoundTask, slow: bool = False) -> object:
    return pytest.param(found.task, id=found.id, marks=[pytest.mark.slow] if slow else [])


# ---------------------------------------------------------------- the tasks found
def test_every_task_module_contributes_its_tasks() -> None:
    modules = task_modules()
    assert {"tasks_mixtures", "tasks_data", "tasks_baselines", "tasks_budget", "tasks_stats", "tasks_chapter2",
            "tasks_counts", "tasks_methods"} <= set(modules)
    by_module = {name: {f.attr for f in TASKS if f.module == name} for name in modules}
    assert all(by_module.values()), by_module  # each module exports at least one task
    assert {"DOC_TO_TOKEN", "EG_STEP", "SPEARMAN"} <= by_module["tasks_mixtures"]
    assert {"ACCEPTANCE_RATES", "MANIFEST_ENTRY"} <= by_module["tasks_data"]
    assert by_module["tasks_methods"] == {"DOREMI_STEP"}


def test_no_task_is_left_out_of_all() -> None:
    """A task a module defines but does not export would escape every check below."""
    found = {f.task for f in TASKS}
    for name, mod in task_modules().items():
        defined = {attr for attr, value in vars(mod).items() if isinstance(value, FunctionTask)}
        assert {attr for attr in defined if getattr(mod, attr) not in found} == set(), name


def test_every_task_has_a_typical_mistake() -> None:
    tested = {m.task for m in MISTAKES}
    assert [f.id for f in TASKS if f.task not in tested] == []
    assert tested <= {f.task for f in TASKS}  # no table row for a task the modules no longer export
    assert len({m.id for m in MISTAKES}) == len(MISTAKES)  # one row per wrong function


# ---------------------------------------------------------------- every task
@pytest.mark.parametrize("task", [_param(f, slow=f.module in SLOW_MODULES) for f in TASKS])
def test_reference_passes_and_the_stub_is_not_yet(task: FunctionTask) -> None:
    check_reference_and_stub(task)


@pytest.mark.parametrize("task", [_param(f) for f in TASKS])
def test_cases_are_seeded(task: FunctionTask, tmp_path: Path) -> None:
    check_cases_seeded(task, tmp_path)


# ---------------------------------------------------------------- the task tables
@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_typical_mistake_gets_its_targeted_hint(mistake: Mistake) -> None:
    check_mistake(mistake)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[s.id for s in SOLUTIONS])
def test_a_hand_written_solution_passes(solution: Solution) -> None:
    check_solution(solution)
