"""The raw store: Parquet files under ``data/raw/<source>/`` and their manifest.

This module is the only code that writes into ``data/``. Fetchers and importers
hand it tables with a partition and a manifest entry; it writes them atomically
under the store lock and records them. Readers see only what the manifest
lists, de-duplicated on the source's key with the newest entry winning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retrade.config import redact
from retrade.errors import StoreDiskError, StoreError
from retrade.store.atomic import (
    TMP_SUFFIX,
    StagedFiles,
    claimed_temp_dir,
    clear_stale,
    fsync_dir,
    fsync_file,
    parquet_bytes,
    sha256_file,
    write_staged,
)
from retrade.store.journal import PENDING_NAME, commit, finish_pending
from retrade.store.lock import is_claimed, store_lock
from retrade.store.manifest import (
    MANIFEST_NAME,
    ManifestEntry,
    StoredFile,
    append_entry,
    live_files,
    read_entries,
)
from retrade.store.memory import release_memory
from retrade.store.rowkeys import key_codes, last_of_each
from retrade.store.verify import read_parquet

_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")
# the scratch folder of streaming writers, beside the source folders
STAGING_DIR = ".staging"
# where damaged files are set aside (retrade store check --repair), never deleted
QUARANTINE_DIR = ".quarantine"


@dataclass(frozen=True)
class Part:
    """One table to store at ``<source>/<k=v>/.../<stem>.parquet``.

    ``partition`` maps partition columns to values, in folder order, e.g.
    ``{"freq": "A", "reporter": "156", "period": "2020"}``; ``stem`` names the
    file inside it (a re-write of the same partition and stem replaces it).
    """

    partition: Mapping[str, str]
    stem: str
    table: pa.Table

    def relpath(self) -> str:
        pieces = [f"{k}={v}" for k, v in self.partition.items()] + [f"{self.stem}.parquet"]
        return _check_relpath("/".join(pieces))


def _check_relpath(rel: str) -> str:
    """``rel`` if every piece of it is a safe partition or file name, else :class:`StoreError`."""
    for piece in rel.split("/"):
        if not _SAFE.match(piece.replace("=", "")) or piece in (".", ".."):
            raise StoreError(f"unsafe partition or file name {piece!r}")
    if not rel.endswith(".parquet"):
        raise StoreError(f"stored files are Parquet (*.parquet), got {rel!r}")
    return rel


class RawStore:
    """Parquet files and manifest for each source under one root (``data/raw``).

    Parameters
    ----------
    root : path
        The folder holding one sub-folder per source.
    lock_timeout : float
        Seconds to wait for a concurrent writer before giving up.

    Examples
    --------
    >>> import tempfile, pyarrow as pa
    >>> store = RawStore(tempfile.mkdtemp())
    >>> part = Part({"year": "2020"}, "q1", pa.table({"k": [1, 2], "v": [3.0, 4.0]}))
    >>> entry = store.write("demo", [part], query={"year": 2020}, content_sha256="00")
    >>> store.read("demo", key=["k"])["v"].tolist()
    [3.0, 4.0]
    """

    def __init__(self, root: str | Path, *, lock_timeout: float = 600.0):
        self.root = Path(root)
        self.lock_timeout = lock_timeout

    def folder(self, source: str) -> Path:
        if not _SAFE.match(source):
            raise StoreError(f"unsafe source name {source!r}")
        return self.root / source

    # -- writing ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, source: str | None = None) -> Iterator[None]:
        """Hold the store lock, with an interrupted write of ``source`` (or all) finished first.

        An ``OSError`` from the disk (a read-only folder, a full disk) becomes
        a :class:`StoreError` naming the path.
        """
        with store_lock(self.root, timeout=self.lock_timeout), disk_errors(self.root):
            for name in [source] if source else self.sources(settle=False):
                finish_pending(self.folder(name))
            yield

    def write(
        self,
        source: str,
        parts: Sequence[Part],
        *,
        query: Mapping[str, Any],
        content_sha256: str,
        coverage: Mapping[str, Any] | None = None,
        status: str = "ok",
    ) -> ManifestEntry:
        """Write ``parts`` atomically and record them in one manifest entry.

        Every file is complete before the entry is appended, and the entry is
        appended only when all files are written; readers never see a partial
        batch, and a killed write is finished or undone, never left half done
        (:mod:`retrade.store.journal`).
        """
        folder = self.folder(source)
        with self.locked(source), StagedFiles() as staged:
            stored, moves = [], {}
            # the Parquet bytes are made in two threads (pyarrow lets go of the interpreter),
            # each written once beside its target, fsynced, and hashed from memory
            for part, data in _encoded(parts):
                rel = part.relpath()
                clear_stale(folder / rel)
                tmp = staged.new(folder / rel)
                write_staged(tmp, data)  # complete and fsynced, beside its target
                digest = hashlib.sha256(data).hexdigest()
                stored.append(StoredFile(rel, part.table.num_rows, digest))
                moves[tmp.relative_to(folder).as_posix()] = rel
            entry = _entry(source, stored, query, content_sha256, coverage, status)
            return commit(folder, entry, moves, staged)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A private scratch folder under the store root for files written piece by piece.

        Streaming writers (bulk ingestion, Dask workers) write their Parquet
        files here, then hand them to :meth:`add_files`. The folder lies outside
        every source folder and is claimed while in use, so no clean-up touches
        a file being written, and it is on the same file system, so the final
        move is atomic. It is deleted on exit, with anything not added.
        """
        with contextlib.ExitStack() as stack:
            with disk_errors(self.root):  # only the folder's creation: the caller's errors pass
                folder = stack.enter_context(claimed_temp_dir(self.root / STAGING_DIR, "stage-"))
            yield folder

    def add_files(
        self,
        source: str,
        files: Mapping[str, Path],
        *,
        query: Mapping[str, Any],
        content_sha256: str,
        coverage: Mapping[str, Any] | None = None,
    ) -> ManifestEntry:
        """Move finished Parquet files into ``source`` and record them in one manifest entry.

        Parameters
        ----------
        files : mapping of str to path
            Target path inside the source folder (``k=v/.../name.parquet``) to
            a complete Parquet file written in :meth:`staging`.

        Examples
        --------
        >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
        >>> store = RawStore(tempfile.mkdtemp())
        >>> with store.staging() as tmp:
        ...     pq.write_table(pa.table({"k": [1, 2]}), tmp / "x.parquet")
        ...     entry = store.add_files("demo", {"part=a/x.parquet": tmp / "x.parquet"},
        ...                             query={}, content_sha256="00")
        >>> entry.rows, store.read("demo")["k"].tolist()
        (2, [1, 2])
        """
        folder = self.folder(source)
        staged = {_check_relpath(rel): Path(path) for rel, path in files.items()}
        with self.locked(source), StagedFiles() as tmps:
            stored, moves = [], {}
            for rel, path in staged.items():
                rows = pq.ParquetFile(path).metadata.num_rows
                clear_stale(folder / rel)
                tmp = tmps.new(folder / rel)
                os.replace(path, tmp)  # same file system: the staging folder is in the store
                fsync_file(tmp)
                fsync_dir(tmp.parent)  # the journal written next can count on finding it
                stored.append(StoredFile(rel, rows, sha256_file(tmp)))
                moves[tmp.relative_to(folder).as_posix()] = rel
            entry = _entry(source, stored, query, content_sha256, coverage, "ok")
            return commit(folder, entry, moves, tmps)

    def remove(self, source: str, paths: Sequence[str], *, reason: str) -> ManifestEntry:
        """Retire files from the store (recorded in the manifest, then deleted)."""
        folder = self.folder(source)
        with self.locked(source):
            files = tuple(StoredFile(p, 0, "") for p in paths)
            entry = ManifestEntry(source, {"remove": reason}, 0, "", files, status="removed")
            append_entry(folder, entry)
            for p in paths:
                (folder / p).unlink(missing_ok=True)
        return entry

    def quarantine(self, source: str, paths: Sequence[str], *, reason: str) -> list[Path]:
        """Move damaged files aside to ``.quarantine/`` and retire them from the manifest.

        Nothing is deleted: the files go to
        ``<root>/.quarantine/<source>/<time>/<path>``. Once retired, the next
        fetch or import of the same data stores it again.
        """
        folder = self.folder(source)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        moved = []
        with self.locked(source):
            for rel in paths:
                if (folder / rel).exists():
                    target = self.root / QUARANTINE_DIR / source / stamp / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(folder / rel, target)
                    moved.append(target)
            files = tuple(StoredFile(p, 0, "") for p in paths)
            entry = ManifestEntry(source, {"remove": reason}, 0, "", files, status="removed")
            append_entry(folder, entry)
        return moved

    def clean_orphans(self, source: str) -> list[Path]:
        """Delete Parquet and temp files no manifest entry lists (left by killed writers).

        An interrupted write is finished first, and a temporary file a live
        process still claims is left alone; listed (live) files are never touched.
        """
        folder = self.folder(source)
        with self.locked(source):
            return [path for path in orphans(folder) if _unlink(path)]

    # -- reading ----------------------------------------------------------------------------
    def entries(self, source: str) -> list[ManifestEntry]:
        """The manifest of ``source``, oldest first (an interrupted write finished first)."""
        folder = self.folder(source)
        if (folder / PENDING_NAME).exists():
            with self.locked(source):
                pass
        return read_entries(folder)

    def manifest(self, source: str) -> pd.DataFrame:
        """The manifest as a table, one row per entry."""
        rows = [
            {
                **{k: v for k, v in entry.__dict__.items() if k != "files"},
                "n_files": len(entry.files),
            }
            for entry in self.entries(source)
        ]
        return pd.DataFrame(rows)

    def sources(self, *, settle: bool = True) -> list[str]:
        """Sources that have a manifest (or the journal of a first write to finish)."""
        if not self.root.exists():
            return []
        pending = {p.parent.name for p in self.root.glob(f"*/{PENDING_NAME}")}
        if pending and settle:
            with self.locked():
                pass
        found = {p.parent.name for p in self.root.glob(f"*/{MANIFEST_NAME}")} | pending
        return sorted(name for name in found if _SAFE.match(name))

    def read(
        self,
        source: str,
        *,
        key: Sequence[str] | None = None,
        columns: Sequence[str] | None = None,
        where: Mapping[str, Any] | None = None,
        verify: bool = True,
        missing_ok: bool = False,
        text_codes: bool = False,
    ) -> pd.DataFrame:
        """All live rows of ``source``.

        Parameters
        ----------
        key : list of str, optional
            Columns that identify an observation; where two files hold the same
            key, the row from the most recent manifest entry is kept.
        columns : list of str, optional
            Columns to return (plus the key).
        where : dict, optional
            Partition values to keep, e.g. ``{"reporter": "156"}``.
        verify : bool
            Check each file against the SHA-256 its manifest entry recorded
            (the bytes are hashed as they are read, so this costs no second
            read); a changed, damaged or missing file raises
            :class:`~retrade.errors.StoreIntegrityError` naming it.
        missing_ok : bool
            A column of ``columns`` that a file lacks is missing on that
            file's rows (left out altogether if no file has it), as when every
            column is read; by default a file lacking one is an error.
        text_codes : bool
            Text columns as pandas categoricals (Arrow dictionary-encodes them
            as it converts) instead of ``string`` columns of one Python ``str``
            per cell: the same values, for readers that work on distinct
            values (the panel build's Comtrade adapters; 0.14 s less at 3x10^5
            rows, and a code per cell instead of a pointer).

        Notes
        -----
        The files are read as one table: each file's bytes are read and
        hashed once and parsed from the same buffer (a few files at a time,
        in threads: pyarrow and hashlib release the interpreter lock), the
        tables concatenated once, and the newest row of each key kept by whole-
        column integer codes of the key (:func:`_keep_last`).
        """
        folder = self.folder(source)
        entries = self.entries(source)
        position = {entry.entry_id: i for i, entry in enumerate(entries)}
        # newest last, by place in the manifest (timestamps can tie)
        by_age = sorted(live_files(entries).items(), key=lambda kv: position[kv[1][1].entry_id])
        wanted = [(rel, stored, entry) for rel, (stored, entry) in by_age
                  if not where or _partition_matches(rel, where)]
        names = _with_key(columns, key)

        def one(item: tuple[str, StoredFile, ManifestEntry]) -> pa.Table:
            rel, stored, entry = item
            fix = (f"it was written by manifest entry {entry.entry_id} ({_what(entry)}); "
                   "`retrade store check --repair` sets it aside, then re-run that import "
                   "or fetch to store it again")
            return read_parquet(folder / rel, columns=names, missing_ok=missing_ok,
                                sha256=stored.sha256 if verify else None, fix=fix)

        tables = [t for t in _map_files(one, wanted) if t.num_columns]  # an empty answer's file
        if not tables:  # has no columns
            return pd.DataFrame(columns=list(columns or []))
        # one Arrow concatenation, de-duplication in Arrow, one conversion to pandas
        table = pa.concat_tables(tables, promote_options="permissive")
        del tables
        if key:
            table = _keep_last(table, list(key))
        return _to_pandas(table, text_codes=text_codes)

    def copy_to(self, other_root: str | Path) -> None:
        """Copy this store to ``other_root`` (for snapshots in tests and reports)."""
        shutil.copytree(self.root, other_root, dirs_exist_ok=True)


