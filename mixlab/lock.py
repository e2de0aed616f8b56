"""An exclusive lock on a build folder: one build at a time, and a killed build's lock taken over safely.

The lock is the file ``OUT/.mixlab-build.lock`` holding the holder's pid, host and start time,
locked with ``flock`` (POSIX). The kernel releases an ``flock`` when its holder dies, however it
dies (SIGKILL, OOM killer), so a lock file whose lock is free is *stale*: the next build takes
it over and says whose it was. Taking it is atomic: ``flock(LOCK_EX | LOCK_NB)`` either
succeeds at once or fails at once (a second build exits naming the holder); after taking it,
the holder checks that the name still points at the locked file (a releasing build unlinks it),
so two builds can never both believe they hold the folder.

Worker processes forked by the build inherit the lock, so it stays held while any of them runs.
Where ``fcntl`` is missing (Windows), the lock file is created with ``O_EXCL`` and a lock whose
pid no longer runs is taken over.

Used in: A.1 (a build owns its folder).
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from types import TracebackType

from mixlab.manifest import LOCK_NAME, os_error

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["FolderLocked", "BuildLock"]


class FolderLocked(OSError):
    """Another build holds the folder's lock (the message names its pid, host and start time).

    Used in: :class:`BuildLock`, :func:`mixlab.build.build` (raised to the caller).
    """


def _describe(text: str) -> str:
    parts = text.split()
    if len(parts) >= 3:
        return f"pid {parts[0]} on {parts[1]}, started {' '.join(parts[2:])}"
    return f"holder {text.strip()!r}" if text.strip() else "a holder that has not written its pid yet"


def _pid_of(text: str) -> int | None:
    head = text.split()[:1]
    return int(head[0]) if head and head[0].isdigit() else None


class BuildLock:
    """Exclusive lock on a build folder, as a context manager (creates the folder if needed).

    Parameters
    ----------
    folder : path-like
        The build folder.

    Attributes
    ----------
    path : pathlib.Path
        The lock file.
    created : bool
        True when acquiring the lock created the folder.
    took_over : str or None
        Who held the stale lock this build took over (None when the lock was free).

    Raises
    ------
    FolderLocked
        On entry, if another live build holds the lock.
    OSError
        If the folder cannot be created or written (the message names it).

    Used in: :func:`mixlab.build.build`; A.1 (the notebook holds a folder to show the refusal).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.created = False
        self.took_over: str | None = None
        self._fd: int | None = None

    def _stamp(self) -> bytes:
        return f"{os.getpid()} {socket.gethostname() or 'localhost'} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode()

    def check_not_held(self) -> None:
        """Raise :class:`FolderLocked` at once if a live build holds the lock (reads only, creates nothing).

        A cheap early check, so a second build stops before it plans anything; :meth:`acquire`
        remains the authoritative one.
        """
        if fcntl is None or not self.path.is_file():  # pragma: no cover - Windows: acquire() decides
            return
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise self._locked(os.pread(fd, 200, 0).decode(errors="replace")) from None
        finally:
            os.close(fd)  # closing releases the shared lock

    def _locked(self, holder: str) -> FolderLocked:
        return FolderLocked(f"{self.folder} is locked by another build ({_describe(holder)}; lock file {self.path}); "
                            "wait for it to finish or stop it, then run this build again")

    def acquire(self) -> BuildLock:
        """Take the lock (see the module docstring); return self."""
        try:
            self.created = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            for _ in range(20):  # retried only when a releasing holder unlinked the file under us
                if self._try_once():
                    return self
        except FolderLocked:
            raise
        except OSError as exc:
            raise os_error(exc, f"cannot lock build folder {self.folder}") from None
        raise FolderLocked(f"{self.folder}: could not take the build lock {self.path} after 20 tries")

    def _try_once(self) -> bool:
        if fcntl is None:  # pragma: no cover - Windows
            return self._try_exclusive_create()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace")
            os.close(fd)
            raise self._locked(holder) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return False
        previous = os.pread(fd, 200, 0).decode(errors="replace").strip()
        self.took_over = _describe(previous) if previous else None
        os.ftruncate(fd, 0)
        os.pwrite(fd, self._stamp(), 0)
        self._fd = fd
        return True

    def _try_exclusive_create(self) -> bool:  # pragma: no cover - Windows fallback
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = self.path.read_text(errors="replace")
            pid = _pid_of(holder)
            if pid is not None and _alive(pid):
                raise FolderLocked(f"{self.folder} is locked by another build ({_describe(holder)})") from None
            self.took_over = _describe(holder)
            self.path.unlink(missing_ok=True)
            return False
        os.write(fd, self._stamp())
        self._fd = fd
        return True

    def release(self) -> None:
        """Remove the lock file and let go of the lock (idempotent)."""
        if self._fd is None:
            return
        try:
            if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                self.path.unlink()
        except FileNotFoundError:
            pass
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> BuildLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _alive(pid: int) -> bool:  # pragma: no cover - Windows fallback
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
