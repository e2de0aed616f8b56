"""How exercises sit in notebook cells: the cell pattern, its lint, and what the tests look for.

An exercise occupies four cells, in order (docs/notebook-guide.md, "Exercises")::

    exercise("2.2/doc-to-token-weights")          # header: title, kind, minutes, statement
    answer = ...                                   # tag `exercise`: the learner's stub
    check("2.2/doc-to-token-weights", answer)      # tag `check`: one call, names and literals only
    <solution code>; check("2.2/…", answer)        # tag `solution`, source and outputs collapsed

This module parses those cells (:func:`parse_check_cell`, :func:`exercise_cells`), lists what keeps a
notebook from the pattern (:func:`notebook_problems`), gives the strings a number is
displayed as (:func:`shown_forms`, for the leak test), and builds the "solved" student copy in
which every stub is replaced by its solution (:func:`solved_copy`). It works on nbformat
notebooks and imports nothing heavy.

Used in: the exercise notebook tests (tests/test_exercises_notebooks.py); notebook authors
checking a conversion.
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mixlab.classroom import cell_tags

__all__ = [
    "CHECK_FUNCTIONS",
    "HEADER_FUNCTION",
    "CheckCall",
    "ExerciseCells",
    "parse_check_cell",
    "parse_header_cell",
    "exercise_cells",
    "notebook_problems",
    "shown_forms",
    "numeric_answers",
    "solved_copy",
    "collapse_solutions",
    "cell_source",
    "cell_tags",
]

#: The calls a check cell may make.
CHECK_FUNCTIONS = ("check", "predict")
#: The call of a header cell.
HEADER_FUNCTION = "exercise"


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string.

    Parameters
    ----------
    cell : mapping
        A notebook cell.

    Returns
    -------
    str

    Used in: this module; the notebook tests.
    """
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


@dataclass(frozen=True)
class CheckCall:
    """A parsed check cell: ``check("2.2/x", answer)`` → function, exercise id, the other arguments.

    Used in: :func:`exercise_cells`, the notebook tests.
    """

    function: str
    exercise_id: str
    arguments: tuple[str, ...]


def _plain_argument(node: ast.expr) -> bool:
    """A name or a literal (number, string, ``...``, None, True/False, a negative number)."""
    if isinstance(node, ast.Name | ast.Constant):
        return True
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)


def _single_call(source: str, functions: tuple[str, ...]) -> ast.Call:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"it is not valid Python ({exc.msg})") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr) or not isinstance(tree.body[0].value, ast.Call):
        raise ValueError(f"it must be exactly one call of {' or '.join(functions)} (got {len(tree.body)} statements)")
    call = tree.body[0].value
    if not isinstance(call.func, ast.Name) or call.func.id not in functions:
        raise ValueError(f"it must call {' or '.join(functions)} (got {ast.unparse(call.func)})")
    if not call.args or not isinstance(call.args[0], ast.Constant) or not isinstance(call.args[0].value, str):
        raise ValueError("its first argument must be the exercise id as a string literal")
    return call


def parse_check_cell(source: str) -> CheckCall:
    """Parse a check cell, which must be one call ``check(id, …)`` or ``predict(id, …)`` of names and literals.

    Parameters
    ----------
    source : str
        The cell's source.

    Returns
    -------
    CheckCall

    Raises
    ------
    ValueError
        Naming what is wrong: not one statement, another function, an id that is not a string
        literal, or an argument that is an expression (a formula, an attribute, an index, a
        call, a container) rather than a name or a literal.

    Used in: :func:`exercise_cells`; the notebook tests (every check cell of every notebook).
    """
    call = _single_call(source, CHECK_FUNCTIONS)
    rest = [*call.args[1:], *(k.value for k in call.keywords)]
    bad = [ast.unparse(a) for a in rest if not _plain_argument(a)]
    if bad or any(k.arg is None for k in call.keywords):
        raise ValueError(f"its arguments must be names or literals (got {', '.join(bad) or '**kwargs'})")
    id_node = call.args[0]
    assert isinstance(id_node, ast.Constant)
    args = (*(ast.unparse(a) for a in call.args[1:]), *(f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords))
    return CheckCall(call.func.id, str(id_node.value), args)  # type: ignore[attr-defined]


def parse_header_cell(source: str) -> str | None:
    """The exercise id if the cell is exactly ``exercise("id")``, else None.

    Parameters
    ----------
    source : str
        Source of a cell that may be an exercise header.

    Returns
    -------
    str or None

    Used in: :func:`exercise_cells`.
    """
    try:
        call = _single_call(source, (HEADER_FUNCTION,))
    except ValueError:
        return None
    if len(call.args) != 1 or call.keywords:
        return None
    node = call.args[0]
    return str(node.value) if isinstance(node, ast.Constant) else None


