"""The ``mixlab`` command: a thin argparse layer over :mod:`mixlab.course`, :mod:`mixlab.doctor` and friends.

Subcommands::

    mixlab doctor                        check Python, packages, kernel, widgets extension
    mixlab course run [--notebooks DIR]  execute every notebook headless (files untouched)
        [--report PATH] [--budget [S]]   ... with a wall-time table; fail on notebooks over S s
    mixlab course refresh [NOTEBOOK ...] re-execute notebooks in place (maintainers)
    mixlab course student OUT            student copies: no solutions, exercises cleared
    mixlab course site OUT               offline HTML site of the executed notebooks
    mixlab build RECIPE OUT [--workers N] build sharded records and a manifest (resumes)
    mixlab verify OUT                    recompute every hash and count of a build

Errors: one handler in :func:`main` turns every failure a user can cause (bad arguments or
numbers, missing, unreadable or corrupt files, refused folders, permissions, a full disk) into
one line ``mixlab: error: ...`` on stderr that names the path or value, and a non-zero exit code:
2 for bad arguments and input, 1 for a failure of the work itself. ``--debug`` (anywhere on the
line) adds the Python traceback. Handlers therefore just raise; they never print errors.

Adding a subcommand: write ``_add_<name>(subparsers)`` that creates its parser and sets
``func=<handler>`` with ``set_defaults``; a handler takes the parsed ``argparse.Namespace`` and
returns the exit code. Register it in :func:`build_parser`. Import heavy modules inside handlers.

Used in: README (how to run and test the course), 00 (course map), CI.
"""

from __future__ import annotations

import argparse
import errno
import math
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from mixlab.course import NotebookRun

__all__ = ["UsageError", "build_parser", "main"]

#: Default location of the notebooks: ``notebooks/`` in the current directory.
DEFAULT_NOTEBOOKS = Path("notebooks")

#: Per-notebook wall-time budget of ``course run --budget`` given without a value (seconds);
#: the same number as :data:`mixlab.course.DEFAULT_BUDGET` (kept here so ``--help`` stays cheap).
DEFAULT_BUDGET = 5.0

