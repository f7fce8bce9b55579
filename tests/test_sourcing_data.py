"""The sourcing optimiser on the store: inputs from completed baselines, and the
ministerial bloc's gallium without China."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.errors import SourceFormatError
from critmin.models.sourcing import Sourcing, SourcingScenario
from critmin.sourcing_data import problem_from_options, sourcing_problem


def test_gallium_for_the_ministerial_bloc_without_china_falls_short_by_the_non_chinese_supply(snapshot_store):
    p = sourcing_problem(snapshot_store, "ministerial-2026", "gallium")
    model = Sourcing()
    r = model.solve(p, SourcingScenario(exclude=("CHN",)))
    # exportable supply of every supplier but China: what it ships the bloc today plus the
    # flexibility share (0.25) of what its other customers take
    i = np.array([s != "CHN" for s in p.suppliers])
    exportable = (np.array(p.current_t)[i] + model.flexibility_share * np.array(p.redirectable_t)[i]).sum()
    cost = r.table("cost").iloc[0]
    assert "CHN" in p.suppliers and cost["unmet_t"] > 0
    assert cost["unmet_t"] == pytest.approx(p.demand_t - exportable, rel=1e-9)
    assert r.table("suppliers")["share"].max() < 0.65  # the cap is not what binds here
    assert "exclusion of CHN" in cost["unmet_reason"]


def test_store_problem_states_where_each_cost_comes_from(snapshot_store):
    p = sourcing_problem(snapshot_store, "USA", "cobalt", "refinery")
    assert set(p.cost_method) <= {"observed unit value", "market price (flagged)"}
    cost = np.array(p.unit_cost_usd_per_t)
    parts = np.array(p.fob_usd_per_t) + np.array(p.freight_usd_per_t) + np.array(p.tariff_usd_per_t)
    assert np.allclose(cost, parts)
    assert (np.array(p.freight_usd_per_t) > 0).all()
    used = {x["used_for"] for x in p.provenance}
    assert {"freight", "tariffs", "FOB unit values by exporter"} <= used
    # the USA's demand is everything it absorbs in the baseline; it is its own (internal) supplier
    assert p.demand_t == pytest.approx(sum(p.current_t))
    assert p.internal[p.suppliers.index("USA")] if "USA" in p.suppliers else True


def test_options_table_gives_the_exact_least_cost_plan():
    # Three offers for 100 t, cap 0.5: A (cheapest) 50 t, B 50 t; C unused.
    # cost = 50 * 10 + 50 * 12 = 1,100 USD.
    options = pd.DataFrame({"supplier": ["A", "B", "C"], "capacity_t": [80, 60, 100],
                            "unit_cost_usd_per_t": [10.0, 12.0, 15.0]})
    p = problem_from_options(options, 100.0)
    r = Sourcing().solve(p, SourcingScenario(cap_share=0.5))
    q = r.table("suppliers").set_index("supplier")["quantity_t"]
    assert q.to_dict() == pytest.approx({"A": 50.0, "B": 50.0, "C": 0.0})
    assert r.table("cost").iloc[0]["plan_cost_usd"] == pytest.approx(1100.0)


def test_options_table_with_a_bad_column_names_it():
    bad = pd.DataFrame({"supplier": ["A"], "capacity": [1.0], "unit_cost_usd_per_t": [1.0]})
    with pytest.raises(SourceFormatError, match="missing capacity_t"):
        problem_from_options(bad, 10.0)
    worse = pd.DataFrame({"supplier": ["A"], "capacity_t": ["lots"], "unit_cost_usd_per_t": [1.0]})
    with pytest.raises(SourceFormatError, match="capacity_t must be a number"):
        problem_from_options(worse, 10.0)
