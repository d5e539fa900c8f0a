"""Structural breaks in one series: Chow tests at known dates, Bai-Perron at unknown dates.

* :func:`chow_test` / :func:`chow_tests` -- Chow (1960): does the mean (or the
  level and slope of a linear trend) differ before and after a given date?
  The classical F uses the closed form
  ``F = ((SSR_r - SSR_1 - SSR_2) / k) / ((SSR_1 + SSR_2) / (n - 2k))``;
  ``cov="hac"`` replaces it by a Wald test on the interaction coefficients with
  Newey-West (1987) errors, for serially correlated series.
* :func:`bai_perron` -- Bai and Perron (1998, 2003): least-squares break dates
  for 1..``max_breaks`` breaks by dynamic programming (``ruptures.Dynp``, exact),
  the number of breaks chosen by BIC (Yao 1988) or LWZ (Liu, Wu and Zidek 1997).
  Intervals for break dates: the asymptotic distribution of Bai (1997) for the
  mean-shift model (homoskedastic, serially uncorrelated errors), or a residual
  bootstrap (iid resampling of residuals; it ignores serial correlation) for
  either model. No p-value is attached to the number of breaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, stats

from retrade import choices
from retrade.errors import SpecificationError, check_choice, require
from retrade.models.timeseries import design, ols_ssr, series_parts
from retrade.panel.series import Series
from retrade.results import COEFFICIENT_COLUMNS, Result, Summary, tidy_frame

Model = choices.BreakModel
MODELS: tuple[str, ...] = choices.values(Model)
Cov = choices.BreakCov
Criterion = choices.BreakCriterion
Interval = choices.BreakInterval


@dataclass(frozen=True)
class ChowResult(Result):
    """One Chow test: the F statistic and the coefficient changes at ``break_at``.

    ``tidy()`` has the coefficient columns: the changes (``change_const@<date>``,
    ``change_slope@<date>``), then the joint test (``chow_F@<date>``: statistic
    and p-value).
    """

    break_at: str
    model: str
    cov: str
    statistic: float
    df_num: int
    df_den: int
    p_value: float
    ssr_restricted: float
    ssr_unrestricted: float
    n_before: int
    n_after: int
    changes: pd.DataFrame  # term, estimate, std_error, statistic, p_value, conf_low, conf_high
    series: Series = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """Coefficient changes, then the joint F row (``chow_F@<date>``)."""
        joint = {"term": f"chow_F@{self.break_at}", "statistic": self.statistic,
                 "p_value": self.p_value}
        return tidy_frame([*self.changes.to_dict("records"), joint])

    def metadata(self) -> dict[str, object]:
        """The series, the date, the model, N and the covariance."""
        return {"model": f"Chow (1960) test, {self.model} model", "outcome": self.series.name,
                "n_obs": self.n_before + self.n_after, "break_at": self.break_at,
                "vcov": self.cov, "df_num": self.df_num, "df_den": self.df_den}

    def summary(self) -> Summary:
        """The F test and the coefficient changes."""
        meta = [("series", self.series.name), ("break at", self.break_at),
                ("observations", f"{self.n_before} before / {self.n_after} after"),
                ("covariance", self.cov), ("F test", self._describe())]
        return Summary(f"Chow (1960) test, {self.model} model", meta, self.tidy())

    def _describe(self) -> str:
        return (f"break at {self.break_at}: F({self.df_num}, {self.df_den}) = "
                f"{self.statistic:.3f}, p = {self.p_value:.4f}")

    def plot(self, ax=None):
        """The series with the tested date marked and its p-value; returns the Axes."""
        return ChowTests(self.series, (self,)).plot(ax)


def _hac_lags(n: int, maxlags: int | None) -> int:
    """Newey-West (1994) rule ``floor(4 (n/100)^(2/9))`` unless given."""
    return int(np.floor(4 * (n / 100) ** (2 / 9))) if maxlags is None else int(maxlags)


def chow_test(
    series: pd.Series, break_at: object, *, model: Model = "trend", cov: Cov = "classical",
    maxlags: int | None = None, level: float = 0.95,
) -> ChowResult:
    """Chow (1960) test for a break at a known date.

    Parameters
    ----------
    series : pandas.Series
        Values indexed by year or ``YYYY-MM`` period.
    break_at : int or str
        First period of the new regime (``2015`` or ``"2015-01"``).
    model : {"mean", "trend"}
        What may change: the mean, or the intercept and slope of a linear trend.
    cov : {"classical", "hac"}
        Classical F, or a Wald F with Newey-West (1987) HAC errors.
    maxlags : int, optional
        HAC lags (default ``floor(4 (n/100)^(2/9))``).
    level : float
        Confidence level of the intervals on the coefficient changes.

    Examples
    --------
    >>> s = pd.Series([1.0, 1.1, 0.9, 1.0, 3.0, 3.1, 2.9, 3.0], index=range(2010, 2018))
    >>> r = chow_test(s, 2014, model="mean")
    >>> round(r.statistic, 1), r.df_num, r.df_den
    (1200.0, 1, 6)
    """
    check_choice("model", model, MODELS)
    check_choice("cov", cov, Cov)
    parts = series_parts(series)
    b = parts.locate(break_at)
    k = 1 if model == "mean" else 2
    if min(b, parts.n - b) < k + 1 or parts.n - 2 * k < 1:
        raise SpecificationError(
            f"break at {break_at!r} leaves {b} observations before and {parts.n - b} after; "
            f"the {model} model needs at least {k + 1} on each side"
        )
    x = design(parts.t, model)
    _, ssr_r = ols_ssr(parts.y, x)
    ssr_u = ols_ssr(parts.y[:b], x[:b])[1] + ols_ssr(parts.y[b:], x[b:])[1]
    fit = _interaction_fit(parts, b, model, cov, maxlags)
    changes = _changes_table(fit, k, parts.labels[b], level)
    if cov == "classical":
        df_den = parts.n - 2 * k
        f_stat = ((ssr_r - ssr_u) / k) / (ssr_u / df_den) if ssr_u > 0 else np.inf
        p = float(stats.f.sf(f_stat, k, df_den))
    else:
        test = fit.f_test(np.eye(2 * k)[k:])
        f_stat, p, df_den = float(np.squeeze(test.fvalue)), float(test.pvalue), int(test.df_denom)
    return ChowResult(parts.labels[b], model, cov, float(f_stat), k, int(df_den), p, ssr_r, ssr_u,
                      b, parts.n - b, changes, parts)


def _interaction_fit(parts: Series, b: int, model: str, cov: str, maxlags: int | None):
    sm = require("statsmodels.api", "models")
    x = design(parts.t, model)
    step = (np.arange(parts.n) >= b).astype(float)[:, None]
    if model == "trend":  # slope change measured from the break date
        x = np.column_stack([x[:, 0], parts.t - parts.t[b]])
    full = np.column_stack([x, x * step])
    ols = sm.OLS(parts.y, full)
    if cov == "hac":
        return ols.fit(cov_type="HAC", cov_kwds={"maxlags": _hac_lags(parts.n, maxlags),
                                                 "use_correction": True}, use_t=True)
    return ols.fit()


def _changes_table(fit, k: int, label: str, level: float) -> pd.DataFrame:
    names = ["const", "slope"][:k]
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    rows = [{"term": f"change_{names[j]}@{label}", "estimate": fit.params[k + j],
             "std_error": fit.bse[k + j], "statistic": fit.tvalues[k + j],
             "p_value": fit.pvalues[k + j], "conf_low": ci[k + j, 0], "conf_high": ci[k + j, 1]}
            for j in range(k)]
    return tidy_frame(rows)


@dataclass(frozen=True)
class ChowTests(Result):
    """Chow tests at several known dates on one series (``tidy()``: each test's rows)."""

    series: Series
    results: tuple[ChowResult, ...]

    def tidy(self) -> pd.DataFrame:
        """Each tested date's rows of :meth:`ChowResult.tidy`, in date order."""
        return tidy_frame(r for res in self.results for r in res.tidy().to_dict("records"))

    def table(self) -> pd.DataFrame:
        """One row per tested date: ``break_at, statistic, df_num, df_den, p_value, n_before,
        n_after``."""
        columns = ["break_at", "statistic", "df_num", "df_den", "p_value", "n_before", "n_after"]
        return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in self.results],
                            columns=columns)

    def metadata(self) -> dict[str, object]:
        """The series, N, the model and the dates tested."""
        return {"model": f"Chow (1960) tests, {self._model} model", "outcome": self.series.name,
                "n_obs": self.series.n, "dates": tuple(r.break_at for r in self.results)}

    @property
    def _model(self) -> str:
        return self.results[0].model if self.results else "no testable date"

    def summary(self) -> Summary:
        """One row per tested date (dates too near either end of the series are not tested)."""
        meta = [("series", self.series.name),
                ("periods", f"{self.series.labels[0]}..{self.series.labels[-1]}"),
                ("N", self.series.n), ("covariance", self.results[0].cov if self.results else "")]
        return Summary(f"Chow (1960) tests, {self._model} model", meta, self.table())

    def _describe(self) -> str:
        return f"{len(self.results)} Chow test(s) on {self.series.name!r}"

    def plot(self, ax=None):
        """The series with each tested date marked and its p-value; returns the Axes."""
        ax = _axes(ax)
        parts = self.series
        ax.plot(parts.t, parts.y, marker="o", ms=3, color="0.2")
        for res in self.results:
            when = parts.t[parts.locate(res.break_at)]
            ax.axvline(when, color="C3" if res.p_value < 0.05 else "0.6", ls="--")
            ax.annotate(f"{res.break_at}\np={res.p_value:.3f}", (when, ax.get_ylim()[1]),
                        fontsize=8, va="top")
        model = self.results[0].model if self.results else "no testable date"
        ax.set_title(f"Chow tests ({model})")
        return ax


