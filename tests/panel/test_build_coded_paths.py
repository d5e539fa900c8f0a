"""The build's steps on the panel's codes against the steps they replaced (issue 14).

Each replaced step runs here beside its previous form (kept in this module)
on the same inputs, a synthetic Comtrade download imported and built and
the real panels of ``../shared/data`` (China's WITS exports, PNNL's Comtrade
rows served as the API serves them), and the two are compared exactly
(tolerance: none; the new steps reuse codes and skip copies, they compute
nothing differently):

* the quality table and mirror flows on the panel's coded view
  (``retrade.panel.coded``, built from the key sort's codes) against the two
  on the text panel, a one-source panel not copied by ``select_sources``;
* the mirror flows' sides grouped on one integer against the seven-column
  group-by; the element tables not built without China or Census rows;
* the panel's, quality table's and mirror flows' text converted to Arrow
  from codes against ``pa.Table.from_pandas``;
* Comtrade raw rows read with categorical text against text columns;
* quality rows made in one selection, and ``sort_by`` on categorical codes,
  against their previous forms.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from _outcome import outcome as _run
from retrade.errors import DataQualityWarning
from retrade.panel import schema as S
from retrade.store import RawStore

# -- the quality table and mirror flows on the coded panel ----------------------------------------

def _previous_tables(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The build's quality table and mirror flows before: on the text panel, through
    ``select_sources``' copy (each step factorizing the text columns it groups on)."""
    from retrade.panel.mirror import mirror_flows
    from retrade.panel.quality import quality_table
    from retrade.panel.sources import select_sources

    return quality_table(panel), mirror_flows(select_sources(panel))


