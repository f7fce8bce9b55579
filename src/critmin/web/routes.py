"""The dashboard's pages and the figure routes they call: parse, call the library, serialise.

Pages (``/``, ``/map``, ``/flows``, ``/concentration``, ``/scenario``) are HTML shells;
their script (``static/app.js``) asks ``/ui/figures/...`` for panels built by
:mod:`critmin.reports.figures` from :mod:`critmin.metrics.panels`, and runs scenarios
through the REST API's ``POST /api/scenarios/run``. Every script, style and map file is
served from here: plotly.js from the pip package, the world map from
``critmin/data/maps`` (topojson), nothing from the network.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from critmin.config import DATA_DIR
from critmin.errors import CritminError
from critmin.vocab import Stage, minerals

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
MAPS = DATA_DIR / "maps"
templates = Jinja2Templates(directory=str(HERE / "templates"))

router = APIRouter(include_in_schema=False)

MineralName = StrEnum("MineralName", {m: m for m in sorted(minerals())})  # type: ignore[misc]
StageName = StrEnum("StageName", {s.value: s.value for s in Stage})  # type: ignore[misc]

PAGES = {
    "map": ("Map", "Who produces a mineral, and where a country or bloc buys it."),
    "flows": ("Flows", "From mine to refinery to buyers, observed and estimated flows."),
    "concentration": ("Concentration", "HHI and the top producer's share per stage over time."),
    "scenario": ("Scenario", "Run a tariff, ban, quota or price-floor zone and see its effects."),
}


def _store(request: Request) -> Any:
    """The app's store: ``app.state.config.store`` (critmin.api) or the configured one."""
    from critmin.config import settings
    from critmin.store import Store

    config = getattr(request.app.state, "config", None)
    path = getattr(config, "store", None) or settings().store
    return Store.open(path)


def _error(exc: CritminError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=422)


def _panel_response(make: Any) -> Response:
    try:
        doc = make()
    except CritminError as exc:
        return _error(exc)
    return Response(_dumps(doc), media_type="application/json")


def _dumps(doc: Any) -> str:
    """JSON with frames as records and NaN as null (the panels' numbers are plain floats)."""
    import json
    import math

    import pandas as pd

    def clean(v: Any) -> Any:
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        if isinstance(v, pd.DataFrame):
            return clean(v.astype(object).where(v.notna(), None).to_dict("records"))
        if hasattr(v, "item") and not isinstance(v, str | bytes):
            return clean(v.item())
        if v is pd.NA or v is pd.NaT:
            return None
        return v

    return json.dumps(clean(doc), separators=(",", ":"), allow_nan=False, default=str)


# --- pages ----------------------------------------------------------------------------------

def _page(request: Request, name: str, **context: Any) -> Response:
    return templates.TemplateResponse(request, f"{name}.html",
                                      {"pages": PAGES, "page": name, **context})


@router.get("/", response_class=Response)
def home(request: Request) -> Response:
    return _page(request, "index")


@router.get("/map", response_class=Response)
def map_page(request: Request) -> Response:
    return _page(request, "map")


@router.get("/flows", response_class=Response)
def flows_page(request: Request) -> Response:
    return _page(request, "flows")


@router.get("/concentration", response_class=Response)
def concentration_page(request: Request) -> Response:
    return _page(request, "concentration")


@router.get("/scenario", response_class=Response)
def scenario_page(request: Request) -> Response:
    return _page(request, "scenario")


# --- assets ---------------------------------------------------------------------------------

@functools.cache
def _plotly_path() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


