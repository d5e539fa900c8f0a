"""Build the panel: every raw source through its adapter, validated, stored with its quality table.

For each source in the raw store (``data/raw/<source>/`` with a manifest),
:func:`build_panel` reads the live rows, runs the source's adapter, checks
the rows against :mod:`retrade.panel.schema`, and stacks the sources into one
long table. The same flow reported by two sources stays twice, once per
``source`` (pick one per flow with :func:`retrade.panel.sources.select_sources`).
It then writes, through :meth:`retrade.store.ProcessedStore.write_set`, the
tables and the build record as one unit (all staged, then switched in; a
build killed part-way leaves the previous set whole):

* ``data/processed/panel.parquet``: the panel, sorted by its key;
* ``quality.parquet``: the data-quality table (:mod:`retrade.panel.quality`);
* ``mirror.parquet``: mirror flows over the preferred source of each flow
  (:mod:`retrade.panel.mirror`);
* ``monthly.parquet``: the monthly aggregate tables (source ``monthly_table``) in
  one tidy shape (:mod:`retrade.panel.monthly`), when the store holds any;
* ``world_summary.parquet``: world trade summaries per HS6 and year (source
  ``baci_summary``; :mod:`retrade.panel.world_summary`), when the store holds any;
* ``elements.parquet`` and ``provinces.parquet``: China's (and the US's) trade by
  element and form, and China's by registered province (:mod:`retrade.panel.elements`),
  when the store holds China customs downloads (or Census HS10 rows);
* ``panel_build.json``: the build manifest (the raw manifest entries read,
  rows per source, skipped sources and why, SHA-256 of each table), switched
  in last; readers check each table against its hash.

Safeguards
----------
* Every raw file is checked against the SHA-256 its manifest entry recorded
  as it is read: a file changed on disk stops the build with an error naming
  it (:class:`~retrade.errors.StoreIntegrityError`).
* A source name that is neither in the store nor has an adapter is a
  :class:`~retrade.errors.ConfigError` naming it and the known ones.
* A build that would replace a non-empty panel by an empty one while the
  store holds data (a filter that matched nothing) is refused unless
  ``allow_empty=True``: the panel the user had is kept.
* Rows an adapter leaves out (HS codes outside the catalog, totals, flows it
  does not take) are counted in a note on the source
  (``SourceReport.notes``, also emitted as a
  :class:`~retrade.errors.DataQualityWarning`).

Adapters
--------
The adapter of source ``x`` is the module ``retrade.panel.adapters.x`` with
``to_panel(raw: DataFrame) -> DataFrame`` returning rows in the panel schema
(through :func:`retrade.panel.schema.conform`). It may define
``RAW_KEY: tuple[str, ...]``, the raw columns that identify an observation, so
that a re-fetched row replaces the old one (``RawStore.read(key=...)``);
without it every live row is read. It may define ``HS_COLUMN``, the raw
column of HS codes, so the build can say how many rows fall outside the
catalog (the adapter leaves them out). It may define ``RAW_COLUMNS``, the raw
columns it reads: the build then reads only those, the key and ``HS_COLUMN``
from the store (a column a file lacks is missing on its rows, as when every
column is read). It may set ``RAW_TEXT_CODES = True`` when ``to_panel`` takes
text columns as pandas categoricals as it takes ``string`` ones: the raw rows
are then read so (``RawStore.read(text_codes=True)``). The ``source`` column of the panel is the
store's source name, whatever the adapter wrote. A source without an
adapter is skipped and reported (``PanelBuild.skipped``); an adapter that
fails, or returns rows that break the schema, stops the build with an error
that names the source, because a silently missing source would bias every
share computed from the panel.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from retrade.config import Settings, load_settings
from retrade.errors import ConfigError, DataQualityWarning, RetradeError, SchemaError
from retrade.panel import schema as S
from retrade.panel.coded import coded_panel, mirror_tables, one_per_flow, quality_tables
from retrade.panel.current import build_state, noted_warnings
from retrade.panel.distinct import repeated
from retrade.panel.elements import element_tables
from retrade.panel.monthly import monthly_series
from retrade.panel.world_summary import world_summary
from retrade.store import ProcessedStore, RawStore
from retrade.store.manifest import live_files
from retrade.store.memory import release_memory
from retrade.store.processed import SET_RECORD

ADAPTERS_PACKAGE = "retrade.panel.adapters"
BUILD_RECORD = SET_RECORD
# sources whose raw rows also feed the element and province tables (retrade.panel.elements)
ELEMENT_SOURCES = frozenset({"china_customs"})
# panels in this range of rows get their quality table and mirror flows side by side (in two
# threads), others one after the other: below it the two steps are mostly interpreter work and
# only contend for the lock (10^4 rows: 0.14 s side by side, 0.12 s one after the other);
# above it, at 10^6 rows, the two working sets at once took a build's peak from 1.4 to 1.9 GB
SIDE_BY_SIDE_ROWS = (50_000, 500_000)
# sources that are aggregate series, not flows: tidied into their own table, not the panel
SERIES_SOURCES = {
    "monthly_table": ("monthly", monthly_series),
    "baci_summary": ("world_summary", world_summary),
}


@dataclass(frozen=True)
class Adapter:
    """A source's translation into panel rows (``to_panel``) and its raw key."""

    to_panel: Callable[[pd.DataFrame], pd.DataFrame]
    raw_key: tuple[str, ...] | None = None
    hs_column: str | None = None
    raw_columns: tuple[str, ...] | None = None
    text_codes: bool = False


