"""Comtrade bulk files end to end: list, skip, stream, verify, ingest, over real HTTP.

The list answers are comtradr's real recordings (``bulk/v1/get/C/A/HS`` for
reporter 32 in 1962, and the empty list), read from ../shared at run time;
rows of later lists are that real row with another publication date, hash and
size. The files are synthetic (:mod:`retrade.testing`); the one the real list
names is padded to the 187,742 bytes comtradr's recorded download of it had,
so the listed "183.34 KB" holds. Reference: pandas reading the generated text
and keeping the catalog codes (independent of the pyarrow ingestion).
Comparisons are exact: the store must hold the served values bit for bit.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner
from werkzeug import Response

import retrade
from replay import BulkReplay, recorded, size_text, v1_body
from retrade.catalog import hs_codes
from retrade.cli.fetch import app
from retrade.config import load_settings
from retrade.errors import AuthError, ConfigError, ResponseError, ServerError
from retrade.fetch.comtrade import fetch_comtrade_bulk
from retrade.fetch.comtrade.bulk import BulkFile, parse_size
from retrade.fetch.comtrade.bulk_file import BULK_KEY, SOURCE
from retrade.store import RawStore
from retrade.testing import gzip_to_size, synthetic_comtrade_bulk

FIXTURES = "comtradr-fixtures"
SENTINEL = "SENTINEL-BULK-KEY-5e1d9a7c"
RECORDED_BYTES = 187_742  # comtradr's recorded download of the listed file (Content-Length)
STORED = "file=COMTRADE-FINAL-CA0321962S1/part-0000.parquet"
QUOTA = b'{"statusCode": 403, "message": "Out of call volume quota. Quota will be replenished in 05:57:41."}'  # noqa: E501
COLUMNS = ["reporterCode", "partnerCode", "flowCode", "cmdCode", "primaryValue", "netWgt"]


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    """Two versions of one reporter-year file (as first published, and republished)."""
    folder = tmp_path_factory.mktemp("bulk-text")
    return [synthetic_comtrade_bulk(folder / f"v{seed}.txt", rows=7_776, seed=seed, year=1962)
            for seed in (1, 2)]


@pytest.fixture
def real_list(shared):
    return json.loads(recorded(shared(FIXTURES), "bulk_v1_get_C_A_HS_filelist")[2])


@pytest.fixture
def server(httpserver, shared, real_list, texts, tmp_path):
    """The real list; its file at the recorded size, served where comtradr fetched it."""
    unauthorized = recorded(shared(FIXTURES), "data_v1_get_C_A_HS_401_unauthorized")
    body = recorded(shared(FIXTURES), "bulk_v1_get_C_A_HS_filelist")[2]
    replay = BulkReplay(body, key=SENTINEL, unauthorized=unauthorized).install(httpserver)
    first = gzip_to_size(texts[0], tmp_path / "v1.gz", size=RECORDED_BYTES)
    replay.files[real_list["data"][0]["fileUrl"]] = first.read_bytes()
    return replay


@pytest.fixture
def fetch(httpserver, tmp_path):
    def run(key=SENTINEL, **options):
        settings = load_settings(data_dir=tmp_path / "data", comtrade_key=key, min_interval=0,
                                 comtrade_url=httpserver.url_for("/").rstrip("/"))
        args = {"reporters": "ARG", "periods": "1962", "progress": False, **options}
        return fetch_comtrade_bulk(settings=settings, sleep=lambda s: None, **args)

    return run


def republish(server, real_list, text: Path, folder: Path, *, when="2024-05-01T00:00:00Z"):
    """List the file again, published ``when``, with new bytes (returned)."""
    data = gzip_to_size(text, folder / "republished.gz").read_bytes()
    row = {**real_list["data"][0], "publicationDate": when, "fileUrl": "c0ffee" * 10 + "abcd",
           "fileSize": size_text(len(data))}
    server.listing = v1_body([row])
    server.files[row["fileUrl"]] = data
    return data


def reference(text: Path) -> pd.DataFrame:
    frame = pd.read_csv(text, sep="\t", dtype={"cmdCode": str})
    return _tidy(frame[frame["cmdCode"].isin(hs_codes("all", include_broad=True))])


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[COLUMNS].astype({"reporterCode": "int64", "partnerCode": "int64"})
    return out.sort_values(COLUMNS[:4]).reset_index(drop=True)


def stored(tmp_path) -> pd.DataFrame:
    return _tidy(RawStore(tmp_path / "data" / "raw").read(SOURCE, key=list(BULK_KEY)))


def snapshot(tmp_path) -> dict[str, bytes]:
    """Every file a reader could see: the source folder (the staging area is not one)."""
    folder = tmp_path / "data" / "raw" / SOURCE
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}


def test_the_real_list_is_downloaded_verified_ingested_and_a_rerun_skips(fetch, server,
                                                                         texts, tmp_path):
    report = fetch()
    assert report.complete and report.files_written == 1 and report.calls_done == 1
    want = reference(texts[0])
    assert 0 < len(want) < 7_776 and report.rows_written == len(want)
    pd.testing.assert_frame_equal(stored(tmp_path), want)
    listing, download = server.log
    assert listing["path"] == "/bulk/v1/get/C/A/HS"
    assert listing["params"] == {"reporterCode": "32", "period": "1962"}
    # where comtradr's recorded live request fetched the file, the key in the header only
    hash_ = json.loads(server.listing)["data"][0]["fileUrl"]
    assert download["path"] == f"/bulk/v1/file/32/{hash_}" and len(hash_) == 64
    assert download["params"] == {"format": "json"} and download["key"] == SENTINEL
    entry = RawStore(tmp_path / "data" / "raw").entries(SOURCE)[-1]
    assert [f.path for f in entry.files] == [STORED]
    assert entry.coverage["download"] == {"path": download["path"], "params": {"format": "json"}}
    assert entry.coverage["publicationDate"] == "2003-04-29T11:24:10+00:00"
    assert entry.coverage["bytes"] == RECORDED_BYTES and entry.coverage["fileSize"] == "183.34 KB"
    assert entry.coverage["rows_read"] == 7_776 and entry.rows == len(want)
    assert not list((tmp_path / "data" / "raw" / ".staging").rglob("*.gz"))
    again = fetch()
    assert again.complete and again.calls_skipped == 1 and again.files_written == 0
    assert len(server.log) == 3 and server.log[2]["path"].startswith("/bulk/v1/get/")
    assert any("same publication date" in n for n in again.notes)


def test_the_live_form_of_file_url_is_asked_of_the_configured_base(fetch, server, real_list,
                                                                   texts, tmp_path):
    # comtradr recorded the list through a redactor that cut this prefix from fileUrl
    row = dict(real_list["data"][0])
    row["fileUrl"] = "https://comtradeapi.un.org/bulk/v1/file/32/" + row["fileUrl"]
    server.listing = v1_body([row])
    assert fetch().files_written == 1
    (download,) = server.downloads()
    assert download["path"] == f"/bulk/v1/file/32/{row['rowKey']}" and download["params"] == {}
    assert download["key"] == SENTINEL
    pd.testing.assert_frame_equal(stored(tmp_path), reference(texts[0]))


def test_a_republished_file_is_downloaded_again_and_replaces_the_stored_one(
        fetch, server, real_list, texts, tmp_path):
    fetch()
    republish(server, real_list, texts[1], tmp_path)
    report = fetch()
    assert report.files_written == 1 and report.calls_skipped == 0
    pd.testing.assert_frame_equal(stored(tmp_path), reference(texts[1]))
    assert list(snapshot(tmp_path)) == ["_manifest.jsonl", STORED]
    entry = RawStore(tmp_path / "data" / "raw").entries(SOURCE)[-1]
    assert entry.coverage["publicationDate"] == "2024-05-01T00:00:00+00:00"


def test_an_empty_list_means_no_files(fetch, server, shared, tmp_path):
    server.listing = recorded(shared(FIXTURES), "bulk_v1_get_C_A_HS_empty")[2]
    report = fetch(periods="1963")
    assert report.complete and report.files_written == 0 and report.requests == 1
    assert "no bulk files" in report.summary() and server.downloads() == []
    assert snapshot(tmp_path) == {}


def _cut(data: bytes) -> Response:
    return BulkReplay.file_response(data[: len(data) // 2])


def _flipped(data: bytes) -> Response:
    middle = len(data) // 2
    return BulkReplay.file_response(data[:middle] + bytes(b ^ 0xFF for b in data[middle:][:64])
                                    + data[middle + 64:])


def _dropped(data: bytes) -> Response:
    # the headers promise the whole file; the connection closes after half of it
    response = Response(iter([data[: len(data) // 2]]), status=200,
                        headers={"Content-Type": "application/TSV"})
    response.headers["Content-Length"] = str(len(data))
    return response


@pytest.mark.parametrize(("fault", "error", "says"), [
    (_cut, ResponseError, "received"),
    (_flipped, ResponseError, "gzip stream is cut off or corrupt"),
    (_dropped, ServerError, "gave up after 5 attempts"),
])
def test_a_cut_or_corrupt_download_is_an_error_and_the_store_keeps_the_old_file(
        fetch, server, real_list, texts, tmp_path, fault, error, says):
    fetch()
    before = snapshot(tmp_path)
    data = republish(server, real_list, texts[1], tmp_path)
    for _ in range(5):
        server.faults["file"].append(fault(data))
    with pytest.raises(error, match=says) as info:
        fetch()
    assert snapshot(tmp_path) == before
    pd.testing.assert_frame_equal(stored(tmp_path), reference(texts[0]))
    assert not list((tmp_path / "data" / "raw" / ".staging").rglob("*.gz"))
    if error is ResponseError:
        assert "Nothing was stored" in str(info.value)
    server.faults["file"].clear()
    assert fetch().files_written == 1  # the same command again fetches it


def test_the_quota_stops_resumably_and_a_401_says_what_to_check(fetch, server, tmp_path):
    server.faults["file"].append(Response(QUOTA, status=403,
                                          headers={"Content-Type": "application/json"}))
    report = fetch()
    assert report.stopped_by_quota and "Out of call volume quota" in report.message
    assert snapshot(tmp_path) == {}
    assert fetch().files_written == 1
    with pytest.raises(AuthError, match=r"missing subscription key.*Check the API key.*Bulk"):
        fetch(key="not-the-key-0000", periods="1963")


@pytest.mark.parametrize(("options", "error", "named"), [
    ({"key": None}, ConfigError, "RETRADE_COMTRADE_KEY"),
    ({"classification": "S1"}, ValueError, "'H6'"),
    ({"frequency": "Q"}, ValueError, "'Q'"),
    ({"periods": "1962-03"}, ConfigError, "1962-03"),
])
def test_bad_options_and_a_missing_key_fail_before_any_call(fetch, server, options, error,
                                                           named):
    with pytest.raises(error, match=named):
        fetch(**options)
    assert server.log == []


def test_the_key_goes_only_to_the_configured_origin(fetch, server, real_list, httpserver,
                                                    texts, tmp_path):
    data = gzip_to_size(texts[0], tmp_path / "x.gz").read_bytes()
    elsewhere = httpserver.url_for("/blob/C_A_32_1962.gz").replace("localhost", "127.0.0.1")
    row = {**real_list["data"][0], "fileUrl": elsewhere, "fileSize": size_text(len(data))}
    server.listing = v1_body([row])
    server.files["C_A_32_1962.gz"] = data
    assert fetch().files_written == 1
    assert server.log[-1]["host"].startswith("127.0.0.1") and server.log[-1]["key"] is None
    # a redirect from the API to another host is followed without the key
    redirect = Response(status=302, headers={"Location": elsewhere})
    server.faults["file"].append(redirect)
    republish(server, real_list, texts[1], tmp_path)
    server.files["C_A_32_1962.gz"] = server.files["c0ffee" * 10 + "abcd"]
    assert fetch().files_written == 1
    api, blob = server.log[-2:]
    assert api["key"] == SENTINEL and api["path"].startswith("/bulk/v1/file/32/")
    assert blob["key"] is None and blob["host"].startswith("127.0.0.1")


def test_the_key_never_reaches_disk_logs_or_errors(fetch, server, real_list, texts, tmp_path,
                                                   caplog):
    caplog.set_level(logging.DEBUG)
    report = fetch()
    errors = []
    republish(server, real_list, texts[1], tmp_path)
    for _ in range(5):  # a server that echoes the key back
        server.faults["file"].append(Response(f"bad key {SENTINEL}".encode(), status=500))
    with pytest.raises(ServerError) as info:
        fetch()
    errors.append(str(info.value))
    with pytest.raises(AuthError) as info:
        fetch(key=SENTINEL[::-1])
    errors.append(str(info.value))
    assert server.log[1]["key"] == SENTINEL
    files = [p for p in (tmp_path / "data").rglob("*")]
    texts_seen = [p.as_posix() for p in files]
    texts_seen += [p.read_bytes().decode("latin-1") for p in files if p.is_file()]
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    texts_seen += [*ours, repr(report), report.summary(), *errors]
    assert texts_seen and not [t for t in texts_seen if SENTINEL in t or SENTINEL[::-1] in t]


def test_parse_size_reads_the_listed_size_of_the_recorded_file(real_list):
    listed = BulkFile.from_row(real_list["data"][0], "recorded").size
    expected, slack = parse_size(listed)
    assert abs(expected - RECORDED_BYTES) <= slack < 10


def test_the_cli_fetches_skips_and_exits_3_on_the_quota(server, httpserver, tmp_path,
                                                        monkeypatch):
    monkeypatch.setenv("RETRADE_COMTRADE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("RETRADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RETRADE_MIN_INTERVAL", "0")
    args = ["comtrade-bulk", "-r", "ARG", "--periods", "1962", "-q"]
    runner = CliRunner()
    keyless = runner.invoke(app, args)
    assert keyless.exit_code == 2 and "RETRADE_COMTRADE_KEY" in keyless.output
    monkeypatch.setenv("RETRADE_COMTRADE_KEY", SENTINEL)
    server.faults["file"].append(Response(QUOTA, status=403))
    stopped = runner.invoke(app, args)
    assert stopped.exit_code == 3 and "STOPPED (quota)" in stopped.output
    done = runner.invoke(app, args)
    assert done.exit_code == 0 and "in 1 file(s)" in done.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "skipped 1" in again.output
    assert SENTINEL not in stopped.output + done.output + again.output


def _wait_for(condition, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_a_download_killed_midway_leaves_nothing_visible_and_the_rerun_completes(
        server, real_list, httpserver, texts, tmp_path):
    hash_ = real_list["data"][0]["fileUrl"]
    data = server.files[hash_]
    half_sent, release = threading.Event(), threading.Event()

    def slow() -> Response:
        def body():
            yield data[: len(data) // 2]
            half_sent.set()
            release.wait(120)
            yield data[len(data) // 2:]
        response = BulkReplay.file_response(data)
        response.response = body()
        return response

    server.files[hash_] = slow
    raw = tmp_path / "data" / "raw"
    env = {**os.environ, "PYTHONPATH": str(Path(retrade.__file__).parents[1]),
           "RETRADE_COMTRADE_KEY": SENTINEL, "RETRADE_DATA_DIR": str(tmp_path / "data"),
           "RETRADE_COMTRADE_URL": httpserver.url_for("/").rstrip("/"),
           "RETRADE_MIN_INTERVAL": "0"}
    cmd = [sys.executable, "-m", "retrade", "fetch", "comtrade-bulk", "-r", "ARG", "--periods",
           "1962", "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(half_sent.is_set, "half of the file to be sent")
        _wait_for(lambda: any(p.stat().st_size for p in raw.rglob(".staging/*/*.gz")),
                  "the partial download to reach the disk")
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    finally:
        release.set()
        proc.kill()
    assert snapshot(tmp_path) == {}
    assert RawStore(raw).read(SOURCE).empty
    server.files[hash_] = data
    settings = load_settings(data_dir=tmp_path / "data", comtrade_key=SENTINEL, min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    report = fetch_comtrade_bulk(reporters="ARG", periods="1962", settings=settings,
                                 progress=False)
    assert report.files_written == 1
    pd.testing.assert_frame_equal(stored(tmp_path), reference(texts[0]))

