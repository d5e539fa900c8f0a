"""The quarterly report as readers get it: front page, self-contained HTML, PDF, CLI for scripts.

Two offline runs (2026Q3, then 2026Q4) on a data folder filled from ../shared/data the way
users fill it (``real_store``). The front page's numbers are checked against the section
tables they come from, read back from the CSV files independently of the code that wrote
the front page; the PDF is read back with pypdf.

Tolerance: exact for text; 1e-9 relative for numbers read back from CSV (written with 10
significant digits).
"""

from __future__ import annotations

import base64
import json
import math
import re
import sys
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from retrade.pipeline import run_quarterly  # noqa: E402

FAST = ("naive", "ets")
REL = 1e-9
BODY = ("What changed since last quarter", "Export restrictions", "Dual-chain dependency",
        "Overseas capacity against demand", "Forecasts and scenarios",
        "Policy timeline and published figures")


@pytest.fixture(scope="module")
def runs(real_store, tmp_path_factory):
    """The 2026Q3 and 2026Q4 reports of one store, in one reports folder."""
    settings = real_store.with_(reports_dir=tmp_path_factory.mktemp("page") / "reports")
    args = {"offline": True, "settings": settings, "forecast_models": FAST, "progress": False}
    return run_quarterly(quarter="2026Q3", **args), run_quarterly(quarter="2026Q4", **args)


