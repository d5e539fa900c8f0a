"""The models on the real files in ../shared/data (read at run time, never copied).

Tolerances, and why:
* ln(1+y) exposure DiD on China's 280530 exports vs statsmodels OLS with dummies run
  on the *published* balanced sheet (a different data path: the DERIVED long file's
  own zero rows, not retrade's balancing): rtol 1e-6 on the coefficient and on the
  clustered SE with the "dummies" correction (demeaning tolerance, see
  test_models_did.py).
* Everything else is structural (sample sizes, which caveats appear, which events
  raise), exact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import retrade.models as rm
from conftest import MONTHLY_GROUPS, MONTHLY_HS6, WITS_LONG
from retrade.errors import DataQualityWarning, SpecificationError

EXPOSURE = rm.top_k(10, baseline=(2010, 2014), exclude=("HKG",))


def _wide(monthly: pd.DataFrame, file: tuple[str, str], key: str) -> pd.DataFrame:
    """One stored monthly table's values as one column per ``key``, on a monthly PeriodIndex."""
    rows = monthly[monthly["table"] == file[1].removesuffix(".csv")]
    wide = rows.pivot(index="period", columns=key, values="value_usd").astype(float)
    wide.index = pd.PeriodIndex(wide.index, freq="M")
    return wide


@pytest.fixture(scope="module")
def wits(china_exports_panel):
    """The stored WITS panel (China's exports by partner), under the short name used below."""
    return china_exports_panel


@pytest.fixture(scope="module")
def series(monthly):
    """China's monthly exports by RE line, and by mineral group (the placebo controls)."""
    return _wide(monthly, MONTHLY_HS6, "hs6"), _wide(monthly, MONTHLY_GROUPS, "group")


def test_quota_removal_did_matches_statsmodels_on_the_published_sheet(wits, shared):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = rm.exposure_did(wits, "2015 quota removal", hs6="280530", exposure=EXPOSURE,
                              small_sample="dummies")
    sheet = pd.read_csv(shared(*WITS_LONG), dtype={"hs_code": str})
    sheet = sheet[(sheet["hs_code"] == "280530") & (sheet["partner"] != "Hong Kong, China")]
    base = sheet[sheet["year"] <= 2014].groupby("partner")["export_value_usd"].mean()
    exposed = set(base.sort_values(ascending=False).index[:10])
    sheet = sheet.assign(
        y=np.log1p(sheet["export_value_usd"]),
        treat=sheet["partner"].isin(exposed) * (sheet["year"] >= 2015).astype(float))
    ref = smf.ols("y ~ treat + C(partner) + C(year)", sheet).fit(
        cov_type="cluster", cov_kwds={"groups": sheet["partner"]})
    got = res.tidy().iloc[0]
    assert res.info.n_obs == len(sheet) == 43 * 15
    assert got["estimate"] == pytest.approx(ref.params["treat"], rel=1e-6)
    assert got["std_error"] == pytest.approx(ref.bse["treat"], rel=1e-6)


def test_quantity_outcomes_surface_the_broken_2016_and_drop_it_on_request(wits):
    kw = dict(hs6="284690", exposure=EXPOSURE, outcome="log", measure="net_weight_kg")
    with pytest.warns(DataQualityWarning, match="2016"):
        kept = rm.exposure_did(wits, "2015 quota removal", **kw)
    assert any(c.startswith("UNRELIABLE") and "2016" in c for c in kept.caveats)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        dropped = rm.exposure_did(wits, "2015 quota removal", drop_years=[2016], **kw)
    assert not any("UNRELIABLE" in c for c in dropped.caveats)
    assert dropped.info.n_obs < kept.info.n_obs


def test_quota_removal_event_study_and_ppml_on_each_hs_line(wits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for hs6 in ("280530", "284690", "850511"):
            es = rm.event_study(wits, "2015 quota removal", hs6=hs6, outcome="ppml",
                                exposure=EXPOSURE)
            assert es.event_table()["event_time"].tolist() == list(range(-5, 10))
            assert 0.0 <= es.pretrend.p_value <= 1.0
            assert {"JPN", "USA"} <= set(es.exposure.group)
            assert "HKG" not in set(es.exposure.table["partner"])


def test_events_beyond_the_data_are_errors_on_real_data(wits, series):
    with pytest.raises(SpecificationError, match="outside the data"):
        rm.exposure_did(wits, "2025-04 controls", hs6="850511")
    with pytest.raises(SpecificationError, match="outside the data"):
        rm.intervention(series[0]["850511"], "2025-10 controls")
    with pytest.raises(SpecificationError, match="pre-event months"):
        rm.intervention(series[0]["850511"], "2015 quota removal")


def test_monthly_intervention_and_placebos_run_on_real_series(series):
    lines, groups = series
    magnets = lines["850511"]
    assert len(magnets) == 96 and lines["280530"].first_valid_index() == pd.Period("2018-01", "M")
    res = rm.intervention(magnets, "2023-12 technology ban", name="magnets")
    assert res.cumulative.months == 12
    assert res.path["post"].sum() == 12 and np.isfinite(res.tidy()["std_error"]).all()
    table = rm.placebos({"Polysilicon": groups["Polysilicon"]},
                        "2023-12 technology ban", horizon=6)
    assert table["months"].tolist() == [6]
