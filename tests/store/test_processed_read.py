"""Reading a processed table gives what ``pyarrow.Table.to_pandas()`` gives, with less memory.

``ProcessedStore.read`` converts text columns through dictionaries so that repeated values
share one Python object. Reference: ``table.to_pandas()`` on the same file, compared with
``pandas.testing.assert_frame_equal`` (exact: values, dtypes, missing values, column order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from retrade.store.processed import ProcessedStore


def _frame(seed: int, n: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = rng.choice(["CHN", "JPN", "USA", None], n)
    return pd.DataFrame({
        "reporter": pd.array(codes, dtype="string"),
        "note": pd.Series(rng.choice(["a", "b", None], n), dtype=object),
        "stage": pd.Categorical(rng.choice(["ores", "metals"], n)),
        "year": rng.integers(2010, 2025, n),
        "value": pd.array(np.where(rng.random(n) < 0.1, np.nan, rng.random(n)), "Float64"),
        "flag": rng.random(n) < 0.5,
        "empty_text": pd.array([None] * n, dtype="string"),
    })


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_read_equals_to_pandas(tmp_path, seed):
    store = ProcessedStore(tmp_path / "processed")
    frame = _frame(seed)
    store.write_set({"panel": frame}, {"built_at": "now"})
    got = store.read("panel")
    expected = pq.read_table(store.path("panel")).to_pandas()
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got, frame, check_categorical=False)


def test_repeated_text_shares_one_object(tmp_path):
    store = ProcessedStore(tmp_path / "processed")
    store.write_set({"panel": _frame(0)}, {"built_at": "now"})
    text = store.read("panel")["reporter"].dropna()
    assert len({id(v) for v in text}) == text.nunique()
