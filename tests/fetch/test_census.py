"""The Census fetcher and adapter over real HTTP: real answers, and answers in the documented form.

Real: the ``porths`` answers in ../shared/data/census-samples (the DERIVED
JSON is replayed byte for byte; the R-written CSVs are turned back into the
API's array-of-arrays). Documented form, built at test time: ``imports/hs``
and ``exports/hs`` answers whose countries (codes and names, totals and
groups included) are those of the real answers and whose values are
generated; all values strings, predicate variables appended, 204 with an
empty body when nothing matches. Values are copied, never computed, so
comparisons are exact.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from replay import CensusReplay, census_csv_rows
from retrade.config import load_settings
from retrade.errors import (
    CatalogError,
    ConfigError,
    DataQualityWarning,
    FetchError,
    HarmonizeError,
    ResponseError,
    ServerError,
)
from retrade.fetch.census import GET, fetch_census, read_census
from retrade.panel.adapters.census import to_panel
from retrade.panel.schema import conform, validate_panel
from retrade.store import RawStore

SAMPLES = "census-samples"
DERIVED = "DERIVED_porths_imports_hs2-28_2024-12_selected_rows_as_api_json.json"
IMPORTS_CSV = "porths_imports_hs2-28_2024-12_ytd_Rwritecsv.csv"
EXPORTS_CSV = "porths_exports_hs2-28_2024-12_ytd_Rwritecsv.csv"
HS10 = {"284690": ["2846901000", "2846908000"], "280530": ["2805300000"],
        "850511": ["8505110070", "8505110050"], "284610": ["2846100000"]}
MONTHS = ["2023-11", "2023-12", "2024-01", "2024-02"]
SENTINEL = "SENTINEL-CENSUS-KEY-4d2b8e"
# the get list of the real porths queries (PROVENANCE section 7)
REAL_GET = ["AIR_VAL_YR", "AIR_WGT_YR", "CNT_VAL_YR", "CNT_WGT_YR", "CTY_CODE", "CTY_NAME", "PORT",
            "PORT_NAME"]


def countries(shared) -> list[tuple[str, str]]:
    rows = census_csv_rows(shared(SAMPLES, IMPORTS_CSV))
    header = rows[0]
    c, n = header.index("CTY_CODE"), header.index("CTY_NAME")
    return sorted({(r[c], r[n]) for r in rows[1:]})


def hs_table(pairs, flow: str, months=tuple(MONTHS)) -> list[list[str | None]]:
    """A full imports/hs or exports/hs answer in the documented form (generated values)."""
    field = "I_COMMODITY" if flow == "imports" else "E_COMMODITY"
    header = [*GET[("hs", flow)], field, "COMM_LVL", "time"]
    rows = []
    for i, (code, name) in enumerate(pairs[:40]):
        for codes in HS10.values():
            for hs10 in codes:
                for m, month in enumerate(months):
                    value = str(1000 * (i + 1) + 10 * m + len(rows) % 7)
                    values = {"CTY_CODE": code, "CTY_NAME": name, field: hs10, "time": month,
                              "SUMMARY_LVL": "CGP" if code[0] == "0" or "X" in code else "DET",
                              "COMM_LVL": "HS10", "UNIT_QY1": "KG" if hs10[:4] != "8505" else "NO",
                              "UNIT_QY2": None}
                    rows.append([values.get(v, value) for v in header])
    return [header, *rows]


@pytest.fixture
def census(shared, httpserver):
    pairs = countries(shared)
    tables = {("imports", "hs"): hs_table(pairs, "imports"),
              ("exports", "hs"): hs_table(pairs, "exports"),
              ("imports", "porths"): census_csv_rows(shared(SAMPLES, IMPORTS_CSV)),
              ("exports", "porths"): census_csv_rows(shared(SAMPLES, EXPORTS_CSV))}
    return CensusReplay(tables).install(httpserver)


@pytest.fixture
def run(httpserver, tmp_path):
    sleeps: list[float] = []

    def go(key=None, **options):
        settings = load_settings(data_dir=tmp_path / "data", census_key=key, min_interval=0,
                                 census_url=httpserver.url_for("/").rstrip("/"))
        args = {"hs": "compounds,metals,magnets", "periods": "2023-11:2024-02",
                "progress": False, **options}
        return fetch_census(settings=settings, sleep=sleeps.append, **args)

    return go


def store(tmp_path) -> RawStore:
    return RawStore(tmp_path / "data" / "raw")


def test_real_porths_answer_is_stored_exactly_as_sent(shared, httpserver, run, tmp_path):
    body = shared(SAMPLES, DERIVED).read_bytes()
    httpserver.expect_request("/data/timeseries/intltrade/imports/porths").respond_with_data(
        body, content_type="application/json;charset=utf-8")
    report = run(dataset="porths", flows="imports", hs="28", periods="2024-12", variables=REAL_GET)
    answer = json.loads(body)
    assert report.complete and report.rows_written == len(answer) - 1 == 118
    asked = httpserver.log[0][0].args
    assert (asked["I_COMMODITY"], asked["COMM_LVL"], asked["time"]) == ("28", "HS2", "2024-12")
    assert asked["get"] == ",".join(REAL_GET)  # the query the recorded answer answered
    got = read_census(store(tmp_path), flow="imports", dataset="porths")
    want = pd.DataFrame(answer[1:], columns=answer[0])
    key = ["PORT", "CTY_CODE"]
    got = got.sort_values(key).reset_index(drop=True)
    want = want.sort_values(key).reset_index(drop=True)
    assert list(got.columns) == answer[0]
    assert got.astype(object).where(got.notna(), None).equals(want.astype(object))
    assert got["PORT_NAME"].isna().sum() == 23  # the JSON nulls stay null
    entry = store(tmp_path).entries("census")[0]
    assert entry.content_sha256 == hashlib.sha256(body).hexdigest()


def test_real_export_answer_in_api_form_round_trips(census, run, tmp_path):
    report = run(dataset="porths", flows="exports", hs="28", periods="2024-12",
                 variables=REAL_GET)
    assert report.rows_written == 4623
    got = read_census(store(tmp_path), flow="exports", dataset="porths")
    assert len(got) == 4623 and set(got["time"]) == {"2024-12"}
    assert run(dataset="porths", flows="exports", hs="28", periods="2024-12",
               variables=REAL_GET).requests == 0


def test_hs_fetch_by_year_and_code_then_nothing_to_do(census, run, tmp_path):
    report = run()
    # 2 flows x 4 HS6 codes x 2 calendar years
    assert report.complete and report.calls_done == 16 and len(census.log) == 16
    assert all(c["params"]["COMM_LVL"] == "HS10" for c in census.log)
    assert {c["params"]["time"] for c in census.log} == {"from 2023-11 to 2023-12",
                                                         "from 2024-01 to 2024-02"}
    imports = read_census(store(tmp_path), flow="imports")
    assert len(imports) == 40 * 6 * 4 and set(imports["time"]) == set(MONTHS)
    assert all(isinstance(v, str) for v in imports["GEN_VAL_MO"])
    census.log.clear()
    assert run().requests == 0 and census.log == []


def test_no_rows_is_a_204_and_counts_as_done(census, run, tmp_path):
    census.tables[("imports", "hs")] = census.tables[("imports", "hs")][:1]  # header only
    report = run(flows="imports", hs="284610", periods="2024-01")
    assert report.complete and report.rows_written == 0 and len(census.log) == 1
    assert run(flows="imports", hs="284610", periods="2024-01").requests == 0


def test_the_annual_revision_triggers_a_refetch_of_that_year_only(shared, census, run):
    this = date.today().year
    old, new = f"{this - 2}-12", f"{this}-01"  # old was revised before today, new is not yet
    for flow in ("imports", "exports"):
        census.tables[(flow, "hs")] = hs_table(countries(shared), flow, (old, new))
    periods = [old, new]
    assert run(periods=periods).calls_done == 16
    census.log.clear()
    assert run(periods=periods).calls_done == 0  # nothing revised yet
    later = run(periods=periods, now=datetime(this + 1, 7, 1, tzinfo=UTC))
    assert later.calls_done == 8 and {c["params"]["time"] for c in census.log} == {new}


@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [((503, {}, b"Service Unavailable"), ServerError, "503"),
     ((400, {}, b"error: unknown variable 'GEN_VAL_MOO'"), FetchError, "GEN_VAL_MOO"),
     ((200, {}, b'[["CTY_CODE","time"],["5700"]]'), ResponseError, "row 2"),
     ((200, {}, b'{"error": "x"}'), ResponseError, "array of arrays"),
     ((200, {}, b"[[\"CTY_CODE\"], [5700]]"), ResponseError, "non-string")],
)
def test_failures_are_errors_not_empty_data(census, run, tmp_path, fault, error, text):
    for _ in range(5 if fault[0] >= 500 else 1):
        census.faults.append(fault)
    with pytest.raises(error, match=text):
        run(flows="imports", hs="284690", periods="2024-01")
    assert not list((tmp_path / "data").rglob("*.parquet"))


def test_a_failure_midway_is_resumed_without_loss(census, run, tmp_path):
    census.fail_after = 5
    with pytest.raises(ServerError):
        run()
    first = {json.dumps(c["params"], sort_keys=True) for c in census.log[:5]}
    census.fail_after = None
    census.log.clear()
    assert run().complete
    again = {json.dumps(c["params"], sort_keys=True) for c in census.log}
    assert not first & again and len(again) == 11
    assert len(read_census(store(tmp_path), flow="imports")) == 40 * 6 * 4


def test_the_key_goes_in_the_query_and_nowhere_else(census, run, tmp_path, caplog):
    caplog.set_level("DEBUG")
    report = run(key=SENTINEL, flows="imports", hs="284690", periods="2024-01")
    assert census.log[0]["params"]["key"] == SENTINEL
    for _ in range(5):
        census.faults.append((500, {}, f"bad key {SENTINEL}".encode()))
    with pytest.raises(ServerError) as info:
        run(key=SENTINEL, flows="exports", hs="284690", periods="2024-01")
    texts = [p.read_bytes().decode("latin-1") for p in (tmp_path / "data").rglob("*")
             if p.is_file()]
    # everything our side logged (the test server's own access log is the server's business)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    assert any("key=***" in m for m in ours)  # httpx's request line, scrubbed
    texts += [*ours, str(info.value), repr(report), report.summary()]
    leaks = [line for t in texts for line in t.splitlines() if SENTINEL in line]
    assert not leaks


@pytest.mark.parametrize(
    ("change", "error", "named"),
    [({"periods": "2009-12"}, ConfigError, "2010-01"),
     ({"periods": "2099-01"}, ConfigError, "2099"),
     ({"hs": "999999"}, CatalogError, "999999"),
     ({"flows": "sideways"}, ValueError, "sideways"),
     ({"dataset": "statehs"}, ValueError, "('hs', 'porths')"),
     ({"dataset": "porths", "hs": "99"}, CatalogError, "99")],
)
def test_bad_input_is_refused_before_any_call(census, run, change, error, named):
    with pytest.raises(error, match=named.replace("(", r"\(").replace(")", r"\)")):
        run(**change)
    assert census.log == []


def test_panel_keeps_country_rows_and_maps_every_real_country_name(census, run, tmp_path):
    run()
    raw = pd.concat([read_census(store(tmp_path), flow="imports"),
                     read_census(store(tmp_path), flow="exports")], ignore_index=True)
    with pytest.warns(Warning, match="total/group row"):
        panel = validate_panel(conform(to_panel(raw)))
    countries_only = raw[raw["CTY_CODE"].str.fullmatch(r"[1-9]\d{3}")]
    assert len(panel) == len(countries_only)
    assert set(panel["flow"]) == {"import", "export"} and set(panel["reporter"]) == {"USA"}
    imports = panel[panel.flow == "import"].sort_values(
        ["period", "partner_original", "hs_original"])
    src = countries_only[countries_only["I_COMMODITY"].notna()].sort_values(
        ["time", "CTY_CODE", "I_COMMODITY"])
    assert imports["value_usd"].tolist() == src["GEN_CIF_MO"].astype(float).tolist()
    assert imports["value_fob_usd"].tolist() == src["GEN_VAL_MO"].astype(float).tolist()
    magnets = panel[panel.hs6 == "850511"]
    assert magnets["net_weight_kg"].isna().all() and set(magnets["quantity_unit"]) == {"no"}


def test_panel_builder_contract_reads_every_census_file_at_once(census, run, tmp_path):
    """What a builder does: read the whole source with RAW_KEY, then to_panel(raw)."""
    from retrade.panel.adapters import census as adapter

    run(flows="imports", hs="284690", periods="2024-01")
    run(dataset="porths", flows="imports", hs="28", periods="2024-12", variables=REAL_GET)
    raw = store(tmp_path).read("census", key=list(adapter.RAW_KEY))
    assert len(raw) == 40 * 2 + 3644  # hs rows and port rows, none lost to the key
    with pytest.warns(DataQualityWarning) as caught:
        panel = validate_panel(conform(adapter.to_panel(raw)))
    said = " ".join(str(w.message) for w in caught)
    assert "port-level" in said and "total/group" in said
    assert set(panel["hs6"]) == {"284690"} and set(panel["period"]) == {"2024-01"}


def test_unmatched_country_names_are_named(census):
    header, *rows = census.tables[("imports", "hs")]
    raw = pd.DataFrame(rows[:2], columns=header)
    raw["CTY_CODE"], raw["CTY_NAME"] = "5999", "ATLANTIS"
    with pytest.raises(HarmonizeError, match="ATLANTIS"):
        to_panel(raw)
