"""The panel-build code that whole-column code replaced, kept as the reference for equality tests.

Copied verbatim from the code before the change (a2dfc86: regex per cell in the
pandera schema, the Comtrade adapter converting cell by cell, the quality table
rebuilding its series tables on text keys, mirror flows grouped and joined on
text), apart from imports and renamed helpers. Only
``tests/panel/test_panel_fast_paths.py`` uses them.
"""
# ruff: noqa

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from retrade.catalog import PRODUCTS, to_iso3
from retrade.catalog.countries import kind_of
from retrade.catalog.products import HS_VINTAGES, STAGES
from retrade.errors import ConfigError, DataQualityWarning, SchemaError, SpecificationError
from retrade.panel import schema as S
from retrade.panel.measures import is_aggregate_partner, unit_values
from retrade.panel.schema import (
    BATCH, FLOW, FLOWS, FREQUENCIES, FREQUENCY, HS6, HS_ORIGINAL, HS_VINTAGE, KEY, MONTH,
    NET_WEIGHT_KG, PARTNER, PARTNER_ORIGINAL, PERIOD, QUANTITY, QUANTITY_UNIT, REPORTER,
    REPORTER_ORIGINAL, SOURCE, STAGE, VALUE_CIF_USD, VALUE_ESTIMATED, VALUE_FOB_USD, VALUE_USD,
    WEIGHT_ESTIMATED, YEAR,
)

# -- schema and assemble (retrade.panel.schema, retrade.panel.build) ---------------------------

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


