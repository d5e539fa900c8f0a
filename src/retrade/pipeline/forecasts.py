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
from retrade.panel.periods import consecutive_tail, parse_periods, period_labels
from retrade.pipeline.data import SHARE_IMPORTERS, Body, RunData, share_series
from retrade.pipeline.labels import FORECAST_SOURCE, SERIES
from retrade.report import ReportFigure, ReportTable
from retrade.report.figures import millions_axis, percent_axis

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


def _annual(values: pd.Series, **meta) -> fc.Series:
    return fc.as_series(values, frequency="A", **meta)


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
    result = fc.forecast_series(planned.series, model=model,  # type: ignore[arg-type]  # checked
                         horizon=HORIZON[planned.series.frequency], seed=seed)
    return Outcome(planned, result, fc.apply_scenarios(result), choice, reason)


def _period_text(periods: pd.Series, frequency: str) -> pd.Series:
    return pd.Series(period_labels(parse_periods(periods, frequency)), index=periods.index)


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


def plain_name(outcome: Outcome) -> str:
    """The series' name in words (its key's label, else the name it was given)."""
    name = SERIES.get(outcome.planned.key, outcome.planned.series.name)
    return name[0].upper() + name[1:]


def _units(ax, unit: str) -> None:
    if unit == "share":
        percent_axis(ax)
    elif unit == "USD":
        millions_axis(ax)
        ax.set_ylabel("USD millions a month")
    if unit == "share":
        ax.set_ylabel("")


def _fan(ax, outcome: Outcome, title: str, legend: bool) -> None:
    outcome.result.plot(ax=ax)
    ax.set_title(title)
    _units(ax, outcome.planned.series.unit)
    handles, labels = ax.get_legend_handles_labels()
    if legend:
        ax.legend(handles, [_legend_label(t) for t in labels], loc="best")
    elif ax.get_legend() is not None:
        ax.get_legend().remove()


def _legend_label(label: str) -> str:
    if label == "observed":
        return label
    if label.endswith("(median)"):
        return "forecast (median)"
    return label.rsplit(" ", 1)[-1] + " interval"


def share_fans(outcomes: list[Outcome]) -> ReportFigure | None:
    """One small multiple per China-share series: history, median forecast, 80/95% fans."""
    import matplotlib.pyplot as plt

    shares = [o for o in outcomes if o.planned.key.startswith("china_share_")]
    if not shares:
        return None
    cols = 2 if len(shares) > 1 else 1
    rows = -(-len(shares) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(9, 3.1 * rows), sharey=True, squeeze=False)
    for i, (ax, o) in enumerate(zip(axes.flat, shares, strict=False)):
        _fan(ax, o, plain_name(o).removeprefix("China's share of "), legend=i == 0)
        ax.set_ylim(0, 1)
    for ax in axes.flat[len(shares):]:
        ax.set_visible(False)
    fig.tight_layout()
    return ReportFigure("fan_china_shares", fig,
                        "China's share of US and Japanese imports: history and forecast (% of "
                        "import value; shaded: 80% and 95% intervals)", FORECAST_SOURCE)


def single_fan(outcome: Outcome, *, appendix: bool = False) -> ReportFigure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.4))
    _fan(ax, outcome, "", legend=True)
    unit = {"share": "%", "USD": "USD millions a month"}.get(outcome.planned.series.unit, "")
    return ReportFigure(f"fan_{outcome.planned.key}", fig,
                        f"{plain_name(outcome)}: history and forecast ({unit}; shaded: 80% and "
                        "95% intervals)", FORECAST_SOURCE, appendix)


def scenario_figure(outcome: Outcome) -> ReportFigure:
    ax = outcome.scenarios.plot()
    fig = ax.figure
    ax.set_title("")
    _units(ax, outcome.planned.series.unit)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, [t.removesuffix(" (median)") for t in labels], loc="best")
    return ReportFigure(f"scenarios_{outcome.planned.key}", fig,
                        f"{plain_name(outcome)}: the default scenarios (medians; shaded: 80% "
                        "intervals)", FORECAST_SOURCE, appendix=True)


def all_figures(outcomes: list[Outcome]) -> tuple[ReportFigure, ...]:
    """The share fans together, the other series one by one, every scenario chart (appendix)."""
    shares = share_fans(outcomes)
    others = [single_fan(o) for o in outcomes if not o.planned.key.startswith("china_share_")]
    return (*([shares] if shares else []), *others,
            *(scenario_figure(o) for o in outcomes))


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


