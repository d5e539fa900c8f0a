"""``forecast_series()``: one entry point for every model, returning a :class:`ForecastResult`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.forecast import events as _events
from retrade.forecast import transform
from retrade.forecast.draft import Draft, ModelInput
from retrade.forecast.engine import autoarima, autotheta, ets, naive, snaive
from retrade.forecast.ensemble import combine, normalised_weights
from retrade.forecast.prophet_model import prophet
from retrade.forecast.results import ForecastResult
from retrade.forecast.statespace import sarimax
from retrade.panel.series import Series, as_series

ModelName = choices.ForecastModel

# name -> model function; the single registry forecast_series() and the backtests dispatch
# through.
# statsforecast fits naive, snaive, ets, autoarima and autotheta (retrade.forecast.engine);
# statsmodels fits SARIMAX, the one with policy-event regressors; prophet is prophet
MODELS: dict[str, Callable[[ModelInput], Draft]] = {
    "naive": naive,
    "snaive": snaive,
    "ets": ets,
    "autoarima": autoarima,
    "autotheta": autotheta,
    "sarimax": sarimax,
    "prophet": prophet,
}
DEFAULT_LEVELS = (0.8, 0.95)
# fewer observations than this leave the fitted models' noise variance close to
# unidentified (ETS on 3 points gives near-zero intervals), so they are refused
MIN_OBS = {"ets": 8, "autoarima": 8, "autotheta": 8, "sarimax": 8, "prophet": 6}


def default_members(frequency: str) -> tuple[str, ...]:
    """Ensemble members used when none are named: a baseline, ETS and SARIMAX.

    Prophet is left out of the default so that ensembles work without the
    ``forecast`` extra; name it in ``members`` to include it.
    """
    return ("snaive" if frequency == "M" else "naive", "ets", "sarimax")


def forecast_series(
    series: Series | pd.Series | pd.DataFrame,
    *,
    model: ModelName = "ets",
    horizon: int,
    levels: Sequence[float] = DEFAULT_LEVELS,
    events: pd.DataFrame | None = None,
    seed: int = 0,
    members: Sequence[str] | None = None,
    weights: Sequence[float] | None = None,
    **meta,
) -> ForecastResult:
    """Forecast a share or level series with prediction intervals at each level.

    Parameters
    ----------
    series : Series, pandas.Series or DataFrame
        The series, in any form :func:`~retrade.panel.series.as_series` reads: a
        ``pandas.Series`` on a PeriodIndex (or a DatetimeIndex, years, period
        text), a DataFrame with ``ds``/``y`` (prophet's), ``period``/``value`` or
        ``period``/``y``. ``meta`` holds the :class:`~retrade.panel.series.Series`
        keywords: ``frequency=`` (needed for dates that do not carry one),
        ``kind=`` (read off the values when left out), ``name=``, ``unit=``, ``role=``.
    model : {"ets", "autoarima", "autotheta", "sarimax", "prophet", "naive", "snaive", "ensemble"}
        The model; ``"ensemble"`` averages the quantiles of ``members``.
    horizon : int
        Number of periods to forecast.
    levels : sequence of float
        Central interval coverages in (0, 1); default 80% and 95%.
    events : DataFrame, optional
        Policy events (``date, name[, end]``) used as step regressors by
        SARIMAX and prophet (ignored by the other models).
    seed : int
        Seed for models that draw (prophet).
    members, weights : sequence, optional
        Ensemble members (default :func:`default_members`) and their weights
        (default equal).

    Returns
    -------
    ForecastResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"period": pd.date_range("2010", periods=12, freq="YS"),
    ...                    "y": [.9, .88, .9, .85, .86, .8, .82, .79, .8, .76, .75, .74]})
    >>> res = forecast_series(df, frequency="A", kind="share", name="share", model="naive",
    ...                       horizon=3)
    >>> res.tidy()[["yhat", "level"]].iloc[0].tolist()
    [0.74, 0.8]
    >>> bool(res.tidy()["yhat_upper"].max() < 1)
    True
    """
    series = forecastable(series, **meta)
    check_choice("model", model, (*MODELS, "ensemble"))
    levels = check_levels(levels)
    inp = model_input(series, horizon, levels, _events.check_events(events), seed)
    draft, members, w = fit_draft(series, inp, model, members, weights)
    if model != "ensemble":
        return ForecastResult(
            series, model, draft, inp.future, levels, seed, event_future=_event_future(inp)
        )
    return ForecastResult(
        series,
        "ensemble",
        draft,
        inp.future,
        levels,
        seed,
        members,
        tuple(float(x) for x in w),
        _event_future(inp),
    )


def forecastable(series: object, **meta) -> Series:
    """The series to forecast (:func:`~retrade.panel.series.as_series`): a share or a level,
    without gaps or missing values."""
    out = as_series(series, **meta).require_regular()
    check_choice("kind", out.kind, choices.ForecastKind)
    return out


def fit_draft(
    series: Series,
    inp: ModelInput,
    model: str,
    members: Sequence[str] | None = None,
    weights: Sequence[float] | None = None,
    fitted: dict[str, Draft] | None = None,
) -> tuple[Draft, tuple[str, ...], np.ndarray]:
    """The model-scale draft of ``model`` (members and weights for an ensemble).

    ``fitted`` holds drafts already made from the same ``inp``; they are reused (an
    ensemble's members in a backtest that scores the members too) and new ones added.
    """
    fitted = {} if fitted is None else fitted
    used = (members or default_members(series.frequency)) if model == "ensemble" else (model,)
    for name in used:
        if series.n < MIN_OBS.get(name, 0):
            raise SpecificationError(
                f"model {name!r} needs at least {MIN_OBS[name]} observations; "
                f"{series.name!r} has {series.n} (use model='naive')"
            )

    def one(name: str) -> Draft:
        if name not in fitted:
            fitted[name] = MODELS[name](inp)
        return fitted[name]

    if model != "ensemble":
        if members is not None or weights is not None:
            raise SpecificationError(
                f"members and weights apply to model='ensemble', not {model!r}"
            )
        return one(model), (), np.ones(1)
    members = tuple(members) if members is not None else default_members(series.frequency)
    for name in members:
        check_choice("ensemble member", name, tuple(MODELS))
    w = normalised_weights(members, weights)
    return combine([one(name) for name in members], w, members), members, w


def _event_future(inp: ModelInput) -> dict[str, np.ndarray]:
    return {name: inp.design.future[:, j].copy() for j, name in enumerate(inp.design.names)}


def model_input(
    series: Series, horizon: int, levels: tuple[float, ...], events: pd.DataFrame | None, seed: int
) -> ModelInput:
    """The model-scale training data and future of ``series`` (events already checked)."""
    future = series.future_periods(horizon)
    design = _events.design(events, series.periods, future, series.frequency)
    z = transform.forward(series.y, series.resolved_transform)
    return ModelInput(z, series.periods, future, series.frequency, levels, design, int(seed))


def check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """Levels as a sorted tuple of distinct floats in (0, 1); raise naming a bad one."""
    out = []
    for lv in levels:
        if not isinstance(lv, int | float | np.floating) or not 0 < float(lv) < 1:
            raise SpecificationError(f"interval level {lv!r} must be a number in (0, 1)")
        out.append(float(lv))
    if not out or len(set(out)) != len(out):
        raise SpecificationError(f"levels={list(levels)} must be distinct and not empty")
    return tuple(sorted(out))
