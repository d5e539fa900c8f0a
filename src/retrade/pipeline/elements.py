"""Section 'Element-level controls and provinces': the 2025 controls element by element.

Data it needs: China customs (GACC) downloads at HS8 from the customs statistics
platform (http://stats.customs.gov.cn), imported with ``retrade import FILE --flow
export``; for provinces, downloads with the exporter's registered location. From them
the build writes the element panel and the province table
(:mod:`retrade.panel.elements`). With them the section shows China's exports by element
and control status, the element difference-in-differences of the April 2025 controls
with the October extension and its suspension (:func:`retrade.models.elements.element_did`,
log1p of kg, line and month effects, errors clustered by element) and each province's
share of exports over time. Without them it is ``needs_data``, names the command and
still shows the element catalog (bundled: which lines each control covers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retrade.catalog.elements import element_lines
from retrade.errors import SpecificationError
from retrade.pipeline.data import Body, NeedsData, RunData
from retrade.report import ReportFigure, ReportTable

GACC_SOURCE = ("China customs (GACC) statistics platform downloads at HS8; element and form "
               "from the GACC code lists (retrade element catalog).")
CATALOG_SOURCE = ("GACC HS8 code lists 2015-2023; controlled elements from MOFCOM/GAC "
                  "Announcements 2025 No. 18 and No. 57 (retrade element catalog).")
COEF_FORMATS = {"estimate": "coef", "std_error": "number:3", "conf_low": "coef",
                "conf_high": "coef"}


def catalog_summary() -> pd.DataFrame:
    """China's rare-earth HS8 lines (latest span) by form and how the April 2025 controls
    cover them: lines naming a controlled element, an uncontrolled one, or pooling several.

    Examples
    --------
    >>> int(catalog_summary()["lines"].sum())
    58
    """
    lines = element_lines().sort_values("last_year").drop_duplicates("code", keep="last")
    status = lines["scope"].map({"element": "one element"}).fillna("pooled or not element-specific")
    lines = lines.assign(kind=status)
    table = lines.groupby(["form", "kind", "april_2025"], sort=True).agg(
        lines=("code", "size"), elements=("element", lambda e: " ".join(sorted(set(e) - {""}))))
    return table.reset_index()


def _needs(data: RunData) -> NeedsData:
    table = ReportTable("element_catalog", catalog_summary(),
                        "China's rare-earth HS8 lines by form and April 2025 control coverage",
                        CATALOG_SOURCE, labels={"april_2025": "April 2025 controls"})
    text = ("China's HS8 lines split metals, oxides, chlorides, fluorides, carbonates and other "
            "compounds by element for seven elements (La, Ce, Pr, Nd, Tb, Dy, Y; Eu oxide; Sc "
            "metal and Lu oxide from 2022); the others, including the controlled Sm and Gd, "
            "sit in pooled lines. The table shows how the April 2025 controls cover the lines. "
            "The estimates need China customs downloads at HS8.")
    return NeedsData("needs China customs downloads at HS8: " + data.commands["gacc"],
                     tables=(table,), text=text)


def exports_by_status(elements: pd.DataFrame) -> pd.DataFrame:
    """China's monthly exports (kg) on single-element lines, controlled in April 2025 or not."""
    rows = elements[(elements["reporter"] == "CHN") & (elements["flow"] == "export")
                    & (elements["scope"] == "element")]
    status = rows["april_2025"].map({"all": "controlled April 2025"}).fillna("not controlled")
    status = status.where(rows["october_2025"] != "all", "controlled October 2025 (suspended)")
    out = rows.assign(status=status).groupby(["period", "status"])["net_weight_kg"].sum()
    return out.rename("kg").reset_index()


def _exports_figure(table: pd.DataFrame) -> ReportFigure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.4))
    for status, rows in table.groupby("status"):
        ax.plot(pd.PeriodIndex(rows["period"], freq="M").to_timestamp(),
                rows["kg"].to_numpy(dtype=float) / 1e3,
                label=status)
    ax.axvline(pd.Timestamp("2025-04-04"), color="C3", lw=0.8, ls="--")
    ax.set_ylabel("tonnes a month")
    ax.legend(loc="upper left", fontsize="small")
    return ReportFigure("element_exports_plot", fig, "China's monthly exports on single-element "
                        "lines, by control status (tonnes; dashed: 4 April 2025)", GACC_SOURCE)


