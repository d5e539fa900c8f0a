"""The element panel and the province table: China's rare-earth trade by element, form and province.

Written beside the trade panel when the store holds the source rows
(``data/processed/elements.parquet`` and ``provinces.parquet``):

**Element panel** (:func:`element_panel`), one row per source, reporter, flow, month,
partner and national line, with the line's element attributes from
:mod:`retrade.catalog.elements`:

* China's exports and imports from GACC platform downloads at HS8 (source
  ``china_customs``): partners, values and quantities as the trade panel has them
  (:func:`retrade.panel.adapters.china_customs.harmonize`), plus ``value_cny`` (a CNY
  download keeps its yuan even without a rate table); customs regimes and provinces
  are summed;
* the US's imports and exports from Census HS10 rows already in the panel (source
  ``census``): the HTS10 lines of :func:`~retrade.catalog.elements.national_lines`
  give the element where a line names one; other lines are pooled (``scope`` ``other``).

``element_kg`` is the element's mass where the form allows it: a single-element metal
(its weight) or oxide (its weight times the element's molar-mass share of the oxide,
``element_basis`` says which oxide: :data:`retrade.catalog.elements.OXIDES`); missing for
chlorides, fluorides, carbonates (hydration unknown), other compounds, mixtures and
pooled lines.

**Province table** (:func:`province_table`), when the downloads break trade out by the
exporter's or importer's registered location (注册地编码/注册地名称): one row per flow,
month, HS8 line and province code, summed over partners and regimes, with the province's
English name (:func:`~retrade.catalog.elements.china_provinces`).
"""

from __future__ import annotations

import functools
import warnings

import pandas as pd

from retrade.catalog import elements as E
from retrade.errors import DataQualityWarning
from retrade.panel import schema as S

ELEMENT_TABLE = "elements"
PROVINCE_TABLE = "provinces"
ATTRIBUTES: tuple[str, ...] = ("form", "scope", "element", "elements", "mixtures", "april_2025",
                               "october_2025")
MEASURES: tuple[str, ...] = ("value_usd", "value_cny", "net_weight_kg")
KEY: tuple[str, ...] = ("source", "reporter", "flow", "period", "partner", "hs_original")
ELEMENT_DTYPES: dict[str, str] = {
    "source": "string", "reporter": "string", "flow": "string", "period": "string",
    "year": "Int64", "month": "Int64", "partner": "string", "partner_original": "string",
    "hs_original": "string", "hs6": "string", "form": "string", "scope": "string",
    "element": "string", "elements": "string", "mixtures": "boolean", "april_2025": "string",
    "october_2025": "string", "value_usd": "Float64", "value_cny": "Float64",
    "net_weight_kg": "Float64", "element_kg": "Float64", "element_basis": "string",
}
PROVINCE_DTYPES: dict[str, str] = {
    "source": "string", "flow": "string", "period": "string", "year": "Int64", "month": "Int64",
    "province": "string", "province_name": "string", "province_en": "string",
    "hs_original": "string", "form": "string", "scope": "string", "element": "string",
    "value_usd": "Float64", "value_cny": "Float64", "net_weight_kg": "Float64",
}


