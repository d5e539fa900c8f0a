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
from retrade.panel.mirror import coded_mirror_flows, typed_mirror
from retrade.panel.quality import coded_quality_table, conform_quality
from retrade.panel.sources import select_sources

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


def categoricals(frame: pd.DataFrame) -> pd.DataFrame:
    """The categorical columns of ``frame`` (all a conversion from codes needs; the rest is freed).

    Examples
    --------
    >>> categoricals(pd.DataFrame({"a": pd.Categorical(["x"]), "b": [1.0]})).columns.tolist()
    ['a']
    """
    return frame[[c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]]


def quality_tables(view: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quality table of ``view``, and its rows before typing (categoricals go to Arrow).

    Examples
    --------
    >>> panel = pd.DataFrame({"source": "wits", "frequency": "A", "period": ["2020", "2022"],
    ...     "reporter": "CHN", "partner": "JPN", "flow": "export", "hs6": "280530",
    ...     "value_usd": 1.0, "net_weight_kg": 1.0, "value_estimated": False,
    ...     "weight_estimated": False})
    >>> typed, coded = quality_tables(coded_panel(panel))
    >>> typed["period"].tolist(), coded["reporter"].dtype.name
    (['2021', '2021'], 'category')
    """
    coded = coded_quality_table(view)
    return conform_quality(coded), categoricals(coded)


def mirror_tables(panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mirror flows of ``panel``, and the same rows with their text still categoricals.

    Examples
    --------
    >>> rows = pd.DataFrame({"source": "comtrade", "frequency": "A", "period": "2022",
    ...     "year": 2022, "hs6": "280530", "stage": "metals",
    ...     "reporter": ["CHN", "JPN"], "partner": ["JPN", "CHN"], "flow": ["export", "import"],
    ...     "value_usd": [100.0, 112.0], "net_weight_kg": [10.0, 11.0]})
    >>> typed, coded = mirror_tables(rows)
    >>> typed["exporter"].tolist(), coded["exporter"].dtype.name
    (['CHN'], 'category')
    """
    coded = coded_mirror_flows(panel)
    return typed_mirror(coded), categoricals(coded)


def one_per_flow(view: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """``select_sources`` of the panel for the mirror flows; a panel of one source as it is.

    ``view`` is :func:`coded_panel` of ``panel``. :func:`select_sources` hands
    back a renumbered copy of a panel of one source (nothing to choose); the
    mirror flows only read it, and the build's panel is numbered from 0, so the
    copy of every column is skipped. Sources are ranked on their text.

    Examples
    --------
    >>> p = pd.DataFrame({"source": ["wits", "comtrade"], "frequency": "A", "period": "2020",
    ...     "reporter": "CHN", "partner": "JPN", "flow": "export", "hs6": "280530"})
    >>> one_per_flow(coded_panel(p), p)["source"].tolist()
    ['comtrade']
    """
    source, index = panel[S.SOURCE], panel.index
    if len(panel) and isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 \
            and source.notna().all() and source.nunique() == 1:
        return view
    return select_sources(view.assign(**{S.SOURCE: source}))
