"""Classroom tools: student copies, the offline HTML site and the notebook wall-time report.

Student copies and the site are built from every notebook in ``notebooks/`` (whatever exists
when the tests run) plus ``tests/fixtures/exercises.ipynb``, a small lesson whose solution
lines carry marker words found nowhere else. Student copies are really executed on a kernel of
this Python; the budget logic is tested with fake timings only.

Used in: CI.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from exercise_status import UNCONVERTED

from mixlab import cli
from mixlab.classroom import (
    SITE_MARKER,
    STUDENT_MARKER,
    allow_exercise_stub,
    build_site,
    cell_tags,
    misspelt_tags,
    run_student_notebook,
    student_notebook,
    write_student_copies,
)
from mixlab.course import (
    SECTIONS,
    CellFailure,
    NotebookRun,
    list_notebooks,
    over_budget,
    runtime_table,
    section_of,
    write_runtime_report,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "exercises.ipynb"
FIXTURE_NAME = "exercises-fixture.ipynb"
#: Words that occur only in the fixture's solution cells.
FIXTURE_SECRETS = ("quokka", "wombat", "platypus")
COURSE = [p.name for p in list_notebooks(NOTEBOOKS)] if NOTEBOOKS.is_dir() else []
ALL = [*COURSE, FIXTURE_NAME]
#: Student copies executed here: the fixture and the notebooks not yet converted to the exercise registry.
EXECUTED = [n for n in ALL if n in UNCONVERTED or n == FIXTURE_NAME]


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
@pytest.mark.parametrize("name", EXECUTED)
def test_student_copy_executes(name: str, student_dir: Path) -> None:
    """Converted notebooks are executed (with stricter checks) by tests/test_exercises_notebooks.py."""
    run = run_student_notebook(student_dir / name, timeout=120)
    assert run.ok, f"student copy of {name} failed: {run.failure}"
    if name == FIXTURE_NAME:
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


def test_cli_course_student(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURE, src / FIXTURE_NAME)
    out = tmp_path / "student"
    assert cli.main(["course", "student", str(out), "--notebooks", str(src)]) == 0
    printed = capsys.readouterr().out
    assert f"{FIXTURE_NAME}: 3 solution cell(s) removed, 4 exercise/check cell(s) cleared" in printed
    assert (out / FIXTURE_NAME).is_file()
    assert cli.main(["course", "student", str(src), "--notebooks", str(src)]) == 2
    assert "OUT must be outside the source notebooks folder" in capsys.readouterr().out
    assert cli.main(["course", "student", str(out), "--notebooks", str(tmp_path / "none")]) == 2


# ============================================================================ static site
class _Links(HTMLParser):
    """Collect every URL a page references, by tag and attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attr, url)
        self.rels: dict[str, str] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for attr, value in attrs:
            if attr in ("href", "src") and value is not None:
                self.refs.append((tag, attr, value))
        a = dict(attrs)
        if tag == "a" and a.get("rel") in ("prev", "next") and a.get("href"):
            self.rels.setdefault(str(a["rel"]), str(a["href"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(course_copy: Path) -> Iterator[tuple[Path, list[Any]]]:
    """The site of the course copy, built with every network connection refused."""

    def no_network(self: socket.socket, address: Any) -> None:
        raise OSError(f"network access during the site build (to {address!r})")

    out = course_copy.parent / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(socket.socket, "connect_ex", no_network)
        pages = build_site(out, course_copy)
    yield out, pages


def test_site_has_a_page_per_notebook_and_an_index(site: tuple[Path, list[Any]], course_copy: Path) -> None:
    out, pages = site
    names = [p.name for p in list_notebooks(course_copy)]
    assert [p.filename for p in pages] == [Path(n).stem + ".html" for n in names]
    for page in pages:
        assert (out / page.filename).is_file()
    assert (out / "index.html").is_file() and (out / SITE_MARKER).is_file()
    index = _parse(out / "index.html")
    linked = [url for tag, attr, url in index.refs if tag == "a"]
    assert linked == [p.filename for p in pages]
    index_text = " ".join(index.text)
    for name in names:
        section = section_of(name)
        if section is not None:
            assert SECTIONS[section] in index_text
    assert "Exercises fixture" in index_text  # a notebook without a section: its first heading


def test_site_prev_next_on_every_page(site: tuple[Path, list[Any]]) -> None:
    out, pages = site
    files = ["index.html", *(p.filename for p in pages), "index.html"]
    for i, page in enumerate(pages):
        parsed = _parse(out / page.filename)
        assert parsed.rels == {"prev": files[i], "next": files[i + 2]}, page.filename
        assert ("a", "href", "index.html") in parsed.refs
        assert page.label in " ".join(parsed.text)


def test_site_relative_links_resolve_and_nothing_is_loaded_from_the_network(site: tuple[Path, list[Any]]) -> None:
    out, _ = site
    html_files = sorted(out.glob("*.html"))
    assert html_files
    checked = 0
    for page in html_files:
        raw = page.read_text(encoding="utf-8")
        for host in ("cdnjs.cloudflare.com", "unpkg.com", "cdn.jsdelivr.net", "fonts.googleapis.com"):
            assert host not in raw, f"{page.name} mentions {host}"
        for tag, attr, url in _parse(page).refs:
            parts = urlsplit(url)
            if tag != "a":  # anything the browser loads by itself must be local
                assert not parts.scheme.startswith("http") and not url.startswith("//"), f"{page.name}: {tag} {url}"
            if parts.scheme or url.startswith(("#", "//")) or not parts.path:
                continue  # external links to read (papers), data: URIs, in-page anchors
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.name}: {tag}[{attr}]={url!r} does not resolve"
            checked += 1
    assert checked >= 3 * len(html_files)


def test_site_pages_show_math_widgets_and_fold_solutions(site: tuple[Path, list[Any]]) -> None:
    out, _ = site
    page = (out / "exercises-fixture.html").read_text(encoding="utf-8")
    assert "_static/mathjax/MathJax.js?config=" in page
    assert (out / "_static" / "mathjax" / "MathJax.js").is_file()
    assert "\\sum_i w_i = 1" in page  # the TeX stays in the page for MathJax to typeset
    assert page.count('<details class="mixlab-hidden-input">') == 2  # the two solution code cells
    assert "shown failing on purpose" in page  # stored outputs, not re-executed
    assert "<script src=\"\"" not in page and "require.min.js" not in page


def test_site_replaces_widgets_by_a_note(tmp_path: Path) -> None:
    nb = nbformat.read(str(FIXTURE), as_version=4)
    demo = next(c for c in nb.cells if "demonstration weights" in _source(c))
    demo.outputs.append(
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
                "text/plain": "HBox(children=(FloatSlider(value=1.0),))",
            },
        )
    )
    src = tmp_path / "notebooks"
    src.mkdir()
    nbformat.write(nb, str(src / FIXTURE_NAME))
    build_site(tmp_path / "site", src, mathjax=False)
    page = (tmp_path / "site" / "exercises-fixture.html").read_text(encoding="utf-8")
    assert page.count("Interactive widget: open this notebook in JupyterLab") == 1
    assert "HBox(children=" not in page


