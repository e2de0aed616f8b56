"""Manifests: what a data build wrote, with hashes and counts, and a verifier that recomputes them.

A folder of Parquet shards is not yet a reproducible dataset; the ``manifest.json`` next to it
makes it one. It holds the recipe and its hash, the build key (everything that determines the
shards' bytes), the per-source accounting (available, requested, selected, achieved share), the
filter ledger, every shard's path, rows, tokens, bytes, sha256 and first/last record id, the
audit samples, and the manifest's own hash. :func:`verify` recomputes all of it from the files
and lists *every* violation it finds (the checks live in :mod:`mixlab.manifest_checks`).

Layout of a build folder ``OUT`` (every name in it is fixed or checked, see :func:`member_path`)::

    OUT/manifest.json                 written last; its presence means "finished"
    OUT/shards/part-00000.parquet     records (see mixlab.records)
    OUT/audit/<stage>.parquet         audit samples, one per filter stage
    OUT/.mixlab-build/                the journal of an unfinished build (see mixlab.journal)
    OUT/.mixlab-build.lock            held while a build runs (see mixlab.lock)

Hashes: ``sha256`` of a file's bytes; a JSON object's hash is the sha256 of its canonical
form (:func:`canonical_json`: sorted keys, no whitespace, UTF-8, no NaN).

The record schema and the Parquet encoders live in :mod:`mixlab.records`; their names are
re-exported here.

Used in: 3.4 (file hashes), A.1 (manifest, verify, resume).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from mixlab.records import PARQUET_SETTINGS as PARQUET_SETTINGS
from mixlab.records import RECORD_COLUMNS, record_schema
from mixlab.records import SchemaError as SchemaError
from mixlab.records import check_batch as check_batch
from mixlab.records import encode_shard as encode_shard

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_VERSION",
    "MANIFEST_NAME",
    "SUPPORTED_MANIFEST_VERSIONS",
    "JOURNAL_DIR",
    "LOCK_NAME",
    "SHARD_DIR",
    "AUDIT_DIR",
    "BUILD_KEY_FIELDS",
    "SAFE_NAME",
    "canonical_json",
    "json_sha256",
    "file_sha256",
    "tree_digests",
    "atomic_write_bytes",
    "fsync_dir",
    "flush_to_disk",
    "is_temp_name",
    "tmp_path_for",
    "read_json_file",
    "os_error",
    "member_path",
    "manifest_hash",
    "read_manifest",
    "write_manifest",
    "VerifyReport",
    "verify",
    "read_records",
]

#: Format tag and version of the manifest written by this module. Version 2 added ``build_key``.
MANIFEST_FORMAT = "mixlab.manifest"
MANIFEST_VERSION = 2
SUPPORTED_MANIFEST_VERSIONS: tuple[int, ...] = (1, 2)
MANIFEST_NAME = "manifest.json"
#: Folder where a build journals finished shards until its manifest is written (removed on success).
JOURNAL_DIR = ".mixlab-build"
#: Lock file of a running build (see :mod:`mixlab.lock`).
LOCK_NAME = ".mixlab-build.lock"
SHARD_DIR = "shards"
AUDIT_DIR = "audit"
#: What a build's key holds: everything that determines its shards' bytes (see :mod:`mixlab.journal`).
BUILD_KEY_FIELDS: tuple[str, ...] = ("recipe_sha256", "world_spec_sha256", "generator_version",
                                     "record_format_version", "mixlab_version", "writer_version", "numpy_version")

#: Names that become file names (filter stages, hence ``audit/<stage>.parquet``): a letter or digit,
#: then up to 63 letters, digits, ``_`` or ``-``. No dots, slashes or spaces, so a name can never
#: leave its folder or pose as another file.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")

#: Marker in temporary file names (``.<name>.<pid>.<8 hex>.tmp``); see :func:`atomic_write_bytes`.
TMP_SUFFIX = ".tmp"
_TMP_NAME = re.compile(r"\..+\.[0-9]+\.[0-9a-f]{8}\.tmp")
_MEMBER_PATTERNS: dict[str, re.Pattern[str]] = {
    "shard": re.compile(rf"{SHARD_DIR}/part-[0-9]{{5,9}}\.parquet"),
    "audit file": re.compile(rf"{AUDIT_DIR}/{SAFE_NAME.pattern}\.parquet"),
}


# --------------------------------------------------------------------------- hashing
def canonical_json(obj: Any) -> str:
    """The canonical JSON text of ``obj``: sorted keys, compact separators, no NaN or infinity.

    Parameters
    ----------
    obj : JSON-able object
        Dicts, lists, strings, finite numbers, booleans and None.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``obj`` holds NaN or infinity (JSON has no such numbers; a hash over them is ambiguous).
    TypeError
        If ``obj`` holds something JSON cannot represent.

    Used in: :func:`json_sha256`, :func:`write_manifest`, :mod:`mixlab.recipe`.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_sha256(obj: Any) -> str:
    """Hex sha256 of :func:`canonical_json` of ``obj`` (UTF-8).

    Parameters
    ----------
    obj : JSON-able object

    Returns
    -------
    str

    Raises
    ------
    ValueError, TypeError
        As :func:`canonical_json`.

    Used in: :mod:`mixlab.recipe` (the recipe hash), :mod:`mixlab.plan` (the spec hash).
    """
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks.

    Parameters
    ----------
    path : path-like
        The file.
    chunk : int
        Bytes read at a time.

    Returns
    -------
    str

    Raises
    ------
    OSError
        If the file cannot be read; the message names it (see :func:`os_error`).

    Used in: 3.4 (hand-tuned config provenance); :func:`verify` and resumed builds.
    """
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    except OSError as exc:
        raise os_error(exc, f"cannot read {os.fspath(path)}") from None
    return h.hexdigest()


def tree_digests(folder: str | os.PathLike[str]) -> dict[str, str]:
    """sha256 of every file under ``folder``, keyed by its relative POSIX path, in sorted order.

    Two builds are byte-identical exactly when their digests are equal (hidden files included).

    Parameters
    ----------
    folder : path-like
        An existing folder.

    Returns
    -------
    dict of str to str

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


