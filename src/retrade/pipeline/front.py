"""The front page: key findings read off the sections' tables, one chart, data recency, what is new.

Every number here is taken from a table a section computed (``china_share``,
``tech_ban_intervention`` or ``quota_removal_did``, ``capacity_definitions``,
``forecasts``, ``data_coverage``, ``changes_*``), never recomputed, so the
front page and the sections cannot disagree. Each finding is compared with
the same finding of the previous report (its ``tables/findings.csv``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

from retrade.pipeline import labels as L
from retrade.report import Finding, FrontPage, ReportFigure, ReportTable
from retrade.report.changes import previous_report
from retrade.report.format import format_value

Tables = Mapping[str, pd.DataFrame]
REFERENCE_SHARE = 0.28  # the often-quoted "about 28%" of non-China supply
FORECAST_SERIES = ("china_share_usa_284690", "china_share_jpn_284690", "nonchina_mine_share")
RESTRICTION_LINES = ("284690", "280530", "850511")
SHORT = {"USA": "US", "JPN": "Japan"}


def latest_shares(tables: Tables, importer: str) -> dict[str, tuple[str, float, str]]:
    """``hs6 -> (period, share, basis)``: the last year of each China-share series of ``importer``.

    Read from the dual-chain section's wide ``china_share`` table (columns
    ``"<importer> <hs6> <basis>"``).
    """
    table = tables.get("china_share")
    out: dict[str, tuple[str, float, str]] = {}
    if table is None or table.empty:
        return out
    table = table.sort_values("period")
    for column in table.columns[1:]:
        who, hs6, basis = str(column).split(" ", 2)
        values = table[["period", column]].dropna()
        if who == importer and len(values) and hs6 not in out:
            last = values.iloc[-1]
            out[hs6] = (str(last["period"]), float(last[column]), basis)
    return out


def share_finding(tables: Tables, importer: str) -> Finding | None:
    """China's share of ``importer``'s imports by stage, the compounds line as the number."""
    shares = latest_shares(tables, importer)
    lead = next((hs6 for hs6 in ("284690", "280530", "850511") if hs6 in shares), None)
    if lead is None:
        return None
    period, value, basis = shares[lead]
    others = [f"{format_value(shares[h][1], 'percent')} of its {L.STAGE[h]} imports"
              for h in ("280530", "850511") if h in shares and h != lead
              and shares[h][0] == period]
    who = L.POSSESSIVE[importer]
    sentence = (f"China supplied {format_value(value, 'percent')} of {who} imports of "
                f"rare-earth {L.STAGE[lead]} (HS {lead}) by value in {period}"
                + (f", and {' and '.join(others)}" if others else "") + ".")
    return Finding(f"china_share_{importer.lower()}", f"China's share of {who} imports",
                   sentence, value, "percent", period, source=L.share_source(basis))


def restriction_finding(tables: Tables) -> Finding | None:
    """The latest export-restriction estimate with its interval (the 2023 ban, else 2015)."""
    ban = tables.get("tech_ban_intervention")
    if ban is not None and len(ban):
        row = _first_line(ban)
        low, high = float(row["cumulative_low"]), float(row["cumulative_high"])
        value = float(row["cumulative_effect"])
        clear = "a clear fall" if high < 0 else "a clear rise" if low > 0 else (
            "an effect that cannot be told from no effect")
        sentence = (f"In the {int(row['months'])} months after China's December 2023 ban on "
                    f"exporting rare-earth processing technology, its exports of "
                    f"{L.STAGE[str(row['hs6'])]} (HS {row['hs6']}) were "
                    f"{_above_below(value)} the path expected without the ban "
                    f"({_level(row)} interval {format_value(low, 'change')} to "
                    f"{format_value(high, 'change')}): {clear}.")
        return Finding("restriction_effect", "Effect of the 2023 technology ban", sentence,
                       value, "change", "2024", low, high, source=L.MONTHLY_SOURCE)
    did = tables.get("quota_removal_did")
    if did is None or did.empty:
        return None
    row = _first_line(did)
    effect = math.expm1(float(row["estimate"]))
    low, high = math.expm1(float(row["conf_low"])), math.expm1(float(row["conf_high"]))
    sentence = (f"After China removed its export quotas in 2015, its exports of "
                f"{L.STAGE[str(row['hs6'])]} (HS {row['hs6']}) to its ten largest 2010-2014 "
                f"buyers moved {format_value(effect, 'change')} against other buyers (95% "
                f"interval {format_value(low, 'change')} to {format_value(high, 'change')}).")
    return Finding("restriction_effect", "Effect of the 2015 quota removal", sentence, effect,
                   "change", "2015", low, high, source=L.WITS_SOURCE)


def _first_line(table: pd.DataFrame) -> pd.Series:
    hs6 = table["hs6"].astype(str)
    line = next(h for h in (*RESTRICTION_LINES, *hs6) if (hs6 == h).any())
    return table[hs6 == line].iloc[0]


def _above_below(value: float) -> str:
    return f"{format_value(abs(value), 'percent')} {'below' if value < 0 else 'above'}"


def _level(row: pd.Series) -> str:
    level = row.get("level", 0.95)
    return f"{100 * float(level):.0f}%"


def capacity_finding(tables: Tables) -> Finding | None:
    """The non-China share of world mine output against the often-quoted 28%."""
    table = tables.get("capacity_definitions")
    if table is None or table.empty:
        return None
    row = table.iloc[0]
    value, year = float(row["nonchina_share"]), str(row["year"])
    gap = value - REFERENCE_SHARE
    sentence = (f"Mines outside China produced {format_value(value, 'percent')} of the world's "
                f"rare earths in {year} ({L.usgs_source(str(row['source'])).rstrip('.')}), "
                f"{100 * abs(gap):.1f} percentage points {'above' if gap >= 0 else 'below'} the "
                "often-quoted 28%, which is a share of mine output, not of demand.")
    return Finding("nonchina_supply_share", "Non-China share of mine output", sentence, value,
                   "percent", year, source=L.usgs_source(str(row["source"])))


def forecast_finding(tables: Tables, quarter: str) -> Finding | None:
    """Next year's forecast, with its 80% interval, of the first series the run forecast."""
    forecasts = tables.get("forecasts")
    if forecasts is None or forecasts.empty:
        return None
    series = next((s for s in FORECAST_SERIES if (forecasts["series"] == s).any()), None)
    if series is None:
        return None
    rows = forecasts[(forecasts["series"] == series) & (forecasts["level"] == 0.8)]
    year = str(int(quarter[:4]) + 1)
    pick = rows[rows["period"].astype(str) == year]
    row = (pick if len(pick) else rows.sort_values("period")).iloc[0 if len(pick) else -1]
    what = L.SERIES[series]
    sentence = (f"The forecast for {what} in {row['period']} is "
                f"{format_value(row['yhat'], 'percent')} (80% interval "
                f"{format_value(row['yhat_lower'], 'percent')} to "
                f"{format_value(row['yhat_upper'], 'percent')}), from data to "
                f"{_last_observed(tables, series)}.")
    return Finding("forecast_next_year", f"Forecast for {row['period']}", sentence,
                   float(row["yhat"]), "percent", str(row["period"]), float(row["yhat_lower"]),
                   float(row["yhat_upper"]), source=L.FORECAST_SOURCE)


