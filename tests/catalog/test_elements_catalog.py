"""The element catalog against the official GACC code list, the event registry and a second library.

References, each independent of how the catalog was built (the build tool reads the
lines' Chinese names):

* the GACC code list itself (``../shared/data/china-customs-samples/``, read at test
  time): every line-year must be in the catalog once, and the element and form of each
  line are read here again from the lines' *English* names;
* the event registry (:mod:`retrade.models.events`): which elements each control names;
* ``periodictable`` (NIST/IUPAC atomic weights): oxide-to-element factors. Tolerance
  2e-5 relative: the two atomic-weight tables differ in the fifth significant digit at
  most (CIAAW 2021 abridged values against periodictable's).
"""

from __future__ import annotations

import re

import pandas as pd
import periodictable
import pytest

from retrade.catalog import elements as E
from retrade.errors import CatalogError, SchemaError
from retrade.models.events import treatment

FOLDER = "china-customs-samples"
CODES = "DERIVED_gacc_rare_earth_hs8_codes_2015_2023.csv"
NAMES = {name: symbol for symbol, name in E.ELEMENT_NAMES.items()}
NAMES.update({"eurapium": "Eu", "lutecia": "Lu"})  # as GACC's English list spells them
EN_FORMS = (("hydroxide", "other compound"), ("oxide", "oxide"), ("chloride", "chloride"),
            ("fluoride", "fluoride"), ("carbonate", "carbonate"), ("compounds", "other compound"),
            ("not intermixed", "metal"))


@pytest.fixture(scope="module")
def code_list(request):
    from conftest import shared_path

    table = pd.read_csv(shared_path(FOLDER, CODES), dtype=str)
    return table.assign(year=table["year"].astype(int))


def _english(name: str) -> tuple[str | None, str | None]:
    """(element, form) read from an English line name; element None for pooled lines."""
    text = name.lower()
    pooled = re.search(r"mixture|intermixed/alloyed|inter- mixed|rare-earth", text)
    words = re.findall(r"[a-z]+", text)
    named = [NAMES[w] for w in words if w in NAMES]
    form = next((f for mark, f in EN_FORMS if mark in text), None)
    return (None if pooled or len(named) != 1 else named[0]), form


