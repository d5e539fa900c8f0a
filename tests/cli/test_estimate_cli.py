"""``retrade estimate`` prints what the models compute and writes tables only where asked.

Tolerance: the CLI's CSV must equal the library result's tidy table to 1e-12 (the
same computation, printed at full precision).
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from typer.testing import CliRunner

from retrade.cli.estimate import app
from retrade.models import exposure_did, top_k
from retrade.models.simulate import exposure_panel, monthly_series


@pytest.fixture
def panel_file(tmp_path):
    path = tmp_path / "panel.csv"
    exposure_panel(n_partners=15, n_exposed=4, seed=5).to_csv(path, index=False)
    return path


def test_events_lists_the_curated_treatments():
    out = CliRunner().invoke(app, ["events"])
    assert out.exit_code == 0, out.output
    assert "2025-04 controls" in out.output and "Sm Gd Tb Dy Lu Sc Y" in out.output


def test_did_prints_the_summary_and_writes_the_same_numbers(panel_file, tmp_path):
    csv = tmp_path / "did.csv"
    out = CliRunner().invoke(app, ["did", str(panel_file), "--event", "2015 quota removal",
                                   "--hs6", "284690", "--top-k", "4", "--csv", str(csv)])
    assert out.exit_code == 0, out.output
    assert "Exposure difference-in-differences (PPML)" in out.output and "Caveats" in out.output
    panel = pd.read_csv(panel_file, dtype={"hs6": str, "period": str})
    expected = exposure_did(panel, "2015 quota removal", hs6="284690", outcome="ppml",
                            exposure=top_k(4)).tidy()
    got = pd.read_csv(io.StringIO(csv.read_text()))
    assert got["estimate"].iloc[0] == pytest.approx(expected["estimate"].iloc[0], rel=1e-12)


def test_dynamic_and_intervention_commands(panel_file, tmp_path):
    out = CliRunner().invoke(app, ["did", str(panel_file), "--event", "2015 quota removal",
                                   "--hs6", "284690", "--top-k", "4", "--dynamic"])
    assert out.exit_code == 0, out.output
    assert "pre-trend test" in out.output
    series = tmp_path / "series.csv"
    s = monthly_series(step=-0.2, event="2023-01", seed=3)
    pd.DataFrame({"period": s.index.astype(str), "value_usd": s.to_numpy()}).to_csv(series,
                                                                                    index=False)
    latex = tmp_path / "out.tex"
    out = CliRunner().invoke(app, ["intervention", str(series), "--event",
                                   "2023-12 technology ban", "--latex", str(latex)])
    assert out.exit_code == 0, out.output
    assert "cumulative effect" in out.output and latex.read_text().startswith(r"\begin{tabular}")


def test_bad_inputs_fail_with_the_value_named(tmp_path, panel_file):
    missing = CliRunner().invoke(app, ["did", "nope.csv", "--event", "2015 quota removal"])
    assert missing.exit_code != 0 and "nope.csv" in str(missing.exception)
    bad = CliRunner().invoke(app, ["did", str(panel_file), "--event", "2015 quota removal",
                                   "--baseline", "2010to2014"])
    assert bad.exit_code != 0 and "2010to2014" in str(bad.exception)
