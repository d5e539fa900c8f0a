"""Intervention analysis of monthly series: SARIMAX step/pulse/ramp terms and counterfactual paths.

Box and Tiao (1975): a seasonal ARIMA model of the (log) series with
intervention regressors at the event month,

* ``step``  1 from the first post month on (a lasting level shift),
* ``pulse`` 1 in the first post month only (a one-off blip),
* ``ramp``  1, 2, 3, ... from the first post month (a gradual shift),

estimated on the whole series (regression with SARIMA errors, statsmodels
``SARIMAX``). Separately, the same SARIMA model without interventions is fitted
on the pre-event months only and forecast over the post-event months: that is
the counterfactual path (the logic of Brodersen et al. 2015, with a SARIMA
model in place of a structural time series). The cumulative effect, observed
minus counterfactual summed over the post months, gets its interval from the
exact joint Gaussian distribution of the forecast path (state-space
covariances across horizons), drawn with a seeded generator; parameter
uncertainty is not included, as in statsmodels' own forecast intervals.

Placebos (:func:`placebos`) run the counterfactual on control series, such as
other critical minerals' exports, at the same date; :func:`event_index` puts
several series on one scale around an event.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import ConfigError, SpecificationError, check_choice
from retrade.models.events import Timing, Treatment, first_post, last_post, treatment
from retrade.models.results import EstimationResult, ModelInfo, data_vintage, tidy_frame
from retrade.panel.series import Series, as_series

Term = choices.Term
TERMS: tuple[str, ...] = choices.values(Term)
Transform = choices.InterventionTransform
CovType = choices.CovType
MIN_PRE_MONTHS = 36
VINTAGE = "retrade_vintage"  # Series.attrs key monthly_total() sets


@dataclass(frozen=True)
class CumulativeEffect:
    """Observed minus counterfactual, summed over the post-event months (levels)."""

    months: int
    observed: float
    counterfactual: float
    effect: float
    conf_low: float
    conf_high: float
    relative: float
    relative_low: float
    relative_high: float
    level: float

    def describe(self) -> str:
        """One line for summaries."""
        return (f"{self.months} months: observed {self.observed:,.4g} vs counterfactual "
                f"{self.counterfactual:,.4g}; effect {self.relative:+.1%} "
                f"[{self.relative_low:+.1%}, {self.relative_high:+.1%}] "
                f"({self.level:.0%} interval)")


@dataclass(frozen=True, kw_only=True)
class InterventionResult(EstimationResult):
    """SARIMAX intervention coefficients, the counterfactual path and the cumulative effect."""

    treatment: Treatment
    path: pd.DataFrame
    cumulative: CumulativeEffect

    def _extra_meta(self):
        return (("cumulative effect", self.cumulative.describe()),)

    def plot(self, ax=None):
        """Observed series against the pre-event model's counterfactual; returns the Axes."""
        from retrade.models.plots import path_plot

        return path_plot(self.path, ax=ax, title=f"{self.info.sample}: {self.treatment.name}")