def test_site_without_mathjax_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURE, src / FIXTURE_NAME)
    out = tmp_path / "site"
    assert cli.main(["course", "site", str(out), "--notebooks", str(src), "--no-mathjax"]) == 0
    assert "1 page(s) and index.html written" in capsys.readouterr().out
    assert not (out / "_static").exists()
    assert "MathJax" not in (out / "exercises-fixture.html").read_text(encoding="utf-8")
    assert cli.main(["course", "site", str(src), "--notebooks", str(src)]) == 2
    assert "OUT must be outside the source notebooks folder" in capsys.readouterr().out
    assert (src / FIXTURE_NAME).read_bytes() == FIXTURE.read_bytes()


# ============================================================================ wall-time report
def _fake_runs() -> list[NotebookRun]:
    return [
        NotebookRun(Path("00-course-map.ipynb"), 1.25),
        NotebookRun(Path("1.1-skill-profile.ipynb"), 12.5),
        NotebookRun(Path("2.2-mixture-vector.ipynb"), 10.0),
        NotebookRun(Path("3.6-capstone.ipynb"), 31.0, CellFailure("3.6-capstone.ipynb", 4, "x = 1", "E: boom")),
    ]


def test_over_budget_uses_a_strict_limit() -> None:
    runs = _fake_runs()
    assert [r.path.name for r in over_budget(runs, 10.0)] == ["1.1-skill-profile.ipynb", "3.6-capstone.ipynb"]
    assert over_budget(runs, 40) == []
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="budget"):
            over_budget(runs, bad)


