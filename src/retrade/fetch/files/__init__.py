"""Importers for files people download by hand, one module per format.

Each format module has ``FORMAT``, ``SOURCE``, ``sniff(path) -> bool`` (decided
by the file's content) and ``read(path, **options) -> ImportedTable``.
:func:`detect_format` asks every sniffer; :func:`read_file` reads with the
detected or named format; :func:`~retrade.fetch.files.importer.import_file`
also writes the result through the raw store.

=================  ==================  ==============================================
format             store source        what it reads
=================  ==================  ==============================================
``wits``           ``wits``            WITS "By HS6 Product" exports (xlsx/CSV)
``comtrade``       ``comtrade_files``  UN Comtrade v1 CSV/JSON downloads
``china_customs``  ``china_customs``   China customs (GACC) platform CSV downloads
``monthly_table``  ``monthly_table``   monthly series tables (period_dt, value, qty)
``usgs_mcs``       ``usgs``            USGS Mineral Commodity Summaries CSVs
``comext``         ``comext``          Eurostat Comext SDMX-CSV
``baci_summary``   ``baci_summary``    yearly BACI world summary tables
``atlas_supply``   ``atlas_supply``    China rare-earth supply/import-dependency JSON
``census``         ``census_files``    US Census trade API answers saved as CSV/JSON
=================  ==================  ==============================================
"""

from __future__ import annotations

import importlib
from typing import Any

from retrade.fetch.files.registry import FORMATS

# public name -> module; loaded on first access, so the CLI can list FORMATS without pandas
_LAZY = {
    "ImportedTable": "imported", "ReadSummary": "imported", "ImportReport": "importer",
    "import_file": "importer", "detect_format": "registry", "format_module": "registry",
    "read_file": "registry",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "FORMATS",
    "ImportReport",
    "ImportedTable",
    "ReadSummary",
    "detect_format",
    "format_module",
    "import_file",
    "read_file",
]
