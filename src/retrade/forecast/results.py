"""The forecast results object, :class:`ForecastResult`, on the package's results contract.

``.tidy()`` (:data:`retrade.results.FORECAST_COLUMNS`), ``.summary()``,
``.plot()`` returning the Axes, ``.metadata()``, and a table in Jupyter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from retrade.forecast import transform
from retrade.forecast.draft import Draft
from retrade.panel.series import Series
from retrade.results import FORECAST_COLUMNS, Result, Summary


def draft_rows(draft: Draft, periods: pd.DatetimeIndex, transform_name: str) -> pd.DataFrame:
    """Back-transformed long rows (period, yhat, yhat_lower, yhat_upper, level) of a draft."""
    yhat = transform.inverse(draft.median, transform_name)
    frames = []
    for level in sorted(draft.bounds):
        lo, hi = draft.bounds[level]
        frames.append(
            pd.DataFrame(
                {
                    "period": periods,
                    "yhat": yhat,
                    "yhat_lower": transform.inverse(lo, transform_name),
                    "yhat_upper": transform.inverse(hi, transform_name),
                    "level": level,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def wide_forecast(tidy: pd.DataFrame, frequency: str = "M") -> pd.DataFrame:
    """One row per period: ``period, yhat`` and the bounds of each level (``lower 80%`` ...)."""
    table = tidy.groupby("period", sort=True)[["yhat"]].first()
    for level, rows in tidy.groupby("level", sort=True):
        bounds = rows.set_index("period")[["yhat_lower", "yhat_upper"]]
        table[f"lower {level:.0%}"] = bounds["yhat_lower"]
        table[f"upper {level:.0%}"] = bounds["yhat_upper"]
    out = table.reset_index()
    out["period"] = pd.DatetimeIndex(out["period"]).strftime("%Y" if frequency == "A" else "%Y-%m")
    return out


@dataclass(frozen=True)
class ForecastResult(Result):
    """A forecast of one series by one model (or ensemble), with prediction intervals.

    ``tidy()`` has the columns ``period, yhat, yhat_lower, yhat_upper, level,
    model, series``: one row per forecast period and interval level, ``yhat``
    the median on the original scale.

    Attributes
    ----------
    series : Series
        The training data and its metadata.
    model : str
        ``"ets"``, ``"sarimax"``, ``"prophet"``, ``"naive"``, ``"snaive"`` or ``"ensemble"``.
    draft : Draft
        Median and bounds on the model scale (``transform``), with the chosen
        specification and estimated event effects.
    periods : DatetimeIndex
        The forecast periods.
    levels : tuple of float
        Interval coverage levels.
    seed : int
        Seed the forecast was made with.
    members, weights : tuple
        Ensemble members and their normalised weights (empty otherwise).
    event_future : dict
        Future values of each identified event step (what scenarios switch).
    """

    series: Series
    model: str
    draft: Draft
    periods: pd.DatetimeIndex
    levels: tuple[float, ...]
    seed: int = 0
    members: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    event_future: dict[str, np.ndarray] = field(default_factory=dict)

    tidy_columns: ClassVar[tuple[str, ...]] = FORECAST_COLUMNS

    @property
    def spec(self) -> str:
        """The fitted specification, e.g. ``ETS(A,Ad,N)``."""
        return self.draft.spec

    @property
    def transform(self) -> str:
        """The model scale: ``logit``, ``log`` or ``log1p``."""
        return self.series.resolved_transform

    @property
    def horizon(self) -> int:
        """Number of forecast periods."""
        return len(self.periods)

    @property
    def training(self) -> tuple[pd.Timestamp, pd.Timestamp, int]:
        """First and last training period and the number of observations."""
        return self.series.start, self.series.end, self.series.n

    @property
    def effects(self) -> dict[str, float]:
        """Estimated event step coefficients on the model scale."""
        return dict(self.draft.effects)

    def tidy(self) -> pd.DataFrame:
        """One row per forecast period and level.

        Columns ``period, yhat, yhat_lower, yhat_upper, level, model, series``;
        ``yhat`` is the median on the original scale.
        """
        rows = draft_rows(self.draft, self.periods, self.transform)
        rows["model"] = self.model
        rows["series"] = self.series.name
        return rows[list(FORECAST_COLUMNS)]

    def metadata(self) -> dict[str, object]:
        """Series, model and specification, training window, scale, horizon, levels, seed."""
        start, end, n = self.training
        return {"series": self.series.name, "kind": self.series.kind, "unit": self.series.unit,
                "frequency": self.series.frequency, "model": self.model, "spec": self.spec,
                "transform": self.transform, "training_start": str(start.date()),
                "training_end": str(end.date()), "n_obs": n, "horizon": self.horizon,
                "levels": self.levels, "seed": self.seed, "members": self.members,
                "weights": self.weights, "effects": self.effects, "note": self.series.note}

    def summary(self) -> Summary:
        """Series, model, training window, scale, effects and the forecast by period."""
        start, end, n = self.training
        s = self.series
        meta = [
            ("model", f"{self.model} -- {self.spec}"),
            ("training", f"{start.date()} to {end.date()} ({n} obs, frequency {s.frequency})"),
            ("scale", f"{transform.describe(self.transform)}; yhat = back-transformed median"),
            ("horizon", f"{self.horizon}; levels {[f'{lv:.0%}' for lv in self.levels]}; "
                        f"seed {self.seed}"),
            ("event steps", ", ".join(f"{k} {v:+.3f}" for k, v in self.effects.items())),
            ("note", s.note),
        ]
        return Summary(f"Forecast of {s.name!r} ({s.kind}, {s.unit or 'no unit'})", meta,
                       wide_forecast(self.tidy(), s.frequency))

    def _describe(self) -> str:
        return (f"{self.model} forecast of {self.series.name!r}, {self.horizon} "
                f"{self.series.frequency} periods from {self.periods[0].date()}")

    def plot(self, ax=None):
        """Fan chart of the history and the forecast; returns the matplotlib Axes."""
        from retrade.forecast.plotting import fan_chart

        return fan_chart(
            self.series.data,
            {self.model: self.tidy()},
            title=f"{self.series.name} ({self.model})",
            ylabel=self.series.unit or "y",
            ax=ax,
        )
