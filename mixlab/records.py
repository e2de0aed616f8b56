"""Training records on disk: the Arrow schema, the schema check and the deterministic Parquet encoders.

A *record* is one sampled copy of a document: its lineage (``record_id``, ``position``,
``source_domain``, ``source_doc_id``, ``copy_index``) and its tokens. Every shard of a build is
one Parquet file of records written with the fixed :data:`PARQUET_SETTINGS`, so equal records
always give equal bytes; :data:`RECORD_FORMAT_VERSION` names this whole format (schema,
settings and encoder) and is one ingredient of a build's key (a change means old shards may
no longer match a fresh build). The audit samples a build writes next to the shards use
:func:`audit_schema` and :func:`encode_audit`.

The writer (:mod:`mixlab.shards`) and the verifier (:mod:`mixlab.manifest`) both read their
definitions from here, so they cannot disagree.

Used in: A.1 (records, manifest, verify).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "RECORD_FORMAT_VERSION",
    "PARQUET_SETTINGS",
    "RECORD_COLUMNS",
    "SchemaError",
    "record_schema",
    "check_batch",
    "record_batch",
    "encode_table",
    "encode_shard",
    "audit_schema",
    "encode_audit",
    "writer_info",
]

#: Version of the record format: schema, Parquet settings and encoder. Bump it whenever the same
#: records would be encoded to other bytes (it keys resumed builds, see :mod:`mixlab.journal`).
RECORD_FORMAT_VERSION = 1

#: Fixed Parquet writer settings (part of the byte-identity promise; recorded in the manifest).
PARQUET_SETTINGS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "row_group_size": 1024,
    "use_dictionary": ["source_domain"],
    "write_statistics": False,
    "data_page_size": 1 << 20,
    "version": "2.6",
}

#: Column names of a record, in schema order.
RECORD_COLUMNS: tuple[str, ...] = ("record_id", "position", "source_domain", "source_doc_id", "copy_index",
                                   "n_tokens", "tokens")

_AUDIT_TEXT = ("doc_id", "domain", "decision", "reason")


class SchemaError(ValueError):
    """A record batch does not match the declared Arrow schema (names the field).

    Used in: :func:`check_batch`, :func:`mixlab.shards.write_shard`, :func:`mixlab.manifest.verify`.
    """


def record_schema() -> pa.Schema:
    """The Arrow schema of a training record (one row per sampled copy of a document).

    Fields: ``record_id`` (``"<doc_id>#<copy_index>"``, unique), ``position`` (int64, place in
    the blended order, 0-based, global over shards), ``source_domain``, ``source_doc_id``,
    ``copy_index`` (int32; 0 the first time a document is used, 1, 2, ... when repeated across
    epochs), ``n_tokens`` (int32) and ``tokens`` (list<int32>).

    Returns
    -------
    pyarrow.Schema

    Used in: :mod:`mixlab.shards`, :mod:`mixlab.manifest_checks`, :func:`mixlab.manifest.read_records`.
    """
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("record_id", pa.string(), nullable=False),
            pa.field("position", pa.int64(), nullable=False),
            pa.field("source_domain", pa.string(), nullable=False),
            pa.field("source_doc_id", pa.string(), nullable=False),
            pa.field("copy_index", pa.int32(), nullable=False),
            pa.field("n_tokens", pa.int32(), nullable=False),
            pa.field("tokens", pa.list_(pa.int32()), nullable=False),
        ]
    )


def check_batch(batch: pa.RecordBatch | pa.Table, schema: pa.Schema, *, where: str = "record batch") -> None:
    """Check a record batch against the declared schema; raise naming each offending field.

    Parameters
    ----------
    batch : pyarrow.RecordBatch or pyarrow.Table
        The records to check.
    schema : pyarrow.Schema
        The declared schema (field names, order, types).
    where : str
        Prefix for the message (e.g. the shard path).

    Raises
    ------
    SchemaError
        Listing unexpected fields, missing fields, fields with another type, and a different
        field order.

    Used in: :func:`mixlab.shards.write_shard`, :func:`mixlab.manifest.verify`.
    """
    got = {f.name: f.type for f in batch.schema}
    want = {f.name: f.type for f in schema}
    problems = []
    extra = [n for n in got if n not in want]
    missing = [n for n in want if n not in got]
    if extra:
        problems.append(f"unexpected field(s) {', '.join(map(repr, extra))}")
    if missing:
        problems.append(f"missing field(s) {', '.join(map(repr, missing))}")
    for name in want:
        if name in got and not got[name].equals(want[name]):
            problems.append(f"field {name!r} has type {got[name]} (declared {want[name]})")
    if not problems and list(got) != list(want):
        problems.append(f"fields are in order {list(got)} (declared {list(want)})")
    if problems:
        raise SchemaError(f"{where} does not match the record schema: " + "; ".join(problems))


def record_batch(position0: int, doc_ids: np.ndarray, domains: np.ndarray, copy_index: np.ndarray,
                 offsets: np.ndarray, tokens: np.ndarray) -> pa.RecordBatch:
    """Records as one Arrow batch in :func:`record_schema`, built without a Python loop over records.

    Parameters
    ----------
    position0 : int
        Global position of the first record in the blended order.
    doc_ids, domains : numpy.ndarray
        Source document id and domain of every record (str or object arrays).
    copy_index : numpy.ndarray
        Copy number of every record (0 for a document's first use).
    offsets : numpy.ndarray
        ``len(records) + 1`` offsets into ``tokens``; record j is ``tokens[offsets[j]:offsets[j+1]]``.
    tokens : numpy.ndarray
        The records' tokens back to back (int32).

    Returns
    -------
    pyarrow.RecordBatch
        ``record_id`` is ``"<doc_id>#<copy_index>"``.

    Raises
    ------
    ValueError
        If the arrays disagree in length, ``offsets`` does not end at ``len(tokens)``, or a record
        would hold 2**31 tokens or more (the int32 list offsets of the schema).

    Used in: :func:`mixlab.shards.write_shard`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(doc_ids)
    if not (len(domains) == len(copy_index) == n and len(offsets) == n + 1):
        raise ValueError(f"record arrays must have one entry per record (got doc_ids {n}, domains {len(domains)}, "
                         f"copy_index {len(copy_index)}, offsets {len(offsets)} for {n} + 1)")
    if int(offsets[-1]) != len(tokens) or len(tokens) >= 2**31:
        raise ValueError(f"offsets must end at len(tokens) < 2**31 (got {int(offsets[-1])} for {len(tokens)} tokens)")
    doc = pa.array(doc_ids, type=pa.string())
    copies = pa.array(np.asarray(copy_index, dtype=np.int32), type=pa.int32())
    ids = pc.binary_join_element_wise(doc, pc.cast(copies, pa.string()), "#")
    lists = pa.ListArray.from_arrays(pa.array(np.asarray(offsets, dtype=np.int32)),
                                     pa.array(np.asarray(tokens, dtype=np.int32), type=pa.int32()))
    arrays = [
        ids,
        pa.array(np.arange(position0, position0 + n, dtype=np.int64), type=pa.int64()),
        pa.array(domains, type=pa.string()),
        doc,
        copies,
        pa.array(np.diff(offsets).astype(np.int32), type=pa.int32()),
        lists,
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=record_schema())


def encode_table(table: pa.Table, *, metadata: Mapping[str, str] | None = None) -> pa.Buffer:
    """Encode a table as Parquet with the fixed :data:`PARQUET_SETTINGS`; return the buffer (no copy).

    Parameters
    ----------
    table : pyarrow.Table
        The records (checked by the caller).
    metadata : mapping of str to str, optional
        Key/value metadata stored in the file schema, sorted by key (must itself be deterministic).

    Returns
    -------
    pyarrow.Buffer
        The file's bytes; it supports the buffer protocol (hash it or write it without copying).

    Used in: :func:`encode_shard`, :func:`mixlab.shards.write_shard`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if metadata:
        table = table.replace_schema_metadata({str(k): str(v) for k, v in sorted(metadata.items())})
    sink = pa.BufferOutputStream()
    s = PARQUET_SETTINGS
    pq.write_table(
        table,
        sink,
        row_group_size=s["row_group_size"],
        compression=s["compression"],
        compression_level=s["compression_level"],
        use_dictionary=s["use_dictionary"],
        write_statistics=s["write_statistics"],
        data_page_size=s["data_page_size"],
        version=s["version"],
    )
    return sink.getvalue()


def encode_shard(batches: Iterable[pa.RecordBatch], *, schema: pa.Schema | None = None,
                 metadata: Mapping[str, str] | None = None) -> bytes:
    """Encode record batches as Parquet bytes with the fixed :data:`PARQUET_SETTINGS`.

    Every batch is checked with :func:`check_batch` before anything is encoded; the output
    depends only on the records (no timestamps, no host names), so equal records give equal bytes.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        The records.
    schema : pyarrow.Schema, optional
        Declared schema (default :func:`record_schema`).
    metadata : mapping of str to str, optional
        Extra key/value metadata stored in the file schema (must itself be deterministic).

    Returns
    -------
    bytes

    Raises
    ------
    SchemaError
        If a batch has a new or missing field or a wrong type (the message names it).

    Used in: the schema tests (a record batch checked and encoded in one call).
    """
    import pyarrow as pa

    schema = schema if schema is not None else record_schema()
    batches = list(batches)
    for i, b in enumerate(batches):
        check_batch(b, schema, where=f"record batch {i}")
    return encode_table(pa.Table.from_batches(batches, schema=schema), metadata=metadata).to_pybytes()


def audit_schema() -> pa.Schema:
    """The Arrow schema of an audit-sample file (``audit/<stage>.parquet``).

    Returns
    -------
    pyarrow.Schema
        ``doc_id``, ``domain``, ``decision``, ``reason`` (str), ``score``, ``distance`` (float64),
        ``n_tokens`` (int64), ``preview`` (str); every field nullable.

    Used in: :func:`encode_audit` (the audit files of :func:`mixlab.build.build`).
    """
    import pyarrow as pa

    return pa.schema([("doc_id", pa.string()), ("domain", pa.string()), ("decision", pa.string()),
                      ("reason", pa.string()), ("score", pa.float64()), ("distance", pa.float64()),
                      ("n_tokens", pa.int64()), ("preview", pa.string())])


def encode_audit(df: pd.DataFrame, *, metadata: Mapping[str, str] | None = None) -> bytes:
    """Encode an audit-sample table (:func:`mixlab.ledger.audit_sample`) as deterministic Parquet bytes.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns of :func:`audit_schema` (missing ones are written as nulls, NaN as null).
    metadata : mapping of str to str, optional
        Key/value metadata stored in the file schema (the build stores its recipe hash and the stage).

    Returns
    -------
    bytes

    Used in: :func:`mixlab.build.build` (one audit sample per filter stage).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def col(name: str) -> list[Any]:
        if name not in df.columns:
            return [None] * len(df)
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in df[name].tolist()]

    def text(name: str) -> Any:
        return pa.array([None if v is None else str(v) for v in col(name)], type=pa.string())

    arrays = [text(n) for n in _AUDIT_TEXT]
    arrays += [pa.array(col("score"), type=pa.float64()), pa.array(col("distance"), type=pa.float64()),
               pa.array(col("n_tokens"), type=pa.int64()), text("preview")]
    table = pa.Table.from_arrays(arrays, schema=audit_schema())
    if metadata:
        table = table.replace_schema_metadata({str(k): str(v) for k, v in sorted(metadata.items())})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", compression_level=3, write_statistics=False, version="2.6")
    return sink.getvalue().to_pybytes()


def writer_info() -> dict[str, Any]:
    """The Parquet writer that encodes records: library, version and settings (stored in the manifest).

    Returns
    -------
    dict
        ``{"library": "pyarrow", "version": ..., "parquet": PARQUET_SETTINGS}``. The version is an
        ingredient of a build's key: Parquet files record the writer's version in their footer.

    Used in: :func:`mixlab.build.build` (the manifest's ``writer`` field).
    """
    import pyarrow as pa

    return {"library": "pyarrow", "version": pa.__version__, "parquet": dict(PARQUET_SETTINGS)}
