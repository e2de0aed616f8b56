"""Running the course headless: execute notebooks on fresh kernels, refresh their stored outputs.

- :func:`run_notebook` executes one notebook in memory on a fresh kernel of *this* Python; the
  file on disk is never touched. The kernel belongs to the run: nbclient starts it and shuts it
  down as soon as the notebook finishes (or fails), so a course run holds one kernel at a time.
- :func:`run_course` runs every notebook of a folder in course order.
- :func:`refresh_notebook` re-executes a notebook and writes it back atomically, so its stored
  outputs and execution counts are those of a clean top-to-bottom run.

Kernels talk to the runner over CurveZMQ-encrypted sockets when pyzmq supports it (the kernel
then has no reason to warn about plain-text TCP). Heavy imports (nbformat, nbclient,
jupyter_client, ipykernel) happen inside the functions.

Used in: ``mixlab course run`` and ``mixlab course refresh``; 00 (how to run the course); CI.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixlab.course.catalog import KERNEL_NAME, cell_source, first_line, list_notebooks

__all__ = [
    "RUN_ENV",
    "CellFailure",
    "NotebookRun",
    "run_environment",
    "kernel_manager_class",
    "run_notebook",
    "run_course",
    "measure_floor",
    "FLOOR_NAME",
    "refresh_notebook",
    "write_atomic",
]

def _world_cache_dir() -> str:
    """The world cache folder for headless runs: ``$MIXLAB_WORLD_CACHE`` if set, else the user's cache folder.

    ``mixlab.world.cache`` reads this variable; every entry is keyed by the spec, seed, versions
    and the generating code and verified on read, so a run only gets faster, never different.
    """
    chosen = os.environ.get("MIXLAB_WORLD_CACHE")  # mixlab.world.cache.CACHE_ENV
    if chosen:
        return chosen
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "mixlab" / "worlds")


#: Environment variables set for every headless run (tests, ``course run``, ``course refresh``),
#: so stored outputs and test runs see the same settings. Notebooks that plot must therefore
#: call ``%matplotlib inline`` themselves (with ``MPLBACKEND=Agg`` the kernel would not pick
#: the inline backend on its own). ``MIXLAB_WORLD_CACHE`` lets the 18 notebooks of a run read the
#: worlds they share from a verified cache instead of generating each again.
RUN_ENV: dict[str, str] = {"TQDM_DISABLE": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
                           "MIXLAB_WORLD_CACHE": _world_cache_dir()}


@contextlib.contextmanager
def run_environment(extra: Mapping[str, str] | None = None) -> Iterator[None]:
    """Temporarily set :data:`RUN_ENV` (plus ``extra``) in ``os.environ`` for kernels started inside.

    Parameters
    ----------
    extra : mapping of str to str, optional
        More variables to set for the duration.

    Returns
    -------
    context manager
        Restores every variable it changed on exit.

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


