"""Tables derived from the raw store, under ``data/processed/`` (the panel and its companions).

The tables one build makes (``panel``, ``quality``, ``mirror`` ...) and its
record (``panel_build.json``, holding each table's SHA-256) are one *set*,
written as one unit by :meth:`ProcessedStore.write_set`:

1. every file is written and fsynced in a fresh staging folder
   (``data/processed/.set-<random>/``);
2. a switch journal (``_switch.json``) naming the files is written
   atomically: this is the moment the new set exists;
3. the files are renamed into place, tables of the old set that the new one
   lacks are removed, the record goes last, and the journal is deleted.

A process killed before step 2 leaves the old set untouched (and a staging
folder that ``retrade store check --repair`` or the next build removes); one
killed during step 3 leaves a journal that the next reader or writer finishes
under the store lock. Readers check what they read against the record: a
table whose bytes do not hash to the recorded value (a set mixed by an older
version, or a file changed by hand) is refused with an error naming it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retrade.config import redact
from retrade.errors import StoreError, StoreIntegrityError
from retrade.store.atomic import (
    fsync_dir,
    fsync_file,
    new_temp_dir,
    sha256_file,
    write_bytes_atomic,
    write_parquet_atomic,
)
from retrade.store.lock import store_lock
from retrade.store.memory import release_memory
from retrade.store.verify import read_parquet

# the record of the current set: the panel build's manifest (retrade.panel.build writes it)
SET_RECORD = "panel_build"
SWITCH_NAME = "_switch.json"
STAGING_PREFIX = ".set-"
_REBUILD = "rebuild it with `retrade panel build` (or run `retrade store check`)"


class ProcessedStore:
    """Named Parquet tables in one folder; a build's tables are replaced together as one set.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> ps = ProcessedStore(tempfile.mkdtemp())
    >>> _ = ps.write("demo", pd.DataFrame({"a": [1]}))
    >>> ps.read("demo")["a"].tolist()
    [1]
    """

    def __init__(self, root: str | Path, *, lock_timeout: float = 600.0):
        self.root = Path(root)
        self.lock_timeout = lock_timeout

    def path(self, name: str) -> Path:
        if not name.replace("_", "").isalnum():
            raise StoreError(f"table name must be letters, digits and underscores, got {name!r}")
        return self.root / f"{name}.parquet"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store lock, with any interrupted set switch finished first."""
        with store_lock(self.root, timeout=self.lock_timeout):
            finish_switch(self.root)
            yield

    # -- writing ----------------------------------------------------------------------------

    def write(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as a table of its own, replacing any previous version atomically.

        A table that belongs to the current set (listed in its record) is
        refused: replacing it alone would break the set; use :meth:`write_set`.
        """
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with self.locked():
            if name in self.set_hashes():
                raise StoreError(
                    f"{name!r} belongs to the set recorded in {SET_RECORD}.json; "
                    "write the whole set (write_set) so the tables stay consistent"
                )
            return write_parquet_atomic(self.path(name), table)

    def write_set(
        self, tables: Mapping[str, pd.DataFrame], record: Mapping[str, Any], *,
        coded: Mapping[str, pd.DataFrame] | None = None,
    ) -> dict[str, str]:
        """Replace the current set by ``tables`` and ``record`` as one unit; return the hashes.

        ``coded`` holds, for some tables, the same rows with text columns as
        categoricals: those go to Arrow from their codes (:func:`to_arrow`).

        The record is written as ``panel_build.json`` with ``sha256`` (each
        table's hash) and ``tables`` added. Tables of the previous set that are
        not in ``tables`` are removed with it.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> ps = ProcessedStore(tempfile.mkdtemp())
        >>> hashes = ps.write_set({"panel": pd.DataFrame({"a": [1]})}, {"rows": 1})
        >>> ps.read("panel")["a"].tolist(), sorted(ps.read_json("panel_build"))
        ([1], ['rows', 'sha256', 'tables'])
        """
        paths = {name: self.path(name) for name in tables}  # names checked before any write
        with self.locked():
            staging = new_temp_dir(self.root, STAGING_PREFIX)
            try:
                hashes = _stage_tables(staging, {paths[n].name: tables[n] for n in paths},
                                       {paths[n].name: c for n, c in (coded or {}).items()
                                        if n in paths})
                hashes = {name: hashes[path.name] for name, path in paths.items()}
                full = {**record, "sha256": hashes, "tables": sorted(tables)}
                text = redact(json.dumps(full, indent=2, sort_keys=True, default=str)) + "\n"
                (staging / f"{SET_RECORD}.json").write_text(text, encoding="utf-8")
                fsync_file(staging / f"{SET_RECORD}.json")
                stale = sorted(set(self.set_hashes()) - set(tables))
                journal = {
                    "staging": staging.name,
                    "files": [p.name for p in paths.values()] + [f"{SET_RECORD}.json"],
                    "remove": [self.path(name).name for name in stale],
                }
                write_bytes_atomic(self.root / SWITCH_NAME, json.dumps(journal).encode("utf-8"))
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            finish_switch(self.root)
        return hashes

    def write_json(self, name: str, record: dict[str, Any]) -> Path:
        """Write ``record`` as ``<name>.json`` (e.g. a build manifest), replacing it atomically.

        Known API keys are scrubbed from the text, as in the raw manifest.

        Examples
        --------
        >>> import tempfile
        >>> ps = ProcessedStore(tempfile.mkdtemp())
        >>> _ = ps.write_json("build", {"rows": 3})
        >>> ps.read_json("build")
        {'rows': 3}
        """
        path = self.path(name).with_suffix(".json")
        text = redact(json.dumps(record, indent=2, sort_keys=True, default=str)) + "\n"
        with self.locked():
            return write_bytes_atomic(path, text.encode("utf-8"))

    # -- reading ----------------------------------------------------------------------------

    def settle(self) -> None:
        """Finish an interrupted set switch, if one is pending (takes the lock only then)."""
        if (self.root / SWITCH_NAME).exists():
            with self.locked():
                pass

    def set_hashes(self) -> dict[str, str]:
        """``table -> SHA-256`` of the current set, from its record (empty without one)."""
        path = self.root / f"{SET_RECORD}.json"
        if not path.exists():
            return {}
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreIntegrityError(f"{path} is not readable JSON ({exc}); {_REBUILD}") from None
        return dict(record.get("sha256") or {})

    def read(self, name: str) -> pd.DataFrame:
        """Read table ``name``; a clear error if it has not been built yet or breaks the set."""
        path = self.path(name)
        self.settle()
        if not path.exists():
            raise StoreError(
                f"no processed table {name!r} at {path}; build it first (retrade panel build)"
            )
        try:
            return _to_frame(self._read_checked(name))
        except StoreIntegrityError:
            with self.locked():  # a build may have switched the set between two reads: retry
                return _to_frame(self._read_checked(name))

    def _read_checked(self, name: str) -> pa.Table:
        expected = self.set_hashes().get(name)
        fix = (f"it does not belong with {SET_RECORD}.json beside it; {_REBUILD}"
               if expected else "")
        return read_parquet(self.path(name), sha256=expected, fix=fix)

    def verify(self, names: list[str] | None = None) -> None:
        """Check that the tables ``names`` (default: all of the set) match the set's record."""
        self.settle()
        hashes = self.set_hashes()
        for name in names if names is not None else sorted(hashes):
            path = self.path(name)
            if name in hashes and (not path.exists() or sha256_file(path) != hashes[name]):
                raise StoreIntegrityError(
                    f"{path} does not belong with {SET_RECORD}.json beside it "
                    f"({'missing' if not path.exists() else 'its SHA-256 differs'}); {_REBUILD}"
                )

    def read_json(self, name: str) -> dict[str, Any]:
        """Read ``<name>.json``; a clear error if it has not been written yet."""
        path = self.path(name).with_suffix(".json")
        self.settle()
        if not path.exists():
            raise StoreError(
                f"no processed record {name!r} at {path}; build it first (retrade panel build)"
            )
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise StoreIntegrityError(f"{path} is not readable JSON ({exc}); {_REBUILD}") from None
        return data

    def exists(self, name: str) -> bool:
        self.settle()
        return self.path(name).exists()

    def names(self) -> list[str]:
        self.settle()
        return sorted(p.stem for p in self.root.glob("*.parquet"))


def _stage_tables(staging: Path, frames: Mapping[str, pd.DataFrame],
                  coded: Mapping[str, pd.DataFrame] | None = None) -> dict[str, str]:
    """Write the tables of a set into the staging folder, durably; ``file name -> SHA-256``.

    Each frame is converted to Arrow here while the one before it is
    compressed and written in a second thread (the conversion needs the
    interpreter, the Parquet writer does not), so the two overlap. A
    converted table waits for the write before it to finish: at most two
    Arrow tables are held (converted from codes, tables outran the writer and
    all were held at once, 0.2 GB more at 10^6 panel rows).

    Sets of fewer than :data:`_THREAD_ROWS` rows are written one table after
    the other: there the writer thread mostly waits for the interpreter lock
    the conversion holds, and the overlap cost more than it saved (the three
    tables of a 10^4-row build: 37-76 ms in a thread, 39-42 ms in turn).
    """
    from concurrent.futures import ThreadPoolExecutor

    if sum(len(frame) for frame in frames.values()) < _THREAD_ROWS:
        return {filename: _stage_table(staging / filename,
                                       to_arrow(frame, (coded or {}).get(filename)))
                for filename, frame in frames.items()}
    pending: dict = {}
    with ThreadPoolExecutor(max_workers=1) as writer:
        for filename, frame in frames.items():
            table = to_arrow(frame, (coded or {}).get(filename))
            for future in pending.values():
                future.result()  # the previous write done (its table freed), errors raised here
            if len(table) >= _RELEASE_ROWS:
                release_memory()  # the freed table's pages back to the system before the next
            pending[filename] = writer.submit(_stage_table, staging / filename, table)
            del table
        return {filename: future.result() for filename, future in pending.items()}


# tables from this many rows give their freed memory back between writes (below it, nothing to gain)
_RELEASE_ROWS = 100_000
# sets from this many rows are converted and written side by side (see _stage_tables)
_THREAD_ROWS = 50_000


def to_arrow(frame: pd.DataFrame, coded: pd.DataFrame | None = None) -> pa.Table:
    """``pa.Table.from_pandas(frame, preserve_index=False)``, the same table, text converted faster.

    The schema and its pandas metadata come from :meth:`pyarrow.Schema.from_pandas`;
    a text column held as Python strings is handed to pyarrow as its array of
    objects (missing values are ``pd.NA``, which pyarrow reads as null) instead
    of going through pandas' ``__arrow_array__``, which copies the column and
    marks its missing values first.

    ``coded`` holds the same rows with some text columns as categoricals (as
    :func:`retrade.panel.coded.coded_panel` makes them): such a column is
    converted from its distinct values and codes (an Arrow ``take``), not
    cell by cell; the array is the same.

    Examples
    --------
    >>> df = pd.DataFrame({"a": pd.array(["x", None], dtype="string"), "b": [1.5, None]})
    >>> to_arrow(df).equals(pa.Table.from_pandas(df, preserve_index=False), check_metadata=True)
    True
    >>> to_arrow(df, coded=df.astype({"a": "category"})).equals(to_arrow(df))
    True
    """
    schema = pandas_schema(frame)
    arrays = []
    for name, field in zip(frame.columns, schema, strict=True):
        column = frame[name]
        values: Any = column
        if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "python":
            if coded is not None and name in coded and _codes_of(coded[name], field.type):
                arrays.append(_from_codes(coded[name], field.type))
                continue
            values = np.asarray(column.array, dtype=object)
        arrays.append(pa.array(values, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def pandas_schema(frame: pd.DataFrame) -> pa.Schema:
    """``pa.Schema.from_pandas(frame, preserve_index=False)``, its pandas metadata included.

    For a frame whose columns all have a dtype of :data:`_PLAIN_DTYPES` or a
    numpy number or bool dtype (their Arrow type and pandas metadata follow
    from the dtype alone, not the values) each column's field and metadata
    come from a template pyarrow itself made once per dtype; other frames go
    to pyarrow whole. pyarrow's own inspection costs some 160 Python calls a
    column, a fixed cost of every table written (4-5 ms for a build's three
    tables, whatever their rows).

    Examples
    --------
    >>> df = pd.DataFrame({"a": pd.array(["x"], dtype="string"), "b": [1.5]})
    >>> pandas_schema(df).equals(pa.Schema.from_pandas(df, preserve_index=False),
    ...                          check_metadata=True)
    True
    """
    names, dtypes = list(frame.columns), list(frame.dtypes)
    if frame.attrs or len(set(names)) != len(names) or not all(
            isinstance(name, str) for name in names) or not all(map(_plain, dtypes)):
        return pa.Schema.from_pandas(frame, preserve_index=False)
    templates = _column_templates(dtypes)
    fields, columns = [], []
    for name, dtype in zip(names, dtypes, strict=True):
        kind, column = templates[dtype]
        fields.append(pa.field(name, kind))
        columns.append({**column, "name": name, "field_name": name})
    metadata = {**_TABLE_TEMPLATE[0], "columns": columns}
    return pa.schema(fields, metadata={b"pandas": json.dumps(metadata)})


# dtypes whose Arrow type and pandas metadata depend on the dtype alone (and numpy's bool,
# integer and float dtypes); object, datetime and categorical columns, among others, have
# metadata that depends on their values and go to pyarrow
_PLAIN_DTYPES = (pd.StringDtype, pd.Float64Dtype, pd.Float32Dtype, pd.Int64Dtype,
                 pd.Int32Dtype, pd.BooleanDtype)
# dtype -> (Arrow type, pyarrow's metadata of a column of it); the table's metadata around them
_TEMPLATES: dict[Any, tuple[pa.DataType, dict]] = {}
_TABLE_TEMPLATE: list[dict] = []


def _plain(dtype: Any) -> bool:
    return isinstance(dtype, _PLAIN_DTYPES) or (
        isinstance(dtype, np.dtype) and dtype.kind in "biuf")


def _column_templates(dtypes: list) -> dict[Any, tuple[pa.DataType, dict]]:
    """The Arrow type and column metadata pyarrow gives a column of each of ``dtypes``.

    Those not seen before are asked of pyarrow in one call, on a frame of no
    rows with a column of each (each call costs some 0.5 ms besides its columns).
    """
    new = list(dict.fromkeys(d for d in dtypes if d not in _TEMPLATES))
    if new or not _TABLE_TEMPLATE:
        empty = pd.DataFrame({f"c{i}": pd.Series([], dtype=d) for i, d in enumerate(new)})
        schema = pa.Schema.from_pandas(empty, preserve_index=False)
        metadata = json.loads(schema.metadata[b"pandas"])
        for dtype, field, column in zip(new, schema, metadata["columns"], strict=True):
            _TEMPLATES[dtype] = (field.type, column)
        _TABLE_TEMPLATE[:] = [metadata]
    return _TEMPLATES


def _codes_of(column: pd.Series, kind: pa.DataType) -> bool:
    """Whether ``column`` is a categorical of text that :func:`_from_codes` can convert."""
    return isinstance(column.dtype, pd.CategoricalDtype) and kind == pa.string() and (
        column.cat.categories.inferred_type in ("string", "empty"))


def _from_codes(column: pd.Series, kind: pa.DataType) -> pa.Array:
    """The Arrow text array of a categorical column: its categories taken by its codes."""
    codes = column.cat.codes.to_numpy()
    categories = pa.array(np.asarray(column.cat.categories, dtype=object), type=kind)
    return categories.take(pa.array(codes, mask=codes < 0))


def _stage_table(path: Path, table: pa.Table) -> str:
    """Write one Arrow table as Parquet, fsynced; the SHA-256 of the bytes written."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    data = sink.getvalue()
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return hashlib.sha256(data).hexdigest()


def finish_switch(root: Path) -> bool:
    """Complete an interrupted set switch under ``root`` (call under the store lock).

    Returns whether there was one. Each file still in the staging folder is
    moved into place, tables the new set dropped are removed, the staging
    folder and the journal are deleted.
    """
    journal = root / SWITCH_NAME
    if not journal.exists():
        return False
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        staging = root / plan["staging"]
        files, remove = list(plan["files"]), list(plan["remove"])
        if not plan["staging"].startswith(STAGING_PREFIX) or any(
            "/" in n or "\\" in n or n.startswith("..") for n in [plan["staging"], *files, *remove]
        ):
            raise ValueError("it names files outside the processed folder")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreIntegrityError(
            f"{journal} (an interrupted build's switch) is damaged ({exc}); {_REBUILD}"
        ) from None
    for name in files:
        if (staging / name).exists():
            (staging / name).replace(root / name)
    for name in remove:
        (root / name).unlink(missing_ok=True)
    fsync_dir(root)
    shutil.rmtree(staging, ignore_errors=True)
    journal.unlink()
    fsync_dir(root)
    return True


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """``table.to_pandas()`` with one Python object per distinct text value, not per cell.

    pyarrow turns a column the pandas metadata calls ``string`` into a new
    ``str`` for every cell: at 10^6 panel rows that is some 900 MB for values
    that repeat (reporters, partners, HS codes). Read as dictionaries, each
    distinct value is made once and the cells share it; the dtypes, values and
    missing values are those of ``table.to_pandas()``
    (``tests/store/test_processed_read.py`` holds the two equal).

    Examples
    --------
    >>> t = pa.Table.from_pandas(pd.DataFrame({"r": pd.array(["CHN", None, "CHN"], "string")}))
    >>> f = _to_frame(t)
    >>> f["r"].dtype, f["r"].tolist(), f["r"][0] is f["r"][2]
    (string[python], ['CHN', <NA>, 'CHN'], True)
    """
    meta = table.schema.pandas_metadata or {}
    kinds = {c["name"]: (c.get("pandas_type"), c.get("numpy_type"))
             for c in meta.get("columns", [])}
    frame = table.to_pandas(strings_to_categorical=True)
    for name in frame.columns:
        column = frame[name]
        pandas_type, numpy_type = kinds.get(name, (None, None))
        if not isinstance(column.dtype, pd.CategoricalDtype) or pandas_type == "categorical":
            continue
        codes = column.cat.codes.to_numpy()
        distinct = np.array([*column.cat.categories, None], dtype=object)
        cells = distinct[codes]  # code -1 (missing) picks the None at the end
        frame[name] = pd.array(cells, dtype="string") if numpy_type == "string" else cells
    return frame

