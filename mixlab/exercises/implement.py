"""Implement-it exercises: the learner writes a function from the lesson; hidden cases judge it.

A :class:`FunctionTask` describes the function to write (name, parameters, a stub), how to make
hidden random cases from a seeded generator, mixlab's own implementation of it (the reference
adapter, taking the same parameters) and how to compare a result with the reference's. The
runner (:func:`run_task`) calls the learner's function on every case and stops at the first one
that fails, reporting its inputs, the expected and the returned value and a targeted hint. It
never shows a traceback: an unfinished stub (``NotImplementedError``) gives "not yet", any other
exception a one-line message naming it and the case.

The cases of an exercise are the same on every run (the seed comes from the exercise id), they
are copied before each call (a function that modifies its inputs cannot spoil the reference),
and they are hidden only in the sense that the notebook does not show them.

Used in: the implement-it exercises of every lesson (the ready-made tasks are in the
``mixlab.exercises.tasks_*`` modules).
"""

from __future__ import annotations

import copy
import tempfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from mixlab.exercises.registry import Exercise
from mixlab.exercises.verdicts import Verdict, right, unanswered, wrong

__all__ = ["Case", "FunctionTask", "ImplementExercise", "run_task", "describe", "case_seed"]

#: One hidden case: the arguments by parameter name.
Case = dict[str, Any]


@dataclass(frozen=True)
class FunctionTask:
    """A function for the learner to write, with hidden cases and mixlab's reference for it.

    Attributes
    ----------
    name : str
        The function's name in the notebook (``"doc_to_token"``).
    params : tuple of str
        Its parameters, in order; the runner passes the arguments positionally.
    returns : str
        What it returns, in a few words (shown in the header).
    cases : callable
        ``cases(rng, workdir)`` returns the hidden cases (a list of :data:`Case`), made from the
        seeded ``numpy.random.Generator`` only; ``workdir`` is a temporary folder for tasks whose
        inputs are files (deleted after the check).
    reference : callable
        Mixlab's implementation with the same parameters (the reference adapter).
    compare : callable
        ``compare(got, expected, case)`` returns a :class:`Verdict` for one case (✓ when right),
        with hints that name the likely mistake.
    repeatable : bool
        Also call the function a second time on every case and require the same result (for
        seeded draws: same seed, same sample).

    Used in: :class:`ImplementExercise`; the ready-made tasks.
    """

    name: str
    params: tuple[str, ...]
    returns: str
    cases: Callable[[np.random.Generator, Path], list[Case]]
    reference: Callable[..., Any]
    compare: Callable[[Any, Any, Case], Verdict]
    repeatable: bool = False

    def signature(self) -> str:
        """``"doc_to_token(w_doc, mean_len)"``."""
        return f"{self.name}({', '.join(self.params)})"

    def stub(self, docstring: str = "") -> str:
        """The source of the exercise cell's stub (raises ``NotImplementedError``)."""
        doc = f'    """{docstring}"""\n' if docstring else ""
        return (f"def {self.signature()}:\n{doc}    # your code here\n"
                f'    raise NotImplementedError("write {self.name}")')


def case_seed(exercise_id: str) -> int:
    """A stable seed for an exercise's hidden cases (CRC-32 of its id).

    Parameters
    ----------
    exercise_id : str

    Returns
    -------
    int

    Used in: :meth:`ImplementExercise.check`.
    """
    return zlib.crc32(exercise_id.encode("utf-8"))


def describe(value: Any, limit: int = 8) -> str:
    """A short, deterministic text for an input or output value (floats at 6 significant digits).

    Long arrays and tables are cut to their first ``limit`` entries.

    Parameters
    ----------
    value : object
    limit : int
        Entries shown of a long sequence or mapping.

    Returns
    -------
    str

    Used in: the failure report of :func:`run_task`.
    """
    if isinstance(value, bool | np.bool_):
        return repr(bool(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, pd.DataFrame):
        return f"DataFrame with {len(value)} rows and columns {list(value.columns)}"
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Mapping):
        items = list(value.items())
        text = ", ".join(f"{k!s}: {describe(v)}" for k, v in items[:limit])
        return "{" + text + (", …" if len(items) > limit else "") + "}"
    if isinstance(value, list | tuple):
        inner = ", ".join(describe(v) for v in value[:limit]) + (", …" if len(value) > limit else "")
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if hasattr(value, "items") and callable(value.items):  # a Mixture
        return describe(dict(value.items()), limit)
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _failure(task: FunctionTask, index: int, n: int, case: Case, expected: Any, got: Any,
             verdict: Verdict) -> Verdict:
    details = [f"{p} = {describe(case[p])}" for p in task.params]
    details += [f"expected: {describe(expected)}", f"got:      {describe(got)}"]
    return wrong(f"{task.name} fails hidden case {index + 1} of {n}: {verdict.message}", verdict.hints,
                 details=details)


