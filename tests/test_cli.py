"""The ``mixlab`` command: help, doctor, ``course run``/``refresh``/``student``, the wall-time report, the runner.

Kernels are real (this Python's ipykernel); missing packages are simulated by injecting a fake
version lookup, never by uninstalling anything; the budget logic is tested with fake timings.
Bad invocations of every subcommand are in test_cli_errors.py.

Used in: CI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mixlab import __version__, cli, doctor
from mixlab.course import (
    CellFailure,
    NotebookRun,
    check_notebook,
    over_budget,
    run_notebook,
    runtime_table,
    write_runtime_report,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_NAME = "exercises-fixture.ipynb"


def _course_dir(tmp_path: Path, *fixtures: tuple[str, str]) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for fixture, name in fixtures:
        shutil.copyfile(FIXTURES / fixture, folder / name)
    return folder


def test_help_via_python_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mixlab", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    for command in ("doctor", "course"):
        assert command in result.stdout


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "mixlab"
    assert script.is_file(), f"console script missing next to {sys.executable}"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == f"mixlab {__version__}"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and "usage: mixlab" in result.stdout


def test_course_help_lists_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["course"]) == 2
    out = capsys.readouterr().out
    assert "run" in out and "refresh" in out


@pytest.mark.slow
def test_course_run_good_notebooks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _course_dir(tmp_path, ("good.ipynb", "1.1-good.ipynb"))
    before = (folder / "1.1-good.ipynb").read_bytes()
    assert cli.main(["course", "run", "--notebooks", str(folder), "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert "1.1-good.ipynb" in out and " s " in out  # wall time printed per notebook
    assert "1/1 notebooks ran cleanly" in out
    assert (folder / "1.1-good.ipynb").read_bytes() == before  # the original is untouched


@pytest.mark.slow
def test_course_run_reports_failing_notebook_and_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # bad_error.ipynb raises in cell 3 without the raises-exception tag
    folder = _course_dir(tmp_path, ("good.ipynb", "1.1-good.ipynb"), ("bad_error.ipynb", "1.2-broken.ipynb"))
    before = (folder / "1.2-broken.ipynb").read_bytes()
    assert cli.main(["course", "run", "--notebooks", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "FAILED 1.2-broken.ipynb: cell 3 failed ('raise ValueError(\"this cell fails on purpose\")')" in out
    assert "ValueError: this cell fails on purpose" in out
    assert "1/2 notebooks ran cleanly" in out
    assert (folder / "1.2-broken.ipynb").read_bytes() == before


def test_course_run_rejects_missing_or_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["course", "run", "--notebooks", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"mixlab: error: --notebooks folder not found: {str(tmp_path / 'nope')!r}\n"
    assert cli.main(["course", "run", "--notebooks", str(tmp_path)]) == 2
    assert "no .ipynb file in the notebooks folder" in capsys.readouterr().err


def test_run_notebook_rejects_bad_timeout() -> None:
    with pytest.raises(ValueError, match="timeout must be > 0"):
        run_notebook(FIXTURES / "good.ipynb", timeout=0)


@pytest.mark.slow
def test_course_refresh_rewrites_counts_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _course_dir(tmp_path, ("bad_counts.ipynb", "1.1-stale.ipynb"))
    path = folder / "1.1-stale.ipynb"
    assert check_notebook(path) != []
    assert cli.main(["course", "refresh", str(path)]) == 0
    assert "refreshed" in capsys.readouterr().out
    assert check_notebook(path) == []
    assert [p.name for p in folder.iterdir()] == ["1.1-stale.ipynb"]  # no temp file left behind
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
def test_course_refresh_leaves_failing_notebook_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _course_dir(tmp_path, ("bad_error.ipynb", "1.1-broken.ipynb"))
    path = folder / "1.1-broken.ipynb"
    before = path.read_bytes()
    assert cli.main(["course", "refresh", str(path)]) == 1  # a failed run exits 1
    out = capsys.readouterr().out
    assert "NOT written" in out and "cell 3" in out
    assert path.read_bytes() == before
    # every path is checked before anything runs: a missing one is a usage error (2) and nothing is refreshed
    assert cli.main(["course", "refresh", str(path), str(folder / "missing.ipynb")]) == 2
    captured = capsys.readouterr()
    assert "NOT written" not in captured.out
    assert captured.err == f"mixlab: error: notebook not found: {str(folder / 'missing.ipynb')!r}\n"
    assert path.read_bytes() == before


@pytest.mark.slow
def test_doctor_passes_here(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor", "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert "[ok  ] jupyter kernel" in out
    assert "[ok  ] ipywidgets JupyterLab extension" in out
    assert "[ok  ] numpy" in out


def test_doctor_names_a_missing_package(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version", lambda name: None if name == "numpy" else real(name))
    assert cli.main(["doctor", "--no-kernel"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] numpy: not installed (need numpy>=1.26)" in out
    assert "Missing or broken: numpy." in out


def _installed_except(name: str, version: str | None):  # noqa: ANN202 - a version_of for run_doctor
    """The real installed versions, except ``name``, which reports ``version``.

    (Not "999" for everything else: an editable install from hatchling also requires
    ``editables~=0.3``, which "999" would not satisfy.)
    """
    return lambda n: version if n == name else doctor.installed_version(n)


def test_doctor_names_a_too_old_package() -> None:
    report = doctor.run_doctor(version_of=_installed_except("pandas", "1.0"), kernel=False)
    assert not report.ok
    assert report.missing == ["pandas"]
    assert "1.0 is installed but pandas>=2.1 is required" in report.render()


def test_doctor_missing_dev_package_only_warns() -> None:
    report = doctor.run_doctor(version_of=_installed_except("hypothesis", None), kernel=False)
    assert report.ok
    assert "[warn] hypothesis (dev): not installed" in report.render()


def test_doctor_reports_missing_widgets_extension(tmp_path: Path) -> None:
    check = doctor.check_widgets_extension([tmp_path])
    assert not check.ok and "jupyterlab-manager not found" in check.detail
    report = doctor.run_doctor(kernel=False, data_paths=[tmp_path])
    assert report.missing == ["ipywidgets JupyterLab extension"]


def test_doctor_rejects_old_python() -> None:
    check = doctor.check_python((3, 10, 4))
    assert not check.ok and "Python >= 3.11 is required (got 3.10.4" in check.detail


@pytest.mark.slow
def test_course_refresh_stores_no_timings_or_absolute_paths(tmp_path: Path) -> None:
    # a notebook whose cell raises on purpose inside a module under the course folder
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "helper_mod.py").write_text("def boom():\n    raise ValueError('on purpose')\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    setup = nbformat.v4.new_code_cell(f"import sys\nsys.path.insert(0, {str(course)!r})\nimport helper_mod")
    raising = nbformat.v4.new_code_cell("helper_mod.boom()")
    raising.metadata["tags"] = ["raises-exception"]
    setup.metadata["execution"] = {"shell.execute_reply": "2026-01-01T00:00:00Z"}  # left by an earlier run
    nb.cells = [setup, raising]
    path = course / "notebooks" / "1.1-paths.ipynb"
    nbformat.write(nb, str(path))
    assert cli.main(["course", "refresh", str(path)]) == 0
    stored = nbformat.read(str(path), as_version=4)
    error = stored.cells[1].outputs[0]
    assert error.output_type == "error" and error.evalue == "on purpose"
    text = "\n".join(error.traceback)
    assert "helper_mod.py" in text and str(course) not in text  # relative to the course folder
    assert all("execution" not in cell.metadata for cell in stored.cells)


def _kernel_processes() -> list[int]:
    """PIDs of this process's live (not zombie) ipykernel children."""
    import psutil

    found = []
    for child in psutil.Process().children(recursive=False):  # a kernel is a child of its runner
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child.pid)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.slow
def test_runner_shuts_down_each_kernel_as_soon_as_its_notebook_finishes(tmp_path: Path) -> None:
    import threading

    from mixlab.course import run_course

    folder = _course_dir(
        tmp_path, ("good.ipynb", "1.1-a.ipynb"), ("bad_error.ipynb", "1.2-b.ipynb"), ("good.ipynb", "1.3-c.ipynb")
    )
    assert _kernel_processes() == []
    seen: set[int] = set()
    most = {"alive": 0}
    alive_at_finish: list[list[int]] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            alive = _kernel_processes()
            seen.update(alive)
            most["alive"] = max(most["alive"], len(alive))
            stop.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        runs = run_course(folder, timeout=60, echo=lambda run: alive_at_finish.append(_kernel_processes()))
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert [r.ok for r in runs] == [True, False, True]  # a failing notebook's kernel goes too
    assert len(seen) == 3, f"expected one kernel per notebook, saw {sorted(seen)}"
    assert most["alive"] == 1
    assert alive_at_finish == [[], [], []]  # gone before the next notebook starts
    assert _kernel_processes() == []  # and none left when the call returns


