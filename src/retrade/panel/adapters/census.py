"""US Census Bureau monthly trade rows (``imports/hs``, ``exports/hs``) -> panel rows.

The reporter is the USA; the partner is the country named in ``CTY_NAME``.
Choices (each affected row count is reported in a warning):

* Only country rows enter the panel. ``CTY_CODE`` ``-`` (total for all
  countries), group codes ``00xx`` (OECD, APEC, EU ...) and continent totals
  ``1XXX``..``7XXX`` are kept out, as are rows whose ``SUMMARY_LVL`` is not
  ``DET``; summing them with the country rows would count trade twice.
* Imports are **general imports** (``GEN_*``: everything entering the US,
  including into bonded warehouses and free-trade zones), the US concept
  closest to the general trade system Comtrade reporters use; imports for
  consumption (``CON_*``) stay in the raw store. ``value_usd`` is the CIF
  value (``GEN_CIF_MO``) so that it is comparable with other reporters'
  imports; ``value_fob_usd`` is the customs value (``GEN_VAL_MO``, close to
  FOB at the foreign port). Exports are total exports (domestic and foreign),
  ``ALL_VAL_MO``, an FOB value.
* ``quantity`` is the first quantity (``GEN_QY1_MO`` / ``QTY_1_MO``) in
  ``UNIT_QY1`` (lower-cased, e.g. ``kg``, ``no``); ``net_weight_kg`` is that
  quantity where its unit is ``KG``, otherwise missing (the shipping weights
  by air and vessel are gross weights and stay in the raw store).
* HS10 codes roll up to their first six digits (``hs6``), the full code is
  ``hs_original``; a code outside the catalog raises. Port-level rows (the
  ``porths`` dataset, ``COMM_LVL`` other than HS10) are kept out.
* A country name the catalog cannot match raises
  :class:`~retrade.errors.HarmonizeError` naming it.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd

from retrade.catalog import PRODUCTS, to_iso3
from retrade.catalog.countries import is_census_country_code
from retrade.errors import CatalogError, DataQualityWarning, SchemaError
from retrade.panel import schema as S

_STAGE = {p.hs6: p.stage for p in PRODUCTS}
# what identifies one raw row across flows and datasets (columns a flow lacks are missing)
RAW_KEY: tuple[str, ...] = ("time", "CTY_CODE", "I_COMMODITY", "E_COMMODITY", "PORT")
MEASURES = {
    # flow: (commodity, value_usd, cif, fob, quantity)
    "import": ("I_COMMODITY", "GEN_CIF_MO", "GEN_CIF_MO", "GEN_VAL_MO", "GEN_QY1_MO"),
    "export": ("E_COMMODITY", "ALL_VAL_MO", None, "ALL_VAL_MO", "QTY_1_MO"),
}


def to_panel(raw: pd.DataFrame, *, source: str = "census") -> pd.DataFrame:
    """Panel rows from raw Census ``hs`` rows (imports, exports or both stacked).

    Examples
    --------
    >>> raw = pd.DataFrame({"CTY_CODE": ["5700", "-"],
    ...     "CTY_NAME": ["CHINA", "TOTAL FOR ALL COUNTRIES"], "SUMMARY_LVL": ["DET", "DET"],
    ...     "I_COMMODITY": ["2846900000"] * 2, "time": ["2024-03"] * 2,
    ...     "GEN_VAL_MO": ["100", "150"], "GEN_CIF_MO": ["110", "160"], "GEN_QY1_MO": ["5", "7"],
    ...     "UNIT_QY1": ["KG", "KG"]})
    >>> to_panel(raw)[["partner", "flow", "hs6", "value_usd", "net_weight_kg"]].values.tolist()
    [['CHN', 'import', '284690', 110.0, 5.0]]
    """
    raw = _hs10_rows(raw)
    frames = []
    for flow, (commodity, *_rest) in MEASURES.items():
        if commodity in raw.columns:
            rows = raw[raw[commodity].notna()]
            if len(rows):
                frames.append(_flow_rows(rows, flow, source))
    if not frames:
        if len(raw):
            raise SchemaError("Census rows have neither I_COMMODITY nor E_COMMODITY")
        return S.empty_panel()
    return S.conform(pd.concat(frames, ignore_index=True))


def _hs10_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """The ``hs`` dataset's HS10 rows; port-level (``porths``) rows stay in the raw store."""
    if "COMM_LVL" not in raw.columns:
        return raw
    keep = raw["COMM_LVL"].fillna("HS10").eq("HS10")
    if (~keep).any():
        warnings.warn(f"Census: {int((~keep).sum())} port-level or non-HS10 row(s) kept out of "
                      "the panel (the porths dataset is by port, without HS10 detail)",
                      DataQualityWarning, stacklevel=3)
    return raw.loc[keep]


def country_rows(raw: pd.DataFrame) -> pd.Series:
    """True for rows about one country (not totals, groups or continents)."""
    country = is_census_country_code(raw["CTY_CODE"])
    if "SUMMARY_LVL" in raw.columns:
        country &= raw["SUMMARY_LVL"].fillna("DET").eq("DET")
    return country


def _flow_rows(rows: pd.DataFrame, flow: str, source: str) -> pd.DataFrame:
    keep = country_rows(rows)
    if (~keep).any():
        kinds = sorted(rows.loc[~keep, "CTY_NAME"].astype(str).unique())
        warnings.warn(
            f"Census {flow}s: {int((~keep).sum())} total/group row(s) kept out of the panel "
            f"({kinds[:6]}{' ...' if len(kinds) > 6 else ''})", DataQualityWarning, stacklevel=3)
    rows = rows.loc[keep]
    commodity, value, cif, fob, qty = MEASURES[flow]
    codes = rows[commodity].astype(str)
    bad = sorted({c for c in codes if not re.fullmatch(r"\d{10}", c) or c[:6] not in _STAGE})
    if bad:
        raise CatalogError(f"Census codes {bad[:10]} are not HS10 lines of catalog HS6 codes")
    time = rows["time"].astype(str)
    unit = rows["UNIT_QY1"].astype("string") if "UNIT_QY1" in rows else pd.Series(
        pd.NA, index=rows.index, dtype="string")
    quantity = _number(rows, qty)
    out = pd.DataFrame({
        S.SOURCE: source, S.FREQUENCY: "M", S.PERIOD: time,
        S.YEAR: time.str[:4].astype(int), S.MONTH: time.str[5:7].astype(int),
        S.REPORTER: "USA", S.REPORTER_ORIGINAL: "USA",
        S.PARTNER: to_iso3(rows["CTY_NAME"].tolist(), scheme="name"),
        S.PARTNER_ORIGINAL: rows["CTY_CODE"].astype(str) + " " + rows["CTY_NAME"].astype(str),
        S.FLOW: flow, S.HS6: codes.str[:6], S.HS_ORIGINAL: codes,
        S.STAGE: codes.str[:6].map(_STAGE),
        S.VALUE_USD: _number(rows, value), S.VALUE_CIF_USD: _number(rows, cif),
        S.VALUE_FOB_USD: _number(rows, fob), S.QUANTITY: quantity,
        S.QUANTITY_UNIT: unit.str.lower(),
        S.NET_WEIGHT_KG: quantity.where(unit.str.upper().eq("KG").fillna(False).to_numpy()),
    }, index=rows.index)
    return out


def _number(rows: pd.DataFrame, column: str | None) -> pd.Series:
    if column is None or column not in rows.columns:
        return pd.Series(pd.NA, index=rows.index, dtype="Float64")
    return pd.to_numeric(rows[column], errors="raise").astype("Float64")
