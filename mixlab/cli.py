"""The ``mixlab`` command: a thin argparse layer over :mod:`mixlab.course` and :mod:`mixlab.doctor`.

Subcommands::

    mixlab doctor                        check Python, packages, kernel, widgets extension
    mixlab course run [--notebooks DIR]  execute every notebook headless (files untouched)
        [--report PATH] [--budget [S]]   ... with a wall-time table; fail on notebooks over S s
    mixlab course refresh [NOTEBOOK ...] re-execute notebooks in place (maintainers)
    mixlab course student OUT            student copies: no solutions, exercises cleared
    mixlab course site OUT               offline HTML site of the executed notebooks
    mixlab build RECIPE OUT [--workers N] build sharded records and a manifest (resumes)
    mixlab verify OUT                    recompute every hash and count of a build

Adding a subcommand: write ``_add_<name>(subparsers)`` that creates its parser and sets
``func=<handler>`` with ``set_defaults``; a handler takes the parsed ``argparse.Namespace`` and
returns the exit code. Register it in :func:`build_parser`. Nested groups (``course``) expose
their own subparsers object as ``COURSE_SUBPARSERS`` so ``course student`` or ``course site``
can be added the same way. Import heavy modules inside handlers.

Used in: README (how to run and test the course), 00 (course map), CI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["build_parser", "main"]

#: Default location of the notebooks: ``notebooks/`` in the current directory.
DEFAULT_NOTEBOOKS = Path("notebooks")

#: Per-notebook wall-time budget of ``course run --budget`` given without a value (seconds);
#: the same number as :data:`mixlab.course.DEFAULT_BUDGET` (kept here so ``--help`` stays cheap).
DEFAULT_BUDGET = 10.0


def _positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds (got {text!r})") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds > 0 (got {text!r})")
    return value


def _print(*args: Any, end: str = "\n") -> None:
    print(*args, end=end, flush=True)


def _help_for(parser: argparse.ArgumentParser) -> Any:
    """Handler for a command group given without a subcommand: print its help, exit code 2."""

    def handler(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return handler


def _cmd_doctor(args: argparse.Namespace) -> int:
    from mixlab.doctor import run_doctor

    report = run_doctor(kernel=not args.no_kernel, kernel_timeout=args.timeout)
    _print(report.render())
    return 0 if report.ok else 1


def _print_run(run: Any) -> None:
    status = "ok" if run.ok else "FAILED"
    _print(f"{run.seconds:7.2f} s  {status:6s}  {run.path.name}")
    if not run.ok:
        _print(f"  -> {run.failure}")


def _cmd_course_run(args: argparse.Namespace) -> int:
    from mixlab.course import REPORT_FORMATS, describe_runs, run_course

    if args.report is not None and Path(args.report).suffix.lower() not in REPORT_FORMATS:
        # checked before the (long) run, so a typo does not cost a whole course execution
        _print(f"mixlab course run: --report must end in one of {', '.join(REPORT_FORMATS)} (got {args.report!r})")
        return 2
    directory = Path(args.notebooks)
    try:
        runs = run_course(directory, timeout=args.timeout, stop_on_failure=args.fail_fast, echo=_print_run)
    except (NotADirectoryError, ValueError) as exc:
        _print(f"mixlab course run: {exc}")
        return 2
    _print(describe_runs(runs))
    return _report_runs(runs, budget=args.budget, report=args.report)


def _report_runs(runs: Sequence[Any], *, budget: float | None, report: str | None) -> int:
    """Print the wall-time table, write ``report``, name failures and notebooks over ``budget``."""
    from mixlab.course import over_budget, runtime_table, write_runtime_report

    _print()
    _print(runtime_table(runs, budget=budget), end="")
    if report is not None:
        try:
            fmt = write_runtime_report(report, runs, budget=budget)
        except (ValueError, OSError) as exc:
            _print(f"mixlab course run: cannot write the report: {exc}")
            return 2
        _print(f"wall-time report ({fmt}) written to {report}")
    code = 0
    for r in runs:
        if not r.ok:
            _print(f"FAILED {r.failure}")
            code = 1
    if budget is not None:
        slow = over_budget(runs, budget)
        for r in slow:
            _print(f"OVER BUDGET {r.path.name}: {r.seconds:.2f} s > {budget:g} s")
        if slow:
            code = 1
        else:
            _print(f"every notebook within the budget of {budget:g} s")
    return code


def _cmd_course_refresh(args: argparse.Namespace) -> int:
    from mixlab.course import list_notebooks, refresh_notebook

    paths = [Path(p) for p in args.notebook] or list_notebooks(DEFAULT_NOTEBOOKS)
    if not paths:
        _print(f"mixlab course refresh: no notebooks given and none found in {DEFAULT_NOTEBOOKS}/")
        return 2
    code = 0
    for p in paths:
        if not p.is_file():
            _print(f"mixlab course refresh: notebook must be an existing file (got {str(p)!r})")
            code = max(code, 2)
            continue
        run = refresh_notebook(p, timeout=args.timeout)
        if run.ok:
            _print(f"{run.seconds:7.2f} s  refreshed  {p}")
        else:
            _print(f"{run.seconds:7.2f} s  NOT written  {p}\n  -> {run.failure}")
            code = max(code, 1)
    return code


def _add_doctor(subparsers: Any) -> None:
    p = subparsers.add_parser("doctor", help="check that this environment can run the course")
    p.add_argument("--no-kernel", action="store_true", help="skip starting a Jupyter kernel")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds allowed for the kernel check (default 60)")
    p.set_defaults(func=_cmd_doctor)


#: The ``course`` group's subparsers, so later commands (``course student``, ``course site``) can join.
COURSE_SUBPARSERS: Any = None


def _add_course(subparsers: Any) -> None:
    global COURSE_SUBPARSERS
    course = subparsers.add_parser("course", help="run, refresh or hand out the course notebooks")
    course.set_defaults(func=_help_for(course))
    sub = course.add_subparsers(dest="course_command", metavar="{run,refresh,student,site}")
    COURSE_SUBPARSERS = sub

    run = sub.add_parser("run", help="execute every notebook headless, in order; files are not modified")
    run.add_argument("--notebooks", default=str(DEFAULT_NOTEBOOKS), help="folder of notebooks (default: notebooks/)")
    run.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell (default 600)")
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
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
    refresh.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell (default 600)")
    refresh.set_defaults(func=_cmd_course_refresh)


def _cmd_course_student(args: argparse.Namespace) -> int:
    from mixlab.classroom import write_student_copies

    try:
        copies = write_student_copies(args.out, args.notebooks)
    except (NotADirectoryError, FileExistsError, ValueError) as exc:
        _print(f"mixlab course student: {exc}")
        return 2
    for c in copies:
        _print(f"  {c}")
    removed = sum(c.removed for c in copies)
    _print(f"{len(copies)} student notebook(s) written to {args.out} ({removed} solution cell(s) removed)")
    return 0


def _cmd_course_site(args: argparse.Namespace) -> int:
    from mixlab.classroom import build_site

    try:
        pages = build_site(args.out, args.notebooks, mathjax=not args.no_mathjax)
    except (NotADirectoryError, FileExistsError, ValueError) as exc:
        _print(f"mixlab course site: {exc}")
        return 2
    for page in pages:
        _print(f"  {page.filename}  {page.label}")
    _print(f"{len(pages)} page(s) and index.html written to {args.out}; open {Path(args.out) / 'index.html'}")
    return 0


def _add_classroom(sub: Any) -> None:
    """Add ``course student`` and ``course site`` to the ``course`` group (:data:`COURSE_SUBPARSERS`)."""
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
        description="Render every notebook's stored outputs to OUT/<notebook>.html with previous/next links "
        "and OUT/index.html. Nothing is executed and the pages load nothing from the network.",
    )
    site.add_argument("out", metavar="OUT", help="folder for the site (new, empty or from an earlier run)")
    site.add_argument("--notebooks", default=str(DEFAULT_NOTEBOOKS), help="folder of notebooks (default: notebooks/)")
    site.add_argument("--no-mathjax", action="store_true", help="do not copy MathJax (formulas stay LaTeX source)")
    site.set_defaults(func=_cmd_course_site)



# ----------------------------------------------------------------------------- build and verify (A.1)
def _build_failed(args: argparse.Namespace, exc: BaseException) -> int:
    """One line ``mixlab: error: ...`` on stderr and exit code 2 (``--debug``, when present, re-raises)."""
    if getattr(args, "debug", False):
        raise exc
    print(f"mixlab: error: {exc}", file=sys.stderr, flush=True)
    return 2


def _cmd_build(args: argparse.Namespace) -> int:
    from concurrent.futures.process import BrokenProcessPool

    from mixlab.build import build

    try:
        result = build(args.recipe, args.out, workers=args.workers, executor=args.executor,
                       resume=not args.no_resume, progress=not args.no_progress)
    except BrokenProcessPool as exc:
        return _build_failed(args, RuntimeError(f"a worker process died while writing shards into {args.out} ({exc}); "
                                                "run the same build again to resume it"))
    except (ValueError, TypeError, OSError, ImportError) as exc:
        return _build_failed(args, exc)
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


def build_parser() -> argparse.ArgumentParser:
    """Build the ``mixlab`` argument parser with all its subcommands.

    Used in: :func:`main`; tests.
    """
    from mixlab import __version__

    parser = argparse.ArgumentParser(
        prog="mixlab",
        description="Tools for the mixlab course on data mixture optimization.",
    )
    parser.add_argument("--version", action="version", version=f"mixlab {__version__}")
    parser.set_defaults(func=_help_for(parser))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_doctor(subparsers)
    _add_course(subparsers)
    _add_classroom(COURSE_SUBPARSERS)
    _add_build(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mixlab`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Used in: the ``mixlab`` console script and ``python -m mixlab``.
    """
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
