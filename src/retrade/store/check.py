"""``retrade store check``: is everything on disk what the manifests say, and is anything left over?

:func:`check_store` looks at the three places retrade writes:

``data/raw/<source>/``
    every manifest line parses; every live file exists and hashes to the
    SHA-256 its entry recorded; no interrupted write (``_pending.json``) is
    waiting; no Parquet file lies there that no entry lists (a killed
    import's orphan) and no unclaimed temporary file (``*.tmp``); no
    abandoned scratch folder under ``data/raw/.staging/``.
``data/processed/``
    the tables and ``panel_build.json`` are one set (each table hashes to the
    value the record holds); no interrupted switch (``_switch.json``), staging
    folder (``.set-*``) or temporary file is left; the build is not older than
    the raw entries it was made from.
``reports/``
    no staging folder of a killed run (``.2026Q4.<random>``) and no set-aside
    previous report (``.2026Q4.old``) is left.

Findings are ``damaged`` (a listed file missing or changed, a corrupt
manifest line, a processed set that does not hang together: the message says
what to run), ``leftover`` (safe to clean) or ``note``. With ``repair=True``
leftovers are cleaned: interrupted writes are finished, orphans and temporary
files deleted, and a previous report a killed run had set aside is put back
when no report replaced it. A live file (one a manifest lists, a table of the
current set, a finished report) is never touched, nor is anything a running
process still claims. :func:`clean_leftovers` does only that cleaning, without
hashing or reading any stored file and without setting damaged files aside;
``retrade run`` calls it first.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from retrade.config import Settings, load_settings
from retrade.errors import StoreError
from retrade.store.atomic import TMP_SUFFIX, write_bytes_atomic
from retrade.store.journal import PENDING_NAME, finish_pending
from retrade.store.lock import is_claimed, store_lock
from retrade.store.manifest import MANIFEST_NAME, ManifestEntry, live_files, read_entries
from retrade.store.processed import (
    SET_RECORD,
    STAGING_PREFIX,
    SWITCH_NAME,
    ProcessedStore,
    finish_switch,
)
from retrade.store.raw import QUARANTINE_DIR, STAGING_DIR, RawStore, orphans
from retrade.store.verify import read_parquet

KINDS = ("damaged", "leftover", "repaired", "note")
_REPORT_TEMP = re.compile(r"^\.(?P<quarter>\d{4}Q[1-4])\.(?P<rest>.+)$")


@dataclass(frozen=True)
class Finding:
    """One thing the check found: its kind, the path, and what it means or what was done."""

    kind: str
    path: str
    message: str


@dataclass(frozen=True)
class StoreCheck:
    """What :func:`check_store` found; ``ok`` when nothing is damaged or left over."""

    data_dir: Path
    reports_dir: Path
    findings: tuple[Finding, ...]
    files_checked: int = 0
    repair: bool = False

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind in ("damaged", "leftover"))

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Lines for the terminal: the verdict, then each finding."""
        counts = {k: sum(f.kind == k for f in self.findings) for k in KINDS}
        verdict = "ok" if self.ok else "problems found"
        head = (f"store check of {self.data_dir} and {self.reports_dir}: {verdict} "
                f"({self.files_checked} stored file(s) hashed; "
                + ", ".join(f"{n} {k}" for k, n in counts.items() if n) + ")")
        lines = [head.replace("; )", ")")]
        lines += [f"  {f.kind:<9} {f.path}: {f.message}" for f in self.findings]
        if any(f.kind == "leftover" for f in self.findings) and not self.repair:
            lines.append("run `retrade store check --repair` to clean the leftovers")
        return "\n".join(lines)


@dataclass
class _Run:
    repair: bool
    hashes: bool
    set_aside: bool = True  # with repair: move damaged raw files to the quarantine
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0

    def add(self, kind: str, path: Path | str, message: str) -> None:
        self.findings.append(Finding(kind, str(path), message))

    def leftover(self, path: Path, what: str, fix: Callable[[], object]) -> None:
        """A leftover: cleaned with ``fix`` when repairing, else reported."""
        if not self.repair:
            self.add("leftover", path, what)
            return
        try:
            fix()
        except OSError as exc:
            self.add("leftover", path, f"{what}; could not clean it: {exc.strerror or exc}")
            return
        self.add("repaired", path, what)


