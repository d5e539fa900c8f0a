"""``retrade fetch ...`` through Typer against the replay server, configured by environment."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from replay import ComtradeReplay, pnnl_rows, recorded, v1_types
from retrade.cli.fetch import app
from retrade.fetch.comtrade import read_comtrade
from retrade.store import RawStore

PNNL = ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")
ARGS = ["comtrade", "-r", "CHN,USA", "-p", "WLD,CHN,USA", "--hs", "2846,280530",
        "--periods", "2020-2024", "--no-availability", "-q"]


@pytest.fixture
def env(shared, httpserver, tmp_path, monkeypatch):
    body = recorded(shared("comtradr-fixtures"),
                    "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")[2]
    replay = ComtradeReplay(pnnl_rows(shared(*PNNL), v1_types(body))).install(httpserver)
    monkeypatch.setenv("RETRADE_COMTRADE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("RETRADE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RETRADE_MIN_INTERVAL", "0")
    return replay


def test_cli_fetches_reruns_and_stops_resumably(env, tmp_path):
    runner = CliRunner()
    first = runner.invoke(app, ARGS)
    assert first.exit_code == 0, first.output
    assert "rows written 80" in first.output
    assert len(read_comtrade(RawStore(tmp_path / "data" / "raw"))) == 80
    again = runner.invoke(app, ARGS)
    assert again.exit_code == 0 and "calls made 0" in again.output
    stopped = runner.invoke(app, [*ARGS, "--periods", "2019", "--max-calls", "0"])
    assert stopped.exit_code == 3 and "STOPPED (budget)" in stopped.output


@pytest.mark.parametrize(("args", "named"), [(["--hs", "123456"], "123456"),
                                             (["--periods", "2020/21"], "2020/21"),
                                             (["--frequency", "W"], "'W'")])
def test_cli_bad_input_exits_2_naming_the_value(env, args, named):
    result = CliRunner().invoke(app, [*ARGS, *args])
    assert result.exit_code == 2 and named in result.output
    assert env.log == []


def test_cli_census_bad_month_exits_2(monkeypatch, tmp_path):
    monkeypatch.setenv("RETRADE_CENSUS_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("RETRADE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["census", "--periods", "2009-06", "-q"])
    assert result.exit_code == 2 and "2010-01" in result.output