def assemble(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Stack validated source frames into one panel sorted by key, and validate it whole."""
    frames = [f for f in frames if not f.empty]
    panel = pd.concat(frames, ignore_index=True) if frames else S.empty_panel()
    panel = panel.sort_values(list(S.KEY), kind="stable").reset_index(drop=True)
    return validate_panel(panel)



# -- the Comtrade adapter (retrade.panel.adapters.comtrade) -----------------------------------

FLOWS_V1: dict[str, str] = {"M": "import", "X": "export", "RM": "re-import", "RX": "re-export"}
UNIT_CODES: dict[int, str] = {8: "kg"}
_TOTALS = {"motCode": 0, "customsCode": "C00", "partner2Code": 0}
_STAGE = {p.hs6: p.stage for p in PRODUCTS}

def comtrade_to_panel(raw: pd.DataFrame, *, source: str = "comtrade_api") -> pd.DataFrame:
    """Panel rows (see :mod:`retrade.panel.schema`) from raw Comtrade v1 rows.

    Parameters
    ----------
    raw : DataFrame
        Rows with the v1 field names (``reporterCode``, ``cmdCode``, ``primaryValue`` ...).
    source : str
        The panel's ``source`` value: ``"comtrade_api"`` (the default, rows of
        the ``comtrade`` raw source) or another label for the same v1 shape.

    """
    missing = [c for c in ("freqCode", "period", "reporterCode", "partnerCode", "flowCode",
                           "cmdCode") if c not in raw.columns]
    if missing:
        raise SchemaError(f"Comtrade rows lack the v1 fields {missing}")
    rows = _comtrade_kept(raw)
    if rows.empty:
        return S.empty_panel()
    return S.conform(_comtrade_columns(rows, source))


def _comtrade_kept(raw: pd.DataFrame) -> pd.DataFrame:
    """The total, HS6-catalog, four-flow rows; warn once per kind of row left out."""
    keep = pd.Series(True, index=raw.index)
    reasons = []
    for column, total in _TOTALS.items():
        if column in raw.columns:
            off = raw[column].astype(str) != str(total)
            reasons.append((off & keep, f"{column} other than {total} (breakdown rows)"))
            keep &= ~off
    flows_off = ~raw["flowCode"].isin(list(FLOWS_V1)) & keep
    reasons.append((flows_off, f"flows other than {sorted(FLOWS_V1)}"))
    keep &= ~flows_off
    cmd = raw["cmdCode"].astype(str)
    hs_off = ~cmd.isin(list(_STAGE)) & keep
    if hs_off.any():
        codes = sorted(cmd[hs_off].unique())
        reasons.append((hs_off, f"codes outside the HS6 catalog {codes[:10]} (HS4 rows such as "
                                "2846 sum several HS6 lines and are not split)"))
    keep &= ~hs_off
    for mask, why in reasons:
        if mask.any():
            warnings.warn(f"Comtrade: {int(mask.sum())} row(s) kept out of the panel: {why}",
                          DataQualityWarning, stacklevel=3)
    return raw.loc[keep]


def _comtrade_columns(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    freq = rows["freqCode"].astype(str)
    period = rows["period"].astype(str)
    monthly = freq == "M"
    out = pd.DataFrame(index=rows.index)
    out[S.SOURCE] = source
    out[S.FREQUENCY] = freq
    out[S.PERIOD] = period.where(~monthly, period.str[:4] + "-" + period.str[4:6])
    out[S.YEAR] = period.str[:4].astype(int)
    out[S.MONTH] = pd.array(period.str[4:6].where(monthly), dtype="string").astype("Int64")
    out[S.REPORTER] = to_iso3(rows["reporterCode"].tolist(), scheme="comtrade")
    out[S.REPORTER_ORIGINAL] = rows["reporterCode"].astype(str)
    out[S.PARTNER] = to_iso3(rows["partnerCode"].tolist(), scheme="comtrade")
    out[S.PARTNER_ORIGINAL] = rows["partnerCode"].astype(str)
    out[S.FLOW] = rows["flowCode"].map(FLOWS_V1)
    out[S.HS6] = rows["cmdCode"].astype(str)
    out[S.HS_ORIGINAL] = out[S.HS6]
    out[S.STAGE] = out[S.HS6].map(_STAGE)
    vintage = _get(rows, "classificationCode").astype("string")
    out[S.HS_VINTAGE] = vintage.where(vintage.isin(list(HS_VINTAGES)))
    out[S.VALUE_USD] = _get(rows, "primaryValue")
    out[S.VALUE_CIF_USD] = _get(rows, "cifvalue")
    out[S.VALUE_FOB_USD] = _get(rows, "fobvalue")
    out[S.NET_WEIGHT_KG] = _get(rows, "netWgt")
    out[S.QUANTITY] = _get(rows, "qty")
    out[S.QUANTITY_UNIT] = _units(rows)
    out[S.WEIGHT_ESTIMATED] = _get(rows, "isNetWgtEstimated").astype("boolean")
    return out


def _get(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows[column] if column in rows.columns else pd.Series(pd.NA, index=rows.index)


def _units(rows: pd.DataFrame) -> pd.Series:
    abbr = _get(rows, "qtyUnitAbbr").astype("string").replace({"N/A": pd.NA, "": pd.NA})
    code = pd.to_numeric(_get(rows, "qtyUnitCode"), errors="coerce")
    by_code = code.map(lambda c: UNIT_CODES.get(int(c)) if pd.notna(c) else None)
    return abbr.fillna(by_code.astype("string"))

# -- the quality table (retrade.panel.quality) ------------------------------------------------

SERIES: tuple[str, ...] = (S.SOURCE, S.FREQUENCY, S.REPORTER, S.PARTNER, S.FLOW, S.HS6)
QUALITY_COLUMNS: tuple[str, ...] = (
    "check", "level", *SERIES, S.PERIOD, "measure", "value", "reference", "ratio", "detail",
)
CHECKS: tuple[str, ...] = ("gap", "collapse", "spike", "unit_value", "estimated", "value_no_weight")
LEVELS: tuple[str, ...] = ("partner", "reporter")

def period_ordinal(period: pd.Series) -> pd.Series:
    """Consecutive integers for periods: ``YYYY`` -> year, ``YYYY-MM`` -> ``12*year + month-1``.

    """
    text = period.astype("string")
    year = text.str.slice(0, 4).astype(int)
    month = pd.to_numeric(text.str.slice(5, 7), errors="coerce")
    return (year.where(month.isna(), year * 12 + month - 1)).astype("int64")


def _ordinal_to_period(ordinal: pd.Series, frequency: pd.Series) -> pd.Series:
    annual = ordinal.astype(str)
    monthly = (ordinal // 12).astype(str) + "-" + (ordinal % 12 + 1).astype(str).str.zfill(2)
    return annual.where(frequency == "A", monthly)


def _series_frame(panel: pd.DataFrame, level: str, measure: str | None = None) -> pd.DataFrame:
    """One row per series and period: bilateral rows, or reporter sums over country partners."""
    columns = [*SERIES, S.PERIOD] + ([measure] if measure else [])
    if level == "partner":
        frame = panel[columns]
        if measure:  # several national lines of one HS6 add up
            frame = (
                frame.groupby([*SERIES, S.PERIOD], dropna=False, observed=True)[measure]
                .sum(min_count=1)
                .reset_index()
            )
        else:
            frame = frame.drop_duplicates()
    else:
        rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
        keys = [c for c in columns if c not in (S.PARTNER, measure)]
        grouped = rows.groupby(keys, dropna=False, observed=True)
        frame = (grouped[measure].sum(min_count=1) if measure else grouped.size()).reset_index()
        frame[S.PARTNER] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame = frame.reset_index(drop=True)
    ordinal = period_ordinal(frame[S.PERIOD])
    series = frame.groupby(list(SERIES), dropna=False, observed=True).ngroup().astype("int64")
    # one integer per series and period: a neighbour's key is this key plus an offset
    return frame.assign(_ord=ordinal, _sid=series, _key=series * _SPAN + ordinal)


# room for every period ordinal (monthly ordinals stay below 12 * 2101)
_SPAN = 1 << 16


def gaps(panel: pd.DataFrame, *, levels: Sequence[str] = LEVELS) -> pd.DataFrame:
    """Periods missing inside each series (between its first and last observed period)."""
    out = []
    for level in levels:
        frame = _series_frame(panel, level)
        grouped = frame.groupby("_sid")
        span = grouped[list(SERIES)].first().join(grouped["_ord"].agg(["min", "max", "count"]))
        holed = span[span["count"] < span["max"] - span["min"] + 1]
        if holed.empty:
            continue
        expected = (
            holed.assign(
                _ord=[
                    list(range(lo, hi + 1))
                    for lo, hi in zip(holed["min"], holed["max"], strict=True)
                ]
            )
            .explode("_ord")
            .astype({"_ord": "int64"})
        )
        key = expected.index.to_numpy() * _SPAN + expected["_ord"].to_numpy()
        missing = expected[~np.isin(key, frame["_key"].to_numpy())].reset_index(drop=True)
        missing[S.PERIOD] = _ordinal_to_period(missing["_ord"], missing[S.FREQUENCY])
        unit = np.where(missing[S.FREQUENCY] == "A", "year", "month")
        detail = [f"no row for this {u} between the series' first and last period" for u in unit]
        out.append(missing.assign(check="gap", level=level, detail=detail))
    return _finish(out)


def outliers(
    panel: pd.DataFrame,
    *,
    measures: Sequence[str] = (S.NET_WEIGHT_KG, S.VALUE_USD),
    window: int = 2,
    threshold: float = 0.4,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """Periods below ``threshold`` (or above ``1/threshold``) times their neighbours' median."""
    if not 0 < threshold < 1 or window < 1:
        raise ConfigError(f"threshold must be in (0, 1) and window >= 1, got {threshold}, {window}")
    out = []
    for level in levels:
        for measure in measures:
            frame = _series_frame(panel, level, measure)
            reference, count = _neighbour_median(frame, measure, window)
            ratio = frame[measure].astype(float) / reference.where(reference > 0)
            hit = (count >= 2) & ((ratio < threshold) | (ratio > 1 / threshold))
            flagged = frame[hit].assign(
                check=np.where(ratio[hit] < threshold, "collapse", "spike"),
                level=level,
                measure=measure,
                value=frame.loc[hit, measure].astype(float),
                reference=reference[hit],
                ratio=ratio[hit],
            )
            flagged["detail"] = [
                f"{measure} {v:,.4g} is {r:.2f} x the median {m:,.4g} "
                f"of {int(n)} periods within ±{window}"
                for v, r, m, n in zip(
                    flagged["value"],
                    flagged["ratio"],
                    flagged["reference"],
                    count[hit],
                    strict=True,
                )
            ]
            out.append(flagged.drop(columns=[measure]))
    return _finish(out)


