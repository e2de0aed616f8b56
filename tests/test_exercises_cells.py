"""mixlab.exercises.cells: parsing check cells, the exercise cell pattern, displayed forms, solved copies."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mixlab.exercises.cells import (
    collapse_solutions,
    exercise_cells,
    notebook_problems,
    numeric_answers,
    parse_check_cell,
    parse_header_cell,
    shown_forms,
    solved_copy,
)
from mixlab.exercises.registry import lesson_exercises
from mixlab.mixture import Mixture

HIDDEN = {"jupyter": {"source_hidden": True, "outputs_hidden": True}}


# ---------------------------------------------------------------- check cells
@pytest.mark.parametrize("source", [
    'check("2.2/tv-two-views", answer)',
    'predict("2.2/which-domain-gains-tokens", prediction)',
    'predict("2.2/which-domain-gains-tokens", "b")',
    'check("1.4/x", answer, study, seed=3)',
    'check("2.2/x", answer, -1, None, ...)\n',
    "# a comment is fine\ncheck('2.2/x', answer)",
])
def test_single_calls_of_names_and_literals_parse(source: str) -> None:
    call = parse_check_cell(source)
    assert call.function in ("check", "predict") and "/" in call.exercise_id


@pytest.mark.parametrize(("source", "pattern"), [
    ('check_number(answer, stats.loc["books", "tokens"] / stats["tokens"].sum())', "must call check or predict"),
    ('check("2.2/x", answer, expected=stats.loc["books", "tokens"])', "names or literals"),
    ('check("2.2/x", answer, uniform_by_token(stats).tv(proportional(stats)))', "names or literals"),
    ('check("2.2/x", answer * 100)', "names or literals"),
    ('check("2.2/x", answer, [0.1, 0.9])', "names or literals"),
    ('check("2.2/x", answer, **kw)', "names or literals"),
    ('raw = {"web": 3}\ncheck("2.2/x", answer)', "exactly one call"),
    ("check(exercise_id, answer)", "exercise id as a string literal"),
    ('print(check("2.2/x", answer))', "must call check or predict"),
    ('check("2.2/x", answer', "not valid Python"),
    ("answer = 3", "exactly one call"),
])
def test_anything_else_is_refused(source: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        parse_check_cell(source)


def test_header_cells() -> None:
    assert parse_header_cell('exercise("2.2/x")') == "2.2/x"
    assert parse_header_cell('exercise("2.2/x", 3)') is None
    assert parse_header_cell('check("2.2/x", answer)') is None


# ---------------------------------------------------------------- the cell pattern
def _block(eid: str, stub: str, check: str, solution: str, hidden: bool = True) -> list[nbformat.NotebookNode]:
    return [new_code_cell(f'exercise("{eid}")'), new_code_cell(stub, metadata={"tags": ["exercise"]}),
            new_code_cell(check, metadata={"tags": ["check"]}),
            new_code_cell(solution, metadata={"tags": ["solution"], **(HIDDEN if hidden else {})})]


def _lesson() -> nbformat.NotebookNode:
    """A notebook with the pattern right for every registered 2.2 exercise."""
    cells = [new_markdown_cell("# 2.2")]
    for item in lesson_exercises("2.2"):
        task = getattr(item, "task", None)
        stub = task.stub() if task is not None else f"{item.answer_name} = ..."
        cells += _block(item.id, stub, item.check_call(), f"# solution\n{item.check_call()}")
    return new_notebook(cells=cells)


def test_a_notebook_with_the_pattern_has_no_problems() -> None:
    nb = _lesson()
    assert notebook_problems(nb, "2.2") == []
    items, problems = exercise_cells(nb)
    assert problems == [] and [i.exercise_id for i in items] == [e.id for e in lesson_exercises("2.2")]
    assert all(i.header is not None and i.stub == i.header + 1 and i.solutions == [i.check + 1] for i in items)


def _problems_after(edit: str) -> list[str]:
    nb = _lesson()
    first_compute = next(i for i, c in enumerate(nb.cells) if c.source == 'exercise("2.2/doc-to-token-weights")')
    stub, check, solution = nb.cells[first_compute + 1: first_compute + 4]
    if edit == "formula":
        check.source = 'check("2.2/doc-to-token-weights", answer.weights * 2)'
    elif edit == "no header":
        del nb.cells[first_compute]
    elif edit == "stub":
        stub.source = "answer = 0.5"
    elif edit == "open solution":
        solution.metadata.pop("jupyter")
    elif edit == "no solution":
        nb.cells.remove(solution)
    elif edit == "wrong section":
        check.source = 'check("2.3/doc-to-token-weights", answer)'
    elif edit == "predict with check":
        nb.cells[2 + 1].source = 'check("2.2/which-domain-gains-tokens", prediction)'
    elif edit == "orphan stub":
        nb.cells.insert(1, new_code_cell("answer = ...", metadata={"tags": ["exercise"]}))
    elif edit == "implement stub":
        nb.cells[5 + 1].source = "def doc_to_token(w_doc, mean_len):\n    return w_doc"
    return notebook_problems(nb, "2.2")


@pytest.mark.parametrize(("edit", "needle"), [
    ("formula", "check cell is not a single registry call"),
    ("no header", 'no header cell exercise("2.2/doc-to-token-weights")'),
    ("stub", "the stub must assign the placeholder: answer = ..."),
    ("open solution", "must be collapsed"),
    ("no solution", "no solution cell"),
    ("wrong section", "'2.3/doc-to-token-weights' is not a registered exercise of 2.2"),
    ("predict with check", 'the check cell must be predict("2.2/which-domain-gains-tokens", prediction)'),
    ("orphan stub", "tagged 'exercise' but no check cell follows it"),
    ("implement stub", "must define doc_to_token(...) raising NotImplementedError"),
])
def test_each_departure_from_the_pattern_is_named(edit: str, needle: str) -> None:
    problems = _problems_after(edit)
    assert any(needle in p for p in problems), problems


def test_missing_exercises_and_implement_requirement() -> None:
    only_compute = new_notebook(cells=_block("2.2/tv-two-views", "answer = ...", 'check("2.2/tv-two-views", answer)',
                                             'check("2.2/tv-two-views", answer)'))
    problems = notebook_problems(only_compute, "2.2")
    assert any("2.2/implement-doc-to-token: registered but has no check cell" in p for p in problems)


def test_collapse_solutions() -> None:
    nb = new_notebook(cells=_block("2.2/x", "answer = ...", 'check("2.2/x", answer)', "answer = 1", hidden=False))
    assert collapse_solutions(nb) == 1 and collapse_solutions(nb) == 0
    assert nb.cells[3].metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}


def test_solved_copy_puts_the_solution_in_place_of_the_stub() -> None:
    teacher = _lesson()
    student = new_notebook(cells=[c for c in teacher.cells if "solution" not in c.metadata.get("tags", [])])
    solved = solved_copy(student, teacher)
    stubs = [c for c in solved.cells if "exercise" in c.metadata.get("tags", [])]
    assert all(c.source.startswith("# solution\n") for c in stubs)
    assert all("exercise" in c.metadata.get("tags", []) for c in stubs)
    assert student.cells[2].source != solved.cells[2].source  # the input is not modified
    with pytest.raises(ValueError, match="must have a stub and a solution"):
        solved_copy(student, new_notebook(cells=[]))


# ---------------------------------------------------------------- numbers on display
@pytest.mark.parametrize(("value", "decimals", "forms"), [
    (0.32838, 3, ["0.328"]),
    (0.32861, 3, ["0.328", "0.329"]),
    (3.13302, 3, ["3.133"]),
    (-0.5212, 3, ["0.521"]),
    (1503982.4, 0, ["1,503,982", "1503982"]),
    (0.3, 3, []),
    (0.05, 3, []),
    (10.0, 0, []),
    (float("nan"), 3, []),
])
def test_shown_forms(value: float, decimals: int, forms: list[str]) -> None:
    assert shown_forms(value, decimals) == forms


def test_numeric_answers() -> None:
    assert numeric_answers(0.5) == [0.5] and numeric_answers(True) == [] and numeric_answers(["a", "b"]) == []
    assert numeric_answers(Mixture({"a": 0.25, "b": 0.75})) == [0.25, 0.75]
    assert numeric_answers({"a": 1, "b": "x"}) == [1.0]
