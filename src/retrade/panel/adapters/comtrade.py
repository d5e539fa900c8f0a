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

import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from retrade.catalog import PRODUCTS, to_iso3
from retrade.catalog.comtrade_v1 import V1_KEY
from retrade.catalog.products import HS_VINTAGES
from retrade.errors import DataQualityWarning, SchemaError
from retrade.panel import schema as S
from retrade.panel.distinct import distinct_rows, repeated

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
    """The total, HS6-catalog, four-flow rows; warn once per kind of row left out.

    Each test runs on the distinct values of its column (:func:`distinct_rows`)
    and reaches the rows as a boolean array.
    """
    keep = np.ones(len(raw), dtype=bool)
    reasons = []
    for column, total in _TOTALS.items():
        if column in raw.columns:
            off = _per_row(raw[column], lambda v, t=total: v.astype(str) != str(t))
            reasons.append((off & keep, f"{column} other than {total} (breakdown rows)"))
            keep &= ~off
    flows_off = ~_per_row(raw["flowCode"], lambda v: v.isin(list(FLOWS))) & keep
    reasons.append((flows_off, f"flows other than {sorted(FLOWS)}"))
    keep &= ~flows_off
    codes, cmd = distinct_rows(raw["cmdCode"], lambda v: v.astype(str))
    hs_off = ~cmd.isin(list(_STAGE)).to_numpy()[codes] & keep
    if hs_off.any():
        outside = sorted(set(cmd.to_numpy()[np.unique(codes[hs_off])]))
        reasons.append((hs_off, f"codes outside the HS6 catalog {outside[:10]} (HS4 rows such "
                                "as 2846 sum several HS6 lines and are not split)"))
    keep &= ~hs_off
    for mask, why in reasons:
        if mask.any():
            warnings.warn(f"Comtrade: {int(mask.sum())} row(s) kept out of the panel: {why}",
                          DataQualityWarning, stacklevel=3)
    return raw.loc[keep]


