"""Comtrade/M49 numbers map to the codes country_converter's own table gives.

The numeric codes are read from country_converter's data file without building
a ``CountryConverter`` (:func:`retrade.catalog.countries._coco_codes`). The
reference is the converter itself: the table ``CountryConverter().data`` holds
after its loader has filtered it, and the mapping built from that table as
retrade built it before. Tolerance: none, the two are compared exactly
(values, missing cells, dtypes, row order).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from retrade.catalog import countries as C


def _mapping_from_the_converter() -> dict[int, str]:
    """The M49 -> ISO3 mapping as built from ``CountryConverter().data`` (the previous path)."""
    table = C._coco_table().dropna(subset=["UNcode"])
    return {int(code): iso for code, iso in zip(table["UNcode"], table["ISO3"], strict=True)}


def test_the_codes_read_from_the_file_are_the_converters_table():
    from country_converter.country_converter import COUNTRY_DATA_FILE

    assert C._coco_data_file() == Path(COUNTRY_DATA_FILE)
    pd.testing.assert_frame_equal(C._coco_codes(), C._coco_table()[["ISO3", "UNcode"]],
                                  check_exact=True)


def test_the_m49_mapping_equals_the_one_built_from_the_converter():
    expected = _mapping_from_the_converter()
    assert list(C._m49_to_iso3().items()) == list(expected.items())
    assert len(expected) > 240 and expected[156] == "CHN" and expected[392] == "JPN"
    numbers = [*expected, 0, 490, 842, 97, 899, 123456]
    assert [C.comtrade_to_iso3(n) for n in numbers] == [
        C.COMTRADE_SPECIAL[n][0] if n in C.COMTRADE_SPECIAL else expected.get(n)
        for n in numbers]
