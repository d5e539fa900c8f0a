"""What every file importer returns: the rows, and a summary of what was read.

An importer reads one hand-downloaded file completely, checks it, and returns an
:class:`ImportedTable`: the rows with the file's own columns, typed (a pandas frame,
or the Arrow table the reader parsed), plus a :class:`ReadSummary` of what was read
(rows, periods, partners, totals, rows skipped and why, caveats). The importer
front end (:mod:`retrade.fetch.files.importer`) hands the table to the store.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from retrade.fetch.files.base import nullable_frame


@dataclass(frozen=True)
class ReadSummary:
    """What an importer read from one file.

    Attributes
    ----------
    rows : int
        Rows kept in the imported table.
    periods : tuple of str
        Distinct periods (``YYYY`` or ``YYYY-MM``), sorted.
    partners : tuple of str
        Distinct partners (or other breakdown such as bloc or country), as the file names them.
    totals : dict
        Sums of the main measures, keyed by measure and unit.
    skipped : dict
        Rows left out, keyed by the reason.
    notes : tuple of str
        Caveats a user should know (partial coverage, assumed units, truncation ...).
    """

    rows: int
    periods: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    totals: Mapping[str, float] = field(default_factory=dict)
    skipped: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """The summary as short human-readable lines."""
        out = [f"{self.rows} row(s) read"]
        if self.periods:
            span = (
                self.periods[0]
                if len(self.periods) == 1
                else f"{self.periods[0]} .. {self.periods[-1]}"
            )
            out.append(f"periods: {span} ({len(self.periods)} distinct)")
        if self.partners:
            shown = ", ".join(self.partners[:8]) + (" ..." if len(self.partners) > 8 else "")
            out.append(f"partners: {len(self.partners)} ({shown})")
        out += [f"total {name}: {_number_text(value)}" for name, value in self.totals.items()]
        out += [f"skipped {count} row(s): {reason}" for reason, count in self.skipped.items()]
        out += [f"note: {note}" for note in self.notes]
        return out


def _number_text(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1e6 else f"{value:,.6g}"


@dataclass(frozen=True, init=False)
class ImportedTable:
    """One file, read and checked, ready for the raw store.

    Attributes
    ----------
    source : str
        Store folder under ``data/raw`` (``wits``, ``comtrade_files``, ``china_customs`` ...).
    format : str
        The importer that read it (a key of :data:`retrade.fetch.files.FORMATS`).
    data : pandas.DataFrame or pyarrow.Table
        The rows as the importer made them, with the file's own columns typed.
        Most importers hand a DataFrame. The Comtrade CSV reader's pyarrow path
        hands the Arrow table it parsed (``string``, ``int64``, ``float64`` and
        ``bool`` columns, in pyarrow's chunks), so a large download's text
        never goes through pandas on its way to the store.
    partition : tuple of str
        Columns whose values become the store's partition folders.
    key : tuple of str
        Columns that identify one observation within the source.
    summary : ReadSummary
        What was read.
    options : dict
        The reader options that shaped the table (recorded in the manifest).

    Examples
    --------
    >>> import pyarrow as pa
    >>> rows = ImportedTable("s", "f", pa.table({"k": ["a", None]}), (), ("k",), ReadSummary(2))
    >>> rows.table.dtypes.tolist(), rows.arrow.num_rows, rows.empty
    ([string[pyarrow]], 2, False)
    """

    source: str
    format: str
    data: pd.DataFrame | pa.Table
    partition: tuple[str, ...]
    key: tuple[str, ...]
    summary: ReadSummary
    options: Mapping[str, Any]

    def __init__(
        self,
        source: str,
        format: str,
        table: pd.DataFrame | pa.Table,
        partition: tuple[str, ...],
        key: tuple[str, ...],
        summary: ReadSummary,
        options: Mapping[str, Any] | None = None,
    ):
        options = {} if options is None else options
        values = (source, format, table, partition, key, summary, options)
        for name, value in zip(self.__dataclass_fields__, values, strict=True):
            object.__setattr__(self, name, value)

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The rows as pandas nullable columns (an Arrow table is converted once, when asked)."""
        if isinstance(self.data, pa.Table):
            return nullable_frame(self.data)
        return self.data

    @property
    def arrow(self) -> pa.Table | None:
        """The Arrow table the importer handed, or None when it handed a DataFrame."""
        return self.data if isinstance(self.data, pa.Table) else None

    @property
    def empty(self) -> bool:
        """Whether there is nothing to store (no rows or no columns), as ``DataFrame.empty``."""
        if isinstance(self.data, pa.Table):
            return self.data.num_rows == 0 or self.data.num_columns == 0
        return self.data.empty
