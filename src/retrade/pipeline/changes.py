"""Section 'What changed since last quarter': new data, revised values and forecast revisions.

:func:`retrade.report.changes.what_changed` compares this run's ``forecasts``,
``data_coverage`` and ``data_totals`` tables with the latest earlier report
under the reports folder. Forecast points are matched on series, model and period, so a series
whose chosen model changed has no matched points; the section names those
series instead of hiding them.
"""

from __future__ import annotations

import pandas as pd

from retrade.pipeline.data import Body
from retrade.report import ReportTable
from retrade.report.changes import Changes, what_changed

REVISION_COLUMNS = ("series", "model", "period", "yhat_before", "yhat_now", "change",
                    "change_pct")


def model_switches(forecasts: pd.DataFrame) -> list[str]:
    """Series whose forecasting model differs between the two reports.

    Examples
    --------
    >>> f = pd.DataFrame({"series": ["s", "s"], "model": ["ets", "naive"],
    ...                   "yhat_before": [1.0, None], "yhat_now": [None, 1.2]})
    >>> model_switches(f)
    ['s: ets -> naive']
    """
    out = []
    for series, rows in forecasts.groupby("series", sort=True):
        before = sorted(set(rows.loc[rows["yhat_before"].notna(), "model"]))
        now = sorted(set(rows.loc[rows["yhat_now"].notna(), "model"]))
        if before and now and before != now:
            out.append(f"{series}: {', '.join(before)} -> {', '.join(now)}")
    return out


def revisions(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Matched forecast points, largest relative revision first."""
    matched = forecasts.dropna(subset=["change"]).copy()
    matched["_size"] = matched["change_pct"].abs()
    matched = matched.sort_values(["_size", "series", "period"], ascending=[False, True, True],
                                  kind="stable", na_position="last")
    return matched[list(REVISION_COLUMNS)].reset_index(drop=True)


def _text(changes: Changes) -> str:
    parts = [changes.summary()]
    if changes.has_previous and len(changes.forecasts):
        switched = model_switches(changes.forecasts)
        if switched:
            parts.append("The chosen model changed, so these series have no matched points: "
                         + "; ".join(switched) + ".")
        new = changes.forecasts[changes.forecasts["yhat_before"].isna()]
        if len(new):
            names = ", ".join(sorted(new["series"].unique()))
            parts.append("Forecast points the previous report did not have (new periods, "
                         f"series or models): {len(new)}, in {names}.")
    return "\n\n".join(parts)


def section(tables: dict[str, pd.DataFrame], options) -> Body:
    """Compare ``tables`` (this run's, by name) with the previous report in the reports folder."""
    changes = what_changed(tables, reports_dir=options.reports_dir, quarter=options.quarter)
    before = f"the {changes.previous_quarter} report"
    out = []
    if len(changes.data):
        out.append(ReportTable(
            "changes_data", changes.data, "New data: rows and last period by source",
            f"{before} and this run's data coverage.",
            labels={"rows_before": "rows then", "rows_now": "rows now",
                    "last_period_before": "last period then",
                    "last_period_now": "last period now"}))
    if len(changes.revisions):
        out.append(ReportTable(
            "changes_revisions", changes.revisions,
            "Revised values: total value by source and period, then and now (largest first)",
            f"{before} and this run's totals by source and period.",
            {"value_usd_before": "usd_m", "value_usd_now": "usd_m", "change": "usd_m",
             "change_pct": "pct:2"},
            {"value_usd_before": "then (USD m)", "value_usd_now": "now (USD m)",
             "change": "change (USD m)", "change_pct": "change (%)"}))
    if len(changes.forecasts):
        out.append(ReportTable(
            "changes_forecasts", revisions(changes.forecasts),
            "Forecast revisions: median then and now (matched points, largest first)",
            f"{before} and this run's forecasts.",
            {"change_pct": "pct:2"},
            {"yhat_before": "median then", "yhat_now": "median now", "change_pct": "change (%)"}))
    return Body(_text(changes), tuple(out))
