"""``/api/flows/{mineral}``: observed bilateral flows or the completed baseline, as
``critmin flows``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from critmin.api.deps import JSON_AND_CSV, StoreDep, cached, table_response
from critmin.api.metrics import Year
from critmin.api.schemas import Format, MineralId, RowsOut, StageName

router = APIRouter(tags=["flows"])

Countries = Annotated[str | None, Query(
    min_length=2, max_length=200, pattern=r"^[A-Za-z][A-Za-z0-9 ,._'-]*$",
    description="ISO3 code, country name, comma-separated list or bloc.")]


@router.get("/flows/{mineral}", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="Bilateral trade flows, each marked observed, mirror or estimated "
                    "(critmin flows)")
async def flows(request: Request, store: StoreDep, mineral: MineralId,  # type: ignore[valid-type]
          stage: StageName | None = None, year: Year = None,  # type: ignore[valid-type]
          exporter: Countries = None, importer: Countries = None,
          complete: Annotated[bool, Query(
              description="Complete the matrix with documented estimates.")] = False,
          production_stage: StageName | None = None,  # type: ignore[valid-type]
          format: Format = Format.json) -> Response:
    from critmin.metrics.flows import flows_view

    def make() -> Response:
        res = flows_view(store, mineral.value, stage=stage.value if stage else None, year=year,
                         exporter=exporter, importer=importer, complete=complete,
                         production_stage=production_stage.value if production_stage
                         else None)
        res.extra.pop("title", None)
        return table_response(res.frame, format, res.provenance, res.extra)

    return await cached(request, make)