def empty_elements() -> pd.DataFrame:
    """An element panel with no rows and every column typed."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in ELEMENT_DTYPES.items()})


def element_panel(china_raw: pd.DataFrame | None = None, panel: pd.DataFrame | None = None,
                  *, cny_per_usd=None) -> pd.DataFrame:
    """The element panel from raw China customs rows and the Census rows of ``panel``.

    Parameters
    ----------
    china_raw : DataFrame, optional
        Rows as :mod:`retrade.fetch.files.china_customs` stores them.
    panel : DataFrame, optional
        The trade panel; its ``census`` rows at HS10 give the US part.
    cny_per_usd : mapping or DataFrame, optional
        As for the China customs adapter: fills ``value_usd`` of CNY downloads.

    Examples
    --------
    >>> raw = pd.DataFrame({"yearmonth": ["202505", "202505"], "flow": ["export"] * 2,
    ...     "commodity": ["28469015", "12019011"], "partner": ["116", "116"],
    ...     "partner_name": ["日本", "日本"], "quantity_1": [100.0, 5.0],
    ...     "unit_1": ["千克", "千克"], "value_usd": [5e4, 10.0]})
    >>> out = element_panel(raw)
    >>> out[["hs_original", "element", "form", "partner"]].values.tolist()
    [['28469015', 'Dy', 'oxide', 'JPN']]
    >>> round(float(out["element_kg"].iloc[0]), 2)
    87.13
    """
    parts = [_china(china_raw, cny_per_usd)] if china_raw is not None and len(china_raw) else []
    if panel is not None and len(panel):
        parts.append(_us(panel))
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_elements()
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(list(KEY), kind="stable").reset_index(drop=True)
    return validate_elements(out)


def _china(raw: pd.DataFrame, rates) -> pd.DataFrame:
    from retrade.panel.adapters.china_customs import harmonize

    raw = raw[raw["commodity"].astype("string").str[:8].isin(_china_codes())]
    if raw.empty:
        return empty_elements()
    with warnings.catch_warnings():  # the panel build has already said that CNY has no rate
        warnings.simplefilter("ignore", DataQualityWarning)
        rows = harmonize(raw, cny_per_usd=rates)
    cny = raw["value_cny"] if "value_cny" in raw else pd.Series(pd.NA, index=raw.index)
    rows = rows.assign(value_cny=pd.to_numeric(cny).astype("Float64"))
    return _finish(_summed(rows))


@functools.lru_cache(maxsize=1)
def _china_codes() -> frozenset[str]:
    return frozenset(E.element_lines()["code"])


def _summed(rows: pd.DataFrame) -> pd.DataFrame:
    """Sum regimes and provinces (and partners that map to one country) into one row."""
    key = list(KEY)
    grouped = rows.groupby(key, sort=False, dropna=False)
    sums = grouped[list(MEASURES)].sum(min_count=1)
    firsts = grouped[[S.YEAR, S.MONTH, S.PARTNER_ORIGINAL]].first()
    return sums.join(firsts).reset_index()


def _finish(rows: pd.DataFrame) -> pd.DataFrame:
    attributes = E.match_lines(rows["hs_original"], rows[S.YEAR])
    out = pd.concat([rows.reset_index(drop=True), attributes.reset_index(drop=True)[
        list(ATTRIBUTES)]], axis=1)
    out["hs6"] = out["hs_original"].str[:6]
    return _with_content(out)


def _with_content(out: pd.DataFrame) -> pd.DataFrame:
    single = out["scope"] == "element"
    element = out["element"].where(single)
    fraction = E.element_fraction(out["form"], element)
    out["element_kg"] = (out["net_weight_kg"].astype("Float64") * fraction.astype("Float64"))
    out["element_basis"] = E.element_basis(out["form"], element)
    out["element"] = out["element"].where(single)
    return conform_elements(out)


def _us(panel: pd.DataFrame) -> pd.DataFrame:
    rows = panel[(panel[S.SOURCE] == "census") & (panel[S.HS_ORIGINAL].str.len() == 10)]
    if rows.empty:
        return empty_elements()
    lines = E.national_lines("USA").set_index("code")
    frame = rows[[*KEY, S.YEAR, S.MONTH, S.PARTNER_ORIGINAL, S.VALUE_USD, S.NET_WEIGHT_KG]]
    frame = frame.assign(value_cny=pd.NA)
    known = frame["hs_original"].map(lines["scope"]).notna()
    attributes = lines.reindex(frame["hs_original"])[list(ATTRIBUTES)]
    attributes.index = frame.index
    pooled = {"form": frame["hs6"].map(_US_FORMS) if "hs6" in frame else
              frame["hs_original"].str[:6].map(_US_FORMS),
              "scope": "other", "element": "", "elements": "", "mixtures": True,
              "april_2025": "part", "october_2025": "part"}
    for column, value in pooled.items():
        attributes[column] = attributes[column].where(known, value)
    out = pd.concat([frame, attributes], axis=1)
    out["element"] = out["element"].replace("", pd.NA)
    out["hs6"] = out["hs_original"].str[:6]
    return _with_content(out)


# US HTS10 lines not in the national table are pooled; their form from the six-digit heading
_US_FORMS = {"280530": "metal", "284610": "other compound", "284690": "other compound",
             "850511": "magnet", "261220": "ore", "253090": "ore", "720299": "other compound",
             "850590": "magnet"}


def conform_elements(frame: pd.DataFrame) -> pd.DataFrame:
    """Element-panel columns in order and typed (a copy); missing optional columns added."""
    out = pd.DataFrame(index=frame.index)
    for column, dtype in ELEMENT_DTYPES.items():
        values = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index)
        if dtype == "string":
            values = values.astype("string").replace("", pd.NA)
        out[column] = values.astype(dtype)
    return out


@functools.lru_cache(maxsize=1)
def element_schema():
    """The pandera schema of the element panel."""
    import pandera.pandas as pa

    nonneg = pa.Check.in_range(0, float("inf"), include_max=False)
    return pa.DataFrameSchema(
        {
            "source": pa.Column("string"),
            "reporter": pa.Column("string", pa.Check.isin(("CHN", "USA"))),
            "flow": pa.Column("string", pa.Check.isin(S.FLOWS)),
            "period": pa.Column("string", pa.Check.str_matches(r"^\d{4}-(0[1-9]|1[0-2])$")),
            "year": pa.Column("Int64", pa.Check.in_range(1990, 2100)),
            "month": pa.Column("Int64", pa.Check.in_range(1, 12)),
            "partner": pa.Column("string", pa.Check.str_matches(r"^[A-Z][A-Z0-9]{2}$")),
            "partner_original": pa.Column("string", nullable=True),
            "hs_original": pa.Column("string", pa.Check.str_matches(r"^\d{8}(\d{2})?$")),
            "hs6": pa.Column("string", pa.Check.str_matches(r"^\d{6}$")),
            "form": pa.Column("string", pa.Check.isin(E.FORMS)),
            "scope": pa.Column("string", pa.Check.isin(E.SCOPES)),
            "element": pa.Column("string", pa.Check.isin(E.ELEMENTS), nullable=True),
            "elements": pa.Column("string", nullable=True),
            "mixtures": pa.Column("boolean"),
            "april_2025": pa.Column("string", pa.Check.isin(E.COVERAGE)),
            "october_2025": pa.Column("string", pa.Check.isin(E.COVERAGE)),
            **{m: pa.Column("Float64", nonneg, nullable=True)
               for m in (*MEASURES, "element_kg")},
            "element_basis": pa.Column("string", nullable=True),
        },
        checks=[pa.Check(lambda d: (d["scope"] == "element") == d["element"].notna(),
                         error="only single-element lines carry an element")],
        unique=list(KEY), strict=True, ordered=True, coerce=False)


def validate_elements(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate an element panel; raise :class:`~retrade.errors.SchemaError` listing failures."""
    return _validate(element_schema(), frame, "element panel")


