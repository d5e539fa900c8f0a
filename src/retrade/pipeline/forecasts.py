"""Section 'Forecasts': shares and volumes with intervals, a backtested model, scenarios.

Series, each where the data allow:

* China's share of Japan's and the US's imports by HS6 line (annual, from the
  importer's own data or mirror-based; one basis per series; at least
  :data:`MIN_YEARS` consecutive years, every value in (0, 1]);
* China's monthly rare-earth exports, value in USD (a monthly table's world
  totals, :func:`retrade.panel.monthly.china_monthly_exports`);
* the non-China share of world mine output (bundled USGS figures; always).

For each: a rolling-origin backtest of the candidate models
(:func:`retrade.forecast.backtest`; annual: 3-year horizon, origins one year
apart over the last six years; monthly: 12-month horizon, origins a year
apart over the last three years), the choice by
:func:`retrade.forecast.select_model` with its score table, the forecast
with the chosen model (annual: 6 years, monthly: 24 months), a fan chart, and
the default scenarios (:data:`retrade.forecast.DEFAULT_SCENARIOS`). A series
too short for three backtest origins is forecast by the naive model, and the
table says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from retrade import forecast as fc
from retrade.errors import CatalogError, RetradeError
from retrade.forecast.core import MIN_OBS
from retrade.models import capacity as cap
from retrade.panel.monthly import china_monthly_exports
from retrade.pipeline.data import SHARE_IMPORTERS, Body, RunData, share_series
from retrade.report import ReportFigure, ReportTable

DEFAULT_MODELS: tuple[str, ...] = ("naive", "ets", "autotheta", "autoarima", "sarimax", "ensemble")
HORIZON = {"A": 6, "M": 24}
MIN_YEARS = 8
MIN_ORIGINS = 3
FORECAST_COLUMNS = ("series", "model", "period", "yhat", "yhat_lower", "yhat_upper", "level")
CHOICE_COLUMNS = ("series", "model", "mase", "coverage_80", "coverage_95", "msis",
                  "n_forecasts", "eligible", "chosen")


@dataclass(frozen=True)
class Planned:
    """One series to forecast: its short key (table and figure names) and the Series."""

    key: str
    series: fc.Series


@dataclass(frozen=True)
class Outcome:
    """What was forecast for one series, with the choice behind the model."""

    planned: Planned
    result: fc.ForecastResult
    scenarios: fc.ScenarioResult
    choice: fc.ModelChoice | None
    reason: str


def consecutive_tail(values: pd.Series) -> pd.Series:
    """The longest run of consecutive years that ends at the last year (index: year as text).

    Examples
    --------
    >>> consecutive_tail(pd.Series([1.0, 2, 3, 4], index=["2004", "2010", "2011", "2012"])).size
    3
    """
    years = values.index.astype(int).to_numpy()
    start = len(years) - 1
    while start > 0 and years[start - 1] == years[start] - 1:
        start -= 1
    return values.iloc[start:]


def _annual(values: pd.Series, **meta) -> fc.Series:
    frame = pd.DataFrame({"period": pd.to_datetime(values.index.astype(str), format="%Y"),
                          "y": values.to_numpy(float)})
    return fc.Series(frame, "A", **meta)


def share_plans(data: RunData) -> tuple[list[Planned], list[str]]:
    """China's share series long enough to forecast, and why the others are left out."""
    plans, notes = [], []
    for (importer, hs6), (basis, values) in share_series(data.china_shares).items():
        values = consecutive_tail(values.dropna())
        label = f"{importer} {hs6} ({basis})"
        if not ((values > 0) & (values <= 1)).all():
            notes.append(f"{label}: {_out_of_range(values)}")
        elif len(values) < MIN_YEARS:
            notes.append(f"{label}: {len(values)} consecutive years, fewer than {MIN_YEARS}")
        else:
            plans.append(Planned(f"china_share_{importer.lower()}_{hs6}", _annual(
                values, kind="share", name=values.name, unit="share", role="china_share",
                note=f"{basis} data")))
    return plans, notes


def _out_of_range(values: pd.Series) -> str:
    """Why a share series is not forecast: years with a share of 0, or above 1, named.

    Examples
    --------
    >>> print(_out_of_range(pd.Series([0.0, 0.5], index=["2015", "2016"])))
    no imports from China in 2015 (share 0; the logit scale needs shares above 0)
    >>> print(_out_of_range(pd.Series([0.9, 1.2], index=["2015", "2016"])))
    a share above 1 in 2016 (mirror exports above the importer's total?)
    """
    zero, above = values.index[values <= 0].tolist(), values.index[values > 1].tolist()
    parts = []
    if zero:
        parts.append(f"no imports from China in {', '.join(map(str, zero))} (share 0; the "
                     "logit scale needs shares above 0)")
    if above:
        parts.append(f"a share above 1 in {', '.join(map(str, above))} (mirror exports above the "
                     "importer's total?)")
    return "; ".join(parts)


