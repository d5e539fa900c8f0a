"""Which source to read when several report the same flow.

The panel is long by source: when UN Comtrade, a Comtrade CSV download and
US Census all hold US imports of 850511 from Japan in 2022, the panel keeps
all three rows, each with its ``source``. Nothing is averaged or dropped at
build time, so the disagreement stays visible. An analysis that needs one
number per flow picks a source per cell with :func:`select_sources`.

The default order (:data:`DEFAULT_PRIORITY`) prefers sources that are the
same on every reporter, so that shares and mirror flows compare like with
like: the Comtrade API first, then Comtrade bulk files, then Comtrade CSV
downloads and WITS (both Comtrade underneath), then the national sources
(Census API and files, China customs, Eurostat Comext, monthly tables),
then anything else in alphabetical order. The names are the raw store's
source names, which the panel's ``source`` column carries. Pass another
order to prefer national data, for example ``("census", "comtrade")`` for
US-only work at HTS10 detail.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from retrade.errors import SpecificationError
from retrade.panel import schema as S
from retrade.panel.distinct import renumbered

DEFAULT_PRIORITY: tuple[str, ...] = (
    "comtrade",
    "comtrade_bulk",
    "comtrade_files",
    "wits",
    "census",
    "census_files",
    "china_customs",
    "comext",
    "monthly_table",
)
# one cell: the same flow as any source would report it
CELL: tuple[str, ...] = (S.FREQUENCY, S.PERIOD, S.REPORTER, S.PARTNER, S.FLOW, S.HS6)


def source_rank(
    sources: Sequence[str], priority: Sequence[str] = DEFAULT_PRIORITY
) -> dict[str, int]:
    """Rank of each source (0 = preferred): listed sources in order, the rest alphabetically after.

    Examples
    --------
    >>> source_rank(["wits", "zeta", "comtrade", "alpha"])
    {'comtrade': 0, 'wits': 3, 'alpha': 9, 'zeta': 10}
    """
    order = list(dict.fromkeys(priority))
    rest = sorted(set(sources) - set(order))
    ranks = {name: i for i, name in enumerate([*order, *rest])}
    return {name: ranks[name] for name in sorted(set(sources), key=ranks.__getitem__)}


def select_sources(panel: pd.DataFrame, priority: Sequence[str] = DEFAULT_PRIORITY) -> pd.DataFrame:
    """Keep, for every flow, the rows of its most preferred source only.

    A flow is one ``frequency, period, reporter, partner, flow, hs6`` cell;
    all rows of the chosen source in that cell are kept (a national source
    can hold several HS8/HS10 lines of one HS6). The input is not changed.

    Examples
    --------
    >>> df = pd.DataFrame({"source": ["wits", "comtrade", "wits"], "frequency": "A",
    ...     "period": ["2020", "2020", "2021"], "reporter": "CHN", "partner": "JPN",
    ...     "flow": "export", "hs6": "280530", "value_usd": [9.0, 10.0, 7.0]})
    >>> select_sources(df)[["source", "period", "value_usd"]].values.tolist()
    [['comtrade', '2020', 10.0], ['wits', '2021', 7.0]]
    """
    missing = [c for c in (S.SOURCE, *CELL) if c not in panel.columns]
    if missing:
        raise SpecificationError(f"the panel lacks columns {missing}")
    if panel.empty:
        return panel.copy()
    ranks = source_rank(panel[S.SOURCE].dropna().unique().tolist(), priority)
    if len(ranks) == 1 and not panel[S.SOURCE].isna().any():  # one source: nothing to choose
        return renumbered(panel.copy())
    rank = panel[S.SOURCE].map(ranks)
    best = rank.groupby([panel[c] for c in CELL], dropna=False, observed=True).transform("min")
    return renumbered(panel[rank == best])