def _last_observed(tables: Tables, series: str) -> str:
    chosen = tables.get("forecast_series")
    if chosen is None or chosen.empty:
        return "the last year observed"
    row = chosen[chosen["series"] == series]
    return str(row["last"].iloc[0]) if len(row) else "the last year observed"


FINDERS: tuple[Callable[[Tables], Finding | None], ...] = (
    lambda t: share_finding(t, "USA"), lambda t: share_finding(t, "JPN"), restriction_finding,
    capacity_finding,
)


def previous_findings(options) -> tuple[str | None, pd.DataFrame | None]:
    """The previous report's quarter and its ``findings`` table (``None`` where absent)."""
    folder = previous_report(options.reports_dir, options.quarter)
    if folder is None:
        return None, None
    path = folder / "tables" / "findings.csv"
    return folder.name, (pd.read_csv(path, dtype={"period": str}) if path.exists() else None)


def compared(finding: Finding, quarter: str | None, before: pd.DataFrame | None) -> Finding:
    """``finding`` with its change since the previous report's same finding."""
    from dataclasses import replace

    if quarter is None:
        return replace(finding, change_text="No earlier report to compare with.")
    rows = before[before["key"] == finding.key] if before is not None else pd.DataFrame()
    if rows.empty:
        return replace(finding, change_text=f"New since the {quarter} report.")
    old = rows.iloc[0]
    change = finding.value - float(old["value"])
    if abs(change) < 1e-9 and str(old["period"]) == finding.period:
        return replace(finding, change=0.0, change_text=f"Unchanged since the {quarter} report.")
    then = format_value(float(old["value"]), finding.unit)
    unit = "pp" if finding.unit in ("percent", "change") else finding.unit
    return replace(finding, change=change, change_text=(
        f"{format_value(change, unit)} since the {quarter} report (then {then} for "
        f"{old['period']})."))