def _coded_tables(panel: pd.DataFrame, codes=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables as the build computes them now (see ``retrade.panel.build._build``)."""
    from retrade.panel.coded import coded_panel, one_per_flow
    from retrade.panel.mirror import mirror_flows
    from retrade.panel.quality import quality_table

    view = coded_panel(panel, codes)
    return quality_table(view), mirror_flows(one_per_flow(view, panel))


@pytest.fixture(scope="module")
def synthetic_build(tmp_path_factory):
    """A synthetic Comtrade download (World rows, several flows) imported and built."""
    from retrade.config import load_settings
    from retrade.fetch.files import import_file
    from retrade.panel.build import build_panel
    from retrade.testing import synthetic_comtrade_download

    folder = tmp_path_factory.mktemp("synthetic_build")
    settings = load_settings(data_dir=folder / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        import_file(synthetic_comtrade_download(folder / "s.csv", rows=4000, seed=2),
                    settings=settings)
        return settings, build_panel(settings=settings)


def test_the_build_tables_equal_those_computed_on_the_text_panel(synthetic_build):
    from retrade.store import ProcessedStore

    settings, built = synthetic_build
    quality, mirror = _previous_tables(built.panel)
    assert len(quality) and len(mirror)
    pd.testing.assert_frame_equal(built.quality, quality, check_exact=True)
    pd.testing.assert_frame_equal(built.mirror, mirror, check_exact=True)
    stored = ProcessedStore(settings.processed_dir)
    pd.testing.assert_frame_equal(stored.read("quality"), quality, check_exact=True)
    pd.testing.assert_frame_equal(stored.read("mirror"), mirror, check_exact=True)


def test_the_coded_panel_from_the_key_sorts_codes_equals_factorizing(synthetic_build):
    from retrade.panel.coded import CODED, coded_panel

    panel = synthetic_build[1].panel
    shuffled = panel.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled.loc[::7, "partner_original"] = pd.NA  # a column the view leaves as it is
    ordered, codes = S.sorted_and_validated(shuffled)
    assert codes is not None and set(codes) == set(S.KEY)
    pd.testing.assert_frame_equal(ordered, S.sort_and_validate(shuffled), check_exact=True)
    view = coded_panel(ordered, codes)
    pd.testing.assert_frame_equal(view, coded_panel(ordered), check_exact=True)
    countries = sorted(set(ordered["reporter"].dropna()) | set(ordered["partner"].dropna()))
    for column in ordered.columns:
        if column not in CODED:
            assert view[column] is ordered[column] or view[column].equals(ordered[column])
            continue
        expected = countries if column in ("reporter", "partner") else sorted(
            ordered[column].dropna().unique())
        assert list(view[column].cat.categories) == expected, column
        pd.testing.assert_series_equal(view[column].astype("string"), ordered[column],
                                       check_exact=True)


def test_coded_tables_equal_text_tables_on_real_and_mixed_panels(china_exports_panel,
                                                                 synthetic_build):
    comtrade = synthetic_build[1].panel
    real = china_exports_panel
    mixed = pd.concat([comtrade, real], ignore_index=True)  # two sources, one flow in both
    no_source = mixed.assign(source=mixed["source"].where(mixed.index % 11 != 0))
    for panel in (real, mixed, no_source, comtrade.iloc[::-1], comtrade.iloc[:0]):
        new, old = _run(_coded_tables, panel), _run(_previous_tables, panel)
        assert new[1] == old[1]
        for got, expected in zip(new[0], old[0], strict=True):
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert len(_previous_tables(real)[0]) and len(_previous_tables(mixed)[1])


# -- the mirror flows' sides grouped on one integer -----------------------------------------------

def _previous_side(codes, keep, value, rows, own, other, labels, flow):
    """``retrade.panel.mirror._side`` before: a group-by on the seven code columns."""
    from retrade.panel.mirror import PAIR, _several_sources

    side = codes[keep].rename(columns={S.REPORTER: own, S.PARTNER: other}).assign(
        _value=value[keep], _weight=rows["weight"][keep], _est=rows["estimated"][keep])
    grouped = side.groupby([*PAIR, S.STAGE, S.SOURCE], observed=True)
    out = grouped[["_value", "_weight"]].sum(min_count=1).join(grouped["_est"].any()).reset_index()
    doubled = out[out.duplicated(list(PAIR), keep=False)]
    if not doubled.empty:
        _several_sources(doubled, flow, own, other, labels)
    return out


def _side_inputs(rng: np.random.Generator, n: int, sources: int = 1):
    columns = [S.FREQUENCY, S.PERIOD, S.HS6, S.REPORTER, S.PARTNER, S.STAGE, S.SOURCE]
    sizes = [2, 30, 8, 40, 40, 3, sources]
    codes = pd.DataFrame({c: rng.integers(0, k, n) for c, k in zip(columns, sizes, strict=True)})
    codes[S.STAGE] = codes[S.HS6] % 3  # one stage per code, as in the catalog
    value = rng.choice([1.5, np.nan, 0.1, 1e12, 3.0], n)
    rows = {"weight": rng.choice([np.nan, 2.0, 1e-9, 7.25], n), "estimated": rng.random(n) < 0.2}
    labels = {"country": pd.array([f"C{i}" for i in range(40)], dtype="string"),
              **{c: pd.array([f"{c}{i}" for i in range(k)], dtype="string")
                 for c, k in zip(columns, sizes, strict=True)}}
    return codes, rng.random(n) < 0.7, value, rows, labels


@pytest.mark.parametrize("n", [0, 1, 5, 3000])
def test_a_side_grouped_on_one_integer_equals_the_seven_column_group_by(n):
    from retrade.panel.mirror import _side, _side_grouped

    codes, keep, value, rows, labels = _side_inputs(np.random.default_rng(n), n)
    for own, other in (("exporter", "importer"), ("importer", "exporter")):
        args = (codes, keep, value, rows, own, other, labels, "export")
        new, old = _run(_side, *args), _run(_previous_side, *args)
        assert new[1] == old[1]
        pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)
        pd.testing.assert_frame_equal(_side_grouped(*args), old[0], check_exact=True)
    keep = np.ones(n, dtype=bool)  # every row: flows reported by several sources are an error
    codes, _, value, rows, labels = _side_inputs(np.random.default_rng(n), n, sources=3)
    args = (codes, keep, value, rows, "exporter", "importer", labels, "export")
    new, old = _run(_side, *args), _run(_previous_side, *args)
    assert new[1] == old[1] and (n < 1000 or "several sources" in str(new[0]))
    if isinstance(old[0], str):  # the same error, naming the same first pair
        assert new[0] == old[0]
    else:
        pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)


def test_element_tables_not_built_without_china_or_census_rows_equal_the_built_ones(
        synthetic_build, china_exports_panel):
    from retrade.panel.elements import element_panel, element_tables, province_table

    def previous(raw, panel):  # element_tables before: both tables built, the empty ones dropped
        tables = {"elements": element_panel(raw, panel), "provinces": province_table(raw)}
        return {name: table for name, table in tables.items() if len(table)}

    panel = synthetic_build[1].panel
    head = panel.iloc[:40]
    census = head.assign(source="census", hs_original=head["hs6"] + "0010", frequency="M",
                         period=head["period"] + "-01", month=pd.array([1] * 40, dtype="Int64"))
    for rows in (panel, china_exports_panel, panel.iloc[:0], pd.concat([census, panel])):
        for raw in (None, pd.DataFrame()):
            new, old = _run(element_tables, raw, rows), _run(previous, raw, rows)
            assert not isinstance(old[0], str), old[0]
            assert new[1] == old[1] and list(new[0]) == list(old[0])
            for name in old[0]:
                pd.testing.assert_frame_equal(new[0][name], old[0][name], check_exact=True)
    assert list(_run(element_tables, None, pd.concat([census, panel]))[0]) == ["elements"]


# -- the panel's coded columns to Arrow from their codes ------------------------------------------

def test_text_columns_go_to_arrow_from_their_codes_as_from_their_cells(synthetic_build):
    from retrade.panel.coded import coded_panel
    from retrade.store.processed import to_arrow

    panel = synthetic_build[1].panel
    with_missing = panel.assign(partner=panel["partner"].where(panel.index % 5 != 0),
                                stage=pd.array([None] * len(panel), dtype="string"))
    for frame in (panel, with_missing, panel.iloc[:0], panel.iloc[::-1].reset_index(drop=True)):
        expected = pa.Table.from_pandas(frame, preserve_index=False)
        got = to_arrow(frame, coded=coded_panel(frame))
        assert got.equals(expected, check_metadata=True)
        assert got.equals(to_arrow(frame), check_metadata=True)


def test_quality_rows_go_to_arrow_from_their_codes_as_the_typed_table(synthetic_build,
                                                                      china_exports_panel):
    from retrade.panel.coded import coded_panel, quality_tables
    from retrade.panel.quality import quality_table
    from retrade.store.processed import to_arrow

    for panel in (synthetic_build[1].panel, china_exports_panel):
        typed, coded = quality_tables(coded_panel(panel))
        pd.testing.assert_frame_equal(typed, quality_table(panel), check_exact=True)
        assert any(isinstance(coded[c].dtype, pd.CategoricalDtype) for c in coded.columns)
        expected = pa.Table.from_pandas(typed, preserve_index=False)
        assert to_arrow(typed, coded=coded).equals(expected, check_metadata=True)


def test_mirror_rows_go_to_arrow_from_their_codes_as_the_typed_table(synthetic_build,
                                                                     china_exports_panel):
    from retrade.panel.coded import mirror_tables
    from retrade.panel.mirror import mirror_flows
    from retrade.store.processed import to_arrow

    for panel in (synthetic_build[1].panel, china_exports_panel,
                  synthetic_build[1].panel.iloc[:0]):
        typed, coded = mirror_tables(panel)
        pd.testing.assert_frame_equal(typed, mirror_flows(panel), check_exact=True)
        expected = pa.Table.from_pandas(typed, preserve_index=False)
        assert to_arrow(typed, coded=coded).equals(expected, check_metadata=True)
    assert isinstance(coded["exporter"].dtype, pd.CategoricalDtype)


# -- Comtrade raw text read as categoricals -------------------------------------------------------

def _adapter_both_ways(store: RawStore, source: str):
    """The source's adapter on its raw rows read as text and read as categoricals."""
    from retrade.panel.build import _raw_columns, load_adapter

    adapter = load_adapter(source)
    assert adapter.text_codes
    read = [store.read(source, key=list(adapter.raw_key), columns=_raw_columns(adapter),
                       missing_ok=True, text_codes=codes) for codes in (False, True)]
    assert any(isinstance(t, pd.CategoricalDtype) for t in read[1].dtypes)
    for text, coded in zip(read[0].columns, read[1].columns, strict=True):
        assert text == coded
        pd.testing.assert_series_equal(read[1][coded].astype(read[0][text].dtype), read[0][text],
                                       check_exact=True)
    return [_run(adapter.to_panel, raw) for raw in read]


def test_comtrade_rows_read_as_categoricals_give_the_same_panel_rows(synthetic_build, shared,
                                                                     httpserver, tmp_path):
    from replay import ComtradeReplay, pnnl_rows, recorded, v1_types
    from retrade.config import load_settings
    from retrade.fetch.comtrade import fetch_comtrade

    new, old = _adapter_both_ways(RawStore(synthetic_build[0].raw_dir), "comtrade_files")
    assert new[1] == old[1] and len(old[0]) > 3000
    pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)
    # real Comtrade rows (PNNL's download, served as the API serves them), fetched and stored
    body = recorded(shared("comtradr-fixtures"),
                    "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")[2]
    rows = pnnl_rows(shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv"),
                     v1_types(body))
    ComtradeReplay(rows).install(httpserver)
    settings = load_settings(data_dir=tmp_path, min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    fetch_comtrade(reporters="CHN,USA", partners="WLD,CHN,USA", flows="M,X", hs="2846,280530",
                   periods="2020-2024", settings=settings, progress=False, availability=False)
    new, old = _adapter_both_ways(RawStore(tmp_path / "raw"), "comtrade")
    assert new[1] == old[1] and any("kept out" in w for w in old[1]) and len(old[0]) == 40
    pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)


