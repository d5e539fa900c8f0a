"""The import front end: format detection over every shared file, refusals, and the store.

Every file under ../shared/data (except reference/) is either recognized as one
format or refused with a reason; a damaged file or a failure while writing
leaves the store exactly as it was; the same file twice is a no-op.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from retrade.errors import ImportFormatError
from retrade.fetch.files import FORMATS, detect_format, import_file, read_file
from retrade.store import RawStore

# folder -> {file: format it must be detected as, or None when it must be refused}
EXPECTED_BY_FOLDER: dict[str, dict[str, str | None]] = {
    "census-samples": {
        "DERIVED_porths_imports_hs2-28_2024-12_selected_rows_as_api_json.json": "census",
        "porths_exports_hs2-28_2024-12_ytd_Rwritecsv.csv": "census",
        "porths_imports_hs2-28_2024-12_ytd_Rwritecsv.csv": "census",
        "ustrade_census_schedule_c_country_codes.csv": None,
    },
    "china-customs-samples": {
        "DERIVED_gacc_download_column_names_en_zh.csv": None,
        "DERIVED_gacc_rare_earth_hs8_codes_2015_2023.csv": None,
        "EDITED_gacc_codes_partners_en-TradingPartner-cleaned-manually_UTF8.csv": None,
        "EDITED_gacc_codes_partners_zh-TradingPartner-cleaned-manually_UTF8.csv": None,
        "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_cny_UTF8.csv": "china_customs",
        "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_usd_UTF8.csv": "china_customs",
        "gacc_codes_commodities_en-hs8-2023.csv": None,
        "gacc_codes_commodities_zh-hs8-2023.csv": None,
        "gacc_codes_partners_en-TradingPartner.csv": None,
        "gacc_codes_partners_zh-TradingPartner.csv": None,
        "gacc_codes_provinces_china_customs_provinces.csv": None,
        "gacc_codes_regimes_en-CustomsRegime.csv": None,
        "gacc_codes_regimes_zh-CustomsRegime.csv": None,
        "gacc_zh_soybean_exports_to_us_2024_cny_GBK.csv": "china_customs",
        "gacc_zh_soybean_exports_to_us_2025-01_to_10_cny_GBK.csv": "china_customs",
        "gacc_zh_soybean_imports_by_partner_2024_cny_GBK.csv": "china_customs",
        "gacc_zh_soybean_imports_by_partner_2025-01_to_10_cny_GBK.csv": "china_customs",
        "gacc_zh_soybean_mixed_2023_cny_GBK.csv": "china_customs",
    },
    "comtradr-fixtures": {
        "bulk_v1_get_C_A_HS_empty.body.json": "comtrade",
        "bulk_v1_get_C_A_HS_filelist.body.json": "comtrade",
        "data_v1_get_C_A_HS_401_unauthorized.body.json": "comtrade",
        "data_v1_get_C_A_HS_401_unauthorized.meta.json": None,
        "data_v1_get_C_A_HS_chn_2010_total_allflows.body.json": "comtrade",
        "data_v1_get_C_A_HS_chn_2010_total_allflows.meta.json": None,
        "data_v1_get_C_A_HS_chn_2010_total_httptest_pretty.body.json": "comtrade",
        "data_v1_get_C_A_HS_chn_imports_2010_total_4partners.body.json": "comtrade",
        "data_v1_get_C_A_HS_chn_imports_2010_total_4partners.meta.json": None,
        "data_v1_get_S_A_EB_empty.body.json": "comtrade",
        "data_v1_get_S_A_EB_empty.meta.json": None,
        "reference_HS.body.json": None,
        "reference_HS.meta.json": None,
        "reference_ModeOfTransportCodes.body.json": None,
        "reference_ModeOfTransportCodes.meta.json": None,
        "reference_Reporters.body.json": None,
        "reference_Reporters.meta.json": None,
        "reference_TradeDataItems.body.json": None,
        "reference_TradeDataItems.meta.json": None,
    },
    "eurostat-comext-samples": {
        "DERIVED_comext_ds045409_cn8-39201081_partner_CN_rows.csv": "comext",
        "comext_ds045409_sdmxcsv_cn8-39201081_monthly_2023-2025_HEAD200.csv": "comext",
    },
    "materials-atlas": {
        "TRANSCRIBED_baci_850511_world_series_2002_2024.csv": "baci_summary",
        "TRANSCRIBED_baci_re_world_summary_2002_2024.csv": "baci_summary",
        "china_ree_supply.json": "atlas_supply",
    },
    "pnnl-cmm-data": {
        "collection_summary.json": None,
        "comtrade_v1_chn_usa_2846_280530_2020_2024.csv": "comtrade",
        "usgs_mcs/mcs2022-raree_salient.csv": "usgs_mcs",
        "usgs_mcs/mcs2022-raree_world.csv": "usgs_mcs",
        "usgs_mcs/mcs2023-raree_salient.csv": "usgs_mcs",
        "usgs_mcs/mcs2023-raree_world.csv": "usgs_mcs",
        "usgs_mcs/mcs2024-raree_salient.csv": "usgs_mcs",
        "usgs_mcs/mcs2024-raree_world.csv": "usgs_mcs",
    },
    "qennis-china-critical-minerals": {
        "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv": "monthly_table",
        "composition_subgroup.csv": "monthly_table",
        "country_monthly_stats.csv": "monthly_table",
        "geopolitics_qty.csv": "monthly_table",
        "hs_map.csv": None,
        "overview_monthly.csv": "monthly_table",
        "strategic_premium_hs6.csv": "monthly_table",
    },
    "semenko-china-ree-wits": {
        "DERIVED_china_ree_exports_bilateral_panel_long.csv": "wits",
        "DERIVED_china_ree_exports_world_annual.csv": None,
        "china_ree_exports_280530_with_controls.xlsx": "wits",
        "china_ree_exports_850511_with_controls.xlsx": "wits",
        "china_ree_exports_with_controls.xlsx": "wits",
        "clean_china_ree_exports_284690_2010_2024.xlsx": "wits",
    },
    "un-comtrade-sdk-preview": {
        "india_exports_2022_single_partner.json": "comtrade",
        "india_exports_2022_world_total.json": "comtrade",
    },
}
EXPECTED = {
    f"{folder}/{name}": fmt
    for folder, files in EXPECTED_BY_FOLDER.items()
    for name, fmt in files.items()
}
# recognized files the importer must still refuse, with a word the message must contain
REFUSED_ON_READ = {
    "comtradr-fixtures/bulk_v1_get_C_A_HS_filelist.body.json": "bulk file list",
    "comtradr-fixtures/data_v1_get_C_A_HS_401_unauthorized.body.json": "statusCode 401",
    "china-customs-samples/gacc_zh_soybean_mixed_2023_cny_GBK.csv": "--flow",
}
WITS_CSV = (
    "Reporter,TradeFlow,ProductCode,Product Description,Year,Partner,"
    "Trade Value 1000USD,Quantity,Quantity Unit\n"
    "China,Export,284690,Compounds of rare-earth metals,2020,Japan,1500.5,120000,Kg\n"
    "China,Export,284690,Compounds of rare-earth metals,2020,World,9000.25,800000,Kg\n"
)


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (the lock file aside) with the hash of its bytes."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_every_shared_file_is_listed(shared):
    root = shared()
    found = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in (".csv", ".json", ".xlsx")
        and p.relative_to(root).parts[0] != "reference"
    }
    assert found == set(EXPECTED), "a shared data file is new or gone: update EXPECTED"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detect_or_refuse(shared, name):
    path = shared(*name.split("/"))
    expected = EXPECTED[name]
    if expected is None:
        with pytest.raises(ImportFormatError, match="does not recognize"):
            detect_format(path)
    else:
        assert detect_format(path) == expected


@pytest.mark.parametrize("name", sorted(REFUSED_ON_READ))
def test_recognized_but_refused(shared, name, tmp_path):
    store = RawStore(tmp_path / "raw")
    with pytest.raises(ImportFormatError, match=REFUSED_ON_READ[name]):
        import_file(shared(*name.split("/")), store=store)
    assert _snapshot(tmp_path / "raw") == {}


def test_refusals_say_what_a_non_data_file_is(shared):
    cases = {
        ("comtradr-fixtures", "reference_HS.body.json"): "reference or code list",
        ("comtradr-fixtures", "reference_HS.meta.json"): "HTTP recording",
        ("china-customs-samples", "gacc_codes_partners_zh-TradingPartner.csv"): "code list",
    }
    for parts, words in cases.items():
        with pytest.raises(ImportFormatError, match=words):
            detect_format(shared(*parts))


def test_unknown_and_missing_files_are_refused(tmp_path):
    odd = tmp_path / "notes.csv"
    odd.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="notes.csv.*It begins: 'a,b,c'"):
        import_file(odd, store=RawStore(tmp_path / "raw"))
    with pytest.raises(ImportFormatError, match="no file"):
        import_file(tmp_path / "absent.csv", store=RawStore(tmp_path / "raw"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFormatError, match="empty"):
        read_file(empty)
    with pytest.raises(ValueError, match="format must be one of"):
        read_file(odd, format="excel")
    assert _snapshot(tmp_path / "raw") == {}


def test_same_file_twice_is_a_noop_and_a_changed_file_is_not(tmp_path):
    path = tmp_path / "wits.csv"
    path.write_text(WITS_CSV, encoding="utf-8")
    store = RawStore(tmp_path / "raw")
    first = import_file(path, store=store)
    before = _snapshot(tmp_path / "raw")
    again = import_file(path, store=store)
    assert first.written and not again.written
    assert "already imported" in again.message and again.entry_id == first.entry_id
    assert _snapshot(tmp_path / "raw") == before
    assert len(store.entries("wits")) == 1

    path.write_text(WITS_CSV.replace("1500.5", "1600.5"), encoding="utf-8")
    revised = import_file(path, store=store)
    assert revised.written and len(store.entries("wits")) == 2
    rows = store.read("wits", key=["Reporter", "Partner", "ProductCode", "Year", "TradeFlow"])
    assert len(rows) == 2  # the revision replaces the old values, not adds to them
    assert rows.set_index("Partner").loc["Japan", "Trade Value 1000USD"] == 1600.5
    assert store.entries("wits")[-1].content_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_reimport_after_removal_writes_again(tmp_path):
    path = tmp_path / "wits.csv"
    path.write_text(WITS_CSV, encoding="utf-8")
    store = RawStore(tmp_path / "raw")
    first = import_file(path, store=store)
    store.remove("wits", list(first.files), reason="test")
    assert store.read("wits").empty
    again = import_file(path, store=store)
    assert again.written and len(store.read("wits")) == 2


def test_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "wits.csv"
    path.write_text(WITS_CSV, encoding="utf-8")
    report = import_file(path, store=RawStore(tmp_path / "raw"), dry_run=True)
    assert not report.written and report.summary.rows == 2
    assert _snapshot(tmp_path / "raw") == {}


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) * 2 // 3], id="truncated"),
        pytest.param(lambda b: b.replace(b"1500.5", b"15x0.5"), id="garbled-number"),
        pytest.param(lambda b: b[:40] + b"\xff\xfe\x00" + b[40:], id="garbled-bytes"),
    ],
)
def test_damaged_file_leaves_store_unchanged(tmp_path, damage):
    store = RawStore(tmp_path / "raw")
    good = tmp_path / "good.csv"
    good.write_text(WITS_CSV, encoding="utf-8")
    import_file(good, store=store)
    before = _snapshot(tmp_path / "raw")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(damage(WITS_CSV.encode("utf-8")))
    with pytest.raises(ImportFormatError):
        import_file(bad, store=store, format="wits")
    assert _snapshot(tmp_path / "raw") == before


def test_failure_while_writing_leaves_no_trace(shared, tmp_path, monkeypatch):
    """A crash after some Parquet files are written: no manifest entry, no orphan files."""
    import retrade.store.raw as raw_module

    store = RawStore(tmp_path / "raw")
    calls = {"n": 0}
    real = raw_module.write_staged  # where each Parquet file is written (and fsynced)

    def flaky(target, data, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(target, data, **kw)

    monkeypatch.setattr(raw_module, "write_staged", flaky)
    path = shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv")
    with pytest.raises(OSError, match="disk full"):
        import_file(path, store=store)
    assert calls["n"] == 3
    assert store.entries("comtrade_files") == []
    assert not list((tmp_path / "raw").rglob("*.parquet"))


def test_options_are_checked(shared, tmp_path):
    soy = shared("china-customs-samples", "gacc_zh_soybean_mixed_2023_cny_GBK.csv")
    with pytest.raises(ValueError, match=r"flow must be one of \('import', 'export'\)"):
        read_file(soy, flow="imports")
    with pytest.raises(ValueError, match="does not take option"):
        read_file(shared("pnnl-cmm-data", "usgs_mcs", "mcs2024-raree_world.csv"), flow="import")


def test_cli_reports_and_stores(shared, tmp_path):
    from retrade.cli.imports import app

    runner = CliRunner()
    path = shared("pnnl-cmm-data", "usgs_mcs", "mcs2024-raree_salient.csv")
    result = runner.invoke(app, [str(path), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "format usgs_mcs -> source usgs" in result.output and "95 row(s) read" in result.output
    assert "marked 'E' (net exporter)" in result.output
    assert len(RawStore(tmp_path / "raw").entries("usgs")) == 1

    again = runner.invoke(app, [str(path), "--data-dir", str(tmp_path)])
    assert "already imported" in again.output

    mixed = shared("china-customs-samples", "gacc_zh_soybean_mixed_2023_cny_GBK.csv")
    refused = runner.invoke(app, [str(mixed), "--data-dir", str(tmp_path)])
    assert isinstance(refused.exception, ImportFormatError)
    bad_flow = runner.invoke(app, [str(mixed), "--flow", "both", "--data-dir", str(tmp_path)])
    assert bad_flow.exit_code == 2 and "import, export" in bad_flow.output
    bad_format = runner.invoke(app, [str(mixed), "--format", "xls", "--data-dir", str(tmp_path)])
    assert bad_format.exit_code == 2 and "comtrade" in bad_format.output
    given = runner.invoke(app, [str(mixed), "--flow", "export", "--data-dir", str(tmp_path)])
    assert given.exit_code == 0 and "flow 'export' as given" in given.output


def test_formats_are_all_importable():
    from retrade.fetch.files import format_module

    for name in FORMATS:
        module = format_module(name)
        assert name == module.FORMAT and callable(module.sniff) and callable(module.read)


def test_partition_values_are_safe_folder_names(tmp_path):
    path = tmp_path / "wits.csv"
    path.write_text(WITS_CSV.replace("China", '"Korea, Rep."'), encoding="utf-8")
    report = import_file(path, store=RawStore(tmp_path / "raw"))
    assert all("," not in f and " " not in f for f in report.files)
    stored = RawStore(tmp_path / "raw").read("wits")
    assert set(stored["Reporter"]) == {"Korea, Rep."}
    assert pd.api.types.is_string_dtype(stored["ProductCode"])
