"""Bad input is refused before any call, naming the value; planned calls stay within limits.

Planner figures are checked against closed forms (products of dimension
sizes, ceilings of ratios); no tolerance is needed.
"""

from __future__ import annotations

import math

import pytest

from retrade.config import load_settings
from retrade.errors import CatalogError, ConfigError
from retrade.fetch.comtrade import (
    KEYED_LIMITS,
    PREVIEW_LIMITS,
    Limits,
    build_request,
    fetch_comtrade,
)
from retrade.fetch.comtrade.planner import Call, fit, plan, split

GOOD = dict(reporters="CHN", partners="all", flows="X", hs="compounds", periods="2020")


@pytest.mark.parametrize(
    ("change", "error", "named"),
    [
        ({"hs": "999999"}, CatalogError, "999999"),
        ({"hs": ["284690", "7203"]}, CatalogError, "7203"),
        ({"reporters": "Atlantis"}, CatalogError, "Atlantis"),
        ({"partners": ["JPN", "XYZ"]}, CatalogError, "XYZ"),
        ({"reporters": "98765"}, CatalogError, "98765"),
        ({"reporters": "WLD"}, CatalogError, "is not a Comtrade reporter"),
        ({"reporters": "Areas, nes"}, CatalogError, "Areas, nes"),
        ({"partners": ["all", "JPN"]}, ConfigError, "cannot be combined"),
        ({"periods": "20-20"}, ConfigError, "20-20"),
        ({"periods": "2024-03"}, ConfigError, "is a month but frequency is 'A'"),
        ({"periods": "2024-2018"}, ConfigError, "ends before it starts"),
        ({"periods": "1950"}, ConfigError, "1950"),
        ({"periods": "2023-13", "frequency": "M"}, ConfigError, "month 13"),
        ({"flows": "imports,sideways"}, ValueError, "sideways"),
        ({"frequency": "Q"}, ValueError, "('A', 'M')"),
    ],
)
def test_bad_input_is_refused_before_any_call(httpserver, tmp_path, change, error, named):
    settings = load_settings(data_dir=tmp_path, comtrade_url=httpserver.url_for("/").rstrip("/"))
    with pytest.raises(error) as info:
        fetch_comtrade(settings=settings, progress=False, **{**GOOD, **change})
    assert named in str(info.value)
    assert httpserver.log == []


def test_reporters_outside_comtrades_list_are_refused_when_the_list_is_known():
    with pytest.raises(CatalogError, match="'JPN' \\(392\\) is not in Comtrade's reporter list"):
        build_request(**{**GOOD, "reporters": "JPN"}, known_reporters={156: "China"})


@pytest.mark.parametrize(
    ("periods", "frequency", "expected"),
    [
        ("2020", "A", ("2020",)),
        ("2018-2020", "A", ("2018", "2019", "2020")),
        (["2019", 2021], "A", ("2019", "2021")),
        ("2024-03", "M", ("202403",)),
        ("2023-11:2024-02", "M", ("202311", "202312", "202401", "202402")),
        ("2023", "M", tuple(f"2023{m:02d}" for m in range(1, 13))),
    ],
)
def test_period_forms(periods, frequency, expected):
    assert build_request(**{**GOOD, "periods": periods, "frequency": frequency}).periods == expected


def test_names_codes_and_words_all_resolve():
    r = build_request(reporters=["China", "usa", 392], partners="World,Viet Nam",
                      flows=["import", "RX"], hs=["magnets", "2846"], periods=2022)
    assert r.reporters == (156, 392, 842) and r.partners == (0, 704)
    assert r.flows == ("M", "RX") and r.cmds == ("2846", "850511")


STANDARD = dict(reporters=["CHN", "USA", "JPN", "DEU", "KOR", "VNM", "MYS", "EST"],
                partners="all", flows="M,X", hs="all", periods="2010-2024")


@pytest.mark.parametrize("limits", [PREVIEW_LIMITS, KEYED_LIMITS, Limits(max_records=1000)])
@pytest.mark.parametrize("partners", ["all", ["WLD", "CHN", "USA", "JPN"]])
def test_every_planned_call_is_within_limits_and_units_are_covered_once(limits, partners):
    request = build_request(**{**STANDARD, "partners": partners})
    calls = plan(request, endpoint="preview", limits=limits)
    covered = [(u, c.stem) for c in calls for u in c.units()]
    slices = {c.stem for c in calls}
    units = {(r, p) for r in request.reporters for p in request.periods}
    assert all(sum(1 for u2, s in covered if u2 == u and s == stem) <= 1
               for u in units for stem in slices)
    for call in calls:
        rows, _ = call.bound(limits)
        assert rows <= limits.max_records and len(call.periods) <= limits.max_periods
    # rows are conserved across slices: each unit's slices add up to the whole request
    total = sum(c.bound(limits)[0] for c in calls)
    n_partners = len(request.partners) if request.partners else limits.partners_estimate
    assert total == len(units) * len(request.flows) * len(request.cmds) * n_partners
    assert math.ceil(total / limits.max_records) <= len(calls)


def test_plan_skips_units_and_groups_the_rest():
    request = build_request(**{**STANDARD, "reporters": ["CHN", "USA"], "periods": "2020-2021"})
    calls = plan(request, endpoint="data", limits=KEYED_LIMITS,
                 skip=lambda r, p: (r, p) == (156, "2020"))
    units = sorted(u for c in calls for u in c.units())
    assert units == [(156, "2021"), (842, "2020"), (842, "2021")]


def test_long_urls_are_split():
    call = Call("data", "A", tuple(range(1, 900)), ("2020",), None, ("M",), ("284690",))
    pieces = fit(call, KEYED_LIMITS, use_estimates=False)
    assert len(pieces) > 1 and sorted(r for p in pieces for r in p.reporters) == list(range(1, 900))


def test_split_carries_what_one_dimension_cannot_absorb():
    call = Call("data", "A", (156,), ("2020",), None, ("M", "X"), ("284610", "284690", "850511"))
    pieces = split(call, 6)
    assert sorted((p.cmds, p.flows) for p in pieces) == sorted(
        ((c,), (f,)) for c in call.cmds for f in call.flows)
    assert len({p.stem for p in pieces}) == 6
    assert split(Call("data", "A", (156,), ("2020",), None, ("M",), ("284690",)), 4) == [
        Call("data", "A", (156,), ("2020",), None, ("M",), ("284690",))]
