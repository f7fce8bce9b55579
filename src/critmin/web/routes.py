"""The dashboard's pages and the figure routes they call: parse, call the library, serialise.

Pages (``/``, ``/map``, ``/flows``, ``/concentration``, ``/scenario``, ``/routes``,
``/chains``) are HTML shells;
their script (``static/app.js``) asks ``/ui/figures/...`` for panels built by
:mod:`critmin.reports.figures` from :mod:`critmin.metrics.panels`, and runs scenarios
through the REST API's ``POST /api/scenarios/run``. A figure computes under the API's read
time limit (:func:`critmin.api.deps.bounded`, ``Limits.query_seconds``: 503 QueryTimeout
past it) on the request's store (:func:`_store`: deadline-checked, the app's ReadCache);
solves (sourcing plans, chain restrictions, scenarios) run in the API's time-limited
workers, asked in process. Every script, style and map file is
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
#: The bottleneck columns the Chains page shows (``spare_used_quantity``: in the node's unit).
BOTTLENECK_COLUMNS = ("node", "stage", "country", "lost_usd", "spare_used_quantity", "constraint")
templates = Jinja2Templates(directory=str(HERE / "templates"))

router = APIRouter(include_in_schema=False)

MineralName = StrEnum("MineralName", {m: m for m in sorted(minerals())})  # type: ignore[misc]
StageName = StrEnum("StageName", {s.value: s.value for s in Stage})  # type: ignore[misc]

PAGES = {
    "map": ("Map", "Who produces a mineral, and where a country or bloc buys it."),
    "flows": ("Flows", "From mine to refinery to buyers, observed and estimated flows."),
    "concentration": ("Concentration", "HHI and the top producer's share per stage over time."),
    "scenario": ("Scenario", "Run a tariff, ban, quota or price-floor zone and see its effects."),
    "routes": ("Routes", "Where else a country or bloc can buy, at what cost: the de-risking frontier."),
    "chains": ("Chains", "A supply chain mine to product, and what a restriction costs at each stage."),
}


def _store(request: Request) -> Any:
    """The request's store, as the API's read routes see it (:func:`critmin.api.deps.get_store`):
    every query checks the request's deadline and goes through the app's ReadCache."""
    from critmin.api.deps import RequestStore, request_deadline

    store = RequestStore.open(request.app.state.config.store)
    store.deadline = request_deadline(request)
    store.reads = request.app.state.reads
    return store


def _error(exc: CritminError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=422)


def _panel_response(make: Any) -> Response:
    """``make()``'s document as JSON; bad input answers 422. Other errors (a time limit,
    a missing store) go to the API's handlers (503)."""
    from critmin.errors import InputError, SolveError

    try:
        doc = make()
    except (InputError, SolveError) as exc:
        return _error(exc)
    return Response(_dumps(doc), media_type="application/json")


async def _panel(request: Request, make: Any) -> Response:
    """``make()`` under the API's read time limit, in its query threads
    (:func:`critmin.api.deps.bounded`): 503 QueryTimeout past ``Limits.query_seconds``,
    counted from the first call for this request."""
    from critmin.api.deps import bounded

    return await bounded(request, lambda: _panel_response(make))


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


@router.get("/routes", response_class=Response)
def routes_page(request: Request) -> Response:
    return _page(request, "routes")


@router.get("/chains", response_class=Response)
def chains_page(request: Request) -> Response:
    return _page(request, "chains")


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
async def options(request: Request) -> Response:
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

    return await _panel(request, make)


# --- figures --------------------------------------------------------------------------------

@router.get("/ui/figures/production")
async def production_figure(request: Request, mineral: MineralName, stage: StageName,  # type: ignore[valid-type]
                      year: Annotated[int | None, Query(ge=1900, le=2100)] = None) -> Response:
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.production_shares(_store(request), mineral.value, stage.value)  # type: ignore[attr-defined]
        return figures.production_map(res, year).to_json()

    return await _panel(request, make)