# -- quality rows made in one selection ------------------------------------------------------------

def _previous_outlier_rows(panel, measures, window, threshold, levels, frames):
    """``retrade.panel.quality._outlier_rows`` before: select, assign, set, drop."""
    from retrade.panel.quality import _neighbour_median, _neighbours, _sentences, _series_frames

    frames = frames or _series_frames(panel, levels, measures)
    out = []
    for level in levels:
        frame = frames[level]
        neighbours = _neighbours(frame, window)
        for measure in measures:
            reference, count = _neighbour_median(frame, measure, neighbours)
            ratio = frame[measure].astype(float) / reference.where(reference > 0)
            hit = (count >= 2) & ((ratio < threshold) | (ratio > 1 / threshold))
            flagged = frame[hit].assign(
                check=np.where(ratio[hit] < threshold, "collapse", "spike"), level=level,
                measure=measure, value=frame.loc[hit, measure].astype(float),
                reference=reference[hit], ratio=ratio[hit])
            flagged["detail"] = _sentences(
                f"{measure} {{:,.4g}} is {{:.2f}} x the median {{:,.4g}} "
                f"of {{}} periods within ±{window}",
                flagged["value"], flagged["ratio"], flagged["reference"], count[hit])
            out.append(flagged.drop(columns=list(measures)))
    return out