def _validate(schema, frame: pd.DataFrame, what: str) -> pd.DataFrame:
    import pandera.errors

    from retrade.errors import SchemaError

    try:
        return schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check", "failure_case"]].drop_duplicates()
        raise SchemaError(f"{what} failed validation in {len(exc.failure_cases)} place(s):\n"
                          + cases.head(15).to_string(index=False)) from None


def province_table(china_raw: pd.DataFrame | None, *, cny_per_usd=None) -> pd.DataFrame:
    """China's rare-earth trade by registered province, flow, month and HS8 line.

    Rows of downloads without a province breakdown are left out (the table is empty
    when none has one). A province code outside the 31 of
    :func:`~retrade.catalog.elements.china_provinces` keeps its code and the name the
    download gave, with ``province_en`` missing.

    Examples
    --------
    >>> raw = pd.DataFrame({"yearmonth": ["202505"] * 2, "flow": ["export"] * 2,
    ...     "commodity": ["28469015"] * 2, "partner_name": ["日本", "美国"],
    ...     "province": ["36", "36"], "province_name": ["江西省"] * 2,
    ...     "quantity_1": [100.0, 50.0], "unit_1": ["千克"] * 2, "value_cny": [7e5, 3e5]})
    >>> province_table(raw)[["province_en", "net_weight_kg", "value_cny"]].values.tolist()
    [['Jiangxi', 150.0, 1000000.0]]
    """
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in PROVINCE_DTYPES.items()})
    if china_raw is None or "province" not in china_raw:
        return empty
    from retrade.panel.adapters.china_customs import harmonize

    raw = china_raw[china_raw["province"].notna()
                    & china_raw["commodity"].astype("string").str[:8].isin(_china_codes())]
    if raw.empty:
        return empty
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        rows = harmonize(raw, cny_per_usd=cny_per_usd)
    cny = raw["value_cny"] if "value_cny" in raw else pd.Series(pd.NA, index=raw.index)
    names = raw["province_name"] if "province_name" in raw else pd.Series(pd.NA, index=raw.index)
    rows = rows.assign(value_cny=pd.to_numeric(cny).astype("Float64"),
                       province=raw["province"].astype("string"),
                       province_name=names.astype("string"))
    key = ["source", "flow", "period", "province", "hs_original"]
    grouped = rows.groupby(key, sort=True, dropna=False)
    out = grouped[list(MEASURES)].sum(min_count=1).join(
        grouped[[S.YEAR, S.MONTH, "province_name"]].first()).reset_index()
    english = E.china_provinces().set_index("code")["name_en"]
    out["province_en"] = out["province"].map(english)
    attributes = E.match_lines(out["hs_original"], out[S.YEAR])
    out[["form", "scope", "element"]] = attributes[["form", "scope", "element"]]
    return _validate(province_schema(), _conform(out, PROVINCE_DTYPES), "province table")


