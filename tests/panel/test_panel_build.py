"""Building the panel from a raw store with injected adapters, reading it back, querying it.

Raw rows are synthetic, written through RawStore like a fetcher would; the
small adapters below map them to the schema. Tolerance: exact (rows are
copied, not computed).
"""

from __future__ import annotations

import json
import sys
import types

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from retrade.catalog import to_iso3
from retrade.cli.panel import app
from retrade.config import load_settings
from retrade.errors import ConfigError, HarmonizeError, SchemaError
from retrade.panel import schema as S
from retrade.panel.build import Adapter, build_panel, load_adapter
from retrade.panel.query import load_panel, query
from retrade.store import Part, ProcessedStore, RawStore

RAW_KEY = ("reporterCode", "partnerCode", "flowCode", "period", "cmdCode")


def write_raw(store: RawStore, source: str, rows: list[tuple], stem: str = "a") -> None:
    """v1-like raw rows ``(reporterCode, partnerCode, flowCode, period, cmdCode, value, kg)``."""
    table = pa.Table.from_pylist(
        [dict(zip((*RAW_KEY, "primaryValue", "netWgt"), r, strict=True)) for r in rows]
    )
    store.write(
        source,
        [Part({"period": rows[0][3]}, stem, table)],
        query={"n": len(rows)},
        content_sha256=stem,
    )


def v1_adapter(raw: pd.DataFrame) -> pd.DataFrame:
    """A miniature Comtrade adapter: codes to ISO3, flows to words."""
    return pd.DataFrame(
        {
            "source": "ignored",
            "frequency": "A",
            "period": raw["period"].astype(str),
            "year": raw["period"].astype(int),
            "reporter": to_iso3(raw["reporterCode"], scheme="comtrade"),
            "reporter_original": raw["reporterCode"].astype(str),
            "partner": to_iso3(raw["partnerCode"], scheme="comtrade"),
            "partner_original": raw["partnerCode"].astype(str),
            "flow": raw["flowCode"].map({"M": "import", "X": "export"}),
            "hs6": raw["cmdCode"],
            "hs_original": raw["cmdCode"],
            "stage": "metals",
            "value_usd": raw["primaryValue"],
            "net_weight_kg": raw["netWgt"],
        }
    )


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def raw(settings):
    store = RawStore(settings.raw_dir)
    write_raw(
        store,
        "comtrade",
        [
            (156, 392, "X", "2021", "280530", 100.0, 10.0),
            (392, 156, "M", "2021", "280530", 112.0, 11.0),
        ],
    )
    # a later fetch revises China's export: with RAW_KEY the newer row replaces the older
    write_raw(store, "comtrade", [(156, 392, "X", "2021", "280530", 104.0, 10.0)], stem="b")
    write_raw(
        store,
        "wits",
        [
            (156, 392, "X", "2021", "280530", 98.0, 9.0),
            (156, 392, "X", "2022", "280530", 50.0, 5.0),
        ],
    )
    write_raw(store, "usgs", [(842, 0, "M", "2021", "280530", 1.0, 1.0)])
    return store


ADAPTERS = {"comtrade": Adapter(v1_adapter, RAW_KEY), "wits": v1_adapter}


def test_build_stacks_sources_long_and_reports_skips(settings, raw):
    result = build_panel(settings=settings, adapters=ADAPTERS)
    assert result.rows_by_source == {"comtrade": 2, "wits": 2}
    assert [(r.source, r.status) for r in result.skipped] == [("usgs", "no_adapter")]
    assert "retrade.panel.adapters.usgs" in result.skipped[0].message
    exports_2021 = result.panel[
        (result.panel["flow"] == "export") & (result.panel["period"] == "2021")
    ]
    # the same flow from two sources is kept twice, each with its source; the revision won
    assert sorted(zip(exports_2021["source"], exports_2021["value_usd"], strict=True)) == [
        ("comtrade", 104.0),
        ("wits", 98.0),
    ]
    assert set(result.panel["source"]) == {"comtrade", "wits"}  # not the adapters' "ignored"
    pd.testing.assert_frame_equal(load_panel(settings=settings), result.panel)


