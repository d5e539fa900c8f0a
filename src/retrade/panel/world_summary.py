"""World trade summaries per HS6 and year (e.g. computed from CEPII BACI), tidied beside the panel.

A world summary gives, per HS6 line and year, world trade value and tonnage,
China's export value and share, the exporter HHI, and some importers' totals
(``japan_import_usd``, ``usa_import_usd`` ...). They are aggregates, not
bilateral flows, so they do not enter the panel; :func:`world_summary` types
them into ``data/processed/world_summary.parquet`` and
:func:`importer_totals` gives the importers' total imports, which
mirror-based dependency metrics divide by.

Caveat (how the BACI summaries were transcribed): ``<country>_import_share`` is the
importer's share of *world* imports of the line, not China's share of the
importer's imports.
"""

from __future__ import annotations

import re

import pandas as pd

from retrade.catalog.countries import to_iso3
from retrade.catalog.products import product

# importer columns as the summaries name them -> ISO3
_IMPORTER_COLUMN = re.compile(r"^(?P<name>[a-z_]+?)_import_usd$")
_NAMES = {"japan": "JPN", "usa": "USA", "us": "USA", "korea": "KOR", "germany": "DEU",
          "eu": "EUN", "eu27": "EUN", "china": "CHN"}


def world_summary(raw: pd.DataFrame) -> pd.DataFrame:
    """Type the raw rows of source ``baci_summary``: ``hs6, stage, year, period`` and the measures.

    Examples
    --------
    >>> raw = pd.DataFrame({"hs6": ["280530"], "year": [2020], "world_usd": [1.0e8],
    ...                     "japan_import_usd": [2.0e7]})
    >>> world_summary(raw)[["hs6", "stage", "period", "japan_import_usd"]].values.tolist()
    [['280530', 'metals', '2020', 20000000.0]]
    """
    out = raw.copy()
    out["hs6"] = out["hs6"].astype("string").str.strip()
    out.insert(1, "stage", out["hs6"].map(lambda c: product(c).stage).astype("string"))
    out["year"] = pd.to_numeric(out["year"]).astype("int64")
    out.insert(3, "period", out["year"].astype(str).astype("string"))
    for column in [c for c in out.columns if c.endswith("_iso")]:
        codes = out[column].dropna()
        out.loc[codes.index, column] = to_iso3(codes.tolist(), scheme="iso2")
    keep = [c for c in out.columns if c not in ("table",)]
    return out[keep].sort_values(["hs6", "year"]).reset_index(drop=True)


def importer_totals(summary: pd.DataFrame) -> pd.DataFrame:
    """Each importer's total imports per HS6 and year: ``importer, hs6, period, total`` (USD).

    Examples
    --------
    >>> s = pd.DataFrame({"hs6": ["280530"], "period": ["2020"], "japan_import_usd": [5.0],
    ...                   "usa_import_usd": [7.0]})
    >>> importer_totals(s).values.tolist()
    [['JPN', '280530', '2020', 5.0], ['USA', '280530', '2020', 7.0]]
    """
    parts = []
    for column in summary.columns:
        match = _IMPORTER_COLUMN.match(column)
        if not match or match.group("name") not in _NAMES:
            continue
        parts.append(pd.DataFrame({
            "importer": _NAMES[match.group("name")],
            "hs6": summary["hs6"].astype(str),
            "period": summary["period"].astype(str),
            "total": pd.to_numeric(summary[column], errors="coerce").astype(float),
        }))
    if not parts:
        return pd.DataFrame(columns=["importer", "hs6", "period", "total"])
    out = pd.concat(parts, ignore_index=True).dropna(subset=["total"])
    return out.sort_values(["importer", "hs6", "period"]).reset_index(drop=True)
