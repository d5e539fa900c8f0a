"""``import_file``: read a downloaded file completely, then store it in one atomic step.

The whole file is parsed and checked before anything is written, so a file
that fails half-way leaves the store as it was. The rows then go to
:class:`~retrade.store.RawStore` as Parquet files plus one manifest entry that
records the file's SHA-256; importing the same bytes with the same options
again is a no-op that says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retrade.config import Settings, load_settings
from retrade.errors import ImportFormatError, StoreError
from retrade.fetch.files.base import is_missing, nullable_frame
from retrade.fetch.files.imported import ImportedTable, ReadSummary
from retrade.fetch.files.registry import read_file
from retrade.store import ManifestEntry, Part, RawStore, sha256_file
from retrade.store.manifest import live_files
from retrade.store.memory import jemalloc_pool
from retrade.store.rowkeys import key_codes

_UNSAFE = str.maketrans({c: "_" for c in " /\\,;:()[]{}'\"=&?*<>|"})


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_file` read and whether it wrote anything.

    Attributes
    ----------
    path : str
        The file imported.
    format, source : str
        The importer used and the store folder written to.
    content_sha256 : str
        SHA-256 of the file's bytes, as recorded in the manifest.
    summary : ReadSummary
        Rows, periods, partners, totals, skipped rows and caveats.
    written : bool
        False when the same file (same bytes, format and options) was already
        imported, or on a dry run.
    entry_id : str or None
        The manifest entry holding the rows (the earlier one for a repeat import).
    files : tuple of str
        Parquet files of that entry, relative to the source folder.
    message : str
        One line saying what happened.
    """

    path: str
    format: str
    source: str
    content_sha256: str
    summary: ReadSummary
    written: bool
    entry_id: str | None
    files: tuple[str, ...]
    message: str

    def describe(self) -> str:
        """The report as text, as the CLI prints it."""
        head = [f"{self.path}: format {self.format} -> source {self.source}", self.message]
        return "\n".join(head + ["  " + line for line in self.summary.lines()])


def import_file(
    path: str | Path,
    *,
    format: str | None = None,
    settings: Settings | None = None,
    store: RawStore | None = None,
    dry_run: bool = False,
    **options: Any,
) -> ImportReport:
    """Read ``path`` with its importer and write it to the raw store.

    Parameters
    ----------
    path : path
        A hand-downloaded file (see :data:`retrade.fetch.files.FORMATS`).
    format : str, optional
        The format; detected from the content when omitted.
    settings : Settings, optional
        Where the store is (``settings.raw_dir``); loaded when omitted.
    store : RawStore, optional
        The store to write to; overrides ``settings``.
    dry_run : bool
        Read and report without writing.
    **options
        Options for the format's reader, e.g. ``flow="import"`` for China customs.

    Returns
    -------
    ImportReport

    Raises
    ------
    ImportFormatError
        The file is not in a format retrade reads, or is damaged; nothing is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> csv = folder / "wits.csv"
    >>> _ = csv.write_text(
    ...     "Reporter,TradeFlow,ProductCode,Product Description,Year,Partner,"
    ...     "Trade Value 1000USD,Quantity,Quantity Unit\\n"
    ...     "China,Export,284690,REE compounds,2020,Japan,1500.5,120000,Kg\\n")
    >>> report = import_file(csv, store=RawStore(folder / "raw"))
    >>> report.written, report.summary.rows
    (True, 1)
    >>> import_file(csv, store=RawStore(folder / "raw")).written
    False
    """
    with jemalloc_pool():  # a small import's peak memory (retrade.store.memory)
        return _import(Path(path), format, settings, store, dry_run, options)


