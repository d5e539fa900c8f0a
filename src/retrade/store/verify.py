"""Reading stored Parquet files with their integrity checked: one clear error naming the file.

A stored file is read once: its bytes are hashed and parsed from the same
buffer, so checking the hash its manifest recorded costs no second read.
A file that is missing, changed since it was recorded, or not Parquet at all
raises :class:`~retrade.errors.StoreIntegrityError` naming it and saying how
to fix it, never a pyarrow traceback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from retrade.errors import StoreIntegrityError


def read_parquet(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    sha256: str | None = None,
    fix: str = "",
    missing_ok: bool = False,
) -> pa.Table:
    """Read a stored Parquet file; with ``sha256``, check its bytes first.

    Parameters
    ----------
    path : path
        The file.
    columns : list of str, optional
        Columns to read (all by default).
    sha256 : str, optional
        The hash a manifest recorded for the file; a file whose bytes hash
        otherwise is refused.
    fix : str
        What the user can do about a bad file, appended to the message.
    missing_ok : bool
        Leave out the ``columns`` the file lacks instead of refusing it.

    Examples
    --------
    >>> import tempfile, pathlib, pyarrow as pa, pyarrow.parquet as pq
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
    >>> pq.write_table(pa.table({"a": [1]}), f)
    >>> read_parquet(f, sha256="0" * 64)
    Traceback (most recent call last):
    ...
    retrade.errors.StoreIntegrityError: .../t.parquet has changed since it was stored: ...
    """
    path = Path(path)
    suffix = f"; {fix}" if fix else ""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoreIntegrityError(f"{path} is listed but missing{suffix}") from None
    except OSError as exc:
        raise StoreIntegrityError(f"{path} cannot be read: {exc.strerror or exc}{suffix}") from None
    if sha256:
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise StoreIntegrityError(
                f"{path} has changed since it was stored: its SHA-256 is {actual[:12]}..., "
                f"the manifest recorded {sha256[:12]}...{suffix}"
            )
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        names = parquet.schema_arrow.names
        missing = [c for c in columns or () if c not in names]
        if missing and names and not missing_ok:  # an empty answer's file has no columns at all
            raise StoreIntegrityError(f"{path} lacks column(s) {missing}; it has {names}")
        present = [c for c in columns if c in names] if columns is not None else None
        return parquet.read(columns=present if present is not None and names else None)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise StoreIntegrityError(
            f"{path} is not a readable Parquet file ({exc}){suffix}"
        ) from None
