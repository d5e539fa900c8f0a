"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Each write goes to a temporary file in the destination folder, is flushed and
fsynced, and is then renamed over the target with :func:`os.replace`, which is
atomic on POSIX and Windows for paths on the same file system.

Files and folders are created with the user's umask, like any other tool's
(``0644``/``0755`` under the usual ``022``, group-readable under ``002``):
nothing here forces ``0600`` or ``0700``. Temporary files and folders are
*claimed* (:func:`retrade.store.lock.claim`) while they are written, so a
clean-up never removes one a live process is still writing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from retrade.store.lock import claim, hold, is_claimed, release

TMP_SUFFIX = ".tmp"


def new_temp_file(folder: str | Path, prefix: str, suffix: str = TMP_SUFFIX) -> Path:
    """Create an empty file with a fresh name in ``folder``, mode ``0666`` less the umask.

    Unlike :func:`tempfile.mkstemp` (always ``0600``), the file ends up with
    the permissions any other new file of the user would have.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = new_temp_file(tempfile.mkdtemp(), ".x.")
    >>> path.name.startswith(".x.") and path.name.endswith(".tmp") and path.stat().st_size == 0
    True
    """
    path, fd = _create(Path(folder), prefix, suffix)
    os.close(fd)
    return path


def _create(folder: Path, prefix: str, suffix: str) -> tuple[Path, int]:
    folder.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            return path, os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    raise FileExistsError(f"no free temporary name in {folder}")  # pragma: no cover


def new_temp_dir(parent: str | Path, prefix: str) -> Path:
    """Create a folder with a fresh name in ``parent``, mode ``0777`` less the umask.

    Examples
    --------
    >>> import tempfile
    >>> new_temp_dir(tempfile.mkdtemp(), ".stage.").is_dir()
    True
    """
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(path, 0o777)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        return path
    raise FileExistsError(f"no free temporary name in {parent}")  # pragma: no cover


@contextlib.contextmanager
def claimed_temp_dir(parent: str | Path, prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A fresh folder in ``parent``, claimed while the block runs, removed after it.

    With ``keep=True`` the folder is left for the caller (who renamed it
    into place, say); it is removed only if the block raised.

    Examples
    --------
    >>> import tempfile
    >>> from retrade.store.lock import is_claimed
    >>> with claimed_temp_dir(tempfile.mkdtemp(), ".work.") as folder:
    ...     is_claimed(folder)
    True
    >>> folder.exists()
    False
    """
    folder = new_temp_dir(parent, prefix)
    fd = claim(folder)
    ok = False
    try:
        yield folder
        ok = True
    finally:
        release(fd)
        if not (ok and keep):
            shutil.rmtree(folder, ignore_errors=True)


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
    with staged_path(target) as tmp:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)


@contextlib.contextmanager
def staged_path(target: str | Path) -> Iterator[Path]:
    """A claimed temporary file beside ``target`` (``.<name>.<random>.tmp``), removed after.

    A caller that moved it elsewhere in the block leaves nothing to remove.
    An interrupt (``KeyboardInterrupt``, ``SystemExit``) is treated like a
    kill: the file is left, unclaimed, for the next write of ``target``
    (:func:`clear_stale`) or a clean-up to remove.
    """
    target = Path(target)
    tmp, fd = _create(target.parent, f".{target.name}.", TMP_SUFFIX)
    hold(fd)  # claimed from the moment it exists
    try:
        yield tmp
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    else:
        tmp.unlink(missing_ok=True)
    finally:
        release(fd)


class StagedFiles:
    """Claimed temporary files beside their targets, for a write that commits them together.

    Until :meth:`commit` is called, leaving the block removes them (an
    interrupt excepted: it is treated like a kill, see :func:`staged_path`).
    Once committed they belong to the commit's journal and are never removed
    here: a failure while moving them into place leaves them for the
    journal's recovery.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with StagedFiles() as staged:
    ...     tmp = staged.new(d / "x.parquet")
    >>> tmp.exists()
    False
    """

    def __init__(self) -> None:
        self._files: list[tuple[Path, int]] = []
        self.committed = False

    def new(self, target: str | Path) -> Path:
        """A fresh claimed temporary file beside ``target``."""
        target = Path(target)
        tmp, fd = _create(target.parent, f".{target.name}.", TMP_SUFFIX)
        hold(fd)
        self._files.append((tmp, fd))
        return tmp

    def commit(self) -> None:
        """The files now belong to a written journal: never remove them here."""
        self.committed = True

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        remove = not self.committed and (kind is None or issubclass(kind, Exception))
        for tmp, fd in self._files:
            release(fd)
            if remove:
                tmp.unlink(missing_ok=True)


def clear_stale(target: str | Path) -> list[Path]:
    """Remove temporary files of earlier, dead writes of ``target`` (unclaimed siblings).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / ".x.parquet.0a1b.tmp").write_text("left by a killed write")
    >>> [p.name for p in clear_stale(d / "x.parquet")]
    ['.x.parquet.0a1b.tmp']
    """
    target = Path(target)
    stale = [p for p in target.parent.glob(f".{glob_escape(target.name)}.*{TMP_SUFFIX}")
             if not is_claimed(p)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters escaped."""
    import glob

    return glob.escape(name)


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


def fsync_file(path: str | Path) -> None:
    """Flush ``path``'s bytes to disk (before a rename that must not expose half a file)."""
    _fsync(Path(path))


def fsync_dir(path: str | Path) -> None:
    """Flush a folder's entries to disk (after a rename that must survive a crash)."""
    _fsync_dir(Path(path))


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


def write_staged(tmp: str | Path, data: bytes) -> Path:
    """Fill a claimed temporary file with ``data``, durably: the bytes, then its folder entry.

    ``tmp`` is a file :class:`StagedFiles` made beside its target; no reader
    looks at it until a journal names it, so it is written in place (no
    second temporary file), fsynced, and its folder fsynced so that a
    journal written after it can count on finding it after a crash.
    """
    tmp = Path(tmp)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(tmp.parent)
    return tmp


def rename_durably(source: str | Path, target: str | Path) -> Path:
    """Rename a file already fsynced onto ``target`` (same file system), then fsync the folder.

    For staged files (:func:`write_staged`), whose bytes are on disk before
    the journal that moves them exists; :func:`move_atomic` fsyncs the file
    first for files written without that guarantee.
    """
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)
    _fsync_dir(target.parent)
    return target


def parquet_bytes(table: pa.Table, *, compression: str = "zstd") -> bytes:
    """``table`` as the bytes of a Parquet file (as :func:`write_parquet_atomic` writes it)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=compression)
    return sink.getvalue().to_pybytes()


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
