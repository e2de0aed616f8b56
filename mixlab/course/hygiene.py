"""Notebook hygiene: the rules every committed course notebook follows, as checks that name each violation.

:func:`check_notebook` applies them to one ``.ipynb`` file and :func:`check_course` to a whole
``notebooks/`` folder; both return a list of messages (empty when clean), so a test, the command
line or an author can print them all at once.

nbformat is imported inside the functions so that ``import mixlab.course`` stays cheap.

Used in: tests/test_notebook_hygiene.py; ``mixlab course``; every notebook author before committing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mixlab.course.catalog import (
    KERNEL_NAME,
    NOTEBOOK_NAME_RE,
    SECTIONS,
    cell_source,
    first_line,
    list_notebooks,
    section_of,
)

__all__ = ["RAISES_TAG", "IGNORE_OUTPUT_TAG", "NBVAL_COMMENT_TAGS", "nbval_comments", "check_notebook", "check_course"]

#: Cell tag that allows a cell to raise (and requires its stored output to show the error).
RAISES_TAG = "raises-exception"

#: Cell tag that tells nbval not to compare a cell's outputs (versions, timings, widgets).
IGNORE_OUTPUT_TAG = "nbval-ignore-output"

#: nbval's comment markers and the cell tag that replaces each (nbval honours both; the course
#: uses tags only, so that no test instruction sits in code the learner reads).
NBVAL_COMMENT_TAGS: dict[str, str] = {
    "NBVAL_IGNORE_OUTPUT": IGNORE_OUTPUT_TAG,
    "PYTEST_VALIDATE_IGNORE_OUTPUT": IGNORE_OUTPUT_TAG,
    "NBVAL_CHECK_OUTPUT": "nbval-check-output",
    "NBVAL_RAISES_EXCEPTION": RAISES_TAG,
    "NBVAL_SKIP": "nbval-skip",
}

_VERSION_RE = re.compile(r"\d+\.\d+(?:\.\d+)?")
_PLOTS_RE = re.compile(
    r"^\s*(?:import|from)\s+(?:matplotlib|mixlab\.plots)\b|^\s*from\s+mixlab\s+import\s[^\n]*\bplots\b",
    flags=re.MULTILINE,
)


def nbval_comments(source: str) -> list[str]:
    """Return the nbval comment markers in a cell's source, in order (as nbval itself finds them).

    nbval reads a line as a marker when, stripped, it starts with ``#`` and the rest, stripped of
    ``#`` and spaces, is one of its marker words (e.g. ``# NBVAL_IGNORE_OUTPUT``).

    Parameters
    ----------
    source : str
        A code cell's source.

    Returns
    -------
    list of str
        The marker words found (keys of :data:`NBVAL_COMMENT_TAGS`).

    Used in: :func:`check_notebook`; the script that converts markers to tags.
    """
    found = []
    for line in source.splitlines():
        text = line.strip()
        if text.startswith("#") and text.lstrip("#").strip() in NBVAL_COMMENT_TAGS:
            found.append(text.lstrip("#").strip())
    return found


def _output_text(output: Mapping[str, Any]) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
        return "".join(text) if isinstance(text, list) else str(text)
    data = output.get("data", {})
    plain = data.get("text/plain", "") if isinstance(data, Mapping) else ""
    return "".join(plain) if isinstance(plain, list) else str(plain)


def _check_name(name: str) -> list[str]:
    if not NOTEBOOK_NAME_RE.match(name) or section_of(name) not in SECTIONS:
        return [
            f"{name}: file name must match {NOTEBOOK_NAME_RE.pattern} "
            f"(section one of {', '.join(SECTIONS)}, then a lowercase-hyphenated slug)"
        ]
    return []


def _check_execution(name: str, code: Sequence[tuple[int, Any]]) -> list[str]:
    """Empty cells, execution counts 1..N in order, stored outputs."""
    problems = []
    empty = [i for i, c in code if not cell_source(c).strip()]
    if empty:
        problems.append(f"{name}: empty code cells must be removed (cells {empty})")
    runnable = [(i, c) for i, c in code if cell_source(c).strip()]
    counts = [c.get("execution_count") for _, c in runnable]
    if counts != list(range(1, len(runnable) + 1)):
        unexecuted = [i for i, c in runnable if c.get("execution_count") is None]
        detail = f"unexecuted cells {unexecuted}" if unexecuted else f"got {counts}"
        problems.append(
            f"{name}: code cells must be executed top to bottom on a fresh kernel "
            f"(execution counts 1..{len(runnable)} in order; {detail})"
        )
    if runnable and not any(c.get("outputs") for _, c in runnable):
        problems.append(f"{name}: outputs must be stored (no code cell has an output)")
    return problems


def _check_cells(name: str, runnable: Sequence[tuple[int, Any]]) -> list[str]:
    """Errors only in cells tagged to raise (and those show one); nbval markers as tags, not comments."""
    problems = []
    for i, c in runnable:
        tags = c.metadata.get("tags", [])
        errors = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
        if errors and RAISES_TAG not in tags:
            ename = errors[0].get("ename", "error")
            problems.append(
                f"{name}: cell {i} has an error output ({ename}) but is not tagged {RAISES_TAG!r}: "
                f"{first_line(cell_source(c))!r}"
            )
        if RAISES_TAG in tags and not errors:
            problems.append(f"{name}: cell {i} is tagged {RAISES_TAG!r} but stores no error output")
        for marker in nbval_comments(cell_source(c)):
            problems.append(
                f"{name}: cell {i} carries the comment '# {marker}' in code the learner reads; "
                f"tag the cell {NBVAL_COMMENT_TAGS[marker]!r} instead"
            )
    return problems


def _check_imports(name: str, runnable: Sequence[tuple[int, Any]]) -> list[str]:
    """mixlab imported, its version shown, ``%matplotlib inline`` wherever the notebook plots."""
    problems = []
    sources = "\n".join(cell_source(c) for _, c in runnable)
    if not re.search(r"^\s*(import mixlab|from mixlab\b)", sources, flags=re.MULTILINE):
        problems.append(f"{name}: must import mixlab")
    shows_version = any(
        "mixlab.__version__" in cell_source(c)
        and any("mixlab" in _output_text(o) and _VERSION_RE.search(_output_text(o)) for o in c.get("outputs", []))
        for _, c in runnable
    )
    if not shows_version:
        problems.append(f"{name}: an output must show mixlab.__version__ (e.g. print('mixlab', mixlab.__version__))")
    if _PLOTS_RE.search(sources) and "%matplotlib inline" not in sources:
        problems.append(f"{name}: a notebook that plots must call '%matplotlib inline'")
    return problems


def check_notebook(path: str | os.PathLike[str]) -> list[str]:
    """Check one committed notebook against the course's hygiene rules.

    The rules: the file name is ``<section>-<slug>.ipynb`` with a section of the course
    (:data:`~mixlab.course.catalog.SECTIONS`); the kernelspec is ``python3``; the notebook was
    executed top to bottom on a fresh kernel (non-empty code cells carry execution counts exactly
    1..N in order, and outputs are stored); no empty code cells; no error output except in cells
    tagged ``raises-exception`` (and such cells do show their error); nbval's instructions are
    cell tags (``nbval-ignore-output``), never comments such as ``# NBVAL_IGNORE_OUTPUT`` in code
    the learner reads; the notebook imports mixlab and an output shows ``mixlab.__version__``; a
    notebook that plots calls ``%matplotlib inline``.

    Parameters
    ----------
    path : str or path-like
        The ``.ipynb`` file.

    Returns
    -------
    list of str
        One message per violation, each starting with the file name; empty when clean.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.

    Used in: tests/test_notebook_hygiene.py, ``mixlab course``.
    """
    import nbformat

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"path must be an existing notebook file (got {str(p)!r})")
    name = p.name
    problems = _check_name(name)
    try:
        nb = nbformat.read(str(p), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a violation to report
        problems.append(f"{name}: cannot be read as a notebook ({type(exc).__name__}: {exc})")
        return problems
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != KERNEL_NAME:
        problems.append(f"{name}: kernelspec name must be {KERNEL_NAME!r} (got {kernel!r})")
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    runnable = [(i, c) for i, c in code if cell_source(c).strip()]
    problems += _check_execution(name, code)
    problems += _check_cells(name, runnable)
    problems += _check_imports(name, runnable)
    return problems


def check_course(directory: str | os.PathLike[str]) -> list[str]:
    """Check every notebook in ``directory`` and the set of sections they cover.

    Adds to the per-notebook violations of :func:`check_notebook` one violation per section
    number used by more than one notebook.

    Parameters
    ----------
    directory : str or path-like
        The ``notebooks/`` folder.

    Returns
    -------
    list of str
        All violations; empty when the course folder is clean.

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not an existing directory.

    Used in: tests/test_notebook_hygiene.py.
    """
    paths = list_notebooks(directory)
    problems: list[str] = []
    for p in paths:
        problems.extend(check_notebook(p))
    by_section: dict[str, list[str]] = {}
    for p in paths:
        sec = section_of(p)
        if sec is not None:
            by_section.setdefault(sec, []).append(p.name)
    for sec, names in by_section.items():
        if len(names) > 1:
            problems.append(f"section {sec} must have one notebook (got {', '.join(sorted(names))})")
    return problems
