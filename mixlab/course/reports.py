"""Wall-time reports of a course run: which notebooks are slow, as a table or a file.

Wall times depend on the machine, so these are checks a maintainer runs by hand on an idle
machine (``mixlab course run --budget --report PATH``), not part of the test suite.

Used in: ``mixlab course run``; ``benchmarks/bench_notebooks.py``; 00 (reads the last report).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mixlab.course.catalog import section_of
from mixlab.course.runner import NotebookRun, write_atomic

__all__ = ["DEFAULT_BUDGET", "REPORT_FORMATS", "describe_runs", "over_budget", "runtime_table", "write_runtime_report"]


def describe_runs(runs: Sequence[NotebookRun]) -> str:
    """Summarise runs as one line: how many notebooks passed and the total wall time.

    Parameters
    ----------
    runs : sequence of NotebookRun
        Results of :func:`mixlab.course.runner.run_course`.

    Returns
    -------
    str
        E.g. ``"17/18 notebooks ran cleanly in 71.3 s"``.

    Used in: ``mixlab course run``.
    """
    ok = sum(r.ok for r in runs)
    total = sum(r.seconds for r in runs)
    return f"{ok}/{len(runs)} notebooks ran cleanly in {total:.1f} s"


#: Default per-notebook wall-time budget in seconds (the notebook guide's hard limit).
DEFAULT_BUDGET = 5.0


def over_budget(runs: Sequence[NotebookRun], budget: float) -> list[NotebookRun]:
    """Return the runs whose wall time exceeds ``budget`` seconds, in the order given.

    Parameters
    ----------
    runs : sequence of NotebookRun
        Results of :func:`run_course` (or any objects with ``seconds``).
    budget : float
        Seconds allowed per notebook (> 0).

    Returns
    -------
    list of NotebookRun
        The runs with ``seconds > budget`` (a run exactly at the budget is within it).

    Raises
    ------
    ValueError
        If ``budget`` is not a finite number > 0.

    Used in: ``mixlab course run --budget`` and ``benchmarks/bench_notebooks.py`` (maintainers).
    """
    from mixlab.validation import check_positive

    limit = check_positive(budget, "budget")
    return [r for r in runs if r.seconds > limit]


def _runtime_rows(runs: Sequence[NotebookRun], budget: float | None,
                  floor: NotebookRun | None) -> tuple[list[str], list[list[str]]]:
    header = ["notebook", "section", "seconds", "status"]
    repeated = any(r.samples for r in runs)
    if repeated:
        header += ["runs", "min", "max"]
    if floor is not None:
        header.append("above floor")
    if budget is not None:
        header.append(f"budget {budget:g} s")
    rows = []
    for r in [*runs, *([floor] if floor is not None else [])]:
        is_floor = r is floor
        row = [r.path.name, "floor" if is_floor else section_of(r.path) or "", f"{r.seconds:.2f}",
               "ok" if r.ok else "FAILED"]
        if repeated:
            samples = r.samples or (r.seconds,)
            row += [str(len(samples)), f"{min(samples):.2f}", f"{max(samples):.2f}"]
        if floor is not None:
            row.append("" if is_floor else f"{r.seconds - floor.seconds:.2f}")
        if budget is not None:
            row.append("" if is_floor else ("OVER" if r.seconds > budget else "within"))
        rows.append(row)
    return header, rows


def runtime_table(runs: Sequence[NotebookRun], *, budget: float | None = None, fmt: str = "markdown",
                  floor: NotebookRun | None = None) -> str:
    """Format every notebook's wall time as a Markdown or CSV table, with a total.

    Parameters
    ----------
    runs : sequence of NotebookRun
        Results of :func:`run_course`; with several runs per notebook the table adds their
        number, minimum and maximum (``seconds`` is the median).
    budget : float, optional
        Seconds allowed per notebook; adds a column saying ``within`` or ``OVER``.
    fmt : {"markdown", "csv"}
        Output format.
    floor : NotebookRun, optional
        The one-cell notebook (:func:`mixlab.course.runner.measure_floor`): printed as the last
        row, and each notebook's time above it as a column.

    Returns
    -------
    str
        The table, ending with a newline. Markdown gets a final *total* row (notebooks only);
        CSV has one row per notebook (sum the column for the total) and the floor's row.

    Raises
    ------
    ValueError
        If ``fmt`` is not ``"markdown"`` or ``"csv"``, or ``budget`` is not > 0.

    Used in: ``mixlab course run`` (printed, and written by ``--report``).
    """
    import csv
    import io

    if fmt not in ("markdown", "csv"):
        raise ValueError(f"fmt must be 'markdown' or 'csv' (got {fmt!r})")
    if budget is not None:
        over_budget([], budget)  # validates the budget
    header, rows = _runtime_rows(runs, budget, floor)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue()
    total = ["**total**", "", f"{sum(r.seconds for r in runs):.2f}", f"{sum(r.ok for r in runs)}/{len(runs)} ok"]
    total += [""] * (len(header) - len(total) - (budget is not None))
    if budget is not None:
        total.append(f"{len(over_budget(runs, budget))} over")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in [*rows, total]]
    return "\n".join(lines) + "\n"


#: Report file suffix -> table format.
REPORT_FORMATS: dict[str, str] = {".md": "markdown", ".markdown": "markdown", ".csv": "csv"}


def write_runtime_report(
    path: str | os.PathLike[str], runs: Sequence[NotebookRun], *, budget: float | None = None,
    floor: NotebookRun | None = None,
) -> str:
    """Write :func:`runtime_table` to ``path`` atomically, in the format its suffix names.

    Parameters
    ----------
    path : str or path-like
        Target file ending in ``.md``/``.markdown`` (Markdown) or ``.csv``; its folder is created.
    runs : sequence of NotebookRun
    budget, floor : optional
        As in :func:`runtime_table`.

    Returns
    -------
    str
        The format written (``"markdown"`` or ``"csv"``).

    Raises
    ------
    ValueError
        If the suffix is not one of :data:`REPORT_FORMATS`.

    Used in: ``mixlab course run --report`` and ``benchmarks/bench_notebooks.py``.
    """
    target = Path(path)
    fmt = REPORT_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"report path must end in one of {', '.join(REPORT_FORMATS)} (got {str(target)!r})"
        )
    text = runtime_table(runs, budget=budget, fmt=fmt, floor=floor)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    return fmt