def _quality_panels(synthetic_build, china_exports_panel):
    from retrade.panel.coded import coded_panel
    from retrade.panel.quality import _coded

    panel = synthetic_build[1].panel
    zeros = panel.assign(value_usd=panel["value_usd"].where(panel.index % 3 != 0, 0.0))
    return [_coded(p) for p in (panel, coded_panel(panel), china_exports_panel, zeros,
                                panel.iloc[:0])]


def test_outlier_rows_made_in_one_selection_equal_the_previous_ones(synthetic_build,
                                                                    china_exports_panel):
    from retrade.panel.quality import LEVELS, QUALITY_COLUMNS, _outlier_rows

    measures = ("net_weight_kg", "value_usd")
    for view in _quality_panels(synthetic_build, china_exports_panel):
        for window, threshold in ((2, 0.4), (1, 0.7)):
            args = (view, measures, window, threshold, LEVELS, None)
            new, old = _outlier_rows(*args), _previous_outlier_rows(*args)
            assert len(new) == len(old) == 4
            for got, expected in zip(new, old, strict=True):
                if expected.empty:  # every caller drops empty parts (their types never mattered)
                    assert got.empty and list(got.columns) == list(QUALITY_COLUMNS)
                    continue
                pd.testing.assert_frame_equal(
                    got, expected.reindex(columns=list(QUALITY_COLUMNS)), check_exact=True)


