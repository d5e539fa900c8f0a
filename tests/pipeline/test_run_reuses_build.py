"""``retrade run`` on an unchanged store does not rebuild the panel ``retrade panel build`` built.

Stores are filled at test time from ``../shared/data`` (China's WITS exports
by partner, and a China customs file whose crude-oil rows the build notes as
outside the catalog, so the build warns). Tolerance: exact. A run that reuses
the build must write the same report bytes as one that builds (the warnings
the build raised included, read back from its record), and any change that
could change the panel (an import, a file retired from the store, a damaged
table, a build of some sources only) must make the run build again.
"""

from __future__ import annotations

import json
import warnings

import pytest

from conftest import WITS_LONG, shared_path
from retrade.config import load_settings
from retrade.fetch.files import import_file
from retrade.panel.build import build_panel
from retrade.panel.current import current_build
from retrade.pipeline import run_quarterly
from retrade.store import ProcessedStore, RawStore

OIL = ("china-customs-samples", "TRANSCRIBED_gacc_zh_crude_oil_imports_2024_usd_UTF8.csv")


@pytest.fixture
def settings(tmp_path):
    s = load_settings(data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    import_file(shared_path(*WITS_LONG), settings=s)
    import_file(shared_path(*OIL), settings=s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_panel(settings=s)
    return s


def _run(settings, reports: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_quarterly(quarter="2026Q4", offline=True, progress=False,
                               settings=settings.with_(reports_dir=settings.data_dir / reports),
                               sections=["data_coverage", "dual_chain"])
    (step,) = [t for t in result.steps if t.name == "build panel"]
    return result, step.outcome


def _built_at(settings) -> str:
    return ProcessedStore(settings.processed_dir).read_json("panel_build")["built_at"]


def _files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def test_a_run_after_a_build_reuses_it_and_writes_the_same_report(settings):
    record = ProcessedStore(settings.processed_dir).read_json("panel_build")
    assert record["warnings"] and "outside the rare-earth catalog" in record["warnings"][0]
    reused, outcome = _run(settings, "reused")
    assert outcome == "unchanged" and _built_at(settings) == record["built_at"]
    ProcessedStore(settings.processed_dir).path("mirror").unlink()  # a damaged set: rebuilt
    rebuilt, outcome = _run(settings, "rebuilt")
    assert outcome == "ok"
    assert reused.exit_code == rebuilt.exit_code == 0
    assert "The build warned:" in (reused.folder / "report.md").read_text()
    assert _files(reused.folder) == _files(rebuilt.folder)
    manifests = [json.loads((r.folder / "manifest.json").read_text())["inputs"]
                 for r in (reused, rebuilt)]
    assert manifests[0] == manifests[1]
    assert _run(settings, "again")[1] == "unchanged"


def test_what_could_change_the_panel_makes_the_run_build(settings):
    assert current_build(settings) is not None
    store = RawStore(settings.raw_dir)
    (entry, *_) = [e for e in store.entries("china_customs") if e.files]
    store.quarantine("china_customs", [entry.files[0].path], reason="test")
    assert current_build(settings) is None  # a file retired: the manifest changed
    assert _run(settings, "a")[1] == "ok" and current_build(settings) is not None

    build_panel(settings=settings, sources=["wits"])
    assert current_build(settings) is None  # a build of some sources only
    assert _run(settings, "b")[1] == "ok"

    import_file(shared_path(*OIL), settings=settings)  # stored again
    assert current_build(settings) is None
    assert _run(settings, "c")[1] == "ok"
    assert current_build(settings) is not None
