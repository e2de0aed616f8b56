"""Manifests: what a data build wrote, with hashes and counts, and a verifier that recomputes them.

A folder of Parquet shards is not yet a reproducible dataset; the ``manifest.json`` next to it
makes it one. It holds the recipe and its hash, the per-source accounting (available,
requested, selected, achieved share), the filter ledger, every shard's path, rows, tokens,
bytes, sha256 and first/last record id, the audit samples, and the manifest's own hash.
:func:`verify` recomputes all of it from the files and lists *every* violation it finds.

Hashes: ``sha256`` of a file's bytes; a JSON object's hash is the sha256 of its canonical
form (:func:`canonical_json`: sorted keys, no whitespace, UTF-8, no NaN).

This module also owns the record schema (:func:`record_schema`), the schema check every
record batch passes (:func:`check_batch`) and the deterministic Parquet encoder
(:func:`encode_shard`), so the writer and the verifier agree on one definition.

Used in: A.1 (manifest, verify, resume).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "SUPPORTED_MANIFEST_VERSIONS",
    "PARQUET_SETTINGS",
    "SchemaError",
    "canonical_json",
    "json_sha256",
    "file_sha256",
    "tree_digests",
    "atomic_write_bytes",
    "record_schema",
    "check_batch",
    "encode_shard",
    "manifest_hash",
    "read_manifest",
    "write_manifest",
    "VerifyReport",
    "verify",
    "read_records",
]

#: Format tag and version of the manifest written by this module.
MANIFEST_FORMAT = "mixlab.manifest"
MANIFEST_VERSION = 1
SUPPORTED_MANIFEST_VERSIONS: tuple[int, ...] = (1,)
MANIFEST_NAME = "manifest.json"
#: Folder where a build journals finished shards until its manifest is written (removed on success).
JOURNAL_DIR = ".mixlab-build"

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

#: Marker in temporary file names (``.<name>.<pid>.<random>.tmp``); see :func:`atomic_write_bytes`.
TMP_SUFFIX = ".tmp"


class SchemaError(ValueError):
    """A record batch does not match the declared Arrow schema (names the field).

    Used in: A.1.
    """


# --------------------------------------------------------------------------- hashing and atomic files
def canonical_json(obj: Any) -> str:
    """The canonical JSON text of ``obj``: sorted keys, compact separators, no NaN or infinity.

    Raises
    ------
    ValueError
        If ``obj`` holds NaN or infinity (JSON has no such numbers; a hash over them is ambiguous).
    TypeError
        If ``obj`` holds something JSON cannot represent.

    Used in: A.1 (recipe hash, manifest hash).
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_sha256(obj: Any) -> str:
    """Hex sha256 of :func:`canonical_json` of ``obj`` (UTF-8). Used in: A.1."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks. Used in: A.1 (verify, resume)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def tree_digests(folder: str | os.PathLike[str]) -> dict[str, str]:
    """sha256 of every file under ``folder``, keyed by its relative POSIX path, in sorted order.

    Two builds are byte-identical exactly when their digests are equal (hidden files included).

    Raises
    ------
    NotADirectoryError
        If ``folder`` is not a folder.

    Used in: A.1 (resume and repair give the same bytes), the build tests.
    """
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"folder must be an existing folder (got {str(root)!r})")
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def tmp_path_for(path: Path) -> Path:
    """A unique temporary name next to ``path`` (same folder, so ``os.replace`` is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, pause_hook: Any = None) -> Path:
    """Write ``data`` to ``path`` atomically: temporary name in the same folder, fsync, ``os.replace``.

    A reader sees either the old file or the complete new one, never a partial file; a crash
    leaves at most a ``.<name>.<pid>.<random>.tmp`` file, which the next build removes.

    Parameters
    ----------
    path : path-like
        Final location (its folder must exist).
    data : bytes
        The complete content.
    pause_hook : callable, optional
        Called as ``pause_hook(tmp_path)`` after the first half of ``data`` is written and
        flushed (tests use it to kill a writer mid-file).

    Returns
    -------
    pathlib.Path
        ``path``.

    Used in: A.1.
    """
    path = Path(path)
    tmp = tmp_path_for(path)
    try:
        with open(tmp, "wb") as fh:
            half = len(data) // 2
            fh.write(data[:half])
            if pause_hook is not None:
                fh.flush()
                os.fsync(fh.fileno())
                pause_hook(tmp)
            fh.write(data[half:])
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


