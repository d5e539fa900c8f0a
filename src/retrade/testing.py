"""Synthetic inputs for tests, benchmarks and dry runs (like :mod:`numpy.testing`).

Nothing here is data: every value is made up, deterministically from a seed,
in the layout of a real source so that the real readers can be exercised at
any size without downloading anything.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from retrade.catalog.products import hs_codes

# Comtrade reporter and partner numbers used in synthetic files (0 World, 490 Other Asia nes)
_REPORTERS = (156, 842, 392, 276, 410, 704, 458, 764, 36, 124, 699, 251, 826, 380, 528, 56)
_PARTNERS = (0, 490, 899, *_REPORTERS, 344, 233, 608, 484, 76, 643, 710, 784)
# a reporter is never its own partner: that slot becomes 838 (free zones), absent from _PARTNERS


def synthetic_comtrade_bulk(
    path: str | Path,
    *,
    rows: int,
    seed: int = 0,
    year: int = 2022,
) -> Path:
    """Write a made-up Comtrade bulk final file (v1 fields, tab-separated, gzipped if ``.gz``).

    Like a real all-commodity file, it lists commodity after commodity, each
    with every reporter-partner pair and both flows (864 rows a commodity), so
    every observation key is unique. Eight commodities spread through the
    file carry the catalog's HS6 codes (broad lines included); the others
    carry other six-digit codes, ``TOTAL`` or four-digit aggregates. (A file
    of fewer than 8 commodities, under 6,912 rows, has room for only some of
    the catalog codes.) Imports
    carry ``cifvalue``, exports ``fobvalue``; some weights are missing and some
    flagged as estimated. Values follow from ``seed``; DuckDB writes the file,
    streaming, in bounded memory.

    Examples
    --------
    >>> import tempfile, pathlib, gzip
    >>> f = synthetic_comtrade_bulk(pathlib.Path(tempfile.mkdtemp()) / "b.txt.gz", rows=10)
    >>> gzip.open(f, "rt").readline().split("\\t")[:3]
    ['datasetCode', 'typeCode', 'freqCode']
    """
    import duckdb

    if rows < 1:
        raise ValueError(f"rows must be >= 1, got {rows}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = hs_codes("all", include_broad=True)
    per_commodity = 2 * len(_REPORTERS) * len(_PARTNERS)
    n_commodities = -(-rows // per_commodity)
    slots = {int((k + 0.5) * n_commodities / len(catalog)): code for k, code in enumerate(catalog)}
    con = duckdb.connect()
    try:
        con.execute(
            _SQL.format(
                rows=int(rows),
                seed=int(seed),
                year=int(year),
                per=per_commodity,
                slots=" ".join(f"WHEN {c} THEN '{code}'" for c, code in slots.items()),
                reporters=list(_REPORTERS),
                partners=list(_PARTNERS),
                n_rep=len(_REPORTERS),
                n_par=len(_PARTNERS),
                target=str(path).replace("'", "''"),
            )
        )
    finally:
        con.close()
    return path


def gzip_to_size(source: str | Path, target: str | Path, *, size: int | None = None) -> Path:
    """Gzip the file ``source`` into ``target``, padded to exactly ``size`` bytes if given.

    The padding is the gzip header's comment field (RFC 1952 ``FCOMMENT``),
    which every gzip reader skips, so the file decompresses to ``source``
    whatever its size. Tests use it to serve a file of the size a recorded
    bulk file list announces.

    Examples
    --------
    >>> import tempfile, pathlib, gzip
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("x\\ty\\n" * 100)
    >>> f = gzip_to_size(d / "a.txt", d / "a.txt.gz", size=500)
    >>> f.stat().st_size, gzip.open(f).read() == (d / "a.txt").read_bytes()
    (500, True)
    """
    data = Path(source).read_bytes()
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = packer.compress(data) + packer.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    # magic, deflate, FCOMMENT flag, no mtime, no extra flags, OS unknown
    header = b"\x1f\x8b\x08\x10" + b"\x00" * 4 + b"\x00\xff"
    pad = 1 if size is None else size - len(header) - len(deflated) - len(trailer)
    if pad < 1:
        raise ValueError(f"{source} gzips to more than {size} bytes")
    target = Path(target)
    target.write_bytes(header + b" " * (pad - 1) + b"\x00" + deflated + trailer)
    return target


# row i is commodity i // per, reporter i % n_rep, partner i // n_rep % n_par, flow by the rest;
# h(k) are deterministic pseudo-random numbers per row (not random(): threads would reorder it)
_SQL = """
COPY (
WITH base AS (
  SELECT i, i // {per} AS c,
         {reporters}[CAST(i % {n_rep} AS BIGINT) + 1] AS reporterCode,
         {partners}[CAST(i // {n_rep} % {n_par} AS BIGINT) + 1] AS partner,
         CASE WHEN i // ({n_rep} * {n_par}) % 2 = 0 THEN 'M' ELSE 'X' END AS flowCode,
         hash(i, {seed}, 4) AS h4, hash(i, {seed}, 5) AS h5
  FROM range({rows}) t(i)
), coded AS (
  SELECT *,
    CASE c {slots}
      WHEN 1 THEN 'TOTAL'
      ELSE CASE WHEN c % 10 = 3 THEN lpad(CAST(c AS VARCHAR), 4, '0')
                ELSE '0' || lpad(CAST(c AS VARCHAR), 5, '0') END
    END AS cmdCode
  FROM base
)
SELECT
  CAST({year} AS VARCHAR) || '52' || CAST(reporterCode AS VARCHAR) AS datasetCode,
  'C' AS typeCode, 'A' AS freqCode, {year} * 10000 + 101 AS refPeriodId, {year} AS refYear,
  52 AS refMonth, CAST({year} AS VARCHAR) AS period, reporterCode, flowCode,
  CASE WHEN partner = reporterCode THEN 838 ELSE partner END AS partnerCode,  -- 838 free zones
  0 AS partner2Code, 'H6' AS classificationCode, 'HS' AS classificationSearchCode,
  true AS isOriginalClassification, cmdCode,
  'C00' AS customsCode, '0' AS mosCode, 0 AS motCode, 8 AS qtyUnitCode,
  CAST(h4 % 100000000 AS DOUBLE) / 100 AS qty, false AS isQtyEstimated,
  -1 AS altQtyUnitCode, NULL::DOUBLE AS altQty, false AS isAltQtyEstimated,
  CASE WHEN h5 % 20 = 0 THEN NULL ELSE CAST(h4 % 100000000 AS DOUBLE) / 100 END AS netWgt,
  h5 % 50 = 1 AS isNetWgtEstimated, NULL::DOUBLE AS grossWgt, false AS isGrossWgtEstimated,
  CASE WHEN flowCode = 'M' THEN CAST(h5 % 1000000000 AS DOUBLE) / 100 END AS cifvalue,
  CASE WHEN flowCode = 'X' THEN CAST(h5 % 1000000000 AS DOUBLE) / 100 END AS fobvalue,
  CAST(h5 % 1000000000 AS DOUBLE) / 100 AS primaryValue,
  CASE WHEN h5 % 50 = 1 THEN 4 ELSE 0 END AS legacyEstimationFlag,
  true AS isReported, cmdCode = 'TOTAL' AS isAggregate
FROM coded
) TO '{target}' (FORMAT csv, DELIMITER '\t', HEADER true)
"""


def synthetic_comtrade_download(
    path: str | Path,
    *,
    rows: int,
    seed: int = 0,
    last_year: int = 2024,
) -> Path:
    """Write a made-up Comtrade v1 CSV download: annual rare-earth trade of 16 reporters.

    The layout is the v1 CSV ``retrade import`` reads (the 47 data items in API
    order, comma-separated, quoted where a description holds a comma, flags as
    ``true``/``false``), the shape a keyed "all partners, every rare-earth line"
    download has. Rows run year by year (ending at ``last_year``), reporter,
    flow, the 8 catalog lines (broad ones included), then partner: each
    reporter-flow-line-year has its World row (partner 0, the sum of the
    partner rows it totals, as the API reports it) and about half of the 246
    partners. So a total over all rows counts every flow twice. Observation
    keys are unique; the file holds the last ``rows`` rows of that sequence, so
    its first year may be partly covered. Values follow from
    ``seed``; DuckDB writes the file.

    Examples
    --------
    >>> import tempfile, pathlib, csv
    >>> f = synthetic_comtrade_download(pathlib.Path(tempfile.mkdtemp()) / "c.csv", rows=50)
    >>> lines = list(csv.reader(f.open()))
    >>> len(lines), len(lines[0]), lines[0][:3], lines[1][11]
    (51, 47, ['typeCode', 'freqCode', 'refPeriodId'], '0')
    """
    import duckdb

    from retrade.catalog.comtrade_v1 import V1_FIELDS
    from retrade.catalog.countries import COMTRADE_SPECIAL, _coco_table, _m49_to_iso3
    from retrade.catalog.products import PRODUCTS

    if rows < 1:
        raise ValueError(f"rows must be >= 1, got {rows}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = dict(zip(_coco_table()["ISO3"], _coco_table()["name_short"], strict=False))
    partners = [(0, "W00", "World")] + [
        (code, iso, str(names.get(iso, iso))) for code, iso in sorted(_m49_to_iso3().items())
    ] + [(c, COMTRADE_SPECIAL[c][0], COMTRADE_SPECIAL[c][1]) for c in (490, 899)]
    products = [(p.hs6, p.stage, p.description) for p in PRODUCTS]
    comtrade_iso = {**{c: iso for c, iso, _ in partners}, 842: "USA", 251: "FRA", 699: "IND"}
    reporters = [(c, comtrade_iso[c], str(names.get(comtrade_iso[c]))) for c in _REPORTERS]
    per_year = 2 * len(reporters) * len(products) * len(partners)
    years = -(-2 * rows // per_year) + 1  # about half the partners are kept
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        for name, table in (("p", partners), ("r", reporters), ("k", products)):
            con.execute(f"CREATE TEMP TABLE {name} (i INTEGER, code VARCHAR, a VARCHAR, b VARCHAR)")
            con.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?)",
                            [(i, str(t[0]), t[1], t[2]) for i, t in enumerate(table)])
        con.execute(_DOWNLOAD_SQL.format(
            rows=int(rows), seed=int(seed), first=int(last_year) - years + 1, years=years,
            n_par=len(partners), n_rep=len(reporters), n_cmd=len(products),
            columns=", ".join(V1_FIELDS), target=str(path).replace("'", "''")))
    finally:
        con.close()
    return path


# combination i: year (outer), reporter, flow, line, partner (inner); partner 0 is World,
# the others are kept when a hash of (i, seed) says so; World is the sum of its group
_DOWNLOAD_SQL = """
COPY (
WITH grid AS (
  SELECT i, i % {n_par} AS pi, i // {n_par} % {n_cmd} AS ki,
         i // ({n_par} * {n_cmd}) % 2 AS fi, i // ({n_par} * {n_cmd} * 2) % {n_rep} AS ri,
         {first} + i // ({n_par} * {n_cmd} * 2 * {n_rep}) AS year,
         i // {n_par} AS g, hash(i, {seed}, 1) AS h1, hash(i, {seed}, 2) AS h2
  FROM range({years} * {n_par} * {n_cmd} * 2 * {n_rep}) t(i)
), kept AS (
  SELECT grid.*, p.code AS partner, p.a AS partner_iso, p.b AS partner_desc,
         r.code AS reporter, r.a AS reporter_iso, r.b AS reporter_desc,
         k.code AS cmd, k.b AS cmd_desc
  FROM grid JOIN p ON p.i = grid.pi JOIN r ON r.i = grid.ri JOIN k ON k.i = grid.ki
  WHERE pi = 0 OR (h1 % 2 = 0 AND p.a <> r.a)
), valued AS (
  SELECT *, CASE WHEN pi = 0 THEN NULL ELSE CAST(h2 % 2000000000 AS DOUBLE) / 100 END AS v,
         CASE WHEN pi = 0 OR h1 % 40 = 3 THEN NULL ELSE CAST(h1 % 500000000 AS DOUBLE) / 100 END
           AS w
  FROM kept
), totals AS (
  SELECT *, round(sum(v) OVER (PARTITION BY g), 2) AS v_all,
         round(sum(w) OVER (PARTITION BY g), 2) AS w_all
  FROM valued
), rows AS (
  SELECT t.*, coalesce(v, v_all) AS value, coalesce(w, CASE WHEN pi = 0 THEN w_all END) AS wgt,
         CASE WHEN fi = 0 THEN 'M' ELSE 'X' END AS flow,
         CASE WHEN year >= 2022 THEN 'H6' WHEN year >= 2017 THEN 'H5' WHEN year >= 2012 THEN 'H4'
              WHEN year >= 2007 THEN 'H3' WHEN year >= 2002 THEN 'H2' WHEN year >= 1996 THEN 'H1'
              ELSE 'H0' END AS classification
  FROM totals t
  ORDER BY year DESC, t.i
  LIMIT {rows}
)
SELECT {columns} FROM (
SELECT 'C' AS typeCode, 'A' AS freqCode, year * 10000 + 101 AS refPeriodId, year AS refYear,
  52 AS refMonth, CAST(year AS VARCHAR) AS period,
  CAST(reporter AS INTEGER) AS reporterCode, reporter_iso AS reporterISO,
  reporter_desc AS reporterDesc, flow AS flowCode,
  CASE WHEN flow = 'M' THEN 'Import' ELSE 'Export' END AS flowDesc,
  CAST(partner AS INTEGER) AS partnerCode, partner_iso AS partnerISO,
  partner_desc AS partnerDesc, 0 AS partner2Code, 'W00' AS partner2ISO, 'World' AS partner2Desc,
  classification AS classificationCode, 'HS' AS classificationSearchCode,
  true AS isOriginalClassification, cmd AS cmdCode, cmd_desc AS cmdDesc, 6 AS aggrLevel,
  true AS isLeaf, 'C00' AS customsCode, 'TOTAL CPC' AS customsDesc, '0' AS mosCode,
  0 AS motCode, 'TOTAL MOT' AS motDesc, 8 AS qtyUnitCode, 'kg' AS qtyUnitAbbr, wgt AS qty,
  false AS isQtyEstimated, -1 AS altQtyUnitCode, 'N/A' AS altQtyUnitAbbr, NULL::DOUBLE AS altQty,
  false AS isAltQtyEstimated, wgt AS netWgt, wgt IS NULL AS isNetWgtEstimated,
  NULL::DOUBLE AS grossWgt, false AS isGrossWgtEstimated,
  CASE WHEN flow = 'M' THEN value END AS cifvalue, CASE WHEN flow = 'X' THEN value END AS fobvalue,
  value AS primaryValue, 0 AS legacyEstimationFlag, true AS isReported,
  false AS isAggregate
FROM rows ORDER BY i)
) TO '{target}' (FORMAT csv, HEADER true)
"""
