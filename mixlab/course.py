"""The course as a set of notebooks: hygiene rules, headless runs and output refresh.

This module holds what the ``mixlab course`` command and the hygiene tests share:

- :func:`check_notebook` and :func:`check_course` return the list of rule violations of one
  notebook file or of a whole ``notebooks/`` folder (empty list: clean);
- :func:`run_course` executes every notebook on a fresh kernel of *this* Python, in memory,
  never touching the files on disk;
- :func:`refresh_notebook` re-executes a notebook and writes it back atomically, so its stored
  outputs and execution counts are those of a clean top-to-bottom run.

Heavy imports (nbformat, nbclient, jupyter_client, ipykernel) happen inside the functions so
that ``import mixlab.course`` stays cheap.

Used in: 00 (course map: how to run and test the course); CI and the hygiene tests.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SECTIONS",
    "SUMMARIES",
    "MISSING_FILE",
    "course_table",
    "NOTEBOOK_NAME_RE",
    "KERNEL_NAME",
    "RAISES_TAG",
    "RUN_ENV",
    "CellFailure",
    "NotebookRun",
    "section_of",
    "list_notebooks",
    "check_notebook",
    "check_course",
    "run_notebook",
    "run_course",
    "refresh_notebook",
    "run_environment",
    "describe_runs",
    "DEFAULT_BUDGET",
    "over_budget",
    "runtime_table",
    "REPORT_FORMATS",
    "write_runtime_report",
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

#: Cell tag that allows a cell to raise (and requires its stored output to show the error).
RAISES_TAG = "raises-exception"

#: Environment variables set for every headless run (tests, ``course run``, ``course refresh``),
#: so stored outputs and test runs see the same settings. Notebooks that plot must therefore
#: call ``%matplotlib inline`` themselves (with ``MPLBACKEND=Agg`` the kernel would not pick
#: the inline backend on its own).
RUN_ENV: dict[str, str] = {"TQDM_DISABLE": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}

_VERSION_RE = re.compile(r"\d+\.\d+(?:\.\d+)?")
_PLOTS_RE = re.compile(
    r"^\s*(?:import|from)\s+(?:matplotlib|mixlab\.plots)\b|^\s*from\s+mixlab\s+import\s[^\n]*\bplots\b",
    flags=re.MULTILINE,
)


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

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not an existing directory.

    Used in: ``mixlab course run``, the hygiene tests.
    """
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"notebooks directory must be an existing directory (got {str(root)!r})")
    return sorted((p for p in root.glob("*.ipynb") if p.is_file()), key=_sort_key)


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _output_text(output: Mapping[str, Any]) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
        return "".join(text) if isinstance(text, list) else str(text)
    data = output.get("data", {})
    plain = data.get("text/plain", "") if isinstance(data, Mapping) else ""
    return "".join(plain) if isinstance(plain, list) else str(plain)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def check_notebook(path: str | os.PathLike[str]) -> list[str]:
    """Check one committed notebook against the course's hygiene rules.

    The rules: the file name is ``<section>-<slug>.ipynb`` with a section of the course
    (:data:`SECTIONS`); the kernelspec is ``python3``; the notebook was executed top to bottom
    on a fresh kernel (non-empty code cells carry execution counts exactly 1..N in order, and
    outputs are stored); no empty code cells; no error output except in cells tagged
    ``raises-exception`` (and such cells do show their error); the notebook imports mixlab and an
    output shows ``mixlab.__version__``; a notebook that plots calls ``%matplotlib inline``.

    Parameters
    ----------
    path : str or path-like
        The ``.ipynb`` file.

    Returns
    -------
    list of str
        One message per violation, each starting with the file name; empty when clean.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.

    Used in: tests/test_notebook_hygiene.py, ``mixlab course run`` (pre-check).
    """
    import nbformat

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"path must be an existing notebook file (got {str(p)!r})")
    name = p.name
    problems: list[str] = []
    if not NOTEBOOK_NAME_RE.match(name) or section_of(name) not in SECTIONS:
        problems.append(
            f"{name}: file name must match {NOTEBOOK_NAME_RE.pattern} "
            f"(section one of {', '.join(SECTIONS)}, then a lowercase-hyphenated slug)"
        )
    try:
        nb = nbformat.read(str(p), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a violation to report
        problems.append(f"{name}: cannot be read as a notebook ({type(exc).__name__}: {exc})")
        return problems

    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != KERNEL_NAME:
        problems.append(f"{name}: kernelspec name must be {KERNEL_NAME!r} (got {kernel!r})")

    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    empty = [i for i, c in code if not _source(c).strip()]
    if empty:
        problems.append(f"{name}: empty code cells must be removed (cells {empty})")
    runnable = [(i, c) for i, c in code if _source(c).strip()]
    counts = [c.get("execution_count") for _, c in runnable]
    expected = list(range(1, len(runnable) + 1))
    if counts != expected:
        unexecuted = [i for i, c in runnable if c.get("execution_count") is None]
        detail = f"unexecuted cells {unexecuted}" if unexecuted else f"got {counts}"
        problems.append(
            f"{name}: code cells must be executed top to bottom on a fresh kernel "
            f"(execution counts 1..{len(runnable)} in order; {detail})"
        )
    if runnable and not any(c.get("outputs") for _, c in runnable):
        problems.append(f"{name}: outputs must be stored (no code cell has an output)")

    for i, c in runnable:
        tags = c.metadata.get("tags", [])
        errors = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
        if errors and RAISES_TAG not in tags:
            ename = errors[0].get("ename", "error")
            problems.append(
                f"{name}: cell {i} has an error output ({ename}) but is not tagged {RAISES_TAG!r}: "
                f"{_first_line(_source(c))!r}"
            )
        if RAISES_TAG in tags and not errors:
            problems.append(f"{name}: cell {i} is tagged {RAISES_TAG!r} but stores no error output")

    sources = "\n".join(_source(c) for _, c in runnable)
    if not re.search(r"^\s*(import mixlab|from mixlab\b)", sources, flags=re.MULTILINE):
        problems.append(f"{name}: must import mixlab")
    shows_version = any(
        "mixlab.__version__" in _source(c)
        and any("mixlab" in _output_text(o) and _VERSION_RE.search(_output_text(o)) for o in c.get("outputs", []))
        for _, c in runnable
    )
    if not shows_version:
        problems.append(f"{name}: an output must show mixlab.__version__ (e.g. print('mixlab', mixlab.__version__))")
    if _PLOTS_RE.search(sources) and "%matplotlib inline" not in sources:
        problems.append(f"{name}: a notebook that plots must call '%matplotlib inline'")
    return problems


def check_course(directory: str | os.PathLike[str]) -> list[str]:
    """Check every notebook in ``directory`` and the set of sections they cover.

    Adds to the per-notebook violations of :func:`check_notebook` one violation per section
    number used by more than one notebook.

    Returns
    -------
    list of str
        All violations; empty when the course folder is clean.

    Used in: tests/test_notebook_hygiene.py.
    """
    paths = list_notebooks(directory)
    problems: list[str] = []
    for p in paths:
        problems.extend(check_notebook(p))
    by_section: dict[str, list[str]] = {}
    for p in paths:
        sec = section_of(p)
        if sec is not None:
            by_section.setdefault(sec, []).append(p.name)
    for sec, names in by_section.items():
        if len(names) > 1:
            problems.append(f"section {sec} must have one notebook (got {', '.join(sorted(names))})")
    return problems


@contextlib.contextmanager
def run_environment(extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """Temporarily set :data:`RUN_ENV` (plus ``extra``) in ``os.environ`` for kernels started inside.

    Used in: ``mixlab course run`` and ``mixlab course refresh``.
    """
    values = {**RUN_ENV, **(extra or {})}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _current_env_kernel_manager() -> Any:
    """A KernelManager whose ``python3`` kernel runs this very Python (``sys.executable``)."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class _CurrentPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict())

    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=_CurrentPythonSpecs())


@dataclass(frozen=True)
class CellFailure:
    """Where a headless run stopped: notebook, cell index, first source line and the error.

    Used in: ``mixlab course run``.
    """

    notebook: str
    cell_index: int
    first_line: str
    error: str

    def __str__(self) -> str:
        return f"{self.notebook}: cell {self.cell_index} failed ({self.first_line!r}): {self.error}"


@dataclass
class NotebookRun:
    """The result of executing one notebook: wall time and, if it failed, where.

    Used in: ``mixlab course run``, ``mixlab course refresh``.
    """

    path: Path
    seconds: float
    failure: CellFailure | None = None
    notebook: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when every cell ran (cells tagged ``raises-exception`` may raise)."""
        return self.failure is None


def run_notebook(
    path: str | os.PathLike[str],
    *,
    timeout: float = 600.0,
    allow_error: Callable[[Mapping[str, Any], str], bool] | None = None,
) -> NotebookRun:
    """Execute a notebook on a fresh kernel of this Python, in memory; the file is not modified.

    The kernel's working directory is the notebook's folder (as in JupyterLab and nbval), and
    :data:`RUN_ENV` is set. Cells tagged ``raises-exception`` may raise; any other error stops
    the run and is reported with the cell index and the cell's first line of source.

    Parameters
    ----------
    path : str or path-like
        The ``.ipynb`` file.
    timeout : float
        Seconds allowed per cell (> 0).
    allow_error : callable, optional
        ``allow_error(cell, ename)`` is asked about every other error (``ename`` is the
        exception's class name, e.g. ``"NotImplementedError"``); when it returns True the error
        stays in the cell's outputs and the run goes on. Timeouts and dead kernels always stop
        the run. Student copies use it to let exercise stubs raise.

    Returns
    -------
    NotebookRun
        Wall time, failure (or None) and the executed notebook object.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``timeout`` is not > 0.

    Used in: ``mixlab course run``, :func:`refresh_notebook`.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from mixlab.validation import check_positive

    timeout = check_positive(timeout, "timeout")
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"path must be an existing notebook file (got {str(p)!r})")
    nb = nbformat.read(str(p), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)  # timestamps of an earlier run
    client = NotebookClient(
        nb,
        km=_current_env_kernel_manager(),
        timeout=math.ceil(timeout),
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(p.parent.resolve())}},
        record_timing=False,  # per-cell timestamps would change every stored notebook on each refresh
    )
    failure: CellFailure | None = None
    start = time.perf_counter()
    with run_environment():
        with client.setup_kernel():
            assert client.kc is not None  # set by setup_kernel
            info = client.wait_for_reply(client.kc.kernel_info())
            if info is not None:
                nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as exc:
                    if allow_error is not None and allow_error(cell, str(exc.ename)):
                        continue
                    evalue = exc.evalue or _first_line(str(exc))
                    failure = CellFailure(p.name, index, _first_line(_source(cell)), f"{exc.ename}: {evalue}")
                    break
                except (CellTimeoutError, DeadKernelError) as exc:
                    ename = getattr(exc, "ename", type(exc).__name__)
                    evalue = getattr(exc, "evalue", "") or _first_line(str(exc))
                    failure = CellFailure(p.name, index, _first_line(_source(cell)), f"{ename}: {evalue}")
                    break
    seconds = time.perf_counter() - start
    return NotebookRun(path=p, seconds=seconds, failure=failure, notebook=nb)


def run_course(
    directory: str | os.PathLike[str],
    *,
    timeout: float = 600.0,
    stop_on_failure: bool = False,
    echo: Any = None,
) -> list[NotebookRun]:
    """Execute every notebook of ``directory`` in course order, headless, without modifying them.

    Parameters
    ----------
    directory : str or path-like
        Folder holding the ``*.ipynb`` files.
    timeout : float
        Seconds allowed per cell.
    stop_on_failure : bool
        Stop at the first failing notebook instead of running them all.
    echo : callable, optional
        Called with each :class:`NotebookRun` as soon as it finishes (the CLI prints it).

    Returns
    -------
    list of NotebookRun
        One per notebook executed.

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not a directory.
    ValueError
        If it holds no notebook.

    Used in: ``mixlab course run``.
    """
    paths = list_notebooks(directory)
    if not paths:
        raise ValueError(f"notebooks directory must contain at least one .ipynb file (got none in {str(directory)!r})")
    runs: list[NotebookRun] = []
    for p in paths:
        result = run_notebook(p, timeout=timeout)
        runs.append(result)
        if echo is not None:
            echo(result)
        if stop_on_failure and not result.ok:
            break
    return runs


def _file_mode(path: Path) -> int:
    """Permission bits for a rewritten file: the existing file's, else what ``open()`` would give."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_atomic(path: Path, text: str) -> None:
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)  # mkstemp creates 0600; keep the mode a plain write would have
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def refresh_notebook(path: str | os.PathLike[str], *, timeout: float = 600.0) -> NotebookRun:
    """Re-execute a notebook on a fresh kernel and store its outputs in place, atomically.

    Outputs and execution counts are replaced by those of a clean top-to-bottom run; the
    kernelspec is set to ``python3``. If a cell fails (other than one tagged
    ``raises-exception``) the file is left untouched.

    Parameters
    ----------
    path : str or path-like
        The ``.ipynb`` file to refresh.
    timeout : float
        Seconds allowed per cell.

    Returns
    -------
    NotebookRun
        The run; ``failure`` says why the file was not written.

    Used in: ``mixlab course refresh`` (maintainers, after an intended change of outputs).
    """
    import nbformat

    result = run_notebook(path, timeout=timeout)
    if not result.ok:
        return result
    nb = result.notebook
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}
    # Widget state saved by the executor is large, and differs between runs: leave it out.
    nb.metadata.pop("widgets", None)
    _relative_tracebacks(nb, Path(path).resolve().parent.parent)
    nbformat.validate(nb)
    _write_atomic(Path(path), nbformat.writes(nb) + "\n")
    return result


