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

from retrade.fetch.files.base import ImportedTable, ReadSummary
from retrade.fetch.files.importer import ImportReport, import_file
from retrade.fetch.files.registry import FORMATS, detect_format, format_module, read_file

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
