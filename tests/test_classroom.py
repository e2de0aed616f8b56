"""Classroom tools: student copies of the notebooks.

Student copies are built from every notebook in ``notebooks/`` (whatever exists when the tests
run) plus ``tests/fixtures/exercises.ipynb``, a small lesson whose solution lines carry marker
words found nowhere else. Student copies are really executed on a kernel of this Python. (The
site's tests are in test_site.py; the wall-time report's and the command line's in test_cli.py.)

Used in: CI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mixlab.classroom import (
    STUDENT_MARKER,
    allow_exercise_stub,
    cell_tags,
    misspelt_tags,
    run_student_notebook,
    student_notebook,
    write_student_copies,
)
from mixlab.course import list_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "exercises.ipynb"
FIXTURE_NAME = "exercises-fixture.ipynb"
#: Words that occur only in the fixture's solution cells.
FIXTURE_SECRETS = ("quokka", "wombat", "platypus")
COURSE = [p.name for p in list_notebooks(NOTEBOOKS)] if NOTEBOOKS.is_dir() else []
ALL = [*COURSE, FIXTURE_NAME]


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway folder with every course notebook and the exercises fixture."""
    folder = tmp_path_factory.mktemp("course") / "notebooks"
    folder.mkdir()
    for name in COURSE:
        shutil.copyfile(NOTEBOOKS / name, folder / name)
    shutil.copyfile(FIXTURE, folder / FIXTURE_NAME)
    return folder


@pytest.fixture(scope="module")
def student_dir(course_copy: Path) -> Path:
    out = course_copy.parent / "student"
    write_student_copies(out, course_copy)
    return out


# ============================================================================ student copies
def test_fixture_student_copy_structure(course_copy: Path, student_dir: Path) -> None:
    teacher = nbformat.read(str(course_copy / FIXTURE_NAME), as_version=4)
    student = nbformat.read(str(student_dir / FIXTURE_NAME), as_version=4)
    assert not any("solution" in cell_tags(c) for c in student.cells)
    kept = [c for c in teacher.cells if "solution" not in cell_tags(c)]
    assert [_source(c) for c in student.cells] == [_source(c) for c in kept]
    for before, after in zip(kept, student.cells, strict=True):
        tags = set(cell_tags(after))
        if after.cell_type != "code":
            continue
        if tags & {"exercise", "check"}:
            assert after.outputs == [] and after.execution_count is None
        else:  # demonstrations (and the error shown on purpose) keep the teacher's outputs
            assert after.outputs == before.outputs and after.execution_count == before.execution_count
    demo = next(c for c in student.cells if "demonstration weights" in _source(c))
    assert "demonstration weights" in demo.outputs[0]["text"]


def test_student_notebook_counts_and_leaves_input_alone() -> None:
    nb = nbformat.read(str(FIXTURE), as_version=4)
    before = nbformat.writes(nb)
    student, removed, cleared = student_notebook(nb)
    assert (removed, cleared) == (3, 4)
    assert nbformat.writes(nb) == before
    nbformat.validate(student)


def _leaked_lines(teacher: Any, raw: str) -> tuple[list[str], int]:
    """Solution lines of ``teacher`` found in the notebook JSON ``raw``, and how many lines were searched.

    Lines that also occur in a non-solution cell of the same notebook, alone or inside a longer
    line (an import, ``answer`` passed to a checker, ``domains=domains)``), are not secret and are
    skipped, as are lines with fewer than four letters or digits (a lone bracket would match
    anything). A line counts as found if it occurs in a cell's source or output, or, JSON-escaped,
    anywhere in the file.
    """
    student = json.loads(raw)
    text = "\n".join(
        [_source(c) for c in student["cells"]]
        + [json.dumps(o, ensure_ascii=False) for c in student["cells"] for o in c.get("outputs", [])]
    )
    public = "\n".join(_source(c) for c in teacher.cells if "solution" not in cell_tags(c))
    leaked, searched = [], 0
    for cell in (c for c in teacher.cells if "solution" in cell_tags(c)):
        for line in {ln.strip() for ln in _source(cell).splitlines()}:
            if sum(ch.isalnum() for ch in line) < 4 or line in public:
                continue
            searched += 1
            if line in text or json.dumps(line, ensure_ascii=False)[1:-1] in raw:
                leaked.append(line)
    return sorted(leaked), searched


@pytest.mark.parametrize("name", ALL)
def test_no_solution_text_survives(name: str, course_copy: Path, student_dir: Path) -> None:
    """Every line of every solution cell is absent from the student notebook's JSON."""
    teacher = nbformat.read(str(course_copy / name), as_version=4)
    raw = (student_dir / name).read_text(encoding="utf-8")
    leaked, searched = _leaked_lines(teacher, raw)
    assert not leaked, f"{name}: solution lines found in the student copy: {leaked}"
    solutions = [c for c in teacher.cells if "solution" in cell_tags(c)]
    assert searched > 0 or not solutions, f"{name}: its solutions have no line distinctive enough to search"
    if name == FIXTURE_NAME:
        assert len(solutions) == 3 and searched >= 6
        for secret in FIXTURE_SECRETS:
            assert secret not in raw.lower()
        outputs = json.dumps([c.get("outputs", []) for c in json.loads(raw)["cells"]], ensure_ascii=False)
        assert "✅" not in outputs  # the checkers' success output came only from solutions


