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
import re

import numpy as np
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
# the dtype objects ("string" is text in Python objects: not the same as pyarrow-backed text;
# a dtype's name is looked up in pandas' registry at each use, an object is not)
PANDAS_DTYPES = {column: pd.api.types.pandas_dtype(dtype) for column, dtype in DTYPES.items()}
_COLUMN_LIST, _DTYPE_LIST = list(PANDAS_DTYPES), list(PANDAS_DTYPES.values())

# what identifies one observation within a source
KEY: tuple[str, ...] = (SOURCE, FREQUENCY, PERIOD, REPORTER, PARTNER, FLOW, HS_ORIGINAL)


def empty_panel() -> pd.DataFrame:
    """A panel with no rows and every column typed."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in DTYPES.items()})


def conform(frame: pd.DataFrame, *, copy: bool = True) -> pd.DataFrame:
    """Add missing optional columns, order and type them (a copy; the input is not mutated).

    Raises :class:`~retrade.errors.ColumnsMissing` (a ``SchemaError`` and a ``KeyError``)
    naming any required column that is absent. ``copy=False`` is for a frame
    the caller drops at once (the build's adapter output): columns of the
    right type are shared with it, not copied, and a frame that conforms
    already (columns in panel order, each of its type) is returned itself.
    """
    if not copy and list(frame.columns) == _COLUMN_LIST and \
            frame.dtypes.tolist() == _DTYPE_LIST:
        return frame
    required = (SOURCE, FREQUENCY, PERIOD, YEAR, REPORTER, PARTNER, FLOW, HS6)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        from retrade.errors import ColumnsMissing

        raise ColumnsMissing(f"panel rows lack required columns {missing}")
    columns = {}
    for column, dtype in DTYPES.items():
        if column not in frame.columns:
            columns[column] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
        elif frame[column].dtype != PANDAS_DTYPES[column]:
            columns[column] = frame[column].astype(dtype)
        else:
            columns[column] = frame[column]
    return pd.DataFrame(columns, index=frame.index, copy=copy)  # one copy, in panel order


# what each column must satisfy: a set of values, a pattern (``re.match``, as pandas'
# ``str.match``), or a range (low, high, whether high is allowed); and which may be missing.
# One definition: the pandera schema and the whole-column check both read it.
COUNTRY_CODE = r"^[A-Z][A-Z0-9]{2}$"
RULES: dict[str, tuple] = {
    FREQUENCY: ("isin", FREQUENCIES),
    PERIOD: ("matches", r"^\d{4}(-(0[1-9]|1[0-2]))?$"),
    YEAR: ("range", 1962, 2100, True),
    MONTH: ("range", 1, 12, True),
    REPORTER: ("matches", COUNTRY_CODE),
    PARTNER: ("matches", COUNTRY_CODE),
    FLOW: ("isin", FLOWS),
    HS6: ("matches", r"^\d{6}$"),
    HS_ORIGINAL: ("matches", r"^\d{6,10}$"),
    HS_VINTAGE: ("isin", tuple(HS_VINTAGES)),
    STAGE: ("isin", STAGES),
    **{c: ("range", 0, float("inf"), False)  # >= 0 and finite
       for c in (VALUE_USD, VALUE_CIF_USD, VALUE_FOB_USD, NET_WEIGHT_KG, QUANTITY)},
}
NULLABLE: frozenset[str] = frozenset({
    MONTH, REPORTER_ORIGINAL, PARTNER_ORIGINAL, HS_ORIGINAL, HS_VINTAGE, VALUE_USD,
    VALUE_CIF_USD, VALUE_FOB_USD, NET_WEIGHT_KG, QUANTITY, QUANTITY_UNIT, VALUE_ESTIMATED,
    WEIGHT_ESTIMATED, BATCH,
})


@functools.lru_cache(maxsize=1)
def panel_schema():
    """The pandera schema every stored panel satisfies (built from :data:`RULES`)."""
    import pandera.pandas as pa

    def check(rule: tuple):
        if rule[0] == "isin":
            return [pa.Check.isin(rule[1])]
        if rule[0] == "matches":
            return [pa.Check.str_matches(rule[1])]
        return [pa.Check.in_range(rule[1], rule[2], include_max=rule[3])]

    return pa.DataFrameSchema(
        {column: pa.Column(dtype, check(RULES[column]) if column in RULES else None,
                           nullable=column in NULLABLE)
         for column, dtype in DTYPES.items()},
        checks=[
            pa.Check(month_matches_frequency,
                     error="annual rows have no month and monthly rows have one"),
        ],
        unique=list(KEY),
        strict=True,
        ordered=True,
        coerce=False,
    )


def month_matches_frequency(frame: pd.DataFrame) -> pd.Series:
    """Whether each row's month agrees with its frequency (annual: none; monthly: one)."""
    return (frame[FREQUENCY] == "A") == frame[MONTH].isna()


def validate_panel(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate ``frame`` against the panel schema; raise :class:`SchemaError` listing failures.

    The checks run on whole columns, each row once (:func:`passes_schema`): a
    text column is factorized once and its patterns and allowed values are
    checked on its distinct values. Only a frame that fails goes through
    pandera (:func:`panel_schema`), which lists every failure for the message.

    Examples
    --------
    >>> rows = conform(pd.DataFrame({"source": ["wits"], "frequency": "A", "period": "2020",
    ...     "year": 2020, "reporter": "CHN", "partner": "JPN", "flow": "exports",
    ...     "hs6": "280530", "stage": "metals"}))
    >>> validate_panel(rows)
    Traceback (most recent call last):
    ...
    retrade.errors.SchemaError: panel failed validation in 1 place(s):
    ...flow isin(('import', 'export', 're-import', 're-export'))      exports
    >>> len(validate_panel(rows.assign(flow="export")))
    1
    """
    if passes_schema(frame):
        return frame
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


def sort_and_validate(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by :data:`KEY` (stable, missing last) and validated (see validate_panel).

    Each key column is factorized once, in sorted order: its codes order the
    rows and serve the validation's checks of that column.

    Examples
    --------
    >>> rows = conform(pd.DataFrame({"source": "wits", "frequency": "A",
    ...     "period": ["2021", "2020"], "year": [2021, 2020], "reporter": "CHN",
    ...     "partner": "JPN", "flow": "export", "hs6": "280530", "stage": "metals"}))
    >>> sort_and_validate(rows)["period"].tolist()
    ['2020', '2021']
    """
    return sorted_and_validated(frame)[0]


def sorted_and_validated(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict | None]:
    """:func:`sort_and_validate`, and the key columns' sorted codes when it computed them.

    The codes are ``{column: (codes, uniques)}`` of each :data:`KEY` column of the
    sorted rows, as ``pd.factorize(column, sort=True)`` gives them (missing: -1):
    the panel build reuses them instead of factorizing the same text again.
    ``None`` when the rows went through pandera.

    Examples
    --------
    >>> rows = conform(pd.DataFrame({"source": "wits", "frequency": "A",
    ...     "period": ["2021", "2020"], "year": [2021, 2020], "reporter": "CHN",
    ...     "partner": "JPN", "flow": "export", "hs6": "280530", "stage": "metals"}))
    >>> ordered, codes = sorted_and_validated(rows)
    >>> codes["period"][0].tolist(), list(codes["period"][1])
    ([0, 1], ['2020', '2021'])
    """
    from retrade.panel.distinct import renumbered, sort_by

    text = set(KEY) <= set(frame.columns) and all(
        isinstance(frame[c].dtype, pd.StringDtype) for c in KEY)
    if not text:  # not a panel's key: pandera says what is wrong (or it passes), then sort
        return sort_by(validate_panel(frame), KEY), None
    factorized = {c: pd.factorize(frame[c], sort=True, use_na_sentinel=True) for c in KEY}
    keys = [np.where(codes < 0, len(uniques), codes)  # lexsort: the last key is the primary one
            for codes, uniques in (factorized[c] for c in reversed(KEY))]
    order = np.lexsort(keys) if len(frame) else np.arange(0)
    ordered = renumbered(frame.take(order))
    factorized = {c: (codes[order], uniques) for c, (codes, uniques) in factorized.items()}
    if passes_schema(ordered, _factorized=factorized):
        return ordered, factorized
    return validate_panel(ordered), None


def passes_schema(frame: pd.DataFrame, *, _factorized: dict | None = None) -> bool:
    """Whether ``frame`` satisfies the panel schema, checked on whole columns.

    Reads :data:`RULES`, :data:`NULLABLE` and :data:`DTYPES`, as
    :func:`panel_schema` does. It never passes a frame pandera would refuse;
    it is stricter on types (each column must have exactly its panel type, as
    :func:`conform` gives it), and a frame it refuses goes to pandera for the
    verdict and the list of failures.

    Examples
    --------
    >>> passes_schema(empty_panel()), passes_schema(empty_panel().drop(columns=BATCH))
    (True, False)
    """
    if list(frame.columns) != list(COLUMNS):  # strict and ordered
        return False
    codes = {}
    for name in COLUMNS:
        series = frame[name]
        if series.dtype != PANDAS_DTYPES[name]:
            return False
        if name in NULLABLE and name not in RULES and name not in KEY:
            continue  # the type is all there is to check
        ok, codes[name] = _column_passes(series, name in NULLABLE, RULES.get(name),
                                         (_factorized or {}).get(name))
        if not ok:
            return False
    if not bool(month_matches_frequency(frame).fillna(False).all()):
        return False
    return _unique_rows([codes.get(c) for c in KEY], frame, list(KEY))


def _column_passes(series: pd.Series, nullable: bool, rule: tuple | None,
                   factorized: tuple | None = None) -> tuple[bool, object]:
    """One column against its nullability and rule; its factorized codes when text."""
    if isinstance(series.dtype, pd.StringDtype):
        codes, uniques = factorized or pd.factorize(series, use_na_sentinel=True)
        if not nullable and (codes < 0).any():
            return False, None
        return rule is None or _text_passes(rule, list(uniques)), codes
    mask = series.isna().to_numpy(dtype=bool)
    if not nullable and mask.any():
        return False, None
    if rule is None:
        return True, None
    values = series.to_numpy(dtype="float64", na_value=0.0)[~mask]
    low, high, with_high = rule[1:]
    below = values <= high if with_high else values < high
    return bool(((values >= low) & below).all()), None  # NaN (not missing) fails, as in pandera


def _text_passes(rule: tuple, uniques: list[str]) -> bool:
    if rule[0] == "isin":
        allowed = set(rule[1])
        return all(v in allowed for v in uniques)
    if rule[0] == "matches":  # re.match, as pandas' str.match: the same verdicts
        pattern = re.compile(rule[1])
        return all(pattern.match(v) is not None for v in uniques)
    return False


def _unique_rows(codes: list, frame: pd.DataFrame, key: list[str]) -> bool:
    """Whether no two rows share the key (missing values equal to each other, as pandera)."""
    if len(frame) < 2:
        return True
    combined = np.zeros(len(frame), dtype=np.int64)
    for name, column in zip(key, codes, strict=True):
        if column is None:
            column, _ = pd.factorize(frame[name], use_na_sentinel=True)
        width = int(column.max()) + 2
        if int(combined.max()) >= (np.iinfo(np.int64).max - width) // width:
            combined, _ = pd.factorize(combined)
        combined = combined * width + (column + 1)
    return len(pd.unique(combined)) == len(combined)
