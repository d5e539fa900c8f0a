"""Bundled reference tables: built faithfully from ../shared/data/reference, unverified rows out.

Tolerance: exact (text equality of every kept row against its source row).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import retrade.reference as ref
from retrade.reference.parse import parse_date, parse_value

SOURCE_COLUMN = {"published_estimates": "study"}


@pytest.mark.parametrize("name", sorted(ref.DESCRIPTIONS))
def test_bundled_table_is_the_source_minus_unverified(shared, name):
    source = pd.read_csv(shared("reference", f"{name}.csv"), dtype=str, keep_default_na=False)
    bundled = ref.load(name)
    expected = source[source["status"].str.lower() != "unverified"].reset_index(drop=True)
    assert len(bundled) == len(expected)
    assert not (bundled["status"] == "unverified").any()
    raw_bundled = pd.read_csv(
        __import__("importlib").resources.files("retrade.reference") / "data" / f"{name}.csv",
        dtype=str,
        keep_default_na=False,
    )
    pd.testing.assert_frame_equal(raw_bundled[list(source.columns)], expected)
    assert (bundled[SOURCE_COLUMN.get(name, "source")].str.strip() != "").all()


@pytest.mark.parametrize(
    ("text", "num", "low", "high", "qualifier"),
    [
        (">95", 95, 95, math.inf, ">"),
        ("<60", 60, -math.inf, 60, "<"),
        ("60-70", 65, 60, 70, "range"),
        ("~80", 80, 80, 80, "~"),
        ("7,900", 7900, 7900, 7900, "exact"),
        ("91 -> 2377", math.nan, math.nan, math.nan, "text"),
        ("", math.nan, math.nan, math.nan, "missing"),
    ],
)
def test_parse_value_keeps_the_mark(text, num, low, high, qualifier):
    parsed = parse_value(text)
    for got, want in ((parsed.num, num), (parsed.low, low), (parsed.high, high)):
        assert (math.isnan(got) and math.isnan(want)) or got == want
    assert parsed.qualifier == qualifier


def test_parse_date_forms_and_error():
    assert parse_date("2010-07")[1] == pd.Timestamp("2010-07-31")
    assert parse_date("2020-2024")[2] == "years"
    with pytest.raises(ValueError, match="'Q3 2010'"):
        parse_date("Q3 2010")


def test_every_bundled_event_has_a_parsed_date():
    events = ref.policy_events()
    assert events["date_start"].notna().all()
    assert (events["date_end"] >= events["date_start"]).all()


def test_preferred_production_is_one_row_per_country_year():
    prod = ref.mine_production()
    assert not prod.duplicated(["country", "year"]).any()
    world = prod[(prod["iso3"] == "WLD") | (prod["country"] == "World")]
    assert (world["value"] > 0).all()


def test_unknown_table_names_the_value():
    with pytest.raises(Exception, match="'nope'"):
        ref.load("nope")
