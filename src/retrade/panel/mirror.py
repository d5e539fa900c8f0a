"""Mirror flows: what A says it exported to B, against what B says it imported from A.

Every export row (reporter A, partner B) is paired with the import row of
reporter B from partner A for the same HS6 code, period and frequency. The
two rarely agree: imports are valued CIF (with freight and insurance),
exports FOB; goods pass through third countries (Hong Kong above all, whose
re-exports of Chinese goods importers book as imports from China); partners
are misattributed ("Other Asia, nes" is Taiwan in practice, which reports to
no one); and in the quota years smuggling kept some Chinese rare-earth
exports out of China's records but not out of the importers'.

Which side to trust
-------------------
The importer's record, converted to FOB by dividing by ``cif_fob_factor``
(default 1.06, the conventional 6 % CIF/FOB margin used for the IMF's
Direction of Trade Statistics; pass your own, for instance the median
``cif_fob_ratio`` of well-reported pairs), because customs check imports,
which carry duties, more closely than exports. The exporter's record is used
instead when

1. only the exporter reports the flow;
2. the importer is on the ``distrust`` list and the exporter is not (a
   reporter known to misreport; the list is the caller's, empty by default);
3. the importer's value is flagged as estimated and the exporter's is not.

And the importer's record is used when only it reports, or when the
exporter alone is distrusted. ``trust_reason`` says which rule applied to
each pair; ``note`` marks pairs that involve Hong Kong or where the exporter
also reports re-exports to the importer (kept apart in
``reexport_value_usd``, not added to ``export_value_fob``).

Columns
-------
``frequency, period, hs6, stage, exporter, importer, export_source, import_source``,
``export_value_fob`` (the exporter's FOB value, else its primary value),
``import_value_cif`` (the importer's CIF value, else its primary value),
``export_weight_kg, import_weight_kg``, ``cif_fob_ratio`` (CIF / FOB),
``discrepancy_usd`` (CIF - FOB), ``discrepancy_rel`` ((CIF - FOB) / the mean
of the two: symmetric, between -2 and 2), ``weight_discrepancy_kg`` and
``weight_discrepancy_rel`` (the same for net weights), ``sides`` (``both``,
``export_only``, ``import_only``), ``reexport_value_usd``, ``trusted_side``,
``trusted_value_fob_usd``, ``trusted_weight_kg``, ``trust_reason``, ``note``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from retrade.catalog.countries import kind_of
from retrade.errors import ConfigError, SpecificationError
from retrade.panel import schema as S
from retrade.panel.distinct import renumbered
from retrade.panel.mirror_pairs import KEYS, PAIR, array_pairs, code_arrays

CIF_FOB_FACTOR = 1.06
HONG_KONG = "HKG"
MIRROR_COLUMNS: tuple[str, ...] = (
    *PAIR[:3],
    S.STAGE,
    *PAIR[3:],
    "export_source",
    "import_source",
    "export_value_fob",
    "import_value_cif",
    "export_weight_kg",
    "import_weight_kg",
    "cif_fob_ratio",
    "discrepancy_usd",
    "discrepancy_rel",
    "weight_discrepancy_kg",
    "weight_discrepancy_rel",
    "sides",
    "reexport_value_usd",
    "trusted_side",
    "trusted_value_fob_usd",
    "trusted_weight_kg",
    "trust_reason",
    "note",
)


def _positive_or(preferred: pd.Series, fallback: pd.Series) -> pd.Series:
    """``preferred`` where positive, else ``fallback`` (a 0 CIF on an export is 'not given')."""
    preferred = preferred.astype(float)
    return preferred.where(preferred > 0, fallback.astype(float))


# the columns a side is grouped on: the pair, the stage and the source
_GROUP: tuple[str, ...] = (*PAIR, S.STAGE, S.SOURCE)


def _key_codes(panel: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    """Sorted integer codes of the grouping columns (missing: last), and the values they stand for.

    Reporters and partners share one scale, so an exporter's code is the same
    whether it reports or is reported; the codes sort as the text does.
    """
    codes, labels = code_arrays(panel)
    n = len(panel)
    frame = pd.DataFrame({S.FREQUENCY: codes[S.FREQUENCY], S.PERIOD: codes[S.PERIOD],
                          S.HS6: codes[S.HS6], S.REPORTER: codes["country"][:n],
                          S.PARTNER: codes["country"][n:], S.STAGE: codes[S.STAGE],
                          S.SOURCE: codes[S.SOURCE]}, index=panel.index)
    return frame, labels


def _label(codes: pd.Series, labels: pd.api.extensions.ExtensionArray) -> pd.Series:
    """The text of integer codes (the code past the last value is the missing value)."""
    values = codes.to_numpy()
    return pd.Series(labels.take(np.where(values >= len(labels), -1, values), allow_fill=True),
                     index=codes.index)


def _side(
    codes: pd.DataFrame,
    keep: np.ndarray,
    value: np.ndarray,
    rows: dict[str, np.ndarray],
    own: str,
    other: str,
    labels: dict,
    flow: str,
) -> pd.DataFrame:
    """One row per pair for one flow (rows ``keep``): values summed over national lines.

    Grouped on integer codes (``codes``); the pair's columns stay codes. The
    seven grouping columns are one integer per row (mixed radix, so its order
    is theirs), grouped by pandas' own sum (the same compensated sum, row
    order and ``min_count``) instead of a seven-column group-by.
    """
    names = [*PAIR, S.STAGE, S.SOURCE]
    sides = {own: S.REPORTER, other: S.PARTNER}
    columns = [codes[sides.get(name, name)].to_numpy()[keep] for name in names]
    widths = [int(c.max()) + 1 if len(c) else 1 for c in columns]
    if float(np.prod(widths, dtype=float)) >= 2.0 ** 62:  # too many values for one integer
        return _side_grouped(codes, keep, value, rows, own, other, labels, flow)
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, width in zip(columns, widths, strict=True):
        key = key * width + column
    group, distinct = pd.factorize(key, sort=True)
    sums = pd.DataFrame({"_value": value[keep], "_weight": rows["weight"][keep]}).groupby(
        group).sum(min_count=1)
    out = {}
    for name, width in reversed(list(zip(names, widths, strict=True))):
        distinct, out[name] = np.divmod(distinct, width)
    out = {name: out[name] for name in names} | {
        "_value": sums["_value"].to_numpy(), "_weight": sums["_weight"].to_numpy(),
        "_est": np.bincount(group, weights=rows["estimated"][keep],
                            minlength=len(sums)) > 0}
    out = pd.DataFrame(out)
    doubled = out[_repeated_pairs(out)]
    if not doubled.empty:
        _several_sources(doubled, flow, own, other, labels)
    return out


def _repeated_pairs(out: pd.DataFrame) -> np.ndarray:
    """``out.duplicated(PAIR, keep=False)`` for rows sorted on the pair's codes."""
    same = np.ones(max(len(out) - 1, 0), dtype=bool)
    for name in PAIR:
        values = out[name].to_numpy()
        same &= values[1:] == values[:-1]
    repeated = np.zeros(len(out), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    return repeated


def _side_grouped(codes, keep, value, rows, own, other, labels, flow) -> pd.DataFrame:
    """:func:`_side` grouped on the seven columns (when they do not fit in one integer)."""
    side = codes[keep].rename(columns={S.REPORTER: own, S.PARTNER: other}).assign(
        _value=value[keep], _weight=rows["weight"][keep], _est=rows["estimated"][keep])
    grouped = side.groupby([*PAIR, S.STAGE, S.SOURCE], observed=True)
    out = grouped[["_value", "_weight"]].sum(min_count=1).join(grouped["_est"].any()).reset_index()
    doubled = out[out.duplicated(list(PAIR), keep=False)]
    if not doubled.empty:
        _several_sources(doubled, flow, own, other, labels)
    return out


def _several_sources(doubled: pd.DataFrame, flow: str, own: str, other: str,
                     labels: dict) -> None:
    """The error for flows that several sources report (the first pair in key order as example)."""
    first = doubled.iloc[0]

    def text(column: str, code: int) -> str:
        name = "country" if column in (own, other) else column
        return str(_label(pd.Series([code]), labels[name]).iloc[0])

    sources = doubled.loc[doubled[own] == first[own], S.SOURCE].unique()
    raise SpecificationError(
        f"{len(doubled)} {flow} flows are reported by several sources (e.g. "
        f"{text(own, first[own])} -> {text(other, first[other])}, "
        f"{text(S.HS6, first[S.HS6])} {text(S.PERIOD, first[S.PERIOD])}: "
        f"{sorted(text(S.SOURCE, c) for c in sources)}); "
        "choose one per flow with retrade.panel.sources.select_sources(panel) first"
    )


def pair_flows(panel: pd.DataFrame) -> pd.DataFrame:
    """Exporters' export rows beside importers' import rows (outer join), before any rule."""
    return typed_mirror(_coded_pairs(panel))


def typed_mirror(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categorical columns as text (each category taken by its code).

    Examples
    --------
    >>> codes = pd.Categorical.from_codes([1, -1], categories=pd.array(["CHN", "JPN"], "string"))
    >>> typed_mirror(pd.DataFrame({"exporter": codes}))["exporter"].tolist()
    ['JPN', <NA>]
    """
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            labels = column.cat.categories.array
            column = pd.Series(labels.take(column.cat.codes.to_numpy(), allow_fill=True),
                               index=frame.index)
        columns[name] = column
    return pd.DataFrame(columns, index=frame.index, copy=False)  # the other columns shared


def _checked(panel: pd.DataFrame) -> pd.DataFrame:
    """``panel`` with the schema's columns (conformed if some are absent); an error if it lacks
    a column the mirror flows read."""
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
    return S.conform(panel) if set(S.COLUMNS) - set(panel.columns) else panel


def _coded_pairs(panel: pd.DataFrame) -> pd.DataFrame:
    """:func:`pair_flows` with the pair, stage and source columns as categoricals of their text."""
    panel = _checked(panel)
    codes, labels = _key_codes(panel)
    kinds = {code: kind_of(code) for code in panel[S.PARTNER].dropna().unique()}
    country = panel[S.PARTNER].map(kinds).eq("country").to_numpy(dtype=bool)
    flow = panel[S.FLOW].astype("category")  # three comparisons on codes, not on text
    rows = {"weight": panel[S.NET_WEIGHT_KG].astype(float).to_numpy(),
            "estimated": panel[S.VALUE_ESTIMATED].astype("boolean").fillna(False)
            .to_numpy(dtype=bool)}

    def side(name: str, value: pd.Series, own: str, other: str) -> pd.DataFrame:
        keep = (flow == name).to_numpy(dtype=bool) & country
        return _side(codes, keep, value.to_numpy(dtype=float), rows, own, other, labels, name)

    exports = side("export", _positive_or(panel[S.VALUE_FOB_USD], panel[S.VALUE_USD]),
                   "exporter", "importer")
    imports = side("import", _positive_or(panel[S.VALUE_CIF_USD], panel[S.VALUE_USD]),
                   "importer", "exporter")
    reexports = side("re-export", panel[S.VALUE_USD].astype(float), "exporter", "importer")
    pairs = exports.merge(imports, on=[*PAIR, S.STAGE], how="outer", suffixes=("_x", "_m"))
    pairs = pairs.merge(
        reexports[[*PAIR, "_value"]].rename(columns={"_value": "reexport_value_usd"}),
        on=list(PAIR),
        how="left",
    )
    # one row per pair: ordered by the pair's codes, which sort as its text does
    pairs = pairs.take(np.lexsort([pairs[c].to_numpy() for c in reversed(PAIR)]))
    pairs = renumbered(pairs)
    for column, name in [(S.FREQUENCY, S.FREQUENCY), (S.PERIOD, S.PERIOD), (S.HS6, S.HS6),
                         ("exporter", "country"), ("importer", "country"), (S.STAGE, S.STAGE),
                         ("source_x", S.SOURCE), ("source_m", S.SOURCE)]:
        codes = pairs[column].to_numpy(dtype=float)  # a side's missing source is NaN
        codes = np.where(np.isnan(codes), -1, codes).astype(np.int64)
        codes = np.where(codes >= len(labels[name]), -1, codes)  # past the last: missing
        pairs[column] = pd.Categorical.from_codes(codes, categories=labels[name])
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


# -- the pairs as arrays: what the mirror flows read of them -------------------------------------
# The pairs as a dict, in the pairs' order: the key columns as categoricals (``KEYS``), the two
# sides' values and weights as floats (NaN: missing) and whether each side's value is estimated
# (False where the side is absent). ``mirror_pairs.array_pairs`` makes it without frames (10^4
# rows: ~40 pandas calls instead of ~400); ``_pairs_of_frame(_coded_pairs(...))`` where it cannot.

_SIDES = ("export_value_fob", "import_value_cif", "export_weight_kg", "import_weight_kg",
          "reexport_value_usd")


def _pairs_of_frame(pairs: pd.DataFrame) -> dict[str, object]:
    """The columns of :func:`_coded_pairs`' frame that the mirror flows read."""
    out: dict[str, object] = {c: pairs[c] for c in KEYS}
    out |= {c: pairs[c].astype(float).to_numpy() for c in _SIDES}
    for side in ("export", "import"):
        out[f"{side}_estimated"] = pairs[f"{side}_estimated"].astype("boolean").fillna(
            False).astype(bool).to_numpy()
    return out


def _discrepancies(pairs: dict) -> dict[str, object]:
    """The discrepancy columns and ``sides`` of each pair."""
    x, m = pairs["export_value_fob"], pairs["import_value_cif"]
    wx, wm = pairs["export_weight_kg"], pairs["import_weight_kg"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "cif_fob_ratio": m / np.where(x > 0, x, np.nan),
            "discrepancy_usd": m - x,
            "discrepancy_rel": (m - x) / np.where((m + x) > 0, (m + x) / 2, np.nan),
            "weight_discrepancy_kg": wm - wx,
            "weight_discrepancy_rel": (wm - wx) / np.where((wm + wx) > 0, (wm + wx) / 2, np.nan),
            "sides": _choose([~np.isnan(x) & ~np.isnan(m), ~np.isnan(x)],
                             ["both", "export_only"], "import_only"),
        }


def _choose(conditions: list, choices: list, default: object) -> pd.api.extensions.ExtensionArray:
    """``numpy.select(conditions, choices, default)`` as typed text, without a string per row.

    The first true condition picks its choice; the text is taken from a short
    array by integer position.
    """
    return pd.array([*choices, default], dtype="string").take(_rule(conditions))


def _rule(conditions: list) -> np.ndarray:
    """The position of each row's first true condition (``len(conditions)``: none)."""
    return np.select([np.asarray(c, dtype=bool) for c in conditions],
                     list(range(len(conditions))), len(conditions))


def _among(column: object, values: set[str]) -> np.ndarray:
    """Whether each row of a categorical column is one of ``values`` (tested once per category)."""
    codes, categories = _codes_and_categories(column)
    if not values or not len(categories):
        return np.zeros(len(codes), dtype=bool)
    on = np.append(np.asarray(pd.Index(categories).isin(list(values)), dtype=bool), False)
    return on[codes]  # code -1 (missing): the appended False


def _codes_and_categories(column: object) -> tuple[np.ndarray, object]:
    values = column.array if isinstance(column, pd.Series) else column
    return np.asarray(values.codes), values.categories


def _trust(pairs: dict, distrust: set[str], factor: float) -> dict[str, object]:
    """Which side each pair trusts, its value and weight, and why."""
    importer_on, exporter_on = _among(pairs["importer"], distrust), _among(pairs["exporter"],
                                                                           distrust)
    importer_bad, exporter_bad = importer_on & ~exporter_on, exporter_on & ~importer_on
    import_est, export_est = pairs["import_estimated"], pairs["export_estimated"]
    exported = ~np.isnan(pairs["export_value_fob"])  # ``sides`` without comparing its text
    rules = [
        (exported & np.isnan(pairs["import_value_cif"]), "export",
         "only the exporter reports this flow"),
        (~exported, "import", "only the importer reports this flow"),
        (importer_bad, "export", "the importer is on the distrust list"),
        (exporter_bad, "import", "the exporter is on the distrust list"),
        (
            import_est & ~export_est,
            "export",
            "the importer's value is estimated, the exporter's is not",
        ),
    ]
    default = ("import", f"importer-reported CIF converted to FOB (/ {factor:g})")
    rule = _rule([r[0] for r in rules])
    sides = [*(r[1] for r in rules), default[0]]
    use_import = np.array([side == "import" for side in sides])[rule]
    return {
        "trusted_side": pd.array(sides, dtype="string").take(rule),
        "trusted_value_fob_usd": np.where(
            use_import, pairs["import_value_cif"] / factor, pairs["export_value_fob"]
        ),
        "trusted_weight_kg": np.where(
            use_import, pairs["import_weight_kg"], pairs["export_weight_kg"]
        ),
        "trust_reason": pd.array([*(r[2] for r in rules), default[1]], dtype="string").take(rule),
    }


def _notes(pairs: dict) -> pd.api.extensions.ExtensionArray:
    hk = _among(pairs["exporter"], {HONG_KONG}) | _among(pairs["importer"], {HONG_KONG})
    reexport = pairs["reexport_value_usd"] > 0
    return _choose(
        [hk & reexport, hk, reexport],
        [
            "via Hong Kong: re-exports reported apart (reexport_value_usd); importers book them "
            "by origin",
            "via Hong Kong: importers book Hong Kong re-exports by origin, not as "
            "imports from Hong Kong",
            "the exporter also reports re-exports to this importer "
            "(reexport_value_usd, not in export_value_fob)",
        ],
        pd.NA,
    )


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

    Examples
    --------
    >>> rows = pd.DataFrame({"source": "comtrade", "frequency": "A", "period": "2022",
    ...     "year": 2022, "hs6": "280530", "stage": "metals",
    ...     "reporter": ["CHN", "JPN"], "partner": ["JPN", "CHN"], "flow": ["export", "import"],
    ...     "value_usd": [100.0, 112.0], "value_fob_usd": [100.0, None],
    ...     "value_cif_usd": [None, 112.0], "net_weight_kg": [10.0, 11.0]})
    >>> m = mirror_flows(rows)
    >>> m[["exporter", "importer", "cif_fob_ratio", "trusted_side"]].values.tolist()
    [['CHN', 'JPN', 1.12, 'import']]
    >>> round(float(m["trusted_value_fob_usd"].iloc[0]), 4)
    105.6604
    """
    return typed_mirror(coded_mirror_flows(panel, cif_fob_factor=cif_fob_factor, distrust=distrust))


def coded_mirror_flows(
    panel: pd.DataFrame,
    *,
    cif_fob_factor: float = CIF_FOB_FACTOR,
    distrust: Iterable[str] = (),
) -> pd.DataFrame:
    """:func:`mirror_flows` with the pair, stage and source columns as categoricals of their text.

    The panel build writes those columns to Arrow from their codes
    (:func:`retrade.store.processed.to_arrow`); :func:`mirror_flows` takes
    each category by its code, as it always typed them.
    """
    if not cif_fob_factor > 0:
        raise ConfigError(f"cif_fob_factor must be positive, got {cif_fob_factor}")
    panel = _checked(panel)
    pairs = array_pairs(panel)  # in the order of the pairs
    if pairs is None:  # no pairs, keys too wide, or the error for flows several sources report
        pairs = _pairs_of_frame(_coded_pairs(panel))
    columns = pairs | _discrepancies(pairs)
    columns |= _trust(pairs, {str(c).upper() for c in distrust}, float(cif_fob_factor))
    columns["note"] = _notes(pairs)
    index = pd.RangeIndex(len(columns["sides"]))
    out = pd.DataFrame({c: _float64(columns[c]) for c in MIRROR_COLUMNS}, index=index)
    if out.empty:  # no pairs: these columns stay untyped, as they always were
        out = out.astype({c: object for c in ("sides", "trusted_side", "trust_reason")})
    if all(isinstance(t, _TYPED) for t in out.dtypes):  # what convert_dtypes would leave as is
        return out
    return out.convert_dtypes(convert_integer=False, convert_boolean=False)


# dtypes convert_dtypes keeps: the columns are built as it would type them (its copy is skipped)
_TYPED = (pd.CategoricalDtype, pd.Float64Dtype, pd.StringDtype)


def _float64(values: object) -> object:
    """Floats as ``Float64`` (NaN is missing), built directly as ``convert_dtypes`` would."""
    if isinstance(values, pd.Series) and values.dtype == np.float64:
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return pd.arrays.FloatingArray(values, np.isnan(values))
    return values