def _previous_unit_value_rows(panel: pd.DataFrame, factor: float) -> list[pd.DataFrame]:
    """``retrade.panel.quality._unit_value_rows`` before: select, assign, set (then reindexed)."""
    from retrade.panel.distinct import row_codes
    from retrade.panel.measures import is_aggregate_partner, unit_values
    from retrade.panel.quality import SERIES, _sentences

    rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
    uv = unit_values(rows)
    cell = row_codes(rows[[S.SOURCE, S.FREQUENCY, S.FLOW, S.HS6, S.PERIOD]])[0] if len(rows) else []
    grouped = uv.groupby(np.asarray(cell, dtype=np.int64))
    reference, count = grouped.transform("median"), grouped.transform("count")
    ratio = uv / reference.where(reference > 0)
    hit = (count >= 3) & ((ratio > factor) | (ratio < 1 / factor))
    flagged = rows.loc[hit, [*SERIES, S.PERIOD]].assign(
        check="unit_value", level="partner", measure="unit_value_usd_per_kg", value=uv[hit],
        reference=reference[hit], ratio=ratio[hit])
    flagged["detail"] = _sentences(
        "{:,.4g} USD/kg is {:.3g} x the median {:,.4g} USD/kg of {} rows of this code",
        flagged["value"], flagged["ratio"], flagged["reference"], count[hit])
    return [flagged]


def _previous_flag_rows(panel: pd.DataFrame) -> list[pd.DataFrame]:
    """``retrade.panel.quality._flag_rows`` before: one selection and ``assign`` per case."""
    from retrade.panel.quality import SERIES, _flag

    value, weight = panel[S.VALUE_USD].astype(float), panel[S.NET_WEIGHT_KG].astype(float)
    cases = [("estimated", S.VALUE_USD, _flag(panel[S.VALUE_ESTIMATED]), value,
              "the source flags this value as estimated"),
             ("estimated", S.NET_WEIGHT_KG, _flag(panel[S.WEIGHT_ESTIMATED]), weight,
              "the source flags this weight as estimated"),
             ("value_no_weight", S.NET_WEIGHT_KG, (value > 0) & ~(weight > 0), weight,
              "a positive value with a missing or zero net weight: no unit value")]
    return [panel.loc[mask, [*SERIES, S.PERIOD]].assign(
        check=check, level="partner", measure=measure, value=shown[mask], detail=detail)
        for check, measure, mask, shown, detail in cases]