def intervention(
    series: pd.Series | pd.DataFrame | Series,
    event: str | Treatment,
    *,
    transform: Transform = "log",
    terms: Sequence[Term] = ("step",),
    order: tuple[int, int, int] = (1, 1, 0),
    seasonal_order: tuple[int, int, int, int] = (1, 0, 0, 12),
    trend: str | None = None,
    timing: Timing = "full",
    horizon: int | None = None,
    cov_type: CovType = "oim",
    alpha: float = 0.05,
    n_draws: int = 4000,
    seed: int = 0,
    name: str | None = None,
) -> InterventionResult:
    """Intervention analysis of one monthly series around ``event``.

    Parameters
    ----------
    series : pandas.Series, DataFrame or Series
        Monthly values: a ``pandas.Series`` on a PeriodIndex, a DatetimeIndex or
        ``YYYY-MM`` text (e.g. from :func:`monthly_total`), a ``ds``/``y`` or
        ``period``/``value`` DataFrame, or a :class:`~retrade.panel.series.Series`
        (read by :func:`~retrade.panel.series.as_series`).
    event : str or Treatment
        Curated event name or treatment; the first post month follows ``timing``.
    transform : {"log", "level"}
        Model ln(y) (effects are proportional) or y.
    terms : sequence of {"step", "pulse", "ramp"}
        Intervention regressors of the full-sample model.
    order, seasonal_order, trend
        The SARIMA specification (statsmodels ``SARIMAX`` arguments). The default
        (1,1,0)(1,0,0)12 was chosen by pseudo-out-of-sample forecasts of 2022 and
        2023 from the preceding months of China's monthly exports of nine series
        (the three rare-earth lines in value and quantity, gallium/germanium,
        graphite, polysilicon): mean 12-month RMSE of the log forecast 0.32 and
        95%-interval coverage 0.97, against 0.40 and 0.87 for (1,0,0)(0,1,1)12,
        whose seasonal MA sits at -1 on these series.
    horizon : int, optional
        Post months to evaluate (default: all up to the data's end or the measure's end).
    cov_type : {"oim", "opg", "robust", "approx"}
        Covariance of the SARIMAX estimates (statsmodels). The default, the
        observed information matrix, is stable where the outer-product-of-gradients
        estimator (statsmodels' default) explodes, e.g. with a seasonal MA near -1.
    alpha : float
        1 - interval level.
    n_draws : int
        Draws from the joint forecast distribution for the cumulative interval.
    seed : int
        Seed of those draws.
    name : str, optional
        Label of the series (default its ``name``).

    Returns
    -------
    InterventionResult

    Examples
    --------
    >>> from retrade.models.simulate import monthly_series
    >>> from retrade.models.events import define_treatment
    >>> s = monthly_series(step=-0.3, event="2023-01", seed=1)
    >>> res = intervention(s, define_treatment("cut", "2023-01-01"))
    >>> round(float(res.tidy()["estimate"].iloc[0]), 1)
    -0.3
    """
    t = treatment(event)
    y, label = _prepare(series, transform, name)
    start, stop = _window(y, t, timing, horizon)
    exog = _regressors(y.index, start, terms)
    full = _sarimax(y[y.index <= stop], exog[exog.index <= stop], order, seasonal_order, trend,
                    cov_type)
    names = list(exog.columns)
    ci = full.conf_int(alpha=alpha).loc[names]
    coefs = tidy_frame(names, full.params[names], full.bse[names], full.tvalues[names],
                       full.pvalues[names], ci.iloc[:, 0], ci.iloc[:, 1])
    pre = _sarimax(y[y.index < start], None, order, seasonal_order, trend, cov_type)
    path, draws = _counterfactual(pre, y, start, stop, transform, alpha, n_draws, seed)
    cumulative = _cumulative(path, draws, alpha)
    info = ModelInfo(
        model="Intervention analysis (SARIMAX)",
        spec=f"{'ln ' if transform == 'log' else ''}y ~ {' + '.join(names)}, "
             f"SARIMA{order}x{seasonal_order}" + (f", trend {trend!r}" if trend else ""),
        outcome=f"{'ln ' if transform == 'log' else ''}{label}", n_obs=int(full.nobs),
        fixed_effects=(), cluster=(), vcov=f"SARIMAX maximum likelihood, {cov_type} covariance",
        data_vintage=getattr(series, "attrs", {}).get(
            VINTAGE, f"periods {y.index.min()}..{y.index.max()}"),
        sample=label,
        event=f"{t.name} (first post month {start})")
    return InterventionResult(info=info, coefficients=coefs, fit=full.res, treatment=t, path=path,
                              cumulative=cumulative,
                              caveats=_caveats(t, y, start, stop) + _fit_notes(full, pre))


def _prepare(series: object, transform: str, name: str | None) -> tuple[pd.Series, str]:
    check_choice("transform", transform, Transform)
    label = str(name or getattr(series, "name", None) or "series")
    try:
        s = series if isinstance(series, Series) else as_series(series, frequency="M")
    except SpecificationError as exc:
        raise SpecificationError(f"the series needs monthly periods (a monthly PeriodIndex or "
                                 f"DatetimeIndex, or YYYY-MM text): {exc}") from None
    if s.frequency != "M":
        raise SpecificationError(f"the series needs monthly periods; {s.name!r} is annual")
    y = s.to_pandas().rename(getattr(series, "name", None))
    full = pd.period_range(y.index.min(), y.index.max(), freq="M")
    _check_monthly(y.index, full, name or y.name)
    if len(full) != len(y):
        missing = sorted(str(p) for p in set(full) - set(y.index))
        warnings.warn(f"months {missing[:6]} missing; SARIMAX treats them as missing values",
                      stacklevel=3)
        y = y.reindex(full)
    if y.dropna().nunique() < 2:
        raise SpecificationError(f"series {name or y.name!r} has no variation")
    if transform == "log":
        if (y.dropna() <= 0).any():
            raise SpecificationError("a log model needs positive values; use transform='level'")
        y = np.log(y)
    return y, label


