"""The library's layout rules, checked on the source (docs/design.md, "Layout rules").

- Each module holds one concept and stays readable: at most ``MAX_MODULE_LINES`` lines.
- Each function (or method) does one thing: at most ``MAX_FUNCTION_LINES`` lines, docstring
  included.
- The same logic lives in one place: no block of ``MIN_DUPLICATE_LINES`` or more consecutive
  code lines (compared without indentation, blank lines and comments) appears twice in ``mixlab/``.
  The ``duplicates`` tool also finds blocks of the same shape with other names; this test holds
  the exact case.
- Every name in a module's ``__all__`` is listed in docs/design.md.
- Every "Used in:" back-link is true: a public name whose docstring says it is used in a lesson
  appears in that lesson's code cells or in its exercise catalog (the code its check cells run).

Used in: the test suite (CI).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mixlab"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
MIN_DUPLICATE_LINES = 6
#: Lesson sections as "Used in:" lines name them.
SECTION = re.compile(r"(?<![\w.])(00|[123]\.[1-6]|A\.1)(?![\w.]*\d)")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_module_is_small(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_MODULE_LINES, f"{_rel(path)} has {n} lines (limit {MAX_MODULE_LINES}): split it by concept"


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``name (lines)`` for every function in ``source`` longer than ``limit`` lines (decorators excluded)."""
    out = []
    for fn in _functions(ast.parse(source)):
        n = (fn.end_lineno or fn.lineno) - fn.lineno + 1
        if n > limit:
            out.append(f"{fn.name} ({n} lines, line {fn.lineno})")
    return out


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_functions_are_short(path: Path) -> None:
    long = long_functions(path.read_text(encoding="utf-8"))
    assert not long, f"{_rel(path)}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


def _code_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, stripped text) of the logic lines of a module.

    Left out: blank lines, comments, docstrings, imports and function signatures (a shared
    parameter list is an interface, not logic written twice).
    """
    source = path.read_text(encoding="utf-8")
    skip: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            skip.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
        if isinstance(node, ast.Import | ast.ImportFrom):
            skip.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip.update(range(node.lineno, node.body[0].lineno))
    lines = []
    for i, raw in enumerate(source.splitlines(), start=1):
        text = raw.strip()
        if text and not text.startswith("#") and i not in skip:
            lines.append((i, text))
    return lines


#: Lines too generic to make a block interesting on their own (closing brackets, bare keywords).
_TRIVIAL = re.compile(r"^([)\]}],?|\)\s*->.*:|else:|try:|finally:|return|pass|\.\.\.|[\w.]+,|\*\*?\w+,?)$")


def duplicate_blocks(paths: list[Path], size: int = MIN_DUPLICATE_LINES) -> list[str]:
    """Every block of ``size`` consecutive code lines that appears in two places (exact, stripped)."""
    seen: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in paths:
        lines = _code_lines(path)
        for k in range(len(lines) - size + 1):
            window = tuple(text for _, text in lines[k:k + size])
            if sum(1 for t in window if not _TRIVIAL.match(t)) < size - 1:
                continue
            seen[window].append(f"{_rel(path)}:{lines[k][0]}")
    return [" and ".join(places) + ":\n    " + "\n    ".join(block)
            for block, places in seen.items() if len(places) > 1]


def test_no_block_of_code_is_written_twice() -> None:
    dups = duplicate_blocks(MODULES)
    assert not dups, f"{len(dups)} block(s) of {MIN_DUPLICATE_LINES}+ lines written twice in mixlab/:\n" + \
        "\n".join(dups[:5])


def test_the_layout_checks_can_fail(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}\n    return 0\n") == [f"f ({MAX_FUNCTION_LINES + 2} lines, line 1)"]
    block = "".join(f"total = total + values[{i}] * {i}\n" for i in range(MIN_DUPLICATE_LINES))
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(f'"""Doc."""\n{block}')
    b.write_text(f"# comment\n\n{block}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(__import__(__name__), "ROOT", tmp_path)
        assert len(duplicate_blocks([a, b])) == 1
        b.write_text(block.replace("* 3", "* 4"))
        assert duplicate_blocks([a, b]) == []


# ---------------------------------------------------------------------------------- design.md
def _module_names() -> list[str]:
    names = []
    for path in MODULES:
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@cache
def _exports() -> dict[str, list[str]]:
    out = {}
    for name in _module_names():
        if name == "mixlab.__main__":  # runs the command line when imported
            continue
        module = importlib.import_module(name)
        out[name] = list(getattr(module, "__all__", []))
    return out


def test_design_notes_list_every_public_name() -> None:
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", design))
    missing = {m: [n for n in names if n not in words] for m, names in _exports().items()}
    missing = {m: n for m, n in missing.items() if n}
    assert not missing, "docs/design.md does not list: " + "; ".join(f"{m}: {', '.join(n)}"
                                                                       for m, n in sorted(missing.items()))


# ---------------------------------------------------------------------------------- Used in:
@cache
def _lesson_code() -> dict[str, str]:
    """Per lesson section: its notebook's code cells and its exercise catalog (what its check cells run)."""
    code = {}
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        section = nb_path.name.split("-", 1)[0]
        code[section] = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        catalog = PACKAGE / "exercises" / "catalog" / f"s{section.replace('.', '_')}.py"
        if catalog.is_file():
            code[section] += "\n" + catalog.read_text(encoding="utf-8")
    return code


def used_in_sections(doc: str) -> list[str]:
    """The lesson sections a docstring's "Used in:" paragraph names (empty if it has none)."""
    match = re.search(r"Used in:(.*?)(?:\n\s*\n|$)", doc, flags=re.S)
    return sorted(set(SECTION.findall(match.group(1)))) if match else []


def _documented() -> Iterator[tuple[str, str, str]]:
    """(module, public name, docstring) for every name in an ``__all__`` and the public methods of its classes."""
    for module_name, names in _exports().items():
        module = importlib.import_module(module_name)
        for name in names:
            obj = getattr(module, name, None)
            if obj is None or getattr(obj, "__module__", module_name) != module_name:
                continue  # a re-export: checked where it is defined
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield module_name, name, inspect.getdoc(obj) or ""
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                        yield module_name, attr, inspect.getdoc(member) or ""


def false_back_links() -> list[str]:
    code = _lesson_code()
    wrong = []
    for module_name, name, doc in _documented():
        for section in used_in_sections(doc):
            if section not in code:
                wrong.append(f"{module_name}.{name}: names {section}, which is no lesson")
            elif not re.search(rf"\b{re.escape(name)}\b", code[section]):
                wrong.append(f"{module_name}.{name}: claims lesson {section}, whose code never names it")
    return sorted(set(wrong))


def test_used_in_back_links_are_true() -> None:
    wrong = false_back_links()
    assert not wrong, f"{len(wrong)} false 'Used in:' back-link(s):\n" + "\n".join(wrong)


def test_used_in_parser_reads_sections() -> None:
    doc = "Summary.\n\nUsed in: 1.2 (drift demo), 2.5, A.1 and 00; see :func:`f` (v2.0).\n\nMore."
    assert used_in_sections(doc) == ["00", "1.2", "2.5", "A.1"]
    assert used_in_sections("No back-link here.") == []