def test_runtime_table_markdown_and_csv() -> None:
    runs = _fake_runs()
    md = runtime_table(runs, budget=10.0)
    lines = md.splitlines()
    assert lines[0] == "| notebook | section | seconds | status | budget 10 s |"
    assert "| 1.1-skill-profile.ipynb | 1.1 | 12.50 | ok | OVER |" in lines
    assert "| 2.2-mixture-vector.ipynb | 2.2 | 10.00 | ok | within |" in lines
    assert "| 3.6-capstone.ipynb | 3.6 | 31.00 | FAILED | OVER |" in lines
    assert lines[-1] == "| **total** |  | 54.75 | 3/4 ok | 2 over |"
    csv_text = runtime_table(runs, fmt="csv")
    assert csv_text.splitlines()[0] == "notebook,section,seconds,status"
    assert "00-course-map.ipynb,00,1.25,ok" in csv_text.splitlines()
    with pytest.raises(ValueError, match="fmt must be"):
        runtime_table(runs, fmt="html")


def test_write_runtime_report(tmp_path: Path) -> None:
    runs = _fake_runs()
    assert write_runtime_report(tmp_path / "r" / "times.csv", runs) == "csv"
    assert (tmp_path / "r" / "times.csv").read_text(encoding="utf-8") == runtime_table(runs, fmt="csv")
    mode = (tmp_path / "r" / "times.csv").stat().st_mode & 0o777
    assert mode & 0o644 == 0o644  # readable like any file written with open(), not mkstemp's 0600
    assert write_runtime_report(tmp_path / "times.md", runs, budget=5) == "markdown"
    assert "budget 5 s" in (tmp_path / "times.md").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="must end in one of"):
        write_runtime_report(tmp_path / "times.txt", runs)


@pytest.fixture
def fake_course(monkeypatch: pytest.MonkeyPatch) -> list[NotebookRun]:
    runs = [r for r in _fake_runs() if r.ok]

    def fake_run_course(directory: Any, **kwargs: Any) -> list[NotebookRun]:
        echo = kwargs.get("echo")
        for r in runs:
            if echo is not None:
                echo(r)
        return runs

    monkeypatch.setattr("mixlab.course.run_course", fake_run_course)
    return runs


def test_cli_budget_names_every_slow_notebook(
    fake_course: list[NotebookRun], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "times.md"
    assert cli.main(["course", "run", "--budget", "--report", str(report)]) == 1  # default 10 s
    out = capsys.readouterr().out
    assert "OVER BUDGET 1.1-skill-profile.ipynb: 12.50 s > 10 s" in out
    assert "OVER BUDGET 2.2" not in out and "OVER BUDGET 00" not in out
    assert "| notebook | section | seconds | status | budget 10 s |" in out
    assert report.read_text(encoding="utf-8") == runtime_table(fake_course, budget=10.0)

    assert cli.main(["course", "run", "--budget", "1"]) == 1
    out = capsys.readouterr().out
    assert [ln.split(":")[0] for ln in out.splitlines() if ln.startswith("OVER BUDGET")] == [
        "OVER BUDGET 00-course-map.ipynb",
        "OVER BUDGET 1.1-skill-profile.ipynb",
        "OVER BUDGET 2.2-mixture-vector.ipynb",
    ]
    assert cli.main(["course", "run", "--budget", "20"]) == 0
    assert "every notebook within the budget of 20 s" in capsys.readouterr().out
    assert cli.main(["course", "run"]) == 0  # no budget: the table only
    assert "| notebook | section | seconds | status |" in capsys.readouterr().out


def test_cli_budget_and_report_are_validated(
    fake_course: list[NotebookRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for bad in ("0", "-3", "soon", "inf"):
        with pytest.raises(SystemExit) as info:
            cli.main(["course", "run", "--budget", bad])
        assert info.value.code == 2
    calls = []
    monkeypatch.setattr("mixlab.course.run_course", lambda *a, **k: calls.append(1) or [])
    assert cli.main(["course", "run", "--report", str(tmp_path / "times.txt")]) == 2
    assert calls == []  # refused before running anything
