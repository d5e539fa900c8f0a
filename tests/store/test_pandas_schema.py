"""``pandas_schema``: the schema a processed table is written with, from templates per dtype.

Compared with ``pa.Schema.from_pandas(frame, preserve_index=False)`` (the
call it replaces), pandas metadata included, byte for byte: the stored files'
hashes depend on it. Frames it does not build from templates go to pyarrow
whole, so they are compared too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from retrade.store.processed import pandas_schema

N = 4
PLAIN = {
    "text": pd.array(["a", None, "b", "a"], dtype="string"),
    "float": pd.array([1.5, None, 2.0, 0.0], dtype="Float64"),
    "float32": pd.array([1.5, None, 2.0, 0.0], dtype="Float32"),
    "int": pd.array([1, None, 3, 4], dtype="Int64"),
    "int32": pd.array([1, None, 3, 4], dtype="Int32"),
    "flag": pd.array([True, None, False, True], dtype="boolean"),
    "np_float": np.array([1.0, np.nan, 2.0, 3.0]),
    "np_int": np.arange(N, dtype=np.int64),
    "np_int8": np.arange(N, dtype=np.int8),
    "np_uint": np.arange(N, dtype=np.uint32),
    "np_bool": np.array([True, False, True, True]),
}
OTHER = {  # metadata that depends on the values, or types from the values: pyarrow decides
    "object_text": np.array(["a", None, "b", "c"], dtype=object),
    "object_mixed": np.array(["a", 1, 2.5, None], dtype=object),
    "category": pd.Categorical(["x", "y", "x", None]),
    "when": pd.to_datetime(["2020-01-01", None, "2021-03-01", "2022-01-01"]),
    "when_tz": pd.to_datetime(["2020-01-01", None, "2021-03-01", "2022-01-01"]).tz_localize("UTC"),
}


def _same(frame: pd.DataFrame) -> None:
    try:
        expected = pa.Schema.from_pandas(frame, preserve_index=False)
    except (ValueError, TypeError, pa.ArrowException) as exc:  # refused: refused alike
        with pytest.raises(type(exc)):
            pandas_schema(frame)
        return
    got = pandas_schema(frame)
    assert got.equals(expected, check_metadata=True), (got, expected)
    assert got.metadata == expected.metadata  # the JSON text itself, byte for byte


@pytest.mark.parametrize("column", sorted(PLAIN))
def test_each_plain_dtype_gives_pyarrows_schema(column):
    _same(pd.DataFrame({column: PLAIN[column]}))
    _same(pd.DataFrame({column: PLAIN[column]}).iloc[:0])


@pytest.mark.parametrize("column", sorted(OTHER))
def test_frames_with_other_dtypes_give_pyarrows_schema(column):
    _same(pd.DataFrame({**PLAIN, column: OTHER[column]}))


def test_all_plain_dtypes_together_any_index_and_no_columns():
    frame = pd.DataFrame(PLAIN, index=pd.Index([7, 3, 9, 1], name="row"))
    _same(frame)
    _same(frame.iloc[::-1])
    _same(frame[["np_int", "text"]])
    _same(pd.DataFrame(index=range(3)))
    _same(pd.DataFrame())


def test_names_and_attributes_the_templates_cannot_carry_go_to_pyarrow():
    frame = pd.DataFrame(PLAIN)
    with_attrs = frame.copy()
    with_attrs.attrs = {"source": "wits"}
    _same(with_attrs)
    _same(pd.DataFrame({0: PLAIN["text"], "b": PLAIN["int"]}))  # a column name that is no str
    named = frame.copy()
    named.columns.name = "field"
    _same(named)
    _same(pd.DataFrame({"é ü": PLAIN["text"], 'quote"d': PLAIN["float"]}))  # JSON escapes


def test_duplicate_column_names_are_refused_as_pyarrow_refuses_them():
    frame = pd.concat([pd.DataFrame({"a": PLAIN["int"]}), pd.DataFrame({"a": PLAIN["text"]})],
                      axis=1)
    with pytest.raises(ValueError):
        pa.Schema.from_pandas(frame, preserve_index=False)
    _same(frame)
