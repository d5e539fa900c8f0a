"""Read the built panel: as a DataFrame, or with DuckDB SQL over the processed Parquet tables.

Every table in ``data/processed`` is a view of the same name: ``panel``,
``quality``, ``mirror`` and whatever else the pipeline writes there. Only
queries run (``SELECT``, ``WITH ... SELECT``, ``DESCRIBE``, ``SHOW``,
``SUMMARIZE``, ``EXPLAIN``, ``PRAGMA``); a statement that would write, attach or
copy is refused, because only :mod:`retrade.store` writes into ``data/``.
DuckDB reads the Parquet files where they lie, so a query over a large panel
does not load it into memory first.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from retrade.config import Settings, load_settings
from retrade.errors import ConfigError, StoreError
from retrade.panel import schema as S
from retrade.store.processed import ProcessedStore

# statement types a query may contain (DuckDB's own classification of the SQL)
_READ_ONLY = ("SELECT", "EXPLAIN", "PRAGMA")


def _processed(settings: Settings | None) -> ProcessedStore:
    return ProcessedStore((settings or load_settings()).processed_dir)


def load_panel(
    *, settings: Settings | None = None, sources: Sequence[str] | None = None
) -> pd.DataFrame:
    """The built panel, typed as :data:`retrade.panel.schema.DTYPES` (optionally some sources only).

    Examples
    --------
    >>> import tempfile
    >>> from retrade.config import load_settings
    >>> load_panel(settings=load_settings(data_dir=tempfile.mkdtemp()))
    Traceback (most recent call last):
    ...
    retrade.errors.StoreError: no processed table 'panel' at ...; build it first (...)
    """
    panel = S.conform(_processed(settings).read("panel"))
    if sources is not None:
        unknown = sorted(set(sources) - set(panel[S.SOURCE].dropna().unique()))
        if unknown:
            raise ConfigError(
                f"sources {unknown} are not in the panel; it holds "
                f"{sorted(panel[S.SOURCE].dropna().unique())}"
            )
        panel = panel[panel[S.SOURCE].isin(list(sources))].reset_index(drop=True)
    return panel


def load_monthly(*, settings: Settings | None = None) -> pd.DataFrame:
    """The monthly aggregate tables (:mod:`retrade.panel.monthly`) as built beside the panel.

    Raises :class:`~retrade.errors.StoreError` saying what to import when there are none.
    """
    store = _processed(settings)
    if not store.exists("monthly"):
        raise StoreError(
            f"no monthly tables in {store.root}: import one (retrade import FILE --reporter CHN "
            "--flow export) and build the panel (retrade panel build)"
        )
    return store.read("monthly")


def load_importer_totals(*, settings: Settings | None = None) -> pd.DataFrame:
    """Importers' total imports per HS6 and year from the world summaries (``importer, hs6, period,
    total``), the denominator of mirror-based dependency shares."""
    from retrade.panel.world_summary import importer_totals

    store = _processed(settings)
    if not store.exists("world_summary"):
        raise StoreError(
            f"no world summary in {store.root}: import one (e.g. a BACI world summary CSV) "
            "and build the panel (retrade panel build)"
        )
    return importer_totals(store.read("world_summary"))


def connect(*, settings: Settings | None = None):
    """A DuckDB connection with a view per processed table (``panel``, ``quality``, ``mirror`` ...).

    Views read the Parquet files at query time. The caller owns the
    connection; it may run any SQL, so prefer :func:`query` for reading.
    """
    import duckdb

    store = _processed(settings)
    names = store.names()
    if not names:
        raise StoreError(
            f"no processed tables in {store.root}; build the panel first (retrade panel build)"
        )
    con = duckdb.connect()
    for name in names:
        path = str(store.path(name)).replace("'", "''")
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{path}')")
    return con


def query(sql: str, *, settings: Settings | None = None) -> pd.DataFrame:
    """Run a read-only SQL query over the processed tables; the result as a DataFrame.

    Examples
    --------
    >>> import tempfile
    >>> from retrade.config import load_settings
    >>> from retrade.store import ProcessedStore
    >>> s = load_settings(data_dir=tempfile.mkdtemp())
    >>> _ = ProcessedStore(s.processed_dir).write("panel", pd.DataFrame({"hs6": ["280530"]}))
    >>> query("SELECT hs6, count(*) AS n FROM panel GROUP BY hs6", settings=s).values.tolist()
    [['280530', 1]]
    >>> query("COPY panel TO 'x.csv'", settings=s)
    Traceback (most recent call last):
    ...
    retrade.errors.ConfigError: only queries may run here (SELECT, WITH, DESCRIBE ...); got COPY
    """
    import duckdb

    con = connect(settings=settings)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise ConfigError(f"the SQL does not parse: {exc}") from None
        kinds = [s.type.name for s in statements]
        refused = [k for k in kinds if k not in _READ_ONLY]
        if refused or len(statements) != 1:
            raise ConfigError(
                "only queries may run here (SELECT, WITH, DESCRIBE ...); got "
                + (", ".join(refused) if refused else f"{len(statements)} statements")
            )
        try:
            return con.execute(sql).df()
        except duckdb.Error as exc:
            raise ConfigError(f"the query failed: {exc}") from None
    finally:
        con.close()
