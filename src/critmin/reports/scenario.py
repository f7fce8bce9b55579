"""Tables for people from partial-equilibrium results (``model: pe``): formats, never computes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from critmin.models.base import Result

HEADLINE_COLUMNS = {
    "mineral": "mineral", "stage": "stage",
    "trade_t_baseline": "trade before (t)", "trade_t": "trade after (t)",
    "trade_usd_baseline": "trade before (USD)", "trade_usd": "trade after (USD)",
    "top_exporter": "top exporter",
    "top_exporter_price_change_share": "its world price",
    "zone_landed_price_change_share": "zone landed price",
    "max_shortfall_country": "worst shortfall",
    "max_shortfall_share": "shortfall share",
    "zone_net_welfare_usd": "zone net welfare (USD)",
    "world_net_welfare_usd": "world net welfare (USD)",
    "levy_revenue_usd": "levy revenue (USD)",
    "subsidy_cost_usd": "subsidy cost (USD)",
    "rents_usd": "quota rents (USD)",
}


def headline_table(result: Result) -> pd.DataFrame:
    """The scenario's headline numbers: one row per measure, one column per mineral-stage.

    Shares stay shares (0-1); money is in USD. Columns that carry nothing for this scenario
    (no zone, no levy) are left out.
    """
    table = result.table("markets")
    if not result.parameters.get("zone_members"):
        table = table.drop(columns=["zone_landed_price_change_share", "zone_net_welfare_usd"])
    for col in ("levy_revenue_usd", "subsidy_cost_usd", "rents_usd"):
        if col in table.columns and not (table[col].abs() > 0).any():
            table = table.drop(columns=col)
    table = table.drop(columns=["year"]).rename(columns=HEADLINE_COLUMNS)
    labels = table["mineral"].astype(str) + " " + table["stage"].astype(str)
    # one column per market reads better than a row of a dozen columns
    long = table.drop(columns=["mineral", "stage"]).T
    long.columns = list(labels)
    return long.reset_index().rename(columns={"index": "measure"})


def welfare_table(result: Result, top: int = 15) -> pd.DataFrame:
    """Countries with the largest welfare changes (USD), largest absolute first."""
    w = result.table("welfare_by_country")
    w = w.reindex(w["net_welfare_usd"].abs().sort_values(ascending=False).index).head(top).reset_index(drop=True)
    empty = [c for c in w.columns if c not in ("country", "net_welfare_usd")
             and pd.api.types.is_numeric_dtype(w[c]) and not (w[c].abs() > 0).any()]
    return w.drop(columns=empty)


def views(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """What `critmin run` prints for a ``model: pe`` result, titled."""
    out = [(f"{result.scenario}: headline", headline_table(result)),
           (f"{result.scenario}: welfare change by country (USD)", welfare_table(result))]
    blocs = result.table("welfare_by_bloc")
    if len(blocs) > 1:
        out.append((f"{result.scenario}: welfare change by bloc (USD)", blocs))
    return out
