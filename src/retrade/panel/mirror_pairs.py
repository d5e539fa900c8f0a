"""The mirror flows' pairs made on arrays: one group-by for three flows, a join on integer keys.

:func:`retrade.panel.mirror.coded_mirror_flows` pairs each export with its
mirror import. Its reference path (``retrade.panel.mirror._coded_pairs``)
groups each flow apart and joins them with two pandas merges and a sort:
some 400 pandas calls whatever the rows, most of the step's time at 10^4
rows. :func:`array_pairs` gives the same columns with some 40: the flow is
the leading digit of one integer key, so one pandas sum (the same
compensated sum over the same rows in the same order) serves all three
flows, and the outer join of exports and imports is the sorted union of
their keys. ``tests/panel/test_mirror_fixed_cost.py`` compares the two
exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retrade.catalog.countries import kind_of
from retrade.panel import schema as S

PAIR: tuple[str, ...] = (S.FREQUENCY, S.PERIOD, S.HS6, "exporter", "importer")
# the pairs' key columns, as categoricals of their text
KEYS: tuple[str, ...] = (*PAIR[:3], S.STAGE, *PAIR[3:], "export_source", "import_source")
_FLOWS: tuple[str, ...] = ("export", "import", "re-export")


def code_arrays(panel: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Sorted codes of the grouping columns (missing: last) and the text they stand for.

    Reporters and partners share one scale (``country``: the reporters'
    codes, then the partners'), so an exporter's code is the same whether it
    reports or is reported.

    Examples
    --------
    >>> p = pd.DataFrame({c: ["x"] for c in ("frequency", "period", "hs6", "stage", "source")}
    ...                  | {"reporter": ["JPN"], "partner": ["CHN"]})
    >>> codes, labels = code_arrays(p)
    >>> codes["country"].tolist(), list(labels["country"])
    ([1, 0], ['CHN', 'JPN'])
    """
    codes, labels = {}, {}
    for name, columns in [(S.FREQUENCY, [S.FREQUENCY]), (S.PERIOD, [S.PERIOD]), (S.HS6, [S.HS6]),
                          ("country", [S.REPORTER, S.PARTNER]), (S.STAGE, [S.STAGE]),
                          (S.SOURCE, [S.SOURCE])]:
        codes[name], labels[name] = _sorted_codes([panel[c] for c in columns])
    return codes, labels


def _sorted_codes(columns: list[pd.Series]) -> tuple[np.ndarray, object]:
    """Codes of the values of ``columns`` one after the other, numbered as they sort (missing:
    last), and the values as text: ``pd.factorize(..., sort=True)`` of their concatenation.

    Categoricals with the same sorted text categories (the build's coded view) are renumbered
    from their codes over the categories they use, without hashing the rows.
    """
    dtype = columns[0].dtype
    if isinstance(dtype, pd.CategoricalDtype) and isinstance(dtype.categories.dtype,
                                                              pd.StringDtype) \
            and dtype.categories.is_monotonic_increasing \
            and all(isinstance(c.dtype, pd.CategoricalDtype)
                    and c.dtype.categories.equals(dtype.categories) for c in columns):
        code = np.concatenate([np.asarray(c.array.codes, dtype=np.int64) for c in columns])
        used = np.bincount(code[code >= 0], minlength=len(dtype.categories)) > 0
        number = np.append(np.cumsum(used) - 1, int(used.sum()))  # -1 (missing): the last
        return number[code], pd.array(dtype.categories[used], dtype="string")
    values = columns[0] if len(columns) == 1 else pd.concat(columns, ignore_index=True)
    code, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    # missing sorts last, as in groupby
    return np.where(code < 0, len(uniques), code), pd.array(uniques, dtype="string")


