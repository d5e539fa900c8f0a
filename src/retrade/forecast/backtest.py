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
    actual = series.data.set_index("period")["y"]
    frames = [_split_rows(series, split, models, horizon, levels, checked, seed, actual)
              for split in splits]
    table = pd.concat(frames, ignore_index=True)[list(COLUMNS)]
    return BacktestResult(series, tuple(splits), tuple(models), levels, horizon, table)


COLUMNS = ("origin", "model", "period", "h", "y", "yhat", "yhat_lower", "yhat_upper", "level",
           "scale", "series")


def _split_rows(series: Series, split: Split, models, horizon, levels, events, seed,
                actual: pd.Series) -> pd.DataFrame:
    """The forecasts of every model from one origin, as backtest rows.

    The model input is built once per origin, and a model fitted there once (an
    ensemble reuses its members' drafts): what ``forecast`` would give each model.
    """
    train = _prefix(series, split.n_train)
    scale = naive_scale(train.y, train.season_length)
    inp = model_input(train, horizon, levels, events, seed)
    y = actual.reindex(inp.future).to_numpy()
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
    return pd.DataFrame({
        "origin": np.full(horizon * blocks, split.origin),
        "model": np.concatenate(parts["model"]),
        "period": np.tile(inp.future, blocks),
        "h": np.tile(np.arange(1, horizon + 1), blocks),
        "y": np.tile(y, blocks),
        "yhat": transform.inverse(np.concatenate(parts["median"]), name),
        "yhat_lower": transform.inverse(np.concatenate(parts["lower"]), name),
        "yhat_upper": transform.inverse(np.concatenate(parts["upper"]), name),
        "level": np.concatenate(parts["level"]),
        "scale": scale,
        "series": train.name,
    })


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

    Two groupings with built-in reducers: the widest level's rows for MASE and
    MSIS, every row by level for coverage.
    """
    widest = max(levels)
    point = table[table["level"] == widest]
    alpha = 1 - widest
    lo, hi, y = point["yhat_lower"], point["yhat_upper"], point["y"]
    score = (hi - lo) + 2 / alpha * ((lo - y).clip(lower=0) + (y - hi).clip(lower=0))
    per_row = point[keys].assign(_ase=(y - point["yhat"]).abs() / point["scale"],
                                 _msis=score / point["scale"])
    grouped = per_row.groupby(keys)
    out = grouped["_ase"].agg(["mean", "size"])
    out.columns = ["mase", "n_forecasts"]
    inside = (table["y"] >= table["yhat_lower"]) & (table["y"] <= table["yhat_upper"])
    cover = inside.groupby([table[k] for k in keys] + [table["level"]]).mean().unstack("level")
    for lv in levels:
        out[f"coverage_{round(lv * 100):d}"] = cover[lv] if lv in cover.columns else np.nan
    out["msis"] = grouped["_msis"].mean()
    out = out.reset_index()
    naive_mase = out.loc[out["model"] == "naive", "mase"]
    if "h" not in keys and len(naive_mase):
        out["mase_vs_naive"] = out["mase"] / float(naive_mase.iloc[0])
    return out
