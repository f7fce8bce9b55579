"""``model: network`` in the scenario language: what the model is, its sections, how it is built."""

from __future__ import annotations


from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.network.model import NetworkModel
from critmin.scenario.network import NetworkBaselineIn, NetworkSettings, NetworkSettingsIn
from critmin.scenario.registry import ModelPlugin
from critmin.scenario.values import Scenario

SHOCKS = ("ban", "licensing", "export_quota", "preferential_zone")


def make_model(scenario: Scenario) -> NetworkModel:
    s = scenario.settings if isinstance(scenario.settings, NetworkSettings) else NetworkSettings()
    return NetworkModel(**s.parameters())


def load_baseline(scenario: Scenario, store: Any = None) -> Any:
    from critmin.baselines.network import load_baseline as load

    return load(scenario, store)


PLUGIN = ModelPlugin(
    spec=ModelSpec("network", NetworkModel, SHOCKS,
                   "Supply chains mine -> product: export restrictions propagated stage by stage (HiGHS LP)."),
    make_model=make_model, load_baseline=load_baseline, settings=NetworkSettingsIn, baseline=NetworkBaselineIn,
    needs_store=lambda scenario: True)


