"""The shard writer: one pure task in, one Parquet file and its manifest entry out.

A :class:`ShardTask` carries everything one shard needs (its records' lineage and tokens and
its destination), so :func:`write_shard` depends on nothing else: any executor and any worker
count write the same bytes. The file is written atomically (temporary name, then rename) but
not fsynced: the build makes every shard durable with one flush before it writes the manifest
(see :mod:`mixlab.build` for what each flush buys).

Used in: A.1 (parallel build, identical bytes for any worker count).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mixlab.manifest import atomic_write_bytes
from mixlab.records import check_batch, encode_table, record_batch, record_schema

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["PAUSE_ENV", "ShardTask", "shard_batch", "write_shard"]

#: Test hook: ``"<shard>:<seconds>:<pidfile>"`` makes the process writing that shard write its pid
#: to ``pidfile`` and sleep after half of its temporary file is on disk (fault-injection tests only).
PAUSE_ENV = "MIXLAB_BUILD_TEST_PAUSE"


@dataclass(frozen=True)
class ShardTask:
    """Everything needed to write one shard: a pure input, so the output bytes depend on nothing else.

    Attributes
    ----------
    index : int
        Shard number.
    path : str
        Destination path.
    position0 : int
        Global position of the shard's first record in the blended order.
    doc_ids, domains : numpy.ndarray
        Object arrays (source document id and domain of every record).
    copy_index : numpy.ndarray
        int32.
    offsets : numpy.ndarray
        int64, ``len(records) + 1``; record j's tokens are ``tokens[offsets[j]:offsets[j+1]]``.
    tokens : numpy.ndarray
        int32, the shard's tokens back to back.
    metadata : dict of str to str
        Stored in the Parquet schema metadata (recipe hash, shard index).

    Used in: :meth:`mixlab.plan.BuildPlan.task`, :func:`write_shard`.
    """

    index: int
    path: str
    position0: int
    doc_ids: np.ndarray
    domains: np.ndarray
    copy_index: np.ndarray
    offsets: np.ndarray
    tokens: np.ndarray
    metadata: dict[str, str]

    @property
    def rows(self) -> int:
        """Records in the shard."""
        return len(self.doc_ids)

    @property
    def n_tokens(self) -> int:
        """Tokens in the shard."""
        return int(self.offsets[-1])

    def record_ids(self) -> np.ndarray:
        """``"<doc_id>#<copy_index>"`` per record (object array)."""
        return np.array([f"{d}#{c}" for d, c in zip(self.doc_ids.tolist(), self.copy_index.tolist(), strict=True)],
                        dtype=object)


def _pause_hook(index: int) -> Callable[[Path], None] | None:
    """The fault-injection hook for shard ``index`` from :data:`PAUSE_ENV` (None when unset)."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return None
    shard, seconds, pidfile = spec.split(":", 2)
    if int(shard) != index:
        return None

    def hook(tmp: Path) -> None:
        Path(pidfile).write_text(f"{os.getpid()} {tmp}\n")
        time.sleep(float(seconds))

    return hook


def shard_batch(task: ShardTask) -> pa.RecordBatch:
    """The shard's records as one Arrow record batch in the declared schema (see :func:`record_schema`).

    Parameters
    ----------
    task : ShardTask

    Returns
    -------
    pyarrow.RecordBatch

    Used in: :func:`write_shard`; benchmarks/bench_build.py (the peer's tables).
    """
    return record_batch(task.position0, task.doc_ids, task.domains, task.copy_index, task.offsets, task.tokens)


def write_shard(task: ShardTask) -> dict[str, Any]:
    """Write one shard atomically and return its manifest entry (a pure function of ``task``).

    Parameters
    ----------
    task : ShardTask

    Returns
    -------
    dict
        ``index``, ``rows``, ``tokens``, ``bytes``, ``sha256``, ``first_record_id``, ``last_record_id``.

    Raises
    ------
    SchemaError
        If the record batch does not match the declared schema (nothing is written).
    OSError
        If the file cannot be written (e.g. the disk is full); the message names it and no
        temporary file is left.

    Used in: :func:`mixlab.build.build` (run by its executor).
    """
    import pyarrow as pa

    batch = shard_batch(task)
    check_batch(batch, record_schema(), where=f"record batch of shard {task.index}")
    data = memoryview(encode_table(pa.Table.from_batches([batch]), metadata=task.metadata))
    atomic_write_bytes(task.path, data, sync="none", pause_hook=_pause_hook(task.index))
    ids = batch.column(0)
    return {
        "index": task.index,
        "rows": task.rows,
        "tokens": task.n_tokens,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "first_record_id": ids[0].as_py() if len(ids) else None,
        "last_record_id": ids[-1].as_py() if len(ids) else None,
    }
