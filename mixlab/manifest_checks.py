"""The checks behind :func:`mixlab.manifest.verify`, one small function per concern.

A manifest is data read from disk, so nothing in it is trusted: :func:`parse` first checks the
type of every field the other checks use (``shards: "oops"`` or ``available_docs: null`` become
violations, never exceptions) and hands them a typed view; each check then adds what it finds
to the report. Record-level checks run over Arrow columns gathered from every shard (no Python
loop over records).

Used in: A.1 (verify).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mixlab.manifest import (
    AUDIT_DIR,
    BUILD_KEY_FIELDS,
    JOURNAL_DIR,
    LOCK_NAME,
    MANIFEST_NAME,
    SHARD_DIR,
    SUPPORTED_MANIFEST_VERSIONS,
    VerifyReport,
    file_sha256,
    is_temp_name,
    json_sha256,
    manifest_hash,
    member_path,
    read_manifest,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Parsed", "parse", "run_all"]

_MISSING = object()


def _show(value: Any) -> str:
    text = "missing" if value is _MISSING else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "count": (_is_count, "an integer >= 0"),
    "number": (_is_number, "a finite number"),
    "opt_number": (lambda v: v is None or _is_number(v), "a finite number or null"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "opt_str": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "sha256": (lambda v: isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v) is not None,
               "a sha256 (64 lowercase hex digits)"),
}
_SHARD = {"index": "count", "path": "str", "rows": "count", "tokens": "count", "bytes": "count", "sha256": "sha256",
          "first_record_id": "opt_str", "last_record_id": "opt_str"}
_AUDIT = {"stage": "str", "path": "str", "rows": "count", "bytes": "count", "sha256": "sha256"}
_SOURCE = {"available_docs": "count", "available_tokens": "count", "selected_docs": "count",
           "selected_tokens": "count", "unique_docs": "count", "target_weight": "opt_number",
           "achieved_share": "opt_number", "share_tolerance": "opt_number"}
_TOTALS = {"records": "count", "tokens": "count", "shards": "count", "bytes": "count"}
_LEDGER_ROW = {"stage": "str", "docs_in": "count", "docs_out": "count", "tokens_in": "count", "tokens_out": "count"}


@dataclass
class Parsed:
    """The typed view of a manifest: each part is None when its field is malformed (and reported).

    Used in: :func:`parse`, the checks of :func:`run_all`.
    """

    shards: list[dict[str, Any]] | None = None
    audits: list[dict[str, Any]] | None = None
    sources: dict[str, dict[str, Any]] | None = None
    weights: dict[str, float] | None = None
    totals: dict[str, int] | None = None
    max_epochs: float | None = None
    world: dict[str, Any] | None = None
    ledger: list[dict[str, Any]] | None = None
    listed: set[str] = field(default_factory=lambda: {MANIFEST_NAME})


def _fields(report: VerifyReport, where: str, obj: Any, spec: Mapping[str, str]) -> dict[str, Any] | None:
    """The fields of ``obj`` named in ``spec`` if each has its kind; else report each bad one and return None."""
    if not isinstance(obj, Mapping):
        report.add(f"manifest field {where} must be an object (got {_show(obj)})")
        return None
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        check, desc = _KINDS[kind]
        value = obj.get(key, _MISSING)
        if value is _MISSING or not check(value):
            report.add(f"manifest field {where}.{key} must be {desc} (got {_show(value)})")
        else:
            out[key] = value
    return out if len(out) == len(spec) else None


def _entries(report: VerifyReport, m: Mapping[str, Any], key: str, spec: Mapping[str, str],
             ) -> list[dict[str, Any]] | None:
    raw = m.get(key, _MISSING)
    if not isinstance(raw, list):
        report.add(f"manifest field {key} must be a list of objects (got {_show(raw)})")
        return None
    parsed = [_fields(report, f"{key}[{i}]", e, spec) for i, e in enumerate(raw)]
    return None if any(e is None for e in parsed) else [e for e in parsed if e is not None]


def _sources(report: VerifyReport, m: Mapping[str, Any]) -> dict[str, dict[str, Any]] | None:
    raw = m.get("sources", _MISSING)
    if not isinstance(raw, Mapping):
        report.add(f"manifest field sources must be an object of domains (got {_show(raw)})")
        return None
    out = {str(k): _fields(report, f"sources.{k}", v, _SOURCE) for k, v in raw.items()}
    return None if any(v is None for v in out.values()) else {k: v for k, v in out.items() if v is not None}


def _weights(report: VerifyReport, m: Mapping[str, Any]) -> dict[str, float] | None:
    mix = m.get("mixture", _MISSING)
    if mix is None:
        return {}
    raw = mix.get("weights", _MISSING) if isinstance(mix, Mapping) else _MISSING
    if not isinstance(raw, Mapping):
        report.add(f"manifest field mixture must be null or an object with weights (got {_show(mix)})")
        return None
    bad = {str(k): v for k, v in raw.items() if not (_is_number(v) and v >= 0)}
    if bad:
        report.add(f"mixture weights must be finite numbers >= 0 (got {bad})")
        return None
    return {str(k): float(v) for k, v in raw.items()}


def parse(report: VerifyReport, m: Mapping[str, Any]) -> Parsed:
    """Check the type of every field the checks use; report malformed ones and return the typed view.

    Parameters
    ----------
    report : VerifyReport
        Where violations go.
    m : mapping
        The manifest as read.

    Returns
    -------
    Parsed

    Used in: :func:`run_all`.
    """
    p = Parsed()
    p.shards = _entries(report, m, "shards", _SHARD)
    p.audits = _entries(report, m, "audit", _AUDIT)
    p.sources = _sources(report, m)
    p.weights = _weights(report, m)
    p.totals = _fields(report, "totals", m.get("totals", _MISSING), _TOTALS)
    budget = _fields(report, "budget", m.get("budget", _MISSING), {"max_epochs": "number"})
    p.max_epochs = None if budget is None else float(budget["max_epochs"])
    p.world = _fields(report, "world", m.get("world", _MISSING), {"train_docs": "count", "train_tokens": "count",
                                                                    "spec_sha256": "sha256"})
    ledger = m.get("ledger", _MISSING)
    if isinstance(ledger, list):
        p.ledger = ledger
    else:
        report.add(f"manifest field ledger must be a list of stage rows (got {_show(ledger)})")
    for key in ("shards", "audit"):  # listed paths, even from entries with other malformed fields
        entries = m.get(key)
        for e in entries if isinstance(entries, list) else []:
            if isinstance(e, Mapping) and isinstance(e.get("path"), str):
                p.listed.add(e["path"])
    return p


# --------------------------------------------------------------------------- the manifest itself
def _load(report: VerifyReport) -> dict[str, Any] | None:
    root = report.out_dir
    if not root.is_dir():
        report.add(f"{root} is not a folder")
        return None
    journal = root / JOURNAL_DIR
    if not (root / MANIFEST_NAME).exists() and journal.is_dir():
        from mixlab.journal import ENTRIES_FILE, read_entries

        done = len(read_entries(journal / ENTRIES_FILE))
        report.add(
            f"unfinished build: no {MANIFEST_NAME}; {done} finished shard(s) journaled in {JOURNAL_DIR}/ "
            "(run the same build again to resume it)"
        )
        return None
    try:
        return read_manifest(root)
    except (OSError, ValueError) as exc:
        report.add(f"manifest: {exc}")
        return None


def _hash_or_none(obj: Any) -> str | None:
    try:
        return json_sha256(obj)
    except (ValueError, TypeError):
        return None


def _check_header(report: VerifyReport, m: Mapping[str, Any]) -> None:
    version = m.get("manifest_version")
    if isinstance(version, bool) or version not in SUPPORTED_MANIFEST_VERSIONS:
        report.add(f"manifest_version is {_show(version)}; this mixlab reads {SUPPORTED_MANIFEST_VERSIONS}")
    try:
        digest: str | None = manifest_hash(m)
    except (ValueError, TypeError):
        digest = None
    if digest != m.get("manifest_sha256"):
        stated = _show(m.get("manifest_sha256", _MISSING))
        report.add(f"manifest.json: content hash is {digest}, manifest_sha256 says {stated}")
    recipe = m.get("recipe")
    if not isinstance(recipe, Mapping):
        report.add(f"manifest field recipe must be an object (got {_show(recipe)})")
    elif _hash_or_none(recipe) != m.get("recipe_sha256"):
        report.add(f"recipe hash is {_hash_or_none(recipe)}, manifest says recipe_sha256 "
                   f"{_show(m.get('recipe_sha256', _MISSING))}")
    if version == 2:
        _check_build_key(report, m)


def _check_build_key(report: VerifyReport, m: Mapping[str, Any]) -> None:
    key = m.get("build_key")
    if not isinstance(key, Mapping) or sorted(key) != sorted(BUILD_KEY_FIELDS):
        report.add(f"manifest field build_key must be an object with {', '.join(BUILD_KEY_FIELDS)} (got {_show(key)})")
        return
    world = m.get("world")
    world = world if isinstance(world, Mapping) else {}
    pairs = {"recipe_sha256": m.get("recipe_sha256"), "world_spec_sha256": world.get("spec_sha256"),
             "mixlab_version": m.get("mixlab_version")}
    for name, stated in pairs.items():
        if key[name] != stated:
            report.add(f"build_key.{name} is {_show(key[name])}, but the manifest says {_show(stated)}")


def _check_mixture(report: VerifyReport, p: Parsed) -> None:
    if not p.weights:
        return
    total = sum(p.weights.values())
    if not abs(total - 1.0) <= 1e-9:
        report.add(f"mixture weights must sum to 1 within 1e-09 (got {total:.12g})")
    if p.sources is not None and set(p.weights) != set(p.sources):
        report.add(f"mixture domains {sorted(p.weights)} differ from the manifest's sources {sorted(p.sources)}")


def _check_ledger(report: VerifyReport, p: Parsed) -> None:
    from mixlab.ledger import StageRow

    if p.ledger is None:
        return
    rows: list[dict[str, Any]] = []
    for i, raw in enumerate(p.ledger):
        row = _fields(report, f"ledger[{i}]", raw, _LEDGER_ROW)
        if row is None:
            return
        try:
            StageRow.from_dict(raw)  # conservation, counts, reasons
        except (ValueError, TypeError) as exc:
            report.add(f"ledger stage {row['stage']!r}: {exc}")
        if rows and (row["docs_in"], row["tokens_in"]) != (rows[-1]["docs_out"], rows[-1]["tokens_out"]):
            prev = rows[-1]
            report.add(
                f"ledger chain broken: stage {row['stage']!r} starts with {row['docs_in']} docs / {row['tokens_in']} "
                f"tokens but stage {prev['stage']!r} ended with {prev['docs_out']} docs / {prev['tokens_out']} tokens"
            )
        rows.append(row)
    if p.world is None or p.sources is None:
        return
    world_in = (p.world["train_docs"], p.world["train_tokens"])
    first_in = (rows[0]["docs_in"], rows[0]["tokens_in"]) if rows else world_in
    last_out = (rows[-1]["docs_out"], rows[-1]["tokens_out"]) if rows else first_in
    avail = (sum(s["available_docs"] for s in p.sources.values()),
             sum(s["available_tokens"] for s in p.sources.values()))
    if world_in != first_in:
        report.add(f"ledger starts with {first_in} docs/tokens but the world has {world_in}")
    if avail != last_out:
        report.add(f"sources' available docs/tokens sum to {avail} but the ledger's last stage kept {last_out}")


# --------------------------------------------------------------------------- files on disk
def _unparsed_folder(p: Parsed, rel: str) -> bool:
    """True for files in a folder whose manifest list is malformed (already reported; no noise per file)."""
    folder = rel.split("/", 1)[0]
    return (folder == SHARD_DIR and p.shards is None) or (folder == AUDIT_DIR and p.audits is None)


def _check_folder(report: VerifyReport, p: Parsed) -> None:
    """Every file in the folder is listed; no temporary file, link or lock is left."""
    root = report.out_dir
    for top, dirs, files in os.walk(root):
        here = Path(top)
        for name in sorted(files + [d for d in dirs if (here / d).is_symlink()]):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                report.add(f"symbolic link in the build folder: {rel} (a build holds only its own files)")
            elif rel == LOCK_NAME:
                report.add(f"{LOCK_NAME} is present: a build is running in this folder or was killed; run the "
                           "build again (it resumes) before trusting the folder")
            elif is_temp_name(name):
                report.add(f"temporary file left behind: {rel}")
            elif rel not in p.listed and not _unparsed_folder(p, rel):
                report.add(f"unlisted file: {rel} (not in the manifest)")
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink())


def _check_file(report: VerifyReport, entry: Mapping[str, Any], kind: str) -> Path | None:
    """Safe path, existence, size and sha256 of a listed file; the path when the file can be read."""
    try:
        path = member_path(report.out_dir, entry["path"], kind)
    except ValueError as exc:
        report.add(str(exc))
        return None
    rel = entry["path"]
    if not path.is_file():
        report.add(f"{kind} {rel}: listed in the manifest but missing")
        return None
    size = path.stat().st_size
    if size != entry["bytes"]:
        report.add(f"{kind} {rel}: size is {size:,} bytes, manifest says {entry['bytes']}")
    try:
        digest = file_sha256(path)
    except OSError as exc:
        report.add(f"{kind} {rel}: {exc}")
        return None
    if digest != entry["sha256"]:
        report.add(f"{kind} {rel}: sha256 is {digest}, manifest says {entry['sha256']}")
    return path


def _read_shard(report: VerifyReport, path: Path, e: Mapping[str, Any]) -> tuple[pa.Table, int] | None:
    """One shard's lineage columns (tokens dropped) and token count, after its per-shard checks."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from mixlab.records import SchemaError, check_batch, record_schema

    rel = e["path"]
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any reader error means the file is unusable
        report.add(f"shard {rel}: cannot be read as Parquet ({type(exc).__name__}: {exc})")
        return None
    try:
        check_batch(table, record_schema(), where=f"shard {rel}")
    except SchemaError as exc:
        report.add(str(exc))
        return None
    lengths = pc.list_value_length(table["tokens"]).to_numpy(zero_copy_only=False).astype(np.int64)
    ntok = table["n_tokens"].to_numpy().astype(np.int64)
    if not np.array_equal(lengths, ntok):
        bad = np.flatnonzero(lengths != ntok)[:5]
        report.add(f"shard {rel}: n_tokens differs from the token list length for records "
                   f"{table['record_id'].take(bad).to_pylist()}")
    tokens = int(lengths.sum())
    if table.num_rows != e["rows"]:
        report.add(f"shard {rel}: has {table.num_rows:,} rows, manifest says {e['rows']}")
    if tokens != e["tokens"]:
        report.add(f"shard {rel}: has {tokens:,} tokens, manifest says {e['tokens']}")
    ids = table["record_id"]
    first, last = (ids[0].as_py(), ids[-1].as_py()) if len(ids) else (None, None)
    if (first, last) != (e["first_record_id"], e["last_record_id"]):
        report.add(f"shard {rel}: first/last record id are {first!r}/{last!r}, manifest says "
                   f"{e['first_record_id']!r}/{e['last_record_id']!r}")
    return table.drop_columns(["tokens"]), tokens


