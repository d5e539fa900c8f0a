"""Rolling-origin backtests, accuracy scores and a model choice made from them.

Splits are expanding windows (Tashman 2000, "Out-of-sample tests of forecasting
accuracy"): the first training window has ``initial`` observations, each later
one ``step`` more; each origin forecasts the next ``horizon`` periods. Only
origins with a full horizon of actuals are used, so every model is scored on
the same periods. A model only ever sees ``series.head(k)``, the observations
before its origin; events dated after the origin are constant over that window
and so are dropped from its fit (see :mod:`retrade.forecast.events`).

Scores, per model, on the original scale:

- **MASE** (Hyndman and Koehler 2006): absolute error of the median divided by
  the in-sample mean absolute one-step error of the naive forecast (seasonal
  naive, lag 12, for monthly series) over *that origin's* training window,
  averaged over origins and horizons. Below 1: better than the in-sample naive.
  ``mase_vs_naive`` divides by the naive model's MASE in the same backtest.
- **coverage_XX**: share of actuals inside the XX% interval (nominal XX%).
- **msis** (Gneiting and Raftery 2007; M4 competition): the mean scaled
  interval score of the widest interval, rewarding narrow intervals and
  penalising misses by ``2/alpha`` times the distance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
import pandas as pd

from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.forecast import events as _events
from retrade.forecast import transform
from retrade.forecast.core import (
    DEFAULT_LEVELS,
    MODELS,
    check_levels,
    fit_draft,
    forecastable,
    model_input,
)
from retrade.panel.series import Series
from retrade.results import Result, Summary


@dataclass(frozen=True)
class Split:
    """One origin: train on the first ``n_train`` observations, test on ``test``."""

    n_train: int
    origin: pd.Timestamp
    test: pd.DatetimeIndex


def rolling_origins(
    periods: pd.DatetimeIndex, *, initial: int, step: int, horizon: int
) -> list[Split]:
    """Expanding-window splits with a full horizon of actuals each.

    Examples
    --------
    >>> p = pd.date_range("2000", periods=8, freq="YS")
    >>> splits = rolling_origins(p, initial=4, step=2, horizon=2)
    >>> [(s.n_train, s.origin.year, len(s.test)) for s in splits]
    [(4, 2004, 2), (6, 2006, 2)]
    """
    for name, value in (("initial", initial), ("step", step), ("horizon", horizon)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise SpecificationError(f"{name}={value!r} must be a positive integer")
    n = len(periods)
    splits = [
        Split(k, periods[k], periods[k : k + horizon])
        for k in range(initial, n - horizon + 1, step)
    ]
    if not splits:
        raise SpecificationError(
            f"no backtest origin: {n} observations cannot hold "
            f"initial={initial} plus horizon={horizon}"
        )
    return splits


def naive_scale(y: np.ndarray, season_length: int) -> float:
    """In-sample mean absolute error of the (seasonal) naive one-step forecast.

    Examples
    --------
    >>> naive_scale(np.array([1.0, 3.0, 2.0]), 1)
    1.5
    """
    if len(y) <= season_length:
        raise SpecificationError(
            f"{len(y)} observations cannot scale errors at lag {season_length}"
        )
    return float(np.mean(np.abs(y[season_length:] - y[:-season_length])))


@dataclass(frozen=True)
class BacktestResult(Result):
    """Every backtest forecast next to its actual, and the scores per model.

    ``tidy()`` has the columns ``origin, model, period, h, y, yhat, yhat_lower,
    yhat_upper, level, scale, series``: one row per origin, model, forecast
    period and level; :meth:`scores` sums them up.
    """

    tidy_columns: ClassVar[tuple[str, ...]] = (
        "origin", "model", "period", "h", "y", "yhat", "yhat_lower", "yhat_upper", "level",
        "scale", "series")

    series: Series
    splits: tuple[Split, ...]
    models: tuple[str, ...]
    levels: tuple[float, ...]
    horizon: int
    table: pd.DataFrame

    def tidy(self) -> pd.DataFrame:
        """Rows ``origin, model, period, h, y, yhat, yhat_lower, yhat_upper, level, scale``.

        Plus ``series``; one row per origin, model, forecast period and level.
        """
        return self.table.copy()

    def scores(self, by: choices.ScoreBy = "model") -> pd.DataFrame:
        """MASE, coverage per level and MSIS per model (and per horizon with ``by="h"``)."""
        check_choice("by", by, choices.ScoreBy)
        keys = ["model"] if by == "model" else ["model", "h"]
        return score_table(self.table, self.levels, keys)

    def metadata(self) -> dict[str, object]:
        """Series, models, origins, horizon, first training window and levels."""
        return {"series": self.series.name, "models": self.models,
                "origins": tuple(str(s.origin.date()) for s in self.splits),
                "horizon": self.horizon, "initial": self.splits[0].n_train,
                "levels": self.levels, "n_obs": self.series.n}

    def summary(self) -> Summary:
        """The design of the backtest and the score table."""
        meta = [("origins", f"{len(self.splits)} ({self.splits[0].origin.date()} .. "
                            f"{self.splits[-1].origin.date()})"),
                ("horizon", self.horizon),
                ("first training window", f"{self.splits[0].n_train} obs"),
                ("models", ", ".join(self.models))]
        return Summary(f"Rolling-origin backtest of {self.series.name!r}", meta, self.scores())

    def _describe(self) -> str:
        return (f"{len(self.models)} model(s) on {self.series.name!r}, {len(self.splits)} "
                f"origins, horizon {self.horizon}")

    def plot(self, ax=None):
        """MASE by horizon, one line per model; returns the Axes."""
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(7, 4))[1] if ax is None else ax
        for model, rows in self.scores(by="h").groupby("model"):
            ax.plot(rows["h"], rows["mase"], marker="o", label=model)
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("horizon (periods ahead)")
        ax.set_ylabel("MASE")
        ax.set_title(f"{self.series.name}: backtest accuracy")
        ax.legend(frameon=False, fontsize="small")
        return ax


def backtest(
    series: Series | pd.Series | pd.DataFrame,
    *,
    models: Sequence[str] = ("naive", "ets", "sarimax"),
    initial: int,
    step: int = 1,
    horizon: int,
    levels: Sequence[float] = DEFAULT_LEVELS,
    events: pd.DataFrame | None = None,
    seed: int = 0,
    **meta,
) -> BacktestResult:
    """Rolling-origin (expanding window) backtest of each model on one series.

    Parameters
    ----------
    series : Series or DataFrame
        As for :func:`~retrade.forecast.core.forecast_series`.
    models : sequence of str
        Model names (``"ensemble"`` uses its default members).
    initial, step, horizon : int
        First training size, origin spacing and periods forecast per origin.
    levels, events, seed
        Passed to every forecast.

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> df = pd.DataFrame({"period": pd.date_range("2000", periods=10, freq="YS"),
    ...                    "y": [5., 6, 7, 6, 8, 9, 8, 10, 11, 12]})
    >>> bt = backtest(df, frequency="A", kind="level", models=["naive"], initial=6, horizon=2)
    >>> bt.scores()["mase"].round(3).tolist()
    [1.381]
    """
    series = forecastable(series, **meta)
    levels = check_levels(levels)
    splits = rolling_origins(series.periods, initial=initial, step=step, horizon=horizon)
    for model in models:
        check_choice("model", model, (*MODELS, "ensemble"))
    checked = _events.check_events(events)
    actual = pd.Series(series.y, index=series.periods)
    blocks = [_split_rows(series, split, models, horizon, levels, checked, seed, actual)
              for split in splits]
    # one frame from the origins' columns (not a frame per origin, then a concatenation)
    table = pd.DataFrame({c: np.concatenate([b[c] for b in blocks]) for c in COLUMNS})
    return BacktestResult(series, tuple(splits), tuple(models), levels, horizon, table)


COLUMNS = ("origin", "model", "period", "h", "y", "yhat", "yhat_lower", "yhat_upper", "level",
           "scale", "series")


def _split_rows(series: Series, split: Split, models, horizon, levels, events, seed,
                actual: pd.Series) -> dict[str, np.ndarray]:
    """The forecasts of every model from one origin, as the backtest table's columns.

    The model input is built once per origin, and a model fitted there once (an
    ensemble reuses its members' drafts): what ``forecast`` would give each model.
    """
    train = _prefix(series, split.n_train)
    scale = naive_scale(train.y, train.season_length)
    inp = model_input(train, horizon, levels, events, seed)
    y = _actuals(actual, inp.future)
    fitted: dict = {}
    parts: dict[str, list] = {k: [] for k in ("model", "median", "lower", "upper", "level")}
    for model in models:
        draft = fit_draft(train, inp, model, fitted=fitted)[0]
        for level in sorted(draft.bounds):
            lo, hi = draft.bounds[level]
            for key, value in (("median", draft.median), ("lower", lo), ("upper", hi)):
                parts[key].append(np.asarray(value, dtype=float))
            parts["model"].append(np.full(horizon, model, dtype=object))
            parts["level"].append(np.full(horizon, level))
    blocks = len(parts["model"])
    name = train.resolved_transform
    rows = horizon * blocks
    return {
        "origin": np.full(rows, np.datetime64(split.origin.to_datetime64(), "ns")),
        "model": np.concatenate(parts["model"]),
        "period": np.tile(np.asarray(inp.future, dtype="datetime64[ns]"), blocks),
        "h": np.tile(np.arange(1, horizon + 1, dtype=np.int64), blocks),
        "y": np.tile(np.asarray(y, dtype=float), blocks),
        "yhat": np.asarray(transform.inverse(np.concatenate(parts["median"]), name), float),
        "yhat_lower": np.asarray(transform.inverse(np.concatenate(parts["lower"]), name), float),
        "yhat_upper": np.asarray(transform.inverse(np.concatenate(parts["upper"]), name), float),
        "level": np.concatenate(parts["level"]).astype(float),
        "scale": np.full(rows, scale, dtype=float),
        "series": np.full(rows, train.name, dtype=object),
    }


def _actuals(actual: pd.Series, periods: pd.DatetimeIndex) -> np.ndarray:
    """``actual.reindex(periods).to_numpy()`` (missing where a period has no value), found by
    position in the sorted periods instead of through a new index each time."""
    index = actual.index.asi8
    wanted = np.asarray(periods.asi8)
    at = np.searchsorted(index, wanted).clip(max=len(index) - 1)
    found = index[at] == wanted
    return np.where(found, actual.to_numpy(dtype=float)[at], np.nan)


def _prefix(series: Series, n: int) -> Series:
    """``series.head(n)`` without checking again what ``series`` already passed (a prefix of a
    regular series with at least 3 values is one); shorter ones go through the checks."""
    if n < 3:
        return series.head(n)
    out = object.__new__(Series)
    for f in fields(Series):
        object.__setattr__(out, f.name, getattr(series, f.name))
    object.__setattr__(out, "data", series.data.iloc[:n])
    return out


def score_table(table: pd.DataFrame, levels: tuple[float, ...], keys: list[str]) -> pd.DataFrame:
    """Scores from a backtest table (see the module docstring for definitions).

    One pass over whole columns: each row gets its group's number (the keys'
    distinct values in sorted order, as a sorted group-by numbers them), and
    sums and counts per group come from :func:`numpy.bincount`. MASE and MSIS
    use the widest level's rows; coverage every row, by level.
    """
    group, labels = _groups(table, keys)
    n = len(labels)
    level = table["level"].to_numpy(dtype=float)
    y, yhat, lo, hi, scale = (table[c].to_numpy(dtype=float)
                              for c in ("y", "yhat", "yhat_lower", "yhat_upper", "scale"))
    widest = max(levels)
    point = level == widest
    alpha = 1 - widest
    with np.errstate(invalid="ignore"):
        score = (hi - lo) + 2 / alpha * (np.clip(lo - y, 0, None) + np.clip(y - hi, 0, None))
        inside = (y >= lo) & (y <= hi)
    out = dict(labels)
    out["mase"] = _group_mean(np.abs(y - yhat)[point] / scale[point], group[point], n)
    out["n_forecasts"] = np.bincount(group[point], minlength=n).astype(np.int64)
    for lv in levels:
        rows = level == lv
        counts = np.bincount(group[rows], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.bincount(group[rows], weights=inside[rows], minlength=n) / counts
        out[f"coverage_{round(lv * 100):d}"] = np.where(counts > 0, share, np.nan)
    out["msis"] = _group_mean(score[point] / scale[point], group[point], n)
    naive = out["mase"][np.asarray(out["model"]) == "naive"]
    if "h" not in keys and len(naive):
        out["mase_vs_naive"] = out["mase"] / float(naive[0])
    return pd.DataFrame(out)


def _groups(table: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each row's group number and the groups' key values, in sorted key order."""
    codes = []
    for key in keys:
        code, uniques = pd.factorize(table[key], sort=True)
        codes.append((code, uniques))
    combined = np.zeros(len(table), dtype=np.int64)
    for code, uniques in codes:
        combined = combined * len(uniques) + code
    present, group = np.unique(combined, return_inverse=True)
    labels, rest = {}, present
    for key, (_, uniques) in reversed(list(zip(keys, codes, strict=True))):
        labels[key] = np.asarray(uniques)[rest % len(uniques)]
        rest = rest // len(uniques)
    return group.reshape(-1), {k: labels[k] for k in keys}


def _group_mean(values: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``values`` per group, missing values left out (NaN where a group has none)."""
    seen = ~np.isnan(values)
    counts = np.bincount(group[seen], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(group[seen], weights=values[seen], minlength=n) / counts
    return np.where(counts > 0, means, np.nan)