def _encoded(parts: Sequence[Part], ahead: int = 4) -> Iterator[tuple[Part, bytes]]:
    """Each part with its Parquet bytes, in order, encoded in two threads a few parts ahead.

    ``parts`` may build each part when asked (the importer's partitions do, to
    keep one copy of the rows at a time): at most ``ahead`` are held at once.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        pending: deque = deque()
        for part in parts:
            pending.append((part, pool.submit(parquet_bytes, part.table)))
            if len(pending) > ahead:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def _to_pandas(table: pa.Table, *, text_codes: bool = False) -> pd.DataFrame:
    """``table.to_pandas()``, giving each column's Arrow memory back as it is converted.

    The caller must hold no other reference to ``table``'s buffers. Freed
    memory goes back to the system at once (:mod:`retrade.store.memory`): at
    10^6 rows the Arrow pool would otherwise keep some 500 MB that pandas has
    copied out. (Reading text through dictionaries, as processed tables are
    read, saved 0.05 s at 300k rows but raised the build's peak at 10^6 rows
    by some 150 MB.) ``text_codes``: text columns as categoricals.
    """
    release_memory()  # what the de-duplication's hash table used
    frame = table.to_pandas(self_destruct=True, split_blocks=True,
                            strings_to_categorical=text_codes)
    del table
    release_memory()
    return frame


def _map_files(fn, items: list) -> list:
    """``[fn(item) for item in items]``, over two threads when there are many files."""
    if len(items) < 8:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(fn, items))


def _keep_last(table: pa.Table, key: list[str]) -> pa.Table:
    """Rows of ``table`` with the last occurrence of each key, in their original order.

    A key column no stored file has is the same (missing) for every row and is
    left out; a key none of whose columns exist is an error. Keys of integer,
    text, boolean and date-time columns are compared by integer codes
    (:mod:`retrade.store.rowkeys`); others (a floating-point column) are
    grouped by pyarrow's Acero, which gives the same rows.
    """
    present = [k for k in key if k in table.column_names]
    if not present:
        raise StoreError(f"cannot de-duplicate on {key}: the stored files lack every one of them")
    key = _varying(table, present)
    if all(_ordered(table.schema.field(k).type) for k in key):
        last = last_of_each(key_codes(table, key))
        return table if last is None else table.take(last)
    rows = pa.array(np.arange(table.num_rows, dtype=np.int64))
    last = (table.select(key).append_column("_row", rows)
            .group_by(key, use_threads=False).aggregate([("_row", "max")]))["_row_max"]
    if len(last) == table.num_rows:  # no key twice: every row is the newest of its key
        return table
    return table.take(np.sort(last.to_numpy()))


def _varying(table: pa.Table, key: list[str]) -> list[str]:
    """The columns of ``key`` that do not hold one value on every row (at least one column).

    A column with the same value on every row, or missing on every row, puts
    every row in the same group: grouping without it gives the same groups
    (a Comtrade key has twelve columns; in one download half of them are
    constant, such as the type, the classification, the customs and transport codes).
    Only integer, text, boolean and date-time columns are looked at (a
    floating-point NaN has no place in a min-max); the others are kept.
    """
    import pyarrow.compute as pc

    varying = []
    for name in key:
        column = table[name]
        if column.null_count == len(column):
            continue
        if column.null_count == 0 and _ordered(column.type):
            bounds = pc.min_max(column)
            if bounds["min"].is_valid and bounds["min"] == bounds["max"]:
                continue
        varying.append(name)
    return varying or key[:1]


def _ordered(kind: pa.DataType) -> bool:
    t = pa.types
    return bool(t.is_integer(kind) or t.is_string(kind) or t.is_large_string(kind)
                or t.is_boolean(kind) or t.is_temporal(kind))


def _entry(
    source: str,
    stored: Sequence[StoredFile],
    query: Mapping[str, Any],
    content_sha256: str,
    coverage: Mapping[str, Any] | None,
    status: str,
) -> ManifestEntry:
    """The manifest entry for files just staged."""
    return ManifestEntry(
        source=source,
        query=dict(query),
        rows=sum(f.rows for f in stored),
        content_sha256=content_sha256,
        files=tuple(stored),
        coverage=dict(coverage or {}),
        status=status,
    )


def _what(entry: ManifestEntry) -> str:
    """A few words on what wrote an entry: the imported file, or the query."""
    query = entry.query
    if "file" in query:
        return f"import of {query['file']}"
    return f"{entry.source} query {redact(json.dumps(query, sort_keys=True, default=str))[:80]}"


def orphans(folder: Path) -> list[Path]:
    """Files in a source folder that no live entry lists: stray Parquet, unclaimed temp files.

    Call under the store lock with any interrupted write finished. The
    manifest, the journal and every listed file are left out.
    """
    if not folder.is_dir():
        return []
    live = set(live_files(read_entries(folder)))
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or rel in live:
            continue
        if path.suffix == ".parquet" or (path.suffix == TMP_SUFFIX and not is_claimed(path)):
            found.append(path)
    return found


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    parent = path.parent
    while "=" in parent.name:  # drop partition folders (k=v) left empty
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return True


@contextlib.contextmanager
def disk_errors(root: Path) -> Iterator[None]:
    """Turn an ``OSError`` of the disk under ``root`` into a :class:`StoreDiskError` naming it.

    A ``StoreError`` raised inside (already clear) passes unchanged.
    """
    try:
        yield
    except StoreError:
        raise
    except OSError as exc:
        where = exc.filename or root
        reason = exc.strerror or str(exc)
        raise StoreDiskError(f"cannot use the store at {where}: {reason}") from None


def _partition_matches(rel: str, where: Mapping[str, Any]) -> bool:
    values = dict(piece.split("=", 1) for piece in rel.split("/")[:-1] if "=" in piece)
    return all(str(values.get(k)) == str(v) for k, v in where.items() if k in values)


def _with_key(columns: Sequence[str] | None, key: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    return list(dict.fromkeys([*columns, *(key or [])]))


def with_status(entry: ManifestEntry, status: str) -> ManifestEntry:
    """A copy of ``entry`` with another status."""
    return replace(entry, status=status)
