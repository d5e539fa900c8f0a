"""An inter-process write lock for the store, so two fetches at once cannot corrupt it.

The lock is an advisory ``fcntl.flock`` on ``<root>/.lock`` (``msvcrt`` on
Windows). The operating system releases it when the holder dies, so a killed
fetch never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from retrade.errors import StoreLocked

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


@contextlib.contextmanager
def store_lock(root: str | Path, *, timeout: float = 600.0, poll: float = 0.05) -> Iterator[None]:
    """Hold the exclusive write lock of the store at ``root``.

    Parameters
    ----------
    root : path
        The store folder; the lock file is ``root/.lock``.
    timeout : float
        Seconds to wait for another writer before raising :class:`StoreLocked`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise StoreLocked(
                    f"the store at {root} is locked by another retrade process "
                    f"(waited {timeout:.0f}s); try again when it has finished"
                )
            time.sleep(poll)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
