"""An inter-process write lock for the store, and claims on files being written.

The lock is an advisory ``fcntl.flock`` on ``<root>/.lock`` (``msvcrt`` on
Windows). The operating system releases it when the holder dies, so a killed
fetch never leaves a stale lock behind. The lock is re-entrant within one
thread: a store method that takes it may call another that takes it too.

A *claim* is the same kind of lock held on a temporary file or folder while
it is being written (:func:`claim`). A clean-up that finds a temporary file
nobody claims (:func:`is_claimed`) knows its writer is dead, whatever its
age, and may remove it; one still claimed belongs to a live process and is
left alone.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from retrade.errors import StoreError, StoreLocked

try:  # POSIX
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    CLAIMS_WORK = True

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]

    CLAIMS_WORK = False  # folders cannot be locked: clean-ups go by age instead

# lock files this thread holds, with how many times: the lock is re-entrant per thread
_held = threading.local()


def _holds() -> dict[str, int]:
    if not hasattr(_held, "roots"):
        _held.roots = {}
    return _held.roots  # type: ignore[no-any-return]


def _open_lock_file(root: Path) -> int:
    try:
        root.mkdir(parents=True, exist_ok=True)
        return os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        if (root / ".lock").exists():  # a read-only store can still be read under its lock
            return os.open(root / ".lock", os.O_RDONLY)
        raise StoreError(f"cannot write to the store at {root}: permission denied") from None
    except OSError as exc:
        raise StoreError(f"cannot use the store at {root}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def store_lock(root: str | Path, *, timeout: float = 600.0, poll: float = 0.05) -> Iterator[None]:
    """Hold the exclusive write lock of the store at ``root``.

    Parameters
    ----------
    root : path
        The store folder; the lock file is ``root/.lock``.
    timeout : float
        Seconds to wait for another writer before raising :class:`StoreLocked`.

    Examples
    --------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> with store_lock(root):
    ...     with store_lock(root):  # re-entrant in the same thread
    ...         pass
    """
    root = Path(root)
    key = str(root.absolute())
    holds = _holds()
    if holds.get(key):
        holds[key] += 1
        try:
            yield
        finally:
            holds[key] -= 1
        return
    fd = _open_lock_file(root)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise StoreLocked(
                    f"the store at {root} is locked by another retrade process "
                    f"(waited {timeout:.0f}s); try again when it has finished"
                )
            time.sleep(poll)
        holds[key] = 1
        try:
            yield
        finally:
            holds.pop(key, None)
            _unlock(fd)
    finally:
        os.close(fd)


def claim(path: str | Path) -> int:
    """Lock the file or folder ``path`` as being written; return the descriptor to release.

    The claim lasts until :func:`release` (or the process's death).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> fd = claim(folder)
    >>> is_claimed(folder)
    True
    >>> release(fd)
    >>> is_claimed(folder)
    False
    """
    fd = os.open(path, os.O_RDONLY)
    hold(fd)
    return fd


def hold(fd: int) -> None:
    """Claim the file or folder open as ``fd`` (see :func:`claim`)."""
    if CLAIMS_WORK and not _try_lock(fd):  # pragma: no cover - a fresh unique name
        os.close(fd)
        raise StoreError("a temporary file is already being written by another process")


def release(fd: int) -> None:
    """End a claim made by :func:`claim`."""
    with contextlib.suppress(OSError):
        os.close(fd)  # closing the descriptor drops its lock


def is_claimed(path: str | Path, *, max_age: float = 86_400.0) -> bool:
    """Whether a live process is still writing ``path`` (a claimed temporary file or folder).

    Where locks on folders are not available (Windows), a leftover younger
    than ``max_age`` seconds counts as claimed.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # gone already
    try:
        if not CLAIMS_WORK:  # pragma: no cover - Windows
            return time.time() - os.stat(fd).st_mtime < max_age
        if _try_lock(fd):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)
