"""The build's shortcuts against the code they replaced (the panel build at 10^5-10^6 rows).

Each replaced step is run here beside its previous form on the same inputs,
and the two are compared exactly (tolerance: none; the shortcuts skip work
whose result is known, they compute nothing differently): a code's first
row without sorting (against ``np.unique``), the raw store's de-duplication
on the key columns that vary (against grouping on every key column), the
quality table's floats typed directly (against ``astype``), and the quality
table and mirror flows computed side by side (against one after the other,
warnings and errors included).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from _outcome import outcome as _run
from retrade.errors import DataQualityWarning, SchemaError
from retrade.panel import schema as S
from retrade.panel.build import side_by_side
from retrade.panel.distinct import column_codes, combine_codes, first_rows, row_codes
from retrade.store import Part, RawStore
from retrade.store.raw import _keep_last, _varying


def _previous_row_codes(frame: pd.DataFrame | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``retrade.panel.distinct.row_codes`` before (combine, then sort for the first rows)."""
    columns = [frame] if isinstance(frame, pd.Series) else [frame[c] for c in frame.columns]
    codes = combine_codes([column_codes(column) for column in columns])
    _, first = np.unique(codes, return_index=True)
    return codes, first


def _columns(rng: np.random.Generator, n: int) -> dict[str, pd.Series]:
    text = pd.Series(rng.choice(["CHN", "JPN", "USA", None], n), dtype="string")
    numbers = pd.Series(pd.array(rng.choice([156, 392, 842, 0], n), dtype="Int64"))
    numbers[rng.random(n) < 0.1] = pd.NA
    floats = pd.Series(rng.choice([1.5, np.nan, 2.5, -0.0, 0.0], n))
    return {"text": text, "numbers": numbers, "floats": floats,
            "objects": text.astype(object), "one value": pd.Series(["A"] * n, dtype="string")}


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
def test_first_rows_without_sorting_are_numpys(n):
    rng = np.random.default_rng(n)
    columns = _columns(rng, n)
    for name, column in columns.items():
        new, old = row_codes(column), _previous_row_codes(column)
        np.testing.assert_array_equal(new[0], old[0], err_msg=name)
        np.testing.assert_array_equal(new[1], old[1], err_msg=name)
    frame = pd.DataFrame(columns)
    for new, old in zip(row_codes(frame), _previous_row_codes(frame), strict=True):
        np.testing.assert_array_equal(new, old)
    for codes in (rng.integers(0, 5, n), rng.integers(-3, 3, n), np.arange(n)[::-1],
                  np.repeat(np.arange(n // 2 + 1) * 3, 2)[:n]):
        np.testing.assert_array_equal(first_rows(codes), np.unique(codes, return_index=True)[1])


# -- the raw store's read -------------------------------------------------------------------------

def _previous_keep_last(table: pa.Table, key: list[str]) -> pa.Table:
    """``retrade.store.raw._keep_last`` before (grouped on every key column the table has)."""
    key = [k for k in key if k in table.column_names]
    rows = pa.array(np.arange(table.num_rows, dtype=np.int64))
    last = (table.select(key).append_column("_row", rows)
            .group_by(key, use_threads=False).aggregate([("_row", "max")]))["_row_max"]
    if len(last) == table.num_rows:
        return table
    return table.take(np.sort(last.to_numpy()))


def _keyed_table(rng: np.random.Generator, n: int) -> pa.Table:
    return pa.table({
        "type": pa.array(["C"] * n),
        "reporter": pa.array(rng.choice([156, 392], n)),
        "period": pa.array(rng.choice(["2020", "2021", None], n)),
        "partner": pa.array(rng.choice([0, 4, 8], n).astype(float)),  # a float key is kept
        "mot": pa.array([0] * n),
        "none": pa.array([None] * n, type=pa.int64()),
        "flag": pa.array([True] * n),
        "some_missing": pa.array([None] + ["x"] * (n - 1)) if n else pa.array([], pa.string()),
        "value": pa.array(rng.random(n)),
    })


@pytest.mark.parametrize("n", [0, 1, 5, 400])
def test_keeping_the_newest_row_on_the_varying_columns_equals_grouping_on_all(n):
    table = _keyed_table(np.random.default_rng(n), n)
    keys = [["type", "reporter", "period", "partner", "mot", "none", "flag", "some_missing"],
            ["type", "mot"], ["none"], ["type", "absent", "reporter"], ["partner"]]
    for key in keys:
        assert _keep_last(table, key).equals(_previous_keep_last(table, key))
    if n == 400:  # the constant columns are left out of the grouping, the float one is kept
        assert _varying(table, keys[0]) == ["reporter", "period", "partner", "some_missing"]
        assert _varying(table, ["type", "mot"]) == ["type"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_newest_rows_by_key_codes_equal_the_acero_group_by_on_many_chunks(seed):
    """The integer-code path of ``_keep_last`` against pyarrow's group-by, on a concatenation
    of files (many chunks, repeated keys across them, missing values, a date-time key)."""
    rng = np.random.default_rng(seed)
    parts = []
    for size in (0, 1, 50, 300, 7):
        parts.append(pa.table({
            "reporter": pa.array(rng.choice([156, 392, 842], size)),
            "period": pa.array(rng.choice(["2020", "2021", None], size)),
            "flag": pa.array(rng.choice([True, False], size)),
            "day": pa.array(rng.choice(np.array(["2020-01-01", "2021-06-30"],
                                                dtype="datetime64[ms]"), size)),
            "value": pa.array(rng.random(size)),
        }))
    table = pa.concat_tables(parts, promote_options="permissive")  # as the store reads
    assert table["reporter"].num_chunks > 1
    for key in (["reporter", "period", "flag", "day"], ["period"], ["reporter", "flag"]):
        got = _keep_last(table, key)
        assert got.num_rows < table.num_rows  # keys repeat: rows are dropped
        assert got.equals(_previous_keep_last(table, key))
    unique = pa.table({"k": pa.chunked_array([[3, 1], [2]]),
                       "v": pa.chunked_array([[0.1], [.2, .3]])})
    assert _keep_last(unique, ["k"]) is unique  # nothing repeats: the table itself


def test_the_store_reads_the_newest_rows_as_before(tmp_path):
    rng = np.random.default_rng(1)
    table = pa.Table.from_pandas(pd.DataFrame({
        "cmd": pd.array(rng.choice(["280530", "284690", None], 300), dtype="string"),
        "code": pd.array(rng.choice([1, 2], 300), dtype="Int64"),
        "type": pd.array(["C"] * 300, dtype="string"),
        "value": rng.random(300),
    }), preserve_index=False)
    store = RawStore(tmp_path)
    store.write("demo", [Part({"p": "1"}, "x", table)], query={}, content_sha256="0")
    pd.testing.assert_frame_equal(store.read("demo", key=["type", "cmd", "code"]),
                                  _previous_keep_last(table, ["type", "cmd", "code"]).to_pandas(),
                                  check_exact=True)


# -- the quality table's typing -------------------------------------------------------------------

def test_quality_floats_typed_directly_equal_astype():
    from retrade.panel.quality import _QUALITY_DTYPES, QUALITY_COLUMNS, conform_quality

    floats = np.array([1.5, np.nan, -0.0, np.inf, 3e300])
    frame = pd.DataFrame({"check": ["gap"] * 5, "value": floats, "ratio": floats[::-1],
                          "reference": pd.array([1.0, None, 2.0, 3.0, None], dtype="Float64")})
    expected = pd.DataFrame({c: (frame[c] if c in frame else pd.Series(pd.NA, index=frame.index))
                             .astype(_QUALITY_DTYPES[c]) for c in QUALITY_COLUMNS})
    typed = conform_quality(frame)
    pd.testing.assert_frame_equal(typed, expected, check_exact=True)
    typed.loc[0, "value"] = 9.0
    assert frame.loc[0, "value"] == 1.5  # the input is not changed through the result


# -- the quality table and the mirror flows side by side ----------------------------------------

def _steps(log: list, *, warn: tuple = (), fail: tuple = ()):
    """Two steps that log what they do, and warn or fail when told to."""
    def step(name):
        def run():
            log.append(name)
            if name in warn:
                warnings.warn(f"{name} warns", DataQualityWarning, stacklevel=1)
            if name in fail:
                raise SchemaError(f"{name} fails")
            return name.upper()
        return run
    return step("quality"), step("mirror")


_CASES = [((), ()), (("mirror",), ()), (("quality", "mirror"), ()), ((), ("mirror",)),
          ((), ("quality", "mirror")), (("mirror",), ("quality",))]


@pytest.mark.parametrize(("warn", "fail"), _CASES)
def test_side_by_side_gives_what_one_after_the_other_gives(warn, fail):
    concurrent = _run(side_by_side, *_steps([], warn=warn, fail=fail))
    first, second = _steps([], warn=warn, fail=fail)
    assert concurrent == _run(lambda: (first(), second()))
    assert concurrent == _run(side_by_side, *_steps([], warn=warn, fail=fail), together=False)
    if not warn and not fail:
        assert concurrent == (("QUALITY", "MIRROR"), [])


def test_the_build_tables_side_by_side_equal_one_after_the_other(china_exports_panel):
    from retrade.panel.mirror import mirror_flows
    from retrade.panel.quality import quality_table
    from retrade.panel.sources import select_sources

    panel = china_exports_panel
    quality, mirror = side_by_side(lambda: quality_table(panel),
                                   lambda: mirror_flows(select_sources(panel)))
    assert len(quality) and len(mirror)
    pd.testing.assert_frame_equal(quality, quality_table(panel), check_exact=True)
    pd.testing.assert_frame_equal(mirror, mirror_flows(select_sources(panel)), check_exact=True)


def test_renumbering_in_place_equals_reset_index():
    from retrade.panel.distinct import renumbered

    frame = pd.DataFrame({"a": pd.array(["x", None, "y"], dtype="string"), "b": [1.0, 2.0, 3.0]},
                         index=pd.Index([7, 3, 5], name="row"))
    for order in ([2, 0, 1], [], [1]):
        pd.testing.assert_frame_equal(renumbered(frame.take(order)),
                                      frame.take(order).reset_index(drop=True), check_exact=True)
        pd.testing.assert_frame_equal(renumbered(frame[frame["b"] > 1]),
                                      frame[frame["b"] > 1].reset_index(drop=True))
    assert frame.index.tolist() == [7, 3, 5]


def test_file_rows_labelled_by_the_adapter_equal_relabelled_rows():
    from retrade.catalog.comtrade_v1 import v1_table
    from retrade.panel.adapters import comtrade, comtrade_files
    from retrade.panel.distinct import repeated

    rng = np.random.default_rng(5)
    years, values = rng.integers(2015, 2024, 200), rng.random(200)
    reporters, partners = rng.choice([156, 842], 200), rng.choice([392, 410, 0], 200)
    raw = v1_table([{"typeCode": "C", "freqCode": "A", "period": str(y), "refYear": y,
                     "reporterCode": int(r), "partnerCode": int(p), "flowCode": "X",
                     "cmdCode": "280530", "classificationCode": "H5", "primaryValue": float(v),
                     "motCode": 0, "customsCode": "C00", "partner2Code": 0, "mosCode": "0"}
                    for y, r, p, v in zip(years, reporters, partners, values, strict=True)]
                   ).to_pandas()

    def previous(rows):  # comtrade_files.to_panel before: relabel the API adapter's rows
        panel = comtrade.to_panel(rows)
        return panel.assign(source=repeated("comtrade_files", panel.index))

    new, old = _run(comtrade_files.to_panel, raw), _run(previous, raw)
    assert new[1] == old[1]
    pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)
    # the build conforms the adapter's rows without a copy: the same frame, the input kept
    produced = new[0].assign(value_usd=new[0]["value_usd"].astype(float)).drop(columns="batch")
    before = produced.copy()
    shared = S.conform(produced, copy=False)
    pd.testing.assert_frame_equal(shared, S.conform(produced), check_exact=True)
    shared["source"] = repeated("x", shared.index)
    pd.testing.assert_frame_equal(produced, before, check_exact=True)
    # rows that conform already come back as they are (no copy); copy=True still copies
    conformed = S.conform(new[0])
    assert S.conform(conformed, copy=False) is conformed
    again = S.conform(conformed)
    assert again is not conformed
    pd.testing.assert_frame_equal(again, conformed, check_exact=True)
    again.loc[0, "value_usd"] = -1.0
    assert conformed.loc[0, "value_usd"] != -1.0


def test_one_source_selected_without_grouping_equals_the_grouped_choice(china_exports_panel):
    from retrade.panel.sources import CELL, select_sources, source_rank

    def previous(panel):  # select_sources before: every cell grouped, whatever the sources
        ranks = source_rank(panel[S.SOURCE].dropna().unique().tolist())
        rank = panel[S.SOURCE].map(ranks)
        best = rank.groupby([panel[c] for c in CELL], dropna=False, observed=True).transform("min")
        return panel[rank == best].reset_index(drop=True)

    one = china_exports_panel[china_exports_panel["source"] == "wits"].iloc[::-1]
    assert len(one) and one["source"].nunique() == 1
    with_missing = one.assign(source=one["source"].where(one["year"] != one["year"].min()))
    for panel in (one, one.set_index(one.index * 2), with_missing, one.iloc[:0],
                  pd.concat([one.iloc[:5], one.iloc[:5].assign(source="comtrade")])):
        pd.testing.assert_frame_equal(select_sources(panel), previous(panel), check_exact=True)
    selected = select_sources(one)
    selected.iloc[0, 0] = "changed"
    assert one["source"].iloc[0] == "wits"  # a copy, as before