@router.get("/ui/plotly.min.js")
def plotly_js() -> Response:
    return FileResponse(_plotly_path(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/ui/topojson/world_110m.json")
def world_map() -> Response:
    return FileResponse(MAPS / "world_110m.json", media_type="application/json",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/ui/static/{name}")
def static_file(name: str) -> Response:
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file():
        return JSONResponse({"detail": f"No dashboard file {name!r}."}, status_code=404)
    kind = {".js": "text/javascript", ".css": "text/css"}.get(path.suffix, "text/plain")
    return FileResponse(path, media_type=kind)


# --- data for the controls ------------------------------------------------------------------

@router.get("/ui/options")
def options(request: Request) -> Response:
    """What the store can draw: production and flow stages per mineral, blocs."""
    def make() -> dict[str, Any]:
        from critmin.blocs import blocs
        from critmin.metrics import panels

        store = _store(request)
        prod = panels.production_stages(store)
        flows = panels.flow_stages(store)
        chains = sorted(set(prod["mineral"]) & set(flows["mineral"]))
        return {"production": prod, "flows": flows, "chains": chains,
                "blocs": sorted(blocs()), "provenance": []}

    return _panel_response(make)


# --- figures --------------------------------------------------------------------------------

@router.get("/ui/figures/production")
def production_figure(request: Request, mineral: MineralName, stage: StageName,  # type: ignore[valid-type]
                      year: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> Response:
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.production_shares(_store(request), mineral.value, stage.value)  # type: ignore[attr-defined]
        return figures.production_map(res, year).to_json()

    return _panel_response(make)


@router.get("/ui/figures/imports")
def imports_figure(request: Request, mineral: MineralName,  # type: ignore[valid-type]
                   unit: Annotated[str, Query(min_length=2, max_length=200)] = "USA",
                   stage: StageName | None = None) -> Response:  # type: ignore[valid-type]
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.import_sources(_store(request), unit, mineral.value,  # type: ignore[attr-defined]
                                    stage.value if stage else None)  # type: ignore[attr-defined]
        return figures.import_sources_map(res).to_json()

    return _panel_response(make)


@router.get("/ui/figures/flows")
def flows_figure(request: Request, mineral: MineralName,  # type: ignore[valid-type]
                 year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                 top: Annotated[int, Query(ge=2, le=20)] = 8) -> Response:
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.supply_chain_links(_store(request), mineral.value, year, top=top)  # type: ignore[attr-defined]
        return figures.flows_sankey(res).to_json()

    return _panel_response(make)


@router.get("/ui/figures/concentration")
def concentration_figure(request: Request, mineral: MineralName) -> Response:  # type: ignore[valid-type]
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.concentration_series(_store(request), mineral.value)  # type: ignore[attr-defined]
        return figures.concentration_chart(res).to_json()

    return _panel_response(make)


@router.post("/ui/figures/scenario")
async def scenario_figures(request: Request) -> Response:
    """Charts and tables of a scenario run. The body is the scenario document (YAML or
    JSON) the page sent to ``POST /api/scenarios/run``; it is run through that route (its
    limits, its time limit, its cache: the page's own run is not solved twice)."""
    import anyio
    import httpx

    body = await request.body()
    kind = request.headers.get("content-type", "application/yaml")
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        res = await client.post("/api/scenarios/run", content=body,
                                headers={"content-type": kind},
                                params=list(request.query_params.multi_items()))
    if res.status_code != 200:
        return Response(res.content, status_code=res.status_code,
                        media_type=res.headers.get("content-type", "application/json"))
    doc = res.json()

    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        if doc.get("model") != "pe":
            # other models: their tables as they are (charts are drawn for PE results)
            return {"panels": [], "model": doc.get("model"), "scenario": doc.get("scenario"),
                    "summary": doc.get("summary", ""), "generic": doc.get("tables") or {},
                    "sources": figures.source_labels(doc.get("provenance") or [])}
        view = panels.scenario_view(doc)
        tables = {k: view[k] for k in ("prices", "shortfalls", "welfare")}
        return {"panels": [p.to_json() for p in figures.scenario_panels(view)],
                "tables": tables, "scenario": view["scenario"],
                "welfare_unit": view["welfare_unit"]}

    return await anyio.to_thread.run_sync(lambda: _panel_response(make))
