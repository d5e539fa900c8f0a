"""Test-session set-up for the notebooks: they fetch and import their data as a user would.

The notebooks call ``rt.fetch_comtrade(...)`` without a key and ``rt.import_file(...)`` on
files a user downloads by hand. For each notebook the test session provides (nbmake runs it
in a kernel that inherits this process's environment):

* ``RETRADE_COMTRADE_URL``: a local stand-in of UN Comtrade's keyless public preview and
  availability endpoints (``tests/replay.py``), serving real rows read from ``../shared/data``
  at run time (nothing is copied), with the preview's 500-record cap;
* ``RETRADE_DOWNLOADS``: a temporary folder of links, under the names the notebooks give, to
  the real files in ``../shared/data`` that users download by hand;
* ``RETRADE_MIN_INTERVAL=0``: no pacing against a local server.

The server starts at the first notebook and stops with the session; the variables are set
only while a notebook runs, so no other test sees them. Without ``../shared/data`` the
notebooks are skipped with the reason, and fail when ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("RETRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))

# the names the notebooks give the files users download -> where they are in ../shared/data
DOWNLOADS = {
    "clean_china_ree_exports_284690_2010_2024.xlsx":
        ("semenko-china-ree-wits", "clean_china_ree_exports_284690_2010_2024.xlsx"),
    "china_ree_exports_280530_with_controls.xlsx":
        ("semenko-china-ree-wits", "china_ree_exports_280530_with_controls.xlsx"),
    "china_ree_exports_850511_with_controls.xlsx":
        ("semenko-china-ree-wits", "china_ree_exports_850511_with_controls.xlsx"),
    "china_ree_exports_with_controls.xlsx":
        ("semenko-china-ree-wits", "china_ree_exports_with_controls.xlsx"),
    "heavy_ree_trade_data.csv": ("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv"),
    "strategic_premium_hs6.csv": ("qennis-china-critical-minerals", "strategic_premium_hs6.csv"),
    "overview_monthly.csv": ("qennis-china-critical-minerals", "overview_monthly.csv"),
    "gacc_soybean_exports_2024_cny.csv":
        ("china-customs-samples", "gacc_zh_soybean_exports_to_us_2024_cny_GBK.csv"),
    "baci_re_world_summary_2002_2024.csv":
        ("materials-atlas", "TRANSCRIBED_baci_re_world_summary_2002_2024.csv"),
    "baci_850511_world_series_2002_2024.csv":
        ("materials-atlas", "TRANSCRIBED_baci_850511_world_series_2002_2024.csv"),
    **{f"mcs{year}-raree_{table}.csv": ("pnnl-cmm-data", "usgs_mcs",
                                        f"mcs{year}-raree_{table}.csv")
       for year in (2022, 2023, 2024) for table in ("salient", "world")},
}


class _NotebookData:
    """The stand-in server and the downloads folder, made at the first notebook."""

    def __init__(self) -> None:
        self.server = None
        self.folder: Path | None = None
        self.saved: dict[str, str | None] = {}

    def environment(self) -> dict[str, str]:
        if self.server is None:
            sys.path.insert(0, str(ROOT / "tests"))
            from replay import start_standin

            self.folder = Path(tempfile.mkdtemp(prefix="retrade-downloads-"))
            for name, parts in DOWNLOADS.items():
                (self.folder / name).symlink_to(SHARED.joinpath(*parts))
            self.server, _ = start_standin(lambda *parts: SHARED.joinpath(*parts))
        return {"RETRADE_COMTRADE_URL": self.server.url_for("/").rstrip("/"),
                "RETRADE_DOWNLOADS": str(self.folder), "RETRADE_MIN_INTERVAL": "0"}

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


_DATA = _NotebookData()


def _is_notebook(item) -> bool:
    return getattr(item, "path", Path()).suffix == ".ipynb"


def _absent() -> str | None:
    """Why the notebooks cannot get their data, or ``None``."""
    absent = [parts for parts in DOWNLOADS.values() if not SHARED.joinpath(*parts).exists()]
    if not absent:
        return None
    return f"notebooks need the shared real data at {SHARED} (missing: {'/'.join(absent[0])})"


def pytest_collection_modifyitems(config, items):
    reason = _absent()
    if reason and not os.environ.get("CI"):
        for item in filter(_is_notebook, items):
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item):
    if _is_notebook(item):
        reason = _absent()
        if reason:  # only reached with CI set: fail, never skip
            pytest.fail(f"CI is set but {reason}")
        env = _DATA.environment()
        _DATA.saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)


def pytest_runtest_teardown(item):
    if _is_notebook(item):
        for name, value in _DATA.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def pytest_unconfigure(config):
    _DATA.close()