def _check_shards(report: VerifyReport, p: Parsed) -> tuple[pa.Table, int] | None:
    """Per-shard checks; all shards' lineage columns and their token total when every shard was read."""
    import pyarrow as pa

    from mixlab.records import record_schema

    if p.shards is None:
        return None
    tables, n_tokens, all_read, seen = [], 0, True, set()
    for i, e in enumerate(p.shards):
        if e["index"] != i:
            report.add(f"shard {e['path']}: index is {e['index']}, expected {i} (shards must be listed in order)")
        if e["path"] in seen:
            report.add(f"shard {e['path']}: listed more than once")
        seen.add(e["path"])
        path = _check_file(report, e, "shard")
        got = None if path is None else _read_shard(report, path, e)
        if got is None:
            all_read = False
            continue
        tables.append(got[0])
        n_tokens += got[1]
    report.checked["shards"] = len(p.shards)
    if not all_read:
        report.add("record-level checks skipped: some shards are missing or unreadable")
        return None
    schema = record_schema()
    lineage = pa.schema([f for f in schema if f.name != "tokens"])
    return (pa.concat_tables(tables) if tables else lineage.empty_table()), n_tokens


def _check_totals(report: VerifyReport, p: Parsed, gathered: tuple[pa.Table, int] | None) -> None:
    if p.totals is None or p.shards is None:
        return
    t = p.totals
    rows, tokens = sum(e["rows"] for e in p.shards), sum(e["tokens"] for e in p.shards)
    if rows != t["records"]:
        report.add(f"shard rows in the manifest sum to {rows:,}, totals.records says {t['records']}")
    if tokens != t["tokens"]:
        report.add(f"shard tokens in the manifest sum to {tokens:,}, totals.tokens says {t['tokens']}")
    if len(p.shards) != t["shards"]:
        report.add(f"{len(p.shards)} shards listed, totals.shards says {t['shards']}")
    if gathered is not None and (gathered[0].num_rows, gathered[1]) != (t["records"], t["tokens"]):
        report.add(f"shards hold {gathered[0].num_rows:,} records / {gathered[1]:,} tokens, totals say "
                   f"{t['records']} / {t['tokens']}")