def _conform(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame({c: frame[c].astype(t) for c, t in dtypes.items()}, index=frame.index)
    return out.replace({"element": {"": pd.NA}}).reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def province_schema():
    """The pandera schema of the province table."""
    import pandera.pandas as pa

    nonneg = pa.Check.in_range(0, float("inf"), include_max=False)
    columns = {c: pa.Column(t, nullable=c in ("province_name", "province_en", "element",
                                               *MEASURES)) for c, t in PROVINCE_DTYPES.items()}
    columns["province"] = pa.Column("string", pa.Check.str_matches(r"^\d{2,6}$"))
    columns["form"] = pa.Column("string", pa.Check.isin(E.FORMS))
    for m in MEASURES:
        columns[m] = pa.Column("Float64", nonneg, nullable=True)
    return pa.DataFrameSchema(columns, unique=["source", "flow", "period", "province",
                                                "hs_original"], strict=True, ordered=True)


def element_tables(china_raw: pd.DataFrame | None, panel: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables the panel build writes beside the panel (only those with rows).

    Without China customs rows or Census rows in the panel both tables are
    empty: they are not built (a dozen typed empty frames and a text scan of
    the panel, 10 ms of a 10^4-row build).
    """
    if (china_raw is None or not len(china_raw)) and not panel[S.SOURCE].eq("census").any():
        return {}
    tables = {ELEMENT_TABLE: element_panel(china_raw, panel),
              PROVINCE_TABLE: province_table(china_raw)}
    return {name: table for name, table in tables.items() if len(table)}


def province_shares(provinces: pd.DataFrame, *, flow: str = "export", by: str = "year",
                    measure: str = "net_weight_kg") -> pd.DataFrame:
    """Each province's share of China's rare-earth trade per year (or month).

    Parameters
    ----------
    provinces : DataFrame
        :func:`province_table` rows.
    flow : {"export", "import"}
    by : {"year", "month"}
        ``period`` is ``YYYY`` or ``YYYY-MM``.
    measure : {"net_weight_kg", "value_usd", "value_cny"}

    Returns
    -------
    DataFrame
        ``period, province, province_en, amount, share`` (shares sum to 1 per period over
        the provinces with a known amount).

    Examples
    --------
    >>> t = pd.DataFrame({"flow": ["export"] * 3, "period": ["2024-01", "2024-02", "2024-01"],
    ...     "province": ["15", "15", "36"], "province_en": ["Inner Mongolia"] * 2 + ["Jiangxi"],
    ...     "net_weight_kg": [30.0, 10.0, 60.0]})
    >>> province_shares(t)[["period", "province_en", "share"]].values.tolist()
    [['2024', 'Inner Mongolia', 0.4], ['2024', 'Jiangxi', 0.6]]
    """
    from retrade.errors import check_choice

    check_choice("flow", flow, ("export", "import"))
    check_choice("by", by, ("year", "month"))
    check_choice("measure", measure, MEASURES)
    rows = provinces[(provinces["flow"] == flow) & provinces[measure].notna()]
    period = rows["period"].str[:4] if by == "year" else rows["period"]
    grouped = rows.assign(period=period).groupby(["period", "province"], sort=True)
    out = grouped[measure].sum().rename("amount").to_frame().join(
        grouped["province_en"].first()).reset_index()
    out["share"] = out["amount"] / out.groupby("period")["amount"].transform("sum")
    return out[["period", "province", "province_en", "amount", "share"]]