@dataclass(frozen=True)
class SourceReport:
    """What the build did with one source.

    ``status`` is ``built``, ``series`` (an aggregate table written beside the
    panel, not into it), ``no_adapter`` (skipped; ``message`` says why),
    ``empty`` (the store holds no rows) or ``no_data`` (named but not in the
    store). ``entries`` are the manifest entries whose files were live;
    ``notes`` what the adapter said about rows it left out or changed.
    """

    source: str
    status: str
    raw_rows: int = 0
    panel_rows: int = 0
    entries: tuple[str, ...] = ()
    message: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PanelBuild:
    """The result of :func:`build_panel`: the tables written and what each source gave."""

    panel: pd.DataFrame = field(repr=False)
    quality: pd.DataFrame = field(repr=False)
    mirror: pd.DataFrame = field(repr=False)
    sources: tuple[SourceReport, ...]
    sha256: dict[str, str]
    built_at: str
    warnings: tuple[str, ...] = ()  # the distinct retrade warnings, as ``Category: message``

    @property
    def rows_by_source(self) -> dict[str, int]:
        return {r.source: r.panel_rows for r in self.sources if r.status == "built"}

    @property
    def skipped(self) -> tuple[SourceReport, ...]:
        return tuple(r for r in self.sources if r.status not in ("built", "series"))

    def summary(self) -> str:
        """A few lines for a log or the terminal."""
        lines = [
            f"panel: {len(self.panel):,} rows from {len(self.rows_by_source)} source(s); "
            f"quality: {len(self.quality):,} issue(s); mirror: {len(self.mirror):,} pair(s)"
        ]
        for r in self.sources:
            if r.status == "built":
                lines.append(f"  {r.source}: {r.panel_rows:,} rows from {r.raw_rows:,} raw")
                lines += [f"    note: {note}" for note in r.notes]
        lines += [f"  {r.source}: {r.message}" for r in self.sources if r.status == "series"]
        lines += [f"  {r.source}: skipped ({r.status}) {r.message}" for r in self.skipped]
        return "\n".join(lines)


def load_adapter(source: str) -> Adapter | None:
    """The adapter module ``retrade.panel.adapters.<source>``, or ``None`` if there is none."""
    name = f"{ADAPTERS_PACKAGE}.{source}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, ADAPTERS_PACKAGE, "retrade.panel"):
            return None
        raise  # the adapter exists but needs something missing: that is a real error
    to_panel = getattr(module, "to_panel", None)
    if not callable(to_panel):
        return None
    key = getattr(module, "RAW_KEY", None)
    columns = getattr(module, "RAW_COLUMNS", None)
    return Adapter(to_panel, tuple(key) if key else None, getattr(module, "HS_COLUMN", None),
                   tuple(columns) if columns else None,
                   bool(getattr(module, "RAW_TEXT_CODES", False)))