def test_leak_search_finds_solutions_left_in_place() -> None:
    teacher = nbformat.read(str(FIXTURE), as_version=4)
    leaked, searched = _leaked_lines(teacher, FIXTURE.read_text(encoding="utf-8"))
    assert len(leaked) == searched >= 6
    assert any("quokka" in line for line in leaked) and any("wombat" in line for line in leaked)


@pytest.mark.slow
def test_fixture_student_copy_executes(student_dir: Path) -> None:
    """The fixture's student copy runs; the course notebooks' copies are run by tests/test_exercises_notebooks.py."""
    run = run_student_notebook(student_dir / FIXTURE_NAME, timeout=120)
    assert run.ok, f"student copy of {FIXTURE_NAME} failed: {run.failure}"
    cells = run.notebook.cells
    outputs = [(c, o) for c in cells for o in c.get("outputs", [])]
    errors = [(cell_tags(c), o["ename"]) for c, o in outputs if o["output_type"] == "error"]
    assert errors == [(["raises-exception"], "ValueError"), (["exercise"], "NotImplementedError")]
    printed = "".join(o.get("text", "") for c in cells for o in c.get("outputs", []))
    assert "could not read your answer" in printed and "normalize() is not written yet" in printed


def test_allow_exercise_stub_policy() -> None:
    exercise = {"cell_type": "code", "metadata": {"tags": ["exercise"]}}
    demo = {"cell_type": "code", "metadata": {}}
    check = {"cell_type": "code", "metadata": {"tags": ["check"]}}
    assert allow_exercise_stub(exercise, "NotImplementedError")
    assert not allow_exercise_stub(exercise, "ValueError")
    assert not allow_exercise_stub(demo, "NotImplementedError")
    assert not allow_exercise_stub(check, "NotImplementedError")


@pytest.mark.slow
def test_student_run_fails_outside_exercise_cells(tmp_path: Path) -> None:
    nb = nbformat.read(str(FIXTURE), as_version=4)
    student, _, _ = student_notebook(nb)
    demo_index = next(i for i, c in enumerate(student.cells) if "demonstration weights" in _source(c))
    student.cells[demo_index].source = 'raise NotImplementedError("not an exercise")'
    path = tmp_path / "broken.ipynb"
    nbformat.write(student, str(path))
    run = run_student_notebook(path, timeout=60)
    assert not run.ok and run.failure is not None
    assert run.failure.cell_index == demo_index
    assert "NotImplementedError: not an exercise" in run.failure.error


def test_student_refuses_source_folder_and_foreign_targets(tmp_path: Path, course_copy: Path) -> None:
    before = {p.name: p.read_bytes() for p in course_copy.iterdir()}
    with pytest.raises(ValueError, match="outside the source notebooks folder"):
        write_student_copies(course_copy, course_copy)
    with pytest.raises(ValueError, match="outside the source notebooks folder"):
        write_student_copies(course_copy / "student", course_copy)
    with pytest.raises(ValueError, match="must not contain the source notebooks folder"):
        write_student_copies(course_copy.parent, course_copy)
    foreign = tmp_path / "handouts"
    foreign.mkdir()
    (foreign / "letter.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError, match="no .mixlab-student marker"):
        write_student_copies(foreign, course_copy)
    assert (foreign / "letter.txt").read_text(encoding="utf-8") == "keep me"
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(NotADirectoryError, match="must be a folder"):
        write_student_copies(tmp_path / "afile", course_copy)
    assert {p.name: p.read_bytes() for p in course_copy.iterdir()} == before


def test_student_rewrite_replaces_whole_folder_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURE, src / FIXTURE_NAME)
    out = tmp_path / "out"
    write_student_copies(out, src)
    (out / "stale.ipynb").write_text("{}", encoding="utf-8")
    first = (out / FIXTURE_NAME).read_bytes()
    write_student_copies(out, src)  # an earlier run's folder (marker present) is replaced as a whole
    assert sorted(p.name for p in out.iterdir()) == sorted([FIXTURE_NAME, STUDENT_MARKER])
    assert (out / FIXTURE_NAME).read_bytes() == first

    (src / "zz-second.ipynb").write_bytes(FIXTURE.read_bytes())
    calls = {"n": 0}
    real = Path.write_text

    def failing_write_text(self: Path, *args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing_write_text)
    with pytest.raises(OSError, match="disk full"):
        write_student_copies(out, src)
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == sorted([FIXTURE_NAME, STUDENT_MARKER])  # old folder intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "out"]  # no staging left behind


def test_misspelt_tags_are_refused(tmp_path: Path) -> None:
    nb = nbformat.read(str(FIXTURE), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "solution" in cell_tags(c))
    nb.cells[index].metadata["tags"] = ["Solution"]
    nb.cells[index + 1].metadata["tags"] = ["solutions", "raises-exception"]
    assert misspelt_tags(nb) == [(index, "Solution"), (index + 1, "solutions")]
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(nb, str(src / FIXTURE_NAME))
    with pytest.raises(ValueError, match=f"cell {index} tagged 'Solution'.*would leak the solution"):
        write_student_copies(tmp_path / "out", src)
    assert not (tmp_path / "out").exists()
    assert misspelt_tags(nbformat.read(str(FIXTURE), as_version=4)) == []
