"""``retrade dual`` commands print what the models compute (exact text of the 28.9% row)."""

from __future__ import annotations

from typer.testing import CliRunner

from retrade.cli.dual import app


def test_capacity_and_project_commands():
    runner = CliRunner()
    cap = runner.invoke(app, ["capacity", "--year", "2024"])
    assert cap.exit_code == 0, cap.output
    assert "0.289474" in cap.output and "MCS2026" in cap.output
    proj = runner.invoke(app, ["project", "--scenario", "no_change", "--draws", "5"])
    assert proj.exit_code == 0, proj.output
    assert "share_of_supply        2035: 0.289 [0.289, 0.289]" in proj.output
    missing = runner.invoke(app, ["report", "no-such-panel.csv"])
    assert missing.exit_code != 0 and "no-such-panel.csv" in str(missing.exception)
