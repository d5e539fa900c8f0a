"""Scenarios: path arithmetic by hand, event switches against a refit path, bounds, defaults.

Tolerances (and why):
- HAND = 1e-12: shift/ramp/growth paths recomputed by hand on the logit/log scale.
- EXOG = 1e-8: an event switched off by a scenario against the model's own forecast
  (statsmodels SARIMAX; prophet's seeded predictive draws) with the future step set to zero;
  the step enters linearly with a point-estimated coefficient, so only rounding separates them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from retrade.errors import SpecificationError
from retrade.forecast import (
    DEFAULT_SCENARIOS,
    Adjustment,
    Scenario,
    Series,
    apply_scenarios,
)
from retrade.forecast import forecast_series as forecast
from retrade.forecast.core import MODELS, model_input
from retrade.forecast.draft import ModelInput
from retrade.forecast.events import Design, check_events

HAND = 1e-12
EXOG = 1e-8


def share(role="china_share", n=12) -> Series:
    df = pd.DataFrame(
        {"period": pd.date_range("2013", periods=n, freq="YS"), "y": np.linspace(0.9, 0.8, n)}
    )
    return Series(df, "A", "share", name="s", role=role)


def test_shift_ramp_and_growth_paths_match_hand_computation():
    res = forecast(share(), model="naive", horizon=4)  # 2025..2028, median logit(0.8)
    sc = Scenario(
        "test",
        "hand",
        (
            Adjustment("china_share", "2026-06-01", shift=-0.4, ramp_years=2.0),
            Adjustment("any", "2020-01-01", growth_per_year=0.1),  # before the forecast: from 2025
            Adjustment("china_exports", "2025-01-01", shift=5.0),  # another role: no effect
        ),
    )
    out = apply_scenarios(res, [sc]).tidy()
    got = out[(out.scenario == "test") & (out.level == 0.8)]["yhat"].to_numpy()
    expected = logit(0.8) + np.array([0, -0.2, -0.4, -0.4]) + 0.1 * np.arange(1, 5)
    np.testing.assert_allclose(got, expit(expected), atol=HAND)
    base = out[(out.scenario == "base") & (out.level == 0.95)]
    shifted = out[(out.scenario == "test") & (out.level == 0.95)]
    np.testing.assert_allclose(
        logit(shifted["yhat_upper"].to_numpy()),
        logit(base["yhat_upper"].to_numpy()) + expected - logit(0.8),
        atol=1e-9,
    )


@pytest.mark.parametrize("model", ["sarimax", "prophet"])
def test_switching_an_event_off_equals_forecasting_with_the_step_at_zero(model):
    t = np.arange(30)
    rng = np.random.default_rng(3)
    z = 8 + 0.02 * t - 0.5 * (t >= 20) + np.cumsum(rng.normal(0, 0.05, 30))
    df = pd.DataFrame({"period": pd.date_range("1995", periods=30, freq="YS"), "y": np.exp(z)})
    s = Series(df, "A", "level", name="exports", role="china_exports")
    events = pd.DataFrame({"date": ["2015-04-04"], "name": ["controls"]})
    res = forecast(s, model=model, horizon=5, events=events, seed=2)
    assert res.effects["controls"] == pytest.approx(-0.5, abs=0.2)
    off = Scenario(
        "lifted",
        "step off from 2027",
        (Adjustment("china_exports", "2027-01-01", event="controls", event_active=False),),
    )
    path = apply_scenarios(res, [off]).drafts["lifted"]
    inp = model_input(s, 5, (0.8, 0.95), check_events(events), 2)
    future = inp.design.future.copy()
    future[2:] = 0.0  # 2027 onwards
    design = Design(inp.design.names, inp.design.train, future)
    refit = MODELS[model](ModelInput(inp.z, inp.periods, inp.future, "A", inp.levels, design, 2))
    np.testing.assert_allclose(path.median, refit.median, atol=EXOG)
    np.testing.assert_allclose(path.bounds[0.95][0], refit.bounds[0.95][0], atol=EXOG)


def test_event_adjustment_needs_an_estimated_effect():
    res = forecast(share(), model="ets", horizon=3)
    sc = Scenario("x", "", (Adjustment("any", "2025-01-01", event="controls", event_active=False),))
    with pytest.raises(SpecificationError, match="'controls'.*estimated no effect"):
        apply_scenarios(res, [sc])


@pytest.mark.parametrize("role", ["china_share", "overseas_share", "china_exports"])
def test_default_scenarios_keep_bounds_and_differ_where_they_apply(role):
    if role == "china_exports":
        df = pd.DataFrame(
            {
                "period": pd.date_range("2021-01", periods=48, freq="MS"),
                "y": np.exp(10 + 0.1 * np.sin(np.arange(48))),
            }
        )
        s = Series(df, "M", "level", name="x", role=role)
    else:
        s = share(role)
    res = forecast(s, model="naive", horizon=8 if s.frequency == "A" else 24)
    out = apply_scenarios(res)
    tidy = out.tidy()
    assert set(tidy["scenario"]) == {"base", *(sc.name for sc in DEFAULT_SCENARIOS)}
    if s.kind == "share":
        assert ((tidy["yhat_lower"] > 0) & (tidy["yhat_upper"] < 1)).all()
    assert (tidy["yhat_lower"] >= 0).all()
    last = tidy[tidy["period"] == tidy["period"].max()].groupby("scenario")["yhat"].first()
    assert last["controls suspended"] == last["base"]
    if role == "china_share":
        assert (
            last["overseas capacity ramps as announced"]
            < last["2025 controls persist"]
            < last["base"]
        )
    if role == "overseas_share":
        assert (
            last["overseas capacity ramps as announced"]
            > last["2025 controls persist"]
            > last["base"]
        )
    if role == "china_exports":
        assert last["2025 controls persist"] == pytest.approx(0.85 * last["base"], rel=1e-12)
    assert "2025 controls persist" in out.summary()


def test_defaults_are_documented_and_editable():
    for sc in DEFAULT_SCENARIOS:
        assert len(sc.description) > 80 and sc.sources
        assert all(a.note for a in sc.adjustments)
    persist = DEFAULT_SCENARIOS[0]
    milder = persist.edit(
        name="milder", adjustments=tuple(a.edit(shift=a.shift / 2) for a in persist.adjustments)
    )
    assert persist.adjustments[0].shift == pytest.approx(np.log(0.85))
    assert milder.adjustments[0].shift == pytest.approx(np.log(0.85) / 2)
    with pytest.raises(ValueError, match="applies_to='china'"):
        Adjustment("china", "2025-01-01")
    with pytest.raises(SpecificationError, match="not a date"):
        Adjustment("any", "soon")
    res = forecast(share(), model="naive", horizon=2)
    with pytest.raises(SpecificationError, match="unique and not 'base'"):
        apply_scenarios(res, [persist, persist])
