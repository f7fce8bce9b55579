"""Every model registered in the scenario language passes the shared battery
(tests/models/battery.py) on its plugin's worked example."""

from __future__ import annotations

import pytest

from critmin.scenario.registry import plugins

from battery import CHECKS, Case

PLUGINS = {p.name: p for p in plugins()}


def test_every_registered_model_provides_an_example_for_the_battery() -> None:
    missing = [name for name, p in PLUGINS.items() if p.example is None]
    assert not missing, f"ModelPlugin.example missing for: {missing}"


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name", sorted(n for n, p in PLUGINS.items() if p.example is not None))
def test_model_passes_the_battery(name: str, check, tmp_path) -> None:
    check(Case(PLUGINS[name], tmp_path))