def monthly_totals(monthly: pd.DataFrame) -> tuple[str, pd.DataFrame] | None:
    """China's monthly rare-earth export totals from one table: the longest table that has them.

    Tables are tried one by one (a table that breaks the group down further,
    such as one by subgroup, gives several rows a month and is passed over),
    so several imported tables do not block the series; ties go to the first
    table name. ``None`` when no table has world totals.
    """
    found = []
    for table in sorted(monthly["table"].dropna().unique()):
        try:
            found.append((table, china_monthly_exports(monthly[monthly["table"] == table])))
        except CatalogError:
            continue
    return max(found, key=lambda item: len(item[1])) if found else None


def monthly_plan(data: RunData) -> Planned | None:
    """China's monthly rare-earth export value, or ``None`` without a monthly world-total table."""
    totals = monthly_totals(data.monthly) if data.monthly is not None else None
    if totals is None:
        return None
    table, exports = totals
    frame = pd.DataFrame({"period": exports["period"], "y": exports["value_usd"]}).dropna()
    return Planned("china_re_exports_value", fc.Series(
        frame, "M", "level", name="China's rare-earth exports, value (monthly)", unit="USD",
        role="china_exports", note=f"monthly table {table}"))


def mine_share_plan() -> Planned:
    """The non-China share of world mine output (bundled USGS figures, consecutive years)."""
    shares = cap.mine_shares().set_index(cap.mine_shares()["year"].astype(str))
    values = consecutive_tail(shares["share_reported"].astype(float))
    return Planned("nonchina_mine_share", _annual(
        values, kind="share", name="Non-China share of world mine output (USGS)", unit="share",
        role="overseas_share", note="bundled USGS Mineral Commodity Summaries, preferred edition"))


def candidates(models: Sequence[str], frequency: str) -> list[str]:
    """The models to backtest: the run's list, with the seasonal naive added for monthly series."""
    out = list(dict.fromkeys(models))
    if frequency == "M" and "naive" in out and "snaive" not in out:
        out.insert(out.index("naive") + 1, "snaive")
    return out


def backtest_design(n: int, frequency: str) -> tuple[int, int, int] | None:
    """``(initial, step, horizon)`` of the backtest, or ``None`` if it would have too few origins.

    Examples
    --------
    >>> backtest_design(15, "A"), backtest_design(96, "M"), backtest_design(9, "A")
    ((9, 1, 3), (60, 12, 12), None)
    """
    horizon, step = (3, 1) if frequency == "A" else (12, 12)
    initial = max(MIN_YEARS if frequency == "A" else 36, n - 6 if frequency == "A" else n - 36)
    origins = (n - horizon - initial) // step + 1
    return (initial, step, horizon) if origins >= MIN_ORIGINS else None


def choose(planned: Planned, models: Sequence[str],
           seed: int) -> tuple[str, fc.ModelChoice | None, str]:
    """The model to forecast with, the :class:`ModelChoice` (or ``None``) and the reason."""
    series = planned.series
    design = backtest_design(series.n, series.frequency)
    if design is None:
        return "naive", None, (f"{series.n} observations: too few for {MIN_ORIGINS} backtest "
                               "origins, so the naive (random-walk) forecast")
    initial, step, horizon = design
    usable = [m for m in candidates(models, series.frequency) if initial >= MIN_OBS.get(m, 2)]
    if len(usable) < 2:
        return usable[0] if usable else "naive", None, "one candidate model: no choice to make"
    bt = fc.backtest(series, models=usable, initial=initial, step=step, horizon=horizon,
                     seed=seed)
    choice = fc.select_model(bt)
    return choice.model, choice, choice.reason


def forecast_one(planned: Planned, models: Sequence[str], seed: int) -> Outcome:
    """Backtest, choose, forecast and layer the default scenarios for one series."""
    model, choice, reason = choose(planned, models, seed)
    result = fc.forecast(planned.series, model=model,  # type: ignore[arg-type]  # checked
                         horizon=HORIZON[planned.series.frequency], seed=seed)
    return Outcome(planned, result, fc.apply_scenarios(result), choice, reason)


def _period_text(periods: pd.Series, frequency: str) -> pd.Series:
    return pd.to_datetime(periods).dt.strftime("%Y" if frequency == "A" else "%Y-%m")


def forecast_rows(outcome: Outcome) -> pd.DataFrame:
    """The ``forecasts`` table rows of one series (``series`` is the series' key)."""
    tidy = outcome.result.tidy().assign(series=outcome.planned.key)
    tidy["period"] = _period_text(tidy["period"], outcome.planned.series.frequency)
    return tidy[list(FORECAST_COLUMNS)]