def _relative_tracebacks(nb: Any, root: Path) -> None:
    """Write paths under ``root`` (the course folder) as relative paths in stored tracebacks.

    Tracebacks of cells that raise on purpose would otherwise carry the maintainer's absolute
    checkout path into every learner's copy. nbval does not compare tracebacks, so this changes
    nothing a test holds; the error's type and message are kept as they are.
    """
    prefix = str(root) + os.sep
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                out["traceback"] = [line.replace(prefix, "") for line in out.get("traceback", [])]


def describe_runs(runs: Sequence[NotebookRun]) -> str:
    """Summarise runs as one line: how many notebooks passed and the total wall time.

    Used in: ``mixlab course run``.
    """
    ok = sum(r.ok for r in runs)
    total = sum(r.seconds for r in runs)
    return f"{ok}/{len(runs)} notebooks ran cleanly in {total:.1f} s"


#: Default per-notebook wall-time budget in seconds (the notebook guide's hard limit).
DEFAULT_BUDGET = 10.0


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


def _runtime_rows(runs: Sequence[NotebookRun], budget: float | None) -> tuple[list[str], list[list[str]]]:
    header = ["notebook", "section", "seconds", "status"]
    if budget is not None:
        header.append(f"budget {budget:g} s")
    rows = []
    for r in runs:
        row = [r.path.name, section_of(r.path) or "", f"{r.seconds:.2f}", "ok" if r.ok else "FAILED"]
        if budget is not None:
            row.append("OVER" if r.seconds > budget else "within")
        rows.append(row)
    return header, rows


