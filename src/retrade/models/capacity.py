"""Non-China rare-earth supply against world supply and demand, from the bundled reference data.

Everything here is arithmetic on :mod:`retrade.reference` tables, so each number
can be traced to a row with its source:

* **Mine production** (USGS, t REO) by year, for the preferred series (one row
  per country-year, the table's ``preferred`` flag) and for each USGS edition
  separately; the spread of the non-China share across editions measures
  revision uncertainty (China 2023 was 240 kt in MCS2024 and 255 kt in MCS2025).
* **World** is USGS's rounded ``World`` row; the sum of the country rows is
  reported beside it (``discrepancy``) where the edition lists every producer
  (it has an ``Other`` row).
* **Demand** estimates come from ``demand_supply`` and are used only in oxide
  units (``t REO``/``t TREO``); bare ``t`` is refused unless the caller states
  its basis, and magnet-REE tonnages (Nd, Pr, Dy, Tb only) are never compared
  with total-REO supply. Between two anchor years of one source demand is
  interpolated geometrically (labelled ``interpolated``).
* **Separation/refining**: non-China share = 1 - China's share (IEA, Roskill,
  FDD rows).

The "about 28% of demand" figure: no source states it (see the reference
SOURCES). Its closest citable form is USGS MCS2026 for 2024,
``(380,000 - 270,000) / 380,000 = 28.9%`` -- non-China *mine output* over *world
mine output*. :func:`overseas_share_sensitivity` shows it beside the other
definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

import retrade.reference as ref
from retrade import choices
from retrade.errors import SpecificationError, check_choice
from retrade.results import Result, Summary

OXIDE_UNITS: tuple[str, ...] = ("t REO", "t TREO")
_STATUS_RANK = {"verified": 0, "secondary_copy": 1, "derived": 2, "low_tier_source": 3}
DEMAND_SOURCES: dict[str, tuple[str, str]] = {
    # name: (metric prefix in demand_supply, source text to match)
    "arafura": ("total_ree_consumption", "Arafura"),
    "investment_monitor": ("total_ree_demand", "Investment Monitor"),
    "economist": ("total_ree_demand", "Economist"),
    "imcoa": ("total_ree_demand", "IMCOA"),
}


def production_by_edition() -> pd.DataFrame:
    """USGS mine production, one row per country, year and edition (best-status row kept).

    Examples
    --------
    >>> t = production_by_edition()
    >>> int(t[(t.iso3 == "CHN") & (t.year == 2023) & (t.edition == "MCS2024")]["value"].iloc[0])
    240000
    """
    table = ref.mine_production(preferred_only=False)
    table = table.assign(_rank=table["status"].map(_STATUS_RANK).fillna(9))
    table = table.sort_values("_rank", kind="stable")
    return (table.drop_duplicates(["iso3", "year", "edition"]).drop(columns="_rank")
            .sort_values(["year", "edition", "iso3"]).reset_index(drop=True))


def _summarise(rows: pd.DataFrame) -> dict:
    value = rows.set_index("iso3")["value"]
    countries = rows[rows["iso3"] != "WLD"]
    complete = "OTH" in set(rows["iso3"])
    china = float(value.get("CHN", np.nan))
    world = float(value.get("WLD", np.nan))
    total = float(countries["value"].sum()) if complete else np.nan
    return {"china": china, "world_reported": world, "world_sum": total, "complete": complete,
            "nonchina": world - china, "share_reported": (world - china) / world,
            "share_sum": (total - china) / total if complete else np.nan,
            "discrepancy": total - world if complete else np.nan,
            "n_countries": int(countries["iso3"].nunique())}


def mine_shares(*, basis: choices.MineBasis = "preferred") -> pd.DataFrame:
    """China, world and non-China mine production and the non-China share by year.

    Parameters
    ----------
    basis : {"preferred", "edition"}
        One preferred series, or one row per USGS edition and year.

    Returns
    -------
    pandas.DataFrame
        ``year, edition, china, world_reported, world_sum, complete, nonchina,
        share_reported, share_sum, discrepancy, n_countries`` (years where China
        or World is missing are left out).

    Examples
    --------
    >>> t = mine_shares().set_index("year")
    >>> round(float(t.loc[2024, "share_reported"]), 4), t.loc[2024, "edition"]
    (0.2895, 'MCS2026')
    """
    check_choice("basis", basis, choices.MineBasis)
    if basis == "preferred":
        table = ref.mine_production(preferred_only=True)
        groups = table.groupby("year")
    else:
        table = production_by_edition()
        groups = table.groupby(["year", "edition"])
    rows = []
    for key, grp in groups:
        year = key if basis == "preferred" else key[0]
        edition = (grp.loc[grp["iso3"].isin(["WLD"]), "edition"].iloc[0]
                   if (grp["iso3"] == "WLD").any() else "") if basis == "preferred" else key[1]
        rows.append({"year": int(year), "edition": edition, **_summarise(grp)})
    out = pd.DataFrame(rows)
    return out.dropna(subset=["china", "world_reported"]).reset_index(drop=True)


def edition_spread() -> pd.DataFrame:
    """Range of the non-China share across USGS editions, per year with two or more editions.

    Examples
    --------
    >>> s = edition_spread().set_index("year")
    >>> round(float(s.loc[2024, "share_min"]), 4), round(float(s.loc[2024, "share_max"]), 4)
    (0.2895, 0.3077)
    """
    table = mine_shares(basis="edition")
    table = table[table["edition"].str.startswith(("MCS", "MYB"))]
    out = table.groupby("year").agg(
        n_editions=("edition", "nunique"), share_min=("share_reported", "min"),
        share_max=("share_reported", "max"), nonchina_min=("nonchina", "min"),
        nonchina_max=("nonchina", "max"), editions=("edition", lambda s: ",".join(sorted(s))))
    return out[out["n_editions"] >= 2].reset_index()


def demand_series(
    source: str | pd.DataFrame, years: list[int] | range, *, units: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Demand in t REO for ``years`` from a named estimate or the caller's own table.

    Parameters
    ----------
    source : str or pandas.DataFrame
        A name in :data:`DEMAND_SOURCES`, or ``year, value, unit`` rows.
    years : list of int
        Years wanted; years outside the anchors of a source are NaN.
    units : dict, optional
        Declares the basis of a bare unit, e.g. ``{"t": "t REO"}``; without it
        a unit that is not an oxide unit raises :class:`SpecificationError`.

    Examples
    --------
    >>> d = demand_series("arafura", [2018, 2024]).set_index("year")
    >>> int(d.loc[2018, "demand_t_reo"]), d.loc[2024, "method"]
    (137000, 'interpolated')
    """
    anchors = _demand_anchors(source)
    declared = {**{u: u for u in OXIDE_UNITS}, **(units or {})}
    bad = sorted(set(anchors["unit"]) - {u for u, v in declared.items() if v in OXIDE_UNITS})
    if bad:
        raise SpecificationError(
            f"demand estimate {source if isinstance(source, str) else 'table'!r} is in {bad}, "
            f"not an oxide unit {OXIDE_UNITS}; pass units={{{bad[0]!r}: 't REO'}} to state "
            "its basis, or use another estimate (magnet-REE tonnages are not comparable)")
    return _interpolate(anchors, list(years))


