"""The backtest's whole-column table, scores and choice against the code they replaced.

The previous implementations live in ``tests/_previous_forecast.py``. Tolerances, and why:

* the backtest table: exact (the same forecasts, stacked once instead of a frame per origin);
* scores: rtol 1e-12 (group means from ``numpy.bincount`` add the same floats as pandas'
  group-by, which sums with Kahan compensation: the last bits can differ);
* the choice: the same model, the same table order and the same reason text.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import _previous_forecast as previous
from retrade import forecast as fc
from retrade.forecast.backtest import score_table


def _series(frequency: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2000", periods=n, freq="YS" if frequency == "A" else "MS")
    season = np.sin(np.arange(n) * 2 * np.pi / 12) if frequency == "M" else 0.0
    return pd.DataFrame({"period": periods, "y": np.exp(5 + np.cumsum(rng.normal(0, 0.1, n))
                                                        + 0.2 * season)})


CASES = [
    ("A", 20, ["naive", "ets"], dict(initial=14, step=1, horizon=3)),
    ("A", 16, ["naive", "ets", "sarimax", "ensemble"], dict(initial=10, step=1, horizon=3)),
    ("M", 84, ["naive", "snaive", "ets"], dict(initial=48, step=12, horizon=12)),
]


@pytest.mark.parametrize(("frequency", "n", "models", "design"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_backtest_scores_and_choice_equal_the_previous_ones(frequency, n, models, design, seed):
    series = fc.Series(_series(frequency, n, seed), frequency, "level", name="s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = fc.backtest(series, models=models, **design)
        old = previous.backtest(series, models=models, **design)
    pd.testing.assert_frame_equal(new.table, old.table, check_exact=True)
    for keys in (["model"], ["model", "h"]):
        pd.testing.assert_frame_equal(score_table(new.table, new.levels, keys),
                                      previous.score_table(old.table, old.levels, keys),
                                      check_exact=False, rtol=1e-12, atol=0)
    for criterion in ("mase", "msis"):
        a, b = fc.select_model(new, criterion=criterion), previous.select_model(
            old, criterion=criterion)
        assert (a.model, a.reason) == (b.model, b.reason)
        pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-12, atol=0)
