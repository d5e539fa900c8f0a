"""The quality table with less fixed cost per call against its previous form (issue 14).

The previous code is ``tests/_previous_quality.py`` (the module as it was). Both
run on the same panels: a synthetic Comtrade download imported and built, the
real WITS panel of ``../shared/data`` (China's exports), the two stacked (two
sources), and edge cases made from them (empty, one row, missing values and
partners, zero and negative-zero weights, estimated flags, monthly rows with
holes, text columns instead of categoricals). Tolerance: none (exact frame
equality, dtypes and order included): the new code computes the same numbers
with the same pandas reductions and only builds fewer frames on the way.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import _previous_quality as prev
from _outcome import outcome as _run
from retrade.errors import DataQualityWarning
from retrade.panel import quality as Q
from retrade.panel.coded import categoricals, coded_panel, quality_tables


@pytest.fixture(scope="module")
def synthetic_panel(tmp_path_factory):
    """A synthetic Comtrade download (World rows, several flows) imported and built."""
    from retrade.config import load_settings
    from retrade.fetch.files import import_file
    from retrade.panel.build import build_panel
    from retrade.testing import synthetic_comtrade_download

    folder = tmp_path_factory.mktemp("quality_fixed_cost")
    settings = load_settings(data_dir=folder / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        import_file(synthetic_comtrade_download(folder / "s.csv", rows=3000, seed=5),
                    settings=settings)
        return build_panel(settings=settings).panel


def _monthly(panel: pd.DataFrame) -> pd.DataFrame:
    """``panel``'s rows as months (year -> a month of 2019-2020 by year), some months left out."""
    month = (panel["year"].astype("int64") % 24).to_numpy()
    rows = panel.assign(frequency="M", year=2019 + month // 12, month=month % 12 + 1,
                        period=[f"{2019 + m // 12}-{m % 12 + 1:02d}" for m in month])
    rows = rows.astype({c: panel[c].dtype for c in ("frequency", "period", "year", "month")})
    return rows[(month % 5 != 2)].reset_index(drop=True)


def _panels(synthetic: pd.DataFrame, real: pd.DataFrame) -> dict[str, pd.DataFrame]:
    mixed = pd.concat([synthetic, real], ignore_index=True)  # two sources
    n = np.arange(len(mixed))
    holes = mixed[n % 7 != 3].reset_index(drop=True)  # periods missing inside series
    odd = holes.assign(
        partner=holes["partner"].where(n[: len(holes)] % 13 != 0),
        net_weight_kg=holes["net_weight_kg"].mask(n[: len(holes)] % 5 == 0, -0.0)
        .mask(n[: len(holes)] % 11 == 0, None),
        value_usd=holes["value_usd"].mask(n[: len(holes)] % 17 == 0, None),
        value_estimated=pd.array([True, None, False] * len(holes), dtype="boolean")[: len(holes)],
        weight_estimated=pd.array([None, True, False, False] * len(holes),
                                  dtype="boolean")[: len(holes)])
    return {"synthetic": synthetic, "real": real, "mixed": mixed, "holes": holes, "odd": odd,
            "monthly": _monthly(real), "monthly_odd": _monthly(odd),
            "reversed": mixed.iloc[::-1], "one": real.iloc[[5]], "empty": real.iloc[:0],
            "one_series": real[(real["partner"] == real["partner"].iloc[0])
                               & (real["hs6"] == real["hs6"].iloc[0])]}


@pytest.fixture(scope="module")
def panels(synthetic_panel, china_exports_panel):
    return _panels(synthetic_panel, china_exports_panel)


def _assert_same(got, expected):
    assert type(got) is type(expected)
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.dtypes.to_dict() == expected.dtypes.to_dict()
        assert list(got.columns) == list(expected.columns)
    else:
        assert got == expected


def _previous_quality_tables(view):
    coded = prev.coded_quality_table(view)
    return prev.conform_quality(coded), categoricals(coded)


