"""A bloc securing a chain: what share of each stage it covers, with and without a plan.

``without the plan``: members' own output of each stage against the members' use of it
(:func:`critmin.metrics.chains.bloc_cover`, spare capacity included). ``with the plan``:
for the stages that are traded mineral markets in the store (gallium, germanium, silicon
metal...), the sourcing optimiser (:mod:`critmin.models.sourcing`, issue 11) buys the
bloc's demand from every supplier it does not exclude, under its cap on any one supplier;
the share of demand the plan covers is reported beside the members-only cover.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Chain node -> (mineral, stage) of the store market the sourcing optimiser plans.
PLAN_MARKETS = {"gallium": ("gallium", "refinery"), "germanium": ("germanium", "refinery"),
                "silicon_metal": ("silicon", None), "lithium_mine": ("lithium", None),
                "cobalt_refined": ("cobalt", "refinery"), "nickel_refined": ("nickel", None),
                "graphite_mine": ("graphite", None), "ree_mine": ("rare_earths", None)}


def zone_cover(store: Any, chain_name: str, bloc: str, *, exclude: tuple[str, ...] = ("CHN",),
               cap_share: float = 0.65, year: int | None = None, source_dir: Path | None = None,
               progress: Any = None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Per node: member cover without a plan, and the optimiser's covered share with one.

    Returns the table (node, stage, member_share, member_need_share, cover_share,
    plan_market, plan_covered_share, plan_unmet_t, plan_cost_increase_share, plan_note)
    and the provenance of every input.
    """
    from critmin import blocs
    from critmin.chain_baseline import chain_baseline
    from critmin.chain_graph import chain
    from critmin.errors import CritminError
    from critmin.metrics.chains import bloc_cover
    from critmin.models.sourcing import Sourcing, SourcingScenario
    from critmin.sourcing_data import sourcing_problem

    spec = chain(chain_name)
    members = blocs.resolve(bloc)
    base = chain_baseline(store, spec, year, source_dir=source_dir)
    table = bloc_cover(base, members, bloc)
    provenance = [dict(p) for p in base.provenance]
    plan_rows = []
    todo = [n.id for n in spec.nodes if n.id in PLAN_MARKETS]
    for k, node in enumerate(todo):
        if progress:
            progress(node, k, len(todo))
        mineral, stage = PLAN_MARKETS[node]
        row = {"node": node, "plan_market": f"{mineral}:{stage or 'default'}", "plan_covered_share": np.nan,
               "plan_unmet_t": np.nan, "plan_cost_increase_share": np.nan, "plan_note": ""}
        try:
            problem = sourcing_problem(store, bloc, mineral, stage)
            scen = SourcingScenario(f"{bloc} without {'+'.join(exclude)}", cap_share=cap_share,
                                    exclude=tuple(exclude), prefer=tuple(members), prefer_name=bloc)
            result = Sourcing().solve(problem, scen)
            cost = result.tables["cost"].iloc[0]
            demand = float(cost["demand_t"])
            row.update(plan_covered_share=float(cost["covered_t"]) / demand if demand > 0 else np.nan,
                       plan_unmet_t=float(cost["unmet_t"]),
                       plan_cost_increase_share=float(cost["cost_increase_share"]),
                       plan_market=f"{cost['mineral']}:{cost['stage']} ({int(cost['year'])})",
                       plan_note=str(cost.get("unmet_reason", "") or ""))
            provenance.extend(dict(p) for p in result.provenance)
        except CritminError as exc:
            row["plan_note"] = f"no plan: {exc}"
        plan_rows.append(row)
    if progress:
        progress("done", len(todo), len(todo))
    plans = pd.DataFrame(plan_rows, columns=["node", "plan_market", "plan_covered_share", "plan_unmet_t",
                                             "plan_cost_increase_share", "plan_note"])
    out = table.merge(plans, on="node", how="left")
    out["plan_market"] = out["plan_market"].fillna("")
    out["plan_note"] = out["plan_note"].fillna("no traded market in the store for this stage")
    seen, unique = set(), []
    for p in provenance:
        key = (p.get("source"), p.get("used_for"))
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return out, unique
