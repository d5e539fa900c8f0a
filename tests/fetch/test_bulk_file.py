"""Bulk ingestion: streamed, filtered to the catalog, stored v1-shaped; the same on Dask.

Reference: DuckDB reading the same file with its own CSV reader and filtering
in SQL (an independent implementation). Tolerance: exact (the same decimal
text parsed to float64 by correctly rounding parsers on every side).
"""

from __future__ import annotations

import gzip
import json

import duckdb
import pandas as pd
import pytest

from retrade.catalog import hs_codes
from retrade.errors import ImportFormatError
from retrade.fetch.comtrade.bulk_file import (
    BULK_FIELDS,
    BULK_KEY,
    SOURCE,
    header_map,
    ingest_comtrade_bulk,
)
from retrade.store import RawStore
from retrade.testing import synthetic_comtrade_bulk

CODES = hs_codes("all", include_broad=True)
# arrow type of each bulk field -> (DuckDB type, pandas dtype both sides are compared in)
_TYPES = {
    "string": ("VARCHAR", "string"),
    "int64": ("BIGINT", "Int64"),
    "double": ("DOUBLE", "float64"),
    "bool": ("BOOLEAN", "boolean"),
}
PANDAS = {name: _TYPES[str(kind)][1] for name, kind in BULK_FIELDS.items()}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[list(BULK_FIELDS)].astype(PANDAS)
    return frame.sort_values(list(BULK_KEY)).reset_index(drop=True)


def duckdb_reference(path) -> pd.DataFrame:
    """The catalog rows of ``path`` as DuckDB reads and filters them."""
    types = {name: _TYPES[str(kind)][0] for name, kind in BULK_FIELDS.items()}
    codes = ", ".join(f"'{c}'" for c in CODES)
    return _sorted(
        duckdb.sql(
            f"SELECT * FROM read_csv('{path}', delim='\t', header=true, types={types}) "
            f"WHERE cmdCode IN ({codes})"
        ).df()
    )


def stored(store: RawStore) -> pd.DataFrame:
    return _sorted(store.read(SOURCE, key=list(BULK_KEY)))


@pytest.fixture(scope="module")
def bulk_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bulk")
    return [  # two periods, as two real bulk files would be
        synthetic_comtrade_bulk(folder / f"C_A_{year}_H6.txt.gz", rows=40_000, seed=1, year=year)
        for year in (2021, 2022)
    ]


def test_ingestion_keeps_exactly_the_catalog_rows_and_counts_them(bulk_files, tmp_path):
    store = RawStore(tmp_path / "raw")
    result = ingest_comtrade_bulk(bulk_files[0], store=store, block_size=64 << 10)
    reference = duckdb_reference(bulk_files[0])
    assert result.rows_read == 40_000
    assert result.rows_kept == len(reference) > 0
    pd.testing.assert_frame_equal(stored(store), reference)
    entry = store.entries(SOURCE)[-1]
    assert entry.coverage["rows_read"] == 40_000 and entry.rows == result.rows_kept
    assert result.files == ("file=C_A_2021_H6/part-0000.parquet",)


def test_reingesting_a_file_replaces_it_and_a_subset_of_codes_is_honoured(bulk_files, tmp_path):
    store = RawStore(tmp_path / "raw")
    ingest_comtrade_bulk(bulk_files[0], store=store)
    again = ingest_comtrade_bulk(bulk_files[0], store=store, hs=["280530"])
    rows = store.read(SOURCE, key=list(BULK_KEY))
    assert set(rows["cmdCode"]) == {"280530"} and len(rows) == again.rows_kept


def test_header_is_matched_without_case_and_absent_fields_are_null(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(
        "typeCode\tfreqCode\tperiod\treporterCode\tflowCode\tpartnerCode\tclassificationCode\t"
        "cmdCode\tprimaryValue\tcifValue\tremark\n"
        "C\tA\t2021\t392\tM\t156\tH5\t280530\t100.5\t100.5\tx\n"
        "C\tA\t2021\t392\tM\t156\tH5\t010121\t7\t7\ty\n"
    )
    result = ingest_comtrade_bulk(path, store=RawStore(tmp_path / "raw"))
    rows = RawStore(tmp_path / "raw").read(SOURCE)
    assert (result.rows_read, result.rows_kept, result.ignored_columns) == (2, 1, ("remark",))
    assert list(rows.columns) == list(BULK_FIELDS)
    assert rows.loc[0, "cifvalue"] == 100.5 and pd.isna(rows.loc[0, "fobvalue"])


def test_a_file_that_is_not_a_bulk_file_is_refused_by_name(tmp_path):
    path = tmp_path / "wits.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("Reporter,Partner,Year\nChina,Japan,2020\n")
    with pytest.raises(ImportFormatError, match="lacks.*cmdCode"):
        header_map(path)
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "typeCode\tfreqCode\tperiod\treporterCode\tflowCode\tpartnerCode\tclassificationCode\t"
        "cmdCode\tprimaryValue\nC\tA\t2021\tChina\tM\t156\tH5\t280530\t1\n"
    )
    with pytest.raises(ImportFormatError, match="bad.txt"):
        ingest_comtrade_bulk(bad, store=RawStore(tmp_path / "raw"))
    assert RawStore(tmp_path / "raw").entries(SOURCE) == []


@pytest.mark.slow
def test_dask_on_a_local_cluster_equals_duckdb_row_for_row(bulk_files, tmp_path):
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from retrade.fetch.comtrade.bulk_file_dask import ingest_comtrade_bulk_dask

    store = RawStore(tmp_path / "raw")
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        results = ingest_comtrade_bulk_dask(bulk_files, store=store, client=client)
    reference = _sorted(pd.concat([duckdb_reference(f) for f in bulk_files], ignore_index=True))
    assert [r.rows_read for r in results] == [40_000, 40_000]
    assert sum(r.rows_kept for r in results) == len(reference)
    pd.testing.assert_frame_equal(stored(store), reference)
    # the same layout as the one-machine engine
    single = RawStore(tmp_path / "single")
    for f in bulk_files:
        ingest_comtrade_bulk(f, store=single)
    assert (
        _layout(single)
        == _layout(store)
        == [f"file=C_A_{y}_H6/part-0000.parquet" for y in (2021, 2022)]
    )
    assert store.entries(SOURCE)[-1].query["engine"] == "dask"


def _layout(store: RawStore) -> list[str]:
    folder = store.root / SOURCE
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))


def test_bulk_fields_are_the_v1_reference_fields_of_bulk_final_files(shared):
    """BULK_FIELDS against Comtrade's own TradeDataItems reference (a recorded real response)."""
    items = json.loads(
        shared("comtradr-fixtures", "reference_TradeDataItems.body.json").read_text()
    )
    in_bulk = {i["dataItem"].lower() for i in items["results"] if i["isInBulkFileFinal"] == "True"}
    assert {name.lower() for name in BULK_FIELDS} == in_bulk
