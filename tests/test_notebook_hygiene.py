"""Notebook hygiene: every committed notebook was run top to bottom and follows the course's rules.

The rules live in :func:`mixlab.course.check_notebook` (shared with the ``mixlab`` command); this
file applies them to ``notebooks/`` and proves, with the broken fixtures in ``tests/fixtures``,
that each rule can fail.

Used in: CI, every notebook author before committing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mixlab.course import SECTIONS, check_course, check_notebook, list_notebooks, section_of

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
COURSE_NOTEBOOKS = list_notebooks(NOTEBOOKS)


def _place(fixture: str, directory: Path, name: str = "1.1-fixture.ipynb") -> Path:
    """Copy a fixture into ``directory`` under a course-style name and return the copy."""
    target = directory / name
    shutil.copyfile(FIXTURES / fixture, target)
    return target


# -- the course itself ------------------------------------------------------------------------


def test_course_map_exists() -> None:
    assert (NOTEBOOKS / "00-course-map.ipynb").is_file()


@pytest.mark.parametrize("path", COURSE_NOTEBOOKS, ids=[p.name for p in COURSE_NOTEBOOKS])
def test_notebook_is_clean(path: Path) -> None:
    assert check_notebook(path) == []


def test_no_duplicate_sections_and_only_known_names() -> None:
    assert check_course(NOTEBOOKS) == []
    assert all(section_of(p) in SECTIONS for p in COURSE_NOTEBOOKS)


def test_sections_are_the_course_list() -> None:
    expected = ["00"] + [f"1.{i}" for i in range(1, 6)] + [f"2.{i}" for i in range(1, 6)]
    expected += [f"3.{i}" for i in range(1, 7)] + ["A.1"]
    assert list(SECTIONS) == expected


# -- the rules can fail -------------------------------------------------------------------------


def test_good_fixture_is_clean(tmp_path: Path) -> None:
    assert check_notebook(_place("good.ipynb", tmp_path)) == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bad_counts.ipynb", "execution counts 1..4 in order; got [1, 3, 2, 4]"),
        ("bad_unexecuted.ipynb", "unexecuted cells [5]"),
        ("bad_error.ipynb", "cell 3 has an error output (ValueError) but is not tagged 'raises-exception'"),
        ("bad_kernelspec.ipynb", "kernelspec name must be 'python3' (got 'mixlab-venv')"),
        ("bad_version.ipynb", "an output must show mixlab.__version__"),
    ],
)
def test_bad_fixture_gives_its_violation(tmp_path: Path, fixture: str, expected: str) -> None:
    problems = check_notebook(_place(fixture, tmp_path))
    assert len(problems) == 1, problems
    assert expected in problems[0]
    assert problems[0].startswith("1.1-fixture.ipynb: ")


@pytest.mark.parametrize(
    "name",
    [
        "bad_filename.ipynb",  # no section number
        "1.7-sampling.ipynb",  # outside the numbering pattern (sections run to 6 at most)
        "4.1-extra.ipynb",
        "B.1-appendix.ipynb",
        "01-course-map.ipynb",
        "1.1_mixtures.ipynb",
        "1.1-Mixtures.ipynb",
        "1.1-mixtures-.ipynb",
        "1.1-.ipynb",
    ],
)
def test_bad_filename_is_reported(tmp_path: Path, name: str) -> None:
    problems = check_notebook(_place("bad_filename.ipynb", tmp_path, name))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{name}: file name must match")


@pytest.mark.parametrize("name", ["00-course-map.ipynb", "1.5-methods-in-miniature.ipynb", "A.1-build.ipynb"])
def test_good_filenames_pass(tmp_path: Path, name: str) -> None:
    assert check_notebook(_place("good.ipynb", tmp_path, name)) == []


def test_section_out_of_course_list_is_rejected(tmp_path: Path) -> None:
    # 1.6 matches the numbering pattern but chapter 1 has five sections in COURSE.md
    problems = check_notebook(_place("good.ipynb", tmp_path, "1.6-extra.ipynb"))
    assert len(problems) == 1 and "section one of" in problems[0]


def test_duplicate_section_is_reported(tmp_path: Path) -> None:
    _place("good.ipynb", tmp_path, "2.2-mixture.ipynb")
    _place("good.ipynb", tmp_path, "2.2-mixture-vector.ipynb")
    problems = check_course(tmp_path)
    assert problems == ["section 2.2 must have one notebook (got 2.2-mixture-vector.ipynb, 2.2-mixture.ipynb)"]


def test_stripped_outputs_are_reported(tmp_path: Path) -> None:
    path = _place("good.ipynb", tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(nb, str(path))
    problems = check_notebook(path)
    assert any("outputs must be stored" in p for p in problems)
    assert any("cell 3 is tagged 'raises-exception' but stores no error output" in p for p in problems)


def test_plotting_without_inline_is_reported(tmp_path: Path) -> None:
    path = _place("good.ipynb", tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[2].source = "import matplotlib.pyplot as plt\n" + nb.cells[2].source
    nbformat.write(nb, str(path))
    assert check_notebook(path) == ["1.1-fixture.ipynb: a notebook that plots must call '%matplotlib inline'"]


def test_missing_mixlab_import_is_reported(tmp_path: Path) -> None:
    path = _place("good.ipynb", tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = 'import mixlab as m\nprint("mixlab", m.__version__)'
    nbformat.write(nb, str(path))
    problems = check_notebook(path)
    assert any("must import mixlab" in p for p in problems) is False  # `import mixlab as m` imports it
    assert any("must show mixlab.__version__" in p for p in problems)


@pytest.mark.parametrize(
    ("comment", "tag"),
    [
        ("# NBVAL_IGNORE_OUTPUT", "nbval-ignore-output"),
        ("#NBVAL_IGNORE_OUTPUT", "nbval-ignore-output"),
        ("   ## NBVAL_SKIP", "nbval-skip"),
        ("# NBVAL_RAISES_EXCEPTION", "raises-exception"),
        ("# PYTEST_VALIDATE_IGNORE_OUTPUT", "nbval-ignore-output"),
    ],
)
def test_nbval_comment_markers_are_refused(tmp_path: Path, comment: str, tag: str) -> None:
    path = _place("good.ipynb", tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "print" in c.source)
    nb.cells[index].source = comment + "\n" + nb.cells[index].source
    nbformat.write(nb, str(path))
    assert check_notebook(path) == [
        f"1.1-fixture.ipynb: cell {index} carries the comment '# {comment.lstrip().lstrip('#').strip()}' in code "
        f"the learner reads; tag the cell {tag!r} instead"
    ]


def test_nbval_comment_detection_matches_nbval() -> None:
    from nbval.plugin import comment_markers, find_comment_markers

    from mixlab.course import NBVAL_COMMENT_TAGS, nbval_comments

    assert set(NBVAL_COMMENT_TAGS) == set(comment_markers)
    sources = ["# NBVAL_IGNORE_OUTPUT\nx = 1", "x = 1  # NBVAL_IGNORE_OUTPUT", "#  NBVAL_SKIP", "print('# NBVAL_SKIP')",
               "# nbval_ignore_output", "y = 2\n    # NBVAL_CHECK_OUTPUT"]
    for source in sources:
        assert bool(nbval_comments(source)) == bool(list(find_comment_markers(source))), source


# -- the pytest configuration collects what it should -------------------------------------------


@pytest.mark.slow
def test_pytest_collects_notebooks_but_not_fixtures_or_benchmarks(tmp_path: Path) -> None:
    """Replay the project's pytest config on a miniature tree and read what it collects."""
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "benchmarks").mkdir()
    shutil.copyfile(ROOT / "tests" / "nbval_sanitize.cfg", tmp_path / "tests" / "nbval_sanitize.cfg")
    shutil.copyfile(FIXTURES / "bad_error.ipynb", tmp_path / "tests" / "fixtures" / "bad_error.ipynb")
    shutil.copyfile(FIXTURES / "good.ipynb", tmp_path / "notebooks" / "1.1-fixture.ipynb")
    (tmp_path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    (tmp_path / "benchmarks" / "test_bench.py").write_text("def test_bench():\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    collected = result.stdout
    assert "tests/test_unit.py::test_unit" in collected
    assert "notebooks/1.1-fixture.ipynb::Cell 0" in collected
    assert "fixtures" not in collected
    assert "benchmarks" not in collected


# -- the nbval sanitize file ----------------------------------------------------------------------


def _sanitize(text: str) -> str:
    """Apply tests/nbval_sanitize.cfg with nbval's own parser, in file order, as nbval does."""
    import re

    from nbval.plugin import get_sanitize_patterns

    config = (Path(__file__).resolve().parent / "nbval_sanitize.cfg").read_text(encoding="utf-8")
    patterns = get_sanitize_patterns(config)
    assert len(patterns) >= 6
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("<Figure at 0x7f3a2c1d9e10>", "<Figure at 0x7f00deadbeef>"),
        ("CPU times: user 1.2 s, sys: 3 ms", "CPU times: user 9 ms, sys: 1 ms"),
        ("Wall time: 12.5 ms", "Wall time: 1.01 s"),
        ("built 4 shards in 0.42 s", "built 4 shards in 1.3 s"),
        ("written at 2026-11-29T08:30:00Z", "written at 2027-01-02T11:12:13Z"),
        ("wrote /tmp/tmpab12cd/manifest.json", "wrote /tmp/tmpzz99yy/manifest.json"),
    ],
)
def test_sanitizer_hides_unstable_text(a: str, b: str) -> None:
    assert _sanitize(a) == _sanitize(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("web 0.61, code 0.12", "web 0.62, code 0.12"),
        ("loss 3.2104 nats/token", "loss 3.2105 nats/token"),
        ("kept 9500 of 10000 documents (95.0 %)", "kept 9400 of 10000 documents (94.0 %)"),
        ("epochs: 2.45", "epochs: 2.46"),
    ],
)
def test_sanitizer_keeps_lesson_numbers(a: str, b: str) -> None:
    assert _sanitize(a) != _sanitize(b)
