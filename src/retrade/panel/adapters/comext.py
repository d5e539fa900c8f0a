"""Eurostat Comext rows (source ``comext``) to panel rows.

Each raw row is one indicator; the adapter pairs ``VALUE_IN_EUROS`` and
``QUANTITY_IN_100KG`` (and ``SUPPLEMENTARY_QUANTITY``) of the same flow.
Reporters and partners are ISO2 codes (Eurostat writes Greece ``EL`` or ``GR``
and the United Kingdom ``UK`` or ``GB``); ``WORLD`` is World and ``EU27_2020``
the European Union. Comext's own partner codes for stores and provisions
(``QP``-``QS``) map to bunkers (``XBU``) and "not specified" (``QU``-``QZ``) to
areas nes (``XNS``); intra- and extra-EU aggregates are refused, since they are
neither a country nor the world.

Quantities: 100 kg x 100 = kg. Values are in euros: give ``eur_per_usd`` (euros
per US dollar by period) to fill ``value_usd``; without it ``value_usd`` stays
empty with a :class:`~retrade.errors.DataQualityWarning`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from retrade.errors import HarmonizeError
from retrade.panel import schema as S
from retrade.panel.adapters._common import catalog_rows, convert, countries, finish

SOURCE = "comext"
# one observation, as the importer keys it: a revised download replaces it (LAST UPDATE is not key)
RAW_KEY: tuple[str, ...] = (
    "freq", "reporter", "partner", "product", "flow", "indicators", "TIME_PERIOD",
)
# the raw column of HS codes: rows outside the catalog are left out, and the build counts them
HS_COLUMN = "product"
FLOWS = {1: "import", 2: "export"}
AGGREGATES: dict[str, str] = {
    "WORLD": "WLD",
    "EU27_2020": "EUN",
    "EU": "EUN",
    "EU27": "EUN",
    "QP": "XBU",
    "QQ": "XBU",
    "QR": "XBU",
    "QS": "XBU",
    "QU": "XNS",
    "QV": "XNS",
    "QW": "XNS",
    "QX": "XNS",
    "QY": "XNS",
    "QZ": "XNS",
    "XC": "ESP",
    "XL": "ESP",
    "XS": "SRB",
}
_REFUSED = ("INT_EU27_2020", "EXT_EU27_2020", "EXTRA_EU", "INTRA_EU", "EA", "EA19", "EA20")


def to_panel(
    raw: pd.DataFrame, *, eur_per_usd: Mapping[str, float] | pd.DataFrame | None = None
) -> pd.DataFrame:
    """Panel rows for the rare-earth catalog lines of Comext rows.

    Parameters
    ----------
    raw : DataFrame
        Rows as :mod:`retrade.fetch.files.comext` stores them.
    eur_per_usd : mapping or DataFrame, optional
        Euros per US dollar by period (``"2024-01"`` or ``"2024"``).

    Returns
    -------
    DataFrame
        Validated panel rows (monthly or annual as the file's ``freq``).
    """
    wide = _wide(catalog_rows(raw, "product"))
    period = wide["TIME_PERIOD"].astype("string")
    monthly = wide["freq"] == "M"
    frame = pd.DataFrame(
        {
            S.SOURCE: SOURCE,
            S.FREQUENCY: wide["freq"].astype("string"),
            S.PERIOD: period,
            S.YEAR: period.str[:4].astype("Int64"),
            S.MONTH: period.str[5:7].where(monthly).astype("Int64"),
            S.REPORTER: _codes(wide["reporter"], column="reporter"),
            S.REPORTER_ORIGINAL: wide["reporter"].astype("string"),
            S.PARTNER: _codes(wide["partner"], column="partner"),
            S.PARTNER_ORIGINAL: wide["partner"].astype("string"),
            S.FLOW: wide["flow"].astype(int).map(FLOWS).astype("string"),
            S.HS_ORIGINAL: wide["product"].astype("string"),
            S.VALUE_USD: convert(
                wide["VALUE_IN_EUROS"], period, eur_per_usd, currency="EUR", source=SOURCE
            ),
            S.NET_WEIGHT_KG: (wide["QUANTITY_IN_100KG"] * 100).astype("Float64"),
            S.QUANTITY: wide["SUPPLEMENTARY_QUANTITY"].astype("Float64"),
            S.QUANTITY_UNIT: pd.Series(
                "supplementary unit", index=wide.index, dtype="string"
            ).where(wide["SUPPLEMENTARY_QUANTITY"].notna()),
        },
        index=wide.index,
    )
    return finish(frame)


def _wide(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per flow with the indicators as columns."""
    index = ["freq", "reporter", "partner", "product", "flow", "TIME_PERIOD"]
    if raw.empty:
        wide = pd.DataFrame(columns=index)
    else:  # the importer refused repeated observations, so pivot needs no aggregation
        wide = raw.pivot(index=index, columns="indicators", values="OBS_VALUE").reset_index()
    wide.columns.name = None
    for indicator in ("VALUE_IN_EUROS", "QUANTITY_IN_100KG", "SUPPLEMENTARY_QUANTITY"):
        if indicator not in wide:
            wide[indicator] = pd.NA
        wide[indicator] = wide[indicator].astype("Float64")
    return wide


def _codes(values: pd.Series, *, column: str) -> pd.Series:
    text = values.astype("string").str.strip().str.upper()
    refused = sorted(set(text[text.isin(_REFUSED)]))
    if refused:
        raise HarmonizeError(
            f"comext {column}: {refused} are EU or euro-area aggregates, not a country or the "
            "world; query partners individually (or WORLD) and import that file"
        )
    special = text.map(AGGREGATES)
    out = special.astype("string")
    plain = special.isna()
    if plain.any():
        out[plain] = countries(text[plain], scheme="iso2", source=SOURCE, column=column)
    return out
