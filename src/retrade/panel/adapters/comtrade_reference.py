"""Raw source ``comtrade_reference`` (Comtrade's reporter and partner lists) -> no panel rows.

The lists describe codes, not trade flows: they serve the catalog check and the
request validation (:mod:`retrade.fetch.comtrade.reference`). This module
exists so that a panel builder that visits every raw source finds an adapter
for this one, and gets an empty, typed panel from it.
"""

from __future__ import annotations

import pandas as pd

from retrade.panel import schema as S


def to_panel(raw: pd.DataFrame, *, source: str = "comtrade_reference") -> pd.DataFrame:
    """An empty panel: reference lists hold no flows.

    Examples
    --------
    >>> len(to_panel(pd.DataFrame({"id": [156], "text": ["China"]})))
    0
    """
    return S.empty_panel()
