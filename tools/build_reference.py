"""Rebuild the bundled reference tables from the facts in ``../shared/data/reference/``.

Each row keeps its ``source`` and ``status``; rows whose status is ``unverified``
(filled from memory, never read in the cited source) are left out, as the
source notes require. Run from the repository root:

    .venv/bin/python tools/build_reference.py [--shared ../shared/data/reference]

The output goes to ``src/retrade/reference/data/`` with a ``BUILD.md`` listing
how many rows each table kept and dropped.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import pandas as pd

TABLES = (
    "usgs_mine_production",
    "policy_events",
    "china_exports_annual",
    "china_exports_monthly",
    "demand_supply",
    "published_estimates",
)
DROP_STATUS = "unverified"
SOURCE_COLUMN = {"published_estimates": "study"}


def add_parsed_columns(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Add machine-readable columns next to the published text (which is kept unchanged).

    ``value_num``/``value_low``/``value_high``/``value_qualifier`` parse values such
    as ``">95"``, ``"60-70"`` or ``"~80"``; policy events get ``date_start``,
    ``date_end`` and ``date_precision`` from dates written as ``2010``,
    ``2010-07``, ``2009-H1``, ``2010-09-21`` or ``2020-2024``.
    """
    from retrade.reference.parse import parse_date_column, parse_value_column

    out = pd.concat([table, parse_value_column(table["value"])], axis=1)
    if name == "policy_events":
        out = pd.concat([out, parse_date_column(out["date"])], axis=1)
    return out


def build(shared: Path, out: Path) -> list[str]:
    lines = ["# Bundled reference tables: build record", "",
             f"Built by `tools/build_reference.py` from `{shared.as_posix()}`; rows with "
             f"status `{DROP_STATUS}` are left out.", "",
             "| table | rows kept | rows dropped (unverified) | sha256 of source file |",
             "|---|---|---|---|"]
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        path = shared / f"{name}.csv"
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        source_column = SOURCE_COLUMN.get(name, "source")
        if "status" not in table.columns or source_column not in table.columns:
            raise SystemExit(f"{path} lacks a status or {source_column} column")
        kept = table[table["status"].str.strip().str.lower() != DROP_STATUS].copy()
        if (kept[source_column].str.strip() == "").any():
            raise SystemExit(f"{path}: a kept row has no source")
        kept = add_parsed_columns(kept, name)
        kept.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        lines.append(f"| {name} | {len(kept)} | {len(table) - len(kept)} | {digest} |")
    (out / "BUILD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    parser.add_argument("--shared", type=Path, default=root.parent / "shared" / "data" / "reference")
    parser.add_argument("--out", type=Path, default=root / "src" / "retrade" / "reference" / "data")
    args = parser.parse_args()
    print("\n".join(build(args.shared, args.out)))


if __name__ == "__main__":
    main()
