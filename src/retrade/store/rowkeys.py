"""Rows told apart by integer codes of their key values, on Arrow tables, without pandas text.

The raw store keeps the newest row of each key when it reads a source
(:meth:`retrade.store.RawStore.read`); importers check that a download's key is
unique (:mod:`retrade.fetch.files.arrow_rows`). Both compare rows by one
``int64`` per row (:func:`key_codes`): each key column dictionary-encoded by
pyarrow, the codes combined by place value. At 10^6 rows finding that no key
repeats so takes about 0.12 s, where pyarrow's Acero group-by took 0.63 s, and
at 10^4 rows 1 ms against 13-25 ms (the group-by's set-up).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# codes stay below this bound, so multiplying one by a column's number of values cannot overflow
_CODE_BOUND = 2**62


def key_codes(table: pa.Table, columns: Sequence[str]) -> np.ndarray:
    """One ``int64`` per row, equal exactly where the rows hold the same values in ``columns``.

    Missing values are equal to each other, as in :meth:`pandas.DataFrame.duplicated`
    and ``groupby(dropna=False)``. Each column is dictionary-encoded and the
    codes are combined by place value; when the combination could overflow,
    the codes so far are renumbered first. For integer, text and boolean columns.

    Examples
    --------
    >>> t = pa.table({"a": ["x", "y", "x", None], "b": [1, 2, 1, None]})
    >>> key_codes(t, ["a", "b"]).tolist()
    [0, 4, 0, 8]
    """
    codes = np.zeros(table.num_rows, dtype=np.int64)
    bound = 1
    for name in columns:
        encoded = pc.dictionary_encode(table.column(name), null_encoding="encode")
        if encoded.num_chunks == 0:
            continue
        size = max(len(encoded.chunk(0).dictionary), 1)  # one dictionary for every chunk
        if bound * size >= _CODE_BOUND:
            codes, uniques = pd.factorize(codes)
            bound = max(len(uniques), 1)
        indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks])
        codes *= size  # in place: a 10^6-row key is 12 columns of codes
        codes += indices.to_numpy()
        bound *= size
    return codes


def last_of_each(codes: np.ndarray) -> np.ndarray | None:
    """Positions of the last row of each distinct code, in row order; ``None`` if none repeats.

    What a group-by taking the largest row number of each key gives, sorted.

    Examples
    --------
    >>> last_of_each(np.array([7, 3, 7, 1, 3])).tolist()
    [2, 3, 4]
    >>> last_of_each(np.array([2, 1])) is None
    True
    """
    ordered = np.sort(codes)
    if not (ordered[1:] == ordered[:-1]).any():
        return None
    del ordered
    order = np.argsort(codes, kind="stable")  # within a code, rows stay in their order
    ranked = codes[order]
    ends = np.append(ranked[1:] != ranked[:-1], True)  # the last of each run of one code
    last = order[ends]
    last.sort()
    return last