def array_pairs(panel: pd.DataFrame) -> dict[str, object] | None:
    """The columns of the pairs the mirror flows read, in the pairs' order, without frames.

    The key columns (:data:`KEYS`) as categoricals, the sides' values and
    weights (NaN: missing), ``reexport_value_usd`` and whether each side's
    value is estimated (False where the side is absent): what
    ``retrade.panel.mirror._pairs_of_frame`` reads of ``_coded_pairs``.

    The three flows are grouped at once: the flow is the leading digit of one
    integer key (mixed radix), summed by pandas' own sum, so each pair's sum
    is the same compensated sum over the same rows in the same order. Each
    flow's pairs are then a sorted run of that key, and the outer join of
    exports and imports on the pair and stage is the sorted union of their
    keys (the order the merge and the sort by pair gave). ``None`` where
    ``_coded_pairs`` must do it: no pairs, keys too wide for one integer, or a
    pair that several sources report (its error).

    Examples
    --------
    >>> rows = pd.DataFrame({"source": "comtrade", "frequency": "A", "period": "2022",
    ...     "hs6": "280530", "stage": "metals", "reporter": ["CHN", "JPN"],
    ...     "partner": ["JPN", "CHN"], "flow": ["export", "import"], "value_usd": [100.0, 112.0],
    ...     "value_fob_usd": None, "value_cif_usd": None, "net_weight_kg": [10.0, 11.0],
    ...     "value_estimated": False})
    >>> pairs = array_pairs(rows)
    >>> pairs["exporter"].tolist(), pairs["import_value_cif"].tolist()
    (['CHN'], [112.0])
    """
    codes, labels = code_arrays(panel)
    n = len(panel)
    flow = _flow_numbers(panel[S.FLOW])
    reporter, partner = codes["country"][:n], codes["country"][n:]
    keep = (flow < len(_FLOWS)) & _countries(partner, labels["country"])
    imports = flow == 1
    digits = [flow, codes[S.FREQUENCY], codes[S.PERIOD], codes[S.HS6],
              np.where(imports, partner, reporter), np.where(imports, reporter, partner),
              codes[S.STAGE], codes[S.SOURCE]]
    digits = [np.asarray(d[keep], dtype=np.int64) for d in digits]
    widths = [int(d.max()) + 1 if len(d) else 1 for d in digits]
    if not keep.any() or float(np.prod(widths, dtype=float)) >= 2.0 ** 62:
        return None
    groups = _grouped(digits, widths, keep, *_row_values(panel, flow))
    if groups is None:
        return None
    return _joined(groups, widths, labels)


def _flow_numbers(flow: pd.Series) -> np.ndarray:
    """0 export, 1 import, 2 re-export, 3 anything else (missing too), for each row."""
    code, uniques = pd.factorize(flow, use_na_sentinel=True)
    number = {name: i for i, name in enumerate(_FLOWS)}
    lookup = np.array([number.get(str(u), len(_FLOWS)) for u in uniques] + [len(_FLOWS)])
    return lookup[code]  # code -1 (missing): the last


def _countries(partner: np.ndarray, countries: object) -> np.ndarray:
    """Whether each partner code is a country (:func:`kind_of`; missing is not)."""
    kinds = [kind_of(code) == "country" for code in np.asarray(countries, dtype=object)]
    return np.array([*kinds, False], dtype=bool)[partner]


def _floats(column: pd.Series) -> np.ndarray:
    """``column.astype(float).to_numpy()``, straight from a ``Float64`` column's array."""
    if isinstance(column.dtype, pd.Float64Dtype):
        return column.array.to_numpy(dtype=float, na_value=np.nan)
    return column.astype(float).to_numpy()


