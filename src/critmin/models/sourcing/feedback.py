"""Price feedback: hand a sourcing plan's shifts to the partial-equilibrium model.

A plan computed at fixed prices is right only for a small buyer. Here the plan's cuts
become export quotas on the unit's purchases from each supplier it buys less from (0 for an
exclusion), the PE model (:class:`~critmin.models.pe.PartialEquilibrium`, exact mode)
re-equilibrates the world market, and the plan's tonnes are re-priced at the landed prices
that result. The PE model substitutes by its own Armington elasticities, so its purchases
need not match the plan; both are reported.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from critmin.models.base import Result
from critmin.models.sourcing.model import money
from critmin.models.sourcing.problem import SourcingProblem


def plan_shocks(result: Result, problem: SourcingProblem) -> tuple[Any, ...]:
    """Export quotas (tonnes to the unit's members) on every non-member supplier the plan
    buys less from than the baseline."""
    Shock = _scenario_values()[1]

    sup = result.table("suppliers")
    cut = sup[~sup["internal"] & (sup["quantity_t"] < sup["quantity_t_baseline"] - 1e-9)]
    return tuple(Shock("export_quota", minerals=(problem.mineral,), exporters=(r.supplier,),
                       importers=tuple(problem.members), tonnes=float(max(r.quantity_t, 0.0)),
                       label=f"plan: {r.supplier} to {problem.unit}")
                 for r in cut.itertuples())


def reprice(result: Result, problem: SourcingProblem, market: Any) -> Result:
    """``result`` with the plan re-priced by the PE model on ``market`` (a
    :class:`~critmin.models.pe_data.MarketBaseline` of the same mineral, stage and year).

    Adds the tables ``equilibrium`` (per supplier: the plan's tonnes, the landed price
    change to the unit, the re-priced unit cost; the PE model's own purchases) and
    ``equilibrium_prices`` (world price change by exporter), and a headline line.
    """
    from critmin.models.pe import PartialEquilibrium

    Scenario = _scenario_values()[0]
    shocks = plan_shocks(result, problem)
    if not shocks:
        line = "price feedback: the plan cuts no supplier, so prices do not move"
        return replace(result, headline=(*result.headline, line))
    sc = Scenario(name=f"{result.scenario} (price feedback)", shocks=shocks)
    model = PartialEquilibrium(mode="exact")
    pe = model.solve(market, sc)
    flows = pe.tables["flows"]
    into = flows[flows["importer"].isin(problem.members)]
    w = into["flow_t_baseline"].where(into["flow_t_baseline"] > 0, 1e-12)
    landed = (into.assign(w=w, x=into["landed_price_change_share"] * w).groupby("exporter")[["w", "x"]].sum())
    change = (landed["x"] / landed["w"])
    bought = into.groupby("exporter")["flow_t"].sum()
    sup = result.table("suppliers")
    price_change = sup["supplier"].map(change).fillna(0.0).to_numpy()
    unit_cost = sup["unit_cost_usd_per_t"].to_numpy() * (1.0 + price_change)
    eq = pd.DataFrame({"supplier": sup["supplier"], "quantity_t": sup["quantity_t"],
                       "unit_cost_usd_per_t": sup["unit_cost_usd_per_t"],
                       "landed_price_change_share": price_change,
                       "unit_cost_usd_per_t_scenario": unit_cost,
                       "pe_quantity_t": sup["supplier"].map(bought).fillna(0.0).astype(float)})
    fixed = float((sup["quantity_t"] * sup["unit_cost_usd_per_t"]).sum())
    repriced = float((sup["quantity_t"] * unit_cost).sum())
    countries = pe.tables["countries"]
    prices = countries[["country", "world_price_change_share", "supply_t_baseline", "supply_t"]]
    prices = prices[prices["supply_t_baseline"] > 0].sort_values("world_price_change_share", kind="stable")
    top = prices.iloc[-1] if len(prices) else None
    line = (f"price feedback (PE model, exact, {len(shocks)} quota(s) from the plan): the plan re-priced "
            f"costs {money(repriced)} ({money(repriced - fixed)} more than at fixed prices)")
    if top is not None:
        line += f"; largest world price change {top['country']} {top['world_price_change_share']:+.1%}"
    d = result.diagnostics
    parts = {**{k: dict(v) for k, v in d.parts.items()},
             "equilibrium": {"converged": bool(pe.diagnostics.converged), "plan_cost_usd_fixed": fixed,
                             "plan_cost_usd_repriced": repriced}}
    cost = result.table("cost").assign(plan_cost_usd_scenario=repriced)
    provenance = (*result.provenance,
                  {"source": "critmin.models.pe", "used_for": "re-pricing the plan (price feedback)",
                   "note": f"export quotas from the plan; {pe.parameters['model']}"},
                  *({**p, "used_for": p.get("used_for") or "PE baseline"} for p in market.provenance))
    return replace(result, tables={**dict(result.tables), "cost": cost, "equilibrium": eq,
                                   "equilibrium_prices": prices.reset_index(drop=True)},
                   headline=(*result.headline, line),
                   diagnostics=replace(d, parts=parts), provenance=provenance)


def _scenario_values() -> tuple[Any, Any]:
    """(Scenario, Shock) of the scenario language, wherever this checkout keeps them."""
    try:
        from critmin.scenario.values import Scenario, Shock
    except ImportError:  # before the scenario language moved to critmin.scenario
        from critmin.models.scenario import Scenario, Shock
    return Scenario, Shock
