"""Exercises in the notebooks: answers out of sight, one-call check cells, graceful stubs, solutions that pass.

Four tests per course notebook (every one follows the registry pattern of docs/notebook-guide.md):

1. every check cell, in the notebook and in its student copy, is one call of names and literals;
   the notebook follows the exercise cell pattern (header, stub, check, collapsed solution);
2. no numeric reference answer of its exercises appears, at its displayed precision, in any
   student copy, nor anywhere in the committed notebook outside the solution cells;
3. (slow) its student copy runs top to bottom on a fresh kernel and every check cell shows a
   graceful "not yet" verdict (the placeholder or the unfinished stub, never a traceback);
4. (slow) with each stub replaced by the notebook's solution code, every check cell shows ✓.

Tests 3 and 4 execute notebooks (a few seconds each) and carry ``@pytest.mark.slow``. Test 3
overlaps nbval: nbval runs the committed notebook, whose check cells store the stubs' "not yet"
verdicts, so the two could share one pass once CI runs student copies with nbval.

Used in: CI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mixlab.classroom import run_student_notebook, write_student_copies
from mixlab.course import list_notebooks, run_notebook, section_of
from mixlab.exercises.cells import (
    cell_source,
    cell_tags,
    exercise_cells,
    notebook_problems,
    numeric_answers,
    parse_check_cell,
    shown_forms,
    solved_copy,
)
from mixlab.exercises.registry import ComputeExercise, lesson_exercises

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
COURSE = [p.name for p in list_notebooks(NOTEBOOKS)] if NOTEBOOKS.is_dir() else []


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exercises") / "student"
    write_student_copies(out, NOTEBOOKS)
    return out


def _read(path: Path) -> Any:
    return nbformat.read(str(path), as_version=4)


def _following_the_pattern(name: str) -> Any:
    """The committed notebook, after asserting that it follows the exercise pattern."""
    nb = _read(NOTEBOOKS / name)
    problems = notebook_problems(nb, section_of(name))
    assert not problems, f"{name} does not follow the exercise pattern:\n" + "\n".join(problems)
    return nb


def _visible_text(nb: Any, skip_solutions: bool) -> str:
    """Sources and outputs of a notebook (solution cells left out if asked)."""
    parts = []
    for cell in nb.cells:
        if skip_solutions and "solution" in cell_tags(cell):
            continue
        parts.append(cell_source(cell))
        parts += [json.dumps(o, ensure_ascii=False) for o in cell.get("outputs", [])]
    return "\n".join(parts)


def _check_texts(nb: Any) -> list[tuple[int, str, str]]:
    """(cell index, text/plain, text/html) of each check cell's single output."""
    out = []
    for i, cell in enumerate(nb.cells):
        if "check" in cell_tags(cell) and cell.get("cell_type") == "code":
            outputs = [o for o in cell.get("outputs", []) if o.get("output_type") in ("execute_result", "display_data")]
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            assert not errors, f"cell {i}: the check cell raised {errors[0].get('ename')}"
            assert len(outputs) == 1, f"cell {i}: a check cell must show exactly one verdict"
            data = outputs[0]["data"]
            out.append((i, str(data.get("text/plain", "")), str(data.get("text/html", ""))))
    return out


# ---------------------------------------------------------------- 1. check cells are one call
@pytest.mark.parametrize("name", COURSE)
def test_check_cells_are_single_calls_of_names_and_literals(name: str, student_dir: Path) -> None:
    for nb in (_read(NOTEBOOKS / name), _read(student_dir / name)):
        checks = [(i, c) for i, c in enumerate(nb.cells) if "check" in cell_tags(c) and c.get("cell_type") == "code"]
        assert checks, f"{name}: no check cell"
        for i, cell in checks:
            try:
                parse_check_cell(cell_source(cell))
            except ValueError as exc:
                pytest.fail(f"{name} cell {i}: check cell is not a single registry call: {exc}\n{cell_source(cell)}")
    _following_the_pattern(name)


# ---------------------------------------------------------------- 2. answers out of sight
def _leaked(forms: list[list[str]], text: str) -> bool:
    """A number leaks if one of its forms is in the text; a mixture, if all its distinctive weights are."""
    return bool(forms) and all(any(f in text for f in number) for number in forms)