def _calls_in(source: str) -> list[tuple[str, str]]:
    """(function, id) of every ``check``/``predict`` call with a literal id anywhere in the source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CHECK_FUNCTIONS
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.func.id, node.args[0].value))
    return found


@dataclass
class ExerciseCells:
    """The cells of one exercise in a notebook (indices into ``nb.cells``; None when missing).

    Used in: :func:`notebook_problems`, :func:`solved_copy`, the notebook tests.
    """

    exercise_id: str
    check: int
    call: CheckCall
    header: int | None = None
    stub: int | None = None
    solutions: list[int] = field(default_factory=list)


def exercise_cells(nb: Any) -> tuple[list[ExerciseCells], list[str]]:
    """Find every exercise of a notebook by its check cell, with its header, stub and solutions.

    Parameters
    ----------
    nb : nbformat.NotebookNode

    Returns
    -------
    (list of ExerciseCells, list of str)
        The exercises in notebook order, and one message per check cell that does not parse.

    Used in: :func:`notebook_problems`, :func:`solved_copy`.
    """
    cells = nb.cells
    found: list[ExerciseCells] = []
    problems: list[str] = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code" or "check" not in cell_tags(cell):
            continue
        try:
            call = parse_check_cell(cell_source(cell))
        except ValueError as exc:
            problems.append(f"cell {i}: check cell is not a single registry call: {exc}")
            continue
        item = ExerciseCells(call.exercise_id, i, call)
        for j in range(i - 1, -1, -1):
            if item.stub is None and "exercise" in cell_tags(cells[j]) and cells[j].get("cell_type") == "code":
                item.stub = j
            if parse_header_cell(cell_source(cells[j])) == call.exercise_id:
                item.header = j
                break
        item.solutions = [j for j, c in enumerate(cells) if "solution" in cell_tags(c) and c.get("cell_type") == "code"
                          and any(eid == call.exercise_id for _, eid in _calls_in(cell_source(c)))]
        found.append(item)
    return found, problems


def _stub_problem(item: ExerciseCells, exercise: Any, source: str) -> str | None:
    """What is wrong with an exercise cell's stub, or None."""
    from mixlab.exercises.implement import ImplementExercise

    tree = ast.parse(source)
    if isinstance(exercise, ImplementExercise):
        name = exercise.task.name
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
        raises = defs and any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n)
                              for n in ast.walk(defs[0]))
        return None if raises else f"the stub must define {name}(...) raising NotImplementedError"
    wanted = f"{exercise.answer_name} = ..."
    if not any(ast.unparse(n) == wanted for n in tree.body):
        return f"the stub must assign the placeholder: {wanted}"
    return None


def _exercise_problems(nb: Any, item: ExerciseCells, exercise: Any) -> list[str]:
    where = f"{item.exercise_id} (cell {item.check})"
    out = []
    if item.call.function != ("predict" if exercise.kind == "predict" else "check"):
        out.append(f"{where}: the check cell must be {exercise.check_call()}")
    if item.header is None:
        out.append(f'{where}: no header cell exercise("{item.exercise_id}") before the check cell')
    if item.stub is None or (item.header is not None and item.stub < item.header):
        out.append(f"{where}: no cell tagged 'exercise' between the header and the check cell")
    else:
        problem = _stub_problem(item, exercise, cell_source(nb.cells[item.stub]))
        if problem:
            out.append(f"{where}: {problem}")
    if not item.solutions or min(item.solutions) < item.check:
        out.append(f"{where}: no solution cell (tag 'solution') after the check cell calling the same exercise")
    for j in item.solutions:
        hidden = nb.cells[j].get("metadata", {}).get("jupyter", {})
        if not (hidden.get("source_hidden") and hidden.get("outputs_hidden")):
            out.append(f"{where}: solution cell {j} must be collapsed (metadata jupyter.source_hidden and "
                       "outputs_hidden true)")
    return out


