"""The panel's column contract: the one place its column names and types are defined.

Every source adapter produces rows in this shape, every model reads it. One row
is one observed flow: a reporter's record of trade with a partner, in one HS6
line, one period and one direction, from one source.

Columns
-------
source            where the row came from (``comtrade_api``, ``comtrade_csv``, ``wits``,
                  ``census``, ``china_customs``, ``monthly_table``, ``comext`` ...)
frequency         ``A`` (annual) or ``M`` (monthly)
period            ``YYYY`` or ``YYYY-MM``
year, month       integers (``month`` is missing for annual rows)
reporter          retrade country code (ISO3 or reserved, see :mod:`retrade.catalog.countries`)
reporter_original the reporter's code or name as the source gave it
partner           retrade country code; ``WLD`` for totals over all partners
partner_original  the partner's code or name as the source gave it
flow              ``import``, ``export``, ``re-import``, ``re-export``
hs6               six-digit HS code
hs_original       the source's code (HS6, China HS8, US HTS10)
hs_vintage        HS edition (``H0``..``H6``) where the source states it, else missing
stage             value-chain stage of ``hs6`` (``ores``, ``compounds``, ``metals``, ``magnets``)
value_usd         primary trade value in US dollars (imports CIF, exports FOB unless stated)
value_cif_usd     CIF value where given
value_fob_usd     FOB value where given
net_weight_kg     net weight in kilograms
quantity          quantity in the source's supplementary unit
quantity_unit     the unit of ``quantity`` (``kg``, ``u``, ...)
value_estimated   the value is an estimate (Comtrade flags; mirror fills)
weight_estimated  the weight is an estimate
batch             the manifest entry (or file hash) the row came from, for provenance
"""

from __future__ import annotations

import functools

import pandas as pd

from retrade import choices
from retrade.catalog.products import HS_VINTAGES, STAGES

SOURCE = "source"
FREQUENCY = "frequency"
PERIOD = "period"
YEAR = "year"
MONTH = "month"
REPORTER = "reporter"
REPORTER_ORIGINAL = "reporter_original"
PARTNER = "partner"
PARTNER_ORIGINAL = "partner_original"
FLOW = "flow"
HS6 = "hs6"
HS_ORIGINAL = "hs_original"
HS_VINTAGE = "hs_vintage"
STAGE = "stage"
VALUE_USD = "value_usd"
VALUE_CIF_USD = "value_cif_usd"
VALUE_FOB_USD = "value_fob_usd"
NET_WEIGHT_KG = "net_weight_kg"
QUANTITY = "quantity"
QUANTITY_UNIT = "quantity_unit"
VALUE_ESTIMATED = "value_estimated"
WEIGHT_ESTIMATED = "weight_estimated"
BATCH = "batch"

FLOWS = choices.values(choices.Flow)
FREQUENCIES = choices.values(choices.Frequency)

# column -> pandas dtype, in panel order
DTYPES: dict[str, str] = {
    SOURCE: "string",
    FREQUENCY: "string",
    PERIOD: "string",
    YEAR: "Int64",
    MONTH: "Int64",
    REPORTER: "string",
    REPORTER_ORIGINAL: "string",
    PARTNER: "string",
    PARTNER_ORIGINAL: "string",
    FLOW: "string",
    HS6: "string",
    HS_ORIGINAL: "string",
    HS_VINTAGE: "string",
    STAGE: "string",
    VALUE_USD: "Float64",
    VALUE_CIF_USD: "Float64",
    VALUE_FOB_USD: "Float64",
    NET_WEIGHT_KG: "Float64",
    QUANTITY: "Float64",
    QUANTITY_UNIT: "string",
    VALUE_ESTIMATED: "boolean",
    WEIGHT_ESTIMATED: "boolean",
    BATCH: "string",
}
COLUMNS: tuple[str, ...] = tuple(DTYPES)

# what identifies one observation within a source
KEY: tuple[str, ...] = (SOURCE, FREQUENCY, PERIOD, REPORTER, PARTNER, FLOW, HS_ORIGINAL)