def _demand_anchors(source: str | pd.DataFrame) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        missing = [c for c in ("year", "value", "unit") if c not in source]
        if missing:
            raise SpecificationError(f"own demand table lacks columns {missing}")
        return source.assign(source="user table")[["year", "value", "unit", "source"]]
    check_choice("demand source (or a DataFrame)", source, tuple(DEMAND_SOURCES))
    prefix, who = DEMAND_SOURCES[source]
    table = ref.load("demand_supply")
    rows = table[table["metric"].str.startswith(prefix) & table["source"].str.contains(who)]
    return pd.DataFrame({"year": rows["year"].astype(int), "value": rows["value_num"],
                         "unit": rows["unit"], "source": rows["source"]})


def _interpolate(anchors: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    known = anchors.sort_values("year").drop_duplicates("year")
    ax, av = known["year"].to_numpy(float), known["value"].to_numpy(float)
    rows = []
    for year in years:
        if year in set(known["year"]):
            value, method = float(av[ax == year][0]), "reported"
        elif len(ax) >= 2 and ax[0] < year < ax[-1]:
            value, method = float(np.exp(np.interp(year, ax, np.log(av)))), "interpolated"
        else:
            value, method = np.nan, "outside anchors"
        rows.append({"year": year, "demand_t_reo": value, "method": method,
                     "source": "; ".join(sorted(set(known["source"])))})
    return pd.DataFrame(rows)


def refining_shares() -> pd.DataFrame:
    """China's share of separation/refining and the implied non-China share, by year and source.

    Examples
    --------
    >>> r = refining_shares()
    >>> r[(r.year == 2023)]["nonchina_share"].round(2).tolist()
    [0.08]
    """
    table = ref.load("demand_supply")
    wanted = {"share_refined_production", "china_share_refined_output", "china_share_refining"}
    rows = table[table["metric"].isin(wanted) & (table["region"] == "China")]
    out = pd.DataFrame({"year": rows["year"].astype(int), "china_share": rows["value_num"] / 100,
                        "source": rows["source"], "note": rows["note"]})
    return out.assign(nonchina_share=1 - out["china_share"]).sort_values("year").reset_index(
        drop=True)


def iea_mining_shares() -> pd.DataFrame:
    """IEA's China share of mining (reported and projected) and the implied non-China share."""
    table = ref.load("demand_supply")
    rows = table[table["metric"].str.startswith("share_mine_production")
                 & (table["region"] == "China") & table["source"].str.contains("IEA")]
    out = pd.DataFrame({"year": rows["year"].astype(int), "china_share": rows["value_num"] / 100,
                        "projection": rows["metric"].str.endswith("projection"),
                        "source": rows["source"]})
    return out.assign(nonchina_share=1 - out["china_share"]).sort_values("year").reset_index(
        drop=True)


def _row(definition, year, numerator, denominator, value, source, note="") -> dict:
    return {"definition": definition, "year": year, "numerator_t": numerator,
            "denominator_t": denominator, "nonchina_share": value, "source": source,
            "note": note}


def _mine_rows(year: int) -> list[dict]:
    pref = mine_shares().set_index("year")
    if year not in pref.index:
        raise SpecificationError(f"no USGS China and World production for {year}; years with "
                                 f"both: {pref.index.tolist()}")
    p = pref.loc[year]
    rows = [_row("mine output / world mine output (USGS, preferred edition)", year, p.nonchina,
                 p.world_reported, p.share_reported, f"USGS {p.edition}",
                 "China = official quota (excludes undocumented output)")]
    if p.complete:
        rows.append(_row("mine output / sum of country rows (USGS, preferred edition)", year,
                         p.world_sum - p.china, p.world_sum, p.share_sum, f"USGS {p.edition}",
                         f"world total is rounded; countries sum to {p.world_sum:,.0f}"))
    editions = mine_shares(basis="edition")
    for e in editions[(editions["year"] == year) & (editions["edition"] != p.edition)].itertuples():
        rows.append(_row("mine output / world mine output (USGS, earlier edition)", year,
                         e.nonchina, e.world_reported, e.share_reported, f"USGS {e.edition}",
                         "revised in a later edition"))
    return rows


def _demand_rows(year: int, nonchina: float, units: dict[str, str] | None) -> list[dict]:
    rows = []
    for name in DEMAND_SOURCES:
        definition = f"mine output / demand estimate ({name})"
        try:
            d = demand_series(name, [year], units=units).iloc[0]
        except SpecificationError as exc:
            rows.append(_row(definition, year, nonchina, np.nan, np.nan, name,
                             f"refused: {exc}"))
            continue
        rows.append(_row(definition, year, nonchina, d.demand_t_reo, nonchina / d.demand_t_reo,
                         d.source, f"demand {d.method}"))
    return rows


SENSITIVITY_COLUMNS: tuple[str, ...] = (
    "definition", "year", "numerator_t", "denominator_t", "nonchina_share", "source", "note")


@dataclass(frozen=True)
class SensitivityResult(Result):
    """The non-China share of rare-earth supply under each definition, for one year.

    ``tidy()`` has the columns ``definition, year, numerator_t, denominator_t,
    nonchina_share, source, note`` (tonnes; shares as fractions; a refused
    definition has a NaN share and the reason in ``note``).
    """

    tidy_columns: ClassVar[tuple[str, ...]] = SENSITIVITY_COLUMNS

    year: int
    table: pd.DataFrame
    units: dict[str, str] | None = None

    def tidy(self) -> pd.DataFrame:
        """One row per definition (a copy)."""
        return self.table.loc[:, list(SENSITIVITY_COLUMNS)].copy()

    def metadata(self) -> dict[str, object]:
        """The production year and the declared basis of bare demand units."""
        return {"model": "non-China share of supply by definition", "year": self.year,
                "units": dict(self.units or {}), "n_definitions": len(self.table)}

    def summary(self) -> Summary:
        """Each definition's share with its source; refusals say why."""
        head = self.table.iloc[0]
        meta = [("year", self.year),
                ("headline", f"{head['nonchina_share']:.1%} ({head['definition']}, "
                             f"{head['source']})")]
        notes = [f"{r.definition}: {r.note}" for r in self.table.itertuples()
                 if str(r.note).startswith("refused")]
        table = self.table[["definition", "year", "nonchina_share", "source"]]
        return Summary(f"Where the non-China share comes from ({self.year})", meta, table,
                       notes, notes_title="Refused")

    def _describe(self) -> str:
        return (f"{len(self.table)} definitions for {self.year}, headline "
                f"{self.table['nonchina_share'].iloc[0]:.1%}")

    def plot(self, ax=None):
        """The share under each definition, as horizontal bars; returns the Axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(8, 0.35 * len(self.table) + 1))
        shown = self.table.dropna(subset=["nonchina_share"])
        labels = [f"{d} ({y})" for d, y in zip(shown["definition"], shown["year"], strict=True)]
        ax.barh(range(len(shown)), shown["nonchina_share"], color="C0")
        ax.set_yticks(range(len(shown)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("non-China share")
        ax.set_title(f"The non-China share by definition ({self.year})")
        return ax


def overseas_share_sensitivity(year: int = 2024, *,
                               units: dict[str, str] | None = None) -> SensitivityResult:
    """Where "about 28%" comes from, and how it moves with the definition.

    Rows: non-China mine output over world output (preferred edition, sum of
    countries, earlier editions), IEA's mining share, separation/refining shares
    (IEA, Roskill, FDD; their own years), and non-China mine output over each
    demand estimate (refused, with the reason, where units do not allow it).

    Parameters
    ----------
    year : int
        Production year (2024 reproduces the MCS2026 28.9%).
    units : dict, optional
        Declared basis of bare units in demand estimates (see :func:`demand_series`).

    Returns
    -------
    SensitivityResult
        ``.tidy()``: ``definition, year, numerator_t, denominator_t, nonchina_share,
        source, note``.

    Examples
    --------
    >>> t = overseas_share_sensitivity(2024).tidy()
    >>> round(float(t["nonchina_share"].iloc[0]), 3)
    0.289
    """
    rows = _mine_rows(year)
    nonchina = rows[0]["numerator_t"]
    for r in iea_mining_shares().itertuples():
        if r.year == year:
            rows.append(_row("mine output share (IEA)", year, np.nan, np.nan, r.nonchina_share,
                             r.source, "IEA scope is mainly magnet rare earths"))
    for r in refining_shares().itertuples():
        rows.append(_row("separation/refining share", r.year, np.nan, np.nan, r.nonchina_share,
                         r.source, f"1 - China's share; {r.note}".strip("; ")))
    rows += _demand_rows(year, nonchina, units)
    return SensitivityResult(year, pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS)), units)
