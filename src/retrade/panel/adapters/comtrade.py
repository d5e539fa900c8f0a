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
from retrade.panel.distinct import on_distinct, repeated

# what identifies one raw row: a re-fetched row replaces the stored one (panel builder contract)
RAW_KEY: tuple[str, ...] = V1_KEY
# the v1 fields this adapter reads (the build reads only these and the key from the store)
RAW_COLUMNS: tuple[str, ...] = (
    "freqCode", "period", "reporterCode", "partnerCode", "flowCode", "cmdCode",
    "classificationCode", "primaryValue", "cifvalue", "fobvalue", "netWgt", "qty",
    "qtyUnitAbbr", "qtyUnitCode", "isNetWgtEstimated", "motCode", "customsCode", "partner2Code",
)
# to_panel takes the raw text columns as categoricals (the build reads them so: fewer passes)
RAW_TEXT_CODES = True
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
    return S.conform(_columns(rows, source), copy=False)  # the frame _columns made is its own


def _kept(raw: pd.DataFrame) -> pd.DataFrame:
    """The total, HS6-catalog, four-flow rows; warn once per kind of row left out."""
    keep = pd.Series(True, index=raw.index)
    reasons = []
    for column, total in _TOTALS.items():
        if column in raw.columns:
            off = on_distinct(raw[column], lambda v, t=total: v.astype(str) != str(t))
            reasons.append((off & keep, f"{column} other than {total} (breakdown rows)"))
            keep &= ~off
    flows_off = ~raw["flowCode"].isin(list(FLOWS)) & keep
    reasons.append((flows_off, f"flows other than {sorted(FLOWS)}"))
    keep &= ~flows_off
    cmd = on_distinct(raw["cmdCode"], lambda v: v.astype(str))
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
    """Panel columns of the kept rows; text columns computed once per distinct raw value."""
    parts = [on_distinct(rows[["freqCode", "period"]], _periods)]
    for column, name in (("reporterCode", S.REPORTER), ("partnerCode", S.PARTNER)):
        parts.append(on_distinct(rows[column], lambda code, n=name: _country(code, n)))
    parts.append(on_distinct(rows["cmdCode"], _product))
    out = {S.SOURCE: repeated(source, rows.index)}
    out.update({name: part[name] for part in parts for name in part.columns})
    out[S.FLOW] = rows["flowCode"].map(FLOWS)
    vintage = on_distinct(_get(rows, "classificationCode"), lambda v: v.astype("string"))
    out[S.HS_VINTAGE] = vintage.where(vintage.isin(list(HS_VINTAGES)))
    out[S.VALUE_USD] = _get(rows, "primaryValue")
    out[S.VALUE_CIF_USD] = _get(rows, "cifvalue")
    out[S.VALUE_FOB_USD] = _get(rows, "fobvalue")
    out[S.NET_WEIGHT_KG] = _get(rows, "netWgt")
    out[S.QUANTITY] = _get(rows, "qty")
    units = pd.DataFrame({"abbr": _get(rows, "qtyUnitAbbr"), "code": _get(rows, "qtyUnitCode")})
    out[S.QUANTITY_UNIT] = on_distinct(units, _units)
    out[S.WEIGHT_ESTIMATED] = _get(rows, "isNetWgtEstimated").astype("boolean")
    return pd.DataFrame(out, index=rows.index, copy=False)  # columns of the kept rows' copy


def _periods(rows: pd.DataFrame) -> pd.DataFrame:
    """``frequency, period, year, month`` from ``freqCode`` and ``period`` (row by row)."""
    freq = rows["freqCode"].astype(str)
    period = rows["period"].astype(str)
    monthly = freq == "M"
    return pd.DataFrame({
        S.FREQUENCY: freq,
        S.PERIOD: period.where(~monthly, period.str[:4] + "-" + period.str[4:6]),
        S.YEAR: period.str[:4].astype(int),
        S.MONTH: pd.array(period.str[4:6].where(monthly), dtype="string").astype("Int64"),
    }, index=rows.index)


def _country(code: pd.Series, name: str) -> pd.DataFrame:
    """The retrade country code and the Comtrade code as text (row by row)."""
    return pd.DataFrame({name: to_iso3(code.tolist(), scheme="comtrade"),
                         f"{name}_original": code.astype(str)}, index=code.index)


def _product(code: pd.Series) -> pd.DataFrame:
    """``hs6``, ``hs_original`` and ``stage`` of ``cmdCode`` (row by row)."""
    hs6 = code.astype(str)
    return pd.DataFrame({S.HS6: hs6, S.HS_ORIGINAL: hs6, S.STAGE: hs6.map(_STAGE)},
                        index=code.index)


def _get(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows[column] if column in rows.columns else pd.Series(pd.NA, index=rows.index)


def _units(units: pd.DataFrame) -> pd.Series:
    """The quantity unit: ``qtyUnitAbbr`` (``abbr``), else that of ``qtyUnitCode`` (``code``)."""
    abbr = units["abbr"].astype("string").replace({"N/A": pd.NA, "": pd.NA})
    code = pd.to_numeric(units["code"], errors="coerce")
    by_code = code.map(lambda c: UNIT_CODES.get(int(c)) if pd.notna(c) else None)
    return abbr.fillna(by_code.astype("string"))
