"""retrade: rare-earth trade data, econometrics and forecasting.

``import retrade as rt`` gives the verbs of the workflow; each loads its
module (and heavy dependencies such as pyfixest or prophet) on first use.

=====================  ===============================================================
fetch and import       :func:`fetch_comtrade`, :func:`fetch_census`, :func:`import_file`,
                       :func:`read_file`
the panel              :func:`build_panel`, :func:`load_panel`, :func:`load_monthly`,
                       :func:`load_importer_totals`, :func:`query`, :func:`balanced_panel`
series                 :func:`as_series`, :class:`Series`, :func:`china_import_share`
export restrictions    :func:`treatments`, :func:`treatment`, :func:`define_treatment`,
                       :func:`top_k`, :func:`baseline_share`, :func:`exposure_did`,
                       :func:`event_study`, :func:`intervention`, :func:`placebos`,
                       :func:`event_index`, :func:`gravity`, :func:`compare`
dual chain, capacity   :func:`dual_chain`, :func:`overseas_share_sensitivity`,
                       :func:`project_supply`, :func:`chow_tests`, :func:`bai_perron`,
                       :func:`hac_trend`
elements, provinces    :func:`element_catalog`, :func:`load_elements`, :func:`element_did`,
                       :func:`element_event_study`, :func:`load_provinces`,
                       :func:`province_shares`
forecasts              :func:`forecast_series`, :func:`backtest`, :func:`select_model`,
                       :func:`apply_scenarios`
the quarterly report   :func:`run_quarterly`
catalog, settings      :func:`hs_codes`, :func:`to_iso3`, :func:`load_settings`,
                       :class:`Settings`
errors                 :class:`RetradeError`, :class:`RetradeWarning`
=====================  ===============================================================

Every result these return keeps one contract (:mod:`retrade.results`):
``.tidy()``, ``.summary()``, ``.plot()``, ``.metadata()``, and a table when
shown in Jupyter. The bundled reference facts are in :mod:`retrade.reference`.

>>> import retrade as rt
>>> rt.hs_codes("compounds")
['284610', '284690']
"""

from __future__ import annotations

import importlib
from typing import Any

from retrade.catalog import hs_codes, to_iso3
from retrade.config import Settings, load_settings
from retrade.errors import RetradeError, RetradeWarning

__version__ = "0.1.0"

# public name -> (module, attribute); loaded on first access so `import retrade` stays light
_LAZY: dict[str, tuple[str, str]] = {
    "fetch_comtrade": ("retrade.fetch.comtrade", "fetch_comtrade"),
    "fetch_census": ("retrade.fetch.census", "fetch_census"),
    "import_file": ("retrade.fetch.files", "import_file"),
    "read_file": ("retrade.fetch.files", "read_file"),
    "build_panel": ("retrade.panel.build", "build_panel"),
    "load_panel": ("retrade.panel.query", "load_panel"),
    "load_monthly": ("retrade.panel.query", "load_monthly"),
    "load_importer_totals": ("retrade.panel.query", "load_importer_totals"),
    "load_elements": ("retrade.panel.query", "load_elements"),
    "load_provinces": ("retrade.panel.query", "load_provinces"),
    "element_catalog": ("retrade.catalog.elements", "element_lines"),
    "element_did": ("retrade.models.elements", "element_did"),
    "element_event_study": ("retrade.models.elements", "element_event_study"),
    "province_shares": ("retrade.panel.elements", "province_shares"),
    "query": ("retrade.panel.query", "query"),
    "balanced_panel": ("retrade.panel.balance", "balanced_panel"),
    "treatments": ("retrade.models.events", "treatments"),
    "treatment": ("retrade.models.events", "treatment"),
    "define_treatment": ("retrade.models.events", "define_treatment"),
    "exposure_did": ("retrade.models.did", "exposure_did"),
    "event_study": ("retrade.models.did", "event_study"),
    "intervention": ("retrade.models.intervention", "intervention"),
    "placebos": ("retrade.models.intervention", "placebos"),
    "event_index": ("retrade.models.intervention", "event_index"),
    "gravity": ("retrade.models.gravity", "gravity"),
    "compare": ("retrade.results", "compare"),
    "top_k": ("retrade.models.exposure", "top_k"),
    "baseline_share": ("retrade.models.exposure", "baseline_share"),
    "dual_chain": ("retrade.models.dual_chain", "dual_chain"),
    "overseas_share_sensitivity": ("retrade.models.capacity", "overseas_share_sensitivity"),
    "project_supply": ("retrade.models.capacity_scenarios", "project_supply"),
    "chow_tests": ("retrade.models.breaks", "chow_tests"),
    "bai_perron": ("retrade.models.breaks", "bai_perron"),
    "hac_trend": ("retrade.models.trend", "hac_trend"),
    "forecast_series": ("retrade.forecast", "forecast_series"),
    "backtest": ("retrade.forecast", "backtest"),
    "select_model": ("retrade.forecast", "select_model"),
    "apply_scenarios": ("retrade.forecast", "apply_scenarios"),
    "china_import_share": ("retrade.panel.china", "china_import_share"),
    "as_series": ("retrade.panel.series", "as_series"),
    "Series": ("retrade.panel.series", "Series"),
    "run_quarterly": ("retrade.pipeline", "run_quarterly"),
}

__all__ = [
    "RetradeError",
    "RetradeWarning",
    "Settings",
    "hs_codes",
    "load_settings",
    "to_iso3",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'retrade' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
