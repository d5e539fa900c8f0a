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