def test_every_line_year_of_the_code_list_is_in_the_catalog_once(code_list):
    ours = E.line_years()[["code", "year"]]
    theirs = code_list[["code", "year"]]
    assert len(ours) == len(theirs) == 508
    merged = theirs.merge(ours, on=["code", "year"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]


def test_element_and_form_match_the_english_names(code_list):
    ours = E.line_years().set_index(["code", "year"])
    checked = 0
    for row in code_list.itertuples(index=False):
        element, form = _english(row.name_en)
        line = ours.loc[(row.code, row.year)]
        if row.code[:4] in ("2530", "2612", "8505"):
            assert line["scope"] in ("all", "none") and line["element"] == ""
            continue
        if element is None:  # pooled: "other", n.e.s., mixtures -> never one element
            assert line["scope"] in ("other", "mixture"), row
            assert line["element"] == ""
        else:
            assert (line["scope"], line["element"]) == ("element", element), row
            checked += 1
        if form is not None and line["form"] != "mixture":
            assert line["form"] == form, row
    assert checked == 9 * 42 + 2 * 2  # 42 element lines in all years, Sc and Lu from 2022


@pytest.mark.parametrize("code, year, form, scope, element", [
    ("28053012", 2015, "metal", "element", "Dy"),
    ("28469015", 2023, "oxide", "element", "Dy"),
    ("28469016", 2019, "oxide", "element", "Tb"),
    ("28469014", 2023, "oxide", "element", "Eu"),
    ("28469018", 2022, "oxide", "element", "Lu"),
    ("28053018", 2023, "metal", "element", "Sc"),
    ("28461020", 2020, "other compound", "element", "Ce"),
    ("28469028", 2018, "chloride", "mixture", ""),
    ("28469048", 2018, "carbonate", "mixture", ""),
    ("28053029", 2021, "mixture", "mixture", ""),
    ("28469019", 2021, "oxide", "other", ""),
    ("85051110", 2023, "magnet", "all", ""),
    ("25309020", 2015, "ore", "all", ""),
])
def test_spot_checks(code, year, form, scope, element):
    line = E.line_years().set_index(["code", "year"]).loc[(code, year)]
    assert (line["form"], line["scope"], line["element"]) == (form, scope, element)


def test_reclassification_in_2022_moves_scandium_and_lutetium_out_of_the_other_lines():
    lines = E.line_years().set_index(["code", "year"])
    assert "Sc" in lines.loc[("28053019", 2021), "elements"].split()
    assert "Sc" not in lines.loc[("28053019", 2022), "elements"].split()
    assert "Lu" in lines.loc[("28469019", 2021), "elements"].split()
    assert "Lu" not in lines.loc[("28469019", 2022), "elements"].split()
    assert not ((lines.index.get_level_values("code") == "28469018")
                & (lines.index.get_level_values("year") < 2022)).any()


@pytest.mark.parametrize("event, column", [("2025-04 controls", "april_2025"),
                                           ("2025-10 controls", "october_2025")])
def test_coverage_follows_the_event_registry(event, column):
    controlled = set(treatment(event).elements)
    lines = E.element_lines()
    single = lines[lines["scope"] == "element"]
    assert set(single.loc[single[column] == "all", "element"]) == controlled & set(
        single["element"])
    assert (single.loc[~single["element"].isin(controlled), column] == "none").all()
    pooled = lines[lines["scope"].isin(["other", "mixture"])]
    expected = [("part" if m or controlled & set(e.split()) else "none")
                for e, m in zip(pooled["elements"], pooled["mixtures"], strict=True)]
    assert pooled[column].tolist() == expected
    assert (lines.loc[lines["form"] == "ore", column] == "none").all()


def test_the_seven_april_elements_and_which_have_lines_of_their_own():
    april = set(treatment("2025-04 controls").elements)
    assert april == {"Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"}
    own = set(E.element_lines().query("scope == 'element'")["element"])
    assert april & own == {"Tb", "Dy", "Lu", "Sc", "Y"}  # Sm and Gd only in pooled HS8 lines
    national = E.national_lines("CHN")
    assert {"Sm", "Gd"} <= set(national["elements"].str.split().explode())


@pytest.mark.parametrize("element", sorted(E.OXIDES))
def test_oxide_factors_match_periodictable(element):
    oxide = E.OXIDES[element]
    metal = getattr(periodictable, element).mass * oxide.metal_atoms
    expected = metal / periodictable.formula(oxide.formula).mass
    assert oxide.fraction == pytest.approx(expected, rel=2e-5)


def test_national_codes_of_announcement_18_in_the_bundled_events_row():
    import retrade.reference as ref

    events = ref.policy_events()
    row = events[(events["date"] == "2025-04-04") & (events["event_type"] == "export_control")]
    named = set(re.findall(r"\b\d{10}\b", row["affected_products"].iloc[0]))
    assert named and named <= set(E.national_lines("CHN")["code"])
    chn = E.national_lines("CHN")
    parents = chn.loc[chn["code"].str[:2].isin(["28"]), "parent"]
    assert set(parents) <= set(E.element_lines()["code"])
    assert (chn["code"].str[:8] == chn["parent"]).all()
    assert set(E.national_lines()["status"]) <= {"verified", "secondary_copy"}


def test_provinces_match_the_gacc_province_list():
    from conftest import shared_path

    path = shared_path(FOLDER, "gacc_codes_provinces_china_customs_provinces.csv")
    theirs = pd.read_csv(path, encoding="gb18030", dtype=str, header=0, usecols=[0, 1])
    theirs.columns = ["code", "name_zh"]
    ours = E.china_provinces()
    assert ours[["code", "name_zh"]].to_dict("records") == theirs.to_dict("records")


def test_a_damaged_table_fails_validation_naming_the_check():
    bad = E.element_lines()
    bad.loc[0, "element"] = "Dy"  # an ore line naming one element
    with pytest.raises(SchemaError, match="only element lines"):
        E.validate_lines(bad)
    with pytest.raises(CatalogError, match="no national lines for 'JPN'"):
        E.national_lines("JPN")


@pytest.mark.parametrize("element", ["Dy", "terbium", "Sc"])
def test_select_lines_finds_every_line_the_code_list_names_for_the_element(code_list, element):
    """`retrade catalog elements -e X`: every 2023 line whose English name names X alone is
    listed, no line naming another single element is, and pooled lines come along."""
    symbol = E.element_symbol(element)
    got = E.select_lines(element=element, year=2023)
    year = code_list[code_list["year"] == 2023]
    read = year["name_en"].map(_english).str[0]
    assert set(year.loc[read == symbol, "code"]) <= set(got["code"])
    others = set(year.loc[read.notna() & (read != symbol), "code"])
    assert not others & set(got["code"])
    assert (got.loc[got["scope"] == "element", "element"] == symbol).all()
    assert {"mixture", "all"} <= set(got["scope"])


def test_catalog_elements_command_prints_the_lines():
    from typer.testing import CliRunner

    from retrade.cli import app

    result = CliRunner().invoke(app, ["catalog", "elements", "--element", "Tb", "--year", "2023"],
                                env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "28469016" in result.output and "terbium oxide" in result.output
    assert "28469015" not in result.output  # dysprosium oxide
