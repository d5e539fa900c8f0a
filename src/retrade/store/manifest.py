"""The store's manifest: one JSON line per fetch call or import, appended under the store lock.

A file in the store counts only once a manifest entry lists it, so a process
killed between writing a Parquet file and recording it leaves nothing that
readers see; the next run simply writes the same file again.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retrade.config import _KNOWN_SECRETS, _MIN_SCRUB, redact
from retrade.errors import StoreError

MANIFEST_NAME = "_manifest.jsonl"


@dataclass(frozen=True)
class StoredFile:
    """One Parquet file written by an entry, relative to the source folder."""

    path: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class ManifestEntry:
    """What one call or import put into the store.

    Attributes
    ----------
    source : str
        Store folder under ``data/raw`` (``comtrade``, ``census``, ``wits`` ...).
    query : dict
        The request or import parameters (never a key; scrubbed on write).
    rows : int
        Rows written over all files.
    content_sha256 : str
        Hash of what was received (the HTTP body or the imported file).
    files : tuple of StoredFile
        The Parquet files this entry wrote or replaced.
    coverage : dict
        Source-specific description of what the entry covers, used to plan
        incremental re-fetches (e.g. reporter-period units and their
        publication dates).
    """

    source: str
    query: dict[str, Any]
    rows: int
    content_sha256: str
    files: tuple[StoredFile, ...] = ()
    coverage: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"
    entry_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    recorded_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="microseconds")
    )

    def to_json(self) -> str:
        data = asdict(self)
        text = json.dumps(data, sort_keys=True, default=str)
        text = redact(text)
        if any(len(s) >= _MIN_SCRUB and s in text for s in _KNOWN_SECRETS):  # belt and braces
            raise StoreError("refusing to write a manifest entry that contains an API key")
        return text

    @classmethod
    def from_json(cls, line: str) -> ManifestEntry:
        data = json.loads(line)
        data["files"] = tuple(StoredFile(**f) for f in data.get("files", []))
        return cls(**data)


def append_entry(folder: Path, entry: ManifestEntry) -> None:
    """Append ``entry`` to ``folder/_manifest.jsonl`` durably. Call under the store lock."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MANIFEST_NAME
    line = entry.to_json() + "\n"
    with open(path, "ab+") as fh:
        # a process killed mid-append can leave a partial last line: start on a fresh one
        if fh.tell() > 0:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def read_entries(folder: Path) -> list[ManifestEntry]:
    """All complete entries of ``folder``'s manifest, oldest first (a torn last line is skipped)."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return []
    entries: list[ManifestEntry] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(ManifestEntry.from_json(line))
        except (json.JSONDecodeError, TypeError, KeyError) as exc:
            if number == len(lines):  # torn write of a killed process
                continue
            raise StoreError(f"manifest {path} line {number} is corrupt: {exc}") from None
    return entries


def live_files(entries: Iterable[ManifestEntry]) -> dict[str, tuple[StoredFile, ManifestEntry]]:
    """The files readers should see: for each path, the latest entry that wrote it."""
    live: dict[str, tuple[StoredFile, ManifestEntry]] = {}
    for entry in entries:
        if entry.status == "removed":
            for f in entry.files:
                live.pop(f.path, None)
            continue
        for f in entry.files:
            live[f.path] = (f, entry)
    return live