@functools.cache
def kernel_manager_class(asynchronous: bool = True) -> type:
    """A jupyter_client KernelManager class whose ``python3`` kernel runs this very Python.

    The class ignores installed kernelspecs (a stale ``python3`` kernelspec could point to another
    environment) and asks for CurveZMQ transport encryption when pyzmq and the kernel support it.

    Parameters
    ----------
    asynchronous : bool
        An ``AsyncKernelManager`` subclass (what nbclient drives) or a blocking ``KernelManager``.

    Returns
    -------
    type
        The class; instances take the usual KernelManager arguments.

    Used in: :func:`run_notebook`; ``mixlab doctor`` (its kernel check).
    """
    import ipykernel.kernelspec
    import zmq
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager, KernelManager
    from traitlets import default

    class CurrentPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict())

    base = AsyncKernelManager if asynchronous else KernelManager
    encrypt = "transport_encryption" in base.class_trait_names() and zmq.has("curve")

    class CurrentPythonKernelManager(base):  # type: ignore[misc, valid-type]
        @default("kernel_spec_manager")
        def _default_specs(self) -> KernelSpecManager:
            return CurrentPythonSpecs()

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if encrypt:
                self.transport_encryption = "auto"

    return CurrentPythonKernelManager


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
    """The result of executing one notebook: wall time (the median when it ran several times) and, if it failed, where.

    Used in: ``mixlab course run``, ``mixlab course refresh``.
    """

    path: Path
    seconds: float
    failure: CellFailure | None = None
    notebook: Any = field(default=None, repr=False)
    #: Every wall time measured for this notebook (``seconds`` is their median); empty for one run.
    samples: tuple[float, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every cell ran (cells tagged ``raises-exception`` may raise)."""
        return self.failure is None


def _read_for_run(p: Path) -> Any:
    """Read a notebook for execution, outputs cleared; errors name the file."""
    import nbformat

    if not p.is_file():
        raise FileNotFoundError(f"path must be an existing notebook file (got {str(p)!r})")
    try:
        nb = nbformat.read(str(p), as_version=4)
    except (ValueError, KeyError, AttributeError, TypeError) as exc:  # NotJSONError, bad structure
        why = f"{type(exc).__name__}: {first_line(str(exc))}"
        raise ValueError(f"{p} is not a readable Jupyter notebook ({why})") from None
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)  # timestamps of an earlier run
    return nb


def _execute_cells(
    client: Any, nb: Any, name: str, allow_error: Callable[[Any, str], bool] | None
) -> CellFailure | None:
    """Run every code cell with ``client`` (kernel already up); return the first failure, if any."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as exc:
            if allow_error is not None and allow_error(cell, str(exc.ename)):
                continue
            evalue = exc.evalue or first_line(str(exc))
            return CellFailure(name, index, first_line(cell_source(cell)), f"{exc.ename}: {evalue}")
        except (CellTimeoutError, DeadKernelError) as exc:
            ename = getattr(exc, "ename", type(exc).__name__)
            evalue = getattr(exc, "evalue", "") or first_line(str(exc))
            return CellFailure(name, index, first_line(cell_source(cell)), f"{ename}: {evalue}")
    return None


def run_notebook(
    path: str | os.PathLike[str],
    *,
    timeout: float = 600.0,
    allow_error: Callable[[Mapping[str, Any], str], bool] | None = None,
) -> NotebookRun:
    """Execute a notebook on a fresh kernel of this Python, in memory; the file is not modified.

    The kernel's working directory is the notebook's folder (as in JupyterLab and nbval), and
    :data:`RUN_ENV` is set. Cells tagged ``raises-exception`` may raise (nbclient reads the tag); any other error stops
    the run and is reported with the cell index and the cell's first line of source. The kernel
    is shut down before this function returns, whatever happened.

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
        If ``timeout`` is not > 0, or the file is not a readable notebook.

    Used in: ``mixlab course run``, :func:`refresh_notebook`.
    """
    from nbclient import NotebookClient

    from mixlab.validation import check_positive

    timeout = check_positive(timeout, "timeout")
    p = Path(path)
    nb = _read_for_run(p)
    client = NotebookClient(
        nb,
        kernel_manager_class=kernel_manager_class(),  # the client owns the kernel and shuts it down
        timeout=math.ceil(timeout),
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(p.parent.resolve())}},
        record_timing=False,  # per-cell timestamps would change every stored notebook on each refresh
    )

    start = time.perf_counter()
    with run_environment(), client.setup_kernel():
        assert client.kc is not None  # set by setup_kernel
        info = client.wait_for_reply(client.kc.kernel_info())
        if info is not None:
            nb.metadata["language_info"] = info["content"]["language_info"]
        failure = _execute_cells(client, nb, p.name, allow_error)
    return NotebookRun(path=p, seconds=time.perf_counter() - start, failure=failure, notebook=nb)


