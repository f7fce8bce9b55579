"""Sourcing-optimiser results for people and programs: formats, never computes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from critmin.models.base import Result

PLAN_COLUMNS = ["supplier", "internal", "excluded", "quantity_t", "share", "quantity_t_baseline",
                "share_baseline", "new_supply_t", "capacity_t", "unit_cost_usd_per_t",
                "cost_method", "risk_index", "at_cap", "at_capacity"]
FRONTIER_COLUMNS = ["cap_share", "objective_usd", "cost_increase_usd", "cost_usd", "unmet_t",
                    "largest_share"]


def result_document(result: Result) -> dict[str, Any]:
    """One JSON-ready document: every table, the headline, diagnostics, parameters and
    provenance."""
    return {"model": result.model, "scenario": result.scenario,
            "headline": list(result.headline),
            "tables": {name: frame for name, frame in result.tables.items()},
            "diagnostics": result.diagnostics.as_dict(),
            "parameters": _plain(dict(result.parameters)),
            "provenance": [dict(p) for p in result.provenance]}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def plan_table(result: Result) -> pd.DataFrame:
    """The plan by supplier: suppliers with purchases in the plan or the baseline."""
    frame = result.table("suppliers")
    frame = frame[(frame["quantity_t"] > 0) | (frame["quantity_t_baseline"] > 0)]
    return frame[[c for c in PLAN_COLUMNS if c in frame.columns]].reset_index(drop=True)


def frontier_table(result: Result) -> pd.DataFrame | None:
    if "frontier" not in result.tables:
        return None
    frame = result.table("frontier")
    return frame[[c for c in FRONTIER_COLUMNS if c in frame.columns]]


def shadow_table(result: Result) -> pd.DataFrame:
    return result.table("shadow_prices")[["constraint", "shadow_price_usd_per_t", "per_point_usd", "plain"]]