def test_the_builds_quality_tables_equal_the_previous_ones(panels):
    flagged = 0
    for name, panel in panels.items():
        view = coded_panel(panel)
        new, old = _run(quality_tables, view), _run(_previous_quality_tables, view)
        assert new[1] == old[1], name
        for got, expected in zip(new[0], old[0], strict=True):
            _assert_same(got, expected)
        flagged += len(old[0][0])
        # the text panel, as quality_table takes it
        _assert_same(_run(Q.quality_table, panel)[0], _run(prev.quality_table, panel)[0])
    assert flagged > 1000


@pytest.mark.parametrize(("window", "threshold", "uv_factor", "levels"), [
    (2, 0.4, 10.0, ("partner", "reporter")), (1, 0.7, 2.0, ("partner",)),
    (3, 0.9, 1.5, ("reporter",)), (2, 0.4, 10.0, ()), (0, 0.4, 10.0, ("partner",)),
    (2, 1.4, 10.0, ("partner",)), (2, 0.4, 0.5, ("partner",)), (2, 0.4, 10.0, ("country",))])
def test_every_option_gives_the_previous_table(panels, window, threshold, uv_factor, levels):
    options = {"window": window, "threshold": threshold, "uv_factor": uv_factor, "levels": levels}
    checks = set()
    for name in ("mixed", "odd", "monthly_odd", "one", "empty"):
        panel = panels[name]
        for source in (panel, coded_panel(panel)):
            new = _run(Q.coded_quality_table, source, **options)
            old = _run(prev.coded_quality_table, source, **options)
            assert new[1] == old[1]
            if isinstance(old[0], str):  # an option error: the same message
                assert new[0] == old[0]
                continue
            # the columns that go to Arrow as codes are the same categoricals; the rest is
            # the same once typed (text columns may be typed already)
            _assert_same(categoricals(new[0]), categoricals(old[0]))
            _assert_same(Q.conform_quality(new[0]), prev.conform_quality(old[0]))
            checks |= set(old[0]["check"])
    if levels and set(levels) <= set(Q.LEVELS) and 0 < threshold < 1 and window and uv_factor > 1:
        assert checks == set(Q.CHECKS)


def test_each_check_alone_gives_the_previous_rows(panels):
    for name in ("mixed", "odd", "monthly_odd", "one", "empty"):
        panel = panels[name]
        for view in (panel, Q._coded(panel)):
            pairs = [(Q.gaps(view), prev.gaps(view)),
                     (Q.outliers(view, window=1, threshold=0.6), prev.outliers(
                         view, window=1, threshold=0.6)),
                     (Q.unit_value_outliers(view, factor=3.0), prev.unit_value_outliers(
                         view, factor=3.0)),
                     (Q.flagged_rows(view), prev.flagged_rows(view))]
            for got, expected in pairs:
                _assert_same(got, expected)


def test_the_series_tables_equal_the_previous_ones(panels):
    measures = ("net_weight_kg", "value_usd")
    for name in ("mixed", "odd", "monthly_odd", "one", "empty"):
        for view in (panels[name], Q._coded(panels[name])):
            new = Q._series_frames(view, Q.LEVELS, measures)
            old = prev._series_frames(view, Q.LEVELS, measures)
            for level in Q.LEVELS:
                _assert_same(new[level][list(old[level].columns)], old[level])
                # series numbered in order of appearance, as before
                assert np.array_equal(new[level]["_sid"], old[level]["_sid"])


def test_sums_of_one_row_give_what_pandas_group_sums_give():
    values = pd.array([-0.0, 0.0, None, 1.5, -2.25, 1e308], dtype="Float64")
    frame = pd.DataFrame({"a": values, "b": values[::-1]})
    groups = np.arange(len(values))
    expected = frame.groupby(groups).sum(min_count=1)
    got = Q._group_sums({c: frame[c].array for c in frame}, groups, len(values))
    for column in ("a", "b"):
        pd.testing.assert_extension_array_equal(got[column], expected[column].array)
        assert np.array_equal(np.signbit(got[column].to_numpy(float, na_value=np.nan)),
                              np.signbit(expected[column].to_numpy(float, na_value=np.nan)))
