"""Issue 10, class by class: nothing the user had is lost, and nothing wrong is printed.

Each test is named after the class of defect it guards against:

1. ``test_read_only_sql_*``: ``retrade sql``/``rt.query`` cannot write, delete or read
   other files, whatever the statement (by construction, not by a word list);
2. ``test_typo_*``: a typo in a source name is an error and the panel is kept;
3. ``test_consistent_set_*``: the processed tables are one set, and raw files are
   checked against their manifest hashes;
4. ``test_silent_wrong_result_*``: an annual series as monthly, an unknown exporter,
   HS codes outside the catalog and infinite values are errors or visible notes;
5. ``test_traceback_*``: the seven cases that printed a traceback print one line;
6. ``test_literal_error_text_*``: error text is never rich markup, never hard-wrapped;
7. ``test_settings_not_ignored_*``: a missing config file and a negative budget are refused;
8. ``test_umask_*``: files and folders get the user's umask;
9. ``test_leftovers_*``: what killed runs leave is found and cleaned, live files never.

The kill -9 scenarios are in ``tests/store/test_faults.py`` and the bad value of every
option of every command in ``tests/cli/test_one_line_errors.py``.
Tolerance: exact throughout (files, hashes, rows and messages are compared).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import MONTHLY_GROUPS, WITS_LONG, shared_path
from retrade.cli import app
from retrade.config import load_settings
from retrade.errors import (
    ConfigError,
    InputFileError,
    SchemaError,
    SpecificationError,
    StoreError,
    StoreIntegrityError,
)
from retrade.fetch.files import import_file
from retrade.panel.build import build_panel
from retrade.panel.query import connect, query
from retrade.store import ProcessedStore, RawStore
from retrade.store.check import check_store


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """A data folder with the real WITS exports imported and built; the CLI points at it."""
    s = load_settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    import_file(shared_path(*WITS_LONG), settings=s)
    build_panel(settings=s)
    monkeypatch.setenv("RETRADE_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("RETRADE_REPORTS_DIR", str(s.reports_dir))
    return s


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def _cli(*args: str):
    return CliRunner().invoke(app, list(args))


def _one_line_error(result, *fragments: str) -> str:
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.stdout[-300:])
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# -- 1. read-only SQL -----------------------------------------------------------------------


def test_read_only_sql_cannot_write_delete_or_read_other_files(settings, tmp_path):
    processed = settings.processed_dir
    evil = tmp_path / "evil.sql"
    evil.write_text(f"COPY (SELECT 42 AS a) TO '{processed / 'panel.parquet'}' (FORMAT parquet);")
    secret = tmp_path / "secret.csv"
    secret.write_text("x\n1\n")
    before = _hashes(tmp_path)
    statements = [
        f"PRAGMA sql_file='{evil}'",  # the statement that overwrote the panel before
        f"COPY panel TO '{processed / 'panel.parquet'}' (FORMAT parquet, USE_TMP_FILE false)",
        f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'",
        f"ATTACH '{tmp_path / 'x.duckdb'}' AS x",
        f"EXPORT DATABASE '{tmp_path / 'export'}'",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        f"SELECT * FROM read_csv('{secret}')",
        f"SELECT * FROM '{processed / 'quality.parquet'}'",
        "DROP VIEW panel",
        "SELECT 1; SELECT 2",
    ]
    for sql in statements:
        with pytest.raises(ConfigError):
            query(sql, settings=settings)
    assert _hashes(tmp_path) == before  # nothing written, nothing deleted, nothing new
    # the connection itself is locked down, not just the statement screen
    import duckdb

    con = connect(settings=settings)
    try:
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            con.execute(f"COPY panel TO '{tmp_path / 'y.parquet'}' (FORMAT parquet)")
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()
    assert _hashes(tmp_path) == before


def test_read_only_sql_reads_a_named_file_only_when_asked(settings, tmp_path):
    codes = tmp_path / "codes.csv"
    codes.write_text("hs6,label\n280530,metals\n284690,compounds\n")
    got = query("SELECT p.hs6, c.label, count(*) AS n FROM panel p JOIN codes c "
                "ON p.hs6 = CAST(c.hs6 AS VARCHAR) GROUP BY 1, 2 ORDER BY 1",
                settings=settings, tables={"codes": codes})
    expected = (pd.read_parquet(settings.processed_dir / "panel.parquet")
                .query("hs6 in ['280530', '284690']").groupby("hs6").size())
    assert got.set_index("hs6")["n"].to_dict() == expected.to_dict()
    with pytest.raises(ConfigError, match="Permission"):
        query(f"SELECT * FROM read_csv('{codes}')", settings=settings)
    result = _cli("sql", "SELECT count(*) AS n FROM codes", "--table", f"codes={codes}", "--csv")
    assert result.exit_code == 0 and result.stdout.splitlines() == ["n", "2"]


# -- 2. a typo wipes the panel ----------------------------------------------------------------


def test_typo_in_a_source_name_is_an_error_and_the_panel_is_kept(settings):
    before = _hashes(settings.processed_dir)
    with pytest.raises(ConfigError, match=r"unknown source\(s\) \['nosuch'\].*wits"):
        build_panel(settings=settings, sources=["nosuch"])
    _one_line_error(_cli("panel", "build", "-s", "wtis"), "'wtis'", "wits")
    assert _hashes(settings.processed_dir) == before
    assert check_store(settings).ok


def test_typo_guard_an_empty_build_keeps_a_non_empty_panel_unless_told(settings):
    rows = len(ProcessedStore(settings.processed_dir).read("panel"))
    before = _hashes(settings.processed_dir)
    with pytest.raises(ConfigError, match=f"panel of {rows:,} rows .* is kept"):
        build_panel(settings=settings, sources=["census"])  # a known source with no data
    assert _hashes(settings.processed_dir) == before
    emptied = build_panel(settings=settings, sources=["census"], allow_empty=True)
    assert emptied.panel.empty and ProcessedStore(settings.processed_dir).read("panel").empty


# -- 3. one consistent set; hashes checked ----------------------------------------------------


def test_consistent_set_a_table_from_another_build_is_refused_by_readers(settings):
    processed = ProcessedStore(settings.processed_dir)
    mirror = processed.read("mirror")
    mirror.head(3).to_parquet(processed.path("mirror"))  # a set mixed by hand (or an old kill)
    with pytest.raises(StoreIntegrityError, match=r"mirror\.parquet .*does not belong with"):
        processed.read("mirror")
    with pytest.raises(StoreIntegrityError, match="mirror.parquet"):
        query("SELECT count(*) FROM panel", settings=settings)
    _one_line_error(_cli("panel", "mirror"), "mirror.parquet", "retrade panel build")
    found = check_store(settings)
    assert [(f.kind, Path(f.path).name) for f in found.problems] == [("damaged", "mirror.parquet")]
    build_panel(settings=settings)
    assert check_store(settings).ok and len(processed.read("mirror")) == len(mirror)


def test_consistent_set_an_interrupted_switch_is_finished_by_the_next_reader(settings,
                                                                             monkeypatch):
    import retrade.store.processed as processed_module

    processed = ProcessedStore(settings.processed_dir)
    old = processed.set_hashes()
    import_file(shared_path(*MONTHLY_GROUPS), settings=settings, reporter="CHN", flow="export")
    real = processed_module.finish_switch
    monkeypatch.setattr(processed_module, "finish_switch", lambda root: False)  # "killed"
    build_panel(settings=settings)
    assert (settings.processed_dir / "_switch.json").exists() and processed.set_hashes() == old
    monkeypatch.setattr(processed_module, "finish_switch", real)
    assert len(processed.read("monthly")) > 0  # the reader finished the switch first
    assert not (settings.processed_dir / "_switch.json").exists()
    assert set(processed.set_hashes()) == set(old) | {"monthly"}
    processed.verify()
    assert check_store(settings).ok


def test_consistent_set_a_raw_file_changed_on_disk_stops_the_build_naming_it(settings):
    store = RawStore(settings.raw_dir)
    path = sorted((settings.raw_dir / "wits").rglob("*.parquet"))[0]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    before = _hashes(settings.processed_dir)
    with pytest.raises(StoreIntegrityError, match=f"{path.name} has changed since it was stored"):
        build_panel(settings=settings)
    assert _hashes(settings.processed_dir) == before  # the panel the user had is kept
    found = check_store(settings)
    assert [(f.kind, Path(f.path).name) for f in found.problems] == [("damaged", path.name)]
    repaired = check_store(settings, repair=True)  # set aside, never deleted
    assert repaired.ok
    aside = list((settings.raw_dir / ".quarantine" / "wits").rglob(path.name))
    assert len(aside) == 1 and aside[0].read_bytes() == bytes(data)
    report = import_file(shared_path(*WITS_LONG), settings=settings)  # stored again
    assert report.written
    build_panel(settings=settings)
    assert check_store(settings).ok and len(store.read("wits")) == report.summary.rows


def test_consistent_set_an_interrupted_raw_write_is_finished_by_the_next_reader(settings,
                                                                               monkeypatch):
    import retrade.store.journal as journal

    real = journal.finish_pending
    monkeypatch.setattr(journal, "finish_pending", lambda folder, **kw: False)  # "killed"
    import_file(shared_path(*MONTHLY_GROUPS), settings=settings, reporter="CHN", flow="export")
    assert (settings.raw_dir / "monthly_table" / journal.PENDING_NAME).exists()
    monkeypatch.setattr(journal, "finish_pending", real)
    store = RawStore(settings.raw_dir)
    assert "monthly_table" in store.sources() and len(store.read("monthly_table")) > 0
    assert not (settings.raw_dir / "monthly_table" / journal.PENDING_NAME).exists()
    assert check_store(settings).ok


# -- 4. silent wrong results ------------------------------------------------------------------


def test_silent_wrong_result_an_annual_series_is_not_read_as_monthly():
    from retrade.models import intervention

    annual = pd.Series([100.0 + y for y in range(15)],
                       index=pd.PeriodIndex([f"{y}-01" for y in range(2010, 2025)], freq="M"))
    with pytest.raises(SpecificationError, match="one value a year"):
        intervention(annual, "2015 quota removal")


def test_silent_wrong_result_mirror_names_an_unknown_exporter(settings):
    _one_line_error(_cli("panel", "mirror", "--exporter", "Chnia"), "'Chnia'")
    known_but_absent = _cli("panel", "mirror", "--exporter", "ISL", "--csv")
    assert known_but_absent.exit_code == 0
    assert "no rows with exporter ['ISL']" in known_but_absent.stderr


def test_silent_wrong_result_rows_outside_the_catalog_are_counted_in_a_note(tmp_path):
    s = load_settings(data_dir=tmp_path / "data")
    oil = shared_path("china-customs-samples",
                      "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_usd_UTF8.csv")
    rows = import_file(oil, settings=s).summary.rows
    with pytest.warns(Warning, match="outside the rare-earth catalog"):
        result = build_panel(settings=s)
    (report,) = [r for r in result.sources if r.source == "china_customs"]
    assert report.notes and f"{rows:,} raw row(s) with HS codes outside" in report.notes[0]
    assert "27090000" in report.notes[0] and report.panel_rows == 0
    assert f"note: {rows:,} raw row(s)" in result.summary()


def test_silent_wrong_result_infinite_values_are_refused(tmp_path, settings):
    wits = tmp_path / "wits.csv"
    wits.write_text("Reporter,TradeFlow,ProductCode,Product Description,Year,Partner,"
                    "Trade Value 1000USD,Quantity,Quantity Unit\n"
                    "China,Export,284690,REE compounds,2020,Japan,inf,120000,Kg\n")
    from retrade.errors import ImportFormatError

    with pytest.raises(ImportFormatError, match="not finite numbers, first 'inf'"):
        import_file(wits, settings=settings)
    from retrade.panel.build import Adapter

    def infinite(raw):
        from retrade.panel.adapters.wits import to_panel

        return to_panel(raw).assign(value_usd=float("inf"))

    with pytest.raises(SchemaError, match="(?s)adapter 'wits'.*value_usd.*inf"):
        build_panel(settings=settings, adapters={"wits": Adapter(infinite)})


# -- 5. the seven tracebacks --------------------------------------------------------------------


def test_traceback_cases_of_the_issue_are_one_line_errors(settings, tmp_path):
    empty, binary, not_panel = tmp_path / "e.csv", tmp_path / "b.csv", tmp_path / "n.csv"
    empty.write_text("")
    binary.write_bytes(bytes(range(256)))
    not_panel.write_text("a,b\n1,2\n")
    panel = str(settings.processed_dir / "panel.parquet")
    cases = [
        (["import", str(shared_path(*WITS_LONG)), "--reporter", "CHN"], "['reporter']"),
        (["estimate", "did", panel, "--event", "2015 quota removal", "--outcome", "banana"],
         "'banana'"),
        (["dual", "project", "--scenario", "bogus"], "'bogus'"),
        (["forecast", "run", str(empty), "--frequency", "A", "--kind", "level", "--horizon",
          "2"], "is empty"),
        (["forecast", "run", str(binary), "--frequency", "A", "--kind", "level", "--horizon",
          "2"], "not UTF-8 text"),
        (["dual", "report", str(not_panel)], "is not a retrade panel"),
    ]
    for args, fragment in cases:
        _one_line_error(_cli(*args), fragment)
    raw = sorted((settings.raw_dir / "wits").rglob("*.parquet"))[0]
    raw.write_bytes(b"not parquet at all")
    _one_line_error(_cli("panel", "build"), raw.name)


def test_traceback_a_read_only_data_folder_is_one_line(settings, monkeypatch):
    """The data folder refuses writes (chmod as a user; the same refusal simulated for root)."""
    data = settings.data_dir
    if os.geteuid() != 0:
        for path in [data, *data.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
    else:  # root writes through permissions: refuse at the system call, as the kernel would
        real_open, real_mkdir = os.open, os.mkdir

        def refuse(path, *args, **kwargs):
            if str(path).startswith(str(data)):
                raise PermissionError(13, "Permission denied", str(path))

        def open_(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                refuse(path)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", open_)
        monkeypatch.setattr(os, "mkdir", lambda p, *a, **k: refuse(p) or real_mkdir(p, *a, **k))
    try:
        before = _hashes(data)
        line = _one_line_error(_cli("import", str(shared_path(*MONTHLY_GROUPS)), "--reporter",
                                    "CHN", "--flow", "export"), str(data))
        assert "ermission denied" in line
        assert _hashes(data) == before
    finally:
        if os.geteuid() != 0:
            for path in [data, *data.rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)


def test_traceback_only_with_verbose_for_an_unexpected_error(settings, monkeypatch):
    import retrade.panel.build as build

    def boom(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(build, "build_panel", boom)
    quiet = _cli("panel", "build")
    assert quiet.exit_code == 1 and quiet.stderr.splitlines() == [
        "error: RuntimeError: boom (unexpected; run with -v for the traceback)"]
    loud = _cli("-v", "panel", "build")
    assert loud.exit_code == 1 and "Traceback (most recent call last)" in loud.stderr
    assert loud.stderr.splitlines()[-1] == "error: RuntimeError: boom (unexpected)"


# -- 6. error text is literal and whole ---------------------------------------------------------


def test_literal_error_text_is_not_read_as_markup(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("RETRADE_COMTRADE_URL", "http://127.0.0.1:9")
    _one_line_error(_cli("fetch", "comtrade", "-r", "[red]Chnia", "--periods", "2020"),
                    "'[red]Chnia'")
    _one_line_error(_cli("fetch", "comtrade", "-r", "[/]", "--periods", "2020"), "'[/]'")
    draft = tmp_path / "[draft]" / "panel.csv"
    _one_line_error(_cli("estimate", "did", str(draft), "--event", "2015 quota removal"),
                    "[draft]")
    _one_line_error(_cli("run", "--offline", "--quarter", "[bold]2026Q5"), "'[bold]2026Q5'")


def test_literal_error_text_is_not_hard_wrapped(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    deep = tmp_path / ("a-long-folder-name-" * 6) / "https:" / "example.org" / "panel.csv"
    line = _one_line_error(_cli("estimate", "did", str(deep), "--event", "2015 quota removal"))
    assert str(deep) in line and len(line) > 200


# -- 7. settings are not silently ignored -------------------------------------------------------


def test_settings_not_ignored_config_that_is_missing_or_a_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RETRADE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="RETRADE_CONFIG names .*nope.toml.*does not exist"):
        load_settings()
    _one_line_error(_cli("store", "check"), "nope.toml")
    monkeypatch.setenv("RETRADE_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match="which is a folder"):
        load_settings()
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "given.toml")
    (tmp_path / "given.toml").write_text('data_dir = "elsewhere"\n')
    assert load_settings(tmp_path / "given.toml").data_dir == Path("elsewhere")


def test_settings_not_ignored_negative_max_calls(tmp_path):
    from retrade.fetch.census import fetch_census
    from retrade.fetch.comtrade import fetch_comtrade

    s = load_settings(data_dir=tmp_path / "data", comtrade_url="http://127.0.0.1:9",
                      census_url="http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="max_calls must be a whole number >= 0.*-1"):
        fetch_comtrade(reporters="CHN", periods="2020", max_calls=-1, settings=s)
    with pytest.raises(ConfigError, match="max_calls"):
        fetch_census(periods="2024-01", max_calls=-1, settings=s)
    _one_line_error(_cli("fetch", "comtrade", "-r", "CHN", "--periods", "2020", "--max-calls",
                         "-1"), "'-1'")
    assert not (tmp_path / "data").exists()  # refused before anything was touched


# -- 8. the user's umask ------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o027])
def test_umask_is_respected_by_every_file_and_folder(tmp_path, mask):
    from retrade.pipeline import run_quarterly

    old = os.umask(mask)
    try:
        s = load_settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
        import_file(shared_path(*WITS_LONG), settings=s)
        build_panel(settings=s)
        run_quarterly(quarter="2026Q4", offline=True, settings=s, progress=False,
                      sections=["reference_context"])
    finally:
        os.umask(old)
    paths = [p for root in (s.data_dir, s.reports_dir) for p in [root, *root.rglob("*")]]
    assert any(p.suffix == ".parquet" for p in paths) and (s.reports_dir / "2026Q4").is_dir()
    wrong = {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in paths
             if stat.S_IMODE(p.stat().st_mode) != (0o777 if p.is_dir() else 0o666) & ~mask}
    assert not wrong


# -- 9. leftovers -------------------------------------------------------------------------------


def test_leftovers_are_found_and_cleaned_and_live_files_never_touched(settings):
    from retrade.store.lock import claim, release
    from retrade.store.raw import STAGING_DIR

    reports = settings.reports_dir
    (reports / "2025Q1").mkdir(parents=True)
    (reports / "2025Q1" / "report.md").write_text("the 2025Q1 report")
    live = {**_hashes(settings.data_dir), **{f"r/{k}": v for k, v in _hashes(reports).items()}}
    (reports / "2025Q1").rename(reports / ".2025Q1.old")  # set aside by a killed run
    source = settings.raw_dir / "wits" / "ProductCode=280530"
    leftovers = [
        source / ".import-x.parquet.0badc0ffee00.tmp",
        source / "orphan.parquet",
        settings.raw_dir / STAGING_DIR / "stage-killed" / "part-0000.parquet",
        settings.processed_dir / ".set-killed" / "panel.parquet",
        settings.processed_dir / ".panel.parquet.0badc0ffee00.tmp",
        reports / ".2026Q4.killed" / "report.md",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left by a killed process")
    busy = settings.raw_dir / STAGING_DIR / "stage-busy"  # a live writer's: must survive
    busy.mkdir()
    held = claim(busy)
    try:
        found = check_store(settings)
        assert sorted(Path(f.path).name for f in found.problems) == sorted(
            [".2025Q1.old", *(p.name if p.parent.name in ("ProductCode=280530", "processed")
                              else p.parent.name for p in leftovers)])
        assert all(f.kind == "leftover" for f in found.problems)
        cli = _cli("store", "check")
        assert cli.exit_code == 1 and "--repair" in cli.stdout
        assert _cli("store", "check", "--repair").exit_code == 0
        assert busy.is_dir()
    finally:
        release(held)
    busy.rmdir()  # its writer is done
    assert not any(p.exists() for p in leftovers)
    assert (reports / "2025Q1" / "report.md").read_text() == "the 2025Q1 report"  # put back
    after = {**_hashes(settings.data_dir), **{f"r/{k}": v for k, v in _hashes(reports).items()}}
    assert after == live
    assert check_store(settings).ok


def test_leftovers_are_cleaned_by_the_next_run(settings):
    from retrade.pipeline import run_quarterly

    stale = settings.raw_dir / "wits" / ".x.parquet.0badc0ffee00.tmp"
    stale.write_bytes(b"left by a killed import")
    staging = settings.reports_dir / ".2026Q4.killed"
    staging.mkdir(parents=True)
    run_quarterly(quarter="2026Q4", offline=True, settings=settings, progress=False,
                  sections=["reference_context"])
    assert not stale.exists() and not staging.exists()
    assert check_store(settings).ok


def test_leftovers_never_include_a_file_being_written(settings):
    """A temporary file a live process claims is not a leftover, whatever its age."""
    from retrade.store.atomic import staged_path

    with staged_path(settings.raw_dir / "wits" / "x.parquet") as tmp:
        tmp.write_bytes(b"being written")
        assert check_store(settings, repair=True).ok and tmp.exists()
    assert not tmp.exists()


def test_store_errors_are_store_errors():
    """The classes the CLI maps to exit 2 (a guard against a refactor moving them)."""
    assert issubclass(StoreIntegrityError, StoreError) and issubclass(InputFileError, OSError)
