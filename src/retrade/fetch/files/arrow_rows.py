"""Whole-column helpers for importers that hand the store the Arrow table they parsed.

A Comtrade download of 10^6 rows is some 350 MB as Arrow columns; turning it
into pandas and back to Arrow for the store held two more copies of its text
(``benchmarks/RESULTS.md``, import). These helpers let an importer keep the
parsed table: they tell rows apart by integer codes of their key values and
check that a key is unique, without a pandas copy of the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


def check_unique_arrow(
    table: pa.Table, key: Sequence[str], *, path: str | Path, what: str = "observation"
) -> None:
    """:func:`~retrade.fetch.files.base.check_unique` on an Arrow table, without pandas text.

    Rows are compared by :func:`key_codes`; only when a key repeats are the key
    columns converted to pandas, so the error names the repeat in the very words
    of ``check_unique``.

    Examples
    --------
    >>> check_unique_arrow(pa.table({"k": [1, 2]}), ["k"], path="f.csv")
    >>> check_unique_arrow(pa.table({"k": [1, 1]}), ["k"], path="f.csv")
    Traceback (most recent call last):
    ...
    retrade.errors.ImportFormatError: f.csv: 2 rows repeat the same observation (k), e.g. {'k': 1}
    """
    from retrade.fetch.files.base import check_unique, nullable_frame

    codes = key_codes(table, key)
    codes.sort()  # in place, where a hash table of 10^6 distinct codes held some 40 MB
    if not (codes[1:] == codes[:-1]).any():
        return
    check_unique(nullable_frame(table.select(list(key))), key, path=path, what=what)
    raise AssertionError("key codes and pandas disagree on repeated keys")  # pragma: no cover
