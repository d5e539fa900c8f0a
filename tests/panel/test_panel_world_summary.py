"""World trade summaries (BACI) tidied beside the panel, and the importer totals taken from them.

Tolerance: exact (the same numbers read two ways).
"""

from __future__ import annotations

import pandas as pd

from retrade.config import load_settings
from retrade.fetch.files import import_file
from retrade.panel.build import build_panel
from retrade.panel.query import load_importer_totals, query


def test_importer_totals_equal_the_summary_columns(shared, tmp_path):
    settings = load_settings(data_dir=tmp_path / "data")
    path = shared("materials-atlas", "TRANSCRIBED_baci_re_world_summary_2002_2024.csv")
    import_file(path, settings=settings)
    built = build_panel(settings=settings)
    assert [(r.source, r.status) for r in built.sources] == [("baci_summary", "series")]
    totals = load_importer_totals(settings=settings).set_index(["importer", "hs6", "period"])
    raw = pd.read_csv(path, dtype={"hs6": str})
    for iso, column in (("JPN", "japan_import_usd"), ("USA", "usa_import_usd")):
        for row in raw.itertuples():
            assert totals.loc[(iso, row.hs6, str(row.year)), "total"] == getattr(row, column)
    summary = query("SELECT * FROM world_summary", settings=settings)
    assert set(summary["stage"]) == {"metals", "compounds"}
    assert set(summary["top_exporter_iso"]) <= {
        "CHN",
        "VNM",
        "MMR",
        "MYS",
        "JPN",
        "USA",
        "EST",
        "LAO",
    }
