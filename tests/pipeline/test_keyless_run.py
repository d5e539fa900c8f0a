"""A fresh machine without keys: the quarterly run fills the report from the keyless preview.

The quarterly run starts from an empty data folder, with no API key, against two
local servers on one port: the Comtrade stand-in (:class:`replay.PreviewStandIn`,
real rows of ../shared/data read at run time, the public preview's 500-record
cap, its availability endpoint) and the US Census key wall (302 to an HTML
page with ``X-DataWebAPI-KeyError``, as the Census API answers since May 2026).
Statuses, call kinds and file hashes are discrete: compared exactly.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner
from werkzeug import Response

from replay import PreviewStandIn, standin_rows
from retrade.config import load_settings
from retrade.fetch.comtrade import read_comtrade
from retrade.pipeline import run_quarterly
from retrade.store import RawStore

ANALYSES = ("data_coverage", "export_restrictions", "dual_chain", "overseas_capacity",
            "forecasts", "reference_context", "what_changed")
FAST = ("naive", "ets")
CORE = ("261220", "280530", "284610", "284690", "850511")
KEY_COLS = ["reporterCode", "partnerCode", "flowCode", "cmdCode", "period"]


@pytest.fixture
def servers(httpserver, shared):
    from conftest import shared_path

    standin = PreviewStandIn(standin_rows(shared_path)).install(httpserver)
    page = httpserver.url_for("/data/missing_key.html")
    httpserver.expect_request("/data/missing_key.html").respond_with_data(
        "<!DOCTYPE html><html><body>Missing key</body></html>", content_type="text/html")
    httpserver.expect_request(re.compile(r"^/data/timeseries/.+")).respond_with_response(
        Response(b"", status=302, headers={"Location": page, "X-DataWebAPI-KeyError": "1"}))
    return standin


@pytest.fixture
def env(servers, httpserver, tmp_path, monkeypatch):
    url = httpserver.url_for("/").rstrip("/")
    monkeypatch.setenv("RETRADE_COMTRADE_URL", url)
    monkeypatch.setenv("RETRADE_CENSUS_URL", url)
    monkeypatch.setenv("RETRADE_MIN_INTERVAL", "0")
    monkeypatch.setenv("RETRADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RETRADE_REPORTS_DIR", str(tmp_path / "reports"))
    return servers


def quarterly():
    return run_quarterly(settings=load_settings(), forecast_models=FAST, progress=False)


def store_files(tmp_path) -> dict[str, str]:
    raw = tmp_path / "data" / "raw"
    return {p.relative_to(raw).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(raw.rglob("*")) if p.is_file() and p.name != ".lock"}


def expected_rows(standin) -> pd.DataFrame:
    """What the keyless plan asks of the stand-in: China's exports, the legs' imports."""
    last = date.today().year - 1
    asked = {(156, "X"), (842, "M"), (392, "M"), (410, "M"), (276, "M")}
    rows = [r for r in standin.rows if (r["reporterCode"], r["flowCode"]) in asked
            and r["cmdCode"] in CORE and 2010 <= int(r["period"]) <= last]
    return pd.DataFrame(rows).sort_values(KEY_COLS).reset_index(drop=True)


@pytest.mark.slow
def test_a_fresh_keyless_run_fills_every_section_and_a_rerun_changes_nothing(env, tmp_path):
    assert not (tmp_path / "data").exists()
    first = quarterly()
    assert first.exit_code == 0, first.summary()
    for key in ANALYSES:
        assert first.status(key) == "ok", (key, first.summary())
    assert first.status("data_updates") == "ok"
    # Comtrade has no HS8 element lines: that section asks for China customs downloads
    elements = next(s for s in first.sections if s.key == "elements_provinces")
    assert elements.status == "needs_data" and "retrade import FILE" in elements.message
    updates = next(s for s in first.sections if s.key == "data_updates")
    assert "census: the US Census data API wants a key on every call" in updates.message
    assert "key_signup.html and set RETRADE_CENSUS_KEY" in updates.message
    report = (first.folder / "report.md").read_text()
    assert "UN Comtrade: fetched" in report
    assert "Planned: keyless preview (500 rows a call): CHN exports to all partners" in report
    # the store holds every row the plan asked of the stand-in, as served
    got = read_comtrade(RawStore(tmp_path / "data" / "raw"))
    got = got.sort_values(KEY_COLS).reset_index(drop=True)
    want = expected_rows(env)
    assert len(got) == len(want) > 3400
    assert got[KEY_COLS].astype(str).equals(want[KEY_COLS].astype(str))
    assert got["primaryValue"].equals(want["primaryValue"])
    assert all(c["path"].startswith("/public/v1/") for c in env.log)  # keyless endpoints only
    panel = pd.read_parquet(tmp_path / "data" / "processed" / "panel.parquet")

    before = store_files(tmp_path)
    env.log.clear()
    second = quarterly()
    assert [s.status for s in second.sections] == [s.status for s in first.sections]
    assert env.log and all("/getDA/" in c["path"] for c in env.log)  # availability only
    assert store_files(tmp_path) == before
    assert pd.read_parquet(tmp_path / "data" / "processed" / "panel.parquet").equals(panel)


@pytest.mark.slow
def test_the_run_cap_stops_the_fetch_with_a_message_and_the_next_run_resumes(env, tmp_path):
    from retrade.cli import app

    args = ["run", "--models", "naive", "--sections", "data_coverage", "--quiet"]
    capped = CliRunner().invoke(app, [*args, "--max-calls", "5"])
    assert capped.exit_code == 0, capped.output
    line = next(x for x in capped.output.splitlines() if "Data updates" in x)
    assert "comtrade: stopped (budget): stopped by the cap of 5 call(s) a run" in line
    assert "--max-calls" in line and "run again to resume" in line
    assert len(env.log) == 5
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    got = read_comtrade(RawStore(tmp_path / "data" / "raw"))
    assert len(got) == len(expected_rows(env))
