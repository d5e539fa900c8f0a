"""Monthly series tables: the aggregate monthly tables people download, in one tidy shape.

Monthly research tables (China's exports by product group, HS6, bloc or a few
partners; see :mod:`retrade.fetch.files.monthly_table`) are aggregates, not
bilateral HS6 flows, so they stay out of the trade panel. :func:`monthly_series`
puts them into one long table, ``data/processed/monthly.parquet`` when the
panel is built:

==============  ==============================================================
table           the file the rows came from (its stem)
period          ``YYYY-MM``
reporter, flow  whose trade and which direction (as given at import; may be missing)
group           the product group (``broad_group``, ``subgroup`` or ``material``)
hs6, stage      six-digit line and catalog stage where the table has them
partner         ISO3 code where the table breaks down by partner
bloc            the partner bloc where the table breaks down by bloc
value_usd       value in USD (missing if the table's values are in another unit)
quantity_kg     quantity in kg (tonnes are converted; other units left missing)
==============  ==============================================================

A row is a total over whatever the table covers: a table by bloc or by a few
partners does not sum to the world total, which the import summary says.
"""

from __future__ import annotations

import warnings

import pandas as pd

from retrade.catalog.countries import to_iso3
from retrade.catalog.products import product
from retrade.errors import CatalogError, DataQualityWarning

COLUMNS = (
    "table",
    "period",
    "reporter",
    "flow",
    "group",
    "hs6",
    "stage",
    "partner",
    "bloc",
    "value_usd",
    "quantity_kg",
)
_VALUE = ("val", "value", "total_value")
_QUANTITY = ("qty", "quantity", "total_qty")
_GROUP = ("broad_group", "subgroup", "group", "material")
_PARTNER = ("partner_name", "partner", "country")
_KG_PER = {"kg": 1.0, "t": 1000.0, "tonnes": 1000.0, "100kg": 100.0}


def _first(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series:
    out = pd.Series(pd.NA, index=frame.index, dtype="object")
    for name in names:
        if name in frame.columns:
            out = out.where(out.notna(), frame[name])
    return out


def _stage(hs6: pd.Series) -> pd.Series:
    def one(code: object) -> object:
        try:
            return product(str(code)).stage if isinstance(code, str) else pd.NA
        except CatalogError:
            return pd.NA

    return hs6.map(one)


def _units(raw: pd.DataFrame, column: str, default: str) -> pd.Series:
    if column in raw.columns:
        return raw[column].fillna(default).astype(str).str.lower().str.replace(" ", "")
    return pd.Series(default, index=raw.index)


def monthly_series(raw: pd.DataFrame) -> pd.DataFrame:
    """Tidy the raw rows of source ``monthly_table`` into :data:`COLUMNS`.

    Examples
    --------
    >>> raw = pd.DataFrame({"table": ["t"], "period": ["2024-01"], "broad_group": ["Rare Earths"],
    ...                     "val": [5.0], "qty": [2.0], "reporter": ["CHN"], "flow": ["export"]})
    >>> monthly_series(raw)[["period", "group", "value_usd", "quantity_kg"]].values.tolist()
    [['2024-01', 'Rare Earths', 5.0, 2.0]]
    """
    out = pd.DataFrame(index=raw.index)
    out["table"] = raw["table"]
    out["period"] = raw["period"]
    for column in ("reporter", "flow", "bloc"):
        out[column] = raw[column] if column in raw.columns else pd.NA
    out["group"] = _first(raw, _GROUP)
    hs6 = (
        raw["hs6"].astype("string").str.strip()
        if "hs6" in raw.columns
        else pd.Series(pd.NA, index=raw.index)
    )
    out["hs6"] = hs6
    out["stage"] = _stage(hs6)
    names = _first(raw, _PARTNER)
    known = names.notna()
    out["partner"] = pd.NA
    if known.any():
        out.loc[known, "partner"] = to_iso3(names[known].tolist(), scheme="name")
    value_unit = _units(raw, "value_unit", "usd")
    out["value_usd"] = _first(raw, _VALUE).astype("Float64").where(value_unit == "usd")
    factor = _units(raw, "quantity_unit", "kg").map(_KG_PER)
    out["quantity_kg"] = _first(raw, _QUANTITY).astype("Float64") * factor.astype("Float64")
    _warn_units(value_unit, factor)
    typed = out[list(COLUMNS)].astype(
        {c: "string" for c in COLUMNS if c not in ("value_usd", "quantity_kg")}
    )
    return typed.sort_values(["table", "period", "group", "hs6", "partner", "bloc"]).reset_index(
        drop=True
    )


def _warn_units(value_unit: pd.Series, factor: pd.Series) -> None:
    if (value_unit != "usd").any():
        warnings.warn(
            f"monthly tables: {int((value_unit != 'usd').sum())} row(s) have values in "
            f"{sorted(set(value_unit[value_unit != 'usd'].str.upper()))}, "
            "left out of value_usd (no rate given)",
            DataQualityWarning,
            stacklevel=3,
        )
    if factor.isna().any():
        warnings.warn(
            f"monthly tables: {int(factor.isna().sum())} row(s) have a quantity unit retrade "
            "cannot turn into kg; quantity_kg left missing",
            DataQualityWarning,
            stacklevel=3,
        )


def china_monthly_exports(monthly: pd.DataFrame, *, group: str = "Rare Earths") -> pd.DataFrame:
    """China's monthly exports of one product group to the world, from a table without breakdown.

    Returns ``period`` (Timestamp), ``value_usd``, ``quantity_kg``,
    ``unit_value_usd_per_kg``: the rows of ``monthly`` whose reporter is China,
    flow export, with no partner, bloc or HS6 breakdown (tables such as
    ``overview_monthly``).
    """
    rows = monthly[
        (monthly["reporter"] == "CHN")
        & (monthly["flow"] == "export")
        & (monthly["group"] == group)
        & monthly["partner"].isna()
        & monthly["bloc"].isna()
        & monthly["hs6"].isna()
    ]
    if rows.empty:
        raise CatalogError(
            f"no world-total monthly rows of China's {group!r} exports; import a monthly table "
            "with --reporter CHN --flow export (e.g. overview_monthly.csv)"
        )
    if rows.duplicated("period").any():
        tables = sorted(rows["table"].unique())
        raise CatalogError(
            f"several tables give China's {group!r} monthly totals: {tables}; pick one"
        )
    out = pd.DataFrame(
        {
            "period": pd.to_datetime(rows["period"] + "-01"),
            "value_usd": rows["value_usd"].astype(float).to_numpy(),
            "quantity_kg": rows["quantity_kg"].astype(float).to_numpy(),
        }
    )
    out["unit_value_usd_per_kg"] = out["value_usd"] / out["quantity_kg"].where(
        out["quantity_kg"] > 0
    )
    return out.sort_values("period").reset_index(drop=True)