def runtime_table(runs: Sequence[NotebookRun], *, budget: float | None = None, fmt: str = "markdown") -> str:
    """Format every notebook's wall time as a Markdown or CSV table, with a total.

    Parameters
    ----------
    runs : sequence of NotebookRun
        Results of :func:`run_course`.
    budget : float, optional
        Seconds allowed per notebook; adds a column saying ``within`` or ``OVER``.
    fmt : {"markdown", "csv"}
        Output format.

    Returns
    -------
    str
        The table, ending with a newline. Markdown gets a final *total* row; CSV has one row
        per notebook (sum the column for the total).

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
    header, rows = _runtime_rows(runs, budget)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue()
    total = ["**total**", "", f"{sum(r.seconds for r in runs):.2f}", f"{sum(r.ok for r in runs)}/{len(runs)} ok"]
    if budget is not None:
        total.append(f"{len(over_budget(runs, budget))} over")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in [*rows, total]]
    return "\n".join(lines) + "\n"


#: Report file suffix -> table format.
REPORT_FORMATS: dict[str, str] = {".md": "markdown", ".markdown": "markdown", ".csv": "csv"}


def write_runtime_report(
    path: str | os.PathLike[str], runs: Sequence[NotebookRun], *, budget: float | None = None
) -> str:
    """Write :func:`runtime_table` to ``path`` atomically, in the format its suffix names.

    Parameters
    ----------
    path : str or path-like
        Target file ending in ``.md``/``.markdown`` (Markdown) or ``.csv``; its folder is created.
    runs : sequence of NotebookRun
    budget : float, optional
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
    text = runtime_table(runs, budget=budget, fmt=fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(target, text)
    return fmt


#: Name of the runtime column of :func:`course_table` (seconds read from a runtime report).
_RUNTIME_COLUMN = "seconds (last refresh)"
#: Text shown in the ``file`` column of :func:`course_table` for a section without a notebook.
MISSING_FILE = "(missing)"


def _read_runtime_report(report: Path) -> Any:
    """Read a CSV written by :func:`write_runtime_report`; return its rows indexed by notebook."""
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


def course_table(directory: str | os.PathLike[str], report: str | os.PathLike[str] | None = None) -> Any:
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
            by_section.setdefault(sec, []).append(p.name)
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
    if report is not None and runs is None:
        table[_RUNTIME_COLUMN] = float("nan")
        caption += f"\n{_RUNTIME_COLUMN}: not measured (no runtime report {Path(report).name} next to the notebooks)"
    elif runs is not None and report is not None:
        seconds = runs["seconds"].reindex(table["file"]).to_numpy()
        table[_RUNTIME_COLUMN] = seconds
        measured = table.loc[table["file"] != MISSING_FILE, _RUNTIME_COLUMN].dropna()
        failed = sorted(str(n) for n in runs.index[runs["status"].astype(str) != "ok"] if n in present)
        caption += (
            f"\n{_RUNTIME_COLUMN}: wall time measured on the maintainers' machine at the last refresh "
            f"({Path(report).name}), not in this run: {len(measured)} of {len(present)} notebooks measured, "
            f"{measured.sum():.0f} s in total; failed then: {', '.join(failed) or 'none'}"
        )
    table.attrs["caption"] = caption
    return table
