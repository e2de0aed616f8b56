"""Bad invocations of every ``mixlab`` subcommand end in one line ``mixlab: error: ...``, never a traceback.

Each case runs the command line in-process (``mixlab.cli.main``), as a user would type it, and
checks: a non-zero exit code, nothing on stdout or stderr that looks like a Python traceback, and
exactly one error line on stderr that names the offending path or value. Permission and disk-full
failures cannot be produced for real by a root user (the tests may run as root in CI), so those
cases make the file system call fail with the errno a real one would give. A few cases also run
through the real entry point (``python -m mixlab``), with and without ``--debug``.

Used in: CI.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mixlab import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
#: A valid recipe (the format of data_synth/recipes/tiny-demo.toml).
RECIPE = {
    "schema_version": 1, "name": "cli-errors", "seed": 7, "world": {"preset": "tiny", "seed": 0},
    "mixture": {"weights": {"web": 0.4, "books": 0.1, "code": 0.15, "math": 0.1, "wiki": 0.15, "forum": 0.1},
                "rationale": "test"},
    "budget": {"tokens": 20000, "max_epochs": 4.0}, "shards": {"max_records": 64},
}


@dataclass
class Case:
    """One bad invocation: its words ({tmp} stands for a fresh folder), what the error line must say."""

    name: str
    words: list[str]
    says: str
    setup: Callable[[Path, pytest.MonkeyPatch], None] = field(default=lambda tmp, mp: None)
    #: ``verify`` reports what is wrong with a build as its result (exit 1, one line per violation
    #: on stdout), not as an error; such a case passes with that report instead of an error line.
    report: bool = False


def _fail_with(exc_errno: int, target: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    """A setup that makes ``target`` (a dotted attribute) raise the OSError a real failure would."""

    def setup(tmp: Path, mp: pytest.MonkeyPatch) -> None:
        def boom(*args: object, **kwargs: object) -> None:
            named = args and isinstance(args[0], str | os.PathLike)
            path = str(args[0]) if named else str(tmp / "out")  # type: ignore[index]
            raise OSError(exc_errno, os.strerror(exc_errno), path)

        mp.setattr(target, boom)

    return setup


def _course(tmp: Path, mp: pytest.MonkeyPatch) -> None:
    (tmp / "notebooks").mkdir()
    shutil.copyfile(FIXTURES / "good.ipynb", tmp / "notebooks" / "1.1-good.ipynb")
    (tmp / "corrupt.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp / "plain.ipynb").write_text(json.dumps({"not": "a notebook"}), encoding="utf-8")
    (tmp / "text.txt").write_text("hello", encoding="utf-8")
    (tmp / "afile").write_text("x", encoding="utf-8")
    (tmp / "empty").mkdir()
    (tmp / "foreign").mkdir()
    (tmp / "foreign" / "letter.txt").write_text("keep me", encoding="utf-8")
    (tmp / "bad-course").mkdir()
    shutil.copyfile(tmp / "corrupt.ipynb", tmp / "bad-course" / "1.1-corrupt.ipynb")
    (tmp / "recipe.json").write_text(json.dumps(RECIPE), encoding="utf-8")
    (tmp / "recipe-bad.json").write_text(json.dumps({**RECIPE, "schema_version": 7}), encoding="utf-8")
    (tmp / "recipe.toml").write_text("name = [unclosed", encoding="utf-8")
    (tmp / "build").mkdir()
    (tmp / "build" / "manifest.json").write_text("{not json", encoding="utf-8")
    (tmp / "build2").mkdir()
    (tmp / "build2" / "manifest.json").write_text(json.dumps({"shards": "oops"}), encoding="utf-8")
    mp.chdir(tmp)


def _and(*setups: Callable[[Path, pytest.MonkeyPatch], None]) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def setup(tmp: Path, mp: pytest.MonkeyPatch) -> None:
        for s in setups:
            s(tmp, mp)

    return setup


def _outside_repo(tmp: Path, mp: pytest.MonkeyPatch) -> None:
    (tmp / "elsewhere").mkdir()
    mp.chdir(tmp / "elsewhere")


CASES = [
    # top level
    Case("unknown command", ["frobnicate"], "invalid choice: 'frobnicate'"),
    Case("unknown option", ["--colour"], "unrecognized arguments: --colour"),
    # doctor
    Case("doctor negative timeout", ["doctor", "--timeout", "-1"], "'-1'"),
    Case("doctor nan timeout", ["doctor", "--timeout", "nan"], "finite number of seconds > 0 (got 'nan')"),
    Case("doctor infinite timeout", ["doctor", "--timeout", "inf"], "(got 'inf')"),
    Case("doctor word timeout", ["doctor", "--timeout", "soon"], "(got 'soon')"),
    Case("doctor extra argument", ["doctor", "now"], "unrecognized arguments: now"),
    Case("doctor unknown option", ["doctor", "--fast"], "unrecognized arguments: --fast"),
    # course run
    Case("run negative timeout", ["course", "run", "--timeout", "-1"], "(got '-1')"),
    Case("run zero timeout", ["course", "run", "--timeout", "0"], "(got '0')"),
    Case("run missing folder", ["course", "run", "--notebooks", "{tmp}/nope"], "/nope"),
    Case("run folder is a file", ["course", "run", "--notebooks", "{tmp}/afile"], "/afile"),
    Case("run empty folder", ["course", "run", "--notebooks", "{tmp}/empty"], "/empty"),
    Case("run corrupt notebook", ["course", "run", "--notebooks", "{tmp}/bad-course"], "1.1-corrupt.ipynb"),
    Case("run bad report suffix", ["course", "run", "--report", "{tmp}/times.txt"], "times.txt"),
    Case("run bad budget", ["course", "run", "--budget", "-3"], "(got '-3')"),
    Case("run outside the repository", ["course", "run"], "run from the repository root", _outside_repo),
    Case("run report unwritable", ["course", "run", "--report", "{tmp}/out/times.md"],
         "Permission denied: {tmp}/out/times.md",
         _fail_with(errno.EACCES, "mixlab.course.reports.write_atomic")),
    # course refresh
    Case("refresh outside the repository", ["course", "refresh"], "no notebooks/ folder in", _outside_repo),
    Case("refresh missing file", ["course", "refresh", "{tmp}/missing.ipynb"], "missing.ipynb"),
    Case("refresh a folder", ["course", "refresh", "{tmp}/empty"], "/empty"),
    Case("refresh corrupt file", ["course", "refresh", "{tmp}/corrupt.ipynb"], "corrupt.ipynb"),
    Case("refresh json, not a notebook", ["course", "refresh", "{tmp}/plain.ipynb"], "plain.ipynb"),
    Case("refresh text file", ["course", "refresh", "{tmp}/text.txt"], "text.txt"),
    Case("refresh negative timeout", ["course", "refresh", "--timeout", "-1", "{tmp}/missing.ipynb"], "(got '-1')"),
    Case("refresh disk full", ["course", "refresh", "{tmp}/notebooks/1.1-good.ipynb"], "No space left on device",
         _fail_with(errno.ENOSPC, "mixlab.course.runner.write_atomic")),
    # course student
    Case("student into the notebooks", ["course", "student", "notebooks"], "outside the source notebooks folder"),
    Case("student OUT is a file", ["course", "student", "{tmp}/afile"], "/afile"),
    Case("student foreign OUT", ["course", "student", "{tmp}/foreign"], "/foreign"),
    Case("student missing notebooks", ["course", "student", "{tmp}/out", "--notebooks", "{tmp}/nope"], "/nope"),
    Case("student empty notebooks", ["course", "student", "{tmp}/out", "--notebooks", "{tmp}/empty"], "/empty"),
    Case("student no OUT", ["course", "student"], "the following arguments are required: OUT"),
    Case("student unwritable OUT", ["course", "student", "{tmp}/out"], "Permission denied: {tmp}/out",
         _fail_with(errno.EACCES, "tempfile.mkdtemp")),
    # course site
    Case("site into the notebooks", ["course", "site", "notebooks/out"], "outside the source notebooks folder"),
    Case("site OUT is a file", ["course", "site", "{tmp}/afile"], "/afile"),
    Case("site foreign OUT", ["course", "site", "{tmp}/foreign"], "/foreign"),
    Case("site missing notebooks", ["course", "site", "{tmp}/out", "--notebooks", "{tmp}/nope"], "/nope"),
    Case("site empty notebooks", ["course", "site", "{tmp}/out", "--notebooks", "{tmp}/empty"], "/empty"),
    Case("site corrupt notebook", ["course", "site", "{tmp}/out", "--notebooks", "{tmp}/bad-course"],
         "1.1-corrupt.ipynb"),
    Case("site disk full", ["course", "site", "{tmp}/out"], "No space left on device",
         _fail_with(errno.ENOSPC, "tempfile.mkdtemp")),
    # build
    Case("build missing recipe", ["build", "{tmp}/none.toml", "{tmp}/out"], "none.toml"),
    Case("build recipe is a folder", ["build", "{tmp}/empty", "{tmp}/out"], "/empty"),
    Case("build corrupt recipe", ["build", "{tmp}/recipe.toml", "{tmp}/out"], "recipe.toml"),
    Case("build unsupported recipe", ["build", "{tmp}/recipe-bad.json", "{tmp}/out"], "schema_version 7"),
    Case("build bad workers", ["build", "{tmp}/recipe.json", "{tmp}/out", "--workers", "two"], "'two'"),
    Case("build bad executor", ["build", "{tmp}/recipe.json", "{tmp}/out", "--executor", "gpu"], "'gpu'"),
    Case("build unreadable recipe", ["build", "{tmp}/recipe.json", "{tmp}/out"],
         "cannot read recipe file {tmp}/recipe.json: permission denied",
         _fail_with(errno.EACCES, "pathlib.Path.read_bytes")),
    # verify
    Case("verify missing folder", ["verify", "{tmp}/nope"], "/nope", report=True),
    Case("verify folder without manifest", ["verify", "{tmp}/empty"], "/empty", report=True),
    Case("verify a file", ["verify", "{tmp}/afile"], "/afile", report=True),
    Case("verify corrupt manifest", ["verify", "{tmp}/build"], "manifest", report=True),
    Case("verify malformed manifest", ["verify", "{tmp}/build2"], "manifest.json", report=True),
    Case("verify no folder given", ["verify"], "the following arguments are required: out"),
]


def _run(case: Case, tmp: Path, mp: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    _course(tmp, mp)
    case.setup(tmp, mp)
    words = [w.replace("{tmp}", str(tmp)) for w in case.words]
    code = cli.main(words)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_invocation_is_one_error_line(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(case, tmp_path, monkeypatch, capsys)
    assert code != 0
    assert "Traceback" not in out + err and 'File "' not in out + err
    if case.report and not err:
        assert code == 1 and "violation" in out and case.says in out, out
        return
    errors = [line for line in err.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("mixlab: error: "), err
    assert case.says.replace("{tmp}", str(tmp_path)) in errors[0], errors[0]
    assert "internal error" not in errors[0], errors[0]


def test_every_subcommand_has_five_bad_invocations() -> None:
    def command(case: Case) -> str:
        words = [w for w in case.words if not w.startswith("-")]
        return " ".join(words[:2]) if words and words[0] == "course" else (words[0] if words else "")

    counts: dict[str, int] = {}
    for case in CASES:
        counts[command(case)] = counts.get(command(case), 0) + 1
    for name in ("doctor", "course run", "course refresh", "course student", "course site", "build", "verify"):
        assert counts.get(name, 0) >= 5, f"{name}: {counts.get(name, 0)} bad invocations"


def test_usage_errors_exit_2_and_failures_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    by_name = {c.name: c for c in CASES}
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    assert _run(by_name["doctor nan timeout"], tmp_path / "a", monkeypatch, capsys)[0] == 2
    assert _run(by_name["student unwritable OUT"], tmp_path / "b", monkeypatch, capsys)[0] == 1


def test_an_unexpected_error_is_one_line_that_points_to_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(**kwargs: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'checks'")

    monkeypatch.setattr("mixlab.doctor.run_doctor", broken)
    assert cli.main(["doctor"]) == 1
    err = capsys.readouterr().err
    assert err == ("mixlab: error: internal error (AttributeError: 'NoneType' object has no attribute 'checks'); "
                   "run the command again with --debug for the traceback and report it\n")
    assert cli.main(["doctor", "--debug"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "in broken" in err
    assert err.splitlines()[-1].startswith("mixlab: error: internal error (AttributeError")


def _python_m(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "mixlab", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.slow
def test_real_entry_point_prints_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "corrupt.ipynb").write_text("{", encoding="utf-8")
    for args in (["course", "refresh"], ["course", "refresh", "corrupt.ipynb"], ["doctor", "--timeout", "nan"],
                 ["course", "site", "out", "--notebooks", "nowhere"], ["build", "none.toml", "out"]):
        result = _python_m(args, tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "" and result.stderr.count("\n") == 1, (args, result.stderr)
        assert result.stderr.startswith("mixlab: error: "), (args, result.stderr)
    debug = _python_m(["course", "refresh", "corrupt.ipynb", "--debug"], tmp_path)
    assert debug.returncode == 2
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.splitlines()[-1].startswith("mixlab: error: ") and "corrupt.ipynb" in debug.stderr
