"""Sourcing-optimiser results for people and programs: formats, never computes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from critmin.models.base import Result

PLAN_COLUMNS = ["supplier", "internal", "excluded", "quantity_t", "share", "quantity_t_baseline",
                "share_baseline", "new_supply_t", "capacity_t", "unit_cost_usd_per_t",
                "cost_method", "risk_index", "at_cap", "at_capacity"]
COST_COLUMNS = ["demand_t", "covered_t", "unmet_t", "plan_cost_usd", "cheapest_cost_usd",
                "baseline_cost_usd", "cost_increase_usd", "cost_increase_share", "unmet_reason"]
FRONTIER_COLUMNS = ["cap_share", "objective_usd", "cost_increase_usd", "cost_usd", "unmet_t",
                    "largest_share"]


def result_document(result: Result) -> dict[str, Any]:
    """The one JSON document of a result (:func:`critmin.reports.result.result_document`),
    with the headline lines as a list."""
    from critmin.reports.result import result_document as document

    return {**document(result), "headline": list(result.headline)}


def views(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """Titled tables for people (what ``critmin run`` prints for ``model: sourcing``)."""
    cost = result.table("cost")
    out = [("Plan", plan_table(result)), ("Cost", cost[_keys(cost) + COST_COLUMNS]),
           ("Binding constraints (shadow prices)", shadow_table(result))]
    front = frontier_table(result)
    if front is not None:
        out.append(("De-risking frontier: cost against the cap", front))
        out.append(("Cost against the number of excluded suppliers", result.table("frontier_exclusions")))
    if "equilibrium" in result.tables:
        out.append(("Re-priced by the PE model", result.table("equilibrium")))
    return out


def plan_table(result: Result) -> pd.DataFrame:
    """The plan by supplier: suppliers with purchases in the plan or the baseline."""
    frame = result.table("suppliers")
    frame = frame[(frame["quantity_t"] > 0) | (frame["quantity_t_baseline"] > 0)]
    return frame[_keys(frame) + [c for c in PLAN_COLUMNS if c in frame.columns]].reset_index(drop=True)


def _keys(frame: pd.DataFrame) -> list[str]:
    return [c for c in ("mineral", "stage", "year") if c in frame.columns]


def frontier_table(result: Result) -> pd.DataFrame | None:
    if "frontier" not in result.tables:
        return None
    frame = result.table("frontier")
    return frame[_keys(frame) + [c for c in FRONTIER_COLUMNS if c in frame.columns]]


def shadow_table(result: Result) -> pd.DataFrame:
    frame = result.table("shadow_prices")
    return frame[_keys(frame) + ["constraint", "shadow_price_usd_per_t", "per_point_usd", "plain"]]
