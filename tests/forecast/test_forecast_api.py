"""The forecast interface: errors that name the bad value, the results contract, reproducibility.

Tolerances (and why):
- none numeric beyond equality: these tests check contracts (columns, messages, seeds,
  unchanged inputs), and the ensemble's quantile average is recomputed exactly (1e-12).
"""

from __future__ import annotations

import logging

import matplotlib
import numpy as np
import pandas as pd
import pytest

from retrade.errors import ConfigError, SpecificationError
from retrade.forecast import Series
from retrade.forecast import forecast_series as forecast

matplotlib.use("Agg")


def frame(n=12, start="2010", freq="YS", values=None) -> pd.DataFrame:
    y = np.linspace(0.9, 0.7, n) if values is None else values
    return pd.DataFrame({"period": pd.date_range(start, periods=n, freq=freq), "y": y})


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: forecast(frame(), frequency="A", kind="share", model="arima", horizon=2),
            ConfigError,
            "model='arima'",
        ),
        (
            lambda: forecast(frame(), frequency="Q", kind="share", horizon=2),
            ConfigError,
            "frequency='Q'",
        ),
        (
            lambda: forecast(frame(), frequency="A", kind="ratio", horizon=2),
            ConfigError,
            "kind='ratio'",
        ),
        (
            lambda: forecast(frame(), frequency="A", kind="share", horizon=0),
            SpecificationError,
            "horizon=0",
        ),
        (
            lambda: forecast(frame(), frequency="A", kind="share", horizon=2, levels=(0.8, 95)),
            SpecificationError,
            "level 95",
        ),
        (
            lambda: forecast(
                frame(values=np.r_[np.full(11, 0.5), 1.2]), frequency="A", kind="share", horizon=2
            ),
            SpecificationError,
            r"outside \[0, 1\]: \[1.2\]",
        ),
        (
            lambda: forecast(
                frame(values=np.r_[np.full(11, 5.0), -1]), frequency="A", kind="level", horizon=2
            ),
            SpecificationError,
            r"negative values \[-1.0\]",
        ),
        (
            lambda: forecast(frame().drop(index=4), frequency="A", kind="share", horizon=2),
            SpecificationError,
            "2014-01-01",
        ),
        (
            lambda: forecast(frame(), frequency="M", kind="share", horizon=2),
            SpecificationError,
            "not a regular 'M' series",
        ),
        (
            lambda: forecast(frame(), frequency="A", kind="share", model="snaive", horizon=2),
            SpecificationError,
            "monthly series",
        ),
        (
            lambda: forecast(
                frame(),
                frequency="A",
                kind="share",
                horizon=2,
                events=pd.DataFrame({"date": ["2012-13-45"], "name": ["x"]}),
            ),
            SpecificationError,
            "2012-13-45",
        ),
        (
            lambda: forecast(
                frame(),
                frequency="A",
                kind="share",
                model="ensemble",
                horizon=2,
                members=["naive", "magic"],
            ),
            ConfigError,
            "member='magic'",
        ),
        (
            lambda: forecast(
                frame(),
                frequency="A",
                kind="share",
                model="ensemble",
                horizon=2,
                weights=[1, -1, 1],
            ),
            SpecificationError,
            r"weights=\[1, -1, 1\]",
        ),
        (
            lambda: forecast(frame(), frequency="A", kind="level", transform="logit", horizon=2),
            SpecificationError,
            "'logit' does not suit a 'level'",
        ),
        (lambda: forecast(frame(), kind="share", horizon=2), SpecificationError, "frequency"),
        (
            lambda: forecast(frame(n=5), frequency="A", kind="share", model="ets", horizon=2),
            SpecificationError,
            "'ets' needs at least 8 observations; 'y' has 5",
        ),
    ],
)
def test_bad_input_raises_an_error_naming_the_value(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_results_contract_and_inputs_unchanged():
    df = frame(values=np.array([0.0, 0.05, 0.1, 0.1, 0.2, 0.3, 0.3, 0.35, 0.5, 0.6, 0.8, 1.0]))
    before = df.copy()
    res = forecast(
        df,
        frequency="A",
        kind="share",
        name="odd",
        unit="share",
        horizon=3,
        model="ensemble",
        members=["naive", "ets"],
        weights=[1, 3],
    )
    pd.testing.assert_frame_equal(df, before)
    tidy = res.tidy()
    assert list(tidy.columns) == [
        "period",
        "yhat",
        "yhat_lower",
        "yhat_upper",
        "level",
        "model",
        "series",
    ]
    assert ((tidy["yhat_lower"] >= 0) & (tidy["yhat_upper"] <= 1)).all()  # clipped 0 and 1
    assert res.weights == (0.25, 0.75) and res.members == ("naive", "ets")
    naive = forecast(df, frequency="A", kind="share", model="naive", horizon=3).draft
    ets = forecast(df, frequency="A", kind="share", model="ets", horizon=3).draft
    np.testing.assert_allclose(
        res.draft.bounds[0.95][1],
        0.25 * naive.bounds[0.95][1] + 0.75 * ets.bounds[0.95][1],
        atol=1e-12,
    )
    text = res.summary()
    for needle in ("ensemble", "logit(y)", "median", "2010-01-01 to 2021-01-01", "12 obs"):
        assert needle in text
    fig = res.plot().figure  # plot() returns the Axes (the one results contract)
    assert fig.axes[0].get_title() == "odd (ensemble)"
    assert res._repr_html_().startswith("<pre>")


def test_prophet_is_reproducible_quiet_and_leaves_global_state_alone(caplog):
    s = Series(frame(n=15), "A", "share", name="p")
    cmdstan = logging.getLogger("cmdstanpy")
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    first = forecast(s, model="prophet", horizon=3, seed=7).tidy()
    assert np.random.random() == expected_next  # the global generator is restored
    second = forecast(s, model="prophet", horizon=3, seed=7).tidy()
    other = forecast(s, model="prophet", horizon=3, seed=8).tidy()
    pd.testing.assert_frame_equal(first, second)
    assert not np.allclose(first["yhat_lower"], other["yhat_lower"])
    assert not cmdstan.disabled
    assert not [r for r in caplog.records if r.name.startswith(("cmdstanpy", "prophet"))]


def test_cli_forecasts_a_csv_with_backtested_choice_and_scenarios(tmp_path):
    from typer.testing import CliRunner

    from retrade.cli.forecast import app

    source = tmp_path / "share.csv"
    noisy = np.clip(np.linspace(0.9, 0.7, 16) + np.random.default_rng(1).normal(0, 0.03, 16), 0, 1)
    frame(n=16, values=noisy).to_csv(source, index=False)
    target = tmp_path / "out.csv"
    args = [
        str(source),
        "--frequency",
        "A",
        "--kind",
        "share",
        "--role",
        "china_share",
        "--horizon",
        "3",
        "--scenarios",
        "--out",
        str(target),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Model choice" in result.output and "lowest MASE" in result.output
    written = pd.read_csv(target)
    assert len(written) == 4 * 3 * 2  # base + 3 scenarios, horizon 3, two levels
    assert set(written["scenario"]) >= {"base", "controls suspended"}
    bad = CliRunner().invoke(
        app,
        [str(source), "--frequency", "A", "--kind", "share", "--horizon", "3", "--model", "magic"],
    )
    assert bad.exit_code != 0 and "model='magic'" in str(bad.exception)


def test_event_steps_by_hand():
    from retrade.forecast.events import check_events, design

    events = check_events(
        pd.DataFrame(
            {
                "date": ["2012-06-30", "2012-01-01", "2013-03-01", "2030-01-01"],
                "name": ["quota cut", "same step", "embargo", "after the data"],
                "end": [None, None, "2013-12-31", None],
            }
        )
    )
    train = pd.date_range("2010", periods=5, freq="YS")
    future = pd.date_range("2015", periods=2, freq="YS")
    d = design(events, train, future, "A")
    assert d.names == ("quota cut", "embargo")  # duplicate and constant steps dropped
    np.testing.assert_array_equal(d.train, [[0, 0], [0, 0], [1, 0], [1, 1], [1, 0]])
    np.testing.assert_array_equal(d.future, [[1, 0], [1, 0]])
