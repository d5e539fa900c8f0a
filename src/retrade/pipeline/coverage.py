"""Section 'Data coverage and quality': what the store holds, how far it reaches, what is broken.

The table ``data_coverage`` (``source, frequency, rows, first_period,
last_period``) is the one the next quarter's "what changed" compares against:
panel rows by source and frequency, each monthly table
(``monthly_table/<table>``), the world summaries (``baci_summary``) and the
bundled reference tables (``bundled/<table>``). The quality summary counts the
problems of :func:`retrade.panel.quality.quality_table` and lists the
reporter-level collapses and spikes, with the documented known issues (China's
2016 quantities in WITS) named where the panel shows them. The table
``data_totals`` (value per source, frequency and period) is what the next
quarter's report compares to find revised values.
"""

from __future__ import annotations

import pandas as pd

import retrade.reference as ref
from retrade.panel import schema as S
from retrade.panel.known_issues import KNOWN_ISSUES
from retrade.pipeline.data import Body, NeedsData, RunData
from retrade.pipeline.labels import source_label
from retrade.report import ReportTable

STORE_SOURCE = "the store of this run (imported files and API downloads) and bundled tables."
QUALITY_SOURCE = "retrade's quality checks on the panel (nothing is removed)."

COVERAGE_COLUMNS = ("source", "frequency", "rows", "first_period", "last_period")
# bundled tables shown in the coverage: name -> (frequency, how to read their periods)
BUNDLED = {
    "usgs_mine_production": "A",
    "china_exports_annual": "A",
    "china_exports_monthly": "M",
    "policy_events": "event",
}


def _span(frame: pd.DataFrame, source: str, frequency: str, periods: pd.Series) -> dict:
    periods = periods.dropna().astype(str)
    return {"source": source, "frequency": frequency, "rows": len(frame),
            "first_period": periods.min() if len(periods) else "",
            "last_period": periods.max() if len(periods) else ""}


def _bundled_periods(name: str, table: pd.DataFrame) -> pd.Series:
    if name == "policy_events":
        return table["date_start"].dt.strftime("%Y-%m-%d")
    if name == "china_exports_monthly":
        ok = table["year"].notna() & table["month"].notna()
        return (table.loc[ok, "year"].astype(int).astype(str) + "-"
                + table.loc[ok, "month"].astype(int).astype(str).str.zfill(2))
    return table["year"].dropna().astype(int).astype(str)


def coverage_table(data: RunData) -> pd.DataFrame:
    """One row per source and frequency (see the module docstring)."""
    rows = [_span(g, str(src), str(freq), g[S.PERIOD])
            for (src, freq), g in data.panel.groupby([S.SOURCE, S.FREQUENCY], observed=True)]
    if data.monthly is not None:
        rows += [_span(g, f"monthly_table/{name}", "M", g["period"])
                 for name, g in data.monthly.groupby("table", observed=True)]
    if data.world_summary is not None:
        rows.append(_span(data.world_summary, "baci_summary", "A", data.world_summary["period"]))
    for name, frequency in BUNDLED.items():
        table = ref.load(name)
        rows.append(_span(table, f"bundled/{name}", frequency, _bundled_periods(name, table)))
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def totals_table(data: RunData) -> pd.DataFrame:
    """``source, frequency, period, rows, value_usd``: what each source says per period."""
    key = ["source", "frequency", "period"]
    parts = [data.panel.groupby([S.SOURCE, S.FREQUENCY, S.PERIOD], observed=True)
             .agg(rows=(S.VALUE_USD, "size"), value_usd=(S.VALUE_USD, "sum")).reset_index()
             .set_axis([*key, "rows", "value_usd"], axis=1)]
    if data.monthly is not None:
        monthly = (data.monthly.groupby(["table", "period"], observed=True)
                   .agg(rows=("value_usd", "size"), value_usd=("value_usd", "sum")).reset_index())
        parts.append(monthly.assign(source="monthly_table/" + monthly["table"].astype(str),
                                    frequency="M"))
    if data.world_summary is not None:
        world = (data.world_summary.groupby("period", observed=True)
                 .agg(rows=("world_usd", "size"), value_usd=("world_usd", "sum")).reset_index())
        parts.append(world.assign(source="baci_summary", frequency="A"))
    frame = pd.concat([p[[*key, "rows", "value_usd"]].astype({"source": str, "frequency": str,
                                                                "period": str})
                       for p in parts if len(p)], ignore_index=True)
    return frame.sort_values(["source", "frequency", "period"], ascending=[True, True, False],
                             kind="stable").reset_index(drop=True)


def quality_summary(quality: pd.DataFrame) -> pd.DataFrame:
    """Problems found per check, level, source and measure."""
    keys = ["check", "level", "source", "measure"]
    if quality.empty:
        return pd.DataFrame(columns=[*keys, "issues"])
    return (quality.groupby(keys, observed=True, dropna=False).size().rename("issues")
            .reset_index().sort_values(keys, kind="stable").reset_index(drop=True))


def headline_flags(quality: pd.DataFrame) -> pd.DataFrame:
    """Collapses and spikes of reporters' totals (over all partners), the flags that move shares."""
    rows = quality[(quality["level"] == "reporter")
                   & quality["check"].isin(["collapse", "spike"])]
    columns = ["check", "source", "reporter", "flow", "hs6", "period", "measure", "ratio"]
    return rows[columns].sort_values(columns[:7], kind="stable").reset_index(drop=True)


def known_issue_lines(flags: pd.DataFrame) -> list[str]:
    """One sentence per documented issue the quality table shows (China's 2016 WITS weights)."""
    lines = []
    for issue in KNOWN_ISSUES:
        hit = flags[(flags["reporter"] == issue.reporter) & (flags["period"] == str(issue.year))
                    & (flags["measure"] == issue.measure) & (flags["check"] == "collapse")
                    & flags["source"].isin(issue.sources)]
        if len(hit):
            ratios = ", ".join(f"{r.hs6} {r.ratio:.2f}" for r in hit.itertuples())
            lines.append(f"Flagged known issue ({issue.reporter} {issue.year}, {issue.measure}): "
                         f"collapse to {ratios} of the neighbouring years' median. {issue.note}.")
    return lines


def _not_in_panel(data: RunData) -> list[str]:
    if data.build is None:
        return []
    return [f"{r.source} ({r.status}: {r.message})" for r in data.build.skipped]


def section(data: RunData, options) -> Body:
    """The section; ``needs_data`` (with the bundled coverage) when the store has no trade data."""
    coverage = ReportTable("data_coverage", coverage_table(data),
                           "Rows and periods by source", STORE_SOURCE,
                           labels={"first_period": "from", "last_period": "to"})
    if not data.has_trade_data:
        cmds = data.commands
        raise NeedsData(
            "the store holds no trade data; run " + cmds["china_annual"] + "; "
            + cmds["monthly"] + "; " + cmds["world_summary"], (coverage,))
    flags = headline_flags(data.quality)
    sources = ", ".join(source_label(str(s)) for s in sorted(data.panel[S.SOURCE].unique()))
    text = [f"The panel holds {len(data.panel):,} rows ({sources or 'no panel source'}). The "
            f"quality checks flag {len(data.quality):,} rows or partner-years, most of them "
            "single partners' spikes, collapses and gaps; nothing is removed, and each analysis "
            "says what it does about them. The flags that move the headline shares, China's "
            "own totals, are listed on their own below."]
    text += known_issue_lines(flags)
    if data.note:
        text.append(f"Note: {data.note}.")
    if data.build_warnings:
        text.append("The build warned: " + " ".join(data.build_warnings))
    skipped = _not_in_panel(data)
    if skipped:
        text.append("Stored but not in the panel: " + "; ".join(skipped) + ".")
    tables = (coverage,
              ReportTable("quality_headline", flags,
                          "Collapses and spikes of reporters' totals (ratio to the neighbouring "
                          "years' median)", QUALITY_SOURCE, {"ratio": "number:2"}),
              ReportTable("quality_summary", quality_summary(data.quality),
                          "Problems found by the quality checks, by kind", QUALITY_SOURCE),
              ReportTable("data_totals", totals_table(data),
                          "Total value by source and period (USD millions), newest first",
                          STORE_SOURCE, {"value_usd": "usd_m"}))
    return Body("\n\n".join(text), tables)
