"""The Comtrade CSV import kept in Arrow from parse to store, against the pandas path before it.

Tolerance: none. The Arrow path stores the very rows the pandas path stored,
so every comparison is exact: the SHA-256 of each stored Parquet file (byte
for byte the same files), the manifest's rows, files and coverage, the
summary's totals as floats compared with ``==``, partition keys, error
messages. The pandas path is the reference: the same reader, with the table
its pyarrow path parsed turned into the pandas frame it handed the store until
this change (``nullable_frame``, as the old ``_finished`` did).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from test_import_fast_paths import ODD_FILES, _line, _write

from retrade.errors import ImportFormatError
from retrade.fetch.files import arrow_rows, comtrade_file, importer
from retrade.fetch.files.base import nullable_frame
from retrade.fetch.files.imported import ImportedTable, ReadSummary
from retrade.store import RawStore
from retrade.testing import synthetic_comtrade_download

PNNL = ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")


def _pandas_path(monkeypatch) -> None:
    """Make the Comtrade reader hand pandas, as before: the reference path."""
    arrow_reader = comtrade_file._csv_arrow

    def as_pandas(path):
        read = arrow_reader(path)
        return None if read is None else (read[0], nullable_frame(read[1]))

    monkeypatch.setattr(comtrade_file, "_csv_arrow", as_pandas)


def _imported(path, root, monkeypatch, *, reference: bool):
    """(report, manifest entry, rows read back) of ``import_file``, or the error message."""
    with monkeypatch.context() as m:
        if reference:
            _pandas_path(m)
        store = RawStore(root)
        try:
            report = importer.import_file(path, store=store)
        except ImportFormatError as exc:
            return str(exc)
        if not report.written:  # no rows: nothing stored
            return report, None, None
        entry = store.entries("comtrade_files")[-1]
        return report, entry, store.read("comtrade_files", key=list(comtrade_file.KEY))


def _same_store(path, tmp_path, monkeypatch) -> None:
    new = _imported(path, tmp_path / "new", monkeypatch, reference=False)
    old = _imported(path, tmp_path / "old", monkeypatch, reference=True)
    if isinstance(old, str):
        assert new == old
        return
    (report, entry, rows), (report0, entry0, rows0) = new, old
    assert report.summary == report0.summary and report.files == report0.files
    assert report.message.split(" (entry")[0] == report0.message.split(" (entry")[0]
    if entry0 is None:
        assert entry is None and report.summary.rows == 0
        return
    # same paths, rows and SHA-256: the Parquet files are byte for byte the same
    assert entry.files == entry0.files and entry.rows == entry0.rows
    assert entry.coverage == entry0.coverage and entry.query == entry0.query
    pd.testing.assert_frame_equal(rows, rows0)


def test_downloads_store_the_same_files_as_the_pandas_path(tmp_path, monkeypatch, shared):
    # 20,000 rows: several pyarrow blocks, so the parsed columns come in chunks
    synthetic = synthetic_comtrade_download(tmp_path / "s.csv", rows=20_000, seed=3)
    for path in (synthetic, shared(*PNNL)):
        assert isinstance(comtrade_file.read(path).data, pa.Table)
        _same_store(path, tmp_path / path.stem, monkeypatch)


MORE_FILES = {
    "header only": [],
    "repeated flow": [_line(), _line(partnerCode="410"), _line()],
    "repeated flow with missing key cells": [_line(customsCode=""), _line(customsCode="")],
    "missing key cell differs": [_line(customsCode=""), _line(customsCode="C01")],
    "partitions with a missing year": [_line(refYear=""), _line(reporterCode="", refYear="2021"),
                                       _line(reporterCode="4", cmdCode="2846")],
    "not six-digit, unnamed partners": [_line(cmdCode="2846", partnerDesc=""),
                                        _line(cmdCode="", partnerCode="", partnerDesc="")],
}


@pytest.mark.parametrize("case", [*ODD_FILES, *MORE_FILES], ids=str)
def test_odd_files_store_the_same_or_fail_the_same(tmp_path, monkeypatch, case):
    path = _write(tmp_path / "c.csv", {**ODD_FILES, **MORE_FILES}[case])
    _same_store(path, tmp_path, monkeypatch)


def test_repeated_flows_are_named_as_before(tmp_path):
    path = _write(tmp_path / "c.csv", MORE_FILES["repeated flow with missing key cells"])
    assert isinstance(comtrade_file._csv_arrow(path)[1], pa.Table)  # the Arrow path's check
    with pytest.raises(ImportFormatError) as caught:
        comtrade_file.read(path)
    message = str(caught.value)
    assert message.startswith("c.csv: 2 rows repeat the same flow (typeCode, freqCode, ")
    assert message.endswith(
        "'cmdCode': '280530', 'customsCode': None, 'motCode': 0, 'mosCode': '0'}")


def test_key_codes_group_rows_as_pandas_does():
    rng = np.random.default_rng(7)
    n = 20_000
    table = pa.table({
        "text": pa.array(rng.choice(["a", "b", "é", None], n).tolist()),
        "int": pa.array(rng.integers(0, 3, n), mask=rng.random(n) < 0.1),
        "flag": pa.array(rng.random(n) < 0.5, mask=rng.random(n) < 0.2),
        # five columns of 10^4 values each: 10^20 combinations, past the int64 codes
        **{f"wide{i}": pa.array(rng.integers(0, 10_000, n)) for i in range(5)},
    })
    for columns in (["text"], ["text", "int", "flag"], list(table.column_names)):
        frame = nullable_frame(table.select(columns))
        groups = frame.groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
        codes = arrow_rows.key_codes(table, columns)
        np.testing.assert_array_equal(pd.factorize(codes)[0], pd.factorize(groups)[0])
    chunked = pa.concat_tables([table.slice(0, 7_000), table.slice(7_000)])
    np.testing.assert_array_equal(arrow_rows.key_codes(chunked, ["text", "int"]),
                                  arrow_rows.key_codes(table, ["text", "int"]))


def test_arrow_partitions_equal_the_pandas_ones():
    pieces = [pa.table({
        "year": pa.array(years, pa.int64()),
        "who": pa.array(who, pa.string()),
        "v": pa.array(values, pa.float64()),
    }) for years, who, values in [
        ([2021, 2020, None, 2021], ["b", "ä", "b", None], [1.5, None, 2.0, 3.0]),
        ([2020, None, 2021], ["ä", "b", "a"], [4.0, 5.0, None]),
    ]]
    table = pa.concat_tables(pieces)  # two chunks a column
    arrow = ImportedTable("s", "f", table, ("year", "who"), ("year", "who"), ReadSummary(7))
    frame = ImportedTable("s", "f", nullable_frame(table), arrow.partition, arrow.key,
                          ReadSummary(7))
    new, old = importer._parts(arrow, stem="x"), importer._parts(frame, stem="x")
    assert isinstance(new, importer._Partitions) and isinstance(old, importer._Partitions)
    assert [p.partition for p in new] == [p.partition for p in old]
    assert [p.partition["year"] for p in new] == ["2020", "2021", "2021", "2021", "NA"]
    for part, expected in zip(new, old, strict=True):
        assert part.table.schema.equals(expected.table.schema, check_metadata=True)
        assert part.table.equals(expected.table)


@pytest.mark.parametrize("layout", ["grouped", "interleaved"])
def test_partitions_of_a_chunked_table_by_span_or_from_one_copy(layout):
    # grouped: each partition's rows lie together, taken from the chunks they span;
    # interleaved: every partition spans the table, which is copied once instead
    n = 6_000
    years = np.arange(2020, 2026)  # six partitions: interleaved, their spans add up to 6 n
    year = np.repeat(years, n // 6) if layout == "grouped" else years[np.arange(n) % 6]
    whole = pa.table({"year": pa.array(year, pa.int64()),
                      "v": pa.array(np.arange(n) * 0.5),
                      "who": pa.array([f"r{i}" for i in range(n)])})
    table = pa.concat_tables([whole.slice(i, 500) for i in range(0, n, 500)])  # 12 chunks
    arrow = ImportedTable("s", "f", table, ("year",), ("who",), ReadSummary(n))
    frame = ImportedTable("s", "f", nullable_frame(table), ("year",), ("who",), ReadSummary(n))
    new, old = importer._parts(arrow, stem="x"), importer._parts(frame, stem="x")
    assert (new._arrow.column("v").num_chunks == 1) == (layout == "interleaved")
    assert [p.partition for p in new] == [p.partition for p in old] == [
        {"year": str(y)} for y in years]
    for part, expected in zip(new, old, strict=True):
        assert part.table.schema.equals(expected.table.schema, check_metadata=True)
        assert part.table.equals(expected.table) and part.table.num_rows == n // 6


def test_imported_table_gives_pandas_when_asked():
    table = pa.table({"k": pa.array(["a", None]), "n": pa.array([1, None])})
    imported = ImportedTable("s", "f", table, (), ("k",), ReadSummary(2))
    assert imported.arrow is table and imported.table is imported.table  # converted once
    pd.testing.assert_frame_equal(imported.table, nullable_frame(table))
    as_frame = ImportedTable("s", "f", imported.table, (), ("k",), ReadSummary(2))
    assert as_frame.arrow is None and as_frame.table is imported.table
    assert ImportedTable("s", "f", table.slice(0, 0), (), (), ReadSummary(0)).empty
    assert not imported.empty and imported.options == {}