#: Exit codes: bad arguments or input (usage), and a failure of the work itself.
EXIT_USAGE = 2
EXIT_FAILURE = 1

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A bad command line: unknown option, a value out of range, a path of the wrong kind.

    Used in: :func:`main` (exit code 2).
    """


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("mixlab").strip()
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message} (see 'mixlab {command + ' ' if command else ''}--help')")


def _positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds (got {text!r})") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds > 0 (got {text!r})")
    return value


def _positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (got {text!r})")
    return value


def _print(*args: object, end: str = "\n") -> None:
    print(*args, end=end, flush=True)


def _help_for(parser: argparse.ArgumentParser) -> Handler:
    """Handler for a command group given without a subcommand: print its help, exit code 2."""

    def handler(args: argparse.Namespace) -> int:
        parser.print_help()
        return EXIT_USAGE

    return handler


def _notebooks_folder(value: str) -> Path:
    """The ``--notebooks`` folder, checked: an existing folder (with a hint when it is the default)."""
    folder = Path(value)
    if folder.is_dir():
        return folder
    if folder.exists():
        raise UsageError(f"--notebooks must be a folder of notebooks (got the file {str(folder)!r})")
    hint = " (run from the repository root, or pass --notebooks DIR)" if folder == DEFAULT_NOTEBOOKS else ""
    raise UsageError(f"--notebooks folder not found: {str(folder)!r}{hint}")


def _readable_notebooks(paths: Sequence[Path]) -> None:
    """Refuse, before anything runs, a path that is not an existing, readable Jupyter notebook."""
    import nbformat

    for p in paths:
        if not p.exists():
            raise UsageError(f"notebook not found: {str(p)!r}")
        if not p.is_file():
            raise UsageError(f"notebook must be a file, not a folder: {str(p)!r}")
        try:
            nbformat.validate(nbformat.read(str(p), as_version=4))
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - NotJSONError, ValidationError, bad structure
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{p} is not a readable Jupyter notebook ({type(exc).__name__}: {why})") from None


# ============================================================================ doctor
def _cmd_doctor(args: argparse.Namespace) -> int:
    from mixlab.doctor import run_doctor

    report = run_doctor(kernel=not args.no_kernel, kernel_timeout=args.timeout)
    _print(report.render())
    return 0 if report.ok else EXIT_FAILURE


def _add_doctor(subparsers: Any) -> None:
    p = subparsers.add_parser("doctor", help="check that this environment can run the course")
    p.add_argument("--no-kernel", action="store_true", help="skip starting a Jupyter kernel")
    p.add_argument("--timeout", type=_positive_seconds, default=60.0,
                   help="seconds allowed for the kernel check (default 60)")
    p.set_defaults(func=_cmd_doctor)


# ============================================================================ course run / refresh
def _print_run(run: NotebookRun) -> None:
    status = "ok" if run.ok else "FAILED"
    _print(f"{run.seconds:7.2f} s  {status:6s}  {run.path.name}")
    if not run.ok:
        _print(f"  -> {run.failure}")


def _cmd_course_run(args: argparse.Namespace) -> int:
    from mixlab.course import REPORT_FORMATS, describe_runs, list_notebooks, run_course

    if args.report is not None and Path(args.report).suffix.lower() not in REPORT_FORMATS:
        # checked before the (long) run, so a typo does not cost a whole course execution
        raise UsageError(f"course run: --report must end in one of {', '.join(REPORT_FORMATS)} (got {args.report!r})")
    directory = _notebooks_folder(args.notebooks)
    paths = list_notebooks(directory)
    if not paths:
        raise UsageError(f"course run: no .ipynb file in the notebooks folder {str(directory)!r}")
    _readable_notebooks(paths)
    from mixlab.course.runner import measure_floor

    runs = run_course(directory, timeout=args.timeout, stop_on_failure=args.fail_fast, echo=_print_run,
                      repeat=args.repeat)
    _print(describe_runs(runs))
    floor = measure_floor(repeat=args.repeat, timeout=args.timeout)
    return _report_runs(runs, budget=args.budget, report=args.report, floor=floor)


def _report_runs(runs: Sequence[NotebookRun], *, budget: float | None, report: str | None,
                 floor: NotebookRun | None = None) -> int:
    """Print the wall-time table, write ``report``, name failures and notebooks over ``budget``."""
    from mixlab.course import over_budget, runtime_table, write_runtime_report

    _print()
    _print(runtime_table(runs, budget=budget, floor=floor), end="")
    if report is not None:
        fmt = write_runtime_report(report, runs, budget=budget, floor=floor)
        _print(f"wall-time report ({fmt}) written to {report}")
    code = 0
    for r in runs:
        if not r.ok:
            _print(f"FAILED {r.failure}")
            code = EXIT_FAILURE
    if budget is not None:
        slow = over_budget(runs, budget)
        for r in slow:
            _print(f"OVER BUDGET {r.path.name}: {r.seconds:.2f} s > {budget:g} s")
        if slow:
            code = EXIT_FAILURE
        else:
            _print(f"every notebook within the budget of {budget:g} s")
    return code


def _cmd_course_refresh(args: argparse.Namespace) -> int:
    from mixlab.course import list_notebooks, refresh_notebook

    if args.notebook:
        paths = [Path(p) for p in args.notebook]
    elif DEFAULT_NOTEBOOKS.is_dir():
        paths = list_notebooks(DEFAULT_NOTEBOOKS)
        if not paths:
            raise UsageError(f"course refresh: no notebooks given and none found in {DEFAULT_NOTEBOOKS}/")
    else:
        raise UsageError(
            f"course refresh: no notebooks given and no {DEFAULT_NOTEBOOKS}/ folder in {str(Path.cwd())!r} "
            "(run from the repository root, or name the notebook files)"
        )
    _readable_notebooks(paths)
    code = 0
    for p in paths:
        run = refresh_notebook(p, timeout=args.timeout)
        if run.ok:
            _print(f"{run.seconds:7.2f} s  refreshed  {p}")
        else:
            _print(f"{run.seconds:7.2f} s  NOT written  {p}\n  -> {run.failure}")
            code = EXIT_FAILURE
    return code


def _add_course(subparsers: Any) -> Any:
    """Add the ``course`` group with ``run`` and ``refresh``; return the group's subparsers."""
    course = subparsers.add_parser("course", help="run, refresh or hand out the course notebooks")
    course.set_defaults(func=_help_for(course))
    sub = course.add_subparsers(dest="course_command", metavar="{run,refresh,student,site}")

    run = sub.add_parser("run", help="execute every notebook headless, in order; files are not modified")
    run.add_argument("--notebooks", default=str(DEFAULT_NOTEBOOKS), help="folder of notebooks (default: notebooks/)")
    run.add_argument("--timeout", type=_positive_seconds, default=600.0,
                     help="seconds allowed per cell (default 600)")
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    run.add_argument("--repeat", type=_positive_int, default=1, metavar="N",
                     help="run the course N times, round after round, and report each notebook's median (default 1)")
    run.add_argument(
        "--report", metavar="PATH", default=None,
        help="also write the wall-time table to PATH (.md for Markdown, .csv for CSV)",
    )
    run.add_argument(
        "--budget", metavar="SECONDS", nargs="?", type=_positive_seconds, const=DEFAULT_BUDGET, default=None,
        help=f"exit non-zero naming every notebook slower than SECONDS (default {DEFAULT_BUDGET:g} when given "
        "without a value)",
    )
    run.set_defaults(func=_cmd_course_run)

    refresh = sub.add_parser(
        "refresh",
        help="re-execute notebooks in place on a fresh kernel to update stored outputs (maintainers)",
    )
    refresh.add_argument("notebook", nargs="*", help="notebook files (default: every notebook in notebooks/)")
    refresh.add_argument("--timeout", type=_positive_seconds, default=600.0,
                         help="seconds allowed per cell (default 600)")
    refresh.set_defaults(func=_cmd_course_refresh)
    return sub


