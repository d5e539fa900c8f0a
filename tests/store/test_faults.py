"""Nothing lost: kill -9 during import, build and run, at random points, then ``store check``.

Each scenario runs the real operation in a child Python process on a copy of
a store made from the shared real files, and kills it with SIGKILL:

* at the k-th file rename or delete it makes (k drawn at random from the
  renames an uninterrupted run makes: every window between two disk steps
  is a candidate), by a hook the child installs on ``os.replace`` and
  ``os.unlink`` just before the operation;
* after a random delay within the time an uninterrupted run takes, from
  the parent, like a user's ``kill -9``.

After every kill, :func:`retrade.store.check.check_store` must find nothing
damaged (leftovers are allowed: that is what ``--repair`` is for), repair
must leave a clean store, and the data must be the state before or the
state after the operation, never a mix: the raw store holds the import or
not, the processed tables are one set (old or new), the report folder is
the previous report or the new one, whole. Finally the operation run again
gives what an uninterrupted run gives.

Seeded (``SEED``); about 17 child processes, each a second or two.
Tolerance: exact (rows and hashes are compared, not computed numbers).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MONTHLY_GROUPS, WITS_LONG, shared_path
from retrade.config import load_settings
from retrade.panel.build import build_panel
from retrade.store import ProcessedStore, RawStore
from retrade.store.check import check_store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

SEED = 20261203
HOOK_KILLS = 3  # kills at a drawn rename/delete, per scenario
TIMED_KILLS = 1  # kills after a drawn delay, per scenario

CHILD = r"""
import json, os, signal, sys, time
op, folder, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
from retrade.config import load_settings
if op == "import":
    from retrade.fetch.files import import_file
elif op == "build":
    from retrade.panel.build import build_panel
else:
    from retrade.pipeline import run_quarterly
settings = load_settings(f"{folder}/empty.toml", data_dir=f"{folder}/data",
                         reports_dir=f"{folder}/reports")
kill_at, calls = int(os.environ.get("KILL_AT", "0")), [0]

def hooked(real):
    def call(*args, **kwargs):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return call

os.replace, os.unlink = hooked(os.replace), hooked(os.unlink)
print("ready", flush=True)
started = time.perf_counter()
if op == "import":
    for path in extra["files"]:
        import_file(path, settings=settings, **extra.get("options", {}))
elif op == "build":
    build_panel(settings=settings)
elif op == "run":
    run_quarterly(quarter="2026Q4", offline=True, settings=settings, progress=False,
                  sections=["reference_context"])
print(json.dumps({"calls": calls[0], "seconds": time.perf_counter() - started}), flush=True)
"""


def _child(op: str, folder: Path, extra: dict, *, kill_at: int = 0, delay: float | None = None):
    """Run ``op`` in a child; kill it at the ``kill_at``-th rename/delete or after ``delay`` s.

    Returns the child's report (calls made, seconds) when it finished, else ``None``.
    """
    env = {**os.environ, "KILL_AT": str(kill_at), "MPLBACKEND": "Agg"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, op, str(folder), json.dumps(extra)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
    if delay is not None:
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=300)
    if child.returncode == -signal.SIGKILL:
        return None
    assert child.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _settings(folder: Path):
    return load_settings(folder / "empty.toml", data_dir=folder / "data",
                         reports_dir=folder / "reports")


def _fresh(base: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target)
    return target


def _check_then_repair(folder: Path) -> int:
    """The store check the issue asks for: nothing damaged; after --repair, nothing left over.

    Returns how many leftovers were repaired.
    """
    settings = _settings(folder)
    found = check_store(settings)
    assert not [f for f in found.findings if f.kind == "damaged"], found.summary()
    repaired = check_store(settings, repair=True)
    assert repaired.ok, repaired.summary()
    again = check_store(settings)
    assert again.ok and not [f for f in again.findings if f.kind != "note"], again.summary()
    return sum(f.kind == "repaired" for f in repaired.findings)


def _kills(rng: random.Random, calls: int, seconds: float) -> list[dict]:
    """Where to kill: drawn renames/deletes, then drawn delays (seeded)."""
    points = sorted(rng.sample(range(1, calls + 1), min(HOOK_KILLS, calls)))
    delays = [rng.uniform(0.0, seconds) for _ in range(TIMED_KILLS)]
    return [{"kill_at": k} for k in points] + [{"delay": d} for d in delays]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A data folder holding the real WITS exports, built, with a 2026Q4 report."""
    folder = tmp_path_factory.mktemp("faults_base")
    (folder / "empty.toml").write_text("")
    assert _child("import", folder, {"files": [str(shared_path(*WITS_LONG))]}) is not None
    assert _child("build", folder, {}) is not None
    assert _child("run", folder, {}) is not None
    return folder


