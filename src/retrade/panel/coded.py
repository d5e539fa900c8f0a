"""The panel with its text key columns as categoricals, made once for the build's later steps.

The quality table (:mod:`retrade.panel.quality`) and the mirror flows
(:mod:`retrade.panel.mirror`) each turn the panel's text columns (source,
frequency, period, reporter, partner, flow, hs6, stage) into sorted integer
codes before they group, select and sort; at 3x10^5 rows each such
factorization takes some 20 ms, and the two steps made thirteen of them
after the key sort and validation had made seven of the same columns.
:func:`coded_panel` gives both steps one view of the panel in which those
columns are categoricals whose categories are the sorted distinct values
(what ``astype("category")`` makes), built from the key sort's codes where
it has them. Both steps take such a view as they take text: the tables they
return are the same (``tests/panel/test_build_fast_paths.py`` compares them
exactly); their text columns are typed as text again on the way out.

Reporters and partners share one set of categories (the union of both), so
the mirror flows can stack the two columns without converting them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from retrade.panel import schema as S

CODED: tuple[str, ...] = (S.SOURCE, S.FREQUENCY, S.PERIOD, S.REPORTER, S.PARTNER, S.FLOW,
                          S.HS6, S.STAGE)


def coded_panel(panel: pd.DataFrame,
                codes: Mapping[str, tuple[np.ndarray, pd.Index]] | None = None) -> pd.DataFrame:
    """``panel`` with the :data:`CODED` columns as categoricals of sorted categories.

    ``codes`` are sorted codes of some columns of these very rows, as
    :func:`retrade.panel.schema.sorted_and_validated` returns them (``-1``:
    missing); the other columns are factorized here. The other columns of the
    panel are the panel's own (not copied): the view is for reading.

    Examples
    --------
    >>> p = pd.DataFrame({"reporter": pd.array(["JPN", "CHN"], dtype="string"),
    ...     "partner": pd.array(["USA", None], dtype="string"), "kg": [1.0, 2.0]})
    >>> view = coded_panel(p)
    >>> list(view["reporter"].cat.categories), view["partner"].tolist()
    (['CHN', 'JPN', 'USA'], ['USA', <NA>])
    """
    codes = dict(codes or {})
    present = [c for c in CODED if c in panel.columns]
    for column in present:
        if column not in codes:
            codes[column] = pd.factorize(panel[column], sort=True, use_na_sentinel=True)
    if S.REPORTER in codes and S.PARTNER in codes:
        codes.update(_shared(codes[S.REPORTER], codes[S.PARTNER], (S.REPORTER, S.PARTNER)))
    columns = {}
    for column in panel.columns:
        if column in present:
            code, uniques = codes[column]
            dtype = pd.CategoricalDtype(pd.Index(uniques, dtype=panel[column].dtype))
            columns[column] = pd.Series(pd.Categorical.from_codes(code, dtype=dtype),
                                        index=panel.index)
        else:
            columns[column] = panel[column]
    return pd.DataFrame(columns, index=panel.index, copy=False)


def _shared(first: tuple, second: tuple, names: tuple[str, str]) -> dict[str, tuple]:
    """Both columns' codes re-numbered on the union of their (sorted) values."""
    union = pd.Index(first[1]).union(pd.Index(second[1]))  # sorted, as both are
    out = {}
    for name, (code, uniques) in zip(names, (first, second), strict=True):
        position = np.append(union.get_indexer(pd.Index(uniques)), -1)  # -1 stays missing
        out[name] = (position[code], union)
    return out
