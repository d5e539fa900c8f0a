"""Load the real files the model tests use, through retrade's own importers.

Files are read from ``../shared/data`` at run time (never copied):

* ``WITS_LONG``: China's exports by partner, 2010-2024, HS 280530/284690/850511, read
  by the ``wits`` importer (observed rows only) and mapped by the WITS panel adapter.
* ``MONTHLY_HS6`` and ``MONTHLY_GROUPS``: China's monthly exports (2017-2024) per RE
  line and per mineral group, read by the ``monthly_table`` importer. These tables
  are aggregates with no panel adapter, so they become monthly series here.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from retrade.fetch.files import read_file
from retrade.panel.adapters import wits

WITS_LONG = ("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv")
MONTHLY_HS6 = ("qennis-china-critical-minerals",
               "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv")
MONTHLY_GROUPS = ("qennis-china-critical-minerals", "overview_monthly.csv")


@functools.lru_cache(maxsize=2)
def wits_panel(path: Path) -> pd.DataFrame:
    """Panel rows of a WITS file (importer + adapter); callers must not mutate the result."""
    return wits.to_panel(read_file(path).table)


def monthly_series(path: Path, *, key: str, value: str) -> pd.DataFrame:
    """A monthly table as one column per ``key`` value, on a monthly PeriodIndex."""
    table = read_file(path).table
    wide = table.pivot(index="period", columns=key, values=value)
    wide.index = pd.PeriodIndex(wide.index, freq="M")
    return wide