def findings(tables: Tables, options, previous: tuple[str | None, pd.DataFrame | None] = (
        None, None)) -> tuple[Finding, ...]:
    """The key findings the tables support, each compared with ``previous`` (quarter, findings)."""
    found = [f(tables) for f in FINDERS] + [forecast_finding(tables, options.quarter)]
    quarter, before = previous
    return tuple(compared(f, quarter, before) for f in found if f is not None)


def headline_figure(tables: Tables) -> ReportFigure | None:
    """China's share of US and Japanese imports by stage, or the non-China mine share."""
    import matplotlib.pyplot as plt

    from retrade.report.figures import percent_axis

    shares = tables.get("china_share")
    if shares is None or shares.empty:
        return _mine_share_figure(tables)
    shares = shares.sort_values("period")
    stages = [h for h in ("284690", "280530") if any(f" {h} " in c for c in shares.columns)]
    fig, axes = plt.subplots(1, len(stages), figsize=(9, 3.4), sharey=True, squeeze=False)
    years = shares["period"].astype(int)
    for ax, hs6 in zip(axes[0], stages, strict=True):
        for importer in ("USA", "JPN"):
            column = next((c for c in shares.columns if c.startswith(f"{importer} {hs6} ")), None)
            if column is not None:
                ax.plot(years, shares[column], marker="o", label=SHORT[importer])
        ax.set_title(f"Rare-earth {L.STAGE[hs6]} (HS {hs6})")
        ax.set_ylim(0, 1)
        percent_axis(ax)
    axes[0][0].set_ylabel("share of imports by value")
    axes[0][0].legend(loc="lower left")
    fig.tight_layout()
    basis = "mirror" if any(c.endswith("mirror") for c in shares.columns) else "direct"
    return ReportFigure("headline_china_share", fig,
                        f"China's share of US and Japanese rare-earth imports, "
                        f"{years.min()}-{years.max()} (% of import value)",
                        L.share_source(basis))


def _mine_share_figure(tables: Tables) -> ReportFigure | None:
    import matplotlib.pyplot as plt

    from retrade.report.figures import percent_axis

    mine = tables.get("mine_shares")
    if mine is None or mine.empty:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.plot(mine["year"].astype(int), mine["share_reported"], marker="o")
    ax.axhline(REFERENCE_SHARE, color="0.5", ls=":", lw=1)
    ax.set_ylim(0, 0.6)
    percent_axis(ax)
    fig.tight_layout()
    return ReportFigure("headline_mine_share", fig,
                        "Non-China share of world rare-earth mine output (% of tonnes; dotted: "
                        "the often-quoted 28%)", L.USGS_SOURCE)


def recency_table(tables: Tables) -> ReportTable | None:
    """The last period of each source (from the coverage section's ``data_coverage``)."""
    coverage = tables.get("data_coverage")
    if coverage is None or coverage.empty:
        return None
    frame = pd.DataFrame({
        "source": coverage["source"].map(source_label_of),
        "frequency": coverage["frequency"].map(lambda f: L.FREQUENCY.get(f, f)),
        "first_period": coverage["first_period"].astype(str),
        "last_period": coverage["last_period"].astype(str),
    })
    return ReportTable("data_recency", frame, "How recent the data are", (
        "the store of this run and the reference tables bundled with retrade."),
        labels={"source": "Source", "frequency": "Frequency", "first_period": "From",
                "last_period": "To"})


