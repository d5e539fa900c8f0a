"""TEST HELPER, TEMPORARY: map shared real files to panel columns until the importers land.

This is not an importer. It reads two files from ``../shared/data`` at run time
(nothing is copied into the repository) and shapes them as the dual-chain
models need them:

* ``semenko-china-ree-wits/DERIVED_china_ree_exports_bilateral_panel_long.csv``:
  China-reported exports by partner, 2010-2024, HS 280530/284690/850511 (WITS).
* ``materials-atlas/TRANSCRIBED_baci_re_world_summary_2002_2024.csv``: BACI
  world summaries. ``japan_import_usd``/``usa_import_usd`` are Japan's and the
  US's **total imports from all partners**; ``*_import_share`` is that total's
  share of *world* trade, not China's share of their imports.

Replace with ``retrade.panel`` importers once they exist.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from retrade.catalog import name_to_iso3, stage_of
from retrade.panel import schema as S

EXTRA_NAMES = {"Occ.Pal.Terr": "PSE"}


def china_exports_panel(path: Path) -> pd.DataFrame:
    """The semenko long CSV as panel rows (reporter CHN, flow export, annual)."""
    raw = pd.read_csv(path, dtype={"hs_code": str})
    partner = raw["partner"].map(lambda n: EXTRA_NAMES.get(n) or name_to_iso3(n))
    if partner.isna().any():
        raise ValueError(f"unmatched partners: {sorted(raw.loc[partner.isna(), 'partner'])}")
    frame = pd.DataFrame({
        S.SOURCE: "wits", S.FREQUENCY: "A", S.PERIOD: raw["year"].astype(str),
        S.YEAR: raw["year"], S.REPORTER: "CHN", S.REPORTER_ORIGINAL: raw["reporter"],
        S.PARTNER: partner, S.PARTNER_ORIGINAL: raw["partner"], S.FLOW: "export",
        S.HS6: raw["hs_code"], S.HS_ORIGINAL: raw["hs_code"],
        S.STAGE: raw["hs_code"].map(stage_of), S.VALUE_USD: raw["export_value_usd"],
        S.NET_WEIGHT_KG: raw["quantity_kg"],
    })
    # two WITS names can map to one code (e.g. former and current Sudan): sum them
    keys = [c for c in frame.columns if c not in (S.VALUE_USD, S.NET_WEIGHT_KG,
                                                  S.PARTNER_ORIGINAL)]
    frame = frame.groupby(keys, as_index=False)[[S.VALUE_USD, S.NET_WEIGHT_KG]].sum()
    return S.conform(frame.assign(**{S.PARTNER_ORIGINAL: pd.NA}))


def baci_importer_totals(path: Path) -> pd.DataFrame:
    """Japan's and the US's total imports per HS6 and year (BACI), as ``importer_totals``."""
    raw = pd.read_csv(path, dtype={"hs6": str})
    parts = [pd.DataFrame({"importer": iso, "hs6": raw["hs6"], "period": raw["year"].astype(str),
                           "total": raw[f"{col}_import_usd"].astype(float)})
             for iso, col in (("JPN", "japan"), ("USA", "usa"))]
    return pd.concat(parts, ignore_index=True)
