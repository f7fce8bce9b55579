"""The shared model battery (scikit-learn's ``parametrize_with_checks``): checks every model
registered in the scenario language passes, on the worked example its plugin provides
(``ModelPlugin.example``). ``tests/models/test_battery.py`` runs it for every plugin, so a
new model (sourcing, network) gets it by registering.

Each check is a function ``check_*(case)`` of a :class:`Case`.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from critmin.models.base import Result, Status, measure_columns, unit_of
from critmin.scenario import load_scenario
from critmin.scenario.registry import Example, ModelPlugin


@dataclass
class Case:
    """One plugin's example, written to ``folder``, with its document loaded and run."""

    plugin: ModelPlugin
    folder: Path

    @cached_property
    def example(self) -> Example:
        return self.plugin.example(self.folder)

    @cached_property
    def path(self) -> Path:
        path = self.folder / "scenario.yaml"
        path.write_text(yaml.safe_dump(self.example.document, sort_keys=False), encoding="utf-8")
        return path

    @cached_property
    def loaded(self):  # noqa: ANN201
        return load_scenario(self.path)

    @cached_property
    def baseline(self) -> Any:
        return self.plugin.load_baseline(self.loaded, None)

    def solve(self, model: Any = None, scenario: Any = None) -> Result:
        return (model or self.example.model).solve(self.baseline, scenario or self.example.scenario)


def assert_same_tables(a: Result, b: Result) -> None:
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True, obj=name)


def check_example_sets_a_shock_and_a_non_default_parameter(case: Case) -> None:
    ex = case.example
    if case.plugin.spec.shocks:        # a model whose limits are settings may have no shocks
        assert ex.scenario.shocks, "the example needs at least one shock"
    assert repr(ex.model) != f"{type(ex.model).__name__}()", "the example model sets no parameter"
    assert type(ex.model) is case.plugin.spec.model
    assert {s.kind for s in ex.scenario.shocks} <= set(case.plugin.spec.shocks)


def check_yaml_and_python_give_identical_values_and_results(case: Case) -> None:
    from critmin import run

    loaded, ex = case.loaded, case.example
    assert loaded.model == case.plugin.name and loaded.name == ex.scenario.name
    assert loaded.shocks == ex.scenario.shocks
    if ex.scenario.settings is not None:   # a model whose scenario lives in its settings
        assert loaded.settings == ex.scenario.settings
    assert case.plugin.make_model(loaded) == ex.model
    assert_same_tables(run(case.path), case.solve())


def check_empty_scenario_returns_the_baseline_exactly(case: Case) -> None:
    res = case.solve(scenario=case.example.unchanged)
    assert res.diagnostics.status.ok
    checked = 0
    for name, frame in res.tables.items():
        for col in measure_columns(frame):
            stem = col.removesuffix("_baseline")
            now = next((c for c in (stem, f"{stem}_scenario") if c in frame.columns), None)
            if col.endswith("_baseline") and now is not None:
                np.testing.assert_array_equal(frame[now].to_numpy(), frame[col].to_numpy(),
                                              err_msg=f"{name}.{col}")
                checked += 1
            elif "change_share" in col and not col.endswith(("_p05", "_p50", "_p95")):
                values = frame[col].dropna().to_numpy()
                assert (values == 0).all(), f"{name}.{col}: {values[values != 0][:5]}"
                checked += 1
    assert checked, "no table has a baseline or change column to compare"


def check_tables_carry_units_and_tidy_lists_them(case: Case) -> None:
    res = case.solve()
    assert res.tables
    for name, frame in res.tables.items():
        assert len(frame), f"table {name} is empty"
        for col in measure_columns(frame):
            unit_of(col)                                    # raises without a unit
            assert not col.endswith("_pct"), f"{name}.{col}: shares, not percent"
    tidy = res.tidy()
    assert {"table", "variable", "value", "unit"} <= set(tidy.columns)
    assert tidy["unit"].notna().all()
    assert isinstance(res.diagnostics.residual, float) and isinstance(res.diagnostics.iterations, int)
    assert res.diagnostics.status in set(Status)
    assert res.provenance and all("source" in p and "used_for" in p for p in res.provenance)
    assert res.summary().startswith(f"{case.plugin.name} scenario")


def check_repr_shows_only_non_default_parameters(case: Case) -> None:
    cls = case.plugin.spec.model
    assert repr(cls()) == f"{cls.__name__}()"
    model = case.example.model
    text = repr(model)
    for f in fields(model):
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            continue
        shown = f"{f.name}=" in text
        assert shown == (getattr(model, f.name) != default), (f.name, text)


def check_model_is_frozen_and_results_are_deterministic(case: Case) -> None:
    model = case.example.model
    try:
        setattr(model, fields(model)[0].name, None)
    except (AttributeError, TypeError):
        pass
    else:  # a mutable model fails the battery
        raise AssertionError(f"{type(model).__name__} is not frozen")
    assert_same_tables(case.solve(), case.solve())


CHECKS = [check_example_sets_a_shock_and_a_non_default_parameter,
          check_yaml_and_python_give_identical_values_and_results,
          check_empty_scenario_returns_the_baseline_exactly,
          check_tables_carry_units_and_tidy_lists_them,
          check_repr_shows_only_non_default_parameters,
          check_model_is_frozen_and_results_are_deterministic]
