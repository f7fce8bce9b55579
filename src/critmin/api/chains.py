"""``GET /api/chains/{chain}``: where a supply chain chokes, as ``critmin chain show
--format json`` (:func:`critmin.reports.chains.chain_show`). Shocks to a chain run as
``model: network`` documents through ``POST /api/scenarios/run``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from critmin.api.deps import StoreDep, cached, json_response
from critmin.api.metrics import Year
from critmin.api.schemas import RowsOut, _enum
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
