"""Every kind of result the public API returns keeps the one results contract (retrade.results).

For each kind: ``_repr_html_`` holds a table, the ``repr`` is one short line,
``tidy()`` is a DataFrame whose columns start with the class's documented
``tidy_columns``, ``summary()`` is a :class:`~retrade.results.Summary`,
``plot()`` returns the Axes it drew on (an array of Axes for a figure of
several panels), ``metadata()`` is a dict; results with a coefficient table
go into maketables' ``ETable`` and keep their pyfixest fit for ``pf.etable``.

Tolerance: exact; these are structural checks (types, columns, identities of
the Axes drawn on), not statistics.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

import retrade as rt
from retrade.forecast import apply_scenarios, backtest, forecast_series, select_model
from retrade.models import breaks, trend
from retrade.models.simulate import element_panel, exposure_panel, gravity_panel, monthly_series
from retrade.results import COEFFICIENT_COLUMNS, REPR_WIDTH, Result, Summary

matplotlib.use("Agg")


def _dual_chain():
    rows = [("JPN", "import", p, "metals", y, v) for y, p, v in (
        ("2010", "CHN", 80.0), ("2010", "VNM", 20.0), ("2011", "CHN", 60.0),
        ("2011", "VNM", 40.0))] + [("CHN", "export", "JPN", "metals", y, v)
                                    for y, v in (("2010", 70.0), ("2011", 50.0))]
    panel = pd.DataFrame(rows, columns=["reporter", "flow", "partner", "stage", "period",
                                        "value_usd"]).assign(net_weight_kg=1.0)
    return rt.dual_chain(panel, importers=["JPN"], bloc=["JPN"], baseline=(2010, 2010))


def _share(n=14):
    years = pd.period_range("2008", periods=n, freq="Y")
    return pd.Series(np.linspace(0.9, 0.6, n) + np.tile([0.02, -0.02], n // 2), index=years,
                     name="JPN compounds")


def _forecast():
    return forecast_series(_share(), model="naive", horizon=3, role="china_share")


def _backtest():
    return backtest(_share(), models=["naive", "ets"], initial=8, horizon=2)


def _kinds():
    panel = exposure_panel(n_partners=15, n_exposed=4, seed=3)
    halt = rt.define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])
    steps = pd.Series(np.r_[np.zeros(10), np.ones(10)] + np.tile([0.1, -0.1], 10),
                      index=range(2000, 2020), name="steps")
    return {
        "did": lambda: rt.exposure_did(panel, "2015 quota removal", hs6="284690",
                                       exposure=rt.top_k(4)),
        "event study": lambda: rt.event_study(panel, "2015 quota removal", hs6="284690",
                                              exposure=rt.top_k(4)),
        "gravity": lambda: rt.gravity(gravity_panel(seed=3), halt),
        "intervention": lambda: rt.intervention(monthly_series(step=-0.2, event="2023-01",
                                                               seed=3),
                                                rt.define_treatment("cut", "2023-01-01"),
                                                horizon=6),
        "element did": lambda: rt.element_did(element_panel(effect=-0.5, seed=3)),
        "element event study": lambda: rt.element_event_study(element_panel(effect=-0.5, seed=3),
                                                              window=(-6, 3)),
        "trend": lambda: trend.hac_trend(steps, breaks=(2010,)),
        "chow": lambda: breaks.chow_test(steps, 2010, model="mean"),
        "chow tests": lambda: rt.chow_tests(steps, (2005, 2010), model="mean"),
        "bai-perron": lambda: rt.bai_perron(steps, model="mean", max_breaks=1),
        "dual chain": _dual_chain,
        "projection": lambda: rt.project_supply("base", n_draws=20, seed=1, horizon=2030),
        "sensitivity": lambda: rt.overseas_share_sensitivity(2024),
        "forecast": _forecast,
        "scenarios": lambda: apply_scenarios(_forecast()),
        "backtest": _backtest,
        "selection": lambda: select_model(_backtest()),
    }


KINDS = _kinds()
MULTI_PANEL = {"dual chain"}
COEFFICIENTS = {"did", "event study", "gravity", "intervention", "element did",
                "element event study", "trend", "chow", "chow tests", "bai-perron"}
PYFIXEST = {"did", "event study", "gravity", "element did", "element event study"}


@pytest.fixture(scope="module")
def results():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: make() for name, make in KINDS.items()}


def test_every_public_result_kind_is_covered(results):
    kinds = {type(r) for r in results.values()}
    names = {cls.__name__ for cls in kinds}
    assert {"DiDResult", "EventStudyResult", "GravityResult", "InterventionResult",
            "ElementDiDResult", "ElementEventStudyResult", "TrendResult", "ChowResult",
            "ChowTests", "BreaksResult", "DualChainResult", "ProjectionResult",
            "SensitivityResult", "ForecastResult", "ScenarioResult", "BacktestResult",
            "ModelChoice"} == names
    assert all(issubclass(k, Result) for k in kinds)


@pytest.mark.parametrize("name", list(KINDS))
def test_result_keeps_the_contract(results, name):
    res = results[name]
    html = res._repr_html_()
    assert "<table>" in html and "</table>" in html
    text = repr(res)
    assert "\n" not in text and len(text) <= REPR_WIDTH
    assert text.startswith(f"<{type(res).__name__}: ")
    tidy = res.tidy()
    assert isinstance(tidy, pd.DataFrame) and len(tidy) >= 1
    documented = list(type(res).tidy_columns)
    assert list(tidy.columns[: len(documented)]) == documented
    summary = res.summary()
    assert type(summary) is Summary and str(summary).startswith(summary.title)
    assert summary._repr_html_() == html
    assert isinstance(res.metadata(), dict)


@pytest.mark.parametrize("name", list(KINDS))
def test_plot_returns_the_axes_it_drew_on(results, name):
    res = results[name]
    drawn = res.plot()
    if name in MULTI_PANEL:
        assert isinstance(drawn, np.ndarray) and all(isinstance(a, Axes) for a in drawn.flat)
        _, given = plt.subplots(1, drawn.size)
        assert list(res.plot(ax=given)) == list(given)
    else:
        assert isinstance(drawn, Axes)
        _, given = plt.subplots()
        assert res.plot(ax=given) is given
    plt.close("all")


@pytest.mark.parametrize("name", sorted(COEFFICIENTS))
def test_coefficient_results_go_into_maketables(results, name):
    import maketables as mt

    res = results[name]
    assert list(res.tidy().columns[:7]) == list(COEFFICIENT_COLUMNS)
    table = mt.ETable([res], model_stats=["N"]).df
    assert len(table.loc["coef"]) == len(res.tidy())


@pytest.mark.parametrize("name", sorted(PYFIXEST))
def test_estimation_results_keep_their_pyfixest_fit(results, name):
    import pyfixest as pf

    res = results[name]
    table = pf.etable([res.fit], type="df")
    assert f"{res.info.n_obs:,}" in table.to_string()
    np.testing.assert_allclose(res.fit.coef().to_numpy(), res.tidy()["estimate"], rtol=0)


def test_a_result_without_coefficients_is_not_a_maketables_model(results):
    assert not hasattr(results["forecast"], "__maketables_coef_table__")
    assert hasattr(results["did"], "__maketables_coef_table__")
