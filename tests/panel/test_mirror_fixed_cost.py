"""The mirror flows on arrays against the frames they replaced (issue 14: fixed cost per call).

``retrade.panel.mirror.coded_mirror_flows`` now groups the three flows at once
and joins exports and imports as a sorted union of integer keys, with the
rules computed on arrays; its previous form (a group-by per flow, two pandas
merges, a sort, the rules on Series) is kept here as ``_previous_*`` and run
on the same inputs: the synthetic Comtrade download imported and built, the
real panels of ``../shared/data`` (China's WITS exports; PNNL's Comtrade rows,
both sides of China-USA trade, served as the API serves them) and edge cases
(empty, one row, missing values, monthly rows, several sources, Hong Kong,
re-exports, distrust lists, a stage that differs between the sides).

Tolerance: none (``check_exact=True`` and equal dtypes). The new path sums each
pair with pandas' own sum over the same rows in the same order and applies the
same float operations, so the bits must be the same.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from _outcome import outcome as _run
from replay import ComtradeReplay, pnnl_rows, recorded, v1_types
from retrade.errors import ConfigError, DataQualityWarning
from retrade.panel import mirror as M
from retrade.panel import schema as S
from retrade.panel.coded import coded_panel, mirror_tables, one_per_flow
from retrade.panel.mirror_pairs import array_pairs
from retrade.panel.sources import select_sources

# -- the previous form (retrade.panel.mirror at f6bad89) -----------------------------------------


def _previous_discrepancies(pairs: pd.DataFrame) -> dict[str, object]:
    x, m = pairs["export_value_fob"].astype(float), pairs["import_value_cif"].astype(float)
    wx, wm = pairs["export_weight_kg"].astype(float), pairs["import_weight_kg"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "cif_fob_ratio": m / x.where(x > 0),
            "discrepancy_usd": m - x,
            "discrepancy_rel": (m - x) / ((m + x) / 2).where((m + x) > 0),
            "weight_discrepancy_kg": wm - wx,
            "weight_discrepancy_rel": (wm - wx) / ((wm + wx) / 2).where((wm + wx) > 0),
            "sides": M._choose(
                [x.notna() & m.notna(), x.notna()], ["both", "export_only"], "import_only"
            ),
        }


def _previous_trust(pairs: pd.DataFrame, sides, distrust: set[str], factor: float) -> dict:
    importer_on = pairs["importer"].isin(distrust) if distrust else np.zeros(len(pairs), bool)
    exporter_on = pairs["exporter"].isin(distrust) if distrust else np.zeros(len(pairs), bool)
    importer_bad, exporter_bad = importer_on & ~exporter_on, exporter_on & ~importer_on
    import_est = pairs["import_estimated"].astype("boolean").fillna(False).astype(bool)
    export_est = pairs["export_estimated"].astype("boolean").fillna(False).astype(bool)
    rules = [
        (sides == "export_only", "export", "only the exporter reports this flow"),
        (sides == "import_only", "import", "only the importer reports this flow"),
        (importer_bad, "export", "the importer is on the distrust list"),
        (exporter_bad, "import", "the exporter is on the distrust list"),
        (import_est & ~export_est, "export",
         "the importer's value is estimated, the exporter's is not"),
    ]
    default = ("import", f"importer-reported CIF converted to FOB (/ {factor:g})")
    side = M._choose([r[0] for r in rules], [r[1] for r in rules], default[0])
    reason = M._choose([r[0] for r in rules], [r[2] for r in rules], default[1])
    use_import = np.asarray(side == "import", dtype=bool)
    return {
        "trusted_side": side,
        "trusted_value_fob_usd": np.where(
            use_import, pairs["import_value_cif"] / factor, pairs["export_value_fob"]),
        "trusted_weight_kg": np.where(
            use_import, pairs["import_weight_kg"], pairs["export_weight_kg"]),
        "trust_reason": reason,
    }


def _previous_notes(pairs: pd.DataFrame):
    hk = (pairs["exporter"] == M.HONG_KONG) | (pairs["importer"] == M.HONG_KONG)
    reexport = pairs["reexport_value_usd"].astype(float) > 0
    return M._choose(
        [hk & reexport, hk, reexport],
        ["via Hong Kong: re-exports reported apart (reexport_value_usd); importers book them "
         "by origin",
         "via Hong Kong: importers book Hong Kong re-exports by origin, not as "
         "imports from Hong Kong",
         "the exporter also reports re-exports to this importer "
         "(reexport_value_usd, not in export_value_fob)"],
        pd.NA,
    )


def _previous_coded_mirror_flows(panel, *, cif_fob_factor=M.CIF_FOB_FACTOR, distrust=()):
    """``coded_mirror_flows`` before: ``_coded_pairs``' merged frame and the rules on Series."""
    if not cif_fob_factor > 0:
        raise ConfigError(f"cif_fob_factor must be positive, got {cif_fob_factor}")
    pairs = M._coded_pairs(panel)
    columns = {c: pairs[c] for c in pairs.columns} | _previous_discrepancies(pairs)
    columns |= _previous_trust(pairs, columns["sides"], {str(c).upper() for c in distrust},
                               float(cif_fob_factor))
    columns["note"] = _previous_notes(pairs)
    out = pd.DataFrame({c: M._float64(columns[c]) for c in M.MIRROR_COLUMNS}, index=pairs.index)
    if out.empty:
        out = out.astype({c: object for c in ("sides", "trusted_side", "trust_reason")})
    return out.convert_dtypes(convert_integer=False, convert_boolean=False)