def _import(
    path: Path,
    format: str | None,
    settings: Settings | None,
    store: RawStore | None,
    dry_run: bool,
    options: dict[str, Any],
) -> ImportReport:
    imported = read_file(path, format=format, **options)
    digest = sha256_file(path)
    query = {"file": path.name, "format": imported.format, "options": _jsonable(imported.options)}
    if store is None:
        store = RawStore((settings or load_settings()).raw_dir)
    previous = _previous_import(store, imported.source, digest, query)
    if previous is not None:
        message = (
            f"already imported on {previous.recorded_at} (entry {previous.entry_id}); "
            "nothing written"
        )
        return _report(path, imported, digest, previous, written=False, message=message)
    if dry_run:
        return _report(
            path, imported, digest, None, written=False, message="dry run; nothing written"
        )
    if imported.empty:
        return _report(
            path, imported, digest, None, written=False, message="no rows; nothing written"
        )
    parts = _parts(imported, stem=_stem(digest, query))
    try:
        entry = store.write(
            imported.source, parts, query=query, content_sha256=digest, coverage=_coverage(imported)
        )
    except BaseException:
        # files written before the failure are not in the manifest: remove them, and let
        # the original error through even if the clean-up cannot take the lock
        with contextlib.suppress(StoreError):
            store.clean_orphans(imported.source)
        raise
    message = f"stored {entry.rows} row(s) in {len(entry.files)} file(s) (entry {entry.entry_id})"
    return _report(path, imported, digest, entry, written=True, message=message)


def _report(
    path: Path,
    imported: ImportedTable,
    digest: str,
    entry: ManifestEntry | None,
    *,
    written: bool,
    message: str,
) -> ImportReport:
    return ImportReport(
        path=str(path),
        format=imported.format,
        source=imported.source,
        content_sha256=digest,
        summary=imported.summary,
        written=written,
        entry_id=entry.entry_id if entry else None,
        files=tuple(f.path for f in entry.files) if entry else (),
        message=message,
    )


def _previous_import(
    store: RawStore, source: str, digest: str, query: dict[str, Any]
) -> ManifestEntry | None:
    """The entry that imported the same bytes, format and options, if its files are still live."""
    entries = store.entries(source)
    live = live_files(entries)
    for entry in reversed(entries):
        same = (
            entry.status == "ok"
            and entry.content_sha256 == digest
            and entry.query.get("format") == query["format"]
            and entry.query.get("options") == query["options"]
            and all(f.path in live for f in entry.files)
        )
        if same:
            return entry
    return None


def _stem(digest: str, query: dict[str, Any]) -> str:
    """File name inside each partition: one per (file content, format, options)."""
    salt = json.dumps({"format": query["format"], "options": query["options"]}, sort_keys=True)
    return f"import-{hashlib.sha256((digest + salt).encode()).hexdigest()[:16]}"


def _parts(imported: ImportedTable, *, stem: str) -> Sequence[Part]:
    if imported.empty:
        return []
    columns = list(imported.partition)
    if imported.arrow is not None:  # stored as it was parsed, with the schema pandas would give
        table = _stored_arrow(imported.arrow)
        return _Partitions.of_arrow(table, columns, stem) if columns else [Part({}, stem, table)]
    table = imported.table
    if not columns:
        return [Part({}, stem, _arrow(table))]
    if any(dtype == np.dtype(object) for dtype in table.dtypes):
        # Arrow types of text cells are inferred per partition (a partition of
        # missing values only is stored as nulls), so each is converted on its own
        return [Part(_partition(columns, values), stem, _arrow(group))
                for values, group in table.groupby(columns, sort=True, dropna=False)]
    return _Partitions.of_pandas(table, columns, stem)


class _Partitions(Sequence[Part]):
    """The partitions of a table without text objects, each built when the store asks for it.

    The table is held in Arrow once; a partition is its rows in their order,
    taken when needed, so the store writes one while the next is not yet built.
    Partitions come in the order of their values (missing last), as
    ``groupby(sort=True, dropna=False)`` gives them. A partition's rows are
    taken from the slice of the table they span, so from a chunked table only
    the chunks of that slice are read (see :func:`_spread`).
    """

    def __init__(self, arrow: pa.Table, order: np.ndarray, bounds: np.ndarray,
                 keys: list[tuple], columns: list[str], stem: str):
        self._arrow, self._order, self._bounds, self._keys = arrow, order, bounds, keys
        self._columns, self._stem = columns, stem

    @classmethod
    def of_pandas(cls, table: pd.DataFrame, columns: list[str], stem: str) -> _Partitions:
        ids = table.groupby(columns, sort=True, dropna=False).ngroup().to_numpy()
        order = np.argsort(ids, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(ids))])
        keys = list(table[columns].iloc[order[bounds[:-1]]].itertuples(index=False, name=None))
        # one contiguous copy: taking rows from many chunks would copy every chunk each time
        return cls(_arrow(table).combine_chunks(), order, bounds, keys, columns, stem)

    @classmethod
    def of_arrow(cls, table: pa.Table, columns: list[str], stem: str) -> _Partitions:
        """Partitions of an Arrow table, sorted and told apart in Arrow (no pandas copy)."""
        keys = table.select(columns)
        # a stable sort, missing values last (pyarrow's default in every version)
        order = pc.sort_indices(keys, sort_keys=[(c, "ascending") for c in columns]).to_numpy()
        ids = key_codes(keys, columns)[order]
        starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
        firsts = keys.take(pa.array(order[starts])).to_pylist()
        bounds = np.append(starts, len(order))
        if _spread(table, order, bounds):
            table = table.combine_chunks()
        return cls(table, order, bounds, [tuple(row[c] for c in columns) for row in firsts],
                   columns, stem)

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, i):  # type: ignore[override]  # ints only
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        rows = self._order[self._bounds[i] : self._bounds[i + 1]]
        # the rows' span of the table (their order is the table's): a take from chunks
        # copies the chunks it reads, so only those of the span are read
        first, last = int(rows[0]), int(rows[-1])
        part = self._arrow.slice(first, last - first + 1).take(pa.array(rows - first))
        return Part(_partition(self._columns, self._keys[i]), self._stem, part)


