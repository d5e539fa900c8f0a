"""What the store holds for Comtrade, read from the manifest: the basis of incremental fetches.

A unit (reporter-period) is *done* for a slice (file stem) when a data entry
covered it, or when the slice was split and every finer slice is done. It is
*fresh* when it was fetched after the API last released that reporter-period
(``lastReleased`` from the availability endpoint); without availability
information every done unit counts as fresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from retrade.store.manifest import ManifestEntry

Unit = tuple[int, str]


def parse_time(text: str) -> datetime:
    """An ISO timestamp as an aware UTC datetime (naive times are taken as UTC)."""
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StoreState:
    """Done units and recorded splits, keyed by (reporter, period, stem)."""

    done: Mapping[tuple[int, str, str], datetime] = field(default_factory=dict)
    splits: Mapping[tuple[int, str, str], tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Iterable[ManifestEntry]) -> StoreState:
        done: dict[tuple[int, str, str], datetime] = {}
        splits: dict[tuple[int, str, str], tuple[str, ...]] = {}
        for entry in entries:
            cov = entry.coverage
            if entry.status == "ok" and cov.get("kind") == "data":
                when = parse_time(entry.recorded_at)
                for r, p in cov.get("units", []):
                    done[(int(r), str(p), cov["stem"])] = when
            elif entry.status == "split":
                for s in cov.get("splits", []):
                    key = (int(s["reporter"]), str(s["period"]), s["stem"])
                    splits[key] = tuple(s["children"])
        return cls(done, splits)

    def unit_done(self, unit: Unit, stem: str, released: datetime | None = None,
                  _depth: int = 0) -> bool:
        """Whether ``unit`` is stored for slice ``stem`` and not older than ``released``."""
        r, p = unit
        when = self.done.get((r, p, stem))
        if when is not None and (released is None or when >= released):
            return True
        children = self.splits.get((r, p, stem))
        if not children or _depth > 20:
            return False
        return all(self.unit_done(unit, c, released, _depth + 1) for c in children)
