"""The report section on element-level controls and provinces: needs_data without GACC
downloads (naming the import command, still showing the catalog), ok with them.

The GACC input is built at run time as in ``test_elements_import.py`` (real 2024 and
2025-01..10 platform downloads, real province columns and codes, real rare-earth codes),
so it spans the April 2025 controls. Checks are on statuses, the tables written and the
numbers against the element panel they come from (exact: the same sums).
"""

from __future__ import annotations

import pandas as pd

from retrade.config import load_settings
from retrade.fetch.files import import_file
from retrade.panel.query import load_elements
from retrade.pipeline import run_quarterly
from retrade.pipeline.elements import catalog_summary, exports_by_status

SAMPLES = ("gacc_zh_soybean_exports_to_us_2024_cny_GBK.csv",
           "gacc_zh_soybean_exports_to_us_2025-01_to_10_cny_GBK.csv")


def _run(settings):
    return run_quarterly(quarter="2026Q1", offline=True, settings=settings, progress=False,
                         sections=["elements_provinces"])


def test_without_gacc_downloads_the_section_says_what_to_import(tmp_path):
    settings = load_settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    res = _run(settings)
    assert res.status("elements_provinces") == "needs_data"
    message = next(s.message for s in res.sections if s.key == "elements_provinces")
    assert "retrade import FILE --flow export" in message
    assert "stats.customs.gov.cn" in message
    table = pd.read_csv(res.folder / "tables" / "element_catalog.csv")
    assert int(table["lines"].sum()) == int(catalog_summary()["lines"].sum()) == 58


def test_with_gacc_downloads_the_section_estimates_and_shows_provinces(shared, tmp_path):
    from _gacc_input import build_input

    settings = load_settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    for sample in SAMPLES:
        path, _ = build_input(shared, tmp_path, "zh", sample)
        import_file(path, settings=settings)
    res = _run(settings)  # the run records its warnings in the report, it does not emit them
    assert res.status("elements_provinces") == "ok"
    tables = res.folder / "tables"
    did = pd.read_csv(tables / "element_did.csv")
    assert did["term"].iloc[0] == "2025-04 controls: controlled x in force"
    shares = pd.read_csv(tables / "province_shares.csv", dtype={"province": str})
    assert set(shares["period"].astype(str)) == {"2024", "2025"}
    assert shares.groupby("period")["share"].sum().round(12).eq(1).all()
    exports = pd.read_csv(tables / "element_exports.csv")
    expected = exports_by_status(load_elements(settings=settings))
    assert exports["kg"].sum() == expected["kg"].sum()
    assert (res.folder / "figures" / "province_shares_plot.png").exists()
    report = (res.folder / "report.md").read_text(encoding="utf-8")
    assert "Element-level controls and provinces" in report
