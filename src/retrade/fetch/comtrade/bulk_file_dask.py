"""The bulk ingestion of :mod:`retrade.fetch.comtrade.bulk_file` on Dask, beyond one machine.

The full Comtrade bulk history (every reporter, period and HS6 line) is
thousands of files and billions of rows. Here ``dask.dataframe.read_csv``
parses them in parallel, one partition per file (gzip cannot be split); each
worker keeps the catalog's HS6 lines of its partition and writes them as
Parquet into the store's staging folder, and the client moves the files into
``data/raw/comtrade_bulk/file=<name>/part-0000.parquet`` and records one
manifest entry. Layout, schema and rows are those of
:func:`retrade.fetch.comtrade.bulk_file.ingest_comtrade_bulk`, so readers cannot tell which
engine wrote a file. The staging folder must be on a file system the
workers share with the client (always so on a ``LocalCluster``).

Needs the ``dask`` extra (``pip install 'retrade[dask]'``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retrade.catalog.products import hs_codes
from retrade.errors import ConfigError, ImportFormatError, require
from retrade.fetch.comtrade.bulk_file import (
    BULK_FIELDS,
    BULK_SCHEMA,
    FALSE_VALUES,
    NULL_VALUES,
    PART_NAME,
    SOURCE,
    TRUE_VALUES,
    BulkIngest,
    header_map,
    store_name,
)
from retrade.store.atomic import sha256_file
from retrade.store.raw import RawStore

# pandas dtypes that parse each v1 bulk field as the pyarrow reader does
_PANDAS_DTYPES = {
    pa.string(): "string",
    pa.int64(): "Int64",
    pa.float64(): "float64",
    pa.bool_(): "boolean",
}


def _dtypes(mapping: dict[str, str]) -> dict[str, str]:
    return {name: _PANDAS_DTYPES[BULK_FIELDS[v1]] for name, v1 in mapping.items()}


def write_partition(
    frame: pd.DataFrame, *, mapping: dict[str, str], codes: Sequence[str], folder: str
) -> pd.DataFrame:
    """Keep the catalog lines of one partition, write them to ``folder``; one summary row.

    Runs on a worker. The partition holds one file (its ``path`` column names
    it); the Parquet file goes to ``folder/<store name>.parquet``.
    """
    paths = frame["path"].astype(str).unique()
    if len(paths) != 1:
        raise ImportFormatError(
            f"a Dask partition spans files {list(paths)}; read with blocksize=None"
        )
    kept = frame[frame["cmdCode"].isin(codes)].rename(columns=mapping)
    columns = {
        name: (kept[name] if name in kept else pd.Series(pd.NA, index=kept.index))
        for name in BULK_FIELDS
    }
    table = pa.Table.from_pandas(pd.DataFrame(columns), schema=BULK_SCHEMA, preserve_index=False)
    target = Path(folder) / f"{store_name(paths[0])}.parquet"
    pq.write_table(table, target, compression="zstd")
    return pd.DataFrame(
        {
            "path": [str(paths[0])],
            "staged": [str(target)],
            "rows_read": [len(frame)],
            "rows_kept": [table.num_rows],
        }
    )


def ingest_comtrade_bulk_dask(
    paths: Iterable[str | Path],
    *,
    store: RawStore,
    hs: Iterable[str] | None = None,
    source: str = SOURCE,
    client: Any = None,
) -> list[BulkIngest]:
    """Ingest bulk files on Dask: the same rows and layout as the one-machine path.

    Parameters
    ----------
    paths : iterable of path
        Bulk final files sharing one header (the v1 bulk layout); one Dask
        partition each.
    store : RawStore
        The raw store; its staging folder must be visible to every worker.
    hs : iterable of str, optional
        HS6 codes to keep; default every catalog code, broad lines included.
    client : distributed.Client, optional
        Where to compute; default Dask's current scheduler.

    Returns
    -------
    list of BulkIngest
        One per file, all recorded in one manifest entry.
    """
    dd = require("dask.dataframe", "dask")
    files = [Path(p) for p in paths]
    if not files:
        raise ConfigError("no bulk files given")
    started = time.perf_counter()
    codes = sorted(set(hs) if hs is not None else hs_codes("all", include_broad=True))
    mapping = _common_header(files)
    with store.staging() as tmp:
        frame = dd.read_csv(
            [str(f) for f in files],
            sep="\t",
            blocksize=None,
            dtype=_dtypes(mapping),
            usecols=list(mapping),
            include_path_column=True,
            float_precision="round_trip",
            compression="gzip" if files[0].suffix == ".gz" else None,
            keep_default_na=False,
            na_values=NULL_VALUES,
            true_values=TRUE_VALUES,
            false_values=FALSE_VALUES,
        )
        meta = pd.DataFrame({"path": [], "staged": [], "rows_read": [], "rows_kept": []})
        meta = meta.astype({"path": str, "staged": str, "rows_read": "int64", "rows_kept": "int64"})
        job = frame.map_partitions(
            write_partition, mapping=mapping, codes=codes, folder=str(tmp), meta=meta
        )
        summary = client.compute(job).result() if client is not None else job.compute()
        return _record(summary, store=store, source=source, codes=codes, started=started)


def _common_header(files: Sequence[Path]) -> dict[str, str]:
    mapping = header_map(files[0])
    for other in files[1:]:
        if header_map(other) != mapping:
            raise ImportFormatError(
                f"{other} has another header than {files[0]}; ingest files of one layout together"
            )
    return mapping


def _digest(paths: Iterable[str]) -> str:
    """One file's SHA-256, or for several the SHA-256 of their sorted digests."""
    digests = sorted(sha256_file(p) for p in paths)
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(digests).encode("ascii")).hexdigest()


def _record(
    summary: pd.DataFrame, *, store: RawStore, source: str, codes: Sequence[str], started: float
) -> list[BulkIngest]:
    summary = summary.sort_values("path").reset_index(drop=True)
    rels = [f"file={store_name(p)}/{PART_NAME}" for p in summary["path"]]
    entry = store.add_files(
        source,
        {rel: Path(staged) for rel, staged in zip(rels, summary["staged"], strict=True)},
        query={
            "files": [Path(p).name for p in summary["path"]],
            "hs": list(codes),
            "engine": "dask",
        },
        content_sha256=_digest(summary["path"]),
        coverage={
            "rows_read": int(summary["rows_read"].sum()),
            "rows_kept": int(summary["rows_kept"].sum()),
        },
    )
    seconds = time.perf_counter() - started
    counts = zip(
        summary["path"],
        summary["rows_read"].tolist(),
        summary["rows_kept"].tolist(),
        rels,
        strict=True,
    )
    return [
        BulkIngest(source, str(path), read, kept, tuple(codes), (rel,), entry.entry_id, (), seconds)
        for path, read, kept, rel in counts
    ]