def chow_tests(series: pd.Series, dates: tuple[object, ...] = (2010, 2015, 2020, 2023),
               **options) -> ChowTests:
    """:func:`chow_test` at each of ``dates`` (the issue's 2010, 2015, 2020, 2023 by default).

    Dates too close to either end of the series are skipped, not failed: the
    returned ``results`` say which dates were tested.

    Examples
    --------
    >>> s = pd.Series(np.r_[np.zeros(6), np.ones(6)], index=range(2008, 2020))
    >>> [r.break_at for r in chow_tests(s, (2005, 2014), model="mean").results]
    ['2014']
    """
    results = []
    for when in dates:
        try:
            results.append(chow_test(series, when, **options))
        except SpecificationError:
            continue
    return ChowTests(series_parts(series), tuple(results))


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 3.5))
    return ax


# ---------------------------------------------------------------- Bai-Perron


def argmax_cdf(x: float) -> float:
    """CDF of ``argmax_v {W(v) - |v|/2}`` (two-sided Brownian motion; Bai 1997, after Yao 1987).

    The limiting law of a rescaled break-date estimate in the mean-shift model.

    Examples
    --------
    >>> round(argmax_cdf(0.0), 3), round(argmax_quantile(0.975), 2)
    (0.5, 11.03)
    """
    if x < 0:
        return 1.0 - argmax_cdf(-x)
    if x == 0:
        return 0.5
    root = np.sqrt(x)
    term = np.exp(x + stats.norm.logcdf(-1.5 * root))
    tail = (-np.sqrt(x / (2 * np.pi)) * np.exp(-x / 8) - 1.5 * term
            + (x + 5) / 2 * stats.norm.cdf(-root / 2))  # P(V <= -x), as in strucchange
    return float(1.0 - tail)


