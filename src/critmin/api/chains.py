"""``GET /api/chains/{chain}``: where a supply chain chokes, as ``critmin chain show
--format json`` (:func:`critmin.reports.chains.chain_show`), and ``GET
/api/chains/{chain}/restrict``: one export restriction at one node, as ``critmin chain
shock CHAIN --restrict EXPORTER:MINERAL:STAGE=SHARE``, solved in the time-limited workers
(:mod:`critmin.api.solves`). Shipped network scenarios run through ``POST
/api/scenarios/run``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from critmin.api.deps import StoreDep, cached, json_response, response_key
from critmin.api.metrics import Year
from critmin.api.schemas import RowsOut, TablesOut, _enum
from critmin.chain_graph import chain_names

router = APIRouter(tags=["chains"])

ChainName = _enum("ChainName", list(chain_names()), "A supply chain of critmin/data/chains.")


@router.get("/chains/{chain}", response_model=RowsOut,
            summary="Each stage's top country, CR1, HHI, N-1 cover and single points of "
                    "failure; for a unit, where its dependence is highest (critmin chain show)")
async def chain_view(request: Request, store: StoreDep, chain: ChainName,  # type: ignore[valid-type]
                     year: Year = None,
                     unit: Annotated[str | None, Query(
                         alias="for", min_length=2, max_length=64,
                         pattern=r"^[A-Za-z][A-Za-z0-9 ._'-]*$",
                         description="A country (USA) or bloc (ministerial-2026).")] = None,
                     ) -> Response:
    """The same document as ``critmin chain show CHAIN --format json``: ``rows`` (stages)."""
    from critmin.reports.chains import chain_show

    def make() -> Response:
        doc = chain_show(store, chain.value, year=year, unit=unit,
                         source_dir=request.app.state.config.source_dir)
        return json_response({"rows": doc.pop("stages"), **doc})

    return await cached(request, make)


@router.get("/chains/{chain}/restrict", response_model=TablesOut,
            summary="Losses stage by stage when EXPORTER withholds SHARE of its exports at one "
                    "node (critmin chain shock --restrict)",
            responses={422: {"description": "Bad input: an unknown country, chain or node, a node "
                                             "that is not a mineral stage, or an exporter with "
                                             "no share at that node."},
                       503: {"description": "Over the time limit, or every solve slot busy."}})
async def chain_restrict(request: Request, store: StoreDep, chain: ChainName,  # type: ignore[valid-type]
                         exporter: Annotated[str, Query(
                             min_length=2, max_length=64, pattern=r"^[A-Za-z][A-Za-z .'-]*$",
                             description="The exporter: a country code or name (CHN).")],
                         node: Annotated[str, Query(
                             min_length=2, max_length=64, pattern=r"^[a-z0-9_]+$",
                             description="A mineral node of the chain (graphite_anode).")],
                         share: Annotated[float, Query(ge=0, le=1, description="Share of its "
                                                       "exports withheld.")] = 1.0,
                         to: Annotated[str | None, Query(
                             max_length=200, pattern=r"^[A-Za-z][A-Za-z0-9 ,._-]*$",
                             description="Only to these countries or blocs (default everyone).")]
                         = None,
                         year: Year = None, reroute: bool = True) -> Response:
    """The ``critmin chain shock --format json`` document (``tables``: by_stage, by_node,
    by_product, by_country ...)."""
    from critmin.api import jobs
    from critmin.api.scenarios import solve_job
    from critmin.countries import country

    config = request.app.state.config
    # an unknown country is a 422 with suggestions before any worker is asked
    params = {"chain": chain.value, "exporter": country(exporter), "node": node, "share": share,
              "to": to, "year": year, "reroute": reroute}
    key = response_key(request.scope, request.scope.get("route"), config.store)
    job = (jobs.run_chain_restriction, params, str(config.store),
           str(config.source_dir) if config.source_dir is not None else None,
           config.limits.solve_seconds)
    return await request.app.state.cache.get_or_make_async(key, lambda: solve_job(request, job))