# --------------------------------------------------------------------------- records
def _check_ids(report: VerifyReport, table: pa.Table) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = table["record_id"]
    if pc.count_distinct(ids).as_py() != len(ids):
        counts = pc.value_counts(ids)
        dup = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
        report.add(f"record ids are not unique: {sorted(dup.to_pylist())[:5]} appear more than once")
    pos = table["position"].to_numpy()
    if not np.array_equal(pos, np.arange(len(pos))):
        report.add("record positions do not run 0..N-1 in shard order (the blended order is broken)")
    expect = pc.binary_join_element_wise(table["source_doc_id"], pc.cast(table["copy_index"], pa.string()), "#")
    wrong = int(pc.sum(pc.not_equal(expect, ids)).as_py() or 0)
    if wrong:
        report.add(f"record ids do not equal '<source_doc_id>#<copy_index>' for {wrong} records")


def _copy_ranks(doc_codes: np.ndarray, copies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted copy numbers and the 0, 1, 2, ... each would have if copies were numbered per document."""
    order = np.lexsort((copies, doc_codes))
    codes, sorted_copies = doc_codes[order], copies[order]
    starts = np.ones(len(codes), dtype=bool)
    starts[1:] = codes[1:] != codes[:-1]
    idx = np.arange(len(codes))
    return sorted_copies, idx - np.maximum.accumulate(np.where(starts, idx, 0))


def _source_counts(report: VerifyReport, p: Parsed, table: pa.Table) -> dict[str, tuple[int, int]]:
    """Per source: selected tokens and the longest record; reports count, copy and epoch violations."""
    import pyarrow.compute as pc

    assert p.sources is not None
    dom = table["source_domain"].to_numpy()
    doc_codes = pc.dictionary_encode(table["source_doc_id"]).combine_chunks().indices.to_numpy().astype(np.int64)
    copies = table["copy_index"].to_numpy().astype(np.int64)
    ntok = table["n_tokens"].to_numpy().astype(np.int64)
    unknown = sorted(set(np.unique(dom).tolist()) - set(p.sources))
    if unknown:
        report.add(f"records come from domains not listed in sources: {unknown}")
    cap = math.ceil(p.max_epochs) if p.max_epochs is not None else None
    out: dict[str, tuple[int, int]] = {}
    for name, s in p.sources.items():  # loop over domains (a handful), vectorized over records
        mask = dom == name
        n_docs, n_tok = int(mask.sum()), int(ntok[mask].sum())
        out[name] = (n_tok, int(ntok[mask].max()) if n_docs else 0)
        if (n_docs, n_tok) != (s["selected_docs"], s["selected_tokens"]):
            report.add(f"source {name}: shards hold {n_docs:,} docs / {n_tok:,} tokens, manifest says "
                       f"{s['selected_docs']} / {s['selected_tokens']}")
        if n_docs:
            got, want = _copy_ranks(doc_codes[mask], copies[mask])
            if not np.array_equal(got, want):
                report.add(f"source {name}: copy_index values are not 0, 1, 2, ... per document")
            if cap is not None and int(got.max()) + 1 > cap:
                report.add(f"source {name}: a document is used {int(got.max()) + 1} times, more than "
                           f"ceil(max_epochs) = {cap}")
            unique = int(np.unique(doc_codes[mask]).size)
            if unique != s["unique_docs"]:
                report.add(f"source {name}: {unique} unique documents, manifest says {s['unique_docs']}")
        avail = s["available_tokens"]
        if avail and p.max_epochs is not None:
            bound = p.max_epochs + out[name][1] / avail
            if n_tok / avail > bound + 1e-12:
                report.add(f"source {name}: {n_tok / avail:.6g} epochs exceed the cap max_epochs + one document "
                           f"= {bound:.6g}")
        elif n_docs and not avail:
            report.add(f"source {name}: {n_docs} records drawn from a source with no available tokens")
    return out


def _close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _check_shares(report: VerifyReport, p: Parsed, counts: Mapping[str, tuple[int, int]], total: int) -> None:
    """Achieved shares within the stated bound (whole documents: each source overshoots by < 1 document)."""
    if not total or not p.weights or p.sources is None:
        return
    sum_l = sum(counts[d][1] for d in p.sources if p.weights.get(d, 0) > 0)
    for name, s in p.sources.items():
        w = p.weights.get(name, 0.0)
        share = counts[name][0] / total
        tol = max(counts[name][1], w * sum_l) / total
        stated = s["share_tolerance"]
        if stated is None or not _close(float(stated), tol):
            report.add(f"source {name}: share_tolerance is {stated!r}, recomputed from the shards {tol:.12g}")
        if abs(share - w) > tol + 1e-12:
            report.add(f"source {name}: achieved share {share:.6g} is more than {tol:.3g} from its target {w:.6g}")
        stated_share = s["achieved_share"]
        if stated_share is None or not _close(float(stated_share), share):
            report.add(f"source {name}: achieved_share is {stated_share!r}, recomputed {share:.12g}")


def run_all(report: VerifyReport) -> None:
    """Run every check on ``report.out_dir`` and add what they find to ``report``.

    Parameters
    ----------
    report : VerifyReport
        An empty report for the build folder.

    Used in: :func:`mixlab.manifest.verify`.
    """
    m = _load(report)
    if m is None:
        return
    p = parse(report, m)
    _check_header(report, m)
    _check_mixture(report, p)
    _check_ledger(report, p)
    _check_folder(report, p)
    for a in p.audits or []:
        _check_file(report, a, "audit file")
    gathered = _check_shards(report, p)
    report.checked["audit files"] = len(p.audits or [])
    _check_totals(report, p, gathered)
    if gathered is None:
        return
    table, n_tokens = gathered
    report.checked["records"] = table.num_rows
    report.checked["tokens"] = n_tokens
    _check_ids(report, table)
    if p.sources is not None:
        counts = _source_counts(report, p, table)
        _check_shares(report, p, counts, n_tokens)
