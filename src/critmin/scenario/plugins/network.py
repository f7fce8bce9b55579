"""``model: network`` in the scenario language: what the model is, its sections, how it is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.network.model import NetworkModel
from critmin.scenario.network import NetworkBaselineIn, NetworkBaselineSpec, NetworkSettings, NetworkSettingsIn
from critmin.scenario.registry import Example, ModelPlugin
from critmin.scenario.values import Scenario

SHOCKS = ("ban", "licensing", "export_quota", "preferential_zone")


def make_model(scenario: Scenario) -> NetworkModel:
    s = scenario.settings if isinstance(scenario.settings, NetworkSettings) else NetworkSettings()
    return NetworkModel(**s.parameters())


def load_baseline(scenario: Scenario, store: Any = None) -> Any:
    from critmin.baselines.network import load_baseline as load

    return load(scenario, store)


def needs_store(scenario: Scenario) -> bool:
    b = scenario.baseline
    return not isinstance(b, NetworkBaselineSpec) or b.needs_store


#: The battery's chain: gallium refining -> GaAs wafers -> RF chips, every share stated.
EXAMPLE_CHAIN = {
    "chain": "battery-gaas", "title": "Gallium to RF chips (invented example)", "year": 2024,
    "nodes": [
        {"id": "gallium", "label": "Refined gallium", "stage": "refine", "unit": "t", "mineral": "gallium",
         "shares": [{"assumption": {"CHN": 0.9, "JPN": 0.06, "DEU": 0.04},
                     "source": "invented for the model battery", "reason": "a worked example"}]},
        {"id": "gaas_wafers", "label": "GaAs wafers", "stage": "intermediate", "unit": "t",
         "shares": [{"assumption": {"JPN": 0.5, "DEU": 0.3, "USA": 0.2},
                     "source": "invented for the model battery", "reason": "a worked example"}]},
        {"id": "rf_chips", "label": "RF chips", "stage": "product", "unit": "units", "product": True},
    ],
    "products": {"rf_chips": {
        "shares": [{"assumption": {"USA": 0.4, "JPN": 0.35, "DEU": 0.25},
                    "source": "invented for the model battery", "reason": "a worked example"}],
        "volume": {"central": 1.0e9, "low": 0.8e9, "high": 1.2e9, "source": "invented"},
        "price_usd_per_unit": {"central": 2.0, "low": 1.5, "high": 2.5, "source": "invented"}}},
    "prices": {"gallium": {"central": 500000, "low": 300000, "high": 800000, "source": "invented"},
               "gaas_wafers": {"central": 5.0e6, "source": "invented"}},
    "edges": [
        {"from": "gallium", "to": "gaas_wafers", "central": 0.5, "low": 0.4, "high": 0.6,
         "unit": "t per t", "source": "invented"},
        {"from": "gaas_wafers", "to": "rf_chips", "central": 2.0e-7, "low": 1.5e-7, "high": 2.5e-7,
         "unit": "t per unit", "source": "invented"}],
}


def example(folder: Path) -> Example:
    """A three-stage gallium chain with stated shares (no store), a Chinese licence on half
    of its gallium exports and a ban to the USA, two ways."""
    import yaml

    from critmin.scenario.values import Shock

    (folder / "chain.yml").write_text(yaml.safe_dump(EXAMPLE_CHAIN, sort_keys=False), encoding="utf-8")
    document = {
        "model": "network", "name": "battery-network",
        "baseline": {"chain_file": "chain.yml", "home_bias": 0.5},
        "network": {"spare_share": 0.05, "demand_elasticity": 0.8},
        "shocks": [{"type": "licensing", "minerals": ["gallium"], "exporters": "CHN", "share": 0.5},
                   {"type": "ban", "minerals": ["gallium"], "exporters": "CHN", "importers": ["USA"]}],
    }
    scenario = Scenario("battery-network", model="network", shocks=(
        Shock("licensing", minerals=("gallium",), exporters=("CHN",), share=0.5),
        Shock("ban", minerals=("gallium",), exporters=("CHN",), importers=("USA",))))
    return Example(document, NetworkModel(spare_share=0.05, demand_elasticity=0.8), scenario)


PLUGIN = ModelPlugin(
    spec=ModelSpec("network", NetworkModel, SHOCKS,
                   "Supply chains mine -> product: export restrictions propagated stage by stage (HiGHS LP)."),
    make_model=make_model, load_baseline=load_baseline, settings=NetworkSettingsIn, baseline=NetworkBaselineIn,
    needs_store=needs_store, example=example)