def test_build_manifest_names_entries_rows_and_hashes_of_the_tables(settings, raw):
    result = build_panel(settings=settings, adapters=ADAPTERS)
    processed = ProcessedStore(settings.processed_dir)
    record = processed.read_json("panel_build")
    assert record["rows"]["panel"] == 4 and record["sha256"] == result.sha256
    from retrade.store import sha256_file

    assert record["sha256"]["panel"] == sha256_file(processed.path("panel"))
    by_source = {s["source"]: s for s in record["sources"]}
    assert len(by_source["comtrade"]["entries"]) == 2 and by_source["comtrade"]["raw_rows"] == 2
    assert by_source["usgs"]["status"] == "no_adapter"
    # a rebuild from the same raw data writes the same bytes
    assert build_panel(settings=settings, adapters=ADAPTERS).sha256 == result.sha256


def test_mirror_and_quality_are_built_over_the_preferred_source(settings, raw):
    build_panel(settings=settings, adapters=ADAPTERS)
    m = query(
        "SELECT exporter, importer, period, export_source, export_value_fob, "
        "import_value_cif, sides FROM mirror ORDER BY period",
        settings=settings,
    )
    assert m.fillna(-1).values.tolist() == [
        ["CHN", "JPN", "2021", "comtrade", 104.0, 112.0, "both"],
        ["CHN", "JPN", "2022", "wits", 50.0, -1, "export_only"],
    ]
    n = query(
        "SELECT count(*) AS n FROM quality WHERE \"check\" = 'value_no_weight'", settings=settings
    )
    assert n["n"].iloc[0] == 0


def test_sources_can_be_named_and_unknown_ones_are_reported(settings, raw):
    result = build_panel(settings=settings, adapters=ADAPTERS, sources=["wits", "census"])
    assert result.rows_by_source == {"wits": 2}
    assert [(r.source, r.status) for r in result.skipped] == [("census", "no_data")]
    with pytest.raises(ConfigError, match=r"sources \['comtrade'\] are not in the panel"):
        load_panel(settings=settings, sources=["comtrade"])


def test_an_unmatched_country_stops_the_build_and_writes_nothing(settings, raw):
    write_raw(raw, "comtrade", [(156, 123456, "X", "2021", "280530", 1.0, 1.0)], stem="c")
    with pytest.raises(HarmonizeError, match="123456"):
        build_panel(settings=settings, adapters=ADAPTERS)
    assert not ProcessedStore(settings.processed_dir).exists("panel")


def test_rows_breaking_the_schema_name_the_adapter(settings, raw):
    def bad(raw: pd.DataFrame) -> pd.DataFrame:
        return v1_adapter(raw).assign(flow="exports")

    with pytest.raises(SchemaError, match="(?s)adapter 'wits'.*exports"):
        build_panel(settings=settings, adapters={"wits": bad})
    with pytest.raises(SchemaError, match="adapter 'wits' returned rows without"):
        build_panel(settings=settings, adapters={"wits": lambda raw: raw})
    with pytest.raises(SchemaError, match="adapter 'wits' failed on the raw rows: KeyError"):
        build_panel(settings=settings, adapters={"wits": lambda raw: raw["ProductCode"]})


def test_adapters_are_found_by_source_name(settings, raw, monkeypatch):
    module = types.ModuleType("retrade.panel.adapters.wits")
    module.to_panel = v1_adapter
    module.RAW_KEY = RAW_KEY
    monkeypatch.setitem(sys.modules, "retrade.panel.adapters.wits", module)
    assert load_adapter("wits") == Adapter(v1_adapter, RAW_KEY)
    assert load_adapter("no_such_source") is None
    result = build_panel(settings=settings, sources=["wits"])
    assert result.rows_by_source == {"wits": 2}


