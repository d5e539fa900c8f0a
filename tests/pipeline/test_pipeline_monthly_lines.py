"""Which monthly table feeds the intervention analysis: unsplit totals first, else the sum of blocs.

Tolerance: exact (sums of a few floats that are whole numbers).
"""

from __future__ import annotations

import pandas as pd

from retrade.pipeline.restrictions import monthly_lines


def _rows(table, bloc, values, hs6="284690"):
    return pd.DataFrame({
        "table": table, "period": ["2024-01", "2024-02"], "reporter": "CHN", "flow": "export",
        "hs6": hs6, "partner": pd.NA, "bloc": bloc, "value_usd": values,
    })


def test_a_bloc_split_table_is_summed_over_blocs():
    monthly = pd.concat([_rows("by_bloc", "Adversary", [1.0, 2.0]),
                         _rows("by_bloc", "Intermediary", [10.0, 20.0])])
    line = monthly_lines(monthly)["284690"]
    assert line.tolist() == [11.0, 22.0]
    assert "sum of blocs" in line.name
    assert str(line.index[0]) == "2024-01"


def test_an_unsplit_table_wins_over_a_bloc_split_one():
    monthly = pd.concat([_rows("by_bloc", "Adversary", [1.0, 2.0]),
                         _rows("world", pd.NA, [100.0, 200.0])])
    line = monthly_lines(monthly)["284690"]
    assert line.tolist() == [100.0, 200.0]
    assert "sum of blocs" not in line.name


def test_partner_rows_and_other_reporters_are_ignored():
    other = _rows("world", pd.NA, [5.0, 6.0]).assign(reporter="USA")
    partner = _rows("p", pd.NA, [7.0, 8.0]).assign(partner="JPN")
    assert monthly_lines(pd.concat([other, partner])) == {}