def _neighbour_median(
    frame: pd.DataFrame, measure: str, window: int
) -> tuple[pd.Series, pd.Series]:
    """Median and count of the values within ``window`` periods of each row (itself excluded)."""
    values = pd.Series(frame[measure].astype(float).to_numpy(), index=frame["_key"].to_numpy())
    offsets = [k for k in range(-window, window + 1) if k != 0]
    stack = np.vstack([values.reindex(frame["_key"] + k).to_numpy() for k in offsets])
    count = (~np.isnan(stack)).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no neighbour: the median is NaN, as meant
        median = np.nanmedian(stack, axis=0)
    return pd.Series(median, index=frame.index), pd.Series(count, index=frame.index)


def unit_value_outliers(panel: pd.DataFrame, *, factor: float = 10.0) -> pd.DataFrame:
    """Rows whose USD/kg is ``factor`` times off the median of their code, flow and period."""
    if factor <= 1:
        raise ConfigError(f"factor must be > 1, got {factor}")
    rows = panel[~is_aggregate_partner(panel[S.PARTNER])]
    uv = unit_values(rows)
    cell = [rows[c] for c in (S.SOURCE, S.FREQUENCY, S.FLOW, S.HS6, S.PERIOD)]
    reference = uv.groupby(cell, dropna=False, observed=True).transform("median")
    count = uv.groupby(cell, dropna=False, observed=True).transform("count")
    ratio = uv / reference.where(reference > 0)
    hit = (count >= 3) & ((ratio > factor) | (ratio < 1 / factor))
    flagged = rows.loc[hit, [*SERIES, S.PERIOD]].assign(
        check="unit_value",
        level="partner",
        measure="unit_value_usd_per_kg",
        value=uv[hit],
        reference=reference[hit],
        ratio=ratio[hit],
    )
    flagged["detail"] = [
        f"{v:,.4g} USD/kg is {r:.3g} x the median {m:,.4g} USD/kg of {int(n)} rows of this code"
        for v, r, m, n in zip(
            flagged["value"], flagged["ratio"], flagged["reference"], count[hit], strict=True
        )
    ]
    return _finish([flagged])


