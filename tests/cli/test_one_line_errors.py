"""Every bad input is a one-line error: each CLI command, a bad value for each of its options.

The CLI promises (README, "The command line"): an error is one line on stderr
naming the offending value, with exit status 2, and no traceback. This file
runs every command of the real ``retrade`` app (the root group with its error
handling, as the console script runs it) with a bad value for each option and
argument that can have one, and checks exactly that. A test at the end walks
the app and fails when a command or option has no case here, so a new option
must come with its bad value.

Options without a bad value (on/off flags, free-text labels such as
``forecast run --name``) are listed in ``NO_BAD_VALUE`` with the reason.
Tolerance: none (texts and exit codes are compared exactly or by substring).
"""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from conftest import WITS_LONG, shared_path
from retrade.cli import app

# options that take any value (or none): nothing to refuse, with why
NO_BAD_VALUE = {
    "--csv": "a flag (panel quality/mirror/sql); a path for estimate (covered there)",
    "--summary": "a flag", "--dry-run": "a flag", "--dynamic": "a flag", "--quiet": "a flag",
    "--offline": "a flag", "--scenarios": "a flag", "--repair": "a flag",
    "--no-hashes": "a flag", "--allow-empty": "a flag", "--count-first": "a flag",
    "--availability": "a flag", "--json": "a flag",
    "--name": "forecast run: any text labels the series", "--unit": "forecast run: any text",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A data folder holding the real WITS exports, built; and bad input files of each kind."""
    from retrade.config import load_settings
    from retrade.fetch.files import import_file
    from retrade.panel.build import build_panel

    root = tmp_path_factory.mktemp("bad_inputs")
    (root / "empty.toml").write_text("")
    settings = load_settings(root / "empty.toml", data_dir=root / "data",
                             reports_dir=root / "reports")
    import_file(shared_path(*WITS_LONG), settings=settings)
    build_panel(settings=settings)
    (root / "empty.csv").write_text("")
    (root / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (root / "not_a_panel.csv").write_text("a,b\n1,2\n")
    pd.DataFrame({"period": [str(y) for y in range(2010, 2025)],
                  "value_usd": range(15)}).to_csv(root / "annual.csv", index=False)
    pd.DataFrame({"period": [str(y) for y in range(2005, 2025)],
                  "y": [float(v) for v in range(10, 30)]}).to_csv(root / "y.csv", index=False)
    months = pd.period_range("2019-01", "2024-12", freq="M")
    pd.DataFrame({"period": months.astype(str),
                  "value_usd": [100.0 + (i % 12) + i / 10 for i in range(len(months))]}
                 ).to_csv(root / "monthly.csv", index=False)
    (root / "a_file").write_text("not a folder")
    (root / "folder").mkdir()
    return root


@pytest.fixture
def run(files, monkeypatch):
    """Invoke the root app in the data folder; the APIs point at a closed port (no call may go)."""
    monkeypatch.setenv("RETRADE_DATA_DIR", str(files / "data"))
    monkeypatch.setenv("RETRADE_REPORTS_DIR", str(files / "reports"))
    monkeypatch.setenv("RETRADE_COMTRADE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("RETRADE_CENSUS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("RETRADE_MIN_INTERVAL", "0")
    monkeypatch.setenv("RETRADE_COMTRADE_KEY", "sentinel-key-for-bad-input-tests")

    def invoke(args: list[str]):
        return CliRunner().invoke(app, [a.replace("{F}", str(files)) for a in args])

    return invoke


PANEL = "{F}/data/processed/panel.parquet"
DID = ["estimate", "did", PANEL, "--event", "2015 quota removal"]
INTERVENTION = ["estimate", "intervention", "{F}/monthly.csv", "--event",
                "2023-12 technology ban"]
FORECAST = ["forecast", "run", "{F}/y.csv", "--frequency", "A", "--kind", "level",
            "--horizon", "2"]
COMTRADE = ["fetch", "comtrade", "-r", "CHN", "--periods", "2020"]
BULK = ["fetch", "comtrade-bulk", "-r", "CHN", "--periods", "2020"]
CENSUS = ["fetch", "census", "--periods", "2024-01"]

# (command, option or argument, the arguments, a fragment the one line must hold)
CASES = [
    ("catalog country", "values", ["catalog", "country", "Narnia"], "'Narnia'"),
    ("catalog country", "--scheme", ["catalog", "country", "CHN", "--scheme", "bogus"],
     "'bogus'"),
    ("catalog elements", "--element", ["catalog", "elements", "--element", "Xx"], "'Xx'"),
    ("catalog elements", "--year", ["catalog", "elements", "--year", "1800"], "1800"),
    ("dual capacity", "--year", ["dual", "capacity", "--year", "1850"], "1850"),
    ("dual project", "--scenario", ["dual", "project", "--scenario", "bogus"], "'bogus'"),
    ("dual project", "--draws", ["dual", "project", "--draws", "0"], "'0'"),
    ("dual project", "--seed", ["dual", "project", "--seed", "x1"], "'x1'"),
    ("dual project", "--horizon", ["dual", "project", "--horizon", "1990"], "1990"),
    ("dual report", "panel", ["dual", "report", "{F}/not_a_panel.csv"], "not_a_panel.csv"),
    ("dual report", "--totals", ["dual", "report", PANEL, "--totals", "{F}/nope.csv"],
     "nope.csv"),
    ("dual report", "--level", ["dual", "report", PANEL, "--level", "bogus"], "'bogus'"),
    ("estimate did", "panel", ["estimate", "did", "{F}/binary.csv", "--event",
                               "2015 quota removal"], "binary.csv"),
    ("estimate did", "--event", ["estimate", "did", PANEL, "--event", "bogus"], "'bogus'"),
    ("estimate did", "--hs6", [*DID, "--hs6", "999999"], "999999"),
    ("estimate did", "--outcome", [*DID, "--outcome", "banana"], "'banana'"),
    ("estimate did", "--measure", [*DID, "--measure", "bogus"], "'bogus'"),
    ("estimate did", "--top-k", [*DID, "--top-k", "0"], "'0'"),
    ("estimate did", "--baseline", [*DID, "--baseline", "2014"], "'2014'"),
    ("estimate did", "--exclude", [*DID, "--exclude", "Narnia"], "Narnia"),
    ("estimate did", "--cluster", [*DID, "--cluster", "bogus"], "'bogus'"),
    ("estimate did", "--drop-year", [*DID, "--drop-year", "x"], "'x'"),
    ("estimate did", "--csv", [*DID, "--csv", "{F}/no/such/dir/out.csv"], "out.csv"),
    ("estimate did", "--latex", [*DID, "--latex", "{F}/folder"], "folder"),
    ("estimate intervention", "series", ["estimate", "intervention", "{F}/annual.csv",
                                         "--event", "2023-12 technology ban"], "'2010'"),
    ("estimate intervention", "--event", [*INTERVENTION[:3], "--event", "bogus"], "'bogus'"),
    ("estimate intervention", "--column", [*INTERVENTION, "--column", "bogus"], "'bogus'"),
    ("estimate intervention", "--seed", [*INTERVENTION, "--seed", "x"], "'x'"),
    ("estimate intervention", "--csv", [*INTERVENTION, "--csv", "{F}/folder"], "folder"),
    ("estimate intervention", "--latex", [*INTERVENTION, "--latex", "{F}/no/dir/x.tex"],
     "x.tex"),
    ("fetch census", "--flows", [*CENSUS, "--flows", "sideways"], "sideways"),
    ("fetch census", "--hs", [*CENSUS, "--hs", "9999"], "9999"),
    ("fetch census", "--periods", ["fetch", "census", "--periods", "2024-13"], "2024-13"),
    ("fetch census", "--dataset", [*CENSUS, "--dataset", "bogus"], "'bogus'"),
    ("fetch census", "--variables", [*CENSUS, "--variables", "NOT A VAR"], "NOT A VAR"),
    ("fetch census", "--max-calls", [*CENSUS, "--max-calls", "-1"], "'-1'"),
    ("fetch census", "--data-dir", [*CENSUS, "--data-dir", "{F}/a_file"], "a_file"),
    ("fetch comtrade", "--reporters", ["fetch", "comtrade", "-r", "[red]Chnia", "--periods",
                                       "2020"], "'[red]Chnia'"),
    ("fetch comtrade", "--partners", [*COMTRADE, "--partners", "Narnia"], "Narnia"),
    ("fetch comtrade", "--flows", [*COMTRADE, "--flows", "sideways"], "sideways"),
    ("fetch comtrade", "--hs", [*COMTRADE, "--hs", "bogus"], "bogus"),
    ("fetch comtrade", "--periods", ["fetch", "comtrade", "-r", "CHN", "--periods", "20x0"],
     "20x0"),
    ("fetch comtrade", "--frequency", [*COMTRADE, "--frequency", "Q"], "'Q'"),
    ("fetch comtrade", "--max-calls", [*COMTRADE, "--max-calls", "-1"], "'-1'"),
    ("fetch comtrade", "--data-dir", [*COMTRADE, "--data-dir", "{F}/a_file"], "a_file"),
    ("fetch comtrade-bulk", "--reporters", ["fetch", "comtrade-bulk", "-r", "[/]",
                                            "--periods", "2020"], "'[/]'"),
    ("fetch comtrade-bulk", "--periods", ["fetch", "comtrade-bulk", "-r", "CHN",
                                          "--periods", "1800"], "1800"),
    ("fetch comtrade-bulk", "--frequency", [*BULK, "--frequency", "Q"], "'Q'"),
    ("fetch comtrade-bulk", "--classification", [*BULK, "--classification", "H9"], "'H9'"),
    ("fetch comtrade-bulk", "--max-calls", [*BULK, "--max-calls", "-1"], "'-1'"),
    ("fetch comtrade-bulk", "--data-dir", [*BULK, "--data-dir", "{F}/a_file"], "a_file"),
    ("fetch comtrade-reference", "--list", ["fetch", "comtrade-reference", "--list", "bogus"],
     "'bogus'"),
    ("fetch comtrade-reference", "--data-dir", ["fetch", "comtrade-reference", "--data-dir",
                                                "{F}/a_file"], "a_file"),
    ("forecast run", "input_csv", ["forecast", "run", "{F}/empty.csv", "--frequency", "A",
                                   "--kind", "level", "--horizon", "2"], "empty.csv"),
    ("forecast run", "--frequency", [*FORECAST[:3], "--frequency", "Q", "--kind", "level",
                                     "--horizon", "2"], "'Q'"),
    ("forecast run", "--kind", [*FORECAST[:5], "--kind", "bogus", "--horizon", "2"],
     "'bogus'"),
    ("forecast run", "--role", [*FORECAST, "--role", "bogus"], "'bogus'"),
    ("forecast run", "--model", [*FORECAST, "--model", "bogus"], "'bogus'"),
    ("forecast run", "--horizon", [*FORECAST[:7], "--horizon", "0"], "'0'"),
    ("forecast run", "--events", [*FORECAST, "--events", "{F}/binary.csv"], "binary.csv"),
    ("forecast run", "--initial", [*FORECAST, "--initial", "-1"], "'-1'"),
    ("forecast run", "--out", [*FORECAST, "--model", "naive", "--out", "{F}/folder"],
     "folder"),
    ("forecast run", "--seed", [*FORECAST, "--seed", "x"], "'x'"),
    ("import", "path", ["import", "{F}/binary.csv"], "binary.csv"),
    ("import", "--format", ["import", "{F}/empty.csv", "--format", "bogus"], "'bogus'"),
    ("import", "--flow", ["import", "{F}/empty.csv", "--flow", "sideways"], "'sideways'"),
    ("import", "--reporter", ["import", "{WITS}", "--reporter", "CHN"], "reporter"),
    ("import", "--data-dir", ["import", "{WITS}", "--data-dir", "{F}/a_file"], "a_file"),
    ("panel build", "--source", ["panel", "build", "-s", "wtis"], "'wtis'"),
    ("panel ingest-bulk", "files", ["panel", "ingest-bulk", "{F}/y.csv"], "y.csv"),
    ("panel ingest-bulk", "--hs", ["panel", "ingest-bulk", "{F}/y.csv", "--hs", "bogus"],
     "bogus"),
    ("panel ingest-bulk", "--dask-workers", ["panel", "ingest-bulk", "{F}/y.csv",
                                             "--dask-workers", "-1"], "'-1'"),
    ("panel mirror", "--exporter", ["panel", "mirror", "--exporter", "Chnia"], "'Chnia'"),
    ("panel mirror", "--importer", ["panel", "mirror", "--importer", "[red]Jpan"],
     "'[red]Jpan'"),
    ("panel mirror", "--hs6", ["panel", "mirror", "--hs6", "284699"], "'284699'"),
    ("panel mirror", "--period", ["panel", "mirror", "--period", "2020-13"], "'2020-13'"),
    ("panel mirror", "--limit", ["panel", "mirror", "--limit", "-1"], "'-1'"),
    ("panel quality", "--check", ["panel", "quality", "--check", "bogus"], "'bogus'"),
    ("panel quality", "--source", ["panel", "quality", "--source", "wtis"], "'wtis'"),
    ("panel quality", "--reporter", ["panel", "quality", "--reporter", "Narnia"], "'Narnia'"),
    ("panel quality", "--hs6", ["panel", "quality", "--hs6", "28053"], "'28053'"),
    ("panel quality", "--level", ["panel", "quality", "--level", "bogus"], "'bogus'"),
    ("panel quality", "--limit", ["panel", "quality", "--limit", "ten"], "'ten'"),
    ("panel sql", "statement", ["panel", "sql", "DROP TABLE panel"], "DROP"),
    ("panel sql", "--table", ["panel", "sql", "SELECT 1", "--table", "codes"], "'codes'"),
    ("panel sql", "--limit", ["panel", "sql", "SELECT 1", "--limit", "-5"], "'-5'"),
    ("sql", "statement", ["sql", "SELEC 1"], "SELEC"),
    ("sql", "--table", ["sql", "SELECT 1", "--table", "t={F}/nope.csv"], "nope.csv"),
    ("sql", "--limit", ["sql", "SELECT 1", "--limit", "x"], "'x'"),
    ("run", "--quarter", ["run", "--offline", "--quarter", "2026Q5"], "'2026Q5'"),
    ("run", "--sections", ["run", "--offline", "--sections", "bogus"], "bogus"),
    ("run", "--models", ["run", "--offline", "--models", "bogus"], "bogus"),
    ("run", "--data-dir", ["run", "--offline", "--data-dir", "{F}/a_file"], "a_file"),
    ("run", "--reports-dir", ["run", "--offline", "--sections", "reference_context",
                              "--reports-dir", "{F}/a_file"], "a_file"),
    ("run", "--seed", ["run", "--offline", "--seed", "x"], "'x'"),
    ("run", "--max-calls", ["run", "--offline", "--max-calls", "-1"], "'-1'"),
    ("run", "--max-minutes", ["run", "--offline", "--max-minutes", "-5"], "'-5'"),
    ("fetch comtrade", "--max-minutes", [*COMTRADE, "--max-minutes", "soon"], "'soon'"),
    ("fetch census", "--max-minutes", [*CENSUS, "--max-minutes", "-2"], "'-2'"),
    ("store compact", "sources", ["store", "compact", "nosuch"], "'nosuch'"),
    ("store compact", "--data-dir", ["store", "compact", "--data-dir", "{F}/a_file"], "a_file"),
    ("store check", "--data-dir", ["store", "check", "--data-dir", "{F}/a_file"], "a_file"),
    ("store check", "--reports-dir", ["store", "check", "--reports-dir", "{F}/a_file"],
     "a_file"),
]


@pytest.mark.parametrize(("command", "option", "args", "fragment"), CASES,
                         ids=[f"{c}:{o}" for c, o, *_ in CASES])
def test_every_bad_value_is_a_one_line_error(run, command, option, args, fragment):
    args = [a.replace("{WITS}", str(shared_path(*WITS_LONG))) for a in args]
    result = run(args)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.stdout[-500:])
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def _commands(command, path=()):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), command


def test_every_command_and_option_has_a_bad_value_case():
    covered = {(c, o) for c, o, *_ in CASES}
    missing = []
    for name, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            label = param.opts[0] if param.opts and param.opts[0].startswith("-") else param.name
            if label not in NO_BAD_VALUE and (name, label) not in covered:
                missing.append(f"{name} {label}")
    assert not missing, f"options without a bad-value case: {missing}"
