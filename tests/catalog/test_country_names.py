"""Country names from China customs, Census and Comext codes map to retrade codes.

Reference: the partner code lists of the GACC platform (Chinese and English,
original GBK files and the chinautils author's cleaned copies) and the Census
Schedule C list with its ISO2 column, all read here at run time.
"""

from __future__ import annotations

import pandas as pd
import pytest

from retrade.catalog import name_to_iso3, to_iso3

GACC = "china-customs-samples"
# GACC partner entries that are not economies, and where they go (reasons: country_names_zh.csv)
NON_COUNTRIES = {
    "199": "XOA",
    "299": "XOF",
    "399": "XOE",
    "499": "XRA",
    "599": "XNA",
    "699": "XOO",
    "701": "XNS",
    "702": "XSC",
    "999": "XNS",
    "207": "ESP",
    "210": "ESP",
    "256": "ESP",  # Canary Islands, Ceuta, Melilla
    "409": "BES",
    "436": "BES",
    "438": "SXM",  # Bonaire, Saba, Saint Martin
    "604": "PYF",
    "605": "PYF",
    "612": "PYF",
    "615": "PYF",
    "616": "PYF",
    "349": "SCG",
    "449": "ANT",  # historic: Serbia and Montenegro, Netherlands Antilles
    "110": "HKG",
    "121": "MAC",
    "143": "TWN",
    "142": "CHN",
}
# the platform's English list has no name for 349 (a NUL byte); its Chinese name maps
BLANK_IN_ENGLISH = {"349"}


def _gacc_list(path) -> dict[str, str]:
    """code -> name of a platform code list: GBK, names unquoted and possibly with commas."""
    lines = path.read_bytes().decode("gb18030").splitlines()[1:]
    out = {}
    for line in lines:
        code, _, rest = line.partition(",")
        out[code] = rest[:-1] if rest.endswith(",") else rest
    return out


@pytest.fixture(scope="module")
def gacc_zh():
    from conftest import shared_path

    return _gacc_list(shared_path(GACC, "gacc_codes_partners_zh-TradingPartner.csv"))


@pytest.fixture(scope="module")
def gacc_en():
    from conftest import shared_path

    return _gacc_list(shared_path(GACC, "gacc_codes_partners_en-TradingPartner.csv"))


def test_every_chinese_partner_name_maps(gacc_zh):
    assert len(gacc_zh) > 230
    unmatched = {code: name for code, name in gacc_zh.items() if name_to_iso3(name) is None}
    assert unmatched == {}
    for code, iso in NON_COUNTRIES.items():
        assert name_to_iso3(gacc_zh[code]) == iso, (code, gacc_zh[code])


def test_every_english_partner_name_maps_to_the_same_code(gacc_zh, gacc_en):
    assert set(gacc_en) == set(gacc_zh)
    assert gacc_en["109"] == "Korea,DPR" and gacc_en["110"] == "Hong Kong，China"  # the quirks
    mismatched = {
        code: (name, name_to_iso3(name), name_to_iso3(gacc_zh[code]))
        for code, name in gacc_en.items()
        if code not in BLANK_IN_ENGLISH and name_to_iso3(name) != name_to_iso3(gacc_zh[code])
    }
    assert mismatched == {}
    assert all(not gacc_en[code].strip("\x00 ") for code in BLANK_IN_ENGLISH)


def test_cleaned_partner_lists_map_too(shared):
    en = pd.read_csv(
        shared(GACC, "EDITED_gacc_codes_partners_en-TradingPartner-cleaned-manually_UTF8.csv"),
        dtype=str,
        keep_default_na=False,
    )
    zh = pd.read_csv(
        shared(GACC, "EDITED_gacc_codes_partners_zh-TradingPartner-cleaned-manually_UTF8.csv"),
        dtype=str,
        keep_default_na=False,
    )
    both = en.merge(zh, on="code")
    assert len(both) == len(en) == len(zh)
    for code, name_en, name_zh in zip(both["code"], both["en"], both["zh"], strict=True):
        iso_zh = name_to_iso3(name_zh)
        assert iso_zh is not None, (code, name_zh)
        if code not in BLANK_IN_ENGLISH:
            assert name_to_iso3(name_en) == iso_zh, (code, name_en, name_zh)


def test_census_schedule_c_names(shared):
    table = pd.read_csv(
        shared("census-samples", "ustrade_census_schedule_c_country_codes.csv"),
        index_col=0,
        dtype=str,
        keep_default_na=False,
    )
    assert len(table) == 240
    not_iso = {"GZ": "PSE", "WE": "PSE", "KV": "XKX"}  # Census's own two-letter codes
    for name, iso2 in zip(table["Country"], table["ISO"], strict=True):
        expected = not_iso.get(iso2) or to_iso3([iso2], scheme="iso2")[0]
        assert name_to_iso3(name) == expected, (name, iso2)


def test_iso2_codes_as_eurostat_writes_them():
    assert to_iso3(["EL", "GR", "UK", "GB", "DE", "CN"], scheme="iso2") == [
        "GRC",
        "GRC",
        "GBR",
        "GBR",
        "DEU",
        "CHN",
    ]
