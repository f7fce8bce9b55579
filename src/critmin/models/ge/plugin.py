"""``model: ge`` in the scenario language: what the model is, its sections, how it is built."""

from __future__ import annotations

from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.ge.model import StructuralGravity
from critmin.scenario.ge import GEBaselineIn, GESettings, GESettingsIn, upgrade
from critmin.scenario.registry import ModelPlugin
from critmin.scenario.values import Scenario

SHOCKS = ("tariff", "trade_cost_change")


def make_model(scenario: Scenario) -> StructuralGravity:
    s = scenario.settings if isinstance(scenario.settings, GESettings) else GESettings()
    return StructuralGravity(**s.parameters())


def load_baseline(scenario: Scenario, store: Any = None) -> Any:
    from critmin.baselines.ge import load_baseline as load

    return load(scenario, store)


_ESTIMATES: dict[tuple[int, str], Any] = {}


def cost_estimates(model: StructuralGravity, baseline: Any) -> tuple[list[str], Any, Any]:
    """Cost terms, estimates and covariance: stored with a store baseline, else the PPML of
    ``model.formula`` on the panel (estimated once per baseline and formula)."""
    import numpy as np

    if hasattr(baseline, "coefficients"):
        terms = list(baseline.cost_terms)
        coef = baseline.coefficients.set_index("term")["estimate"]
        return terms, coef[terms].to_numpy(), baseline.covariance.loc[terms, terms].to_numpy()
    key = (id(baseline), model.formula)
    if key not in _ESTIMATES:
        from critmin.models.ge.costs import estimate
        from critmin.models.ge.ppml import split_formula

        fit = estimate(model, baseline)
        terms = [t for t in split_formula(model.formula)[1] if t in fit.coef.index]
        _ESTIMATES.clear()
        _ESTIMATES[key] = (terms, fit.coef[terms].to_numpy(), fit.vcov.loc[terms, terms].to_numpy())
    terms, b, v = _ESTIMATES[key]
    return terms, np.array(b), np.array(v)


def draw_coefficients(model: StructuralGravity, baseline: Any, rng: Any) -> StructuralGravity:
    """The model with its cost coefficients drawn from N(b, V), the PPML estimates and their
    covariance (sigma and pair effects held)."""
    from dataclasses import replace

    terms, b, v = cost_estimates(model, baseline)
    beta = rng.multivariate_normal(b, v, method="eigh") if len(terms) else b
    return replace(model, coefficients=tuple(zip(terms, map(float, beta))), draws=0)


def needs_store(scenario: Scenario) -> bool:
    from critmin.baselines.ge import needs_store as needs

    return needs(scenario)


PLUGIN = ModelPlugin(
    spec=ModelSpec("ge", StructuralGravity, SHOCKS,
                   "Structural gravity in general equilibrium (PPML trade costs, exact hat algebra)."),
    make_model=make_model, load_baseline=load_baseline, settings=GESettingsIn, baseline=GEBaselineIn,
    needs_store=needs_store, upgrade=upgrade, draw=draw_coefficients)