def _did(elements: pd.DataFrame) -> tuple[list[ReportTable], list[str], str]:
    from retrade.models.elements import element_did

    try:
        res = element_did(elements)
    except SpecificationError as exc:
        try:
            res = element_did(elements, "2025-04 controls")
        except SpecificationError:
            return [], [], f"Element DiD not estimated: {exc}"
    tidy = res.tidy()
    first = tidy.iloc[0]
    text = (f"Element difference-in-differences ({res.info.sample}): after the April 2025 "
            f"controls, exports on controlled-element lines moved by {first['estimate']:+.2f} "
            f"log points against uncontrolled ones (95% interval {first['conf_low']:+.2f} to "
            f"{first['conf_high']:+.2f}).")
    table = ReportTable("element_did", tidy, "Element difference-in-differences of the 2025 "
                        "controls (ln(1 + kg); line and month effects)", GACC_SOURCE,
                        COEF_FORMATS)
    return [table], list(res.caveats), text


def province_figure(shares: pd.DataFrame, top: int = 6) -> ReportFigure:
    """Provincial shares over time: the ``top`` provinces by total, the rest together."""
    import matplotlib.pyplot as plt

    totals = shares.groupby("province")["amount"].sum().sort_values(ascending=False)
    keep = set(totals.index[:top])
    named = shares.assign(name=shares["province_en"].fillna(shares["province"]).where(
        shares["province"].isin(keep), "other provinces"))
    wide = named.pivot_table(index="period", columns="name", values="share", aggfunc="sum")
    fig, ax = plt.subplots(figsize=(8, 3.4))
    x = np.arange(len(wide))
    ax.stackplot(x, (wide.fillna(0) * 100).T.to_numpy(dtype=float), labels=wide.columns)
    step = max(1, len(x) // 8)
    ax.set_xticks(x[::step], [str(p) for p in wide.index[::step]])
    ax.set_ylabel("% of China's rare-earth exports")
    ax.legend(loc="upper left", fontsize="small", ncol=2)
    return ReportFigure("province_shares_plot", fig, "Each province's share of China's "
                        "rare-earth exports by exporter's registered location (% of tonnes)",
                        GACC_SOURCE)


def _provinces(provinces: pd.DataFrame | None) -> tuple[list, list, str]:
    from retrade.panel.elements import province_shares

    if provinces is None or provinces.empty:
        return [], [], ("No download broke exports out by the exporter's registered province "
                        "(注册地); download with 'Locations of importers and exporters' for the "
                        "provincial lens.")
    shares = province_shares(provinces)
    if shares.empty:
        return [], [], "The province breakdown holds no export tonnage."
    latest = shares[shares["period"] == shares["period"].max()].nlargest(3, "share")
    lead = "; ".join(f"{r.province_en or r.province} {r.share:.0%}" for r in latest.itertuples())
    table = ReportTable("province_shares", shares, "Provinces' shares of China's rare-earth "
                        "exports by year (tonnes)", GACC_SOURCE, {"share": "percent:1"})
    return [table], [province_figure(shares)], (
        f"Provinces: in {shares['period'].max()} the largest exporters by registered location "
        f"were {lead}.")


def section(data: RunData, options) -> Body:
    elements = data.elements
    if elements is None or elements.empty:
        raise _needs(data)
    table = exports_by_status(elements)
    tables, caveats, did_text = _did(elements)
    p_tables, p_figures, p_text = _provinces(data.provinces)
    figures = [_exports_figure(table)] if len(table) else []
    notes = ("Caveats: " + " ".join(f"({i + 1}) {c.rstrip('.')}." for i, c in
                                    enumerate(caveats))) if caveats else ""
    all_tables = (*tables, *p_tables,
                  ReportTable("element_exports", table, "China's monthly exports on "
                              "single-element lines by control status (kg)", GACC_SOURCE,
                              {"kg": "number:0"}, appendix=True))
    return Body("\n\n".join(t for t in (did_text, p_text) if t), all_tables,
                (*figures, *p_figures), notes=notes)
