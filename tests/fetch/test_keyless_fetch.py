"""Keyless fetching over real HTTP: the preview stand-in, answer shapes, key walls, caps.

The Comtrade stand-in (:class:`replay.PreviewStandIn`) serves real rows read from
../shared/data at run time: the PNNL v1 rows and China's WITS exports by partner
converted to v1 records (see tests/replay.py). The Census key wall is a local
server answering 302 to an HTML page with the header the Census API sends
since May 2026. Comparisons are exact (no tolerance): counts of calls, rows and
files are discrete, and stored values must equal the served ones bit for bit.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner
from werkzeug import Response

from replay import PreviewStandIn, standin_rows
from retrade.catalog.comtrade_v1 import V1_KEY
from retrade.config import load_settings
from retrade.errors import KeyRequired, Redirected
from retrade.fetch.census import fetch_census
from retrade.fetch.comtrade import Limits, fetch_comtrade, read_comtrade
from retrade.fetch.comtrade import fetcher as comtrade_fetcher
from retrade.fetch.runner import Budget
from retrade.store import RawStore

CORE = ("261220", "280530", "284610", "284690", "850511")
CHINA = dict(reporters="CHN", partners="all", flows="X", hs="all", periods="2010-2024")
KEY_COLS = ["reporterCode", "partnerCode", "flowCode", "cmdCode", "period"]


@pytest.fixture(scope="module")
def rows():
    from conftest import shared_path

    return standin_rows(shared_path)


@pytest.fixture
def standin(httpserver, rows):
    return PreviewStandIn(rows).install(httpserver)


@pytest.fixture
def fetch(httpserver, tmp_path):
    def run(**options):
        settings = load_settings(data_dir=tmp_path / "data", min_interval=0,
                                 comtrade_url=httpserver.url_for("/").rstrip("/"))
        return fetch_comtrade(settings=settings, progress=False, sleep=lambda s: None,
                              **{**CHINA, **options})
    return run


def served(rows, reporter=156, flow="X", periods=range(2010, 2025)) -> pd.DataFrame:
    keep = [r for r in rows if r["reporterCode"] == reporter and r["flowCode"] == flow
            and r["cmdCode"] in CORE and int(r["period"]) in periods]
    return pd.DataFrame(keep).sort_values(KEY_COLS).reset_index(drop=True)


def stored(tmp_path) -> pd.DataFrame:
    frame = read_comtrade(RawStore(tmp_path / "data" / "raw"))
    return frame.sort_values(KEY_COLS).reset_index(drop=True)


def rows_on_disk(tmp_path) -> int:
    import pyarrow.parquet as pq

    files = (tmp_path / "data" / "raw" / "comtrade").rglob("*.parquet")
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def kinds_of(call) -> str:
    if "/getda/" in call["path"].lower():
        return "availability"
    return "count" if call["params"].get("countOnly") == "true" else "data"


def kinds(standin) -> list[str]:
    return [kinds_of(c) for c in standin.log]


@pytest.mark.parametrize(("shape", "capped"), [("envelope", False), ("data", False),
                                               ("envelope", True)])
def test_china_by_partner_fits_the_preview_cap_with_either_count_shape(
        fetch, standin, rows, tmp_path, shape, capped):
    standin.count_shape, standin.capped_count = shape, capped
    report = fetch()
    want = served(rows)
    assert report.complete and report.rows_written == len(want) == 3478
    got = stored(tmp_path)
    assert got[KEY_COLS].astype(str).equals(want[KEY_COLS].astype(str))
    assert got["primaryValue"].equals(want["primaryValue"])
    entries = RawStore(tmp_path / "data" / "raw").entries("comtrade")
    # the count was read right: each equals the rows the stand-in holds for its call
    counts = [(e.coverage["count"], e.query["params"]["period"]) for e in entries
              if e.status == "count"]
    assert len(counts) >= 2
    for count, periods in counts:
        years = [int(p) for p in periods.split(",")]
        assert count == len(served(rows, periods=years)), periods
    # so the first calls were split to fit before any data call, into about count/450 calls
    first = [c for c in standin.log if c["params"].get("countOnly") != "true"
             and "/getda/" not in c["path"].lower()]
    assert len(first[0]["params"]["period"].split(",")) < 12
    assert all(int(c["params"]["maxRecords"]) == 500 for c in first)
    assert report.requests == len(standin.log)


def test_a_second_run_asks_only_availability_and_changes_nothing(fetch, standin, tmp_path):
    fetch()
    manifest = (tmp_path / "data" / "raw" / "comtrade" / "_manifest.jsonl").read_bytes()
    standin.log.clear()
    again = fetch()
    assert kinds(standin) == ["availability", "availability"]
    assert again.rows_written == 0 and again.calls_done == 0
    assert "15 reporter-period(s) already stored and up to date" in again.notes
    assert (tmp_path / "data" / "raw" / "comtrade" / "_manifest.jsonl").read_bytes() == manifest
    # a release since the first fetch: that reporter-period only is fetched again
    standin.released[(156, "2019")] = "2999-01-01T00:00:00"
    standin.log.clear()
    third = fetch()
    data = [c for c in standin.log if kinds_of(c) == "data"]
    assert third.calls_done == 1 and [c["params"]["period"] for c in data] == ["2019"]


def test_the_plan_is_announced_before_the_first_call(fetch, standin):
    seen = []
    report = fetch(announce=lambda text: seen.append((text, len(standin.log))))
    (text, calls_before), = seen
    assert calls_before == 0 and report.planned == text
    assert text.startswith("keyless preview (500 rows a call): CHN exports to all partners")
    assert "15 reporter-period(s), 0 already stored; about" in text
    # the estimate is of the right size: within a factor of two of the calls made
    estimated = int(re.search(r"about (\d+) call", text).group(1))
    assert report.requests / 2 <= estimated <= report.requests * 2


@pytest.mark.parametrize("served_paths", [(), ("getDa",)])
def test_availability_404_falls_back_or_uses_the_other_spelling(fetch, standin, rows, tmp_path,
                                                                  served_paths):
    standin.availability = served_paths
    report = fetch()
    assert report.complete and report.rows_written == len(served(rows))
    tried = [c["path"].split("/")[3] for c in standin.log if "/getda/" in c["path"].lower()]
    if served_paths:  # getDA answers 404, getDa answers: then getDa only
        assert tried == ["getDA", "getDa", "getDa"]
        assert not [n for n in report.notes if "availability endpoint" in n]
    else:
        assert tried == ["getDA", "getDa"]
        note, = [n for n in report.notes if "availability endpoint could not be used" in n]
        assert "404" in note and "Resource not found" in note
        assert "without release dates" in note


def test_an_unexpected_availability_answer_falls_back_with_a_note(fetch, standin, rows):
    body = json.dumps({"count": 1, "data": [{"dataset": "C/A/HS", "note": "no codes"}]})
    standin.faults.append((200, {"Content-Type": "application/json"}, body.encode()))
    report = fetch()
    assert report.complete and report.rows_written == len(served(rows))
    assert any("availability endpoint could not be used (ResponseError" in n
               for n in report.notes)


def test_a_redirected_data_call_is_an_error_and_its_page_is_never_read(fetch, standin,
                                                                         httpserver, tmp_path):
    login = httpserver.url_for("/account/login.html")
    standin.faults.append((302, {"Location": login}, b""))
    with pytest.raises(Redirected, match="302 .a redirect to .*login.html"):
        fetch(availability=False)
    assert not [c for c in httpserver.log if c[0].path == "/account/login.html"]
    assert not list((tmp_path / "data").rglob("*.parquet"))


def test_skipped_units_are_counted_once_however_calls_are_split(fetch, standin, rows):
    # without counting, the planner splits every reporter-year by line before any call
    standin.cap = 200
    limits = Limits(max_records=200)
    first = fetch(count_first=False, limits=limits, periods="2018-2022")
    assert first.complete and first.rows_written == len(served(rows, periods=range(2018, 2023)))
    assert not [n for n in first.notes if "already stored" in n]
    again = fetch(count_first=False, limits=limits, periods="2016-2022")
    assert "5 reporter-period(s) already stored and up to date" in again.notes
    assert not [n for n in again.notes if re.search(r"-\d+ reporter", n)]


def test_a_resumed_fetch_split_differently_leaves_each_row_once(fetch, standin, rows, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(comtrade_fetcher, "compact", lambda *a, **k: _NoChange())
    stopped = fetch(**FINE_SPLIT, max_calls=4)
    assert stopped.stopped == "budget"
    fetch(periods="2018-2022")  # resumed with counting first: whole reporter-years
    before = stored(tmp_path)
    assert len(before) == len(served(rows, periods=range(2018, 2023)))
    assert rows_on_disk(tmp_path) > len(before)  # superseded partial files beside new ones
    result = CliRunner().invoke(_cli(), ["store", "compact", "comtrade", "--data-dir",
                                         str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert "superseded file(s) removed" in result.output
    after = stored(tmp_path)
    assert after.equals(before)
    assert rows_on_disk(tmp_path) == len(after)
    again = CliRunner().invoke(_cli(), ["store", "compact", "--data-dir", str(tmp_path / "data")])
    assert again.exit_code == 0 and "comtrade: nothing to compact" in again.output


def test_the_fetch_compacts_what_a_resume_supersedes(fetch, standin, rows, tmp_path):
    fetch(**FINE_SPLIT, max_calls=4)
    report = fetch(periods="2018-2022")
    assert any(n.startswith("compacted the store") for n in report.notes)
    got = stored(tmp_path)
    assert len(got) == len(served(rows, periods=range(2018, 2023))) == rows_on_disk(tmp_path)
    assert not got.duplicated(list(V1_KEY)).any()


# without counting, every reporter-year is split by line before any call (finer slices)
FINE_SPLIT = dict(count_first=False, limits=Limits(max_records=500, partners_estimate=250),
                  periods="2018-2022")


class _NoChange:
    changed = False


def _cli():
    from retrade.cli import app

    return app


@pytest.mark.parametrize(("options", "reason", "text"), [
    ({"max_calls": 3}, "budget", "the cap of 3 call(s) a run"),
    ({"max_minutes": 0}, "time", "the cap of 0 minute(s) a run"),
])
def test_a_cap_stops_cleanly_and_the_next_run_continues(fetch, standin, rows, tmp_path,
                                                        options, reason, text):
    first = fetch(**options)
    assert first.stopped == reason and text in first.message
    assert "run the same command again to continue" in first.message
    assert len(standin.log) == (3 if reason == "budget" else 0)
    rest = fetch()
    assert rest.complete and len(stored(tmp_path)) == len(served(rows))


def test_one_budget_is_shared_by_several_fetches(fetch, standin):
    budget = Budget(max_calls=10)
    first = fetch(budget=budget, periods="2010-2012")
    second = fetch(budget=budget, periods="2013-2024")
    assert first.complete and second.stopped == "budget"
    assert first.requests + second.requests == len(standin.log) == 10


def test_the_cap_comes_from_the_settings(httpserver, standin, tmp_path, monkeypatch):
    monkeypatch.setenv("RETRADE_MAX_CALLS", "2")
    settings = load_settings(data_dir=tmp_path / "data", min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    report = fetch_comtrade(settings=settings, progress=False, **CHINA)
    assert report.stopped == "budget" and "RETRADE_MAX_CALLS" in report.message
    assert len(standin.log) == 2


def test_the_fetch_cli_caps_minutes_and_exits_3(standin, httpserver, tmp_path, monkeypatch):
    from retrade.cli.fetch import app

    monkeypatch.setenv("RETRADE_COMTRADE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("RETRADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RETRADE_MIN_INTERVAL", "0")
    args = ["comtrade", "-r", "CHN", "-f", "X", "--periods", "2010-2024"]
    result = CliRunner().invoke(app, [*args, "--max-minutes", "0"])
    assert result.exit_code == 3 and "STOPPED (time)" in result.output
    assert "UN Comtrade plan: keyless preview (500 rows a call): CHN exports" in result.output
    assert standin.log == []


# -- the US Census key wall ----------------------------------------------------------------------
def key_wall(httpserver) -> str:
    """A Census stand-in redirecting every data call to an HTML sign-up page (since May 2026)."""
    page = httpserver.url_for("/data/missing_key.html")
    httpserver.expect_request("/data/missing_key.html").respond_with_data(
        "<!DOCTYPE html><html><body>Missing key: sign up</body></html>",
        content_type="text/html")
    httpserver.expect_request(re.compile(r"^/data/timeseries/.+")).respond_with_response(
        Response(b"", status=302, headers={"Location": page, "X-DataWebAPI-KeyError": "1"}))
    return httpserver.url_for("/").rstrip("/")


@pytest.mark.parametrize("key", [None, "census-key-0123456789"])
def test_the_census_key_wall_is_one_clear_line(httpserver, tmp_path, key):
    settings = load_settings(data_dir=tmp_path / "data", min_interval=0, census_key=key,
                             census_url=key_wall(httpserver))
    with pytest.raises(KeyRequired) as info:
        fetch_census(hs="magnets", periods="2024-01", settings=settings, progress=False)
    message = str(info.value)
    assert "\n" not in message and "https://api.census.gov/data/key_signup.html" in message
    assert "RETRADE_CENSUS_KEY" in message and "missing_key.html" in message
    assert ("refused the key" in message) == (key is not None)
    assert key is None or key not in message
    paths = [entry[0].path for entry in httpserver.log]
    assert "/data/missing_key.html" not in paths and len(paths) == 1
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("*"))


def test_the_census_cli_exits_2_on_the_key_wall_and_writes_nothing(httpserver, tmp_path,
                                                                     monkeypatch):
    from retrade.cli.fetch import app

    monkeypatch.setenv("RETRADE_CENSUS_URL", key_wall(httpserver))
    monkeypatch.setenv("RETRADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RETRADE_MIN_INTERVAL", "0")
    result = CliRunner().invoke(app, ["census", "--periods", "2024-01", "-q"])
    assert result.exit_code == 2
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "set RETRADE_CENSUS_KEY" in result.output
    assert "JSON" not in result.output
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("*.parquet"))
