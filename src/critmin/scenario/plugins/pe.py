"""``model: pe`` in the scenario language: what the model is, its sections, how it is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.pe.model import PartialEquilibrium
from critmin.scenario.pe import BaselineIn, BaselineSpec, PESettings, PESettingsIn, upgrade
from critmin.scenario.registry import Example, ModelPlugin
from critmin.scenario.values import Scenario

SHOCKS = ("tariff", "export_tax", "export_quota", "licensing", "ban", "preferential_zone",
          "supply_shock", "demand_shock", "stockpile_release")


def make_model(scenario: Scenario) -> PartialEquilibrium:
    s = scenario.settings if isinstance(scenario.settings, PESettings) else PESettings()
    return PartialEquilibrium(mode=s.mode, elasticities=s.elasticities, blocs=s.blocs)


def load_baseline(scenario: Scenario, store: Any = None, on_market: Any = None) -> Any:
    from critmin.baselines.pe import load_baselines

    return load_baselines(scenario, store, on_market=on_market)


def draw_elasticities(model: PartialEquilibrium, baseline: Any, rng: Any) -> PartialEquilibrium:
    """The model with each elasticity kind scaled by one factor drawn log-uniformly between
    the ``low`` and ``high`` of its stated range (``data/parameters/elasticities.yml``,
    relative to the central value); mineral and country overrides move with it."""
    from dataclasses import replace

    import numpy as np

    from critmin.models.pe.sensitivity import scaled
    from critmin.scenario.pe import elasticity_ranges

    factors = {}
    for kind, (low, central, high) in elasticity_ranges().items():
        lo, hi = np.log(low / central), np.log(high / central)
        factors[kind] = float(np.exp(rng.uniform(min(lo, hi), max(lo, hi))))
    return replace(model, elasticities=scaled(model.elasticities, factors))


def solve(model: PartialEquilibrium, baseline: Any, scenario: Scenario, progress: Any) -> Any:
    """The solve with ``progress(label, done, total)`` after each market."""
    return model.solve(baseline, scenario, on_market=progress)


def needs_store(scenario: Scenario) -> bool:
    b = scenario.baseline
    return isinstance(b, BaselineSpec) and b.needs_store


def example(folder: Path) -> Example:
    """A four-country gallium market (invented), a quota and a tariff, two ways."""
    from critmin.baselines.pe import toy_baseline
    from critmin.scenario.pe import Elasticities
    from critmin.scenario.values import Shock

    toy = toy_baseline()
    toy.flows[["exporter", "importer", "flow_t"]].rename(columns={"flow_t": "value"}).to_csv(
        folder / "flows.csv", index=False)
    document = {
        "model": "pe", "name": "battery-pe",
        "baseline": {"flows_csv": "flows.csv", "mineral": "gallium", "stage": "refinery",
                     "year": 2023, "price_usd_per_t": 500000},
        "pe": {"elasticities": {"substitution": 2.5, "by_country": {"CHN": {"export_supply": 0.3}}}},
        "shocks": [{"type": "export_quota", "exporters": "CHN", "importers": ["USA"], "share": 0.5},
                   {"type": "tariff", "exporters": "CHN", "importers": "Japan", "rate": 0.1}],
    }
    el = Elasticities(substitution=2.5, by_country=(("CHN", (("export_supply", 0.3),)),))
    scenario = Scenario("battery-pe", shocks=(
        Shock("export_quota", exporters=("CHN",), importers=("USA",), share=0.5),
        Shock("tariff", exporters=("CHN",), importers=("JPN",), rate=0.1)))
    return Example(document, PartialEquilibrium(elasticities=el), scenario)


PLUGIN = ModelPlugin(
    spec=ModelSpec("pe", PartialEquilibrium, SHOCKS,
                   "Multi-market partial equilibrium per mineral-stage (GSIM-style Armington)."),
    make_model=make_model, load_baseline=load_baseline, settings=PESettingsIn, baseline=BaselineIn,
    needs_store=needs_store, upgrade=upgrade, example=example, solve=solve,
    draw=draw_elasticities)
