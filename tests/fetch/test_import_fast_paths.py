"""The whole-column import paths (pyarrow) against the cell-by-cell ones they replaced.

Tolerance: none. Both paths parse the same text into the same numbers, so
every comparison is exact equality (values, missing cells, dtypes of what is
stored, the Parquet schema with its pandas metadata) or the same error
message. The cell-by-cell paths stay in the code as the fallback for what
pyarrow does not read the way Python's csv module and pandas do; these tests
keep the two in step: the real CSVs every importer reads, a synthetic
Comtrade download, and hand-made files with the awkward cells (quoted
newlines, padded cells, thousands separators, "Yes" flags, CRLF, a BOM).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from retrade.errors import ImportFormatError
from retrade.fetch.files import base, comtrade_file, importer
from retrade.fetch.files.imported import ImportedTable, ReadSummary
from retrade.testing import synthetic_comtrade_download

REAL_CSVS = [
    ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv"),
    ("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv"),
    ("qennis-china-critical-minerals", "overview_monthly.csv"),
    ("qennis-china-critical-minerals", "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv"),
    ("materials-atlas", "TRANSCRIBED_baci_re_world_summary_2002_2024.csv"),
    ("eurostat-comext-samples",
     "comext_ds045409_sdmxcsv_cn8-39201081_monthly_2023-2025_HEAD200.csv"),
    ("china-customs-samples", "gacc_zh_soybean_mixed_2023_cny_GBK.csv"),
    ("census-samples", "porths_imports_hs2-28_2024-12_ytd_Rwritecsv.csv"),
    ("pnnl-cmm-data", "usgs_mcs"),
]


def _texts(shared, parts):
    path = shared(*parts)
    paths = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    return [(p, base.decode(p.read_bytes(), path=p, encodings=("utf-8", "gb18030"))) for p in paths]


@pytest.mark.parametrize("parts", REAL_CSVS, ids=lambda p: p[1])
def test_csv_cells_and_numbers_equal_the_csv_module_and_pandas(shared, parts):
    for path, text in _texts(shared, parts):
        fast = base.read_csv_text(text, path=path)
        slow = base._read_csv_python(text, path=path)
        pd.testing.assert_frame_equal(fast, slow)
        for column in slow.columns:
            _same_numbers(slow[column], column)


ODD_NUMBERS = [
    ["1,234", "", " 5.5 ", None, "-0", "+7", "1e5", ".5"],
    ["nan", "1"],
    ["1e400", "2"],
    ["inf", "-Infinity"],
    ["12 345"],
    ["", "  ", None],
    ["1.5", "x"],
]


@pytest.mark.parametrize("cells", ODD_NUMBERS, ids=str)
def test_numbers_on_odd_cells(cells):
    for dtype in (object, "string", "string[pyarrow]"):
        _same_numbers(pd.Series(cells, dtype=dtype, name="v"), "v")


def _same_numbers(values: pd.Series, column: str) -> None:
    try:
        expected = base._numbers_python(values, column=column, path="f.csv")
    except ImportFormatError as exc:
        with pytest.raises(ImportFormatError) as caught:
            base.numbers(values, column=column, path="f.csv")
        assert str(caught.value) == str(exc)
        return
    pd.testing.assert_series_equal(base.numbers(values, column=column, path="f.csv"), expected)


def test_sorted_unique_equals_the_set_of_strings():
    columns = [
        pd.Series(["b", None, "a", "b"]),
        pd.Series([1, 1.0, "1", None], dtype=object),
        pd.Series([2020, 2021, None], dtype="Int64"),
        pd.Series([1.5, float("nan")]),
        pd.Series(["x", pd.NA], dtype="string[pyarrow]"),
    ]
    for values in columns:
        expected = tuple(sorted({str(v) for v in values if not base.is_missing(v)}))
        assert base.sorted_unique(values) == expected


# --- Comtrade downloads: the pyarrow path against the csv/pandas path --------------------------

HEADER = ",".join(comtrade_file.V1_FIELDS)


def _line(**cells) -> str:
    row = dict.fromkeys(comtrade_file.V1_FIELDS, "")
    row.update(typeCode="C", freqCode="A", period="2020", refYear="2020", reporterCode="156",
               flowCode="X", partnerCode="392", partner2Code="0", classificationCode="H5",
               cmdCode="280530", customsCode="C00", mosCode="0", motCode="0",
               primaryValue="100.5", isReported="true")
    row.update(cells)
    return ",".join(row.values())


ODD_FILES = {
    "plain": [_line(), _line(partnerCode="0", primaryValue="300")],
    "quoted newline in a description": [_line(cmdDesc='"Rare-earth metals,\nscandium"')],
    "padded cells": [_line(reporterDesc="  China ", primaryValue=" 12.25 ", isLeaf=" True ")],
    "flags in other spellings": [_line(isLeaf="Yes"), _line(partnerCode="410", isLeaf="no")],
    "thousands separators": [_line(primaryValue='"1,234,567.5"')],
    "whole numbers written as floats": [_line(reporterCode="156.0", refYear="2020.0")],
    "nan and overflow": [_line(qty="nan"), _line(partnerCode="410", netWgt="1e400")],
    "not a flag": [_line(isLeaf="maybe")],
    "not whole": [_line(motCode="1.5")],
    "short row": [_line(), _line(partnerCode="410")[:-10]],
}


def _write(path, lines, *, newline="\n", bom=False):
    text = newline.join([HEADER, *lines]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _read_both(path, monkeypatch):
    """(fast, slow): each an ImportedTable or the error message."""
    def run():
        try:
            return comtrade_file.read(path)
        except ImportFormatError as exc:
            return str(exc)

    fast = run()
    with monkeypatch.context() as m:
        m.setattr(comtrade_file, "_csv_arrow", lambda p: None)
        slow = run()
    return fast, slow


def _same_import(fast, slow) -> None:
    if isinstance(slow, str):
        assert fast == slow
        return
    assert fast.summary == slow.summary
    pd.testing.assert_frame_equal(fast.table, slow.table, check_dtype=False)
    assert [str(t) for t in fast.table.dtypes] == [str(t) for t in slow.table.dtypes]
    parts = importer._parts(fast, stem="s")
    expected = _old_parts(slow)
    assert len(parts) == len(expected) > 0
    for part, (partition, table) in zip(parts, expected, strict=True):
        assert part.partition == partition
        assert part.table.schema.equals(table.schema, check_metadata=True)
        assert part.table.equals(table)


def _old_parts(imported: ImportedTable) -> list[tuple[dict, pa.Table]]:
    """What the importer stored before pyarrow: each partition converted on its own."""
    columns = list(imported.partition)
    return [
        ({c: importer._safe(v) for c, v in zip(columns, values, strict=True)},
         pa.Table.from_pandas(group.reset_index(drop=True), preserve_index=False))
        for values, group in imported.table.groupby(columns, sort=True, dropna=False)
    ]


@pytest.mark.parametrize("case", list(ODD_FILES), ids=str)
@pytest.mark.parametrize("layout", ["lf", "crlf+bom"])
def test_comtrade_csv_fast_path_equals_the_slow_one(tmp_path, monkeypatch, case, layout):
    path = _write(tmp_path / "c.csv", ODD_FILES[case], newline="\r\n" if "crlf" in layout else "\n",
                  bom="bom" in layout)
    fast, slow = _read_both(path, monkeypatch)
    _same_import(fast, slow)


def test_comtrade_download_fast_path_equals_the_slow_one(tmp_path, monkeypatch, shared):
    for path in (synthetic_comtrade_download(tmp_path / "s.csv", rows=3000, seed=4),
                 shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")):
        fast, slow = _read_both(path, monkeypatch)
        assert not isinstance(fast, str)
        _same_import(fast, slow)


def test_partitions_equal_the_per_partition_conversion():
    frame = pd.DataFrame({
        "year": pd.array([2021, 2020, 2021, None], dtype="Int64"),
        "who": pd.array(["b", "a", "b", "a"], dtype="string[pyarrow]"),
        "v": pd.array([1.5, None, 2.0, 3.0], dtype="Float64"),
    })
    imported = ImportedTable("s", "f", frame, ("year", "who"), ("year", "who"), ReadSummary(4))
    lazy = importer._parts(imported, stem="x")
    assert isinstance(lazy, importer._Partitions)
    python_text = imported.table.astype({"who": "string[python]"})
    expected = _old_parts(ImportedTable("s", "f", python_text, imported.partition, (),
                                        ReadSummary(4)))
    assert [p.partition for p in lazy] == [partition for partition, _ in expected]
    assert [p.partition["year"] for p in lazy] == ["2020", "2021", "NA"]
    for part, (_, table) in zip(lazy, expected, strict=True):
        assert part.table.equals(table) and part.table.schema.equals(table.schema, True)
        assert part.table.schema.field("who").type == pa.string()


def test_world_rows_are_totalled_apart(tmp_path):
    path = synthetic_comtrade_download(tmp_path / "s.csv", rows=5000, seed=1)
    raw = pd.read_csv(path)
    world = raw["partnerCode"] == 0
    summary = comtrade_file.read(path).summary
    assert summary.totals["partner rows, primaryValue (USD)"] == pytest.approx(
        raw.loc[~world, "primaryValue"].sum(), rel=1e-12)
    assert summary.totals["World rows, primaryValue (USD)"] == pytest.approx(
        raw.loc[world, "primaryValue"].sum(), rel=1e-12)
    # a World row repeats its partner rows' sum: adding both would double the total
    assert raw.loc[world, "primaryValue"].sum() == pytest.approx(
        raw.loc[~world, "primaryValue"].sum(), rel=0.05)
