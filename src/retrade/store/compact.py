"""Compaction: retire stored rows that newer files supersede, so the disk holds each row once.

A reader keeps, for each observation key, the row of the newest manifest
entry (:meth:`retrade.store.RawStore.read`). A fetch that is stopped and later
resumed with a differently split plan can leave older files whose rows newer
files all repeat: 100 rows on disk for 80 observations. :func:`compact` finds,
under the store lock, the rows no reader would return and

* retires a file none of whose rows survive (a ``removed`` manifest entry,
  then the file is deleted);
* rewrites in place a file only some of whose rows survive, keeping those
  (a ``compacted`` manifest entry records the new content).

The readers' result is the same set of rows before and after (the rows of a
rewritten file move to the end of the read order, which no reader relies on:
keys are unique). Compaction is safe at any time: it holds the store lock for
its whole run, so no fetch or import writes meanwhile, and a process killed
midway leaves either the old files or the compacted ones, each listed in the
manifest with its hash, with the same rows visible to readers (a rewrite goes
through the store's journal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from retrade.errors import StoreError
from retrade.store.atomic import StagedFiles, sha256_file, write_parquet_atomic
from retrade.store.journal import commit
from retrade.store.manifest import ManifestEntry, StoredFile, append_entry, live_files, read_entries
from retrade.store.raw import RawStore


@dataclass(frozen=True)
class CompactReport:
    """What :func:`compact` did to one source.

    Attributes
    ----------
    source : str
        The store folder compacted.
    files_before, rows_before : int
        Live files and the rows in them before compaction.
    removed : tuple of str
        Files retired because newer files hold every one of their rows.
    rewritten : tuple of str
        Files rewritten with the rows no newer file holds.
    rows_after : int
        Rows in the live files afterwards: the distinct observations.
    """

    source: str
    files_before: int
    rows_before: int
    removed: tuple[str, ...]
    rewritten: tuple[str, ...]
    rows_after: int

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.rewritten)

    def summary(self) -> str:
        """One line for the command line."""
        if not self.changed:
            return (f"{self.source}: nothing to compact ({self.files_before} file(s), "
                    f"{self.rows_before:,} rows, each stored once)")
        return (f"{self.source}: {self.rows_before:,} rows in {self.files_before} file(s) -> "
                f"{self.rows_after:,}; {len(self.removed)} superseded file(s) removed, "
                f"{len(self.rewritten)} rewritten")


def compact(store: RawStore, source: str, *, key: Sequence[str]) -> CompactReport:
    """Remove from ``source`` the stored rows that newer entries supersede on ``key``.

    Parameters
    ----------
    store : RawStore
        The raw store.
    source : str
        A source folder with a manifest.
    key : list of str
        The observation key, as the source's readers use it (for Comtrade
        :data:`retrade.catalog.comtrade_v1.V1_KEY`).

    Examples
    --------
    >>> import tempfile, pyarrow as pa
    >>> from retrade.store import Part
    >>> s = RawStore(tempfile.mkdtemp())
    >>> _ = s.write("demo", [Part({"p": "1"}, "a", pa.table({"k": [1, 2], "v": [0., 0.]}))],
    ...             query={}, content_sha256="")
    >>> _ = s.write("demo", [Part({"p": "1"}, "b", pa.table({"k": [1, 2], "v": [1., 1.]}))],
    ...             query={}, content_sha256="")
    >>> report = compact(s, "demo", key=["k"])
    >>> report.removed, report.rows_after, s.read("demo", key=["k"])["v"].tolist()
    (('p=1/a.parquet',), 2, [1.0, 1.0])
    """
    key = list(key)
    if not key:
        raise StoreError("compaction needs the source's observation key")
    folder = store.folder(source)
    with store.locked(source):  # an interrupted write of the source is finished first
        entries = read_entries(folder)
        position = {entry.entry_id: i for i, entry in enumerate(entries)}
        live = sorted(live_files(entries).items(), key=lambda kv: position[kv[1][1].entry_id])
        paths = [rel for rel, _ in live]
        kept = _surviving_rows(folder, paths, key)
        removed = [rel for rel, rows in zip(paths, kept, strict=True)
                   if rows is not None and len(rows) == 0]
        partial = {rel: rows for rel, rows in zip(paths, kept, strict=True)
                   if rows is not None and 0 < len(rows) < _rows(folder / rel)}
        before = [_rows(folder / rel) for rel in paths]
        if partial:
            _rewrite(folder, source, partial, key)
        if removed:
            files = tuple(StoredFile(p, 0, "") for p in removed)
            append_entry(folder, ManifestEntry(
                source, {"remove": "superseded by newer files (compaction)"}, 0, "", files,
                status="removed"))
            for rel in removed:
                (folder / rel).unlink(missing_ok=True)
    after = sum(n for rel, n in zip(paths, before, strict=True) if rel not in removed)
    after -= sum(n - len(partial[rel]) for rel, n in zip(paths, before, strict=True)
                 if rel in partial)
    return CompactReport(source, len(paths), sum(before), tuple(removed), tuple(partial), after)


def _rows(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def _surviving_rows(folder: Path, paths: list[str], key: list[str]) -> list[np.ndarray | None]:
    """For each file (oldest first), the row numbers a reader keeps; ``None``: not comparable.

    Only the key columns are read. A file without columns (an empty answer)
    or without any key column is left as it is (``None``).
    """
    tables, owners = [], []
    for number, rel in enumerate(paths):
        path = folder / rel
        if not path.exists():
            raise StoreError(f"{path} is listed in the manifest but missing; re-run the fetch")
        names = pq.ParquetFile(path).schema_arrow.names
        present = [k for k in key if k in names]
        if not present:
            continue
        table = pq.read_table(path, columns=present)
        tables.append(table)
        owners.append(np.full(table.num_rows, number, dtype=np.int64))
    out: list[np.ndarray | None] = [None] * len(paths)
    if not tables:
        return out
    keys = pa.concat_tables(tables, promote_options="permissive")
    owner = np.concatenate(owners)
    local = np.concatenate([np.arange(t.num_rows, dtype=np.int64) for t in tables])
    present = [k for k in key if k in keys.column_names]
    rows = pa.array(np.arange(keys.num_rows, dtype=np.int64))
    last = (keys.select(present).append_column("_row", rows)
            .group_by(present, use_threads=False).aggregate([("_row", "max")]))["_row_max"]
    keep = np.zeros(keys.num_rows, dtype=bool)
    keep[last.to_numpy()] = True
    for number in np.unique(owner):
        mine = owner == number
        out[int(number)] = local[mine & keep]
    return out


def _rewrite(folder: Path, source: str, partial: dict[str, np.ndarray], key: list[str]) -> None:
    """Rewrite each file with its surviving rows and record them in one manifest entry.

    Through the store's journal (:mod:`retrade.store.journal`): the new
    contents are staged beside the files and switched in with their entry, so
    a kill never leaves a file whose content its manifest entry does not hash.
    """
    stored, moves = [], {}
    with StagedFiles() as staged:
        for rel, rows in partial.items():
            table = pq.read_table(folder / rel).take(pa.array(np.sort(rows)))
            tmp = staged.new(folder / rel)
            write_parquet_atomic(tmp, table)
            stored.append(StoredFile(rel, table.num_rows, sha256_file(tmp)))
            moves[tmp.relative_to(folder).as_posix()] = rel
        entry = ManifestEntry(source, {"compact": key}, sum(f.rows for f in stored), "",
                              tuple(stored), coverage={"kind": "compact", "key": key},
                              status="compacted")
        commit(folder, entry, moves, staged)
