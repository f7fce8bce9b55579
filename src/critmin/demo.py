"""The documents the demo report (``make demo``: :mod:`critmin.reports.html`) and the
dashboard's Routes and Chains pages draw, computed once here so the drawing layers only
draw.

- :func:`routes_frontier_document`: ``critmin routes UNIT -m MINERAL --frontier --format json``.
- :func:`network_scenario_documents`: a shipped ``model: network`` scenario's result
  document and the ``critmin chain show`` document of its chain.
- :func:`chain_restriction`: the network model for one restriction a user describes
  (exporter, a mineral node of the chain, share withheld, to whom), as
  ``critmin chain shock CHAIN --restrict EXPORTER:MINERAL:STAGE=SHARE``; the REST API runs
  it in its time-limited solve workers (``GET /api/chains/{chain}/restrict``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmin.models.base import Result
    from critmin.store import Store

#: The de-risking frontier of the demo: (buyer, mineral) with the default cap (0.65).
DEMO_ROUTES = ("USA", "graphite")
#: The shipped network scenario whose stage-by-stage losses the demo draws.
DEMO_CHAIN_SCENARIO = "network-china-graphite-controls-2023-2025-cells"


def routes_frontier_document(store: Store, unit: str = DEMO_ROUTES[0],
                             mineral: str = DEMO_ROUTES[1]) -> dict[str, Any]:
    """The least-cost plan and its frontier: the document of ``critmin routes UNIT -m
    MINERAL --frontier --format json``."""
    from critmin.models.sourcing import Sourcing, SourcingScenario
    from critmin.reports.sourcing import result_document
    from critmin.sourcing_data import sourcing_problem

    problem = sourcing_problem(store, unit, mineral, None, None)
    result = Sourcing(frontier=True).solve(problem, SourcingScenario(name=f"routes {unit} {mineral}"))
    return result_document(result)


def network_scenario_documents(store: Store, name: str = DEMO_CHAIN_SCENARIO
                               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(show, result)``: the ``critmin chain show`` document of the scenario's chain and
    the ``critmin run --format json`` document of the shipped scenario ``name``."""
    from critmin.errors import ScenarioError
    from critmin.reports.chains import chain_show
    from critmin.reports.result import result_document
    from critmin.runner import run
    from critmin.scenario import scenario_files

    path = next((p for p in scenario_files() if p.stem == name), None)
    if path is None:
        raise ScenarioError(f"no scenarios/{name}.yaml beside the package")
    doc = result_document(run(path, store))
    params = doc.get("parameters") or {}
    show = chain_show(store, str(params.get("chain")), year=params.get("year"))
    return show, doc


def chain_restriction(store: Store, chain: str, exporter: str, node: str, share: float = 1.0,
                      to: str | None = None, *, year: int | None = None, reroute: bool = True,
                      source_dir: Path | str | None = None,
                      progress: Callable[..., Any] | None = None) -> Result:
    """The network model's losses when ``exporter`` withholds ``share`` of its exports of
    ``node``'s mineral at ``node``'s stage (to ``to``: countries or blocs, comma
    separated; default everyone).

    ``exporter`` is a country code or name (UnknownCountryError with suggestions
    otherwise); InvalidParameterError when ``node`` is not a mineral node or ``exporter``
    has no share of it in the chain's baseline (a restriction that could cut nothing).
    """
    from critmin import blocs
    from critmin.chain_baseline import chain_baseline
    from critmin.chain_graph import chain as get_chain
    from critmin.countries import country
    from critmin.errors import InvalidParameterError
    from critmin.models.network import ChainScenario, NetworkModel, Restriction

    spec = get_chain(chain)
    target = spec.node(node)
    if not target.mineral:
        raise InvalidParameterError(f"{target.label} ({node}) is not a mineral stage; a restriction "
                                    "names a mineral node (mine or refine).")
    iso = country(exporter)
    importers = tuple(c for part in (to or "").split(",") if part.strip()
                      for c in blocs.resolve(part.strip()))
    if progress is not None:
        progress("chain baseline", 0, 2)
    base = chain_baseline(store, spec, year, source_dir=Path(source_dir) if source_dir else None)
    shares = base.node_shares(node)
    if float(shares.get(iso, 0.0)) <= 0.0:
        holders = ", ".join(f"{c} {s:.0%}" for c, s in shares.head(5).items())
        raise InvalidParameterError(
            f"{iso} has no share of {target.label.lower()} ({node}) in the {chain} chain's "
            f"{base.year} baseline, so withholding its exports cuts nothing. The largest "
            f"shares: {holders}.")
    name = (f"{iso} withholds {share:.0%} of {target.label.lower()} exports"
            + (f" to {to}" if to else ""))
    restriction = Restriction(iso, target.mineral, target.stage, share, importers)
    if progress is not None:
        progress("network model", 1, 2)
    return NetworkModel(reroute=reroute).solve(base, ChainScenario(name=name, restrictions=(restriction,)),
                                               progress=progress)


def report_views(store: Store, warn: Callable[[str], Any] | None = None) -> dict[str, dict[str, Any]]:
    """What ``make demo``'s report draws beyond the maps: ``routes`` (the
    :data:`DEMO_ROUTES` frontier, :func:`critmin.metrics.panels.routes_view`) and ``chain``
    (the stage-by-stage losses of :data:`DEMO_CHAIN_SCENARIO`,
    :func:`critmin.metrics.panels.chain_view`). A view whose data the store lacks is left
    out, and ``warn`` is told why."""
    from critmin.errors import CritminError
    from critmin.metrics import panels

    out: dict[str, dict[str, Any]] = {}
    try:
        out["routes"] = panels.routes_view(routes_frontier_document(store))
    except CritminError as exc:
        if warn is not None:
            warn(f"{DEMO_ROUTES[0]} {DEMO_ROUTES[1]} de-risking frontier left out of the report: {exc}")
    try:
        show, doc = network_scenario_documents(store)
        out["chain"] = panels.chain_view(show, doc, store=store)
    except CritminError as exc:
        if warn is not None:
            warn(f"{DEMO_CHAIN_SCENARIO} stage-by-stage losses left out of the report: {exc}")
    return out
