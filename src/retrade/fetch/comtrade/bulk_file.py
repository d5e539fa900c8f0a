"""Comtrade bulk files into the raw store: stream, keep the catalog's lines, write v1 Parquet.

UN Comtrade's bulk "final" files (``bulk/v1/get/{type}/{freq}/{cl}``, what
``comtradeapicall.bulkDownloadFinalFile`` saves) are gzipped text served as
``application/TSV``: one header line of v1 field names, then one observation
per tab-separated line, every commodity level and every partner of one
reporter and period (for example ``C_A_32_196201_S1_O.txt.gz``). The fields
are those the v1 ``TradeDataItems`` reference marks ``isInBulkFileFinal``:
the data API's fields without the ``*Desc``/``*ISO``/``*Abbr`` labels.

:func:`ingest_comtrade_bulk` reads such a file block by block with
:func:`pyarrow.csv.open_csv`, keeps the rows whose ``cmdCode`` is one of the
catalog's HS6 codes (:func:`retrade.catalog.hs_codes` with the broad lines), and
appends them to one Parquet file in the store's staging folder, so memory
stays at a few blocks whatever the file size. The file then joins the store
at ``data/raw/comtrade_bulk/file=<name>/part-0000.parquet`` with one manifest
entry that records the rows read and kept. Columns keep the data API's
spelling and JSON types (``cifvalue``, ``reporterCode`` as an integer ...),
so the raw rows look like those of ``data/raw/comtrade``.

Knowing the file format is fetch's part: this module parses the bulk file and
hands the kept rows to the store, which only writes them (its staging folder
and :meth:`~retrade.store.RawStore.add_files`). The bulk fetcher
(:mod:`retrade.fetch.comtrade.bulk`) and the CLI (``retrade panel ingest-bulk``)
call it; :mod:`retrade.fetch.comtrade.bulk_file_dask` runs the same ingestion on
Dask and writes the same layout.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from retrade.catalog.comtrade_v1 import V1_FIELDS, V1_KEY, V1_REQUIRED
from retrade.catalog.products import hs_codes
from retrade.errors import ImportFormatError
from retrade.store.atomic import sha256_file
from retrade.store.raw import RawStore

SOURCE = "comtrade_bulk"

# the v1 fields Comtrade's TradeDataItems reference marks isInBulkFileFinal, in file order:
# the data API's fields without the *Desc/*ISO/*Abbr labels, plus datasetCode
_BULK_NAMES = (
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode",
    "flowCode", "partnerCode", "partner2Code", "classificationCode", "classificationSearchCode",
    "isOriginalClassification", "cmdCode", "customsCode", "mosCode", "motCode", "qtyUnitCode",
    "qty", "isQtyEstimated", "altQtyUnitCode", "altQty", "isAltQtyEstimated", "netWgt",
    "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated", "cifvalue", "fobvalue",
    "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate",
)
# name -> Arrow type of the API's JSON value (retrade.catalog.comtrade_v1 is the one table)
BULK_FIELDS: dict[str, pa.DataType] = {
    "datasetCode": pa.string(),  # not an API field; kept as text
    **{name: V1_FIELDS[name] for name in _BULK_NAMES},
}
BULK_SCHEMA = pa.schema(list(BULK_FIELDS.items()))
# a file without these is not a Comtrade bulk file: the fields every v1 row has, and a value
REQUIRED: tuple[str, ...] = (*V1_REQUIRED, "primaryValue")
# what identifies one observation: the v1 key (RawStore.read key for this source)
BULK_KEY: tuple[str, ...] = V1_KEY
PART_NAME = "part-0000.parquet"
# how cells are read, the same on every engine: an empty cell is missing, whatever its type
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
NULL_VALUES = [""]


@dataclass(frozen=True)
class BulkIngest:
    """What one bulk file contributed to the store.

    Attributes
    ----------
    rows_read, rows_kept : int
        Data lines in the file and lines kept (catalog HS6 codes).
    files : tuple of str
        Store paths written, relative to ``data/raw/<source>``.
    ignored_columns : tuple of str
        Header fields that are not v1 bulk fields (left out, named here).
    seconds : float
        Wall time of the ingestion.
    """

    source: str
    path: str
    rows_read: int
    rows_kept: int
    hs: tuple[str, ...]
    files: tuple[str, ...]
    entry_id: str
    ignored_columns: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        """Lines read per second of wall time."""
        return self.rows_read / self.seconds if self.seconds > 0 else float("nan")


def header_map(path: str | Path) -> dict[str, str]:
    """Map a bulk file's header fields to the v1 names (matched without regard to case).

    Raises :class:`ImportFormatError` naming the required fields that are absent.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "b.txt"
    >>> _ = f.write_text("typeCode\\tfreqCode\\tperiod\\treporterCode\\tflowCode\\tpartnerCode\\t"
    ...                  "classificationCode\\tcmdCode\\tprimaryValue\\tcifValue\\tnote\\n")
    >>> header_map(f)["cifValue"], "note" in header_map(f)
    ('cifvalue', False)
    """
    fields = header_fields(path)
    canonical = {name.lower(): name for name in BULK_FIELDS}
    mapping = {f: canonical[f.lower()] for f in fields if f.lower() in canonical}
    missing = [name for name in REQUIRED if name not in mapping.values()]
    if missing:
        raise ImportFormatError(
            f"{path} is not a Comtrade bulk file (tab-separated v1 fields): its header lacks "
            f"{missing}; it starts {fields[:8]}"
        )
    return mapping


def header_fields(path: str | Path) -> list[str]:
    """The fields of the first line of a (gzipped) tab-separated file."""
    with pa.input_stream(str(path), compression="detect") as stream:
        head = stream.read(1 << 16)  # a header line is far shorter
    first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace").rstrip("\r")
    return first.split("\t")


def _conform(batch: pa.RecordBatch, mapping: dict[str, str]) -> pa.RecordBatch:
    """A batch with the v1 names, every bulk field (absent ones null) and the bulk schema order."""
    arrays = {mapping[name]: batch.column(name) for name in batch.schema.names}
    columns = [
        arrays.get(name, pa.nulls(batch.num_rows, type=kind)) for name, kind in BULK_FIELDS.items()
    ]
    return pa.RecordBatch.from_arrays(columns, schema=BULK_SCHEMA)


def read_bulk_batches(path: str | Path, *, block_size: int = 1 << 20) -> Iterator[pa.RecordBatch]:
    """Stream a bulk file as batches in :data:`BULK_SCHEMA` (about ``block_size`` bytes each).

    A line that does not parse (wrong number of fields, a letter in a number)
    raises :class:`ImportFormatError` naming the file and pyarrow's message.
    """
    mapping = header_map(path)
    convert = pacsv.ConvertOptions(
        column_types={name: BULK_FIELDS[v1] for name, v1 in mapping.items()},
        include_columns=list(mapping),
        true_values=TRUE_VALUES,
        false_values=FALSE_VALUES,
        null_values=NULL_VALUES,
        strings_can_be_null=True,
    )
    try:  # the reader parses its first block on opening, so both steps can fail
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="detect"),
            read_options=pacsv.ReadOptions(block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter="\t"),
            convert_options=convert,
        )
        for batch in reader:
            yield _conform(batch, mapping)
    except (pa.ArrowInvalid, ValueError) as exc:
        raise ImportFormatError(
            f"{path}: a line does not parse as a Comtrade bulk row: {exc}"
        ) from None


def filter_bulk(
    path: str | Path, target: str | Path, hs: Iterable[str], *, block_size: int = 1 << 20
) -> tuple[int, int]:
    """Write the rows of ``path`` whose ``cmdCode`` is in ``hs`` to Parquet ``target``.

    Returns ``(rows_read, rows_kept)``. One pass, one block in memory at a time.
    """
    wanted = pa.array(sorted(set(hs)), type=pa.string())
    read = kept = 0
    with pq.ParquetWriter(str(target), BULK_SCHEMA, compression="zstd") as writer:
        for batch in read_bulk_batches(path, block_size=block_size):
            read += batch.num_rows
            keep = batch.filter(pc.is_in(batch.column("cmdCode"), value_set=wanted))
            kept += keep.num_rows
            if keep.num_rows:
                writer.write_batch(keep)
    return read, kept


def store_name(path: str | Path) -> str:
    """The store partition value for a bulk file: its name without ``.txt``/``.gz``, made safe.

    Examples
    --------
    >>> store_name("COMTRADE-FINAL-CA032202201H6[2023-01-03].txt.gz")
    'COMTRADE-FINAL-CA032202201H6_2023-01-03_'
    """
    name = Path(path).name
    for suffix in (".gz", ".txt", ".tsv", ".csv"):
        name = name.removesuffix(suffix)
    return "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in name) or "bulk"


def ingest_comtrade_bulk(
    path: str | Path,
    *,
    store: RawStore,
    hs: Iterable[str] | None = None,
    source: str = SOURCE,
    block_size: int = 1 << 20,
    coverage: Mapping[str, Any] | None = None,
) -> BulkIngest:
    """Stream a Comtrade bulk file into the raw store, keeping only the catalog's HS6 lines.

    Parameters
    ----------
    path : path
        A bulk final file, gzipped (``.gz``) or plain tab-separated text.
    store : RawStore
        The raw store (``data/raw``).
    hs : iterable of str, optional
        HS6 codes to keep; default every catalog code, broad lines included
        (``hs_codes("all", include_broad=True)``).
    source : str
        Store folder, ``comtrade_bulk`` by default.
    block_size : int
        Bytes of text parsed per block; memory use is a small multiple of it.
    coverage : mapping, optional
        More to record in the manifest entry's coverage, such as where the
        file came from and its publication date (the bulk fetcher's).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from retrade.testing import synthetic_comtrade_bulk
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> f = synthetic_comtrade_bulk(d / "C_A_156_2022_H6.txt.gz", rows=20_000, seed=1)
    >>> result = ingest_comtrade_bulk(f, store=RawStore(d / "raw"))
    >>> result.rows_read, result.rows_kept  # 8 catalog codes x 864 reporter-partner-flow rows
    (20000, 6912)
    """
    started = time.perf_counter()
    codes = tuple(sorted(set(hs) if hs is not None else hs_codes("all", include_broad=True)))
    mapping = header_map(path)
    ignored = tuple(f for f in header_fields(path) if f not in mapping)
    rel = f"file={store_name(path)}/{PART_NAME}"
    with store.staging() as tmp:
        read, kept = filter_bulk(path, tmp / PART_NAME, codes, block_size=block_size)
        entry = store.add_files(
            source,
            {rel: tmp / PART_NAME},
            query={"file": Path(path).name, "hs": list(codes), "engine": "pyarrow"},
            content_sha256=sha256_file(path),
            coverage={**(coverage or {}), "rows_read": read, "rows_kept": kept,
                      "ignored_columns": list(ignored)},
        )
    return BulkIngest(
        source,
        str(path),
        read,
        kept,
        codes,
        (rel,),
        entry.entry_id,
        ignored,
        time.perf_counter() - started,
    )
