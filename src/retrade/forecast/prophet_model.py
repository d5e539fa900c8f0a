"""Prophet (Taylor and Letham 2018, "Forecasting at scale") on the model scale.

Prophet is fitted to the transformed series (logit of a share, log of a
level) with linear growth; bounds are then kept by the back-transformation,
which also bounds the intervals. (Prophet's own logistic growth with
``cap``/``floor`` bounds only the trend, not its Gaussian noise, so its
intervals could still leave [0, 1].) Monthly series get yearly seasonality
(Fourier order 3); weekly and daily seasonality are off. Policy events enter
as step regressors (``add_regressor``), which fit persistent shifts better
than prophet's one-off ``holidays`` on monthly or annual data.

The median and the intervals come from prophet's posterior predictive draws
(``predictive_samples``; trend changes and noise simulated, MAP parameters).
Prophet draws with numpy's global generator: it is seeded with ``seed`` and
its previous state restored afterwards; the Stan optimiser gets the same seed.
cmdstanpy's and prophet's loggers are disabled during the fit and restored
afterwards; global logging is never configured.
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np
import pandas as pd

from retrade.errors import require
from retrade.forecast.draft import Draft, ModelInput, draws_draft

N_DRAWS = 1000


def prophet(inp: ModelInput) -> Draft:
    """Prophet with linear growth on the model scale and event step regressors."""
    with _quiet():  # prophet logs an error at import when plotly is absent
        module = require("prophet", "forecast")
    names = [f"event_{i}" for i in range(len(inp.design.names))]
    model = module.Prophet(
        growth="linear",
        yearly_seasonality=3 if inp.season_length > 1 else False,
        weekly_seasonality=False,
        daily_seasonality=False,
        uncertainty_samples=N_DRAWS,
    )
    for name in names:
        model.add_regressor(name, standardize=False)
    history = _frame(inp.periods, inp.design.train, names).assign(y=inp.z)
    future = _frame(inp.future, inp.design.future, names)
    with _quiet(), _seeded(inp.seed):
        model.fit(history, seed=inp.seed)
        draws = model.predictive_samples(future)["yhat"]
    effects = _effects(model, names, inp.design.names)
    spec = "prophet (linear growth" + (", yearly seasonality" if inp.season_length > 1 else "")
    spec += f", steps {list(inp.design.names)})" if names else ")"
    return draws_draft(np.asarray(draws, dtype=float), inp.levels, spec, effects)


def _frame(periods: pd.DatetimeIndex, x: np.ndarray, names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({"ds": pd.DatetimeIndex(periods)})
    for j, name in enumerate(names):
        frame[name] = x[:, j]
    return frame


def _effects(model, names: list[str], labels: tuple[str, ...]) -> dict[str, float]:
    if not names:
        return {}
    from prophet.utilities import regressor_coefficients

    table = regressor_coefficients(model).set_index("regressor")["coef"]
    return {label: float(table[name]) for name, label in zip(names, labels, strict=True)}


@contextlib.contextmanager
def _quiet():
    # ``disabled`` rather than a level: cmdstanpy resets its logger's level on first use
    loggers = [logging.getLogger(name) for name in ("cmdstanpy", "prophet", "prophet.plot")]
    before = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, disabled in zip(loggers, before, strict=True):
            lg.disabled = disabled


@contextlib.contextmanager
def _seeded(seed: int):
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
