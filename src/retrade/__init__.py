"""retrade: rare-earth trade data, econometrics and forecasting.

>>> import retrade as rt
>>> rt.hs_codes("compounds")
['284610', '284690']
"""

from __future__ import annotations

from retrade.catalog import hs_codes, to_iso3
from retrade.config import Settings, load_settings
from retrade.errors import RetradeError, RetradeWarning

__version__ = "0.1.0"

__all__ = [
    "RetradeError",
    "RetradeWarning",
    "Settings",
    "hs_codes",
    "load_settings",
    "to_iso3",
]
