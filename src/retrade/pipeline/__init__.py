"""The quarterly pipeline: one call fetches, builds, analyses and writes ``reports/<quarter>/``.

:func:`run_quarterly` is the only place in retrade that chains the stages
(fetch -> store -> panel -> models/forecast -> report). Each analysis lives in
its own module and returns what the report shows:

====================  ================================================================
module                section
====================  ================================================================
``fetching``          Data updates (the fetch step)
``coverage``          Data coverage and quality (table ``data_coverage``)
``restrictions``      Export restrictions (2015 quota removal DiD, 2023 technology ban)
``dual``              Dual-chain dependency (China's share of allied imports, breaks)
``capacity``          Overseas capacity against demand (the 28%, projections)
``forecasts``         Forecasts and scenarios (table ``forecasts``)
``context``           Policy timeline and published figures
``changes``           What changed since last quarter
====================  ================================================================

From the command line: ``retrade run [--offline] [--quarter 2026Q4]``.
"""

from retrade.pipeline.fetching import CensusPlan, ComtradePlan, FetchPlan, SourceFetch
from retrade.pipeline.run import (
    SECTION_KEYS,
    SECTIONS,
    RunResult,
    SectionOutcome,
    current_quarter,
    run_quarterly,
)
from retrade.pipeline.steps import StepTiming

__all__ = [
    "SECTIONS",
    "SECTION_KEYS",
    "CensusPlan",
    "ComtradePlan",
    "FetchPlan",
    "RunResult",
    "SectionOutcome",
    "SourceFetch",
    "StepTiming",
    "current_quarter",
    "run_quarterly",
]
