"""``mixlab build`` and ``mixlab verify`` under bad files and a bad disk: one clean line, never a traceback.

Unreadable files are simulated by patching the readers (the tests may run as root, for whom
``chmod`` does not deny reading), a full disk by a writer that raises ``ENOSPC``. Each case
checks the exit code, a single ``mixlab: error: ...`` line that names the path, and that a
later build resumes cleanly.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from build_helpers import RECIPE, digests, temp_files

from mixlab.build import build
from mixlab.cli import main
from mixlab.manifest import LOCK_NAME, MANIFEST_NAME, verify


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One serial build of the test recipe (read-only)."""
    out = tmp_path_factory.mktemp("ref") / "out"
    build(RECIPE, out, executor="serial", progress=False)
    return out


@pytest.fixture
def recipe_file(tmp_path: Path) -> Path:
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(RECIPE))
    return path


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    got = capsys.readouterr()
    assert "Traceback" not in got.out + got.err
    return code, got.out, got.err


def _one_error_line(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mixlab: error: "), err
    for needle in needles:
        assert needle in lines[0], err


def _build(recipe: Path, out: Path, *extra: str) -> list[str]:
    return ["build", str(recipe), str(out), "--executor", "serial", "--no-progress", *extra]


def _deny_reading(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Make ``Path.read_bytes`` and ``open(..., "rb")`` in mixlab.manifest fail on ``target`` like chmod 000."""
    real_read_bytes = Path.read_bytes
    real_open = open

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == target.resolve():
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_read_bytes(self)

    def guarded_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if Path(path).resolve() == target.resolve():
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr("mixlab.manifest.open", guarded_open, raising=False)


# ------------------------------------------------------------------------------- recipes
def test_folder_given_as_recipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for folder in (tmp_path / "recipes", tmp_path / "recipe.json"):
        folder.mkdir()
        code, _, err = _cli(capsys, *_build(folder, tmp_path / "out"))
        assert code == 2
        _one_error_line(err, "recipe must be a file, not a folder:", str(folder))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("missing.toml", None, "recipe file not found"),
    ("bad.toml", "schema_version = [", "is not valid TOML"),
    ("bad.json", "{oops", "is not valid JSON"),
    ("latin1.json", b"\xff\xfe", "is not UTF-8"),
])
def test_missing_or_unparsable_recipe(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                      content: str | bytes | None, needle: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, _, err = _cli(capsys, *_build(path, tmp_path / "out"))
    assert code == 2
    _one_error_line(err, needle, str(path))


def test_unreadable_recipe(tmp_path: Path, recipe_file: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "recipe.toml"
    toml.write_text('schema_version = 1\n[world]\npreset = "tiny"\n')
    for path in (toml, recipe_file):
        _deny_reading(monkeypatch, path)
        code, _, err = _cli(capsys, *_build(path, tmp_path / "out"))
        assert code == 1  # an OS error: the work failed (exit 2 is for bad arguments and input)
        _one_error_line(err, f"cannot read recipe file {path}: permission denied")


# ------------------------------------------------------------------------------- the build folder
def test_unreadable_manifest(tmp_path: Path, reference: Path, recipe_file: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    _deny_reading(monkeypatch, out / MANIFEST_NAME)
    code, printed, _ = _cli(capsys, "verify", str(out))
    assert code == 1 and f"manifest: cannot read manifest {out / MANIFEST_NAME}: permission denied" in printed
    code, _, err = _cli(capsys, *_build(recipe_file, out))
    assert code == 1  # an OS error: the work failed (exit 2 is for bad arguments and input)
    _one_error_line(err, f"cannot read manifest {out / MANIFEST_NAME}: permission denied")


def test_unreadable_shard(tmp_path: Path, reference: Path, recipe_file: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    shard = out / "shards" / "part-00001.parquet"
    _deny_reading(monkeypatch, shard)
    code, printed, _ = _cli(capsys, "verify", str(out))
    assert code == 1 and f"shard shards/part-00001.parquet: cannot read {shard}: permission denied" in printed
    code, _, err = _cli(capsys, *_build(recipe_file, out))  # resuming must hash the shard it would reuse
    assert code == 1  # an OS error: the work failed (exit 2 is for bad arguments and input)
    _one_error_line(err, f"cannot read {shard}: permission denied")


def test_unwritable_out(tmp_path: Path, recipe_file: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    real_open = os.open

    def no_write(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent == out and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_write)
    code, _, err = _cli(capsys, *_build(recipe_file, out))
    assert code == 1  # an OS error: the work failed (exit 2 is for bad arguments and input)
    _one_error_line(err, f"cannot lock build folder {out}: permission denied")
    assert list(out.iterdir()) == []


def test_out_is_a_file(tmp_path: Path, recipe_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder")
    code, _, err = _cli(capsys, *_build(recipe_file, out))
    assert code == 2
    _one_error_line(err, f"out_dir {out} exists and is not a folder")
    code, printed, _ = _cli(capsys, "verify", str(out))
    assert code == 1 and f"{out} is not a folder" in printed


class _FullDisk:
    """A file whose writes fail with ENOSPC (what a full disk does)."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fh, name)


def test_disk_full_mid_build_then_resume(tmp_path: Path, reference: Path, recipe_file: Path,
                                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    real_open = open

    def filling_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(path, mode, *args, **kwargs)
        return _FullDisk(fh) if "w" in mode and ".part-00002.parquet." in str(path) else fh

    monkeypatch.setattr("mixlab.manifest.open", filling_open, raising=False)
    code, _, err = _cli(capsys, *_build(recipe_file, out))
    assert code == 1  # an OS error: the work failed (exit 2 is for bad arguments and input)
    _one_error_line(err, f"cannot write {out / 'shards' / 'part-00002.parquet'}: no space left on device")
    assert temp_files(out) == [] and not (out / LOCK_NAME).exists() and not (out / MANIFEST_NAME).exists()
    monkeypatch.undo()
    res = build(recipe_file, out, executor="serial", progress=False)
    assert res.reused == [0, 1] and digests(out) == digests(reference)


@pytest.mark.parametrize(("argv", "needle"), [
    (["--workers", "0"], "workers must be an integer in [1, 64] (got 0)"),
    (["--workers", "-3"], "workers must be an integer in [1, 64] (got -3)"),
    (["--workers", "100000"], "workers must be an integer in [1, 64] (got 100000)"),
])
def test_bad_numbers(tmp_path: Path, recipe_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                     needle: str) -> None:
    code, _, err = _cli(capsys, *_build(recipe_file, tmp_path / "out", *argv))
    assert code == 2
    _one_error_line(err, needle)


def test_debug_flag_when_present_shows_the_traceback(tmp_path: Path) -> None:
    """With the tools helper's ``--debug`` (parsed into ``args.debug``) the handler re-raises."""
    from mixlab.cli import build_parser

    args = build_parser().parse_args(_build(tmp_path / "missing.toml", tmp_path / "out"))
    args.debug = True
    func: Callable[[Any], int] = args.func
    with pytest.raises(FileNotFoundError, match="recipe file not found"):
        func(args)


def test_verify_of_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed, _ = _cli(capsys, "verify", str(tmp_path / "nope"))
    assert code == 1 and "is not a folder" in printed
    assert not verify(tmp_path / "nope").ok
