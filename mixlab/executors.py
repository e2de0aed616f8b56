"""Executors: one seam for running a pure function over independent tasks (serial, processes, Dask).

A data build splits its work into shard tasks whose output depends only on the task itself, so
*where* a task runs cannot change what it writes. An :class:`Executor` only decides how the
tasks are scheduled:

* :class:`SerialExecutor` — one after another in this process (debugging, notebooks);
* :class:`ProcessExecutor` — a :class:`concurrent.futures.ProcessPoolExecutor` with ``workers`` processes;
* :class:`DaskExecutor` — ``dask.delayed`` tasks computed by Dask's local ``processes`` (or
  ``threads``) scheduler, without starting a distributed cluster. Needs the optional ``dask``
  package (``pip install "mixlab[dist]"``).

Results are yielded as tasks finish (any order); each result must say which task it belongs to.

Used in: A.1 (parallel build, identical bytes for any worker count).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = [
    "Executor",
    "SerialExecutor",
    "InterruptingExecutor",
    "SimulatedCrash",
    "ProcessExecutor",
    "DaskExecutor",
    "make_executor",
    "EXECUTORS",
]

T = TypeVar("T")
R = TypeVar("R")

#: Names accepted by :func:`make_executor`.
EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")


@runtime_checkable
class Executor(Protocol):
    """Anything that maps a pure, picklable function over a sequence of tasks.

    Used in: A.1.
    """

    name: str
    workers: int

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in completion order."""
        ...


class SerialExecutor:
    """Run tasks one after another in the calling process.

    Used in: A.1.
    """

    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(task)`` for each task, in task order."""
        for task in tasks:
            yield fn(task)


class SimulatedCrash(RuntimeError):
    """Raised by :class:`InterruptingExecutor` in place of a real crash (a teaching and test aid)."""


class InterruptingExecutor:
    """A serial executor that stops with :class:`SimulatedCrash` before task ``after``.

    The tasks before it complete exactly as under :class:`SerialExecutor` (their shards are
    written and journaled), so resuming the build afterwards shows which shards are reused and
    which rebuilt — an in-process stand-in for a killed build. The fault-injection tests use a
    real SIGKILL instead.

    Parameters
    ----------
    after : int
        Number of tasks to complete before the simulated crash (>= 0).

    Used in: A.1 (interrupted build and resume).
    """

    name = "serial"

    def __init__(self, after: int) -> None:
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ValueError(f"after must be a non-negative integer (got {after!r})")
        self.after = after
        self.workers = 1

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(task)`` in task order, raising :class:`SimulatedCrash` before task ``after``."""
        for k, task in enumerate(tasks):
            if k == self.after:
                raise SimulatedCrash(f"simulated crash before task {k} of {len(tasks)}")
            yield fn(task)


class ProcessExecutor:
    """Run tasks on a pool of worker processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    Parameters
    ----------
    workers : int
        Number of worker processes (>= 1).

    Used in: A.1.
    """

    name = "process"

    def __init__(self, workers: int) -> None:
        self.workers = _check_workers(workers)

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Submit every task and yield results as workers finish them.

        Raises
        ------
        concurrent.futures.process.BrokenProcessPool
            If a worker dies (e.g. killed); finished results were already yielded.
        """
        if not tasks:
            return
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks))) as pool:
            futures = [pool.submit(fn, t) for t in tasks]
            for fut in as_completed(futures):
                yield fut.result()


class DaskExecutor:
    """Run tasks with Dask's local scheduler (``dask.delayed``), no cluster needed.

    Parameters
    ----------
    workers : int
        ``num_workers`` given to the scheduler (>= 1).
    scheduler : {"processes", "threads"}
        Dask's multiprocessing or threaded scheduler.

    Raises
    ------
    ImportError
        If dask is not installed (install the ``dist`` extra: ``pip install "mixlab[dist]"``).

    Used in: A.1.
    """

    name = "dask"

    def __init__(self, workers: int, scheduler: str = "processes") -> None:
        self.workers = _check_workers(workers)
        if scheduler not in ("processes", "threads"):
            raise ValueError(f"scheduler must be 'processes' or 'threads' (got {scheduler!r})")
        self.scheduler = scheduler
        try:
            import dask  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                'the "dask" executor needs the optional dask package: pip install "mixlab[dist]" '
                '(or pip install "dask>=2024.1")'
            ) from exc

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Compute every task with ``dask.compute`` and yield the results (all at once, in task order)."""
        if not tasks:
            return
        import dask

        delayed = [dask.delayed(fn, pure=True)(t) for t in tasks]
        results = dask.compute(*delayed, scheduler=self.scheduler, num_workers=self.workers)
        yield from results


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1 (got {workers!r})")
    return workers


def make_executor(executor: str | Executor, workers: int = 1) -> Executor:
    """An executor from its name (``"serial"``, ``"process"``, ``"dask"``) or an Executor instance.

    Parameters
    ----------
    executor : str or Executor
        The name, or an object with ``map_unordered`` (returned as is).
    workers : int
        Worker count for ``process`` and ``dask`` (>= 1). ``"process"`` with one worker still
        uses a separate process (so a killed worker cannot take the caller down with it).

    Returns
    -------
    Executor

    Raises
    ------
    ValueError
        Unknown name or bad ``workers``.
    ImportError
        ``"dask"`` without dask installed.

    Used in: A.1.
    """
    if not isinstance(executor, str):
        if isinstance(executor, Executor):
            return executor
        raise TypeError(f"executor must be one of {EXECUTORS} or an Executor (got {type(executor).__name__})")
    workers = _check_workers(workers)
    if executor == "serial":
        return SerialExecutor()
    if executor == "process":
        return ProcessExecutor(workers)
    if executor == "dask":
        return DaskExecutor(workers)
    raise ValueError(f"executor must be one of {', '.join(EXECUTORS)} (got {executor!r})")