# ============================================================================ course student / site
def _cmd_course_student(args: argparse.Namespace) -> int:
    from mixlab.classroom import write_student_copies

    copies = write_student_copies(args.out, _notebooks_folder(args.notebooks))
    for c in copies:
        _print(f"  {c}")
    removed = sum(c.removed for c in copies)
    _print(f"{len(copies)} student notebook(s) written to {args.out} ({removed} solution cell(s) removed)")
    return 0


def _cmd_course_site(args: argparse.Namespace) -> int:
    from mixlab.site import build_site

    pages = build_site(args.out, _notebooks_folder(args.notebooks), mathjax=not args.no_mathjax)
    for page in pages:
        _print(f"  {page.filename}  {page.label}")
    _print(f"{len(pages)} page(s) and index.html written to {args.out}; open {Path(args.out) / 'index.html'}")
    return 0


def _add_classroom(sub: Any) -> None:
    """Add ``course student`` and ``course site`` to the ``course`` group's subparsers."""
    student = sub.add_parser(
        "student",
        help="write student copies: solution cells removed, exercise/check outputs cleared",
        description="Write a student copy of every notebook into OUT: cells tagged 'solution' are removed, "
        "outputs of cells tagged 'exercise' or 'check' are cleared, everything else is kept. OUT is replaced "
        "as a whole and must not be (or contain, or lie inside) the notebooks folder.",
    )
    student.add_argument("out", metavar="OUT", help="folder for the student copies (new, empty or from an earlier run)")
    student.add_argument(
        "--notebooks", default=str(DEFAULT_NOTEBOOKS), help="folder of notebooks (default: notebooks/)"
    )
    student.set_defaults(func=_cmd_course_student)

    site = sub.add_parser(
        "site",
        help="build an offline HTML site of the executed notebooks (stored outputs, no re-execution)",
        description="Render every notebook's stored outputs into an offline book-style site in OUT (Sphinx, "
        "myst-nb and sphinx-book-theme): a sidebar with the chapters, full-text search, page contents, "
        "previous/next links and MathJax from a bundled copy. Nothing is executed and the pages load nothing "
        "from the network. OUT is replaced as a whole and must not be (or contain, or lie inside) the "
        "notebooks folder.",
    )
    site.add_argument("out", metavar="OUT", help="folder for the site (new, empty or from an earlier run)")
    site.add_argument("--notebooks", default=str(DEFAULT_NOTEBOOKS), help="folder of notebooks (default: notebooks/)")
    site.add_argument("--no-mathjax", action="store_true", help="do not copy MathJax (formulas stay LaTeX source)")
    site.set_defaults(func=_cmd_course_site)



