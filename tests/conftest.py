"""Shared test fixtures.

Real data lives in ``../shared/data`` (or ``$RETRADE_SHARED_DATA``) and is read
from there at run time; nothing from it is copied into the repository. A test
that needs it is skipped with the reason when it is absent, and fails instead
when ``CI`` is set, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RETRADE_SHARED_DATA", ROOT.parent / "shared" / "data"))


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


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No test sees the developer's keys, config file or data folder."""
    for name in list(os.environ):
        if name.startswith("RETRADE_") and name != "RETRADE_SHARED_DATA":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RETRADE_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield
