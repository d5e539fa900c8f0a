"""What the source adapters share: country and unit mapping, currency conversion, finishing.

Every adapter builds a frame in panel columns with ``hs_original`` set, then
calls :func:`finish`, which keeps the rare-earth catalog lines, adds ``hs6`` and
``stage``, sums rows that harmonization made identical, and conforms the result
(the panel build validates it).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import pandas as pd

from retrade.catalog import to_iso3
from retrade.catalog.products import product
from retrade.errors import CatalogError, ConfigError, DataQualityWarning, HarmonizeError
from retrade.panel import schema as S

# quantity units that are masses, as written in the sources -> kilograms per unit
MASS_UNITS: dict[str, float] = {
    "kg": 1.0,
    "kgm": 1.0,
    "kilogram": 1.0,
    "kilograms": 1.0,
    "千克": 1.0,
    "公斤": 1.0,
    "t": 1000.0,
    "ton": 1000.0,
    "tons": 1000.0,
    "tonne": 1000.0,
    "tonnes": 1000.0,
    "metric ton": 1000.0,
    "吨": 1000.0,
    "100kg": 100.0,
    "100 kg": 100.0,
}
_MEASURES = (S.VALUE_USD, S.VALUE_CIF_USD, S.VALUE_FOB_USD, S.NET_WEIGHT_KG, S.QUANTITY)


# groups and continents some files list beside countries; they have no partner code (EU27,
# ASEAN and World do: EUN, ASN, WLD) and would double count the country rows
GROUP_NAMES = frozenset(
    {
        "g7",
        "g-7",
        "g20",
        "g-20",
        "oecd",
        "nato",
        "apec",
        "brics",
        "opec",
        "eu28",
        "eu-28",
        "euro area",
        "eurozone",
        "usmca (nafta)",
        "nafta",
        "cafta-dr",
        "lafta",
        "cacm",
        "pacific rim countries",
        "twenty latin american republics",
        "asia",
        "africa",
        "europe",
        "oceania",
        "australia and oceania",
        "north america",
        "south america",
        "central america",
        "latin america",
        "middle east",
    }
)


def countries(values: pd.Series, *, scheme: str, source: str, column: str) -> pd.Series:
    """Retrade codes for a column of names or codes; raise naming every value that does not map.

    Country groups and continents without a code (G7, OECD, Asia ...) get their own
    message: they are not partners, and summing them with countries double counts.
    """
    missing = values.isna()
    if missing.any():
        raise HarmonizeError(f"{source}: {int(missing.sum())} row(s) have no {column}")
    groups = sorted({str(v) for v in values if str(v).strip().lower() in GROUP_NAMES})
    if groups:
        raise HarmonizeError(
            f"{source} {column}: {groups} are country groups or continents, not partners; "
            "leave those rows out (or split them with retrade.catalog.group_members), "
            "since adding them to the country rows would count trade twice"
        )
    try:
        codes = to_iso3(values.tolist(), scheme=scheme)  # type: ignore[arg-type]
    except HarmonizeError as exc:
        raise HarmonizeError(f"{source} {column}: {exc}") from None
    return pd.Series(codes, index=values.index, dtype="string")


def kilograms(quantity: pd.Series, unit: pd.Series) -> pd.Series:
    """``quantity`` in kg where ``unit`` is a mass unit, else missing."""
    factor = unit.astype("string").str.strip().str.lower().map(MASS_UNITS)
    return (quantity.astype("Float64") * factor.astype("Float64")).astype("Float64")


def is_mass(unit: pd.Series) -> pd.Series:
    """Whether each unit is a mass unit known to :data:`MASS_UNITS`."""
    return unit.astype("string").str.strip().str.lower().isin(list(MASS_UNITS)).fillna(False)


def convert(
    values: pd.Series,
    periods: pd.Series,
    rates: Mapping[str, float] | pd.DataFrame | None,
    *,
    currency: str,
    source: str,
) -> pd.Series:
    """Values in ``currency`` divided by the ``currency``-per-USD rate of each period.

    ``rates`` maps ``YYYY-MM`` or ``YYYY`` to units of ``currency`` per US dollar
    (a month's own rate wins over its year's), or is a DataFrame with columns
    ``period`` and ``rate``. Without rates the result is missing and a
    :class:`~retrade.errors.DataQualityWarning` says so; a period without a
    rate raises :class:`~retrade.errors.HarmonizeError` naming it.
    """
    if rates is None:
        if values.notna().any():
            _warn_no_rate(int(values.notna().sum()), currency=currency, source=source)
        return pd.Series(pd.NA, index=values.index, dtype="Float64")
    table = _rate_table(rates)
    rate = periods.map(table).fillna(periods.str[:4].map(table))
    lacking = sorted(set(periods[rate.isna() & values.notna()]))
    if lacking:
        raise HarmonizeError(f"{source}: no {currency}-per-USD rate for period(s) {lacking[:12]}")
    if (rate <= 0).any():
        raise HarmonizeError(f"{source}: {currency}-per-USD rates must be positive")
    return (values.astype("Float64") / rate.astype("Float64")).astype("Float64")


def _warn_no_rate(count: int, *, currency: str, source: str) -> None:
    warnings.warn(
        f"{source}: {count} value(s) are in {currency} and no {currency}-per-USD rate table "
        f"was given, so value_usd is left empty; pass "
        f"{currency.lower()}_per_usd={{'2024-01': <rate>, ...}} to convert",
        DataQualityWarning,
        stacklevel=4,
    )


def _rate_table(rates: Mapping[str, float] | pd.DataFrame) -> dict[str, float]:
    if isinstance(rates, pd.DataFrame):
        if not {"period", "rate"} <= set(rates.columns):
            raise ConfigError("a rate table needs columns 'period' and 'rate'")
        return {str(p): float(r) for p, r in zip(rates["period"], rates["rate"], strict=True)}
    return {str(p): float(r) for p, r in rates.items()}


def stage_or_none(code: object) -> str | None:
    """Catalog stage of an HS code, or ``None`` outside the catalog."""
    try:
        return product(str(code)).stage
    except CatalogError:
        return None


def catalog_rows(raw: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of ``raw`` whose HS code in ``column`` is a rare-earth catalog line."""
    return raw.loc[raw[column].map(stage_or_none).notna()]


def finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep catalog lines, add ``hs6`` and ``stage``, sum duplicates and conform.

    The rows are checked against the schema once, by the panel build
    (:func:`retrade.panel.schema.validate_panel`), not here as well.
    """
    stage = frame[S.HS_ORIGINAL].map(stage_or_none)
    kept = frame.loc[stage.notna()].assign(
        **{S.HS6: lambda f: f[S.HS_ORIGINAL].str[:6], S.STAGE: stage[stage.notna()]}
    )
    return S.conform(_collapse(kept)).reset_index(drop=True)


def _collapse(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum rows with the same panel key (several source partners that map to one country)."""
    key = [c for c in S.KEY if c in frame.columns]
    if frame.empty or not frame.duplicated(key).any():
        return frame
    measures = [c for c in _MEASURES if c in frame.columns]
    others = [c for c in frame.columns if c not in key and c not in measures]
    agg: dict[str, object] = {c: lambda s: s.sum(min_count=1) for c in measures}
    agg.update({c: _any if frame[c].dtype == "boolean" else _join for c in others})
    return frame.groupby(key, sort=False, dropna=False).agg(agg).reset_index()


def _any(values: pd.Series) -> object:
    return bool(values.any()) if values.notna().any() else pd.NA


def _join(values: Iterable[object]) -> object:
    distinct = list(dict.fromkeys(str(v) for v in pd.Series(values).dropna()))
    return "; ".join(distinct) if distinct else pd.NA