def _flag(column: pd.Series) -> pd.Series:
    return column.astype("boolean").fillna(False).astype(bool)


def flagged_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """Estimated values or weights, and positive values without a weight."""
    value = panel[S.VALUE_USD].astype(float)
    weight = panel[S.NET_WEIGHT_KG].astype(float)
    cases = [
        (
            "estimated",
            S.VALUE_USD,
            _flag(panel[S.VALUE_ESTIMATED]),
            value,
            "the source flags this value as estimated",
        ),
        (
            "estimated",
            S.NET_WEIGHT_KG,
            _flag(panel[S.WEIGHT_ESTIMATED]),
            weight,
            "the source flags this weight as estimated",
        ),
        (
            "value_no_weight",
            S.NET_WEIGHT_KG,
            (value > 0) & ~(weight > 0),
            weight,
            "a positive value with a missing or zero net weight: no unit value",
        ),
    ]
    out = [
        panel.loc[mask, [*SERIES, S.PERIOD]].assign(
            check=check, level="partner", measure=measure, value=shown[mask], detail=detail
        )
        for check, measure, mask, shown, detail in cases
    ]
    return _finish(out)


def _finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    typed = [conform_quality(f) for f in frames if not f.empty]
    return pd.concat(typed, ignore_index=True) if typed else empty_quality()


def empty_quality() -> pd.DataFrame:
    """A quality table with no rows and every column typed."""
    return conform_quality(pd.DataFrame(columns=list(QUALITY_COLUMNS)))


