"""The network model's draws: the batched sweep path gives what one Result per draw gives."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.chain_baseline import chain_baseline
from critmin.chain_graph import chain
from critmin.models.base import measure_columns
from critmin.models.network import ChainScenario, NetworkModel, draw, restrictions_from
from critmin.sweep import SweepSettings, draw_models, run_sweep

SHOCKS = {"semiconductors": "CHN:gallium", "magnets": "CHN:rare_earths", "batteries": "CHN:graphite"}


@pytest.fixture(scope="module")
def baselines(snapshot_store):
    return {name: chain_baseline(snapshot_store, chain(name)) for name in SHOCKS}


def _one_result_per_draw(models, baseline, scenario):
    """The generic loop of critmin.sweep.solve_batch: a Result per drawn model, its numeric
    tables stacked with a draw column."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for k, m in enumerate(models):
        for name, frame in m.solve(baseline, scenario).tables.items():
            if measure_columns(frame) and len(frame):
                parts.setdefault(name, []).append(frame.assign(draw=k))
    return {name: pd.concat(f, ignore_index=True) for name, f in parts.items()}


@pytest.mark.parametrize("reroute", [True, False])
@pytest.mark.parametrize("name", list(SHOCKS))
def test_a_batch_of_draws_stacks_exactly_the_band_tables_of_one_result_per_draw(baselines, name, reroute):
    """solve_many (the sweep's batch hook) returns the same tables, columns, dtypes, row
    order and values, bit for bit, as solving each drawn model into a Result."""
    base = baselines[name]
    scen = ChainScenario(name, restrictions_from([SHOCKS[name]]))
    models = draw_models(NetworkModel(reroute=reroute).for_sweep(base), base, draw, 12, 7)
    expected = _one_result_per_draw(models, base, scen)
    got, failed = models[0].solve_many(models, base, scen, 0)
    assert failed == []
    assert list(got) == list(expected) == ["by_node", "by_product", "by_stage", "by_country", "total"]
    for table in expected:
        pd.testing.assert_frame_equal(got[table], expected[table], check_exact=True)


def test_the_serial_sweep_in_batches_gives_the_bands_of_one_draw_per_batch(baselines):
    """Batching the serial sweep does not change the bands (each draw has its own seed)."""
    base = baselines["magnets"]
    scen = ChainScenario("magnets", restrictions_from([SHOCKS["magnets"]]))
    model = NetworkModel().for_sweep(base)
    one = run_sweep(model, base, scen, draw, SweepSettings(draws=20, seed=3, scheduler="serial", batch=1))
    many = run_sweep(model, base, scen, draw, SweepSettings(draws=20, seed=3, scheduler="serial", batch=8))
    assert set(one.tables) == set(many.tables) == {"by_node", "by_product", "by_stage", "by_country", "total"}
    for table in one.tables:
        pd.testing.assert_frame_equal(one.tables[table], many.tables[table], check_exact=True)
