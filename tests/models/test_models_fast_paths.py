"""Whole-column code in the model paths against the per-cell and per-group code it replaced.

The previous implementations live in ``tests/_previous.py``. Tolerances, and why:

* balanced panels: text, flags, counts and dtypes exactly equal; sums of value
  and weight to rtol 1e-12 (a built-in group sum may add the same floats in
  another order than ``Series.sum``);
* collinearity: the same list of absorbed terms (the residual of a term on the
  fixed effects is computed by the same pyfixest demeaner, all terms at once
  instead of one regression each);
* Poisson counterfactual predictions: rtol 1e-8 (both solve the same least
  squares for the fixed effects with LSQR at 1e-12; the dummy matrix is built
  from codes instead of a formula, so sums run in another order);
* dependency shares: rtol 1e-12 (sums of the same rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import _previous as previous
from _outcome import outcome as _run
from retrade.models import gravity as _gravity_function  # noqa: F401  (import order)
from retrade.models.gravity import interacted
from retrade.models.inference import collinear_with_fixed_effects
from retrade.models.poisson import poisson_predict
from retrade.models.simulate import exposure_panel, gravity_panel
from retrade.panel.balance import balanced_panel


def _same_balance(panel: pd.DataFrame, **kwargs) -> None:
    new, new_warnings = _run(balanced_panel, panel, **kwargs)
    old, old_warnings = _run(previous.balanced_panel, panel, **kwargs)
    assert new_warnings == old_warnings
    if isinstance(old, str):
        assert new == old
        return
    pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-12)


def _hand_rows() -> pd.DataFrame:
    rows = [
        ("wits", "2014", "CHN", "JPN", "280530", 5.0, 1.0),
        ("comtrade_api", "2014", "CHN", "JPN", "280530", 2.0, np.nan),  # second source, same cell
        ("wits", "2014", "CHN", "WLD", "280530", 9.0, 2.0),
        ("wits", "2015", "CHN", "JPN", "284690", 1.0, np.nan),
        ("wits", "2015", "CHN", "USA", "280530", 2.0, 1.0),
        ("wits", "2016", "CHN", "USA", "280530", 1.0, 0.1),  # a collapse year for the flag
        ("wits", "2017", "CHN", "USA", "280530", 3.0, 1.0),
        ("wits", "2019", "CHN", "KOR", "280530", 3.0, 1.0),  # 2018: a gap
        ("wits", "2015", "USA", "CHN", "280530", 4.0, 1.0),
        ("census", "2015", "USA", "EUN", "280530", 4.0, 1.0),  # a group partner
    ]
    df = pd.DataFrame(rows, columns=["source", "period", "reporter", "partner", "hs6",
                                     "value_usd", "net_weight_kg"])
    return df.assign(frequency="A", flow="export", year=df["period"].astype(int))


def _monthly_rows() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    periods = [str(p) for p in pd.period_range("2019-01", "2021-12", freq="M")]
    grid = pd.MultiIndex.from_product([periods, ["JPN", "USA", "KOR"], ["280530", "284690"]],
                                      names=["period", "partner", "hs6"]).to_frame(index=False)
    grid = grid.sample(frac=0.8, random_state=1).reset_index(drop=True)
    return grid.assign(source=np.where(rng.random(len(grid)) < 0.3, "comtrade_api", "wits"),
                       frequency="M", flow="export", reporter="CHN",
                       year=grid["period"].str[:4].astype(int),
                       month=grid["period"].str[5:7].astype(int),
                       value_usd=rng.uniform(1, 10, len(grid)),
                       net_weight_kg=np.where(rng.random(len(grid)) < 0.1, np.nan, 1.0))


CASES = {
    "hand": (_hand_rows, [{}, {"by_hs6": True}, {"reporter": "CHN", "partners": ["JPN", "DEU"]},
                          {"drop_years": [2016]}, {"hs6": ["280530"], "reporter": ["CHN", "USA"]},
                          {"hs6": "999999"}]),
    "monthly": (_monthly_rows, [{"frequency": "M"}, {"frequency": "M", "by_hs6": True}]),
    "exposure": (lambda: exposure_panel(n_partners=40, seed=2), [{}, {"drop_years": [2013]}]),
    "gravity": (lambda: gravity_panel(hs6=("284690", "280530"), seed=3),
                [{}, {"by_hs6": True}, {"hs6": "280530"}]),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dtype", ["object", "string"])
def test_balanced_panel_equals_the_previous_one(case, dtype):
    make, options = CASES[case]
    panel = make()
    if dtype == "string":
        text = panel.select_dtypes(object).columns
        panel = panel.astype(dict.fromkeys(text, "string"))
    for kwargs in options:
        _same_balance(panel, **kwargs)


def test_balanced_panel_equals_the_previous_one_on_real_data(china_exports_panel):
    for kwargs in ({"hs6": "284690", "reporter": "CHN"}, {"hs6": ["280530", "284690"]},
                   {"hs6": ["280530", "284690", "850511"], "by_hs6": True}):
        _same_balance(china_exports_panel, **kwargs)


def test_collinearity_check_equals_one_regression_per_term():
    rng = np.random.default_rng(0)
    n_g, n_t = 30, 8
    d = pd.DataFrame({"g": np.repeat(np.arange(n_g), n_t), "t": np.tile(np.arange(n_t), n_g)})
    d["by_group"] = rng.normal(size=n_g)[d["g"]]          # absorbed by g
    d["by_time"] = rng.normal(size=n_t)[d["t"]]           # absorbed by t
    d["sum"] = d["by_group"] + 2 * d["by_time"]           # absorbed by both
    d["free"] = rng.normal(size=len(d))
    d["almost"] = d["by_group"] + 1e-3 * rng.normal(size=len(d))
    d["constant"] = 1.0
    d["g"] = d["g"].map("p{}".format)
    terms = ["by_group", "by_time", "sum", "free", "almost", "constant"]
    for fe in ("g + t", "g", "t"):
        assert collinear_with_fixed_effects(d, terms, fe) == \
            previous.collinear_with_fixed_effects(d, terms, fe)


def test_interacted_keys_equal_the_row_wise_join():
    panel = gravity_panel(hs6=("284690", "280530"), seed=4)
    panel.loc[panel.index[:5], "partner"] = "A|B"  # a separator inside a value
    for columns in (("reporter", "year"), ("reporter", "partner", "hs6"), ("hs6",)):
        new = interacted(panel, *columns)
        old = previous.gravity_key(panel, *columns)
        assert list(new.astype(str)) == old.tolist()
        assert list(new.categories) == sorted(set(old))


@pytest.mark.parametrize("regressor", [False, True])
@pytest.mark.parametrize("categorical", [False, True])
def test_poisson_predictions_equal_the_previous_ones(regressor, categorical):
    import pyfixest as pf

    panel = gravity_panel(seed=5).rename(columns={"reporter": "e", "partner": "i",
                                                  "value_usd": "y"})
    fe = ("ey", "iy", "pair")
    for name, cols in zip(fe, (("e", "year"), ("i", "year"), ("e", "i")), strict=True):
        panel[name] = interacted(panel, *cols) if categorical else \
            previous.gravity_key(panel, *cols)
    panel["r"] = ((panel["e"] == "CHN") & panel["i"].isin(["JPN", "USA"])
                  & (panel["year"] >= 2016)).astype(float)
    untreated, treated = panel[panel["r"] == 0], panel[panel["r"] == 1]
    formula = f"y ~ {'r' if regressor else '1'} | {' + '.join(fe)}"
    data = panel if regressor else untreated
    fit = pf.fepois(formula, data=data, iwls_tol=1e-10)
    target = treated if not regressor else panel.iloc[::7]
    new = poisson_predict(fit, fe, target)
    old = previous.poisson_predict(fit, fe, target)
    assert np.isfinite(new).all()
    np.testing.assert_allclose(new, old, rtol=1e-8)


def _import_panel(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    reporters = ["USA", "JPN", "DEU", "FRA", "VNM", "MYS", "THA"]
    partners = ["CHN", "VNM", "MYS", "THA", "EST", "AUS", "DEU", "FRA", "WLD", "XNS", "EUN", "JPN"]
    grid = pd.MultiIndex.from_product(
        [reporters, partners, ["metals", "magnets"], [str(y) for y in range(2015, 2021)]],
        names=["reporter", "partner", "stage", "period"]).to_frame(index=False)
    grid = grid[grid["reporter"] != grid["partner"]].sample(frac=0.85, random_state=seed)
    value = rng.lognormal(3, 1, len(grid)) * np.where(grid["partner"] == "CHN", 8.0, 1.0)
    value[rng.random(len(grid)) < 0.05] = np.nan
    return grid.assign(flow="import", value_usd=value, net_weight_kg=1.0).reset_index(drop=True)


@pytest.mark.parametrize("options", [
    {"importers": ["USA", "JPN", "EU27"]},
    {"importers": ["USA", "EU27"], "conduits": ["VNM", "MYS", "DEU", "VNM"]},
    {"importers": ["JPN"], "threshold": 0.3, "level": "stage"},
    {"importers": ["USA"], "candidates": ["VNM", "EST"], "threshold": 0.9},
], ids=str)
def test_third_country_routing_equals_the_loop_over_groups(options):
    from retrade.models.dependency import third_country_routing

    panel = _import_panel()
    new = third_country_routing(panel, **options)
    old = previous.third_country_routing(panel, **options)
    assert len(new) > 0
    pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-12)


def test_classify_partner_equals_the_per_row_lambda():
    from retrade.models.dependency import classify_partner

    partners = pd.Series(["CHN", "VNM", "XNS", "AUS", "WLD", "EUN", None, "XOA", "vnm"])
    for values in (partners, partners.astype("string"), partners.fillna(np.nan)):
        pd.testing.assert_series_equal(classify_partner(values, ["VNM", "MYS"]),
                                       previous.classify_partner(values, ["VNM", "MYS"]))


# -- exposure designs: the frame, the exposure and the fit ----------------------------------------

DESIGN_OPTIONS = dict(hs6="284690", reporter="CHN", flow="export", frequency="A",
                      outcome="log1p", measure="value_usd", exposure=None, timing="full",
                      years=None, drop_years=())


def _design_cases():
    from retrade.models.exposure import baseline_share, named, top_k

    yield {}
    yield {"outcome": "ppml", "exposure": top_k(5, exclude=("VNM",))}
    yield {"outcome": "log", "measure": "net_weight_kg", "exposure": baseline_share()}
    yield {"outcome": "share", "exposure": top_k(8, by="share"), "years": (2011, 2018)}
    yield {"outcome": "unit_value", "exposure": named(["JPN", "KOR"]), "drop_years": (2013,)}
    yield {"exposure": top_k(6, by="net_weight_kg", exclude=("JPN",))}


@pytest.mark.parametrize("case", range(6))
def test_exposure_design_equals_the_previous_one(case):
    import _previous_models as prev
    from retrade.models.design import build_design

    panel = exposure_panel(n_partners=40, seed=2)
    panel.loc[panel.index[::9], "value_usd"] = 0.0  # zeros, for the outcomes that drop them
    options = {**DESIGN_OPTIONS, **list(_design_cases())[case]}
    new, new_warnings = _run(build_design, panel, "2015 quota removal", **options)
    old, old_warnings = _run(prev.build_design, panel, "2015 quota removal", **options)
    assert new_warnings == old_warnings
    assert not isinstance(old, str), old
    pd.testing.assert_frame_equal(new.data, old.data, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(new.exposure.table, old.exposure.table, check_exact=False,
                                  rtol=1e-12)
    assert (new.exposure.excluded, new.outcome, new.sample, new.vintage, new.caveats) == \
        (old.exposure.excluded, old.outcome, old.sample, old.vintage, old.caveats)


def test_data_vintage_equals_the_previous_one():
    import _previous_models as prev
    from retrade.models.results import data_vintage

    panel = exposure_panel(n_partners=12, seed=1).assign(batch="b1")
    panel.loc[panel.index[:4], ["source", "batch", "period"]] = None
    panel.loc[panel.index[4:9], "batch"] = ["b2", "b3", "b4", "b5", ""]
    string = panel.astype({c: "string" for c in ("source", "batch", "period")})
    for frame in (panel, string, panel.drop(columns="batch"), panel.iloc[:0]):
        for rows in (None, frame["partner"].isin(["JPN", "KOR"]),
                     pd.Series(False, index=frame.index)):
            assert data_vintage(frame, rows) == prev.data_vintage(frame, rows)


@pytest.mark.parametrize("extra", [None, "by_time", "by_partner", "both"])
@pytest.mark.parametrize("outcome", ["log1p", "ppml"])
def test_exposure_fit_equals_the_previous_one(extra, outcome):
    """One fit whose demeaned terms show absorption against the term-by-term check first."""
    import _previous_models as prev
    from retrade.models.design import build_design, exposure_dummies
    from retrade.models.did import _fit

    panel = exposure_panel(n_partners=30, seed=4)
    design = build_design(panel, "2015 quota removal", **{**DESIGN_OPTIONS, "outcome": outcome})
    data, columns = exposure_dummies(design.data, (-3, 3), -1)
    terms = list(columns)
    if extra in ("by_time", "both"):
        data["by_time"] = data["t"] * 0.5
        terms.append("by_time")
    if extra in ("by_partner", "both"):
        data["by_partner"] = data["exposure"] * 2.0
        terms.insert(0, "by_partner")
    for cluster in ("partner", ("partner", "t"), None):
        new, new_warnings = _run(_fit, data, terms, design, cluster, "fixest")
        old, old_warnings = _run(prev.fit_model, data, terms, design, cluster, "fixest")
        assert new_warnings == old_warnings
        assert new[2] == old[2] and new[1] == old[1]
        for name in ("coef", "se", "pvalue"):
            np.testing.assert_allclose(getattr(new[0], name)(), getattr(old[0], name)(),
                                       rtol=1e-8, atol=1e-12)
        assert int(new[0]._N) == int(old[0]._N)


def test_exposure_fit_errors_equal_the_previous_ones():
    import _previous_models as prev
    from retrade.models.design import build_design
    from retrade.models.did import _fit

    design = build_design(exposure_panel(n_partners=20, seed=5), "2015 quota removal",
                          **DESIGN_OPTIONS)
    data = design.data.assign(flat=1.0, one=0.0)
    for terms, cluster in ((["flat"], "partner"), (["flat"], "nope"), (["post"], "partner"),
                           (["exposure"], "partner"), (["flat", "exposure"], "nope")):
        new = _run(_fit, data, terms, design, cluster, "fixest")
        old = _run(prev.fit_model, data, terms, design, cluster, "fixest")
        assert isinstance(new[0], str) and new == old


def test_gravity_keys_from_shared_codes_equal_the_row_wise_join():
    from retrade.models.gravity import _fixed_effects

    panel = gravity_panel(hs6=("284690", "280530"), seed=4).rename(
        columns={"reporter": "exporter", "partner": "importer"})
    data = panel.copy()
    fe = _fixed_effects(data, True)
    pairs = {"exp_year": ("exporter", "year"), "imp_year": ("importer", "year"),
             "pair": ("exporter", "importer"), "pair_hs6": ("exporter", "importer", "hs6"),
             "hs6_year": ("hs6", "year")}
    assert fe == ("exp_year", "imp_year", "pair_hs6", "hs6_year")
    for name, columns in pairs.items():
        assert list(data[name].astype(str)) == previous.gravity_key(panel, *columns).tolist()


@pytest.mark.parametrize("cells", [[0, 1, 2, 3, 4, 5], [0, 0, 1, 2, 2, 3], [5, 3, 4, 0, 1, 2]])
def test_cell_sums_equal_the_group_sum(cells):
    from retrade.panel.balance import _cell_sums

    values = np.array([-0.0, np.nan, 2.5, np.inf, 1e-300, -3.0])
    cell = np.array(cells)
    order = np.argsort(cell, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(cell[order]) != 0])
    new = _cell_sums(values, cell, order, starts)
    old = pd.Series(values).groupby(cell, sort=True).sum(min_count=1).to_numpy()
    np.testing.assert_array_equal(new, old)
    assert list(np.signbit(new)) == list(np.signbit(old))


def test_tidy_columns_equal_pyfixest_accessors():
    """One ``fit.tidy()`` read for the columns ``coef()``, ``se()``, ``tstat()``, ``pvalue()``
    each recompute: the same numbers, exactly."""
    from retrade.models import event_study, gravity
    from retrade.models.events import define_treatment

    halt = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])
    for res in (event_study(exposure_panel(n_partners=30, seed=4), "2015 quota removal",
                            hs6="284690"), gravity(gravity_panel(seed=2), halt)):
        tidy = res.tidy()
        fit = res.fit
        for column, accessor in (("estimate", fit.coef), ("std_error", fit.se),
                                 ("statistic", fit.tstat), ("p_value", fit.pvalue)):
            np.testing.assert_array_equal(tidy[column].to_numpy(), accessor().to_numpy())


@pytest.mark.parametrize("window", [None, (-3, 2)])
def test_event_study_equals_the_previous_design_and_fit(window):
    """Dummies handed to pyfixest as extra columns (no copy of the design frame) against the
    previous design and fit on the copied frame."""
    import _previous_models as prev
    from retrade.models import event_study
    from retrade.models.design import exposure_dummies

    panel = exposure_panel(n_partners=30, seed=6)
    new = event_study(panel, "2015 quota removal", hs6="284690", window=window)
    design = prev.build_design(panel, "2015 quota removal", **DESIGN_OPTIONS)
    data, columns = exposure_dummies(design.data, window, -1)
    fit, _, terms = prev.fit_model(data, list(columns), design, "partner", "fixest")
    assert new.event_times == tuple(columns[c] for c in terms)
    np.testing.assert_allclose(new.tidy()["estimate"], fit.coef()[terms], rtol=1e-8)
    np.testing.assert_allclose(new.tidy()["std_error"], fit.se()[terms], rtol=1e-8)


@pytest.mark.parametrize("outcome", ["log1p", "log", "ppml", "share"])
def test_exposure_did_equals_the_previous_design_and_fit(outcome):
    """Partner keys from the design's codes (no second hashing) against the previous path."""
    import _previous_models as prev
    from retrade.models import exposure_did
    from retrade.models.design import build_design
    from retrade.models.did import _as_key, _from_codes

    panel = exposure_panel(n_partners=30, seed=7)
    panel.loc[panel.index[::7], "value_usd"] = 0.0
    options = {**DESIGN_OPTIONS, "outcome": outcome}
    design = build_design(panel, "2015 quota removal", **options)
    if design.partner_codes is not None:
        new_key = _from_codes(design.data["partner"], design.partner_codes)
        pd.testing.assert_series_equal(new_key, _as_key("partner", design.data["partner"], []))
    new = exposure_did(panel, "2015 quota removal", hs6="284690", outcome=outcome)
    old_design = prev.build_design(panel, "2015 quota removal", **options)
    data = old_design.data.assign(treat=old_design.data["post"] * old_design.data["exposure"])
    fit, _, _ = prev.fit_model(data, ["treat"], old_design, "partner", "fixest")
    np.testing.assert_allclose(new.tidy()["estimate"], fit.coef(), rtol=1e-8)
    np.testing.assert_allclose(new.tidy()["std_error"], fit.se(), rtol=1e-8)
    assert new.info.sample == old_design.sample and int(new.fit._N) == int(fit._N)
