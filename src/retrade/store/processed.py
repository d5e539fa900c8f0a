"""Tables derived from the raw store, under ``data/processed/`` (the panel and its companions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retrade.config import redact
from retrade.errors import StoreError
from retrade.store.atomic import write_bytes_atomic, write_parquet_atomic
from retrade.store.lock import store_lock


class ProcessedStore:
    """Named Parquet tables in one folder, each replaced atomically as a whole.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> ps = ProcessedStore(tempfile.mkdtemp())
    >>> _ = ps.write("demo", pd.DataFrame({"a": [1]}))
    >>> ps.read("demo")["a"].tolist()
    [1]
    """

    def __init__(self, root: str | Path, *, lock_timeout: float = 600.0):
        self.root = Path(root)
        self.lock_timeout = lock_timeout

    def path(self, name: str) -> Path:
        if not name.replace("_", "").isalnum():
            raise StoreError(f"table name must be letters, digits and underscores, got {name!r}")
        return self.root / f"{name}.parquet"

    def write(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as table ``name``, replacing any previous version atomically."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with store_lock(self.root, timeout=self.lock_timeout):
            return write_parquet_atomic(self.path(name), table)

    def read(self, name: str) -> pd.DataFrame:
        """Read table ``name``; a clear error if it has not been built yet."""
        path = self.path(name)
        if not path.exists():
            raise StoreError(
                f"no processed table {name!r} at {path}; build it first (retrade panel build)"
            )
        return pq.read_table(path).to_pandas()

    def write_json(self, name: str, record: dict[str, Any]) -> Path:
        """Write ``record`` as ``<name>.json`` (e.g. a build manifest), replacing it atomically.

        Known API keys are scrubbed from the text, as in the raw manifest.

        Examples
        --------
        >>> import tempfile
        >>> ps = ProcessedStore(tempfile.mkdtemp())
        >>> _ = ps.write_json("build", {"rows": 3})
        >>> ps.read_json("build")
        {'rows': 3}
        """
        path = self.path(name).with_suffix(".json")
        text = redact(json.dumps(record, indent=2, sort_keys=True, default=str)) + "\n"
        with store_lock(self.root, timeout=self.lock_timeout):
            return write_bytes_atomic(path, text.encode("utf-8"))

    def read_json(self, name: str) -> dict[str, Any]:
        """Read ``<name>.json``; a clear error if it has not been written yet."""
        path = self.path(name).with_suffix(".json")
        if not path.exists():
            raise StoreError(
                f"no processed record {name!r} at {path}; build it first (retrade panel build)"
            )
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.parquet"))
