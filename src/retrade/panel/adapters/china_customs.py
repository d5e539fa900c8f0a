"""China customs (GACC) rows (source ``china_customs``) to panel rows.

China is the reporter; partners map from their Chinese or English names (GACC's
three-digit codes are not used: the download carries the names, and the name
tables in :mod:`retrade.catalog` cover the whole GACC partner list). A file
without a partner breakdown gives World rows. Breakdowns by customs regime or
province are summed. HS8 lines roll up to their catalog HS6; other lines are
left out.

Values: a USD download fills ``value_usd``; a CNY download needs a
``cny_per_usd`` rate table, otherwise ``value_usd`` stays empty and a
:class:`~retrade.errors.DataQualityWarning` says so (no rate is ever invented).
Quantities in 千克/吨 (kg/tonnes) become ``net_weight_kg``; a non-mass second
unit (e.g. 桶, barrels) goes to ``quantity``/``quantity_unit``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from retrade.catalog import WORLD
from retrade.errors import HarmonizeError
from retrade.panel import schema as S
from retrade.panel.adapters._common import (
    catalog_rows,
    convert,
    countries,
    finish,
    is_mass,
    kilograms,
)

SOURCE = "china_customs"
# one observation, as the importer keys it (regime and province only where a download has them);
# a revised download replaces the rows it repeats
RAW_KEY: tuple[str, ...] = ("yearmonth", "flow", "partner", "commodity", "regime", "province")
# the raw column of HS codes: rows outside the catalog are left out, and the build counts them
HS_COLUMN = "commodity"


def to_panel(
    raw: pd.DataFrame, *, cny_per_usd: Mapping[str, float] | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Panel rows for the rare-earth catalog lines of China customs rows.

    Parameters
    ----------
    raw : DataFrame
        Rows as :mod:`retrade.fetch.files.china_customs` stores them.
    cny_per_usd : mapping or DataFrame, optional
        Yuan per US dollar by period (``"2024-01"`` or ``"2024"``), used for
        rows whose value is in CNY.

    Returns
    -------
    DataFrame
        Validated monthly panel rows.
    """
    return finish(harmonize(catalog_rows(raw, "commodity"), cny_per_usd=cny_per_usd))


def harmonize(
    raw: pd.DataFrame, *, cny_per_usd: Mapping[str, float] | pd.DataFrame | None = None
) -> pd.DataFrame:
    """China customs rows in panel columns, one per raw row (same index), before
    :func:`~retrade.panel.adapters._common.finish` keeps catalog lines and sums duplicates.

    The element panel (:mod:`retrade.panel.elements`) starts from here, so that the
    partner, value and quantity rules are the trade panel's.
    """
    period = raw["yearmonth"].str[:4] + "-" + raw["yearmonth"].str[4:]
    return pd.DataFrame(
        {
            S.SOURCE: SOURCE,
            S.FREQUENCY: "M",
            S.PERIOD: period.astype("string"),
            S.YEAR: raw["yearmonth"].str[:4].astype("Int64"),
            S.MONTH: raw["yearmonth"].str[4:].astype("Int64"),
            S.REPORTER: "CHN",
            S.REPORTER_ORIGINAL: "中国",
            **_partners(raw),
            S.FLOW: raw["flow"].astype("string"),
            S.HS_ORIGINAL: raw["commodity"].astype("string"),
            S.VALUE_USD: _value_usd(raw, period, cny_per_usd),
            **_quantities(raw),
        },
        index=raw.index,
    )


def _partners(raw: pd.DataFrame) -> dict[str, pd.Series]:
    """Partners by name; rows of a download without a partner breakdown are World totals."""
    names = raw.get("partner_name", pd.Series(pd.NA, index=raw.index)).astype("string")
    codes = raw.get("partner", pd.Series(pd.NA, index=raw.index)).astype("string")
    unnamed = names.isna() & codes.notna()
    if unnamed.any():
        raise HarmonizeError(
            f"china_customs: {int(unnamed.sum())} row(s) carry GACC partner codes "
            f"({', '.join(sorted(set(codes[unnamed]))[:10])}) without names; download them with "
            "贸易伙伴名称 (Trading partner) so partners can be mapped"
        )
    partner = pd.Series(WORLD, index=raw.index, dtype="string")
    named = names.notna()
    if named.any():
        partner[named] = countries(
            names[named], scheme="name", source=SOURCE, column="partner_name"
        )
    return {S.PARTNER: partner, S.PARTNER_ORIGINAL: names}


def _value_usd(raw: pd.DataFrame, period: pd.Series, rates) -> pd.Series:
    usd = raw["value_usd"].astype("Float64") if "value_usd" in raw else None
    cny = raw["value_cny"].astype("Float64") if "value_cny" in raw else None
    if cny is None or cny.isna().all():
        return usd if usd is not None else pd.Series(pd.NA, index=raw.index, dtype="Float64")
    needs = cny.notna() & (usd.isna() if usd is not None else True)
    converted = pd.Series(pd.NA, index=raw.index, dtype="Float64")
    if needs.any():
        converted[needs] = convert(cny[needs], period[needs], rates, currency="CNY", source=SOURCE)
    return converted if usd is None else usd.fillna(converted)


def _quantities(raw: pd.DataFrame) -> dict[str, pd.Series]:
    q1, u1 = raw["quantity_1"].astype("Float64"), raw["unit_1"].astype("string")
    q2 = raw["quantity_2"].astype("Float64") if "quantity_2" in raw else q1 * pd.NA
    u2 = (raw["unit_2"].astype("string") if "unit_2" in raw
          else pd.Series(pd.NA, index=raw.index, dtype="string"))
    weight = kilograms(q1, u1).fillna(kilograms(q2, u2))
    other_q = q2.where(u2.notna() & ~is_mass(u2), q1.where(u1.notna() & ~is_mass(u1)))
    other_u = u2.where(u2.notna() & ~is_mass(u2), u1.where(u1.notna() & ~is_mass(u1)))
    return {S.NET_WEIGHT_KG: weight, S.QUANTITY: other_q, S.QUANTITY_UNIT: other_u}
