"""``model: pe`` in the scenario language: what the model is, its sections, how it is built."""

from __future__ import annotations

from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.pe.model import PartialEquilibrium
from critmin.scenario.pe import BaselineIn, BaselineSpec, PESettings, PESettingsIn, upgrade
from critmin.scenario.registry import ModelPlugin
from critmin.scenario.values import Scenario

SHOCKS = ("tariff", "export_tax", "export_quota", "licensing", "ban", "preferential_zone",
          "supply_shock", "demand_shock", "stockpile_release")


def make_model(scenario: Scenario) -> PartialEquilibrium:
    s = scenario.settings if isinstance(scenario.settings, PESettings) else PESettings()
    return PartialEquilibrium(mode=s.mode, elasticities=s.elasticities, blocs=s.blocs)


def load_baseline(scenario: Scenario, store: Any = None, on_market: Any = None) -> Any:
    from critmin.baselines.pe import load_baselines

    return load_baselines(scenario, store, on_market=on_market)


def needs_store(scenario: Scenario) -> bool:
    b = scenario.baseline
    return isinstance(b, BaselineSpec) and b.needs_store


PLUGIN = ModelPlugin(
    spec=ModelSpec("pe", PartialEquilibrium, SHOCKS,
                   "Multi-market partial equilibrium per mineral-stage (GSIM-style Armington)."),
    make_model=make_model, load_baseline=load_baseline, settings=PESettingsIn, baseline=BaselineIn,
    needs_store=needs_store, upgrade=upgrade)
