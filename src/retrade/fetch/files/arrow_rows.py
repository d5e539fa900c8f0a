"""Whole-column helpers for importers that hand the store the Arrow table they parsed.

A Comtrade download of 10^6 rows is some 350 MB as Arrow columns; turning it
into pandas and back to Arrow for the store held two more copies of its text
(``benchmarks/RESULTS.md``, import). These helpers let an importer keep the
parsed table: they tell rows apart by integer codes of their key values
(:func:`retrade.store.rowkeys.key_codes`, which the raw store's read uses too)
and check that a key is unique, without a pandas copy of the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from retrade.store.rowkeys import key_codes

__all__ = ["check_unique_arrow", "key_codes"]


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
