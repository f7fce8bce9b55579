"""``/api/minerals``, ``/api/blocs``, ``/api/countries``, ``/api/status``, ``/api/health``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from critmin.api.deps import JSON_AND_CSV, StoreDep, cached, json_response, table_response
from critmin.api.schemas import Format, RowsOut, bloc_enum

router = APIRouter(tags=["reference"])
BlocName = bloc_enum()


@router.get("/health", summary="Is the service up, and which store does it read?")
def health(request: Request) -> dict:
    from critmin import __version__

    config = request.app.state.config
    return {"status": "ok", "version": __version__, "store": str(config.store),
            "store_exists": config.store.exists()}


@router.get("/minerals", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="The mineral vocabulary (critmin minerals)")
async def minerals(request: Request, critical: bool = False,
                   format: Format = Format.json) -> Response:
    """Ids, names, stages, and whether USGS lists each as critical (2025)."""
    from critmin.reports.reference import minerals_table

    def make() -> Response:
        frame, extra = minerals_table(critical)
        extra.pop("title")
        return table_response(frame, format, extra=extra)

    return await cached(request, make)


@router.get("/blocs", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="Named country sets (critmin blocs)")
async def blocs(request: Request, format: Format = Format.json) -> Response:
    from critmin.reports.reference import blocs_table

    def make() -> Response:
        frame, extra = blocs_table()
        return table_response(frame, format, extra=extra)

    return await cached(request, make)


@router.get("/blocs/{bloc}", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="One bloc's members (critmin blocs NAME)")
async def bloc(request: Request, bloc: BlocName,  # type: ignore[valid-type]
               format: Format = Format.json) -> Response:
    from critmin.reports.reference import bloc_members

    def make() -> Response:
        frame, meta = bloc_members(bloc.value)  # type: ignore[attr-defined]
        return table_response(frame, format, extra=meta)

    return await cached(request, make)


@router.get("/countries", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="Every country in the store (critmin countries)")
async def countries(request: Request, store: StoreDep, format: Format = Format.json) -> Response:
    from critmin.store.coverage import country_coverage

    return await cached(request, lambda: table_response(
        country_coverage(store), format, provenance=store.provenance_records(store.tables()),
        extra={"store": str(store.path)}))


@router.get("/status", response_model=RowsOut, responses=JSON_AND_CSV,
            summary="Every table of the store with source, vintage, licence, sha256 "
                    "(critmin data status)")
async def status(request: Request, store: StoreDep, format: Format = Format.json) -> Response:
    cols = ["table", "table_rows", "source", "rows", "vintage", "licence", "sha256",
            "publisher", "title", "url", "file", "built_at"]
    return await cached(request, lambda: table_response(
        store.status()[cols], format, provenance=store.provenance_records(store.tables()),
        extra={"store": str(store.path)}))


__all__ = ["json_response", "router"]
