"""``critmin.run``: one function that runs any scenario, whatever its model.

The CLI (``critmin run``) and the REST API call this, then hand the :class:`Result` to
:mod:`critmin.reports.result` for JSON, CSV or tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmin.models.base import Result
    from critmin.scenario.values import Scenario


def run(scenario: Scenario | str | Path | Mapping[str, Any], store: Any = None, *,
        parameters: Mapping[str, Any] | None = None,
        progress: Callable[[str, int, int], None] | None = None) -> Result:
    """Load ``scenario``, build its baseline and model, solve: a :class:`Result`.

    Parameters
    ----------
    scenario : Scenario, path, YAML text or mapping
        A :class:`~critmin.scenario.Scenario` value, a scenario file, or a document.
    store : Store, path or None
        The store baselines are read from, when the scenario's model reads one; None opens
        the configured store (``CRITMIN_STORE``) only if it is needed.
    parameters : mapping, optional
        Model parameters that override the scenario's (``{"mode": "gsim"}`` for ``pe``,
        ``{"draws": 1000}`` for ``ge``); unknown names are an error listing the accepted ones.
    progress : callable, optional
        ``progress(label, done, total)``, called between steps and, for models whose plugin
        has a ``solve`` hook, during the solve (a progress bar, or a deadline check that
        raises to stop the run).

    Raises
    ------
    ScenarioError
        The scenario does not load (file, line and field in the message).
    StoreError
        The scenario needs a store and none is built.
    SolveError
        The model did not converge.

    Examples
    --------
    >>> result = run("scenarios/ministerial-2026-price-floor.yaml")   # doctest: +SKIP
    >>> print(result.summary())                                        # doctest: +SKIP
    """
    from critmin.scenario.load import load_scenario
    from critmin.scenario.registry import plugin

    sc = load_scenario(scenario)
    plug = plugin(sc.model)
    if isinstance(store, str | Path):
        from critmin.store import Store

        store = Store.open(store)
    elif store is None and plug.needs_store(sc):
        from critmin.config import settings
        from critmin.store import Store

        store = Store.open(settings().store)
    model = plug.make_model(sc)
    if parameters:
        model = with_parameters(model, parameters)
    if progress is not None:
        progress("baseline", 0, 1)
    if progress is not None and plug.solve is not None:
        baseline = plug.load_baseline(sc, store, progress)
        result = plug.solve(model, baseline, sc, progress)
    else:
        baseline = plug.load_baseline(sc, store)
        if progress is not None:
            progress("solve", 0, 1)
        result = model.solve(baseline, sc)
    if sc.warnings:
        d = result.diagnostics
        result = replace(result, diagnostics=replace(d, warnings=(*d.warnings, *sc.warnings)))
    if sc.assumptions:
        stated = tuple({"source": "scenario assumption", "used_for": "assumption", "note": a}
                       for a in sc.assumptions)
        result = replace(result, provenance=(*result.provenance, *stated))
    return result


def with_parameters(model: Any, parameters: Mapping[str, Any]) -> Any:
    """``model`` with some constructor parameters replaced (validated by the model)."""
    from dataclasses import fields

    from critmin.errors import InvalidParameterError

    names = [f.name for f in fields(model)]
    unknown = [k for k in parameters if k not in names]
    if unknown:
        msg = (f"{unknown[0]!r} is not a parameter of {type(model).__name__}. "
               f"Accepted: {', '.join(names)}.")
        raise InvalidParameterError(msg)
    return replace(model, **dict(parameters))