def _window(y: pd.Series, t: Treatment, timing: Timing, horizon: int | None):
    start = first_post(t, "M", timing)
    end = y.index.max()
    if start > end:
        raise SpecificationError(
            f"event {t.name!r} (effective {t.effective.date()}) is outside the data: the first "
            f"post month would be {start}, but the series ends {end}")
    n_pre = int((y.index < start).sum())
    if n_pre < MIN_PRE_MONTHS:
        raise SpecificationError(
            f"event {t.name!r}: only {n_pre} pre-event months (from {y.index.min()}); the "
            f"seasonal model needs at least {MIN_PRE_MONTHS}")
    stop = end if horizon is None else min(end, start + horizon - 1)
    ended = last_post(t, "M")
    return start, (min(stop, ended) if ended is not None else stop)


def _check_monthly(index: pd.PeriodIndex, full: pd.PeriodIndex, name: object) -> None:
    """Refuse a series that is not really monthly: one value a year, or mostly gaps.

    An annual series whose years were read as months (``"2015"`` -> 2015-01)
    would otherwise be modelled with eleven missing months a year and give a
    meaningless effect.
    """
    months = set(index.month)
    if len(index) >= 3 and len(months) == 1 and len(full) > len(index):
        raise SpecificationError(
            f"series {name!r} has one value a year (every period is month "
            f"{min(months):02d}, {index[0]} to {index[-1]}): an annual series read as monthly; "
            "intervention analysis needs monthly data (periods YYYY-MM, one row per month)"
        )
    if len(full) - len(index) > len(full) // 2:
        raise SpecificationError(
            f"series {name!r} lacks {len(full) - len(index)} of the {len(full)} months from "
            f"{full[0]} to {full[-1]}: too sparse for a monthly model"
        )


def _regressors(index: pd.PeriodIndex, start: pd.Period, terms: Sequence[str]) -> pd.DataFrame:
    bad = [x for x in terms if x not in TERMS]
    if bad or not terms:
        raise ConfigError(f"terms must be a non-empty selection of {TERMS}, got {list(terms)}")
    months = np.array([(p - start).n for p in index])
    columns = {"step": (months >= 0).astype(float), "pulse": (months == 0).astype(float),
               "ramp": np.where(months >= 0, months + 1.0, 0.0)}
    return pd.DataFrame({x: columns[x] for x in terms}, index=index)


def _sarimax(y, exog, order, seasonal_order, trend, cov_type: str = "oim"):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(y.to_numpy(), exog=exog, order=order,
                    seasonal_order=seasonal_order, trend=trend, concentrate_scale=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|Non-stationary|Non-invertible).*")
        res = model.fit(disp=False, cov_type=cov_type)
    return _Named(res, list(res.model.param_names))


class _Named:
    """Attach parameter names to a SARIMAX result fitted on plain arrays."""

    def __init__(self, res, names: list[str]):
        self.res, self.names = res, names
        self.params = pd.Series(res.params, index=names)
        self.bse = pd.Series(res.bse, index=names)
        self.tvalues = pd.Series(res.tvalues, index=names)
        self.pvalues = pd.Series(res.pvalues, index=names)
        self.nobs = res.nobs

    def conf_int(self, alpha: float) -> pd.DataFrame:
        return pd.DataFrame(np.asarray(self.res.conf_int(alpha=alpha)), index=self.names)