def argmax_quantile(p: float) -> float:
    """Quantile of the law in :func:`argmax_cdf` (``p`` in (0.5, 1))."""
    return float(optimize.brentq(lambda x: argmax_cdf(x) - p, 1e-9, 500.0))


@dataclass(frozen=True)
class BreaksResult(Result):
    """Break dates chosen by an information criterion, with intervals and regime fits.

    ``tidy()`` has the coefficient columns and ``period, period_low, period_high``:
    one row per break (``break_<j>``: the decimal time of the first period of the
    new regime, its interval's ends, and the periods as text), then each regime's
    coefficients (``regime_<j>: const``, ``regime_<j>: slope``; ``period`` is the
    regime's span).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = (
        *COEFFICIENT_COLUMNS, "period", "period_low", "period_high")

    series: Series
    model: str
    criterion: str
    interval: str
    level: float
    breaks: tuple[str, ...]
    break_index: tuple[int, ...]
    conf_low: tuple[str, ...]
    conf_high: tuple[str, ...]
    selection: pd.DataFrame  # n_breaks, ssr, bic, lwz, breaks
    segments: pd.DataFrame  # tidy rows of each regime's coefficients

    @property
    def n_breaks(self) -> int:
        return len(self.breaks)

    def tidy(self) -> pd.DataFrame:
        """One row per break (estimate = decimal time of the first period of the new regime,
        with the interval's ends), then each regime's coefficients."""
        parts = self.series
        rows = [{"term": f"break_{j + 1}", "estimate": parts.t[i],
                 "conf_low": parts.t[parts.labels.index(lo)] if lo else np.nan,
                 "conf_high": parts.t[parts.labels.index(hi)] if hi else np.nan,
                 "period": lab, "period_low": lo, "period_high": hi}
                for j, (i, lab, lo, hi) in enumerate(
                    zip(self.break_index, self.breaks, self.conf_low, self.conf_high, strict=True))]
        out = tidy_frame([*rows, *self.segments.to_dict("records")])
        return out.reindex(columns=list(self.tidy_columns)).fillna(
            {"period": "", "period_low": "", "period_high": ""})

    def metadata(self) -> dict[str, object]:
        """The series, N, the model, the criterion, the interval method and the breaks."""
        return {"model": f"Bai-Perron breaks, {self.model} model", "outcome": self.series.name,
                "n_obs": self.series.n, "criterion": self.criterion, "interval": self.interval,
                "level": self.level, "breaks": self.breaks}

    def summary(self) -> Summary:
        """The chosen breaks with their intervals, and the criterion for each number of breaks."""
        dates = [f"{lab} [{lo}, {hi}]" if lo else f"{lab} (no interval)"
                 for lab, lo, hi in zip(self.breaks, self.conf_low, self.conf_high, strict=True)]
        meta = [("series", self.series.name),
                ("periods", f"{self.series.labels[0]}..{self.series.labels[-1]}"),
                ("N", self.series.n),
                ("breaks", f"{self.n_breaks} chosen by {self.criterion.upper()}"),
                ("break dates", "; ".join(dates) or "none"),
                ("intervals", f"{self.interval}, {self.level:.0%}" if self.breaks else "")]
        return Summary(f"Bai-Perron (1998, 2003) least-squares breaks, {self.model} model",
                       meta, self.selection)

    def _describe(self) -> str:
        return (f"{self.n_breaks} break(s) in {self.series.name!r}"
                + (f" at {', '.join(self.breaks)}" if self.breaks else ""))

    def plot(self, ax=None):
        """Series, regime fits, break dates and their intervals (shaded)."""
        ax = _axes(ax)
        parts = self.series
        ax.plot(parts.t, parts.y, marker="o", ms=3, color="0.2", label=parts.name)
        edges = [0, *self.break_index, parts.n]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            x = design(parts.t[a:b], self.model)
            beta, _ = ols_ssr(parts.y[a:b], x)
            ax.plot(parts.t[a:b], x @ beta, color="C0", lw=2)
        for i, lo, hi in zip(self.break_index, self.conf_low, self.conf_high, strict=True):
            ax.axvline(parts.t[i], color="C3", ls="--")
            if lo:
                ax.axvspan(parts.t[parts.labels.index(lo)], parts.t[parts.labels.index(hi)],
                           color="C3", alpha=0.15)
        ax.set_title(f"Bai-Perron breaks ({self.model}, {self.criterion.upper()})")
        return ax


def _segment_ssr(parts: Series, ends: list[int], model: str) -> float:
    starts = [0, *ends[:-1]]
    return sum(ols_ssr(parts.y[a:b], design(parts.t[a:b], model))[1]
               for a, b in zip(starts, ends, strict=True))


def _dynp_path(y: np.ndarray, t: np.ndarray, model: str, min_size: int, max_breaks: int):
    """Optimal break ends (exclusive) for k = 0..max_breaks, by exact dynamic programming."""
    rpt = require("ruptures", "models")
    if model == "mean":
        signal, cost = y.reshape(-1, 1), "l2"
    else:
        signal, cost = np.column_stack([y, design(t, "trend")]), "linear"
    algo = rpt.Dynp(model=cost, min_size=min_size, jump=1).fit(signal)
    paths = {0: [len(y)]}
    for k in range(1, max_breaks + 1):
        if (k + 1) * min_size > len(y):
            break
        paths[k] = list(algo.predict(n_bkps=k))
    return paths


def _selection(parts: Series, paths: dict, model: str) -> pd.DataFrame:
    q = 1 if model == "mean" else 2
    n = parts.n
    rows = []
    for k, ends in paths.items():
        ssr = max(_segment_ssr(parts, ends, model), 1e-300)
        n_par = (k + 1) * q + k
        rows.append({"n_breaks": k, "ssr": ssr,
                     "bic": n * np.log(ssr / n) + n_par * np.log(n),
                     "lwz": n * np.log(ssr / n) + n_par * 0.299 * np.log(n) ** 2.1,
                     "breaks": ", ".join(parts.labels[e] for e in ends[:-1])})
    return pd.DataFrame(rows)


def bai_perron(
    series: pd.Series, *, model: Model = "mean", max_breaks: int = 3, min_size: int | None = None,
    criterion: Criterion = "bic", interval: Interval = "auto", level: float = 0.95,
    n_boot: int = 199, seed: int | None = None,
) -> BreaksResult:
    """Break dates at unknown dates (Bai and Perron 1998, 2003) with intervals.

    Parameters
    ----------
    series : pandas.Series
        Values indexed by year or ``YYYY-MM`` period.
    model : {"mean", "trend"}
        Regimes differ in mean, or in intercept and slope of a linear trend.
    max_breaks : int
        Largest number of breaks considered.
    min_size : int, optional
        Shortest regime, in observations (default ``max(3, ceil(0.15 n))``,
        Bai and Perron's trimming of 15%).
    criterion : {"bic", "lwz"}
        Chooses the number of breaks (0 allowed).
    interval : {"auto", "asymptotic", "bootstrap", "none"}
        ``asymptotic`` (Bai 1997) is only valid for ``model="mean"``; ``auto``
        uses it there and the residual bootstrap for ``trend``.
    level : float
        Interval level.
    n_boot : int
        Bootstrap replications.
    seed : int, optional
        Seed of the bootstrap's random generator.

    Examples
    --------
    >>> y = pd.Series(np.r_[np.zeros(20), np.full(20, 2.0)] + np.tile([0.1, -0.1], 20),
    ...               index=range(1985, 2025))
    >>> res = bai_perron(y, model="mean")
    >>> res.breaks
    ('2005',)
    """
    check_choice("model", model, MODELS)
    check_choice("criterion", criterion, Criterion)
    check_choice("interval", interval, Interval)
    if interval == "asymptotic" and model != "mean":
        raise SpecificationError("interval='asymptotic' (Bai 1997) is implemented for "
                                 "model='mean' only; use interval='bootstrap' for trends")
    parts = series_parts(series)
    h = max(3, int(np.ceil(0.15 * parts.n))) if min_size is None else int(min_size)
    if parts.n < 2 * h:
        raise SpecificationError(f"series of {parts.n} observations is too short for "
                                 f"min_size={h} (needs at least {2 * h})")
    paths = _dynp_path(parts.y, parts.t, model, h, max_breaks)
    selection = _selection(parts, paths, model)
    k = int(selection.loc[selection[criterion].idxmin(), "n_breaks"])
    ends = paths[k]
    method = ("asymptotic" if model == "mean" else "bootstrap") if interval == "auto" else interval
    bounds = _intervals(parts, ends, model, method, level, h, n_boot, seed)
    lows = tuple(parts.labels[lo] if lo is not None else "" for lo, _ in bounds)
    highs = tuple(parts.labels[hi] if hi is not None else "" for _, hi in bounds)
    return BreaksResult(parts, model, criterion, method, level,
                        tuple(parts.labels[e] for e in ends[:-1]), tuple(ends[:-1]), lows, highs,
                        selection, _segments_table(parts, ends, model, level))


def _segments_table(parts: Series, ends: list[int], model: str, level: float):
    sm = require("statsmodels.api", "models")
    starts = [0, *ends[:-1]]
    rows = []
    for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
        fit = sm.OLS(parts.y[a:b], design(parts.t[a:b], model)).fit()
        ci = np.asarray(fit.conf_int(alpha=1 - level))
        for c, name in enumerate(["const", "slope"][: fit.params.size]):
            rows.append({"term": f"regime_{j + 1}: {name}", "estimate": fit.params[c],
                         "std_error": fit.bse[c], "statistic": fit.tvalues[c],
                         "p_value": fit.pvalues[c], "conf_low": ci[c, 0], "conf_high": ci[c, 1],
                         "period": f"{parts.labels[a]}..{parts.labels[b - 1]}"})
    return tidy_frame(rows) if rows else tidy_frame([])


def _intervals(parts, ends, model, method, level, h, n_boot, seed):
    breaks = ends[:-1]
    if method == "none" or not breaks:
        return [(None, None)] * len(breaks)
    if method == "asymptotic":
        return _asymptotic_intervals(parts, ends, level)
    return _bootstrap_intervals(parts, ends, model, level, h, n_boot, seed)


def _asymptotic_intervals(parts: Series, ends: list[int], level: float):
    """Bai (1997): (delta^2 / sigma^2) (T_hat - T0) -> argmax V; equal variances assumed."""
    starts = [0, *ends[:-1]]
    means = [parts.y[a:b].mean() for a, b in zip(starts, ends, strict=True)]
    sigma2 = _segment_ssr(parts, ends, "mean") / (parts.n - len(ends) - (len(ends) - 1))
    q = argmax_quantile(1 - (1 - level) / 2)
    out = []
    for j, b in enumerate(ends[:-1]):
        scale = (means[j + 1] - means[j]) ** 2 / sigma2 if sigma2 > 0 else np.inf
        half = int(np.ceil(q / scale)) if np.isfinite(scale) and scale > 0 else parts.n
        out.append((max(starts[j] + 1, b - half), min(ends[j + 1] - 1, b + half)))
    return out


def _bootstrap_intervals(parts, ends, model, level, h, n_boot, seed):
    rng = np.random.default_rng(seed)
    starts = [0, *ends[:-1]]
    fitted = np.empty(parts.n)
    for a, b in zip(starts, ends, strict=True):
        x = design(parts.t[a:b], model)
        fitted[a:b] = x @ ols_ssr(parts.y[a:b], x)[0]
    resid = parts.y - fitted
    k = len(ends) - 1
    draws = np.empty((n_boot, k), dtype=int)
    for r in range(n_boot):
        y_star = fitted + rng.choice(resid, size=parts.n, replace=True)
        draws[r] = _dynp_path(y_star, parts.t, model, h, k)[k][:-1]
    alpha = (1 - level) / 2
    lo = np.floor(np.quantile(draws, alpha, axis=0)).astype(int)
    hi = np.ceil(np.quantile(draws, 1 - alpha, axis=0)).astype(int)
    return list(zip(lo.tolist(), hi.tolist(), strict=True))
