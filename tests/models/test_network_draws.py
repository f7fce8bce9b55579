"""The network model's draws: the fast paths (LP templates, warm first LP, batched band
tables) give what a fresh LP and one Result per draw give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.chain_baseline import chain_baseline
from critmin.chain_graph import chain
from critmin.models.base import measure_columns
from critmin.models.network import ChainScenario, NetworkModel, draw, restrictions_from
from critmin.models.network.draws import sample
from critmin.models.network.problem import Draw, solve
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


def _assert_tables_close(got: pd.DataFrame, expected: pd.DataFrame, rel: float = 1e-9) -> None:
    """Same columns, dtypes, keys and row order; every float column equal to ``rel`` of
    the column's largest magnitude (a warm-started first LP can move the value the second
    LP holds by round-off, ~1e-12)."""
    assert list(got.columns) == list(expected.columns)
    assert list(got.dtypes) == list(expected.dtypes)
    for c in expected.columns:
        if expected[c].dtype.kind == "f":
            scale = float(np.nanmax(np.abs(expected[c].to_numpy()))) if len(expected) else 0.0
            np.testing.assert_allclose(got[c].to_numpy(), expected[c].to_numpy(), rtol=rel, atol=rel * scale,
                                       err_msg=c)
        else:
            assert got[c].tolist() == expected[c].tolist(), c


@pytest.mark.parametrize("reroute", [True, False])
@pytest.mark.parametrize("name", list(SHOCKS))
def test_a_batch_of_draws_stacks_exactly_the_band_tables_of_one_result_per_draw(baselines, name, reroute):
    """solve_many (the sweep's batch hook) returns the same tables, columns, dtypes, row
    order and values (1e-9 relative) as solving each drawn model into a Result."""
    base = baselines[name]
    scen = ChainScenario(name, restrictions_from([SHOCKS[name]]))
    models = draw_models(NetworkModel(reroute=reroute).for_sweep(base), base, draw, 12, 7)
    expected = _one_result_per_draw(models, base, scen)
    got, failed = models[0].solve_many(models, base, scen, 0)
    assert failed == []
    assert list(got) == list(expected) == ["by_node", "by_product", "by_stage", "by_country", "total"]
    for table in expected:
        _assert_tables_close(got[table], expected[table])


@pytest.mark.parametrize("name", ["magnets", "batteries"])
def test_the_serial_sweep_in_batches_gives_the_bands_of_one_draw_per_batch(baselines, name):
    """Batching the serial sweep does not change the bands (each draw has its own seed);
    batteries is the chain whose rationing LP has several optima."""
    base = baselines[name]
    scen = ChainScenario(name, restrictions_from([SHOCKS[name]]))
    model = NetworkModel().for_sweep(base)
    one = run_sweep(model, base, scen, draw, SweepSettings(draws=20, seed=3, scheduler="serial", batch=1))
    many = run_sweep(model, base, scen, draw, SweepSettings(draws=20, seed=3, scheduler="serial", batch=8))
    assert set(one.tables) == set(many.tables) == {"by_node", "by_product", "by_stage", "by_country", "total"}
    for table in one.tables:
        _assert_tables_close(many.tables[table], one.tables[table])


@pytest.mark.parametrize(("reroute", "priority"), [(True, ()), (False, ()), (True, ("USA",))])
@pytest.mark.parametrize("name", list(SHOCKS))
def test_the_template_lp_gives_the_allocation_of_a_fresh_lp_per_draw(baselines, name, reroute, priority):
    """Over 30 draws, the LP refilled from its template, with the first LP warm-started
    from the previous draw, returns the allocation of an LP built and solved from scratch
    for each draw (1e-9 of each node-country's baseline output; bit for bit when nothing is
    warm-started), the same objective, and a mass-balanced allocation."""
    base = baselines[name]
    m = NetworkModel()
    p = m.problem(base)
    cuts = m.cuts(base, ChainScenario(name, restrictions_from([SHOCKS[name]])))
    ds = sample(base.spec, 30, seed=11)
    warm: dict = {}
    kw = {"reroute": reroute, "priority": priority}
    for k in range(len(ds)):
        d = Draw(ds.coefficient[k], ds.volume[k], ds.price[k])
        ref = solve(p, d, cuts, fresh=True, **kw)
        fast = solve(p, d, cuts, warm=warm, **kw)
        cold = solve(p, d, cuts, **kw)
        assert ref.status == fast.status == cold.status == "optimal"
        assert np.array_equal(cold.delivered, ref.delivered) and cold.objective == ref.objective
        tol = 1e-9 * np.maximum(ref.x, 1e-12)
        assert np.all(np.abs(fast.delivered - ref.delivered) <= tol)
        assert np.all(np.abs(fast.y - ref.y) <= tol)
        assert fast.objective == pytest.approx(ref.objective, rel=1e-12)
        assert fast.lp_solves == ref.lp_solves
        # mass balance: no node-country ships more than it makes
        shipped = np.zeros(p.n_y)
        np.add.at(shipped, p.link_ex, fast.flows)
        inner = ~p.is_product[p.y_node] & np.isin(p.y_node, p.edge_src)
        assert np.all(shipped[inner] <= fast.y[inner] * (1 + 1e-9) + 1e-9)


def test_a_batch_numbers_its_draws_from_first_and_reports_a_bad_draw_as_the_loop_does(baselines):
    """solve_many with draws numbered from 40 and one malformed draw (a coefficient short):
    the failed draw's number and message, and the tables of the others, as the loop's."""
    from dataclasses import replace

    from critmin.errors import CritminError

    base = baselines["batteries"]
    scen = ChainScenario("batteries", restrictions_from([SHOCKS["batteries"]]))
    models = draw_models(NetworkModel().for_sweep(base), base, draw, 6, 9, first=40)
    bad = models[2].values
    models[2] = replace(models[2], values=Draw(bad.coefficient[:-1], bad.volume, bad.price))
    parts: dict[str, list[pd.DataFrame]] = {}
    failed = []
    for k, m in enumerate(models):
        try:
            tables = m.solve(base, scen).tables
        except CritminError as exc:
            failed.append((40 + k, f"{type(exc).__name__}: {exc}"))
            continue
        for name, frame in tables.items():
            if measure_columns(frame) and len(frame):
                parts.setdefault(name, []).append(frame.assign(draw=40 + k))
    got, got_failed = models[0].solve_many(models, base, scen, 40)
    assert len(failed) == 1 and failed[0][0] == 42
    assert got_failed == failed
    assert sorted(set(got["by_node"]["draw"])) == [40, 41, 43, 44, 45]
    for name, frames in parts.items():
        _assert_tables_close(got[name], pd.concat(frames, ignore_index=True))


@pytest.mark.slow
def test_bands_on_two_dask_workers_equal_the_serial_sweep_row_for_row(baselines):
    """Dask batches are stacked in draw order, so the bands come in the serial loop's row
    order with its values (solver round-off apart: batches differ, and so do warm starts)."""
    base = baselines["batteries"]
    scen = ChainScenario("batteries", restrictions_from([SHOCKS["batteries"]]))
    model = NetworkModel().for_sweep(base)
    serial = run_sweep(model, base, scen, draw, SweepSettings(draws=16, seed=4, scheduler="serial"))
    dask = run_sweep(model, base, scen, draw, SweepSettings(draws=16, seed=4, n_workers=2, batch=3))
    assert dask.diagnostics.parts["sweep"]["workers"] == 2
    for table in serial.tables:
        _assert_tables_close(dask.tables[table], serial.tables[table])
