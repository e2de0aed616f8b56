"""Wall time of every course notebook, against the per-notebook budget (default 5 s).

Question: does each lesson still run "in seconds on a laptop", as the course promises, and which
notebooks come closest to the budget? This wraps ``mixlab course run --repeat 3 --budget SECONDS
--report PATH``: every notebook in ``notebooks/`` runs on a fresh kernel of this Python (the files are not
modified), the table of wall times is printed and written to ``benchmarks/results/notebooks.md``
(or the ``--report`` path; ``.csv`` for CSV), and the exit code is non-zero, naming every
notebook, when one is over budget or fails. Unlike the ratio benchmarks in this folder it reports
absolute seconds, because the budget is an absolute promise: run it on an otherwise idle machine
and read it as a maintainer's check. It is not part of ``pytest``.

Run: ``.venv/bin/python benchmarks/bench_notebooks.py [--budget SECONDS] [--notebooks DIR] [--report PATH]``.

Used in: the notebook guide's 5 s budget per notebook; maintainers before a release.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mixlab import cli
from mixlab.course import DEFAULT_BUDGET

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "benchmarks" / "results" / "notebooks.md"


def main(argv: list[str] | None = None) -> int:
    """Run every notebook with a wall-time budget, print and write the table; return the exit code."""
    parser = argparse.ArgumentParser(description="Wall time of every course notebook against a budget.")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help="seconds per notebook (default 5)")
    parser.add_argument("--notebooks", default=str(ROOT / "notebooks"), help="folder of notebooks")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over the course; medians reported (default 3)")
    parser.add_argument("--report", default=str(REPORT), help="report file, .md or .csv (default: %(default)s)")
    args = parser.parse_args(argv)
    return cli.main(
        ["course", "run", "--notebooks", args.notebooks, "--budget", str(args.budget), "--report", args.report,
         "--repeat", str(args.repeat)]
    )


if __name__ == "__main__":
    sys.exit(main())
