"""The whole-column panel build against the cell-by-cell and text-keyed code it replaced.

The previous implementations live in ``tests/_previous_panel.py``. Tolerance:
none. Every comparison is exact (values, missing cells, dtypes, row order, the
same error text), because the new code computes the same things on integer
codes and distinct values instead of text cells: the schema's verdict, the
Comtrade adapter's rows, the build's key order, the quality table (its
medians included: the sorted-median equals numpy's ``nanmedian``), mirror
flows, the Arrow tables written, and the raw rows read. Inputs: the real
Comtrade v1 rows of ``../shared`` (PNNL), a seeded synthetic Comtrade download
with hand-made awkward rows, and mutations of a valid panel that break each
rule of the schema once.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import _previous_panel as previous
from _outcome import outcome as _run
from retrade.catalog.comtrade_v1 import v1_table
from retrade.panel import schema as S
from retrade.panel.adapters import comtrade
from retrade.panel.build import assemble
from retrade.panel.distinct import on_distinct, sort_by
from retrade.panel.mirror import mirror_flows
from retrade.panel.quality import column_nanmedian, quality_table
from retrade.panel.sources import select_sources
from retrade.store import Part, RawStore
from retrade.store.processed import to_arrow
from retrade.testing import synthetic_comtrade_download

PNNL = ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")




def _same(new_fn, old_fn, *args, **kwargs) -> object:
    new, new_warnings = _run(new_fn, *args, **kwargs)
    old, old_warnings = _run(old_fn, *args, **kwargs)
    assert new_warnings == old_warnings
    if isinstance(old, str):
        assert new == old
    else:
        pd.testing.assert_frame_equal(new, old, check_exact=True)
    return new


@pytest.fixture(scope="module")
def synthetic_raw(tmp_path_factory) -> pd.DataFrame:
    """A synthetic Comtrade download of 6,000 rows as the store reads it, plus awkward rows."""
    from retrade.fetch.files import import_file

    folder = tmp_path_factory.mktemp("synthetic")
    path = synthetic_comtrade_download(folder / "c.csv", rows=6000, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import_file(path, store=RawStore(folder / "raw"))
    raw = RawStore(folder / "raw").read("comtrade_files", key=list(comtrade.RAW_KEY))
    return pd.concat([raw, v1_table(_awkward_rows()).to_pandas()], ignore_index=True)


def _awkward_rows() -> list[dict]:
    base = {"typeCode": "C", "freqCode": "M", "period": "202403", "refYear": 2024,
            "reporterCode": 392, "partnerCode": 156, "flowCode": "M", "cmdCode": "850511",
            "classificationCode": "H6", "primaryValue": 10.0, "motCode": 0,
            "customsCode": "C00", "partner2Code": 0, "mosCode": "0"}
    return [base, {**base, "period": "202404", "qtyUnitCode": 8, "qty": 3.0},
            {**base, "period": "202405", "qtyUnitAbbr": "N/A", "qtyUnitCode": 5},
            {**base, "motCode": 1000}, {**base, "flowCode": "DX"},
            {**base, "cmdCode": "2846", "period": "202406"},
            {**base, "classificationCode": "HS", "period": "202407"},
            {**base, "freqCode": "A", "period": "2023", "partnerCode": 0}]


@pytest.fixture(scope="module")
def synthetic_panel(synthetic_raw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = comtrade.to_panel(synthetic_raw, source="comtrade_files")
    return assemble([rows])


def _panels(synthetic_panel):
    """The synthetic panel, a second source for part of it, and hand-made problem rows."""
    second = synthetic_panel[synthetic_panel["partner"].isin(["JPN", "USA", "WLD", "HKG"])]
    second = second.assign(source="wits", value_usd=second["value_usd"] * 1.1,
                           value_estimated=pd.array([True, None] * (len(second) // 2)
                                                    + [False] * (len(second) % 2),
                                                    dtype="boolean"))
    both = assemble([synthetic_panel, second])
    return {"synthetic": synthetic_panel, "two sources": both,
            "one source chosen": select_sources(both), "empty": S.empty_panel()}


# -- the schema -----------------------------------------------------------------------------------

def _valid_panel() -> pd.DataFrame:
    rows = pd.DataFrame({
        "source": "wits", "frequency": ["A", "A", "M", "M"],
        "period": ["2020", "2021", "2021-01", "2021-12"], "year": [2020, 2021, 2021, 2021],
        "month": [None, None, 1, 12], "reporter": "CHN", "partner": ["JPN", "JPN", "USA", "X01"],
        "reporter_original": ["China", None, "156", "156"], "flow": "export",
        "hs6": "280530", "hs_original": ["280530", "28053000", None, "280530"],
        "hs_vintage": ["H5", None, "H6", "H0"], "stage": "metals",
        "value_usd": [1.0, 0.0, None, 5e9], "net_weight_kg": [2.0, None, 3.0, 0.0],
        "value_estimated": [True, None, False, False], "batch": ["b", None, "b", "b"]})
    return S.conform(rows)


def _mutations():
    """(name, function of a valid panel) breaking or bending each rule of the schema once."""
    def put(column, value, row=0, dtype=None):
        def change(df):
            out = df.copy()
            if dtype is not None:
                out[column] = out[column].astype(dtype)
            out.loc[row, column] = value
            return out
        return change

    return [
        ("valid", lambda df: df),
        ("flow not allowed", put("flow", "exports")),
        ("period with a trailing newline", put("period", "2020\n")),  # re.match accepts it
        ("period with full-width digits", put("period", "２０２０")),  # \d matches them
        ("period month 13", put("period", "2021-13", 2)),
        ("reporter lower case", put("reporter", "chn")),
        ("partner of four letters", put("partner", "JAPN", 1)),
        ("hs6 of five digits", put("hs6", "28053")),
        ("hs_original of eleven digits", put("hs_original", "28053000000")),
        ("unknown hs_vintage", put("hs_vintage", "H9")),
        ("unknown stage", put("stage", "powder")),
        ("missing source", put("source", pd.NA)),
        ("missing frequency", put("frequency", pd.NA)),
        ("missing partner", put("partner", pd.NA, 3)),
        ("missing year", put("year", pd.NA)),
        ("year 1961", put("year", 1961)),
        ("year 2100", put("year", 2100)),
        ("month 0", put("month", 0, 2)),
        ("month on an annual row", put("month", 5, 0)),
        ("no month on a monthly row", put("month", pd.NA, 2)),
        ("negative value", put("value_usd", -1.0)),
        ("infinite weight", put("net_weight_kg", np.inf)),
        ("NaN that is not missing", lambda df: df.assign(
            quantity=pd.arrays.FloatingArray(np.array([np.nan, 1, 1, 1.0]),
                                             np.zeros(4, bool)))),
        ("duplicated key", lambda df: pd.concat([df, df.iloc[[1]]], ignore_index=True)),
        ("two rows missing the same key part", lambda df: df.assign(
            hs_original=pd.array([None, None, None, None], dtype="string"), partner="JPN",
            period="2020", frequency="A", month=pd.array([None] * 4, dtype="Int64"))),
        ("year as numpy integers", lambda df: df.assign(year=df["year"].astype("int64"))),
        ("text as Python objects", lambda df: df.assign(batch=df["batch"].astype(object))),
        ("text as pyarrow strings", lambda df: df.assign(
            reporter=df["reporter"].astype("string[pyarrow]"))),
        ("an extra column", lambda df: df.assign(extra=1)),
        ("a column missing", lambda df: df.drop(columns="batch")),
        ("columns in another order", lambda df: df[[*reversed(df.columns)]]),
        ("no rows", lambda df: df.iloc[:0]),
    ]


@pytest.mark.parametrize(("name", "change"), _mutations(), ids=[m[0] for m in _mutations()])
def test_the_whole_column_check_never_passes_what_pandera_refuses(name, change):
    import pandera.errors

    frame = change(_valid_panel())
    try:
        S.panel_schema().validate(frame, lazy=True)
        pandera_passes = True
    except pandera.errors.SchemaErrors:
        pandera_passes = False
    assert S.panel_schema().columns.keys() == previous.panel_schema().columns.keys()
    fast = S.passes_schema(frame)
    assert not fast or pandera_passes
    if name in ("text as Python objects", "year as numpy integers"):
        assert not fast  # stricter on types: such frames go to pandera for the verdict
    else:
        assert fast == pandera_passes
    _same(S.validate_panel, previous.validate_panel, frame)
    if set(S.KEY) <= set(frame.columns):
        _same(S.sort_and_validate, lambda f: previous.validate_panel(
            f.sort_values(list(S.KEY), kind="stable").reset_index(drop=True)), frame)


def test_the_schema_built_from_rules_is_the_one_before():
    new, old = S.panel_schema(), previous.panel_schema()
    assert list(new.columns) == list(old.columns)
    for name, column in new.columns.items():
        other = old.columns[name]
        assert (str(column.dtype), column.nullable) == (str(other.dtype), other.nullable)
        assert [(c.name, c.statistics) for c in column.checks] == [
            (c.name, c.statistics) for c in other.checks]
    assert (new.unique, new.strict, new.ordered, new.coerce) == (
        old.unique, old.strict, old.ordered, old.coerce)


# -- the Comtrade adapter and the build's order ----------------------------------------------

def test_the_comtrade_adapter_equals_the_cell_by_cell_one(synthetic_raw, shared):
    from replay import pnnl_rows, recorded, v1_types

    _same(comtrade.to_panel, previous.comtrade_to_panel, synthetic_raw, source="comtrade_files")
    only_read = synthetic_raw[[c for c in synthetic_raw.columns
                               if c in (*comtrade.RAW_COLUMNS, *comtrade.RAW_KEY)]]
    _same(comtrade.to_panel, previous.comtrade_to_panel, only_read)  # what the build reads
    body = recorded(shared("comtradr-fixtures"),
                    "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")[2]
    pnnl = v1_table(pnnl_rows(shared(*PNNL), v1_types(body))).to_pandas()
    _same(comtrade.to_panel, previous.comtrade_to_panel, pnnl)
    unknown = v1_table([{**_awkward_rows()[0], "partnerCode": 98765}]).to_pandas()
    _same(comtrade.to_panel, previous.comtrade_to_panel, unknown)


def test_stacking_sources_keeps_the_key_order_of_one_sort(synthetic_panel):
    halves = [synthetic_panel.iloc[1::2].assign(source="wits"), synthetic_panel.iloc[::2]]
    checked = [S.sort_and_validate(h.reset_index(drop=True)) for h in halves]
    _same(lambda fs: assemble(fs, validate=False), previous.assemble, checked)
    _same(assemble, previous.assemble, halves)


# -- the derived tables -------------------------------------------------------------------------

def test_the_quality_table_equals_the_text_keyed_one(synthetic_panel):
    for name, panel in _panels(synthetic_panel).items():
        q = _same(quality_table, previous.quality_table, panel)
        assert name == "empty" or len(q) > 100
        _same(quality_table, previous.quality_table, panel, levels=["reporter"], window=1,
              threshold=0.2, uv_factor=3.0)
    for option in ({"threshold": 1.5}, {"uv_factor": 1.0}, {"levels": ["country"]}):
        _same(quality_table, previous.quality_table, synthetic_panel, **option)


def test_the_quality_table_on_real_rows_equals_the_text_keyed_one(china_exports_panel):
    _same(quality_table, previous.quality_table, china_exports_panel)


def test_the_sorted_median_is_numpys_nanmedian():
    rng = np.random.default_rng(0)
    stack = rng.lognormal(size=(4, 5000))
    stack[rng.random(stack.shape) < 0.4] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(stack, axis=0)
    np.testing.assert_array_equal(column_nanmedian(stack), expected)


def test_mirror_flows_equal_the_text_keyed_ones(synthetic_panel, china_exports_panel):
    panels = _panels(synthetic_panel)
    for name in ("synthetic", "one source chosen", "empty"):
        _same(mirror_flows, previous.mirror_flows, panels[name])
    _same(mirror_flows, previous.mirror_flows, panels["one source chosen"],
          distrust=["CHN", "usa"], cif_fob_factor=1.1)
    _same(mirror_flows, previous.mirror_flows, panels["two sources"])  # the same error
    _same(mirror_flows, previous.mirror_flows, select_sources(china_exports_panel))


# -- writing and reading --------------------------------------------------------------------------

def test_tables_go_to_arrow_as_pyarrow_converts_them(synthetic_panel):
    panel = _panels(synthetic_panel)["one source chosen"]
    for frame in (panel, quality_table(panel), mirror_flows(panel), S.empty_panel(),
                  pd.DataFrame({"a": pd.array([None, None], dtype="string"), "b": [1, 2]})):
        expected = pa.Table.from_pandas(frame, preserve_index=False)
        assert to_arrow(frame).equals(expected, check_metadata=True)


def test_reading_some_columns_equals_reading_all_then_choosing(tmp_path):
    store = RawStore(tmp_path)
    first = pa.table({"k": [1, 2, 3], "v": [1.0, 2.0, 3.0], "note": ["a", "b", "c"]})
    second = pa.table({"k": [3, 4], "v": [30.0, 40.0]})  # a later file without "note"
    parts = [Part({"p": str(i)}, "x", t) for i, t in enumerate([first, second] * 5)]
    store.write("demo", parts[:5], query={}, content_sha256="0")
    store.write("demo", parts[5:], query={}, content_sha256="1")
    whole = store.read("demo", key=["k"])
    some = store.read("demo", key=["k"], columns=["note"], missing_ok=True)
    pd.testing.assert_frame_equal(some, whole[["note", "k"]])
    chosen = store.read("demo", key=["k"], columns=["v", "absent"], missing_ok=True)
    assert chosen.columns.tolist() == ["v", "k"]


def test_work_on_distinct_values_equals_work_on_every_row():
    values = pd.Series([156, 392, None, 156, 0], dtype="Int64")
    pd.testing.assert_series_equal(on_distinct(values, lambda v: v.astype(str)),
                                   values.astype(str))
    frame = pd.DataFrame({"a": ["y", None, "x", "y", None], "b": [2.0, 1.0, np.nan, 2.0, 1.0]})
    pd.testing.assert_frame_equal(on_distinct(frame, lambda f: f.astype(str)), frame.astype(str))
    for na in ("first", "last"):
        pd.testing.assert_frame_equal(
            sort_by(frame, ["a", "b"], na_position=na),
            frame.sort_values(["a", "b"], na_position=na, kind="stable").reset_index(drop=True))
