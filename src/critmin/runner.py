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
    from critmin.errors import CritminError

    try:
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
    except CritminError as exc:
        locate(exc, sc.path)
        raise
    if sc.warnings:
        d = result.diagnostics
        result = replace(result, diagnostics=replace(d, warnings=(*d.warnings, *sc.warnings)))
    if sc.assumptions:
        stated = tuple({"source": "scenario assumption", "used_for": "assumption", "note": a}
                       for a in sc.assumptions)
        result = replace(result, provenance=(*result.provenance, *stated))
    return result


def locate(exc: Exception, path: str) -> None:
    """Prefix an error raised after loading (baseline, model, solve) with ``file:line:``, the
    line of the shock or section its message names (else the first line), so every failure
    of a scenario file points into it. Changes ``exc.args`` in place."""
    import re

    if not path or not exc.args or not isinstance(exc.args[0], str) or str(path) in exc.args[0]:
        return
    msg = exc.args[0]
    line = 1
    try:
        from critmin.scenario.yamlio import load_yaml

        doc = load_yaml(path)
        shock = re.search(r"\b(shocks|counterfactual)\[(\d+)\]", msg)
        field = re.search(r"\b((?:baseline|ge|pe|sourcing|network)(?:\.[A-Za-z_][\w-]*)+)", msg)
        if shock:
            line = doc.line_of((shock.group(1), int(shock.group(2)))) or 1
        elif field and isinstance(doc.data, dict):
            line = doc.line_of(tuple(field.group(1).split("."))) or 1   # the deepest key there
        else:
            for key in ("baseline", "ge", "pe", "sourcing", "network", "blocs", "shocks"):
                if re.search(rf"\b{key}\b", msg) and isinstance(doc.data, dict) and key in doc.data:
                    line = doc.line_of((key,)) or 1
                    break
    except Exception:  # noqa: BLE001  (locating is best effort; the error itself stands)
        line = 1
    exc.args = (f"{path}:{line}: {msg}", *exc.args[1:])


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