# --------------------------------------------------------------------------- files
def os_error(exc: OSError, doing: str) -> OSError:
    """The same kind of :class:`OSError` (same ``errno``) with a message that says what failed and where.

    Parameters
    ----------
    exc : OSError
        The original error.
    doing : str
        What was being done, with the path (``"cannot write shards/part-00003.parquet"``).

    Returns
    -------
    OSError
        E.g. ``PermissionError("cannot read OUT/manifest.json: permission denied")``.

    Used in: the file operations of :mod:`mixlab.manifest`, :mod:`mixlab.journal`, :mod:`mixlab.lock`,
    :mod:`mixlab.recipe`.
    """
    reason = (exc.strerror or str(exc) or type(exc).__name__).rstrip(".")
    new = type(exc)(f"{doing}: {reason[:1].lower()}{reason[1:]}")
    new.errno = exc.errno
    return new


def tmp_path_for(path: Path) -> Path:
    """A unique temporary name next to ``path`` (same folder, so ``os.replace`` is atomic).

    Parameters
    ----------
    path : pathlib.Path
        The final name.

    Returns
    -------
    pathlib.Path
        ``.<name>.<pid>.<8 hex digits>.tmp`` in the same folder (see :func:`is_temp_name`).

    Used in: :func:`atomic_write_bytes`.
    """
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")