def check_store(
    settings: Settings | None = None, *, repair: bool = False, hashes: bool = True
) -> StoreCheck:
    """Check the raw store, the processed set and the reports folder; optionally clean leftovers.

    Parameters
    ----------
    settings : Settings, optional
        Where ``data/`` and ``reports/`` are.
    repair : bool
        Finish interrupted writes and remove leftovers (never a live file).
    hashes : bool
        Hash every stored file against its manifest (the slow part).

    Examples
    --------
    >>> import tempfile
    >>> from retrade.config import load_settings
    >>> tmp = tempfile.mkdtemp()
    >>> s = load_settings(data_dir=f"{tmp}/data", reports_dir=f"{tmp}/reports")
    >>> check_store(s).ok
    True
    """
    return _check(settings, _Run(repair=repair, hashes=hashes))


def _check(settings: Settings | None, run: _Run) -> StoreCheck:
    settings = settings or load_settings()
    _check_raw(RawStore(settings.raw_dir), run)
    _check_processed(ProcessedStore(settings.processed_dir), RawStore(settings.raw_dir), run)
    _check_reports(Path(settings.reports_dir), run)
    return StoreCheck(Path(settings.data_dir), Path(settings.reports_dir), tuple(run.findings),
                      run.files_checked, run.repair)


def clean_leftovers(settings: Settings | None = None) -> list[Finding]:
    """Clean what killed processes left (no hashing); the findings, ``repaired`` or not.

    Examples
    --------
    >>> import tempfile
    >>> from retrade.config import load_settings
    >>> clean_leftovers(load_settings(data_dir=tempfile.mkdtemp()))
    []
    """
    result = _check(settings, _Run(repair=True, hashes=False, set_aside=False))
    return [f for f in result.findings if f.kind in ("repaired", "leftover")]


# -- data/raw --------------------------------------------------------------------------------


def _check_raw(store: RawStore, run: _Run) -> None:
    if not store.root.is_dir():
        return
    with _locked_to_read(store.root, store.lock_timeout):
        for scratch in _children(store.root / STAGING_DIR):
            if not is_claimed(scratch):
                run.leftover(scratch, "scratch folder of a killed bulk ingestion",
                             partial(shutil.rmtree, scratch))
        for folder in _children(store.root):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            _check_source(folder, run)


def _check_source(folder: Path, run: _Run) -> None:
    if (folder / PENDING_NAME).exists():
        run.leftover(folder / PENDING_NAME, "a write a killed process had committed but not "
                     "finished", partial(finish_pending, folder))
        if (folder / PENDING_NAME).exists():
            return  # files and manifest are mid-change: judge them once it is finished
    entries = _manifest(folder, run)
    for rel, (stored, entry) in sorted(live_files(entries).items()):
        problem = _file_problem(folder / rel, stored.sha256, run)
        if problem:
            _damaged(folder, rel, problem, entry, run)
    for path in orphans(folder):
        what = ("temporary file of a killed write" if path.suffix == TMP_SUFFIX
                else "Parquet file no manifest entry lists (a killed write's orphan)")
        run.leftover(path, what, partial(_remove_file, path))


def _damaged(folder: Path, rel: str, problem: str, entry: ManifestEntry, run: _Run) -> None:
    """A listed file that is missing or changed: set aside (with --repair) to be stored again."""
    path = folder / rel
    what = f"{problem} (written by manifest entry {entry.entry_id})"
    again = "re-run the import or fetch that wrote it to store it again"
    if not (run.repair and run.set_aside):
        run.add("damaged", path, f"{what}; `retrade store check --repair` sets it aside "
                f"(to {QUARANTINE_DIR}/, nothing is deleted), then {again}")
        return
    try:
        moved = RawStore(folder.parent).quarantine(
            folder.name, [rel], reason=f"damaged: {problem}"[:300])
    except (OSError, StoreError) as exc:
        run.add("damaged", path, f"{what}; could not set it aside: {exc}")
        return
    where = f"moved to {moved[0]}" if moved else "it was missing"
    run.add("repaired", path, f"{what}; retired from the manifest ({where}); {again}")


