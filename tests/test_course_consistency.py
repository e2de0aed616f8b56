"""Course-wide rules for the stored notebooks: each idea shown once, deliberate errors short.

- **No repeated output.** A lesson that needs a table or message another lesson already shows
  links back to it instead of printing it again: no block of ``BLOCK`` or more consecutive
  non-blank output lines may appear in two notebooks.
- **Short deliberate errors.** A ``raises-exception`` cell shows the learner the message, not the
  library's internals: at most ``MAX_TRACEBACK_LINES`` lines of its stored traceback are not the
  error message itself (``%xmode Minimal`` in the setup cell gives zero).

Every course notebook meets both rules.

Used in: the test suite (issue "every claim in the lessons holds up").
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
COURSE = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
#: Shortest run of consecutive non-blank output lines that counts as a repeated block.
BLOCK = 5
#: Most lines of a deliberate error's traceback that are not its message.
MAX_TRACEBACK_LINES = 3
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Lines that say nothing about the lesson (figure placeholders, widget reprs) never form a block.
_NEUTRAL = re.compile(r"^(<Figure size .*>|<.* at 0x[0-9a-f]+>|Exception reporting mode: \w+)$")


def _output_texts(cell: Any) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            texts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            texts.append(out.get("data", {}).get("text/plain", ""))
        elif out.get("output_type") == "error":
            texts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
    return [t if isinstance(t, str) else "".join(t) for t in texts]


def _blocks(text: str) -> set[str]:
    lines = [ln.rstrip() for ln in _ANSI.sub("", text).splitlines()]
    lines = [ln for ln in lines if ln.strip() and not _NEUTRAL.match(ln.strip())]
    return {"\n".join(lines[i:i + BLOCK]) for i in range(len(lines) - BLOCK + 1)}


@cache
def _notebook_blocks() -> dict[str, dict[str, int]]:
    """Every block of BLOCK output lines, per notebook, with the index of the first cell showing it."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for name in COURSE:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            for text in _output_texts(cell):
                for block in _blocks(text):
                    found[name].setdefault(block, i)
    return found


def shared_blocks(name: str) -> list[str]:
    """Descriptions of the output blocks ``name`` shares with another notebook."""
    blocks = _notebook_blocks()
    problems = []
    for block, cell in sorted(blocks[name].items(), key=lambda kv: kv[1]):
        others = [f"{o} (cell {blocks[o][block]})" for o in COURSE if o != name and block in blocks[o]]
        if others:
            problems.append(f"cell {cell} shares with {', '.join(others)}:\n{block}")
    return problems


@pytest.mark.parametrize("name", COURSE)
def test_no_output_block_is_shown_by_two_notebooks(name: str) -> None:
    problems = shared_blocks(name)
    assert not problems, f"{name} repeats {len(problems)} output block(s) of {BLOCK}+ lines:\n" + "\n\n".join(
        problems[:5])


def traceback_overhead(error: Any) -> int:
    """Lines of a stored error's traceback that are not its ``ename: evalue`` message."""
    lines = [ln for ln in _ANSI.sub("", "\n".join(error.get("traceback", []))).splitlines() if ln.strip()]
    message = {ln.strip() for ln in f"{error.get('ename', '')}: {error.get('evalue', '')}".splitlines()}
    message |= {ln.strip() for ln in str(error.get("evalue", "")).splitlines()}
    return sum(1 for ln in lines if ln.strip() not in message)


@pytest.mark.parametrize("name", COURSE)
def test_deliberate_errors_show_a_short_traceback(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    long = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and traceback_overhead(out) > MAX_TRACEBACK_LINES:
                long.append(f"cell {i}: {traceback_overhead(out)} traceback lines before {out.get('ename')}")
    assert not long, f"{name}: deliberate errors with more than {MAX_TRACEBACK_LINES} lines of traceback: {long}"


def test_the_block_finder_sees_repeats_and_ignores_figures() -> None:
    table = "\n".join(f"row {i}  {i * 0.25:.2f}" for i in range(6))
    assert len(_blocks(table)) == 2 and not _blocks("<Figure size 640x480 with 1 Axes>\n" * 9)
    assert not _blocks("\n".join(["a", "", "b", "c", "d"]))  # four non-blank lines are not a block


def test_traceback_overhead_counts_frames_not_the_message() -> None:
    minimal = {"ename": "ValueError", "evalue": "bad\nsecond line",
               "traceback": ["\x1b[31mValueError\x1b[39m: bad\nsecond line"]}
    verbose = {"ename": "ValueError", "evalue": "bad",
               "traceback": ["Traceback (most recent call last)", "Cell In[3], line 1", "----> 1 f()",
                             "File mixlab/x.py:10, in f()", "ValueError: bad"]}
    assert traceback_overhead(minimal) == 0 and traceback_overhead(verbose) == 4
