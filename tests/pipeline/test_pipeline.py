"""The quarterly pipeline end to end, on stores built at test time from ../shared/data.

Nothing from the shared data is copied: each store is filled by ``import_file``
from the shared files when the test runs. Forecasts use fast candidate models
(``naive``, ``ets``) through the same backtest-and-choose path as the default.

Tolerance: exact, except one: "what changed" reads the previous report's forecasts
back from CSV, written with 10 significant digits, so an unrevised forecast shows a
relative change below 1e-9 (not 0); revisions are told apart from that at 1e-6.
Otherwise the pipeline's promise is byte-identical tables and Markdown for the same
store, quarter and seed, and each status it reports is discrete.
"""

from __future__ import annotations

import json
import socket

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from retrade.config import Settings  # noqa: E402
from retrade.fetch.files import import_file  # noqa: E402
from retrade.pipeline import CensusPlan, ComtradePlan, FetchPlan, run_quarterly  # noqa: E402

WITS = ("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv")
OVERVIEW = ("qennis-china-critical-minerals", "overview_monthly.csv")
BY_HS6 = ("qennis-china-critical-minerals", "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv")
BACI = ("materials-atlas", "TRANSCRIBED_baci_re_world_summary_2002_2024.csv")
MONTHLY = {"reporter": "CHN", "flow": "export"}
FAST = ("naive", "ets")
ANALYSES = ("data_coverage", "export_restrictions", "dual_chain", "overseas_capacity",
            "forecasts", "reference_context", "what_changed")


def fill_store(settings: Settings, shared_path) -> None:
    """Import the standard shared files into ``settings.data_dir``."""
    for parts, options in ((WITS, {}), (OVERVIEW, MONTHLY), (BY_HS6, MONTHLY), (BACI, {})):
        import_file(shared_path(*parts), settings=settings, **options)


def run(settings: Settings, **kwargs):
    args = {"quarter": "2026Q4", "offline": True, "forecast_models": FAST, "progress": False}
    return run_quarterly(settings=settings, **(args | kwargs))


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory):
    """Two offline runs of the whole pipeline on one store of the shared data (same quarter)."""
    from conftest import shared_path

    root = tmp_path_factory.mktemp("full")
    first = Settings(data_dir=root / "data", reports_dir=root / "reports-a")
    fill_store(first, shared_path)
    return run(first), run(first.with_(reports_dir=root / "reports-b"))


def test_fresh_machine_offline_uses_the_bundled_data_and_names_the_commands(tmp_path):
    settings = Settings(data_dir=tmp_path / "new" / "data", reports_dir=tmp_path / "reports")
    result = run(settings)
    assert result.exit_code == 0 and result.folder == tmp_path / "reports" / "2026Q4"
    for key in ("overseas_capacity", "reference_context", "forecasts", "what_changed"):
        assert result.status(key) == "ok", key
    for key in ("data_coverage", "export_restrictions", "dual_chain"):
        assert result.status(key) == "needs_data", key
    messages = {s.key: s.message for s in result.sections}
    assert "retrade import FILE --reporter CHN --flow export" in messages["data_coverage"]
    assert "retrade fetch comtrade -r JPN,USA" in messages["dual_chain"]
    assert "retrade import FILE" in messages["export_restrictions"]
    assert "--reporter CHN --flow export" in messages["forecasts"]  # partial: bundled series only
    forecasts = pd.read_csv(result.folder / "tables" / "forecasts.csv")
    assert set(forecasts["series"]) == {"nonchina_mine_share"}
    markdown = (result.folder / "report.md").read_text()
    assert "## Dual-chain dependency (needs data)" in markdown
    assert "To complete it:" in markdown
    coverage = pd.read_csv(result.folder / "tables" / "data_coverage.csv")
    assert coverage["source"].str.startswith("bundled/").all()


