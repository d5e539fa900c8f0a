"""Read the built panel: as a DataFrame, or with DuckDB SQL over the processed Parquet tables.

Every table in ``data/processed`` is a table of the same name: ``panel``,
``quality``, ``mirror`` and whatever else the build writes there.

SQL runs read-only *by construction*, not by screening words: the connection
is an in-memory DuckDB database whose only tables are the processed Parquet
files, handed to it as Arrow datasets (pyarrow reads the files, lazily, with
column and filter push-down, so a large panel is not loaded first). Before the
user's SQL runs, ``enable_external_access`` is switched off and the
configuration locked (DuckDB's "Securing DuckDB" settings): DuckDB itself can
then open no file at all, so ``COPY ... TO``, ``ATTACH``, ``EXPORT``,
``read_csv('...')``, ``PRAGMA`` statements that run SQL from a file, installing
extensions and changing those settings back all fail. Reading another file is
off too unless asked for by name (``tables={"codes": "codes.csv"}``, which
registers it the same read-only way). Nothing a query does outlives it: the
connection is closed after each call. The statement-type check that remains
(one ``SELECT``/``EXPLAIN``/``PRAGMA``-like statement) only gives a clearer
message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from retrade.config import Settings, load_settings
from retrade.errors import ConfigError, InputFileError, StoreError
from retrade.panel import schema as S
from retrade.store.processed import ProcessedStore

# statement types a query may be (DuckDB's own classification): for a clear message only,
# the safety comes from the connection (see the module docstring)
_READ_ONLY = ("SELECT", "EXPLAIN", "PRAGMA")


def _processed(settings: Settings | None) -> ProcessedStore:
    return ProcessedStore((settings or load_settings()).processed_dir)


def _companion(settings: Settings | None, name: str, what: str, how: str) -> pd.DataFrame:
    """The processed table ``name``; when there is none, a :class:`StoreError` saying
    ``"<what> in <folder>: <how>"``."""
    store = _processed(settings)
    if not store.exists(name):
        raise StoreError(f"{what} in {store.root}: {how}")
    return store.read(name)


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
    return _companion(
        settings, "monthly",
        "no monthly tables",
        "import one (retrade import FILE --reporter CHN "
        "--flow export) and build the panel (retrade panel build)"
    )


def load_elements(*, settings: Settings | None = None) -> pd.DataFrame:
    """The element panel (:mod:`retrade.panel.elements`) as built beside the panel.

    Raises :class:`~retrade.errors.StoreError` saying what to import when there is none.
    """
    return _companion(
        settings, "elements",
        "no element panel",
        "import China customs downloads at HS8 "
        "(retrade import FILE --flow export, a download from the customs statistics "
        "platform http://stats.customs.gov.cn) and build the panel (retrade panel build)"
    )


def load_provinces(*, settings: Settings | None = None) -> pd.DataFrame:
    """China's rare-earth trade by registered province (see
    :func:`retrade.panel.elements.province_table`).

    Raises :class:`~retrade.errors.StoreError` when no download broke trade out by province.
    """
    return _companion(
        settings, "provinces",
        "no province table",
        "import China customs downloads that break "
        "trade out by the exporter's registered location (注册地, 'Locations of importers "
        "and exporters'; retrade import FILE --flow export) and build the panel"
    )


def load_importer_totals(*, settings: Settings | None = None) -> pd.DataFrame:
    """Importers' total imports per HS6 and year from the world summaries (``importer, hs6, period,
    total``), the denominator of mirror-based dependency shares."""
    from retrade.panel.world_summary import importer_totals

    return importer_totals(_companion(
        settings, "world_summary",
        "no world summary",
        "import one (e.g. a BACI world summary CSV) "
        "and build the panel (retrade panel build)"
    ))


def connect(
    *,
    settings: Settings | None = None,
    tables: Mapping[str, str | Path | pd.DataFrame] | None = None,
):
    """A read-only DuckDB connection whose tables are the processed tables (and ``tables``).

    The tables of the current build are checked against its record first
    (:meth:`~retrade.store.ProcessedStore.verify`). The connection cannot
    read or write any file (external access off, configuration locked); the
    caller closes it.

    Parameters
    ----------
    settings : Settings, optional
        Where ``data/processed`` is.
    tables : mapping, optional
        More tables by name: a CSV or Parquet file the user names, or a DataFrame.

    Examples
    --------
    >>> import tempfile
    >>> from retrade.config import load_settings
    >>> from retrade.store import ProcessedStore
    >>> s = load_settings(data_dir=tempfile.mkdtemp())
    >>> _ = ProcessedStore(s.processed_dir).write("panel", pd.DataFrame({"hs6": ["280530"]}))
    >>> con = connect(settings=s)
    >>> con.execute("SELECT count(*) FROM panel").fetchone()
    (1,)
    >>> con.execute("SELECT current_setting('enable_external_access')").fetchone()
    (False,)
    >>> con.close()
    """
    import duckdb

    store = _processed(settings)
    names = store.names()
    if not names:
        raise StoreError(
            f"no processed tables in {store.root}; build the panel first (retrade panel build)"
        )
    store.verify()
    datasets = {name: _dataset(store.path(name)) for name in names}
    for name, given in dict(tables or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ConfigError(f"a table name must be letters, digits and _, got {name!r}")
        datasets[name] = given if isinstance(given, pd.DataFrame) else _user_dataset(given)
    con = duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
    })
    try:
        for name, data in datasets.items():
            con.register(name, data)
        for setting in _LOCKDOWN:
            con.execute(setting)
    except BaseException:
        con.close()
        raise
    return con


# run in this order once the tables are registered: no file access, then no way back
_LOCKDOWN = ("SET enable_external_access = false", "SET lock_configuration = true")


def _dataset(path: Path):
    import pyarrow.dataset as ds

    return ds.dataset(str(path), format="parquet")


def _user_dataset(path: str | Path):
    """A CSV or Parquet file the user named, as a lazily read Arrow dataset."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"table file {str(path)!r} does not exist or is not a file")
    kind = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    try:
        return ds.dataset(str(path), format=kind)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputFileError(f"table file {str(path)!r} cannot be read as {kind}: {exc}") from None


def query(
    sql: str,
    *,
    settings: Settings | None = None,
    tables: Mapping[str, str | Path | pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Run one read-only SQL query over the processed tables; the result as a DataFrame.

    See :func:`connect` for what makes it read-only and for ``tables``.

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
    >>> query("SELECT * FROM read_csv('/etc/passwd')", settings=s)
    Traceback (most recent call last):
    ...
    retrade.errors.ConfigError: the query failed: Permission Error: Cannot access file ...
    """
    import duckdb

    con = connect(settings=settings, tables=tables)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise ConfigError(f"the SQL does not parse: {_one_line(exc)}") from None
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
            raise ConfigError(f"the query failed: {_one_line(exc)}") from None
    finally:
        con.close()


def _one_line(exc: Exception) -> str:
    """DuckDB's message on one line, without its ``LINE 1: ... ^`` display of the SQL."""
    text = re.split(r"\n\s*LINE \d+:", str(exc))[0]
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
