"""The results contract shared by the dual-chain and capacity models.

Every results object returns ``.tidy()`` with the fixed columns in
:data:`TIDY_COLUMNS` (term, estimate, std_error, statistic, p_value, conf_low,
conf_high). This module holds that contract, so each model module only fills rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

TIDY_COLUMNS: tuple[str, ...] = (
    "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
)


def tidy_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """A tidy table from row dicts: contract columns first (missing ones as NaN), extras after.

    Examples
    --------
    >>> tidy_frame([{"term": "slope", "estimate": 0.5}]).columns.tolist()[:3]
    ['term', 'estimate', 'std_error']
    """
    frame = pd.DataFrame(list(rows))
    for column in TIDY_COLUMNS:
        if column not in frame.columns:
            frame[column] = "" if column == "term" else np.nan
    extras = [c for c in frame.columns if c not in TIDY_COLUMNS]
    out = frame[[*TIDY_COLUMNS, *extras]]
    for column in TIDY_COLUMNS[1:]:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out.reset_index(drop=True)