# --------------------------------------------------------------------------- record schema
def record_schema() -> pa.Schema:
    """The Arrow schema of a training record (one row per sampled copy of a document).

    Fields: ``record_id`` (``"<doc_id>#<copy_index>"``, unique), ``position`` (int64, place in
    the blended order, 0-based, global over shards), ``source_domain``, ``source_doc_id``,
    ``copy_index`` (int32; 0 the first time a document is used, 1, 2, ... when repeated across
    epochs), ``n_tokens`` (int32) and ``tokens`` (list<int32>).

    Used in: A.1.
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
    schema : pyarrow.Schema
        The declared schema (field names, order, types).
    where : str
        Prefix for the message (e.g. the shard path).

    Raises
    ------
    SchemaError
        Listing unexpected fields, missing fields, fields with another type, and a different
        field order.

    Used in: A.1.
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


def encode_shard(batches: Iterable[pa.RecordBatch], *, schema: pa.Schema | None = None,
                 metadata: Mapping[str, str] | None = None) -> bytes:
    """Encode record batches as Parquet bytes with the fixed :data:`PARQUET_SETTINGS`.

    Every batch is checked with :func:`check_batch` before anything is encoded; the output
    depends only on the records (no timestamps, no host names), so equal records give equal bytes.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
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

    Used in: A.1.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = schema if schema is not None else record_schema()
    batches = list(batches)
    for i, b in enumerate(batches):
        check_batch(b, schema, where=f"record batch {i}")
    table = pa.Table.from_batches(batches, schema=schema)
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
    return bytes(sink.getvalue().to_pybytes())


