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
Worker processes watch their parent (:func:`watch_parent`) and exit within a fraction of a
second when it dies, so a killed build leaves no worker behind.

Used in: A.1 (parallel build, identical bytes for any worker count).
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import chain, islice
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = [
    "Executor",
    "SerialExecutor",
    "InterruptingExecutor",
    "SimulatedCrash",
    "ProcessExecutor",
    "DaskExecutor",
    "make_executor",
    "watch_parent",
    "EXECUTORS",
    "MAX_WORKERS",
]

T = TypeVar("T")
R = TypeVar("R")

#: Names accepted by :func:`make_executor`.
EXECUTORS: tuple[str, ...] = ("serial", "process", "dask")
#: Most worker processes an executor starts (each holds a shard in memory; 64 is far past where a
#: laptop's cores stop helping, and well inside the memory of a 24 GiB machine).
MAX_WORKERS = 64


@runtime_checkable
class Executor(Protocol):
    """Anything that maps a pure, picklable function over a sequence of tasks.

    Used in: :func:`mixlab.build.build` (any object with ``map_unordered``).
    """

    name: str
    workers: int

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in completion order."""
        ...


class SerialExecutor:
    """Run tasks one after another in the calling process.

    Used in: :func:`make_executor` (``executor="serial"``).
    """

    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def map_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(task)`` for each task, in task order."""
        for task in tasks:
            yield fn(task)


class SimulatedCrash(RuntimeError):
    """Raised by :class:`InterruptingExecutor` in place of a real crash (a teaching and test aid).

    Used in: A.1 (interrupted build and resume).
    """


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


def watch_parent(parent: int, interval: float = 0.1) -> None:
    """Worker-process initializer: exit at once (``os._exit``) when the parent process ``parent`` is gone.

    A worker blocked on its task queue would otherwise outlive a killed build (SIGKILL leaves
    no chance to shut the pool down). A daemon thread polls ``os.getppid()``: when the parent
    dies the worker is re-parented and the thread ends the process within ``interval`` seconds.

    Parameters
    ----------
    parent : int
        The pid of the process that started the worker.
    interval : float
        Seconds between checks.

    Used in: the worker processes of :class:`ProcessExecutor` and :class:`DaskExecutor`.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(70)

    threading.Thread(target=watch, name="mixlab-parent-watch", daemon=True).start()


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, initializer=watch_parent, initargs=(os.getpid(),))


class ProcessExecutor:
    """Run tasks on a pool of worker processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    At most ``2 * workers`` tasks are in flight at a time, so tasks made lazily (a build's shard
    tasks) never all sit in memory; every worker exits when the calling process dies.

    Parameters
    ----------
    workers : int
        Number of worker processes (1 to :data:`MAX_WORKERS`).

    Used in: :func:`make_executor` (``executor="process"``).
    """

    name = "process"

    def __init__(self, workers: int) -> None:
        self.workers = _check_workers(workers)

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Submit tasks as workers free up and yield results as they finish.

        Raises
        ------
        concurrent.futures.process.BrokenProcessPool
            If a worker dies (e.g. killed); finished results were already yielded.
        """
        it = iter(tasks)
        first = list(islice(it, 1))
        if not first:
            return
        n = min(self.workers, len(tasks)) if isinstance(tasks, Sized) else self.workers
        pool = _pool(n)
        pending: set[Future[R]] = set()
        source = chain(first, it)
        try:
            while True:
                for task in islice(source, 2 * n - len(pending)):
                    pending.add(pool.submit(fn, task))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Run tasks with Dask's local scheduler (``dask.delayed``), no cluster needed.

    Results are yielded one by one as Dask finishes them (a scheduler callback), so a caller can
    record each at once; tasks go to Dask in waves of ``4 * workers`` (bounded memory). The
    ``processes`` scheduler runs on a process pool whose workers exit when the caller dies.

    Parameters
    ----------
    workers : int
        ``num_workers`` given to the scheduler (1 to :data:`MAX_WORKERS`).
    scheduler : {"processes", "threads"}
        Dask's multiprocessing or threaded scheduler.

    Raises
    ------
    ImportError
        If dask is not installed (install the ``dist`` extra: ``pip install "mixlab[dist]"``).

    Used in: :func:`make_executor` (``executor="dask"``).
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

    def map_unordered(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``fn(task)`` for every task as soon as Dask completes it (completion order)."""
        it = iter(tasks)
        pool = None
        try:
            while wave := list(islice(it, 4 * self.workers)):
                if pool is None and self.scheduler == "processes":
                    pool = _pool(self.workers)
                    pool.submit(int).result()  # start (fork) every worker now, from this thread
                yield from self._wave(fn, wave, pool)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _wave(self, fn: Callable[[T], R], wave: list[T], pool: ProcessPoolExecutor | None) -> Iterator[R]:
        import dask

        names = [f"mixlab-task-{uuid.uuid4().hex}" for _ in wave]
        wanted = set(names)
        results: queue.Queue[tuple[str, Any]] = queue.Queue()

        def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            if key in wanted:
                results.put(("result", result))

        def run() -> None:
            kwargs: dict[str, Any] = {"scheduler": self.scheduler, "num_workers": self.workers, "chunksize": 1,
                                      "callbacks": [(None, None, None, posttask, None)]}
            if pool is not None:
                kwargs["pool"] = pool
            try:
                dask.compute(*[dask.delayed(fn, pure=False)(t, dask_key_name=k) for t, k in zip(wave, names,
                                                                                             strict=True)], **kwargs)
                results.put(("done", None))
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
                results.put(("error", exc))

        thread = threading.Thread(target=run, name="mixlab-dask-wave", daemon=True)
        thread.start()
        try:
            while True:
                kind, item = results.get()
                if kind == "result":
                    yield item
                elif kind == "error":
                    raise item
                else:
                    return
        finally:
            thread.join()


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be an integer (got {workers!r} of type {type(workers).__name__})")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be an integer in [1, {MAX_WORKERS}] (got {workers!r})")
    return workers


def make_executor(executor: str | Executor, workers: int = 1) -> Executor:
    """An executor from its name (``"serial"``, ``"process"``, ``"dask"``) or an Executor instance.

    Parameters
    ----------
    executor : str or Executor
        The name, or an object with ``map_unordered`` (returned as is).
    workers : int
        Worker count for ``process`` and ``dask`` (1 to :data:`MAX_WORKERS`). ``"process"`` with one worker still
        uses a separate process (so a killed worker cannot take the caller down with it).

    Returns
    -------
    Executor

    Raises
    ------
    TypeError
        ``executor`` neither a name nor an Executor; ``workers`` not an integer.
    ValueError
        Unknown name, or ``workers`` outside ``[1, MAX_WORKERS]``.
    ImportError
        ``"dask"`` without dask installed.

    Used in: :func:`mixlab.build.build`.
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
