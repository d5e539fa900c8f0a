"""The report writer: complete folders, atomic replacement, stable output, 'what changed'.

Tolerance: exact (rendering and file contents are deterministic).
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from retrade.report import Report, ReportFigure, ReportTable, Section, to_markdown, write_report  # noqa: E402
from retrade.report.changes import what_changed  # noqa: E402


def _report(quarter="2026Q4", yhat=0.5, last="2024-12", broken=False):
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [yhat, yhat, yhat])
    forecasts = pd.DataFrame(
        {
            "series": ["jpn_share"] * 2,
            "model": ["ets"] * 2,
            "period": ["2025", "2026"],
            "yhat": [yhat, yhat + 0.1],
            "level": [0.95, 0.95],
        }
    )
    coverage = pd.DataFrame(
        {"source": ["wits"], "frequency": ["A"], "rows": [100], "last_period": [last]}
    )
    sections = [
        Section(
            "forecasts",
            "Forecasts",
            "Point forecasts.",
            (ReportTable("forecasts", forecasts),),
            (ReportFigure("fan", fig, "A fan chart"),),
        ),
        Section("coverage", "Data coverage", tables=(ReportTable("data_coverage", coverage),)),
        Section(
            "gravity",
            "Gravity",
            status="failed" if broken else "needs_data",
            message="needs several reporters: run retrade fetch comtrade with a key",
        ),
    ]
    return Report(
        quarter, "Rare-earth dependency report", tuple(sections), {"seed": 0}, {"panel": "abc"}
    )


def test_report_folder_has_every_part_and_a_manifest(tmp_path):
    folder = write_report(_report(), tmp_path)
    for rel in (
        "report.html",
        "report.md",
        "figures/fan.png",
        "tables/forecasts.csv",
        "manifest.json",
    ):
        assert (folder / rel).is_file(), rel
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sections"]["gravity"]["status"] == "needs_data"
    assert manifest["packages"]["pandas"] == pd.__version__
    assert set(manifest["files"]) >= {"report.md", "tables/forecasts.csv", "figures/fan.png"}
    assert "needs data" in (folder / "report.md").read_text()
    assert "run retrade fetch comtrade" in (folder / "report.html").read_text()


def test_same_inputs_give_identical_files(tmp_path):
    a = write_report(_report(), tmp_path / "a")
    b = write_report(_report(), tmp_path / "b")
    for rel in ("report.md", "report.html", "tables/forecasts.csv", "figures/fan.png"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_a_failed_write_keeps_the_previous_report(tmp_path, monkeypatch):
    first = write_report(_report(yhat=0.5), tmp_path)
    before = (first / "tables" / "forecasts.csv").read_text()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("retrade.report.write.to_html", explode)
    with pytest.raises(OSError, match="disk full"):
        write_report(_report(yhat=0.9), tmp_path)
    assert (first / "tables" / "forecasts.csv").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["2026Q4"]


def test_what_changed_against_the_previous_quarter(tmp_path):
    write_report(_report("2026Q3", yhat=0.5, last="2024-11"), tmp_path)
    now = _report("2026Q4", yhat=0.6, last="2024-12")
    tables = {t.name: t.frame for s in now.sections for t in s.tables}
    changes = what_changed(tables, reports_dir=tmp_path, quarter="2026Q4")
    assert changes.previous_quarter == "2026Q3"
    row = changes.forecasts.set_index("period").loc["2025"]
    assert row["change"] == pytest.approx(0.1)
    assert row["change_pct"] == pytest.approx(20.0)
    assert "2024-11 -> 2024-12" in changes.summary()
    assert not what_changed(tables, reports_dir=tmp_path, quarter="2026Q3").has_previous


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quarter": "2026-Q4"}, "2026-Q4"),
        ({"sections": (Section("a", "A"), Section("a", "B"))}, "'a'"),
    ],
)
def test_bad_reports_are_refused_with_the_value(kwargs, match):
    args = {"quarter": "2026Q4", "title": "t", "sections": ()} | kwargs
    with pytest.raises(ValueError, match=match):
        Report(**args)


def test_markdown_shows_failed_sections():
    text = to_markdown(_report(broken=True))
    assert "## Gravity (FAILED)" in text