def scenario_rows(outcome: Outcome) -> pd.DataFrame:
    tidy = outcome.scenarios.tidy().assign(series=outcome.planned.key)
    tidy["period"] = _period_text(tidy["period"], outcome.planned.series.frequency)
    return tidy[["series", "scenario", "period", "yhat", "yhat_lower", "yhat_upper", "level"]]


def choice_rows(outcome: Outcome) -> pd.DataFrame:
    if outcome.choice is None:
        return pd.DataFrame(columns=list(CHOICE_COLUMNS))
    table = outcome.choice.tidy().assign(series=outcome.planned.key)
    return table.reindex(columns=list(CHOICE_COLUMNS))


def series_row(outcome: Outcome) -> dict:
    s = outcome.planned.series
    fmt = "%Y" if s.frequency == "A" else "%Y-%m"
    return {"series": outcome.planned.key, "description": s.name, "unit": s.unit,
            "frequency": s.frequency, "first": s.start.strftime(fmt), "last": s.end.strftime(fmt),
            "n": s.n, "model": outcome.result.model, "spec": outcome.result.spec,
            "data": s.note, "why_this_model": outcome.reason}


def figures(outcome: Outcome) -> tuple[ReportFigure, ReportFigure]:
    key, name = outcome.planned.key, outcome.planned.series.name
    return (ReportFigure(f"fan_{key}", outcome.result.plot(),
                         f"{name}: {outcome.result.model} forecast, 80% and 95% intervals"),
            ReportFigure(f"scenarios_{key}", outcome.scenarios.plot(),
                         f"{name}: the default scenarios (median, 80% interval)"))


def plan_all(data: RunData) -> tuple[list[Planned], list[str]]:
    """Every series the data allow, and what is missing for the others."""
    plans, notes = share_plans(data)
    if not plans:
        cmds = data.commands
        notes.append(f"China's share of {'/'.join(SHARE_IMPORTERS)} imports: needs "
                     + cmds["importers"] + ", or China's exports by partner ("
                     + cmds["china_annual"] + ") with importers' totals ("
                     + cmds["world_summary"] + ")")
    monthly = monthly_plan(data)
    if monthly is None:
        notes.append("China's monthly exports: needs " + data.commands["monthly"])
    return [*plans, *([monthly] if monthly else []), mine_share_plan()], notes


def run_all(plans: list[Planned], options) -> tuple[list[Outcome], list[str]]:
    """Forecast each planned series; a series the models refuse is noted, not fatal."""
    outcomes, refused = [], []
    for planned in plans:
        options.note(f"forecasts: {planned.key}")
        try:
            outcomes.append(forecast_one(planned, options.forecast_models, options.seed))
        except RetradeError as exc:
            refused.append(f"{planned.key}: {exc}")
    return outcomes, refused


def _stack(frames: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))


def section(data: RunData, options) -> Body:
    plans, notes = plan_all(data)
    outcomes, refused = run_all(plans, options)
    tables = (
        ReportTable("forecasts", _stack([forecast_rows(o) for o in outcomes], FORECAST_COLUMNS),
                    "Forecasts: median (yhat) and interval bounds at each level"),
        ReportTable("forecast_series", pd.DataFrame([series_row(o) for o in outcomes]),
                    "The series, the chosen model and why"),
        ReportTable("forecast_model_choice",
                    _stack([choice_rows(o) for o in outcomes], CHOICE_COLUMNS),
                    "Backtest scores of the candidate models (MASE, interval coverage, MSIS)"),
        ReportTable("forecast_scenarios", _stack([scenario_rows(o) for o in outcomes], ()),
                    "Scenario paths (the base forecast moved by each scenario's assumptions)"),
    )
    figs = tuple(f for o in outcomes for f in figures(o))
    missing = notes + [f"not forecast: {r}" for r in refused]
    return Body(_text(outcomes), tables, figs,
                message=("partial: " + "; ".join(missing)) if missing else "")


def _text(outcomes: list[Outcome]) -> str:
    lines = ["Each series is forecast with the model that did best in a rolling-origin "
             "backtest among those whose intervals covered adequately (table "
             "forecast_model_choice); yhat is the median, with 80% and 95% intervals. Shares "
             "are modelled on the logit scale and levels on the log scale, so intervals stay "
             "in range."]
    for o in outcomes:
        rows = forecast_rows(o)
        last = rows[(rows["period"] == rows["period"].max()) & (rows["level"] == 0.95)].iloc[0]
        lines.append(f"{o.planned.series.name}: {o.result.model} ({o.result.spec}); "
                     f"{last['period']} median {last['yhat']:.4g} [95%: "
                     f"{last['yhat_lower']:.4g}, {last['yhat_upper']:.4g}].")
    lines.append("Scenarios: " + "; ".join(f"'{s.name}': {s.description}"
                                          for s in fc.DEFAULT_SCENARIOS))
    return "\n\n".join(lines)
