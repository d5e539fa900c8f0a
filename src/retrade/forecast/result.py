"""The forecast results object: ``.tidy()``, ``.summary()``, ``.plot()`` and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retrade.forecast import transform
from retrade.forecast.draft import Draft
from retrade.panel.series import Series

TIDY_COLUMNS = ("period", "yhat", "yhat_lower", "yhat_upper", "level", "model", "series")


class Text(str):
    """Plain text that Jupyter shows as preformatted HTML."""

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(str(self))}</pre>"


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


@dataclass(frozen=True)
class ForecastResult:
    """A forecast of one series by one model (or ensemble), with prediction intervals.

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
        return rows[list(TIDY_COLUMNS)]

    def summary(self) -> Text:
        """A text summary: series, model, training window, transform, effects, the forecast."""
        start, end, n = self.training
        s = self.series
        lines = [
            f"Forecast of {s.name!r} ({s.kind}, {s.unit or 'no unit'})",
            f"model      : {self.model} -- {self.spec}",
            f"training   : {start.date()} to {end.date()} ({n} obs, frequency {s.frequency})",
            f"scale      : {transform.describe(self.transform)}; yhat = back-transformed median",
            f"horizon    : {self.horizon}; levels {[f'{lv:.0%}' for lv in self.levels]}"
            f"; seed {self.seed}",
        ]
        if self.effects:
            lines.append(
                "event steps: " + ", ".join(f"{k} {v:+.3f}" for k, v in self.effects.items())
            )
        if self.series.note:
            lines.append(f"note       : {self.series.note}")
        table = self.tidy().pivot_table(
            index="period", columns="level", values=["yhat_lower", "yhat_upper"]
        )
        table.insert(0, "yhat", self.tidy().groupby("period")["yhat"].first())
        lines += ["", table.to_string(float_format=lambda v: f"{v:.4g}")]
        return Text("\n".join(lines))

    def plot(self, ax=None):
        """Fan chart of the history and the forecast; returns the matplotlib Figure."""
        from retrade.forecast.plotting import fan_chart

        return fan_chart(
            self.series.data,
            {self.model: self.tidy()},
            title=f"{self.series.name} ({self.model})",
            ylabel=self.series.unit or "y",
            ax=ax,
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()
