"""Rolling-origin backtests: splits, no leakage, scores against hand computations, model choice.

Tolerances (and why):
- HAND = 1e-12: MASE, coverage and MSIS of the naive model are recomputed by hand with
  numpy from the definitions (same arithmetic, different code); only rounding differs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.errors import SpecificationError
from retrade.forecast import Series, backtest, core, rolling_origins, select_model
from retrade.forecast.baselines import naive

HAND = 1e-12


def annual(values, start="2000") -> Series:
    df = pd.DataFrame(
        {
            "period": pd.date_range(start, periods=len(values), freq="YS"),
            "y": np.asarray(values, dtype=float),
        }
    )
    return Series(df, frequency="A", kind="level", name="toy")


@pytest.mark.parametrize(
    ("n", "initial", "step", "horizon", "expected"),
    [
        (10, 6, 1, 2, [(6, [6, 7]), (7, [7, 8]), (8, [8, 9])]),
        (10, 4, 3, 3, [(4, [4, 5, 6]), (7, [7, 8, 9])]),
        (5, 4, 1, 1, [(4, [4])]),
    ],
)
def test_rolling_origins_are_expanding_and_end_before_the_test(n, initial, step, horizon, expected):
    periods = pd.date_range("2000", periods=n, freq="YS")
    splits = rolling_origins(periods, initial=initial, step=step, horizon=horizon)
    assert [(s.n_train, [periods.get_loc(p) for p in s.test]) for s in splits] == expected
    for s in splits:
        assert periods[s.n_train - 1] < s.origin == s.test[0]


def test_backtest_never_shows_a_model_the_future(monkeypatch):
    s = annual(np.arange(1.0, 13.0))
    origins = [pd.Timestamp(f"{y}-01-01") for y in (2006, 2008, 2010)]  # by hand: 6, 8, 10 obs
    seen = []

    def spy(inp):
        origin = origins[len(seen)]
        if (inp.periods >= origin).any() or len(inp.z) != len(s.data[s.data.period < origin]):
            raise AssertionError(f"training data reach {inp.periods.max()} for origin {origin}")
        if inp.future[0] != origin:
            raise AssertionError(f"asked to forecast from {inp.future[0]}, origin {origin}")
        seen.append(inp.periods.max())
        return naive(inp)

    monkeypatch.setitem(core.MODELS, "spy", spy)
    bt = backtest(s, models=["spy"], initial=6, step=2, horizon=2)
    assert len(seen) == 3
    assert list(bt.tidy()["origin"].unique()) == origins


def test_events_after_the_origin_do_not_enter_the_fit(monkeypatch):
    s = annual(np.r_[np.full(8, 5.0), np.full(6, 9.0)] + np.arange(14) * 0.1)
    events = pd.DataFrame({"date": ["2008-03-01"], "name": ["controls"]})
    names = []

    def spy(inp):
        names.append(inp.design.names)
        return naive(inp)

    monkeypatch.setitem(core.MODELS, "spy", spy)
    backtest(s, models=["spy"], initial=7, step=3, horizon=2, events=events)
    # origins 2007 (train 2000-2006: the 2008 step is all zeros) and 2010 (2000-2009)
    assert names == [(), ("controls",)]


def test_naive_scores_match_hand_computation():
    y = np.array([5, 6, 7, 6, 8, 9, 8, 10, 11, 12], dtype=float)
    bt = backtest(annual(y), models=["naive"], initial=6, horizon=2)
    scaled, inside80, msis = [], [], []
    for k in (6, 7, 8):
        train = y[:k]
        scale = np.mean(np.abs(np.diff(train)))
        z = np.log(train)
        sigma = np.sqrt(np.mean(np.diff(z) ** 2))
        for h in (1, 2):
            actual = y[k + h - 1]
            scaled.append(abs(actual - train[-1]) / scale)
            for q, store in ((1.2815515655446004, inside80), (1.959963984540054, None)):
                lo = np.exp(z[-1] - q * sigma * np.sqrt(h))
                hi = np.exp(z[-1] + q * sigma * np.sqrt(h))
                if store is not None:
                    store.append(lo <= actual <= hi)
                else:
                    pen = 2 / 0.05 * (max(lo - actual, 0) + max(actual - hi, 0))
                    msis.append((hi - lo + pen) / scale)
    row = bt.scores().iloc[0]
    assert row["mase"] == pytest.approx(np.mean(scaled), abs=HAND)
    assert row["coverage_80"] == pytest.approx(np.mean(inside80), abs=HAND)
    assert row["msis"] == pytest.approx(np.mean(msis), abs=HAND)
    assert row["mase_vs_naive"] == pytest.approx(1.0)


def test_select_model_reports_the_choice_and_the_table():
    rng = np.random.default_rng(4)
    y = np.exp(2 + 0.08 * np.arange(22) + rng.normal(0, 0.02, 22))  # a steady trend
    bt = backtest(annual(y), models=["naive", "sarimax"], initial=14, step=2, horizon=3)
    choice = select_model(bt)
    table = choice.tidy()
    assert choice.model == table.loc[table["mase"].idxmin(), "model"] == "sarimax"
    assert set(table["model"]) == {"naive", "sarimax"} and table["chosen"].sum() == 1
    assert "sarimax has the lowest MASE" in choice.reason and "coverage" in choice.reason
    assert sum(choice.weights().values()) == pytest.approx(1.0)
    by_msis = select_model(bt, criterion="msis")
    assert by_msis.model == table.loc[table["msis"].idxmin(), "model"]
    assert bt.scores(by="h")["h"].tolist() == [1, 2, 3, 1, 2, 3]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"initial": 12, "horizon": 2}, "no backtest origin"),
        ({"initial": 0, "horizon": 2}, "initial=0"),
        ({"initial": 5, "horizon": 2, "step": 0}, "step=0"),
    ],
)
def test_backtest_rejects_impossible_designs(kwargs, match):
    with pytest.raises(SpecificationError, match=match):
        backtest(annual(np.arange(1.0, 11.0)), models=["naive"], **kwargs)


def test_backtest_on_a_real_baci_share_series(shared):
    path = shared("materials-atlas", "TRANSCRIBED_baci_re_world_summary_2002_2024.csv")
    raw = pd.read_csv(path)
    rows = raw[raw["hs6"] == 284690]
    # japan_import_share is Japan's share of *world* imports (PROVENANCE-trade §6), not
    # China's share of Japan's imports: a real 23-year share series, labelled as what it is
    df = pd.DataFrame(
        {"period": pd.to_datetime(rows["year"].astype(str)), "y": rows["japan_import_share"]}
    )
    s = Series(df, "A", "share", name="JPN share of world 284690 imports", role="other")
    bt = backtest(s, models=["naive", "ets", "ensemble"], initial=15, step=3, horizon=3)
    tidy = bt.tidy()
    assert ((tidy["yhat_lower"] > 0) & (tidy["yhat_upper"] < 1)).all()
    assert len(tidy) == 2 * 3 * 3 * 2  # origins (2017, 2020) x models x horizon x levels
    choice = select_model(bt)
    assert choice.model in {"naive", "ets", "ensemble"} and np.isfinite(choice.table["mase"]).all()


def test_models_with_too_narrow_intervals_are_set_aside(monkeypatch):
    def tight(inp):  # the naive median with intervals squeezed to nothing: same MASE as naive
        d = naive(inp)
        return type(d)(
            d.median, {lv: (d.median - 1e-9, d.median + 1e-9) for lv in d.bounds}, "tight"
        )

    monkeypatch.setitem(core.MODELS, "tight", tight)
    rng = np.random.default_rng(8)
    s = annual(np.exp(np.cumsum(rng.normal(0, 0.2, 20))))
    bt = backtest(s, models=["tight", "naive"], initial=12, step=2, horizon=2)
    scores = bt.scores().set_index("model")
    assert scores.loc["tight", "mase"] == pytest.approx(scores.loc["naive", "mase"])
    assert scores.loc["tight", "coverage_95"] == 0.0
    choice = select_model(bt)
    assert choice.model == "naive"  # 'tight' comes first and ties on MASE, but is set aside
    assert "Set aside" in choice.reason and "['tight']" in choice.reason
    assert choice.tidy()["eligible"].tolist() == [True, False]