@router.get("/ui/figures/imports")
async def imports_figure(request: Request, mineral: MineralName,  # type: ignore[valid-type]
                   unit: Annotated[str, Query(min_length=2, max_length=200)] = "USA",
                   stage: StageName | None = None) -> Response:  # type: ignore[valid-type]
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.import_sources(_store(request), unit, mineral.value,  # type: ignore[attr-defined]
                                    stage.value if stage else None)  # type: ignore[attr-defined]
        return figures.import_sources_map(res).to_json()

    return await _panel(request, make)


@router.get("/ui/figures/flows")
async def flows_figure(request: Request, mineral: MineralName,  # type: ignore[valid-type]
                 year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                 top: Annotated[int, Query(ge=2, le=20)] = 8) -> Response:
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.supply_chain_links(_store(request), mineral.value, year, top=top)  # type: ignore[attr-defined]
        return figures.flows_sankey(res).to_json()

    return await _panel(request, make)


@router.get("/ui/figures/concentration")
async def concentration_figure(request: Request, mineral: MineralName) -> Response:  # type: ignore[valid-type]
    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        res = panels.concentration_series(_store(request), mineral.value)  # type: ignore[attr-defined]
        return figures.concentration_chart(res).to_json()

    return await _panel(request, make)


@router.post("/ui/figures/scenario")
async def scenario_figures(request: Request) -> Response:
    """Charts and tables of a scenario run. The body is the scenario document (YAML or
    JSON) the page sent to ``POST /api/scenarios/run``; it is run through that route (its
    limits, its time limit, its cache: the page's own run is not solved twice)."""
    res = await _run_scenario(request)
    if res.status_code != 200:
        return _passthrough(res)
    doc = res.json()
    show = None
    if doc.get("model") == "network":      # drawn on its chain's stage graph
        params = doc.get("parameters") or {}
        show_res = await _chain_show(request, str(params.get("chain", "")), params.get("year"))
        show = show_res.json() if show_res.status_code == 200 else None

    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        if doc.get("model") != "pe":
            # other models: their tables as they are (charts for PE and network results)
            drawn = _chain_panels(show, doc, request)["panels"] if show is not None else []
            return {"panels": drawn, "model": doc.get("model"), "scenario": doc.get("scenario"),
                    "summary": doc.get("summary", ""), "generic": doc.get("tables") or {},
                    "sources": figures.source_labels(doc.get("provenance") or [])}
        view = panels.scenario_view(doc)
        tables = {k: view[k] for k in ("prices", "shortfalls", "welfare")}
        return {"panels": [p.to_json() for p in figures.scenario_panels(view)],
                "tables": tables, "scenario": view["scenario"],
                "welfare_unit": view["welfare_unit"]}

    return await _panel(request, make)


# --- routes (sourcing) and chains (network) -------------------------------------------------

async def _api_get(request: Request, path: str, params: list[tuple[str, str]]) -> Any:
    """GET one of the app's own API routes in process (its limits, time limit and cache)."""
    import httpx

    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.get(path, params=params)


def _passthrough(res: Any) -> Response:
    """The API's answer as it is (status, body, Retry-After of a 503)."""
    headers = {"Retry-After": res.headers["retry-after"]} if "retry-after" in res.headers else None
    return Response(res.content, status_code=res.status_code, headers=headers,
                    media_type=res.headers.get("content-type", "application/json"))


ISO3_LIST = r"^[A-Za-z]{3}(,[A-Za-z]{3})*$"
NAME = r"^[A-Za-z][A-Za-z0-9 ,._'-]*$"


