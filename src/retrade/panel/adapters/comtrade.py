"""UN Comtrade v1 rows -> panel rows.

Works on the raw v1 shape whatever brought it (the API fetcher, the public
preview, a Comtrade CSV import). Choices, each with a warning that counts the
rows it affects:

* Only total rows enter the panel: ``motCode`` 0, ``customsCode`` C00 and
  ``partner2Code`` 0 where those fields exist (breakdowns would double count).
* Only the flows M, X, RM, RX are kept (``import``, ``export``, ``re-import``,
  ``re-export``); other v1 flow codes (DX, FM ...) are left out.
* Only six-digit codes of the catalog enter the HS6 panel. Rows at HS4 (such
  as ``2846`` in some downloads: the sum of 284610 and 284690) and ``TOTAL``
  are kept out rather than guessed into one line; the warning says how many.
* ``value_usd`` is ``primaryValue`` (CIF for imports, FOB for exports, as
  Comtrade defines it), with ``cifvalue``/``fobvalue`` alongside;
  ``net_weight_kg`` is ``netWgt``; ``quantity`` is ``qty`` in ``qtyUnitAbbr``
  (or ``kg`` for unit code 8 when descriptions were not asked for).
* ``weight_estimated`` is ``isNetWgtEstimated``; Comtrade v1 has no flag for
  an estimated value, so ``value_estimated`` is left missing.
* Countries go through :func:`retrade.catalog.to_iso3` (scheme ``comtrade``);
  an unknown code raises :class:`~retrade.errors.HarmonizeError` naming it.
  The Comtrade numbers are kept in ``reporter_original``/``partner_original``.
"""

from __future__ import annotations

import warnings

import pandas as pd

from retrade.catalog import PRODUCTS, to_iso3
from retrade.catalog.comtrade_v1 import V1_KEY
from retrade.catalog.products import HS_VINTAGES
from retrade.errors import DataQualityWarning, SchemaError
from retrade.panel import schema as S

# what identifies one raw row: a re-fetched row replaces the stored one (panel builder contract)
RAW_KEY: tuple[str, ...] = V1_KEY
FLOWS: dict[str, str] = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export"}
# Comtrade quantity unit codes whose unit the data themselves establish (qty == netWgt)
UNIT_CODES: dict[int, str] = {8: "kg"}
_TOTALS = {"motCode": 0, "customsCode": "C00", "partner2Code": 0}
_STAGE = {p.hs6: p.stage for p in PRODUCTS}


def to_panel(raw: pd.DataFrame, *, source: str = "comtrade_api") -> pd.DataFrame:
    """Panel rows (see :mod:`retrade.panel.schema`) from raw Comtrade v1 rows.

    Parameters
    ----------
    raw : DataFrame
        Rows with the v1 field names (``reporterCode``, ``cmdCode``, ``primaryValue`` ...).
    source : str
        The panel's ``source`` value: ``"comtrade_api"`` (the default, rows of
        the ``comtrade`` raw source) or another label for the same v1 shape.

    Examples
    --------
    >>> raw = pd.DataFrame([{"freqCode": "A", "period": "2020", "refYear": 2020,
    ...     "reporterCode": 156, "partnerCode": 0, "flowCode": "X", "cmdCode": "284690",
    ...     "classificationCode": "H5", "primaryValue": 1.5e8, "netWgt": 2.0e7}])
    >>> row = to_panel(raw, source="comtrade_api").iloc[0]
    >>> [row["reporter"], row["partner"], row["flow"], row["stage"]]
    ['CHN', 'WLD', 'export', 'compounds']
    """
    missing = [c for c in ("freqCode", "period", "reporterCode", "partnerCode", "flowCode",
                           "cmdCode") if c not in raw.columns]
    if missing:
        raise SchemaError(f"Comtrade rows lack the v1 fields {missing}")
    rows = _kept(raw)
    if rows.empty:
        return S.empty_panel()
    return S.conform(_columns(rows, source))


def _kept(raw: pd.DataFrame) -> pd.DataFrame:
    """The total, HS6-catalog, four-flow rows; warn once per kind of row left out."""
    keep = pd.Series(True, index=raw.index)
    reasons = []
    for column, total in _TOTALS.items():
        if column in raw.columns:
            off = raw[column].astype(str) != str(total)
            reasons.append((off & keep, f"{column} other than {total} (breakdown rows)"))
            keep &= ~off
    flows_off = ~raw["flowCode"].isin(list(FLOWS)) & keep
    reasons.append((flows_off, f"flows other than {sorted(FLOWS)}"))
    keep &= ~flows_off
    cmd = raw["cmdCode"].astype(str)
    hs_off = ~cmd.isin(list(_STAGE)) & keep
    if hs_off.any():
        codes = sorted(cmd[hs_off].unique())
        reasons.append((hs_off, f"codes outside the HS6 catalog {codes[:10]} (HS4 rows such as "
                                "2846 sum several HS6 lines and are not split)"))
    keep &= ~hs_off
    for mask, why in reasons:
        if mask.any():
            warnings.warn(f"Comtrade: {int(mask.sum())} row(s) kept out of the panel: {why}",
                          DataQualityWarning, stacklevel=3)
    return raw.loc[keep]


def _columns(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    freq = rows["freqCode"].astype(str)
    period = rows["period"].astype(str)
    monthly = freq == "M"
    out = pd.DataFrame(index=rows.index)
    out[S.SOURCE] = source
    out[S.FREQUENCY] = freq
    out[S.PERIOD] = period.where(~monthly, period.str[:4] + "-" + period.str[4:6])
    out[S.YEAR] = period.str[:4].astype(int)
    out[S.MONTH] = pd.array(period.str[4:6].where(monthly), dtype="string").astype("Int64")
    out[S.REPORTER] = to_iso3(rows["reporterCode"].tolist(), scheme="comtrade")
    out[S.REPORTER_ORIGINAL] = rows["reporterCode"].astype(str)
    out[S.PARTNER] = to_iso3(rows["partnerCode"].tolist(), scheme="comtrade")
    out[S.PARTNER_ORIGINAL] = rows["partnerCode"].astype(str)
    out[S.FLOW] = rows["flowCode"].map(FLOWS)
    out[S.HS6] = rows["cmdCode"].astype(str)
    out[S.HS_ORIGINAL] = out[S.HS6]
    out[S.STAGE] = out[S.HS6].map(_STAGE)
    vintage = _get(rows, "classificationCode").astype("string")
    out[S.HS_VINTAGE] = vintage.where(vintage.isin(list(HS_VINTAGES)))
    out[S.VALUE_USD] = _get(rows, "primaryValue")
    out[S.VALUE_CIF_USD] = _get(rows, "cifvalue")
    out[S.VALUE_FOB_USD] = _get(rows, "fobvalue")
    out[S.NET_WEIGHT_KG] = _get(rows, "netWgt")
    out[S.QUANTITY] = _get(rows, "qty")
    out[S.QUANTITY_UNIT] = _units(rows)
    out[S.WEIGHT_ESTIMATED] = _get(rows, "isNetWgtEstimated").astype("boolean")
    return out


def _get(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows[column] if column in rows.columns else pd.Series(pd.NA, index=rows.index)


def _units(rows: pd.DataFrame) -> pd.Series:
    abbr = _get(rows, "qtyUnitAbbr").astype("string").replace({"N/A": pd.NA, "": pd.NA})
    code = pd.to_numeric(_get(rows, "qtyUnitCode"), errors="coerce")
    by_code = code.map(lambda c: UNIT_CODES.get(int(c)) if pd.notna(c) else None)
    return abbr.fillna(by_code.astype("string"))