@pytest.mark.slow
def test_runner_kernel_does_not_warn_about_plain_tcp(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    run = run_notebook(FIXTURES / "good.ipynb", timeout=60)
    assert run.ok
    captured = capfd.readouterr()
    assert "without encryption" not in captured.err + captured.out


def test_cli_course_student(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "notebooks"
    src.mkdir()
    shutil.copyfile(FIXTURES / "exercises.ipynb", src / FIXTURE_NAME)
    out = tmp_path / "student"
    assert cli.main(["course", "student", str(out), "--notebooks", str(src)]) == 0
    printed = capsys.readouterr().out
    assert f"{FIXTURE_NAME}: 3 solution cell(s) removed, 4 exercise/check cell(s) cleared" in printed
    assert (out / FIXTURE_NAME).is_file()
    assert cli.main(["course", "student", str(src), "--notebooks", str(src)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mixlab: error: OUT must be outside the source notebooks folder") and err.count("\n") == 1
    assert cli.main(["course", "student", str(out), "--notebooks", str(tmp_path / "none")]) == 2
    assert "--notebooks folder not found" in capsys.readouterr().err


# ============================================================================ wall-time report
FAKE_FLOOR = NotebookRun(Path("one-cell notebook (the floor)"), 0.5)


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
def fake_course(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> list[NotebookRun]:
    """``course run`` with made-up timings, from a folder whose notebooks/ holds one real notebook."""
    runs = [r for r in _fake_runs() if r.ok]
    here = tmp_path_factory.mktemp("repo")
    _course_dir(here, ("good.ipynb", "1.1-good.ipynb"))
    monkeypatch.chdir(here)

    def fake_run_course(directory: Any, **kwargs: Any) -> list[NotebookRun]:
        echo = kwargs.get("echo")
        for r in runs:
            if echo is not None:
                echo(r)
        return runs

    monkeypatch.setattr("mixlab.course.run_course", fake_run_course)
    monkeypatch.setattr("mixlab.course.runner.measure_floor", lambda **kwargs: FAKE_FLOOR)
    return runs


def test_cli_budget_names_every_slow_notebook(
    fake_course: list[NotebookRun], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "times.md"
    assert cli.main(["course", "run", "--budget", "--report", str(report)]) == 1  # default 5 s
    out = capsys.readouterr().out
    assert "OVER BUDGET 1.1-skill-profile.ipynb: 12.50 s > 5 s" in out
    assert "OVER BUDGET 2.2-mixture-vector.ipynb: 10.00 s > 5 s" in out and "OVER BUDGET 00" not in out
    assert "| notebook | section | seconds | status | above floor | budget 5 s |" in out
    assert "| one-cell notebook (the floor) | floor | 0.50 | ok |  |  |" in out
    assert report.read_text(encoding="utf-8") == runtime_table(fake_course, budget=5.0, floor=FAKE_FLOOR)

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
    assert "| notebook | section | seconds | status | above floor |" in capsys.readouterr().out
    assert cli.main(["course", "run", "--repeat", "0"]) == 2


def test_runtime_table_reports_medians_and_the_floor() -> None:
    runs = [NotebookRun(Path("00-course-map.ipynb"), 2.0, samples=(2.5, 2.0, 1.5)),
            NotebookRun(Path("1.1-skill-profile.ipynb"), 4.0, samples=(4.0, 3.0, 6.0))]
    floor = NotebookRun(Path("one-cell notebook (the floor)"), 0.6, samples=(0.6, 0.7, 0.5))
    lines = runtime_table(runs, budget=5.0, floor=floor).splitlines()
    assert lines[0] == "| notebook | section | seconds | status | runs | min | max | above floor | budget 5 s |"
    assert "| 1.1-skill-profile.ipynb | 1.1 | 4.00 | ok | 3 | 3.00 | 6.00 | 3.40 | within |" in lines
    assert "| one-cell notebook (the floor) | floor | 0.60 | ok | 3 | 0.50 | 0.70 |  |  |" in lines
    assert lines[-1] == "| **total** |  | 6.00 | 2/2 ok |  |  |  |  | 0 over |"
    csv_lines = runtime_table(runs, fmt="csv", floor=floor).splitlines()
    assert csv_lines[-1] == "one-cell notebook (the floor),floor,0.60,ok,3,0.50,0.70,"


def test_run_course_repeats_round_after_round_and_keeps_the_median(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mixlab.course import runner

    _course_dir(tmp_path, ("good.ipynb", "00-a.ipynb"), ("good.ipynb", "1.1-b.ipynb"))
    order: list[str] = []
    times = iter([3.0, 1.0, 5.0, 2.0, 4.0, 9.0])

    def fake_run(path: Any, **kwargs: Any) -> NotebookRun:
        order.append(Path(path).name)
        return NotebookRun(Path(path), next(times))

    monkeypatch.setattr(runner, "run_notebook", fake_run)
    out = runner.run_course(tmp_path / "notebooks", repeat=3)
    assert order == ["00-a.ipynb", "1.1-b.ipynb"] * 3  # rounds, not one notebook three times in a row
    assert [(r.path.name, r.seconds, r.samples) for r in out] == [
        ("00-a.ipynb", 4.0, (3.0, 5.0, 4.0)), ("1.1-b.ipynb", 2.0, (1.0, 2.0, 9.0))]
    with pytest.raises(ValueError, match="repeat"):
        runner.run_course(tmp_path / "notebooks", repeat=0)


def test_cli_budget_and_report_are_validated(
    fake_course: list[NotebookRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for bad in ("0", "-3", "soon", "inf", "nan"):
        assert cli.main(["course", "run", "--budget", bad]) == 2
    calls = []
    monkeypatch.setattr("mixlab.course.run_course", lambda *a, **k: calls.append(1) or [])
    assert cli.main(["course", "run", "--report", str(tmp_path / "times.txt")]) == 2
    assert calls == []  # refused before running anything


@pytest.mark.slow
def test_measure_floor_runs_a_one_cell_notebook() -> None:
    from mixlab.course import FLOOR_NAME, measure_floor

    floor = measure_floor(repeat=2)
    assert floor.ok and floor.path.name == FLOOR_NAME and len(floor.samples) == 2
    assert floor.seconds == sorted(floor.samples)[0] + (sorted(floor.samples)[1] - sorted(floor.samples)[0]) / 2
