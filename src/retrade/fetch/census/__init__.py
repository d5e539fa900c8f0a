"""US Census Bureau trade API: monthly US imports and exports into ``data/raw/census/``.

>>> from retrade.fetch.census import build_census_request
>>> build_census_request(flows="imports", hs="magnets", periods="2024-01").codes
('850511',)
"""

from retrade.fetch.census.client import CensusClient, parse_table
from retrade.fetch.census.fetcher import SOURCE, fetch_census, read_census, revised_after
from retrade.fetch.census.planner import GET, CensusCall, key_columns, plan
from retrade.fetch.census.request import DATASETS, FLOWS, CensusRequest, build_census_request

__all__ = [
    "DATASETS", "FLOWS", "GET", "SOURCE", "CensusCall", "CensusClient", "CensusRequest",
    "build_census_request", "fetch_census", "key_columns", "parse_table", "plan", "read_census",
    "revised_after",
]
