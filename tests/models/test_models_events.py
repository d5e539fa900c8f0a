"""Policy events as treatments: curated mapping, source rows, timing rules, validation.

Tolerance: exact (dates, codes and periods are compared for equality).
"""

from __future__ import annotations

import pandas as pd
import pytest

from retrade.errors import SpecificationError
from retrade.models.events import (
    CURATED,
    check_coverage,
    define_treatment,
    first_post,
    last_post,
    straddling,
    treatment,
    treatments,
)
from retrade.reference import policy_events

NAMES = ["2010 quota cut", "2010-09 Japan halt", "2015 quota removal", "2023-12 technology ban",
         "2024-10 regulations", "2025-04 controls", "2025-10 controls"]
ANNUAL = list(range(2010, 2025))
MONTHLY = list(pd.period_range("2017-01", "2024-12", freq="M"))


def test_every_issue_event_is_curated_from_one_bundled_row():
    table = treatments()
    assert table["name"].tolist() == NAMES
    # the date, name, end layout retrade.forecast takes as events
    assert str(table["date"].dtype).startswith("datetime64") and table["end"].notna().sum() == 2
    events = policy_events()
    for curated in CURATED:
        rows = events[(events["date"] == curated.row_date)
                      & (events["event_type"] == curated.row_type)]
        assert len(rows) == 1, curated.name
        t = treatment(curated.name)
        assert rows.iloc[0]["description"] in t.source
        assert t.caveat and t.hs6


def test_april_2025_controls_carry_elements_and_partial_mapping():
    t = treatment("2025-04 CONTROLS")  # case-insensitive
    assert t.elements == ("Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y")
    assert t.hs6 == ("280530", "284690", "850511")
    assert "only parts" in t.caveat
    october = treatment("2025-10 controls")
    assert october.end == pd.Timestamp("2025-11-07")
    assert treatment("2010-09 Japan halt").partners == ("JPN",)
    assert treatment("2015 quota removal").direction == "liberalization"


@pytest.mark.parametrize("name, frequency, timing, first, mixed", [
    ("2015 quota removal", "A", "full", 2015, None),
    ("2023-12 technology ban", "A", "full", 2024, 2023),
    ("2023-12 technology ban", "M", "full", pd.Period("2024-01", "M"), pd.Period("2023-12", "M")),
    ("2024-10 regulations", "M", "full", pd.Period("2024-10", "M"), None),
    ("2024-10 regulations", "A", "partial", 2024, None),
])
def test_first_post_period_and_partly_treated_period(name, frequency, timing, first, mixed):
    t = treatment(name)
    assert first_post(t, frequency, timing) == first
    assert straddling(t, frequency, timing) == mixed


@pytest.mark.parametrize("name, periods, frequency, timing, message", [
    ("2025-04 controls", ANNUAL, "A", "full", "outside the data"),
    ("2025-04 controls", MONTHLY, "M", "full", "outside the data"),
    ("2024-10 regulations", ANNUAL, "A", "full", "timing='partial'"),
    ("2010 quota cut", ANNUAL, "A", "full", "no pre-event period.*partly treated 2010"),
    ("2015 quota removal", MONTHLY, "M", "full", "no pre-event period"),
    ("2010-09 Japan halt", ANNUAL, "A", "full", "does not cover one full year"),
    ("2025-10 controls", MONTHLY, "M", "partial", "outside the data"),
])
def test_events_the_data_do_not_cover_are_clear_errors(name, periods, frequency, timing, message):
    with pytest.raises(SpecificationError, match=message):
        check_coverage(treatment(name), periods, frequency, timing)


def test_covered_events_pass():
    check_coverage(treatment("2015 quota removal"), ANNUAL, "A")
    check_coverage(treatment("2023-12 technology ban"), MONTHLY, "M")
    check_coverage(treatment("2024-10 regulations"), ANNUAL, "A", "partial")
    assert last_post(treatment("2010-09 Japan halt"), "M") == pd.Period("2010-11", "M")


@pytest.mark.parametrize("kwargs, message", [
    ({"hs6": ["28053"]}, "HS6"),
    ({"elements": ["Nd", "Fe"]}, "Fe"),
    ({"partners": ["japan"]}, "japan"),
    ({"end": "2019-01-01"}, "before it starts"),
])
def test_user_treatments_are_validated(kwargs, message):
    with pytest.raises(SpecificationError, match=message):
        define_treatment("mine", "2020-01-01", **kwargs)


def test_unknown_event_lists_the_curated_names():
    with pytest.raises(SpecificationError, match="2015 quota removal"):
        treatment("2016 quota")
