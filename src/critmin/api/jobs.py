"""The scenario runs that :class:`critmin.api.solves.SolveRunner` sends to worker processes.

Each takes plain values (the validated document, paths already checked by
:mod:`critmin.api.paths`) and a wall-clock deadline, and returns ``("ok", json_text)`` or
``("error", kind, message)``: critmin's exceptions do not all survive pickling, so the
server re-raises them from ``kind`` (see :func:`critmin.api.scenarios.reraise`).
"""

from __future__ import annotations

from typing import Any


def _error(exc: Exception) -> tuple[str, str, str]:
    from critmin.errors import InputError, SolveError, StoreError

    if type(exc).__name__ == "SolveTimeout":
        kind = "timeout"
    elif isinstance(exc, InputError):
        kind = "input"
    elif isinstance(exc, SolveError):
        kind = "solve"
    elif isinstance(exc, StoreError):
        kind = "store"
    else:
        kind = "other"
    return ("error", kind, str(exc))


def run_document(data: dict[str, Any], source_dir: str | None, store: str | None,
                 parameters: dict[str, Any], seconds: float,
                 deadline_at: float | None) -> tuple[str, ...]:
    """Load a scenario document (any registered model) and run it: the ``critmin run
    --format json`` text. ``source_dir`` bounds its data references as in the server."""
    from pathlib import Path

    from critmin.api.solves import Deadline
    from critmin.errors import CritminError
    from critmin.reports.documents import dumps
    from critmin.reports.result import result_document
    from critmin.runner import run
    from critmin.scenario import load_scenario

    deadline = Deadline(seconds, deadline_at)
    try:
        scenario = load_scenario(data, source_dir=Path(source_dir) if source_dir else None)
        st = None
        if store is not None:
            from critmin.store import Store

            st = Store.open(store)
        deadline.check()
        result = run(scenario, st, parameters=parameters, progress=deadline.check)
        deadline.check()
        return ("ok", dumps(result_document(result), indent=None))
    except CritminError as exc:
        return _error(exc)


def run_routes(params: dict[str, Any], store: str, seconds: float,
               deadline_at: float | None) -> tuple[str, ...]:
    """Solve a sourcing plan; the ``critmin routes --format json`` text."""
    from critmin.api.solves import Deadline
    from critmin.errors import CritminError
    from critmin.models.sourcing import Sourcing, SourcingScenario
    from critmin.reports.documents import dumps
    from critmin.reports.sourcing import result_document
    from critmin.sourcing_data import sourcing_problem
    from critmin.store import Store

    deadline = Deadline(seconds, deadline_at)
    p = dict(params)
    try:
        st = Store.open(store)
        preferred: tuple[str, ...] = ()
        if p["prefer"]:
            from critmin.blocs import resolve

            preferred = tuple(resolve(p["prefer"]))
        scenario = SourcingScenario(
            name=f"routes {p['unit']} {p['mineral']}", cap_share=p["cap"], hhi_cap=p["hhi_cap"],
            exclude=tuple(p["exclude"]), prefer=preferred, prefer_name=p["prefer"] or "",
            max_risk=p["max_risk"], look_through=p["look_through"],
            demand_must_be_met=p["must_meet"])
        model = Sourcing(flexibility_share=p["flexibility"], new_supply_premium=p["premium"],
                         frontier=p["frontier"])
        problem = sourcing_problem(st, p["unit"], p["mineral"], p["stage"], p["year"],
                                   demand_t=p["demand_t"], look_through=p["look_through"])
        deadline.check()
        result = model.solve(problem, scenario, on_step=deadline.check)
        if p["equilibrium"]:
            from critmin.models.sourcing.feedback import reprice
            from critmin.sourcing_data import pe_market

            deadline.check()
            result = reprice(result, problem, pe_market(st, problem))
        deadline.check()
        return ("ok", dumps(result_document(result), indent=None))
    except CritminError as exc:
        return _error(exc)


def run_chain_restriction(params: dict[str, Any], store: str, source_dir: str | None,
                          seconds: float, deadline_at: float | None) -> tuple[str, ...]:
    """One described chain restriction (:func:`critmin.demo.chain_restriction`); the
    ``critmin chain shock --format json`` text."""
    from critmin.api.solves import Deadline
    from critmin.demo import chain_restriction
    from critmin.errors import CritminError
    from critmin.reports.documents import dumps
    from critmin.reports.result import result_document
    from critmin.store import Store

    deadline = Deadline(seconds, deadline_at)
    try:
        result = chain_restriction(Store.open(store), source_dir=source_dir,
                                   progress=deadline.check, **params)
        deadline.check()
        return ("ok", dumps(result_document(result), indent=None))
    except CritminError as exc:
        return _error(exc)