# --------------------------------------------------------------------------- manifest IO
def manifest_hash(manifest: Mapping[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON without its ``manifest_sha256`` field. Used in: A.1."""
    return json_sha256({k: v for k, v in manifest.items() if k != "manifest_sha256"})


def write_manifest(out_dir: str | os.PathLike[str], manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Add ``manifest_sha256`` and write ``manifest.json`` atomically (sorted keys, indented).

    Returns
    -------
    dict
        The manifest as written (with its hash).

    Used in: A.1.
    """
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    body["manifest_sha256"] = manifest_hash(body)
    text = json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_bytes(Path(out_dir) / MANIFEST_NAME, text.encode("utf-8"))
    return body


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``OUT/manifest.json`` (no checks beyond being a JSON object with the format tag).

    Raises
    ------
    FileNotFoundError
        If there is no manifest.
    ValueError
        If it is not valid JSON or not a mixlab manifest.

    Used in: A.1.
    """
    path = Path(out_dir) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path} is not a mixlab manifest (format tag {MANIFEST_FORMAT!r} missing)")
    return data


def read_records(out_dir: str | os.PathLike[str], columns: list[str] | None = None) -> Any:
    """Read a build's records, shard after shard in manifest order, as one pandas DataFrame.

    Parameters
    ----------
    out_dir : path-like
        A build folder.
    columns : list of str, optional
        Record columns to read (default: all, tokens included).

    Returns
    -------
    pandas.DataFrame
        One row per record, in blended order (``position`` 0, 1, ...).

    Raises
    ------
    FileNotFoundError, ValueError
        No manifest, or not a mixlab manifest. Run :func:`verify` first to trust the content.

    Used in: A.1 (query lineage: which document and copy a training record came from).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(out_dir)
    m = read_manifest(root)
    tables = [pq.read_table(root / e["path"], columns=columns) for e in m.get("shards", [])]
    if not tables:
        return record_schema().empty_table().to_pandas()
    return pa.concat_tables(tables).to_pandas()


# --------------------------------------------------------------------------- verify
@dataclass
class VerifyReport:
    """Outcome of :func:`verify`: every violation found (empty when the build is sound).

    Attributes
    ----------
    out_dir : pathlib.Path
    violations : list of str
        One sentence per violation, naming the file or field and the two values that disagree.
    checked : dict of str to int
        What was checked (shards, records, tokens, audit files).

    Used in: A.1.
    """

    out_dir: Path
    violations: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no violation was found."""
        return not self.violations

    def add(self, message: str) -> None:
        """Record one violation."""
        self.violations.append(message)

    def __str__(self) -> str:
        what = ", ".join(f"{v:,} {k}" for k, v in self.checked.items())
        checked = f" ({what})" if what else ""
        if self.ok:
            return f"verify {self.out_dir}: OK{checked}"
        lines = [f"verify {self.out_dir}: {len(self.violations)} violation(s){checked}"]
        lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)

    __repr__ = __str__


def _close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _check_file(report: VerifyReport, root: Path, entry: Mapping[str, Any], what: str) -> bool:
    """Existence, size and sha256 of a listed file; True when all match."""
    rel = entry.get("path")
    if not isinstance(rel, str):
        report.add(f"{what} entry has no path: {dict(entry)}")
        return False
    p = root / rel
    if not p.is_file():
        report.add(f"{what} {rel}: listed in the manifest but missing")
        return False
    ok = True
    size = p.stat().st_size
    if size != entry.get("bytes"):
        report.add(f"{what} {rel}: size is {size:,} bytes, manifest says {entry.get('bytes')}")
        ok = False
    digest = file_sha256(p)
    if digest != entry.get("sha256"):
        report.add(f"{what} {rel}: sha256 is {digest}, manifest says {entry.get('sha256')}")
        ok = False
    return ok


def _verify_ledger(report: VerifyReport, m: Mapping[str, Any]) -> None:
    from mixlab.ledger import StageRow

    rows = m.get("ledger") or []
    prev: Mapping[str, Any] | None = None
    for raw in rows:
        if not isinstance(raw, Mapping):
            report.add(f"ledger row is not an object: {raw!r}")
            prev = None
            continue
        try:
            StageRow.from_dict(raw)  # conservation, counts, reasons
        except (ValueError, TypeError) as exc:
            report.add(f"ledger stage {raw.get('stage')!r}: {exc}")
        if prev is not None and (raw.get("docs_in"), raw.get("tokens_in")) != (prev.get("docs_out"),
                                                                                 prev.get("tokens_out")):
            report.add(
                f"ledger chain broken: stage {raw.get('stage')!r} starts with {raw.get('docs_in')} docs / "
                f"{raw.get('tokens_in')} tokens but stage {prev.get('stage')!r} ended with {prev.get('docs_out')} "
                f"docs / {prev.get('tokens_out')} tokens"
            )
        prev = raw
    sources = m.get("sources") or {}
    avail_docs = sum(int(s.get("available_docs", 0)) for s in sources.values())
    avail_tok = sum(int(s.get("available_tokens", 0)) for s in sources.values())
    world = m.get("world") or {}
    world_in = (world.get("train_docs"), world.get("train_tokens"))
    first_in = (rows[0].get("docs_in"), rows[0].get("tokens_in")) if rows else world_in
    last_out = (rows[-1].get("docs_out"), rows[-1].get("tokens_out")) if rows else first_in
    if world_in != tuple(first_in):
        report.add(f"ledger starts with {first_in} docs/tokens but the world has {world_in}")
    if (avail_docs, avail_tok) != tuple(last_out):
        report.add(f"sources' available docs/tokens sum to {(avail_docs, avail_tok)} but the ledger's last stage "
                   f"kept {tuple(last_out)}")


def verify(out_dir: str | os.PathLike[str]) -> VerifyReport:
    """Recompute every hash and count of a build and check every invariant; collect all violations.

    Checks: the manifest parses, has a supported version and its own hash matches; the recipe
    hash matches the recipe; target weights lie on the simplex; every ledger stage conserves
    documents and tokens and the stages chain; every listed file exists with the listed size and
    sha256; every shard has the declared schema and its rows, tokens and first/last record id
    match; shard totals equal the manifest totals and the per-source counts; record ids are
    unique and positions run 0..N-1 in shard order; ``n_tokens`` equals the token list length;
    achieved shares lie within the stated bound; copies respect the epoch cap; no file in the
    folder is unlisted and no temporary file is left.

    Parameters
    ----------
    out_dir : path-like
        A build folder (holding ``manifest.json``).

    Returns
    -------
    VerifyReport
        ``report.ok`` is True when nothing is wrong; ``report.violations`` lists every problem.

    Used in: A.1.
    """
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    root = Path(out_dir)
    report = VerifyReport(root)
    if not root.is_dir():
        report.add(f"{root} is not a folder")
        return report
    journal = root / JOURNAL_DIR
    if not (root / MANIFEST_NAME).exists() and journal.is_dir():
        done = sum(1 for _ in journal.glob("shard-*.json"))
        report.add(
            f"unfinished build: no {MANIFEST_NAME}; {done} finished shard(s) journaled in {JOURNAL_DIR}/ "
            "(run the same build again to resume it)"
        )
        return report
    try:
        m = read_manifest(root)
    except (FileNotFoundError, ValueError) as exc:
        report.add(f"manifest: {exc}")
        return report

    # ---- the manifest itself
    if m.get("manifest_version") not in SUPPORTED_MANIFEST_VERSIONS:
        report.add(f"manifest_version is {m.get('manifest_version')!r}; this mixlab reads "
                   f"{SUPPORTED_MANIFEST_VERSIONS}")
    if manifest_hash(m) != m.get("manifest_sha256"):
        report.add(f"manifest.json: content hash is {manifest_hash(m)}, manifest_sha256 says "
                   f"{m.get('manifest_sha256')}")
    recipe = m.get("recipe")
    if json_sha256(recipe) != m.get("recipe_sha256"):
        report.add(f"recipe hash is {json_sha256(recipe)}, manifest says recipe_sha256 {m.get('recipe_sha256')}")

    sources: dict[str, Any] = m.get("sources") or {}
    mixture = m.get("mixture")
    weights: dict[str, float] = {}
    if mixture is not None:
        weights = {str(k): float(v) for k, v in (mixture.get("weights") or {}).items()}
        bad = {k: v for k, v in weights.items() if not (math.isfinite(v) and v >= 0)}
        if bad:
            report.add(f"mixture weights must be finite and >= 0 (got {bad})")
        total = sum(weights.values())
        if not abs(total - 1.0) <= 1e-9:
            report.add(f"mixture weights must sum to 1 within 1e-09 (got {total:.12g})")
        if set(weights) != set(sources):
            report.add(f"mixture domains {sorted(weights)} differ from the manifest's sources {sorted(sources)}")
    _verify_ledger(report, m)

    # ---- listed files, then unlisted ones
    shards = m.get("shards") or []
    audits = m.get("audit") or []
    listed = {MANIFEST_NAME}
    for e in [*shards, *audits]:
        if isinstance(e.get("path"), str):
            listed.add(e["path"])
    for p in sorted(root.rglob("*")):
        if p.is_file():
            rel = p.relative_to(root).as_posix()
            if p.name.endswith(TMP_SUFFIX):
                report.add(f"temporary file left behind: {rel}")
            elif rel not in listed:
                report.add(f"unlisted file: {rel} (not in the manifest)")
    for a in audits:
        _check_file(report, root, a, "audit file")

    # ---- shards: bytes, schema, per-shard counts, then gather lineage columns
    schema = record_schema()
    cols: dict[str, list[Any]] = {k: [] for k in ("record_id", "position", "source_domain", "source_doc_id",
                                                     "copy_index", "n_tokens")}
    all_read = True
    n_rows_total = n_tok_total = 0
    for i, e in enumerate(shards):
        rel = e.get("path", f"<shard {i}>")
        if e.get("index") != i:
            report.add(f"shard {rel}: index is {e.get('index')!r}, expected {i} (shards must be listed in order)")
        _check_file(report, root, e, "shard")
        p = root / rel
        if not p.is_file():
            all_read = False
            continue
        try:
            table = pq.read_table(p)
        except Exception as exc:  # noqa: BLE001 - any reader error means the file is unusable
            report.add(f"shard {rel}: cannot be read as Parquet ({type(exc).__name__}: {exc})")
            all_read = False
            continue
        try:
            check_batch(table, schema, where=f"shard {rel}")
        except SchemaError as exc:
            report.add(str(exc))
            all_read = False
            continue
        rows = table.num_rows
        lengths = pc.list_value_length(table["tokens"]).to_numpy(zero_copy_only=False).astype(np.int64)
        ntok = table["n_tokens"].to_numpy().astype(np.int64)
        if not np.array_equal(lengths, ntok):
            bad_ids = np.asarray(table["record_id"].to_pylist(), dtype=object)[lengths != ntok][:5].tolist()
            report.add(f"shard {rel}: n_tokens differs from the token list length for records {bad_ids}")
        tokens = int(lengths.sum())
        if rows != e.get("rows"):
            report.add(f"shard {rel}: has {rows:,} rows, manifest says {e.get('rows')}")
        if tokens != e.get("tokens"):
            report.add(f"shard {rel}: has {tokens:,} tokens, manifest says {e.get('tokens')}")
        ids = table["record_id"].to_pylist()
        first, last = (ids[0], ids[-1]) if ids else (None, None)
        if (first, last) != (e.get("first_record_id"), e.get("last_record_id")):
            report.add(f"shard {rel}: first/last record id are {first!r}/{last!r}, manifest says "
                       f"{e.get('first_record_id')!r}/{e.get('last_record_id')!r}")
        n_rows_total += rows
        n_tok_total += tokens
        for k in cols:
            cols[k].extend(table[k].to_pylist())
    report.checked["shards"] = len(shards)
    report.checked["audit files"] = len(audits)

    totals = m.get("totals") or {}
    if sum(int(e.get("rows", 0)) for e in shards) != totals.get("records"):
        report.add(f"shard rows in the manifest sum to {sum(int(e.get('rows', 0)) for e in shards):,}, "
                   f"totals.records says {totals.get('records')}")
    if sum(int(e.get("tokens", 0)) for e in shards) != totals.get("tokens"):
        report.add(f"shard tokens in the manifest sum to {sum(int(e.get('tokens', 0)) for e in shards):,}, "
                   f"totals.tokens says {totals.get('tokens')}")
    if len(shards) != totals.get("shards"):
        report.add(f"{len(shards)} shards listed, totals.shards says {totals.get('shards')}")
    if not all_read:
        report.add("record-level checks skipped: some shards are missing or unreadable")
        return report

    # ---- record-level invariants over all shards
    report.checked["records"] = n_rows_total
    report.checked["tokens"] = n_tok_total
    if n_rows_total != totals.get("records") or n_tok_total != totals.get("tokens"):
        report.add(f"shards hold {n_rows_total:,} records / {n_tok_total:,} tokens, totals say "
                   f"{totals.get('records')} / {totals.get('tokens')}")
    ids_arr = np.asarray(cols["record_id"], dtype=object)
    uniq, counts = np.unique(ids_arr.astype(str), return_counts=True) if len(ids_arr) else (np.array([]), np.array([]))
    if (counts > 1).any():
        report.add(f"record ids are not unique: {uniq[counts > 1][:5].tolist()} appear more than once")
    pos = np.asarray(cols["position"], dtype=np.int64)
    if not np.array_equal(pos, np.arange(len(pos))):
        report.add("record positions do not run 0..N-1 in shard order (the blended order is broken)")
    doc = np.asarray(cols["source_doc_id"], dtype=object)
    copy = np.asarray(cols["copy_index"], dtype=np.int64)
    expect_ids = np.array([f"{d}#{c}" for d, c in zip(doc.tolist(), copy.tolist(), strict=True)], dtype=object)
    if len(ids_arr) and not (expect_ids == ids_arr).all():
        report.add(f"record ids do not equal '<source_doc_id>#<copy_index>' for {int((expect_ids != ids_arr).sum())} "
                   "records")
    dom = np.asarray(cols["source_domain"], dtype=object)
    ntok = np.asarray(cols["n_tokens"], dtype=np.int64)
    budget = m.get("budget") or {}
    max_epochs = float(budget.get("max_epochs", math.inf))
    cap_copies = math.ceil(max_epochs) if math.isfinite(max_epochs) else None
    unknown = sorted(set(dom.tolist()) - set(sources))
    if unknown:
        report.add(f"records come from domains not listed in sources: {unknown}")
    max_len: dict[str, int] = {}
    sel_tokens: dict[str, int] = {}
    for name, s in sources.items():  # loop over domains (a handful), vectorized over records
        mask = dom == name
        n_docs, n_tokens = int(mask.sum()), int(ntok[mask].sum())
        sel_tokens[name] = n_tokens
        max_len[name] = int(ntok[mask].max()) if n_docs else 0
        if (n_docs, n_tokens) != (s.get("selected_docs"), s.get("selected_tokens")):
            report.add(f"source {name}: shards hold {n_docs:,} docs / {n_tokens:,} tokens, manifest says "
                       f"{s.get('selected_docs')} / {s.get('selected_tokens')}")
        if n_docs:
            # copies of each document must be numbered 0..m-1
            d_ids, d_copy = doc[mask].astype(str), copy[mask]
            order = np.lexsort((d_copy, d_ids))
            d_ids, d_copy = d_ids[order], d_copy[order]
            starts = np.ones(len(d_ids), dtype=bool)
            starts[1:] = d_ids[1:] != d_ids[:-1]
            idx = np.arange(len(d_ids))
            rank = idx - np.maximum.accumulate(np.where(starts, idx, 0))
            if not np.array_equal(rank, d_copy):
                report.add(f"source {name}: copy_index values are not 0, 1, 2, ... per document")
            if cap_copies is not None and int(d_copy.max()) + 1 > cap_copies:
                report.add(f"source {name}: a document is used {int(d_copy.max()) + 1} times, more than "
                           f"ceil(max_epochs) = {cap_copies}")
            if int(np.unique(d_ids).size) != s.get("unique_docs"):
                report.add(f"source {name}: {np.unique(d_ids).size} unique documents, manifest says "
                           f"{s.get('unique_docs')}")
        avail = int(s.get("available_tokens", 0))
        if avail and math.isfinite(max_epochs):
            ep = n_tokens / avail
            bound = max_epochs + max_len[name] / avail
            if ep > bound + 1e-12:
                report.add(f"source {name}: {ep:.6g} epochs exceed the cap max_epochs + one document = {bound:.6g}")
        elif n_docs and not avail:
            report.add(f"source {name}: {n_docs} records drawn from a source with no available tokens")
    # achieved shares within the stated bound (whole documents: each source overshoots by < 1 document)
    if n_tok_total and weights:
        sum_l = sum(max_len[d] for d in sources if weights.get(d, 0) > 0)
        for name in sources:
            w = weights.get(name, 0.0)
            share = sel_tokens[name] / n_tok_total
            tol = max(max_len[name], w * sum_l) / n_tok_total
            stated = sources[name].get("share_tolerance")
            if not isinstance(stated, int | float) or not _close(float(stated), tol):
                report.add(f"source {name}: share_tolerance is {stated!r}, recomputed from the shards {tol:.12g}")
            if abs(share - w) > tol + 1e-12:
                report.add(f"source {name}: achieved share {share:.6g} is more than {tol:.3g} from its target {w:.6g}")
            stated_share = sources[name].get("achieved_share")
            if not isinstance(stated_share, int | float) or not _close(float(stated_share), share):
                report.add(f"source {name}: achieved_share is {stated_share!r}, recomputed {share:.12g}")
    return report
