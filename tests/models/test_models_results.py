"""The results contract every model keeps: tidy, summary, plot, export, metadata, compare.

Tolerance: exact; these are structural checks (columns, round trips through CSV
text at full precision, labels), not statistics.
"""

from __future__ import annotations

import dataclasses
import io

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from retrade.models import (
    compare,
    define_treatment,
    event_study,
    exposure_did,
    gravity,
    intervention,
    top_k,
)
from retrade.models.results import TIDY_COLUMNS
from retrade.models.simulate import exposure_panel, gravity_panel, monthly_series

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def results():
    panel = exposure_panel(n_partners=20, n_exposed=5, seed=2)
    halt = define_treatment("halt", "2016-01-01", hs6=["284690"], partners=["JPN", "USA"])
    return {
        "did": exposure_did(panel, "2015 quota removal", hs6="284690", exposure=top_k(5)),
        "ppml": exposure_did(panel, "2015 quota removal", hs6="284690", exposure=top_k(5),
                             outcome="ppml"),
        "es": event_study(panel, "2015 quota removal", hs6="284690", exposure=top_k(5)),
        "gravity": gravity(gravity_panel(seed=2), halt),
        "intervention": intervention(monthly_series(step=-0.2, event="2023-01", seed=2),
                                     define_treatment("cut", "2023-01-01"), horizon=6),
    }


@pytest.mark.parametrize("name", ["did", "ppml", "es", "gravity", "intervention"])
def test_every_result_keeps_the_contract(results, name):
    res = results[name]
    tidy = res.tidy()
    assert tuple(tidy.columns) == TIDY_COLUMNS and len(tidy) >= 1
    meta = res.tidy(meta=True)
    assert {"n_obs", "fixed_effects", "cluster"} <= set(meta.columns)
    assert (meta["n_obs"] == res.info.n_obs).all()
    text = str(res.summary())
    for needed in (res.info.model, f"{res.info.n_obs:,}", res.info.vcov, "Caveats"):
        assert needed in text
    assert "<table>" in res.summary()._repr_html_()
    back = pd.read_csv(io.StringIO(res.to_csv()))
    pd.testing.assert_series_equal(back["estimate"], tidy["estimate"], check_exact=False,
                                   rtol=1e-12)
    latex = res.to_latex()
    assert latex.startswith(r"\begin{tabular}") and r"\end{tabular}" in latex
    assert res.plot() is not None
    plt.close("all")
    metadata = res.metadata()
    assert {"spec", "n_obs", "fixed_effects", "cluster", "data_vintage"} <= set(metadata)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.caveats = ()


def test_tidy_is_a_copy(results):
    res = results["did"]
    table = res.tidy()
    table.loc[0, "estimate"] = 99.0
    assert res.tidy().loc[0, "estimate"] != 99.0


def test_compare_sets_results_side_by_side(results):
    table = compare([results["did"], results["ppml"]], labels=["ln(1+y)", "PPML"])
    assert list(table.columns) == ["", "ln(1+y)", "PPML"]
    assert table.iloc[0, 0] == "post:exposure"
    assert table.iloc[1, 1].startswith("(") and table.iloc[1, 2].startswith("(")
    rows = dict(zip(table[""], table["PPML"], strict=False))
    assert rows["N"] == f"{results['ppml'].info.n_obs:,}"
    assert "partner" in rows["cluster"]
    with pytest.raises(ValueError, match="labels"):
        compare([results["did"]], labels=["a", "b"])


def test_event_study_plot_marks_the_reference_period(results):
    es = results["es"]
    table = es.event_table()
    assert table.loc[table["reference"], "event_time"].tolist() == [-1]
    ax = es.plot()
    assert ax.get_xlabel() == "periods relative to event"
    plt.close("all")
    assert "pre-trend test" in str(es.summary())
