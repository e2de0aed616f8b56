"""Shared helpers for the implement-it task tests: the tasks found in every ``tasks_*`` module,
the seed of each module's checks, the rows of the per-task tables and the checks they run.

A task test file keeps only its data (``MISTAKES``: a typical wrong function and the hint text it
must get; ``SOLUTIONS``: a function a learner would write that must pass) and the tests that are
specific to its tasks. ``tests/test_exercises_tasks.py`` runs the generic checks over every task
and every table row.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import mixlab.exercises
from mixlab.exercises.implement import FunctionTask, describe, run_task
from mixlab.exercises.verdicts import Verdict

#: Seed of the hidden cases in the checks of a module's tasks (the seeds the tests were written with).
MODULE_SEEDS = {"tasks_mixtures": 7, "tasks_data": 7, "tasks_baselines": 7}
#: Seed for the tasks of any other module.
DEFAULT_SEED = 11


@dataclass(frozen=True)
class FoundTask:
    """A FunctionTask exported (``__all__``) by a ``mixlab.exercises.tasks_*`` module."""

    module: str  # "tasks_mixtures"
    attr: str  # "DOC_TO_TOKEN"
    task: FunctionTask

    @property
    def id(self) -> str:
        return f"{self.module}.{self.attr}"


def task_modules() -> dict[str, Any]:
    """Every ``mixlab.exercises.tasks_*`` module, imported, by short name."""
    names = sorted(m.name for m in pkgutil.iter_modules(mixlab.exercises.__path__) if m.name.startswith("tasks_"))
    return {name: importlib.import_module(f"mixlab.exercises.{name}") for name in names}


def find_tasks() -> list[FoundTask]:
    """Every FunctionTask named in the ``__all__`` of a ``tasks_*`` module, in module then export order."""
    return [FoundTask(name, attr, getattr(mod, attr)) for name, mod in task_modules().items()
            for attr in mod.__all__ if isinstance(getattr(mod, attr), FunctionTask)]


TASKS = find_tasks()
_MODULE_OF = {found.task: found.module for found in TASKS}


def seed_for(task: FunctionTask) -> int:
    """The seed the checks of ``task`` use (its module's, else :data:`DEFAULT_SEED`)."""
    return MODULE_SEEDS.get(_MODULE_OF[task], DEFAULT_SEED)


def run(task: FunctionTask, fn: Any) -> Verdict:
    """``run_task`` with the task's seed."""
    return run_task(task, fn, seed_for(task))


class Mistake(NamedTuple):
    """A typical wrong function for a task and the hint text its verdict must contain.

    ``shows_case``: the failure is a hidden case with its expected and returned values (False for
    a failure that is not a comparison, such as two different results for the same inputs).
    """

    task: FunctionTask
    fn: Callable[..., Any]
    hint: str
    shows_case: bool = True

    @property
    def id(self) -> str:
        return f"{self.task.name}-{self.fn.__name__}"


class Solution(NamedTuple):
    """A right function for a task, written the way a learner would (it must pass)."""

    task: FunctionTask
    fn: Callable[..., Any]

    @property
    def id(self) -> str:
        return f"{self.task.name}-{self.fn.__name__}"


# ---------------------------------------------------------------- the checks
def _stub(*args: Any) -> Any:
    raise NotImplementedError("write it")


def check_reference_and_stub(task: FunctionTask) -> None:
    """The reference agrees with mixlab on every case; the stub is "not yet" (unanswered)."""
    v = run(task, task.reference)
    assert v.ok and f"{task.name} agrees with mixlab on all" in v.message, v
    v = run(task, _stub)
    assert not v.ok and not v.answered and "still the stub" in v.message, v


def _comparable(value: Any) -> Any:
    """A case value as text for equality: a file by its bytes, anything else by describe and repr."""
    if isinstance(value, Path):
        return value.read_bytes().hex()
    return describe(value, 10**6), repr(value)


def check_cases_seeded(task: FunctionTask, tmp_path: Path) -> None:
    """Same seed, same cases (even in another folder); another seed, other cases; at least 4 cases."""
    runs = []
    for folder, seed in (("a", 3), ("b", 3), ("c", 4)):
        (tmp_path / folder).mkdir()
        cases = task.cases(np.random.default_rng(seed), tmp_path / folder)
        runs.append([{k: _comparable(v) for k, v in case.items()} for case in cases])
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert len(runs[0]) >= 4


def check_mistake(mistake: Mistake) -> None:
    """The wrong function is answered but wrong, and the message or a hint says the expected text."""
    v = run(mistake.task, mistake.fn)
    assert not v.ok and v.answered, v
    assert mistake.hint in v.message or any(mistake.hint in h for h in v.hints), v
    assert "Traceback" not in repr(v)
    if mistake.shows_case:
        assert v.details and v.details[-2].startswith("expected:"), v


def check_solution(solution: Solution) -> None:
    """The learner's right function passes every hidden case."""
    v = run(solution.task, solution.fn)
    assert v.ok, v
