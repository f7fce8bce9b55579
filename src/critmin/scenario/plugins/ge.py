"""``model: ge`` in the scenario language: what the model is, its sections, how it is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.ge.model import StructuralGravity
from critmin.scenario.ge import GEBaselineIn, GESettings, GESettingsIn, upgrade
from critmin.scenario.registry import Example, ModelPlugin
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


def example(folder: Path) -> Example:
    """A five-country world (invented flows from a gravity equation), a tariff cut against
    the rate in force and a border change, with Monte Carlo bands, two ways."""
    import numpy as np
    import pandas as pd

    from critmin.scenario.values import Shock

    iso = ("BRA", "CHN", "DEU", "IND", "USA")
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 10, size=(len(iso), 2))
    rows = [{"exporter": e, "importer": m, "year": 2015,
             "DIST": float(np.hypot(*(xy[i] - xy[j]))) * 1000 + 500, "BRDR": float(i != j)}
            for i, e in enumerate(iso) for j, m in enumerate(iso)]
    flows = pd.DataFrame(rows)
    flows["trade"] = np.exp(9 - 0.8 * np.log(flows["DIST"]) - 2 * flows["BRDR"]
                            + 0.1 * rng.normal(size=len(flows)))
    flows.to_csv(folder / "flows.csv", index=False)
    formula = "trade ~ ln_DIST + BRDR | exporter + importer"
    document = {
        "model": "ge", "name": "battery-ge",
        "baseline": {"data": {"file": "flows.csv"}, "variables": {"ln_DIST": "log(DIST)"},
                     "year": 2015, "tariffs": [{"type": "tariff", "exporters": "IND",
                                                "importers": "USA", "rate": 0.5}]},
        "ge": {"sigma": 5, "reference_importer": "DEU", "estimation": {"formula": formula},
               "draws": 8, "seed": 3},
        "shocks": [{"type": "tariff", "exporters": "IND", "importers": "USA", "rate": 0.18},
                   {"type": "trade_cost_change", "variable": "BRDR", "change": -0.2,
                    "exporters": "BRA", "importers": "CHN", "symmetric": True}],
    }
    scenario = Scenario("battery-ge", model="ge", shocks=(
        Shock("tariff", exporters=("IND",), importers=("USA",), rate=0.18),
        Shock("trade_cost_change", exporters=("BRA",), importers=("CHN",), variable="BRDR",
              change=-0.2, symmetric=True)))
    model = StructuralGravity(sigma=5.0, formula=formula, draws=8, seed=3)
    return Example(document, model, scenario)


PLUGIN = ModelPlugin(
    spec=ModelSpec("ge", StructuralGravity, SHOCKS,
                   "Structural gravity in general equilibrium (PPML trade costs, exact hat algebra)."),
    make_model=make_model, load_baseline=load_baseline, settings=GESettingsIn, baseline=GEBaselineIn,
    needs_store=needs_store, upgrade=upgrade, example=example, draw=draw_coefficients)