def notebook_problems(nb: Any, section: str) -> list[str]:
    """Everything that keeps a notebook from following the exercise cell pattern; empty when it follows it.

    Checked: every ``check`` cell is one registry call of names and literals, for a registered
    exercise of ``section``, calling ``predict`` for predictions and ``check`` otherwise; each
    has its header, a stub (``answer = ...``, ``prediction = ...`` or a function raising
    ``NotImplementedError``), and a collapsed solution cell after it; every registered exercise
    of the section appears once; every ``exercise`` cell belongs to one of them; the lesson has
    at least one implement-it exercise.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    section : str
        The notebook's section (``"2.2"``).

    Returns
    -------
    list of str

    Used in: the notebook tests (a notebook with problems fails them).
    """
    from mixlab.exercises.registry import all_exercises

    registry = all_exercises()
    items, problems = exercise_cells(nb)
    seen: list[str] = []
    for item in items:
        exercise = registry.get(item.exercise_id)
        if exercise is None or exercise.section != section:
            problems.append(f"cell {item.check}: {item.exercise_id!r} is not a registered exercise of {section}")
            continue
        seen.append(item.exercise_id)
        problems += _exercise_problems(nb, item, exercise)
    registered = [e.id for e in registry.values() if e.section == section]
    problems += [f"{eid}: registered but has no check cell" for eid in registered if eid not in seen]
    problems += [f"{eid}: has {seen.count(eid)} check cells" for eid in sorted(set(seen)) if seen.count(eid) > 1]
    stubs = {item.stub for item in items}
    problems += [f"cell {i}: tagged 'exercise' but no check cell follows it" for i, c in enumerate(nb.cells)
                 if "exercise" in cell_tags(c) and c.get("cell_type") == "code" and i not in stubs]
    if registered and not any(registry[e].kind == "implement" for e in registered):
        problems.append(f"{section}: needs at least one implement-it exercise")
    return problems


# ============================================================================ answers on display
def shown_forms(value: float, decimals: int) -> list[str]:
    """The strings a number shows as at ``decimals`` decimals: rounded and truncated (and as an integer).

    A value with fewer than three significant digits at that precision (0.3, 10, 0.050) is not
    distinctive enough to search for and gives no forms.

    Parameters
    ----------
    value : float
    decimals : int
        Decimals the notebook would print.

    Returns
    -------
    list of str
        Sorted; empty for values that are not distinctive or not finite.

    Used in: the leak test (no reference value appears in a student copy).
    """
    v = abs(float(value))
    if not math.isfinite(v):
        return []
    rounded = f"{v:.{decimals}f}"
    scale = 10**decimals
    truncated = f"{math.floor(v * scale) / scale:.{decimals}f}"
    forms = {rounded, truncated}
    if v >= 100:
        forms |= {f"{round(v)}", f"{round(v):,}"}
    digits = [f.replace(",", "").replace(".", "").lstrip("0").rstrip("0") for f in forms]
    if min(len(d) for d in digits) < 3:
        return []
    return sorted(forms)


def numeric_answers(answer: Any) -> list[float]:
    """The numbers of a reference answer: a number, or the values of a mixture/Series/mapping; else none.

    Parameters
    ----------
    answer : object
        A reference answer.

    Returns
    -------
    list of float

    Used in: the leak test.
    """
    import numbers

    if isinstance(answer, bool):
        return []
    if isinstance(answer, numbers.Real):
        return [float(answer)]
    if hasattr(answer, "weights") and hasattr(answer, "kind"):  # a Mixture
        answer = answer.weights
    if hasattr(answer, "to_dict"):
        answer = answer.to_dict()
    if isinstance(answer, Mapping):
        return [float(v) for v in answer.values() if isinstance(v, numbers.Real) and not isinstance(v, bool)]
    return []


# ============================================================================ solved student copy
def solved_copy(student: Any, teacher: Any) -> Any:
    """The student copy with each exercise stub replaced by the teacher notebook's solution code.

    Parameters
    ----------
    student : nbformat.NotebookNode
        A student copy (no solution cells).
    teacher : nbformat.NotebookNode
        The committed notebook it was made from.

    Returns
    -------
    nbformat.NotebookNode
        A new notebook; running it must make every check cell say ✓.

    Raises
    ------
    ValueError
        If an exercise of the student copy has no solution in the teacher notebook.

    Used in: the notebook tests (reference solutions substituted into the student copies).
    """
    solutions = {item.exercise_id: item.solutions for item in exercise_cells(teacher)[0]}
    out = copy.deepcopy(student)
    for item in exercise_cells(out)[0]:
        cells = solutions.get(item.exercise_id)
        if not cells or item.stub is None:
            raise ValueError(f"exercise {item.exercise_id!r} must have a stub and a solution (cells {cells})")
        stub = out.cells[item.stub]
        stub["source"] = "\n\n".join(cell_source(teacher.cells[j]) for j in cells)
        stub["outputs"] = []
        stub["execution_count"] = None
    return out


def collapse_solutions(nb: Any) -> int:
    """Collapse every ``solution`` cell (``metadata.jupyter.source_hidden`` and ``outputs_hidden``), in place.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Modified in place.

    Returns
    -------
    int
        How many cells were changed.

    Used in: converting a notebook (docs/notebook-guide.md, "Exercises").
    """
    changed = 0
    for cell in nb.cells:
        if "solution" not in cell_tags(cell):
            continue
        flags = cell.setdefault("metadata", {}).setdefault("jupyter", {})
        if not (flags.get("source_hidden") and flags.get("outputs_hidden")):
            flags["source_hidden"] = True
            flags["outputs_hidden"] = True
            changed += 1
    return changed