def _call(task: FunctionTask, fn: Callable[..., Any], case: Case, index: int, n: int) -> tuple[Any, Verdict | None]:
    """The learner's result on one case, or a verdict if it raised or returned nothing."""
    args = [copy.deepcopy(case[p]) for p in task.params]
    try:
        got = fn(*args)
    except NotImplementedError:
        return None, unanswered(f"{task.name} is still the stub (it raises NotImplementedError): write its body, run "
                                "that cell, then run this check again.")
    except Exception as exc:  # noqa: BLE001 - any error of the learner's code is reported in one line
        return None, wrong(f"{task.name} raised {type(exc).__name__}: {exc} (on hidden case {index + 1} of {n}).",
                           [f"Call it yourself on a small example: {task.signature()}."],
                           details=[f"{p} = {describe(case[p])}" for p in task.params])
    if got is None:
        return None, wrong(f"{task.name} returned None on hidden case {index + 1} of {n}.",
                           ["Did you forget the `return` statement?"])
    return got, None


def _judge(task: FunctionTask, fn: Callable[..., Any], cases: list[Case]) -> Verdict:
    for i, case in enumerate(cases):
        got, problem = _call(task, fn, case, i, len(cases))
        if problem is not None:
            return problem
        expected = task.reference(*[case[p] for p in task.params])
        verdict = task.compare(got, expected, case)
        if not verdict.ok:
            return _failure(task, i, len(cases), case, expected, got, verdict)
        if task.repeatable:
            again, problem = _call(task, fn, case, i, len(cases))
            if problem is None and describe(again, 10**6) != describe(got, 10**6):
                return wrong(f"{task.name} gave two different results for the same inputs (hidden case {i + 1}).",
                             ["Make the draw depend on the seed only: rng = np.random.default_rng(seed) inside "
                              "the function."], details=[f"first:  {describe(got)}", f"second: {describe(again)}"])
            if problem is not None:
                return problem
    return right(f"{task.name} agrees with mixlab on all {len(cases)} hidden cases.")


def run_task(task: FunctionTask, fn: Any, seed: int) -> Verdict:
    """Run the learner's function on the task's hidden cases; ✓ if it agrees with mixlab on all.

    Parameters
    ----------
    task : FunctionTask
    fn : callable
        The learner's function (the function itself, not its result).
    seed : int
        Seed of the hidden cases.

    Returns
    -------
    Verdict
        ✓ with the number of cases; "not yet" while the stub raises ``NotImplementedError``;
        a one-line message if the function raises (exception type, message, case number);
        otherwise the first failing case (inputs, expected, got) with the comparison's hint.

    Used in: :meth:`ImplementExercise.check`.
    """
    if fn is Ellipsis or fn is None:
        return unanswered(f"there is no function yet: define {task.signature()} in the cell above and pass "
                          f"{task.name} itself (without parentheses).")
    if not callable(fn):
        return wrong(f"expected your function {task.name} itself, got {type(fn).__name__} {describe(fn)}",
                     [f"Pass the function without calling it: check(..., {task.name})."])
    with tempfile.TemporaryDirectory(prefix="mixlab-exercise-") as tmp:
        return _judge(task, fn, task.cases(np.random.default_rng(seed), Path(tmp)))


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ImplementExercise(Exercise):
    """Write a function from the lesson; the check runs it on hidden cases against mixlab's.

    Attributes
    ----------
    task : FunctionTask
        The function, its cases and its reference (ready-made tasks: ``mixlab.exercises.tasks_*``).

    Used in: the implement-it exercises of every lesson catalog.
    """

    kind: ClassVar[str] = "implement"
    task: FunctionTask

    def check_call(self) -> str:
        """``check("2.2/x", doc_to_token)``."""
        return f'check("{self.id}", {self.task.name})'

    def _extra_lines(self) -> list[str]:
        return ["", f"The check runs `{self.task.name}` on hidden random cases against mixlab's own "
                "implementation and shows the first case it gets wrong."]

    def reference_answer(self, *given: Any) -> Any:
        """Mixlab's implementation (the reference adapter), which passes every case."""
        return self.task.reference

    def check(self, answer: Any, *given: Any) -> Verdict:
        """Run the learner's function on the hidden cases."""
        if given:
            raise TypeError(f"{self.id}: an implement-it check takes only the function (got {len(given)} more "
                            "arguments)")
        return run_task(self.task, answer, case_seed(self.id))
