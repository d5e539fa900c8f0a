"""The store: everything retrade keeps on disk, written atomically, under one lock.

``RawStore`` holds what fetchers and importers bring (``data/raw/<source>/``,
Parquet plus a JSON-lines manifest); ``ProcessedStore`` holds the harmonized
panel and derived tables (``data/processed/``). Nothing else writes into
``data/``.
"""

from retrade.store.atomic import atomic_path, sha256_file, write_bytes_atomic, write_parquet_atomic
from retrade.store.lock import store_lock
from retrade.store.manifest import ManifestEntry, StoredFile
from retrade.store.processed import ProcessedStore
from retrade.store.raw import Part, RawStore

__all__ = [
    "ManifestEntry",
    "Part",
    "ProcessedStore",
    "RawStore",
    "StoredFile",
    "atomic_path",
    "sha256_file",
    "store_lock",
    "write_bytes_atomic",
    "write_parquet_atomic",
]
