"""Bundled reference facts: USGS production, policy events, China customs totals, estimates.

The tables ship inside the package, built by ``tools/build_reference.py`` from
public sources; every row names its ``source`` and ``status`` (``verified``,
``secondary_copy``, ``derived`` or ``low_tier_source``; rows only recalled from
memory, status ``unverified``, are left out). Published values are kept as
written in ``value``; ``value_num``/``value_low``/``value_high`` and
``value_qualifier`` hold the parsed number and its mark (``>``, ``range``, ...).

Examples
--------
>>> import retrade.reference as ref
>>> sorted(ref.tables()["table"])[:2]
['china_exports_annual', 'china_exports_monthly']
>>> prod = ref.load("usgs_mine_production")
>>> set(prod["status"]) <= {"verified", "secondary_copy", "derived", "low_tier_source"}
True
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from retrade.errors import CatalogError

DESCRIPTIONS: dict[str, str] = {
    "usgs_mine_production": "USGS rare-earth mine production and reserves by country and year "
    "(t REO), one row per edition, `preferred`=1 marks one row per country-year-metric",
    "policy_events": "Dated policy events: Chinese quotas, export controls, WTO case, "
    "regulations; Japanese, US and EU measures",
    "china_exports_annual": "China customs rare-earth export volumes, values and destination "
    "shares by year (headline aggregate, excludes magnets)",
    "china_exports_monthly": "Monthly China rare-earth and magnet export points (not a complete "
    "series)",
    "demand_supply": "Demand and supply estimates and projections (IEA, Arafura, McKinsey ...)",
    "published_estimates": "Published figures to reproduce: import shares, reliance, prices, "
    "quota fill rates, smuggling, macro effects",
}

_NUMERIC = {
    "usgs_mine_production": {"year": "Int64", "preferred": "Int64"},
    "china_exports_annual": {"year": "Int64"},
    "china_exports_monthly": {"year": "Int64", "month": "Int64"},
}


def tables() -> pd.DataFrame:
    """The bundled tables with their row counts and descriptions."""
    rows = [
        {"table": name, "rows": len(load(name)), "description": text}
        for name, text in DESCRIPTIONS.items()
    ]
    return pd.DataFrame(rows)


def load(name: str, *, status: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Load one bundled table (a copy; change it freely).

    Parameters
    ----------
    name : str
        One of :func:`tables`' names.
    status : tuple of str, optional
        Keep only rows with these statuses (e.g. ``("verified",)``).
    """
    table = _read(name).copy()
    if status is not None:
        table = table[table["status"].isin(status)].reset_index(drop=True)
    return table


@functools.cache
def _read(name: str) -> pd.DataFrame:
    if name not in DESCRIPTIONS:
        raise CatalogError(f"unknown reference table {name!r}; available: {sorted(DESCRIPTIONS)}")
    path = resources.files("retrade.reference") / "data" / f"{name}.csv"
    with path.open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    for column in ("value_num", "value_low", "value_high"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    for column, dtype in _NUMERIC.get(name, {}).items():
        table[column] = pd.to_numeric(table[column].replace("", None)).astype(dtype)
    for column in ("date_start", "date_end"):
        if column in table:
            table[column] = pd.to_datetime(table[column])
    return table


def mine_production(
    *, preferred_only: bool = True, metric: str = "mine_production_t_reo"
) -> pd.DataFrame:
    """USGS mine production (or reserves) as ``country, iso3, year, value, edition, source``.

    With ``preferred_only`` one row per country-year (the table's ``preferred`` flag);
    otherwise every edition, for revision spreads.
    """
    table = load("usgs_mine_production")
    table = table[table["metric"] == metric]
    if preferred_only:
        table = table[table["preferred"] == 1]
    columns = [
        "country",
        "iso3",
        "year",
        "value_num",
        "value_qualifier",
        "edition",
        "source",
        "status",
    ]
    return table[columns].rename(columns={"value_num": "value"}).reset_index(drop=True)


def policy_events() -> pd.DataFrame:
    """Dated policy events with parsed ``date_start``/``date_end``, oldest first."""
    return load("policy_events").sort_values("date_start", kind="stable").reset_index(drop=True)