class _Links(HTMLParser):
    """Every src/href of a page, and the tags that would load something."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag in ("script", "iframe", "video", "audio", "source") and attrs.get("src"):
            self.loads.append(f"{tag} {attrs['src']}")
        if tag == "link":
            self.loads.append(f"link {attrs.get('href')}")


def test_the_html_page_travels_alone(runs):
    _, now = runs
    page = (now.folder / "report.html").read_text()
    links = _Links()
    links.feed(page)
    assert links.loads == []
    assert len(links.images) >= 8
    assert all(src.startswith("data:image/png;base64,") for src in links.images)
    assert not re.search(r"url\(|@import|https?://[^\s\"'<]*\.(png|css|js)", page)
    headline = (now.folder / "figures" / "headline_china_share.png").read_bytes()
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in links.images}
    assert headline in embedded  # the same PNG bytes as the file beside the page


def test_the_pdf_has_every_section(runs):
    from pypdf import PdfReader

    _, now = runs
    reader = PdfReader(now.folder / "report.pdf")
    outline = [item.title for item in _flatten(reader.outline)]
    for title in ("Key findings", *BODY, "Appendix", "About this report",
                  "Data coverage and quality", "Export restrictions: details"):
        assert title in outline, title
    first = reader.pages[0].extract_text()
    assert "Key findings" in first and "69.2%" in first
    assert len(reader.pages) > 10


def _flatten(items):
    for item in items:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _latest(table: pd.DataFrame, column: str) -> tuple[str, float]:
    rows = table[["period", column]].dropna().sort_values("period")
    return str(rows["period"].iloc[-1]), float(rows[column].iloc[-1])


def test_the_front_page_carries_the_section_numbers(runs):
    _, now = runs
    tables = now.folder / "tables"
    findings = pd.read_csv(tables / "findings.csv", dtype={"period": str}).set_index("key")
    shares = pd.read_csv(tables / "china_share.csv", dtype={"period": str})
    ban = pd.read_csv(tables / "tech_ban_intervention.csv", dtype={"hs6": str}).set_index("hs6")
    capacity = pd.read_csv(tables / "capacity_definitions.csv", dtype={"year": str})
    forecasts = pd.read_csv(tables / "forecasts.csv", dtype={"period": str})
    expected = {
        "china_share_usa": _latest(shares, "USA 284690 mirror"),
        "china_share_jpn": _latest(shares, "JPN 284690 mirror"),
        "restriction_effect": ("2024", ban.loc["284690", "cumulative_effect"]),
        "nonchina_supply_share": (capacity["year"].iloc[0], capacity["nonchina_share"].iloc[0]),
        "forecast_next_year": ("2027", forecasts.query(
            "series == 'china_share_usa_284690' and period == '2027' and level == 0.8")
            ["yhat"].item()),
    }
    assert sorted(findings.index) == sorted(expected)
    html = (now.folder / "report.html").read_text()
    markdown = (now.folder / "report.md").read_text()
    for key, (period, value) in expected.items():
        row = findings.loc[key]
        assert row["period"] == period, key
        assert row["value"] == pytest.approx(value, rel=REL), key
        shown = f"{100 * value:+.1f}%" if key == "restriction_effect" else f"{100 * value:.1f}%"
        assert shown.replace("+", "") in html.split('id="key-findings"')[1][:20000], key
        assert row["sentence"] in markdown
    low, high = ban.loc["284690", ["cumulative_low", "cumulative_high"]]
    assert f"{100 * low:.1f}%" in findings.loc["restriction_effect", "sentence"]
    assert math.isclose(findings.loc["restriction_effect", "high"], high, rel_tol=REL)
    # how recent the data are, up front
    summary = "The trade data run to 2024 (annual) and 2024-12 (monthly)"
    assert summary in html.split('id="key-findings"')[0]
    assert markdown.index(summary) < markdown.index("## Key findings")


def test_each_finding_says_how_it_moved_since_last_quarter(runs):
    before, now = runs
    first = pd.read_csv(before.folder / "tables" / "findings.csv")
    assert set(first["sentence"]) and first["change"].isna().all()
    assert [f.change_text for f in before.findings] == (
        ["No earlier report to compare with."] * len(before.findings))
    assert {f.change_text for f in now.findings} == {"Unchanged since the 2026Q3 report."}
    markdown = (now.folder / "report.md").read_text()
    assert markdown.index("## What changed since last quarter") < markdown.index(
        "## Export restrictions") < markdown.index("# Appendix") < markdown.index(
        "## Data coverage and quality")
    assert "Compared with the 2026Q3 report." in markdown
    assert "No earlier value was revised." in markdown


def test_a_revised_finding_reports_its_change():
    from retrade.pipeline.front import compared
    from retrade.report import Finding

    finding = Finding("china_share_usa", "x", "y", 0.70, "percent", "2024")
    before = pd.DataFrame({"key": ["china_share_usa"], "value": [0.68], "period": ["2023"]})
    moved = compared(finding, "2026Q3", before)
    assert moved.change == pytest.approx(0.02)
    assert moved.change_text == "+2.0 pp since the 2026Q3 report (then 68.0% for 2023)."
    assert compared(finding, "2026Q3", before.assign(key="other")).change_text == (
        "New since the 2026Q3 report.")


def test_long_tables_are_newest_first_and_folded_not_cut(runs):
    _, now = runs
    html = (now.folder / "report.html").read_text()
    timeline = pd.read_csv(now.folder / "tables" / "policy_timeline.csv")
    assert timeline["date"].iloc[0] >= timeline["date"].iloc[-1]
    assert timeline["date"].iloc[0].startswith("2026")
    block = html.split('id="table-policy_timeline"')[1].split("</details>")[0]
    assert block.count("<tr>") == len(timeline) + 1  # every row and the header
    assert "more rows" not in html
    assert "e-0" not in html.split('id="key-findings"')[1]  # no exponent anywhere in the body
    assert "PROVENANCE" not in html and "PROVENANCE" not in (now.folder / "report.md").read_text()


def test_run_json_prints_statuses_and_findings(tmp_path):
    from retrade.cli import app

    args = ["run", "--offline", "--quarter", "2026Q4", "--data-dir", str(tmp_path / "data"),
            "--reports-dir", str(tmp_path / "reports"), "--sections",
            "overseas_capacity,reference_context", "--models", "naive", "--json"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    statuses = {s["key"]: s["status"] for s in result["sections"]}
    assert statuses["overseas_capacity"] == "ok" and statuses["dual_chain"] == "skipped"
    capacity = pd.read_csv(tmp_path / "reports" / "2026Q4" / "tables" /
                           "capacity_definitions.csv")
    found = {f["key"]: f for f in result["findings"]}
    assert found["nonchina_supply_share"]["value"] == pytest.approx(
        capacity["nonchina_share"].iloc[0], rel=REL)


def test_version_help_and_completion():
    import retrade
    from retrade.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).stdout.strip() == f"retrade {retrade.__version__}"
    short = runner.invoke(app, ["-h"])
    assert short.exit_code == 0 and "--install-completion" in short.stdout
    assert runner.invoke(app, ["run", "-h"]).stdout == runner.invoke(app, ["run", "--help"]).stdout


def test_steps_run_where_resource_does_not_exist(monkeypatch):
    from retrade.pipeline.steps import Steps, peak_rss_mib

    assert peak_rss_mib() > 0
    monkeypatch.setitem(sys.modules, "resource", None)  # as on Windows: import fails
    assert math.isnan(peak_rss_mib())
    steps = Steps(progress=False)
    with steps.step("work"):
        pass
    assert steps.timings[0].name == "work" and math.isnan(steps.timings[0].peak_rss_mib)
