"""``/api/scenarios``: the shipped scenario library, and ``POST /api/scenarios/run``, which
solves a scenario document sent in the body (YAML or JSON) with the model it names.

The document is read by :func:`critmin.scenario.load_scenario` (the one scenario language);
it never names a file the server reads except its data references, which must lie inside
the source directory. The run is :func:`critmin.run` in a worker process, time-limited
(:mod:`critmin.api.solves`, :mod:`critmin.api.jobs`); the answer is the document
``critmin run --format json`` prints (:func:`critmin.reports.result.result_document`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from critmin.api.deps import StoreDep, json_response, store_version
from critmin.api.schemas import Mode, RowsOut, TablesOut
from critmin.errors import ScenarioError

router = APIRouter(tags=["scenarios"])

MAX_NODES = 20_000  # values in one scenario document (YAML aliases can multiply them)

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml",
              "text/plain")

BODY = {
    "requestBody": {
        "required": True,
        "description": "A scenario document (the YAML of scenarios/*.yaml, or the same as "
                       "JSON). Any registered model: `model: pe` (default), `ge`, `network` or `sourcing`.",
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    },
}


def _library() -> dict[str, Any]:
    from critmin.scenario import scenario_files

    return {p.stem: p for p in scenario_files()}


ScenarioName = StrEnum("ScenarioName", {n: n for n in sorted(_library())}  # type: ignore[misc]
                       or {"none": "none"})


@router.get("/scenarios", response_model=RowsOut,
            summary="The shipped scenario library (critmin scenario list)")
def scenario_list() -> Response:
    from critmin.scenario import scenario_model

    rows = []
    for name, path in _library().items():
        try:
            model = scenario_model(path)
        except ScenarioError:
            model = "invalid"
        rows.append({"scenario": name, "file": path.name, "model": model,
                     "url": f"/api/scenarios/{name}"})
    return json_response({"rows": rows, "provenance": []})


@router.get("/scenarios/{name}", summary="One shipped scenario document (YAML)",
            responses={200: {"content": {"application/yaml": {"schema": {"type": "string"}}}}})
def scenario_document(name: ScenarioName) -> Response:  # type: ignore[valid-type]
    path = _library().get(name.value)  # type: ignore[attr-defined]
    if path is None:
        raise ScenarioError(f"No scenario {name.value!r} in the library.")  # type: ignore[attr-defined]
    return Response(path.read_text(encoding="utf-8"), media_type="application/yaml")


@router.post("/scenarios/run", response_model=TablesOut, openapi_extra=BODY,
             summary="Run a scenario document (critmin scenario run / critmin gravity run)",
             responses={413: {"description": "Body or scenario over the server's limits."},
                        422: {"description": "The document does not validate (file, line, "
                                             "field), or the model cannot solve it."},
                        503: {"description": "Over the time limit, or every solve slot busy."}})
async def run(request: Request, store: StoreDep,
              mode: Mode = Mode.exact,
              bloc: Annotated[list[str] | None, Query(
                  max_length=8, description="Also total welfare over these blocs (PE).")] = None,
              draws: Annotated[int, Query(ge=0, le=1000, description="GE Monte Carlo draws "
                                          "(at most the server's limit).")] = 0,
              seed: int = 20160101) -> Response:
    body = await request.body()
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    config = request.app.state.config
    cache = request.app.state.cache
    key = ("run", body, kind, mode.value, tuple(bloc or ()), draws, seed,
           store_version(config.store))
    hit = cache.raw(key)  # the same document on the same store: the same result
    if hit is not None:
        return Response(hit[0], media_type=hit[1], headers={"X-Cache": "hit"})
    doc = _parse(body, kind)
    limits = config.limits
    from critmin.scenario import load_scenario

    # validated here for the 422s (file, line, field) and the limits; the worker loads the
    # same mapping again with the same source directory
    scenario = load_scenario(doc, source_dir=config.source_dir)
    if scenario.model == "pe":
        parameters = _pe_parameters(scenario, config, mode.value, bloc or [])
    elif scenario.model == "ge":
        from critmin.api.app import TooLarge

        if draws > limits.max_draws:
            raise TooLarge(f"draws={draws} is over this server's limit of {limits.max_draws}; "
                           "run larger Monte Carlo samples with `critmin run --draws`.")
        parameters = {"draws": draws, "seed": seed}
    else:
        parameters = {}
    from critmin.api import jobs
    from critmin.scenario.registry import plugin

    needs_store = bool(plugin(scenario.model).needs_store(scenario))
    job = (jobs.run_document, dict(doc.data),
           str(config.source_dir) if config.source_dir is not None else None,
           str(config.store) if needs_store else None, parameters, limits.solve_seconds)
    return await cache.get_or_make_async(key, lambda: solve_job(request, job))


async def solve_job(request: Request, job: tuple) -> Response:
    """Run ``job`` (a :mod:`critmin.api.jobs` function and its arguments) in the workers."""
    answer = await request.app.state.solves.run(*job)
    if answer[0] == "ok":
        return Response(answer[1], media_type="application/json")
    reraise(answer[1], answer[2])
    raise AssertionError("unreachable")


def reraise(kind: str, message: str) -> None:
    """Raise the server-side error for a worker's ``("error", kind, message)``."""
    from critmin.api.app import SolveTimeout
    from critmin.errors import CritminError, InvalidParameterError, SolveError, StoreError

    raise {"timeout": SolveTimeout, "input": InvalidParameterError, "solve": SolveError,
           "store": StoreError}.get(kind, CritminError)(message)


def _parse(body: bytes, kind: str) -> Any:
    """The document (a YamlDoc: its mapping and the line of every key), read as the CLI
    reads a scenario file (:func:`critmin.scenario.yamlio.parse_yaml`, JSON being YAML);
    ScenarioError with the line and column of malformed text."""
    from critmin.scenario.yamlio import parse_yaml

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"request body is not UTF-8 text: {exc}.") from exc
    if not text.strip():
        raise ScenarioError("request body is empty: send a scenario document (YAML or JSON).")
    if kind not in ("application/json", *YAML_TYPES):
        raise ScenarioError(f"request body has content type {kind!r}; send application/json "
                            "or application/yaml.")
    doc = parse_yaml(text, "request body")
    _check_size(doc.data)
    return doc


def _check_size(data: Any) -> None:
    from critmin.api.app import TooLarge

    count, stack = 0, [data]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise TooLarge(f"request body: the scenario document has more than {MAX_NODES} "
                           "values (YAML aliases count each time they are used).")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _pe_parameters(scenario: Any, config: Any, mode: str, blocs: list[str]) -> dict[str, Any]:
    from critmin.api.app import TooLarge
    from critmin.blocs import bloc as find_bloc

    n = len(scenario.baseline.markets) if scenario.baseline is not None else 0
    if n > config.limits.max_markets:
        raise TooLarge(f"request body: {n} markets is over this server's limit of "
                       f"{config.limits.max_markets} per run; split the scenario or run it "
                       "with `critmin run`.")
    found = [find_bloc(name) for name in blocs]  # UnknownBlocError (422) before any solve
    parameters: dict[str, Any] = {"mode": mode}
    if found:
        parameters["blocs"] = tuple((b.name, b.members) for b in found)
    return parameters
