"""``critmin routes``: alternate supply routes, the least-cost plan under a supplier cap.

Thin: parse options, build the problem (:mod:`critmin.sourcing_data`), solve it
(:mod:`critmin.models.sourcing`), print (:mod:`critmin.reports.sourcing`). Heavy modules
are imported inside the command so ``critmin --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from critmin.cli.app import app
from critmin.cli._common import Format, FormatOpt, StoreOpt


@app.command("routes")
def routes(
    unit: Annotated[str, typer.Argument(
        help="Buyer: a country (ISO3 or name, e.g. USA) or a bloc (e.g. ministerial-2026, EU27).")],
    mineral: Annotated[str, typer.Option("--mineral", "-m", help="Mineral, e.g. graphite.")],
    stage: Annotated[str | None, typer.Option(
        help="Trade stage; default the first traded stage USGS reports production for.")] = None,
    year: Annotated[int | None, typer.Option(
        help="Year; default the latest year with observed trade and production.")] = None,
    cap: Annotated[float, typer.Option(
        help="Largest share of demand from any one non-member supplier (0.65: the EU CRMA "
        "benchmark); with look-through also from any origin one stage up.")] = 0.65,
    hhi_cap: Annotated[float | None, typer.Option(
        "--hhi-cap", help="Largest HHI (0-10,000) of the plan's supplier shares.")] = None,
    exclude: Annotated[str | None, typer.Option(
        help="Suppliers not to buy from, comma-separated ISO3 codes, e.g. CHN,RUS.")] = None,
    prefer: Annotated[str | None, typer.Option(
        help="A bloc (or country list) to prefer, e.g. PaxSilica.")] = None,
    max_risk: Annotated[float | None, typer.Option(
        "--max-risk", help="Largest share-weighted governance risk of the purchases, "
        "2 x (2.5 - mean WGI) on 0-10 (the EU 2023 scaling).")] = None,
    demand: Annotated[float | None, typer.Option(
        "--demand-t", help="Demand in tonnes; default the unit's baseline absorption.")] = None,
    flexibility: Annotated[float, typer.Option(
        help="Share of what a supplier's other customers take that can be redirected.")] = 0.25,
    premium: Annotated[float, typer.Option(
        help="Cost multiple of tonnes beyond today's purchases (IEA: 1.5).")] = 1.5,
    no_look_through: Annotated[bool, typer.Option(
        "--no-look-through", help="Cap suppliers only, not origins one stage up.")] = False,
    must_meet: Annotated[bool, typer.Option(
        "--must-meet", help="Demand must be met in full: conflicting limits are an error "
        "naming them (default: unmet tonnes are priced and reported).")] = False,
    frontier: Annotated[bool, typer.Option(
        "--frontier", help="Also the de-risking frontier: cost against the cap (21 points) "
        "and against the number of excluded suppliers.")] = False,
    equilibrium: Annotated[bool, typer.Option(
        "--equilibrium", help="Hand the plan's shifts to the partial-equilibrium model and "
        "report re-priced costs and prices.")] = False,
    store: StoreOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Where else UNIT can buy MINERAL, how much, and at what cost.

    The least-cost plan meeting UNIT's demand with no supplier above the cap, after
    exclusions and within a governance budget; unmet tonnes are reported with the reason,
    binding limits with their shadow price in USD.
    """
    import sys

    from critmin.cli._common import console, emit, open_store, progress, rich_table
    from critmin.reports.result import dumps
    from critmin.models.sourcing import Sourcing, SourcingScenario
    from critmin.reports.sourcing import frontier_table, plan_table, result_document, shadow_table
    from critmin.sourcing_data import sourcing_problem

    st = open_store(store)
    excluded = tuple(s.strip().upper() for s in (exclude or "").split(",") if s.strip())
    preferred: tuple[str, ...] = ()
    if prefer:
        from critmin.blocs import resolve

        preferred = tuple(resolve(prefer))
    scenario = SourcingScenario(name=f"routes {unit} {mineral}", cap_share=cap, hhi_cap=hhi_cap,
                                exclude=excluded, prefer=preferred, prefer_name=prefer or "",
                                max_risk=max_risk, look_through=not no_look_through,
                                demand_must_be_met=must_meet)
    model = Sourcing(flexibility_share=flexibility, new_supply_premium=premium, frontier=frontier)
    with progress("routes", total=None) as advance:
        advance("baseline", 0, 1)
        problem = sourcing_problem(st, unit, mineral, stage, year, demand_t=demand,
                                   look_through=not no_look_through)
        result = model.solve(problem, scenario, on_step=advance)
        if equilibrium:
            from critmin.models.sourcing.feedback import reprice
            from critmin.sourcing_data import pe_market

            advance("equilibrium", 0, 1)
            result = reprice(result, problem, pe_market(st, problem))
    if fmt is Format.json:
        sys.stdout.write(dumps(result_document(result)) + "\n")
        return
    if fmt is Format.csv:
        emit(plan_table(result), fmt)
        return
    console.print(result.summary())
    console.print(rich_table(plan_table(result), title=f"Plan: {problem.label}"))
    console.print(rich_table(shadow_table(result), title="Binding constraints (shadow prices)"))
    front = frontier_table(result)
    if front is not None:
        console.print(rich_table(front, title="De-risking frontier: cost against the cap"))
        console.print(rich_table(result.table("frontier_exclusions"),
                                 title="Cost against the number of excluded suppliers"))
    if "equilibrium" in result.tables:
        eq = result.table("equilibrium")
        console.print(rich_table(eq[eq["quantity_t"] + eq["pe_quantity_t"] > 0],
                                 title="Re-priced by the PE model"))
    for note in problem.notes:
        console.print(f"[dim]{note}[/dim]")
    srcs = sorted({str(p.get("source")) for p in result.provenance})
    console.print(f"[dim]Sources: {'; '.join(srcs)}[/dim]")
