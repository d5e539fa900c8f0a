"""Tables derived from the raw store, under ``data/processed/`` (the panel and its companions)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from retrade.errors import StoreError
from retrade.store.atomic import write_parquet_atomic
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

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.parquet"))
