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


@pytest.mark.parametrize("rows", [500, 60_000])
def test_a_set_is_written_alike_in_turn_and_side_by_side(tmp_path, monkeypatch, rows):
    """Small sets are written one table after the other, large ones with conversion and
    writing overlapped (``_THREAD_ROWS``): the files, their hashes and the record agree."""
    from retrade.store import processed

    tables = {"panel": _frame(0, rows), "quality": _frame(1, rows // 10), "mirror": _frame(2)}
    written = {}
    for name, threshold in (("in turn", 10**12), ("side by side", 0)):
        monkeypatch.setattr(processed, "_THREAD_ROWS", threshold)
        store = ProcessedStore(tmp_path / name)
        hashes = store.write_set(tables, {"built_at": "now"})
        written[name] = (hashes, {t: store.path(t).read_bytes() for t in tables},
                         store.read_json("panel_build"))
    assert written["in turn"] == written["side by side"]


@pytest.mark.parametrize("threshold", [0, 10**12], ids=["side by side", "in turn"])
def test_a_table_that_cannot_be_written_leaves_the_old_set(tmp_path, monkeypatch, threshold):
    from retrade.store import processed

    monkeypatch.setattr(processed, "_THREAD_ROWS", threshold)
    store = ProcessedStore(tmp_path / "processed")
    old = store.write_set({"panel": _frame(0), "quality": _frame(1)}, {"built_at": "then"})
    broken = _frame(2).assign(note=pd.Series([1, "a"] * 250, dtype=object))  # mixed: refused
    with pytest.raises(Exception, match="Could not convert .a."):
        store.write_set({"panel": _frame(3), "quality": broken}, {"built_at": "now"})
    assert store.set_hashes() == old
    store.verify()
    assert not list((tmp_path / "processed").glob(".set-*"))  # no staging folder left
