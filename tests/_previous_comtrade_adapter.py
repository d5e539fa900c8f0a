"""The Comtrade adapter before its distinct-value work was spread with numpy (issue 14).

Copied verbatim from ``retrade/panel/adapters/comtrade.py`` and ``on_distinct``
of ``retrade/panel/distinct.py`` at c73cbac, apart from imports. Only
``tests/panel/test_comtrade_adapter_fixed_cost.py`` uses it, as the reference the
adapter's rows, warnings and errors are compared with.
"""
# ruff: noqa

from __future__ import annotations

import warnings
from collections.abc import Callable

import pandas as pd

from retrade.catalog import to_iso3
from retrade.catalog.products import HS_VINTAGES
from retrade.errors import DataQualityWarning, SchemaError
from retrade.panel import schema as S
from retrade.panel.adapters.comtrade import _STAGE, _TOTALS, FLOWS, UNIT_CODES
from retrade.panel.distinct import repeated, row_codes


def on_distinct(frame: pd.DataFrame | pd.Series, fn: Callable[..., Frame]) -> Frame:
    """``fn(frame)`` computed on the distinct rows of ``frame`` and spread back to every row.

    ``fn`` must work row by row (each output row depends on its own input
    row only, as ``astype(str)``, ``.str[:4]`` or a dictionary lookup do);
    then the result equals ``fn(frame)``, index included, while ``fn`` sees
    one row per distinct value. Missing values count as one value (``None``
    and ``NaN`` alike).

    Examples
    --------
    >>> s = pd.Series([156, 392, 156, None], dtype="Int64", index=[5, 6, 7, 8])
    >>> on_distinct(s, lambda v: v.astype(str)).to_dict()
    {5: '156', 6: '392', 7: '156', 8: '<NA>'}
    """
    if len(frame) == 0:
        return fn(frame)
    codes, first = row_codes(frame)
    out = fn(frame.iloc[first])
    if len(out) != len(first):
        raise ValueError("on_distinct needs a function that returns one row per input row")
    spread = out.iloc[codes]
    spread.index = frame.index
    return spread



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