def _row_values(panel: pd.DataFrame, flow: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each row's value (its FOB or CIF value where positive, else ``value_usd``), weight and
    whether its value is estimated."""
    usd = _floats(panel[S.VALUE_USD])
    preferred = np.where(flow == 1, _floats(panel[S.VALUE_CIF_USD]),
                         _floats(panel[S.VALUE_FOB_USD]))
    value = np.where((flow < 2) & (preferred > 0), preferred, usd)  # re-exports: value_usd
    estimated = panel[S.VALUE_ESTIMATED]
    if isinstance(estimated.dtype, pd.BooleanDtype):
        estimated = estimated.array.to_numpy(dtype=bool, na_value=False)
    else:
        estimated = estimated.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return value, _floats(panel[S.NET_WEIGHT_KG]), estimated


def _grouped(digits, widths, keep, value, weight, estimated) -> dict[str, np.ndarray] | None:
    """One row per flow, pair, stage and source: its digits, sums and whether any is estimated."""
    key = np.zeros(len(digits[0]), dtype=np.int64)
    for column, width in zip(digits, widths, strict=True):
        key = key * width + column
    group, distinct = pd.factorize(key, sort=True)
    # an Index key: pandas would first look an array key up among the columns (and print
    # it into the error it catches: 1.7 ms for 1,000 rows)
    sums = pd.DataFrame({"_value": value[keep], "_weight": weight[keep]}).groupby(
        pd.Index(group)).sum(min_count=1)
    out = {"_value": sums["_value"].to_numpy(), "_weight": sums["_weight"].to_numpy(),
           "_est": np.bincount(group, weights=estimated[keep], minlength=len(distinct)) > 0}
    source = distinct % widths[-1]
    out["key"] = distinct // widths[-1]  # flow, pair and stage
    out["source"], out["flow"] = source, out["key"] // int(np.prod(widths[1:-1]))
    pair = out["key"] // widths[-2]  # flow and pair: each once, or several sources report it
    if len(pair) > 1 and (pair[1:] == pair[:-1]).any():
        return None
    return out


def _joined(groups: dict[str, np.ndarray], widths: list[int], labels: dict) -> dict[str, object]:
    """Exports and imports side by side on the pair and stage, re-exports on the pair."""
    span = int(np.prod(widths[1:-1]))  # the pair's and stage's share of the key
    key, flow = groups["key"] % span, groups["flow"]
    rows = [np.flatnonzero(flow == number) for number in range(len(_FLOWS))]
    union = _sorted_union(key[rows[0]], key[rows[1]])
    found = [_found(key[r], r, union) for r in rows[:2]]
    found.append(_found(key[rows[2]] // widths[-2], rows[2], union // widths[-2]))
    out = _key_columns(union, widths[1:-1], labels)
    for name, side in (("export_source", found[0]), ("import_source", found[1])):
        out[name] = _categorical(np.where(side >= 0, groups["source"][side], -1), labels[S.SOURCE])
    for (name, column), side in zip([("export_value_fob", "_value"),
                                     ("import_value_cif", "_value"),
                                     ("export_weight_kg", "_weight"),
                                     ("import_weight_kg", "_weight"),
                                     ("reexport_value_usd", "_value")],
                                    [found[0], found[1], found[0], found[1], found[2]],
                                    strict=True):
        out[name] = np.where(side >= 0, groups[column][side], np.nan)
    out["export_estimated"] = (found[0] >= 0) & groups["_est"][found[0]]
    out["import_estimated"] = (found[1] >= 0) & groups["_est"][found[1]]
    return out


def _sorted_union(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``np.union1d`` of two sorted runs of distinct keys: a merge (stable sort), not a hash."""
    keys = np.sort(np.concatenate([first, second]), kind="stable")
    return keys[np.append(True, keys[1:] != keys[:-1])] if len(keys) else keys


def _found(keys: np.ndarray, rows: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The row of each wanted key among ``keys`` (sorted, distinct; at ``rows``), or -1."""
    if not len(keys):
        return np.full(len(wanted), -1, dtype=np.intp)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, rows[at], -1)


def _key_columns(union: np.ndarray, widths: list[int], labels: dict) -> dict[str, object]:
    """The pair's and stage's categoricals from their joint key (digits in ``widths``)."""
    names = [*PAIR, S.STAGE]
    digits = {}
    for name, width in reversed(list(zip(names, widths, strict=True))):
        union, digits[name] = np.divmod(union, width)
    kinds = {"exporter": "country", "importer": "country"}
    return {name: _categorical(digits[name], labels[kinds.get(name, name)]) for name in KEYS
            if name in digits}


def _categorical(codes: np.ndarray, labels: object) -> pd.Categorical:
    """Codes as a categorical of ``labels`` (a code past the last label: missing)."""
    return pd.Categorical.from_codes(np.where(codes >= len(labels), -1, codes),
                                     categories=labels)