@router.get("/ui/figures/routes")
async def routes_figures(request: Request, mineral: MineralName,  # type: ignore[valid-type]
                         unit: Annotated[str, Query(min_length=2, max_length=64, pattern=NAME)] = "USA",
                         stage: StageName | None = None,  # type: ignore[valid-type]
                         year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                         cap: Annotated[float, Query(ge=0, le=1)] = 0.65,
                         exclude: Annotated[str | None, Query(max_length=200)] = None,
                         prefer: Annotated[str | None, Query(max_length=64)] = None,
                         max_risk: Annotated[float | None, Query(ge=0, le=10)] = None,
                         hhi_cap: Annotated[float | None, Query(ge=0, le=10_000)] = None,
                         flexibility: Annotated[float, Query(ge=0, le=1)] = 0.25,
                         premium: Annotated[float, Query(ge=1, le=10)] = 1.5,
                         look_through: bool = True) -> Response:
    """The Routes page: the frontier and plan panels of ``GET /api/routes/{unit}`` (asked
    with ``frontier=true``), and the plan's table."""
    params = [("mineral", mineral.value), ("cap", str(cap)), ("flexibility", str(flexibility)),  # type: ignore[attr-defined]
              ("premium", str(premium)), ("look_through", str(look_through).lower()),
              ("frontier", "true")]
    for key, value in (("stage", stage.value if stage else None), ("year", year),  # type: ignore[attr-defined]
                       ("exclude", ",".join(c.strip().upper() for c in (exclude or "").split(",")
                                            if c.strip()) or None),
                       ("prefer", (prefer or "").strip() or None), ("max_risk", max_risk),
                       ("hhi_cap", hhi_cap)):
        if value is not None:
            params.append((key, str(value)))
    from urllib.parse import quote

    res = await _api_get(request, f"/api/routes/{quote(unit.strip(), safe='')}", params)
    if res.status_code != 200:
        return _passthrough(res)
    doc = res.json()

    def make() -> dict[str, Any]:
        from critmin.metrics import panels
        from critmin.reports import figures

        view = panels.routes_view(doc)
        keep = ["supplier", "share_baseline", "share", "quantity_t_baseline", "quantity_t",
                "unit_cost_usd_per_t", "cost_method", "estimated_cost", "risk_index", "at_cap",
                "at_capacity", "internal", "excluded"]
        return {"label": view["label"], "headline": view["headline"], "warnings": view["warnings"],
                "panels": [figures.routes_frontier(view).to_json(), figures.routes_plan(view).to_json(),
                           figures.routes_exclusions(view).to_json()],
                "suppliers": view["suppliers"][keep], "cost": view["cost"],
                "binding": view["binding"][["constraint", "shadow_price_usd_per_t", "per_point_usd", "plain"]]
                if len(view["binding"]) else [],
                "sources": figures.source_labels(view["provenance"])}

    return await _panel(request, make)


@functools.cache
def _chain_catalogue() -> dict[str, Any]:
    """The chains of ``critmin/data/chains`` (nodes a shock can name) and the shipped
    network scenarios with the chain each one shocks."""
    from critmin.chain_graph import chain, chain_names
    from critmin.config import read_yaml
    from critmin.scenario import scenario_files

    chains = []
    for name in chain_names():
        spec = chain(name)
        chains.append({"name": name, "title": spec.title, "year": spec.year,
                       "nodes": [{"id": n.id, "label": n.label, "stage": n.stage, "mineral": n.mineral}
                                 for n in spec.nodes]})
    scenarios = []
    for path in scenario_files():
        try:
            data = read_yaml(path)
        except Exception:  # noqa: BLE001 - a broken library file is listed by /api/scenarios
            continue
        if isinstance(data, dict) and str(data.get("model", "")).lower() == "network":
            base = data.get("baseline") or {}
            scenarios.append({"scenario": path.stem, "chain": str(base.get("chain", "")),
                              "description": str(data.get("description", "")),
                              "url": f"/api/scenarios/{path.stem}"})
    return {"chains": chains, "scenarios": scenarios, "provenance": []}


@router.get("/ui/chains")
def chain_options() -> Response:
    return _panel_response(_chain_catalogue)


