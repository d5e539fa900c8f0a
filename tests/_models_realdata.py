"""TEST HELPER ONLY: map two real files under ../shared/data to the panel columns.

The proper WITS and monthly-table importers are being written in ``retrade.panel``;
until they land, the model tests read the real files through these small
mappings. They are deliberately minimal (no validation beyond what the tests
need) and must be replaced by the importers, not grown into one.

* ``wits_panel``: semenko-china-ree-wits/DERIVED_china_ree_exports_bilateral_panel_long.csv
  (China's exports by partner, 2010-2024, HS 280530/284690/850511). Only the rows
  WITS observed (``observed_in_wits == 1``) become panel rows, as an importer
  would produce them; the balancing zeros are made again by
  :func:`retrade.panel.balance.balanced_panel`.
* ``monthly_groups``: qennis-china-critical-minerals/overview_monthly.csv, China's
  monthly exports to the world of four mineral groups, 2017-01 to 2024-12.
* ``monthly_hs6``: the same folder's per-HS6 bloc sums (RE codes only).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from retrade.catalog import to_iso3

WITS_LONG = ("semenko-china-ree-wits", "DERIVED_china_ree_exports_bilateral_panel_long.csv")
MONTHLY_GROUPS = ("qennis-china-critical-minerals", "overview_monthly.csv")
MONTHLY_HS6 = ("qennis-china-critical-minerals",
               "DERIVED_china_re_exports_monthly_by_hs6_blocsum.csv")

# WITS names country_converter does not know
_EXTRA_NAMES = {"Occ.Pal.Terr": "PSE"}


def _batch(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def wits_panel(path: Path) -> pd.DataFrame:
    """Observed rows of the WITS long file as panel rows (test helper)."""
    raw = pd.read_csv(path, dtype={"hs_code": str})
    raw = raw[raw["observed_in_wits"] == 1]
    names = raw["partner"].replace(_EXTRA_NAMES)
    codes = dict(zip(names.unique(), to_iso3(names.unique(), scheme="name"), strict=True))
    codes.update({v: v for v in _EXTRA_NAMES.values()})
    out = pd.DataFrame({
        "source": "wits",
        "frequency": "A",
        "period": raw["year"].astype(str),
        "year": raw["year"],
        "reporter": "CHN",
        "reporter_original": raw["reporter"],
        "partner": names.map(codes),
        "partner_original": raw["partner"],
        "flow": "export",
        "hs6": raw["hs_code"],
        "hs_original": raw["hs_code"],
        "stage": raw["hs_code"].map(
            {"280530": "metals", "284690": "compounds", "850511": "magnets"}),
        "value_usd": raw["export_value_usd"].astype(float),
        "net_weight_kg": raw["quantity_kg"].astype(float),
        "batch": _batch(path),
    })
    return out.reset_index(drop=True)


def monthly_groups(path: Path) -> pd.DataFrame:
    """Wide monthly frame: period index, one column per (group, measure) (test helper)."""
    raw = pd.read_csv(path, parse_dates=["period_dt"])
    raw["period"] = raw["period_dt"].dt.to_period("M")
    value = raw.pivot(index="period", columns="broad_group", values="total_value")
    qty = raw.pivot(index="period", columns="broad_group", values="total_qty")
    return pd.concat({"value_usd": value, "net_weight_kg": qty}, axis=1)


def monthly_hs6(path: Path) -> pd.DataFrame:
    """Monthly panel rows (partner WLD) for the three RE HS6 lines (test helper)."""
    raw = pd.read_csv(path, dtype={"hs6": str}, parse_dates=["period_dt"])
    out = pd.DataFrame({
        "source": "monthly_table",
        "frequency": "M",
        "period": raw["period_dt"].dt.strftime("%Y-%m"),
        "year": raw["period_dt"].dt.year,
        "month": raw["period_dt"].dt.month,
        "reporter": "CHN",
        "partner": "WLD",
        "flow": "export",
        "hs6": raw["hs6"],
        "value_usd": raw["val"].astype(float),
        "net_weight_kg": raw["qty"].astype(float),
        "batch": _batch(path),
    })
    return out
