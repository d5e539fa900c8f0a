"""The models statsforecast has: naive, seasonal naive, ETS, ARIMA and Theta.

statsforecast (Nixtla) fits these in compiled code, so a rolling-origin
backtest of several candidates costs about what its own ``cross_validation``
does. Every function here is a model of :mod:`retrade.forecast.core`
(``ModelInput -> Draft``) on the model scale; statsmodels and prophet stay
only where they add something (SARIMAX with policy-event regressors,
prophet).

- ``naive`` and ``snaive``: ``Naive`` and ``SeasonalNaive``; the closed forms of
  :mod:`retrade.forecast.baselines` (sigma the root mean square of the one-step
  or one-season differences).
- ``ets``: ``AutoETS`` fitted to each specification of a small fixed candidate
  set (additive errors; trend none or additive damped, damped only with 10+
  observations; additive seasonality for monthly series with three years or
  more), the one with the lowest AICc kept (Hyndman et al. 2008). Intervals
  are the exact class-1 formulas of Hyndman et al. (2008, table 6.1) with
  statsforecast's residual variance (sum of squares over n minus the
  parameters, as R's ``forecast::ets``).
- ``autoarima``: ``AutoARIMA`` (Hyndman and Khandakar 2008), seasonal with period 12
  for monthly series.
- ``autotheta``: ``AutoTheta`` (the standard, optimised and dynamic Theta models;
  Fiorucci et al. 2016), with its seasonal decomposition for monthly series.

None of these takes event regressors (use ``sarimax`` or ``prophet``).
statsforecast 2 has no JIT compilation: its first fit in a process costs no
more than the next (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from retrade.errors import SpecificationError
from retrade.forecast.draft import Draft, ModelInput


@functools.lru_cache(maxsize=1)
def _models():
    """``statsforecast.models``, imported without its helper package importing Dask.

    statsforecast imports utilsforecast, which imports ``dask.dataframe`` when Dask is
    installed (the ``dask`` extra) only to recognise Dask frames, which retrade never
    hands it: 2 of the 3 s the import took. Dask is hidden for that one import (and
    left alone if something already imported it).
    """
    hidden = [name for name in ("dask", "dask.dataframe") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "import dask" raises ImportError
    try:
        import statsforecast.models as models
    finally:
        for name in hidden:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]
    return models


def _percent(levels) -> list[float]:
    return [round(100 * lv, 10) for lv in levels]


def _draft(out: dict, inp: ModelInput, spec: str) -> Draft:
    """A Draft from a statsforecast forecast dictionary (``mean``, ``lo-<level>`` ...)."""
    bounds = {}
    for lv, pct in zip(inp.levels, _percent(inp.levels), strict=True):
        bounds[lv] = (np.asarray(out[f"lo-{pct}"], dtype=float),
                      np.asarray(out[f"hi-{pct}"], dtype=float))
    return Draft(np.asarray(out["mean"], dtype=float), bounds, spec)


def naive(inp: ModelInput) -> Draft:
    """Random walk: the last value, intervals growing like ``sqrt(h)`` (statsforecast ``Naive``).

    Examples
    --------
    >>> import pandas as pd
    >>> from retrade.forecast.events import design
    >>> p = pd.date_range("2000", periods=4, freq="YS")
    >>> f = pd.date_range("2004", periods=2, freq="YS")
    >>> inp = ModelInput(np.array([0.0, 1.0, 0.0, 1.0]), p, f, "A", (0.8,), design(None, p, f, "A"))
    >>> naive(inp).median.tolist()
    [1.0, 1.0]
    """
    out = _models().Naive().forecast(np.asarray(inp.z, dtype=float), inp.horizon,
                           level=_percent(inp.levels))
    return _draft(out, inp, "naive (random walk)")


def snaive(inp: ModelInput) -> Draft:
    """Seasonal random walk: the value one season earlier, monthly series only
    (statsforecast ``SeasonalNaive``)."""
    m = inp.season_length
    if m == 1:
        raise SpecificationError(
            "model='snaive' needs a monthly series; use 'naive' for annual data"
        )
    if len(inp.z) < 2 * m:
        raise SpecificationError(
            f"model='snaive' needs at least {2 * m} observations, got {len(inp.z)}"
        )
    out = _models().SeasonalNaive(season_length=m).forecast(
        np.asarray(inp.z, dtype=float), inp.horizon, level=_percent(inp.levels))
    return _draft(out, inp, f"seasonal naive (m={m})")


def ets_candidates(n: int, season_length: int) -> list[tuple[bool, bool]]:
    """``(damped trend, additive season)`` pairs tried for a series of ``n`` observations.

    Examples
    --------
    >>> ets_candidates(9, 1), ets_candidates(36, 12)[-1]
    ([(False, False)], (True, True))
    """
    trends = [False, True] if n >= 10 else [False]
    seasons = [False, True] if season_length > 1 and n >= 3 * season_length else [False]
    return [(t, s) for t in trends for s in seasons]


def ets(inp: ModelInput) -> Draft:
    """ETS with additive errors, chosen by AICc from :func:`ets_candidates` (``AutoETS``)."""
    AutoETS = _models().AutoETS  # noqa: N806
    z = np.asarray(inp.z, dtype=float)
    best, best_aicc, label = None, np.inf, ""
    for damped, seasonal in ets_candidates(len(z), inp.season_length):
        spec = f"A{'A' if damped else 'N'}{'A' if seasonal else 'N'}"
        try:
            fit = AutoETS(season_length=inp.season_length if seasonal else 1, model=spec,
                          damped=damped).fit(z)
        except ValueError:  # too few observations for this specification
            continue
        aicc = float(fit.model_["aicc"])
        if np.isfinite(aicc) and aicc < best_aicc:
            best, best_aicc = fit, aicc
            label = f"ETS(A,{'Ad' if damped else 'N'},{'A' if seasonal else 'N'})"
    if best is None:
        raise SpecificationError(
            f"no ETS candidate could be fitted to {len(z)} observations (AICc undefined); "
            "use a longer series or model='naive'"
        )
    draft = _draft(_seasonal_blocks(best, inp), inp, label)
    return draft.shifted(_damped_correction(best.model_, inp.horizon))


def _seasonal_blocks(fit, inp: ModelInput) -> dict:
    """``fit.predict`` with every interval at its own number of completed seasons.

    statsforecast up to 2.1.1 takes ``k = floor((h-1)/m)`` of the last horizon for every
    step of a seasonal model's variance, which widens the first seasons' intervals
    when the horizon is longer than a season; predicting season by season gives each
    step its own ``k`` (Hyndman et al. 2008, table 6.1). Means do not depend on it.
    """
    level, h, m = _percent(inp.levels), inp.horizon, int(fit.model_["m"])
    if fit.model_["components"][2] == "N" or h <= m:
        return fit.predict(h, level=level)
    blocks = [fit.predict(min(end, h), level=level) for end in range(m, h + m, m)]
    return {key: np.concatenate([b[key][start:start + m] for start, b in
                                 zip(range(0, h, m), blocks, strict=True)])
            for key in blocks[-1]}


def _damped_correction(model: dict, horizon: int) -> np.ndarray:
    """What to add to a damped-trend forecast of statsforecast up to 2.1.1 to get
    ``l + (phi + ... + phi^h) b`` (Hyndman et al. 2008, eq. 2.16): those versions sum
    ``phi + phi + phi^2 + ...`` (Nixtla/statsforecast#1219), so the trend term is off by
    ``(phi^h - phi) b``. The variance formulas are right and keep their width."""
    if model["components"][3] == "N" or not _damped_sum_is_off():
        return np.zeros(horizon)
    phi, slope = float(model["par"][3]), float(model["states"][-1][1])
    return slope * (phi ** np.arange(1, horizon + 1) - phi)


@functools.lru_cache(maxsize=1)
def _damped_sum_is_off() -> bool:
    """Whether the installed statsforecast forecasts a damped trend of 1 from level 0 with
    phi = 0.5 as 1.0 at horizon 2 (the off sum) instead of 0.75."""
    try:
        _models()
        from statsforecast.ets import pegelsfcast_C

        probe = {"states": np.array([[0.0, 1.0]]), "components": ["A", "A", "N", "D"],
                 "par": np.array([np.nan, np.nan, np.nan, 0.5]), "m": 1}
        return bool(np.isclose(pegelsfcast_C(2, probe)[1], 1.0))
    except Exception:  # noqa: BLE001 - an internal API that moved: assume the fixed version
        return False


def autoarima(inp: ModelInput) -> Draft:
    """ARIMA chosen by ``AutoARIMA`` (stepwise AICc search; seasonal for monthly series)."""
    fit = _models().AutoARIMA(season_length=inp.season_length).fit(np.asarray(inp.z, dtype=float))
    out = fit.predict(inp.horizon, level=_percent(inp.levels))
    return _draft(out, inp, _arima_label(fit.model_))


def _arima_label(model: dict) -> str:
    """``ARIMA(p,d,q)(P,D,Q)[m]`` from statsforecast's ``arma`` vector."""
    p, q, sp, sq, m, d, sd = (int(v) for v in model["arma"])
    text = f"ARIMA({p},{d},{q})"
    if sp or sd or sq:
        text += f"({sp},{sd},{sq})[{m}]"
    if "drift" in model.get("coef", {}):
        text += " with drift"
    return text


def autotheta(inp: ModelInput) -> Draft:
    """Theta method chosen by ``AutoTheta`` (standard, optimised or dynamic)."""
    fit = _models().AutoTheta(season_length=inp.season_length).fit(np.asarray(inp.z, dtype=float))
    out = fit.predict(inp.horizon, level=_percent(inp.levels))
    kind = str(fit.model_.get("modeltype", "")).upper() or "auto"
    return _draft(out, inp, f"Theta ({kind})")
