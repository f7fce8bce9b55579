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


def run_pe(data: dict[str, Any], store: str, mode: str, blocs: list[str], seconds: float,
           deadline_at: float | None) -> tuple[str, ...]:
    """Solve a ``model: pe`` document; the ``critmin scenario run --format json`` text."""
    from critmin.api.solves import Deadline
    from critmin.errors import CritminError
    from critmin.models.pe import run_scenario
    from critmin.models.scenario_yaml import ScenarioIn
    from critmin.reports.documents import dumps

    deadline = Deadline(seconds, deadline_at)
    try:
        scenario = ScenarioIn.model_validate(data).scenario(path="request body", base_dir=None)
        st = None
        if scenario.baseline.flows_csv is None:
            from critmin.store import Store

            st = Store.open(store)
        result = run_scenario(scenario, st, mode=mode, on_market=deadline.check)
        deadline.check()
        return ("ok", dumps(result.to_json_doc({name: name for name in blocs}), indent=None))
    except CritminError as exc:
        return _error(exc)


def run_ge(data: dict[str, Any], data_file: str | None, store: str, draws: int, seed: int,
           seconds: float, deadline_at: float | None) -> tuple[str, ...]:
    """Solve a ``model: ge`` document; the ``critmin gravity run --format json`` text.

    ``data_file`` is the checked data file, or None for a GE baseline from the store
    (``baseline: {source: itpd-e, ...}``)."""
    from pathlib import Path

    from critmin.api.solves import Deadline
    from critmin.errors import CritminError
    from critmin.models.gravity_scenario import GEScenario, GEScenarioIn, run_scenario
    from critmin.reports.documents import dumps, records

    deadline = Deadline(seconds, deadline_at)
    try:
        spec = GEScenarioIn.model_validate(data)
        base = None
        if data_file is None:
            from critmin.ge_baseline import load_ge_baseline
            from critmin.store import Store

            b = spec.baseline
            base = load_ge_baseline(Store.open(store), b.source, b.year, b.sector)
        scenario = GEScenario(spec.name, spec.description, "request body",
                              Path(data_file) if data_file is not None else None, spec)
        deadline.check()
        run = run_scenario(scenario, draws=draws, seed=seed, progress=deadline.check,
                           baseline=base)
        deadline.check()
        doc = {"scenario": scenario.name, "model": "ge", "countries": records(run.countries()),
               "blocs": records(run.blocs) if run.blocs is not None else [],
               "coefficients": records(run.fit.tidy()),
               "diagnostics": run.diagnostics, "provenance": list(run.provenance)}
        return ("ok", dumps(doc, indent=None))
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