def empty_panel() -> pd.DataFrame:
    """A panel with no rows and every column typed."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in DTYPES.items()})


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Add missing optional columns, order and type them (a copy; the input is not mutated).

    Raises :class:`~retrade.errors.ColumnsMissing` (a ``SchemaError`` and a ``KeyError``)
    naming any required column that is absent.
    """
    required = (SOURCE, FREQUENCY, PERIOD, YEAR, REPORTER, PARTNER, FLOW, HS6)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        from retrade.errors import ColumnsMissing

        raise ColumnsMissing(f"panel rows lack required columns {missing}")
    out = frame.copy()
    for column, dtype in DTYPES.items():
        if column not in out.columns:
            out[column] = pd.Series(pd.NA, index=out.index, dtype=dtype)
        else:
            out[column] = out[column].astype(dtype)
    return out[list(COLUMNS)]


@functools.lru_cache(maxsize=1)
def panel_schema():
    """The pandera schema every stored panel satisfies."""
    import pandera.pandas as pa

    nonneg = pa.Check.in_range(0, float("inf"), include_max=False)  # >= 0 and finite
    return pa.DataFrameSchema(
        {
            SOURCE: pa.Column("string", nullable=False),
            FREQUENCY: pa.Column("string", pa.Check.isin(FREQUENCIES)),
            PERIOD: pa.Column("string", pa.Check.str_matches(r"^\d{4}(-(0[1-9]|1[0-2]))?$")),
            YEAR: pa.Column("Int64", pa.Check.in_range(1962, 2100)),
            MONTH: pa.Column("Int64", pa.Check.in_range(1, 12), nullable=True),
            REPORTER: pa.Column("string", pa.Check.str_matches(r"^[A-Z][A-Z0-9]{2}$")),
            REPORTER_ORIGINAL: pa.Column("string", nullable=True),
            PARTNER: pa.Column("string", pa.Check.str_matches(r"^[A-Z][A-Z0-9]{2}$")),
            PARTNER_ORIGINAL: pa.Column("string", nullable=True),
            FLOW: pa.Column("string", pa.Check.isin(FLOWS)),
            HS6: pa.Column("string", pa.Check.str_matches(r"^\d{6}$")),
            HS_ORIGINAL: pa.Column("string", pa.Check.str_matches(r"^\d{6,10}$"), nullable=True),
            HS_VINTAGE: pa.Column("string", pa.Check.isin(tuple(HS_VINTAGES)), nullable=True),
            STAGE: pa.Column("string", pa.Check.isin(STAGES)),
            VALUE_USD: pa.Column("Float64", nonneg, nullable=True),
            VALUE_CIF_USD: pa.Column("Float64", nonneg, nullable=True),
            VALUE_FOB_USD: pa.Column("Float64", nonneg, nullable=True),
            NET_WEIGHT_KG: pa.Column("Float64", nonneg, nullable=True),
            QUANTITY: pa.Column("Float64", nonneg, nullable=True),
            QUANTITY_UNIT: pa.Column("string", nullable=True),
            VALUE_ESTIMATED: pa.Column("boolean", nullable=True),
            WEIGHT_ESTIMATED: pa.Column("boolean", nullable=True),
            BATCH: pa.Column("string", nullable=True),
        },
        checks=[
            pa.Check(
                lambda df: (df[FREQUENCY] == "A") == df[MONTH].isna(),
                error="annual rows have no month and monthly rows have one",
            ),
        ],
        unique=list(KEY),
        strict=True,
        ordered=True,
        coerce=False,
    )


def validate_panel(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate ``frame`` against the panel schema; raise :class:`SchemaError` listing failures."""
    import pandera.errors

    from retrade.errors import SchemaError

    try:
        return panel_schema().validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        summary = cases[["column", "check", "failure_case"]].drop_duplicates().head(15)
        raise SchemaError(
            f"panel failed validation in {len(cases)} place(s):\n{summary.to_string(index=False)}"
        ) from None