@pytest.mark.parametrize("name", COURSE)
def test_no_reference_value_is_visible(name: str, student_dir: Path) -> None:
    teacher = _following_the_pattern(name)
    texts = {p.name: _visible_text(_read(p), skip_solutions=False) for p in sorted(student_dir.glob("*.ipynb"))}
    texts[f"{name} (committed, outside the solutions)"] = _visible_text(teacher, skip_solutions=True)
    searched = 0
    for item in lesson_exercises(section_of(name)):
        if not isinstance(item, ComputeExercise):
            continue
        forms = [f for f in (shown_forms(v, item.decimals) for v in numeric_answers(item.reference_answer())) if f]
        searched += len(forms)
        leaks = [where for where, text in texts.items() if _leaked(forms, text)]
        assert not leaks, f"{item.id}: its answer {forms} is visible in {leaks}"
    assert searched > 0, f"{name}: no exercise has a distinctive numeric answer to search for"


def test_committed_check_cells_show_the_stub_verdict() -> None:
    """In the committed notebooks the check cells store "not yet", never the solution's ✓."""
    assert COURSE, "no course notebook found"
    for name in COURSE:
        for i, plain, page in _check_texts(_read(NOTEBOOKS / name)):
            assert plain.startswith("✗ Not yet.") and 'data-verdict="unanswered"' in page, f"{name} cell {i}"


def test_committed_solutions_show_a_pass() -> None:
    """Every exercise's solution cell stores ✓ for its own check call.

    nbval re-executes the committed notebooks and compares every output, so this proves in the
    fast pass that each solution passes its check; test 4 (slow, CI's extra step) also runs the
    solutions in the student copy's order.
    """
    assert COURSE, "no course notebook found"
    for name in COURSE:
        nb = _read(NOTEBOOKS / name)
        found, problems = exercise_cells(nb)
        assert not problems, f"{name}: {problems}"
        for item in found:
            shown = [str(o.get("data", {}).get("text/plain", ""))
                     for j in item.solutions for o in nb.cells[j].get("outputs", [])
                     if nb.cells[j].get("cell_type") == "code"]
            assert any(t.startswith("✓ Correct.") for t in shown), \
                f"{name}: the solution of {item.exercise_id} stores no ✓ (outputs: {shown})"


@pytest.mark.parametrize("name", COURSE)
def test_student_copy_is_the_notebook_without_solutions(name: str, student_dir: Path) -> None:
    """The transformation, cell for cell: solutions removed, exercise and check outputs cleared, the rest kept."""
    teacher, student = _read(NOTEBOOKS / name), _read(student_dir / name)
    kept = [c for c in teacher.cells if "solution" not in cell_tags(c)]
    assert len(kept) < len(teacher.cells), f"{name}: no solution cell to remove"
    assert [c.get("id") for c in student.cells] == [c.get("id") for c in kept]
    for t, s in zip(kept, student.cells, strict=True):
        assert cell_source(s) == cell_source(t), f"{name} cell {t.get('id')}: source changed"
        if t.get("cell_type") != "code":
            continue
        cleared = bool({"exercise", "check"} & set(cell_tags(t)))
        assert s.get("outputs") == ([] if cleared else t.get("outputs")), f"{name} cell {t.get('id')}: outputs"


# ---------------------------------------------------------------- 3. student copies run, stubs unfinished
@pytest.mark.slow
@pytest.mark.parametrize("name", COURSE)
def test_student_copy_runs_and_shows_only_not_yet(name: str, student_dir: Path) -> None:
    _following_the_pattern(name)
    run = run_student_notebook(student_dir / name, timeout=120)
    assert run.ok, f"student copy of {name} failed: {run.failure}"
    verdicts = _check_texts(run.notebook)
    assert verdicts
    for i, plain, page in verdicts:
        assert plain.startswith("✗ Not yet.") and 'data-verdict="unanswered"' in page, f"cell {i}: {plain}"
        assert "Traceback" not in plain


# ---------------------------------------------------------------- 4. solutions substituted: every check passes
@pytest.mark.slow
@pytest.mark.parametrize("name", COURSE)
def test_solutions_in_the_student_copy_pass_every_check(name: str, student_dir: Path, tmp_path: Path) -> None:
    teacher = _following_the_pattern(name)
    solved = solved_copy(_read(student_dir / name), teacher)
    path = tmp_path / name
    nbformat.write(solved, str(path))
    run = run_notebook(path, timeout=120)
    assert run.ok, f"solved copy of {name} failed: {run.failure}"
    verdicts = _check_texts(run.notebook)
    assert len(verdicts) == len(exercise_cells(teacher)[0])
    for i, plain, _ in verdicts:
        assert plain.startswith("✓ Correct."), f"cell {i}: {plain}"
