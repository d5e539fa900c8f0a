"""The build's shortcuts against the code they replaced (the panel build at 10^5-10^6 rows).

Each replaced step is run here beside its previous form on the same inputs,
and the two are compared exactly (tolerance: none; the shortcuts skip work
whose result is known, they compute nothing differently): a code's first
row without sorting (against ``np.unique``), the raw store's de-duplication
on the key columns that vary (against grouping on every key column), and
the raw rows' text read through dictionaries (against ``to_pandas``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retrade.panel.distinct import column_codes, combine_codes, first_rows, row_codes


def _previous_row_codes(frame: pd.DataFrame | pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``retrade.panel.distinct.row_codes`` before (combine, then sort for the first rows)."""
    columns = [frame] if isinstance(frame, pd.Series) else [frame[c] for c in frame.columns]
    codes = combine_codes([column_codes(column) for column in columns])
    _, first = np.unique(codes, return_index=True)
    return codes, first


def _columns(rng: np.random.Generator, n: int) -> dict[str, pd.Series]:
    text = pd.Series(rng.choice(["CHN", "JPN", "USA", None], n), dtype="string")
    numbers = pd.Series(pd.array(rng.choice([156, 392, 842, 0], n), dtype="Int64"))
    numbers[rng.random(n) < 0.1] = pd.NA
    floats = pd.Series(rng.choice([1.5, np.nan, 2.5, -0.0, 0.0], n))
    return {"text": text, "numbers": numbers, "floats": floats,
            "objects": text.astype(object), "one value": pd.Series(["A"] * n, dtype="string")}


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
def test_first_rows_without_sorting_are_numpys(n):
    rng = np.random.default_rng(n)
    columns = _columns(rng, n)
    for name, column in columns.items():
        new, old = row_codes(column), _previous_row_codes(column)
        np.testing.assert_array_equal(new[0], old[0], err_msg=name)
        np.testing.assert_array_equal(new[1], old[1], err_msg=name)
    frame = pd.DataFrame(columns)
    for new, old in zip(row_codes(frame), _previous_row_codes(frame), strict=True):
        np.testing.assert_array_equal(new, old)
    for codes in (rng.integers(0, 5, n), rng.integers(-3, 3, n), np.arange(n)[::-1],
                  np.repeat(np.arange(n // 2 + 1) * 3, 2)[:n]):
        np.testing.assert_array_equal(first_rows(codes), np.unique(codes, return_index=True)[1])
