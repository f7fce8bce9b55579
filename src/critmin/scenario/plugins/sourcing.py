"""``model: sourcing`` in the scenario language: what the model is, its sections, how it is
built (:mod:`critmin.scenario.sourcing` has the layout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.sourcing.model import Sourcing
from critmin.scenario.registry import Example, ModelPlugin
from critmin.scenario.sourcing import (SourcingBaselineIn, SourcingBaselineSpec, SourcingSettings,
                                       SourcingSettingsIn)
from critmin.scenario.values import Scenario

SHOCKS: tuple[str, ...] = ()   # a sourcing scenario's limits are its sourcing: section


def make_model(scenario: Scenario) -> Sourcing:
    s = scenario.settings
    return Sourcing(**s.parameters()) if isinstance(s, SourcingSettings) else Sourcing()


def load_baseline(scenario: Scenario, store: Any = None, on_market: Any = None) -> Any:
    from critmin.baselines.sourcing import load_problems

    return load_problems(scenario, store, on_market=on_market)


def needs_store(scenario: Scenario) -> bool:
    b = scenario.baseline
    return isinstance(b, SourcingBaselineSpec) and b.needs_store


#: The battery's buyer: four offers (invented). Today it buys the least-cost plan (baseline_t).
EXAMPLE_OPTIONS = (
    # supplier, capacity_t, unit_cost_usd_per_t, wgi, baseline_t
    ("CHN", 600.0, 9000.0, -0.5, 600.0),
    ("AUS", 300.0, 10000.0, 1.5, 300.0),
    ("CAN", 250.0, 11000.0, 1.4, 100.0),
    ("BRA", 200.0, 12500.0, -0.3, 0.0),
)


def example(folder: Path) -> Example:
    """A buyer of 1,000 t with four offers, a 50 % cap and a governance budget, two ways;
    with no limits (``Example.empty``) the plan is what it buys today."""
    import pandas as pd

    from critmin.models.sourcing import SourcingScenario

    pd.DataFrame(EXAMPLE_OPTIONS, columns=["supplier", "capacity_t", "unit_cost_usd_per_t", "wgi",
                                           "baseline_t"]).to_csv(folder / "options.csv", index=False)
    document = {
        "model": "sourcing", "name": "battery-sourcing",
        "baseline": {"options_csv": "options.csv", "demand_t": 1000},
        "sourcing": {"cap": 0.5, "max_risk": 4.0, "value_of_lost_supply_usd_per_t": 50000,
                     "frontier": True, "frontier_points": 5},
    }
    params = (("value_of_lost_supply_usd_per_t", 50000.0), ("frontier", True), ("frontier_points", 5))
    limits = SourcingScenario(cap_share=0.5, max_risk=4.0)
    scenario = Scenario("battery-sourcing", model="sourcing", settings=SourcingSettings(limits, params))
    empty = Scenario("battery-sourcing", model="sourcing",
                     settings=SourcingSettings(SourcingScenario(cap_share=1.0, look_through=False), params))
    model = Sourcing(value_of_lost_supply_usd_per_t=50000.0, frontier=True, frontier_points=5)
    return Example(document, model, scenario, empty=empty)


PLUGIN = ModelPlugin(
    spec=ModelSpec("sourcing", Sourcing, SHOCKS,
                   "Least-cost sourcing under a supplier cap, exclusions and a governance budget (HiGHS)."),
    make_model=make_model, load_baseline=load_baseline, settings=SourcingSettingsIn,
    baseline=SourcingBaselineIn, needs_store=needs_store, example=example)
