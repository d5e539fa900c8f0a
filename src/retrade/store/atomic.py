"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Each write goes to a temporary file in the destination folder, is flushed and
fsynced, and is then renamed over the target with :func:`os.replace`, which is
atomic on POSIX and Windows for paths on the same file system.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it over ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "x.txt").read_text()
    'hello'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every platform
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically and return the path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_parquet_atomic(
    target: str | Path, table: pa.Table, *, compression: str = "zstd"
) -> Path:
    """Write an Arrow table to ``target`` as Parquet, atomically.

    No custom key/value metadata beyond the Arrow schema is written, so nothing
    from a request (URLs, keys) can leak into the file.
    """
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression=compression)
    return Path(target)


def move_atomic(source: str | Path, target: str | Path) -> Path:
    """Move a finished file onto ``target`` atomically (same file system), durably.

    The file is fsynced before the rename and the target folder after it, so
    after a crash ``target`` is either the old file or the whole new one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "new.txt").write_text("v2")
    >>> move_atomic(d / "new.txt", d / "sub" / "x.txt").read_text()
    'v2'
    """
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _fsync(source)
    os.replace(source, target)
    _fsync_dir(target.parent)
    return target


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
