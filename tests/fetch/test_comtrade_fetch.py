"""The Comtrade fetcher end to end: real HTTP to a local server replaying recorded real answers.

The rows served are the 80 real rare-earth v1 rows of the PNNL collection
(CHN and USA, 2846 and 280530, 2020-2024), re-typed with the JSON types of a
real recorded v1 answer; error bodies (401, empty result) are the recorded
comtradr answers. Sleeping is a fake clock. Exact comparisons (no tolerance):
the store must hold the served values bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing

import pandas as pd
import pytest

from replay import ComtradeReplay, pnnl_rows, recorded, v1_types
from retrade.config import load_settings
from retrade.errors import AuthError, FetchError, ResponseError, ServerError
from retrade.fetch.comtrade import Limits, fetch_comtrade, read_comtrade, refresh_reference
from retrade.store import RawStore

PNNL = ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")
FIXTURES = "comtradr-fixtures"
REQUEST = dict(reporters=["CHN", "USA"], partners=["WLD", "USA", "CHN"], flows="M,X",
               hs="2846,280530", periods="2020-2024")
SENTINEL = "SENTINEL-KEY-7f3a9c1e"
KEY_COLS = ["reporterCode", "partnerCode", "flowCode", "cmdCode", "period"]


@pytest.fixture
def rows(shared):
    answer = recorded(shared(FIXTURES), "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")
    types = v1_types(answer[2])
    return pnnl_rows(shared(*PNNL), types)


@pytest.fixture
def replay(httpserver, rows, shared):
    unauthorized = recorded(shared(FIXTURES), "data_v1_get_C_A_HS_401_unauthorized")
    return ComtradeReplay(rows, unauthorized=unauthorized, key=SENTINEL).install(httpserver)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def fetch(httpserver, tmp_path, sleeps):
    """Run fetch_comtrade against the replay server into tmp_path/data."""

    def run(key=None, **options):
        settings = load_settings(data_dir=tmp_path / "data", comtrade_key=key, min_interval=0,
                                 comtrade_url=httpserver.url_for("/").rstrip("/"))
        args = {**REQUEST, "availability": False, "progress": False, **options}
        return fetch_comtrade(settings=settings, sleep=sleeps.append, **args)

    return run


def stored(tmp_path) -> pd.DataFrame:
    frame = read_comtrade(RawStore(tmp_path / "data" / "raw"))
    return frame.sort_values(KEY_COLS).reset_index(drop=True)


def expected(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.sort_values(KEY_COLS).reset_index(drop=True)


def parquet_files(tmp_path):
    return sorted((tmp_path / "data" / "raw" / "comtrade").rglob("*.parquet"))


def test_fetch_stores_every_served_row_once_and_rerun_asks_nothing(fetch, replay, rows, tmp_path):
    report = fetch()
    assert report.complete and report.rows_written == 80 and report.calls_done == 1
    got, want = stored(tmp_path), expected(rows)
    assert got[["primaryValue", "netWgt", "qty"]].equals(want[["primaryValue", "netWgt", "qty"]])
    assert got[KEY_COLS].astype(str).equals(want[KEY_COLS].astype(str))
    assert got["reporterCode"].dtype == "int64" and got["isReported"].dtype == bool
    # partitioned per reporter-period: 2 reporters x 5 years
    assert len(parquet_files(tmp_path)) == 10
    assert "freq=A/reporter=156/period=2020/" in parquet_files(tmp_path)[0].as_posix()
    entry = [e for e in RawStore(tmp_path / "data" / "raw").entries("comtrade") if e.files][0]
    served = replay.log[0]
    assert entry.rows == 80 and entry.query["params"]["cmdCode"] == "280530,2846"
    assert served["params"] == entry.query["params"]
    again = fetch()
    assert again.calls_done == 0 and again.requests == 0 and len(replay.log) == 1


def test_content_hash_is_the_hash_of_the_body_received(fetch, replay, tmp_path, httpserver):
    fetch()
    params = replay.log[0]["params"]
    import httpx

    body = httpx.get(httpserver.url_for(replay.log[0]["path"]), params=params).content
    entry = [e for e in RawStore(tmp_path / "data" / "raw").entries("comtrade") if e.files][0]
    assert entry.content_sha256 == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize("partners", [["WLD", "USA", "CHN"], "all"])
@pytest.mark.parametrize("count_first", [True, False])
def test_calls_are_split_to_stay_under_the_cap(fetch, replay, tmp_path, partners, count_first):
    replay.cap = 30
    # a partner estimate far too low, so that only the answers can reveal the real size
    limits = Limits(max_records=30, partners_estimate=1)
    report = fetch(partners=partners, count_first=count_first, limits=limits)
    assert report.complete and report.rows_written == 80
    got = stored(tmp_path)
    assert len(got) == 80 and not got.duplicated(KEY_COLS).any()
    for call in replay.data_calls():
        assert len(call["params"]["period"].split(",")) <= 12
    if partners == "all" and not count_first:
        # the first answer is cut off at the cap, detected, and split again
        truncated = [e for e in RawStore(tmp_path / "data" / "raw").entries("comtrade")
                     if e.status == "truncated"]
        assert truncated and all(e.coverage["count"] == 30 for e in truncated)
    # never worse than four times the minimum (80 rows / 30 a call = 3)
    assert len(replay.data_calls()) <= 12


def test_429_is_retried_after_what_retry_after_asks(fetch, replay, sleeps):
    replay.faults.append((429, {"Retry-After": "7", "Content-Type": "application/json"},
                          b'{"statusCode": 429, "message": "Rate limit is exceeded."}'))
    report = fetch()
    assert report.complete and report.rows_written == 80 and report.requests == 2
    assert 7.0 in sleeps


def test_5xx_that_persists_is_a_clear_error_and_writes_nothing(fetch, replay, tmp_path):
    for _ in range(5):
        replay.faults.append((503, {"Content-Type": "text/plain"}, b"Service Unavailable"))
    with pytest.raises(ServerError, match=r"503.*gave up after 5 attempts"):
        fetch()
    assert parquet_files(tmp_path) == []


def test_401_says_the_key_is_the_problem(fetch, replay, tmp_path):
    with pytest.raises(AuthError, match="missing subscription key.*Check the API key") as info:
        fetch(key="WRONG-KEY-123")
    assert "WRONG-KEY-123" not in str(info.value)
    assert replay.log[0]["path"].startswith("/data/v1/get/C/A/HS")
    assert parquet_files(tmp_path) == []


@pytest.mark.parametrize("body", [b'{"count": 3, "data": [', b"<html>Bad gateway</html>",
                                  b'{"count": 1, "data": {"x": 1}, "error": ""}'])
def test_malformed_answers_are_errors_not_empty_data(fetch, replay, tmp_path, body):
    replay.faults.append((200, {"Content-Type": "application/json"}, body))
    with pytest.raises(ResponseError):
        fetch()
    assert parquet_files(tmp_path) == []


def test_wrongly_typed_rows_are_refused(fetch, replay, rows, tmp_path):
    bad = [dict(r, reporterCode=str(r["reporterCode"])) for r in rows[:3]]
    replay.faults.append((200, {"Content-Type": "application/json"},
                          json.dumps({"count": 3, "data": bad, "error": ""}).encode()))
    with pytest.raises(ResponseError, match="reporterCode"):
        fetch()


def test_empty_result_is_recorded_and_not_asked_again(fetch, replay, shared, tmp_path):
    status, headers, body = recorded(shared(FIXTURES), "data_v1_get_S_A_EB_empty")
    replay.faults.append((status, headers, body))
    report = fetch()
    assert report.complete and report.rows_written == 0 and parquet_files(tmp_path) == []
    assert fetch().requests == 0


def test_quota_stops_cleanly_and_the_next_run_resumes(fetch, replay, rows, tmp_path):
    replay.cap = 30
    limits = Limits(max_records=30)
    first = fetch(limits=limits, max_calls=2)
    assert first.stopped == "budget" and 0 < first.rows_written < 80
    quota = (b'{"statusCode": 403, "message": "Out of call volume quota. '
             b'Quota will be replenished in 05:10:00."}')
    replay.faults.append((403, {"Content-Type": "application/json"}, quota))
    second = fetch(limits=limits)
    assert second.stopped_by_quota and "quota" in second.message.lower()
    third = fetch(limits=limits)
    assert third.complete
    assert stored(tmp_path)[["primaryValue"]].equals(expected(rows)[["primaryValue"]])


def test_a_fetch_killed_midway_ends_like_an_uninterrupted_one(fetch, replay, rows, tmp_path,
                                                              monkeypatch):
    import retrade.store.raw as raw

    replay.cap = 30
    limits = Limits(max_records=30)
    real_write, written = raw.write_staged, []  # where each Parquet file is written

    def dies_on_third_file(path, data, **kw):
        written.append(real_write(path, data, **kw))
        if len(written) == 3:  # killed after a file of the second call, before its manifest entry
            raise KeyboardInterrupt
        return written[-1]

    monkeypatch.setattr(raw, "write_staged", dies_on_third_file)
    with pytest.raises(KeyboardInterrupt):
        fetch(limits=limits)
    monkeypatch.setattr(raw, "write_staged", real_write)
    store = RawStore(tmp_path / "data" / "raw")
    # the first call (two files) is stored; the half-written second call is invisible
    assert len(read_comtrade(store)) == sum(e.rows for e in store.entries("comtrade")) == 16
    assert written[2].exists()
    fetch(limits=limits)
    got = stored(tmp_path)
    assert len(got) == 80 and got[["primaryValue"]].equals(expected(rows)[["primaryValue"]])
    assert RawStore(tmp_path / "data" / "raw").clean_orphans("comtrade") == []
    assert not list((tmp_path / "data").rglob("*.tmp"))


def test_a_server_failure_midway_loses_nothing(fetch, replay, rows, tmp_path):
    replay.cap = 30
    limits = Limits(max_records=30)
    replay.fail_after = 2
    with pytest.raises(ServerError, match="502"):
        fetch(limits=limits)
    kept = stored(tmp_path)
    assert 0 < len(kept) < 80
    first_calls = {json.dumps(c["params"], sort_keys=True) for c in replay.data_calls()[:2]}
    replay.fail_after = None
    replay.log.clear()
    fetch(limits=limits)
    got = stored(tmp_path)
    assert len(got) == 80 and not got.duplicated(KEY_COLS).any()
    assert got[["primaryValue"]].equals(expected(rows)[["primaryValue"]])
    # the second run did not ask again for what the first one stored
    again = {json.dumps(c["params"], sort_keys=True) for c in replay.data_calls()}
    assert not first_calls & again


def test_availability_refetches_only_what_was_released_again(fetch, replay, tmp_path):
    replay.released = {(r, str(y)): "2024-01-01T00:00:00" for r in (156, 842)
                       for y in range(2020, 2024)}  # 2024 not published yet
    first = fetch(availability=True)
    assert first.rows_written == 64 and any("not published" in n for n in first.notes)
    assert not any(c["params"].get("period", "").endswith("2024") for c in replay.data_calls())
    replay.log.clear()
    assert fetch(availability=True).calls_done == 0 and not replay.data_calls()
    replay.released[(842, "2022")] = "2999-01-01T00:00:00"  # revised after our fetch
    third = fetch(availability=True)
    data = replay.data_calls()
    assert third.calls_done == 1 and data[0]["params"]["reporterCode"] == "842"
    assert data[0]["params"]["period"] == "2022"


def test_the_key_never_reaches_disk_logs_or_errors(fetch, replay, tmp_path, httpserver, shared,
                                                   caplog):
    caplog.set_level(logging.DEBUG)
    status, headers, body = recorded(shared(FIXTURES), "reference_Reporters")
    httpserver.expect_request("/files/v1/app/reference/Reporters.json").respond_with_data(
        body, status=status, headers=headers)
    replay.released = {(r, str(y)): "2024-01-01T00:00:00" for r in (156, 842)
                       for y in range(2020, 2025)}
    replay.faults.append((429, {"Retry-After": "1"}, b'{"message": "Rate limit is exceeded"}'))
    report = fetch(key=SENTINEL, availability=True)
    settings = load_settings(data_dir=tmp_path / "data", comtrade_key=SENTINEL,
                             comtrade_url=httpserver.url_for("/").rstrip("/"), min_interval=0)
    refresh_reference(["Reporters"], settings=settings)
    errors = []
    for _ in range(5):  # a server that echoes the key back in its error
        replay.faults.append((500, {}, f"bad request, key was {SENTINEL}".encode()))
    with pytest.raises(ServerError) as info:
        fetch(key=SENTINEL, availability=False, max_calls=None, periods="2019", partners="all")
    errors.append(str(info.value))
    assert all(c["key"] == SENTINEL for c in replay.log if c["path"].startswith("/data/"))
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    texts = [p.read_bytes().decode("latin-1") for p in files]
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    texts += [*ours, repr(report), report.summary(), *errors, repr(settings)]
    assert texts and not [t for t in texts if SENTINEL in t]


def _fetch_in_process(url: str, data_dir: str, queue) -> None:
    from retrade.config import load_settings
    from retrade.fetch.comtrade import Limits, fetch_comtrade

    settings = load_settings(data_dir=data_dir, comtrade_url=url, min_interval=0)
    report = fetch_comtrade(settings=settings, availability=False, progress=False,
                            limits=Limits(max_records=30), **REQUEST)
    queue.put(report.rows_written)


def test_two_processes_fetching_at_once_leave_a_sound_store(replay, httpserver, rows, tmp_path):
    replay.cap = 30
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    url, data_dir = httpserver.url_for("/").rstrip("/"), str(tmp_path / "data")
    procs = [ctx.Process(target=_fetch_in_process, args=(url, data_dir, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert sum(queue.get() for _ in procs) >= 80
    got = stored(tmp_path)
    assert len(got) == 80 and not got.duplicated(KEY_COLS).any()
    store = RawStore(tmp_path / "data" / "raw")
    assert all(e.source == "comtrade" for e in store.entries("comtrade"))
    assert not list((tmp_path / "data").rglob("*.tmp"))


def test_a_unit_split_into_finer_slices_counts_as_done_on_the_next_run(fetch, replay, tmp_path):
    replay.cap = 5  # fewer rows a call than one reporter-period has (8): commodities get split
    limits = Limits(max_records=5, partners_estimate=1)
    report = fetch(partners="all", limits=limits)
    assert report.complete and report.rows_written == 80
    entries = RawStore(tmp_path / "data" / "raw").entries("comtrade")
    assert any(e.status == "split" for e in entries)
    assert len({f.path.rsplit("/", 1)[1] for e in entries for f in e.files}) > 1  # finer stems
    replay.log.clear()
    again = fetch(partners="all", limits=limits)
    assert again.requests == 0 and replay.log == []
    got = stored(tmp_path)
    assert len(got) == 80 and not got.duplicated(KEY_COLS).any()


def test_a_query_the_api_rejects_is_an_error_quoting_its_message(fetch, replay, tmp_path):
    body = b'{"statusCode": 400, "message": "Invalid partnerCode: 899 with reporterCode: 156"}'
    replay.faults.append((400, {"Content-Type": "application/json"}, body))
    with pytest.raises(FetchError, match="400: Invalid partnerCode: 899 with reporterCode: 156"):
        fetch()
    assert parquet_files(tmp_path) == [] and len(replay.log) == 1  # a 400 is not retried