def _chain_panels(show: dict[str, Any], result: dict[str, Any] | None, request: Request) -> dict[str, Any]:
    from critmin.metrics import panels
    from critmin.reports import figures

    view = panels.chain_view(show, result, store=_store(request))
    out: dict[str, Any] = {"chain": view["chain"], "title": view["title"], "year": view["year"],
                           "panels": [figures.chain_graph(view).to_json()],
                           "sources": figures.source_labels(view["provenance"])}
    if result is not None:
        out["panels"].append(figures.chain_losses(view).to_json())
        out.update({"scenario": view["scenario"], "summary": view["summary"],
                    "by_stage": view["by_stage"], "by_product": view["by_product"],
                    "by_country": view["by_country"],
                    "bottlenecks": view["bottlenecks"][[c for c in BOTTLENECK_COLUMNS if c in view["bottlenecks"]]]
                    if len(view["bottlenecks"]) else []})
    else:
        out["stages"] = view["nodes"][["label", "stage", "top_country", "cr1_share", "hhi", "n1_cover_share",
                                       "single_point_of_failure", "source", "method"]]
    return out


async def _chain_show(request: Request, chain: str, year: int | None) -> Any:
    from urllib.parse import quote

    params = [("year", str(year))] if year is not None else []
    return await _api_get(request, f"/api/chains/{quote(chain, safe='')}", params)


@router.get("/ui/figures/chain")
async def chain_figures(request: Request,
                        chain: Annotated[str, Query(min_length=2, max_length=64, pattern=r"^[a-z0-9_-]+$")],
                        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
                        exporter: Annotated[str | None, Query(min_length=2, max_length=64,
                                                              pattern=r"^[A-Za-z][A-Za-z .'-]*$")] = None,
                        node: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_]+$")] = None,
                        share: Annotated[float, Query(ge=0, le=1)] = 1.0,
                        to: Annotated[str | None, Query(max_length=200)] = None,
                        reroute: bool = True) -> Response:
    """The Chains page: the stage graph of ``GET /api/chains/{chain}``; with ``exporter``
    and ``node`` also the losses when ``exporter`` withholds ``share`` of its exports of
    that node's mineral at that node's stage (to ``to``: countries or blocs, default
    everyone), as ``critmin chain shock CHAIN --restrict EXPORTER:MINERAL:STAGE=SHARE``:
    solved by ``GET /api/chains/{chain}/restrict`` (the API's solve workers, time limit
    and cache)."""
    from urllib.parse import quote

    res = await _chain_show(request, chain, year)
    if res.status_code != 200:
        return _passthrough(res)
    show = res.json()
    if not (exporter and node):
        return await _panel(request, lambda: _chain_panels(show, None, request))
    params = [("exporter", exporter), ("node", node), ("share", str(share)),
              ("reroute", str(reroute).lower())]
    params += [(k, str(v)) for k, v in (("to", (to or "").strip() or None), ("year", year))
               if v is not None]
    shock = await _api_get(request, f"/api/chains/{quote(chain, safe='')}/restrict", params)
    if shock.status_code != 200:
        return _passthrough(shock)
    doc = shock.json()
    return await _panel(request, lambda: _chain_panels(show, doc, request))


@router.post("/ui/figures/chain")
async def chain_scenario_figures(request: Request) -> Response:
    """The Chains page for a network scenario document (the body, YAML or JSON): run
    through ``POST /api/scenarios/run``, then drawn on the stage graph of its chain."""
    res = await _run_scenario(request)
    if res.status_code != 200:
        return _passthrough(res)
    doc = res.json()
    if doc.get("model") != "network":
        return _error(CritminError(f"The Chains page draws network scenarios (model: network); "
                                   f"this is a {doc.get('model')!r} scenario."))
    params = doc.get("parameters") or {}
    show_res = await _chain_show(request, str(params.get("chain", "")), params.get("year"))
    if show_res.status_code != 200:
        return _passthrough(show_res)
    show = show_res.json()
    return await _panel(request, lambda: _chain_panels(show, doc, request))


async def _run_scenario(request: Request) -> Any:
    import httpx

    body = await request.body()
    kind = request.headers.get("content-type", "application/yaml")
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.post("/api/scenarios/run", content=body, headers={"content-type": kind},
                                 params=list(request.query_params.multi_items()))
