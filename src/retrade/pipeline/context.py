"""Section 'Policy timeline and published figures': bundled facts beside the estimates.

The policy events of :func:`retrade.reference.policy_events` (quotas,
export controls, the WTO case, regulations, allies' measures), the curated
treatments the models use (:func:`retrade.models.treatments`), and the
published figures that the dependency estimates can be compared with
(:func:`retrade.reference.load` ``("published_estimates")``: import shares
from China, US net import reliance). Bundled data only: runs everywhere.
"""

from __future__ import annotations

import retrade.reference as ref
from retrade.models.events import treatments
from retrade.pipeline.data import Body, RunData
from retrade.pipeline.labels import POLICY_SOURCE
from retrade.report import ReportTable

# published estimates that the dependency and forecast sections can be held against
COMPARABLE = ("import_share_from_china", "net_import_reliance", "trade_share_china")


def policy_timeline():
    """``date, actor, event_type, description, source`` of every bundled event, newest first."""
    events = ref.policy_events().sort_values("date_start", ascending=False, kind="stable")
    return events[["date", "actor", "event_type", "description", "source"]].reset_index(drop=True)


def published_shares():
    """Published import shares from China and US net import reliance, with their sources."""
    table = ref.load("published_estimates")
    keep = table["estimate_name"].str.contains("|".join(COMPARABLE), regex=True)
    columns = ["estimate_name", "year", "value", "unit", "study", "status"]
    return (table.loc[keep, columns].sort_values(["estimate_name", "year"], kind="stable")
            .reset_index(drop=True))


def section(data: RunData, options) -> Body:
    curated = treatments()
    published = published_shares()
    timeline = policy_timeline()
    text = (f"The timeline lists {len(timeline)} dated measures, newest first, each with its "
            f"source; the latest is dated {timeline['date'].iloc[0]}. "
            f"{len(published)} published figures on China's share of Japan's, the US's and "
            "Korea's imports and on US import reliance are listed for comparison with the "
            "dual-chain shares; definitions differ (tonnes or value, HS lines, years), so "
            "compare orders of magnitude, not decimals. The appendix shows how the events the "
            "models estimate map to HS lines and partners.")
    tables = (
        ReportTable("policy_timeline", timeline, "Policy timeline, newest first", POLICY_SOURCE,
                    labels={"event_type": "kind"}),
        ReportTable("published_shares", published,
                    "Published import shares and reliance figures to compare with",
                    "the studies named in each row (bundled table of published estimates).",
                    {"value": "number:1"}),
        ReportTable("treatments", curated[["name", "date", "end", "direction", "hs6", "partners"]],
                    "Events as the models use them (treatments)", POLICY_SOURCE, appendix=True),
    )
    return Body(text, tables)
