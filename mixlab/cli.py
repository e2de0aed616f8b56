"""The ``mixlab`` command: a thin argparse layer over :mod:`mixlab.course` and :mod:`mixlab.doctor`.

Subcommands::

    mixlab doctor                        check Python, packages, kernel, widgets extension
    mixlab course run [--notebooks DIR]  execute every notebook headless (files untouched)
    mixlab course refresh [NOTEBOOK ...] re-execute notebooks in place (maintainers)

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


def _print(*args: Any) -> None:
    print(*args, flush=True)


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
    from mixlab.course import describe_runs, run_course

    directory = Path(args.notebooks)
    try:
        runs = run_course(directory, timeout=args.timeout, stop_on_failure=args.fail_fast, echo=_print_run)
    except (NotADirectoryError, ValueError) as exc:
        _print(f"mixlab course run: {exc}")
        return 2
    _print(describe_runs(runs))
    failed = [r for r in runs if not r.ok]
    if failed:
        for r in failed:
            _print(f"FAILED {r.failure}")
        return 1
    return 0


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
    course = subparsers.add_parser("course", help="run or refresh the course notebooks")
    course.set_defaults(func=_help_for(course))
    sub = course.add_subparsers(dest="course_command", metavar="{run,refresh}")
    COURSE_SUBPARSERS = sub

    run = sub.add_parser("run", help="execute every notebook headless, in order; files are not modified")
    run.add_argument("--notebooks", default=str(DEFAULT_NOTEBOOKS), help="folder of notebooks (default: notebooks/)")
    run.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell (default 600)")
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    run.set_defaults(func=_cmd_course_run)

    refresh = sub.add_parser(
        "refresh",
        help="re-execute notebooks in place on a fresh kernel to update stored outputs (maintainers)",
    )
    refresh.add_argument("notebook", nargs="*", help="notebook files (default: every notebook in notebooks/)")
    refresh.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell (default 600)")
    refresh.set_defaults(func=_cmd_course_refresh)


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
    from mixlab.build import register_cli  # `build` and `verify` (A.1)
    register_cli(subparsers)
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