def _manifest(folder: Path, run: _Run) -> list[ManifestEntry]:
    """The manifest's entries; corrupt lines reported (a torn last line is a leftover)."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    entries, good = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(ManifestEntry.from_json(line))
            good.append(line)
        except (ValueError, TypeError, KeyError):
            if number == len(lines):
                run.leftover(path, f"line {number} is half written (a killed append)",
                             partial(_rewrite, path, good))
            else:
                run.add("damaged", path, f"line {number} is not a manifest entry; restore the "
                        "manifest from a backup (the files it lists are still there)")
    return entries


def _rewrite(path: Path, lines: list[str]) -> None:
    write_bytes_atomic(path, "".join(f"{line}\n" for line in lines).encode("utf-8"))


# -- data/processed --------------------------------------------------------------------------


def _check_processed(store: ProcessedStore, raw: RawStore, run: _Run) -> None:
    root = store.root
    if not root.is_dir():
        return
    with _locked_to_read(root, store.lock_timeout):
        if (root / SWITCH_NAME).exists():
            run.leftover(root / SWITCH_NAME, "a build a killed process had committed but not "
                         "switched in", partial(finish_switch, root))
            if (root / SWITCH_NAME).exists():
                return
        for path in _children(root):
            if path.is_dir() and path.name.startswith(STAGING_PREFIX):
                run.leftover(path, "staging folder of a killed build (the set in place is whole)",
                             partial(shutil.rmtree, path))
            elif path.suffix == TMP_SUFFIX and not is_claimed(path):
                run.leftover(path, "temporary file of a killed write",
                             partial(_remove_file, path))
        _check_set(store, raw, run)


def _check_set(store: ProcessedStore, raw: RawStore, run: _Run) -> None:
    record_path = store.root / f"{SET_RECORD}.json"
    tables = set(store.names())
    if not record_path.exists():
        if tables:
            run.add("note", store.root, f"tables {sorted(tables)} have no {SET_RECORD}.json: "
                    "they were not written by a build; rebuild with `retrade panel build`")
        return
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        hashes = dict(record["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        run.add("damaged", record_path, f"not a build record ({exc}); rebuild with "
                "`retrade panel build`")
        return
    for name, sha in sorted(hashes.items()):
        problem = _file_problem(store.path(name), sha, run)
        if problem:
            run.add("damaged", store.path(name), f"{problem}; the processed tables are not one "
                    "set: rebuild with `retrade panel build`")
    for name in sorted(tables - set(hashes)):
        run.add("note", store.path(name), f"not part of the build recorded in {SET_RECORD}.json "
                "(left by an older version); `retrade panel build` does not read it")
    _check_freshness(record, raw, run, record_path)


def _check_freshness(record: dict, raw: RawStore, run: _Run, where: Path) -> None:
    """A note when the raw store holds entries the build did not read."""
    built = {s["source"]: set(s.get("entries") or ()) for s in record.get("sources", [])
             if isinstance(s, dict) and "source" in s}
    newer = []
    for source in raw.sources(settle=False):
        live = {e.entry_id for _, e in live_files(read_entries(raw.folder(source))).values()}
        if live - built.get(source, set()):
            newer.append(source)
    if newer:
        run.add("note", where, f"the raw store has data the build did not read ({newer}); "
                "`retrade panel build` brings the panel up to date")


# -- reports/ -------------------------------------------------------------------------------


def _check_reports(reports: Path, run: _Run) -> None:
    if not reports.is_dir():
        return
    temps = [(p, m) for p in _children(reports) if (m := _REPORT_TEMP.match(p.name)) and p.is_dir()]
    busy = {m["quarter"] for p, m in temps if m["rest"] != "old" and is_claimed(p)}
    for path, match in temps:
        quarter = match["quarter"]
        if quarter in busy:
            continue  # a run is writing this quarter now
        if match["rest"] == "old":
            if (reports / quarter).exists():
                run.leftover(path, f"the {quarter} report a finished run replaced",
                             partial(shutil.rmtree, path))
            else:
                run.leftover(path, f"the {quarter} report a killed run had set aside (no report "
                             f"replaced it); repair puts it back as {quarter}/",
                             partial(path.rename, reports / quarter))
        else:
            run.leftover(path, f"staging folder of a killed {quarter} run",
                         partial(shutil.rmtree, path))


# -- helpers --------------------------------------------------------------------------------


def _file_problem(path: Path, sha256: str, run: _Run) -> str:
    """What is wrong with a listed file ('' if nothing): hashed and parsed, or only found."""
    if not run.hashes:  # the quick pass (clean_leftovers): no file is read
        return "" if path.is_file() else f"{path} is listed but missing"
    run.files_checked += 1
    try:
        read_parquet(path, sha256=sha256, columns=[])
    except StoreError as exc:
        return str(exc)
    return ""


def _children(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    parent = path.parent
    while "=" in parent.name:  # partition folders (k=v) left empty
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def _locked_to_read(root: Path, timeout: float) -> AbstractContextManager[None]:
    """The store lock when it can be had (a read-only store is checked without it)."""
    if (root / ".lock").exists() or os.access(root, os.W_OK):
        return store_lock(root, timeout=timeout)
    return contextlib.nullcontext()