def test_full_shared_data_offline_runs_every_analysis(full_runs):
    result, _ = full_runs
    assert result.exit_code == 0
    assert {key: result.status(key) for key in ANALYSES} == dict.fromkeys(ANALYSES, "ok")
    assert result.status("data_updates") == "skipped"
    tables = result.folder / "tables"
    forecasts = pd.read_csv(tables / "forecasts.csv", dtype={"period": str})
    assert list(forecasts.columns) == ["series", "model", "period", "yhat", "yhat_lower",
                                       "yhat_upper", "level"]
    assert {"china_share_jpn_280530", "china_share_usa_284690", "china_re_exports_value",
            "nonchina_mine_share"} <= set(forecasts["series"])
    assert set(forecasts["level"]) == {0.8, 0.95}
    assert (forecasts["yhat_lower"] <= forecasts["yhat"]).all()
    assert (forecasts["yhat"] <= forecasts["yhat_upper"]).all()
    coverage = pd.read_csv(tables / "data_coverage.csv", dtype=str)
    wits = coverage.set_index("source").loc["wits"]
    assert (wits["first_period"], wits["last_period"]) == ("2010", "2024")
    markdown = (result.folder / "report.md").read_text()
    assert "Flagged known issue (CHN 2016, net_weight_kg)" in markdown  # the WITS 2016 collapse
    did = pd.read_csv(tables / "quota_removal_did.csv", dtype={"hs6": str})
    assert list(did["hs6"]) == ["280530", "284690", "850511"]
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["parameters"]["seed"] == 0 and manifest["inputs"]["processed_sha256"]["panel"]
    assert {t.name for t in result.steps} >= {"fetch", "build panel", "write report"}


def test_same_store_quarter_and_seed_give_identical_files(full_runs):
    first, second = full_runs
    files = sorted(p.relative_to(first.folder) for p in first.folder.rglob("*")
                   if p.is_file() and p.name != "manifest.json")
    assert any(f.suffix == ".csv" for f in files) and any(f.suffix == ".png" for f in files)
    assert files == sorted(p.relative_to(second.folder) for p in second.folder.rglob("*")
                           if p.is_file() and p.name != "manifest.json")
    different = [str(f) for f in files
                 if (first.folder / f).read_bytes() != (second.folder / f).read_bytes()]
    assert different == []


