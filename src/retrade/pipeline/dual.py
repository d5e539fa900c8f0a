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
from retrade.pipeline.labels import IMPORTER, POSSESSIVE, STAGE, WITS_SOURCE, share_source
from retrade.report import ReportFigure, ReportTable
from retrade.report.figures import percent_axis

IMPORTERS = ("JPN", "USA", "EU27", "KOR")
BASELINE = (2010, 2012)
CHOW_DATES = (2015, 2020)
MIN_YEARS = 10
DROP = ("2016",)
BLOC_WORDS = "the US, Japan, the EU and Korea"
CONDUIT_WORDS = "Vietnam, Malaysia, Estonia, Thailand and Hong Kong"
DESTINATION_SOURCE = WITS_SOURCE.rstrip(".") + f"; allied bloc: {BLOC_WORDS}; possible " \
    f"conduits: {CONDUIT_WORDS}."
BREAKS_SOURCE = ("Bai and Perron (1998, 2003) mean-shift search and Chow (1960) tests on the "
                 "China-share series (2016 left out).")


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
    """One column per ``columns`` combination, one row per period, newest first."""
    wide = frame.pivot_table(index="period", columns=columns, values=value, aggfunc="first")
    wide.columns = [" ".join(map(str, c)) if isinstance(c, tuple) else str(c)
                    for c in wide.columns]
    return wide.reset_index().sort_values("period", ascending=False).reset_index(drop=True)


def _share_labels(columns) -> dict[str, str]:
    """``"USA 284690 mirror"`` -> ``"US, compounds (284690)"``."""
    out = {"period": "year"}
    for c in columns[1:]:
        who, hs6, *_ = str(c).split(" ")
        name = IMPORTER.get(who, who).removeprefix("the ")
        out[c] = f"{name}, {STAGE.get(hs6, hs6)} ({hs6})"
    return out


def _percent_table(name: str, frame: pd.DataFrame, caption: str, source: str,
                   labels: dict[str, str], **kwargs) -> ReportTable:
    formats = {c: "percent" for c in frame.columns if c != "period"}
    return ReportTable(name, frame, caption, source, formats, labels, **kwargs)


def _tables(res) -> list[ReportTable]:
    tables = []
    if len(res.china_share):
        wide = _wide(res.china_share, ["importer", "hs6", "basis"], "share")
        basis = "mirror" if (res.china_share["basis"] == "mirror").any() else "direct"
        tables.append(_percent_table("china_share", wide,
                                     "China's share of imports by importer and product (% of "
                                     "import value), newest first", share_source(basis),
                                     _share_labels(wide.columns)))
    if len(res.destinations):
        wide = _wide(res.destinations, ["hs6", "group"], "share")
        labels = {c: f"{STAGE.get(c.split()[0], c.split()[0])}: {c.split()[1]}"
                  for c in wide.columns[1:]}
        tables.append(_percent_table("china_export_destinations", wide,
                                     "Where China's exports go: allied bloc, possible conduits, "
                                     "rest of the world (% of China's export value)",
                                     DESTINATION_SOURCE, {"period": "year", **labels}))
    if len(res.windows):
        tables.append(ReportTable("china_share_windows", res.windows,
                                  "China's mean share by policy window, and its change",
                                  share_source("mirror"), {"mean": "percent", "change": "pp"},
                                  appendix=True))
    tables.append(ReportTable("dependency_availability",
                              res.availability[["metric", "importer", "available", "reason"]],
                              "Which measure the data support, and what the others need",
                              "the panel of this run.", appendix=True))
    return tables


def destinations_figure(destinations: pd.DataFrame) -> ReportFigure:
    """Per product, the share of China's exports going to the allied bloc, conduits and the rest."""
    import matplotlib.pyplot as plt

    products = [h for h in ("280530", "284690", "850511")
                if (destinations["hs6"].astype(str) == h).any()]
    fig, axes = plt.subplots(1, len(products), figsize=(10, 3.2), sharey=True, squeeze=False)
    for ax, hs6 in zip(axes[0], products, strict=True):
        rows = destinations[destinations["hs6"].astype(str) == hs6]
        for group, label in (("bloc", "allied bloc"), ("conduits", "possible conduits"),
                             ("rest", "rest of the world")):
            line = rows[rows["group"] == group].sort_values("period")
            ax.plot(line["period"].astype(int), line["share"], marker="o", label=label)
        ax.set_title(f"{STAGE.get(hs6, hs6).capitalize()} (HS {hs6})")
        ax.set_ylim(0, 1)
        percent_axis(ax)
    axes[0][0].set_ylabel("share of China's exports")
    axes[0][0].legend(loc="center left")
    fig.tight_layout()
    return ReportFigure("dual_chain", fig,
                        "Where China's rare-earth exports go: the allied bloc (the US, Japan, "
                        "the EU, Korea), possible conduits, and the rest (% of export value)",
                        DESTINATION_SOURCE)


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
                                  "Break tests of China's share (2016 left out)", BREAKS_SOURCE,
                                  {"statistic": "number:2"}, appendix=True))
    figures = (destinations_figure(res.destinations),) if len(res.destinations) else ()
    missing = [] if len(res.china_share) else [
        "no China share: " + cmds["world_summary"] + " (mirror shares), or "
        + cmds["importers"] + " (direct shares)"]
    return Body(_text(res, data.china_shares, tests), tuple(tables), figures,
                message=("partial: " + "; ".join(missing)) if missing else "")


def _text(res, shares: pd.DataFrame, tests: pd.DataFrame) -> str:
    from retrade.report.format import format_value as fv

    lines = []
    for (importer, hs6), (basis, series) in share_series(shares).items():
        lines.append(f"China's share of {POSSESSIVE.get(importer, importer)} imports of "
                     f"rare-earth {STAGE.get(hs6, hs6)} (HS {hs6}) went from "
                     f"{fv(series.iloc[0], 'percent')} in {series.index[0]} to "
                     f"{fv(series.iloc[-1], 'percent')} in {series.index[-1]}"
                     f"{' (mirror-based)' if basis == 'mirror' else ''}.")
    text = [" ".join(lines)] if lines else []
    found = tests[(tests["test"].str.startswith("Bai")) & (tests["break"] != "none")]
    if len(found):
        text.append("Break tests find a lasting shift in the mean share for " + "; ".join(
            f"{IMPORTER.get(r.importer, r.importer).removeprefix('the ')} "
            f"{STAGE.get(str(r.hs6), r.hs6)} around {r['break']} (range {r.conf_low}-"
            f"{r.conf_high})" for _, r in found.iterrows())
            + "; with 10-15 yearly points, read them as descriptive.")
    text.append("Mirror-based shares divide China's exports to the importer (as China reports "
                "them, free on board) by the importer's total imports (BACI), so they can exceed "
                "100% (flagged, not clipped). Exports to possible conduits are an indicator of "
                "routing through third countries, not proof of it. The appendix lists which "
                "measures these data support and what the others need.")
    return "\n\n".join(text)
