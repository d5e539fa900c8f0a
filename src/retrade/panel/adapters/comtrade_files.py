"""Comtrade v1 rows imported from downloaded files (source ``comtrade_files``) to panel rows.

The importer stores these rows in the Comtrade API's own shape (v1 field names
and JSON types), so the Comtrade API adapter maps them; only the ``source``
label differs, which keeps file imports and API fetches apart in the panel.
"""

from __future__ import annotations

import pandas as pd

from retrade.catalog.comtrade_v1 import V1_KEY
from retrade.panel.adapters import comtrade

SOURCE = "comtrade_files"
# v1 rows keyed as the API adapter keys them: a revised download replaces the rows it repeats
RAW_KEY: tuple[str, ...] = V1_KEY
RAW_COLUMNS: tuple[str, ...] = comtrade.RAW_COLUMNS  # the fields the Comtrade adapter reads

# to_panel takes the raw text columns as categoricals (the build reads them so: fewer passes)
RAW_TEXT_CODES = True


def to_panel(raw: pd.DataFrame) -> pd.DataFrame:
    """Panel rows for Comtrade v1 rows read from files (mapped by the Comtrade adapter)."""
    return comtrade.to_panel(raw, source=SOURCE)