def is_temp_name(name: str) -> bool:
    """True for the names :func:`atomic_write_bytes` gives its temporary files (``.<name>.<pid>.<hex>.tmp``).

    Parameters
    ----------
    name : str
        A file name (no folder).

    Returns
    -------
    bool

    Used in: :mod:`mixlab.journal`, :mod:`mixlab.build` (only mixlab's own temporary files are removed), :func:`verify`.
    """
    return _TMP_NAME.fullmatch(name) is not None


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (the renames into it) to disk; a no-op where folders cannot be opened.

    Parameters
    ----------
    directory : path-like

    Used in: :func:`atomic_write_bytes`, :func:`flush_to_disk`.
    """
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


def flush_to_disk(folder: str | os.PathLike[str], files: Iterable[str | os.PathLike[str]]) -> None:
    """Make ``files`` (written without fsync) and their renames durable, in one step where possible.

    On Linux one ``syncfs`` on ``folder`` flushes the whole filesystem that holds it: every
    file's data and every rename, in a single journal commit (a few milliseconds, where an
    fsync per file costs several milliseconds each). Elsewhere each file and each folder is
    fsynced in turn.

    Parameters
    ----------
    folder : path-like
        A folder on the filesystem that holds the files.
    files : iterable of path-like
        The files to make durable (used where ``syncfs`` is unavailable).

    Raises
    ------
    OSError
        If the flush fails (e.g. an I/O error reported by the disk); the message names the folder.

    Used in: :func:`mixlab.build.build` (shards durable before the manifest).
    """
    if _syncfs(folder):
        return
    parents = set()
    for f in files:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        parents.add(Path(f).parent)
    for d in sorted(parents | {Path(folder)}):
        fsync_dir(d)


def _syncfs(folder: str | os.PathLike[str]) -> bool:
    """``syncfs(2)`` on the filesystem of ``folder``; False where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):  # pragma: no cover - a libc without syncfs
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"cannot flush {os.fspath(folder)} to disk: {os.strerror(err).lower()}")
    finally:
        os.close(fd)
    return True


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | memoryview, *,
                       sync: Literal["all", "data", "none"] = "all",
                       pause_hook: Callable[[Path], None] | None = None) -> Path:
    """Write ``data`` to ``path`` atomically: temporary name in the same folder, then ``os.replace``.

    A reader sees either the old file or the complete new one, never a partial file; a crash
    leaves at most a ``.<name>.<pid>.<random>.tmp`` file, which the next build removes.

    Durability (``sync="all"``): the temporary file is fsynced *before* the rename, so after a
    power cut the new name never points at missing or partial data; the folder is fsynced
    *after* it, so the rename itself survives. A build writes its manifest this way; it writes
    shards, audit files and journal entries with ``sync="none"`` and makes them durable with one
    :func:`flush_to_disk` before the manifest (see :mod:`mixlab.build`).

    Parameters
    ----------
    path : path-like
        Final location (its folder must exist).
    data : bytes or memoryview
        The complete content.
    sync : {"all", "data", "none"}
        ``"all"``: fsync the file and the folder; ``"data"``: the file only; ``"none"``: no fsync.
    pause_hook : callable, optional
        Called as ``pause_hook(tmp_path)`` after the first half of ``data`` is written and
        flushed (tests use it to kill a writer mid-file).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        If the folder is missing or not writable, or the disk is full; the message names ``path``
        and the temporary file is removed.

    Used in: :func:`write_manifest`, :mod:`mixlab.shards`, :mod:`mixlab.journal`, :mod:`mixlab.build`.
    """
    if sync not in ("all", "data", "none"):
        raise ValueError(f"sync must be 'all', 'data' or 'none' (got {sync!r})")
    path = Path(path)
    tmp = tmp_path_for(path)
    view = memoryview(data)
    try:
        with open(tmp, "wb") as fh:
            half = len(view) // 2
            fh.write(view[:half])
            if pause_hook is not None:
                fh.flush()
                os.fsync(fh.fileno())
                pause_hook(tmp)
            fh.write(view[half:])
            fh.flush()
            if sync != "none":
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise os_error(exc, f"cannot write {path}") from None
        raise
    if sync == "all":
        fsync_dir(path.parent)
    return path


