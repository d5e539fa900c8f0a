"""Comtrade bulk-file rows (source ``comtrade_bulk``) to panel rows.

:mod:`retrade.fetch.comtrade.bulk_file` stores the rows of Comtrade bulk final files in
the v1 shape (the API's field names and JSON types, without the label fields the
bulk files do not carry), so the Comtrade API adapter maps them; only the
``source`` label differs, which keeps bulk files and API fetches apart.
"""

from __future__ import annotations

import pandas as pd

from retrade.panel.adapters import comtrade

SOURCE = "comtrade_bulk"
RAW_KEY: tuple[str, ...] = comtrade.RAW_KEY
RAW_COLUMNS: tuple[str, ...] = comtrade.RAW_COLUMNS


def to_panel(raw: pd.DataFrame) -> pd.DataFrame:
    """Panel rows for Comtrade v1 rows read from bulk files (mapped by the Comtrade adapter)."""
    return comtrade.to_panel(raw, source=SOURCE)
