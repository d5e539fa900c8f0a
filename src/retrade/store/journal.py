"""A raw write that was interrupted is finished on the next access, never half-seen.

A write into ``data/raw/<source>/`` goes in three steps, all under the store
lock:

1. each Parquet file is written and fsynced beside its target under a
   temporary name (``.<name>.<random>.tmp``);
2. the journal ``_pending.json`` is written atomically, holding the manifest
   entry and the renames to do: from here on the write counts as made;
3. the files are renamed over their targets, the entry is appended to the
   manifest, and the journal is deleted.

A process killed before step 2 leaves temporary files nobody claims (removed
by :meth:`RawStore.clean_orphans` or ``retrade store check --repair``) and a
store exactly as before. One killed during step 3 leaves the journal, which
:func:`finish_pending` completes the next time anyone takes the lock or reads
that source. So a file never changes under a manifest entry that does not
describe it, and every hash the manifest holds can be checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from retrade.errors import StoreIntegrityError
from retrade.store.atomic import StagedFiles, fsync_dir, rename_durably, write_bytes_atomic
from retrade.store.manifest import ManifestEntry, append_entry, read_entries

PENDING_NAME = "_pending.json"


def commit(
    folder: Path, entry: ManifestEntry, moves: Mapping[str, str], staged: StagedFiles
) -> ManifestEntry:
    """Record ``entry`` and move its staged files into place (call under the store lock).

    ``moves`` maps each staged file (relative to ``folder``) to its target;
    once the journal is written the staged files belong to it.
    """
    record = {"entry": entry.to_json(), "moves": [[src, dst] for src, dst in moves.items()]}
    write_bytes_atomic(folder / PENDING_NAME, json.dumps(record).encode("utf-8"))
    staged.commit()
    finish_pending(folder, check_manifest=False)
    return entry


def finish_pending(folder: Path, *, check_manifest: bool = True) -> bool:
    """Complete an interrupted write in ``folder``, if there is one (under the store lock).

    Returns whether there was one. Moves still to do are done, the entry is
    appended unless the manifest already holds it, and the journal goes.
    """
    journal = folder / PENDING_NAME
    if not journal.exists():
        return False
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
        entry = ManifestEntry.from_json(record["entry"])
        moves = [(str(src), str(dst)) for src, dst in record["moves"]]
        if any(".." in Path(p).parts for pair in moves for p in pair):
            raise ValueError("it names files outside the source folder")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreIntegrityError(
            f"{journal} (an interrupted write) is damaged ({exc}); move it aside and re-run "
            "the fetch or import that was running"
        ) from None
    for src, dst in moves:  # staged files were fsynced before the journal was written
        if (folder / src).exists():
            rename_durably(folder / src, folder / dst)
    if not check_manifest or entry.entry_id not in {e.entry_id for e in read_entries(folder)}:
        append_entry(folder, entry)
    journal.unlink()
    fsync_dir(folder)
    return True
