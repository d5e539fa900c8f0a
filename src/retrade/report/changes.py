"""'What changed since last quarter': this run's forecasts and data against the previous report's.

The previous report is the latest folder under ``reports/`` whose quarter is
earlier than the current one (or one named explicitly). Its
``tables/forecasts.csv``, ``tables/data_coverage.csv`` and
``tables/data_totals.csv`` (value per source and period) are compared with
this run's tables of the same names: new periods, revised values (a period
whose total moved by more than :data:`REVISION_TOLERANCE`, relative) and
forecast revisions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

FORECAST_KEY = ("series", "model", "period")
FORECAST_TABLE = "forecasts"
COVERAGE_TABLE = "data_coverage"
TOTALS_TABLE = "data_totals"
TOTALS_KEY = ("source", "frequency", "period")
# totals are read back from CSV at 10 significant digits: smaller moves are not revisions
REVISION_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Changes:
    """Differences against the previous report (empty frames when there is none)."""

    previous_quarter: str | None
    forecasts: pd.DataFrame
    data: pd.DataFrame
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)

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
        if len(self.revisions):
            per_source = self.revisions.groupby("source", sort=True).size()
            lines.append("Revised values: " + ", ".join(
                f"{n} period(s) of {source}" for source, n in per_source.items()) + ".")
        elif len(self.data):
            lines.append("No earlier value was revised.")
        if len(self.forecasts):
            moved = self.forecasts.dropna(subset=["change"])
            if len(moved):
                top = moved.reindex(moved["change_pct"].abs().sort_values(ascending=False).index)
                row = top.iloc[0]
                lines.append(
                    f"{len(moved)} forecast points can be compared; the largest revision is "
                    f"{row['series']} ({row['model']}) for {row['period']}: "
                    f"{_num(row['yhat_before'])} -> {_num(row['yhat_now'])} "
                    f"({row['change_pct']:+.1f}%)."
                )
        return " ".join(lines)


def _num(value: float) -> str:
    """A number for a sentence: 3 decimals below 1, else 3 significant figures, never an exponent.

    Examples
    --------
    >>> _num(0.61234), _num(295312345.0)
    ('0.612', '295,000,000')
    """
    if abs(value) < 1:
        return f"{value:.3f}"
    digits = int(np.floor(np.log10(abs(value)))) - 2
    return f"{round(value, -digits):,.0f}" if digits > 0 else f"{value:,.{-digits}f}"


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


def compare_totals(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Periods present in both runs whose total value moved: the revisions, largest first.

    Examples
    --------
    >>> b = pd.DataFrame({"source": ["wits"] * 2, "frequency": "A", "period": ["2023", "2024"],
    ...                   "value_usd": [100.0, 50.0]})
    >>> n = b.assign(value_usd=[110.0, 50.0])
    >>> compare_totals(b, n)[["period", "change", "change_pct"]].values.tolist()
    [['2023', 10.0, 10.0]]
    """
    key = list(TOTALS_KEY)
    cols = [*key, "value_usd"]
    merged = before[cols].astype({"period": str}).merge(
        now[cols].astype({"period": str}), on=key, suffixes=("_before", "_now"))
    merged["change"] = merged["value_usd_now"] - merged["value_usd_before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        merged["change_pct"] = 100 * merged["change"] / merged["value_usd_before"].abs()
    size = (merged["change"].abs() / merged["value_usd_before"].abs().clip(lower=1.0))
    revised = merged[size > REVISION_TOLERANCE].copy()
    revised["_size"] = revised["change_pct"].abs()
    return (revised.sort_values(["_size", *key], ascending=[False, True, True, True],
                                kind="stable").drop(columns="_size").reset_index(drop=True))


def what_changed(
    tables_now: dict[str, pd.DataFrame], *, reports_dir: str | Path, quarter: str,
    previous: str | Path | None = None,
) -> Changes:
    """Compare this run's forecasts, coverage and totals tables with the previous report's."""
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
    totals_before = _read_table(folder, TOTALS_TABLE)
    revisions = (
        compare_totals(totals_before, tables_now[TOTALS_TABLE])
        if totals_before is not None and TOTALS_TABLE in tables_now
        else pd.DataFrame()
    )
    return Changes(folder.name, forecasts, data, revisions)
