"""The course as a list of sections: notebook names, course order, and the table of notebooks.

:data:`SECTIONS` is the list every other part of ``mixlab.course`` (and the hygiene tests) agrees
on: which file names are course notebooks, in which order they run, and what each is called.
:func:`course_table` turns the notebooks present into the table the course map shows.

Used in: 00 (the table of every notebook); ``mixlab course``; the hygiene tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SECTIONS",
    "SUMMARIES",
    "MISSING_FILE",
    "NOTEBOOK_NAME_RE",
    "KERNEL_NAME",
    "section_of",
    "list_notebooks",
    "cell_source",
    "first_line",
    "course_table",
]

#: Section prefixes of the course, in teaching order, with their titles (from the course spec).
SECTIONS: dict[str, str] = {
    "00": "Course map",
    "1.1": "Mixture weights determine model skill profile",
    "1.2": "Not all tokens have equal value",
    "1.3": "Mixture as constrained optimization",
    "1.4": "Proxy models",
    "1.5": "DataComp, DoReMi and data mixing laws context",
    "2.1": "Domains",
    "2.2": "Mixture vector",
    "2.3": "Sampling distribution",
    "2.4": "Validation objective",
    "2.5": "Token budget constraint",
    "3.1": "Uniform by document",
    "3.2": "Uniform by token",
    "3.3": "Source-proportional",
    "3.4": "Hand-tuned domain weights",
    "3.5": "Temperature-smoothed mixtures",
    "3.6": "Baselines side by side",
    "A.1": "From mixture to a reproducible dataset",
}

#: One line per section: what a learner does in that notebook (shown by :func:`course_table`).
SUMMARIES: dict[str, str] = {
    "00": "What the course covers, every notebook, the synthetic world, widgets, exercises, how to run and test.",
    "1.1": "Same proxy, same budget, different mixtures: different per-domain losses (skill profiles).",
    "1.2": "Junk and quality filters counted in documents and tokens; diminishing returns; repeated tokens.",
    "1.3": "The mixture as a capped-simplex optimization: a grid heat map, binding caps, exponentiated gradient.",
    "1.4": "Small proxy vs target model: do they rank mixtures alike (Spearman), at what cost, and when not.",
    "1.5": "DataComp, DoReMi, mixing laws, RegMix, Aioli: cited numbers, miniatures compared under one objective.",
    "2.1": "Domains as a labelled partition: the partition check, stats in both views, derived labels, mislabeling.",
    "2.2": "The mixture vector: validation, explicit normalization, doc <-> token conversion, distances, JSON.",
    "2.3": "Sampling documents from a mixture: probabilities, epochs, realized vs target mixtures.",
    "2.4": "Validation objectives (uniform, target-weighted, worst-case, excess) pick different optima; no leaks.",
    "2.5": "Token budgets: epochs, repetition caps, feasibility, capped projection, the LLaMA-1 table.",
    "3.1": "Equal documents per domain: the long-document domain (books) takes most of the tokens.",
    "3.2": "Equal tokens per domain: epochs explode on small domains until a cap binds.",
    "3.3": "Natural proportions by documents and by tokens: web dominates, small domains starve.",
    "3.4": "Hand-tuned weights with a rationale: a capped mixture editor, configs, the cost of judgement.",
    "3.5": "Temperature smoothing (alpha = 0.3) from proportional to uniform; UniMax as the capped alternative.",
    "3.6": "Capstone: every baseline and an optimized mixture under four objectives, with noise, tokens, caps.",
    "A.1": "From a mixture to a reproducible dataset: shards, manifest, verify, resume, lineage, audit.",
}

#: File names of course notebooks: ``<section>-<lowercase-slug>.ipynb``.
NOTEBOOK_NAME_RE = re.compile(r"^(00|[123]\.[1-6]|A\.1)-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$")

#: The kernelspec name every committed notebook must carry.
KERNEL_NAME = "python3"

#: Name of the runtime column of :func:`course_table` (seconds read from a runtime report).
_RUNTIME_COLUMN = "seconds (last refresh)"
#: Text shown in the ``file`` column of :func:`course_table` for a section without a notebook.
MISSING_FILE = "(missing)"


def _sort_key(path: Path) -> tuple[int, str]:
    prefix = section_of(path)
    order = list(SECTIONS)
    return (order.index(prefix) if prefix in SECTIONS else len(order), path.name)


def section_of(path: str | os.PathLike[str]) -> str | None:
    """Return the section prefix of a notebook file name (``"1.3"``), or None if it has none.

    Parameters
    ----------
    path : str or path-like
        A notebook path; only its file name is used.

    Returns
    -------
    str or None
        The part before the first ``-`` when the name matches :data:`NOTEBOOK_NAME_RE`.

    Used in: the hygiene tests and ``mixlab course``.
    """
    name = Path(path).name
    if not NOTEBOOK_NAME_RE.match(name):
        return None
    return name.split("-", 1)[0]


def list_notebooks(directory: str | os.PathLike[str]) -> list[Path]:
    """List the ``*.ipynb`` files directly in ``directory`` in course order.

    Files with a valid section prefix come first, in the order of :data:`SECTIONS`; any other
    notebook follows, sorted by name (so the hygiene check can report it).

    Parameters
    ----------
    directory : str or path-like
        The folder to list.

    Returns
    -------
    list of Path
        The notebook files, in course order.

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not an existing directory.

    Used in: :func:`course_table`, ``mixlab course run``, the hygiene tests.
    """
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"notebooks directory must be an existing directory (got {str(root)!r})")
    return sorted((p for p in root.glob("*.ipynb") if p.is_file()), key=_sort_key)


def cell_source(cell: Mapping[str, Any]) -> str:
    """Return the source of a notebook cell as one string (nbformat stores a string or a list of lines).

    Parameters
    ----------
    cell : mapping
        A notebook cell (``nbformat.NotebookNode`` or the plain JSON dict).

    Returns
    -------
    str
        The cell's source text (empty when it has none).

    Used in: the hygiene rules and the notebook runner (``mixlab course``).
    """
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def first_line(text: str) -> str:
    """Return the first non-blank line of ``text``, stripped (empty string if there is none).

    Parameters
    ----------
    text : str
        Any text, e.g. a cell's source or an error message.

    Returns
    -------
    str
        The line, without surrounding whitespace.

    Used in: the hygiene rules and the notebook runner (``mixlab course``), to name a cell.
    """
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _read_runtime_report(report: Path) -> pd.DataFrame:
    """Read a CSV written by ``write_runtime_report``; return its rows indexed by notebook."""
    import pandas as pd

    if report.is_dir():
        raise IsADirectoryError(f"report must be a runtime report CSV file, not a directory (got {str(report)!r})")
    try:
        runs = pd.read_csv(report, dtype={"notebook": str, "section": str, "status": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"report {report.name!r} is not a readable CSV runtime report ({exc})") from exc
    missing = [c for c in ("notebook", "seconds", "status") if c not in runs.columns]
    if missing:
        raise ValueError(
            f"report {report.name!r} must have the columns notebook, seconds, status as written by "
            f"'mixlab course run --report' (missing: {', '.join(missing)}; got {', '.join(map(str, runs.columns))})"
        )
    seconds = pd.to_numeric(runs["seconds"], errors="coerce")
    bad = runs.loc[seconds.isna() | (seconds < 0), ["notebook", "seconds"]]
    if len(bad):
        raise ValueError(
            f"report {report.name!r}: seconds must be non-negative numbers (got "
            + ", ".join(f"{n}={v!r}" for n, v in bad.head(5).itertuples(index=False))
            + ")"
        )
    dupes = sorted(set(runs.loc[runs["notebook"].duplicated(), "notebook"]))
    if dupes:
        raise ValueError(f"report {report.name!r} must list each notebook once (repeated: {', '.join(dupes)})")
    runs = runs.assign(seconds=seconds.astype(float))
    return runs.set_index("notebook")


def _add_runtimes(table: pd.DataFrame, report: Path, runs: pd.DataFrame | None, present: list[str]) -> str:
    """Add the runtime column to ``table`` (in place) and return the caption's runtime line."""
    if runs is None:
        table[_RUNTIME_COLUMN] = float("nan")
        return f"\n{_RUNTIME_COLUMN}: not measured (no runtime report {report.name} next to the notebooks)"
    table[_RUNTIME_COLUMN] = runs["seconds"].reindex(table["file"]).to_numpy()
    measured = table.loc[table["file"] != MISSING_FILE, _RUNTIME_COLUMN].dropna()
    failed = sorted(str(n) for n in runs.index[runs["status"].astype(str) != "ok"] if n in present)
    return (
        f"\n{_RUNTIME_COLUMN}: wall time measured on the maintainers' machine at the last refresh "
        f"({report.name}), not in this run: {len(measured)} of {len(present)} notebooks measured, "
        f"{measured.sum():.0f} s in total; failed then: {', '.join(failed) or 'none'}"
    )


