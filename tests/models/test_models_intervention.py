"""Intervention analysis (SARIMAX) against simulations, statsmodels' own forecasts and hand sums.

Tolerances, and why:
* Forecast path covariance: its diagonal equals statsmodels' forecast variances to
  1e-10 (same Kalman recursions); the variance of the 12-month cumulative log path
  equals that of 2,000 paths from statsmodels' ``simulate`` within 15% (the Monte
  Carlo standard error of a variance from 2,000 draws is about 3%, so 15% is ~5 SE).
* Simulated series (log level shift of -0.3 from 2023-01, noise SD 0.05 a month,
  seeded): the step estimate is within 3 standard errors of -0.3 and the 95% interval
  of the cumulative relative effect covers exp(-0.3) - 1; series without a shift give
  placebo intervals that cover zero.
* Event-window index: exact (ratios of a few floats).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.errors import SpecificationError
from retrade.models.events import define_treatment
from retrade.models.intervention import (
    _forecast_cov,
    _sarimax,
    event_index,
    intervention,
    monthly_total,
    placebos,
)
from retrade.models.simulate import monthly_series

CUT = define_treatment("simulated cut", "2023-01-01")


@pytest.fixture(scope="module")
def shifted():
    series = monthly_series(step=-0.3, event="2023-01", seed=1)
    return series, intervention(series, CUT, terms=("step", "pulse"))


def test_step_and_cumulative_effect_are_recovered(shifted):
    _, res = shifted
    step = res.tidy().set_index("term").loc["step"]
    assert abs(step["estimate"] + 0.3) < 3 * step["std_error"]
    c = res.cumulative
    assert c.relative_low < np.expm1(-0.3) < c.relative_high
    assert c.months == 24 and res.path["post"].sum() == 24
    post = res.path[res.path["post"]]
    assert c.observed == pytest.approx(post["observed"].sum(), rel=1e-12)


def test_placebo_series_without_a_shift_cover_zero():
    controls = {f"control {k}": monthly_series(step=0.0, event="2023-01", seed=10 + k)
                for k in range(2)}
    table = placebos(controls, CUT, horizon=12)
    assert table["covers_zero"].all() and (table["months"] == 12).all()


def test_forecast_covariance_matches_statsmodels():
    series = np.log(monthly_series(seed=3))
    pre = _sarimax(series[:72], None, (1, 0, 0), (0, 1, 1, 12), None).res
    mean, cov = _forecast_cov(pre, 12)
    forecast = pre.get_forecast(12)
    np.testing.assert_allclose(np.diag(cov), forecast.var_pred_mean, rtol=1e-10)
    np.testing.assert_allclose(mean, forecast.predicted_mean, rtol=1e-12)
    paths = np.asarray(pre.simulate(12, anchor="end", repetitions=2000,
                                    rng=np.random.default_rng(0))).reshape(12, -1)
    assert paths.sum(axis=0).var() == pytest.approx(cov.sum(), rel=0.15)


def test_event_index_by_hand():
    idx = pd.period_range("2023-09", periods=6, freq="M")
    frame = pd.DataFrame({"a": [2.0, 4.0, 6.0, 3.0, 8.0, 1.0], "b": [1.0] * 6}, index=idx)
    out = event_index(frame, define_treatment("e", "2024-01-01"), base=(-3, -2), window=(-1, 1))
    assert out["rel_month"].tolist() == [-1, 0, 1]
    assert out["a"].tolist() == pytest.approx([3 / 5 * 100, 8 / 5 * 100, 1 / 5 * 100], abs=1e-12)
    assert out["b"].tolist() == [100.0, 100.0, 100.0]


def test_monthly_total_sums_partners_when_no_world_row():
    rows = pd.DataFrame({"frequency": "M", "period": ["2024-01", "2024-01", "2024-02"],
                         "reporter": "CHN", "partner": ["JPN", "USA", "JPN"], "flow": "export",
                         "hs6": "850511", "value_usd": [1.0, 2.0, 4.0],
                         "net_weight_kg": [1.0, 1.0, 2.0]})
    assert monthly_total(rows).tolist() == [3.0, 4.0]
    assert monthly_total(rows, measure="unit_value").tolist() == [1.5, 2.0]


@pytest.mark.parametrize("series, event, kwargs, error, message", [
    (monthly_series(), "2025-04 controls", {}, SpecificationError, "outside the data"),
    (monthly_series(), "2015 quota removal", {}, SpecificationError, "pre-event months"),
    (monthly_series() * 0 + 5.0, CUT, {}, SpecificationError, "no variation"),
    (monthly_series() - 1e9, CUT, {}, SpecificationError, "positive"),
    (monthly_series(), CUT, {"terms": ("jump",)}, ValueError, "step"),
    (monthly_series().reset_index(drop=True), CUT, {}, SpecificationError, "monthly"),
])
def test_bad_intervention_specifications(series, event, kwargs, error, message):
    with pytest.raises(error, match=message):
        intervention(series, event, **kwargs)
