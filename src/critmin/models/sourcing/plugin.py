"""``model: sourcing`` in the scenario language: what the model is, its sections, how it is
built (:mod:`critmin.scenario.sourcing` has the layout)."""

from __future__ import annotations

from typing import Any

from critmin.models.base import ModelSpec
from critmin.models.sourcing.model import Sourcing
from critmin.scenario.registry import ModelPlugin
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


PLUGIN = ModelPlugin(
    spec=ModelSpec("sourcing", Sourcing, SHOCKS,
                   "Least-cost sourcing under a supplier cap, exclusions and a governance budget (HiGHS)."),
    make_model=make_model, load_baseline=load_baseline, settings=SourcingSettingsIn,
    baseline=SourcingBaselineIn, needs_store=needs_store)