def course_table(directory: str | os.PathLike[str], report: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The course at a glance: one row per section, with its notebook, summary and last runtime.

    Parameters
    ----------
    directory : str or path-like
        The ``notebooks/`` folder (the notebooks present are found with :func:`list_notebooks`).
    report : str or path-like, optional
        A CSV runtime report written by ``mixlab course run --report <file>.csv``. When given, a
        ``"seconds (last refresh)"`` column holds each notebook's wall time *as measured when the
        report was written*, not now (NaN for a notebook the report does not list). A report
        path that does not exist (e.g. in a copy of the notebooks without the report) gives an
        all-NaN column and says so in the caption.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``section`` in course order, columns ``title``, ``file`` and ``summary`` (and
        the runtime column). A section of :data:`SECTIONS` without a notebook has ``file`` set to
        ``"(missing)"``; a notebook whose name has no course section is listed last with section
        ``"?"``. ``table.attrs["caption"]`` says how many notebooks there are, which sections
        are missing and, with a report, where the times come from and which notebooks failed then.

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not an existing directory.
    IsADirectoryError
        If ``report`` is a directory.
    ValueError
        If ``report`` is not a CSV runtime report (unreadable, missing the ``notebook``,
        ``seconds`` or ``status`` column, non-numeric or negative seconds, repeated notebooks).

    Used in: 00 (the table of every notebook).
    """
    import pandas as pd

    notebooks = list_notebooks(directory)
    runs = _read_runtime_report(Path(report)) if report is not None and Path(report).exists() else None
    by_section: dict[str, list[str]] = {}
    extras: list[str] = []
    for p in notebooks:
        sec = section_of(p)
        if sec in SECTIONS:
            by_section.setdefault(str(sec), []).append(p.name)
        else:
            extras.append(p.name)
    rows: list[tuple[str, str, str, str]] = []
    for sec, title in SECTIONS.items():
        for name in by_section.get(sec, [MISSING_FILE]):
            rows.append((sec, title, name, SUMMARIES.get(sec, "(no summary yet)")))
    rows += [("?", "(not a course section)", name, "(not a course section)") for name in extras]
    table = pd.DataFrame(rows, columns=["section", "title", "file", "summary"]).set_index("section")
    present = [name for name in table["file"] if name != MISSING_FILE]
    missing = [sec for sec in SECTIONS if sec not in by_section]
    caption = f"{len(present)} notebooks; sections without a notebook yet: {', '.join(missing) or 'none'}"
    if report is not None:
        caption += _add_runtimes(table, Path(report), runs, present)
    table.attrs["caption"] = caption
    return table
