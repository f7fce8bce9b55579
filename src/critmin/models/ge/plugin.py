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


def needs_store(scenario: Scenario) -> bool:
    from critmin.baselines.ge import needs_store as needs

    return needs(scenario)


PLUGIN = ModelPlugin(
    spec=ModelSpec("ge", StructuralGravity, SHOCKS,
                   "Structural gravity in general equilibrium (PPML trade costs, exact hat algebra)."),
    make_model=make_model, load_baseline=load_baseline, settings=GESettingsIn, baseline=GEBaselineIn,
    needs_store=needs_store, upgrade=upgrade)
