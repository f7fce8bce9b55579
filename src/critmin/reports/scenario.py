"""Tables from partial-equilibrium results for people: formats, never computes."""

from __future__ import annotations

import pandas as pd

from critmin.models.result import PEResult

HEADLINE_COLUMNS = {
    "mineral": "mineral", "stage": "stage",
    "trade_t_baseline": "trade before (t)", "trade_t": "trade after (t)",
    "top_exporter": "top exporter",
    "top_exporter_price_change_share": "its world price",
    "zone_landed_price_change_share": "zone landed price",
    "max_shortfall_country": "worst shortfall",
    "max_shortfall_share": "shortfall share",
    "zone_net_welfare": "zone net welfare",
    "world_net_welfare": "world net welfare",
    "levy_revenue": "levy revenue",
    "subsidy_cost": "subsidy cost",
    "rents": "quota rents",
}


def headline_table(result: PEResult) -> pd.DataFrame:
    """The scenario's headline numbers: one row per measure, one column per mineral-stage.

    Shares stay shares (0-1); money is in ``result.welfare_unit`` (in ``attrs["unit"]``).
    Columns that carry nothing for this scenario (no zone, no levy) are left out.
    """
    table = result.market_summary()
    if not result.members:
        table = table.drop(columns=["zone_landed_price_change_share", "zone_net_welfare"])
    for col in ("levy_revenue", "subsidy_cost", "rents"):
        if col in table.columns and not (table[col].abs() > 0).any():
            table = table.drop(columns=col)
    table = table.drop(columns=["year"]).rename(columns=HEADLINE_COLUMNS)
    labels = table["mineral"].astype(str) + " " + table["stage"].astype(str)
    # one column per market reads better than a row of a dozen columns
    long = table.drop(columns=["mineral", "stage"]).T
    long.columns = list(labels)
    long = long.reset_index().rename(columns={"index": "measure"})
    long.attrs["unit"] = result.welfare_unit
    return long


def welfare_table(result: PEResult, top: int = 15) -> pd.DataFrame:
    """Countries with the largest welfare changes, largest absolute first."""
    w = result.welfare_by_country()
    w = w.reindex(w["net_welfare"].abs().sort_values(ascending=False).index).head(top).reset_index(drop=True)
    empty = [c for c in w.columns if c not in ("country", "net_welfare")
             and pd.api.types.is_numeric_dtype(w[c]) and not (w[c].abs() > 0).any()]
    return w.drop(columns=empty)