def source_label_of(source: str) -> str:
    return L.source_label(str(source))


def summary(tables: Tables, quarter: str) -> str:
    """The line under the title: the quarter and how far the trade data reach."""
    coverage = tables.get("data_coverage")
    if coverage is None or coverage.empty:
        return f"Report for {quarter}."
    trade = coverage[~coverage["source"].astype(str).str.startswith("bundled/")]
    if trade.empty:
        return (f"Report for {quarter}. The store holds no trade data yet: the report rests on "
                "the reference tables bundled with retrade (USGS mine output, policy events).")
    annual, monthly = (_last(trade, f) for f in ("A", "M"))
    reach = " and ".join(p for p in (f"{annual} (annual)" if annual else "",
                                     f"{monthly} (monthly)" if monthly else "") if p)
    if not reach:
        return f"Report for {quarter}."
    lag = int(quarter[:4]) - int((annual or monthly)[:4])
    behind = (f"; the latest trade year is {lag} years before the report's, as trade "
              "statistics are published with a lag" if lag > 1 else "")
    return f"Report for {quarter}. The trade data run to {reach}{behind}."


def _last(coverage: pd.DataFrame, frequency: str) -> str:
    """The latest ``last_period`` of ``frequency`` in ``coverage`` ('' when there is none)."""
    periods = coverage.loc[coverage["frequency"] == frequency, "last_period"].dropna().astype(str)
    periods = periods[periods != ""]
    return str(periods.max()) if len(periods) else ""


def added(tables: Tables, fetched: tuple, quarter: str | None) -> tuple[str, ...]:
    """What this quarter brought: fetched rows, new periods, revisions, forecast revisions."""
    lines = [f"{L.source_label(o.source)}: {o.rows:,} rows fetched." for o in fetched
             if o.status in ("fetched", "stopped") and o.rows]
    if quarter is None:
        return (*lines, "No earlier report in this folder: this one is the baseline the next "
                        "quarter is compared with.")
    data = tables.get("changes_data")
    if data is not None and len(data):
        grown = data[data["last_period_now"].astype(str) != data["last_period_before"].astype(str)]
        lines += [f"{L.source_label(str(r.source))}: data now run to {r.last_period_now} "
                  f"(was {_or_none(r.last_period_before)})." for r in grown.itertuples()]
    lines += _revision_lines(tables.get("changes_revisions"))
    forecasts = tables.get("changes_forecasts")
    if forecasts is not None and len(forecasts):
        moved = forecasts[forecasts["change_pct"].abs() > 1e-6]
        lines.append(f"Forecasts: {len(moved)} of {len(forecasts)} comparable points revised "
                     "(see 'What changed since last quarter')." if len(moved) else
                     "Forecasts: no comparable point was revised.")
    return tuple(lines) or (f"Nothing new since the {quarter} report.",)


def _or_none(value: object) -> str:
    return value if isinstance(value, str) and value else "none"


def _revision_lines(revisions: pd.DataFrame | None) -> list[str]:
    if revisions is None or revisions.empty:
        return []
    out = []
    for source, rows in revisions.groupby("source", sort=True):
        top = rows.reindex(rows["change_pct"].abs().sort_values(ascending=False).index).iloc[0]
        out.append(f"{L.source_label(str(source))}: {len(rows)} period(s) revised, the largest "
                   f"{top['period']} by {format_value(top['change_pct'], 'pct')}.")
    return out


def front_page(tables: Tables, options, fetched: tuple = ()) -> FrontPage:
    """The front page of a run whose sections produced ``tables`` (by name)."""
    previous = previous_findings(options)
    return FrontPage(findings(tables, options, previous), headline_figure(tables),
                     recency_table(tables), added(tables, fetched, previous[0]),
                     summary(tables, options.quarter))