def _spread(table: pa.Table, order: np.ndarray, bounds: np.ndarray) -> bool:
    """Whether the partitions' rows are spread over a chunked table so that taking them span
    by span would read the table more than four times over: then one contiguous copy is cheaper.

    A download comes in its query's order (year, reporter, ...): each partition's
    rows then lie together and their spans add up to about the table once.
    """
    if all(column.num_chunks <= 1 for column in table.columns):
        return False
    spans = order[bounds[1:] - 1] - order[bounds[:-1]] + 1
    return int(spans.sum()) > 4 * table.num_rows


def _partition(columns: list[str], values: object) -> dict[str, str]:
    values = values if isinstance(values, tuple) else (values,)
    return {_safe(c): _safe(v) for c, v in zip(columns, values, strict=True)}


def _safe(value: object) -> str:
    text = "NA" if is_missing(value) else str(value)
    return text.translate(_UNSAFE) or "NA"


def _arrow(frame: pd.DataFrame) -> pa.Table:
    try:
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ImportFormatError(f"the imported rows cannot be stored as Parquet: {exc}") from None
    text = _arrow_text(frame)
    return table.cast(_python_text_schema(table.schema, text)) if text else table


def _stored_arrow(table: pa.Table) -> pa.Table:
    """An importer's Arrow table with the schema :func:`_arrow` gives its pandas frame.

    The types stay (``string``, ``int64``, ``float64``, ``bool``: what pyarrow
    makes of the nullable pandas columns, text as ``string``); the pandas
    metadata, which names the pandas types and does not depend on the rows, is
    taken from the frame of no rows, so the stored files are byte for byte
    those of the pandas path (``tests/fetch/test_import_fast_paths.py``).
    """
    schema = _arrow(nullable_frame(table.slice(0, 0))).schema
    if not schema.remove_metadata().equals(table.schema.remove_metadata()):
        return _arrow(nullable_frame(table))  # a type pandas gives back differently
    return table.replace_schema_metadata(schema.metadata)


def _arrow_text(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c, t in frame.dtypes.items()
            if isinstance(t, pd.StringDtype) and t.storage == "pyarrow"]


def _python_text_schema(schema: pa.Schema, text: list[str]) -> pa.Schema:
    """``schema`` with the ``string[pyarrow]`` columns ``text`` typed and described as pandas'
    own string columns are (``string``, not ``large_string``; pandas type ``unicode``), so
    stored files do not depend on which of the two an importer used."""
    meta = json.loads(schema.metadata[b"pandas"])
    for column in meta["columns"]:
        if column["name"] in text:
            column["pandas_type"] = "unicode"
    fields = [pa.field(f.name, pa.string()) if f.name in text else f for f in schema]
    return pa.schema(fields, metadata={**schema.metadata, b"pandas": json.dumps(meta).encode()})


def _coverage(imported: ImportedTable) -> dict[str, Any]:
    summary = imported.summary
    return {
        "format": imported.format,
        "periods": list(summary.periods),
        "partners": len(summary.partners),
        "totals": dict(summary.totals),
        "skipped": dict(summary.skipped),
        "key": list(imported.key),
    }


def _jsonable(options: Any) -> Any:
    return json.loads(json.dumps(dict(options), sort_keys=True, default=str))