def member_path(root: str | os.PathLike[str], rel: Any, kind: str) -> Path:
    """The file a manifest entry names, after checking that it is a safe path inside the build folder.

    A manifest is data read from disk: a path in it must not lead anywhere else. Accepted are
    relative POSIX paths matching the layout for ``kind`` (``shards/part-00000.parquet``,
    ``audit/<stage>.parquet``) whose file is not a symbolic link and resolves inside ``root``.

    Parameters
    ----------
    root : path-like
        The build folder.
    rel : str
        The path as written in the manifest.
    kind : {"shard", "audit file"}
        Which layout rule applies.

    Returns
    -------
    pathlib.Path
        ``root / rel``.

    Raises
    ------
    ValueError
        If ``rel`` is not a string, is absolute, holds ``..``, a backslash or another layout, or
        leads outside ``root`` through a link (the message names the path and the rule).

    Used in: :func:`verify`, :func:`read_records` (they refuse paths outside the build).
    """
    if kind not in _MEMBER_PATTERNS:
        raise ValueError(f"kind must be one of {', '.join(_MEMBER_PATTERNS)} (got {kind!r})")
    if not isinstance(rel, str):
        raise ValueError(f"{kind} path must be a string (got {rel!r})")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or not _MEMBER_PATTERNS[kind].fullmatch(rel):
        raise ValueError(f"{kind} path {rel!r} is not allowed: it must be a relative path of the form "
                         f"{_MEMBER_PATTERNS[kind].pattern!r} inside the build folder")
    base = Path(root)
    path = base / rel
    if path.is_symlink() or (path.parent.exists() and path.parent.resolve() != (base.resolve() / pure.parent)):
        raise ValueError(f"{kind} path {rel!r} leads outside the build folder {base} through a symbolic link")
    return path


