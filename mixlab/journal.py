"""What a build folder holds, whose files they are, and the journal that lets a killed build resume.

**Ownership.** A build deletes or overwrites only files mixlab wrote. :func:`inspect_folder`
sorts every entry of ``OUT`` into mixlab's own (the manifest, files it lists, journal entries,
temporary files of mixlab's pattern, shards and audit files whose Parquet metadata carries a
recipe hash) and *foreign* files; :func:`check_ownership` refuses a folder with foreign files
or another recipe's build before any work.

**The build key.** A shard is reused only when everything that determines its bytes is
unchanged: the recipe, the resolved world spec's contents (a preset or spec file edited in
place changes it), the generator version (:data:`mixlab.world.GENERATOR_VERSION`), the record
format (:data:`mixlab.records.RECORD_FORMAT_VERSION`), the mixlab, pyarrow (Parquet writer)
and numpy versions. :func:`build_key` collects them; :func:`check_key` refuses to resume a
folder built under another key, naming what changed and how to start over.

**The journal** (``OUT/.mixlab-build/``): the key (``build-key.json``), one JSON line per
finished shard appended to ``shards.jsonl`` (a line cut short by a crash is ignored), and the
manifest of the build being replaced. A build stashes the old manifest there before it writes
anything, so a crash leaves an *unfinished* folder (never a manifest describing half-replaced
shards); resuming reuses every journaled or previously listed shard whose bytes still match.

Used in: A.1 (interrupted build and resume, a build owns only its files).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixlab.manifest import (
    AUDIT_DIR,
    JOURNAL_DIR,
    LOCK_NAME,
    MANIFEST_NAME,
    SHARD_DIR,
    atomic_write_bytes,
    canonical_json,
    is_temp_name,
    os_error,
    read_json_file,
    read_manifest,
)

if TYPE_CHECKING:
    from mixlab.plan import BuildPlan

__all__ = ["KEY_FILE", "ENTRIES_FILE", "STASH_FILE", "read_entries", "build_key", "key_changes", "FolderState",
           "inspect_folder", "check_ownership", "check_key", "Journal"]

KEY_FILE = "build-key.json"
ENTRIES_FILE = "shards.jsonl"
STASH_FILE = "previous-manifest.json"
_OWN_FILES = (KEY_FILE, ENTRIES_FILE, STASH_FILE)


def read_entries(path: str | os.PathLike[str]) -> dict[int, dict[str, Any]]:
    """The shard entries of a journal's ``shards.jsonl`` by index (the last line of an index wins).

    Lines that are not a JSON object with an integer ``index`` (a line cut short by a crash)
    are skipped: they only mean that shard is rebuilt.

    Parameters
    ----------
    path : path-like
        The journal file (missing: no entries).

    Returns
    -------
    dict of int to dict

    Used in: :func:`inspect_folder` (resume), :func:`mixlab.manifest.verify` (unfinished builds).
    """
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("index"), int) and not isinstance(entry["index"], bool):
            out[entry["index"]] = entry
    return out


def build_key(plan: BuildPlan) -> dict[str, Any]:
    """Everything that determines the bytes of a plan's shards (:data:`mixlab.manifest.BUILD_KEY_FIELDS`).

    Parameters
    ----------
    plan : BuildPlan

    Returns
    -------
    dict
        ``recipe_sha256``, ``world_spec_sha256`` (sha256 of the resolved spec's ``to_dict()``),
        ``generator_version``, ``record_format_version``, ``mixlab_version``, ``writer_version``
        (pyarrow) and ``numpy_version``.

    Used in: :func:`mixlab.build.build` (the manifest's ``build_key``; resume).
    """
    import numpy as np
    import pyarrow as pa

    import mixlab
    from mixlab import records, world

    return {
        "recipe_sha256": plan.recipe.sha256,
        "world_spec_sha256": plan.world_info["spec_sha256"],
        "generator_version": world.GENERATOR_VERSION,
        "record_format_version": records.RECORD_FORMAT_VERSION,
        "mixlab_version": mixlab.__version__,
        "writer_version": f"pyarrow {pa.__version__}",
        "numpy_version": np.__version__,
    }


def key_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """One phrase per ingredient of ``new`` that differs in ``old`` (``"mixlab_version '0.1.0' -> '0.2.0'"``).

    Parameters
    ----------
    old, new : mapping
        Build keys (``old`` may lack fields: a folder written before they were recorded).

    Returns
    -------
    list of str

    Used in: :func:`check_key` (the message of a refused resume).
    """
    out = []
    for k, now in new.items():  # in the order of BUILD_KEY_FIELDS
        if old.get(k) != now:
            was = repr(old[k]) if k in old else "not recorded"
            out.append(f"{k} {was} -> {now!r}")
    return out


def _listed_paths(manifest: Mapping[str, Any] | None) -> set[str]:
    if not isinstance(manifest, Mapping):
        return set()
    out = set()
    for key in ("shards", "audit"):
        entries = manifest.get(key)
        for e in entries if isinstance(entries, list) else []:
            if isinstance(e, Mapping) and isinstance(e.get("path"), str):
                out.add(e["path"])
    return out


def _signature(path: Path) -> str | None:
    """The recipe hash a mixlab-written Parquet file carries in its metadata (None if none or unreadable)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # noqa: BLE001 - anything that is not readable Parquet is not a mixlab file
        return None
    value = meta.get(b"mixlab.recipe_sha256")
    return value.decode(errors="replace") if value else None


def _read_json(path: Path) -> Any:
    try:
        return read_json_file(path, "journal file")
    except (OSError, ValueError):
        return None  # a damaged journal file only means the shards it speaks for are rebuilt


@dataclass
class FolderState:
    """What a build folder holds (see :func:`inspect_folder`).

    Attributes
    ----------
    out : pathlib.Path
    manifest, stashed : dict or None
        ``OUT/manifest.json`` and the journal's stashed previous manifest.
    has_journal : bool
    journal_key : dict or None
        The key the journal was written under (None when missing or damaged).
    entries : dict of int to dict
        Journaled shard entries by index.
    own : set of str
        Relative paths of files under ``shards/`` and ``audit/`` that mixlab wrote.
    signed : dict of str to str
        Of those, the ones known only by the recipe hash in their Parquet metadata.
    foreign : list of str
        Relative paths of everything mixlab did not write.

    Used in: :func:`mixlab.build.build`.
    """

    out: Path
    manifest: dict[str, Any] | None = None
    stashed: dict[str, Any] | None = None
    has_journal: bool = False
    journal_key: dict[str, Any] | None = None
    entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    own: set[str] = field(default_factory=set)
    signed: dict[str, str] = field(default_factory=dict)
    foreign: list[str] = field(default_factory=list)

    @property
    def is_build(self) -> bool:
        """True when the folder holds any trace of a mixlab build."""
        return self.manifest is not None or self.has_journal or bool(self.signed)

    def key(self) -> dict[str, Any] | None:
        """The key of what the folder holds: the journal's (a build was under way), else the manifest's."""
        if self.has_journal and self.journal_key is not None:
            return self.journal_key
        if self.manifest is None:
            return None
        key = self.manifest.get("build_key")
        return dict(key) if isinstance(key, Mapping) else {"recipe_sha256": self.manifest.get("recipe_sha256")}

    def recipe_hashes(self) -> set[str]:
        """Every recipe hash the folder's files were built from."""
        found = set(self.signed.values())
        for source in (self.journal_key, self.manifest):
            if isinstance(source, Mapping) and isinstance(source.get("recipe_sha256"), str):
                found.add(source["recipe_sha256"])
        return found

    def recorded(self, key: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
        """Shard entries written under ``key`` (stashed manifest, manifest, then journal), by index."""
        out: dict[int, dict[str, Any]] = {}
        for m in (self.stashed, self.manifest):
            if isinstance(m, Mapping) and m.get("build_key") == dict(key) and isinstance(m.get("shards"), list):
                for e in m["shards"]:
                    if isinstance(e, Mapping) and isinstance(e.get("index"), int):
                        out[e["index"]] = dict(e)
        if self.journal_key == dict(key):
            out.update(self.entries)
        return out


def _inspect_journal(state: FolderState, jdir: Path) -> None:
    state.has_journal = True
    for name in sorted(os.listdir(jdir)):
        path = jdir / name
        if path.is_symlink() or not path.is_file():
            state.foreign.append(f"{JOURNAL_DIR}/{name}")
        elif name == KEY_FILE:
            key = _read_json(path)
            state.journal_key = key if isinstance(key, dict) else None
        elif name == STASH_FILE:
            stash = _read_json(path)
            state.stashed = stash if isinstance(stash, dict) else None
        elif name == ENTRIES_FILE:
            state.entries = read_entries(path)
        elif not is_temp_name(name):
            state.foreign.append(f"{JOURNAL_DIR}/{name}")


def _inspect_members(state: FolderState, sub: str, listed: set[str]) -> None:
    for name in sorted(os.listdir(state.out / sub)):
        path, rel = state.out / sub / name, f"{sub}/{name}"
        if path.is_symlink() or not path.is_file():
            state.foreign.append(rel)
        elif is_temp_name(name) or rel in listed:
            state.own.add(rel)
        elif (signature := _signature(path)) is not None:
            state.own.add(rel)
            state.signed[rel] = signature
        else:
            state.foreign.append(rel)


def inspect_folder(out: str | os.PathLike[str]) -> FolderState:
    """Sort every entry of a build folder into mixlab's own files and foreign ones (reads only).

    Parameters
    ----------
    out : path-like
        The build folder (it may not exist yet).

    Returns
    -------
    FolderState

    Raises
    ------
    NotADirectoryError
        If ``out`` exists and is not a folder.
    ValueError
        If ``OUT/manifest.json`` exists but is not a readable mixlab manifest.
    OSError
        If the folder cannot be read (the message names it).

    Used in: :func:`mixlab.build.build`.
    """
    state = FolderState(Path(out))
    root = state.out
    if not root.exists() and not root.is_symlink():
        return state
    if not root.is_dir():
        raise NotADirectoryError(f"out_dir {root} exists and is not a folder")
    try:
        names = sorted(os.listdir(root))
        subs = []
        for name in names:
            path = root / name
            if path.is_symlink():
                state.foreign.append(name)
            elif name == MANIFEST_NAME and path.is_file():
                state.manifest = _own_manifest(root)
            elif name == JOURNAL_DIR and path.is_dir():
                _inspect_journal(state, path)
            elif name in (SHARD_DIR, AUDIT_DIR) and path.is_dir():
                subs.append(name)
            elif not ((name == LOCK_NAME or is_temp_name(name)) and path.is_file()):
                state.foreign.append(name)
        listed = _listed_paths(state.manifest) | _listed_paths(state.stashed)
        listed |= {e["path"] for e in state.entries.values() if isinstance(e.get("path"), str)}
        for sub in subs:
            _inspect_members(state, sub, listed)
    except OSError as exc:
        raise os_error(exc, f"cannot read build folder {root}") from None
    return state


def _own_manifest(root: Path) -> dict[str, Any]:
    try:
        return read_manifest(root)
    except ValueError as exc:
        raise ValueError(f"out_dir {root} holds an unreadable manifest ({exc}); delete the folder or pick "
                         "another") from None


def check_ownership(state: FolderState, recipe_sha256: str) -> None:
    """Refuse a folder with files mixlab did not write, or with another recipe's build.

    Parameters
    ----------
    state : FolderState
        From :func:`inspect_folder`.
    recipe_sha256 : str
        The hash of the recipe about to be built.

    Raises
    ------
    ValueError
        Naming the foreign files (up to five) or both recipe hashes, and what to do.

    Used in: :func:`mixlab.build.build`.
    """
    out = state.out
    if state.foreign:
        shown = ", ".join(state.foreign[:5]) + (f" (+{len(state.foreign) - 5} more)" if len(state.foreign) > 5 else "")
        if not state.is_build:
            raise ValueError(f"out_dir {out} is not empty and holds no mixlab build (found: {shown}); pick an empty "
                             "or new folder")
        raise ValueError(f"out_dir {out} holds files mixlab did not write ({shown}); a build never deletes or "
                         "overwrites them: move them out of the folder, or build into another folder")
    other = sorted(state.recipe_hashes() - {recipe_sha256})
    if other:
        raise ValueError(
            f"out_dir {out} holds the build of a different recipe (recipe_sha256 {other[0]}); this recipe "
            f"hashes to {recipe_sha256}. Use another folder, or delete this one to replace it."
        )


def check_key(state: FolderState, key: Mapping[str, Any], resume: bool) -> None:
    """Refuse to resume a folder whose shards were built under another key.

    Parameters
    ----------
    state : FolderState
    key : mapping
        The key of the build about to run (:func:`build_key`).
    resume : bool
        Without resume every shard is rewritten, so an old key is no obstacle.

    Raises
    ------
    ValueError
        Naming each changed ingredient (old -> new) and how to start over.

    Used in: :func:`mixlab.build.build`.
    """
    old = state.key()
    if old is None or not resume:
        return
    changes = key_changes(old, key)
    if changes:
        raise ValueError(
            f"out_dir {state.out} was built under another build key ({'; '.join(changes)}), so its shards may differ "
            "from a fresh build and are not reused. To start over, run the build again with resume=False "
            "(command line: --no-resume) to rewrite every shard in this folder, delete the folder, or build into "
            "a new one."
        )


class Journal:
    """The journal of a build under way in ``OUT/.mixlab-build/`` (see the module docstring).

    Parameters
    ----------
    out : path-like
        The build folder (locked by the caller).

    Used in: :func:`mixlab.build.build`.
    """

    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.out = Path(out)
        self.dir = self.out / JOURNAL_DIR

    def start(self, key: Mapping[str, Any], state: FolderState) -> None:
        """Record ``key``, drop entries of another key, and stash the current manifest."""
        self.dir.mkdir(exist_ok=True)
        entries = self.dir / ENTRIES_FILE
        if state.journal_key != dict(key):
            entries.unlink(missing_ok=True)
        elif entries.is_file() and not entries.read_bytes().endswith(b"\n") and entries.stat().st_size:
            with open(entries, "ab") as fh:  # end a line cut short by a crash, so the next one parses
                fh.write(b"\n")
        atomic_write_bytes(self.dir / KEY_FILE, canonical_json(dict(key)).encode(), sync="none")
        if (self.out / MANIFEST_NAME).is_file():
            os.replace(self.out / MANIFEST_NAME, self.dir / STASH_FILE)

    def record(self, entry: Mapping[str, Any]) -> None:
        """Append one finished shard's entry as a JSON line (no fsync: a lost line only means a rebuild)."""
        line = json.dumps(dict(entry), sort_keys=True).encode() + b"\n"
        try:
            with open(self.dir / ENTRIES_FILE, "ab") as fh:
                fh.write(line)
        except OSError as exc:
            raise os_error(exc, f"cannot write the build journal {self.dir / ENTRIES_FILE}") from None

    def finish(self) -> None:
        """Remove the journal's own files and the folder (once the manifest is written)."""
        for name in os.listdir(self.dir):
            if name in _OWN_FILES or is_temp_name(name):
                (self.dir / name).unlink()
        try:
            self.dir.rmdir()
        except OSError:  # something else appeared in it; verify will name it
            pass
