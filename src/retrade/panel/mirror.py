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

CIF_FOB_FACTOR = 1.06
HONG_KONG = "HKG"
PAIR: tuple[str, ...] = (S.FREQUENCY, S.PERIOD, S.HS6, "exporter", "importer")
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