def test_unit_value_and_flag_rows_in_one_selection_equal_the_previous_ones(synthetic_build,
                                                                           china_exports_panel):
    from retrade.panel.quality import QUALITY_COLUMNS, _flag_rows, _unit_value_rows

    panels = _quality_panels(synthetic_build, china_exports_panel)
    raw = synthetic_build[1].panel  # the public functions take the text panel as it is
    flags = raw.assign(value_estimated=pd.array([True, None, False] * (len(raw) // 3)
                                                + [True] * (len(raw) % 3), dtype="boolean"))
    for view in [*panels, raw, flags]:
        pairs = [(_unit_value_rows(view, f), _previous_unit_value_rows(view, f)) for f in (10, 2)]
        pairs.append((_flag_rows(view), _previous_flag_rows(view)))
        for new, old in pairs:
            assert len(new) == len(old)
            for got, expected in zip(new, old, strict=True):
                if expected.empty:
                    assert got.empty and list(got.columns) == list(QUALITY_COLUMNS)
                    continue
                pd.testing.assert_frame_equal(
                    got, expected.reindex(columns=list(QUALITY_COLUMNS)), check_exact=True)
    assert len(_flag_rows(flags)[0]) and len(_unit_value_rows(raw, 2)[0])


# -- sorting categoricals on their own codes -------------------------------------------------------

def _previous_sort_by(frame: pd.DataFrame, columns, *, na_position: str = "last") -> pd.DataFrame:
    """``retrade.panel.distinct.sort_by`` before: every column factorized in sorted order."""
    from retrade.panel.distinct import renumbered

    codes = []
    for column in reversed(list(columns)):
        code, uniques = pd.factorize(frame[column], sort=True, use_na_sentinel=True)
        codes.append(np.where(code < 0, -1 if na_position == "first" else len(uniques), code))
    order = np.lexsort(codes) if codes and len(frame) else np.arange(len(frame))
    return renumbered(frame.take(order))


@pytest.mark.parametrize("n", [0, 1, 9, 2000])
def test_sorting_on_categorical_codes_equals_sorting_on_factorized_values(n):
    from retrade.panel.distinct import sort_by

    rng = np.random.default_rng(n)
    text = pd.Series(rng.choice(["USA", "CHN", None, "JPN", "ARG"], n), dtype="string")
    frame = pd.DataFrame({
        "sorted": text.astype("category"),  # categories sorted: its codes are used
        "extra": pd.Categorical(text, categories=["ARG", "BRA", "CHN", "JPN", "USA", "ZZZ"]),
        "unsorted": pd.Categorical(text, categories=["USA", "JPN", "CHN", "ARG"]),
        "text": text, "number": rng.integers(0, 3, n), "value": rng.random(n)})
    for columns in (["sorted", "number"], ["extra", "unsorted", "value"], ["number", "text"],
                    ["unsorted"], ["sorted", "extra", "text", "number", "value"]):
        for na in ("first", "last"):
            pd.testing.assert_frame_equal(sort_by(frame, columns, na_position=na),
                                          _previous_sort_by(frame, columns, na_position=na),
                                          check_exact=True)


def test_comtrade_panel_rows_share_no_memory_with_the_raw_rows():
    """The adapter's frames are no longer copied twice; the rows it returns are still its own."""
    from retrade.panel.adapters.comtrade import to_panel

    raw = pd.DataFrame({
        "freqCode": ["A", "A"], "period": ["2020", "2021"], "reporterCode": [156, 156],
        "partnerCode": [392, 842], "flowCode": ["X", "X"], "cmdCode": ["280530", "284690"],
        "classificationCode": ["H5", "H5"],
        "primaryValue": pd.array([1.5e8, 2.0e8], dtype="Float64"),
        "netWgt": pd.array([2.0e7, None], dtype="Float64")})
    before = raw.copy()
    panel = to_panel(raw)
    for ours, theirs in (("value_usd", "primaryValue"), ("net_weight_kg", "netWgt")):
        assert not np.shares_memory(panel[ours].array._data, raw[theirs].array._data)
    panel.loc[0, "value_usd"] = -1.0
    pd.testing.assert_frame_equal(raw, before)
