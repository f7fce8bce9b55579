"""``GET /api/routes/{unit}``: the least-cost sourcing plan under a supplier cap, as
``critmin routes --format json`` (:mod:`critmin.models.sourcing`), solved in the
time-limited workers (:mod:`critmin.api.solves`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from critmin.api.deps import StoreDep, response_key
from critmin.api.metrics import Unit, Year
from critmin.api.schemas import MineralId, StageName, TablesOut

router = APIRouter(tags=["sourcing"])

Share = Annotated[float, Query(ge=0, le=1)]
ISO3_LIST = r"^[A-Za-z]{3}(,[A-Za-z]{3})*$"


@router.get("/routes/{unit}", response_model=TablesOut,
            summary="Where else UNIT can buy MINERAL, how much, at what cost (critmin routes)",
            responses={422: {"description": "Bad input, or an infeasible plan naming the "
                                             "conflicting limits."},
                       503: {"description": "Over the time limit, or every solve slot busy."}})
async def routes(request: Request, store: StoreDep, unit: Unit,
                 mineral: MineralId,  # type: ignore[valid-type]
                 stage: StageName | None = None, year: Year = None,  # type: ignore[valid-type]
                 cap: Share = 0.65,
                 hhi_cap: Annotated[float | None, Query(ge=0, le=10_000)] = None,
                 exclude: Annotated[str | None, Query(
                     pattern=ISO3_LIST, description="Suppliers not to buy from, e.g. CHN,RUS.")]
                 = None,
                 prefer: Annotated[str | None, Query(
                     min_length=2, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9 ,._-]*$",
                     description="A bloc or country list to prefer, e.g. PaxSilica.")] = None,
                 max_risk: Annotated[float | None, Query(ge=0, le=10)] = None,
                 demand_t: Annotated[float | None, Query(gt=0, le=1e9)] = None,
                 flexibility: Share = 0.25,
                 premium: Annotated[float, Query(ge=1, le=10)] = 1.5,
                 look_through: bool = True, must_meet: bool = False, frontier: bool = False,
                 equilibrium: bool = False) -> Response:
    """The least-cost plan meeting UNIT's demand with no supplier above the cap; unmet
    tonnes reported with the reason, binding limits with their shadow price in USD."""
    from critmin.api import jobs
    from critmin.api.scenarios import solve_job

    config = request.app.state.config
    params = {"unit": unit, "mineral": mineral.value, "stage": stage.value if stage else None,
              "year": year, "cap": cap, "hhi_cap": hhi_cap,
              "exclude": [s.strip().upper() for s in (exclude or "").split(",") if s.strip()],
              "prefer": prefer, "max_risk": max_risk, "demand_t": demand_t,
              "flexibility": flexibility, "premium": premium, "look_through": look_through,
              "must_meet": must_meet, "frontier": frontier, "equilibrium": equilibrium}
    key = response_key(request.scope, request.scope.get("route"), config.store)
    job = (jobs.run_routes, params, str(config.store), config.limits.solve_seconds)
    return await request.app.state.cache.get_or_make_async(key, lambda: solve_job(request, job))
