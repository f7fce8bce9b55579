"""Every model registered in the scenario language passes the shared battery
(tests/models/battery.py) on its plugin's worked example."""

from __future__ import annotations

import pytest

from critmin.scenario.registry import plugins

from battery import CHECKS, Case

PLUGINS = {p.name: p for p in plugins()}


def test_every_registered_model_provides_an_example_for_the_battery() -> None:
    assert all(p.example is not None for p in PLUGINS.values()), [n for n, p in PLUGINS.items() if p.example is None]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_model_passes_the_battery(name: str, check, tmp_path) -> None:
    if PLUGINS[name].example is None:   # a model registers first, then adds its example
        pytest.skip(f"ModelPlugin.example missing for model {name!r}: the battery cannot run on it")
    check(Case(PLUGINS[name], tmp_path))