def _adapter_for(source: str, adapters: Mapping[str, Any] | None) -> Adapter | None:
    if adapters is None:
        return load_adapter(source)
    given = adapters.get(source)
    if given is None or isinstance(given, Adapter):
        return given
    if callable(given):
        return Adapter(given)
    raise ConfigError(f"adapter for {source!r} must be an Adapter or a callable, got {type(given)}")


def known_sources(store: RawStore, adapters: Mapping[str, Any] | None = None) -> list[str]:
    """Source names a build can be asked for: adapters, series tables, what the store holds.

    Examples
    --------
    >>> import tempfile
    >>> names = known_sources(RawStore(tempfile.mkdtemp()))
    >>> "wits" in names and "monthly_table" in names and "_common" not in names
    True
    """
    package = importlib.import_module(ADAPTERS_PACKAGE)
    modules = {m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")}
    return sorted(modules | set(SERIES_SOURCES) | set(store.sources()) | set(adapters or {}))


def check_sources(
    sources: Sequence[str], store: RawStore, adapters: Mapping[str, Any] | None = None
) -> list[str]:
    """``sources`` if every name is a known source, else a :class:`ConfigError` naming the rest."""
    if isinstance(sources, str):
        sources = [sources]
    known = known_sources(store, adapters)
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise ConfigError(
            f"unknown source(s) {unknown}; known sources: {', '.join(known)}"
        )
    return list(sources)


def _source_rows(
    source: str, adapter: Adapter, raw: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[str, ...], dict | None]:
    """Run one adapter and validate its rows; errors name the source; notes; key codes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows, codes = _run_adapter(source, adapter, raw)
    notes = tuple(dict.fromkeys(str(w.message) for w in caught
                                if issubclass(w.category, DataQualityWarning)))
    for w in caught:  # pass every warning on, to a notebook or the pipeline's report
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return rows, notes, codes


def _run_adapter(source: str, adapter: Adapter,
                 raw: pd.DataFrame) -> tuple[pd.DataFrame, dict | None]:
    """The adapter's rows sorted and validated, and their key codes (``sorted_and_validated``)."""
    try:
        produced = adapter.to_panel(raw)
    except RetradeError:
        raise  # already names the value at fault (an unmatched country, an unknown flow ...)
    except Exception as exc:  # a raw column it needs is missing, a value it cannot parse ...
        raise SchemaError(
            f"adapter {source!r} failed on the raw rows: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        rows = S.conform(produced, copy=False)  # the adapter's frame is dropped below
    except KeyError as exc:
        raise SchemaError(f"adapter {source!r} returned rows without {exc}") from None
    del produced  # one copy of the rows at a time
    rows[S.SOURCE] = repeated(source, rows.index)
    try:
        return S.sorted_and_validated(rows)
    except SchemaError as exc:
        raise SchemaError(f"adapter {source!r}: {exc}") from None


def _read_source(
    source: str, store: RawStore, adapters: Mapping[str, Any] | None,
    keep: dict[str, pd.DataFrame] | None = None,
) -> tuple[SourceReport, pd.DataFrame | None, dict | None]:
    """One source's report, panel rows and their key codes (rows and codes ``None`` if none)."""
    if source not in store.sources():
        return SourceReport(
            source, "no_data", message=f"no manifest under {store.folder(source)}"
        ), None, None
    adapter = _adapter_for(source, adapters)
    entries = tuple(
        dict.fromkeys(e.entry_id for e in store.entries(source) if e.status != "removed")
    )
    if adapter is None:
        message = f"no adapter: add {ADAPTERS_PACKAGE}.{source} with to_panel(raw) to include it"
        return SourceReport(source, "no_adapter", entries=entries, message=message), None, None
    key = list(adapter.raw_key) if adapter.raw_key else recorded_key(store, source)
    raw = store.read(source, key=key, columns=_raw_columns(adapter), missing_ok=True,
                     text_codes=adapter.text_codes)
    if raw.empty:
        return SourceReport(source, "empty", entries=entries, message="no live rows"), None, None
    rows, notes, codes = _source_rows(source, adapter, raw)
    if keep is not None and source in ELEMENT_SOURCES:  # the element panel reads the raw rows
        keep[source] = raw
    notes = _outside_catalog(raw, adapter.hs_column) + notes
    return SourceReport(source, "built", len(raw), len(rows), entries, notes=notes), rows, codes


def _raw_columns(adapter: Adapter) -> list[str] | None:
    """The raw columns to read for ``adapter`` (all of them when it names none)."""
    if adapter.raw_columns is None:
        return None
    extra = [adapter.hs_column] if adapter.hs_column else []
    return list(dict.fromkeys([*adapter.raw_columns, *extra]))


def _outside_catalog(raw: pd.DataFrame, column: str | None) -> tuple[str, ...]:
    """A note (and a warning) counting raw rows whose HS code is outside the catalog."""
    if column is None or column not in raw.columns:
        return ()
    from retrade.panel.adapters._common import stage_or_none

    codes = raw[column].astype("string")
    distinct = codes.dropna().unique()
    outside = {str(c) for c in distinct if stage_or_none(c) is None}
    count = int(codes.isin(outside).sum()) + int(codes.isna().sum())
    if not count:
        return ()
    shown = sorted(outside)
    more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
    note = (f"{count:,} raw row(s) with HS codes outside the rare-earth catalog left out: "
            f"{shown[:8]}{more}")
    warnings.warn(note, DataQualityWarning, stacklevel=4)
    return (note,)


def recorded_key(store: RawStore, source: str) -> list[str] | None:
    """The observation key the imports of ``source`` recorded (``coverage["key"]``), or ``None``.

    A revised download of a file is stored beside the first one; reading with
    this key keeps each observation once, from the newest entry. The key is the
    union over live entries (tables of one source may break down differently;
    a column a table lacks is missing on all its rows, so tables never collide
    when the key names the table).
    """
    keys = [e.coverage.get("key") or [] for e in store.entries(source) if e.status != "removed"]
    union = list(dict.fromkeys(k for key in keys for k in key))
    return union or None


def assemble(frames: Sequence[pd.DataFrame], *, validate: bool = True) -> pd.DataFrame:
    """Stack source frames into one panel sorted by key, and validate it whole.

    ``validate=False`` is for the build's own frames: each holds one source's
    rows, already sorted by key and validated (the key starts with the source,
    so they cannot collide, and stacking them in source order keeps the key
    order): each row is checked and sorted once.
    """
    frames = [f for f in frames if not f.empty]
    if not validate:
        frames = sorted(frames, key=lambda f: str(f[S.SOURCE].iloc[0]))
        return pd.concat(frames, ignore_index=True) if frames else S.empty_panel()
    panel = pd.concat(frames, ignore_index=True) if frames else S.empty_panel()
    return S.sort_and_validate(panel)


def build_panel(
    *,
    settings: Settings | None = None,
    store: RawStore | None = None,
    sources: Sequence[str] | None = None,
    adapters: Mapping[str, Any] | None = None,
    allow_empty: bool = False,
) -> PanelBuild:
    """Build the panel from the raw store and write it, its quality table and mirror flows.

    Parameters
    ----------
    settings : Settings, optional
        Where ``data/`` is; default :func:`retrade.config.load_settings`.
    store : RawStore, optional
        The raw store; default ``RawStore(settings.raw_dir)``.
    sources : sequence of str, optional
        Sources to build from; default every source with a manifest. A name
        that is no known source raises :class:`ConfigError` naming it.
    adapters : mapping, optional
        ``source -> Adapter`` (or a bare ``to_panel`` callable) to use instead
        of importing ``retrade.panel.adapters.<source>``; sources missing from
        the mapping have no adapter.
    allow_empty : bool
        Replace a non-empty panel by an empty one even though the store holds
        data (by default such a build is refused and the old panel kept).

    Examples
    --------
    >>> import tempfile, pyarrow as pa
    >>> from retrade.config import load_settings
    >>> from retrade.store import Part
    >>> s = load_settings(data_dir=tempfile.mkdtemp())
    >>> raw = RawStore(s.raw_dir)
    >>> part = Part({}, "x", pa.table({"kg": [5.0]}))
    >>> _ = raw.write("demo", [part], query={}, content_sha256="0")
    >>> def demo(raw):
    ...     return pd.DataFrame({"source": "demo", "frequency": "A", "period": "2020",
    ...         "year": 2020, "reporter": "CHN", "partner": "JPN", "flow": "export",
    ...         "hs6": "280530", "stage": "metals", "net_weight_kg": raw["kg"]})
    >>> result = build_panel(settings=s, adapters={"demo": demo})
    >>> result.rows_by_source, ProcessedStore(s.processed_dir).names()
    ({'demo': 1}, ['mirror', 'panel', 'quality'])
    """
    settings = settings or load_settings()
    store = store or RawStore(settings.raw_dir)
    names = check_sources(sources, store, adapters) if sources is not None else store.sources()
    state = build_state(store, sources=sources, adapters=adapters)  # before any raw file is read
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables, reports = _build(settings, store, names, adapters, allow_empty)
    finally:
        for w in caught:  # pass every warning on; the build's record keeps them too
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    processed = ProcessedStore(settings.processed_dir)
    panel, quality, mirror, extra, coded = tables
    return _write(processed, panel, quality, mirror, extra, reports, state,
                  noted_warnings(caught), coded=coded)


def _build(
    settings: Settings,
    store: RawStore,
    names: Sequence[str],
    adapters: Mapping[str, Any] | None,
    allow_empty: bool,
) -> tuple[tuple, tuple[SourceReport, ...]]:
    """The panel, quality table, mirror flows, series tables and the panel's coded view
    (:func:`~retrade.panel.coded.coded_panel`) and quality rows before typing; the reports."""
    reports, frames, extra, raws, codes = [], [], {}, {}, []
    for source in names:
        if source in SERIES_SOURCES and (adapters is None or source not in adapters):
            report, table = _read_series(source, store)
            reports.append(report)
            if table is not None:
                extra[SERIES_SOURCES[source][0]] = table
            continue
        report, rows, key_codes = _read_source(source, store, adapters, raws)
        reports.append(report)
        if rows is not None:
            frames.append(rows)
            if len(rows):
                codes.append(key_codes)
        release_memory()  # the raw rows just dropped (see retrade.store.memory)
    panel = assemble(frames, validate=False)  # each source's rows sorted and validated as they came
    frames.clear()
    extra.update(element_tables(raws.pop("china_customs", None), panel))
    processed = ProcessedStore(settings.processed_dir)
    if panel.empty and not allow_empty:
        _keep_nonempty_panel(processed, store, names)
    # the text key columns as categoricals, once for both steps (one source: from its key codes)
    view = coded_panel(panel, _only_source_codes(codes))
    codes.clear()  # the key sort's codes (an int64 array per key column): the view has its own
    (quality, coded_quality), (mirror, coded_mirror) = side_by_side(
        lambda: quality_tables(view), lambda: mirror_tables(one_per_flow(view, panel)),
        together=_between(len(panel), SIDE_BY_SIDE_ROWS))
    release_memory()
    # the text of these goes to Arrow from their codes
    coded = {"panel": view, "quality": coded_quality, "mirror": coded_mirror}
    return (panel, quality, mirror, extra, coded), tuple(reports)


def _only_source_codes(codes: list[dict | None]) -> dict | None:
    """The key codes of the panel's rows when one source gave them all, else ``None``.

    ``codes`` has an item per source with rows; :func:`assemble` keeps the rows
    of a lone source in their order, so its codes are the panel's.
    """
    return codes[0] if len(codes) == 1 else None


def _between(rows: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= rows <= bounds[1]


def side_by_side(first: Callable[[], Any], second: Callable[[], Any], *,
                 together: bool = True) -> tuple[Any, Any]:
    """``(first(), second())``, the second computed in another thread meanwhile.

    For two steps that read the same inputs and change nothing (the quality
    table and the mirror flows): much of their work is pandas and numpy
    releasing the interpreter lock, so on two cores they overlap. What the
    caller sees is what ``(first(), second())`` gives: if either step warns or
    fails, both are computed again one after the other, so that warnings come
    in that order and the error is the one the first failing step raises.
    (Python's warning filters are process-wide: a library step that silences
    a warning for its own duration could, in the other thread, silence the
    same warning meanwhile. pandas silences only its own internal warnings
    so, and these two steps warn about nothing by design.) ``together=False``
    computes them one after the other: both working sets at once cost memory
    (the build does so outside :data:`SIDE_BY_SIDE_ROWS`).

    Examples
    --------
    >>> side_by_side(lambda: 1, lambda: 2)
    (1, 2)
    """
    from concurrent.futures import ThreadPoolExecutor

    if not together:
        return first(), second()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with ThreadPoolExecutor(max_workers=1) as pool:
                later = pool.submit(second)
                one = first()
                two = later.result()
    except Exception:  # noqa: BLE001 - raised again below, in the sequential order
        caught = [True]
    if caught:
        return first(), second()
    return one, two


def _keep_nonempty_panel(processed: ProcessedStore, store: RawStore, names: Sequence[str]) -> None:
    """Refuse to replace a non-empty panel by an empty one while the store holds data."""
    if not processed.exists("panel"):
        return
    import pyarrow.parquet as pq

    old_rows = pq.ParquetFile(processed.path("panel")).metadata.num_rows
    stored = sum(f.rows for s in store.sources() for f, _ in live_files(store.entries(s)).values())
    if old_rows and stored:
        raise ConfigError(
            f"this build gives an empty panel (sources {list(names)}) while the store holds "
            f"{stored:,} raw rows; the panel of {old_rows:,} rows in {processed.path('panel')} "
            "is kept. Name other sources, or pass allow_empty=True "
            "(retrade panel build --allow-empty) to replace it"
        )


def _read_series(source: str, store: RawStore) -> tuple[SourceReport, pd.DataFrame | None]:
    """Tidy an aggregate-series source into its own processed table."""
    name, tidy = SERIES_SOURCES[source]
    entries = tuple(
        dict.fromkeys(e.entry_id for e in store.entries(source) if e.status != "removed")
    )
    raw = store.read(source, key=recorded_key(store, source))
    if raw.empty:
        return SourceReport(source, "empty", entries=entries, message="no live rows"), None
    table = tidy(raw)
    message = (
        f"aggregate series: {len(table):,} rows in data/processed/{name}.parquet, not the panel"
    )
    return SourceReport(source, "series", len(raw), 0, entries, message), table


def _write(
    processed: ProcessedStore,
    panel: pd.DataFrame,
    quality: pd.DataFrame,
    mirror: pd.DataFrame,
    extra: Mapping[str, pd.DataFrame] | None,
    reports: tuple[SourceReport, ...],
    state: Mapping[str, Any] | None = None,
    noted: tuple[str, ...] = (),
    *,
    coded: Mapping[str, pd.DataFrame] | None = None,
) -> PanelBuild:
    """Write the set; tables with a coded form (``coded``) go to Arrow from its codes."""
    tables = {"panel": panel, "quality": quality, "mirror": mirror, **dict(extra or {})}
    built_at = datetime.now(UTC).isoformat(timespec="seconds")
    record = {
        "built_at": built_at,
        "rows": {name: len(table) for name, table in tables.items()},
        "sources": [asdict(r) for r in reports],
        "state": dict(state or {}),  # what retrade.panel.current compares with the store
        "warnings": list(noted),
    }
    # all tables and the record as one unit; the coded tables' text goes to Arrow from codes
    hashes = processed.write_set(tables, record, coded=coded)
    return PanelBuild(panel, quality, mirror, reports, hashes, built_at, noted)
