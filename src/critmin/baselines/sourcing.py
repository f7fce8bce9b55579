"""The problems a ``model: sourcing`` scenario solves: store markets of a unit through
:func:`critmin.sourcing_data.sourcing_problem`, or the user's options file."""

from __future__ import annotations

from typing import Any

from critmin.errors import ScenarioError


def load_problems(scenario: Any, store: Any = None, on_market: Any = None) -> Any:
    """A :class:`~critmin.models.sourcing.SourcingProblem` (options file) or a list of them
    (one per store market)."""
    import pandas as pd

    from critmin.scenario.sourcing import SourcingBaselineSpec
    from critmin.sourcing_data import problem_from_options, sourcing_problem

    spec = scenario.baseline
    if not isinstance(spec, SourcingBaselineSpec):
        raise ScenarioError(f"scenario {scenario.name!r} has no sourcing baseline section.")
    if spec.options_csv is not None:
        try:
            frame = pd.read_csv(spec.options_csv)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"baseline.options_csv {spec.options_csv}: {exc}") from None
        return problem_from_options(frame, spec.demand_t, unit=spec.unit, mineral=spec.mineral,
                                    source=str(spec.options_csv.name))
    if store is None:
        raise ScenarioError(f"scenario {scenario.name!r} reads its markets from the store; "
                            "build it with `critmin data build` or pass --store.")
    out = []
    for k, (mineral, stage) in enumerate(spec.markets):
        out.append(sourcing_problem(store, spec.unit, mineral, stage, spec.year,
                                    demand_t=spec.demand_t, tariffs=dict(spec.tariffs)))
        if on_market is not None:
            on_market(f"baseline {mineral}", k + 1, len(spec.markets))
    return out
