"""What the store holds for a source, read from its manifest: the basis of incremental fetches.

Fetchers record, in each data entry's coverage, the *units* it covered (for
Comtrade a reporter-period, for Census a flow-month) and the *stem* of the
slice (file) it wrote. A unit is *done* for a stem when a data entry covered
it, or when that slice was split and every finer slice is done. It is *fresh*
when it was fetched after the source last released it; without release
information every done unit counts as fresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from retrade.store.manifest import ManifestEntry, live_files

Unit = tuple


def parse_time(text: str) -> datetime:
    """An ISO timestamp as an aware UTC datetime (naive times are taken as UTC).

    Examples
    --------
    >>> parse_time("2024-05-01T12:00:00").isoformat()
    '2024-05-01T12:00:00+00:00'
    """
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StoreState:
    """Done units and recorded splits, keyed by ``(*unit, stem)``."""

    done: Mapping[tuple, datetime] = field(default_factory=dict)
    splits: Mapping[tuple, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Iterable[ManifestEntry]) -> StoreState:
        entries = list(entries)
        live = live_files(entries)  # a unit whose files were retired (removed) is not done
        done: dict[tuple, datetime] = {}
        splits: dict[tuple, tuple[str, ...]] = {}
        for entry in entries:
            cov = entry.coverage
            stored = all(f.path in live for f in entry.files)
            if entry.status == "ok" and cov.get("kind") == "data" and stored:
                when = parse_time(entry.recorded_at)
                for unit in cov.get("units", []):
                    done[(*unit, cov["stem"])] = when
            elif entry.status == "split":
                for s in cov.get("splits", []):
                    splits[(*s["unit"], s["stem"])] = tuple(s["children"])
        return cls(done, splits)

    def unit_done(self, unit: Unit, stem: str, released: datetime | None = None,
                  _depth: int = 0) -> bool:
        """Whether ``unit`` is stored for slice ``stem`` and not older than ``released``."""
        when = self.done.get((*unit, stem))
        if when is not None and (released is None or when >= released):
            return True
        children = self.splits.get((*unit, stem))
        if not children or _depth > 20:
            return False
        return all(self.unit_done(unit, c, released, _depth + 1) for c in children)

    def fetched_at(self, unit: Unit, stem: str) -> datetime | None:
        """When ``unit`` was last stored for ``stem`` directly (``None`` if never)."""
        return self.done.get((*unit, stem))
