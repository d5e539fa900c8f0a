"""The README's Python examples run as written, on the real files they name.

The files are linked (not copied) from ../shared/data into a temporary
``downloads/`` folder, and the example runs with that folder's parent as the
working directory, so it writes nothing into the repository.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FILES = {
    "clean_china_ree_exports_284690_2010_2024.xlsx": "semenko-china-ree-wits",
    "overview_monthly.csv": "qennis-china-critical-minerals",
}


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_a_runnable_quick_start():
    assert python_blocks(README.read_text(encoding="utf-8")), "the README lost its quick start"


@pytest.mark.parametrize("block", python_blocks(README.read_text(encoding="utf-8")))
def test_readme_python_block_runs(block, shared, tmp_path, monkeypatch):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for name, folder in FILES.items():
        os.symlink(shared(folder, name), downloads / name)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    assert namespace["by_year"]["musd"].gt(0).all()
    assert namespace["coefficients"]["term"].tolist() == ["post:exposure"]
    assert (namespace["sensitivity"]["nonchina_share"].dropna().between(0, 1)).all()
