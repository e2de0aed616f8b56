"""Classroom hand-outs: student copies of the notebooks.

:func:`write_student_copies` writes every notebook without its ``solution`` cells and with the
outputs of ``exercise`` and ``check`` cells cleared; demonstrations keep their outputs, so a
learner sees the lesson as the teacher ran it and the exercises as blank stubs.
:func:`run_student_notebook` executes such a copy, letting only exercise stubs raise
``NotImplementedError``.

Copies are written into a staging folder next to the target and swapped in when complete, so
the target is never left half-written, and the source notebooks are never written into or over.
The same folder safety serves the course site (:mod:`mixlab.site`).

nbformat is imported inside the functions so that ``import mixlab`` stays cheap.

Used in: ``mixlab course student`` (teachers); 00 (course map).
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixlab.course import NotebookRun, list_notebooks, run_notebook

__all__ = [
    "SOLUTION_TAG",
    "EXERCISE_TAG",
    "CHECK_TAG",
    "STUDENT_ERRORS",
    "StudentCopy",
    "cell_tags",
    "student_notebook",
    "misspelt_tags",
    "write_student_copies",
    "allow_exercise_stub",
    "run_student_notebook",
]

#: Cells removed from student copies.
SOLUTION_TAG = "solution"
#: Cells a learner edits: kept, outputs cleared; the only cells allowed to raise in a student run.
EXERCISE_TAG = "exercise"
#: "Check yourself" cells: kept, outputs cleared.
CHECK_TAG = "check"
#: Exceptions an unfinished exercise stub may raise when a student copy is executed.
STUDENT_ERRORS: frozenset[str] = frozenset({"NotImplementedError"})

#: File that marks a folder as written by this module (so it may be replaced on the next run).
STUDENT_MARKER = ".mixlab-student"


# ============================================================================ student copies
def cell_tags(cell: Mapping[str, Any]) -> list[str]:
    """Return the tags of a notebook cell (``metadata.tags``), or an empty list.

    Used in: student copies; the classroom tests.
    """
    metadata = cell.get("metadata", {})
    tags = metadata.get("tags", []) if isinstance(metadata, Mapping) else []
    return [str(t) for t in tags] if isinstance(tags, list) else []


@dataclass(frozen=True)
class StudentCopy:
    """One student notebook written: where from, where to, and what was removed or cleared.

    Used in: ``mixlab course student``.
    """

    source: Path
    target: Path
    removed: int
    cleared: int

    def __str__(self) -> str:
        return (
            f"{self.target.name}: {self.removed} solution cell(s) removed, "
            f"{self.cleared} exercise/check cell(s) cleared"
        )


def student_notebook(nb: Any) -> tuple[Any, int, int]:
    """Return a student copy of a notebook object, plus how many cells were removed and cleared.

    Cells tagged ``solution`` (of any type) are removed; code cells tagged ``exercise`` or
    ``check`` lose their outputs and execution counts; every other cell is kept as it is,
    stored outputs included. Saved widget state (``metadata.widgets``) is dropped: it may hold
    values a solution computed, and JupyterLab rebuilds it when the learner runs the notebook.
    The input is not modified.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A version-4 notebook.

    Returns
    -------
    (nbformat.NotebookNode, int, int)
        The copy, the number of solution cells removed and the number of cells cleared.

    Used in: :func:`write_student_copies`.
    """
    out = copy.deepcopy(nb)
    kept = []
    removed = cleared = 0
    for cell in out.cells:
        tags = set(cell_tags(cell))
        if SOLUTION_TAG in tags:
            removed += 1
            continue
        if cell.get("cell_type") == "code" and tags & {EXERCISE_TAG, CHECK_TAG}:
            cell["outputs"] = []
            cell["execution_count"] = None
            cleared += 1
        kept.append(cell)
    out.cells = kept
    out.metadata.pop("widgets", None)
    return out, removed, cleared


def misspelt_tags(nb: Any) -> list[tuple[int, str]]:
    """Find tags that look like ``solution``, ``exercise`` or ``check`` but are not spelt exactly so.

    A solution cell tagged ``Solution`` or ``solutions`` would not be removed from the student
    copy, so such tags are reported (and :func:`write_student_copies` refuses to write).

    Returns
    -------
    list of (int, str)
        Cell index and offending tag, in cell order.

    Used in: :func:`write_student_copies`.
    """
    exact = {SOLUTION_TAG, EXERCISE_TAG, CHECK_TAG}
    found = []
    for index, cell in enumerate(nb.cells):
        for tag in cell_tags(cell):
            letters = "".join(ch for ch in tag.lower() if ch.isalpha())
            if tag not in exact and (letters in exact or letters.rstrip("s") in exact):
                found.append((index, tag))
    return found


def _check_target(target: Path, source: Path, marker: str, command: str) -> None:
    """Refuse targets that are, contain or sit inside the source folder, or hold foreign files."""
    if target == source or source in target.parents:
        raise ValueError(
            f"OUT must be outside the source notebooks folder (got OUT={str(target)!r}, "
            f"notebooks={str(source)!r}); student copies and pages must never land next to the originals"
        )
    if target in source.parents:
        raise ValueError(
            f"OUT must not contain the source notebooks folder (got OUT={str(target)!r}, "
            f"notebooks={str(source)!r}); it is replaced as a whole"
        )
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"OUT must be a folder (got the file {str(target)!r})")
    if target.is_dir() and any(target.iterdir()) and not (target / marker).is_file():
        raise FileExistsError(
            f"OUT must be new, empty or written by an earlier `mixlab {command}` "
            f"(got {str(target)!r}, which holds other files and no {marker} marker)"
        )


def _staging_dir(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    staging.chmod(0o755)
    return staging


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` (if any) by the complete ``staging`` folder."""
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_staged(target: Path, marker: str, fill: Callable[[Path], None]) -> None:
    staging = _staging_dir(target)
    try:
        fill(staging)
        (staging / marker).write_text("written by mixlab; replaced as a whole on the next run\n", encoding="utf-8")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _course_notebooks(notebooks: str | os.PathLike[str]) -> tuple[Path, list[Path]]:
    source = Path(notebooks).resolve()
    paths = list_notebooks(source)
    if not paths:
        raise ValueError(f"notebooks folder must contain at least one .ipynb file (got none in {str(source)!r})")
    return source, paths


def write_student_copies(
    out: str | os.PathLike[str], notebooks: str | os.PathLike[str] = "notebooks"
) -> list[StudentCopy]:
    """Write a student copy of every notebook of ``notebooks`` into the folder ``out``.

    See :func:`student_notebook` for what changes. Every copy is built and validated before
    anything is written; the files go to a staging folder beside ``out`` that then replaces
    ``out`` as a whole, so ``out`` never holds a mix of old and new or half-written copies.

    Parameters
    ----------
    out : str or path-like
        Target folder: new, empty, or written by an earlier call (it carries a marker file).
    notebooks : str or path-like
        Folder of the course notebooks (default ``notebooks``).

    Returns
    -------
    list of StudentCopy
        One per notebook, in course order.

    Raises
    ------
    NotADirectoryError
        If ``notebooks`` is not a folder, or ``out`` is a file.
    ValueError
        If ``notebooks`` holds no notebook, or ``out`` is, contains or sits inside it, or a
        notebook carries a misspelt tag (:func:`misspelt_tags`); nothing is written then.
    FileExistsError
        If ``out`` holds files that an earlier call did not write.

    Used in: ``mixlab course student`` (teachers hand the copies out).
    """
    import nbformat

    source, paths = _course_notebooks(notebooks)
    target = Path(out).resolve()
    _check_target(target, source, STUDENT_MARKER, "course student")
    built = []
    for p in paths:
        nb = nbformat.read(str(p), as_version=4)
        bad = misspelt_tags(nb)
        if bad:
            cells = ", ".join(f"cell {i} tagged {tag!r}" for i, tag in bad)
            raise ValueError(
                f"tags must be exactly {SOLUTION_TAG!r}, {EXERCISE_TAG!r} or {CHECK_TAG!r} (got {cells} in {p.name}); "
                "a misspelt solution tag would leak the solution into the student copy"
            )
        student, removed, cleared = student_notebook(nb)
        nbformat.validate(student)
        built.append((p, nbformat.writes(student) + "\n", removed, cleared))

    def fill(staging: Path) -> None:
        for p, text, _, _ in built:
            (staging / p.name).write_text(text, encoding="utf-8", newline="\n")

    _write_staged(target, STUDENT_MARKER, fill)
    return [StudentCopy(p, target / p.name, removed, cleared) for p, _, removed, cleared in built]


def allow_exercise_stub(cell: Mapping[str, Any], ename: str) -> bool:
    """Tell whether an error may stand in a student run: only :data:`STUDENT_ERRORS` in ``exercise`` cells.

    Used in: :func:`run_student_notebook`.
    """
    return EXERCISE_TAG in cell_tags(cell) and ename in STUDENT_ERRORS


def run_student_notebook(path: str | os.PathLike[str], *, timeout: float = 600.0) -> NotebookRun:
    """Execute a student copy headless, as a learner who has not started the exercises would.

    Like :func:`mixlab.course.run_notebook` (fresh kernel of this Python, file untouched), except
    that a cell tagged ``exercise`` may raise ``NotImplementedError``; cells tagged
    ``raises-exception`` may raise as always; any other error is a failure.

    Used in: the classroom tests; teachers checking copies before a class.
    """
    return run_notebook(path, timeout=timeout, allow_error=allow_exercise_stub)