def summary_rows(outcomes: list[Outcome], year: int) -> pd.DataFrame:
    """Per series: the last value observed, and the forecast for ``year`` (or its last period)."""
    rows = []
    for o in outcomes:
        s = o.planned.series
        tidy = forecast_rows(o)
        tidy = tidy[tidy["level"] == 0.8]
        periods = tidy["period"].astype(str)
        pick = tidy[periods.str.startswith(str(year))] if s.frequency == "A" else tidy
        row = (pick if len(pick) else tidy).iloc[-1]
        last = s.data.dropna(subset=["y"]).iloc[-1]
        scale = 1e-6 if s.unit == "USD" else 100.0 if s.unit == "share" else 1.0
        rows.append({"series": plain_name(o), "unit": _UNIT_WORDS.get(s.unit, s.unit),
                     "last_observed": s.end.strftime("%Y" if s.frequency == "A" else "%Y-%m"),
                     "last_value": float(last["y"]) * scale, "forecast_for": row["period"],
                     "median": row["yhat"] * scale, "low_80": row["yhat_lower"] * scale,
                     "high_80": row["yhat_upper"] * scale, "model": o.result.model})
    return pd.DataFrame(rows)


_UNIT_WORDS = {"share": "%", "USD": "USD m a month"}


def section(data: RunData, options) -> Body:
    plans, notes = plan_all(data)
    outcomes, refused = run_all(plans, options)
    year = int(options.quarter[:4]) + 1
    number = {c: "number:1" for c in ("last_value", "median", "low_80", "high_80")}
    tables = (
        ReportTable("forecast_summary", summary_rows(outcomes, year),
                    f"The forecasts at a glance: last value observed and the forecast for {year} "
                    "(or the last period forecast), with its 80% interval", FORECAST_SOURCE,
                    number, {"last_observed": "last observed", "last_value": "value",
                             "forecast_for": "forecast for", "low_80": "80% interval from",
                             "high_80": "to"}),
        ReportTable("forecasts", _stack([forecast_rows(o) for o in outcomes], FORECAST_COLUMNS),
                    "Forecasts: median (yhat) and interval bounds at each level",
                    FORECAST_SOURCE, {"level": "percent:0"}, appendix=True),
        ReportTable("forecast_series", pd.DataFrame([series_row(o) for o in outcomes]),
                    "The series, the chosen model and why", FORECAST_SOURCE, appendix=True),
        ReportTable("forecast_model_choice",
                    _stack([choice_rows(o) for o in outcomes], CHOICE_COLUMNS),
                    "Backtest scores of the candidate models (MASE, interval coverage, MSIS)",
                    FORECAST_SOURCE, {"mase": "number:3", "msis": "number:2",
                                      "coverage_80": "percent:0", "coverage_95": "percent:0"},
                    appendix=True),
        ReportTable("forecast_scenarios", _stack([scenario_rows(o) for o in outcomes], ()),
                    "Scenario paths (the base forecast moved by each scenario's assumptions)",
                    FORECAST_SOURCE, {"level": "percent:0"}, appendix=True),
    )
    figs = all_figures(outcomes)
    missing = notes + [f"not forecast: {r}" for r in refused]
    return Body(_text(outcomes), tables, figs,
                message=("partial: " + "; ".join(missing)) if missing else "",
                notes=scenario_notes())


def _text(outcomes: list[Outcome]) -> str:
    lines = ["Each series is forecast with the model that did best when tried on its own past "
             "(a rolling-origin backtest), among the models whose intervals held the outcomes "
             "as often as they should; the appendix gives the scores. Forecasts are medians "
             "with 80% and 95% intervals. Shares are modelled on the logit scale and values on "
             "the log scale, so intervals stay within range. The table gives each series' last "
             "observed value and its forecast for next year."]
    lines.append("Scenarios move the base forecast by stated assumptions ("
                 + ", ".join(f"'{s.name}'" for s in fc.DEFAULT_SCENARIOS)
                 + "); the appendix describes each and charts its paths.")
    return "\n\n".join(lines)


def scenario_notes() -> str:
    """Each default scenario's assumptions, for the appendix."""
    return "Scenarios: " + " ".join(f"'{s.name}': {s.description.rstrip('.')}."
                                    for s in fc.DEFAULT_SCENARIOS)