def _import(folder: Path, extra: dict) -> None:
    from retrade.fetch.files import import_file

    for path in extra["files"]:
        import_file(path, settings=_settings(folder), **extra["options"])


def _run(folder: Path) -> None:
    from retrade.pipeline import run_quarterly

    run_quarterly(quarter="2026Q4", offline=True, settings=_settings(folder), progress=False,
                  sections=["reference_context"])


def _snapshot_raw(folder: Path) -> dict[str, int]:
    store = RawStore(_settings(folder).raw_dir)
    return {s: len(store.read(s)) for s in store.sources()}


def test_kill_9_during_import_leaves_the_store_before_or_after(base, tmp_path):
    extra_monthly = {"files": [str(shared_path(*MONTHLY_GROUPS))],
                     "options": {"reporter": "CHN", "flow": "export"}}
    before = _snapshot_raw(base)
    whole = _fresh(base, tmp_path / "whole")
    first = _child("import", whole, extra_monthly)
    assert first is not None
    after = _snapshot_raw(whole)
    rng = random.Random(SEED)
    repaired = 0
    for i, kill in enumerate(_kills(rng, first["calls"], first["seconds"])):
        folder = _fresh(base, tmp_path / f"kill{i}")
        _child("import", folder, extra_monthly, **kill)
        repaired += _check_then_repair(folder)
        assert _snapshot_raw(folder) in (before, after), kill
        _import(folder, extra_monthly)  # run again: as if it had never been killed
        assert _snapshot_raw(folder) == after
        _check_then_repair(folder)
    assert repaired, "no kill landed inside a write: the seeded points test nothing"


def test_kill_9_during_build_leaves_one_whole_set(base, tmp_path):
    grown = _fresh(base, tmp_path / "grown")
    monthly = {"files": [str(shared_path(*MONTHLY_GROUPS))],
               "options": {"reporter": "CHN", "flow": "export"}}
    assert _child("import", grown, monthly) is not None
    old = ProcessedStore(_settings(grown).processed_dir)
    old_hashes = dict(old.set_hashes())
    whole = _fresh(grown, tmp_path / "whole")
    first = _child("build", whole, {})
    assert first is not None
    new_hashes = ProcessedStore(_settings(whole).processed_dir).set_hashes()
    assert new_hashes != old_hashes  # the build adds the monthly table
    rng = random.Random(SEED + 1)
    repaired = 0
    for i, kill in enumerate(_kills(rng, first["calls"], first["seconds"])):
        folder = _fresh(grown, tmp_path / f"kill{i}")
        _child("build", folder, {}, **kill)
        repaired += _check_then_repair(folder)
        processed = ProcessedStore(_settings(folder).processed_dir)
        processed.verify()  # every table matches the record beside it
        assert processed.set_hashes() in (old_hashes, new_hashes), kill
        assert len(processed.read("panel")) > 0
        build_panel(settings=_settings(folder))
        assert ProcessedStore(_settings(folder).processed_dir).set_hashes() == new_hashes
    assert repaired, "no kill landed inside a write: the seeded points test nothing"


def _report_files(folder: Path) -> dict[str, str]:
    """The report's manifest of file hashes, checked against the files (a whole report)."""
    import hashlib

    report = folder / "reports" / "2026Q4"
    manifest = json.loads((report / "manifest.json").read_text())
    for name, sha in manifest["files"].items():
        assert hashlib.sha256((report / name).read_bytes()).hexdigest() == sha, name
    return manifest["files"]


def test_kill_9_during_run_keeps_a_whole_report(base, tmp_path):
    previous = _report_files(base)
    whole = _fresh(base, tmp_path / "whole")
    first = _child("run", whole, {})
    assert first is not None
    rng = random.Random(SEED + 2)
    repaired = 0
    for i, kill in enumerate(_kills(rng, first["calls"], first["seconds"])):
        folder = _fresh(base, tmp_path / f"kill{i}")
        _child("run", folder, {}, **kill)
        repaired += _check_then_repair(folder)  # puts back a report set aside, removes staging
        assert _report_files(folder).keys() == previous.keys(), kill  # old or new, whole
        assert not [p for p in (folder / "reports").iterdir() if p.name.startswith(".")]
        _run(folder)
        _report_files(folder)
        _check_then_repair(folder)
    assert repaired, "no kill landed inside a write: the seeded points test nothing"
