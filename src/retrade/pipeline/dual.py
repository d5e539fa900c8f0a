"""Section 'Dual-chain dependency': China's share of allied imports, destinations, breaks.

:func:`retrade.models.dual_chain.dual_chain` on the annual panel (one source
per flow) by HS6, for Japan, the US, the EU and Korea, with the importers'
totals from the world summaries when the store has them (mirror-based
shares: China's exports to the importer over the importer's total imports).
The availability table says which metric the data support and what is
missing for the others. Each China-share series of ten or more years (2016
left out: China's 2016 WITS records are incomplete) gets a Bai-Perron (1998,
2003) mean-shift break search and Chow (1960) tests at the 2015 quota removal
and 2020; with 10-15 annual points, read them as descriptive.
"""

from __future__ import annotations

import pandas as pd

from retrade.models import breaks
from retrade.models.dual_chain import dual_chain
from retrade.pipeline.data import Body, NeedsData, RunData, share_series
from retrade.report import ReportFigure, ReportTable

IMPORTERS = ("JPN", "USA", "EU27", "KOR")
BASELINE = (2010, 2012)
CHOW_DATES = (2015, 2020)
MIN_YEARS = 10
DROP = ("2016",)


def break_rows(importer: str, hs6: str, basis: str, series: pd.Series) -> list[dict]:
    """Bai-Perron breaks and Chow tests of one share series, as table rows."""
    base = {"importer": importer, "hs6": hs6, "basis": basis, "n_obs": len(series)}
    bp = breaks.bai_perron(series, model="mean", max_breaks=2, min_size=3)
    rows = [{**base, "test": "Bai-Perron (mean, BIC)", "break": b, "conf_low": lo,
             "conf_high": hi, "statistic": float("nan"), "p_value": float("nan")}
            for b, lo, hi in zip(bp.breaks, bp.conf_low, bp.conf_high, strict=True)]
    if not bp.breaks:
        rows.append({**base, "test": "Bai-Perron (mean, BIC)", "break": "none", "conf_low": "",
                     "conf_high": "", "statistic": float("nan"), "p_value": float("nan")})
    chow = breaks.chow_tests(series, CHOW_DATES, model="mean")
    rows += [{**base, "test": "Chow (mean)", "break": r.break_at, "conf_low": "",
              "conf_high": "", "statistic": r.statistic, "p_value": r.p_value}
             for r in chow.results]
    return rows


def break_table(shares: pd.DataFrame) -> pd.DataFrame:
    """Break tests of every China-share series long enough for them."""
    rows = []
    for (importer, hs6), (basis, series) in share_series(shares).items():
        series = series.drop(list(DROP), errors="ignore").dropna()
        if len(series) >= MIN_YEARS:
            rows += break_rows(importer, hs6, basis, series)
    columns = ["importer", "hs6", "basis", "n_obs", "test", "break", "conf_low", "conf_high",
               "statistic", "p_value"]
    return pd.DataFrame(rows, columns=columns)


def _wide(frame: pd.DataFrame, columns: list[str], value: str) -> pd.DataFrame:
    wide = frame.pivot_table(index="period", columns=columns, values=value, aggfunc="first")
    wide.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c)
                    for c in wide.columns]
    return wide.reset_index()


def _tables(res) -> list[ReportTable]:
    tables = [ReportTable("dependency_availability",
                          res.availability[["metric", "importer", "available", "reason"]],
                          "Which metric the data support, and what the others need")]
    if len(res.china_share):
        tables.append(ReportTable("china_share", _wide(res.china_share,
                                                       ["importer", "hs6", "basis"], "share"),
                                  "China's share of imports by importer, HS6 and basis"))
    if len(res.destinations):
        tables.append(ReportTable("china_export_destinations",
                                  _wide(res.destinations, ["hs6", "group"], "share"),
                                  "Where China's exports go: allied bloc, conduits, rest"))
    if len(res.windows):
        tables.append(ReportTable("china_share_windows", res.windows,
                                  "Mean share by policy window, and its change"))
    return tables


def section(data: RunData, options) -> Body:
    annual = data.annual
    has_china = data.china_exports().shape[0] > 0
    has_imports = bool((annual["flow"] == "import").any())
    cmds = data.commands
    if not has_china and not has_imports:
        raise NeedsData("needs importer-reported imports by partner: " + cmds["importers"]
                        + "; or China's exports by partner (" + cmds["china_annual"]
                        + ") with importers' totals (" + cmds["world_summary"] + ")")
    res = dual_chain(annual, importers=IMPORTERS, level="hs6",
                     importer_totals=data.importer_totals, baseline=BASELINE)
    tables = _tables(res)
    tests = break_table(data.china_shares)
    if len(tests):
        tables.append(ReportTable("china_share_breaks", tests,
                                  "Break tests of China's share (2016 left out)"))
    axes = res.plot()
    figure = ReportFigure("dual_chain", axes[0].figure,
                          "China's share of imports (dashed: mirror-based) and China's "
                          "export destinations")
    missing = [] if len(res.china_share) else [
        "no China share: " + cmds["world_summary"] + " (mirror shares), or "
        + cmds["importers"] + " (direct shares)"]
    return Body(_text(res, data.china_shares, tests), tuple(tables), (figure,),
                message=("partial: " + "; ".join(missing)) if missing else "")


def _text(res, shares: pd.DataFrame, tests: pd.DataFrame) -> str:
    ok = res.availability[res.availability["available"]]
    lines = [f"Computed from these data: {', '.join(sorted(set(ok['metric'])))}. "
             "The availability table lists what each missing metric needs."]
    for (importer, hs6), (basis, series) in share_series(shares).items():
        lines.append(f"China's share of {importer}'s {hs6} imports ({basis}): "
                     f"{series.iloc[0]:.2f} in {series.index[0]}, {series.iloc[-1]:.2f} in "
                     f"{series.index[-1]}.")
    found = tests[(tests["test"].str.startswith("Bai")) & (tests["break"] != "none")]
    if len(found):
        lines.append("Mean-shift breaks: " + "; ".join(
            f"{r.importer} {r.hs6} at {r['break']} [{r.conf_low}, {r.conf_high}]"
            for _, r in found.iterrows()) + ".")
    lines.append("Mirror shares mix China's FOB exports with importers' totals and can exceed "
                 "1 (flagged, not clipped); routing via conduits is an indicator, not proof of "
                 "transshipment.")
    return "\n\n".join(lines)