def _forecast_cov(res, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and exact joint covariance of the next ``steps`` observations (time-invariant model).

    With x the state, V_1 the predicted state covariance after the sample and
    V_{h+1} = T V_h T' + R Q R', Cov(y_{T+i}, y_{T+j}) = Z T^{j-i} V_i Z' for j >= i
    (plus H on the diagonal); the diagonal equals statsmodels' forecast variances.
    """
    ssm = res.model.ssm

    def matrix(name: str) -> np.ndarray:
        m = np.asarray(ssm[name])
        if m.ndim == 3 and m.shape[2] != 1:
            raise SpecificationError("time-varying state-space matrices are not supported")
        return m[:, :, 0] if m.ndim == 3 else m

    design, trans, selection = matrix("design"), matrix("transition"), matrix("selection")
    scale = float(res.scale)  # the model's matrices are per unit of the concentrated scale
    rqr = selection @ matrix("state_cov") @ selection.T * scale
    obs_cov = float(matrix("obs_cov")[0, 0]) * scale
    mean = np.asarray(res.get_forecast(steps).predicted_mean, float)
    v = res.predicted_state_cov[:, :, -1]
    variances = []
    for _ in range(steps):
        variances.append(v)
        v = trans @ v @ trans.T + rqr
    cov = np.empty((steps, steps))
    for i in range(steps):
        carry = variances[i]
        for j in range(i, steps):
            cov[i, j] = cov[j, i] = float((design @ carry @ design.T)[0, 0])
            carry = trans @ carry
        cov[i, i] += obs_cov
    return mean, cov


def _counterfactual(pre: _Named, y, start, stop, transform, alpha, n_draws, seed):
    post_index = pd.period_range(start, stop, freq="M")
    mean, cov = _forecast_cov(pre.res, len(post_index))
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(mean, cov, size=n_draws, method="cholesky")
    z = _normal_quantile(1 - alpha / 2)
    sd = np.sqrt(np.diag(cov))
    fitted = np.asarray(pre.res.fittedvalues, float)
    back = np.exp if transform == "log" else (lambda x: x)
    path = pd.DataFrame({
        "period": y.index[y.index <= stop],
        "observed": back(y[y.index <= stop].to_numpy()),
        "counterfactual": back(np.concatenate([fitted, mean])),
        "cf_lower": back(np.concatenate([fitted, mean - z * sd])),
        "cf_upper": back(np.concatenate([fitted, mean + z * sd])),
        "post": np.concatenate([np.zeros(len(fitted), bool), np.ones(len(mean), bool)]),
    })
    path["effect"] = path["observed"] - path["counterfactual"]
    return path, back(draws)


def _normal_quantile(q: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(q))


def _cumulative(path: pd.DataFrame, draws: np.ndarray, alpha: float) -> CumulativeEffect:
    post = path[path["post"]]
    observed = float(post["observed"].sum())
    totals = draws.sum(axis=1)
    lo, hi = np.quantile(observed - totals, [alpha / 2, 1 - alpha / 2])
    rlo, rhi = np.quantile(observed / totals - 1, [alpha / 2, 1 - alpha / 2])
    expected = float(totals.mean())
    return CumulativeEffect(months=len(post), observed=observed, counterfactual=expected,
                            effect=observed - expected, conf_low=float(lo), conf_high=float(hi),
                            relative=observed / expected - 1, relative_low=float(rlo),
                            relative_high=float(rhi), level=1 - alpha)


def _caveats(t: Treatment, y: pd.Series, start, stop) -> tuple[str, ...]:
    notes = [t.caveat] if t.caveat else []
    notes.append(f"counterfactual from {int((y.index < start).sum())} pre-event months; "
                 f"{(stop - start).n + 1} post months evaluated ({start}..{stop}); intervals "
                 "exclude parameter uncertainty")
    if (stop - start).n + 1 < 6:
        notes.append("fewer than six post-event months: the effect is an early reading")
    return tuple(notes)


def _fit_notes(*fits: _Named) -> tuple[str, ...]:
    """Flag seasonal MA terms at the invertibility boundary (deterministic seasonality)."""
    near = sorted({f"{name}={value:.3f}" for fit in fits for name, value in fit.params.items()
                   if name.startswith("ma.S") and abs(value) > 0.98})
    if not near:
        return ()
    return (f"seasonal MA at the invertibility boundary ({', '.join(near)}): seasonality looks "
            "deterministic and standard errors are fragile; compare with the default "
            "seasonal_order=(1, 0, 0, 12)",)


def placebos(controls: Mapping[str, pd.Series] | pd.DataFrame, event: str | Treatment,
             **kwargs) -> pd.DataFrame:
    """The counterfactual analysis on control series at the same date, one row per series.

    A real effect should show in the treated series and not in series the
    measure does not touch (the placebo logic of Abadie, Diamond and
    Hainmueller 2010). Keyword arguments go to :func:`intervention`.
    """
    items = controls.items()
    rows = []
    for label, s in items:
        c = intervention(s, event, name=str(label), **kwargs).cumulative
        rows.append({"series": label, "months": c.months, "relative_effect": c.relative,
                     "conf_low": c.relative_low, "conf_high": c.relative_high,
                     "covers_zero": bool(c.relative_low <= 0 <= c.relative_high)})
    return pd.DataFrame(rows)


def event_index(data: pd.Series | pd.DataFrame, event: str | Treatment, *,
                base: tuple[int, int] = (-12, -1), window: tuple[int, int] = (-12, 12),
                timing: Timing = "full") -> pd.DataFrame:
    """Each month relative to the mean of a pre-event base window, x 100.

    Examples
    --------
    >>> s = pd.Series([1.0, 3.0, 4.0, 6.0], index=pd.period_range("2023-10", periods=4, freq="M"))
    >>> from retrade.models.events import define_treatment
    >>> out = event_index(s, define_treatment("e", "2024-01-01"), base=(-2, -1), window=(-2, 0))
    >>> out["index"].round(4).tolist()
    [85.7143, 114.2857, 171.4286]
    """
    t = treatment(event)
    frame = data.to_frame("index") if isinstance(data, pd.Series) else data.copy()
    if isinstance(frame.index, pd.DatetimeIndex):
        frame.index = frame.index.to_period("M")
    start = first_post(t, "M", timing)
    rel = np.array([(p - start).n for p in frame.index])
    base_rows = (rel >= base[0]) & (rel <= base[1])
    if base[1] >= 0 or not base_rows.any():
        raise SpecificationError(f"base window {base} must lie before the event and hold data")
    means = frame[base_rows].mean()
    if (means <= 0).any():
        bad = list(means[means <= 0].index)
        raise SpecificationError(f"base-window mean is not positive for {bad}")
    keep = (rel >= window[0]) & (rel <= window[1])
    out = frame[keep] / means * 100.0
    out.insert(0, "rel_month", rel[keep])
    return out.rename_axis("period").reset_index()


def monthly_total(panel: pd.DataFrame, *, hs6: str | Sequence[str] | None = None,
                  reporter: str = "CHN", flow: str = "export",
                  measure: Literal["value_usd", "net_weight_kg", "unit_value"] = "value_usd"
                  ) -> pd.Series:
    """A reporter's monthly total (world rows if present, else the sum over partners).

    Examples
    --------
    >>> rows = pd.DataFrame({"frequency": "M", "period": ["2024-01", "2024-02"],
    ...     "reporter": "CHN", "partner": "WLD", "flow": "export", "hs6": "850511",
    ...     "value_usd": [10.0, 12.0], "net_weight_kg": [2.0, 3.0]})
    >>> monthly_total(rows, measure="unit_value").tolist()
    [5.0, 4.0]
    """
    from retrade.panel import measures

    rows = panel[(panel["frequency"] == "M") & (panel["reporter"] == reporter)
                 & (panel["flow"] == flow)]
    if hs6 is not None:
        rows = rows[rows["hs6"].isin([hs6] if isinstance(hs6, str) else list(hs6))]
    world = rows["partner"] == "WLD"
    rows = rows[world] if world.any() else rows[~measures.is_aggregate_partner(rows["partner"])]
    if rows.empty:
        raise SpecificationError(f"no monthly {flow} rows for {reporter}, hs6={hs6!r}")
    sums = rows.groupby("period")[["value_usd", "net_weight_kg"]].sum(min_count=1)
    out = measures.unit_values(sums) if measure == "unit_value" else sums[measure].astype(float)
    out.index = pd.PeriodIndex(sums.index, freq="M")
    out = out.rename(measure)
    out.attrs[VINTAGE] = data_vintage(rows)
    return out