def test_queries_are_read_only(settings, raw):
    build_panel(settings=settings, adapters=ADAPTERS)
    tables = query("SHOW TABLES", settings=settings)["name"].tolist()
    assert tables == ["mirror", "panel", "quality"]
    for statement in (
        "COPY panel TO 'x.parquet'",
        "ATTACH 'x.db'",
        "CREATE TABLE t AS SELECT 1",
        "SELECT 1; SELECT 2",
    ):
        with pytest.raises(ConfigError, match="only queries"):
            query(statement, settings=settings)
    with pytest.raises(ConfigError, match="does not parse"):
        query("SELEC 1", settings=settings)


def test_cli_build_sql_quality_and_mirror(settings, raw, monkeypatch):
    module = types.ModuleType("retrade.panel.adapters.comtrade")
    module.to_panel, module.RAW_KEY = v1_adapter, RAW_KEY
    monkeypatch.setitem(sys.modules, "retrade.panel.adapters.comtrade", module)
    # an adapter module without to_panel counts as no adapter
    empty = types.ModuleType("retrade.panel.adapters.wits")
    monkeypatch.setitem(sys.modules, "retrade.panel.adapters.wits", empty)
    monkeypatch.setenv("RETRADE_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    built = runner.invoke(app, ["build"])
    assert built.exit_code == 0, built.output
    assert "comtrade: 2 rows" in built.output and "wits: skipped (no_adapter)" in built.output
    sql = runner.invoke(app, ["sql", "SELECT source, count(*) AS n FROM panel GROUP BY 1", "--csv"])
    assert sql.exit_code == 0 and sql.output.splitlines() == ["source,n", "comtrade,2"]
    mirror = runner.invoke(app, ["mirror", "--exporter", "CHN", "--csv"])
    assert mirror.exit_code == 0 and "CHN,JPN" in mirror.output
    quality = runner.invoke(app, ["quality", "--summary"])
    assert quality.exit_code == 0, quality.output
    record = json.loads((settings.processed_dir / "panel_build.json").read_text())
    assert record["rows"]["panel"] == 2


def test_cli_ingest_bulk(settings, tmp_path, monkeypatch):
    from retrade.testing import synthetic_comtrade_bulk

    monkeypatch.setenv("RETRADE_DATA_DIR", str(settings.data_dir))
    bulk = synthetic_comtrade_bulk(tmp_path / "C_A_2022_H6.txt.gz", rows=10_000)
    result = CliRunner().invoke(app, ["ingest-bulk", str(bulk), "--hs", "metals"])
    assert result.exit_code == 0, result.output
    assert "10,000 rows read, 1,728 kept" in result.output  # 2 codes x 864 rows
    kept = RawStore(settings.raw_dir).read("comtrade_bulk")
    assert set(kept["cmdCode"]) == {"280530", "720299"}


def test_empty_store_builds_an_empty_valid_panel(settings):
    result = build_panel(settings=settings, adapters={})
    assert result.panel.empty and list(result.panel.columns) == list(S.COLUMNS)
    assert query("SELECT count(*) AS n FROM panel", settings=settings)["n"].iloc[0] == 0


def test_bulk_rows_reach_the_panel_through_the_comtrade_adapter(settings, tmp_path):
    from retrade.fetch.comtrade.bulk_file import ingest_comtrade_bulk
    from retrade.testing import synthetic_comtrade_bulk

    bulk = synthetic_comtrade_bulk(tmp_path / "C_A_2022_H6.txt.gz", rows=10_000, seed=3)
    kept = ingest_comtrade_bulk(bulk, store=RawStore(settings.raw_dir)).rows_kept
    result = build_panel(settings=settings)  # adapters imported by source name
    assert result.rows_by_source == {"comtrade_bulk": kept}
    raw = RawStore(settings.raw_dir).read("comtrade_bulk")
    panel = result.panel
    assert panel["value_usd"].sum() == pytest.approx(raw["primaryValue"].sum(), rel=1e-12)
    assert set(panel["hs6"]) == set(raw["cmdCode"])
    assert (panel.loc[panel["partner_original"] == "490", "partner"] == "XOA").all()
