"""'What changed since last quarter': this run's forecasts and data against the previous report's.

The previous report is the latest folder under ``reports/`` whose quarter is
earlier than the current one (or one named explicitly). Its
``tables/forecasts.csv`` and ``tables/data_coverage.csv`` are compared with this
run's tables of the same names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FORECAST_KEY = ("series", "model", "period")
FORECAST_TABLE = "forecasts"
COVERAGE_TABLE = "data_coverage"


@dataclass(frozen=True)
class Changes:
    """Differences against the previous report (empty frames when there is none)."""

    previous_quarter: str | None
    forecasts: pd.DataFrame
    data: pd.DataFrame

    @property
    def has_previous(self) -> bool:
        return self.previous_quarter is not None

    def summary(self) -> str:
        if not self.has_previous:
            return "No earlier report was found, so there is nothing to compare with yet."
        lines = [f"Compared with the {self.previous_quarter} report."]
        if len(self.data):
            grown = self.data[self.data["last_period_now"] != self.data["last_period_before"]]
            for row in grown.itertuples():
                lines.append(
                    f"New data for {row.source} ({row.frequency}): last period "
                    f"{row.last_period_before or 'none'} -> {row.last_period_now}, rows "
                    f"{_int(row.rows_before)} -> {_int(row.rows_now)}."
                )
            if grown.empty:
                lines.append("No source has new periods of data.")
        if len(self.forecasts):
            moved = self.forecasts.dropna(subset=["change"])
            if len(moved):
                top = moved.reindex(moved["change_pct"].abs().sort_values(ascending=False).index)
                row = top.iloc[0]
                lines.append(
                    f"{len(moved)} forecast points can be compared; the largest revision is "
                    f"{row['series']} ({row['model']}) for {row['period']}: "
                    f"{row['yhat_before']:.4g} -> {row['yhat_now']:.4g} "
                    f"({row['change_pct']:+.1f}%)."
                )
        return " ".join(lines)


def _int(value: object) -> str:
    missing = value is None or (isinstance(value, float) and np.isnan(value))
    return "0" if missing else f"{int(value):,}"


def previous_report(reports_dir: str | Path, quarter: str) -> Path | None:
    """The latest report folder strictly before ``quarter`` (``None`` if there is none)."""
    folder = Path(reports_dir)
    if not folder.exists():
        return None
    earlier = sorted(
        p for p in folder.iterdir()
        if p.is_dir() and re.fullmatch(r"\d{4}Q[1-4]", p.name) and p.name < quarter
        and (p / "manifest.json").exists()
    )
    return earlier[-1] if earlier else None


def _read_table(report_folder: Path, name: str) -> pd.DataFrame | None:
    path = report_folder / "tables" / f"{name}.csv"
    return pd.read_csv(path, dtype={"period": str}) if path.exists() else None


def compare_forecasts(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Point forecasts of both runs side by side, per series, model and period.

    Examples
    --------
    >>> b = pd.DataFrame({"series": ["s"], "model": ["ets"], "period": ["2025"], "yhat": [1.0]})
    >>> n = pd.DataFrame({"series": ["s"], "model": ["ets"], "period": ["2025"], "yhat": [1.1]})
    >>> float(round(compare_forecasts(b, n)["change_pct"].iloc[0], 6))
    10.0
    """
    key = list(FORECAST_KEY)

    def points(frame: pd.DataFrame) -> pd.DataFrame:
        if "level" in frame.columns:
            frame = frame[frame["level"] == frame["level"].max()]
        return frame[[*key, "yhat"]].drop_duplicates(key).astype({"period": str})

    merged = points(before).merge(points(now), on=key, how="outer", suffixes=("_before", "_now"))
    merged["change"] = merged["yhat_now"] - merged["yhat_before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        merged["change_pct"] = 100 * merged["change"] / merged["yhat_before"].abs()
    return merged.sort_values(key).reset_index(drop=True)


def compare_coverage(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Per source and frequency: rows and last period, before and now."""
    key = ["source", "frequency"]
    cols = [*key, "rows", "last_period"]
    merged = before[cols].merge(now[cols], on=key, how="outer", suffixes=("_before", "_now"))
    return merged.astype({"last_period_before": "string", "last_period_now": "string"})


def what_changed(
    tables_now: dict[str, pd.DataFrame], *, reports_dir: str | Path, quarter: str,
    previous: str | Path | None = None,
) -> Changes:
    """Compare this run's ``forecasts`` and ``data_coverage`` tables with the previous report."""
    folder = Path(previous) if previous else previous_report(reports_dir, quarter)
    if folder is None:
        empty = pd.DataFrame()
        return Changes(None, empty, empty)
    forecasts_before = _read_table(folder, FORECAST_TABLE)
    coverage_before = _read_table(folder, COVERAGE_TABLE)
    forecasts = (
        compare_forecasts(forecasts_before, tables_now[FORECAST_TABLE])
        if forecasts_before is not None and FORECAST_TABLE in tables_now
        else pd.DataFrame()
    )
    data = (
        compare_coverage(coverage_before, tables_now[COVERAGE_TABLE])
        if coverage_before is not None and COVERAGE_TABLE in tables_now
        else pd.DataFrame()
    )
    return Changes(folder.name, forecasts, data)
