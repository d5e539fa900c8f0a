"""Shared test fixtures.

Real data lives in ``../shared/data`` (or ``$RETRADE_SHARED_DATA``) and is read
from there at run time; nothing from it is copied into the repository. A test
that needs it is skipped with the reason when it is absent, and fails instead
when ``CI`` is set, so CI can never pass by skipping.

Tests that need the real trade data get it the way users do, through a data
folder: ``real_store`` imports the shared files with ``import_file`` and builds
the panel once per session; ``china_exports_panel``, ``importer_totals`` and
``monthly`` read from it. They are shared by every test of the session: read
them, never change them in place.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RETRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))

# the real files behind the session store (PROVENANCE-trade §4-§6)
WITS_LONG = ("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv")
MONTHLY_HS6 = ("qennis-china-critical-minerals",
               "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv")
MONTHLY_GROUPS = ("qennis-china-critical-minerals", "overview_monthly.csv")
BACI_RE = ("materials-atlas", "TRANSCRIBED_baci_re_world_summary_2002_2024.csv")


def shared_path(*parts: str) -> Path:
    """Path to a file or folder under the shared real data; skip (or fail under CI) if absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"needs the shared real data at {path} (clone the project beside ../shared)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture
def shared():
    """``shared("folder", "file.csv")`` -> Path under ../shared/data (skip/fail if absent)."""
    return shared_path


def _empty_config(factory) -> Path:
    """An empty config file (a named file that is missing is an error, so it must exist)."""
    path = factory.getbasetemp() / "empty-config.toml"
    if not path.exists():
        path.write_text("", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path, tmp_path_factory):
    """No test sees the developer's keys, config file or data folder."""
    for name in list(os.environ):
        if name.startswith("RETRADE_") and name != "RETRADE_SHARED_DATA":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETRADE_CONFIG", str(_empty_config(tmp_path_factory)))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield


@pytest.fixture(scope="session")
def real_store(tmp_path_factory):
    """Settings of a session data folder holding the shared real files, imported and built.

    China's WITS exports by partner (observed rows of the long CSV), China's monthly
    exports by RE line and by mineral group (imported as CHN exports: the files do
    not say whose trade they are) and the BACI world summaries, through
    ``import_file`` and ``build_panel`` as a user would.
    """
    from retrade.config import load_settings
    from retrade.fetch.files import import_file
    from retrade.panel.build import build_panel

    files = [shared_path(*WITS_LONG), shared_path(*MONTHLY_HS6), shared_path(*MONTHLY_GROUPS),
             shared_path(*BACI_RE)]
    folder = tmp_path_factory.mktemp("real_store")
    with pytest.MonkeyPatch.context() as env:  # set up before the per-test isolation runs
        for name in [n for n in os.environ if n.startswith("RETRADE_")]:
            env.delenv(name)
        (folder / "no-config.toml").write_text("", encoding="utf-8")  # named, so it must exist
        settings = load_settings(folder / "no-config.toml", data_dir=folder / "data")
    import_file(files[0], settings=settings)
    for monthly in files[1:3]:
        import_file(monthly, settings=settings, reporter="CHN", flow="export")
    import_file(files[3], settings=settings)
    build_panel(settings=settings)
    return settings


@pytest.fixture(scope="session")
def china_exports_panel(real_store):
    """China's exports by partner, 2010-2024, HS 280530/284690/850511: the stored panel."""
    from retrade.panel.query import load_panel

    return load_panel(settings=real_store, sources=["wits"])


@pytest.fixture(scope="session")
def importer_totals(real_store):
    """Japan's and the US's total imports per HS6 and year (BACI): importer, hs6, period, total."""
    from retrade.panel.query import load_importer_totals

    return load_importer_totals(settings=real_store)


@pytest.fixture(scope="session")
def monthly(real_store):
    """China's monthly exports as stored beside the panel (one tidy table, both files)."""
    from retrade.panel.query import load_monthly

    return load_monthly(settings=real_store)