def conform_quality(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every quality column, in order and typed (missing columns are empty)."""
    numeric = ("value", "reference", "ratio")
    out = frame.reindex(columns=list(QUALITY_COLUMNS))
    return out.astype({c: ("Float64" if c in numeric else "string") for c in QUALITY_COLUMNS})


def quality_table(
    panel: pd.DataFrame,
    *,
    window: int = 2,
    threshold: float = 0.4,
    uv_factor: float = 10.0,
    levels: Sequence[str] = LEVELS,
) -> pd.DataFrame:
    """All checks on ``panel``, one row per problem found (see the module docstring).

    Parameters
    ----------
    panel : DataFrame
        Rows in the panel schema.
    window : int
        Periods on each side whose median a value is compared with.
    threshold : float
        A value below ``threshold`` times that median is a collapse, above
        ``1/threshold`` times a spike.
    uv_factor : float
        How many times above or below the median unit value is an outlier.
    levels : sequence of {"partner", "reporter"}
        Bilateral series, reporter totals, or both.

    """
    bad = [level for level in levels if level not in LEVELS]
    if bad:
        raise ConfigError(f"levels must be among {LEVELS}, got {bad}")
    parts = [
        gaps(panel, levels=levels),
        outliers(panel, window=window, threshold=threshold, levels=levels),
        unit_value_outliers(panel, factor=uv_factor),
        flagged_rows(panel),
    ]
    out = _finish(parts)
    order = pd.Categorical(out["check"], categories=list(CHECKS), ordered=True)
    return (
        out.assign(_c=order)
        .sort_values(["_c", *SERIES, S.PERIOD], na_position="first")
        .drop(columns="_c")
        .reset_index(drop=True)
    )

# -- mirror flows (retrade.panel.mirror) -------------------------------------------------------

CIF_FOB_FACTOR = 1.06
HONG_KONG = "HKG"
PAIR: tuple[str, ...] = (S.FREQUENCY, S.PERIOD, S.HS6, "exporter", "importer")
MIRROR_COLUMNS: tuple[str, ...] = (
    *PAIR[:3], S.STAGE, *PAIR[3:], "export_source", "import_source", "export_value_fob",
    "import_value_cif", "export_weight_kg", "import_weight_kg", "cif_fob_ratio",
    "discrepancy_usd", "discrepancy_rel", "weight_discrepancy_kg", "weight_discrepancy_rel",
    "sides", "reexport_value_usd", "trusted_side", "trusted_value_fob_usd", "trusted_weight_kg",
    "trust_reason", "note",
)

def _positive_or(preferred: pd.Series, fallback: pd.Series) -> pd.Series:
    """``preferred`` where positive, else ``fallback`` (a 0 CIF on an export is 'not given')."""
    preferred = preferred.astype(float)
    return preferred.where(preferred > 0, fallback.astype(float))


def _side(panel: pd.DataFrame, flow: str, value: pd.Series, own: str, other: str) -> pd.DataFrame:
    """One row per pair for one flow: values summed over national lines, one source only."""
    estimated = panel[S.VALUE_ESTIMATED].astype("boolean").fillna(False).astype(bool)
    rows = panel.assign(_value=value, _est=estimated)
    kinds = {code: kind_of(code) for code in rows[S.PARTNER].dropna().unique()}
    rows = rows[(rows[S.FLOW] == flow) & rows[S.PARTNER].map(kinds).eq("country")]
    rows = rows.rename(columns={S.REPORTER: own, S.PARTNER: other})
    rows = rows.assign(_weight=rows[S.NET_WEIGHT_KG].astype(float))
    grouped = rows.groupby([*PAIR, S.STAGE, S.SOURCE], dropna=False, observed=True)
    out = grouped[["_value", "_weight"]].sum(min_count=1).join(grouped["_est"].any()).reset_index()
    doubled = out[out.duplicated(list(PAIR), keep=False)]
    if not doubled.empty:
        first = doubled.iloc[0]
        raise SpecificationError(
            f"{len(doubled)} {flow} flows are reported by several sources (e.g. {first[own]} "
            f"-> {first[other]}, {first[S.HS6]} {first[S.PERIOD]}: "
            f"{sorted(doubled.loc[doubled[own] == first[own], S.SOURCE].unique())}); "
            "choose one per flow with retrade.panel.sources.select_sources(panel) first"
        )
    return out


def pair_flows(panel: pd.DataFrame) -> pd.DataFrame:
    """Exporters' export rows beside importers' import rows (outer join), before any rule."""
    missing = [
        c
        for c in (
            S.SOURCE,
            *PAIR[:3],
            S.REPORTER,
            S.PARTNER,
            S.FLOW,
            S.STAGE,
            S.VALUE_USD,
            S.NET_WEIGHT_KG,
        )
        if c not in panel.columns
    ]
    if missing:
        raise SpecificationError(f"the panel lacks columns {missing}")
    panel = S.conform(panel) if set(S.COLUMNS) - set(panel.columns) else panel
    fob = _positive_or(panel[S.VALUE_FOB_USD], panel[S.VALUE_USD])
    cif = _positive_or(panel[S.VALUE_CIF_USD], panel[S.VALUE_USD])
    exports = _side(panel, "export", fob, "exporter", "importer")
    imports = _side(panel, "import", cif, "importer", "exporter")
    reexports = _side(panel, "re-export", panel[S.VALUE_USD], "exporter", "importer")
    pairs = exports.merge(imports, on=[*PAIR, S.STAGE], how="outer", suffixes=("_x", "_m"))
    pairs = pairs.merge(
        reexports[[*PAIR, "_value"]].rename(columns={"_value": "reexport_value_usd"}),
        on=list(PAIR),
        how="left",
    )
    return pairs.rename(
        columns={
            "source_x": "export_source",
            "source_m": "import_source",
            "_value_x": "export_value_fob",
            "_value_m": "import_value_cif",
            "_weight_x": "export_weight_kg",
            "_weight_m": "import_weight_kg",
            "_est_x": "export_estimated",
            "_est_m": "import_estimated",
        }
    )


def _discrepancies(pairs: pd.DataFrame) -> pd.DataFrame:
    x, m = pairs["export_value_fob"].astype(float), pairs["import_value_cif"].astype(float)
    wx, wm = pairs["export_weight_kg"].astype(float), pairs["import_weight_kg"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pairs.assign(
            cif_fob_ratio=(m / x.where(x > 0)),
            discrepancy_usd=m - x,
            discrepancy_rel=(m - x) / ((m + x) / 2).where((m + x) > 0),
            weight_discrepancy_kg=wm - wx,
            weight_discrepancy_rel=(wm - wx) / ((wm + wx) / 2).where((wm + wx) > 0),
            sides=np.select(
                [x.notna() & m.notna(), x.notna()], ["both", "export_only"], "import_only"
            ),
        )


def _trust(pairs: pd.DataFrame, distrust: set[str], factor: float) -> pd.DataFrame:
    importer_bad = pairs["importer"].isin(distrust) & ~pairs["exporter"].isin(distrust)
    exporter_bad = pairs["exporter"].isin(distrust) & ~pairs["importer"].isin(distrust)
    import_est = pairs["import_estimated"].astype("boolean").fillna(False).astype(bool)
    export_est = pairs["export_estimated"].astype("boolean").fillna(False).astype(bool)
    rules = [
        (pairs["sides"] == "export_only", "export", "only the exporter reports this flow"),
        (pairs["sides"] == "import_only", "import", "only the importer reports this flow"),
        (importer_bad, "export", "the importer is on the distrust list"),
        (exporter_bad, "import", "the exporter is on the distrust list"),
        (
            import_est & ~export_est,
            "export",
            "the importer's value is estimated, the exporter's is not",
        ),
    ]
    default = ("import", f"importer-reported CIF converted to FOB (/ {factor:g})")
    side = np.select([r[0] for r in rules], [r[1] for r in rules], default[0])
    reason = np.select([r[0] for r in rules], [r[2] for r in rules], default[1])
    use_import = side == "import"
    return pairs.assign(
        trusted_side=side,
        trusted_value_fob_usd=np.where(
            use_import, pairs["import_value_cif"] / factor, pairs["export_value_fob"]
        ),
        trusted_weight_kg=np.where(
            use_import, pairs["import_weight_kg"], pairs["export_weight_kg"]
        ),
        trust_reason=reason,
    )


def _notes(pairs: pd.DataFrame) -> pd.Series:
    hk = (pairs["exporter"] == HONG_KONG) | (pairs["importer"] == HONG_KONG)
    reexport = pairs["reexport_value_usd"].astype(float) > 0
    notes = np.select(
        [hk & reexport, hk, reexport],
        [
            "via Hong Kong: re-exports reported apart (reexport_value_usd); importers book them "
            "by origin",
            "via Hong Kong: importers book Hong Kong re-exports by origin, not as "
            "imports from Hong Kong",
            "the exporter also reports re-exports to this importer "
            "(reexport_value_usd, not in export_value_fob)",
        ],
        "",
    )
    return pd.Series(notes, index=pairs.index, dtype="string").replace("", pd.NA)


def mirror_flows(
    panel: pd.DataFrame,
    *,
    cif_fob_factor: float = CIF_FOB_FACTOR,
    distrust: Iterable[str] = (),
) -> pd.DataFrame:
    """Pair exports with mirror imports and say which side to trust (see the module docstring).

    Parameters
    ----------
    panel : DataFrame
        Panel rows with one source per flow (see
        :func:`retrade.panel.sources.select_sources`); world, group and "nes"
        partners are left out (they have no mirror).
    cif_fob_factor : float
        CIF value / FOB value assumed when converting the importer's record.
    distrust : iterable of str
        Country codes whose own reports are not trusted when the other side
        reports.

    """
    if not cif_fob_factor > 0:
        raise ConfigError(f"cif_fob_factor must be positive, got {cif_fob_factor}")
    pairs = _discrepancies(pair_flows(panel))
    pairs = _trust(pairs, {str(c).upper() for c in distrust}, float(cif_fob_factor))
    pairs["note"] = _notes(pairs)
    return (
        pairs[list(MIRROR_COLUMNS)]
        .sort_values(list(PAIR))
        .reset_index(drop=True)
        .convert_dtypes(convert_integer=False, convert_boolean=False)
    )