def run_course(
    directory: str | os.PathLike[str],
    *,
    timeout: float = 600.0,
    stop_on_failure: bool = False,
    echo: Callable[[NotebookRun], None] | None = None,
    repeat: int = 1,
) -> list[NotebookRun]:
    """Execute every notebook of ``directory`` in course order, headless, without modifying them.

    One kernel at a time: each notebook's kernel is shut down before the next one starts. With
    ``repeat > 1`` the whole course runs ``repeat`` times, round after round (so a slow moment of
    the machine is spread over every notebook rather than landing on one), and each notebook's
    ``seconds`` is the median of its wall times, all of them kept in ``samples``.

    Parameters
    ----------
    directory : str or path-like
        Folder holding the ``*.ipynb`` files.
    timeout : float
        Seconds allowed per cell.
    stop_on_failure : bool
        Stop at the first failing notebook instead of running them all.
    echo : callable, optional
        Called with each single run as soon as it finishes (the CLI prints it).
    repeat : int
        Rounds over the course (>= 1).

    Returns
    -------
    list of NotebookRun
        One per notebook executed, in course order.

    Raises
    ------
    NotADirectoryError
        If ``directory`` is not a directory.
    ValueError
        If it holds no notebook, one of them is not a readable notebook, or ``repeat`` < 1.

    Used in: ``mixlab course run``.
    """
    from mixlab.validation import check_int

    rounds = check_int(repeat, "repeat", minimum=1)
    paths = list_notebooks(directory)
    if not paths:
        raise ValueError(f"notebooks directory must contain at least one .ipynb file (got none in {str(directory)!r})")
    done: dict[Path, list[NotebookRun]] = {}
    for _ in range(rounds):
        for p in paths:
            result = run_notebook(p, timeout=timeout)
            done.setdefault(p, []).append(result)
            if echo is not None:
                echo(result)
            if stop_on_failure and not result.ok:
                return [_median_run(r) for r in done.values()]
    return [_median_run(done[p]) for p in paths]


def _median_run(runs: Sequence[NotebookRun]) -> NotebookRun:
    """One notebook's runs as one: the median wall time, the first failure, every sample kept."""
    seconds = [r.seconds for r in runs]
    failure = next((r.failure for r in runs if r.failure is not None), None)
    return NotebookRun(path=runs[0].path, seconds=statistics.median(seconds), failure=failure,
                       notebook=runs[-1].notebook, samples=tuple(seconds) if len(runs) > 1 else ())


#: The name the one-cell floor notebook is reported under.
FLOOR_NAME = "one-cell notebook (the floor)"


def measure_floor(*, repeat: int = 1, timeout: float = 600.0) -> NotebookRun:
    """Wall time of a notebook with one trivial cell: what every notebook pays before it teaches anything.

    Starting a kernel, connecting to it and shutting it down is the part of a notebook's wall
    time that no lesson can remove; a runtime report prints it beside the lessons (issue 18:
    "the one-cell-notebook floor printed beside it").

    Parameters
    ----------
    repeat : int
        Runs (>= 1); the result's ``seconds`` is their median.
    timeout : float
        Seconds allowed for the cell.

    Returns
    -------
    NotebookRun
        Named :data:`FLOOR_NAME`.

    Used in: ``mixlab course run``.
    """
    import nbformat

    from mixlab.validation import check_int

    rounds = check_int(repeat, "repeat", minimum=1)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('print("floor")')]
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    with tempfile.TemporaryDirectory(prefix="mixlab-floor-") as tmp:
        path = Path(tmp) / "floor.ipynb"
        nbformat.write(nb, str(path))
        runs = [run_notebook(path, timeout=timeout) for _ in range(rounds)]
    floor = _median_run(runs)
    return NotebookRun(path=Path(FLOOR_NAME), seconds=floor.seconds, failure=floor.failure, samples=floor.samples)


def _file_mode(path: Path) -> int:
    """Permission bits for a rewritten file: the existing file's, else what ``open()`` would give."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    A reader sees the old file or the new one, never a half-written one; the file keeps its
    permission bits (a new file gets what ``open()`` would give it).

    Parameters
    ----------
    path : str or path-like
        The target file; its folder must exist.
    text : str
        UTF-8 text, written with ``\\n`` line ends.

    Raises
    ------
    OSError
        If the folder is not writable or the disk is full; no temporary file is left behind.

    Used in: :func:`refresh_notebook`; ``mixlab course run --report``.
    """
    target = Path(path)
    mode = _file_mode(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)  # mkstemp creates 0600; keep the mode a plain write would have
        os.replace(tmp, target)
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

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`run_notebook`.

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
    write_atomic(Path(path), nbformat.writes(nb) + "\n")
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