def _per_row(column: pd.Series, test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """``test(column)`` as a boolean array, computed on the column's distinct values."""
    codes, out = distinct_rows(column, test)
    return out.to_numpy(dtype=bool)[codes]


def _columns(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    """Panel columns of the kept rows, in panel order and typed.

    Text columns are computed and typed once per distinct raw value
    (:func:`distinct_rows`), then spread to the rows with one ``take`` each.
    """
    index = rows.index
    out = {S.SOURCE: repeated(source, index)}
    parts = [(rows[["freqCode", "period"]], _periods)]
    for column, name in (("reporterCode", S.REPORTER), ("partnerCode", S.PARTNER)):
        parts.append((rows[column], lambda code, n=name: _country(code, n)))
    parts += [
        (rows["cmdCode"], _product),
        (rows["flowCode"], _flow),
        (_get(rows, "classificationCode"), _vintage),
        (pd.DataFrame({"abbr": _get(rows, "qtyUnitAbbr"), "code": _get(rows, "qtyUnitCode")},
                      index=index), _units),
    ]
    for values, fn in parts:
        codes, distinct = distinct_rows(values, fn)
        for name in distinct.columns:
            typed = distinct[name].astype(_DTYPE[name]).array
            out[name] = pd.Series(typed.take(codes), index=index, copy=False)
    out[S.VALUE_USD] = _get(rows, "primaryValue")
    out[S.VALUE_CIF_USD] = _get(rows, "cifvalue")
    out[S.VALUE_FOB_USD] = _get(rows, "fobvalue")
    out[S.NET_WEIGHT_KG] = _get(rows, "netWgt")
    out[S.QUANTITY] = _get(rows, "qty")
    out[S.WEIGHT_ESTIMATED] = _get(rows, "isNetWgtEstimated").astype(_DTYPE[S.WEIGHT_ESTIMATED])
    columns = {c: out[c] if c in out else _missing(_DTYPE[c], index) for c in S.COLUMNS}
    return pd.DataFrame(columns, index=index, copy=False)  # columns of the kept rows' copy


_DTYPE = S.PANDAS_DTYPES  # the panel's dtypes as objects


def _missing(dtype, index: pd.Index) -> pd.Series:
    """A column of ``dtype`` with every value missing (what ``conform`` adds)."""
    return pd.Series(pd.NA, index=index, dtype=dtype)


def _periods(rows: pd.DataFrame) -> pd.DataFrame:
    """``frequency, period, year, month`` from ``freqCode`` and ``period`` (row by row).

    Worked out in Python over the pairs (the rows here are distinct pairs: a
    few dozen, where each pandas string operation would cost more than all of
    them) when every pair is a clean annual ``YYYY`` or monthly ``YYYYMM``;
    otherwise column by column (:func:`_periods_by_column`), which raises on
    what it cannot read.
    """
    freq = rows["freqCode"].astype(str).tolist()
    period = rows["period"].astype(str).tolist()
    if not all(f in _CLEAN_PERIOD and _CLEAN_PERIOD[f].fullmatch(p)
               for f, p in zip(freq, period, strict=True)):
        return _periods_by_column(rows)
    monthly = [f == "M" for f in freq]
    return pd.DataFrame({
        S.FREQUENCY: _text(freq),
        S.PERIOD: _text([f"{p[:4]}-{p[4:]}" if m else p
                         for p, m in zip(period, monthly, strict=True)]),
        S.YEAR: pd.array([int(p[:4]) for p in period], dtype=_DTYPE[S.YEAR]),
        S.MONTH: pd.array([int(p[4:]) if m else None for p, m in zip(period, monthly, strict=True)],
                          dtype=_DTYPE[S.MONTH]),
    }, index=rows.index)


# the periods :func:`_periods` works out in Python (any other pair goes column by column)
_CLEAN_PERIOD = {"A": re.compile(r"[0-9]{4}"), "M": re.compile(r"[0-9]{6}")}


def _periods_by_column(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`_periods` with pandas' string operations, for any ``freqCode`` and ``period``."""
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
    hs6 = code.astype(str).tolist()
    return pd.DataFrame({S.HS6: _text(hs6), S.HS_ORIGINAL: _text(hs6),
                         S.STAGE: _text([_STAGE.get(c) for c in hs6])}, index=code.index)


def _flow(code: pd.Series) -> pd.DataFrame:
    """``flow`` of ``flowCode`` (row by row; missing for the codes of no panel flow)."""
    return pd.DataFrame({S.FLOW: _text([FLOWS.get(c) for c in code.tolist()])},
                        index=code.index)


def _vintage(code: pd.Series) -> pd.DataFrame:
    """``hs_vintage``: ``classificationCode`` where it names an HS vintage (row by row)."""
    text = code.astype("string").tolist()
    return pd.DataFrame({S.HS_VINTAGE: _text([c if c is not pd.NA and c in _VINTAGES else None
                                              for c in text])}, index=code.index)


_VINTAGES = frozenset(HS_VINTAGES)


def _text(values: list) -> pd.api.extensions.ExtensionArray:
    """Python values (``None``: missing) as the panel's text array."""
    return pd.array(values, dtype=_DTYPE[S.HS6])


def _get(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows[column] if column in rows.columns else pd.Series(pd.NA, index=rows.index)


def _units(units: pd.DataFrame) -> pd.DataFrame:
    """``quantity_unit``: ``qtyUnitAbbr`` (``abbr``), else that of ``qtyUnitCode`` (``code``).

    Row by row, in Python over the distinct pairs; ``N/A`` and empty abbreviations
    count as missing, and a code that is no number as no code.
    """
    abbr = units["abbr"].astype("string").tolist()
    code = pd.to_numeric(units["code"], errors="coerce").tolist()
    return pd.DataFrame({S.QUANTITY_UNIT: _text([_unit(a, c)
                                                 for a, c in zip(abbr, code, strict=True)])},
                        index=units.index)


def _unit(abbr: object, code: object) -> str | None:
    if abbr is not pd.NA and abbr not in ("N/A", ""):
        return str(abbr)
    return UNIT_CODES.get(int(code)) if pd.notna(code) else None  # type: ignore[call-overload]
