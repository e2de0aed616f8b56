"""Write the notebook fixtures of the hygiene tests (tests/fixtures/*.ipynb).

``good.ipynb`` is built and then really executed (so its outputs are genuine); each
``bad_*.ipynb`` is a copy of it broken in exactly one way. The tests copy them under course-style
names before checking, so only the intended rule fires::

    .venv/bin/python tools/make_fixtures.py

Used in: tests/test_notebook_hygiene.py, tests/test_cli.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mixlab.course import refresh_notebook

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def good_notebook() -> nbformat.NotebookNode:
    """A tiny notebook that follows every hygiene rule (before execution).

    Used in: the hygiene and CLI tests (via tests/fixtures/good.ipynb).
    """
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Fixture\nA notebook that follows every rule."),
            new_code_cell('import mixlab\n\nprint("mixlab", mixlab.__version__)'),
            new_code_cell("total = sum(range(5))\ntotal"),
            new_code_cell('raise ValueError("this cell fails on purpose")', metadata={"tags": ["raises-exception"]}),
            new_code_cell('print("after the tagged error", total)'),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


def _counts_out_of_order(nb: nbformat.NotebookNode) -> None:
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[1].execution_count, code[2].execution_count = code[2].execution_count, code[1].execution_count


def _unexecuted(nb: nbformat.NotebookNode) -> None:
    nb.cells.append(new_code_cell('print("never run")'))


def _untagged_error(nb: nbformat.NotebookNode) -> None:
    for c in nb.cells:
        c.metadata.pop("tags", None)


def _wrong_kernelspec(nb: nbformat.NotebookNode) -> None:
    nb.metadata["kernelspec"] = {"name": "mixlab-venv", "display_name": "mixlab venv", "language": "python"}


def _no_version(nb: nbformat.NotebookNode) -> None:
    nb.cells[1].outputs = []


#: Fixture name -> how it breaks the good notebook.
BREAKERS: dict[str, Callable[[nbformat.NotebookNode], None]] = {
    "bad_counts": _counts_out_of_order,
    "bad_unexecuted": _unexecuted,
    "bad_error": _untagged_error,
    "bad_kernelspec": _wrong_kernelspec,
    "bad_version": _no_version,
    "bad_filename": lambda nb: None,  # content is clean; the tests give it bad names
}


def main() -> None:
    """Write good.ipynb (executed) and every bad_*.ipynb."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    good = FIXTURES / "good.ipynb"
    nbformat.write(good_notebook(), str(good))
    run = refresh_notebook(good)
    if not run.ok:
        raise SystemExit(f"good fixture failed to execute: {run.failure}")
    executed = nbformat.read(str(good), as_version=4)
    for name, breaker in BREAKERS.items():
        nb = copy.deepcopy(executed)
        breaker(nb)
        nbformat.write(nb, str(FIXTURES / f"{name}.ipynb"))
        print(f"wrote tests/fixtures/{name}.ipynb")


if __name__ == "__main__":
    main()