# --------------------------------------------------------------------------- manifest IO
def manifest_hash(manifest: Mapping[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON without its ``manifest_sha256`` field.

    Parameters
    ----------
    manifest : mapping
        The manifest as read or about to be written.

    Returns
    -------
    str
        Hex digest, the value of ``manifest_sha256``.

    Raises
    ------
    ValueError, TypeError
        If the manifest holds values JSON cannot represent.

    Used in: :func:`write_manifest`, :func:`verify`; A.1 (a forged manifest with a recomputed hash).
    """
    return json_sha256({k: v for k, v in manifest.items() if k != "manifest_sha256"})


def write_manifest(out_dir: str | os.PathLike[str], manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Add ``manifest_sha256`` and write ``manifest.json`` atomically and durably (sorted keys, indented).

    Parameters
    ----------
    out_dir : path-like
        The build folder.
    manifest : mapping
        The manifest without (or with a stale) ``manifest_sha256``.

    Returns
    -------
    dict
        The manifest as written (with its hash).

    Raises
    ------
    OSError
        If the file cannot be written (the message names it).

    Used in: :func:`mixlab.build.build` (written last).
    """
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    body["manifest_sha256"] = manifest_hash(body)
    text = json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_bytes(Path(out_dir) / MANIFEST_NAME, text.encode("utf-8"))
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON does not allow {name}")


def read_json_file(path: Path, what: str) -> Any:
    """Parse a JSON file strictly (no NaN or Infinity); errors name the file.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    what : str
        What it is, for messages (``"manifest"``, ``"journal file"``).

    Returns
    -------
    object
        The parsed JSON value.

    Raises
    ------
    FileNotFoundError, PermissionError, IsADirectoryError, OSError
        The file cannot be read.
    ValueError
        The file is not UTF-8 JSON.

    Used in: :func:`read_manifest`, :mod:`mixlab.journal`.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise os_error(exc, f"cannot read {what} {path}") from None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {path} is not UTF-8 text: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{what} {path} is not valid JSON: {exc}") from None


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``OUT/manifest.json`` (no checks beyond being a JSON object with the format tag).

    Parameters
    ----------
    out_dir : path-like
        The build folder.

    Returns
    -------
    dict

    Raises
    ------
    FileNotFoundError
        If there is no manifest (a folder without one is not a finished build).
    OSError
        If it cannot be read (permissions, a folder in its place); the message names it.
    ValueError
        If it is not valid JSON or not a mixlab manifest.

    Used in: A.1.
    """
    path = Path(out_dir) / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(f"{path} does not exist: a folder without {MANIFEST_NAME} is not a finished "
                                "mixlab build")
    data = read_json_file(path, "manifest")
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"{path} is not a mixlab manifest (format tag {MANIFEST_FORMAT!r} missing)")
    return data


def read_records(out_dir: str | os.PathLike[str], columns: list[str] | None = None) -> pd.DataFrame:
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
    FileNotFoundError, OSError
        No manifest, or a file that cannot be read (the message names it).
    ValueError
        Not a mixlab manifest, a malformed ``shards`` list, a shard path that is not a safe path
        inside the folder (see :func:`member_path`), or an unknown column. Run :func:`verify`
        first to trust the content.

    Used in: A.1 (query lineage: which document and copy a training record came from).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise TypeError(f"columns must be a list of column names (got {columns!r})")
        unknown = [c for c in columns if c not in RECORD_COLUMNS]
        if unknown:
            raise ValueError(f"columns must be record columns ({', '.join(RECORD_COLUMNS)}); unknown: {unknown}")
    root = Path(out_dir)
    m = read_manifest(root)
    shards = m.get("shards")
    if not isinstance(shards, list) or not all(isinstance(e, Mapping) for e in shards):
        raise ValueError(f"{root / MANIFEST_NAME}: field shards must be a list of objects (got {shards!r:.80})")
    paths = [member_path(root, e.get("path"), "shard") for e in shards]
    tables = []
    for p in paths:
        try:
            tables.append(pq.read_table(p, columns=columns))
        except OSError as exc:
            raise os_error(exc, f"cannot read shard {p}") from None
    if not tables:
        empty = record_schema().empty_table()
        return (empty.select(columns) if columns else empty).to_pandas()
    return pa.concat_tables(tables).to_pandas()


# --------------------------------------------------------------------------- verify
@dataclass
class VerifyReport:
    """Outcome of :func:`verify`: every violation found (empty when the build is sound).

    Attributes
    ----------
    out_dir : pathlib.Path
        The folder checked.
    violations : list of str
        One sentence per violation, naming the file or field and the two values that disagree.
    checked : dict of str to int
        What was checked (shards, records, tokens, audit files).

    Used in: the return value of :func:`verify` (``ok``, ``violations``).
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


def verify(out_dir: str | os.PathLike[str]) -> VerifyReport:
    """Recompute every hash and count of a build and check every invariant; collect all violations.

    Checks: the manifest parses, has a supported version, every field has its type, and its own
    hash matches; the recipe hash and build key agree; target weights lie on the simplex; every
    ledger stage conserves documents and tokens and the stages chain; every listed path is a
    safe path inside the folder and its file exists with the listed size and sha256; every shard
    has the declared schema and its rows, tokens and first/last record id match; shard totals
    equal the manifest totals and the per-source counts; record ids are unique and equal
    ``<source_doc_id>#<copy_index>``, positions run 0..N-1 in shard order; ``n_tokens`` equals the
    token list length; achieved shares lie within the stated bound; copies respect the epoch
    cap; no file in the folder is unlisted, no temporary file or link is left, no build holds it.

    Never raises on a damaged folder: every problem becomes a violation.

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
    from mixlab import manifest_checks as checks

    report = VerifyReport(Path(out_dir))
    checks.run_all(report)
    return report
