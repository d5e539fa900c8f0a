"""The UN Comtrade v1 record: its field names, JSON types and observation key.

Raw Comtrade rows are kept exactly as the v1 API answers them (the same shape
whether they came from the data API, the public preview or a CSV download), so
this table is shared by the fetcher, the file importer and the panel adapter.
Field names and meanings follow the API's own dictionary
(``files/v1/app/reference/TradeDataItems.json``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from retrade.errors import ResponseError

# field -> Arrow type of its JSON value; fields the API adds later keep their inferred type
V1_FIELDS: dict[str, pa.DataType] = {
    "typeCode": pa.string(), "freqCode": pa.string(), "refPeriodId": pa.int64(),
    "refYear": pa.int64(), "refMonth": pa.int64(), "period": pa.string(),
    "reporterCode": pa.int64(), "reporterISO": pa.string(), "reporterDesc": pa.string(),
    "flowCode": pa.string(), "flowDesc": pa.string(),
    "partnerCode": pa.int64(), "partnerISO": pa.string(), "partnerDesc": pa.string(),
    "partner2Code": pa.int64(), "partner2ISO": pa.string(), "partner2Desc": pa.string(),
    "classificationCode": pa.string(), "classificationSearchCode": pa.string(),
    "isOriginalClassification": pa.bool_(), "cmdCode": pa.string(), "cmdDesc": pa.string(),
    "aggrLevel": pa.int64(), "isLeaf": pa.bool_(), "customsCode": pa.string(),
    "customsDesc": pa.string(), "mosCode": pa.string(), "motCode": pa.int64(),
    "motDesc": pa.string(), "qtyUnitCode": pa.int64(), "qtyUnitAbbr": pa.string(),
    "qty": pa.float64(), "isQtyEstimated": pa.bool_(), "altQtyUnitCode": pa.int64(),
    "altQtyUnitAbbr": pa.string(), "altQty": pa.float64(), "isAltQtyEstimated": pa.bool_(),
    "netWgt": pa.float64(), "isNetWgtEstimated": pa.bool_(), "grossWgt": pa.float64(),
    "isGrossWgtEstimated": pa.bool_(), "cifvalue": pa.float64(), "fobvalue": pa.float64(),
    "primaryValue": pa.float64(), "legacyEstimationFlag": pa.int64(),
    "isReported": pa.bool_(), "isAggregate": pa.bool_(),
}

# what identifies one observation (one row of one dataset release)
V1_KEY: tuple[str, ...] = (
    "typeCode", "freqCode", "period", "reporterCode", "flowCode", "partnerCode",
    "partner2Code", "classificationCode", "cmdCode", "customsCode", "motCode", "mosCode",
)

# fields every row must carry, non-null
V1_REQUIRED: tuple[str, ...] = (
    "typeCode", "freqCode", "period", "reporterCode", "flowCode", "partnerCode", "cmdCode",
    "classificationCode",
)

_COMPATIBLE = {
    # declared type -> inferred types accepted (and cast to the declared one)
    pa.float64(): (pa.float64(), pa.int64(), pa.null()),
    pa.int64(): (pa.int64(), pa.null()),
    pa.bool_(): (pa.bool_(), pa.null()),
    pa.string(): (pa.string(), pa.null()),
}


def v1_table(rows: Sequence[Mapping[str, Any]], *, where: str = "answer") -> pa.Table:
    """Validate v1 rows and return them as an Arrow table with their JSON types.

    Columns are the fields the rows carry, in the order of the first row. A
    value of the wrong JSON type (a string code, a float year, a number in a
    flag) or a missing required field raises :class:`ResponseError` naming
    the field and ``where`` (for example the redacted URL).

    Examples
    --------
    >>> t = v1_table([{"typeCode": "C", "freqCode": "A", "period": "2020", "reporterCode": 156,
    ...                "flowCode": "X", "partnerCode": 0, "cmdCode": "284690",
    ...                "classificationCode": "H5", "primaryValue": 12}])
    >>> t.schema.field("primaryValue").type
    DataType(double)
    """
    if not rows:
        return pa.table({})
    names = list(dict.fromkeys(name for row in rows for name in row))
    missing = [f for f in V1_REQUIRED if f not in names]
    if missing:
        raise ResponseError(f"{where}: rows lack the v1 fields {missing}")
    columns = {name: _column(name, [row.get(name) for row in rows], where) for name in names}
    return pa.table(columns)


def _column(name: str, values: list[Any], where: str) -> pa.Array:
    try:
        inferred = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ResponseError(f"{where}: field {name!r} mixes JSON types ({exc})") from None
    declared = V1_FIELDS.get(name)
    if declared is None:
        return inferred
    if inferred.type not in _COMPATIBLE[declared]:
        bad = next(v for v in values if v is not None)
        raise ResponseError(
            f"{where}: field {name!r} should hold {declared} values, got {bad!r} "
            f"({type(bad).__name__})"
        )
    if name in V1_REQUIRED and inferred.null_count:
        raise ResponseError(f"{where}: {inferred.null_count} row(s) have no {name!r}")
    return inferred.cast(declared)