# ----------------------------------------------------------------------------- build and verify (A.1)
def _cmd_build(args: argparse.Namespace) -> int:
    from concurrent.futures.process import BrokenProcessPool

    from mixlab.build import build

    try:
        result = build(args.recipe, args.out, workers=args.workers, executor=args.executor,
                       resume=not args.no_resume, progress=not args.no_progress)
    except BrokenProcessPool as exc:  # main() prints it as one line
        raise RuntimeError(f"a worker process died while writing shards into {args.out} ({exc}); "
                           "run the same build again to resume it") from exc
    if result.took_over_lock:
        _print(f"took over the lock left by a build that is no longer running ({result.took_over_lock})")
    _print(repr(result))
    _print(f"manifest_sha256 {result.manifest['manifest_sha256']}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from mixlab.manifest import verify

    report = verify(args.out)
    _print(str(report))
    return 0 if report.ok else 1


def _add_build(subparsers: Any) -> None:
    """Add the ``build`` and ``verify`` subcommands (A.1).

    Usage::

        mixlab build RECIPE.toml OUT [--workers N] [--executor process|serial|dask] [--no-resume] [--no-progress]
        mixlab verify OUT        # exit code 1 and one line per violation when anything is wrong

    ``build`` prints one line ``mixlab: error: ...`` and exits with 2 on a bad recipe, a folder it
    may not write into (another build's, foreign files, locked by a running build, built under
    another build key), unreadable files, an unwritable folder or a full disk.
    """
    b = subparsers.add_parser("build", help="build sharded training records and a manifest from a recipe")
    b.add_argument("recipe", help="recipe file (TOML or JSON)")
    b.add_argument("out", help="output folder (new, empty, or holding this recipe's build)")
    b.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    b.add_argument("--executor", choices=["process", "serial", "dask"], default="process",
                   help="how shards are written (default: process); bytes are identical for every choice")
    b.add_argument("--no-resume", action="store_true",
                   help="rewrite every shard even if a valid one exists (also starts over after the build key changed)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=_cmd_build)
    v = subparsers.add_parser("verify", help="recompute every hash and count of a build and check its invariants")
    v.add_argument("out", help="build folder holding manifest.json")
    v.set_defaults(func=_cmd_verify)


# ============================================================================ parser and errors
def build_parser() -> argparse.ArgumentParser:
    """Build the ``mixlab`` argument parser with all its subcommands.

    Returns
    -------
    argparse.ArgumentParser
        The parser; its errors raise :class:`UsageError` instead of exiting.

    Used in: :func:`main`; tests.
    """
    from mixlab import __version__

    parser = _Parser(
        prog="mixlab",
        description="Tools for the mixlab course on data mixture optimization.",
    )
    parser.add_argument("--version", action="version", version=f"mixlab {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error (may be given anywhere on the line)")
    parser.set_defaults(func=_help_for(parser))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_doctor(subparsers)
    _add_classroom(_add_course(subparsers))
    _add_build(subparsers)
    return parser


#: Exceptions that are a bad argument or bad input (exit 2); other errors are failures (exit 1).
_INPUT_ERRORS: tuple[type[BaseException], ...] = (
    UsageError, ValueError, TypeError, FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError,
)
#: Exceptions a user can cause; anything else is reported as an internal error.
_EXPECTED_ERRORS: tuple[type[BaseException], ...] = (*_INPUT_ERRORS, OSError, ImportError, RuntimeError)


def describe_error(exc: BaseException) -> str:
    """One line that says what went wrong, naming the path or value, for ``mixlab: error: ...``.

    Parameters
    ----------
    exc : BaseException
        The exception a command raised.

    Returns
    -------
    str
        The message on one line: an OS error as ``<reason>: <path>``; an expected error as its
        message; anything else as an internal error that suggests ``--debug``.

    Used in: :func:`main`.
    """
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
        if exc.errno == errno.ENOSPC:
            text += " (free some disk space and run the command again)"
    elif isinstance(exc, _EXPECTED_ERRORS):
        text = str(exc) or type(exc).__name__
        if isinstance(exc, KeyError):  # str(KeyError) is the repr of the key
            text = f"{type(exc).__name__}: {text}"
    else:
        text = (f"internal error ({type(exc).__name__}: {exc}); run the command again with --debug "
                "for the traceback and report it")
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mixlab`` command line and return its exit code.

    Every error a command raises is reported on one line ``mixlab: error: ...`` on stderr (with
    the traceback before it when ``--debug`` is given anywhere on the line); ``--help`` and
    ``--version`` exit through ``SystemExit(0)`` as usual.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 when the work failed (a notebook, a check, the disk), 2 for bad
        arguments or input, 130 when interrupted.

    Used in: the ``mixlab`` console script and ``python -m mixlab``.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in words
    words = [w for w in words if w != "--debug"]
    try:
        args = build_parser().parse_args(words)
        return int(args.func(args))
    except KeyboardInterrupt:
        print("mixlab: interrupted", file=sys.stderr, flush=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place where errors become a message and an exit code
        if debug:
            traceback.print_exc()
        print(f"mixlab: error: {describe_error(exc)}", file=sys.stderr, flush=True)
        return EXIT_USAGE if isinstance(exc, _INPUT_ERRORS) else EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
