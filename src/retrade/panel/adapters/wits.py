"""WITS rows (source ``wits``) to panel rows.

One raw row is one WITS "By HS6 Product" observation: reporter and partner by
name (WITS spelling), ``Trade Value 1000USD`` and ``Quantity`` with its unit,
one year. Values become US dollars (x 1000, rounded to a thousandth of a dollar
to undo float noise), quantities in a mass unit become ``net_weight_kg``.
"""

from __future__ import annotations

import pandas as pd

from retrade.errors import HarmonizeError
from retrade.panel import schema as S
from retrade.panel.adapters._common import catalog_rows, countries, finish, is_mass, kilograms

SOURCE = "wits"
# one observation, as the importer keys it: a later download of the same row replaces it
RAW_KEY: tuple[str, ...] = ("Reporter", "Partner", "ProductCode", "Year", "TradeFlow")
# the raw column of HS codes: rows outside the catalog are left out, and the build counts them
HS_COLUMN = "ProductCode"
FLOWS: dict[str, str] = {
    "export": "export",
    "exports": "export",
    "gross exp.": "export",
    "import": "import",
    "imports": "import",
    "gross imp.": "import",
    "re-export": "re-export",
    "re-exports": "re-export",
    "re-import": "re-import",
    "re-imports": "re-import",
}


def to_panel(raw: pd.DataFrame) -> pd.DataFrame:
    """Panel rows for the rare-earth catalog lines of WITS rows.

    Parameters
    ----------
    raw : DataFrame
        Rows as :mod:`retrade.fetch.files.wits` stores them.

    Returns
    -------
    DataFrame
        Validated panel rows (annual), partners and reporters as ISO3 with
        the WITS names kept in ``*_original``.

    Raises
    ------
    HarmonizeError
        A reporter, partner or trade flow that cannot be mapped, named.
    """
    raw = catalog_rows(raw, "ProductCode")
    flow = raw["TradeFlow"].astype("string").str.strip().str.lower().map(FLOWS)
    if flow.isna().any():
        unknown = sorted(set(raw.loc[flow.isna(), "TradeFlow"].astype(str)))
        raise HarmonizeError(f"wits: unknown trade flow(s) {unknown}; known: {sorted(FLOWS)}")
    unit = raw["Quantity Unit"].astype("string")
    quantity = raw["Quantity"].astype("Float64")
    year = raw["Year"].astype("Int64")
    frame = pd.DataFrame(
        {
            S.SOURCE: SOURCE,
            S.FREQUENCY: "A",
            S.PERIOD: year.astype("string"),
            S.YEAR: year,
            S.REPORTER: countries(raw["Reporter"], scheme="name", source=SOURCE, column="Reporter"),
            S.REPORTER_ORIGINAL: raw["Reporter"].astype("string"),
            S.PARTNER: countries(raw["Partner"], scheme="name", source=SOURCE, column="Partner"),
            S.PARTNER_ORIGINAL: raw["Partner"].astype("string"),
            S.FLOW: flow,
            S.HS_ORIGINAL: raw["ProductCode"].astype("string"),
            S.VALUE_USD: (raw["Trade Value 1000USD"].astype("Float64") * 1000).round(3),
            S.NET_WEIGHT_KG: kilograms(quantity, unit),
            S.QUANTITY: quantity.where(~is_mass(unit)),
            S.QUANTITY_UNIT: unit.where(~is_mass(unit)),
        }
    )
    return finish(frame)
