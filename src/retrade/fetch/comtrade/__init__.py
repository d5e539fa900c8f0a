"""UN Comtrade: the v1 API (keyless preview and keyed data API) into ``data/raw/comtrade/``.

>>> from retrade.fetch.comtrade import build_request
>>> build_request(reporters="USA", partners="CHN", hs="magnets", periods="2023").cmds
('850511',)
"""

from retrade.fetch.comtrade.bulk import fetch_comtrade_bulk
from retrade.fetch.comtrade.client import ComtradeClient
from retrade.fetch.comtrade.fetcher import (
    SOURCE,
    estimate_comtrade,
    fetch_comtrade,
    read_comtrade,
)
from retrade.fetch.comtrade.planner import (
    KEYED_LIMITS,
    PREVIEW_LIMITS,
    Call,
    Estimate,
    Limits,
    estimate,
    plan,
)
from retrade.fetch.comtrade.reference import (
    REFERENCE_LISTS,
    CatalogCheck,
    check_catalog,
    known_reporters,
    reference_table,
    refresh_reference,
)
from retrade.fetch.comtrade.request import ComtradeRequest, build_request

__all__ = [
    "KEYED_LIMITS", "PREVIEW_LIMITS", "REFERENCE_LISTS", "SOURCE", "Call", "CatalogCheck",
    "ComtradeClient", "ComtradeRequest", "Estimate", "Limits", "build_request", "check_catalog",
    "estimate", "estimate_comtrade", "fetch_comtrade", "fetch_comtrade_bulk", "known_reporters",
    "plan", "read_comtrade",
    "reference_table", "refresh_reference",
]