def test_what_changed_reports_the_new_month_and_the_revisions(shared, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    full = pd.read_csv(shared(*OVERVIEW))
    older = tmp_path / "older" / "overview_monthly.csv"  # same stem: a revised download
    older.parent.mkdir()
    full[full["period_dt"] < full["period_dt"].max()].to_csv(older, index=False)
    import_file(older, settings=settings, **MONTHLY)
    sections = ["data_coverage", "forecasts", "what_changed"]
    before = run(settings, quarter="2026Q3", sections=sections, forecast_models=["ets"])
    assert before.status("what_changed") == "ok"
    import_file(shared(*OVERVIEW), settings=settings, **MONTHLY)
    now = run(settings, quarter="2026Q4", sections=sections, forecast_models=["ets"])
    data = pd.read_csv(now.folder / "tables" / "changes_data.csv", dtype=str).set_index("source")
    row = data.loc["monthly_table/overview_monthly"]
    assert (row["last_period_before"], row["last_period_now"]) == ("2024-11", "2024-12")
    assert (row["rows_before"], row["rows_now"]) == ("380", "384")
    revised = pd.read_csv(now.folder / "tables" / "changes_forecasts.csv", dtype={"period": str})
    exports = revised[revised["series"] == "china_re_exports_value"]
    assert list(exports["period"].sort_values()) == [str(p) for p in pd.period_range(
        "2025-01", "2026-11", freq="M")]
    assert (exports["change_pct"].abs() > 1e-6).all()
    mine = revised[revised["series"] == "nonchina_mine_share"]
    assert len(mine) and (mine["change_pct"].abs() < 1e-6).all()  # the bundled series: unmoved
    assert revised["series"].iloc[0] == "china_re_exports_value"  # largest revision first
    markdown = (now.folder / "report.md").read_text()
    assert "Compared with the 2026Q3 report." in markdown
    assert "last period 2024-11 -> 2024-12, rows 380 -> 384" in markdown


def test_a_failing_analysis_is_reported_and_the_others_kept(shared, tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    fill_store(settings, shared)

    def broken(*args, **kwargs):
        raise RuntimeError("break search exploded")

    monkeypatch.setattr("retrade.models.breaks.bai_perron", broken)
    sections = ["data_coverage", "dual_chain", "overseas_capacity", "forecasts", "what_changed"]
    result = run(settings, sections=sections, forecast_models=["naive"])
    assert result.exit_code == 1
    assert result.status("dual_chain") == "failed"
    assert [s.message for s in result.failed] == ["RuntimeError: break search exploded"]
    assert all(result.status(k) == "ok" for k in sections if k != "dual_chain")
    assert result.status("export_restrictions") == "skipped"
    tables = {p.name for p in (result.folder / "tables").iterdir()}
    assert {"data_coverage.csv", "forecasts.csv", "capacity_scenarios.csv"} <= tables
    assert "china_share.csv" not in tables
    markdown = (result.folder / "report.md").read_text()
    assert "## Dual-chain dependency (FAILED)" in markdown
    assert "> RuntimeError: break search exploded" in markdown
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert manifest["sections"]["dual_chain"]["status"] == "failed"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SENTINEL = "sentinel-key-0123456789abcdef"
QUOTA = (b'{"statusCode": 403, "message": "Out of call volume quota. '
         b'Quota will be replenished in 05:10:00."}')


@pytest.mark.parametrize(("server_key", "quota", "section", "comtrade", "exit_code"), [
    (SENTINEL, False, "ok", "fetched", 0),                          # the key works
    ("another-key-9876543210fedcba", False, "failed", "failed", 1),  # 401: AuthError
    (SENTINEL, True, "ok", "stopped", 0),                           # 403: daily quota used up
])
def test_fetch_outcomes_are_reported_and_no_key_is_written(
        shared, httpserver, tmp_path, monkeypatch, server_key, quota, section, comtrade,
        exit_code):
    from replay import ComtradeReplay, pnnl_rows, recorded, v1_types

    fixtures = shared("comtradr-fixtures")
    body = recorded(fixtures, "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")[2]
    rows = pnnl_rows(shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv"),
                     v1_types(body))
    unauthorized = recorded(fixtures, "data_v1_get_C_A_HS_401_unauthorized")
    replay = ComtradeReplay(rows, key=server_key, unauthorized=unauthorized).install(httpserver)
    if quota:
        replay.faults.append((403, {"Content-Type": "application/json"}, QUOTA))
    monkeypatch.setenv("RETRADE_COMTRADE_KEY", SENTINEL)
    monkeypatch.setenv("RETRADE_COMTRADE_URL", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("RETRADE_CENSUS_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("RETRADE_MIN_INTERVAL", "0")
    from retrade.config import load_settings

    settings = load_settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    plan = FetchPlan(ComtradePlan(reporters=("CHN", "USA"), partners="WLD,CHN,USA",
                                  hs="280530", first_year=2020, last_year=2024,
                                  availability=False), CensusPlan(months=2), probe_timeout=1.0)
    result = run(settings, offline=False, fetch_plan=plan, sections=["data_coverage"])
    assert (result.exit_code, result.status("data_updates")) == (exit_code, section)
    log = pd.read_csv(result.folder / "tables" / "fetch_log.csv").set_index("source")
    assert log.loc["census", "status"] == "skipped"
    assert "cannot connect to 127.0.0.1" in log.loc["census", "message"]
    assert log.loc["comtrade", "status"] == comtrade
    message = log.loc["comtrade", "message"]
    assert {"fetched": "complete", "failed": "AuthError", "stopped": "quota"}[comtrade] in message
    assert (log.loc["comtrade", "rows"] > 0) == (comtrade == "fetched")
    for path in [*result.folder.rglob("*"), *settings.data_dir.rglob("*")]:
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


def test_cli_run_offline(tmp_path):
    from retrade.cli import app

    args = ["run", "--offline", "--quarter", "2026Q4", "--data-dir", str(tmp_path / "data"),
            "--reports-dir", str(tmp_path / "reports"), "--sections",
            "overseas_capacity,reference_context", "--models", "naive", "--quiet"]
    runner = CliRunner()
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "report 2026Q4" in done.output
    assert (tmp_path / "reports" / "2026Q4" / "report.html").is_file()
    for bad, shown in ((["--quarter", "2026-Q4"], "2026-Q4"), (["--sections", "gravity"],
                                                              "gravity")):
        refused = runner.invoke(app, [*args, *bad])
        assert refused.exit_code == 2 and shown in refused.output, refused.output