def _same(panel: pd.DataFrame, *, arrays: bool | None = True, **kwargs) -> None:
    """Both forms give the same frame (or error, and the same warnings); ``arrays``: whether
    the new form took the array path (``None``: not checked)."""
    new = _run(M.coded_mirror_flows, panel, **kwargs)
    old = _run(_previous_coded_mirror_flows, panel, **kwargs)
    assert new[1] == old[1]
    if isinstance(old[0], str):
        assert new[0] == old[0]
    else:
        pd.testing.assert_frame_equal(new[0], old[0], check_exact=True)
        assert list(new[0].dtypes) == list(old[0].dtypes)
        for column in new[0].columns:  # categoricals: the same categories, in the same order
            if isinstance(old[0][column].dtype, pd.CategoricalDtype):
                assert new[0][column].cat.categories.equals(old[0][column].cat.categories)
        typed = M.typed_mirror(new[0])
        pd.testing.assert_frame_equal(typed, M.typed_mirror(old[0]), check_exact=True)
    if arrays is not None:
        assert (array_pairs(M._checked(panel)) is not None) == arrays


# -- inputs ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_panel(tmp_path_factory):
    """A synthetic Comtrade download (both flows, re-exports, World rows) imported and built."""
    from retrade.config import load_settings
    from retrade.fetch.files import import_file
    from retrade.panel.build import build_panel
    from retrade.testing import synthetic_comtrade_download

    folder = tmp_path_factory.mktemp("mirror_fixed_cost")
    settings = load_settings(data_dir=folder / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        import_file(synthetic_comtrade_download(folder / "s.csv", rows=3000, seed=5),
                    settings=settings)
        return build_panel(settings=settings).panel


@pytest.fixture
def pnnl_panel(shared, httpserver, tmp_path):
    """PNNL's Comtrade rows for China and the USA (both flows), fetched from a stand-in API."""
    from retrade.config import load_settings
    from retrade.fetch.comtrade import fetch_comtrade, read_comtrade
    from retrade.panel.adapters.comtrade import to_panel
    from retrade.store import RawStore

    body = recorded(shared("comtradr-fixtures"),
                    "data_v1_get_C_A_HS_chn_imports_2010_total_4partners")[2]
    rows = pnnl_rows(shared("pnnl-cmm-data", "comtrade_v1_chn_usa_2846_280530_2020_2024.csv"),
                     v1_types(body))
    ComtradeReplay(rows).install(httpserver)
    settings = load_settings(data_dir=tmp_path, min_interval=0,
                             comtrade_url=httpserver.url_for("/").rstrip("/"))
    fetch_comtrade(reporters="CHN,USA", partners="WLD,CHN,USA", flows="M,X", hs="2846,280530",
                   periods="2020-2024", settings=settings, progress=False, availability=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return S.conform(to_panel(read_comtrade(RawStore(tmp_path / "raw")),
                                  source="comtrade_api"))


def _flows(*records: tuple, **extra) -> pd.DataFrame:
    """Panel rows from ``(reporter, partner, flow, value, kg, cif, fob, estimated)`` tuples."""
    columns = ["reporter", "partner", "flow", "value_usd", "net_weight_kg", "value_cif_usd",
               "value_fob_usd", "value_estimated"]
    rows = pd.DataFrame([dict(zip(columns, r, strict=True)) for r in records])
    base = {"source": "comtrade", "frequency": "A", "period": "2022", "year": 2022,
            "hs6": "280530", "hs_original": "280530", "stage": "metals"}
    return S.conform(rows.assign(**{**base, **extra}))


_EDGE = [
    ("CHN", "JPN", "export", 100.0, 10.0, None, 100.0, False),
    ("JPN", "CHN", "import", 112.0, 11.0, 112.0, None, True),
    ("CHN", "JPN", "export", 5.0, None, None, 0.0, None),  # a second national line
    ("HKG", "JPN", "re-export", 7.0, 1.0, 9.0, 8.0, False),  # re-exports: value_usd
    ("HKG", "JPN", "export", None, 2.0, None, None, False),  # value missing: not a side
    ("JPN", "HKG", "import", 30.0, None, -1.0, None, None),
    ("CHN", "WLD", "export", 900.0, 90.0, None, None, False),  # no mirror
    ("KOR", None, "import", 3.0, 1.0, None, None, False),
    ("USA", "KOR", None, 3.0, 1.0, None, None, False),
    ("USA", "CHN", "import", 0.0, 0.0, 0.0, None, False),
    ("CHN", "USA", "re-import", 4.0, 1.0, None, None, False),
]


# -- the comparisons ------------------------------------------------------------------------------

def test_the_synthetic_build_panel_and_its_coded_view(synthetic_panel):
    panel = synthetic_panel
    view = coded_panel(panel)
    for rows in (panel, one_per_flow(view, panel), panel.iloc[::-1], panel.iloc[::3],
                 view.iloc[::3],  # categories the rows do not all use
                 panel.astype({c: "category" for c in ("reporter", "partner", "hs6")}),
                 panel.astype({"period": pd.CategoricalDtype(["2030", *sorted(
                     panel["period"].unique())[::-1]])})):  # categories out of order
        _same(rows)
    _same(panel, cif_fob_factor=1.1, distrust=["chn", "JPN", "HKG"])
    typed, coded = mirror_tables(one_per_flow(view, panel))
    pd.testing.assert_frame_equal(typed, M.typed_mirror(_previous_coded_mirror_flows(panel)),
                                  check_exact=True)
    assert len(typed) > 100 and set(typed["sides"]) == {"both", "export_only", "import_only"}


def test_real_panels(china_exports_panel, pnnl_panel, synthetic_panel):
    _same(china_exports_panel)
    _same(pnnl_panel, distrust=["USA"])
    both = M.mirror_flows(pnnl_panel)
    assert (both["sides"] == "both").sum() >= 5  # CHN<->USA reported by both sides
    mixed = pd.concat([synthetic_panel, pnnl_panel, china_exports_panel], ignore_index=True)
    _same(mixed, arrays=None)  # several sources for some flows: the same error
    assert "several sources" in _run(M.coded_mirror_flows, mixed)[0]
    _same(select_sources(mixed))
    _same(one_per_flow(coded_panel(mixed), mixed))


def test_edge_cases(synthetic_panel):
    panel = _flows(*_EDGE)
    _same(panel)
    _same(panel, distrust=["jpn"])
    _same(panel, distrust=["CHN", "JPN"], cif_fob_factor=1.0)
    _same(panel, cif_fob_factor=0.0, arrays=True)  # the same error
    _same(panel.iloc[:1])  # one row: an export without its import
    _same(panel.iloc[1:2])  # one import
    _same(panel.iloc[:0], arrays=False)  # empty
    _same(panel.iloc[6:7], arrays=False)  # only a world partner: no pairs
    _same(_flows(*_EDGE, frequency="M", period="2022-03", month=3))  # monthly rows
    stages = ["metals", "oxides", "metals", "metals", None, *["metals"] * 6]
    _same(panel.assign(stage=pd.array(stages, dtype="string")))  # sides on two stages: two rows
    stages[2] = "oxides"  # one side's lines on two stages: the several-sources error
    _same(panel.assign(stage=pd.array(stages, dtype="string")), arrays=False)
    sources = panel.assign(source=pd.array(["comtrade", "wits", *["comtrade"] * 9],
                                           dtype="string"))
    _same(sources)
    _same(sources.assign(source=sources["source"].where(sources.index != 1)))  # no source
    _same(pd.concat([panel, panel.assign(source="wits")], ignore_index=True), arrays=None)
    missing = synthetic_panel.copy()
    for column, step in (("value_usd", 5), ("net_weight_kg", 7), ("stage", 11), ("hs6", 13),
                         ("period", 17), ("value_fob_usd", 3), ("value_estimated", 4)):
        missing.loc[::step, column] = pd.NA
    _same(missing)
    _same(missing.drop(columns=["value_cif_usd", "quantity"]))  # conformed first


def test_keys_too_wide_for_one_integer_take_the_frame_path():
    n, rng = 6000, np.random.default_rng(1)
    letters = [chr(65 + i) for i in range(26)]
    countries = [a + b + c for a in letters for b in letters for c in letters][:700]
    rows = [(c1, c2, f, 1.0 + i % 7, 1.0, None, None, False) for i, (c1, c2, f) in enumerate(zip(
        rng.choice(countries, n), rng.choice(countries, n), rng.choice(["export", "import"], n),
        strict=True))]

    def text(prefix: str, k: int) -> np.ndarray:
        return rng.choice([f"{prefix}{i}" for i in range(k)], n)

    panel = _flows(*rows).assign(period=text("p", 5000), hs6=text("h", 5000),
                                 stage=text("s", 5000), source=text("source", 1000))
    panel = panel.drop_duplicates(["reporter", "partner", "flow", "period", "hs6"])
    _same(panel, arrays=False)  # some 2 * 3500^3 * 700^2 * 1000 keys: past 2^62
    assert len(M.mirror_flows(panel)) > 5000
