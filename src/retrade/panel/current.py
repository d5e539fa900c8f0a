"""Whether the last panel build is current: the same raw store, the same code, the same options.

Every build records in ``panel_build.json`` the *state* it was built from
(:func:`build_state`): the SHA-256 of each raw source's manifest (a fetch, an
import, a removal, a quarantine or a compaction each append a line to it, so
any change to what readers see changes the hash), a hash of the code that
turns raw rows into the panel (``retrade.panel`` and ``retrade.catalog``,
adapters and country tables included), and the build's options (all sources,
the adapters of the package). :func:`current_build` compares that record with
the store as it is now and, when nothing changed, returns the build read back
from ``data/processed`` (each table checked against the hash the record holds,
as every reader does), so ``retrade run`` does not rebuild the panel that
``retrade panel build`` has just built. Anything else, a missing or damaged
table included, means "not current": the run builds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrade.errors import RetradeWarning, StoreError
from retrade.store import ProcessedStore, RawStore
from retrade.store.manifest import MANIFEST_NAME

if TYPE_CHECKING:
    from retrade.config import Settings
    from retrade.panel.build import PanelBuild


def build_state(
    store: RawStore,
    *,
    sources: Sequence[str] | None = None,
    adapters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What a build from ``store`` depends on: raw manifests, code, options (all hashed).

    Examples
    --------
    >>> import tempfile
    >>> state = build_state(RawStore(tempfile.mkdtemp()))
    >>> state["raw"], state["sources"], state["adapters"], len(state["code"])
    ({}, None, 'package', 64)
    """
    return {
        "raw": {source: _sha256(store.folder(source) / MANIFEST_NAME)
                for source in store.sources()},
        "code": _code_hash(),
        "sources": list(sources) if sources is not None else None,
        "adapters": "package" if adapters is None else "given",
    }


def current_build(settings: Settings, store: RawStore | None = None) -> PanelBuild | None:
    """The last build, read back from ``data/processed``, if it is current; else ``None``.

    Current means its record holds the state :func:`build_state` gives for
    the store now (a build of every source with the package's adapters) and
    every table of its set reads back with the hash the record holds.
    """
    from retrade.panel import schema as S
    from retrade.panel.build import BUILD_RECORD, PanelBuild, SourceReport

    store = store or RawStore(settings.raw_dir)
    processed = ProcessedStore(settings.processed_dir)
    try:
        record = processed.read_json(BUILD_RECORD)
        if record.get("state") != build_state(store):
            return None
        panel, quality, mirror = (processed.read(name) for name in ("panel", "quality", "mirror"))
    except (StoreError, OSError, ValueError):  # missing, damaged, from an older version
        return None
    reports = tuple(SourceReport(**{k: tuple(v) if isinstance(v, list) else v
                                    for k, v in report.items()})
                    for report in record.get("sources", []))
    return PanelBuild(S.conform(panel), quality, mirror, reports, dict(record["sha256"]),
                      record["built_at"], tuple(record.get("warnings", ())))


def noted_warnings(caught: Sequence[Any]) -> tuple[str, ...]:
    """The distinct retrade warnings among ``caught`` as ``Category: message``, in order."""
    return tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                               if issubclass(w.category, RetradeWarning)))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def _code_hash() -> str:
    """SHA-256 over the files of ``retrade.panel`` and ``retrade.catalog`` (code and tables)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in ("panel", "catalog"):
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()
